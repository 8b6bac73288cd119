//! The in-memory back end: everything is gone when the process ends.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use s3lab_env::Entropy;

use crate::blob::{
    BlobReader, BlobWriter, FinishedBlob, MemoryReader, MemoryWriter, Payload, SharedBytes,
};
use crate::engine::{Engine, Persist, Upload};
use crate::{BucketRecord, ObjectMeta, PartRecord, Segment, StorageError, UploadRecord};

type Result<T> = std::result::Result<T, StorageError>;

/// Keeps everything in memory. Blobs are shared buffers, so a reader keeps the bytes it opened even
/// if the object is replaced or deleted meanwhile.
pub struct MemoryStorage {
    pub(crate) engine: Engine<MemPersist>,
}

impl MemoryStorage {
    /// Blob ids from a hash of a counter, the process id and the time.
    pub fn new() -> Self {
        Self::build(None)
    }

    /// Blob ids from `entropy`, so a seeded lab gets the same ids every run.
    pub fn with_entropy(entropy: Entropy) -> Self {
        Self::build(Some(entropy))
    }

    fn build(entropy: Option<Entropy>) -> Self {
        let persist = MemPersist {
            blobs: Mutex::new(HashMap::new()),
        };
        MemoryStorage {
            engine: Engine::new(persist, Vec::new(), entropy, Default::default()),
        }
    }
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStorage").finish_non_exhaustive()
    }
}

/// Blob bytes by blob id (ids are unique within a storage).
pub(crate) struct MemPersist {
    blobs: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl MemPersist {
    fn blobs(&self) -> MutexGuard<'_, HashMap<String, Arc<Vec<u8>>>> {
        // A HashMap insert or remove cannot be left half done by a panic elsewhere.
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_bytes(blob: &mut FinishedBlob) -> Result<Arc<Vec<u8>>> {
        match std::mem::replace(&mut blob.payload, Payload::File(None)) {
            Payload::Memory(bytes) => Ok(bytes),
            other => {
                blob.payload = other;
                Err(StorageError::InvalidArgument(format!(
                    "blob {} is not a memory blob",
                    blob.id
                )))
            }
        }
    }

    fn reader(&self, id: &str) -> Option<Box<dyn BlobReader>> {
        let bytes = self.blobs().get(id).cloned()?;
        Some(Box::new(MemoryReader {
            cursor: Cursor::new(SharedBytes(bytes)),
        }))
    }

    fn forget_segments(&self, segments: &[Segment]) {
        let mut blobs = self.blobs();
        for s in segments {
            blobs.remove(&s.blob);
        }
    }
}

impl Persist for MemPersist {
    fn create_bucket(&self, _record: &BucketRecord) -> Result<()> {
        Ok(())
    }

    fn update_bucket(&self, _record: &BucketRecord) -> Result<()> {
        Ok(())
    }

    fn delete_bucket(&self, _name: &str) -> Result<()> {
        Ok(())
    }

    fn new_blob(&self, bucket: &str, id: String, owner: u64) -> Result<Box<dyn BlobWriter>> {
        Ok(Box::new(MemoryWriter {
            id,
            bucket: bucket.to_owned(),
            owner,
            buf: Vec::new(),
        }))
    }

    fn commit_object(
        &self,
        meta: &ObjectMeta,
        blobs: Vec<FinishedBlob>,
        old: Option<&ObjectMeta>,
    ) -> Result<()> {
        let mut taken = Vec::with_capacity(blobs.len());
        for mut blob in blobs {
            let bytes = Self::take_bytes(&mut blob)?;
            taken.push((blob.id.clone(), bytes));
        }
        if let Some(old) = old {
            self.forget_segments(&old.segments);
        }
        let mut map = self.blobs();
        for (id, bytes) in taken {
            map.insert(id, bytes);
        }
        debug_assert!(meta.segments.iter().all(|s| map.contains_key(&s.blob)));
        Ok(())
    }

    fn delete_object(&self, meta: &ObjectMeta) -> Result<()> {
        self.forget_segments(&meta.segments);
        Ok(())
    }

    fn open_segment(&self, meta: &ObjectMeta, segment: &Segment) -> Result<Box<dyn BlobReader>> {
        self.reader(&segment.blob)
            .ok_or_else(|| StorageError::ObjectChanged {
                bucket: meta.bucket.clone(),
                key: meta.key.clone(),
            })
    }

    fn create_upload(&self, _upload: &UploadRecord) -> Result<()> {
        Ok(())
    }

    fn commit_part(
        &self,
        _upload: &UploadRecord,
        part: &PartRecord,
        mut blob: FinishedBlob,
        old: Option<&PartRecord>,
    ) -> Result<()> {
        let bytes = Self::take_bytes(&mut blob)?;
        let mut map = self.blobs();
        if let Some(old) = old {
            map.remove(&old.segment.blob);
        }
        map.insert(part.segment.blob.clone(), bytes);
        Ok(())
    }

    fn open_part(&self, upload: &UploadRecord, part: &PartRecord) -> Result<Box<dyn BlobReader>> {
        self.reader(&part.segment.blob)
            .ok_or_else(|| StorageError::NoSuchPart {
                upload_id: upload.upload_id.clone(),
                part_number: part.part_number,
            })
    }

    fn complete_upload(
        &self,
        upload: &Upload,
        chosen: &[&PartRecord],
        _meta: &ObjectMeta,
        old: Option<&ObjectMeta>,
    ) -> Result<()> {
        let mut map = self.blobs();
        for part in upload.parts.values() {
            if !chosen.iter().any(|c| c.part_number == part.part_number) {
                map.remove(&part.segment.blob);
            }
        }
        if let Some(old) = old {
            for s in &old.segments {
                map.remove(&s.blob);
            }
        }
        Ok(())
    }

    fn abort_upload(&self, upload: &Upload) -> Result<()> {
        let mut map = self.blobs();
        for part in upload.parts.values() {
            map.remove(&part.segment.blob);
        }
        Ok(())
    }
}
