//! The cryptographic core: V3 key derivation and commitment (reference §4.3), AES-GCM as a
//! stream (one cipher across every part of an upload, bounded memory), AES-CTR for ranged reads,
//! and the legacy CBC decryption.

use aes::cipher::{
    generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit, KeyIvInit, StreamCipher,
};
use aes::Aes256;
use ghash::universal_hash::UniversalHash;
use ghash::GHash;
use hkdf::Hkdf;
use sha2::Sha512;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CseError, Result};

/// A 256-bit key that wipes itself.
pub type Key32 = Zeroizing<[u8; 32]>;

/// The GCM tag length every suite uses.
pub const TAG_LEN: usize = 16;
/// V3: the message id (HKDF salt) and the commitment are 28 bytes.
pub const MESSAGE_ID_LEN: usize = 28;
pub const COMMITMENT_LEN: usize = 28;
/// V3 content IV: twelve 0x01 bytes.
pub const V3_IV: [u8; 12] = [0x01; 12];
/// V3 content AAD: the suite id 0x0073, big-endian.
pub const V3_AAD: [u8; 2] = [0x00, 0x73];
/// The most plaintext AES-GCM takes under one key and IV (2^36 - 32 bytes).
pub const GCM_MAX_PLAINTEXT: u64 = (1 << 36) - 32;

/// The V3 derived content key and key commitment for `data_key` and `message_id`.
///
/// `PRK = HMAC-SHA512(salt = message id, IKM = data key)`;
/// `DEK = HKDF-Expand(PRK, 00 73 ‖ "DERIVEKEY", 32)`; `commit = HKDF-Expand(PRK, 00 73 ‖ "COMMITKEY", 28)`.
pub fn derive_v3(data_key: &[u8; 32], message_id: &[u8]) -> (Key32, [u8; COMMITMENT_LEN]) {
    let hk = Hkdf::<Sha512>::new(Some(message_id), data_key);
    let mut dek = Zeroizing::new([0u8; 32]);
    let mut commit = [0u8; COMMITMENT_LEN];
    // 32 and 28 bytes are far below HKDF-SHA512's 255 * 64 limit: expand cannot fail.
    let _ = hk.expand(b"\x00\x73DERIVEKEY", dek.as_mut());
    let _ = hk.expand(b"\x00\x73COMMITKEY", &mut commit);
    (dek, commit)
}

/// Compares a stored commitment with the derived one in constant time.
pub fn verify_commitment(stored: &[u8], derived: &[u8; COMMITMENT_LEN]) -> Result<()> {
    if stored.len() == COMMITMENT_LEN && bool::from(stored.ct_eq(derived)) {
        Ok(())
    } else {
        Err(CseError::CommitmentMismatch)
    }
}

type Ctr = ctr::Ctr32BE<Aes256>;

/// AES-256-GCM over a stream: CTR for the data, GHASH over the AAD and the ciphertext.
///
/// It produces exactly what a one-shot AES-GCM produces, whatever the chunking (tested against
/// the `aes-gcm` crate), so a body can be encrypted across several multipart uploads' parts.
pub struct GcmStream {
    ctr: Ctr,
    ghash: GHash,
    ek_j0: Zeroizing<[u8; 16]>,
    pending: [u8; 16],
    pending_len: usize,
    aad_len: u64,
    ct_len: u64,
}

impl GcmStream {
    /// A stream for `key` and a 12-byte `iv`, with `aad` already absorbed.
    pub fn new(key: &[u8; 32], iv: &[u8; 12], aad: &[u8]) -> Self {
        let cipher = Aes256::new(GenericArray::from_slice(key));
        let mut h = GenericArray::default();
        cipher.encrypt_block(&mut h);
        let mut ghash = GHash::new(&h);
        h.zeroize();
        ghash.update_padded(aad);
        let mut j0 = [0u8; 16];
        j0[..12].copy_from_slice(iv);
        j0[15] = 1;
        let mut ek = GenericArray::clone_from_slice(&j0);
        cipher.encrypt_block(&mut ek);
        let mut ek_j0 = Zeroizing::new([0u8; 16]);
        ek_j0.copy_from_slice(&ek);
        ek.zeroize();
        // The first data block uses inc32(J0).
        j0[15] = 2;
        let ctr = Ctr::new(GenericArray::from_slice(key), GenericArray::from_slice(&j0));
        GcmStream {
            ctr,
            ghash,
            ek_j0,
            pending: [0; 16],
            pending_len: 0,
            aad_len: aad.len() as u64,
            ct_len: 0,
        }
    }

