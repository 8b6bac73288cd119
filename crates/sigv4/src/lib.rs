//! AWS Signature Version 4, verified and created the way AWS does it.
//!
//! s3lab's mock S3 and KMS servers use this crate to check every signed request, and its recording
//! client uses it to sign them. Nothing is simplified: the canonical request, the string to sign,
//! the signing key, presigned URLs and the signatures of `aws-chunked` payloads follow AWS's
//! published algorithm and reproduce AWS's own test vectors, and every refusal is reported with the
//! error code, HTTP status and message that S3 or a JSON service such as KMS would send
//! ([`AuthError::s3`], [`AuthError::json_service`]).
//!
//! # Verifying
//!
//! [`auth_kind`] tells how a request is authenticated (not at all, `Authorization` header,
//! presigned query string or the retired Signature Version 2). Deciding whether an anonymous request
//! is allowed is the caller's business; everything else goes to [`verify`], which checks the
//! request's structure, its credential scope, its time, the access key and the signature, and on
//! success returns a [`Verified`] with the signing key needed to check the chunk signatures of a
//! streaming upload ([`verify_chunk_signature`], [`verify_trailer_signature`]).
//!
//! ```
//! use s3lab_sigv4::*;
//! use time::macros::datetime;
//! use zeroize::Zeroizing;
//!
//! let now = datetime!(2026-01-01 00:00:00 UTC);
//! let creds = Credentials::new("AKIDEXAMPLE", "secret");
//! let mut headers = http::HeaderMap::new();
//! headers.insert("host", http::HeaderValue::from_static("bucket.s3.localhost"));
//! let payload = PayloadHash::of_bytes(b"");
//! sign_headers("GET", "/key", None, &mut headers, &payload, &creds, "us-east-1", "s3", UriStyle::S3, now)?;
//!
//! let parts = RequestParts { method: "GET", raw_path: "/key", raw_query: None, headers: &headers };
//! let lookup = |id: &str| (id == "AKIDEXAMPLE").then(|| Zeroizing::new("secret".to_owned()));
//! let opts = VerifyOptions::new("s3", "us-east-1", UriStyle::S3, now);
//! let verified = verify(&parts, PayloadSource::FromHeader, &lookup, &opts)?;
//! assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Secrets
//!
//! Secret access keys travel in [`zeroize::Zeroizing`] strings and signing keys in [`SigningKey`],
//! which wipes its bytes when dropped and never prints them. Signatures are compared in constant
//! time.

mod canonical;
mod crypto;
mod encode;
mod error;
mod sign;
mod verify;

#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod tests;

use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

pub use canonical::{canonical_request, format_amz_date, parse_amz_date, string_to_sign};
pub use crypto::{
    chunk_signature, sha256_hex, sign_string, signing_key, trailer_signature,
    verify_chunk_signature, verify_trailer_signature, SigningKey,
};
pub use encode::{canonical_query, canonical_uri, uri_encode};
pub use error::{AuthError, ExpiresProblem, ScopeFault, ServiceError, SignatureMismatch};
pub use sign::{presign, sign_headers, Credentials, SignError, SignatureInfo};
pub use verify::{auth_kind, verify};

/// The only signing algorithm this crate speaks.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The hex SHA-256 of an empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The longest a presigned URL may live: seven days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;
/// How far the request time may be from the server's clock, in AWS.
pub const DEFAULT_MAX_SKEW: Duration = Duration::minutes(15);

/// Looks up the secret key for an access key id; `None` = unknown access key.
pub type SecretLookup<'a> = &'a dyn Fn(&str) -> Option<Zeroizing<String>>;

/// The parts of an HTTP request that a signature covers (the payload comes separately, see
/// [`PayloadSource`]).
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The path as received, still percent-encoded.
    pub raw_path: &'a str,
    /// The query string as received, without the `?`.
    pub raw_query: Option<&'a str>,
    /// The request's headers. It must contain `host` (HTTP/2 servers: copy `:authority` there).
    pub headers: &'a http::HeaderMap,
}

/// How the path becomes the canonical URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriStyle {
    /// S3: the path is used as received, without normalisation, and encoded once.
    S3,
    /// Every other service: the path is normalised (`.`, `..` and empty segments removed) and each
    /// segment is URI-encoded again, so an already encoded path ends up encoded twice.
    Normalized,
}

/// Where the payload hash of the canonical request comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadSource<'a> {
    /// S3: read `x-amz-content-sha256`, which header authentication requires.
    FromHeader,
    /// The caller computed the hex SHA-256 of the body (JSON services such as KMS).
    Computed(&'a str),
}

/// The payload hash a request was signed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadHash {
    /// The hex SHA-256 of the whole body.
    Sha256Hex(String),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `aws-chunked` body, every chunk signed.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks and a trailer.
    StreamingUnsignedTrailer,
}

impl PayloadHash {
    pub const UNSIGNED: &'static str = "UNSIGNED-PAYLOAD";
    pub const STREAMING_SIGNED: &'static str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    pub const STREAMING_SIGNED_TRAILER: &'static str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    pub const STREAMING_UNSIGNED_TRAILER: &'static str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    /// The hash of a body that is at hand.
    pub fn of_bytes(body: &[u8]) -> Self {
        PayloadHash::Sha256Hex(sha256_hex(body))
    }

