//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use s3lab_storage::*;

pub struct Fixture {
    pub storage: Box<dyn Storage>,
    /// For the directory back end: the temp folder that holds `root`.
    pub dir: Option<tempfile::TempDir>,
}

impl Fixture {
    pub fn memory() -> Self {
        Fixture {
            storage: Box::new(MemoryStorage::new()),
            dir: None,
        }
    }

    pub fn dir() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = DirStorage::open(&dir.path().join("root")).unwrap();
        Fixture {
            storage: Box::new(storage),
            dir: Some(dir),
        }
    }

    pub fn s(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// Every file and folder in the temp folder, relative to it, except the lock file. Empty for
    /// the memory back end.
    pub fn files(&self) -> Vec<String> {
        match &self.dir {
            Some(d) => tree(d.path()),
            None => Vec::new(),
        }
    }
}

/// Every entry under `base` (files and folders), relative, sorted; without the lock file.
pub fn tree(base: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel.ends_with(".s3lab-storage.lock") {
                continue;
            }
            if p.is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(base, base, &mut out);
    out.sort();
    out
}

pub fn bucket(name: &str) -> BucketRecord {
    BucketRecord {
        name: name.into(),
        created: "2026-01-01T00:00:00Z".into(),
        region: "us-east-1".into(),
        owner: "111122223333".into(),
        config: serde_json::json!({}),
    }
}

pub fn blob(s: &dyn Storage, bucket: &str, body: &[u8]) -> FinishedBlob {
    let mut w = s.new_blob(bucket).unwrap();
    w.write_all(body).unwrap();
    w.finish().unwrap()
}

pub fn segment(b: &FinishedBlob, plain_len: u64, part_number: Option<u32>) -> Segment {
    Segment {
        blob: b.id.clone(),
        stored_len: b.stored_len,
        plain_len,
        part_number,
        etag: format!("\"etag-{}\"", b.id),
        extra: serde_json::json!({"nonce": "00"}),
    }
}

pub fn meta(bucket: &str, key: &str, segments: Vec<Segment>) -> ObjectMeta {
    ObjectMeta {
        bucket: bucket.into(),
        key: key.into(),
        size: segments.iter().map(|s| s.plain_len).sum(),
        etag: "\"0123\"".into(),
        last_modified: "2026-01-01T00:00:00Z".into(),
        content_type: Some("text/plain".into()),
        user_metadata: [("colour".to_string(), "blue".to_string())].into(),
        storage_class: "STANDARD".into(),
        encryption: serde_json::json!({"algorithm": "AES256"}),
        segments,
        ..Default::default()
    }
}

/// A single-PUT object holding `body`.
pub fn put(s: &dyn Storage, bucket: &str, key: &str, body: &[u8]) -> ObjectMeta {
    let b = blob(s, bucket, body);
    let m = meta(bucket, key, vec![segment(&b, body.len() as u64, None)]);
    s.commit_object(&m, vec![b]).unwrap();
    m
}

/// Every segment's bytes, concatenated.
pub fn read_all(s: &dyn Storage, m: &ObjectMeta) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..m.segments.len() {
        let mut r = s.open_segment(m, i).unwrap();
        assert_eq!(r.len(), m.segments[i].stored_len);
        r.read_to_end(&mut out).unwrap();
    }
    out
}

pub fn get_body(s: &dyn Storage, bucket: &str, key: &str) -> Option<Vec<u8>> {
    let m = s.get_object(bucket, key).unwrap()?;
    Some(read_all(s, &m))
}

pub fn upload(bucket: &str, key: &str, id: &str) -> UploadRecord {
    UploadRecord {
        bucket: bucket.into(),
        key: key.into(),
        upload_id: id.into(),
        initiated: "2026-01-01T00:00:00Z".into(),
        meta_template: ObjectMeta {
            bucket: bucket.into(),
            key: key.into(),
            content_type: Some("application/octet-stream".into()),
            encryption: serde_json::json!({"algorithm": "aws:kms"}),
            ..Default::default()
        },
    }
}

pub fn put_part(s: &dyn Storage, bucket: &str, upload_id: &str, n: u32, body: &[u8]) -> PartRecord {
    let b = blob(s, bucket, body);
    let part = PartRecord {
        part_number: n,
        segment: segment(&b, body.len() as u64, Some(n)),
        last_modified: "2026-01-01T00:00:00Z".into(),
        checksums: Default::default(),
    };
    s.commit_part(bucket, upload_id, &part, b).unwrap();
    part
}

pub fn read_part(s: &dyn Storage, bucket: &str, upload_id: &str, n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    s.open_part(bucket, upload_id, n)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn keys(v: &[ObjectMeta]) -> Vec<&str> {
    v.iter().map(|m| m.key.as_str()).collect()
}

pub fn root_of(f: &Fixture) -> PathBuf {
    f.dir.as_ref().unwrap().path().join("root")
}
