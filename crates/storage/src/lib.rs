//! Where the mock S3 keeps buckets, objects and multipart uploads.
//!
//! One trait, [`Storage`], and two back ends: [`MemoryStorage`] keeps everything in memory, and
//! [`DirStorage`] keeps it in a folder a learner can open and inspect. This crate never encrypts
//! and never interprets encryption: blobs arrive already encrypted, and metadata carries an opaque
//! `encryption` JSON value that the S3 crate defines.
//!
//! # Writing an object
//!
//! ```no_run
//! # use s3lab_storage::*;
//! # fn put(storage: &dyn Storage, body: &[&[u8]]) -> Result<(), StorageError> {
//! let mut writer = storage.new_blob("my-bucket")?;   // a temp file, filled as the body streams in
//! for chunk in body {
//!     writer.write_all(chunk)?;                       // (already encrypted by the S3 crate)
//! }
//! let blob = writer.finish()?;                        // fsynced, not yet visible
//! let meta = ObjectMeta {
//!     bucket: "my-bucket".into(),
//!     key: "notes/today.txt".into(),
//!     segments: vec![Segment { blob: blob.id.clone(), stored_len: blob.stored_len, ..Default::default() }],
//!     ..Default::default()
//! };
//! let replaced = storage.commit_object(&meta, vec![blob])?; // now visible, atomically
//! # let _ = replaced; Ok(()) }
//! ```
//!
//! # The folder of a [`DirStorage`]
//!
//! ```text
//! <root>/.s3lab-storage.lock                          held while a DirStorage has the folder open
//! <root>/<bucket>/bucket.json                         the BucketRecord
//! <root>/<bucket>/objects/<name>.meta.json            an ObjectMeta: plaintext, pretty-printed JSON
//! <root>/<bucket>/objects/<name>.<blob-id>.blob       the stored bytes of one segment (ciphertext)
//! <root>/<bucket>/uploads/<upload-id>/upload.json     an UploadRecord: a multipart upload in progress
//! <root>/<bucket>/uploads/<upload-id>/part-00001.json                 a PartRecord
//! <root>/<bucket>/uploads/<upload-id>/part-00001.<blob-id>.blob       the part's stored bytes
//! ```
//!
//! `<name>` is the object key, percent-encoded: every byte except `A-Z a-z 0-9 - _ .` becomes `%XX`
//! (so `/` is `%2F`), and so does a leading `.` (so no name is `.`, `..` or hidden). When that is
//! longer than 150 bytes, `<name>` is `~` followed by the hex SHA-256 of the key instead. The meta
//! file always holds the real key. `<blob-id>` is 32 hex digits chosen by the storage; a simple PUT
//! has one blob, a multipart object one per part, each named in the meta's `segments`.
//!
//! Names starting with `.` and containing `.tmp-` are temp files of writes in progress
//! (`s3lab_durable::temp_path_for`). Bucket names follow S3's rules ([`is_valid_bucket_name`]) and
//! upload ids are checked when created ([`is_valid_upload_id`]); object keys reach the file system
//! only as `<name>`. So no bucket name, key or upload id from the network can name a path outside
//! its place. Folders in `<root>` without a `bucket.json` are not buckets and are left alone, so
//! the root can be a folder of its own, such as `<data-dir>/s3`.
//!
//! On a case-insensitive file system (the macOS and Windows defaults) two keys that differ only in
//! case share a `<name>`: storing the second is refused with [`StorageError::KeyClash`] instead of
//! overwriting the first.
//!
//! # Crash safety
//!
//! Every record is written with [`s3lab_durable::write_atomic`] (temp file, fsync, rename, fsync of
//! the folder), so a record file is always either its old or its new version. On top of that, each
//! change has one **commit point**, a single rename, and is ordered so that a crash before it leaves
//! the old state plus unreferenced files, and a crash after it the new state plus unreferenced files:
//!
//! * **PUT** (`commit_object`): the blob is streamed to a temp file and fsynced (`finish`), renamed
//!   to `<name>.<blob-id>.blob` (the folder fsynced), then the meta is written: its rename is the
//!   commit point. Then the replaced object's blobs are removed. Before the commit point the new blob
//!   is an orphan; after it, the old blobs are.
//! * **DELETE**: removing the meta file is the commit point; the blobs go after.
//! * **UploadPart** (`commit_part`): the blob is renamed to `part-NNNNN.<blob-id>.blob`, then
//!   `part-NNNNN.json` is written (commit point), then a replaced part's blob is removed.
//! * **CompleteMultipartUpload**: the chosen part blobs are renamed from the upload folder into
//!   `objects/<name>.<blob-id>.blob` (same blob ids, no copying), both folders fsynced; then the meta
//!   is written (commit point); then the upload folder is renamed to a temp name (so it is never seen
//!   half deleted) and removed; then the replaced object's blobs.
//! * **Create/abort upload, create/delete bucket**: a folder built under a temp name and renamed into
//!   place, or renamed to a temp name and then removed.
//!
//! [`DirStorage::open`] finishes the story. It first reads every record; one that cannot be read or
//! parsed, or that refers to a blob file that is missing, stops the opening with its path and is
//! never deleted. Then it tidies up (and reports it in [`DirStorage::recovery`]):
//!
//! * temp files and folders are removed;
//! * an upload with a part whose blob a committed meta uses had its completion committed: its folder
//!   is removed;
//! * an upload with a part whose blob is missing from its folder but present as
//!   `objects/<name>.<blob-id>.blob` (and used by no meta) had its completion crash before the commit
//!   point: the blob is moved back, and the upload is listable and completable again;
//! * blob files that no meta or part refers to (orphans) are removed.
//!
//! Blob ids are never reused (ids found on disk are skipped), so an orphan can never be mistaken
//! for a live blob, and a rename into place never overwrites a file.
//!
//! # Concurrency
//!
//! The back ends keep an index of every bucket in memory (the directory back end loads it at open).
//! Each bucket has its own lock, held only while a change is committed (renames, fsyncs, the index
//! update) and never while a body streams in: writers to different keys wait for each other for a
//! few fsyncs at most. Two writers to the same key: the last commit wins, and the loser's blobs are
//! removed as replaced. A reader that opened a segment keeps reading it even if the object is
//! replaced meanwhile (on Unix, and in memory); a reader that asks with stale metadata gets
//! [`StorageError::ObjectChanged`].

