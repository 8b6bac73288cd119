//! Lab 3: unwrap an SSE-S3 data key by hand (reference solution).
//!
//! s3lab's S3 keeps, next to each SSE-S3 object, its data key *wrapped* by a root key version:
//! `wrapped_data_key` is base64 of `nonce (12 bytes) ‖ AES-256-GCM(root key, data key) ‖ tag (16)`,
//! and the additional authenticated data (AAD) names the object: `s3lab-sse-s3|BUCKET|KEY`. The
//! AAD is why a wrapped key copied onto another object does not unwrap.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;

/// Why a wrapped key does not unwrap.
#[derive(Debug, PartialEq, Eq)]
pub enum UnwrapError {
    /// `wrapped_data_key` is not base64.
    NotBase64,
    /// It decodes to this many bytes, not 12 + 32 + 16 = 60.
    WrongLength(usize),
    /// AES-GCM refused: a different root key, a different object (AAD), or tampered bytes.
    Refused,
}

/// The AAD that binds a wrapped data key to its object: `s3lab-sse-s3|BUCKET|KEY`, as bytes.
pub fn object_aad(bucket: &str, key: &str) -> Vec<u8> {
    format!("s3lab-sse-s3|{bucket}|{key}").into_bytes()
}

/// Unwraps an SSE-S3 data key: base64-decode, split off the 12-byte nonce, and AES-256-GCM
/// decrypt the rest (ciphertext ‖ tag) with the root key and the object's AAD.
pub fn unwrap_data_key(
    root_key: &[u8; 32],
    wrapped_b64: &str,
    bucket: &str,
    key: &str,
) -> Result<[u8; 32], UnwrapError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(wrapped_b64)
        .map_err(|_| UnwrapError::NotBase64)?;
    if raw.len() != 12 + 32 + 16 {
        return Err(UnwrapError::WrongLength(raw.len()));
    }
    let (nonce, rest) = raw.split_at(12);
    // GCM checks the tag over the ciphertext *and* the AAD: the wrong object fails here, before
    // any byte of the key comes out.
    let plain = Aes256Gcm::new(root_key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: rest,
                aad: &object_aad(bucket, key),
            },
        )
        .map_err(|_| UnwrapError::Refused)?;
    plain.try_into().map_err(|_| UnwrapError::Refused)
}
