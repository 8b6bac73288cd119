//! The directory back end: the layout and the crash-safety argument are in the crate docs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use s3lab_durable::{is_temp_name, sync_dir, temp_path_for, write_atomic};
use s3lab_env::Entropy;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::blob::{BlobReader, BlobWriter, FileReader, FileWriter, FinishedBlob, Payload};
use crate::engine::{BucketState, Engine, Persist, Upload};
use crate::names::{self, *};
use crate::{BucketRecord, ObjectMeta, PartRecord, Segment, StorageError, UploadRecord};

type Result<T> = std::result::Result<T, StorageError>;

/// Keeps buckets, objects and uploads in a folder, in files a learner can read (see the crate
/// docs for the layout). One `DirStorage` per folder: the folder is locked while it is open.
pub struct DirStorage {
    pub(crate) engine: Engine<DirPersist>,
    recovery: Recovery,
    _lock: File,
}

impl std::fmt::Debug for DirStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirStorage")
            .field("root", &self.engine.persist.root)
            .finish_non_exhaustive()
    }
}

/// What [`DirStorage::open`] tidied up after an earlier crash. Empty after a clean shutdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Temp files and folders of writes that never finished.
    pub removed_temp: Vec<PathBuf>,
    /// Blob files that no object or part refers to: written, but never committed, or replaced.
    pub removed_orphans: Vec<PathBuf>,
    /// Part blobs that a multipart completion had moved into `objects/` before it crashed short of
    /// its commit point, moved back: `(from, to)`.
    pub moved_back: Vec<(PathBuf, PathBuf)>,
    /// Upload folders of multipart uploads whose completion had committed.
    pub removed_completed_uploads: Vec<PathBuf>,
}

impl Recovery {
    pub fn is_empty(&self) -> bool {
        self == &Recovery::default()
    }
}

impl DirStorage {
    /// Opens (creating it if needed) the storage folder `root`, checks every record, and cleans up
    /// what a crash left behind. A record that cannot be read stops the opening with its path; it is
    /// never deleted. Blob ids come from a hash of a counter, the process id and the time.
    pub fn open(root: &Path) -> Result<Self> {
        Self::open_inner(root, None)
    }

    /// Like [`open`](Self::open), with blob ids from `entropy` (a seeded lab gets the same ids on
    /// a fresh folder every run; ids already on disk are never reused).
    pub fn open_with_entropy(root: &Path, entropy: Entropy) -> Result<Self> {
        Self::open_inner(root, Some(entropy))
    }

    fn open_inner(root: &Path, entropy: Option<Entropy>) -> Result<Self> {
        fs::create_dir_all(root).map_err(StorageError::io(root))?;
        let lock = lock_root(root)?;
        let scan = scan_root(root)?;
        let plan = plan(&scan)?;
        let recovery = execute(&plan)?;
        let mut taken = HashSet::new();
        let buckets = build_index(scan, &plan, &mut taken);
        let persist = DirPersist {
            root: root.to_path_buf(),
        };
        Ok(DirStorage {
            engine: Engine::new(persist, buckets, entropy, taken),
            recovery,
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.engine.persist.root
    }

    /// What opening cleaned up.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }
}

fn lock_root(root: &Path) -> Result<File> {
    let path = root.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(StorageError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StorageError::Locked { path }),
        // A file system without locks: go on without one.
        Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => Ok(file),
        Err(fs::TryLockError::Error(e)) => Err(StorageError::Io { path, source: e }),
    }
}

// ---------------------------------------------------------------------------------------------
// Crash points, for this crate's tests only.

#[cfg(test)]
thread_local! {
    /// `(point, n)`: the `n`th time (from 0) this thread passes `point`, fail as if the process
    /// died there (no clean-up runs).
    pub(crate) static CRASH_AT: std::cell::Cell<Option<(&'static str, u32)>> =
        const { std::cell::Cell::new(None) };
}

fn crash_point(at: &'static str) -> Result<()> {
    #[cfg(test)]
    {
        if let Some((point, n)) = CRASH_AT.with(|c| c.get()) {
            if point == at {
                if n == 0 {
                    CRASH_AT.with(|c| c.set(None));
                    return Err(StorageError::SimulatedCrash(at));
                }
                CRASH_AT.with(|c| c.set(Some((point, n - 1))));
            }
        }
    }
    let _ = at;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The running back end.

pub(crate) struct DirPersist {
    root: PathBuf,
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    // The records hold strings, numbers, maps and serde_json::Values, which always serialise; an
    // error here would be a bug, and must never become an empty file.
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| {
        StorageError::InvalidArgument(format!("cannot serialise {}: {e}", path.display()))
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes).map_err(StorageError::io(path))
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(StorageError::io(from))
}

fn sync(dir: &Path) -> Result<()> {
    sync_dir(dir).map_err(StorageError::io(dir))
}

/// Never overwrite a blob: a blob file that exists belongs to someone.
fn ensure_absent(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
        Ok(_) => Err(StorageError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::AlreadyExists, "a blob with this id exists"),
        }),
    }
}

