//! The S3 service as plain Rust: every SSE mode really encrypts, reads back, and refuses as AWS does.

use std::collections::BTreeMap;
use std::sync::Arc;

use s3lab_env::Env;
use s3lab_iam::IdentityTable;
use s3lab_kms::{Kms, KmsConfig};
use s3lab_s3::service::{ByteRange, Conditions, CopyObject, GetObject, ObjectHeaders, PutObject};
use s3lab_s3::sse::{CustomerKey, SseRequest};
use s3lab_s3::stream::BytesBody;
use s3lab_s3::{Requester, S3Config, S3Error, S3};
use s3lab_storage::{DirStorage, MemoryStorage, Storage};

struct Lab {
    s3: S3,
    ids: Arc<IdentityTable>,
    kms: Arc<Kms>,
    _dir: Option<tempfile::TempDir>,
}

fn lab_with(storage: Arc<dyn Storage>, dir: Option<tempfile::TempDir>) -> Lab {
    let env = Env::seeded(9);
    let kms = Arc::new(Kms::open(None, KmsConfig::default(), env.clone()).unwrap());
    let ids = Arc::new(IdentityTable::builtin("111122223333"));
    let config = S3Config {
        block_sse_c_for_new_buckets: false,
        ..S3Config::default()
    };
    let s3 = S3::new(
        config,
        env,
        storage,
        kms.clone(),
        dir.as_ref().map(|d| d.path()),
        ids.clone(),
    )
    .unwrap();
    s3.create_bucket("lab", None).unwrap();
    Lab {
        s3,
        ids,
        kms,
        _dir: dir,
    }
}

fn lab() -> Lab {
    lab_with(Arc::new(MemoryStorage::new()), None)
}

fn dir_lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(DirStorage::open(&dir.path().join("s3")).unwrap());
    lab_with(storage, Some(dir))
}

impl Lab {
    fn admin(&self) -> Requester<'_> {
        Requester {
            identity: self.ids.by_name("admin"),
            secure: true,
        }
    }

    fn put(
        &self,
        key: &str,
        data: &[u8],
        sse: SseRequest,
    ) -> Result<s3lab_s3::service::PutObjectOutput, S3Error> {
        self.put_as(self.admin(), key, data, sse)
    }

    fn put_as(
        &self,
        who: Requester,
        key: &str,
        data: &[u8],
        sse: SseRequest,
    ) -> Result<s3lab_s3::service::PutObjectOutput, S3Error> {
        let input = PutObject {
            bucket: "lab".into(),
            key: key.into(),
            sse,
            headers: ObjectHeaders::default(),
            content_md5: None,
            checksums: BTreeMap::new(),
        };
        self.s3
            .put_object(who, input, &mut BytesBody(Some(data.to_vec())))
    }

    fn get_req(
        &self,
        key: &str,
        range: Option<ByteRange>,
        customer: Option<CustomerKey>,
    ) -> GetObject {
        GetObject {
            bucket: "lab".into(),
            key: key.into(),
            range,
            part_number: None,
            customer_key: customer,
            conditions: Conditions::default(),
        }
    }

    fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
        customer: Option<CustomerKey>,
    ) -> Result<Vec<u8>, S3Error> {
        self.get_as(self.admin(), key, range, customer)
    }

    fn get_as(
        &self,
        who: Requester,
        key: &str,
        range: Option<ByteRange>,
        customer: Option<CustomerKey>,
    ) -> Result<Vec<u8>, S3Error> {
        let out = self
            .s3
            .get_object(who, self.get_req(key, range, customer))?;
        let mut data = Vec::new();
        for chunk in out.body {
            data.extend_from_slice(&chunk?);
        }
        Ok(data)
    }
}

