//! POST Object, the browser-form upload: real `multipart/form-data` bodies built by `reqwest`,
//! signed POST policies made with `s3lab-sigv4`, and what S3 answers to each kind of form. Objects
//! are read back with the AWS SDK.

use aws_sdk_s3::error::ProvideErrorMetadata;
use base64::Engine as _;
use md5::Digest;
use reqwest::multipart::{Form, Part};
use s3lab_e2e::{TestLab, REGION};
use serde_json::{json, Value};
use time::OffsetDateTime;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A reqwest client that trusts only the lab's CA and does not follow redirects.
fn client(lab: &TestLab) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&lab.ca_pem).expect("lab CA");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The file part: data, and its `filename` parameter (`None`: no parameter at all).
struct File {
    name: Option<String>,
    data: Vec<u8>,
}

fn file(name: &str, data: &[u8]) -> File {
    File {
        name: Some(name.into()),
        data: data.to_vec(),
    }
}

/// A form in order: fields, then the file (if any), then fields S3 must ignore.
#[derive(Default)]
struct Post {
    fields: Vec<(String, String)>,
    file: Option<File>,
    after: Vec<(String, String)>,
}

impl Post {
    fn field(mut self, name: &str, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn file(mut self, f: File) -> Self {
        self.file = Some(f);
        self
    }

    fn after(mut self, name: &str, value: &str) -> Self {
        self.after.push((name.into(), value.into()));
        self
    }

    fn form(self) -> Form {
        let mut form = Form::new();
        for (n, v) in self.fields {
            form = form.text(n, v);
        }
        if let Some(f) = self.file {
            let part = Part::bytes(f.data);
            let part = match f.name {
                Some(name) => part.file_name(name),
                None => part,
            };
            form = form.part("file", part);
        }
        for (n, v) in self.after {
            form = form.text(n, v);
        }
        form
    }
}

/// An answer, read whole.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The text of the first element `name`, entities decoded (as any XML reader would).
    fn element(&self, name: &str) -> String {
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        self.body
            .split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&close))
            .map(|(v, _)| {
                v.replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
            .unwrap_or_default()
    }

    /// Status, code and message of an error answer.
    fn error(&self) -> (u16, String, String) {
        (self.status, self.element("Code"), self.element("Message"))
    }
}

async fn send(lab: &TestLab, bucket: &str, post: Post) -> Answer {
    let resp = client(lab)
        .post(format!("{}/{bucket}", lab.https_url()))
        .multipart(post.form())
        .send()
        .await
        .expect("exchange");
    read(resp).await
}

async fn read(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

/// The AWS example's expiration format, `2026-01-01T12:00:00Z`.
fn iso(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// What a form signer holds: the identity's keys and the policy's lifetime.
struct Signer {
    access_key_id: String,
    secret: String,
    expires_in: time::Duration,
}

impl Signer {
    fn new(lab: &TestLab, identity: &str) -> Signer {
        let id = lab.app.identities().by_name(identity).expect("identity");
        Signer {
            access_key_id: id.access_key_id.clone(),
            secret: id.secret_access_key.to_string(),
            expires_in: time::Duration::minutes(10),
        }
    }

    /// The fields `conditions` (plus the three SigV4 conditions) sign for, appended to `post`:
    /// `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `policy`, `x-amz-signature`.
    fn sign(&self, post: Post, conditions: Vec<Value>) -> Post {
        let now = OffsetDateTime::now_utc();
        let amz_date = s3lab_sigv4::format_amz_date(now);
        let day = &amz_date[..8];
        let credential = format!("{}/{day}/{REGION}/s3/aws4_request", self.access_key_id);
        let mut conditions = conditions;
        conditions.push(json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}));
        conditions.push(json!({ "x-amz-credential": credential }));
        conditions.push(json!({ "x-amz-date": amz_date }));
        let policy = json!({
            "expiration": iso(now + self.expires_in),
            "conditions": conditions,
        });
        self.sign_text(
            post,
            &B64.encode(policy.to_string()),
            &credential,
            &amz_date,
        )
    }

    fn sign_text(&self, post: Post, policy: &str, credential: &str, amz_date: &str) -> Post {
        let key = s3lab_sigv4::signing_key(&self.secret, &amz_date[..8], REGION, "s3");
        let signature = s3lab_sigv4::sign_string(&key, policy);
        post.field("x-amz-algorithm", "AWS4-HMAC-SHA256")
            .field("x-amz-credential", credential)
            .field("x-amz-date", amz_date)
            .field("policy", policy)
            .field("x-amz-signature", signature)
    }
}

