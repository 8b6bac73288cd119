//! Lab 12: the three SSE-C request headers (reference solution).
//!
//! | header | value |
//! |---|---|
//! | `x-amz-server-side-encryption-customer-algorithm` | `AES256` |
//! | `x-amz-server-side-encryption-customer-key` | base64 of the 32-byte key |
//! | `x-amz-server-side-encryption-customer-key-MD5` | base64 of the MD5 digest of the key (not of its base64!) |
//!
//! The MD5 lets S3 notice a key damaged in transit; it is not a secret and not a security check.

use base64::Engine as _;
use md5::{Digest as _, Md5};

/// An SSE-C key must be exactly 256 bits.
#[derive(Debug, PartialEq, Eq)]
pub struct WrongKeyLength(pub usize);

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// base64 (standard, with padding) of the MD5 digest of `key`.
pub fn key_md5(key: &[u8]) -> String {
    B64.encode(Md5::digest(key))
}

/// The three headers, in the order of the table above, for a 32-byte key.
pub fn sse_c_headers(key: &[u8]) -> Result<[(&'static str, String); 3], WrongKeyLength> {
    if key.len() != 32 {
        return Err(WrongKeyLength(key.len()));
    }
    Ok([
        ("x-amz-server-side-encryption-customer-algorithm", "AES256".to_string()),
        ("x-amz-server-side-encryption-customer-key", B64.encode(key)),
        ("x-amz-server-side-encryption-customer-key-MD5", key_md5(key)),
    ])
}
