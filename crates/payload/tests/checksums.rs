//! Known vectors for every algorithm, a bit-by-bit reference for the CRCs, and S3's value rules.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::Rng;
use s3lab_payload::{ChecksumAlgorithm, Checksummer};

use ChecksumAlgorithm::*;

/// CRC-32 (ISO-HDLC), CRC-32C (iSCSI) and CRC-64/NVME bit by bit from their reflected polynomials:
/// slow, but obviously the catalogue definition.
fn reference_crc(alg: ChecksumAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        Crc32 | Crc32c => {
            let poly: u32 = if alg == Crc32 {
                0xEDB8_8320
            } else {
                0x82F6_3B78
            };
            let mut crc = u32::MAX;
            for &b in data {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ poly
                    } else {
                        crc >> 1
                    };
                }
            }
            (!crc).to_be_bytes().to_vec()
        }
        Crc64Nvme => {
            // 0xad93d23594c93659 reflected.
            let poly: u64 = 0x9A6C_9329_AC4B_C9B5;
            let mut crc = u64::MAX;
            for &b in data {
                crc ^= u64::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ poly
                    } else {
                        crc >> 1
                    };
                }
            }
            (!crc).to_be_bytes().to_vec()
        }
        Sha1 | Sha256 => unreachable!("not a CRC"),
    }
}

#[test]
fn check_values_of_123456789() {
    // The CRC catalogue's check values, and what S3 answers for the body "123456789"
    // (OpenStack Swift's checksum tests, run against AWS).
    let cases = [
        (Crc32, "cbf43926", "y/Q5Jg=="),
        (Crc32c, "e3069283", "4waSgw=="),
        (Crc64Nvme, "ae8b14860a799888", "rosUhgp5mIg="),
        (
            Sha1,
            "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
            "98O8HYCOBHMq32eZZczDTKeuNEE=",
        ),
        (
            Sha256,
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
        ),
    ];
    for (alg, hex_value, b64) in cases {
        let mut c = Checksummer::new(alg);
        c.update(b"1234");
        c.update(b"");
        c.update(b"56789");
        assert_eq!(hex::encode(c.clone().finish_bytes()), hex_value, "{alg}");
        assert_eq!(c.finish(), b64, "{alg}");
        assert_eq!(alg.checksum_of(b"123456789"), b64, "{alg}");
    }
    assert_eq!(
        reference_crc(Crc64Nvme, b"123456789"),
        0xae8b_1486_0a79_9888_u64.to_be_bytes()
    );
}

#[test]
fn empty_body_and_other_published_vectors() {
    assert_eq!(Crc32.checksum_of(b""), "AAAAAA==");
    assert_eq!(Crc32c.checksum_of(b""), "AAAAAA==");
    assert_eq!(Crc64Nvme.checksum_of(b""), "AAAAAAAAAAA=");
    assert_eq!(Sha1.checksum_of(b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    assert_eq!(
        Sha256.checksum_of(b""),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    // FIPS 180 "abc".
    let mut sha1 = Checksummer::new(Sha1);
    sha1.update(b"abc");
    assert_eq!(
        hex::encode(sha1.finish_bytes()),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    let mut sha256 = Checksummer::new(Sha256);
    sha256.update(b"abc");
    assert_eq!(
        hex::encode(sha256.finish_bytes()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // crc64fast-nvme's documented example.
    let mut crc64 = Checksummer::new(Crc64Nvme);
    crc64.update(b"hello ");
    crc64.update(b"world!");
    assert_eq!(hex::encode(crc64.finish_bytes()), "d9160d1fa8e418e3");
    // The trailer of S3's documented signed-trailer example: CRC32C of 66560 'a' bytes.
    assert_eq!(Crc32c.checksum_of(&[b'a'; 66560]), "sOO8/Q==");
}

#[test]
fn crcs_match_the_bitwise_reference_for_any_length_and_split() {
    let mut rng = Rng::new(42);
    for _ in 0..300 {
        let len = rng.range(0, 600);
        let data = rng.bytes(len);
        for alg in [Crc32, Crc32c, Crc64Nvme] {
            let mut c = Checksummer::new(alg);
            let mut rest = &data[..];
            while !rest.is_empty() {
                let n = rng.range(1, 70).min(rest.len());
                c.update(&rest[..n]);
                rest = &rest[n..];
            }
            assert_eq!(
                c.finish_bytes(),
                reference_crc(alg, &data),
                "{alg} len {len}"
            );
        }
    }
}

#[test]
fn names_header_names_and_parsing() {
    for alg in ChecksumAlgorithm::ALL {
        assert_eq!(ChecksumAlgorithm::parse(alg.name()), Some(alg));
        assert_eq!(
            ChecksumAlgorithm::parse(&alg.name().to_ascii_lowercase()),
            Some(alg)
        );
        assert_eq!(alg.name().parse::<ChecksumAlgorithm>(), Ok(alg));
        assert_eq!(
            alg.header_name(),
            format!("x-amz-checksum-{}", alg.name().to_ascii_lowercase())
        );
        assert_eq!(
            ChecksumAlgorithm::from_header_name(alg.header_name()),
            Some(alg)
        );
        assert_eq!(
            STANDARD
                .decode(alg.checksum_of(b"x"))
                .expect("base64")
                .len(),
            alg.digest_len()
        );
        assert_eq!(alg.to_string(), alg.name());
    }
    assert_eq!(ChecksumAlgorithm::parse("Crc64Nvme"), Some(Crc64Nvme));
    assert_eq!(ChecksumAlgorithm::parse("md5"), None);
    assert_eq!(ChecksumAlgorithm::parse("CRC-32"), None);
    assert!("INVALIDALGO".parse::<ChecksumAlgorithm>().is_err());
    assert_eq!(
        ChecksumAlgorithm::from_header_name("x-amz-checksum-bad"),
        None
    );
    assert_eq!(
        ChecksumAlgorithm::from_header_name("x-amz-checksum-type"),
        None
    );
}

#[test]
fn checksum_values_are_strict_base64_of_the_right_size() {
    // S3's "invalid" examples (Swift's tests against AWS): wrong padding bits, bad length,
    // invalid characters.
    assert!(Crc32.decode_value("y/Q5Jg==").is_some());
    assert!(Crc32.decode_value(" y/Q5Jg== ").is_some());
    for bad in [
        "y/Q5Jh==",
        "short===",
        "shrt",
        "toolong=",
        "^^^^^^==",
        "y^/^Q5^J^g==",
        "bad",
        "",
    ] {
        assert!(Crc32.decode_value(bad).is_none(), "{bad}");
    }
    assert!(Crc32c.decode_value("4waSgx==").is_none());
    assert!(Crc64Nvme.decode_value("rosUhgp5mIh=").is_none());
    assert!(Sha1.decode_value("98O8HYCOBHMq32eZZczDTKeuNEF=").is_none());
    assert!(Sha256
        .decode_value("FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiV=")
        .is_none());
    // The right size for another algorithm is the wrong size here.
    assert!(Crc64Nvme.decode_value("y/Q5Jg==").is_none());
    assert!(Sha256
        .decode_value("98O8HYCOBHMq32eZZczDTKeuNEE=")
        .is_none());
}
