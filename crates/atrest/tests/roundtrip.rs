//! Round trips at every interesting size, both backends, every way of pushing.

mod common;

use std::io::Cursor;

use common::{cs, ctx, data, decrypt_full, encrypt, encrypt_with, key, NONCE};
use s3lab_atrest::{
    parse_header, stored_len, AtRestError, Backend, ChunkSize, Decryptor, Encryptor, HEADER_LEN,
};

fn sizes(c: usize) -> Vec<usize> {
    let mut v = vec![0, 1, c.saturating_sub(1), c, c + 1, 2 * c, 3 * c + 5];
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn round_trips_at_chunk_boundaries() {
    for c in [1u32, 16, 17, 64, 65536] {
        for size in sizes(c as usize) {
            let plain = data(size, size as u64 + u64::from(c));
            for backend in Backend::ALL {
                let blob = encrypt(&plain, cs(c), backend);
                assert_eq!(
                    blob.len() as u64,
                    stored_len(size as u64, cs(c)).expect("fits")
                );
                let back = decrypt_full(&blob, size as u64, backend).expect("decrypts");
                assert_eq!(back, plain, "c={c} size={size} {backend:?}");
            }
        }
    }
}

#[test]
fn how_data_is_pushed_does_not_change_the_blob() {
    for c in [16u32, 64] {
        for size in sizes(c as usize) {
            let plain = data(size, 7);
            let whole = encrypt_with(&plain, cs(c), NONCE, ctx(), Backend::Ring, 0);
            for piece in [
                1,
                3,
                7,
                c as usize - 1,
                c as usize,
                c as usize + 1,
                2 * c as usize + 3,
            ] {
                let pieces = encrypt_with(&plain, cs(c), NONCE, ctx(), Backend::Ring, piece);
                assert_eq!(pieces, whole, "c={c} size={size} piece={piece}");
            }
        }
    }
    // Empty pushes change nothing either.
    let plain = data(40, 1);
    let mut enc = Encryptor::new(&key(), NONCE, cs(16), ctx(), Backend::Ring);
    let mut blob = enc.header().to_vec();
    enc.push(&[], &mut blob).expect("push");
    enc.push(&plain[..16], &mut blob).expect("push");
    enc.push(&[], &mut blob).expect("push");
    enc.push(&plain[16..], &mut blob).expect("push");
    enc.push(&[], &mut blob).expect("push");
    enc.finish(&mut blob).expect("finish");
    assert_eq!(blob, encrypt(&plain, cs(16), Backend::Ring));
}

#[test]
fn push_holds_back_at_most_one_chunk() {
    let mut enc = Encryptor::new(&key(), NONCE, cs(16), ctx(), Backend::Ring);
    let mut out = Vec::new();
    // Exactly one chunk: it might be the final one, so nothing is sealed yet.
    enc.push(&[1; 16], &mut out).expect("push");
    assert!(out.is_empty());
    // One more byte: the first chunk is now known not to be final.
    enc.push(&[2], &mut out).expect("push");
    assert_eq!(out.len(), 32);
    out.clear();
    enc.push(&[3; 100], &mut out).expect("push");
    // 1 + 100 = 101 bytes pending before sealing: 6 full chunks are sealed, 5 bytes held back.
    assert_eq!(out.len(), 6 * 32);
    out.clear();
    let summary = enc.finish(&mut out).expect("finish");
    assert_eq!(out.len(), 5 + 16);
    assert_eq!(summary.plain_len, 117);
    assert_eq!(summary.chunks, 8);
    assert_eq!(summary.stored_len, stored_len(117, cs(16)).expect("fits"));
}

#[test]
fn both_backends_write_identical_bytes_and_open_each_others() {
    for c in [16u32, 64, 65536] {
        for size in sizes(c as usize).into_iter().chain([5 * c as usize + 11]) {
            let plain = data(size, 99);
            let ring = encrypt(&plain, cs(c), Backend::Ring);
            let rust = encrypt(&plain, cs(c), Backend::RustCrypto);
            assert_eq!(ring, rust, "c={c} size={size}");
            assert_eq!(
                decrypt_full(&ring, size as u64, Backend::RustCrypto),
                Ok(plain.clone())
            );
            assert_eq!(decrypt_full(&rust, size as u64, Backend::Ring), Ok(plain));
        }
    }
}

#[test]
fn decryptor_opens_chunks_in_any_order() {
    let plain = data(3 * 16 + 5, 3);
    let blob = encrypt(&plain, cs(16), Backend::Ring);
    let header = parse_header(&blob).expect("header");
    let dec = Decryptor::new(
        &key(),
        &header,
        plain.len() as u64,
        ctx(),
        Backend::RustCrypto,
    );
    assert_eq!(dec.chunk_count(), 4);
    assert_eq!(dec.plain_len(), 53);
    for index in [3u64, 1, 0, 2] {
        let start = header.chunk_offset(index).expect("offset") as usize;
        let len = dec.stored_chunk_len(index).expect("len");
        let chunk = dec
            .open_chunk(index, &blob[start..start + len])
            .expect("opens");
        let p = index as usize * 16;
        assert_eq!(chunk, &plain[p..(p + 16).min(plain.len())]);
    }
    assert_eq!(
        dec.open_chunk(4, &blob[32..48]),
        Err(AtRestError::NoSuchChunk {
            index: 4,
            chunks: 4
        })
    );
    assert_eq!(
        dec.open_chunk(0, &blob[32..63]),
        Err(AtRestError::Truncated {
            expected: 32,
            actual: 31
        })
    );
    assert_eq!(
        dec.open_chunk(0, &blob[32..65]),
        Err(AtRestError::TrailingData {
            expected: 32,
            actual: 33
        })
    );
}

#[test]
fn encrypt_stream_writes_the_same_blob() {
    for c in [16u32, 64, 65536] {
        for size in sizes(c as usize).into_iter().chain([200_000]) {
            let plain = data(size, 5);
            let mut streamed = Vec::new();
            let summary = Encryptor::new(&key(), NONCE, cs(c), ctx(), Backend::Ring)
                .encrypt_stream(Cursor::new(&plain), &mut streamed)
                .expect("streams");
            assert_eq!(
                streamed,
                encrypt(&plain, cs(c), Backend::Ring),
                "c={c} size={size}"
            );
            assert_eq!(summary.plain_len, size as u64);
            assert_eq!(summary.stored_len, streamed.len() as u64);
        }
    }
}

#[test]
fn an_empty_object_is_one_authenticated_empty_chunk() {
    let blob = encrypt(b"", ChunkSize::DEFAULT, Backend::Ring);
    assert_eq!(blob.len(), HEADER_LEN + 16);
    assert_eq!(decrypt_full(&blob, 0, Backend::Ring), Ok(Vec::new()));
    // Without its final chunk the empty object does not open.
    assert_eq!(
        decrypt_full(&blob[..HEADER_LEN], 0, Backend::Ring),
        Err(AtRestError::Truncated {
            expected: 48,
            actual: 32
        })
    );
}

#[test]
fn different_base_nonces_give_unrelated_ciphertexts() {
    let plain = data(64, 8);
    let a = encrypt_with(&plain, cs(16), [1; 12], ctx(), Backend::Ring, 0);
    let b = encrypt_with(&plain, cs(16), [2; 12], ctx(), Backend::Ring, 0);
    assert_eq!(a.len(), b.len());
    let same = a[HEADER_LEN..]
        .iter()
        .zip(&b[HEADER_LEN..])
        .filter(|(x, y)| x == y)
        .count();
    assert!(same < 16, "{same} equal bytes");
}
