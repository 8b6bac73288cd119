//! Streaming object data in and out: encryption on the way to storage, decryption (whole object or
//! a range, across multipart segments) on the way out. Memory stays bounded by a few chunks.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use md5::{Digest, Md5};
use s3lab_atrest::{Backend, ChunkSize, Decryptor, Encryptor, RangeReader, HEADER_LEN};
use s3lab_env::Env;
use s3lab_storage::{BlobReader, FinishedBlob, ObjectMeta, Storage};

use crate::encryption::{chunk_context, DataKeys};
use crate::error::{S3Error, S3Result};

/// Where a write's plaintext comes from. The HTTP layer implements it over the request body
/// (aws-chunked decoding, checksums); tests and copies implement it over bytes or another object.
pub trait BodySource: Send {
    /// The next piece of plaintext, or `None` at the end. Errors end the write and leave nothing.
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>>;

    /// The flexible checksums of the body (algorithm name → base64), verified, once the body has
    /// ended. They are stored with the object and echoed on request.
    fn checksums(&self) -> std::collections::BTreeMap<String, String> {
        std::collections::BTreeMap::new()
    }

    /// Asked before the first [`next_chunk`](Self::next_chunk): will the source compute the MD5
    /// of the plaintext it yields, as it yields it? A source that hashes its bytes anyway (the
    /// HTTP body checks `Content-MD5`) says yes, and the writer then does not hash them again.
    fn compute_md5(&mut self) -> bool {
        false
    }

    /// The MD5 of everything yielded, once `next_chunk` has returned `None`, when
    /// [`compute_md5`](Self::compute_md5) said yes.
    fn md5(&self) -> Option<[u8; 16]> {
        None
    }
}

impl BodySource for std::vec::IntoIter<Vec<u8>> {
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>> {
        Ok(self.next())
    }
}

/// A body held in memory (small bodies, tests).
pub struct BytesBody(pub Option<Vec<u8>>);

impl BodySource for BytesBody {
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>> {
        Ok(self.0.take())
    }
}

/// A finished segment blob and what was learnt writing it.
pub struct WrittenSegment {
    pub blob: FinishedBlob,
    pub plain_len: u64,
    pub md5: Option<[u8; 16]>,
}

pub fn storage_error(e: s3lab_storage::StorageError) -> S3Error {
    use s3lab_storage::StorageError as E;
    match e {
        E::NoSuchBucket(b) => S3Error::no_such_bucket(&b),
        E::BucketExists(b) => S3Error::new(
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        )
        .with("BucketName", b),
        E::BucketNotEmpty(b) => S3Error::new(
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
        )
        .with("BucketName", b),
        E::InvalidBucketName(b) => S3Error::new(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        )
        .with("BucketName", b),
        E::NoSuchUpload { upload_id, .. } => S3Error::no_such_upload(&upload_id),
        E::InvalidArgument(m) => S3Error::invalid_argument(m),
        other => S3Error::internal(&other.to_string()),
    }
}

fn atrest_error(e: s3lab_atrest::AtRestError) -> S3Error {
    // Stored bytes that do not authenticate are a fault of the storage, never data to hand out.
    S3Error::internal(&format!("stored object data failed to decrypt: {e}"))
}

