//! Conformance: one case per row of the reference's quick conformance table (section 10), the
//! SSE-C error matrix (section 3.3) and the multipart rules (3.4), sent as raw signed requests so
//! that no SDK cleans them up first.

use base64::Engine as _;
use http::Method;
use md5::Digest;
use s3lab_e2e::raw::{Auth, ErrorBody, RawRequest};
use s3lab_e2e::TestLab;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SSE: &str = "x-amz-server-side-encryption";
const KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const C_ALG: &str = "x-amz-server-side-encryption-customer-algorithm";
const C_KEY: &str = "x-amz-server-side-encryption-customer-key";
const C_MD5: &str = "x-amz-server-side-encryption-customer-key-MD5";

fn key_b64(k: &[u8]) -> String {
    B64.encode(k)
}

fn md5_b64(k: &[u8]) -> String {
    B64.encode(md5::Md5::digest(k))
}

/// The SSE-C triple for a 32-byte key.
fn triple(k: &[u8; 32]) -> Vec<(&'static str, String)> {
    vec![
        (C_ALG, "AES256".into()),
        (C_KEY, key_b64(k)),
        (C_MD5, md5_b64(k)),
    ]
}

fn with(mut req: RawRequest<'static>, headers: Vec<(&'static str, String)>) -> RawRequest<'static> {
    for (n, v) in headers {
        req = req.header(n, v);
    }
    req
}