async fn make_bucket(lab: &TestLab, bucket: &str) -> aws_sdk_s3::Client {
    let s3 = lab.s3_client("admin", true);
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    s3
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5::Md5::digest(data))
}

/// The conditions a plain upload of `key` needs.
fn key_is(bucket: &str, key: &str) -> Vec<Value> {
    vec![json!({ "bucket": bucket }), json!(["eq", "$key", key])]
}

#[tokio::test]
async fn signed_uploads_answer_with_each_success_status() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "forms").await;
    let signer = Signer::new(&lab, "writer");
    let url = lab.https_url();

    // Default: 204, empty body, the object's ETag and URL; the bucket's default encryption applies.
    let data = b"hello from a browser form".to_vec();
    let post = signer.sign(
        Post::default().field("key", "a/plain.txt"),
        key_is("forms", "a/plain.txt"),
    );
    let r = send(&lab, "forms", post.file(file("plain.txt", &data))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.body, "");
    let etag = format!("\"{}\"", md5_hex(&data));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(
        r.header("location"),
        Some(format!("{url}/forms/a%2Fplain.txt").as_str())
    );
    assert_eq!(r.header("x-amz-server-side-encryption"), Some("AES256"));
    assert_eq!(get(&s3, "forms", "a/plain.txt").await, data);

    // 201: a PostResponse document.
    let post = signer.sign(
        Post::default()
            .field("key", "a/created.txt")
            .field("success_action_status", "201"),
        [
            key_is("forms", "a/created.txt"),
            vec![json!({"success_action_status": "201"})],
        ]
        .concat(),
    );
    let r = send(&lab, "forms", post.file(file("c.txt", b"created"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let location = format!("{url}/forms/a%2Fcreated.txt");
    let etag = format!("\"{}\"", md5_hex(b"created"));
    assert!(r
        .body
        .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert_eq!(r.element("Location"), location);
    assert_eq!(r.element("Bucket"), "forms");
    assert_eq!(r.element("Key"), "a/created.txt");
    assert_eq!(r.element("ETag"), etag);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("location"), Some(location.as_str()));
    assert_eq!(get(&s3, "forms", "a/created.txt").await, b"created");

    // 200, and a value S3 does not know (404), which means 204.
    for (status, expected) in [("200", 200), ("404", 204)] {
        let key = format!("status-{status}");
        let post = signer.sign(
            Post::default()
                .field("key", key.as_str())
                .field("success_action_status", status),
            [
                key_is("forms", &key),
                vec![json!(["eq", "$success_action_status", status])],
            ]
            .concat(),
        );
        let r = send(&lab, "forms", post.file(file("s.txt", b"status"))).await;
        assert_eq!(r.status, expected, "{status}: {}", r.body);
        assert_eq!(r.body, "");
        assert!(r.header("etag").is_some());
        assert_eq!(get(&s3, "forms", &key).await, b"status");
    }

    // success_action_redirect: 303 to the URL with bucket, key and etag added to its query.
    let post = signer.sign(
        Post::default().field("key", "a/redirected file.txt").field(
            "success_action_redirect",
            "https://example.com/done?from=form",
        ),
        [
            key_is("forms", "a/redirected file.txt"),
            vec![json!([
                "starts-with",
                "$success_action_redirect",
                "https://example.com/"
            ])],
        ]
        .concat(),
    );
    let r = send(&lab, "forms", post.file(file("r.txt", b"redirect"))).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(
            format!(
                "https://example.com/done?from=form&bucket=forms&key=a%2Fredirected+file.txt&etag=%22{}%22",
                md5_hex(b"redirect")
            )
            .as_str()
        )
    );
    assert_eq!(
        get(&s3, "forms", "a/redirected file.txt").await,
        b"redirect"
    );
    lab.stop().await;
}

#[tokio::test]
async fn sse_form_fields_encrypt_as_put_headers_do() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "enc").await;
    let signer = Signer::new(&lab, "writer");
    let sse = "x-amz-server-side-encryption";

    // SSE-S3.
    let post = signer.sign(
        Post::default().field("key", "s3.txt").field(sse, "AES256"),
        [key_is("enc", "s3.txt"), vec![json!({ sse: "AES256" })]].concat(),
    );
    let r = send(&lab, "enc", post.file(file("s3.txt", b"sse-s3"))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header(sse), Some("AES256"));
    let head = s3
        .head_object()
        .bucket("enc")
        .key("s3.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );

    // SSE-KMS with a customer managed key, named by its id: S3 answers with the key's ARN.
    let kms = lab.kms_client("admin", true);
    let meta = kms
        .create_key()
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("metadata");
    let (key_id, key_arn) = (
        meta.key_id().to_owned(),
        meta.arn().expect("arn").to_owned(),
    );
    let kms_key = "x-amz-server-side-encryption-aws-kms-key-id";
    let post = signer.sign(
        Post::default()
            .field("key", "kms.txt")
            .field(sse, "aws:kms")
            .field(kms_key, key_id.as_str()),
        [
            key_is("enc", "kms.txt"),
            vec![json!({ sse: "aws:kms" }), json!({ kms_key: key_id })],
        ]
        .concat(),
    );
    let r = send(&lab, "enc", post.file(file("kms.txt", b"sse-kms"))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header(sse), Some("aws:kms"));
    assert_eq!(r.header(kms_key), Some(key_arn.as_str()));
    let head = s3
        .head_object()
        .bucket("enc")
        .key("kms.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms")
    );
    assert_eq!(head.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(get(&s3, "enc", "kms.txt").await, b"sse-kms");

    // SSE-C: the triple as form fields; reading it back needs the same key.
    let customer = [7u8; 32];
    let (key_b64, md5_b64) = (B64.encode(customer), B64.encode(md5::Md5::digest(customer)));
    let triple = [
        ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
        (
            "x-amz-server-side-encryption-customer-key",
            key_b64.as_str(),
        ),
        (
            "x-amz-server-side-encryption-customer-key-MD5",
            md5_b64.as_str(),
        ),
    ];
    let mut post = Post::default().field("key", "c.txt");
    let mut conditions = key_is("enc", "c.txt");
    for (n, v) in triple {
        post = post.field(n, v);
        conditions.push(json!(["eq", format!("${n}"), v]));
    }
    let r = send(
        &lab,
        "enc",
        signer.sign(post, conditions).file(file("c.txt", b"sse-c")),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        r.header("x-amz-server-side-encryption-customer-algorithm"),
        Some("AES256")
    );
    assert_eq!(
        r.header("x-amz-server-side-encryption-customer-key-md5"),
        Some(md5_b64.as_str())
    );
    assert_eq!(r.header(sse), None);
    let got = s3
        .get_object()
        .bucket("enc")
        .key("c.txt")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key_b64)
        .sse_customer_key_md5(&md5_b64)
        .send()
        .await
        .expect("get with the key");
    assert_eq!(got.sse_customer_key_md5(), Some(md5_b64.as_str()));
    let body = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(body.as_ref(), b"sse-c");
    let e = s3
        .get_object()
        .bucket("enc")
        .key("c.txt")
        .send()
        .await
        .expect_err("no key");
    assert_eq!(e.code(), Some("InvalidRequest"));

    // A bad value gets PutObject's error, word for word.
    let post = signer.sign(
        Post::default().field("key", "bad.txt").field(sse, "aes256"),
        [key_is("enc", "bad.txt"), vec![json!({ sse: "aes256" })]].concat(),
    );
    let r = send(&lab, "enc", post.file(file("bad.txt", b"x"))).await;
    assert_eq!(
        r.error(),
        (
            400,
            "InvalidArgument".into(),
            "The encryption method specified is not supported".into()
        )
    );
    // An SSE-C key whose MD5 does not match.
    let mut post = Post::default().field("key", "bad-c.txt");
    let mut conditions = key_is("enc", "bad-c.txt");
    for (n, v) in [
        ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
        (
            "x-amz-server-side-encryption-customer-key",
            key_b64.as_str(),
        ),
        (
            "x-amz-server-side-encryption-customer-key-MD5",
            "AAAAAAAAAAAAAAAAAAAAAA==",
        ),
    ] {
        post = post.field(n, v);
        conditions.push(json!(["starts-with", format!("${n}"), ""]));
    }
    let r = send(
        &lab,
        "enc",
        signer.sign(post, conditions).file(file("x", b"x")),
    )
    .await;
    assert_eq!(
        r.error(),
        (
            400,
            "InvalidArgument".into(),
            "The calculated MD5 hash of the key did not match the hash that was provided.".into()
        )
    );
    lab.stop().await;
}