fn remove_quietly(path: &Path) {
    // Best effort, after the commit point: a leftover is an orphan that the next start removes.
    let _ = fs::remove_file(path);
}

/// Renames a folder to a temp name (the commit point of its removal), then removes it.
fn remove_dir_via_temp(dir: &Path) -> Result<PathBuf> {
    let tmp = temp_path_for(dir);
    rename(dir, &tmp)?;
    if let Some(parent) = dir.parent() {
        sync(parent)?;
    }
    Ok(tmp)
}

fn open_reader(path: &Path) -> io::Result<Box<dyn BlobReader>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    Ok(Box::new(FileReader { file, len }))
}

impl DirPersist {
    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    fn objects_dir(&self, bucket: &str) -> PathBuf {
        self.bucket_dir(bucket).join(OBJECTS_DIR)
    }

    fn uploads_dir(&self, bucket: &str) -> PathBuf {
        self.bucket_dir(bucket).join(UPLOADS_DIR)
    }

    fn upload_dir(&self, u: &UploadRecord) -> PathBuf {
        self.uploads_dir(&u.bucket).join(&u.upload_id)
    }

    fn meta_file_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.objects_dir(bucket)
            .join(meta_file(&object_file_name(key)))
    }

    fn object_blob_path(&self, bucket: &str, key: &str, blob: &str) -> PathBuf {
        self.objects_dir(bucket)
            .join(object_blob_file(&object_file_name(key), blob))
    }

    fn remove_segments(&self, meta: &ObjectMeta, keep: &[Segment]) {
        for s in &meta.segments {
            if names::is_blob_id(&s.blob) && !keep.iter().any(|k| k.blob == s.blob) {
                remove_quietly(&self.object_blob_path(&meta.bucket, &meta.key, &s.blob));
            }
        }
    }

    /// A new key whose meta file exists already: on a case-insensitive file system, another key
    /// that differs only in case has this file name.
    fn check_no_clash(&self, meta: &ObjectMeta, old: Option<&ObjectMeta>) -> Result<()> {
        let path = self.meta_file_path(&meta.bucket, &meta.key);
        if old.is_none() && fs::symlink_metadata(&path).is_ok() {
            return Err(StorageError::KeyClash {
                bucket: meta.bucket.clone(),
                key: meta.key.clone(),
                path,
            });
        }
        Ok(())
    }

    /// Whether the object's meta file holds `meta`: after a failed write, tells whether the write
    /// got as far as its commit point.
    fn meta_on_disk_is(&self, meta: &ObjectMeta) -> bool {
        fs::read(self.meta_file_path(&meta.bucket, &meta.key))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<ObjectMeta>(&bytes).ok())
            .is_some_and(|on_disk| &on_disk == meta)
    }

    fn place_blobs(
        &self,
        meta: &ObjectMeta,
        blobs: Vec<FinishedBlob>,
        placed: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let dir = self.objects_dir(&meta.bucket);
        for mut blob in blobs {
            let Payload::File(Some(tmp)) = &blob.payload else {
                return Err(StorageError::InvalidArgument(format!(
                    "blob {} is not a finished file blob",
                    blob.id
                )));
            };
            let dst = self.object_blob_path(&meta.bucket, &meta.key, &blob.id);
            ensure_absent(&dst)?;
            rename(tmp, &dst)?;
            blob.payload = Payload::File(None);
            placed.push(dst);
            crash_point("commit_object:blob-placed")?;
        }
        sync(&dir)?;
        crash_point("commit_object:before-meta")?;
        write_json(&self.meta_file_path(&meta.bucket, &meta.key), meta)
    }

    /// Moves the chosen part blobs into `objects/` and writes the meta: the commit point.
    fn move_parts_and_commit(
        &self,
        upload: &Upload,
        chosen: &[&PartRecord],
        meta: &ObjectMeta,
        moved: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<()> {
        let udir = self.upload_dir(&upload.record);
        for part in chosen {
            let src = udir.join(part_blob_file(part.part_number, &part.segment.blob));
            let dst = self.object_blob_path(&meta.bucket, &meta.key, &part.segment.blob);
            ensure_absent(&dst)?;
            rename(&src, &dst)?;
            moved.push((src, dst));
            crash_point("complete:part-moved")?;
        }
        sync(&self.objects_dir(&meta.bucket))?;
        sync(&udir)?;
        crash_point("complete:before-meta")?;
        write_json(&self.meta_file_path(&meta.bucket, &meta.key), meta)
    }
}

