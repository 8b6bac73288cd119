//! One test suite, run against both back ends.

mod common;

use std::io::{Read, Seek, SeekFrom};

use common::*;
use s3lab_storage::*;

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $name() { super::$name(&super::Fixture::memory()) } )*
        }
        mod dir {
            $( #[test] fn $name() { super::$name(&super::Fixture::dir()) } )*
        }
    };
}

suite!(
    buckets_crud,
    buckets_with_content_cannot_be_deleted,
    deleted_bucket_refuses_writes_in_flight,
    objects_put_get_replace_delete,
    multi_segment_objects_read_in_segment_order,
    readers_keep_their_bytes_when_the_object_is_replaced,
    listing_in_byte_order,
    streaming_64_mib_with_seeks,
    multipart_upload_lifecycle,
    multipart_errors,
    dropped_writers_and_blobs_leave_nothing,
    contract_violations_are_refused,
    hostile_names_stay_inside,
    concurrent_writers,
);

fn names(v: &[BucketRecord]) -> Vec<&str> {
    v.iter().map(|b| b.name.as_str()).collect()
}

fn buckets_crud(f: &Fixture) {
    let s = f.s();
    assert!(s.list_buckets().unwrap().is_empty());
    for n in ["bbb", "aaa", "ccc"] {
        s.create_bucket(&bucket(n)).unwrap();
    }
    assert_eq!(names(&s.list_buckets().unwrap()), ["aaa", "bbb", "ccc"]);
    assert!(matches!(
        s.create_bucket(&bucket("aaa")),
        Err(StorageError::BucketExists(n)) if n == "aaa"
    ));
    assert_eq!(s.get_bucket("aaa").unwrap(), Some(bucket("aaa")));
    assert_eq!(s.get_bucket("nope").unwrap(), None);

    let mut changed = bucket("aaa");
    changed.config = serde_json::json!({"encryption": {"rule": "aws:kms"}, "policy": null});
    s.update_bucket(&changed).unwrap();
    assert_eq!(s.get_bucket("aaa").unwrap(), Some(changed));
    assert!(matches!(
        s.update_bucket(&bucket("nope")),
        Err(StorageError::NoSuchBucket(_))
    ));

    s.delete_bucket("bbb").unwrap();
    assert_eq!(names(&s.list_buckets().unwrap()), ["aaa", "ccc"]);
    assert!(matches!(
        s.delete_bucket("bbb"),
        Err(StorageError::NoSuchBucket(_))
    ));
    // The name is free again.
    s.create_bucket(&bucket("bbb")).unwrap();
    assert!(s.list_objects("bbb", "", None, 10).unwrap().is_empty());

    for bad in [
        "",
        "ab",
        "..",
        ".",
        "a/b",
        "../etc",
        "UPPER",
        "under_score",
        "a\0bc",
        "-ab",
    ] {
        assert!(
            matches!(
                s.create_bucket(&bucket(bad)),
                Err(StorageError::InvalidBucketName(_))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(names(&s.list_buckets().unwrap()), ["aaa", "bbb", "ccc"]);
}

fn buckets_with_content_cannot_be_deleted(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("full")).unwrap();
    put(s, "full", "k", b"x");
    assert!(matches!(
        s.delete_bucket("full"),
        Err(StorageError::BucketNotEmpty(_))
    ));
    s.delete_object("full", "k").unwrap();
    s.create_upload(&upload("full", "k", "u1")).unwrap();
    assert!(matches!(
        s.delete_bucket("full"),
        Err(StorageError::BucketNotEmpty(_))
    ));
    s.abort_upload("full", "u1").unwrap();
    s.delete_bucket("full").unwrap();
    assert!(matches!(
        s.get_object("full", "k"),
        Err(StorageError::NoSuchBucket(_))
    ));
    assert!(matches!(
        s.list_objects("full", "", None, 1),
        Err(StorageError::NoSuchBucket(_))
    ));
    assert!(matches!(
        s.new_blob("full"),
        Err(StorageError::NoSuchBucket(_))
    ));
    assert!(
        f.files().iter().all(|p| !p.contains("full")),
        "{:?}",
        f.files()
    );
}

fn deleted_bucket_refuses_writes_in_flight(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("gone")).unwrap();
    let mut w = s.new_blob("gone").unwrap();
    w.write_all(b"half").unwrap();
    s.delete_bucket("gone").unwrap();
    // The writer may fail now or at commit; either way nothing is stored and nothing is left.
    if let Ok(()) = w.write_all(b" more") {
        if let Ok(b) = w.finish() {
            let m = meta("gone", "k", vec![segment(&b, 9, None)]);
            assert!(s.commit_object(&m, vec![b]).is_err());
        }
    }
    assert!(s.get_bucket("gone").unwrap().is_none());
    assert_eq!(
        f.files(),
        if f.dir.is_some() {
            vec!["root/"]
        } else {
            vec![]
        }
    );
}

fn objects_put_get_replace_delete(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("obj")).unwrap();
    assert_eq!(s.get_object("obj", "k").unwrap(), None);
    let first = put(s, "obj", "k", b"first body");
    assert_eq!(s.get_object("obj", "k").unwrap().as_ref(), Some(&first));
    assert_eq!(get_body(s, "obj", "k").unwrap(), b"first body");

    let b = blob(s, "obj", b"second");
    let second = meta("obj", "k", vec![segment(&b, 6, None)]);
    let replaced = s.commit_object(&second, vec![b]).unwrap();
    assert_eq!(replaced, Some(first.clone()));
    assert_eq!(get_body(s, "obj", "k").unwrap(), b"second");
    // The replaced object's bytes are gone.
    assert!(matches!(
        s.open_segment(&first, 0),
        Err(StorageError::ObjectChanged { .. })
    ));
    assert!(matches!(
        s.open_segment(&second, 1),
        Err(StorageError::InvalidArgument(_))
    ));

    assert_eq!(s.delete_object("obj", "k").unwrap(), Some(second.clone()));
    assert_eq!(s.get_object("obj", "k").unwrap(), None);
    assert_eq!(s.delete_object("obj", "k").unwrap(), None);
    assert!(matches!(
        s.open_segment(&second, 0),
        Err(StorageError::ObjectChanged { .. })
    ));
    assert!(matches!(
        s.delete_object("nope", "k"),
        Err(StorageError::NoSuchBucket(_))
    ));

    // An empty body is an object too.
    put(s, "obj", "empty", b"");
    assert_eq!(get_body(s, "obj", "empty").unwrap(), b"");
    if f.dir.is_some() {
        let blobs: Vec<_> = f
            .files()
            .into_iter()
            .filter(|p| p.ends_with(".blob"))
            .collect();
        assert_eq!(blobs.len(), 1, "{blobs:?}");
    }
}