#[tokio::test]
async fn filename_variable_metadata_and_field_rules() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "names").await;
    let signer = Signer::new(&lab, "writer");
    // Names in any case; `${filename}` expanded before the policy is checked; a field after the
    // file is ignored (and needs no condition); `x-ignore-` fields need none either.
    let post = Post::default()
        .field("KEY", "uploads/${filename}")
        .field("Content-Type", "image/png")
        .field("x-amz-meta-Colour", "ÄMÄZÕÑ S3")
        .field("x-ignore-tracking", "123");
    let post = signer.sign(
        post,
        vec![
            json!({"bucket": "names"}),
            json!(["starts-with", "$key", "uploads/"]),
            json!(["starts-with", "$content-type", "image/"]),
            json!(["starts-with", "$X-Amz-Meta-Colour", ""]),
        ],
    );
    // Capitalised SigV4 field names, as aws-sdk-js-v3 sends them.
    let post = Post {
        fields: post
            .fields
            .into_iter()
            .map(|(n, v)| match n.as_str() {
                "policy" => ("Policy".to_owned(), v),
                "x-amz-signature" => ("X-Amz-Signature".to_owned(), v),
                _ => (n, v),
            })
            .collect(),
        ..post
    };
    let post = post
        .file(file("C:\\Users\\me\\photo.png", b"png bytes"))
        .after("submit", "Upload to Amazon S3");
    let r = send(&lab, "names", post).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = s3
        .get_object()
        .bucket("names")
        .key("uploads/photo.png")
        .send()
        .await
        .expect("stored under the file's name");
    assert_eq!(got.content_type(), Some("image/png"));
    let meta = got.metadata().cloned().unwrap_or_default();
    assert_eq!(
        meta.get("colour").map(String::as_str),
        Some("=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?=")
    );

    // A file part with no filename parameter leaves the variable as it is (S3, 2026).
    let post = signer.sign(
        Post::default().field("key", "raw-${filename}"),
        vec![json!(["starts-with", "$key", "raw-"])],
    );
    let post = post.file(File {
        name: None,
        data: b"no name".to_vec(),
    });
    let r = send(&lab, "names", post).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(get(&s3, "names", "raw-${filename}").await, b"no name");

    // A key over 1024 bytes.
    let long = "k".repeat(1025);
    let post = signer.sign(Post::default().field("key", long.as_str()), vec![]);
    let r = send(&lab, "names", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        (400, "KeyTooLongError".into(), "Your key is too long".into())
    );
    assert_eq!(r.element("Size"), "1025");
    assert_eq!(r.element("MaxSizeAllowed"), "1024");
    lab.stop().await;
}