fn kms(key_id: Option<&str>) -> SseRequest {
    SseRequest::Kms {
        dsse: false,
        key_id: key_id.map(Into::into),
        context: None,
        bucket_key: None,
    }
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

fn modes() -> Vec<(&'static str, SseRequest, Option<CustomerKey>)> {
    let ck = CustomerKey::from_bytes([7u8; 32]);
    vec![
        (
            "default",
            SseRequest::Unspecified { bucket_key: None },
            None,
        ),
        ("sse-s3", SseRequest::S3 { bucket_key: None }, None),
        ("sse-kms", kms(None), None),
        (
            "dsse-kms",
            SseRequest::Kms {
                dsse: true,
                key_id: None,
                context: None,
                bucket_key: None,
            },
            None,
        ),
        ("sse-c", SseRequest::Customer(ck.clone()), Some(ck)),
    ]
}

#[test]
fn every_mode_round_trips_every_size_and_range() {
    for l in [lab(), dir_lab()] {
        for (name, sse, ck) in modes() {
            for size in [0usize, 1, 15, 65535, 65536, 65537, 200_000] {
                let key = format!("{name}-{size}");
                let body = data(size);
                l.put(&key, &body, sse.clone()).unwrap();
                assert_eq!(l.get(&key, None, ck.clone()).unwrap(), body, "{key}");
                if size > 0 {
                    for (a, b) in [
                        (0, 0),
                        (size as u64 - 1, size as u64 - 1),
                        (size as u64 / 3, size as u64 / 2),
                    ] {
                        let got = l
                            .get(
                                &key,
                                Some(ByteRange::From {
                                    start: a,
                                    end: Some(b),
                                }),
                                ck.clone(),
                            )
                            .unwrap();
                        assert_eq!(got, &body[a as usize..=b as usize], "{key} {a}-{b}");
                    }
                    let tail = l
                        .get(&key, Some(ByteRange::Suffix(10)), ck.clone())
                        .unwrap();
                    assert_eq!(tail, &body[size.saturating_sub(10)..], "{key} suffix");
                }
            }
        }
    }
}

#[test]
fn response_headers_per_mode() {
    let l = lab();
    let out = l
        .put("a", b"x", SseRequest::Unspecified { bucket_key: None })
        .unwrap();
    assert_eq!(
        out.sse.headers(),
        vec![("x-amz-server-side-encryption", "AES256".to_string())]
    );
    assert_eq!(
        out.etag,
        format!("\"{}\"", "9dd4e461268c8034f5c8564e155c67a6"),
        "SSE-S3 ETag is the MD5"
    );
    let out = l.put("b", b"x", kms(None)).unwrap();
    let h = out.sse.headers();
    assert_eq!(
        h[0],
        ("x-amz-server-side-encryption", "aws:kms".to_string())
    );
    let aws_s3 = l.kms.inspect_key("alias/aws/s3").unwrap();
    assert_eq!(
        h[1],
        (
            "x-amz-server-side-encryption-aws-kms-key-id",
            aws_s3.arn.clone()
        )
    );
    assert_eq!(aws_s3.key_manager, "AWS");
    assert_ne!(
        out.etag, "\"9dd4e461268c8034f5c8564e155c67a6\"",
        "SSE-KMS ETag is not the MD5"
    );
    let ck = CustomerKey::from_bytes([1u8; 32]);
    let out = l.put("c", b"x", SseRequest::Customer(ck.clone())).unwrap();
    assert_eq!(
        out.sse.headers(),
        vec![
            (
                "x-amz-server-side-encryption-customer-algorithm",
                "AES256".to_string()
            ),
            (
                "x-amz-server-side-encryption-customer-key-md5",
                ck.key_md5.clone()
            )
        ]
    );
}

#[test]
fn a_kms_key_given_by_alias_comes_back_as_its_arn_and_bad_keys_fail_as_aws() {
    let l = lab();
    let caller = s3lab_kms::Caller::direct(l.ids.by_name("admin").unwrap(), "127.0.0.1", "t", true);
    let key = l
        .kms
        .create_key(&caller, Default::default())
        .unwrap()
        .key_metadata;
    l.kms
        .create_alias(
            &caller,
            s3lab_kms::api::AliasRequest {
                alias_name: Some("alias/lab".into()),
                target_key_id: Some(key.key_id.clone()),
            },
        )
        .unwrap();
    let out = l.put("k", b"x", kms(Some("alias/lab"))).unwrap();
    assert_eq!(out.sse.headers()[1].1, key.arn);
    let e = l
        .put(
            "k2",
            b"x",
            kms(Some("1234abcd-12ab-34cd-56ef-1234567890ab")),
        )
        .unwrap_err();
    assert_eq!((e.status, e.code), (400, "KMS.NotFoundException"));
    let e = l.put("k2", b"x", kms(Some("aws/s3"))).unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (400, "KMS.NotFoundException", "Invalid keyId 'aws/s3'")
    );
    l.kms
        .disable_key(
            &caller,
            s3lab_kms::api::KeyIdRequest {
                key_id: Some(key.key_id.clone()),
                grant_tokens: None,
            },
        )
        .unwrap();
    let e = l.get("k", None, None).unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message),
        (
            400,
            "KMS.DisabledException",
            format!("{} is disabled.", key.arn)
        )
    );
}