fn multi_segment_objects_read_in_segment_order(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("seg")).unwrap();
    let parts: Vec<FinishedBlob> = [b"one-", b"two-", b"thr-"]
        .iter()
        .map(|body| blob(s, "seg", *body))
        .collect();
    let segs = parts
        .iter()
        .enumerate()
        .map(|(i, b)| segment(b, 4, Some(i as u32 + 1)))
        .collect();
    let m = meta("seg", "k", segs);
    // Blobs may be given in any order.
    let mut given = parts;
    given.reverse();
    s.commit_object(&m, given).unwrap();
    assert_eq!(get_body(s, "seg", "k").unwrap(), b"one-two-thr-");
}

fn readers_keep_their_bytes_when_the_object_is_replaced(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("rdr")).unwrap();
    let old = put(s, "rdr", "k", b"old bytes");
    let mut r = s.open_segment(&old, 0).unwrap();
    put(s, "rdr", "k", b"new bytes");
    s.delete_object("rdr", "k").unwrap();
    let mut got = Vec::new();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"old bytes");
}

fn listing_in_byte_order(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("list")).unwrap();
    let all = [
        "é", "a/c", "b", "a", "Z", "🔑", "a/b/c", "a0", "ab", "z", "a/b", "a b", "a\u{7f}",
    ];
    for k in all {
        put(s, "list", k, k.as_bytes());
    }
    let expected = [
        "Z", "a", "a b", "a/b", "a/b/c", "a/c", "a0", "ab", "a\u{7f}", "b", "z", "é", "🔑",
    ];
    let mut sorted = all.to_vec();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(sorted, expected);

    let l = |prefix: &str, after: Option<&str>, limit: usize| {
        s.list_objects("list", prefix, after, limit)
            .unwrap()
            .into_iter()
            .map(|m| m.key)
            .collect::<Vec<_>>()
    };
    assert_eq!(l("", None, 1000), expected);
    assert_eq!(l("a/", None, 1000), ["a/b", "a/b/c", "a/c"]);
    assert_eq!(l("a/", Some("a/b"), 1000), ["a/b/c", "a/c"]);
    assert_eq!(l("a/", Some("a/b/c"), 1), ["a/c"]);
    assert_eq!(l("a", Some("0"), 3), ["a", "a b", "a/b"]);
    assert_eq!(l("a", Some("b"), 10), Vec::<String>::new());
    assert_eq!(l("", Some("z"), 10), ["é", "🔑"]);
    assert_eq!(l("é", None, 10), ["é"]);
    assert_eq!(l("", None, 0), Vec::<String>::new());
    assert_eq!(l("nothing", None, 10), Vec::<String>::new());

    // Paging with start_after visits every key once, in order.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = l("", after.as_deref(), 2);
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        paged.extend(page);
    }
    assert_eq!(paged, expected);
}