#[tokio::test]
async fn policy_failures_have_s3s_codes_and_messages() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "strict").await;
    let signer = Signer::new(&lab, "writer");
    let denied = |m: &str| {
        (
            403,
            "AccessDenied".to_owned(),
            format!("Invalid according to Policy: {m}"),
        )
    };

    // Expired.
    let expired = Signer {
        expires_in: time::Duration::minutes(-1),
        ..Signer::new(&lab, "writer")
    };
    let post = expired.sign(Post::default().field("key", "k"), key_is("strict", "k"));
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(r.error(), denied("Policy expired."));

    // eq.
    let post = signer.sign(Post::default().field("key", "y"), key_is("strict", "x"));
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        denied(r#"Policy Condition failed: ["eq", "$key", "x"]"#)
    );

    // starts-with.
    let post = signer.sign(
        Post::default().field("key", "other/k"),
        vec![json!(["starts-with", "$key", "user/42/"])],
    );
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        denied(r#"Policy Condition failed: ["starts-with", "$key", "user/42/"]"#)
    );

    // The bucket the form is posted to is held to the `bucket` condition.
    make_bucket(&lab, "elsewhere").await;
    let post = signer.sign(Post::default().field("key", "k"), key_is("strict", "k"));
    let r = send(&lab, "elsewhere", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        denied(r#"Policy Condition failed: ["eq", "$bucket", "strict"]"#)
    );

    // content-length-range, both ways: the whole size is reported, nothing is stored.
    let range = |min: u64, max: u64| {
        [
            key_is("strict", "sized"),
            vec![json!(["content-length-range", min, max])],
        ]
        .concat()
    };
    let post = signer.sign(Post::default().field("key", "sized"), range(1, 5));
    let r = send(&lab, "strict", post.file(file("f", b"twelve bytes"))).await;
    assert_eq!(
        r.error(),
        (
            400,
            "EntityTooLarge".into(),
            "Your proposed upload exceeds the maximum allowed size".into()
        )
    );
    assert_eq!(r.element("ProposedSize"), "12");
    assert_eq!(r.element("MaxSizeAllowed"), "5");
    let post = signer.sign(Post::default().field("key", "sized"), range(10, 100));
    let r = send(&lab, "strict", post.file(file("f", b"abc"))).await;
    assert_eq!(
        r.error(),
        (
            400,
            "EntityTooSmall".into(),
            "Your proposed upload is smaller than the minimum allowed size".into()
        )
    );
    assert_eq!(r.element("ProposedSize"), "3");
    assert_eq!(r.element("MinSizeAllowed"), "10");
    let e = s3
        .head_object()
        .bucket("strict")
        .key("sized")
        .send()
        .await
        .expect_err("nothing stored");
    assert_eq!(e.code(), Some("NotFound"));
    // Inclusive bounds.
    let post = signer.sign(Post::default().field("key", "sized"), range(3, 3));
    let r = send(&lab, "strict", post.file(file("f", b"abc"))).await;
    assert_eq!(r.status, 204, "{}", r.body);

    // A field that no condition names.
    let post = signer.sign(
        Post::default()
            .field("key", "k")
            .field("x-amz-meta-note", "hi"),
        key_is("strict", "k"),
    );
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(r.error(), denied("Extra input fields: x-amz-meta-note"));

    // A signature made with another secret.
    let forger = Signer {
        secret: "not-the-secret".into(),
        ..Signer::new(&lab, "writer")
    };
    let post = forger.sign(Post::default().field("key", "k"), key_is("strict", "k"));
    let policy = post
        .fields
        .iter()
        .find(|(n, _)| n == "policy")
        .map(|(_, v)| v.clone())
        .expect("policy field");
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        (
            403,
            "SignatureDoesNotMatch".into(),
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.".into()
        )
    );
    assert_eq!(r.element("StringToSign"), policy);
    assert_eq!(r.element("AWSAccessKeyId"), "AKIAS3LABWRITER00001");

    // An access key the lab does not know.
    let stranger = Signer {
        access_key_id: "AKIAEXAMPLENOBODY001".into(),
        ..Signer::new(&lab, "writer")
    };
    let post = stranger.sign(Post::default().field("key", "k"), key_is("strict", "k"));
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        (
            403,
            "InvalidAccessKeyId".into(),
            "The AWS Access Key Id you provided does not exist in our records.".into()
        )
    );
    assert_eq!(r.element("AWSAccessKeyId"), "AKIAEXAMPLENOBODY001");

    // A policy that is not JSON, correctly signed.
    let now = OffsetDateTime::now_utc();
    let amz_date = s3lab_sigv4::format_amz_date(now);
    let credential = format!(
        "{}/{}/{REGION}/s3/aws4_request",
        signer.access_key_id,
        &amz_date[..8]
    );
    let post = signer.sign_text(
        Post::default().field("key", "k"),
        &B64.encode("{not json"),
        &credential,
        &amz_date,
    );
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!(
        r.error(),
        (
            400,
            "InvalidPolicyDocument".into(),
            "Invalid Policy: Invalid JSON.".into()
        )
    );

    // The signer's own IAM policies still apply: `reader` may not write.
    let reader = Signer::new(&lab, "reader");
    let post = reader.sign(Post::default().field("key", "k"), key_is("strict", "k"));
    let r = send(&lab, "strict", post.file(file("f", b"x"))).await;
    assert_eq!((r.status, r.element("Code")), (403, "AccessDenied".into()));
    lab.stop().await;
}