impl Persist for DirPersist {
    fn create_bucket(&self, record: &BucketRecord) -> Result<()> {
        let dir = self.bucket_dir(&record.name);
        if fs::symlink_metadata(&dir).is_ok() {
            return Err(StorageError::Io {
                path: dir,
                source: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "exists, but is not an s3lab bucket (it has no bucket.json)",
                ),
            });
        }
        // Build the whole bucket folder under a temp name, then rename it into place.
        let tmp = temp_path_for(&dir);
        let build = || -> Result<()> {
            fs::create_dir(&tmp).map_err(StorageError::io(&tmp))?;
            for sub in [OBJECTS_DIR, UPLOADS_DIR] {
                let p = tmp.join(sub);
                fs::create_dir(&p).map_err(StorageError::io(&p))?;
            }
            write_json(&tmp.join(BUCKET_FILE), record)?;
            sync(&tmp)?;
            crash_point("create_bucket:before-rename")?;
            rename(&tmp, &dir)?;
            sync(&self.root)
        };
        build().inspect_err(|e| {
            if !e.is_simulated_crash() {
                let _ = fs::remove_dir_all(&tmp);
            }
        })
    }

    fn update_bucket(&self, record: &BucketRecord) -> Result<()> {
        write_json(&self.bucket_dir(&record.name).join(BUCKET_FILE), record)
    }

    fn delete_bucket(&self, name: &str) -> Result<()> {
        let tmp = remove_dir_via_temp(&self.bucket_dir(name))?;
        crash_point("delete_bucket:renamed")?;
        let _ = fs::remove_dir_all(tmp);
        Ok(())
    }

    fn new_blob(&self, bucket: &str, id: String, owner: u64) -> Result<Box<dyn BlobWriter>> {
        let path = temp_path_for(&self.objects_dir(bucket).join(format!("{id}{BLOB_SUFFIX}")));
        let file = File::create_new(&path).map_err(StorageError::io(&path))?;
        Ok(Box::new(FileWriter {
            id,
            bucket: bucket.to_owned(),
            owner,
            path,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            written: 0,
        }))
    }

    fn commit_object(
        &self,
        meta: &ObjectMeta,
        blobs: Vec<FinishedBlob>,
        old: Option<&ObjectMeta>,
    ) -> Result<()> {
        self.check_no_clash(meta, old)?;
        let mut placed = Vec::new();
        if let Err(e) = self.place_blobs(meta, blobs, &mut placed) {
            if e.is_simulated_crash() {
                return Err(e);
            }
            if !self.meta_on_disk_is(meta) {
                for p in &placed {
                    remove_quietly(p);
                }
                return Err(e);
            }
            // The meta's rename happened and only a later step (the folder's fsync) failed: the
            // new object is what the folder shows, so it is committed.
        }
        crash_point("commit_object:after-meta")?;
        if let Some(old) = old {
            self.remove_segments(old, &meta.segments);
        }
        Ok(())
    }

    fn delete_object(&self, meta: &ObjectMeta) -> Result<()> {
        let path = self.meta_file_path(&meta.bucket, &meta.key);
        match fs::remove_file(&path) {
            Ok(()) => {}
            // Removed by hand: the object is gone either way.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::Io { path, source: e }),
        }
        sync(&self.objects_dir(&meta.bucket))?;
        crash_point("delete_object:meta-removed")?;
        self.remove_segments(meta, &[]);
        Ok(())
    }

    fn open_segment(&self, meta: &ObjectMeta, segment: &Segment) -> Result<Box<dyn BlobReader>> {
        if !names::is_blob_id(&segment.blob) {
            return Err(StorageError::InvalidArgument(format!(
                "{:?} is not a blob id",
                segment.blob
            )));
        }
        let path = self.object_blob_path(&meta.bucket, &meta.key, &segment.blob);
        open_reader(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StorageError::ObjectChanged {
                bucket: meta.bucket.clone(),
                key: meta.key.clone(),
            },
            _ => StorageError::Io { path, source: e },
        })
    }

    fn create_upload(&self, upload: &UploadRecord) -> Result<()> {
        let dir = self.upload_dir(upload);
        if fs::symlink_metadata(&dir).is_ok() {
            return Err(StorageError::UploadExists {
                upload_id: upload.upload_id.clone(),
            });
        }
        let tmp = temp_path_for(&dir);
        let build = || -> Result<()> {
            fs::create_dir(&tmp).map_err(StorageError::io(&tmp))?;
            write_json(&tmp.join(UPLOAD_FILE), upload)?;
            sync(&tmp)?;
            crash_point("create_upload:before-rename")?;
            rename(&tmp, &dir)?;
            sync(&self.uploads_dir(&upload.bucket))
        };
        build().inspect_err(|e| {
            if !e.is_simulated_crash() {
                let _ = fs::remove_dir_all(&tmp);
            }
        })
    }

    fn commit_part(
        &self,
        upload: &UploadRecord,
        part: &PartRecord,
        mut blob: FinishedBlob,
        old: Option<&PartRecord>,
    ) -> Result<()> {
        let dir = self.upload_dir(upload);
        let Payload::File(Some(tmp)) = &blob.payload else {
            return Err(StorageError::InvalidArgument(format!(
                "blob {} is not a finished file blob",
                blob.id
            )));
        };
        let dst = dir.join(part_blob_file(part.part_number, &blob.id));
        ensure_absent(&dst)?;
        rename(tmp, &dst)?;
        blob.payload = Payload::File(None);
        let commit = || -> Result<()> {
            sync(&dir)?;
            sync(&self.objects_dir(&upload.bucket))?;
            crash_point("commit_part:blob-placed")?;
            write_json(&dir.join(part_file(part.part_number)), part)
        };
        if let Err(e) = commit() {
            if e.is_simulated_crash() {
                return Err(e);
            }
            let json = dir.join(part_file(part.part_number));
            let committed = fs::read(&json)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<PartRecord>(&bytes).ok())
                .is_some_and(|on_disk| &on_disk == part);
            if !committed {
                remove_quietly(&dst);
                return Err(e);
            }
            // The json's rename happened and only the folder's fsync failed: committed.
        }
        crash_point("commit_part:after-json")?;
        if let Some(old) = old {
            if old.segment.blob != part.segment.blob && names::is_blob_id(&old.segment.blob) {
                remove_quietly(&dir.join(part_blob_file(old.part_number, &old.segment.blob)));
            }
        }
        Ok(())
    }

    fn open_part(&self, upload: &UploadRecord, part: &PartRecord) -> Result<Box<dyn BlobReader>> {
        let path = self
            .upload_dir(upload)
            .join(part_blob_file(part.part_number, &part.segment.blob));
        open_reader(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StorageError::NoSuchPart {
                upload_id: upload.upload_id.clone(),
                part_number: part.part_number,
            },
            _ => StorageError::Io { path, source: e },
        })
    }

    fn complete_upload(
        &self,
        upload: &Upload,
        chosen: &[&PartRecord],
        meta: &ObjectMeta,
        old: Option<&ObjectMeta>,
    ) -> Result<()> {
        self.check_no_clash(meta, old)?;
        let mut moved = Vec::new();
        if let Err(e) = self.move_parts_and_commit(upload, chosen, meta, &mut moved) {
            if e.is_simulated_crash() {
                return Err(e);
            }
            if !self.meta_on_disk_is(meta) {
                // Not committed: put the parts back where the upload expects them.
                for (src, dst) in moved.iter().rev() {
                    let _ = fs::rename(dst, src);
                }
                let _ = sync_dir(&self.upload_dir(&upload.record));
                return Err(e);
            }
            // Committed after all (only the folder's fsync failed): carry on.
        }
        crash_point("complete:after-meta")?;
        // Committed. The upload folder goes (renamed away first, so no half-deleted upload is ever
        // seen), then the replaced object's blobs. Failures here are tidied up at the next start.
        if let Ok(tmp) = remove_dir_via_temp(&self.upload_dir(&upload.record)) {
            crash_point("complete:upload-renamed")?;
            let _ = fs::remove_dir_all(tmp);
        }
        if let Some(old) = old {
            self.remove_segments(old, &meta.segments);
        }
        Ok(())
    }

    fn abort_upload(&self, upload: &Upload) -> Result<()> {
        let tmp = remove_dir_via_temp(&self.upload_dir(&upload.record))?;
        crash_point("abort:renamed")?;
        let _ = fs::remove_dir_all(tmp);
        Ok(())
    }

    fn meta_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        Some(self.meta_file_path(bucket, key))
    }

    fn blob_path(&self, meta: &ObjectMeta, segment: &Segment) -> Option<PathBuf> {
        names::is_blob_id(&segment.blob)
            .then(|| self.object_blob_path(&meta.bucket, &meta.key, &segment.blob))
    }
}

