//! The AWS SDK for Rust, with default settings (checksums on), against s3lab's S3 over HTTPS.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use base64::Engine as _;
use s3lab_e2e::TestLab;
use s3lab_kms::AuditQuery;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("").to_owned()
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 131 + seed as usize) % 251) as u8)
        .collect()
}

/// The SSE settings of one mode, applied to a request builder by the macro below.
#[derive(Clone, Debug)]
enum Mode {
    Default,
    S3,
    Kms(Option<String>),
    Dsse,
    C([u8; 32]),
}

impl Mode {
    fn customer(&self) -> Option<(String, String)> {
        match self {
            Mode::C(k) => Some((B64.encode(k), B64.encode(md5_of(k)))),
            _ => None,
        }
    }
}

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(bytes).into()
}

macro_rules! with_sse {
    ($builder:expr, $mode:expr) => {{
        let b = $builder;
        match $mode {
            Mode::Default => b,
            Mode::S3 => b.server_side_encryption(ServerSideEncryption::Aes256),
            Mode::Kms(key) => {
                let b = b.server_side_encryption(ServerSideEncryption::AwsKms);
                match key {
                    Some(k) => b.ssekms_key_id(k.clone()),
                    None => b,
                }
            }
            Mode::Dsse => b.server_side_encryption(ServerSideEncryption::AwsKmsDsse),
            Mode::C(_) => {
                let (key, md5) = $mode.customer().expect("customer key");
                b.sse_customer_algorithm("AES256")
                    .sse_customer_key(key)
                    .sse_customer_key_md5(md5)
            }
        }
    }};
}

macro_rules! with_customer {
    ($builder:expr, $mode:expr) => {{
        match $mode.customer() {
            Some((key, md5)) => $builder
                .sse_customer_algorithm("AES256")
                .sse_customer_key(key)
                .sse_customer_key_md5(md5),
            None => $builder,
        }
    }};
}

async fn lab_with_key() -> (TestLab, String) {
    let lab = TestLab::start().await;
    let kms = lab.kms_client("admin", true);
    let key = kms
        .create_key()
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("md")
        .arn
        .expect("arn");
    lab.s3_client("admin", true)
        .create_bucket()
        .bucket("lab")
        .send()
        .await
        .expect("bucket");
    (lab, key)
}

fn modes(kms_key: &str) -> Vec<(&'static str, Mode)> {
    vec![
        ("default", Mode::Default),
        ("sse-s3", Mode::S3),
        ("sse-kms-aws-s3", Mode::Kms(None)),
        ("sse-kms-own", Mode::Kms(Some(kms_key.to_owned()))),
        ("dsse-kms", Mode::Dsse),
        ("sse-c", Mode::C([0x5a; 32])),
    ]
}

