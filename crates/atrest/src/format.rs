//! The stream header, chunk geometry, per-chunk nonces and associated data.
//!
//! Everything here is pure arithmetic on the layout documented at the crate root.

use crate::error::{AtRestError, Result};

/// The 4 bytes every blob starts with.
pub const MAGIC: [u8; 4] = *b"S3LB";
/// The format version this crate writes and reads.
pub const VERSION: u8 = 1;
/// Length of the stream header.
pub const HEADER_LEN: usize = 32;
/// Length of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Length of an AES-GCM tag, appended to every chunk.
pub const TAG_LEN: usize = 16;
/// Plaintext bytes per chunk unless the writer chooses otherwise: 64 KiB, as DARE.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// The smallest chunk size a header may carry. Tiny chunks are legal (and make a hexdump of a
/// short object show several chunks) but cost 16 bytes of tag each.
pub const MIN_CHUNK_SIZE: u32 = 1;
/// The largest chunk size a header may carry: 16 MiB, so a reader never has to hold more than
/// that (plus a tag) for one chunk, whatever a header says.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

/// Length of the associated data of a chunk before the caller's context: header, index, flag.
pub(crate) const AAD_PREFIX_LEN: usize = HEADER_LEN + 8 + 1;

/// The AEAD algorithm a header names (header byte 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// AES-256-GCM, 96-bit nonce, 128-bit tag. Header byte `0x01`.
    Aes256Gcm,
}

impl Algorithm {
    /// The byte a header stores.
    pub fn wire_id(self) -> u8 {
        match self {
            Algorithm::Aes256Gcm => 1,
        }
    }

    /// The algorithm a header byte names.
    pub fn from_wire_id(id: u8) -> Result<Self> {
        match id {
            1 => Ok(Algorithm::Aes256Gcm),
            other => Err(AtRestError::UnsupportedAead(other)),
        }
    }
}

/// A plaintext chunk size, checked to be within [`MIN_CHUNK_SIZE`]..=[`MAX_CHUNK_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkSize(u32);

impl ChunkSize {
    /// 64 KiB.
    pub const DEFAULT: ChunkSize = ChunkSize(DEFAULT_CHUNK_SIZE);

    /// A chunk size, or [`AtRestError::BadChunkSize`] if it is out of range.
    pub fn new(bytes: u32) -> Result<Self> {
        if (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&bytes) {
            Ok(ChunkSize(bytes))
        } else {
            Err(AtRestError::BadChunkSize(bytes))
        }
    }

    /// Plaintext bytes per chunk.
    pub fn get(self) -> u32 {
        self.0
    }

    /// Plaintext bytes per chunk, as a `usize`.
    pub fn bytes(self) -> usize {
        self.0 as usize
    }

    /// Stored bytes of a full chunk: chunk size plus the tag.
    pub fn stored_bytes(self) -> usize {
        self.0 as usize + TAG_LEN
    }
}

impl Default for ChunkSize {
    fn default() -> Self {
        ChunkSize::DEFAULT
    }
}

impl TryFrom<u32> for ChunkSize {
    type Error = AtRestError;

    fn try_from(bytes: u32) -> Result<Self> {
        ChunkSize::new(bytes)
    }
}

/// A parsed stream header (the first [`HEADER_LEN`] bytes of a blob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    algorithm: Algorithm,
    chunk_size: ChunkSize,
    base_nonce: [u8; NONCE_LEN],
}

impl Header {
    /// The header of a new version-1, AES-256-GCM stream.
    pub fn new(chunk_size: ChunkSize, base_nonce: [u8; NONCE_LEN]) -> Self {
        Header {
            algorithm: Algorithm::Aes256Gcm,
            chunk_size,
            base_nonce,
        }
    }

    /// The format version (always [`VERSION`]: other versions do not parse).
    pub fn version(&self) -> u8 {
        VERSION
    }

    /// The AEAD algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Plaintext bytes per chunk.
    pub fn chunk_size(&self) -> ChunkSize {
        self.chunk_size
    }

    /// The random base nonce the chunk nonces are derived from.
    pub fn base_nonce(&self) -> [u8; NONCE_LEN] {
        self.base_nonce
    }

    /// The header's 32 bytes, as they open the blob and every chunk's associated data.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = VERSION;
        out[5] = self.algorithm.wire_id();
        // 6..8 reserved, zero.
        out[8..12].copy_from_slice(&self.chunk_size.get().to_be_bytes());
        out[12..24].copy_from_slice(&self.base_nonce);
        // 24..32 reserved, zero.
        out
    }

    /// How many chunks an object of `plain_len` bytes has: `ceil(plain_len / chunk_size)`, and 1
    /// for an empty object (its one empty final chunk).
    pub fn chunk_count(&self, plain_len: u64) -> u64 {
        chunk_count(plain_len, self.chunk_size)
    }

    /// Total blob length for `plain_len` plaintext bytes: see [`stored_len`].
    pub fn stored_len(&self, plain_len: u64) -> Result<u64> {
        stored_len(plain_len, self.chunk_size)
    }

    /// Plaintext length of a blob of `stored_len` bytes: see [`plain_len`].
    pub fn plain_len(&self, stored_len: u64) -> Result<u64> {
        plain_len(stored_len, self.chunk_size)
    }

    /// Plaintext bytes in chunk `index` of an object of `plain_len` bytes.
    pub fn chunk_plain_len(&self, plain_len: u64, index: u64) -> Result<usize> {
        let chunks = self.chunk_count(plain_len);
        if index >= chunks {
            return Err(AtRestError::NoSuchChunk { index, chunks });
        }
        let size = u64::from(self.chunk_size.get());
        if index + 1 < chunks {
            return Ok(self.chunk_size.bytes());
        }
        // The final chunk holds what is left: plain_len - index * size, at most `size`.
        let before = index * size;
        Ok((plain_len - before) as usize)
    }

    /// Offset in the blob where chunk `index` starts: `32 + index × (chunk_size + 16)`.
    pub fn chunk_offset(&self, index: u64) -> Result<u64> {
        (self.chunk_size.stored_bytes() as u64)
            .checked_mul(index)
            .and_then(|n| n.checked_add(HEADER_LEN as u64))
            .ok_or(AtRestError::TooLarge(index))
    }

    /// The nonce of chunk `index`: the base nonce with `index` (u64, big-endian) XORed into its
    /// last 8 bytes.
    pub fn chunk_nonce(&self, index: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        for (n, i) in nonce[4..].iter_mut().zip(index.to_be_bytes()) {
            *n ^= i;
        }
        nonce
    }
}