// ---------------------------------------------------------------------------------------------
// Opening: scan (read only, may fail on a corrupt record), plan (read only, may fail on a record
// that points at a missing file), execute (the clean-up), index.

struct ScannedBucket {
    dir: PathBuf,
    record: BucketRecord,
    /// `(file-name stem, meta)`.
    metas: Vec<(String, ObjectMeta)>,
    /// `(stem, blob id)` of every `<stem>.<blob-id>.blob` in `objects/`.
    blobs: HashSet<(String, String)>,
    uploads: Vec<ScannedUpload>,
}

struct ScannedUpload {
    dir: PathBuf,
    record: UploadRecord,
    parts: BTreeMap<u32, PartRecord>,
    /// `(part number, blob id)` of every `part-NNNNN.<blob-id>.blob`.
    blobs: HashSet<(u32, String)>,
}

struct Scan {
    buckets: Vec<ScannedBucket>,
    temps: Vec<PathBuf>,
}

#[derive(Default)]
struct Plan {
    remove_temp: Vec<PathBuf>,
    remove_orphans: Vec<PathBuf>,
    move_back: Vec<(PathBuf, PathBuf)>,
    remove_uploads: Vec<PathBuf>,
    make_dirs: Vec<PathBuf>,
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).map_err(StorageError::io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| corrupt(path, e.to_string()))
}

