//! Crashes simulated at every commit step of the directory back end: the operation stops dead at a
//! named point (no clean-up runs), the storage is dropped, and a new one opens the folder. Whatever
//! the point, the reopened storage must show either the whole old state or the whole new one, with
//! every record's files present and no file left over; and opening once more must find nothing to
//! tidy.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::dir::CRASH_AT;
use crate::*;

fn crash_at(point: &'static str, nth: u32) {
    CRASH_AT.with(|c| c.set(Some((point, nth))));
}

fn expect_crash<T: std::fmt::Debug>(r: Result<T, StorageError>, point: &str) {
    match r {
        Err(StorageError::SimulatedCrash(p)) => assert_eq!(p, point),
        other => panic!("expected a simulated crash at {point}, got {other:?}"),
    }
    CRASH_AT.with(|c| c.set(None));
}

fn bucket(name: &str) -> BucketRecord {
    BucketRecord {
        name: name.into(),
        created: "2026-01-01T00:00:00Z".into(),
        region: "us-east-1".into(),
        owner: "111122223333".into(),
        config: serde_json::Value::Null,
    }
}

fn blob(s: &dyn Storage, b: &str, body: &[u8]) -> FinishedBlob {
    let mut w = s.new_blob(b).unwrap();
    w.write_all(body).unwrap();
    w.finish().unwrap()
}

fn seg(b: &FinishedBlob, part_number: Option<u32>) -> Segment {
    Segment {
        blob: b.id.clone(),
        stored_len: b.stored_len,
        plain_len: b.stored_len,
        part_number,
        etag: "\"e\"".into(),
        extra: serde_json::Value::Null,
    }
}

fn meta(b: &str, key: &str, segments: Vec<Segment>) -> ObjectMeta {
    ObjectMeta {
        bucket: b.into(),
        key: key.into(),
        size: segments.iter().map(|s| s.plain_len).sum(),
        etag: "\"x\"".into(),
        storage_class: "STANDARD".into(),
        segments,
        ..Default::default()
    }
}

fn put(
    s: &dyn Storage,
    b: &str,
    key: &str,
    bodies: &[&[u8]],
) -> Result<Option<ObjectMeta>, StorageError> {
    let blobs: Vec<FinishedBlob> = bodies.iter().map(|body| blob(s, b, body)).collect();
    let m = meta(b, key, blobs.iter().map(|x| seg(x, None)).collect());
    s.commit_object(&m, blobs)
}

fn upload(b: &str, key: &str, id: &str) -> UploadRecord {
    UploadRecord {
        bucket: b.into(),
        key: key.into(),
        upload_id: id.into(),
        initiated: "2026-01-01T00:00:00Z".into(),
        meta_template: meta(b, key, Vec::new()),
    }
}

fn part(
    s: &dyn Storage,
    b: &str,
    id: &str,
    n: u32,
    body: &[u8],
) -> Result<PartRecord, StorageError> {
    let x = blob(s, b, body);
    let p = PartRecord {
        part_number: n,
        segment: seg(&x, Some(n)),
        last_modified: "2026-01-01T00:00:00Z".into(),
        checksums: Default::default(),
    };
    s.commit_part(b, id, &p, x).map(|()| p)
}

fn body(s: &dyn Storage, b: &str, key: &str) -> Option<Vec<u8>> {
    let m = s.get_object(b, key).unwrap()?;
    let mut out = Vec::new();
    for i in 0..m.segments.len() {
        s.open_segment(&m, i)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
    }
    Some(out)
}

fn part_body(s: &dyn Storage, b: &str, id: &str, n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    s.open_part(b, id, n)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn files(root: &Path) -> BTreeSet<PathBuf> {
    fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.ends_with(crate::names::LOCK_FILE) {
                out.insert(p);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, &mut out);
    out
}

/// Opens `root` and checks it is consistent; opens it again and checks there was nothing left to
/// tidy. Returns the second storage.
fn reopen(root: &Path) -> DirStorage {
    let s = DirStorage::open(root).unwrap();
    let mut expected = BTreeSet::new();
    for b in s.list_buckets().unwrap() {
        let dir = root.join(&b.name);
        expected.insert(dir.join("bucket.json"));
        for m in s.list_objects(&b.name, "", None, usize::MAX).unwrap() {
            expected.insert(s.meta_path(&b.name, &m.key).unwrap());
            for i in 0..m.segments.len() {
                let mut r = s.open_segment(&m, i).unwrap();
                assert_eq!(r.len(), m.segments[i].stored_len);
                r.read_to_end(&mut Vec::new()).unwrap();
                expected.insert(s.blob_path(&m, i).unwrap());
            }
        }
        for u in s.list_uploads(&b.name).unwrap() {
            let udir = dir.join("uploads").join(&u.upload_id);
            expected.insert(udir.join("upload.json"));
            for p in s.list_parts(&b.name, &u.upload_id).unwrap() {
                expected.insert(udir.join(names::part_file(p.part_number)));
                expected.insert(udir.join(names::part_blob_file(p.part_number, &p.segment.blob)));
                assert_eq!(
                    part_body(&s, &b.name, &u.upload_id, p.part_number).len() as u64,
                    p.segment.stored_len
                );
            }
        }
    }
    assert_eq!(files(root), expected, "files on disk vs records");
    drop(s);
    let s = DirStorage::open(root).unwrap();
    assert!(
        s.recovery().is_empty(),
        "second open tidied: {:?}",
        s.recovery()
    );
    s
}

fn fresh() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    (t, root)
}