fn pattern(pos: u64) -> u8 {
    (pos % 251) as u8 ^ (pos >> 20) as u8
}

fn streaming_64_mib_with_seeks(f: &Fixture) {
    const MIB: usize = 1 << 20;
    const TOTAL: u64 = 64 * MIB as u64;
    let s = f.s();
    s.create_bucket(&bucket("big")).unwrap();
    let mut w = s.new_blob("big").unwrap();
    let mut piece = vec![0u8; MIB];
    for i in 0..64u64 {
        for (j, b) in piece.iter_mut().enumerate() {
            *b = pattern(i * MIB as u64 + j as u64);
        }
        w.write_all(&piece).unwrap();
    }
    let b = w.finish().unwrap();
    assert_eq!(b.stored_len, TOTAL);
    let m = meta("big", "huge.bin", vec![segment(&b, TOTAL, None)]);
    s.commit_object(&m, vec![b]).unwrap();

    let m = s.get_object("big", "huge.bin").unwrap().unwrap();
    let mut r = s.open_segment(&m, 0).unwrap();
    assert_eq!(r.len(), TOTAL);
    assert!(!r.is_empty());
    let mut buf = vec![0u8; 4096];
    for at in [TOTAL - 4096, 0, 12_345_678, 33 * MIB as u64 - 7, MIB as u64] {
        assert_eq!(r.seek(SeekFrom::Start(at)).unwrap(), at);
        r.read_exact(&mut buf).unwrap();
        assert!(
            buf.iter()
                .enumerate()
                .all(|(i, b)| *b == pattern(at + i as u64)),
            "mismatch at {at}"
        );
    }
    assert_eq!(r.seek(SeekFrom::End(-10)).unwrap(), TOTAL - 10);
    assert_eq!(r.read(&mut buf).unwrap(), 10);
    assert_eq!(r.read(&mut buf).unwrap(), 0);
    // And the whole thing, 1 MiB at a time.
    r.seek(SeekFrom::Start(0)).unwrap();
    let mut pos = 0u64;
    loop {
        let n = r.read(&mut piece).unwrap();
        if n == 0 {
            break;
        }
        assert!(piece[..n]
            .iter()
            .enumerate()
            .all(|(i, b)| *b == pattern(pos + i as u64)));
        pos += n as u64;
    }
    assert_eq!(pos, TOTAL);
}