/// The entries of `dir` whose names are UTF-8, with whether each is a folder. Missing folder: none.
fn entries(dir: &Path) -> Result<Vec<(String, bool)>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StorageError::Io {
                path: dir.to_path_buf(),
                source: e,
            })
        }
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(StorageError::io(dir))?;
        let is_dir = entry
            .file_type()
            .map_err(StorageError::io(entry.path()))?
            .is_dir();
        // Names that are not UTF-8 are nobody's here: this crate never makes them.
        if let Ok(name) = entry.file_name().into_string() {
            out.push((name, is_dir));
        }
    }
    out.sort();
    Ok(out)
}

fn scan_root(root: &Path) -> Result<Scan> {
    let mut scan = Scan {
        buckets: Vec::new(),
        temps: Vec::new(),
    };
    for (name, is_dir) in entries(root)? {
        let path = root.join(&name);
        if is_temp_name(&name) {
            scan.temps.push(path);
        } else if is_dir && path.join(BUCKET_FILE).exists() {
            scan.buckets
                .push(scan_bucket(&path, &name, &mut scan.temps)?);
        }
        // Anything else (the lock file, a folder that is not a bucket) is left alone.
    }
    Ok(scan)
}

fn scan_bucket(dir: &Path, name: &str, temps: &mut Vec<PathBuf>) -> Result<ScannedBucket> {
    let record_path = dir.join(BUCKET_FILE);
    let record: BucketRecord = read_json(&record_path)?;
    if !is_valid_bucket_name(name) {
        return Err(corrupt(
            &record_path,
            format!("{name:?} is not a valid bucket name"),
        ));
    }
    if record.name != name {
        return Err(corrupt(
            &record_path,
            format!(
                "it names bucket {:?} but sits in folder {name:?}",
                record.name
            ),
        ));
    }
    for (entry, _) in entries(dir)? {
        if is_temp_name(&entry) {
            temps.push(dir.join(entry));
        }
    }
    let mut bucket = ScannedBucket {
        dir: dir.to_path_buf(),
        record,
        metas: Vec::new(),
        blobs: HashSet::new(),
        uploads: Vec::new(),
    };
    let objects = dir.join(OBJECTS_DIR);
    for (entry, _) in entries(&objects)? {
        let path = objects.join(&entry);
        if is_temp_name(&entry) {
            temps.push(path);
        } else if let Some(stem) = entry.strip_suffix(META_SUFFIX) {
            let meta: ObjectMeta = read_json(&path)?;
            check_meta(&path, stem, name, &meta)?;
            bucket.metas.push((stem.to_owned(), meta));
        } else if let Some((stem, id)) = parse_object_blob_file(&entry) {
            bucket.blobs.insert((stem.to_owned(), id.to_owned()));
        }
    }
    let uploads = dir.join(UPLOADS_DIR);
    for (entry, is_dir) in entries(&uploads)? {
        let path = uploads.join(&entry);
        if is_temp_name(&entry) {
            temps.push(path);
        } else if is_dir && path.join(UPLOAD_FILE).exists() {
            bucket
                .uploads
                .push(scan_upload(&path, &entry, name, temps)?);
        }
    }
    Ok(bucket)
}