    fn count(&mut self, n: usize) -> Result<()> {
        self.ct_len = self.ct_len.saturating_add(n as u64);
        if self.ct_len > GCM_MAX_PLAINTEXT {
            return Err(CseError::TooLarge);
        }
        Ok(())
    }

    fn absorb(&mut self, mut ct: &[u8]) {
        if self.pending_len > 0 {
            let take = (16 - self.pending_len).min(ct.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&ct[..take]);
            self.pending_len += take;
            ct = &ct[take..];
            if self.pending_len == 16 {
                let block = GenericArray::clone_from_slice(&self.pending);
                self.ghash.update(&[block]);
                self.pending_len = 0;
            }
        }
        let full = ct.len() / 16 * 16;
        if full > 0 {
            let blocks: Vec<ghash::Block> = ct[..full]
                .chunks_exact(16)
                .map(GenericArray::clone_from_slice)
                .collect();
            self.ghash.update(&blocks);
        }
        let rest = &ct[full..];
        if !rest.is_empty() {
            self.pending[..rest.len()].copy_from_slice(rest);
            self.pending_len = rest.len();
        }
    }

    /// Encrypts `buf` in place.
    pub fn encrypt(&mut self, buf: &mut [u8]) -> Result<()> {
        self.count(buf.len())?;
        self.ctr.apply_keystream(buf);
        self.absorb(buf);
        Ok(())
    }

    /// Decrypts `buf` in place. The plaintext is not authenticated until [`GcmStream::verify`].
    pub fn decrypt(&mut self, buf: &mut [u8]) -> Result<()> {
        self.count(buf.len())?;
        self.absorb(buf);
        self.ctr.apply_keystream(buf);
        Ok(())
    }

    /// Absorbs ciphertext without decrypting it (the first pass of an authenticated read).
    pub fn authenticate(&mut self, ct: &[u8]) -> Result<()> {
        self.count(ct.len())?;
        self.absorb(ct);
        Ok(())
    }

    /// The tag over everything absorbed.
    pub fn tag(mut self) -> [u8; TAG_LEN] {
        if self.pending_len > 0 {
            let n = self.pending_len;
            let mut block = [0u8; 16];
            block[..n].copy_from_slice(&self.pending[..n]);
            self.ghash.update_padded(&block[..n]);
        }
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(self.aad_len * 8).to_be_bytes());
        lengths[8..].copy_from_slice(&(self.ct_len * 8).to_be_bytes());
        self.ghash
            .update(&[GenericArray::clone_from_slice(&lengths)]);
        let s = self.ghash.finalize();
        let mut tag = [0u8; TAG_LEN];
        for (i, t) in tag.iter_mut().enumerate() {
            *t = s[i] ^ self.ek_j0[i];
        }
        tag
    }

    /// Checks `tag` in constant time.
    pub fn verify(self, tag: &[u8]) -> Result<()> {
        let expected = self.tag();
        if tag.len() == TAG_LEN && bool::from(expected.ct_eq(tag)) {
            Ok(())
        } else {
            Err(CseError::AuthenticationFailed)
        }
    }
}

/// AES-256-CTR positioned at a block of a GCM body: the counter `IV12 ‖ BE32(2 + block)`
/// (GCM's inc32(J0), advanced by the block offset; reference §4.6). Unauthenticated.
pub struct CtrAt(Ctr);

impl CtrAt {
    pub fn new(key: &[u8; 32], iv: &[u8; 12], first_block: u64) -> Self {
        let mut counter = [0u8; 16];
        counter[..12].copy_from_slice(iv);
        let n = 2u32.wrapping_add(first_block as u32);
        counter[12..].copy_from_slice(&n.to_be_bytes());
        CtrAt(Ctr::new(
            GenericArray::from_slice(key),
            GenericArray::from_slice(&counter),
        ))
    }