fn multipart_upload_lifecycle(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("mpu")).unwrap();
    let u = upload("mpu", "big/object", "upload-1");
    s.create_upload(&u).unwrap();
    assert_eq!(s.get_upload("mpu", "upload-1").unwrap(), Some(u.clone()));
    assert_eq!(s.list_uploads("mpu").unwrap(), vec![u.clone()]);
    assert!(s.list_parts("mpu", "upload-1").unwrap().is_empty());

    let p1 = put_part(s, "mpu", "upload-1", 1, b"AAAA");
    let p3 = put_part(s, "mpu", "upload-1", 3, b"CCCC");
    let p2_old = put_part(s, "mpu", "upload-1", 2, b"BBBB");
    let p2 = put_part(s, "mpu", "upload-1", 2, b"bbbbbb");
    assert_ne!(p2_old.segment.blob, p2.segment.blob);
    let parts = s.list_parts("mpu", "upload-1").unwrap();
    assert_eq!(parts, vec![p1.clone(), p2.clone(), p3.clone()]);
    assert_eq!(read_part(s, "mpu", "upload-1", 2), b"bbbbbb");
    assert_eq!(read_part(s, "mpu", "upload-1", 3), b"CCCC");
    assert!(matches!(
        s.open_part("mpu", "upload-1", 4),
        Err(StorageError::NoSuchPart { part_number: 4, .. })
    ));
    if f.dir.is_some() {
        let blobs: Vec<_> = f
            .files()
            .into_iter()
            .filter(|p| p.ends_with(".blob"))
            .collect();
        assert_eq!(
            blobs.len(),
            3,
            "the replaced part's blob is gone: {blobs:?}"
        );
    }

    // Complete with parts 1 and 3 only.
    let mut m = u.meta_template.clone();
    m.segments = vec![p1.segment.clone(), p3.segment.clone()];
    m.size = 8;
    m.etag = "\"abc-2\"".into();
    assert_eq!(s.complete_upload("upload-1", &m).unwrap(), None);
    assert_eq!(get_body(s, "mpu", "big/object").unwrap(), b"AAAACCCC");
    assert_eq!(s.get_object("mpu", "big/object").unwrap(), Some(m.clone()));
    assert_eq!(s.get_upload("mpu", "upload-1").unwrap(), None);
    assert!(s.list_uploads("mpu").unwrap().is_empty());
    assert!(matches!(
        s.list_parts("mpu", "upload-1"),
        Err(StorageError::NoSuchUpload { .. })
    ));
    assert!(matches!(
        s.open_part("mpu", "upload-1", 1),
        Err(StorageError::NoSuchUpload { .. })
    ));
    if f.dir.is_some() {
        let files = f.files();
        let blobs: Vec<_> = files.iter().filter(|p| p.ends_with(".blob")).collect();
        assert_eq!(blobs.len(), 2, "{files:?}");
        assert!(blobs
            .iter()
            .all(|p| p.starts_with("root/mpu/objects/big%2Fobject.")));
        assert!(files
            .iter()
            .all(|p| !p.starts_with("root/mpu/uploads/") || p == "root/mpu/uploads/"));
    }

    // A second upload for the same key replaces the object; two more are listed in order.
    let u2 = upload("mpu", "big/object", "upload-2");
    s.create_upload(&u2).unwrap();
    let mut u0 = upload("mpu", "a-first-key", "upload-3");
    u0.initiated = "2026-01-02T00:00:00Z".into();
    s.create_upload(&u0).unwrap();
    let mut u4 = upload("mpu", "big/object", "upload-0");
    u4.initiated = "2026-01-03T00:00:00Z".into();
    s.create_upload(&u4).unwrap();
    assert_eq!(
        s.list_uploads("mpu").unwrap(),
        vec![u0.clone(), u2.clone(), u4.clone()]
    );
    let q1 = put_part(s, "mpu", "upload-2", 1, b"new whole body");
    let mut m2 = u2.meta_template.clone();
    m2.segments = vec![q1.segment.clone()];
    assert_eq!(s.complete_upload("upload-2", &m2).unwrap(), Some(m.clone()));
    assert_eq!(get_body(s, "mpu", "big/object").unwrap(), b"new whole body");
    assert!(matches!(
        s.open_segment(&m, 0),
        Err(StorageError::ObjectChanged { .. })
    ));

    // Abort.
    put_part(s, "mpu", "upload-3", 1, b"zzz");
    put_part(s, "mpu", "upload-3", 2, b"zzz");
    s.abort_upload("mpu", "upload-3").unwrap();
    assert!(matches!(
        s.abort_upload("mpu", "upload-3"),
        Err(StorageError::NoSuchUpload { .. })
    ));
    s.abort_upload("mpu", "upload-0").unwrap();
    assert!(s.list_uploads("mpu").unwrap().is_empty());
    if f.dir.is_some() {
        let files = f.files();
        let blobs: Vec<_> = files.iter().filter(|p| p.ends_with(".blob")).collect();
        assert_eq!(blobs.len(), 1, "{files:?}");
        assert!(files
            .iter()
            .all(|p| !p.starts_with("root/mpu/uploads/") || p == "root/mpu/uploads/"));
    }
    s.delete_object("mpu", "big/object").unwrap();
    s.delete_bucket("mpu").unwrap();
}

