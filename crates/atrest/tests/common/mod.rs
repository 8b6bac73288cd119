//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Cursor;

use s3lab_atrest::{AtRestError, Backend, ChunkSize, Encryptor, RangeReader};
use zeroize::Zeroizing;

pub const NONCE: [u8; 12] = [0x5a; 12];

pub fn key() -> Zeroizing<[u8; 32]> {
    Zeroizing::new(std::array::from_fn(|i| {
        (i as u8).wrapping_mul(13).wrapping_add(1)
    }))
}

pub fn other_key() -> Zeroizing<[u8; 32]> {
    Zeroizing::new([0xee; 32])
}

pub fn ctx() -> Vec<u8> {
    s3lab_atrest::encode_context(&[b"bucket", b"key", b"1"])
}

pub fn cs(bytes: u32) -> ChunkSize {
    ChunkSize::new(bytes).expect("valid chunk size")
}

/// Deterministic pseudo-random bytes (xorshift64*).
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Encrypts `plain` pushing it in pieces of `piece` bytes (0 = all at once).
pub fn encrypt_with(
    plain: &[u8],
    chunk: ChunkSize,
    nonce: [u8; 12],
    context: Vec<u8>,
    backend: Backend,
    piece: usize,
) -> Vec<u8> {
    let mut enc = Encryptor::new(&key(), nonce, chunk, context, backend);
    let mut blob = enc.header().to_vec();
    if piece == 0 {
        enc.push(plain, &mut blob).expect("push");
    } else {
        for part in plain.chunks(piece) {
            enc.push(part, &mut blob).expect("push");
        }
    }
    let summary = enc.finish(&mut blob).expect("finish");
    assert_eq!(summary.plain_len, plain.len() as u64);
    assert_eq!(summary.stored_len, blob.len() as u64);
    blob
}

pub fn encrypt(plain: &[u8], chunk: ChunkSize, backend: Backend) -> Vec<u8> {
    encrypt_with(plain, chunk, NONCE, ctx(), backend, 0)
}

/// Decrypts a whole blob through `RangeReader::full`, collecting every chunk.
pub fn decrypt_full_with(
    blob: &[u8],
    key: &[u8; 32],
    plain_len: u64,
    context: Vec<u8>,
    backend: Backend,
) -> Result<Vec<u8>, AtRestError> {
    let reader = RangeReader::full(Cursor::new(blob), key, context, backend, plain_len)?;
    let mut out = Vec::new();
    for chunk in reader {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

pub fn decrypt_full(blob: &[u8], plain_len: u64, backend: Backend) -> Result<Vec<u8>, AtRestError> {
    decrypt_full_with(blob, &key(), plain_len, ctx(), backend)
}

/// Decrypts bytes `start..=end` through `RangeReader::new`.
pub fn decrypt_range(
    blob: &[u8],
    plain_len: u64,
    start: u64,
    end: u64,
    backend: Backend,
) -> Result<Vec<u8>, AtRestError> {
    let reader = RangeReader::new(
        Cursor::new(blob),
        &key(),
        ctx(),
        backend,
        plain_len,
        start,
        end,
    )?;
    let mut out = Vec::new();
    for chunk in reader {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}