#[test]
fn the_second_lock_reader_cannot_read_a_customer_managed_kms_object() {
    let l = lab();
    let caller = s3lab_kms::Caller::direct(l.ids.by_name("admin").unwrap(), "127.0.0.1", "t", true);
    let key = l
        .kms
        .create_key(&caller, Default::default())
        .unwrap()
        .key_metadata;
    l.put("secret", b"payroll", kms(Some(&key.key_id))).unwrap();
    let reader = Requester {
        identity: l.ids.by_name("reader"),
        secure: true,
    };
    let e = l.get_as(reader, "secret", None, None).unwrap_err();
    assert_eq!((e.status, e.code), (403, "AccessDenied"));
    assert!(e.message.contains("kms:Decrypt"), "{}", e.message);
    // The AWS managed key lets any principal of the account read through S3.
    l.put("shared", b"memo", kms(None)).unwrap();
    assert_eq!(l.get_as(reader, "shared", None, None).unwrap(), b"memo");
}

#[test]
fn sse_c_error_matrix() {
    let l = lab();
    let right = CustomerKey::from_bytes([3u8; 32]);
    let wrong = CustomerKey::from_bytes([4u8; 32]);
    l.put("c", b"customer data", SseRequest::Customer(right.clone()))
        .unwrap();
    let e = l.get("c", None, None).unwrap_err();
    assert_eq!((e.status, e.code), (400, "InvalidRequest"));
    assert_eq!(e.message, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");
    let e = l.get("c", None, Some(wrong.clone())).unwrap_err();
    assert_eq!((e.status, e.code), (403, "AccessDenied"));
    assert_eq!(
        l.get("c", None, Some(right.clone())).unwrap(),
        b"customer data"
    );
    l.put("plain", b"x", SseRequest::S3 { bucket_key: None })
        .unwrap();
    let e = l.get("plain", None, Some(right.clone())).unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (
            400,
            "InvalidRequest",
            "The encryption parameters are not applicable to this object."
        )
    );
    let http = Requester {
        identity: l.ids.by_name("admin"),
        secure: false,
    };
    assert_eq!(
        l.put_as(http, "c2", b"x", SseRequest::Customer(right.clone()))
            .unwrap_err()
            .status,
        400
    );
    assert_eq!(
        l.get_as(http, "c", None, Some(right)).unwrap_err().status,
        400
    );
}

#[test]
fn sse_kms_over_http_is_refused() {
    let l = lab();
    let http = Requester {
        identity: l.ids.by_name("admin"),
        secure: false,
    };
    let e = l.put_as(http, "k", b"x", kms(None)).unwrap_err();
    assert_eq!((e.status, e.code), (400, "InvalidArgument"));
    assert_eq!(e.message, "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection.");
    // SSE-S3 over HTTP is allowed.
    assert!(l
        .put_as(http, "s", b"x", SseRequest::S3 { bucket_key: None })
        .is_ok());
}

#[test]
fn the_2026_sse_c_block() {
    let env = Env::seeded(1);
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
    s3.create_bucket("new", None).unwrap();
    assert!(s3.get_bucket_encryption("new").unwrap().blocks_sse_c());
    let who = Requester {
        identity: ids.by_name("admin"),
        secure: true,
    };
    let put = |key: &str| {
        s3.put_object(
            who,
            PutObject {
                bucket: "new".into(),
                key: key.into(),
                sse: SseRequest::Customer(CustomerKey::from_bytes([1; 32])),
                headers: Default::default(),
                content_md5: None,
                checksums: Default::default(),
            },
            &mut BytesBody(Some(b"x".to_vec())),
        )
    };
    let refused = put("a").unwrap_err();
    assert_eq!((refused.status, refused.code), (403, "AccessDenied"));
    // The wording of the User Guide's "Troubleshoot access denied (403 Forbidden) errors".
    assert_eq!(
        refused.message,
        "User: arn:aws:iam::111122223333:user/admin is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::new/a\" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type"
    );
    let mut enc = s3.get_bucket_encryption("new").unwrap();
    enc.blocked_encryption_types = vec!["NONE".into()];
    s3.put_bucket_encryption("new", enc).unwrap();
    assert!(put("a").is_ok());
}