fn check_meta(path: &Path, stem: &str, bucket: &str, meta: &ObjectMeta) -> Result<()> {
    if meta.bucket != bucket {
        return Err(corrupt(
            path,
            format!(
                "it says bucket {:?}, but sits in bucket {bucket:?}",
                meta.bucket
            ),
        ));
    }
    if meta.key.is_empty() {
        return Err(corrupt(path, "its key is empty"));
    }
    let expected = object_file_name(&meta.key);
    if expected != stem {
        return Err(corrupt(
            path,
            format!("the key {:?} belongs in {expected}{META_SUFFIX}", meta.key),
        ));
    }
    for (i, s) in meta.segments.iter().enumerate() {
        if !is_blob_id(&s.blob) {
            return Err(corrupt(
                path,
                format!(
                    "segment {i} names blob {:?}, which is not 32 hex digits",
                    s.blob
                ),
            ));
        }
    }
    Ok(())
}

fn scan_upload(
    dir: &Path,
    id: &str,
    bucket: &str,
    temps: &mut Vec<PathBuf>,
) -> Result<ScannedUpload> {
    let record_path = dir.join(UPLOAD_FILE);
    let record: UploadRecord = read_json(&record_path)?;
    if record.upload_id != id
        || record.bucket != bucket
        || !is_valid_upload_id(id)
        || record.key.is_empty()
    {
        return Err(corrupt(
            &record_path,
            format!(
                "it describes upload {:?} of {:?} in bucket {:?}, but sits in {bucket}/uploads/{id}",
                record.upload_id, record.key, record.bucket
            ),
        ));
    }
    let mut upload = ScannedUpload {
        dir: dir.to_path_buf(),
        record,
        parts: BTreeMap::new(),
        blobs: HashSet::new(),
    };
    for (entry, _) in entries(dir)? {
        let path = dir.join(&entry);
        if is_temp_name(&entry) {
            temps.push(path);
        } else if let Some(n) = parse_part_file(&entry) {
            let part: PartRecord = read_json(&path)?;
            if part.part_number != n {
                return Err(corrupt(
                    &path,
                    format!("it describes part {}", part.part_number),
                ));
            }
            if !is_blob_id(&part.segment.blob) {
                return Err(corrupt(
                    &path,
                    format!(
                        "it names blob {:?}, which is not 32 hex digits",
                        part.segment.blob
                    ),
                ));
            }
            upload.parts.insert(n, part);
        } else if let Some((n, blob)) = parse_part_blob_file(&entry) {
            upload.blobs.insert((n, blob.to_owned()));
        }
    }
    Ok(upload)
}

