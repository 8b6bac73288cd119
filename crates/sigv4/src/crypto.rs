//! HMAC-SHA256, the signing key, and the signatures of requests, chunks and trailers.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::canonical::format_amz_date;
use crate::{CredentialScope, EMPTY_SHA256, TERMINATOR};

type HmacSha256 = Hmac<Sha256>;

/// The key derived from a secret access key for one date, region and service. Its bytes are wiped
/// when it is dropped and never printed.
#[derive(Clone)]
pub struct SigningKey(Zeroizing<[u8; 32]>);

impl SigningKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SigningKey(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC takes keys of any length, so this never fails; the match only satisfies the type.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(data);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// The hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`, `date` being
/// `YYYYMMDD`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    let mut seed = Zeroizing::new(String::with_capacity(secret.len() + 4));
    seed.push_str("AWS4");
    seed.push_str(secret);
    let k_date = hmac_sha256(seed.as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&*k_date, region.as_bytes());
    let k_service = hmac_sha256(&*k_region, service.as_bytes());
    SigningKey(hmac_sha256(&*k_service, TERMINATOR.as_bytes()))
}

/// The signature of a string to sign, in lowercase hex.
pub fn sign_string(key: &SigningKey, string_to_sign: &str) -> String {
    hex::encode(*hmac_sha256(key.as_bytes(), string_to_sign.as_bytes()))
}

/// Compares a computed signature with a provided hex signature in constant time. Uppercase hex is
/// accepted; anything that is not 64 hex digits does not match.
pub(crate) fn signature_matches(key: &SigningKey, string_to_sign: &str, provided: &str) -> bool {
    let expected = hmac_sha256(key.as_bytes(), string_to_sign.as_bytes());
    let mut given = Zeroizing::new([0u8; 32]);
    if hex::decode_to_slice(provided, &mut *given).is_err() {
        return false;
    }
    bool::from(expected[..].ct_eq(&given[..]))
}

fn chunk_string_to_sign(
    time: OffsetDateTime,
    scope: &CredentialScope,
    previous_signature: &str,
    chunk_sha256_hex: &str,
) -> String {
    format!(
        "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{scope}\n{previous_signature}\n{EMPTY_SHA256}\n{chunk_sha256_hex}",
        format_amz_date(time)
    )
}

fn trailer_string_to_sign(
    time: OffsetDateTime,
    scope: &CredentialScope,
    previous_signature: &str,
    trailer_sha256_hex: &str,
) -> String {
    format!(
        "AWS4-HMAC-SHA256-TRAILER\n{}\n{scope}\n{previous_signature}\n{trailer_sha256_hex}",
        format_amz_date(time)
    )
}

/// The signature of one chunk of an `aws-chunked` body (`AWS4-HMAC-SHA256-PAYLOAD`). The first
/// chunk chains from the request's (seed) signature, every later one from the chunk before it; the
/// final chunk is the empty one.
pub fn chunk_signature(
    key: &SigningKey,
    request_time: OffsetDateTime,
    scope: &CredentialScope,
    previous_signature: &str,
    chunk_sha256_hex: &str,
) -> String {
    sign_string(
        key,
        &chunk_string_to_sign(request_time, scope, previous_signature, chunk_sha256_hex),
    )
}

/// The signature of the trailing headers (`AWS4-HMAC-SHA256-TRAILER`), chained from the final
/// chunk's signature. `trailer_bytes_sha256_hex` is the hash of the trailer lines, each
/// `name:value\n`.
pub fn trailer_signature(
    key: &SigningKey,
    request_time: OffsetDateTime,
    scope: &CredentialScope,
    previous_signature: &str,
    trailer_bytes_sha256_hex: &str,
) -> String {
    sign_string(
        key,
        &trailer_string_to_sign(
            request_time,
            scope,
            previous_signature,
            trailer_bytes_sha256_hex,
        ),
    )
}

/// Checks a `chunk-signature`, in constant time.
pub fn verify_chunk_signature(
    key: &SigningKey,
    request_time: OffsetDateTime,
    scope: &CredentialScope,
    previous_signature: &str,
    chunk_sha256_hex: &str,
    provided: &str,
) -> bool {
    signature_matches(
        key,
        &chunk_string_to_sign(request_time, scope, previous_signature, chunk_sha256_hex),
        provided,
    )
}

/// Checks an `x-amz-trailer-signature`, in constant time.
pub fn verify_trailer_signature(
    key: &SigningKey,
    request_time: OffsetDateTime,
    scope: &CredentialScope,
    previous_signature: &str,
    trailer_bytes_sha256_hex: &str,
    provided: &str,
) -> bool {
    signature_matches(
        key,
        &trailer_string_to_sign(
            request_time,
            scope,
            previous_signature,
            trailer_bytes_sha256_hex,
        ),
        provided,
    )
}