#[test]
fn no_plaintext_and_no_customer_key_in_the_data_folder() {
    let l = dir_lab();
    let secret: Vec<u8> = b"THE-PLAINTEXT-MARKER-0123456789abcdef".repeat(3000);
    let ck = CustomerKey::from_bytes(*b"customer-key-marker-32-bytes-ok!");
    for (name, sse, _) in modes() {
        let sse = if matches!(sse, SseRequest::Customer(_)) {
            SseRequest::Customer(ck.clone())
        } else {
            sse
        };
        l.put(name, &secret, sse).unwrap();
    }
    let root = l._dir.as_ref().unwrap().path();
    let mut files = vec![root.to_path_buf()];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        seen += 1;
        for window in secret.windows(16).step_by(997) {
            assert!(
                !bytes.windows(16).any(|w| w == window),
                "plaintext in {}",
                p.display()
            );
        }
        assert!(
            !bytes.windows(32).any(|w| w == ck.bytes()),
            "customer key in {}",
            p.display()
        );
    }
    assert!(seen >= 10, "expected object files, found {seen}");
}

#[test]
fn a_flipped_stored_byte_fails_the_read() {
    let l = dir_lab();
    l.put(
        "victim",
        &data(100_000),
        SseRequest::S3 { bucket_key: None },
    )
    .unwrap();
    let (_, blobs) = l.s3.object_paths("lab", "victim").unwrap();
    let mut bytes = std::fs::read(&blobs[0]).unwrap();
    bytes[70_000] ^= 0x01;
    std::fs::write(&blobs[0], &bytes).unwrap();
    let e = l.get("victim", None, None).unwrap_err();
    assert_eq!(e.status, 500);
    // A range that does not touch the damaged chunk still reads.
    assert_eq!(
        l.get(
            "victim",
            Some(ByteRange::From {
                start: 0,
                end: Some(99)
            }),
            None
        )
        .unwrap(),
        &data(100_000)[..100]
    );
}

#[test]
fn history_switch_stores_plaintext_on_purpose() {
    let l = dir_lab();
    l.s3.set_history_unencrypted("lab", true).unwrap();
    let out = l
        .put(
            "old",
            b"pre-2023 object, stored in the clear",
            SseRequest::Unspecified { bucket_key: None },
        )
        .unwrap();
    assert!(
        out.sse.headers().is_empty(),
        "no SSE header for an unencrypted object"
    );
    let (_, blobs) = l.s3.object_paths("lab", "old").unwrap();
    assert_eq!(
        std::fs::read(&blobs[0]).unwrap(),
        b"pre-2023 object, stored in the clear"
    );
    // An explicit header still encrypts.
    assert_eq!(
        l.put("new", b"x", SseRequest::S3 { bucket_key: None })
            .unwrap()
            .sse
            .headers()
            .len(),
        1
    );
}

#[test]
fn copy_changes_encryption_and_checks_the_source_key() {
    let l = lab();
    let ck = CustomerKey::from_bytes([5u8; 32]);
    l.put("src", b"copy me", SseRequest::Customer(ck.clone()))
        .unwrap();
    let copy = |src_key: Option<CustomerKey>, sse: SseRequest| {
        l.s3.copy_object(
            l.admin(),
            CopyObject {
                bucket: "lab".into(),
                key: "dst".into(),
                source_bucket: "lab".into(),
                source_key: "src".into(),
                source_customer_key: src_key,
                source_conditions: Conditions::default(),
                sse,
                replace_headers: None,
                tagging_replace: None,
            },
        )
    };
    assert_eq!(copy(None, kms(None)).unwrap_err().status, 400);
    let out = copy(Some(ck), kms(None)).unwrap();
    assert_eq!(out.sse.headers()[0].1, "aws:kms");
    assert_eq!(l.get("dst", None, None).unwrap(), b"copy me");
    let out =
        l.s3.copy_object(
            l.admin(),
            CopyObject {
                bucket: "lab".into(),
                key: "dst".into(),
                source_bucket: "lab".into(),
                source_key: "dst".into(),
                source_customer_key: None,
                source_conditions: Conditions::default(),
                sse: SseRequest::Unspecified { bucket_key: None },
                replace_headers: None,
                tagging_replace: None,
            },
        )
        .unwrap_err();
    assert_eq!(out.code, "InvalidRequest");
}

