//! The ciphertext blob of a symmetric key.
//!
//! Real KMS blobs are opaque, but they carry enough to find the key and its material: `Decrypt`
//! needs no `KeyId`. This mock's blob is documented so that a learner can take one apart:
//!
//! ```text
//! offset  size  field
//!      0     1  format version (1)
//!      1    16  key id (the UUID's 16 bytes)
//!     17    32  key material id (shown as 64 hex digits by ListKeyRotations)
//!     49    12  AES-GCM nonce
//!     61     n  AES-256-GCM ciphertext of the plaintext
//!   61+n    16  GCM tag
//! ```
//!
//! The additional authenticated data is the 61-byte header followed by the encryption context
//! ([`crate::model::context_aad`]), so a different context, a different key or a flipped bit all
//! fail the tag check. The context itself is *not* stored in the blob: the caller must present it
//! again, which is the point of an encryption context.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use crate::model::{context_aad, EncryptionContext};

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 1 + 16 + 32 + 12;
pub const TAG_LEN: usize = 16;

/// The readable part of a blob, parsed before any decryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    pub key_id: uuid_bytes::Uuid16,
    pub material_id: [u8; 32],
    pub nonce: [u8; 12],
}

/// Small helper module so the blob does not depend on a UUID crate.
pub mod uuid_bytes {
    pub type Uuid16 = [u8; 16];

    /// `1234abcd-12ab-34cd-56ef-1234567890ab` → 16 bytes.
    pub fn parse(s: &str) -> Option<Uuid16> {
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        if s.len() != 36 || hex.len() != 32 {
            return None;
        }
        for (i, c) in s.char_indices() {
            if matches!(i, 8 | 13 | 18 | 23) != (c == '-') {
                return None;
            }
        }
        let mut out = [0u8; 16];
        hex::decode_to_slice(&hex, &mut out).ok()?;
        Some(out)
    }

    pub fn format(b: &Uuid16) -> String {
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("the blob is too short or not in a known format")]
    Malformed,
    #[error("the blob does not authenticate under this key, material and encryption context")]
    Unauthentic,
    #[error("AES-GCM refused to encrypt")]
    Seal,
}

pub fn parse_header(blob: &[u8]) -> Result<BlobHeader, BlobError> {
    if blob.len() < HEADER_LEN + TAG_LEN || blob[0] != VERSION {
        return Err(BlobError::Malformed);
    }
    let mut key_id = [0u8; 16];
    key_id.copy_from_slice(&blob[1..17]);
    let mut material_id = [0u8; 32];
    material_id.copy_from_slice(&blob[17..49]);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&blob[49..61]);
    Ok(BlobHeader {
        key_id,
        material_id,
        nonce,
    })
}

fn aad(header: &[u8], ctx: &EncryptionContext) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(&context_aad(ctx));
    aad
}

pub fn seal(
    header: &BlobHeader,
    material: &[u8; 32],
    plaintext: &[u8],
    ctx: &EncryptionContext,
) -> Result<Vec<u8>, BlobError> {
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(&header.key_id);
    out.extend_from_slice(&header.material_id);
    out.extend_from_slice(&header.nonce);
    let cipher = Aes256Gcm::new(material.into());
    let aad = aad(&out, ctx);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&header.nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| BlobError::Seal)?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

pub fn open(
    blob: &[u8],
    material: &[u8; 32],
    ctx: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, BlobError> {
    let header = parse_header(blob)?;
    let cipher = Aes256Gcm::new(material.into());
    let aad = aad(&blob[..HEADER_LEN], ctx);
    cipher
        .decrypt(
            Nonce::from_slice(&header.nonce),
            Payload {
                msg: &blob[HEADER_LEN..],
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| BlobError::Unauthentic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BlobHeader {
        BlobHeader {
            key_id: [1; 16],
            material_id: [2; 32],
            nonce: [3; 12],
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let m = [9u8; 32];
        let ctx: EncryptionContext = [("aws:s3:arn".into(), "arn:aws:s3:::b/k".into())].into();
        let blob = seal(&header(), &m, b"data key", &ctx).unwrap();
        assert_eq!(blob.len(), HEADER_LEN + 8 + TAG_LEN);
        assert_eq!(parse_header(&blob).unwrap(), header());
        assert_eq!(open(&blob, &m, &ctx).unwrap().as_slice(), b"data key");
        assert_eq!(
            open(&blob, &m, &EncryptionContext::new()),
            Err(BlobError::Unauthentic)
        );
        assert_eq!(open(&blob, &[8u8; 32], &ctx), Err(BlobError::Unauthentic));
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert!(open(&bad, &m, &ctx).is_err(), "flip at {i} went unnoticed");
        }
        assert_eq!(parse_header(&blob[..20]), Err(BlobError::Malformed));
    }

    #[test]
    fn uuid_bytes_round_trip() {
        let s = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let b = uuid_bytes::parse(s).unwrap();
        assert_eq!(uuid_bytes::format(&b), s);
        assert!(uuid_bytes::parse("1234abcd12ab34cd56ef1234567890ab").is_none());
        assert!(uuid_bytes::parse("1234abcd-12ab-34cd-56ef-1234567890ag").is_none());
        assert!(uuid_bytes::parse("1234abcd-12ab-34cd-56ef1-234567890ab").is_none());
    }
}
