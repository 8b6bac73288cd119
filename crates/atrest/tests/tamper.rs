//! Every way of altering a stored blob is detected, and never returns plaintext.

mod common;

use common::{
    cs, ctx, data, decrypt_full, decrypt_full_with, decrypt_range, encrypt, encrypt_with, key,
    other_key,
};
use s3lab_atrest::{
    encode_context, parse_header, plain_len, AtRestError, Backend, Decryptor, HEADER_LEN,
};

const C: usize = 16;
const SC: usize = C + 16;

/// 40 bytes: chunks of 16, 16 and 8 (3 chunks, the last one short).
fn sample() -> (Vec<u8>, Vec<u8>) {
    let plain = data(40, 11);
    let blob = encrypt(&plain, cs(C as u32), Backend::Ring);
    (plain, blob)
}

fn chunk_of(offset: usize) -> u64 {
    ((offset - HEADER_LEN) / SC) as u64
}

#[test]
fn every_single_bit_flip_is_detected() {
    for size in [0usize, 1, 40, 48] {
        let plain = data(size, 2);
        let blob = encrypt(&plain, cs(C as u32), Backend::Ring);
        for byte in 0..blob.len() {
            for bit in 0..8 {
                let mut bad = blob.clone();
                bad[byte] ^= 1 << bit;
                for backend in Backend::ALL {
                    let result = decrypt_full(&bad, size as u64, backend);
                    let err = result.expect_err("a flipped bit must not decrypt");
                    if byte >= HEADER_LEN {
                        // Ciphertext and tag flips name the chunk they hit.
                        assert_eq!(
                            err,
                            AtRestError::Corrupt {
                                chunk: chunk_of(byte)
                            }
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn header_flips_fail_in_the_expected_way() {
    let (_, blob) = sample();
    let flip = |byte: usize, bit: u8| {
        let mut bad = blob.clone();
        bad[byte] ^= 1 << bit;
        decrypt_full(&bad, 40, Backend::Ring).expect_err("detected")
    };
    assert_eq!(flip(0, 0), AtRestError::BadMagic);
    assert_eq!(flip(4, 1), AtRestError::UnsupportedVersion(3));
    assert_eq!(flip(5, 2), AtRestError::UnsupportedAead(5));
    assert_eq!(flip(6, 0), AtRestError::ReservedNotZero { offset: 6 });
    assert_eq!(flip(31, 7), AtRestError::ReservedNotZero { offset: 31 });
    // Chunk size 16 -> 0.
    assert_eq!(flip(11, 4), AtRestError::BadChunkSize(0));
    // Chunk size 16 -> 17: 40 bytes are still 3 chunks (120 bytes), but every tag fails.
    assert_eq!(flip(11, 0), AtRestError::Corrupt { chunk: 0 });
    // Chunk size 16 -> 48: 40 bytes would be one chunk, 88 bytes; the blob is longer.
    assert_eq!(
        flip(11, 5),
        AtRestError::TrailingData {
            expected: 32 + 40 + 16,
            actual: blob.len() as u64
        }
    );
    // The base nonce is only checked by the tags.
    assert_eq!(flip(12, 0), AtRestError::Corrupt { chunk: 0 });
    assert_eq!(flip(23, 7), AtRestError::Corrupt { chunk: 0 });
}

#[test]
fn truncation_is_detected_at_every_length() {
    for size in [0usize, 40, 48] {
        let plain = data(size, 4);
        let blob = encrypt(&plain, cs(C as u32), Backend::Ring);
        for cut in 0..blob.len() {
            let short = &blob[..cut];
            // With the metadata's length: the blob is too short.
            let err = decrypt_full(short, size as u64, Backend::Ring).expect_err("detected");
            assert!(
                matches!(err, AtRestError::Truncated { actual, .. } if actual == cut as u64),
                "cut={cut}: {err:?}"
            );
            // An attacker who also rewrites the metadata to a length that fits the short blob:
            // the new last chunk was not sealed as final.
            if let Ok(p) = plain_len(cut as u64, cs(C as u32)) {
                let err = decrypt_full(short, p, Backend::Ring).expect_err("detected");
                assert!(
                    matches!(err, AtRestError::Corrupt { .. }),
                    "cut={cut}: {err:?}"
                );
            }
        }
    }
}

#[test]
fn dropping_the_final_chunk_is_detected() {
    let (_, blob) = sample();
    let without_final = &blob[..HEADER_LEN + 2 * SC];
    assert_eq!(
        decrypt_full(without_final, 40, Backend::Ring),
        Err(AtRestError::Truncated {
            expected: blob.len() as u64,
            actual: without_final.len() as u64
        })
    );
    // Metadata changed to match (32 bytes): chunk 1 is not a final chunk.
    assert_eq!(
        decrypt_full(without_final, 32, Backend::Ring),
        Err(AtRestError::Corrupt { chunk: 1 })
    );
    // Chunk 0 itself is fine: a range inside it still reads, a range touching chunk 1 fails.
    assert_eq!(
        decrypt_range(without_final, 32, 0, 15, Backend::Ring).map(|v| v.len()),
        Ok(16)
    );
    assert_eq!(
        decrypt_range(without_final, 32, 0, 16, Backend::Ring),
        Err(AtRestError::Corrupt { chunk: 1 })
    );
}

#[test]
fn appending_is_detected() {
    let plain = data(48, 6); // three full chunks
    let blob = encrypt(&plain, cs(C as u32), Backend::Ring);
    // Append a copy of chunk 1 (a real, validly sealed chunk of this very object).
    let mut longer = blob.clone();
    longer.extend_from_slice(&blob[HEADER_LEN + SC..HEADER_LEN + 2 * SC]);
    assert_eq!(
        decrypt_full(&longer, 48, Backend::Ring),
        Err(AtRestError::TrailingData {
            expected: blob.len() as u64,
            actual: longer.len() as u64
        })
    );
    // Metadata changed to match (64 bytes): chunk 2 was sealed final but is not last.
    assert_eq!(
        decrypt_full(&longer, 64, Backend::Ring),
        Err(AtRestError::Corrupt { chunk: 2 })
    );
    // Appending the final chunk again after itself: same story.
    let mut twice = blob.clone();
    twice.extend_from_slice(&blob[HEADER_LEN + 2 * SC..]);
    assert_eq!(
        decrypt_full(&twice, 64, Backend::Ring),
        Err(AtRestError::Corrupt { chunk: 2 })
    );
    // Appending junk.
    let mut junk = blob.clone();
    junk.extend_from_slice(&[0u8; 5]);
    assert!(decrypt_full(&junk, 48, Backend::Ring).is_err());
}

#[test]
fn swapping_chunks_is_detected() {
    let plain = data(48, 12);
    let blob = encrypt(&plain, cs(C as u32), Backend::Ring);
    for (a, b) in [(0usize, 1usize), (0, 2), (1, 2)] {
        let mut swapped = blob.clone();
        let (ra, rb) = (HEADER_LEN + a * SC, HEADER_LEN + b * SC);
        let chunk_a = blob[ra..ra + SC].to_vec();
        swapped.copy_within(rb..rb + SC, ra);
        swapped[rb..rb + SC].copy_from_slice(&chunk_a);
        assert_eq!(
            decrypt_full(&swapped, 48, Backend::Ring),
            Err(AtRestError::Corrupt { chunk: a as u64 }),
            "swap {a} {b}"
        );
    }
}

#[test]
fn chunks_from_another_object_are_rejected() {
    // Same key, same context, same size: only the base nonce differs.
    let one = encrypt_with(&data(48, 1), cs(C as u32), [1; 12], ctx(), Backend::Ring, 0);
    let two = encrypt_with(&data(48, 2), cs(C as u32), [2; 12], ctx(), Backend::Ring, 0);
    for index in 0..3 {
        let r = HEADER_LEN + index * SC;
        let mut spliced = one.clone();
        spliced[r..r + SC].copy_from_slice(&two[r..r + SC]);
        assert_eq!(
            decrypt_full(&spliced, 48, Backend::Ring),
            Err(AtRestError::Corrupt {
                chunk: index as u64
            })
        );
    }
    // The other object's header with this object's chunks.
    let mut header_swapped = one.clone();
    header_swapped[..HEADER_LEN].copy_from_slice(&two[..HEADER_LEN]);
    assert_eq!(
        decrypt_full(&header_swapped, 48, Backend::Ring),
        Err(AtRestError::Corrupt { chunk: 0 })
    );
}

#[test]
fn a_blob_under_another_context_or_key_does_not_open() {
    let (plain, blob) = sample();
    let context_b = encode_context(&[b"bucket", b"other-key", b"1"]);
    for backend in Backend::ALL {
        assert_eq!(
            decrypt_full_with(&blob, &key(), 40, context_b.clone(), backend),
            Err(AtRestError::Corrupt { chunk: 0 })
        );
        assert_eq!(
            decrypt_full_with(&blob, &other_key(), 40, ctx(), backend),
            Err(AtRestError::Corrupt { chunk: 0 })
        );
        assert_eq!(
            decrypt_full_with(&blob, &key(), 40, ctx(), backend),
            Ok(plain.clone())
        );
    }
    // Part number matters too.
    let part_2 = encode_context(&[b"bucket", b"key", b"2"]);
    assert!(decrypt_full_with(&blob, &key(), 40, part_2, Backend::Ring).is_err());
    // The empty context is a context like any other.
    assert!(decrypt_full_with(&blob, &key(), 40, Vec::new(), Backend::Ring).is_err());
}

#[test]
fn a_failed_chunk_leaves_no_plaintext_behind() {
    let (_, blob) = sample();
    let header = parse_header(&blob).expect("header");
    for backend in Backend::ALL {
        let dec = Decryptor::new(&key(), &header, 40, b"wrong".to_vec(), backend);
        let mut buf = blob[HEADER_LEN..HEADER_LEN + SC].to_vec();
        assert_eq!(
            dec.open_chunk_in_place(0, &mut buf),
            Err(AtRestError::Corrupt { chunk: 0 })
        );
        assert!(buf.is_empty());
    }
}

#[test]
fn the_final_flag_is_checked_per_chunk() {
    let (_, blob) = sample();
    let header = parse_header(&blob).expect("header");
    // A decryptor that believes the object is 32 bytes treats chunk 1 as final.
    let dec = Decryptor::new(&key(), &header, 32, ctx(), Backend::Ring);
    let chunk_1 = &blob[HEADER_LEN + SC..HEADER_LEN + 2 * SC];
    assert_eq!(
        dec.open_chunk(1, chunk_1),
        Err(AtRestError::Corrupt { chunk: 1 })
    );
    // One that knows the real length opens it.
    let dec = Decryptor::new(&key(), &header, 40, ctx(), Backend::Ring);
    assert!(dec.open_chunk(1, chunk_1).is_ok());
}

#[test]
fn a_wrong_plain_len_in_the_metadata_fails_cleanly() {
    let (_, blob) = sample();
    for wrong in [0u64, 1, 8, 16, 24, 32, 33, 39, 41, 48, 1 << 40] {
        assert!(
            decrypt_full(&blob, wrong, Backend::Ring).is_err(),
            "plain_len {wrong}"
        );
        assert!(
            decrypt_range(&blob, wrong, 0, 0, Backend::Ring).is_err(),
            "plain_len {wrong}"
        );
    }
    assert_eq!(
        decrypt_full(&blob, u64::MAX, Backend::Ring),
        Err(AtRestError::TooLarge(u64::MAX))
    );
}

#[test]
fn not_a_blob_at_all() {
    assert_eq!(
        decrypt_full(b"", 0, Backend::Ring),
        Err(AtRestError::Truncated {
            expected: 32,
            actual: 0
        })
    );
    assert_eq!(
        decrypt_full(&[0u8; 48], 0, Backend::Ring),
        Err(AtRestError::BadMagic)
    );
}