fn plan(scan: &Scan) -> Result<Plan> {
    let mut plan = Plan {
        remove_temp: scan.temps.clone(),
        ..Plan::default()
    };
    for b in &scan.buckets {
        let objects = b.dir.join(OBJECTS_DIR);
        let uploads = b.dir.join(UPLOADS_DIR);
        plan.make_dirs.push(objects.clone());
        plan.make_dirs.push(uploads);
        // Blobs the committed objects use.
        let referenced: HashSet<(String, String)> = b
            .metas
            .iter()
            .flat_map(|(stem, m)| {
                m.segments
                    .iter()
                    .map(move |s| (stem.clone(), s.blob.clone()))
            })
            .collect();
        let referenced_ids: HashSet<&str> = referenced.iter().map(|(_, id)| id.as_str()).collect();
        for (stem, meta) in &b.metas {
            for (i, s) in meta.segments.iter().enumerate() {
                if !b.blobs.contains(&(stem.clone(), s.blob.clone())) {
                    return Err(corrupt(
                        &objects.join(meta_file(stem)),
                        format!(
                            "the blob file of segment {i}, {}, is missing",
                            object_blob_file(stem, &s.blob)
                        ),
                    ));
                }
            }
        }
        let mut moving_back: HashSet<(String, String)> = HashSet::new();
        for u in &b.uploads {
            // A completion that reached its commit point (the object's meta) uses some of this
            // upload's blobs: the upload is finished, and only its folder is left to remove.
            if u.parts
                .values()
                .any(|p| referenced_ids.contains(p.segment.blob.as_str()))
            {
                plan.remove_uploads.push(u.dir.clone());
                continue;
            }
            let stem = object_file_name(&u.record.key);
            for (n, p) in &u.parts {
                if u.blobs.contains(&(*n, p.segment.blob.clone())) {
                    continue;
                }
                // A completion moved this part's blob into objects/ and crashed before its commit
                // point: move it back.
                let there = (stem.clone(), p.segment.blob.clone());
                if b.blobs.contains(&there) {
                    plan.move_back.push((
                        objects.join(object_blob_file(&stem, &p.segment.blob)),
                        u.dir.join(part_blob_file(*n, &p.segment.blob)),
                    ));
                    moving_back.insert(there);
                } else {
                    return Err(corrupt(
                        &u.dir.join(part_file(*n)),
                        format!(
                            "its blob file, {}, is missing",
                            part_blob_file(*n, &p.segment.blob)
                        ),
                    ));
                }
            }
            for (n, id) in &u.blobs {
                if u.parts.get(n).is_none_or(|p| &p.segment.blob != id) {
                    plan.remove_orphans.push(u.dir.join(part_blob_file(*n, id)));
                }
            }
        }
        let mut orphans: Vec<&(String, String)> = b
            .blobs
            .iter()
            .filter(|sb| !referenced.contains(*sb) && !moving_back.contains(*sb))
            .collect();
        orphans.sort();
        for (stem, id) in orphans {
            plan.remove_orphans
                .push(objects.join(object_blob_file(stem, id)));
        }
    }
    Ok(plan)
}

