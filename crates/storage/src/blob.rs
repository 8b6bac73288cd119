//! Blobs: the stored (already encrypted) bytes of one segment, as they stream in and out.

use std::fs::File;
use std::io::{self, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::StorageError;

/// Receives a blob's bytes as they arrive. Dropping it before [`finish`](BlobWriter::finish)
/// throws the bytes away (the directory back end removes its temp file).
pub trait BlobWriter: Send {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StorageError>;
    /// Makes the bytes durable (fsync) and hands them over, ready for `commit_object` or
    /// `commit_part`.
    fn finish(self: Box<Self>) -> Result<FinishedBlob, StorageError>;
}

/// Reads a blob back: `Read + Seek`, and its length.
pub trait BlobReader: Read + Seek + Send {
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A complete, durable blob that no object or part uses yet. Give it to `commit_object` or
/// `commit_part`; dropping it instead removes it, so a client that disconnects mid-upload leaves
/// nothing behind.
#[derive(Debug)]
pub struct FinishedBlob {
    /// The blob id to put in [`Segment::blob`](crate::Segment::blob).
    pub id: String,
    /// Bytes written.
    pub stored_len: u64,
    pub(crate) bucket: String,
    /// Which storage made it: a blob can only be committed to the storage it was written to.
    pub(crate) owner: u64,
    pub(crate) payload: Payload,
}

#[derive(Debug)]
pub(crate) enum Payload {
    Memory(Arc<Vec<u8>>),
    /// A fsynced temp file; `None` once it has been renamed into place.
    File(Option<PathBuf>),
}

impl FinishedBlob {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn stored_len(&self) -> u64 {
        self.stored_len
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl Drop for FinishedBlob {
    fn drop(&mut self) {
        if let Payload::File(Some(path)) = &self.payload {
            // Best effort: a leftover temp file is removed at the next start anyway.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A bytes buffer shared with the memory store, so readers keep what they opened even if the
/// object is replaced meanwhile.
#[derive(Clone, Debug)]
pub(crate) struct SharedBytes(pub(crate) Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

pub(crate) struct MemoryWriter {
    pub(crate) id: String,
    pub(crate) bucket: String,
    pub(crate) owner: u64,
    pub(crate) buf: Vec<u8>,
}

impl BlobWriter for MemoryWriter {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<FinishedBlob, StorageError> {
        let this = *self;
        Ok(FinishedBlob {
            id: this.id,
            stored_len: this.buf.len() as u64,
            bucket: this.bucket,
            owner: this.owner,
            payload: Payload::Memory(Arc::new(this.buf)),
        })
    }
}

pub(crate) struct MemoryReader {
    pub(crate) cursor: Cursor<SharedBytes>,
}

impl Read for MemoryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.cursor.read(buf)
    }
}

impl Seek for MemoryReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.cursor.seek(pos)
    }
}

impl BlobReader for MemoryReader {
    fn len(&self) -> u64 {
        self.cursor.get_ref().0.len() as u64
    }
}

/// Streams into a temp file in the bucket's `objects/` folder.
pub(crate) struct FileWriter {
    pub(crate) id: String,
    pub(crate) bucket: String,
    pub(crate) owner: u64,
    pub(crate) path: PathBuf,
    /// `None` after `finish` (or a failed write) has closed it.
    pub(crate) file: Option<BufWriter<File>>,
    pub(crate) written: u64,
}

impl FileWriter {
    fn fail(&mut self, source: io::Error) -> StorageError {
        self.file = None;
        StorageError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl BlobWriter for FileWriter {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let Some(file) = self.file.as_mut() else {
            return Err(StorageError::InvalidArgument(
                "the blob writer already failed".into(),
            ));
        };
        match file.write_all(bytes) {
            Ok(()) => {
                self.written += bytes.len() as u64;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn finish(mut self: Box<Self>) -> Result<FinishedBlob, StorageError> {
        let Some(file) = self.file.take() else {
            return Err(StorageError::InvalidArgument(
                "the blob writer already failed".into(),
            ));
        };
        let file = match file.into_inner() {
            Ok(f) => f,
            Err(e) => return Err(self.fail(e.into_error())),
        };
        if let Err(e) = file.sync_all() {
            return Err(self.fail(e));
        }
        drop(file);
        // From here on the FinishedBlob owns the temp file (and removes it when dropped).
        let path = std::mem::take(&mut self.path);
        Ok(FinishedBlob {
            id: std::mem::take(&mut self.id),
            stored_len: self.written,
            bucket: std::mem::take(&mut self.bucket),
            owner: self.owner,
            payload: Payload::File(Some(path)),
        })
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub(crate) struct FileReader {
    pub(crate) file: File,
    pub(crate) len: u64,
}

impl Read for FileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Seek for FileReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl BlobReader for FileReader {
    fn len(&self) -> u64 {
        self.len
    }
}