#[test]
fn put_over_an_object() {
    let cases: [(&str, u32, &[u8]); 5] = [
        ("commit_object:blob-placed", 0, b"old"),
        ("commit_object:blob-placed", 1, b"old"),
        ("commit_object:before-meta", 0, b"old"),
        ("commit_object:after-meta", 0, b"new-one|new-two"),
        // Without a crash.
        ("nowhere", 0, b"new-one|new-two"),
    ];
    for (point, nth, want) in cases {
        let (_t, root) = fresh();
        let s = DirStorage::open(&root).unwrap();
        s.create_bucket(&bucket("bkt")).unwrap();
        put(&s, "bkt", "dir/key", &[b"old"]).unwrap();
        crash_at(point, nth);
        let r = put(&s, "bkt", "dir/key", &[b"new-one|", b"new-two"]);
        if point == "nowhere" {
            r.unwrap();
        } else {
            expect_crash(r, point);
        }
        drop(s);
        let s = reopen(&root);
        assert_eq!(
            body(&s, "bkt", "dir/key").unwrap(),
            want,
            "crash at {point} #{nth}"
        );
    }
}

#[test]
fn first_put_and_delete() {
    let (_t, root) = fresh();
    let s = DirStorage::open(&root).unwrap();
    s.create_bucket(&bucket("bkt")).unwrap();
    crash_at("commit_object:before-meta", 0);
    expect_crash(put(&s, "bkt", "k", &[b"body"]), "commit_object:before-meta");
    drop(s);
    let s = reopen(&root);
    assert_eq!(body(&s, "bkt", "k"), None);
    assert_eq!(s.list_objects("bkt", "", None, 10).unwrap(), vec![]);

    put(&s, "bkt", "k", &[b"body"]).unwrap();
    crash_at("delete_object:meta-removed", 0);
    expect_crash(s.delete_object("bkt", "k"), "delete_object:meta-removed");
    drop(s);
    let s = reopen(&root);
    assert_eq!(body(&s, "bkt", "k"), None);
}

#[test]
fn replace_a_part() {
    for (point, want) in [
        ("commit_part:blob-placed", &b"old part"[..]),
        ("commit_part:after-json", &b"new part"[..]),
    ] {
        let (_t, root) = fresh();
        let s = DirStorage::open(&root).unwrap();
        s.create_bucket(&bucket("bkt")).unwrap();
        s.create_upload(&upload("bkt", "k", "up")).unwrap();
        part(&s, "bkt", "up", 1, b"first").unwrap();
        part(&s, "bkt", "up", 2, b"old part").unwrap();
        crash_at(point, 0);
        expect_crash(part(&s, "bkt", "up", 2, b"new part"), point);
        drop(s);
        let s = reopen(&root);
        assert_eq!(part_body(&s, "bkt", "up", 2), want, "crash at {point}");
        assert_eq!(part_body(&s, "bkt", "up", 1), b"first");
    }
}

/// Parts 1, 2, 3 uploaded; the completion chooses 1 and 3 and replaces an existing object.
fn setup_completion(root: &Path) -> (DirStorage, ObjectMeta) {
    let s = DirStorage::open(root).unwrap();
    s.create_bucket(&bucket("bkt")).unwrap();
    put(&s, "bkt", "big/obj", &[b"the old object"]).unwrap();
    s.create_upload(&upload("bkt", "big/obj", "up")).unwrap();
    let p1 = part(&s, "bkt", "up", 1, b"one-").unwrap();
    part(&s, "bkt", "up", 2, b"two-").unwrap();
    let p3 = part(&s, "bkt", "up", 3, b"three").unwrap();
    let m = meta("bkt", "big/obj", vec![p1.segment, p3.segment]);
    (s, m)
}