fn multipart_errors(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("mpe")).unwrap();
    s.create_upload(&upload("mpe", "k", "u1")).unwrap();
    s.create_upload(&upload("mpe", "other", "u2")).unwrap();
    assert!(matches!(
        s.create_upload(&upload("mpe", "k", "u1")),
        Err(StorageError::UploadExists { .. })
    ));
    assert!(matches!(
        s.create_upload(&upload("nope", "k", "u9")),
        Err(StorageError::NoSuchBucket(_))
    ));
    let p1 = put_part(s, "mpe", "u1", 1, b"one");
    let p2 = put_part(s, "mpe", "u1", 2, b"two");
    let foreign = put_part(s, "mpe", "u2", 1, b"other");

    let template = upload("mpe", "k", "u1").meta_template;
    let with = |segs: Vec<Segment>| ObjectMeta {
        segments: segs,
        ..template.clone()
    };
    assert!(matches!(
        s.complete_upload("u1", &with(vec![])),
        Err(StorageError::InvalidArgument(_))
    ));
    assert!(matches!(
        s.complete_upload("u1", &with(vec![foreign.segment.clone()])),
        Err(StorageError::InvalidPart { .. })
    ));
    assert!(matches!(
        s.complete_upload("u1", &with(vec![p1.segment.clone(), p1.segment.clone()])),
        Err(StorageError::InvalidPart { .. })
    ));
    let mut wrong_len = p2.segment.clone();
    wrong_len.stored_len += 1;
    assert!(matches!(
        s.complete_upload("u1", &with(vec![wrong_len])),
        Err(StorageError::InvalidArgument(_))
    ));
    let mut other_key = with(vec![p1.segment.clone()]);
    other_key.key = "not-k".into();
    assert!(matches!(
        s.complete_upload("u1", &other_key),
        Err(StorageError::InvalidArgument(_))
    ));
    assert!(matches!(
        s.complete_upload("u404", &with(vec![p1.segment.clone()])),
        Err(StorageError::NoSuchUpload { .. })
    ));
    // Nothing above changed anything.
    assert_eq!(
        s.list_parts("mpe", "u1").unwrap(),
        vec![p1.clone(), p2.clone()]
    );
    assert_eq!(read_part(s, "mpe", "u1", 1), b"one");
    assert_eq!(s.get_object("mpe", "k").unwrap(), None);

    // Bad parts.
    for n in [0, 10_001] {
        let b = blob(s, "mpe", b"x");
        let part = PartRecord {
            part_number: n,
            segment: segment(&b, 1, Some(n)),
            ..Default::default()
        };
        assert!(matches!(
            s.commit_part("mpe", "u1", &part, b),
            Err(StorageError::InvalidArgument(_))
        ));
    }
    let b = blob(s, "mpe", b"x");
    let part = PartRecord {
        part_number: 5,
        segment: segment(&b, 1, Some(5)),
        ..Default::default()
    };
    assert!(matches!(
        s.commit_part("mpe", "u404", &part, b),
        Err(StorageError::NoSuchUpload { .. })
    ));
    let b = blob(s, "mpe", b"x");
    let mut part = PartRecord {
        part_number: 5,
        segment: segment(&b, 1, Some(5)),
        ..Default::default()
    };
    part.segment.blob = "0".repeat(32);
    assert!(matches!(
        s.commit_part("mpe", "u1", &part, b),
        Err(StorageError::InvalidArgument(_))
    ));
    assert!(matches!(
        s.abort_upload("mpe", "u404"),
        Err(StorageError::NoSuchUpload { .. })
    ));
    assert!(matches!(
        s.list_uploads("nope"),
        Err(StorageError::NoSuchBucket(_))
    ));
    // Only the two uploads' committed parts are stored.
    if f.dir.is_some() {
        let blobs: Vec<_> = f
            .files()
            .into_iter()
            .filter(|p| p.ends_with(".blob"))
            .collect();
        assert_eq!(blobs.len(), 3, "{blobs:?}");
    }
}