/// Parses and checks a stream header. Only the first [`HEADER_LEN`] bytes are looked at, so the
/// whole blob (or its start) may be passed.
pub fn parse_header(bytes: &[u8]) -> Result<Header> {
    let Some(bytes) = bytes.get(..HEADER_LEN) else {
        return Err(AtRestError::Truncated {
            expected: HEADER_LEN as u64,
            actual: bytes.len() as u64,
        });
    };
    if bytes[0..4] != MAGIC {
        return Err(AtRestError::BadMagic);
    }
    if bytes[4] != VERSION {
        return Err(AtRestError::UnsupportedVersion(bytes[4]));
    }
    let algorithm = Algorithm::from_wire_id(bytes[5])?;
    if let Some(offset) = (6..8).chain(24..32).find(|&i| bytes[i] != 0) {
        return Err(AtRestError::ReservedNotZero { offset });
    }
    let chunk_size = ChunkSize::new(u32::from_be_bytes([
        bytes[8], bytes[9], bytes[10], bytes[11],
    ]))?;
    let mut base_nonce = [0u8; NONCE_LEN];
    base_nonce.copy_from_slice(&bytes[12..24]);
    Ok(Header {
        algorithm,
        chunk_size,
        base_nonce,
    })
}

/// How many chunks an object of `plain_len` bytes has (at least 1).
pub fn chunk_count(plain_len: u64, chunk_size: ChunkSize) -> u64 {
    let size = u64::from(chunk_size.get());
    let full = plain_len / size;
    let partial = u64::from(!plain_len.is_multiple_of(size));
    (full + partial).max(1)
}

/// Total blob length for `plain_len` plaintext bytes:
/// `32 + plain_len + 16 × chunk_count(plain_len)`.
/// [`AtRestError::TooLarge`] if that does not fit in a `u64`.
pub fn stored_len(plain_len: u64, chunk_size: ChunkSize) -> Result<u64> {
    chunk_count(plain_len, chunk_size)
        .checked_mul(TAG_LEN as u64)
        .and_then(|tags| tags.checked_add(plain_len))
        .and_then(|n| n.checked_add(HEADER_LEN as u64))
        .ok_or(AtRestError::TooLarge(plain_len))
}

/// The plaintext length of a blob of `stored_len` bytes, the inverse of [`stored_len`].
///
/// Not every length is possible: a blob is a header, some full chunks of `chunk_size + 16`
/// bytes and one final chunk of 16 to `chunk_size + 16` bytes (16 only when it is the only
/// chunk). Any other length is [`AtRestError::ImpossibleStoredLength`].
pub fn plain_len(stored_len: u64, chunk_size: ChunkSize) -> Result<u64> {
    let impossible = AtRestError::ImpossibleStoredLength(stored_len);
    let body = stored_len
        .checked_sub(HEADER_LEN as u64)
        .ok_or(impossible.clone())?;
    let stored_chunk = chunk_size.stored_bytes() as u64;
    let size = u64::from(chunk_size.get());
    let full = body / stored_chunk;
    let rest = body % stored_chunk;
    match (full, rest) {
        // Only an empty object has an empty final chunk.
        (0, r) if r == TAG_LEN as u64 => Ok(0),
        // The last of `full` chunks is the final one and is full.
        (f, 0) if f > 0 => Ok(f * size),
        // A final chunk of 1..chunk_size plaintext bytes after `full` full chunks.
        (f, r) if r > TAG_LEN as u64 => Ok(f * size + (r - TAG_LEN as u64)),
        _ => Err(impossible),
    }
}

/// The associated data of chunk `index`:
/// `header (32) ‖ index (u64 BE) ‖ final flag (1 byte) ‖ context`.
pub fn chunk_aad(header: &[u8; HEADER_LEN], index: u64, is_final: bool, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_PREFIX_LEN + context.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(is_final));
    aad.extend_from_slice(context);
    aad
}

/// Encodes context fields unambiguously: each field as `u64 BE length ‖ bytes`, concatenated.
///
/// The chunk associated data simply ends with the context bytes, so a caller that binds several
/// fields (bucket, key, part number) should encode them with this, or some other unambiguous
/// encoding: otherwise `("a/b", "c")` and `("a", "b/c")` could look alike.
pub fn encode_context(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| 8 + f.len()).sum());
    for field in fields {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}