mod blob;
#[cfg(test)]
mod crash_tests;
mod dir;
mod engine;
mod error;
mod memory;
mod model;
mod names;

pub use blob::{BlobReader, BlobWriter, FinishedBlob};
pub use dir::{DirStorage, Recovery};
pub use error::StorageError;
pub use memory::MemoryStorage;
pub use model::{BucketRecord, ObjectMeta, PartRecord, Segment, UploadRecord};
pub use names::{is_valid_bucket_name, is_valid_upload_id, object_file_name, MAX_PLAIN_NAME};

use std::path::PathBuf;

/// The storage operations the mock S3 needs. Calls block (on disk I/O for [`DirStorage`]): call them
/// from `spawn_blocking`.
pub trait Storage: Send + Sync {
    /// Fails with [`StorageError::BucketExists`] or [`StorageError::InvalidBucketName`].
    fn create_bucket(&self, b: &BucketRecord) -> Result<(), StorageError>;
    /// Replaces the record atomically. Fails with [`StorageError::NoSuchBucket`].
    fn update_bucket(&self, b: &BucketRecord) -> Result<(), StorageError>;
    fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>, StorageError>;
    /// Sorted by name.
    fn list_buckets(&self) -> Result<Vec<BucketRecord>, StorageError>;
    /// Fails with [`StorageError::BucketNotEmpty`] while the bucket holds objects or uploads in
    /// progress, and with [`StorageError::NoSuchBucket`].
    fn delete_bucket(&self, name: &str) -> Result<(), StorageError>;

    /// A new blob that receives stored bytes as they stream in, for `commit_object` or
    /// `commit_part` in the same bucket.
    fn new_blob(&self, bucket: &str) -> Result<Box<dyn BlobWriter>, StorageError>;
    /// Makes `meta` the object `meta.bucket`/`meta.key`, atomically. `blobs` are the blobs that
    /// `meta.segments` name (by [`FinishedBlob::id`], in any order). Returns the object replaced.
    fn commit_object(
        &self,
        meta: &ObjectMeta,
        blobs: Vec<FinishedBlob>,
    ) -> Result<Option<ObjectMeta>, StorageError>;
    fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StorageError>;
    /// The stored bytes of `meta.segments[index]`. Fails with [`StorageError::ObjectChanged`] if
    /// `meta` is stale and the blob is gone.
    fn open_segment(
        &self,
        meta: &ObjectMeta,
        index: usize,
    ) -> Result<Box<dyn BlobReader>, StorageError>;
    /// Returns the object deleted, if there was one.
    fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StorageError>;
    /// At most `limit` objects whose keys start with `prefix` and come after `start_after`, sorted
    /// by key in UTF-8 byte order.
    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>, StorageError>;