/// Streams `body` into a new blob of `bucket`, encrypting it under `keys` (none: stored as is).
#[allow(clippy::too_many_arguments)]
pub fn write_segment(
    storage: &dyn Storage,
    env: &Env,
    backend: Backend,
    chunk_size: ChunkSize,
    bucket: &str,
    key: &str,
    part: u32,
    keys: Option<&DataKeys>,
    body: &mut dyn BodySource,
    want_md5: bool,
    max_len: u64,
) -> S3Result<WrittenSegment> {
    let mut writer = storage.new_blob(bucket).map_err(storage_error)?;
    // MD5 is the slowest hash here: computed once, by the source when it can.
    let md5_from_body = want_md5 && body.compute_md5();
    let mut md5 = (want_md5 && !md5_from_body).then(Md5::new);
    let mut inner = keys.map(|k| {
        Encryptor::new(
            &k.inner,
            env.entropy.array(),
            chunk_size,
            chunk_context(bucket, key, part, "data"),
            backend,
        )
    });
    let mut outer = keys.and_then(|k| k.outer.as_ref()).map(|outer_key| {
        Encryptor::new(
            outer_key,
            env.entropy.array(),
            chunk_size,
            chunk_context(bucket, key, part, "dsse-outer"),
            backend,
        )
    });
    let mut plain_len: u64 = 0;
    let mut stage1 = Vec::new();
    let mut stage2 = Vec::new();
    // The two headers go first: the inner stream's header is the first data of the outer stream.
    if let Some(enc) = &inner {
        stage1.extend_from_slice(&enc.header());
    }
    if let Some(enc) = &outer {
        stage2.extend_from_slice(&enc.header());
    }
    let write_out = |stage1: &mut Vec<u8>,
                     stage2: &mut Vec<u8>,
                     outer: &mut Option<Encryptor>,
                     writer: &mut Box<dyn s3lab_storage::BlobWriter>|
     -> S3Result<()> {
        match outer {
            Some(enc) => {
                enc.push(stage1, stage2).map_err(atrest_error)?;
                stage1.clear();
                writer.write_all(stage2).map_err(storage_error)?;
                stage2.clear();
            }
            None => {
                writer.write_all(stage1).map_err(storage_error)?;
                stage1.clear();
            }
        }
        Ok(())
    };
    while let Some(chunk) = body.next_chunk()? {
        plain_len += chunk.len() as u64;
        if plain_len > max_len {
            return Err(S3Error::new(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
            )
            .with("ProposedSize", plain_len.to_string())
            .with("MaxSizeAllowed", max_len.to_string()));
        }
        if let Some(h) = md5.as_mut() {
            h.update(&chunk);
        }
        match inner.as_mut() {
            Some(enc) => enc.push(&chunk, &mut stage1).map_err(atrest_error)?,
            None => stage1.extend_from_slice(&chunk),
        }
        if !stage1.is_empty() {
            write_out(&mut stage1, &mut stage2, &mut outer, &mut writer)?;
        }
    }
    if let Some(enc) = inner.take() {
        enc.finish(&mut stage1).map_err(atrest_error)?;
    }
    write_out(&mut stage1, &mut stage2, &mut outer, &mut writer)?;
    if let Some(enc) = outer.take() {
        enc.finish(&mut stage2).map_err(atrest_error)?;
        writer.write_all(&stage2).map_err(storage_error)?;
    }
    let md5 = match md5 {
        Some(h) => Some(h.finalize().into()),
        None if md5_from_body => Some(body.md5().ok_or_else(|| {
            S3Error::internal("the request body ended without the MD5 it promised")
        })?),
        None => None,
    };
    let blob = writer.finish().map_err(storage_error)?;
    Ok(WrittenSegment {
        blob,
        plain_len,
        md5,
    })
}

/// Reads the plaintext bytes `start..=end` of one stored segment.
#[allow(clippy::too_many_arguments)]
fn segment_reader(
    reader: Box<dyn BlobReader>,
    keys: Option<&DataKeys>,
    backend: Backend,
    bucket: &str,
    key: &str,
    part: u32,
    plain_len: u64,
    start: u64,
    end: u64,
) -> S3Result<Box<dyn Iterator<Item = S3Result<Vec<u8>>> + Send>> {
    let Some(keys) = keys else {
        return Ok(Box::new(PlainRange::new(reader, start, end)?));
    };
    let context = chunk_context(bucket, key, part, "data");
    match keys.outer.as_ref() {
        None => {
            let r = RangeReader::new(reader, &keys.inner, context, backend, plain_len, start, end)
                .map_err(atrest_error)?;
            Ok(Box::new(r.map(|c| c.map_err(atrest_error))))
        }
        Some(outer_key) => {
            // DSSE: the outer layer decrypts into the inner stream, which is then read like any other.
            let inner_stored = s3lab_atrest::stored_len(plain_len, crate::service::CHUNK_SIZE)
                .map_err(atrest_error)?;
            let outer = DecryptedView::new(
                reader,
                outer_key,
                chunk_context(bucket, key, part, "dsse-outer"),
                backend,
                inner_stored,
            )?;
            let r = RangeReader::new(outer, &keys.inner, context, backend, plain_len, start, end)
                .map_err(atrest_error)?;
            Ok(Box::new(r.map(|c| c.map_err(atrest_error))))
        }
    }
}

/// Unencrypted bytes (the pre-2023 history switch): a plain bounded read.
struct PlainRange {
    reader: Box<dyn BlobReader>,
    remaining: u64,
}

impl PlainRange {
    fn new(mut reader: Box<dyn BlobReader>, start: u64, end: u64) -> S3Result<Self> {
        reader
            .seek(SeekFrom::Start(start))
            .map_err(|e| S3Error::internal(&e.to_string()))?;
        Ok(PlainRange {
            reader,
            remaining: end.saturating_add(1).saturating_sub(start),
        })
    }
}

impl Iterator for PlainRange {
    type Item = S3Result<Vec<u8>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let n = self.remaining.min(64 * 1024) as usize;
        let mut buf = vec![0u8; n];
        match self.reader.read_exact(&mut buf) {
            Ok(()) => {
                self.remaining -= n as u64;
                Some(Ok(buf))
            }
            Err(e) => {
                self.remaining = 0;
                Some(Err(S3Error::internal(&format!(
                    "stored object is shorter than its metadata says: {e}"
                ))))
            }
        }
    }
}

/// A `Read + Seek` view of the plaintext of an atrest stream, decrypting one chunk at a time on
/// demand. DSSE's outer layer is read through it.
struct DecryptedView {
    reader: Box<dyn BlobReader>,
    decryptor: Decryptor,
    plain_len: u64,
    pos: u64,
    cached: Option<(u64, Vec<u8>)>,
}

