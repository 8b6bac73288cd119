//! Lab 12: the three SSE-C request headers.
//!
//! With SSE-C, every request that writes or reads the object carries the key itself:
//!
//! | header | value |
//! |---|---|
//! | `x-amz-server-side-encryption-customer-algorithm` | `AES256` |
//! | `x-amz-server-side-encryption-customer-key` | base64 of the 32-byte key |
//! | `x-amz-server-side-encryption-customer-key-MD5` | base64 of the MD5 digest of the key (not of its base64!) |
//!
//! The MD5 lets S3 notice a key damaged in transit; it is not a secret and not a security check.
//! Fill in the `TODO`s; `cargo test` runs `tests/check.rs` (don't change it: the lab's check puts
//! it back as it was).

#![allow(unused_imports, unused_variables)]

use base64::Engine as _;
use md5::{Digest as _, Md5};

/// An SSE-C key must be exactly 256 bits.
#[derive(Debug, PartialEq, Eq)]
pub struct WrongKeyLength(pub usize);

/// base64 (standard, with padding) of the MD5 digest of `key`.
pub fn key_md5(key: &[u8]) -> String {
    // TODO: Md5::digest(key), then base64's STANDARD engine.
    todo!("key_md5")
}

/// The three headers, in the order of the table above, for a 32-byte key.
pub fn sse_c_headers(key: &[u8]) -> Result<[(&'static str, String); 3], WrongKeyLength> {
    // TODO: refuse keys that are not 32 bytes, then build the three (name, value) pairs.
    todo!("sse_c_headers")
}