#[test]
fn multipart_in_every_mode() {
    let l = dir_lab();
    let part1 = data(5 * 1024 * 1024 + 3);
    let part2 = data(1000);
    for (name, sse, ck) in modes() {
        let (upload, _) =
            l.s3.create_multipart_upload(l.admin(), "lab", name, &sse, &ObjectHeaders::default())
                .unwrap();
        let mut parts = Vec::new();
        for (n, body) in [(1u32, &part1), (2, &part2)] {
            let (etag, _) =
                l.s3.upload_part(
                    l.admin(),
                    "lab",
                    name,
                    &upload,
                    n,
                    ck.as_ref(),
                    None,
                    BTreeMap::new(),
                    &mut BytesBody(Some(body.clone())),
                )
                .unwrap();
            parts.push((n, etag));
        }
        let (etag, _) =
            l.s3.complete_multipart_upload("lab", name, &upload, &parts, BTreeMap::new())
                .unwrap();
        assert!(etag.ends_with("-2\""), "{etag}");
        let mut whole = part1.clone();
        whole.extend_from_slice(&part2);
        assert_eq!(l.get(name, None, ck.clone()).unwrap(), whole, "{name}");
        let across = l
            .get(
                name,
                Some(ByteRange::From {
                    start: part1.len() as u64 - 5,
                    end: Some(part1.len() as u64 + 5),
                }),
                ck.clone(),
            )
            .unwrap();
        assert_eq!(across, &whole[part1.len() - 5..=part1.len() + 5]);
        let mut req = l.get_req(name, None, ck.clone());
        req.part_number = Some(2);
        let info = l.s3.head_object(l.admin(), &req).unwrap();
        assert_eq!((info.content_length, info.parts_count), (1000, Some(2)));
    }
}

#[test]
fn multipart_sse_c_parts_must_carry_the_same_key() {
    let l = lab();
    let ck = CustomerKey::from_bytes([8u8; 32]);
    let (upload, _) =
        l.s3.create_multipart_upload(
            l.admin(),
            "lab",
            "m",
            &SseRequest::Customer(ck.clone()),
            &ObjectHeaders::default(),
        )
        .unwrap();
    let part = |k: Option<&CustomerKey>| {
        l.s3.upload_part(
            l.admin(),
            "lab",
            "m",
            &upload,
            1,
            k,
            None,
            BTreeMap::new(),
            &mut BytesBody(Some(b"x".to_vec())),
        )
    };
    assert_eq!(part(None).unwrap_err().message, "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.");
    assert_eq!(
        part(Some(&CustomerKey::from_bytes([9u8; 32])))
            .unwrap_err()
            .message,
        "The provided encryption parameters did not match the ones used originally."
    );
    assert!(part(Some(&ck)).is_ok());
    let (plain, _) =
        l.s3.create_multipart_upload(
            l.admin(),
            "lab",
            "p",
            &SseRequest::Unspecified { bucket_key: None },
            &ObjectHeaders::default(),
        )
        .unwrap();
    let e =
        l.s3.upload_part(
            l.admin(),
            "lab",
            "p",
            &plain,
            1,
            Some(&ck),
            None,
            BTreeMap::new(),
            &mut BytesBody(Some(b"x".to_vec())),
        )
        .unwrap_err();
    assert_eq!(e.code, "InvalidRequest");
}

