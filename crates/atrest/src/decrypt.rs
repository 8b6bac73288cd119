//! Reading a blob: chunk-level [`Decryptor`], range planning, and the streaming [`RangeReader`].

use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::iter::FusedIterator;

use zeroize::Zeroize;

use crate::aead::{aead, Aead, Backend};
use crate::error::{AtRestError, Result};
use crate::format::{chunk_aad, parse_header, Header, HEADER_LEN, TAG_LEN};

/// Opens the chunks of one object, in any order.
///
/// It knows the object's plaintext length (from the caller's metadata), so it knows how long
/// each chunk must be and which one is final; a chunk sealed with another index, another final
/// flag, another header or another context fails as [`AtRestError::Corrupt`].
pub struct Decryptor {
    aead: Box<dyn Aead>,
    header: Header,
    header_bytes: [u8; HEADER_LEN],
    plain_len: u64,
    chunks: u64,
    context: Vec<u8>,
}

impl Decryptor {
    /// A decryptor for an object of `plain_len` bytes whose blob starts with `header`, encrypted
    /// under `key` with `context`. `backend` picks the implementation; either opens what either
    /// sealed.
    pub fn new(
        key: &[u8; 32],
        header: &Header,
        plain_len: u64,
        context: Vec<u8>,
        backend: Backend,
    ) -> Self {
        Decryptor {
            aead: aead(key, backend),
            header: *header,
            header_bytes: header.to_bytes(),
            plain_len,
            chunks: header.chunk_count(plain_len),
            context,
        }
    }

    /// The header this decryptor was made for.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The object's plaintext length.
    pub fn plain_len(&self) -> u64 {
        self.plain_len
    }

    /// How many chunks the object has (at least 1).
    pub fn chunk_count(&self) -> u64 {
        self.chunks
    }

    /// Stored length of chunk `index`: its plaintext length plus the 16-byte tag.
    pub fn stored_chunk_len(&self, index: u64) -> Result<usize> {
        Ok(self.header.chunk_plain_len(self.plain_len, index)? + TAG_LEN)
    }

    /// Authenticates and decrypts chunk `index` (`ciphertext ‖ tag`, exactly as stored).
    pub fn open_chunk(&self, index: u64, stored_chunk: &[u8]) -> Result<Vec<u8>> {
        let mut buf = stored_chunk.to_vec();
        self.open_chunk_in_place(index, &mut buf)?;
        Ok(buf)
    }

    /// [`Decryptor::open_chunk`] without a copy: `buf` holds the stored chunk and is left
    /// holding its plaintext. On failure `buf` is wiped and emptied.
    pub fn open_chunk_in_place(&self, index: u64, buf: &mut Vec<u8>) -> Result<()> {
        let result = self.open_in_place_inner(index, buf);
        if result.is_err() {
            buf.zeroize();
        }
        result
    }

    fn open_in_place_inner(&self, index: u64, buf: &mut Vec<u8>) -> Result<()> {
        let expected = self.stored_chunk_len(index)?;
        let actual = buf.len();
        if actual < expected {
            return Err(AtRestError::Truncated {
                expected: expected as u64,
                actual: actual as u64,
            });
        }
        if actual > expected {
            return Err(AtRestError::TrailingData {
                expected: expected as u64,
                actual: actual as u64,
            });
        }
        let body = expected - TAG_LEN;
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&buf[body..]);
        buf.truncate(body);
        let is_final = index + 1 == self.chunks;
        let nonce = self.header.chunk_nonce(index);
        let aad = chunk_aad(&self.header_bytes, index, is_final, &self.context);
        self.aead
            .open_detached(&nonce, &aad, buf, &tag)
            .map_err(|err| match err {
                AtRestError::Unauthentic => AtRestError::Corrupt { chunk: index },
                other => other,
            })
    }
}

/// Which stored bytes a plaintext range needs, and what to keep of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RangePlan {
    /// First chunk to read.
    pub first_chunk: u64,
    /// Last chunk to read (inclusive).
    pub last_chunk: u64,
    /// Blob offset where `first_chunk` starts.
    pub stored_offset: u64,
    /// Stored bytes from `first_chunk` through `last_chunk`, tags included.
    pub stored_len: u64,
    /// Plaintext bytes to drop from the start of `first_chunk`.
    pub skip_in_first: usize,
    /// Plaintext bytes to return in all (the range's length after clamping).
    pub take_total: u64,
    /// First plaintext byte returned. The last one is `start + take_total - 1` when
    /// `take_total > 0`: this is what a `Content-Range` header reports.
    pub start: u64,
}

/// Plans the read of plaintext bytes `start..=end_inclusive` of an object of `plain_len` bytes.
///
/// As in HTTP and S3, an `end_inclusive` past the end is clamped to the last byte; a `start`
/// at or past the end, a `start` after `end_inclusive`, or any range of an empty object is
/// [`AtRestError::RangeNotSatisfiable`].
pub fn plan_range(
    header: &Header,
    plain_len: u64,
    start: u64,
    end_inclusive: u64,
) -> Result<RangePlan> {
    if start >= plain_len || start > end_inclusive {
        return Err(AtRestError::RangeNotSatisfiable {
            start,
            end_inclusive,
            plain_len,
        });
    }
    // Checks that the whole blob's length fits in a u64, so nothing below overflows.
    header.stored_len(plain_len)?;
    let end = end_inclusive.min(plain_len - 1);
    let size = u64::from(header.chunk_size().get());
    let first_chunk = start / size;
    let last_chunk = end / size;
    let stored_offset = header.chunk_offset(first_chunk)?;
    let stored_end = header.chunk_offset(last_chunk)?
        + header.chunk_plain_len(plain_len, last_chunk)? as u64
        + TAG_LEN as u64;
    Ok(RangePlan {
        first_chunk,
        last_chunk,
        stored_offset,
        stored_len: stored_end - stored_offset,
        skip_in_first: (start - first_chunk * size) as usize,
        take_total: end - start + 1,
        start,
    })
}