#[tokio::test]
async fn missing_key_file_or_signature_fields() {
    let lab = TestLab::start().await;
    make_bucket(&lab, "gaps").await;
    let signer = Signer::new(&lab, "writer");
    let missing = |name: &str| {
        (
            400,
            "InvalidArgument".to_owned(),
            format!("Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."),
        )
    };

    // No key.
    let post = signer.sign(Post::default(), vec![json!({"bucket": "gaps"})]);
    let r = send(&lab, "gaps", post.file(file("f", b"x"))).await;
    assert_eq!(r.error(), missing("key"));
    assert_eq!(r.element("ArgumentName"), "key");
    // The key after the file does not count.
    let post = signer.sign(Post::default(), key_is("gaps", "k"));
    let r = send(&lab, "gaps", post.file(file("f", b"x")).after("key", "k")).await;
    assert_eq!(r.error(), missing("key"));

    // No file.
    let post = signer.sign(Post::default().field("key", "k"), key_is("gaps", "k"));
    let r = send(&lab, "gaps", post).await;
    assert_eq!(
        r.error(),
        (
            400,
            "InvalidArgument".into(),
            "POST requires exactly one file upload per request.".into()
        )
    );
    assert_eq!(r.element("ArgumentName"), "file");
    assert_eq!(r.element("ArgumentValue"), "0");

    // A SigV4 form without its signature, or without its algorithm and credential.
    let post = signer
        .sign(Post::default().field("key", "k"), key_is("gaps", "k"))
        .without("x-amz-signature");
    let r = send(&lab, "gaps", post.file(file("f", b"x"))).await;
    assert_eq!(r.error(), missing("X-Amz-Signature"));
    let post = signer
        .sign(Post::default().field("key", "k"), key_is("gaps", "k"))
        .without("x-amz-algorithm")
        .without("x-amz-credential");
    let r = send(&lab, "gaps", post.file(file("f", b"x"))).await;
    assert_eq!(r.error(), missing("X-Amz-Algorithm"));
    lab.stop().await;
}