    /// Reads an `x-amz-content-sha256` value: one of the four literals, or 64 hex digits.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            Self::UNSIGNED => Some(PayloadHash::Unsigned),
            Self::STREAMING_SIGNED => Some(PayloadHash::StreamingSigned),
            Self::STREAMING_SIGNED_TRAILER => Some(PayloadHash::StreamingSignedTrailer),
            Self::STREAMING_UNSIGNED_TRAILER => Some(PayloadHash::StreamingUnsignedTrailer),
            hash if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(PayloadHash::Sha256Hex(hash.to_owned()))
            }
            _ => None,
        }
    }

    /// The value as it appears in the canonical request and in `x-amz-content-sha256`.
    pub fn as_str(&self) -> &str {
        match self {
            PayloadHash::Sha256Hex(hash) => hash,
            PayloadHash::Unsigned => Self::UNSIGNED,
            PayloadHash::StreamingSigned => Self::STREAMING_SIGNED,
            PayloadHash::StreamingSignedTrailer => Self::STREAMING_SIGNED_TRAILER,
            PayloadHash::StreamingUnsignedTrailer => Self::STREAMING_UNSIGNED_TRAILER,
        }
    }

    /// The body is `aws-chunked`.
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            PayloadHash::StreamingSigned
                | PayloadHash::StreamingSignedTrailer
                | PayloadHash::StreamingUnsignedTrailer
        )
    }

    /// Every chunk carries a `chunk-signature` to check against the seed signature.
    pub fn has_chunk_signatures(&self) -> bool {
        matches!(
            self,
            PayloadHash::StreamingSigned | PayloadHash::StreamingSignedTrailer
        )
    }
}

impl std::fmt::Display for PayloadHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the server expects of a request.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions<'a> {
    /// The signing name of the service: `"s3"` gets S3's checks and order of checks, anything else
    /// (`"kms"`) those of AWS's JSON services.
    pub service: &'a str,
    pub region: &'a str,
    pub uri_style: UriStyle,
    pub now: OffsetDateTime,
    /// AWS allows 15 minutes ([`DEFAULT_MAX_SKEW`]).
    pub max_skew: Duration,
}

impl<'a> VerifyOptions<'a> {
    /// Options with AWS's 15 minutes of allowed skew.
    pub fn new(
        service: &'a str,
        region: &'a str,
        uri_style: UriStyle,
        now: OffsetDateTime,
    ) -> Self {
        VerifyOptions {
            service,
            region,
            uri_style,
            now,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

/// `date/region/service/aws4_request`, the scope a signing key is derived for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    pub region: String,
    pub service: String,
}

impl CredentialScope {
    /// The scope of a request made at `time` (UTC date).
    pub fn new(time: OffsetDateTime, region: &str, service: &str) -> Self {
        let amz = format_amz_date(time);
        CredentialScope {
            date: amz[..8].to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        }
    }
}

impl std::fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.date, self.region, self.service, TERMINATOR
        )
    }
}

/// A request whose signature checked out.
#[derive(Clone, Debug)]
pub struct Verified {
    pub access_key_id: String,
    pub scope: CredentialScope,
    /// From `X-Amz-Date` (or the `Date` header).
    pub request_time: OffsetDateTime,
    /// As listed in `SignedHeaders` / `X-Amz-SignedHeaders`.
    pub signed_headers: Vec<String>,
    /// The request's signature, in lowercase hex: the seed signature of an `aws-chunked` body.
    pub signature: String,
    pub payload: PayloadHash,
    pub presigned: bool,
    /// Needed to verify the chunk signatures of an `aws-chunked` body.
    pub signing_key: SigningKey,
    /// `x-amz-security-token` / `X-Amz-Security-Token`, passed on unchecked.
    pub security_token: Option<String>,
}

impl Verified {
    /// Checks the signature of one `aws-chunked` chunk; `previous_signature` is [`Verified::signature`]
    /// for the first chunk and the previous chunk's signature after that.
    pub fn verify_chunk(
        &self,
        previous_signature: &str,
        chunk_sha256_hex: &str,
        provided: &str,
    ) -> bool {
        verify_chunk_signature(
            &self.signing_key,
            self.request_time,
            &self.scope,
            previous_signature,
            chunk_sha256_hex,
            provided,
        )
    }

    /// Checks `x-amz-trailer-signature`; `previous_signature` is that of the final, empty chunk.
    pub fn verify_trailer(
        &self,
        previous_signature: &str,
        trailer_sha256_hex: &str,
        provided: &str,
    ) -> bool {
        verify_trailer_signature(
            &self.signing_key,
            self.request_time,
            &self.scope,
            previous_signature,
            trailer_sha256_hex,
            provided,
        )
    }
}

/// How a request says who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// No `Authorization` header and no signature in the query string: anonymous.
    None,
    /// An `Authorization` header other than Signature Version 2 (whatever its scheme).
    Header,
    /// `X-Amz-Algorithm` in the query string.
    Presigned,
    /// `Authorization: AWS AKID:signature`, or `AWSAccessKeyId` and `Signature` in the query.
    SigV2,
}
