//! The part both back ends share: the in-memory index of buckets, objects and uploads, the locking,
//! and every check on what callers pass in. A [`Persist`] back end makes each change durable (or,
//! for memory, keeps the bytes); the index changes only after the back end has committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use s3lab_env::Entropy;
use sha2::{Digest, Sha256};

use crate::blob::{BlobReader, BlobWriter, FinishedBlob};
use crate::names;
use crate::{BucketRecord, ObjectMeta, PartRecord, Segment, StorageError, UploadRecord};

type Result<T> = std::result::Result<T, StorageError>;

/// What a back end does to make a change real. Every method is called with the bucket's lock held
/// and after the engine has checked the arguments. A method returns `Ok` once its change is
/// committed; clean-up after the commit point is best effort and never turns into an error.
pub(crate) trait Persist: Send + Sync {
    fn create_bucket(&self, record: &BucketRecord) -> Result<()>;
    fn update_bucket(&self, record: &BucketRecord) -> Result<()>;
    fn delete_bucket(&self, name: &str) -> Result<()>;
    fn new_blob(&self, bucket: &str, id: String, owner: u64) -> Result<Box<dyn BlobWriter>>;
    /// `blobs[i]` holds the bytes of `meta.segments[i]`.
    fn commit_object(
        &self,
        meta: &ObjectMeta,
        blobs: Vec<FinishedBlob>,
        old: Option<&ObjectMeta>,
    ) -> Result<()>;
    fn delete_object(&self, meta: &ObjectMeta) -> Result<()>;
    fn open_segment(&self, meta: &ObjectMeta, segment: &Segment) -> Result<Box<dyn BlobReader>>;
    fn create_upload(&self, upload: &UploadRecord) -> Result<()>;
    fn commit_part(
        &self,
        upload: &UploadRecord,
        part: &PartRecord,
        blob: FinishedBlob,
        old: Option<&PartRecord>,
    ) -> Result<()>;
    fn open_part(&self, upload: &UploadRecord, part: &PartRecord) -> Result<Box<dyn BlobReader>>;
    /// `chosen[i]` is the part whose blob becomes `meta.segments[i]`.
    fn complete_upload(
        &self,
        upload: &Upload,
        chosen: &[&PartRecord],
        meta: &ObjectMeta,
        old: Option<&ObjectMeta>,
    ) -> Result<()>;
    fn abort_upload(&self, upload: &Upload) -> Result<()>;

    fn meta_path(&self, _bucket: &str, _key: &str) -> Option<PathBuf> {
        None
    }
    fn blob_path(&self, _meta: &ObjectMeta, _segment: &Segment) -> Option<PathBuf> {
        None
    }
}

/// A multipart upload in progress, with its parts.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub(crate) record: UploadRecord,
    pub(crate) parts: BTreeMap<u32, PartRecord>,
}

#[derive(Debug)]
pub(crate) struct BucketState {
    /// False once the bucket is deleted: a request that found the bucket just before still holds
    /// this state and must see it gone.
    live: bool,
    record: BucketRecord,
    objects: BTreeMap<String, ObjectMeta>,
    uploads: HashMap<String, Upload>,
}

impl BucketState {
    pub(crate) fn new(
        record: BucketRecord,
        objects: BTreeMap<String, ObjectMeta>,
        uploads: HashMap<String, Upload>,
    ) -> Self {
        BucketState {
            live: true,
            record,
            objects,
            uploads,
        }
    }
}

type Cell = Arc<Mutex<BucketState>>;

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Engine<P> {
    pub(crate) persist: P,
    /// Lock order: this map first, then a bucket's mutex; never the other way round.
    buckets: RwLock<BTreeMap<String, Cell>>,
    ids: IdGen,
    /// Blob ids found on disk at start-up: never handed out again.
    taken: HashSet<String>,
    owner: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The index changes in single steps after each commit, so a panic elsewhere cannot leave it
    // half-updated: a poisoned lock is still safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

fn invalid(msg: impl Into<String>) -> StorageError {
    StorageError::InvalidArgument(msg.into())
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid("an object key cannot be empty"));
    }
    Ok(())
}

impl<P: Persist> Engine<P> {
    pub(crate) fn new(
        persist: P,
        buckets: Vec<BucketState>,
        entropy: Option<Entropy>,
        taken: HashSet<String>,
    ) -> Self {
        let map = buckets
            .into_iter()
            .map(|b| (b.record.name.clone(), Arc::new(Mutex::new(b))))
            .collect();
        let owner = NEXT_OWNER.fetch_add(1, Ordering::Relaxed);
        Engine {
            persist,
            buckets: RwLock::new(map),
            ids: IdGen::new(entropy, owner),
            taken,
            owner,
        }
    }