fn allow_anonymous_put(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicUpload","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

#[tokio::test]
async fn anonymous_post_needs_a_bucket_policy() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "drop").await;
    let anonymous = || {
        Post::default()
            .field("key", "inbox/${filename}")
            .file(file("note.txt", b"anonymous note"))
    };
    let r = send(&lab, "drop", anonymous()).await;
    assert_eq!(
        r.error(),
        (403, "AccessDenied".into(), "Access Denied".into())
    );
    s3.put_bucket_policy()
        .bucket("drop")
        .policy(allow_anonymous_put("drop"))
        .send()
        .await
        .expect("put bucket policy");
    let r = send(&lab, "drop", anonymous()).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(get(&s3, "drop", "inbox/note.txt").await, b"anonymous note");
    lab.stop().await;
}

#[tokio::test]
async fn a_bucket_policy_requiring_sse_applies_to_post() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "guarded").await;
    s3.put_bucket_policy()
        .bucket("guarded")
        .policy(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"RequireSSE","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::guarded/*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}"#,
        )
        .send()
        .await
        .expect("put bucket policy");
    let signer = Signer::new(&lab, "writer");
    let conditions = [
        key_is("guarded", "doc.txt"),
        vec![json!(["starts-with", "$x-amz-server-side-encryption", ""])],
    ]
    .concat();

    // Without the field the bucket's default encryption would apply, but the bucket policy looks
    // at the request as sent.
    let post = signer.sign(
        Post::default().field("key", "doc.txt"),
        key_is("guarded", "doc.txt"),
    );
    let r = send(&lab, "guarded", post.file(file("doc.txt", b"doc"))).await;
    assert_eq!((r.status, r.element("Code")), (403, "AccessDenied".into()));
    assert!(s3
        .head_object()
        .bucket("guarded")
        .key("doc.txt")
        .send()
        .await
        .is_err());

    let post = signer.sign(
        Post::default()
            .field("key", "doc.txt")
            .field("x-amz-server-side-encryption", "AES256"),
        conditions,
    );
    let r = send(&lab, "guarded", post.file(file("doc.txt", b"doc"))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header("x-amz-server-side-encryption"), Some("AES256"));
    assert_eq!(get(&s3, "guarded", "doc.txt").await, b"doc");
    lab.stop().await;
}