#[test]
fn complete_checks_order_etags_and_sizes() {
    let l = lab();
    let (upload, _) =
        l.s3.create_multipart_upload(
            l.admin(),
            "lab",
            "m",
            &SseRequest::Unspecified { bucket_key: None },
            &ObjectHeaders::default(),
        )
        .unwrap();
    let mut etags = Vec::new();
    for n in 1..=2u32 {
        let (etag, _) =
            l.s3.upload_part(
                l.admin(),
                "lab",
                "m",
                &upload,
                n,
                None,
                None,
                BTreeMap::new(),
                &mut BytesBody(Some(vec![n as u8; 10])),
            )
            .unwrap();
        etags.push((n, etag));
    }
    let reversed = vec![etags[1].clone(), etags[0].clone()];
    assert_eq!(
        l.s3.complete_multipart_upload("lab", "m", &upload, &reversed, BTreeMap::new())
            .unwrap_err()
            .code,
        "InvalidPartOrder"
    );
    let bad = vec![(1, "\"00\"".to_string())];
    assert_eq!(
        l.s3.complete_multipart_upload("lab", "m", &upload, &bad, BTreeMap::new())
            .unwrap_err()
            .code,
        "InvalidPart"
    );
    assert_eq!(
        l.s3.complete_multipart_upload("lab", "m", &upload, &etags, BTreeMap::new())
            .unwrap_err()
            .code,
        "EntityTooSmall"
    );
    assert!(
        l.s3.complete_multipart_upload("lab", "m", &upload, &etags[..1], BTreeMap::new())
            .is_ok(),
        "a single small part is fine"
    );
    assert_eq!(
        l.s3.abort_multipart_upload("lab", "m", &upload)
            .unwrap_err()
            .code,
        "NoSuchUpload"
    );
}