    pub fn apply(&mut self, buf: &mut [u8]) {
        self.0.apply_keystream(buf);
    }
}

/// AES-256-CBC decryption as a stream, with PKCS#7 padding removed at the end (legacy V1 and
/// V2-CBC). Every failure gives the same error.
pub struct CbcDecryptStream {
    cipher: Aes256,
    prev: [u8; 16],
    pending: Vec<u8>,
    /// The last decrypted block is held back until the end (it carries the padding).
    held: Option<Zeroizing<[u8; 16]>>,
}

impl CbcDecryptStream {
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        CbcDecryptStream {
            cipher: Aes256::new(GenericArray::from_slice(key)),
            prev: *iv,
            pending: Vec::with_capacity(16),
            held: None,
        }
    }

    /// Decrypts what it can of `ct`, appending plaintext to `out`.
    pub fn update(&mut self, ct: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(ct);
        let full = self.pending.len() / 16 * 16;
        let blocks: Vec<u8> = self.pending.drain(..full).collect();
        for c in blocks.chunks_exact(16) {
            let mut b = GenericArray::clone_from_slice(c);
            self.cipher.decrypt_block(&mut b);
            let mut p = Zeroizing::new([0u8; 16]);
            for i in 0..16 {
                p[i] = b[i] ^ self.prev[i];
            }
            self.prev.copy_from_slice(c);
            if let Some(h) = self.held.replace(p) {
                out.extend_from_slice(h.as_ref());
            }
        }
    }

    /// Removes the padding from the last block.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<()> {
        if !self.pending.is_empty() {
            return Err(CseError::CbcFailed);
        }
        let last = self.held.ok_or(CseError::CbcFailed)?;
        let pad = last[15] as usize;
        if pad == 0 || pad > 16 || last[16 - pad..].iter().any(|&b| b as usize != pad) {
            return Err(CseError::CbcFailed);
        }
        out.extend_from_slice(&last[..16 - pad]);
        Ok(())
    }
}

/// AES-256-ECB with PKCS#7 padding, decrypted (the legacy V1 "AES" data key wrapping).
pub fn aes_ecb_pkcs7_decrypt(key: &[u8; 32], ct: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if ct.is_empty() || !ct.len().is_multiple_of(16) {
        return None;
    }
    let cipher = Aes256::new(GenericArray::from_slice(key));
    let mut out = Zeroizing::new(ct.to_vec());
    for block in out.chunks_exact_mut(16) {
        cipher.decrypt_block(GenericArray::from_mut_slice(block));
    }
    let pad = *out.last()? as usize;
    if pad == 0 || pad > 16 || out[out.len() - pad..].iter().any(|&b| b as usize != pad) {
        return None;
    }
    let n = out.len() - pad;
    out.truncate(n);
    Some(out)
}