#[tokio::test]
async fn bodies_that_are_not_forms() {
    let lab = TestLab::start().await;
    make_bucket(&lab, "bodies").await;
    let url = format!("{}/bodies", lab.https_url());
    let raw = |content_type: &str, body: &'static str| {
        client(&lab)
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let r = read(raw("text/plain", "key=k").await.expect("exchange")).await;
    assert_eq!(
        r.error(),
        (
            412,
            "PreconditionFailed".into(),
            "At least one of the pre-conditions you specified did not hold".into()
        )
    );
    assert_eq!(
        r.element("Condition"),
        "Bucket POST must be of the enclosure-type multipart/form-data"
    );
    let malformed = (
        400,
        "MalformedPOSTRequest".to_owned(),
        "The body of your POST request is not well-formed multipart/form-data.".to_owned(),
    );
    let r = read(
        raw("multipart/form-data", "--x\r\n")
            .await
            .expect("exchange"),
    )
    .await;
    assert_eq!(r.error(), malformed);
    let r = read(
        raw(
            "multipart/form-data; boundary=xyz",
            "this is not a multipart body at all",
        )
        .await
        .expect("exchange"),
    )
    .await;
    assert_eq!(r.error(), malformed);
    // A form to a bucket that does not exist.
    let r = read(
        client(&lab)
            .post(format!("{}/no-such-bucket", lab.https_url()))
            .multipart(
                Form::new()
                    .text("key", "k")
                    .part("file", Part::bytes(&b"x"[..])),
            )
            .send()
            .await
            .expect("exchange"),
    )
    .await;
    assert_eq!(
        r.error(),
        (
            404,
            "NoSuchBucket".into(),
            "The specified bucket does not exist".into()
        )
    );
    lab.stop().await;
}

#[tokio::test]
async fn a_cut_off_file_is_never_stored() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "cut").await;
    s3.put_bucket_policy()
        .bucket("cut")
        .policy(allow_anonymous_put("cut"))
        .send()
        .await
        .expect("put bucket policy");
    let r = read(
        client(&lab)
            .post(format!("{}/cut", lab.https_url()))
            .header("content-type", "multipart/form-data; boundary=xyz")
            .body(
                "--xyz\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ncut.txt\r\n--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nhalf a fi",
            )
            .send()
            .await
            .expect("exchange"),
    )
    .await;
    assert_eq!(
        r.error(),
        (
            400,
            "MalformedPOSTRequest".into(),
            "The body of your POST request is not well-formed multipart/form-data.".into()
        )
    );
    assert!(s3
        .head_object()
        .bucket("cut")
        .key("cut.txt")
        .send()
        .await
        .is_err());
    lab.stop().await;
}

#[tokio::test]
async fn virtual_host_style_and_unsupported_fields() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "vhost").await;
    let signer = Signer::new(&lab, "writer");
    let port = lab
        .server
        .as_ref()
        .map(|s| s.http_addr.port())
        .expect("running");
    // Plain HTTP to `vhost.localhost`: the Location is the object's virtual-host URL.
    let post = signer.sign(
        Post::default().field("key", "v/k.txt"),
        key_is("vhost", "v/k.txt"),
    );
    let r = read(
        client(&lab)
            .post(format!("{}/", lab.http_url()))
            .header("host", format!("vhost.localhost:{port}"))
            .multipart(post.file(file("k.txt", b"virtual")).form())
            .send()
            .await
            .expect("exchange"),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("http://vhost.localhost:{port}/v%2Fk.txt").as_str())
    );
    assert_eq!(get(&s3, "vhost", "v/k.txt").await, b"virtual");

    // ACLs other than `private` are not something the lab has.
    let post = signer.sign(
        Post::default()
            .field("key", "acl.txt")
            .field("acl", "public-read"),
        [
            key_is("vhost", "acl.txt"),
            vec![json!({"acl": "public-read"})],
        ]
        .concat(),
    );
    let r = send(&lab, "vhost", post.file(file("f", b"x"))).await;
    assert_eq!(
        (r.status, r.element("Code")),
        (501, "NotImplemented".into())
    );
    lab.stop().await;
}

#[tokio::test]
async fn a_large_file_streams_through_in_many_chunks() {
    let lab = TestLab::start().await;
    let s3 = make_bucket(&lab, "big").await;
    let signer = Signer::new(&lab, "writer");
    let data: Vec<u8> = (0..(8 * 1024 * 1024 + 3))
        .map(|i: usize| (i.wrapping_mul(131) % 251) as u8)
        .collect();
    let post = signer.sign(
        Post::default()
            .field("key", "big.bin")
            .field("x-amz-server-side-encryption", "aws:kms"),
        [
            key_is("big", "big.bin"),
            vec![
                json!({"x-amz-server-side-encryption": "aws:kms"}),
                json!(["content-length-range", 1, 16 * 1024 * 1024]),
            ],
        ]
        .concat(),
    );
    let r = send(&lab, "big", post.file(file("big.bin", &data))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header("x-amz-server-side-encryption"), Some("aws:kms"));
    let got = get(&s3, "big", "big.bin").await;
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the object differs from the file");
    lab.stop().await;
}
