//! The five flexible-checksum algorithms of S3, computed incrementally.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use crc::{Crc, Table, CRC_32_ISCSI, CRC_64_NVME};
use sha1::Digest as _;

/// CRC-32C (Castagnoli, the iSCSI polynomial), slice-by-16.
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
/// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all ones), slice-by-16.
static CRC64NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

/// A checksum algorithm of S3's flexible checksums (`x-amz-checksum-*`,
/// `x-amz-sdk-checksum-algorithm`, `ChecksumAlgorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// A name that is none of S3's checksum algorithms.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown checksum algorithm {0:?}")]
pub struct UnknownAlgorithm(pub String);

impl ChecksumAlgorithm {
    /// Every algorithm, in the order S3's API model lists them.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The name as S3 writes it: `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`. It is also the
    /// word in the `BadDigest` message of a mismatch.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The request and response header: `x-amz-checksum-crc32` and so on.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm an `x-amz-checksum-*` header names (any case), if it is one of the five.
    pub fn from_header_name(name: &str) -> Option<Self> {
        ChecksumAlgorithm::ALL
            .into_iter()
            .find(|alg| alg.header_name().eq_ignore_ascii_case(name))
    }

    /// Reads an algorithm name in any case (`CRC32`, `crc32`, `Crc64Nvme`).
    pub fn parse(name: &str) -> Option<Self> {
        ChecksumAlgorithm::ALL
            .into_iter()
            .find(|alg| alg.name().eq_ignore_ascii_case(name))
    }

    /// The length of the raw checksum in bytes (4, 4, 8, 20, 32).
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The checksum of `data` in one go, as S3 shows it (base64 of the big-endian bytes).
    pub fn checksum_of(self, data: &[u8]) -> String {
        let mut c = Checksummer::new(self);
        c.update(data);
        c.finish()
    }

    /// Decodes a checksum value as S3 accepts it: canonical, padded standard base64 (surrounding
    /// whitespace ignored) of exactly [`digest_len`](Self::digest_len) bytes. `None` otherwise:
    /// S3 refuses `y/Q5Jh==` (non-zero padding bits), `shrt`, `toolong=` and `^^^^^^==` alike.
    pub fn decode_value(self, value: &str) -> Option<Vec<u8>> {
        let raw = STANDARD.decode(value.trim()).ok()?;
        (raw.len() == self.digest_len()).then_some(raw)
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ChecksumAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChecksumAlgorithm::parse(s).ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(crc::Digest<'static, u32, Table<16>>),
    Crc64Nvme(crc::Digest<'static, u64, Table<16>>),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

/// An incremental checksum: feed it with [`update`](Self::update) in pieces of any size, then
/// [`finish`](Self::finish) gives the value exactly as S3 shows it in `x-amz-checksum-*`.
#[derive(Clone)]
pub struct Checksummer {
    algorithm: ChecksumAlgorithm,
    state: State,
}

impl fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksummer")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Checksummer {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(CRC32C.digest()),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64Nvme(CRC64NVME.digest()),
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        Checksummer { algorithm, state }
    }

    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(d) => d.update(data),
            State::Crc64Nvme(d) => d.update(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The raw checksum: the CRC as big-endian bytes, or the digest.
    pub fn finish_bytes(self) -> Vec<u8> {
        match self.state {
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(d) => d.finalize().to_be_bytes().to_vec(),
            State::Crc64Nvme(d) => d.finalize().to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// The checksum in base64, as S3 shows it (`y/Q5Jg==` for CRC32 of `123456789`).
    pub fn finish(self) -> String {
        STANDARD.encode(self.finish_bytes())
    }
}
