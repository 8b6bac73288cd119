//! The one error type of this crate.

use crate::format::{MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, VERSION};

/// Everything that can go wrong while writing or reading a blob.
///
/// No variant ever comes with plaintext: a chunk that fails authentication is wiped before the
/// error is returned, so a caller can never act on unauthenticated data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtRestError {
    /// The blob does not start with `S3LB`: it is not an s3lab blob at all.
    #[error("not an s3lab blob: the first 4 bytes are not \"S3LB\"")]
    BadMagic,
    /// The header's version byte names a format this reader does not know.
    #[error("unsupported at-rest format version {0} (this reader knows version {VERSION})")]
    UnsupportedVersion(u8),
    /// The header's AEAD byte names an algorithm this reader does not know.
    #[error("unsupported AEAD id {0} (this reader knows 1 = AES-256-GCM)")]
    UnsupportedAead(u8),
    /// A chunk size of 0 or above the maximum, in a header or passed to [`crate::ChunkSize::new`].
    #[error("bad chunk size {0}: it must be {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE} bytes")]
    BadChunkSize(u32),
    /// A reserved header byte is not zero. Version 1 writes zeros there; anything else is a format
    /// this reader does not know (or a damaged header).
    #[error("reserved header byte at offset {offset} is not zero")]
    ReservedNotZero {
        /// Offset of the first non-zero reserved byte in the header.
        offset: usize,
    },
    /// Fewer bytes than the format requires: a header shorter than [`crate::HEADER_LEN`], a blob shorter
    /// than the plaintext length in its metadata implies, or a chunk cut short.
    #[error("truncated: expected {expected} bytes, found {actual}")]
    Truncated {
        /// Bytes the format requires.
        expected: u64,
        /// Bytes actually there.
        actual: u64,
    },
    /// More bytes than the format allows: a blob longer than the plaintext length in its metadata
    /// implies (something was appended), or a chunk passed with extra bytes.
    #[error("trailing data: expected {expected} bytes, found {actual}")]
    TrailingData {
        /// Bytes the format allows.
        expected: u64,
        /// Bytes actually there.
        actual: u64,
    },
    /// No plaintext length encrypts to this stored length (see [`crate::plain_len`]).
    #[error("no plaintext encrypts to a blob of {0} bytes with this chunk size")]
    ImpossibleStoredLength(u64),
    /// A chunk failed authentication: wrong key, wrong context, a changed byte anywhere in the
    /// header or the chunk, a chunk moved to another position or another object, or a final flag
    /// that does not match (truncation, appending).
    #[error("chunk {chunk} failed authentication (wrong key or context, or the blob was altered)")]
    Corrupt {
        /// Index of the chunk that failed, counting from 0.
        chunk: u64,
    },
    /// An AEAD tag did not verify, at the level of a bare [`crate::Aead`] (which knows no chunk
    /// index). [`crate::Decryptor`] reports this as [`AtRestError::Corrupt`].
    #[error("authentication failed (wrong key, nonce or associated data, or altered bytes)")]
    Unauthentic,
    /// A chunk index past the end of the object.
    #[error("no chunk {index}: the object has {chunks} chunk(s)")]
    NoSuchChunk {
        /// The index asked for.
        index: u64,
        /// How many chunks the object has.
        chunks: u64,
    },
    /// A byte range that selects no byte of the object (HTTP 416).
    #[error("range {start}-{end_inclusive} not satisfiable for an object of {plain_len} bytes")]
    RangeNotSatisfiable {
        /// First byte asked for.
        start: u64,
        /// Last byte asked for.
        end_inclusive: u64,
        /// Length of the object.
        plain_len: u64,
    },
    /// A length whose blob would not fit in a `u64`, or an input too long for the AEAD.
    #[error("too large: {0} bytes")]
    TooLarge(u64),
    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(String),
}

impl From<std::io::Error> for AtRestError {
    fn from(err: std::io::Error) -> Self {
        AtRestError::Io(err.to_string())
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = AtRestError> = std::result::Result<T, E>;