async fn lab() -> TestLab {
    let lab = TestLab::start().await;
    let r = lab.raw(RawRequest::new(Method::PUT, "/conf")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    lab
}

async fn kms_key(lab: &TestLab) -> (String, String) {
    let kms = lab.kms_client("admin", true);
    let md = kms
        .create_key()
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("md");
    (md.key_id().to_owned(), md.arn().expect("arn").to_owned())
}

#[tokio::test]
async fn section_10_quick_conformance_table() {
    let lab = lab().await;
    let (key_id, key_arn) = kms_key(&lab).await;

    // PUT, no SSE headers, fresh bucket: 200 and AES256.
    let r = lab
        .raw(RawRequest::new(Method::PUT, "/conf/plain").body("plain"))
        .await;
    assert_eq!((r.status, r.header(SSE)), (200, Some("AES256")));

    // PUT aws:kms, no key id: the aws/s3 key, by ARN.
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/conf/k-default")
                .header(SSE, "aws:kms")
                .body("x"),
        )
        .await;
    assert_eq!((r.status, r.header(SSE)), (200, Some("aws:kms")));
    let aws_s3 = lab
        .app
        .kms()
        .inspect_key("alias/aws/s3")
        .expect("aws/s3 created on first use");
    assert_eq!(r.header(KEY_ID), Some(aws_s3.arn.as_str()));
    assert_eq!(aws_s3.key_manager, "AWS");

    // PUT aws:kms + bare key UUID: the full ARN comes back.
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/conf/k-own")
                .header(SSE, "aws:kms")
                .header(KEY_ID, key_id.clone())
                .body("secret"),
        )
        .await;
    assert_eq!((r.status, r.header(KEY_ID)), (200, Some(key_arn.as_str())));
    assert!(
        r.header("x-amz-server-side-encryption-bucket-key-enabled")
            .is_none(),
        "absent when false"
    );

    // PUT aws:kms + nonexistent key: 400 KMS.NotFoundException.
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/conf/k-missing")
                .header(SSE, "aws:kms")
                .header(KEY_ID, "1234abcd-12ab-34cd-56ef-1234567890ab")
                .body("x"),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.NotFoundException")
    );
    assert_eq!(r.message(), "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist");

    // GET SSE-KMS object with an SSE header: 400.
    let r = lab
        .raw(RawRequest::new(Method::GET, "/conf/k-own").header(SSE, "aws:kms"))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));

    // GET SSE-KMS object via SigV2: 400 InvalidArgument, SigV4 required.
    let r = lab
        .raw(RawRequest::new(Method::GET, "/conf/k-own").auth(Auth::SigV2))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));
    assert_eq!(r.message(), "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.");
    assert_eq!(r.element("ArgumentName"), "Authorization");

    // GET SSE-KMS object, key disabled: 400 KMS.DisabledException.
    lab.kms_client("admin", true)
        .disable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("disable");
    let r = lab.raw(RawRequest::new(Method::GET, "/conf/k-own")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.DisabledException")
    );
    assert_eq!(r.message(), format!("{key_arn} is disabled."));
    lab.kms_client("admin", true)
        .enable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("enable");

    // PUT SSE-C, complete and valid: 200, algorithm and MD5 echoed, no SSE header, ETag not the MD5.
    let k = [0x11u8; 32];
    let r = lab
        .raw(with(
            RawRequest::new(Method::PUT, "/conf/c").body("customer"),
            triple(&k),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header(C_ALG), Some("AES256"));
    assert_eq!(r.header(C_MD5).map(str::to_owned), Some(md5_b64(&k)));
    assert!(r.header(SSE).is_none());
    assert_ne!(
        r.header("etag").map(str::to_owned),
        Some(format!(
            "\"{}\"",
            hex::encode(md5::Md5::digest(b"customer"))
        ))
    );

    // GET SSE-C without key: 400 InvalidRequest.
    let r = lab.raw(RawRequest::new(Method::GET, "/conf/c")).await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidRequest"));
    // GET SSE-C with a wrong key: 403 AccessDenied.
    let r = lab
        .raw(with(
            RawRequest::new(Method::GET, "/conf/c"),
            triple(&[0x22; 32]),
        ))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    // HEAD SSE-C with a wrong key: 403, empty body.
    let r = lab
        .raw(with(
            RawRequest::new(Method::HEAD, "/conf/c"),
            triple(&[0x22; 32]),
        ))
        .await;
    assert_eq!((r.status, r.body.len()), (403, 0));
    // GET a plain object with SSE-C headers: 400 InvalidRequest.
    let r = lab
        .raw(with(
            RawRequest::new(Method::GET, "/conf/plain"),
            triple(&k),
        ))
        .await;
    assert_eq!(
        (r.status, r.code().as_str(), r.message().as_str()),
        (
            400,
            "InvalidRequest",
            "The encryption parameters are not applicable to this object."
        )
    );

    // GetBucketEncryption on a fresh bucket: 200, AES256, BucketKeyEnabled false.
    let r = lab
        .raw(RawRequest::new(Method::GET, "/conf?encryption"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.element("SSEAlgorithm"), "AES256");
    assert_eq!(r.element("BucketKeyEnabled"), "false");
    // DeleteBucketEncryption twice: 204, 204.
    for _ in 0..2 {
        let md5 = B64.encode(md5::Md5::digest(b""));
        let r = lab
            .raw(RawRequest::new(Method::DELETE, "/conf?encryption").header("content-md5", md5))
            .await;
        assert_eq!(r.status, 204);
    }

    // KMS Decrypt with a different context: 400 InvalidCiphertextException with no message.
    let kms = lab.kms_client("admin", true);
    let blob = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(aws_sdk_kms::primitives::Blob::new(b"x".to_vec()))
        .encryption_context("a", "1")
        .send()
        .await
        .expect("encrypt")
        .ciphertext_blob
        .expect("blob");
    let body = format!(
        r#"{{"CiphertextBlob":"{}","EncryptionContext":{{"a":"2"}}}}"#,
        B64.encode(blob.as_ref())
    );
    let req = RawRequest::new(Method::POST, "/")
        .header("x-amz-target", "TrentService.Decrypt")
        .header("content-type", "application/x-amz-json-1.1")
        .body(body)
        .service("kms");
    let r = lab.raw(req).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), r#"{"__type":"InvalidCiphertextException"}"#);
    lab.stop().await;
}

