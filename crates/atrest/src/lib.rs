//! The at-rest format of s3lab's object blobs.
//!
//! Every object s3lab stores is one *blob*: the object's bytes encrypted with its own 256-bit
//! data key, using AES-256-GCM in fixed-size chunks, in the style of MinIO's DARE ("Data At Rest
//! Encryption"). Each chunk is sealed on its own, so a GET streams the object chunk by chunk and
//! a ranged GET reads and decrypts only the chunks its range touches. Nothing in this crate ever
//! holds more than a chunk or two in memory, whatever the size of the object.
//!
//! The blob carries no key and no plaintext metadata: the object's length, its wrapped data key
//! and the key ids live in s3lab's metadata file next to it. A learner can `hexdump -C` a blob
//! and find every field below.
//!
//! # Layout
//!
//! A blob is a 32-byte stream header followed by one or more chunks. All integers are big-endian.
//!
//! | offset | length | field | value |
//! |---:|---:|---|---|
//! | 0 | 4 | magic | `53 33 4c 42` = `S3LB` |
//! | 4 | 1 | format version | `01` |
//! | 5 | 1 | AEAD algorithm | `01` = AES-256-GCM (96-bit nonce, 128-bit tag) |
//! | 6 | 2 | reserved | `00 00` |
//! | 8 | 4 | chunk size *C* (u32) | plaintext bytes per chunk, 1 ..= 16 MiB; default `00 01 00 00` = 64 KiB |
//! | 12 | 12 | base nonce *N* | random, fresh for every blob |
//! | 24 | 8 | reserved | `00` × 8 |
//! | 32 | *C* + 16 | chunk 0 | `ciphertext (C bytes) ‖ tag (16 bytes)` |
//! | 32 + *i*(*C*+16) | *C* + 16 | chunk *i* | the same |
//! | … | 16 ..= *C* + 16 | final chunk | `ciphertext (1 ..= C bytes) ‖ tag`; an empty object has one final chunk of 0 bytes, just the tag |
//!
//! A reader rejects any other magic ([`AtRestError::BadMagic`]), version
//! ([`AtRestError::UnsupportedVersion`]), algorithm ([`AtRestError::UnsupportedAead`]), chunk size
//! ([`AtRestError::BadChunkSize`]) or non-zero reserved byte ([`AtRestError::ReservedNotZero`]).
//! The header does not name the AES-GCM *implementation*: `ring` and RustCrypto (see [`Backend`])
//! write identical bytes, and either opens the other's blobs.
//!
//! # How chunk *i* is sealed
//!
//! - **Plaintext**: bytes `i·C .. min((i+1)·C, plain_len)` of the object.
//! - **Nonce**: the base nonce with *i* (u64, big-endian) XORed into its last 8 bytes,
//!   so `nonce = N[0..4] ‖ (N[4..12] XOR u64_be(i))`. Chunk 0 uses *N* itself.
//! - **Associated data** (authenticated, not stored):
//!   `header (32 bytes) ‖ u64_be(i) ‖ final (1 byte: 01 on the last chunk, else 00) ‖ context`.
//!   The *context* is chosen by the caller; s3lab binds bucket, key and part number there with
//!   [`encode_context`] (each field as `u64_be(len) ‖ bytes`).
//!
//! # What each part defends against
//!
//! | attack on the stored blob | caught because | error |
//! |---|---|---|
//! | change any byte of a chunk (ciphertext or tag) | the GCM tag | [`AtRestError::Corrupt`] with the chunk index |
//! | change any header byte | parsing, or the header is in every chunk's associated data | header errors, or `Corrupt { chunk: 0 }` |
//! | reorder or swap chunks | the index is in the nonce and the associated data | `Corrupt` |
//! | splice in a chunk of another object | other base nonce and header (and normally another key) | `Corrupt` |
//! | drop the final chunk(s) (truncate at a chunk boundary) | the new last chunk was sealed with final = 0; and the length no longer matches the metadata | `Corrupt`, or [`AtRestError::Truncated`] |
//! | append a chunk | the old final chunk says final = 1 but is no longer last; and the length no longer matches | `Corrupt`, or [`AtRestError::TrailingData`] |
//! | move the blob to another bucket/key/part | the context differs | `Corrupt { chunk: 0 }` |
//! | cut a chunk short | every chunk's length follows from the metadata's plaintext length | `Truncated` |
//!
//! A chunk that fails is wiped before the error is returned: no API ever hands out
//! unauthenticated plaintext.
//!
//! # Sizes
//!
//! `chunks(p) = max(1, ceil(p / C))` and [`stored_len`]`(p) = 32 + p + 16 · chunks(p)`.
//! [`plain_len`] is its inverse and fails ([`AtRestError::ImpossibleStoredLength`]) for lengths
//! no plaintext produces, such as a body ending in a partial tag. With the default 64 KiB chunks
//! the overhead is 32 bytes plus 16 bytes per 64 KiB, about 0.02 %.
//!
//! # Ranged reads
//!
//! [`plan_range`] turns plaintext bytes `start..=end` into chunk indexes `start / C ..= end / C`,
//! the stored byte range to read, and how much to skip and keep ([`RangePlan`]); an `end` past
//! the object is clamped, as S3 does. [`RangeReader`] does all of it over any `Read + Seek`.
//!
//! # Worked example
//!
//! Key `00 01 … 1f`, base nonce `a0 a1 … ab`, chunk size 16, context
//! `encode_context(&[b"bucket", b"key"])`, plaintext `Hello, s3lab at-rest format!` (28 bytes:
//! two chunks of 16 and 12). The blob is 32 + 28 + 2 × 16 = 92 bytes:
//!
//! ```text
//! 00000000  53 33 4c 42 01 01 00 00  00 00 00 10 a0 a1 a2 a3  |S3LB............|
//! 00000010  a4 a5 a6 a7 a8 a9 aa ab  00 00 00 00 00 00 00 00  |................|
//! 00000020  ae 7d 10 41 2a e7 22 cc  51 09 e6 b1 27 1b b4 f3  |.}.A*.".Q...'...|
//! 00000030  bc 75 44 ad 30 c7 99 58  58 45 b8 2c 02 5c 65 66  |.uD.0..XXE.,.\ef|
//! 00000040  27 fb b0 13 f0 89 72 eb  8b b6 a9 a4 38 21 84 83  |'.....r.....8!..|
//! 00000050  c5 25 c7 2a c8 bb 7a 2c  3b 33 20 5e              |.%.*..z,;3 ^|
//! ```
//!
//! - `0x00..0x04` magic `S3LB`; `0x04` version 1; `0x05` AES-256-GCM; `0x06..0x08` reserved;
//!   `0x08..0x0c` chunk size `00 00 00 10` = 16; `0x0c..0x18` base nonce; `0x18..0x20` reserved.
//! - `0x20..0x30` chunk 0 ciphertext (`Hello, s3lab at-`), `0x30..0x40` its tag; nonce
//!   `a0 … ab` (index 0), final flag 0.
//! - `0x40..0x4c` chunk 1 ciphertext (`rest format!`), `0x4c..0x5c` its tag; nonce
//!   `a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa aa` (the last byte XOR 1), final flag 1.
//!
//! (This vector is also computed from the description above by an independent AES-GCM
//! implementation, and checked in the tests.)
//!
//! # Using it
//!
//! ```
//! use std::io::Cursor;
//! use s3lab_atrest::{encode_context, Backend, ChunkSize, Encryptor, RangeReader};
//! use zeroize::Zeroizing;
//!
//! # fn main() -> Result<(), s3lab_atrest::AtRestError> {
//! let key = Zeroizing::new([7u8; 32]); // the object's data key
//! let context = encode_context(&[b"my-bucket", b"photos/cat.jpg"]);
//!
//! // PUT: header, then chunks as they complete, then the final chunk.
//! let mut enc = Encryptor::new(&key, [1; 12], ChunkSize::new(16)?, context.clone(), Backend::Ring);
//! let mut blob = enc.header().to_vec();
//! enc.push(b"The quick brown fox ", &mut blob)?;
//! enc.push(b"jumps over the lazy dog", &mut blob)?;
//! let summary = enc.finish(&mut blob)?;
//! assert_eq!(summary.plain_len, 43);
//! assert_eq!(summary.stored_len, blob.len() as u64);
//!
//! // Ranged GET of bytes 4..=18: reads and decrypts only chunks 0 and 1.
//! let reader = RangeReader::new(Cursor::new(&blob), &key, context.clone(), Backend::Ring, 43, 4, 18)?;
//! assert_eq!((reader.plan().first_chunk, reader.plan().last_chunk), (0, 1));
//! let mut out = Vec::new();
//! for chunk in reader {
//!     out.extend_from_slice(&chunk?);
//! }
//! assert_eq!(out, b"quick brown fox");
//!
//! // The same blob under another object's name does not open.
//! let other = encode_context(&[b"my-bucket", b"photos/dog.jpg"]);
//! let mut reader = RangeReader::full(Cursor::new(&blob), &key, other, Backend::Ring, 43)?;
//! assert!(reader.next().is_some_and(|r| r.is_err()));
//! # Ok(())
//! # }
//! ```
//!
//! # Keys
//!
//! Keys are passed as `&[u8; 32]` and never copied by this crate except into the cipher; callers
//! keep them in [`zeroize::Zeroizing`]. The RustCrypto backend wipes its key schedule on drop;
//! `ring` does not offer that. Each blob gets a fresh random base nonce, and s3lab gives each
//! object its own data key, so a (key, nonce) pair is never reused.

mod aead;
mod decrypt;
mod encrypt;
mod error;
mod format;

#[doc(hidden)]
pub mod fuzzing;

pub use aead::{aead, Aead, AeadId, Backend};
pub use decrypt::{plan_full, plan_range, Decryptor, RangePlan, RangeReader};
pub use encrypt::{Encryptor, Summary};
pub use error::{AtRestError, Result};
pub use format::{
    chunk_aad, chunk_count, encode_context, parse_header, plain_len, stored_len, Algorithm,
    ChunkSize, Header, DEFAULT_CHUNK_SIZE, HEADER_LEN, MAGIC, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE,
    NONCE_LEN, TAG_LEN, VERSION,
};