    /// Fails with [`StorageError::UploadExists`], or `InvalidArgument` for an unusable upload id
    /// (1 to 200 characters from `A-Z a-z 0-9 . _ -`, starting with a letter or digit).
    fn create_upload(&self, u: &UploadRecord) -> Result<(), StorageError>;
    fn get_upload(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<UploadRecord>, StorageError>;
    /// Sorted by key, then initiation time.
    fn list_uploads(&self, bucket: &str) -> Result<Vec<UploadRecord>, StorageError>;
    /// Stores a part; a part with the same number is replaced. `part.segment` must describe `blob`.
    fn commit_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part: &PartRecord,
        blob: FinishedBlob,
    ) -> Result<(), StorageError>;
    /// Sorted by part number.
    fn list_parts(&self, bucket: &str, upload_id: &str) -> Result<Vec<PartRecord>, StorageError>;
    fn open_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part_number: u32,
    ) -> Result<Box<dyn BlobReader>, StorageError>;
    /// Makes `meta` the object, atomically. `meta.segments` name the chosen parts' blobs (as
    /// [`list_parts`](Storage::list_parts) gave them); those blobs move into the object without
    /// copying, and the other parts and the upload are removed. Returns the object replaced.
    fn complete_upload(
        &self,
        upload_id: &str,
        meta: &ObjectMeta,
    ) -> Result<Option<ObjectMeta>, StorageError>;
    /// Fails with [`StorageError::NoSuchUpload`].
    fn abort_upload(&self, bucket: &str, upload_id: &str) -> Result<(), StorageError>;

    /// Where the object's metadata is on disk, for showing a learner ("`cat` this file"). `None` for
    /// a back end without files.
    fn meta_path(&self, _bucket: &str, _key: &str) -> Option<PathBuf> {
        None
    }
    /// Where the stored bytes of `meta.segments[index]` are on disk ("`hexdump` this file").
    fn blob_path(&self, _meta: &ObjectMeta, _index: usize) -> Option<PathBuf> {
        None
    }
}

macro_rules! delegate_storage {
    ($ty:ty) => {
        impl Storage for $ty {
            fn create_bucket(&self, b: &BucketRecord) -> Result<(), StorageError> {
                self.engine.create_bucket(b)
            }
            fn update_bucket(&self, b: &BucketRecord) -> Result<(), StorageError> {
                self.engine.update_bucket(b)
            }
            fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>, StorageError> {
                self.engine.get_bucket(name)
            }
            fn list_buckets(&self) -> Result<Vec<BucketRecord>, StorageError> {
                self.engine.list_buckets()
            }
            fn delete_bucket(&self, name: &str) -> Result<(), StorageError> {
                self.engine.delete_bucket(name)
            }
            fn new_blob(&self, bucket: &str) -> Result<Box<dyn BlobWriter>, StorageError> {
                self.engine.new_blob(bucket)
            }
            fn commit_object(
                &self,
                meta: &ObjectMeta,
                blobs: Vec<FinishedBlob>,
            ) -> Result<Option<ObjectMeta>, StorageError> {
                self.engine.commit_object(meta, blobs)
            }
            fn get_object(
                &self,
                bucket: &str,
                key: &str,
            ) -> Result<Option<ObjectMeta>, StorageError> {
                self.engine.get_object(bucket, key)
            }
            fn open_segment(
                &self,
                meta: &ObjectMeta,
                index: usize,
            ) -> Result<Box<dyn BlobReader>, StorageError> {
                self.engine.open_segment(meta, index)
            }
            fn delete_object(
                &self,
                bucket: &str,
                key: &str,
            ) -> Result<Option<ObjectMeta>, StorageError> {
                self.engine.delete_object(bucket, key)
            }
            fn list_objects(
                &self,
                bucket: &str,
                prefix: &str,
                start_after: Option<&str>,
                limit: usize,
            ) -> Result<Vec<ObjectMeta>, StorageError> {
                self.engine.list_objects(bucket, prefix, start_after, limit)
            }
            fn create_upload(&self, u: &UploadRecord) -> Result<(), StorageError> {
                self.engine.create_upload(u)
            }
            fn get_upload(
                &self,
                bucket: &str,
                upload_id: &str,
            ) -> Result<Option<UploadRecord>, StorageError> {
                self.engine.get_upload(bucket, upload_id)
            }
            fn list_uploads(&self, bucket: &str) -> Result<Vec<UploadRecord>, StorageError> {
                self.engine.list_uploads(bucket)
            }
            fn commit_part(
                &self,
                bucket: &str,
                upload_id: &str,
                part: &PartRecord,
                blob: FinishedBlob,
            ) -> Result<(), StorageError> {
                self.engine.commit_part(bucket, upload_id, part, blob)
            }
            fn list_parts(
                &self,
                bucket: &str,
                upload_id: &str,
            ) -> Result<Vec<PartRecord>, StorageError> {
                self.engine.list_parts(bucket, upload_id)
            }
            fn open_part(
                &self,
                bucket: &str,
                upload_id: &str,
                part_number: u32,
            ) -> Result<Box<dyn BlobReader>, StorageError> {
                self.engine.open_part(bucket, upload_id, part_number)
            }
            fn complete_upload(
                &self,
                upload_id: &str,
                meta: &ObjectMeta,
            ) -> Result<Option<ObjectMeta>, StorageError> {
                self.engine.complete_upload(upload_id, meta)
            }
            fn abort_upload(&self, bucket: &str, upload_id: &str) -> Result<(), StorageError> {
                self.engine.abort_upload(bucket, upload_id)
            }
            fn meta_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
                self.engine.meta_path(bucket, key)
            }
            fn blob_path(&self, meta: &ObjectMeta, index: usize) -> Option<PathBuf> {
                self.engine.blob_path(meta, index)
            }
        }
    };
}

delegate_storage!(MemoryStorage);
delegate_storage!(DirStorage);