fn dropped_writers_and_blobs_leave_nothing(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("drop")).unwrap();
    let before = f.files();

    let mut w = s.new_blob("drop").unwrap();
    w.write_all(&[7u8; 100_000]).unwrap();
    if f.dir.is_some() {
        assert_eq!(
            f.files().len(),
            before.len() + 1,
            "the temp file exists while writing"
        );
    }
    drop(w);
    assert_eq!(f.files(), before);

    let b = blob(s, "drop", b"finished but never committed");
    drop(b);
    assert_eq!(f.files(), before);

    // A refused commit drops its blobs too.
    let b = blob(s, "drop", b"refused");
    let mut m = meta("drop", "k", vec![segment(&b, 7, None)]);
    m.segments[0].stored_len = 999;
    assert!(s.commit_object(&m, vec![b]).is_err());
    let b = blob(s, "drop", b"refused");
    let m = meta("drop", "k", vec![]);
    assert!(s.commit_object(&m, vec![b]).is_err());
    assert_eq!(f.files(), before);
    assert_eq!(s.get_object("drop", "k").unwrap(), None);
}

fn contract_violations_are_refused(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("one")).unwrap();
    s.create_bucket(&bucket("two")).unwrap();

    // A blob written for another bucket.
    let b = blob(s, "two", b"x");
    let m = meta("one", "k", vec![segment(&b, 1, None)]);
    assert!(matches!(
        s.commit_object(&m, vec![b]),
        Err(StorageError::InvalidArgument(_))
    ));
    // A blob from another storage.
    let other = MemoryStorage::new();
    other.create_bucket(&bucket("one")).unwrap();
    let b = blob(&other, "one", b"x");
    let m = meta("one", "k", vec![segment(&b, 1, None)]);
    assert!(matches!(
        s.commit_object(&m, vec![b]),
        Err(StorageError::InvalidArgument(_))
    ));
    // Segments that do not name the blobs.
    let b = blob(s, "one", b"x");
    let mut m = meta("one", "k", vec![segment(&b, 1, None)]);
    m.segments[0].blob = "f".repeat(32);
    assert!(matches!(
        s.commit_object(&m, vec![b]),
        Err(StorageError::InvalidArgument(_))
    ));
    // An empty key.
    let b = blob(s, "one", b"x");
    let m = meta("one", "", vec![segment(&b, 1, None)]);
    assert!(matches!(
        s.commit_object(&m, vec![b]),
        Err(StorageError::InvalidArgument(_))
    ));
    // A bucket that does not exist.
    let b = blob(s, "one", b"x");
    let m = meta("three", "k", vec![segment(&b, 1, None)]);
    assert!(s.commit_object(&m, vec![b]).is_err());
    // Upload ids that could be paths.
    for bad in ["", "../x", "..", ".", "a/b", "a\\b", "a\0b", ".hidden"] {
        assert!(
            matches!(
                s.create_upload(&upload("one", "k", bad)),
                Err(StorageError::InvalidArgument(_))
            ),
            "{bad:?}"
        );
        assert_eq!(s.get_upload("one", bad).unwrap(), None);
        assert!(matches!(
            s.abort_upload("one", bad),
            Err(StorageError::NoSuchUpload { .. })
        ));
    }
    assert!(matches!(
        s.create_upload(&upload("one", "", "ok")),
        Err(StorageError::InvalidArgument(_))
    ));
    // A forged segment cannot name a path.
    let real = put(s, "one", "k", b"x");
    let mut forged = real.clone();
    forged.segments[0].blob = "../../../../etc/passwd".into();
    assert!(s.open_segment(&forged, 0).is_err());
    // Bucket names that could be paths are simply not there.
    for bad in ["..", "../one", "one/../two", "/etc", ""] {
        assert_eq!(s.get_bucket(bad).unwrap(), None);
        assert!(matches!(
            s.new_blob(bad),
            Err(StorageError::NoSuchBucket(_))
        ));
        assert!(matches!(
            s.delete_bucket(bad),
            Err(StorageError::NoSuchBucket(_))
        ));
    }
    assert_eq!(s.list_objects("one", "", None, 10).unwrap(), vec![real]);
    if f.dir.is_some() {
        let blobs: Vec<_> = f
            .files()
            .into_iter()
            .filter(|p| p.ends_with(".blob"))
            .collect();
        assert_eq!(blobs.len(), 1, "{blobs:?}");
    }
}