/// Plans the read of a whole object, an empty one included (its one empty chunk is read and
/// authenticated, and nothing is returned).
pub fn plan_full(header: &Header, plain_len: u64) -> Result<RangePlan> {
    let total = header.stored_len(plain_len)?;
    Ok(RangePlan {
        first_chunk: 0,
        last_chunk: header.chunk_count(plain_len) - 1,
        stored_offset: HEADER_LEN as u64,
        stored_len: total - HEADER_LEN as u64,
        skip_in_first: 0,
        take_total: plain_len,
        start: 0,
    })
}

/// Streams the plaintext of a range (or a whole object) out of a blob, chunk by chunk.
///
/// Construction reads the header, checks that the blob's length is exactly what the
/// metadata's `plain_len` implies ([`AtRestError::Truncated`] or [`AtRestError::TrailingData`]
/// otherwise), plans the range and seeks to its first chunk. Each `next()` reads one stored
/// chunk, authenticates it, and yields the part of its plaintext inside the range: at most one
/// chunk is held in memory, whatever the size of the object. After the first error the
/// iterator ends.
///
/// A range read authenticates the chunks it reads, and the length check pins the shape of the
/// blob; chunks outside the range are not read.
pub struct RangeReader<R: Read + Seek> {
    reader: R,
    decryptor: Decryptor,
    plan: RangePlan,
    next_chunk: u64,
    offset: u64,
    remaining: u64,
    done: bool,
}

impl<R: Read + Seek> RangeReader<R> {
    /// Plaintext bytes `start..=end_inclusive` (clamped as in [`plan_range`]) of the object in
    /// `reader`.
    pub fn new(
        reader: R,
        key: &[u8; 32],
        context: Vec<u8>,
        backend: Backend,
        plain_len: u64,
        start: u64,
        end_inclusive: u64,
    ) -> Result<Self> {
        Self::open(reader, key, context, backend, plain_len, |header| {
            plan_range(header, plain_len, start, end_inclusive)
        })
    }

    /// The whole object in `reader` (an empty object yields nothing, after authenticating its
    /// empty final chunk).
    pub fn full(
        reader: R,
        key: &[u8; 32],
        context: Vec<u8>,
        backend: Backend,
        plain_len: u64,
    ) -> Result<Self> {
        Self::open(reader, key, context, backend, plain_len, |header| {
            plan_full(header, plain_len)
        })
    }

    fn open(
        mut reader: R,
        key: &[u8; 32],
        context: Vec<u8>,
        backend: Backend,
        plain_len: u64,
        plan: impl FnOnce(&Header) -> Result<RangePlan>,
    ) -> Result<Self> {
        let actual = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let mut header_bytes = [0u8; HEADER_LEN];
        let got = read_full(&mut reader, &mut header_bytes)?;
        let header = parse_header(&header_bytes[..got])?;
        let expected = header.stored_len(plain_len)?;
        if actual < expected {
            return Err(AtRestError::Truncated { expected, actual });
        }
        if actual > expected {
            return Err(AtRestError::TrailingData { expected, actual });
        }
        let plan = plan(&header)?;
        reader.seek(SeekFrom::Start(plan.stored_offset))?;
        Ok(RangeReader {
            reader,
            decryptor: Decryptor::new(key, &header, plain_len, context, backend),
            next_chunk: plan.first_chunk,
            offset: plan.stored_offset,
            remaining: plan.take_total,
            plan,
            done: false,
        })
    }

    /// What this reader reads.
    pub fn plan(&self) -> &RangePlan {
        &self.plan
    }

    /// The blob's header.
    pub fn header(&self) -> &Header {
        self.decryptor.header()
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        while self.next_chunk <= self.plan.last_chunk {
            let index = self.next_chunk;
            let len = self.decryptor.stored_chunk_len(index)?;
            let mut buf = vec![0u8; len];
            let got = read_full(&mut self.reader, &mut buf)?;
            if got < len {
                return Err(AtRestError::Truncated {
                    expected: self.offset + len as u64,
                    actual: self.offset + got as u64,
                });
            }
            self.decryptor.open_chunk_in_place(index, &mut buf)?;
            self.next_chunk += 1;
            self.offset += len as u64;
            if index == self.plan.first_chunk && self.plan.skip_in_first > 0 {
                buf.drain(..self.plan.skip_in_first.min(buf.len()));
            }
            if buf.len() as u64 > self.remaining {
                buf.truncate(self.remaining as usize);
            }
            self.remaining -= buf.len() as u64;
            if !buf.is_empty() {
                return Ok(Some(buf));
            }
        }
        Ok(None)
    }
}

impl<R: Read + Seek> Iterator for RangeReader<R> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_chunk() {
            Ok(Some(chunk)) => Some(Ok(chunk)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}

impl<R: Read + Seek> FusedIterator for RangeReader<R> {}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Ok(got)
}