    fn cell(&self, bucket: &str) -> Result<Cell> {
        read(&self.buckets)
            .get(bucket)
            .cloned()
            .ok_or_else(|| StorageError::NoSuchBucket(bucket.to_owned()))
    }

    /// Runs `f` with the bucket locked.
    fn with_bucket<T>(
        &self,
        bucket: &str,
        f: impl FnOnce(&mut BucketState) -> Result<T>,
    ) -> Result<T> {
        let cell = self.cell(bucket)?;
        let mut state = lock(&cell);
        if !state.live {
            return Err(StorageError::NoSuchBucket(bucket.to_owned()));
        }
        f(&mut state)
    }

    fn check_blob(&self, blob: &FinishedBlob, bucket: &str) -> Result<()> {
        if blob.owner != self.owner {
            return Err(invalid(format!(
                "blob {} was written to another storage",
                blob.id
            )));
        }
        if blob.bucket != bucket {
            return Err(invalid(format!(
                "blob {} was written for bucket {:?}, not {bucket:?}",
                blob.id, blob.bucket
            )));
        }
        Ok(())
    }

    pub(crate) fn create_bucket(&self, b: &BucketRecord) -> Result<()> {
        if !names::is_valid_bucket_name(&b.name) {
            return Err(StorageError::InvalidBucketName(b.name.clone()));
        }
        let mut map = write(&self.buckets);
        if map.contains_key(&b.name) {
            return Err(StorageError::BucketExists(b.name.clone()));
        }
        self.persist.create_bucket(b)?;
        let state = BucketState::new(b.clone(), BTreeMap::new(), HashMap::new());
        map.insert(b.name.clone(), Arc::new(Mutex::new(state)));
        Ok(())
    }

    pub(crate) fn update_bucket(&self, b: &BucketRecord) -> Result<()> {
        self.with_bucket(&b.name, |state| {
            self.persist.update_bucket(b)?;
            state.record = b.clone();
            Ok(())
        })
    }