#[test]
fn listing_with_prefixes_and_delimiters() {
    let l = lab();
    for k in ["a/1", "a/2", "a/b/3", "b", "c/4"] {
        l.put(k, b"x", SseRequest::Unspecified { bucket_key: None })
            .unwrap();
    }
    let out = l.s3.list_objects("lab", "", Some("/"), None, 1000).unwrap();
    assert_eq!(
        out.contents
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    assert_eq!(out.common_prefixes, ["a/", "c/"]);
    let out =
        l.s3.list_objects("lab", "a/", Some("/"), None, 1000)
            .unwrap();
    assert_eq!(
        out.contents
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        ["a/1", "a/2"]
    );
    assert_eq!(out.common_prefixes, ["a/b/"]);
    let page = l.s3.list_objects("lab", "", None, None, 2).unwrap();
    assert!(page.is_truncated);
    let rest =
        l.s3.list_objects("lab", "", None, page.next_after.as_deref(), 10)
            .unwrap();
    assert_eq!(rest.contents.len(), 3);
    assert!(!rest.is_truncated);
}

#[test]
fn conditional_reads() {
    let l = lab();
    let etag = l
        .put("c", b"x", SseRequest::Unspecified { bucket_key: None })
        .unwrap()
        .etag;
    let mut req = l.get_req("c", None, None);
    req.conditions.if_none_match = Some(etag.clone());
    assert_eq!(l.s3.head_object(l.admin(), &req).unwrap_err().status, 304);
    req.conditions = Conditions {
        if_match: Some("\"nope\"".into()),
        ..Default::default()
    };
    assert_eq!(l.s3.head_object(l.admin(), &req).unwrap_err().status, 412);
    req.conditions = Conditions {
        if_match: Some(etag),
        ..Default::default()
    };
    assert!(l.s3.head_object(l.admin(), &req).is_ok());
    let e = l
        .get(
            "c",
            Some(ByteRange::From {
                start: 5,
                end: None,
            }),
            None,
        )
        .unwrap_err();
    assert_eq!((e.status, e.code), (416, "InvalidRange"));
}

#[test]
fn ranges_parse_like_s3() {
    assert_eq!(
        ByteRange::parse("bytes=0-9"),
        Some(ByteRange::From {
            start: 0,
            end: Some(9)
        })
    );
    assert_eq!(
        ByteRange::parse("bytes=5-"),
        Some(ByteRange::From {
            start: 5,
            end: None
        })
    );
    assert_eq!(ByteRange::parse("bytes=-3"), Some(ByteRange::Suffix(3)));
    for ignored in ["bytes=9-1", "bytes=a-b", "items=0-1", "bytes=0-1,4-5"] {
        assert_eq!(ByteRange::parse(ignored), None, "{ignored}");
    }
    assert_eq!(
        ByteRange::From {
            start: 0,
            end: Some(100)
        }
        .resolve(10),
        Some((0, 9))
    );
    assert_eq!(ByteRange::Suffix(100).resolve(10), Some((0, 9)));
    assert_eq!(
        ByteRange::From {
            start: 10,
            end: None
        }
        .resolve(10),
        None
    );
}

#[test]
fn sse_s3_root_key_rotation_keeps_old_objects_readable() {
    let l = lab();
    l.put("before", b"old", SseRequest::S3 { bucket_key: None })
        .unwrap();
    assert_eq!(l.s3.root_keys().rotate_now().unwrap(), 2);
    l.put("after", b"new", SseRequest::S3 { bucket_key: None })
        .unwrap();
    let version =
        |k: &str| l.s3.inspect_object("lab", k).unwrap().encryption["root_key_version"].as_u64();
    assert_eq!((version("before"), version("after")), (Some(1), Some(2)));
    assert_eq!(l.get("before", None, None).unwrap(), b"old");
}

fn kms_bk(bucket_key: Option<bool>) -> SseRequest {
    SseRequest::Kms {
        dsse: false,
        key_id: None,
        context: None,
        bucket_key,
    }
}

#[test]
fn a_bucket_key_turns_twenty_kms_calls_into_one() {
    let l = lab();
    let count = |name: &str| {
        l.kms
            .audit(&s3lab_kms::AuditQuery {
                event_name: Some(name),
                ..Default::default()
            })
            .len()
    };
    for i in 0..20 {
        let out = l.put(&format!("no-bk-{i}"), b"x", kms_bk(None)).unwrap();
        assert!(!out
            .sse
            .headers()
            .iter()
            .any(|(h, _)| *h == "x-amz-server-side-encryption-bucket-key-enabled"));
    }
    assert_eq!(count("GenerateDataKey"), 20);
    for i in 0..20 {
        let out = l
            .put(
                &format!("bk-{i}"),
                format!("object {i}").as_bytes(),
                kms_bk(Some(true)),
            )
            .unwrap();
        assert!(out.sse.headers().contains(&(
            "x-amz-server-side-encryption-bucket-key-enabled",
            "true".to_string()
        )));
    }
    assert_eq!(
        count("GenerateDataKey"),
        21,
        "one more KMS call for twenty objects"
    );
    let bk = l
        .kms
        .audit(&s3lab_kms::AuditQuery {
            event_name: Some("GenerateDataKey"),
            ..Default::default()
        })
        .pop()
        .unwrap();
    assert_eq!(
        bk.request_parameters["encryptionContext"]["aws:s3:arn"], "arn:aws:s3:::lab",
        "the context names the bucket"
    );
    for i in 0..20 {
        assert_eq!(
            l.get(&format!("bk-{i}"), None, None).unwrap(),
            format!("object {i}").as_bytes()
        );
    }
    assert_eq!(
        count("Decrypt"),
        0,
        "the writer's cached bucket key serves its reads too"
    );
    // Objects under one bucket key still have keys of their own.
    let a = l.s3.inspect_object("lab", "bk-0").unwrap().encryption;
    let b = l.s3.inspect_object("lab", "bk-1").unwrap().encryption;
    assert_eq!(a["kms_ciphertext_blob"], b["kms_ciphertext_blob"]);
    assert_ne!(
        a["bucket_key"]["object_key_salt"],
        b["bucket_key"]["object_key_salt"]
    );
}

#[test]
fn bucket_keys_come_from_the_bucket_setting_and_never_open_the_second_lock() {
    let l = lab();
    let caller = s3lab_kms::Caller::direct(l.ids.by_name("admin").unwrap(), "127.0.0.1", "t", true);
    let key = l
        .kms
        .create_key(&caller, Default::default())
        .unwrap()
        .key_metadata;
    let mut enc = l.s3.get_bucket_encryption("lab").unwrap();
    enc.sse_algorithm = "aws:kms".into();
    enc.kms_master_key_id = Some(key.arn.clone());
    enc.bucket_key_enabled = true;
    l.s3.put_bucket_encryption("lab", enc).unwrap();
    let out = l
        .put(
            "default-bk",
            b"x",
            SseRequest::Unspecified { bucket_key: None },
        )
        .unwrap();
    assert!(out.sse.headers().contains(&(
        "x-amz-server-side-encryption-bucket-key-enabled",
        "true".to_string()
    )));
    let out = l
        .put(
            "opt-out",
            b"x",
            SseRequest::Unspecified {
                bucket_key: Some(false),
            },
        )
        .unwrap();
    assert!(
        !out.sse
            .headers()
            .iter()
            .any(|(h, _)| h.ends_with("bucket-key-enabled")),
        "the request header overrides the bucket"
    );
    let dsse = l
        .put(
            "dsse",
            b"x",
            SseRequest::Kms {
                dsse: true,
                key_id: None,
                context: None,
                bucket_key: Some(true),
            },
        )
        .unwrap();
    assert!(
        !dsse
            .sse
            .headers()
            .iter()
            .any(|(h, _)| h.ends_with("bucket-key-enabled")),
        "DSSE-KMS ignores bucket keys"
    );
    // The reader has no kms:Decrypt on this key: a cached bucket key must not let it read.
    let reader = Requester {
        identity: l.ids.by_name("reader"),
        secure: true,
    };
    let e = l.get_as(reader, "default-bk", None, None).unwrap_err();
    assert_eq!((e.status, e.code), (403, "AccessDenied"));
}

#[test]
fn a_bucket_policy_may_only_name_its_own_bucket() {
    let l = lab();
    l.s3.create_bucket("other", None).unwrap();
    let policy = |resources: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":{resources}}}]}}"#
        )
    };
    for ok in [
        r#"["arn:aws:s3:::lab", "arn:aws:s3:::lab/*"]"#,
        r#""arn:aws:s3:::lab/reports/2026.txt""#,
        r#""arn:aws:s3:::la*/*""#,
    ] {
        l.s3.put_bucket_policy("lab", &policy(ok)).unwrap();
    }
    for bad in [
        r#""arn:aws:s3:::other/*""#,
        r#"["arn:aws:s3:::lab/*", "arn:aws:s3:::other"]"#,
        r#""arn:aws:s3:::labs/*""#,
    ] {
        let e = l.s3.put_bucket_policy("lab", &policy(bad)).unwrap_err();
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (400, "MalformedPolicy", "Policy has invalid resource"),
            "{bad}"
        );
    }
}

