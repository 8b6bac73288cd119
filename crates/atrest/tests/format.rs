//! The header, the size arithmetic, the raw AEADs, and golden vectors that pin the format.

mod common;

use common::{cs, decrypt_full_with};
use s3lab_atrest::{
    aead, chunk_count, encode_context, parse_header, plain_len, stored_len, AeadId, Algorithm,
    AtRestError, Backend, ChunkSize, Encryptor, Header, HEADER_LEN, MAX_CHUNK_SIZE,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

// Computed from the crate docs' description alone with Python's `cryptography` AESGCM (an
// independent AES-GCM implementation): key 00..1f, base nonce a0..ab, chunk size 16, context
// encode_context(["bucket", "key"]).
const GOLDEN_TEXT: &str = "53334c420101000000000010a0a1a2a3a4a5a6a7a8a9aaab0000000000000000\
ae7d10412ae722cc5109e6b1271bb4f3bc7544ad30c799585845b82c025c6566\
27fbb013f08972eb8bb6a9a438218483c525c72ac8bb7a2c3b33205e";
const GOLDEN_EMPTY: &str = "53334c420101000000000010a0a1a2a3a4a5a6a7a8a9aaab0000000000000000\
8a67bc8d28ba35f3c977b845a13dfdfb";

fn golden(plain: &[u8], backend: Backend) -> Vec<u8> {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let nonce: [u8; 12] = std::array::from_fn(|i| 0xa0 + i as u8);
    let context = encode_context(&[b"bucket", b"key"]);
    let mut enc = Encryptor::new(&key, nonce, cs(16), context, backend);
    let mut blob = enc.header().to_vec();
    enc.push(plain, &mut blob).expect("push");
    enc.finish(&mut blob).expect("finish");
    blob
}

#[test]
fn golden_vectors_match_an_independent_implementation() {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let context = encode_context(&[b"bucket", b"key"]);
    for backend in Backend::ALL {
        let blob = golden(b"Hello, s3lab at-rest format!", backend);
        assert_eq!(blob, hex(GOLDEN_TEXT), "{backend:?}");
        let back = decrypt_full_with(&blob, &key, 28, context.clone(), backend).expect("opens");
        assert_eq!(back, b"Hello, s3lab at-rest format!");

        let empty = golden(b"", backend);
        assert_eq!(empty, hex(GOLDEN_EMPTY), "{backend:?}");
        let back = decrypt_full_with(&empty, &key, 0, context.clone(), backend).expect("opens");
        assert!(back.is_empty());
    }
}

#[test]
fn header_round_trips_and_is_laid_out_as_documented() {
    let header = Header::new(cs(65536), [9; 12]);
    let bytes = header.to_bytes();
    assert_eq!(bytes.len(), HEADER_LEN);
    assert_eq!(&bytes[0..4], b"S3LB");
    assert_eq!(bytes[4], 1);
    assert_eq!(bytes[5], 1);
    assert_eq!(&bytes[6..8], &[0, 0]);
    assert_eq!(&bytes[8..12], &[0, 1, 0, 0]);
    assert_eq!(&bytes[12..24], &[9; 12]);
    assert_eq!(&bytes[24..32], &[0; 8]);
    let parsed = parse_header(&bytes).expect("parses");
    assert_eq!(parsed, header);
    assert_eq!(parsed.version(), 1);
    assert_eq!(parsed.algorithm(), Algorithm::Aes256Gcm);
    assert_eq!(parsed.chunk_size(), ChunkSize::DEFAULT);
    assert_eq!(parsed.base_nonce(), [9; 12]);
    // Trailing bytes (the rest of a blob) are ignored.
    let mut longer = bytes.to_vec();
    longer.extend_from_slice(&[1, 2, 3]);
    assert_eq!(parse_header(&longer).expect("parses"), header);
}

#[test]
fn bad_headers_are_rejected_with_the_right_error() {
    let good = Header::new(cs(16), [3; 12]).to_bytes();
    let with = |i: usize, v: u8| {
        let mut b = good;
        b[i] = v;
        b
    };
    assert_eq!(
        parse_header(&good[..31]),
        Err(AtRestError::Truncated {
            expected: 32,
            actual: 31
        })
    );
    assert_eq!(
        parse_header(&[]),
        Err(AtRestError::Truncated {
            expected: 32,
            actual: 0
        })
    );
    assert_eq!(parse_header(&with(0, b'X')), Err(AtRestError::BadMagic));
    assert_eq!(parse_header(&with(3, b'b')), Err(AtRestError::BadMagic));
    assert_eq!(
        parse_header(&with(4, 2)),
        Err(AtRestError::UnsupportedVersion(2))
    );
    assert_eq!(
        parse_header(&with(4, 0)),
        Err(AtRestError::UnsupportedVersion(0))
    );
    assert_eq!(
        parse_header(&with(5, 2)),
        Err(AtRestError::UnsupportedAead(2))
    );
    assert_eq!(
        parse_header(&with(5, 0)),
        Err(AtRestError::UnsupportedAead(0))
    );
    for offset in [6, 7, 24, 25, 31] {
        assert_eq!(
            parse_header(&with(offset, 0x80)),
            Err(AtRestError::ReservedNotZero { offset })
        );
    }
    let mut zero = good;
    zero[8..12].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(parse_header(&zero), Err(AtRestError::BadChunkSize(0)));
    let mut huge = good;
    huge[8..12].copy_from_slice(&(MAX_CHUNK_SIZE + 1).to_be_bytes());
    assert_eq!(
        parse_header(&huge),
        Err(AtRestError::BadChunkSize(MAX_CHUNK_SIZE + 1))
    );
}

#[test]
fn chunk_size_bounds() {
    assert_eq!(ChunkSize::new(0), Err(AtRestError::BadChunkSize(0)));
    assert_eq!(ChunkSize::new(1).map(ChunkSize::get), Ok(1));
    assert_eq!(
        ChunkSize::new(MAX_CHUNK_SIZE).map(ChunkSize::get),
        Ok(MAX_CHUNK_SIZE)
    );
    assert!(ChunkSize::new(MAX_CHUNK_SIZE + 1).is_err());
    assert_eq!(ChunkSize::try_from(64), ChunkSize::new(64));
    assert_eq!(ChunkSize::default().get(), 65536);
}

#[test]
fn stored_len_and_plain_len_are_inverse() {
    for c in [1u32, 2, 3, 15, 16, 17, 64, 100] {
        let chunk = cs(c);
        let c64 = u64::from(c);
        let max_p = 6 * c64 + 5;
        let mut valid = 0u64;
        for p in 0..=max_p {
            let s = stored_len(p, chunk).expect("fits");
            assert_eq!(plain_len(s, chunk), Ok(p), "c={c} p={p}");
            assert_eq!(s, 32 + p + 16 * chunk_count(p, chunk));
            valid += 1;
        }
        // Every stored length up to the largest is either exactly one plaintext length's, or
        // impossible.
        let max_s = stored_len(max_p, chunk).expect("fits");
        let mut seen = 0u64;
        for s in 0..=max_s {
            match plain_len(s, chunk) {
                Ok(p) => {
                    assert_eq!(stored_len(p, chunk), Ok(s), "c={c} s={s}");
                    seen += 1;
                }
                Err(err) => assert_eq!(err, AtRestError::ImpossibleStoredLength(s)),
            }
        }
        assert_eq!(seen, valid, "c={c}");
    }
    // Examples from the docs.
    assert_eq!(stored_len(0, cs(16)), Ok(48));
    assert_eq!(stored_len(28, cs(16)), Ok(92));
    assert_eq!(stored_len(65536, ChunkSize::DEFAULT), Ok(32 + 65536 + 16));
    assert_eq!(stored_len(65537, ChunkSize::DEFAULT), Ok(32 + 65537 + 32));
    assert!(plain_len(47, cs(16)).is_err());
    assert!(plain_len(31, cs(16)).is_err());
    // A full chunk followed by an empty final chunk is never written.
    assert!(plain_len(32 + 32 + 16, cs(16)).is_err());
    // Huge values: no overflow, no panic.
    assert_eq!(
        stored_len(u64::MAX, cs(16)),
        Err(AtRestError::TooLarge(u64::MAX))
    );
    let big = u64::MAX / 2;
    let s = stored_len(big, ChunkSize::DEFAULT).expect("fits");
    assert_eq!(plain_len(s, ChunkSize::DEFAULT), Ok(big));
    let _ = plain_len(u64::MAX, cs(1));
    let _ = plain_len(u64::MAX, cs(MAX_CHUNK_SIZE));
}

#[test]
fn chunk_geometry() {
    let h = Header::new(cs(16), [0xa0; 12]);
    assert_eq!(h.chunk_count(0), 1);
    assert_eq!(h.chunk_count(16), 1);
    assert_eq!(h.chunk_count(17), 2);
    assert_eq!(h.chunk_plain_len(40, 0), Ok(16));
    assert_eq!(h.chunk_plain_len(40, 2), Ok(8));
    assert_eq!(h.chunk_plain_len(48, 2), Ok(16));
    assert_eq!(h.chunk_plain_len(0, 0), Ok(0));
    assert_eq!(
        h.chunk_plain_len(40, 3),
        Err(AtRestError::NoSuchChunk {
            index: 3,
            chunks: 3
        })
    );
    assert_eq!(h.chunk_offset(0), Ok(32));
    assert_eq!(h.chunk_offset(2), Ok(32 + 2 * 32));
    assert_eq!(h.chunk_nonce(0), [0xa0; 12]);
    let n = h.chunk_nonce(0x0102_0304_0506_0708);
    assert_eq!(&n[..4], &[0xa0; 4]);
    assert_eq!(&n[4..], &[0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8]);
    assert_eq!(h.chunk_nonce(u64::MAX)[4..], [0x5f; 8]);
}

#[test]
fn context_encoding_is_unambiguous() {
    assert_ne!(
        encode_context(&[b"a/b", b"c"]),
        encode_context(&[b"a", b"b/c"])
    );
    assert_eq!(
        encode_context(&[b"ab"]),
        [0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']
    );
    assert!(encode_context(&[]).is_empty());
}

/// Known-answer tests from the GCM specification (McGrew & Viega, test cases 13, 14, 16).
#[test]
fn both_backends_pass_gcm_known_answer_tests() {
    let cases: [(&str, &str, &str, &str, &str); 3] = [
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b",
        ),
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f66276fc6ece\
             0f4e1768cddf8853bb2d551b",
        ),
    ];
    for (k, n, p, a, expected) in cases {
        let key: [u8; 32] = hex(k).try_into().expect("32 bytes");
        let nonce: [u8; 12] = hex(n).try_into().expect("12 bytes");
        let (plain, aad, expected) = (hex(p), hex(a), hex(&expected.replace(' ', "")));
        for backend in Backend::ALL {
            let cipher = aead(&key, backend);
            let mut buf = plain.clone();
            cipher.seal(&nonce, &aad, &mut buf).expect("seal");
            assert_eq!(buf, expected, "{backend:?}");
            cipher.open(&nonce, &aad, &mut buf).expect("open");
            assert_eq!(buf, plain);
            // A wrong AAD fails and leaves nothing behind.
            let mut bad = expected.clone();
            assert_eq!(
                cipher.open(&nonce, b"other", &mut bad),
                Err(AtRestError::Unauthentic)
            );
            assert!(bad.is_empty());
            let mut short = vec![0u8; 15];
            assert_eq!(
                cipher.open(&nonce, &aad, &mut short),
                Err(AtRestError::Truncated {
                    expected: 16,
                    actual: 15
                })
            );
        }
    }
}

#[test]
fn aead_ids_name_their_backend() {
    let key = [1u8; 32];
    assert_eq!(aead(&key, Backend::Ring).id(), AeadId::Aes256GcmRing);
    assert_eq!(
        aead(&key, Backend::RustCrypto).id(),
        AeadId::Aes256GcmRustCrypto
    );
    for backend in Backend::ALL {
        let id = aead(&key, backend).id();
        assert_eq!(id.backend(), backend);
        assert_eq!(id.algorithm(), Algorithm::Aes256Gcm);
    }
    assert_eq!(Backend::default(), Backend::Ring);
}