#[tokio::test]
async fn put_get_head_range_in_every_mode() {
    let (lab, kms_key) = lab_with_key().await;
    let s3 = lab.s3_client("admin", true);
    for (name, mode) in modes(&kms_key) {
        let body = data(300_000, name.len() as u8);
        let put = with_sse!(
            s3.put_object()
                .bucket("lab")
                .key(name)
                .body(ByteStream::from(body.clone()))
                .metadata("lesson", name),
            &mode
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: put: {e:?}"));
        let etag = put.e_tag().expect("etag").to_owned();
        match &mode {
            Mode::Default | Mode::S3 => {
                assert_eq!(
                    put.server_side_encryption(),
                    Some(&ServerSideEncryption::Aes256),
                    "{name}"
                );
                assert_eq!(
                    etag,
                    format!("\"{}\"", hex::encode(md5_of(&body))),
                    "{name}: SSE-S3 ETag is the MD5"
                );
            }
            Mode::Kms(key) => {
                assert_eq!(
                    put.server_side_encryption(),
                    Some(&ServerSideEncryption::AwsKms),
                    "{name}"
                );
                let arn = put.ssekms_key_id().expect("key arn");
                assert!(
                    arn.starts_with("arn:aws:kms:us-east-1:111122223333:key/"),
                    "{arn}"
                );
                if let Some(k) = key {
                    assert_eq!(arn, k);
                }
                assert_ne!(
                    etag,
                    format!("\"{}\"", hex::encode(md5_of(&body))),
                    "{name}: SSE-KMS ETag is not the MD5"
                );
            }
            Mode::Dsse => assert_eq!(
                put.server_side_encryption(),
                Some(&ServerSideEncryption::AwsKmsDsse)
            ),
            Mode::C(_) => {
                assert_eq!(
                    put.server_side_encryption(),
                    None,
                    "SSE-C answers carry no x-amz-server-side-encryption"
                );
                assert_eq!(put.sse_customer_algorithm(), Some("AES256"));
                assert_eq!(
                    put.sse_customer_key_md5(),
                    mode.customer().map(|c| c.1).as_deref()
                );
            }
        }
        let got = with_customer!(s3.get_object().bucket("lab").key(name), &mode)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: get: {e:?}"));
        assert_eq!(
            got.metadata()
                .and_then(|m| m.get("lesson"))
                .map(String::as_str),
            Some(name)
        );
        assert_eq!(got.e_tag(), Some(etag.as_str()));
        let bytes = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(bytes.as_ref(), body.as_slice(), "{name}");

        let head = with_customer!(s3.head_object().bucket("lab").key(name), &mode)
            .send()
            .await
            .expect("head");
        assert_eq!(head.content_length(), Some(body.len() as i64));
        assert_eq!(
            head.server_side_encryption().is_some(),
            !matches!(mode, Mode::C(_))
        );

        let ranged = with_customer!(
            s3.get_object()
                .bucket("lab")
                .key(name)
                .range("bytes=65530-65545"),
            &mode
        )
        .send()
        .await
        .expect("range");
        assert_eq!(
            ranged.content_range(),
            Some(format!("bytes 65530-65545/{}", body.len()).as_str())
        );
        let bytes = ranged.body.collect().await.expect("body").into_bytes();
        assert_eq!(bytes.as_ref(), &body[65530..=65545], "{name} range");
    }
    // Every SSE-KMS write was a GenerateDataKey on behalf of the admin, via S3.
    let gdk = lab.app.kms().audit(&AuditQuery {
        event_name: Some("GenerateDataKey"),
        invoked_by: Some("s3.amazonaws.com"),
        ..Default::default()
    });
    assert_eq!(gdk.len(), 3, "aws/s3, own key, DSSE");
    assert_eq!(
        gdk[0].request_parameters["encryptionContext"]["aws:s3:arn"],
        "arn:aws:s3:::lab/sse-kms-aws-s3"
    );
    lab.stop().await;
}

#[tokio::test]
async fn copy_changes_the_mode() {
    let (lab, kms_key) = lab_with_key().await;
    let s3 = lab.s3_client("admin", true);
    let all = modes(&kms_key);
    for (src_name, src_mode) in &all {
        let body = data(70_000, 3);
        with_sse!(
            s3.put_object()
                .bucket("lab")
                .key(format!("src-{src_name}"))
                .body(ByteStream::from(body.clone())),
            src_mode
        )
        .send()
        .await
        .expect("put");
        for (dst_name, dst_mode) in [&all[2], &all[5], &all[0]] {
            let key = format!("copy-{src_name}-to-{dst_name}");
            let mut req = with_sse!(
                s3.copy_object()
                    .bucket("lab")
                    .key(&key)
                    .copy_source(format!("lab/src-{src_name}")),
                dst_mode
            );
            if let Some((k, md5)) = src_mode.customer() {
                req = req
                    .copy_source_sse_customer_algorithm("AES256")
                    .copy_source_sse_customer_key(k)
                    .copy_source_sse_customer_key_md5(md5);
            }
            let out = req.send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
            assert!(out.copy_object_result().and_then(|r| r.e_tag()).is_some());
            let got = with_customer!(s3.get_object().bucket("lab").key(&key), dst_mode)
                .send()
                .await
                .expect("get copy");
            assert_eq!(
                got.body
                    .collect()
                    .await
                    .expect("body")
                    .into_bytes()
                    .as_ref(),
                body.as_slice(),
                "{key}"
            );
        }
    }
    lab.stop().await;
}

#[tokio::test]
async fn multipart_in_every_mode() {
    let (lab, kms_key) = lab_with_key().await;
    let s3 = lab.s3_client("admin", true);
    let part1 = data(5 * 1024 * 1024, 1);
    let part2 = data(777_777, 2);
    for (name, mode) in modes(&kms_key) {
        let created = with_sse!(s3.create_multipart_upload().bucket("lab").key(name), &mode)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let upload = created.upload_id().expect("upload id").to_owned();
        let mut parts = Vec::new();
        for (n, body) in [(1, &part1), (2, &part2)] {
            let out = with_customer!(
                s3.upload_part()
                    .bucket("lab")
                    .key(name)
                    .upload_id(&upload)
                    .part_number(n)
                    .body(ByteStream::from(body.clone())),
                &mode
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} part {n}: {e:?}"));
            parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .e_tag(out.e_tag().expect("etag"))
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .build(),
            );
        }
        let listed = s3
            .list_parts()
            .bucket("lab")
            .key(name)
            .upload_id(&upload)
            .send()
            .await
            .expect("list parts");
        assert_eq!(listed.parts().len(), 2);
        let done = s3
            .complete_multipart_upload()
            .bucket("lab")
            .key(name)
            .upload_id(&upload)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} complete: {e:?}"));
        assert!(
            done.e_tag().is_some_and(|e| e.ends_with("-2\"")),
            "{:?}",
            done.e_tag()
        );
        let got = with_customer!(s3.get_object().bucket("lab").key(name), &mode)
            .send()
            .await
            .expect("get");
        let bytes = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(bytes.len(), part1.len() + part2.len());
        assert_eq!(&bytes[..part1.len()], part1.as_slice());
        assert_eq!(&bytes[part1.len()..], part2.as_slice());
        let part = with_customer!(
            s3.get_object().bucket("lab").key(name).part_number(2),
            &mode
        )
        .send()
        .await
        .expect("part 2");
        assert_eq!(part.parts_count(), Some(2));
        assert_eq!(
            part.body
                .collect()
                .await
                .expect("body")
                .into_bytes()
                .as_ref(),
            part2.as_slice()
        );
    }
    lab.stop().await;
}

