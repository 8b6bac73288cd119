//! Lab 15: verify a V3 key commitment (reference solution).
//!
//! ```text
//! PRK        = HKDF-Extract(salt = message id, IKM = data key)          (HMAC-SHA512)
//! content key = HKDF-Expand(PRK, info = 0x00 0x73 ‖ "DERIVEKEY", 32 bytes)
//! commitment  = HKDF-Expand(PRK, info = 0x00 0x73 ‖ "COMMITKEY", 28 bytes)
//! ```

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

/// The suite id 0x0073 (115) comes first in both infos: a key derived for another suite differs.
const SUITE: [u8; 2] = [0x00, 0x73];

/// The content key and the commitment derived from a data key and a message id.
pub fn derive(data_key: &[u8; 32], message_id: &[u8; 28]) -> ([u8; 32], [u8; 28]) {
    let hk = Hkdf::<Sha512>::new(Some(message_id), data_key);
    let mut key = [0u8; 32];
    let mut commitment = [0u8; 28];
    // Both lengths are far below HKDF-SHA512's limit (255 × 64 bytes), so expand cannot fail.
    hk.expand(&[&SUITE[..], b"DERIVEKEY"].concat(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA512 length");
    hk.expand(&[&SUITE[..], b"COMMITKEY"].concat(), &mut commitment)
        .expect("28 bytes is a valid HKDF-SHA512 length");
    (key, commitment)
}

/// Compares two byte strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is not secret; the position of the first difference is.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn decode28(value: &str) -> Result<[u8; 28], CommitmentError> {
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(CommitmentError::Malformed)
}

/// Checks `x-amz-d` against the data key and `x-amz-i`; returns the content key when it matches.
pub fn verify(data_key: &[u8; 32], x_amz_i: &str, x_amz_d: &str) -> Result<[u8; 32], CommitmentError> {
    let message_id = decode28(x_amz_i)?;
    let stored = decode28(x_amz_d)?;
    let (key, commitment) = derive(data_key, &message_id);
    if constant_time_eq(&commitment, &stored) {
        Ok(key)
    } else {
        Err(CommitmentError::Mismatch)
    }
}