#[test]
fn complete_before_its_commit_point_rolls_back() {
    for (point, nth) in [
        ("complete:part-moved", 0),
        ("complete:part-moved", 1),
        ("complete:before-meta", 0),
    ] {
        let (_t, root) = fresh();
        let (s, m) = setup_completion(&root);
        crash_at(point, nth);
        expect_crash(s.complete_upload("up", &m), point);
        drop(s);
        let s = reopen(&root);
        assert_eq!(
            body(&s, "bkt", "big/obj").unwrap(),
            b"the old object",
            "crash at {point} #{nth}"
        );
        let parts: Vec<u32> = s
            .list_parts("bkt", "up")
            .unwrap()
            .iter()
            .map(|p| p.part_number)
            .collect();
        assert_eq!(parts, [1, 2, 3]);
        assert_eq!(part_body(&s, "bkt", "up", 1), b"one-");
        assert_eq!(part_body(&s, "bkt", "up", 3), b"three");
        // The upload can still be completed.
        s.complete_upload("up", &m).unwrap();
        assert_eq!(body(&s, "bkt", "big/obj").unwrap(), b"one-three");
        drop(s);
        reopen(&root);
    }
}

#[test]
fn complete_after_its_commit_point_stands() {
    for point in ["complete:after-meta", "complete:upload-renamed"] {
        let (_t, root) = fresh();
        let (s, m) = setup_completion(&root);
        crash_at(point, 0);
        expect_crash(s.complete_upload("up", &m), point);
        drop(s);
        let s = reopen(&root);
        assert_eq!(
            body(&s, "bkt", "big/obj").unwrap(),
            b"one-three",
            "crash at {point}"
        );
        assert!(s.list_uploads("bkt").unwrap().is_empty());
        assert_eq!(s.get_object("bkt", "big/obj").unwrap(), Some(m.clone()));
    }
}

#[test]
fn the_first_open_after_a_crash_reports_what_it_did() {
    let (_t, root) = fresh();
    let (s, m) = setup_completion(&root);
    crash_at("complete:part-moved", 1);
    expect_crash(s.complete_upload("up", &m), "complete:part-moved");
    drop(s);
    let s = DirStorage::open(&root).unwrap();
    assert_eq!(s.recovery().moved_back.len(), 2, "{:?}", s.recovery());
    drop(s);

    let (_t, root) = fresh();
    let (s, m) = setup_completion(&root);
    crash_at("complete:after-meta", 0);
    expect_crash(s.complete_upload("up", &m), "complete:after-meta");
    drop(s);
    let s = DirStorage::open(&root).unwrap();
    let r = s.recovery();
    assert_eq!(
        r.removed_completed_uploads,
        vec![root.join("bkt/uploads/up")]
    );
    // The replaced object's single blob.
    assert_eq!(r.removed_orphans.len(), 1, "{r:?}");
}

#[test]
fn uploads_and_buckets_appear_and_vanish_whole() {
    let (_t, root) = fresh();
    let s = DirStorage::open(&root).unwrap();
    crash_at("create_bucket:before-rename", 0);
    expect_crash(
        s.create_bucket(&bucket("bkt")),
        "create_bucket:before-rename",
    );
    drop(s);
    let s = reopen(&root);
    assert!(s.list_buckets().unwrap().is_empty());

    s.create_bucket(&bucket("bkt")).unwrap();
    crash_at("create_upload:before-rename", 0);
    expect_crash(
        s.create_upload(&upload("bkt", "k", "up")),
        "create_upload:before-rename",
    );
    drop(s);
    let s = reopen(&root);
    assert!(s.list_uploads("bkt").unwrap().is_empty());

    s.create_upload(&upload("bkt", "k", "up")).unwrap();
    part(&s, "bkt", "up", 1, b"p").unwrap();
    crash_at("abort:renamed", 0);
    expect_crash(s.abort_upload("bkt", "up"), "abort:renamed");
    drop(s);
    let s = reopen(&root);
    assert!(s.list_uploads("bkt").unwrap().is_empty());

    crash_at("delete_bucket:renamed", 0);
    expect_crash(s.delete_bucket("bkt"), "delete_bucket:renamed");
    drop(s);
    let s = reopen(&root);
    assert!(s.list_buckets().unwrap().is_empty());
    assert_eq!(files(&root), BTreeSet::new());
}