    pub(crate) fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        match self.with_bucket(name, |state| Ok(state.record.clone())) {
            Ok(r) => Ok(Some(r)),
            Err(StorageError::NoSuchBucket(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn list_buckets(&self) -> Result<Vec<BucketRecord>> {
        let cells: Vec<Cell> = read(&self.buckets).values().cloned().collect();
        Ok(cells
            .iter()
            .filter_map(|c| {
                let state = lock(c);
                state.live.then(|| state.record.clone())
            })
            .collect())
    }

    pub(crate) fn delete_bucket(&self, name: &str) -> Result<()> {
        let mut map = write(&self.buckets);
        let cell = map
            .get(name)
            .cloned()
            .ok_or_else(|| StorageError::NoSuchBucket(name.to_owned()))?;
        let mut state = lock(&cell);
        if !state.objects.is_empty() || !state.uploads.is_empty() {
            return Err(StorageError::BucketNotEmpty(name.to_owned()));
        }
        self.persist.delete_bucket(name)?;
        state.live = false;
        map.remove(name);
        Ok(())
    }

    pub(crate) fn new_blob(&self, bucket: &str) -> Result<Box<dyn BlobWriter>> {
        self.with_bucket(bucket, |_| Ok(()))?;
        let id = self.ids.next(&self.taken);
        self.persist.new_blob(bucket, id, self.owner)
    }

    pub(crate) fn commit_object(
        &self,
        meta: &ObjectMeta,
        mut blobs: Vec<FinishedBlob>,
    ) -> Result<Option<ObjectMeta>> {
        check_key(&meta.key)?;
        if blobs.len() != meta.segments.len() {
            return Err(invalid(format!(
                "{} segments but {} blobs",
                meta.segments.len(),
                blobs.len()
            )));
        }
        for blob in &blobs {
            self.check_blob(blob, &meta.bucket)?;
        }
        // Put the blobs in segment order.
        let mut ordered = Vec::with_capacity(blobs.len());
        for seg in &meta.segments {
            let i = blobs.iter().position(|b| b.id == seg.blob).ok_or_else(|| {
                invalid(format!("no blob {:?} was given for a segment", seg.blob))
            })?;
            let blob = blobs.swap_remove(i);
            if blob.stored_len != seg.stored_len {
                return Err(invalid(format!(
                    "segment says blob {} holds {} bytes, but it holds {}",
                    seg.blob, seg.stored_len, blob.stored_len
                )));
            }
            ordered.push(blob);
        }
        self.with_bucket(&meta.bucket, |state| {
            let old = state.objects.get(&meta.key);
            self.persist.commit_object(meta, ordered, old)?;
            Ok(state.objects.insert(meta.key.clone(), meta.clone()))
        })
    }

    pub(crate) fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>> {
        self.with_bucket(bucket, |state| Ok(state.objects.get(key).cloned()))
    }

    pub(crate) fn open_segment(
        &self,
        meta: &ObjectMeta,
        index: usize,
    ) -> Result<Box<dyn BlobReader>> {
        let seg = meta.segments.get(index).ok_or_else(|| {
            invalid(format!(
                "segment {index} of an object with {} segments",
                meta.segments.len()
            ))
        })?;
        self.with_bucket(&meta.bucket, |_| self.persist.open_segment(meta, seg))
    }

    pub(crate) fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>> {
        self.with_bucket(bucket, |state| {
            let Some(old) = state.objects.get(key) else {
                return Ok(None);
            };
            self.persist.delete_object(old)?;
            Ok(state.objects.remove(key))
        })
    }

    pub(crate) fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        self.with_bucket(bucket, |state| {
            let start = match start_after {
                Some(after) if after >= prefix => Bound::Excluded(after),
                _ => Bound::Included(prefix),
            };
            Ok(state
                .objects
                .range::<str, _>((start, Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit)
                .map(|(_, m)| m.clone())
                .collect())
        })
    }

    pub(crate) fn create_upload(&self, u: &UploadRecord) -> Result<()> {
        check_key(&u.key)?;
        if !names::is_valid_upload_id(&u.upload_id) {
            return Err(invalid(format!(
                "{:?} is not a valid upload id",
                u.upload_id
            )));
        }
        self.with_bucket(&u.bucket, |state| {
            if state.uploads.contains_key(&u.upload_id) {
                return Err(StorageError::UploadExists {
                    upload_id: u.upload_id.clone(),
                });
            }
            self.persist.create_upload(u)?;
            let upload = Upload {
                record: u.clone(),
                parts: BTreeMap::new(),
            };
            state.uploads.insert(u.upload_id.clone(), upload);
            Ok(())
        })
    }

    pub(crate) fn get_upload(&self, bucket: &str, upload_id: &str) -> Result<Option<UploadRecord>> {
        self.with_bucket(bucket, |state| {
            Ok(state.uploads.get(upload_id).map(|u| u.record.clone()))
        })
    }

    pub(crate) fn list_uploads(&self, bucket: &str) -> Result<Vec<UploadRecord>> {
        self.with_bucket(bucket, |state| {
            let mut all: Vec<UploadRecord> =
                state.uploads.values().map(|u| u.record.clone()).collect();
            all.sort_by(|a, b| {
                (&a.key, &a.initiated, &a.upload_id).cmp(&(&b.key, &b.initiated, &b.upload_id))
            });
            Ok(all)
        })
    }

    pub(crate) fn commit_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part: &PartRecord,
        blob: FinishedBlob,
    ) -> Result<()> {
        if !names::is_valid_part_number(part.part_number) {
            return Err(invalid(format!(
                "part number {} is not between 1 and 10000",
                part.part_number
            )));
        }
        self.check_blob(&blob, bucket)?;
        if part.segment.blob != blob.id || part.segment.stored_len != blob.stored_len {
            return Err(invalid(format!(
                "the part's segment (blob {:?}, {} bytes) does not describe the blob given (blob {:?}, {} bytes)",
                part.segment.blob, part.segment.stored_len, blob.id, blob.stored_len
            )));
        }
        self.with_bucket(bucket, |state| {
            let upload = state
                .uploads
                .get_mut(upload_id)
                .ok_or_else(|| no_such_upload(bucket, upload_id))?;
            let old = upload.parts.get(&part.part_number);
            self.persist.commit_part(&upload.record, part, blob, old)?;
            upload.parts.insert(part.part_number, part.clone());
            Ok(())
        })
    }

    pub(crate) fn list_parts(&self, bucket: &str, upload_id: &str) -> Result<Vec<PartRecord>> {
        self.with_bucket(bucket, |state| {
            let upload = state
                .uploads
                .get(upload_id)
                .ok_or_else(|| no_such_upload(bucket, upload_id))?;
            Ok(upload.parts.values().cloned().collect())
        })
    }

    pub(crate) fn open_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part_number: u32,
    ) -> Result<Box<dyn BlobReader>> {
        self.with_bucket(bucket, |state| {
            let upload = state
                .uploads
                .get(upload_id)
                .ok_or_else(|| no_such_upload(bucket, upload_id))?;
            let part = upload
                .parts
                .get(&part_number)
                .ok_or_else(|| StorageError::NoSuchPart {
                    upload_id: upload_id.to_owned(),
                    part_number,
                })?;
            self.persist.open_part(&upload.record, part)
        })
    }

    pub(crate) fn complete_upload(
        &self,
        upload_id: &str,
        meta: &ObjectMeta,
    ) -> Result<Option<ObjectMeta>> {
        check_key(&meta.key)?;
        if meta.segments.is_empty() {
            return Err(invalid("a multipart object needs at least one part"));
        }
        self.with_bucket(&meta.bucket, |state| {
            let upload = state
                .uploads
                .get(upload_id)
                .ok_or_else(|| no_such_upload(&meta.bucket, upload_id))?;
            if upload.record.key != meta.key {
                return Err(invalid(format!(
                    "the upload {upload_id:?} is for key {:?}, not {:?}",
                    upload.record.key, meta.key
                )));
            }
            let mut chosen: Vec<&PartRecord> = Vec::with_capacity(meta.segments.len());
            for seg in &meta.segments {
                let part = upload
                    .parts
                    .values()
                    .find(|p| p.segment.blob == seg.blob)
                    .filter(|p| !chosen.iter().any(|c| c.part_number == p.part_number))
                    .ok_or_else(|| StorageError::InvalidPart {
                        upload_id: upload_id.to_owned(),
                        blob: seg.blob.clone(),
                    })?;
                if part.segment.stored_len != seg.stored_len {
                    return Err(invalid(format!(
                        "segment says blob {} holds {} bytes, but part {} holds {}",
                        seg.blob, seg.stored_len, part.part_number, part.segment.stored_len
                    )));
                }
                chosen.push(part);
            }
            let old = state.objects.get(&meta.key);
            self.persist.complete_upload(upload, &chosen, meta, old)?;
            state.uploads.remove(upload_id);
            Ok(state.objects.insert(meta.key.clone(), meta.clone()))
        })
    }

    pub(crate) fn abort_upload(&self, bucket: &str, upload_id: &str) -> Result<()> {
        self.with_bucket(bucket, |state| {
            let upload = state
                .uploads
                .get(upload_id)
                .ok_or_else(|| no_such_upload(bucket, upload_id))?;
            self.persist.abort_upload(upload)?;
            state.uploads.remove(upload_id);
            Ok(())
        })
    }

    pub(crate) fn meta_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        self.persist.meta_path(bucket, key)
    }