impl DecryptedView {
    fn new(
        mut reader: Box<dyn BlobReader>,
        key: &[u8; 32],
        context: Vec<u8>,
        backend: Backend,
        plain_len: u64,
    ) -> S3Result<Self> {
        let mut head = [0u8; HEADER_LEN];
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| S3Error::internal(&e.to_string()))?;
        reader
            .read_exact(&mut head)
            .map_err(|e| S3Error::internal(&format!("DSSE outer header unreadable: {e}")))?;
        let header = s3lab_atrest::parse_header(&head).map_err(atrest_error)?;
        let decryptor = Decryptor::new(key, &header, plain_len, context, backend);
        Ok(DecryptedView {
            reader,
            decryptor,
            plain_len,
            pos: 0,
            cached: None,
        })
    }

    fn chunk(&mut self, index: u64) -> std::io::Result<&[u8]> {
        if self.cached.as_ref().is_none_or(|(i, _)| *i != index) {
            let chunk_bytes = self.decryptor.header().chunk_size().stored_bytes() as u64;
            let offset = HEADER_LEN as u64 + index * chunk_bytes;
            let len = self
                .decryptor
                .stored_chunk_len(index)
                .map_err(std::io::Error::other)?;
            let mut buf = vec![0u8; len];
            self.reader.seek(SeekFrom::Start(offset))?;
            self.reader.read_exact(&mut buf)?;
            let plain = self
                .decryptor
                .open_chunk(index, &buf)
                .map_err(std::io::Error::other)?;
            self.cached = Some((index, plain));
        }
        Ok(self
            .cached
            .as_ref()
            .map(|(_, c)| c.as_slice())
            .unwrap_or(&[]))
    }
}

impl Read for DecryptedView {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.plain_len || out.is_empty() {
            return Ok(0);
        }
        let size = self.decryptor.header().chunk_size().bytes() as u64;
        let index = self.pos / size;
        let within = (self.pos % size) as usize;
        let chunk = self.chunk(index)?;
        let n = (chunk.len().saturating_sub(within)).min(out.len());
        out[..n].copy_from_slice(&chunk[within..within + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for DecryptedView {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.plain_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        Ok(self.pos)
    }
}

/// One segment's part of a read: which bytes of it.
struct Piece {
    index: usize,
    start: u64,
    end: u64,
}

/// The plaintext of an object, or of a range of it, chunk by chunk across its segments.
pub struct ObjectStream {
    storage: Arc<dyn Storage>,
    meta: ObjectMeta,
    keys: Option<DataKeys>,
    backend: Backend,
    pieces: std::vec::IntoIter<Piece>,
    current: Option<Box<dyn Iterator<Item = S3Result<Vec<u8>>> + Send>>,
    failed: bool,
}

impl ObjectStream {
    /// Bytes `start..=end` of the object (an empty object: `end < start`, nothing to read).
    pub fn new(
        storage: Arc<dyn Storage>,
        meta: ObjectMeta,
        keys: Option<DataKeys>,
        backend: Backend,
        start: u64,
        end: u64,
    ) -> Self {
        let mut pieces = Vec::new();
        let mut offset = 0u64;
        for (index, seg) in meta.segments.iter().enumerate() {
            let seg_start = offset;
            let seg_end = offset + seg.plain_len; // exclusive
            offset = seg_end;
            if seg.plain_len == 0 || end < seg_start || start >= seg_end || end < start {
                continue;
            }
            let from = start.max(seg_start) - seg_start;
            let to = end.min(seg_end - 1) - seg_start;
            pieces.push(Piece {
                index,
                start: from,
                end: to,
            });
        }
        ObjectStream {
            storage,
            meta,
            keys,
            backend,
            pieces: pieces.into_iter(),
            current: None,
            failed: false,
        }
    }

    fn open_next(&mut self) -> Option<S3Result<()>> {
        let piece = self.pieces.next()?;
        let seg = &self.meta.segments[piece.index];
        let part = seg.part_number.unwrap_or(0);
        let opened = self
            .storage
            .open_segment(&self.meta, piece.index)
            .map_err(storage_error)
            .and_then(|reader| {
                segment_reader(
                    reader,
                    self.keys.as_ref(),
                    self.backend,
                    &self.meta.bucket,
                    &self.meta.key,
                    part,
                    seg.plain_len,
                    piece.start,
                    piece.end,
                )
            });
        Some(opened.map(|it| {
            self.current = Some(it);
        }))
    }
}

impl Iterator for ObjectStream {
    type Item = S3Result<Vec<u8>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(it) = self.current.as_mut() {
                match it.next() {
                    Some(Ok(c)) if c.is_empty() => continue,
                    Some(Ok(c)) => return Some(Ok(c)),
                    Some(Err(e)) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                    None => self.current = None,
                }
            }
            match self.open_next()? {
                Ok(()) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Reads a whole object's plaintext as a [`BodySource`] (copies re-encrypt through this).
pub struct StreamBody(pub ObjectStream);

impl BodySource for StreamBody {
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>> {
        self.0.next().transpose()
    }
}