#[tokio::test]
async fn section_3_3_sse_c_error_matrix() {
    let lab = lab().await;
    let k = [0x33u8; 32];
    let put = |headers: Vec<(&'static str, String)>| {
        with(RawRequest::new(Method::PUT, "/conf/m").body("x"), headers)
    };
    type Case<'a> = (&'a str, RawRequest<'static>, u16, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        ("over plain HTTP", put(triple(&k)).http(), 400, "InvalidRequest", "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."),
        ("algorithm without key", put(vec![(C_ALG, "AES256".into())]), 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."),
        ("key without algorithm", put(vec![(C_KEY, key_b64(&k)), (C_MD5, md5_b64(&k))]), 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."),
        ("algorithm not AES256", put(vec![(C_ALG, "AES128".into()), (C_KEY, key_b64(&k)), (C_MD5, md5_b64(&k))]), 400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256."),
        ("key not 32 bytes", put(vec![(C_ALG, "AES256".into()), (C_KEY, key_b64(&k[..16])), (C_MD5, md5_b64(&k[..16]))]), 400, "InvalidArgument", "The secret key was invalid for the specified algorithm."),
        ("MD5 missing", put(vec![(C_ALG, "AES256".into()), (C_KEY, key_b64(&k))]), 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."),
        ("MD5 wrong", put(vec![(C_ALG, "AES256".into()), (C_KEY, key_b64(&k)), (C_MD5, md5_b64(b"other"))]), 400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."),
        ("with AES256", put([triple(&k), vec![(SSE, "AES256".into())]].concat()), 400, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
        ("with aws:kms", put([triple(&k), vec![(SSE, "aws:kms".into())]].concat()), 400, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
    ];
    for (name, req, status, code, message) in cases {
        let r = lab.raw(req).await;
        assert_eq!(
            (r.status, r.code().as_str(), r.message().as_str()),
            (status, code, message),
            "{name}"
        );
    }
    // Reads of an SSE-C object.
    let r = lab
        .raw(with(
            RawRequest::new(Method::PUT, "/conf/c").body("data"),
            triple(&k),
        ))
        .await;
    assert_eq!(r.status, 200);
    let r = lab.raw(RawRequest::new(Method::GET, "/conf/c")).await;
    assert_eq!((r.status, r.message().as_str()), (400, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."));
    let r = lab
        .raw(with(
            RawRequest::new(Method::GET, "/conf/c"),
            triple(&[0x44; 32]),
        ))
        .await;
    assert_eq!((r.status, r.message().as_str()), (403, "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."));
    let r = lab
        .raw(with(RawRequest::new(Method::GET, "/conf/c"), triple(&k)).http())
        .await;
    assert_eq!(r.status, 400, "SSE-C reads over HTTP are refused too");
    for (headers, status) in [
        (vec![], 400),
        (triple(&[0x44; 32]), 403),
        (
            vec![
                (C_ALG, "AES128".into()),
                (C_KEY, key_b64(&k)),
                (C_MD5, md5_b64(&k)),
            ],
            400,
        ),
    ] {
        let r = lab
            .raw(with(RawRequest::new(Method::HEAD, "/conf/c"), headers))
            .await;
        assert_eq!(
            (r.status, r.body.len()),
            (status, 0),
            "HEAD errors have no body"
        );
    }
    // CopyObject: the source needs the copy-source triple.
    let r = lab
        .raw(RawRequest::new(Method::PUT, "/conf/copy").header("x-amz-copy-source", "/conf/c"))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidRequest"));
    let copy_triple = vec![
        (
            "x-amz-copy-source-server-side-encryption-customer-algorithm",
            "AES256".to_string(),
        ),
        (
            "x-amz-copy-source-server-side-encryption-customer-key",
            key_b64(&[0x44; 32]),
        ),
        (
            "x-amz-copy-source-server-side-encryption-customer-key-MD5",
            md5_b64(&[0x44; 32]),
        ),
    ];
    let r = lab
        .raw(with(
            RawRequest::new(Method::PUT, "/conf/copy").header("x-amz-copy-source", "/conf/c"),
            copy_triple,
        ))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    let copy_triple = vec![
        (
            "x-amz-copy-source-server-side-encryption-customer-algorithm",
            "AES256".to_string(),
        ),
        (
            "x-amz-copy-source-server-side-encryption-customer-key",
            key_b64(&k),
        ),
        (
            "x-amz-copy-source-server-side-encryption-customer-key-MD5",
            md5_b64(&k),
        ),
    ];
    let r = lab
        .raw(with(
            RawRequest::new(Method::PUT, "/conf/copy").header("x-amz-copy-source", "/conf/c"),
            copy_triple,
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header(SSE),
        Some("AES256"),
        "a copy with no target headers gets the bucket default"
    );
    // A bucket that blocks SSE-C: writes refused with 403, existing objects still readable.
    let block = r#"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>"#;
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/conf?encryption")
                .header("content-md5", B64.encode(md5::Md5::digest(block)))
                .body(block),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = lab
        .raw(with(
            RawRequest::new(Method::PUT, "/conf/blocked").body("x"),
            triple(&k),
        ))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    let r = lab
        .raw(with(RawRequest::new(Method::GET, "/conf/c"), triple(&k)))
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "data"));
    lab.stop().await;
}

#[tokio::test]
async fn section_3_4_multipart_sse_c_rules() {
    let lab = lab().await;
    let k = [0x55u8; 32];
    let start = |headers: Vec<(&'static str, String)>, key: &'static str| {
        let lab = &lab;
        async move {
            let r = lab
                .raw(with(RawRequest::new(Method::POST, key), headers))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.element("UploadId")
        }
    };
    let upload = start(triple(&k), "/conf/mc?uploads").await;
    let part = |headers: Vec<(&'static str, String)>, path: String| {
        with(
            RawRequest::new(Method::PUT, Box::leak(path.into_boxed_str())).body("part"),
            headers,
        )
    };
    let r = lab
        .raw(part(
            vec![],
            format!("/conf/mc?partNumber=1&uploadId={upload}"),
        ))
        .await;
    assert_eq!((r.status, r.code().as_str(), r.message().as_str()), (400, "InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."));
    let r = lab
        .raw(part(
            triple(&[0x66; 32]),
            format!("/conf/mc?partNumber=1&uploadId={upload}"),
        ))
        .await;
    assert_eq!(
        (r.status, r.message().as_str()),
        (
            400,
            "The provided encryption parameters did not match the ones used originally."
        )
    );
    let r = lab
        .raw(part(
            triple(&k),
            format!("/conf/mc?partNumber=1&uploadId={upload}"),
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header(C_MD5).map(str::to_owned), Some(md5_b64(&k)));
    let plain = start(vec![], "/conf/mp?uploads").await;
    let r = lab
        .raw(part(
            triple(&k),
            format!("/conf/mp?partNumber=1&uploadId={plain}"),
        ))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidRequest"));
    let r = lab
        .raw(part(
            vec![],
            format!("/conf/mp?partNumber=0&uploadId={plain}"),
        ))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));
    lab.stop().await;
}

#[tokio::test]
async fn header_conflicts_and_bad_values() {
    let lab = lab().await;
    type Case<'a> = (Vec<(&'static str, String)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![(SSE, "AES-256".into())], "InvalidArgument", "The encryption method specified is not supported"),
        (vec![(SSE, "aes256".into())], "InvalidArgument", "The encryption method specified is not supported"),
        (vec![(SSE, "AES256".into()), (KEY_ID, "alias/x".into())], "InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"),
        (vec![(KEY_ID, "alias/x".into())], "InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"),
    ];
    for (headers, code, message) in cases {
        let r = lab
            .raw(with(
                RawRequest::new(Method::PUT, "/conf/h").body("x"),
                headers.clone(),
            ))
            .await;
        assert_eq!(
            (r.status, r.code().as_str(), r.message().as_str()),
            (400, code, message),
            "{headers:?}"
        );
    }
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/conf/h")
                .header(SSE, "AES-256")
                .body("x"),
        )
        .await;
    assert_eq!(
        (
            r.element("ArgumentName").as_str(),
            r.element("ArgumentValue").as_str()
        ),
        (SSE, "AES-256")
    );
    // Every response carries S3's request ids, and a Date from the clock signatures are checked
    // against (the real one here).
    let date = r.header("date").expect("Date header");
    assert!(
        date.ends_with(" GMT")
            && date.contains(&time::OffsetDateTime::now_utc().year().to_string()),
        "{date}"
    );
    assert!(r.header("x-amz-request-id").is_some_and(|v| v.len() == 16));
    assert!(r.header("x-amz-id-2").is_some());
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/conf/kms-http")
                .header(SSE, "aws:kms")
                .body("x")
                .http(),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));
    lab.stop().await;
}

#[tokio::test]
async fn anonymous_requests_are_denied_without_a_policy() {
    let lab = lab().await;
    let r = lab
        .raw(RawRequest::new(Method::GET, "/conf?list-type=2").auth(Auth::Anonymous))
        .await;
    assert_eq!(
        (r.status, r.code().as_str(), r.message().as_str()),
        (403, "AccessDenied", "Access Denied")
    );
    lab.stop().await;
}

#[tokio::test]
async fn virtual_host_style_addressing_under_localhost() {
    let lab = lab().await;
    let port = lab.server.as_ref().expect("server").https_addr.port();
    let r = lab
        .raw(
            RawRequest::new(Method::PUT, "/notes/v.txt")
                .header("host", format!("conf.localhost:{port}"))
                .body("virtual host"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = lab
        .raw(RawRequest::new(Method::GET, "/conf/notes/v.txt"))
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "virtual host"));
    lab.stop().await;
}