#[tokio::test]
async fn listing_delete_and_errors() {
    let (lab, _) = lab_with_key().await;
    let s3 = lab.s3_client("admin", true);
    for k in ["docs/a.txt", "docs/b.txt", "img/c.png", "readme"] {
        s3.put_object()
            .bucket("lab")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put");
    }
    let list = s3
        .list_objects_v2()
        .bucket("lab")
        .delimiter("/")
        .send()
        .await
        .expect("list");
    assert_eq!(
        list.contents()
            .iter()
            .map(|o| o.key().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["readme"]
    );
    assert_eq!(
        list.common_prefixes()
            .iter()
            .map(|p| p.prefix().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["docs/", "img/"]
    );
    let page = s3
        .list_objects_v2()
        .bucket("lab")
        .max_keys(2)
        .send()
        .await
        .expect("page");
    assert_eq!(page.is_truncated(), Some(true));
    let rest = s3
        .list_objects_v2()
        .bucket("lab")
        .continuation_token(page.next_continuation_token().expect("token"))
        .send()
        .await
        .expect("rest");
    assert_eq!(rest.contents().len(), 2);
    let buckets = s3.list_buckets().send().await.expect("buckets");
    assert_eq!(
        buckets
            .buckets()
            .iter()
            .map(|b| b.name().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["lab"]
    );

    let err = s3
        .get_object()
        .bucket("lab")
        .key("missing")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "NoSuchKey");
    let err = s3
        .get_object()
        .bucket("nope")
        .key("x")
        .send()
        .await
        .expect_err("no bucket");
    assert_eq!(code(&err), "NoSuchBucket");
    let err = s3
        .delete_bucket()
        .bucket("lab")
        .send()
        .await
        .expect_err("not empty");
    assert_eq!(code(&err), "BucketNotEmpty");
    s3.delete_object()
        .bucket("lab")
        .key("readme")
        .send()
        .await
        .expect("delete");
    let err = s3
        .head_object()
        .bucket("lab")
        .key("readme")
        .send()
        .await
        .expect_err("gone");
    assert!(err.into_service_error().is_not_found());
    lab.stop().await;
}

#[tokio::test]
async fn sse_c_refusals_through_the_sdk() {
    let (lab, _) = lab_with_key().await;
    let s3 = lab.s3_client("admin", true);
    let right = Mode::C([1u8; 32]);
    let wrong = Mode::C([2u8; 32]);
    with_sse!(
        s3.put_object()
            .bucket("lab")
            .key("c")
            .body(ByteStream::from_static(b"secret")),
        &right
    )
    .send()
    .await
    .expect("put");
    let err = s3
        .get_object()
        .bucket("lab")
        .key("c")
        .send()
        .await
        .expect_err("no key");
    assert_eq!(code(&err), "InvalidRequest");
    let err = with_customer!(s3.get_object().bucket("lab").key("c"), &wrong)
        .send()
        .await
        .expect_err("wrong key");
    assert_eq!(code(&err), "AccessDenied");
    let raw = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(raw, Some(403));
    let err = with_customer!(s3.head_object().bucket("lab").key("c"), &wrong)
        .send()
        .await
        .expect_err("wrong key on HEAD");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    lab.stop().await;
}

#[tokio::test]
async fn sse_kms_over_plain_http_is_refused() {
    let (lab, _) = lab_with_key().await;
    let s3 = lab.s3_client("admin", false);
    let err = s3
        .put_object()
        .bucket("lab")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("http");
    assert_eq!(code(&err), "InvalidArgument");
    assert_eq!(err.message(), Some("Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."));
    s3.put_object()
        .bucket("lab")
        .key("plain")
        .body(ByteStream::from_static(b"over http"))
        .send()
        .await
        .expect("SSE-S3 over HTTP is fine");
    lab.stop().await;
}

#[tokio::test]
async fn the_reader_is_stopped_by_the_second_lock() {
    let (lab, kms_key) = lab_with_key().await;
    let admin = lab.s3_client("admin", true);
    admin
        .put_object()
        .bucket("lab")
        .key("payroll")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&kms_key)
        .body(ByteStream::from_static(b"salaries"))
        .send()
        .await
        .expect("put");
    let reader = lab.s3_client("reader", true);
    let err = reader
        .get_object()
        .bucket("lab")
        .key("payroll")
        .send()
        .await
        .expect_err("second lock");
    assert_eq!(code(&err), "AccessDenied");
    assert!(
        err.message().is_some_and(|m| m.contains("kms:Decrypt")),
        "{:?}",
        err.message()
    );
    let refusal = lab.app.kms().audit(&AuditQuery {
        event_name: Some("Decrypt"),
        succeeded: Some(false),
        ..Default::default()
    });
    assert_eq!(refusal.len(), 1);
    assert_eq!(
        refusal[0].user_identity.user_name.as_deref(),
        Some("reader")
    );
    assert_eq!(
        refusal[0].user_identity.invoked_by.as_deref(),
        Some("s3.amazonaws.com")
    );
    lab.stop().await;
}