    pub(crate) fn blob_path(&self, meta: &ObjectMeta, index: usize) -> Option<PathBuf> {
        self.persist.blob_path(meta, meta.segments.get(index)?)
    }
}

fn no_such_upload(bucket: &str, upload_id: &str) -> StorageError {
    StorageError::NoSuchUpload {
        bucket: bucket.to_owned(),
        upload_id: upload_id.to_owned(),
    }
}

/// Where blob ids come from: an injected [`Entropy`] (a seeded lab gets repeatable ids), or else a
/// hash of a per-storage salt (process id, start time) and a counter. Neither repeats within a
/// process; ids already on disk are skipped.
enum IdGen {
    Entropy(Entropy),
    Counter { salt: [u8; 32], next: AtomicU64 },
}

impl IdGen {
    fn new(entropy: Option<Entropy>, owner: u64) -> Self {
        match entropy {
            Some(e) => IdGen::Entropy(e),
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                let mut h = Sha256::new();
                h.update(b"s3lab-storage-blob-id");
                h.update(std::process::id().to_le_bytes());
                h.update(nanos.to_le_bytes());
                h.update(owner.to_le_bytes());
                IdGen::Counter {
                    salt: h.finalize().into(),
                    next: AtomicU64::new(0),
                }
            }
        }
    }

    fn raw(&self) -> [u8; names::BLOB_ID_LEN / 2] {
        match self {
            IdGen::Entropy(e) => e.array(),
            IdGen::Counter { salt, next } => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let digest = Sha256::new()
                    .chain_update(salt)
                    .chain_update(n.to_le_bytes())
                    .finalize();
                let mut out = [0u8; names::BLOB_ID_LEN / 2];
                out.copy_from_slice(&digest[..names::BLOB_ID_LEN / 2]);
                out
            }
        }
    }

    fn next(&self, taken: &HashSet<String>) -> String {
        loop {
            let id = hex::encode(self.raw());
            if !taken.contains(&id) {
                return id;
            }
        }
    }
}
