//! MD5 is the slowest hash on the write path, so it is computed once: a body that hashes its bytes
//! anyway (the HTTP body checks `Content-MD5`) hands its MD5 over for the ETag, and the writer does
//! not hash them again.

use std::collections::BTreeMap;
use std::sync::Arc;

use md5::{Digest, Md5};
use s3lab_env::Env;
use s3lab_iam::IdentityTable;
use s3lab_kms::{Kms, KmsConfig};
use s3lab_s3::service::{ObjectHeaders, PutObject};
use s3lab_s3::sse::SseRequest;
use s3lab_s3::stream::{BodySource, BytesBody};
use s3lab_s3::{Requester, S3Config, S3Result, S3};
use s3lab_storage::MemoryStorage;

fn lab() -> (S3, Arc<IdentityTable>) {
    let env = Env::seeded(3);
    let kms = Arc::new(Kms::open(None, KmsConfig::default(), env.clone()).unwrap());
    let ids = Arc::new(IdentityTable::builtin("111122223333"));
    let s3 = S3::new(
        S3Config::default(),
        env,
        Arc::new(MemoryStorage::new()),
        kms,
        None,
        ids.clone(),
    )
    .unwrap();
    s3.create_bucket("lab", None).unwrap();
    (s3, ids)
}

fn put(s3: &S3, ids: &IdentityTable, body: &mut dyn BodySource) -> S3Result<String> {
    let input = PutObject {
        bucket: "lab".into(),
        key: "k".into(),
        sse: SseRequest::S3 { bucket_key: None },
        headers: ObjectHeaders::default(),
        content_md5: None,
        checksums: BTreeMap::new(),
    };
    let who = Requester {
        identity: ids.by_name("admin"),
        secure: true,
    };
    Ok(s3.put_object(who, input, body)?.etag)
}

/// A body that says it hashes what it yields, and hands over `md5` (a marker, not the real MD5,
/// so the ETag shows whose MD5 was used).
struct HashingBody {
    data: Option<Vec<u8>>,
    md5: Option<[u8; 16]>,
    asked: usize,
}

impl BodySource for HashingBody {
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>> {
        Ok(self.data.take())
    }
    fn compute_md5(&mut self) -> bool {
        self.asked += 1;
        true
    }
    fn md5(&self) -> Option<[u8; 16]> {
        self.md5
    }
}

#[test]
fn the_etag_uses_the_md5_the_body_computed() {
    let (s3, ids) = lab();
    let mut body = HashingBody {
        data: Some(b"hello".to_vec()),
        md5: Some([0xab; 16]),
        asked: 0,
    };
    let etag = put(&s3, &ids, &mut body).unwrap();
    assert_eq!(etag, format!("\"{}\"", "ab".repeat(16)));
    assert_eq!(body.asked, 1);
}

#[test]
fn a_body_that_does_not_hash_gets_its_md5_computed_by_the_writer() {
    let (s3, ids) = lab();
    let etag = put(&s3, &ids, &mut BytesBody(Some(b"hello".to_vec()))).unwrap();
    let md5: [u8; 16] = Md5::digest(b"hello").into();
    let hex: String = md5.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(etag, format!("\"{hex}\""));
}

#[test]
fn a_body_that_promised_an_md5_and_has_none_fails_the_write() {
    let (s3, ids) = lab();
    let mut body = HashingBody {
        data: Some(b"hello".to_vec()),
        md5: None,
        asked: 0,
    };
    let err = put(&s3, &ids, &mut body).unwrap_err();
    assert_eq!(err.status, 500, "{err:?}");
}