fn hostile_keys() -> Vec<String> {
    vec![
        "../../etc/passwd".into(),
        "a/../../b".into(),
        "/abs".into(),
        "%2e%2e".into(),
        "%2E%2E%2F".into(),
        "..".into(),
        ".".into(),
        "./x".into(),
        ".hidden".into(),
        "nul\0byte".into(),
        "back\\slash\\..\\..".into(),
        "new\nline".into(),
        "ünïcödé/🔑/ключ".into(),
        "CON".into(),
        " ".into(),
        "~tilde".into(),
        "x.meta.json".into(),
        format!("{}.0123456789abcdef0123456789abcdef.blob", "y"),
        "k".repeat(1024),
        "/".repeat(300),
        format!("{}{}", "é".repeat(100), "/end"),
    ]
}

fn hostile_names_stay_inside(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("safe")).unwrap();
    let hostile = hostile_keys();
    for k in &hostile {
        put(s, "safe", k, k.as_bytes());
    }
    for k in &hostile {
        assert_eq!(get_body(s, "safe", k).unwrap(), k.as_bytes(), "{k:?}");
    }
    let mut expected: Vec<&str> = hostile.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(
        keys(&s.list_objects("safe", "", None, 1000).unwrap()),
        expected
    );
    if f.dir.is_some() {
        let files = f.files();
        for p in &files {
            assert!(
                p == "root/" || p.starts_with("root/safe/"),
                "{p:?} escaped the bucket"
            );
            if let Some(name) = p.strip_prefix("root/safe/objects/") {
                assert!(
                    !name.starts_with('.') && !name.contains('/') && name.len() < 255,
                    "{name:?}"
                );
            }
        }
        let metas = files.iter().filter(|p| p.ends_with(".meta.json")).count();
        assert_eq!(metas, hostile.len());
    }
    // Multipart uploads of hostile keys land in objects/ too.
    let k = "../../../uploaded";
    s.create_upload(&upload("safe", k, "up")).unwrap();
    let p = put_part(s, "safe", "up", 1, b"part");
    let mut m = upload("safe", k, "up").meta_template;
    m.segments = vec![p.segment];
    s.complete_upload("up", &m).unwrap();
    assert_eq!(get_body(s, "safe", k).unwrap(), b"part");
    for k in &hostile {
        s.delete_object("safe", k).unwrap();
    }
    s.delete_object("safe", k).unwrap();
    assert!(s.list_objects("safe", "", None, 1000).unwrap().is_empty());
    if f.dir.is_some() {
        assert_eq!(
            f.files(),
            [
                "root/",
                "root/safe/",
                "root/safe/bucket.json",
                "root/safe/objects/",
                "root/safe/uploads/"
            ]
        );
    }
}

fn concurrent_writers(f: &Fixture) {
    let s = f.s();
    s.create_bucket(&bucket("busy")).unwrap();
    const THREADS: usize = 8;
    const ROUNDS: usize = 25;
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            scope.spawn(move || {
                for r in 0..ROUNDS {
                    let body = format!("thread {t} round {r} ").repeat(50);
                    put(s, "busy", &format!("own/{t}"), body.as_bytes());
                    put(s, "busy", "shared", body.as_bytes());
                    // Readers run alongside; whatever they see is whole.
                    if let Some(m) = s.get_object("busy", "shared").unwrap() {
                        match s.open_segment(&m, 0) {
                            Ok(mut rd) => {
                                let mut got = Vec::new();
                                rd.read_to_end(&mut got).unwrap();
                                assert_eq!(got.len() as u64, m.segments[0].stored_len);
                                assert!(got.starts_with(b"thread "));
                            }
                            Err(StorageError::ObjectChanged { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    for t in 0..THREADS {
        let body = get_body(s, "busy", &format!("own/{t}")).unwrap();
        assert_eq!(
            body,
            format!("thread {t} round {} ", ROUNDS - 1)
                .repeat(50)
                .as_bytes()
        );
    }
    let shared = String::from_utf8(get_body(s, "busy", "shared").unwrap()).unwrap();
    assert!(shared.starts_with("thread ") && shared.contains(&format!("round {} ", ROUNDS - 1)));
    if f.dir.is_some() {
        let files = f.files();
        let blobs = files.iter().filter(|p| p.ends_with(".blob")).count();
        assert_eq!(
            blobs,
            THREADS + 1,
            "only the live objects' blobs remain: {files:?}"
        );
        assert!(files.iter().all(|p| !p.contains(".tmp-")), "{files:?}");
    }
}