/// RFC 3394 AES key unwrap with the default IV (the legacy `AESWrap`).
pub fn aes_key_unwrap(kek: &[u8; 32], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return None;
    }
    let n = wrapped.len() / 8 - 1;
    let cipher = Aes256::new(GenericArray::from_slice(kek));
    let mut a = [0u8; 8];
    a.copy_from_slice(&wrapped[..8]);
    let mut r = Zeroizing::new(wrapped[8..].to_vec());
    for j in (0..6u64).rev() {
        for i in (1..=n).rev() {
            let t = (n as u64) * j + i as u64;
            let mut b = [0u8; 16];
            for (k, x) in t.to_be_bytes().iter().enumerate() {
                b[k] = a[k] ^ x;
            }
            b[8..].copy_from_slice(&r[(i - 1) * 8..i * 8]);
            let mut block = GenericArray::clone_from_slice(&b);
            cipher.decrypt_block(&mut block);
            a.copy_from_slice(&block[..8]);
            r[(i - 1) * 8..i * 8].copy_from_slice(&block[8..]);
            b.zeroize();
            block.zeroize();
        }
    }
    if bool::from(a.ct_eq(&[0xA6; 8])) {
        Some(r)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::{Aead, Payload};
    use aes_gcm::Aes256Gcm;

    fn oneshot(key: &[u8; 32], iv: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let c = Aes256Gcm::new(GenericArray::from_slice(key));
        c.encrypt(GenericArray::from_slice(iv), Payload { msg: pt, aad })
            .unwrap_or_default()
    }

    #[test]
    fn streaming_gcm_matches_one_shot_for_any_chunking() {
        let key = [7u8; 32];
        let iv = [9u8; 12];
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 150, 1000] {
            let pt: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let expected = oneshot(&key, &iv, &V3_AAD, &pt);
            for chunk in [1usize, 3, 16, 17, 64] {
                let mut g = GcmStream::new(&key, &iv, &V3_AAD);
                let mut ct = pt.clone();
                for piece in ct.chunks_mut(chunk) {
                    g.encrypt(piece).unwrap_or(());
                }
                ct.extend_from_slice(&g.tag());
                assert_eq!(ct, expected, "len {len} chunk {chunk}");

                let mut d = GcmStream::new(&key, &iv, &V3_AAD);
                let (body, tag) = ct.split_at_mut(len);
                for piece in body.chunks_mut(chunk) {
                    d.decrypt(piece).unwrap_or(());
                }
                assert!(d.verify(tag).is_ok());
                assert_eq!(body, &pt[..]);
            }
        }
    }

    #[test]
    fn a_flipped_bit_fails_the_tag() {
        let key = [1u8; 32];
        let iv = [2u8; 12];
        let mut ct = oneshot(&key, &iv, &[], b"hello world");
        ct[3] ^= 1;
        let mut d = GcmStream::new(&key, &iv, &[]);
        let (body, tag) = ct.split_at_mut(11);
        d.decrypt(body).unwrap_or(());
        assert!(matches!(d.verify(tag), Err(CseError::AuthenticationFailed)));
    }

    #[test]
    fn ctr_at_a_block_matches_the_gcm_keystream() {
        let key = [3u8; 32];
        let iv = [4u8; 12];
        let pt = vec![0x5a; 200];
        let ct = oneshot(&key, &iv, &[], &pt);
        let mut part = ct[48..100].to_vec();
        CtrAt::new(&key, &iv, 3).apply(&mut part);
        assert_eq!(part, pt[48..100]);
    }

    #[test]
    fn key_unwrap_matches_rfc3394_vector() {
        // RFC 3394 §4.6: 256-bit KEK, 256-bit key data.
        let kek: [u8; 32] = core::array::from_fn(|i| i as u8);
        let wrapped = hex::decode(
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21",
        )
        .unwrap_or_default();
        let key = aes_key_unwrap(&kek, &wrapped).unwrap_or_default();
        assert_eq!(
            hex::encode(key.as_slice()),
            "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f"
        );
        let mut bad = wrapped.clone();
        bad[10] ^= 1;
        assert!(aes_key_unwrap(&kek, &bad).is_none());
    }

    #[test]
    fn cbc_stream_removes_padding_and_fails_uniformly() {
        // Encrypt with the block cipher by hand, then stream-decrypt in odd pieces.
        let key = [5u8; 32];
        let iv = [6u8; 16];
        let cipher = Aes256::new(GenericArray::from_slice(&key));
        for len in [0usize, 1, 15, 16, 17, 40] {
            let mut pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let pad = 16 - len % 16;
            let mut padded = pt.clone();
            padded.extend(std::iter::repeat_n(pad as u8, pad));
            let mut prev = iv;
            let mut ct = Vec::new();
            for block in padded.chunks(16) {
                let mut b = [0u8; 16];
                for i in 0..16 {
                    b[i] = block[i] ^ prev[i];
                }
                let mut g = GenericArray::clone_from_slice(&b);
                cipher.encrypt_block(&mut g);
                prev.copy_from_slice(&g);
                ct.extend_from_slice(&g);
            }
            let mut d = CbcDecryptStream::new(&key, &iv);
            let mut out = Vec::new();
            for piece in ct.chunks(7) {
                d.update(piece, &mut out);
            }
            assert!(d.finish(&mut out).is_ok());
            assert_eq!(out, pt);
            pt.clear();
            let mut d = CbcDecryptStream::new(&key, &iv);
            d.update(&ct[..ct.len() - 1], &mut out);
            assert!(matches!(d.finish(&mut out), Err(CseError::CbcFailed)));
        }
    }
}
