//! Lab 15: verify a V3 key commitment, as the Amazon S3 Encryption Client does before it decrypts.
//!
//! A V3 object (`x-amz-c: 115`) stores a 28-byte message id (`x-amz-i`) and a 28-byte key
//! commitment (`x-amz-d`), both base64. From the unwrapped 32-byte data key:
//!
//! ```text
//! PRK        = HKDF-Extract(salt = message id, IKM = data key)          (HMAC-SHA512)
//! content key = HKDF-Expand(PRK, info = 0x00 0x73 ‖ "DERIVEKEY", 32 bytes)
//! commitment  = HKDF-Expand(PRK, info = 0x00 0x73 ‖ "COMMITKEY", 28 bytes)
//! ```
//!
//! The reader recomputes the commitment and compares it with `x-amz-d` in constant time; only if
//! they match does it decrypt (AES-256-GCM with the content key). A mismatch means the data key,
//! the message id or the commitment was swapped or damaged: stop, decrypt nothing.
//!
//! Fill in the `TODO`s; `cargo test` runs `tests/check.rs` (don't change it: the lab's check puts
//! it back as it was).

#![allow(unused_imports, unused_variables)]

use base64::Engine as _;
use hkdf::Hkdf;
use sha2::Sha512;

/// Why a V3 envelope is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum CommitmentError {
    /// `x-amz-i` or `x-amz-d` is not base64 of 28 bytes.
    Malformed,
    /// The commitment does not match: do not decrypt.
    Mismatch,
}

/// The content key and the commitment derived from a data key and a message id.
pub fn derive(data_key: &[u8; 32], message_id: &[u8; 28]) -> ([u8; 32], [u8; 28]) {
    // TODO: Hkdf::<Sha512>::new(Some(message_id), data_key), then expand twice with the two infos.
    todo!("derive")
}

/// Compares two byte strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // TODO: different lengths are unequal; otherwise OR together the XOR of every byte pair.
    todo!("constant_time_eq")
}

/// Checks `x-amz-d` against the data key and `x-amz-i`; returns the content key when it matches.
pub fn verify(data_key: &[u8; 32], x_amz_i: &str, x_amz_d: &str) -> Result<[u8; 32], CommitmentError> {
    // TODO: decode both (Malformed unless 28 bytes each), derive, compare in constant time.
    todo!("verify")
}
