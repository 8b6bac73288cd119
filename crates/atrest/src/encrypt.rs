//! Writing a blob: the streaming [`Encryptor`].

use std::io::{ErrorKind, Read, Write};

use crate::aead::{aead, Aead, Backend};
use crate::error::{AtRestError, Result};
use crate::format::{chunk_aad, ChunkSize, Header, HEADER_LEN, NONCE_LEN};

/// What [`Encryptor::finish`] reports about the stream it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Summary {
    /// Plaintext bytes pushed.
    pub plain_len: u64,
    /// Blob length, header included: always `stored_len(plain_len)`.
    pub stored_len: u64,
    /// Chunks written, the final one included (at least 1).
    pub chunks: u64,
}

/// Encrypts one object as a stream of chunks.
///
/// Write [`Encryptor::header`] first, then everything [`Encryptor::push`] and
/// [`Encryptor::finish`] append ([`Encryptor::encrypt_stream`] does all three for a reader and a
/// writer). The encryptor holds back at most one chunk of plaintext: a chunk is sealed only once
/// it is known whether more data follows, because the final chunk is sealed differently.
pub struct Encryptor {
    aead: Box<dyn Aead>,
    header: Header,
    header_bytes: [u8; HEADER_LEN],
    context: Vec<u8>,
    /// Plaintext not sealed yet: at most one chunk.
    pending: Vec<u8>,
    /// Index of the next chunk to seal.
    index: u64,
    plain_len: u64,
}

impl Encryptor {
    /// A new stream under `key` (the object's own data key), with a fresh random `base_nonce`
    /// (the caller draws it, so seeded runs are repeatable), a chunk size, and the `context`
    /// bound into every chunk (see [`crate::encode_context`]).
    ///
    /// A base nonce must never be reused with the same key.
    pub fn new(
        key: &[u8; 32],
        base_nonce: [u8; NONCE_LEN],
        chunk_size: ChunkSize,
        context: Vec<u8>,
        backend: Backend,
    ) -> Self {
        let header = Header::new(chunk_size, base_nonce);
        Encryptor {
            aead: aead(key, backend),
            header,
            header_bytes: header.to_bytes(),
            context,
            pending: Vec::with_capacity(chunk_size.bytes()),
            index: 0,
            plain_len: 0,
        }
    }

    /// The stream header: the first 32 bytes of the blob.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        self.header_bytes
    }

    /// The stream header, parsed.
    pub fn parsed_header(&self) -> &Header {
        &self.header
    }

    /// Takes more plaintext and appends every chunk it completes to `out` (`ciphertext ‖ tag`).
    /// Up to one chunk of plaintext is held back until more data or [`Encryptor::finish`] comes.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let size = self.header.chunk_size().bytes();
        let mut data = data;
        if !self.pending.is_empty() || data.len() <= size {
            let room = size - self.pending.len();
            if data.len() <= room {
                self.pending.extend_from_slice(data);
                self.plain_len += data.len() as u64;
                return Ok(());
            }
            // The pending chunk fills up and more data follows: it is not the final chunk.
            let (head, tail) = data.split_at(room);
            self.pending.extend_from_slice(head);
            self.plain_len += head.len() as u64;
            data = tail;
            let pending = std::mem::take(&mut self.pending);
            let sealed = self.seal_chunk(&pending, false, out);
            self.pending = pending;
            self.pending.clear();
            sealed?;
        }
        // Whole chunks straight from `data`, as long as more data follows each of them.
        while data.len() > size {
            let (chunk, tail) = data.split_at(size);
            self.seal_chunk(chunk, false, out)?;
            self.plain_len += size as u64;
            data = tail;
        }
        self.pending.extend_from_slice(data);
        self.plain_len += data.len() as u64;
        Ok(())
    }

    /// Seals what is left as the final chunk (an empty one if nothing was pushed, so even an
    /// empty object's end is authenticated), appends it to `out` and reports the totals.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<Summary> {
        let pending = std::mem::take(&mut self.pending);
        self.seal_chunk(&pending, true, out)?;
        Ok(Summary {
            plain_len: self.plain_len,
            stored_len: self.header.stored_len(self.plain_len)?,
            chunks: self.index,
        })
    }

    /// Encrypts everything `reader` yields and writes the whole blob (header, chunks) to
    /// `writer`, holding at most about two chunks in memory.
    pub fn encrypt_stream<R: Read, W: Write>(
        mut self,
        mut reader: R,
        mut writer: W,
    ) -> Result<Summary> {
        writer.write_all(&self.header_bytes)?;
        let size = self.header.chunk_size().stored_bytes();
        let mut input = vec![0u8; self.header.chunk_size().bytes()];
        let mut out = Vec::with_capacity(size);
        loop {
            let n = match reader.read(&mut input) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(err.into()),
            };
            self.push(&input[..n], &mut out)?;
            if !out.is_empty() {
                writer.write_all(&out)?;
                out.clear();
            }
        }
        let summary = self.finish(&mut out)?;
        writer.write_all(&out)?;
        writer.flush()?;
        Ok(summary)
    }

    /// Seals one chunk into `out` and advances the index. On failure `out` is left as it was.
    fn seal_chunk(&mut self, plain: &[u8], is_final: bool, out: &mut Vec<u8>) -> Result<()> {
        let index = self.index;
        let nonce = self.header.chunk_nonce(index);
        let aad = chunk_aad(&self.header_bytes, index, is_final, &self.context);
        let start = out.len();
        out.extend_from_slice(plain);
        match self.aead.seal_detached(&nonce, &aad, &mut out[start..]) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                self.index = index.checked_add(1).ok_or(AtRestError::TooLarge(index))?;
                Ok(())
            }
            Err(err) => {
                // Never leave plaintext in the output.
                out.truncate(start);
                Err(err)
            }
        }
    }
}