fn execute(plan: &Plan) -> Result<Recovery> {
    let mut rec = Recovery::default();
    for p in &plan.remove_temp {
        let result = match fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(p),
            Ok(_) => fs::remove_file(p),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => rec.removed_temp.push(p.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StorageError::Io {
                    path: p.clone(),
                    source: e,
                })
            }
        }
    }
    for (from, to) in &plan.move_back {
        rename(from, to)?;
        for dir in [from.parent(), to.parent()].into_iter().flatten() {
            sync(dir)?;
        }
        rec.moved_back.push((from.clone(), to.clone()));
    }
    for dir in &plan.remove_uploads {
        let tmp = remove_dir_via_temp(dir)?;
        fs::remove_dir_all(&tmp).map_err(StorageError::io(&tmp))?;
        rec.removed_completed_uploads.push(dir.clone());
    }
    for p in &plan.remove_orphans {
        match fs::remove_file(p) {
            Ok(()) => rec.removed_orphans.push(p.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StorageError::Io {
                    path: p.clone(),
                    source: e,
                })
            }
        }
    }
    for d in &plan.make_dirs {
        fs::create_dir_all(d).map_err(StorageError::io(d))?;
    }
    Ok(rec)
}

fn build_index(scan: Scan, plan: &Plan, taken: &mut HashSet<String>) -> Vec<BucketState> {
    let finished: HashSet<&PathBuf> = plan.remove_uploads.iter().collect();
    let mut out = Vec::with_capacity(scan.buckets.len());
    for b in scan.buckets {
        taken.extend(b.blobs.iter().map(|(_, id)| id.clone()));
        let mut objects = BTreeMap::new();
        for (_, meta) in b.metas {
            objects.insert(meta.key.clone(), meta);
        }
        let mut uploads = HashMap::new();
        for u in b.uploads {
            taken.extend(u.blobs.iter().map(|(_, id)| id.clone()));
            taken.extend(u.parts.values().map(|p| p.segment.blob.clone()));
            if finished.contains(&u.dir) {
                continue;
            }
            uploads.insert(
                u.record.upload_id.clone(),
                Upload {
                    record: u.record,
                    parts: u.parts,
                },
            );
        }
        out.push(BucketState::new(b.record, objects, uploads));
    }
    out
}
