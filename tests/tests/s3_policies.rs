//! Enforcing encryption: every classic bucket policy of reference section 5, each in its allow and
//! deny cases, over HTTP and HTTPS; default encryption; and the second lock, for reads and writes.

use base64::Engine as _;
use http::Method;
use md5::Digest;
use s3lab_e2e::raw::{Auth, ErrorBody, RawRequest};
use s3lab_e2e::TestLab;
use s3lab_kms::AuditQuery;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SSE: &str = "x-amz-server-side-encryption";
const KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";

fn deny_put(condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"enforce","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/*","Condition":{condition}}}]}}"#
    )
}

fn triple() -> Vec<(&'static str, String)> {
    let k = [9u8; 32];
    vec![
        (
            "x-amz-server-side-encryption-customer-algorithm",
            "AES256".into(),
        ),
        ("x-amz-server-side-encryption-customer-key", B64.encode(k)),
        (
            "x-amz-server-side-encryption-customer-key-MD5",
            B64.encode(md5::Md5::digest(k)),
        ),
    ]
}

async fn put_policy(lab: &TestLab, policy: &str) {
    let r = lab
        .raw(RawRequest::new(Method::PUT, "/pol?policy").body(policy.as_bytes().to_vec()))
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
}

async fn put(lab: &TestLab, headers: &[(&'static str, String)], secure: bool) -> (u16, String) {
    let mut req = RawRequest::new(Method::PUT, "/pol/obj").body("data");
    for (n, v) in headers {
        req = req.header(n, v.clone());
    }
    if !secure {
        req = req.http();
    }
    let r = lab.raw(req).await;
    (r.status, r.code())
}

#[tokio::test]
async fn classic_encryption_policies_allow_and_deny() {
    let lab = TestLab::start().await;
    assert_eq!(
        lab.raw(RawRequest::new(Method::PUT, "/pol")).await.status,
        200
    );
    let kms = lab.kms_client("admin", true);
    let key_arn = kms
        .create_key()
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("md")
        .arn
        .expect("arn");
    let other_arn = kms
        .create_key()
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("md")
        .arn
        .expect("arn");

    let aes = vec![(SSE, "AES256".to_string())];
    let kms_h = vec![(SSE, "aws:kms".to_string())];
    let dsse = vec![(SSE, "aws:kms:dsse".to_string())];
    let kms_key = vec![(SSE, "aws:kms".to_string()), (KEY_ID, key_arn.clone())];
    let kms_other = vec![(SSE, "aws:kms".to_string()), (KEY_ID, other_arn.clone())];
    let none: Vec<(&'static str, String)> = vec![];
    let sse_c = triple();

    // (policy, [(headers, https, expected status)])
    type Headers = Vec<(&'static str, String)>;
    type Row<'a> = (&'a str, String, Vec<(&'a Headers, bool, u16)>);
    let table: Vec<Row> = vec![
        (
            "require any SSE header",
            deny_put(r#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#),
            vec![
                (&none, true, 403),
                (&none, false, 403),
                (&aes, true, 200),
                (&aes, false, 200),
                (&kms_h, true, 200),
            ],
        ),
        (
            "require SSE-S3",
            deny_put(r#"{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"#),
            vec![
                (&none, true, 403),
                (&kms_h, true, 403),
                (&aes, true, 200),
                (&aes, false, 200),
            ],
        ),
        (
            "require SSE-KMS",
            deny_put(r#"{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}"#),
            vec![
                (&none, true, 403),
                (&aes, true, 403),
                (&kms_h, true, 200),
                (&aes, false, 403),
            ],
        ),
        (
            "require SSE-KMS by key id",
            deny_put(r#"{"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"true"}}"#),
            vec![(&kms_h, true, 403), (&kms_key, true, 200)],
        ),
        (
            "require DSSE-KMS",
            deny_put(r#"{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms:dsse"}}"#),
            vec![(&kms_h, true, 403), (&dsse, true, 200)],
        ),
        (
            "require a specific key",
            deny_put(&format!(
                r#"{{"ArnNotEqualsIfExists":{{"s3:x-amz-server-side-encryption-aws-kms-key-id":"{key_arn}"}}}}"#
            )),
            // IfExists makes a missing key *true*: a write without the key-id header (SSE-S3, or
            // aws:kms relying on aws/s3) matches the Deny too.
            vec![
                (&kms_other, true, 403),
                (&kms_key, true, 200),
                (&aes, true, 403),
                (&kms_h, true, 403),
            ],
        ),
        (
            "require SSE-C",
            deny_put(r#"{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"true"}}"#),
            vec![(&none, true, 403), (&aes, true, 403), (&sse_c, true, 200)],
        ),
        (
            "forbid SSE-C",
            deny_put(r#"{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"false"}}"#),
            vec![(&sse_c, true, 403), (&none, true, 200), (&aes, false, 200)],
        ),
    ];
    for (name, policy, cases) in &table {
        put_policy(&lab, policy).await;
        for (headers, secure, expected) in cases {
            let (status, code) = put(&lab, headers, *secure).await;
            assert_eq!(
                status,
                *expected,
                "{name}: {headers:?} over {}: {code}",
                if *secure { "HTTPS" } else { "HTTP" }
            );
            if *expected == 403 {
                assert_eq!(code, "AccessDenied");
            }
        }
    }
    lab.stop().await;
}

#[tokio::test]
async fn tls_only_policy_refuses_every_plain_http_request() {
    let lab = TestLab::start().await;
    assert_eq!(
        lab.raw(RawRequest::new(Method::PUT, "/pol")).await.status,
        200
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::pol","arn:aws:s3:::pol/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    put_policy(&lab, policy).await;
    assert_eq!(put(&lab, &[], true).await.0, 200);
    let (status, code) = put(&lab, &[], false).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        lab.raw(RawRequest::new(Method::GET, "/pol/obj").http())
            .await
            .status,
        403
    );
    assert_eq!(
        lab.raw(RawRequest::new(Method::GET, "/pol/obj"))
            .await
            .status,
        200
    );
    let r = lab
        .raw(RawRequest::new(Method::GET, "/pol?list-type=2").http())
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.message()
            .contains("explicit deny in a resource-based policy"),
        "{}",
        r.message()
    );
    lab.stop().await;
}

#[tokio::test]
async fn default_encryption_and_a_header_policy_interact_as_on_aws() {
    let lab = TestLab::start().await;
    assert_eq!(
        lab.raw(RawRequest::new(Method::PUT, "/pol")).await.status,
        200
    );
    // Default encryption alone: every write is encrypted with the bucket's choice.
    let config = r#"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#;
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/pol?encryption")
                .header("content-md5", B64.encode(md5::Md5::digest(config)))
                .body(config),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = lab
        .raw(RawRequest::new(Method::PUT, "/pol/obj").body("x"))
        .await;
    assert_eq!((r.status, r.header(SSE)), (200, Some("aws:kms")));
    // A policy that demands the header still refuses a write that relies on the default: the
    // condition sees the request as sent, before the default applies.
    put_policy(
        &lab,
        &deny_put(r#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#),
    )
    .await;
    assert_eq!(put(&lab, &[], true).await.0, 403);
    assert_eq!(put(&lab, &[(SSE, "AES256".into())], true).await.0, 200);
    // Policy management.
    let r = lab.raw(RawRequest::new(Method::GET, "/pol?policy")).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("\"enforce\""));
    assert_eq!(
        lab.raw(RawRequest::new(Method::DELETE, "/pol?policy"))
            .await
            .status,
        204
    );
    let r = lab.raw(RawRequest::new(Method::GET, "/pol?policy")).await;
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchBucketPolicy"));
    lab.stop().await;
}

#[tokio::test]
async fn malformed_policies_and_configurations_change_nothing() {
    let lab = TestLab::start().await;
    assert_eq!(
        lab.raw(RawRequest::new(Method::PUT, "/pol")).await.status,
        200
    );
    for bad in [
        "not json",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/*","Condition":{"StringEqualz":{"a":"b"}}}]}"#,
    ] {
        let r = lab
            .raw(RawRequest::new(Method::PUT, "/pol?policy").body(bad))
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "MalformedPolicy"),
            "{bad}: {}",
            r.text()
        );
        assert!(!r.message().is_empty());
    }
    let r = lab.raw(RawRequest::new(Method::GET, "/pol?policy")).await;
    assert_eq!(
        r.code(),
        "NoSuchBucketPolicy",
        "a refused policy is not half-applied"
    );
    let two_rules = r#"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#;
    let key_with_aes = r#"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>alias/x</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#;
    for (body, code) in [
        (two_rules, "MalformedXML"),
        (key_with_aes, "InvalidArgument"),
        ("<nope/>", "MalformedXML"),
    ] {
        let r = lab
            .raw(
                RawRequest::new(Method::PUT, "/pol?encryption")
                    .header("content-md5", B64.encode(md5::Md5::digest(body)))
                    .body(body),
            )
            .await;
        assert_eq!((r.status, r.code().as_str()), (400, code), "{body}");
    }
    let r = lab
        .raw(RawRequest::new(Method::GET, "/pol?encryption"))
        .await;
    assert_eq!(r.element("SSEAlgorithm"), "AES256", "unchanged");
    let r = lab
        .raw(RawRequest::new(Method::PUT, "/nobucket?policy").body(deny_put("{}")))
        .await;
    assert_eq!(r.code(), "NoSuchBucket");
    lab.stop().await;
}

#[tokio::test]
async fn the_second_lock_for_reads_and_writes() {
    let lab = TestLab::start().await;
    assert_eq!(
        lab.raw(RawRequest::new(Method::PUT, "/pol")).await.status,
        200
    );
    let kms = lab.kms_client("admin", true);
    // A key only the admin may use: its policy names the admin, not the account.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":"kms:*","Resource":"*"}]}"#;
    let key = kms
        .create_key()
        .policy(policy)
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("md")
        .arn
        .expect("arn");
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/pol/secret")
                .header(SSE, "aws:kms")
                .header(KEY_ID, key.clone())
                .body("x"),
        )
        .await;
    assert_eq!(r.status, 200);
    // Read: the reader may s3:GetObject, but not kms:Decrypt.
    let r = lab
        .raw(RawRequest::new(Method::GET, "/pol/secret").auth(Auth::Identity("reader")))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    assert!(r.message().contains("kms:Decrypt"), "{}", r.message());
    // Write: the writer may s3:PutObject and use KMS keys in general, but this key's policy says no.
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/pol/w")
                .header(SSE, "aws:kms")
                .header(KEY_ID, key.clone())
                .body("x")
                .auth(Auth::Identity("writer")),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    assert!(
        r.message().contains("kms:GenerateDataKey"),
        "{}",
        r.message()
    );
    let refusals = lab.app.kms().audit(&AuditQuery {
        key_arn: Some(&key),
        succeeded: Some(false),
        ..Default::default()
    });
    let who: Vec<(&str, &str)> = refusals
        .iter()
        .map(|r| {
            (
                r.event_name.as_str(),
                r.user_identity.user_name.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(who, [("Decrypt", "reader"), ("GenerateDataKey", "writer")]);
    assert!(refusals
        .iter()
        .all(|r| r.user_identity.invoked_by.as_deref() == Some("s3.amazonaws.com")));
    lab.stop().await;
}

#[tokio::test]
async fn twenty_uploads_with_and_without_a_bucket_key() {
    let lab = TestLab::start().await;
    let s3 = lab.s3_client("admin", true);
    s3.create_bucket()
        .bucket("bkt")
        .send()
        .await
        .expect("bucket");
    let count = || {
        lab.app
            .kms()
            .audit(&AuditQuery {
                event_name: Some("GenerateDataKey"),
                ..Default::default()
            })
            .len()
    };
    for i in 0..20 {
        s3.put_object()
            .bucket("bkt")
            .key(format!("plain-{i}"))
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put");
    }
    assert_eq!(count(), 20);
    for i in 0..20 {
        let out = s3
            .put_object()
            .bucket("bkt")
            .key(format!("bk-{i}"))
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
            .bucket_key_enabled(true)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put");
        assert_eq!(out.bucket_key_enabled(), Some(true));
    }
    assert_eq!(
        count(),
        21,
        "twenty uploads under a bucket key: one KMS call"
    );
    let head = s3
        .head_object()
        .bucket("bkt")
        .key("bk-3")
        .send()
        .await
        .expect("head");
    assert_eq!(head.bucket_key_enabled(), Some(true));
    let head = s3
        .head_object()
        .bucket("bkt")
        .key("plain-3")
        .send()
        .await
        .expect("head");
    assert_eq!(head.bucket_key_enabled(), None, "absent when false");
    lab.stop().await;
}