#[test]
fn re_creating_your_own_bucket_is_200_in_us_east_1_and_409_elsewhere() {
    let l = lab();
    l.put(
        "kept",
        b"still here",
        SseRequest::Unspecified { bucket_key: None },
    )
    .unwrap();
    l.s3.create_bucket("lab", None).unwrap();
    let got = l.get("kept", None, None).unwrap();
    assert_eq!(got, b"still here", "the bucket is left as it was");

    let env = Env::seeded(10);
    let kms = Arc::new(Kms::open(None, KmsConfig::default(), env.clone()).unwrap());
    let ids = Arc::new(IdentityTable::builtin("111122223333"));
    let config = S3Config {
        region: "eu-west-1".into(),
        ..S3Config::default()
    };
    let s3 = S3::new(config, env, Arc::new(MemoryStorage::new()), kms, None, ids).unwrap();
    s3.create_bucket("mine", None).unwrap();
    let e = s3.create_bucket("mine", None).unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it."
        )
    );
}

#[test]
fn writes_refuse_keys_over_1024_bytes() {
    let l = lab();
    let plain = || SseRequest::Unspecified { bucket_key: None };
    let longest = "k".repeat(1024);
    l.put(&longest, b"fits", plain()).unwrap();
    assert_eq!(l.get(&longest, None, None).unwrap(), b"fits");
    let too_long = "é".repeat(513); // 1026 bytes of UTF-8, 513 characters
    let refused = |e: S3Error| {
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (400, "KeyTooLongError", "Your key is too long")
        );
        assert_eq!(
            e.extra,
            vec![
                ("Size", "1026".to_owned()),
                ("MaxSizeAllowed", "1024".to_owned())
            ]
        );
    };
    refused(l.put(&too_long, b"x", plain()).unwrap_err());
    refused(
        l.s3.create_multipart_upload(
            l.admin(),
            "lab",
            &too_long,
            &plain(),
            &ObjectHeaders::default(),
        )
        .unwrap_err(),
    );
    refused(
        l.s3.copy_object(
            l.admin(),
            CopyObject {
                bucket: "lab".into(),
                key: too_long.clone(),
                source_bucket: "lab".into(),
                source_key: longest,
                source_customer_key: None,
                source_conditions: Conditions::default(),
                sse: plain(),
                replace_headers: None,
                tagging_replace: None,
            },
        )
        .unwrap_err(),
    );
}
