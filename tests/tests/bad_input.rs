//! The bad-input corpus: one table of malformed requests against a lab started in-process, each
//! with the status, error code and message that Amazon S3 or AWS KMS answers. After every row the
//! server must have answered below 500, and must still answer a valid request correctly.
//!
//! Sources of the expected values: the reference `s3-sse-and-kms.md` (cited as "ref" with its
//! section), and the sources cited next to each error in `s3lab-sigv4` (`error.rs`),
//! `s3lab-payload` (`error.rs`), `s3lab-iam` and `s3lab-kms`. Rows whose AWS wording no public
//! capture confirms say `[unsure]` and why the value was kept.
//!
//! Prints nothing when every row passes; otherwise one line per failed row, with what was expected
//! and what came back.

use base64::Engine as _;
use http::Method;
use md5::Digest as _;
use s3lab_cse::transfer::{get_object, put_object};
use s3lab_cse::{CseClient, CseConfig, CseError, GetOptions, Keyring, PutOptions, RawAesKeyring};
use s3lab_cse::{S3Remote, StringMap};
use s3lab_e2e::raw::{Auth, RawRequest, RawResponse};
use s3lab_e2e::{TestLab, REGION};
use s3lab_sigv4 as sigv4;
use time::OffsetDateTime;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;
const BUCKET: &str = "bad-input";
const SSE: &str = "x-amz-server-side-encryption";
const KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const C_ALG: &str = "x-amz-server-side-encryption-customer-algorithm";
const C_KEY: &str = "x-amz-server-side-encryption-customer-key";
const C_MD5: &str = "x-amz-server-side-encryption-customer-key-MD5";
const ADMIN_AKID: &str = "AKIAS3LABADMIN000001";
const ADMIN_SECRET: &str = "s3labAdminSecretKey/DoNotUseInProduction";
const HEALTHY_BODY: &str = "the server still serves this object";
const MALFORMED_XML: &str =
    "The XML you provided was not well-formed or did not validate against our published schema";
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const MALFORMED_AUTH: &str = "The authorization header is malformed; ";
const NO_SUCH_UPLOAD: &str = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
const INVALID_PART: &str = "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";
const TERMINATED: &str = "The request body terminated unexpectedly";
const SSE_C_KEY: [u8; 32] = [0x5c; 32];
const CSE_KEY: [u8; 32] = [0x3e; 32];

fn md5_b64(data: &[u8]) -> String {
    B64.encode(md5::Md5::digest(data))
}

/// The SSE-C triple for a key of any length, with the MD5 of that key.
fn triple(key: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (C_ALG, "AES256".into()),
        (C_KEY, B64.encode(key)),
        (C_MD5, md5_b64(key)),
    ]
}

fn with(mut req: RawRequest<'static>, headers: Vec<(&'static str, String)>) -> RawRequest<'static> {
    for (n, v) in headers {
        req = req.header(n, v);
    }
    req
}

fn path(p: &str) -> String {
    format!("/{BUCKET}/{p}")
}

fn put(key: &str) -> RawRequest<'static> {
    RawRequest::new(Method::PUT, &path(key)).body("payload")
}

fn kms(target: &str, body: &str) -> RawRequest<'static> {
    RawRequest::new(Method::POST, "/")
        .header("x-amz-target", format!("TrentService.{target}"))
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_owned())
        .service("kms")
}

/// A request with a body checked by Content-MD5 (the bucket configuration and DeleteObjects
/// operations require one).
fn with_md5(method: Method, path_and_query: &str, body: &str) -> RawRequest<'static> {
    RawRequest::new(method, path_and_query)
        .header("content-md5", md5_b64(body.as_bytes()))
        .body(body.to_owned())
}

fn policy(body: &str) -> RawRequest<'static> {
    RawRequest::new(Method::PUT, &format!("/{BUCKET}?policy")).body(body.to_owned())
}

fn complete(upload_id: &str, parts: &[(u32, &str)]) -> RawRequest<'static> {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    RawRequest::new(Method::POST, &path(&format!("mp?uploadId={upload_id}"))).body(xml)
}

// ----- requests signed by hand: at another time, with other keys, presigned, aws-chunked -----

/// Who signs, for which region, at what time.
#[derive(Clone, Copy)]
struct Signer<'a> {
    akid: &'a str,
    secret: &'a str,
    region: &'a str,
    time: OffsetDateTime,
}

fn signer<'a>(creds: (&'a str, &'a str), region: &'a str, time: OffsetDateTime) -> Signer<'a> {
    Signer {
        akid: creds.0,
        secret: creds.1,
        region,
        time,
    }
}

/// Signs `method path` (with `headers`, whose first must not be `host`) for the lab's HTTPS
/// endpoint at `time` and returns every header to send, `host` included, as an anonymous
/// request would carry them.
struct HandSigned {
    headers: Vec<(String, String)>,
    info: sigv4::SignatureInfo,
}

fn hand_sign(
    lab: &TestLab,
    method: &Method,
    path_and_query: &str,
    headers: &[(&str, String)],
    payload: &sigv4::PayloadHash,
    signer: Signer,
) -> HandSigned {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let mut map = http::HeaderMap::new();
    map.insert("host", host(lab).parse().unwrap());
    for (n, v) in headers {
        map.append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let info = sigv4::sign_headers(
        method.as_str(),
        path,
        query,
        &mut map,
        payload,
        &sigv4::Credentials::new(signer.akid, signer.secret),
        signer.region,
        "s3",
        sigv4::UriStyle::S3,
        signer.time,
    )
    .unwrap();
    let headers = map
        .iter()
        .filter(|(n, _)| *n != http::header::HOST)
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    HandSigned { headers, info }
}

fn host(lab: &TestLab) -> String {
    format!(
        "localhost:{}",
        lab.server.as_ref().unwrap().https_addr.port()
    )
}

fn anonymous(
    method: Method,
    path_and_query: &str,
    headers: Vec<(String, String)>,
) -> RawRequest<'static> {
    let mut req = RawRequest::new(method, path_and_query).auth(Auth::Anonymous);
    for (n, v) in headers {
        req = req.header(&n, v);
    }
    req
}

/// A GET of the healthy object signed by `signer`, then changed by `edit`.
fn signed_get(
    lab: &TestLab,
    signer: Signer,
    edit: impl FnOnce(&mut Vec<(String, String)>),
) -> RawRequest<'static> {
    let p = path("healthy");
    let mut signed = hand_sign(
        lab,
        &Method::GET,
        &p,
        &[],
        &sigv4::PayloadHash::of_bytes(b""),
        signer,
    )
    .headers;
    edit(&mut signed);
    anonymous(Method::GET, &p, signed)
}

fn replace(headers: &mut [(String, String)], name: &str, value: String) {
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case(name) {
            *v = value.clone();
        }
    }
}

/// A presigned GET of the healthy object; `edit` rewrites the query string.
fn presigned(
    lab: &TestLab,
    time: OffsetDateTime,
    expires: u64,
    edit: impl FnOnce(String) -> String,
) -> RawRequest<'static> {
    let p = path("healthy");
    let query = sigv4::presign(
        "GET",
        &p,
        None,
        &host(lab),
        &sigv4::Credentials::new(ADMIN_AKID, ADMIN_SECRET),
        REGION,
        "s3",
        time,
        expires,
    );
    anonymous(Method::GET, &format!("{p}?{}", edit(query)), Vec::new())
}

/// How an `aws-chunked` body is spoiled.
#[derive(Clone, Copy, PartialEq)]
enum Chunked {
    /// A size line that is not hex.
    BadSize,
    /// The data chunk's signature is another chunk's.
    BadSignature,
    /// The body ends after the data chunk, with no final chunk.
    NoFinalChunk,
    /// x-amz-decoded-content-length says one byte more than the chunks hold.
    LengthMismatch,
    /// No x-amz-decoded-content-length header.
    NoDecodedLength,
    /// A first chunk smaller than 8 KiB followed by another data chunk.
    SmallChunk,
}

/// A PUT with a signed `aws-chunked` body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), spoiled by `how`.
fn chunked_put(lab: &TestLab, key: &str, how: Chunked) -> RawRequest<'static> {
    let data: Vec<Vec<u8>> = match how {
        Chunked::SmallChunk => vec![vec![b'a'; 100], vec![b'b'; 100]],
        _ => vec![vec![b'c'; 300]],
    };
    let total: usize = data.iter().map(Vec::len).sum();
    let declared = if how == Chunked::LengthMismatch {
        total + 1
    } else {
        total
    };
    let mut headers = vec![("content-encoding", "aws-chunked".to_owned())];
    if how != Chunked::NoDecodedLength {
        headers.push(("x-amz-decoded-content-length", declared.to_string()));
    }
    let p = path(key);
    let now = OffsetDateTime::now_utc();
    let signed = hand_sign(
        lab,
        &Method::PUT,
        &p,
        &headers,
        &sigv4::PayloadHash::StreamingSigned,
        signer((ADMIN_AKID, ADMIN_SECRET), REGION, now),
    );
    let info = &signed.info;
    let mut body = Vec::new();
    let mut previous = info.signature.clone();
    let mut chunks: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    chunks.push(b"");
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        if last && how == Chunked::NoFinalChunk {
            break;
        }
        let mut signature = sigv4::chunk_signature(
            &info.signing_key,
            now,
            &info.scope,
            &previous,
            &sigv4::sha256_hex(chunk),
        );
        if how == Chunked::BadSignature && i == 0 {
            signature = sigv4::chunk_signature(
                &info.signing_key,
                now,
                &info.scope,
                &previous,
                &sigv4::sha256_hex(b"other bytes"),
            );
        }
        let size = if how == Chunked::BadSize && i == 0 {
            "zz".to_owned()
        } else {
            format!("{:x}", chunk.len())
        };
        body.extend_from_slice(format!("{size};chunk-signature={signature}\r\n").as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
        previous = signature;
    }
    anonymous(Method::PUT, &p, signed.headers).body(body)
}

/// A PUT with an unsigned `aws-chunked` body and a CRC32 trailer (what SDKs send over HTTPS);
/// `trailer` is the trailer section after the final chunk.
fn trailer_put(lab: &TestLab, key: &str, trailer: &str) -> RawRequest<'static> {
    let data = vec![b't'; 64];
    let headers = vec![
        ("content-encoding", "aws-chunked".to_owned()),
        ("x-amz-decoded-content-length", data.len().to_string()),
        ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
    ];
    let p = path(key);
    let signed = hand_sign(
        lab,
        &Method::PUT,
        &p,
        &headers,
        &sigv4::PayloadHash::StreamingUnsignedTrailer,
        signer(
            (ADMIN_AKID, ADMIN_SECRET),
            REGION,
            OffsetDateTime::now_utc(),
        ),
    );
    let mut body = format!("{:x}\r\n", data.len()).into_bytes();
    body.extend_from_slice(&data);
    body.extend_from_slice(b"\r\n0\r\n");
    body.extend_from_slice(trailer.as_bytes());
    anonymous(Method::PUT, &p, signed.headers).body(body)
}

// ----- the table -----

enum Request {
    Http(RawRequest<'static>),
    /// A client-side decryption of `key`, whose S3 Encryption Client metadata is damaged.
    CseGet(&'static str),
}

enum Expected {
    /// Status, error code (S3 `<Code>` or KMS `__type`) and message; a KMS error without a
    /// message and a HEAD error (no body) expect "".
    Error(u16, &'static str, String),
    /// The CSE client's refusal, by its `Display` text.
    Cse(String),
    /// Not an error: S3 ignores what is wrong and answers 200 with this body.
    Ignored(&'static str),
}

struct Row {
    name: &'static str,
    request: Request,
    expected: Expected,
}

fn row(
    name: &'static str,
    req: RawRequest<'static>,
    status: u16,
    code: &'static str,
    message: impl Into<String>,
) -> Row {
    Row {
        name,
        request: Request::Http(req),
        expected: Expected::Error(status, code, message.into()),
    }
}

/// A request whose fault S3 ignores: 200 and `body`.
fn ignored(name: &'static str, req: RawRequest<'static>, body: &'static str) -> Row {
    Row {
        name,
        request: Request::Http(req),
        expected: Expected::Ignored(body),
    }
}

fn cse_row(name: &'static str, key: &'static str, message: impl Into<String>) -> Row {
    Row {
        name,
        request: Request::CseGet(key),
        expected: Expected::Cse(message.into()),
    }
}

#[derive(Debug, PartialEq)]
struct Observed {
    status: u16,
    code: String,
    message: String,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn observe(r: &RawResponse) -> Observed {
    let json = r.header("content-type").is_some_and(|t| t.contains("json"));
    let (code, message) = if json {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let text = |k: &str| v.get(k).and_then(|m| m.as_str()).map(str::to_owned);
        (
            text("__type").unwrap_or_default(),
            text("message")
                .or_else(|| text("Message"))
                .unwrap_or_default(),
        )
    } else {
        (
            unescape(&r.element("Code")),
            unescape(&r.element("Message")),
        )
    };
    Observed {
        status: r.status,
        code,
        message,
    }
}

/// State the rows refer to, made before the table is built.
struct Setup {
    key_arn: String,
    ciphertext_b64: String,
    ssec_upload: String,
    upload: String,
    etag1: String,
    etag2: String,
}

async fn ok(lab: &TestLab, req: RawRequest<'static>) -> RawResponse {
    let r = lab.raw(req).await;
    assert!(
        r.status == 200 || r.status == 204,
        "setup: {} {}",
        r.status,
        r.text()
    );
    r
}

async fn setup(lab: &TestLab) -> Setup {
    ok(lab, RawRequest::new(Method::PUT, &format!("/{BUCKET}"))).await;
    ok(
        lab,
        RawRequest::new(Method::PUT, &path("healthy")).body(HEALTHY_BODY),
    )
    .await;
    ok(
        lab,
        RawRequest::new(Method::PUT, &path("ten")).body("0123456789"),
    )
    .await;
    ok(
        lab,
        with(
            RawRequest::new(Method::PUT, &path("ssec")).body("customer data"),
            triple(&SSE_C_KEY),
        ),
    )
    .await;
    let created = ok(lab, kms("CreateKey", "{}")).await;
    let created: serde_json::Value = serde_json::from_slice(&created.body).unwrap();
    let key_arn = created["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let encrypted = ok(
        lab,
        kms(
            "Encrypt",
            &format!(
                r#"{{"KeyId":"{key_arn}","Plaintext":"{}","EncryptionContext":{{"purpose":"test"}}}}"#,
                B64.encode(b"secret")
            ),
        ),
    )
    .await;
    let encrypted: serde_json::Value = serde_json::from_slice(&encrypted.body).unwrap();
    let ciphertext_b64 = encrypted["CiphertextBlob"].as_str().unwrap().to_owned();
    let ssec_upload = ok(
        lab,
        with(
            RawRequest::new(Method::POST, &path("mpc?uploads")),
            triple(&SSE_C_KEY),
        ),
    )
    .await
    .element("UploadId");
    let upload = ok(lab, RawRequest::new(Method::POST, &path("mp?uploads")))
        .await
        .element("UploadId");
    let mut etags = Vec::new();
    for n in 1..=2 {
        let r = ok(
            lab,
            RawRequest::new(
                Method::PUT,
                &path(&format!("mp?partNumber={n}&uploadId={upload}")),
            )
            .body(format!("part {n}")),
        )
        .await;
        etags.push(r.header("etag").unwrap().to_owned());
    }
    cse_objects(lab).await;
    Setup {
        key_arn,
        ciphertext_b64,
        ssec_upload,
        upload,
        etag2: etags.pop().unwrap(),
        etag1: etags.pop().unwrap(),
    }
}

fn remote(lab: &TestLab) -> S3Remote {
    let endpoint = s3lab_client::Endpoint::https(
        lab.server.as_ref().unwrap().https_addr,
        &lab.ca_pem_path,
        REGION,
    )
    .unwrap();
    S3Remote::new(
        endpoint,
        s3lab_client::Signing::sigv4(ADMIN_AKID, ADMIN_SECRET),
    )
}

fn cse_client() -> CseClient {
    CseClient::new(
        Keyring::RawAes(RawAesKeyring::new(CSE_KEY)),
        CseConfig::default(),
        s3lab_env::Entropy::seeded(10),
    )
    .unwrap()
}

/// The damaged client-side encrypted objects: a good V3 object is written with the CSE client,
/// then copies of its ciphertext are stored with their metadata spoiled one way each.
async fn cse_objects(lab: &TestLab) {
    let s3 = remote(lab);
    let data = b"client-side encrypted data".to_vec();
    put_object(
        &cse_client(),
        &s3,
        BUCKET,
        "cse-good",
        std::io::Cursor::new(data.clone()),
        data.len() as u64,
        &PutOptions::default(),
        None,
    )
    .await
    .unwrap();
    let r = lab
        .raw(RawRequest::new(Method::GET, &path("cse-good")))
        .await;
    assert_eq!(r.status, 200);
    let good = s3lab_cse::metadata::from_headers(&r.headers);
    let body = r.body.clone();
    let spoil = |edit: &dyn Fn(&mut std::collections::BTreeMap<String, String>)| {
        let mut m: std::collections::BTreeMap<String, String> =
            good.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        edit(&mut m);
        m
    };
    let flip_b64 = |v: &str| {
        let mut raw = B64.decode(v).unwrap();
        raw[0] ^= 1;
        B64.encode(raw)
    };
    let variants: Vec<(&str, std::collections::BTreeMap<String, String>)> = vec![
        (
            "cse-key-not-base64",
            spoil(&|m| {
                m.insert("x-amz-3".into(), "***not base64***".into());
            }),
        ),
        (
            "cse-commitment-missing",
            spoil(&|m| {
                m.remove("x-amz-d");
            }),
        ),
        (
            "cse-unknown-cipher",
            spoil(&|m| {
                m.insert("x-amz-c".into(), "999".into());
            }),
        ),
        (
            "cse-unknown-wrap",
            spoil(&|m| {
                m.insert("x-amz-w".into(), "99".into());
            }),
        ),
        (
            "cse-message-id-short",
            spoil(&|m| {
                m.insert("x-amz-i".into(), B64.encode([7u8; 5]));
            }),
        ),
        (
            "cse-mixed-formats",
            spoil(&|m| {
                m.insert("x-amz-key-v2".into(), B64.encode([1u8; 40]));
            }),
        ),
        (
            "cse-matdesc-not-json",
            spoil(&|m| {
                m.insert("x-amz-m".into(), "{not json".into());
            }),
        ),
        (
            "cse-commitment-flipped",
            spoil(&|m| {
                let v = flip_b64(&m["x-amz-d"]);
                m.insert("x-amz-d".into(), v);
            }),
        ),
        (
            "cse-wrapped-key-flipped",
            spoil(&|m| {
                let v = flip_b64(&m["x-amz-3"]);
                m.insert("x-amz-3".into(), v);
            }),
        ),
    ];
    for (key, meta) in variants {
        let mut req = RawRequest::new(Method::PUT, &path(key)).body(body.clone());
        for (k, v) in meta {
            req = req.header(&format!("x-amz-meta-{k}"), v);
        }
        ok(lab, req).await;
    }
}

/// Reads `key` through the CSE client; it must refuse.
async fn cse_get(lab: &TestLab, key: &str) -> Result<Vec<u8>, CseError> {
    let mut out = Vec::new();
    get_object(
        &cse_client(),
        &remote(lab),
        BUCKET,
        key,
        &mut out,
        &GetOptions {
            context: StringMap::new(),
            ..GetOptions::default()
        },
        None,
    )
    .await
    .map(|_| out)
}

fn table(lab: &TestLab, s: &Setup) -> Vec<Row> {
    let now = OffsetDateTime::now_utc();
    let admin = (ADMIN_AKID, ADMIN_SECRET);
    let k = SSE_C_KEY;
    let not_sse_kms = "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms";
    let incompatible = "Server Side Encryption with Customer provided key is incompatible with the encryption method specified";
    let missing_key_arn =
        format!("arn:aws:kms:{REGION}:111122223333:key/0b0b0b0b-1c1c-2d2d-3e3e-4f4f4f4f4f4f");
    let enc = |body: &str| with_md5(Method::PUT, &format!("/{BUCKET}?encryption"), body);
    let rule = |inner: &str| {
        format!("<ServerSideEncryptionConfiguration><Rule>{inner}</Rule></ServerSideEncryptionConfiguration>")
    };
    let statement =
        |fields: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{{fields}}}]}}"#);
    let resource = format!("arn:aws:s3:::{BUCKET}/*");
    let up = &s.upload;
    let too_small = "Your proposed upload is smaller than the minimum allowed object size.";
    vec![
        // ----- SSE headers (ref 1, 2.4, 3.3) -----
        row("SSE value AES-256", put("a").header(SSE, "AES-256"), 400, "InvalidArgument", "The encryption method specified is not supported"),
        row("SSE value aws:KMS (case matters)", put("a").header(SSE, "aws:KMS"), 400, "InvalidArgument", "The encryption method specified is not supported"),
        row("KMS key id with AES256", put("a").header(SSE, "AES256").header(KEY_ID, "alias/x"), 400, "InvalidArgument", not_sse_kms),
        row("KMS key id without SSE header", put("a").header(KEY_ID, s.key_arn.clone()), 400, "InvalidArgument", not_sse_kms),
        row("SSE-C algorithm without key", with(put("a"), vec![(C_ALG, "AES256".into())]), 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."),
        row("SSE-C key and MD5 without algorithm", with(put("a"), triple(&k)[1..].to_vec()), 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."),
        // [unsure] AWS's text for a missing MD5 (ref 3.3: MinIO's and IBM COS's wording).
        row("SSE-C MD5 missing", with(put("a"), triple(&k)[..2].to_vec()), 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."),
        row("SSE-C algorithm AES128", with(put("a"), vec![(C_ALG, "AES128".into()), (C_KEY, B64.encode(k)), (C_MD5, md5_b64(&k))]), 400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256."),
        // The key's bytes are what is wrong; AWS's answer for text that is no base64 at all was not
        // seen, and is taken to be the same.
        row("SSE-C key not base64", with(put("a"), vec![(C_ALG, "AES256".into()), (C_KEY, "%%%not-base64%%%".into()), (C_MD5, md5_b64(&k))]), 400, "InvalidArgument", "The secret key was invalid for the specified algorithm."),
        row("SSE-C key of 16 bytes", with(put("a"), triple(&k[..16])), 400, "InvalidArgument", "The secret key was invalid for the specified algorithm."),
        row("SSE-C key of 33 bytes", with(put("a"), triple(&[7u8; 33])), 400, "InvalidArgument", "The secret key was invalid for the specified algorithm."),
        row("SSE-C MD5 of another key", with(put("a"), vec![(C_ALG, "AES256".into()), (C_KEY, B64.encode(k)), (C_MD5, md5_b64(b"another key"))]), 400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."),
        // [unsure] code and text (ref 3.3: status 400 confirmed, wording MinIO's).
        row("SSE-C over HTTP", with(put("a"), triple(&k)).http(), 400, "InvalidRequest", "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."),
        row("SSE-KMS over HTTP", put("a").header(SSE, "aws:kms").http(), 400, "InvalidArgument", "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."),
        row("DSSE-KMS over HTTP", put("a").header(SSE, "aws:kms:dsse").http(), 400, "InvalidArgument", "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."),
        row("SSE-C with AES256", with(put("a").header(SSE, "AES256"), triple(&k)), 400, "InvalidArgument", incompatible),
        row("SSE-C with aws:kms", with(put("a").header(SSE, "aws:kms"), triple(&k)), 400, "InvalidArgument", incompatible),
        row("SSE-C with aws:kms:dsse", with(put("a").header(SSE, "aws:kms:dsse"), triple(&k)), 400, "InvalidArgument", incompatible),
        row("DSSE-KMS with a key that does not exist", put("a").header(SSE, "aws:kms:dsse").header(KEY_ID, missing_key_arn.clone()), 400, "KMS.NotFoundException", format!("Key '{missing_key_arn}' does not exist")),
        row("SSE-KMS with a malformed key id", put("a").header(SSE, "aws:kms").header(KEY_ID, "not-a-key"), 400, "KMS.NotFoundException", "Invalid keyId 'not-a-key'"),
        row("SSE-KMS with an alias that does not exist", put("a").header(SSE, "aws:kms").header(KEY_ID, "alias/nope"), 400, "KMS.NotFoundException", format!("Alias arn:aws:kms:{REGION}:111122223333:alias/nope is not found.")),
        row("GET SSE-C object without its key", RawRequest::new(Method::GET, &path("ssec")), 400, "InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."),
        row("GET SSE-C object with another key", with(RawRequest::new(Method::GET, &path("ssec")), triple(&[1u8; 32])), 403, "AccessDenied", "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."),
        row("HEAD SSE-C object with another key", with(RawRequest::new(Method::HEAD, &path("ssec")), triple(&[1u8; 32])), 403, "", ""),
        row("GET SSE-S3 object with SSE-C headers", with(RawRequest::new(Method::GET, &path("ten")), triple(&k)), 400, "InvalidRequest", "The encryption parameters are not applicable to this object."),
        row("SSE-C upload part without the key", RawRequest::new(Method::PUT, &path(&format!("mpc?partNumber=1&uploadId={}", s.ssec_upload))).body("p"), 400, "InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."),
        row("SSE-C upload part with another key", with(RawRequest::new(Method::PUT, &path(&format!("mpc?partNumber=1&uploadId={}", s.ssec_upload))).body("p"), triple(&[2u8; 32])), 400, "InvalidRequest", "The provided encryption parameters did not match the ones used originally."),
        // ----- SigV4 -----
        row("no credentials", RawRequest::new(Method::GET, &path("healthy")).auth(Auth::Anonymous), 403, "AccessDenied", "Access Denied"),
        row("SigV2 Authorization", RawRequest::new(Method::GET, &format!("/{BUCKET}?list-type=2")).auth(Auth::SigV2), 400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."),
        row("Authorization of an unknown scheme", anonymous(Method::GET, &path("healthy"), vec![("authorization".into(), "Bearer abc".into())]), 400, "InvalidArgument", "Unsupported Authorization Type"),
        row("Authorization without SignedHeaders and Signature", signed_get(lab, signer(admin, REGION, now), |h| {
            let auth = h.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
            replace(h, "authorization", auth.split(',').next().unwrap().to_owned());
        }), 400, "AuthorizationHeaderMalformed", format!("{MALFORMED_AUTH}the authorization header requires three components: Credential, SignedHeaders, and Signature.")),
        row("Authorization with a mal-formed Credential", signed_get(lab, signer(admin, REGION, now), |h| {
            let auth = h.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
            let fixed = auth.replacen(&format!("/{REGION}/s3/aws4_request"), "/s3", 1);
            replace(h, "authorization", fixed);
        }), 400, "AuthorizationHeaderMalformed", format!("{MALFORMED_AUTH}the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")),
        row("credential scoped to another region", signed_get(lab, signer(admin, "eu-west-1", now), |_| {}), 400, "AuthorizationHeaderMalformed", format!("{MALFORMED_AUTH}the region 'eu-west-1' is wrong; expecting '{REGION}'")),
        row("unknown access key", signed_get(lab, signer(("AKIAUNKNOWNKEY000000", "whatever"), REGION, now), |_| {}), 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
        row("wrong secret key", signed_get(lab, signer((ADMIN_AKID, "not the secret"), REGION, now), |_| {}), 403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH),
        row("signed header changed after signing", signed_get(lab, signer(admin, REGION, now), |h| {
            replace(h, "x-amz-content-sha256", sigv4::sha256_hex(b"x"));
        }), 403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH),
        row("request time 20 minutes ago", signed_get(lab, signer(admin, REGION, now - time::Duration::minutes(20)), |_| {}), 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."),
        row("request time 20 minutes ahead", signed_get(lab, signer(admin, REGION, now + time::Duration::minutes(20)), |_| {}), 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."),
        row("no request date", signed_get(lab, signer(admin, REGION, now), |h| h.retain(|(n, _)| n != "x-amz-date")), 403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"),
        row("no x-amz-content-sha256", signed_get(lab, signer(admin, REGION, now), |h| h.retain(|(n, _)| n != "x-amz-content-sha256")), 400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"),
        row("x-amz-content-sha256 not a hash", signed_get(lab, signer(admin, REGION, now), |h| replace(h, "x-amz-content-sha256", "abc".into())), 400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."),
        row("body differs from x-amz-content-sha256", {
            let p = path("sha-mismatch");
            let signed = hand_sign(lab, &Method::PUT, &p, &[], &sigv4::PayloadHash::of_bytes(b"signed body"), signer(admin, REGION, now));
            anonymous(Method::PUT, &p, signed.headers).body("another body")
        }, 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."),
        row("presigned URL expired", presigned(lab, now - time::Duration::hours(2), 60, |q| q), 403, "AccessDenied", "Request has expired"),
        row("presigned URL with a wrong signature", presigned(lab, now, 60, |q| {
            let (rest, _) = q.rsplit_once("X-Amz-Signature=").unwrap();
            format!("{rest}X-Amz-Signature={}", "0".repeat(64))
        }), 403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH),
        row("presigned URL without X-Amz-Signature", presigned(lab, now, 60, |q| q.rsplit_once("&X-Amz-Signature=").unwrap().0.to_owned()), 400, "AuthorizationQueryParametersError", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."),
        row("presigned X-Amz-Expires not a number", presigned(lab, now, 60, |q| q.replace("X-Amz-Expires=60", "X-Amz-Expires=soon")), 400, "AuthorizationQueryParametersError", "X-Amz-Expires should be a number"),
        row("presigned X-Amz-Expires negative", presigned(lab, now, 60, |q| q.replace("X-Amz-Expires=60", "X-Amz-Expires=-1")), 400, "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative"),
        row("presigned X-Amz-Date malformed", presigned(lab, now, 60, |q| {
            let date = sigv4::format_amz_date(now);
            q.replace(&format!("X-Amz-Date={date}"), "X-Amz-Date=yesterday")
        }), 400, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""),
        row("presigned URL and Authorization header", {
            let mut req = presigned(lab, now, 60, |q| q);
            req = req.header("authorization", format!("AWS4-HMAC-SHA256 Credential={ADMIN_AKID}/20260101/{REGION}/s3/aws4_request, SignedHeaders=host, Signature={}", "0".repeat(64)));
            req
        }, 400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"),
        // ----- XML bodies -----
        row("PutBucketEncryption not XML", enc("<ServerSideEncryptionConfiguration><Rule>"), 400, "MalformedXML", MALFORMED_XML),
        row("PutBucketEncryption algorithm AES-256", enc(&rule("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES-256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>")), 400, "MalformedXML", MALFORMED_XML),
        row("PutBucketEncryption without rules", enc("<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>"), 400, "MalformedXML", MALFORMED_XML),
        row("PutBucketEncryption KMS key with AES256", enc(&rule(&format!("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>{}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>", s.key_arn))), 400, "InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"),
        row("PutBucketEncryption Content-MD5 of another body", RawRequest::new(Method::PUT, &format!("/{BUCKET}?encryption")).header("content-md5", md5_b64(b"other")).body(rule("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>")), 400, "BadDigest", "The Content-MD5 you specified did not match what we received."),
        row("PutBucketEncryption Content-MD5 not base64 of 16 bytes", RawRequest::new(Method::PUT, &format!("/{BUCKET}?encryption")).header("content-md5", "abc").body(rule("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>")), 400, "InvalidDigest", "The Content-MD5 you specified was invalid."),
        row("CompleteMultipartUpload not XML", RawRequest::new(Method::POST, &path(&format!("mp?uploadId={up}"))).body("<CompleteMultipartUpload><Part>"), 400, "MalformedXML", MALFORMED_XML),
        row("CompleteMultipartUpload without parts", complete(up, &[]), 400, "MalformedXML", MALFORMED_XML),
        row("CompleteMultipartUpload part number not a number", RawRequest::new(Method::POST, &path(&format!("mp?uploadId={up}"))).body(format!("<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>", s.etag1)), 400, "MalformedXML", MALFORMED_XML),
        row("DeleteObjects not XML", with_md5(Method::POST, &format!("/{BUCKET}?delete"), "<Delete><Object><Key>a</Key>"), 400, "MalformedXML", MALFORMED_XML),
        row("DeleteObjects without objects", with_md5(Method::POST, &format!("/{BUCKET}?delete"), "<Delete></Delete>"), 400, "MalformedXML", MALFORMED_XML),
        row("DeleteObjects of another root element", with_md5(Method::POST, &format!("/{BUCKET}?delete"), "<Remove><Object><Key>a</Key></Object></Remove>"), 400, "MalformedXML", MALFORMED_XML),
        // ----- bucket policy JSON (MalformedPolicy) -----
        row("policy not JSON", policy("Deny everything"), 400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"),
        row("policy JSON cut short", policy(r#"{"Version":"2012-10-17","Statement":["#), 400, "MalformedPolicy", "This policy contains invalid Json"),
        row("policy without Statement", policy(r#"{"Version":"2012-10-17"}"#), 400, "MalformedPolicy", "Missing required field Statement"),
        row("policy with an unknown Version", policy(&statement(&format!(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"{resource}""#)).replace("2012-10-17", "2020-01-01")), 400, "MalformedPolicy", "The policy must contain a valid version string"),
        row("policy Effect Maybe", policy(&statement(&format!(r#""Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"{resource}""#))), 400, "MalformedPolicy", "Invalid effect: Maybe"),
        row("policy action of another service", policy(&statement(&format!(r#""Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"{resource}""#))), 400, "MalformedPolicy", "Policy has invalid action"),
        row("policy resource *", policy(&statement(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*""#)), 400, "MalformedPolicy", "Policy has invalid resource"),
        row("policy resource of another bucket", policy(&statement(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::another-bucket/*""#)), 400, "MalformedPolicy", "Policy has invalid resource"),
        row("policy without Principal", policy(&statement(&format!(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"{resource}""#))), 400, "MalformedPolicy", "Missing required field Principal"),
        row("policy with an unknown condition operator", policy(&statement(&format!(r#""Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"{resource}","Condition":{{"StringSortOf":{{"s3:x-amz-server-side-encryption":"AES256"}}}}"#))), 400, "MalformedPolicy", "Invalid Condition type : StringSortOf"),
        // ----- KMS JSON 1.1 -----
        row("KMS body not JSON", kms("Encrypt", "{KeyId:"), 400, "SerializationException", ""),
        row("KMS body a JSON list", kms("Encrypt", "[]"), 400, "SerializationException", "Start of list found where not expected"),
        row("KMS unknown operation", kms("FlyAway", "{}"), 400, "UnknownOperationException", ""),
        row("KMS Encrypt without KeyId", kms("Encrypt", &format!(r#"{{"Plaintext":"{}"}}"#, B64.encode(b"x"))), 400, "ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"),
        row("KMS Encrypt of 4097 bytes", kms("Encrypt", &format!(r#"{{"KeyId":"{}","Plaintext":"{}"}}"#, s.key_arn, B64.encode([0u8; 4097]))), 400, "ValidationException", "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"),
        row("KMS GenerateDataKey NumberOfBytes 2000", kms("GenerateDataKey", &format!(r#"{{"KeyId":"{}","NumberOfBytes":2000}}"#, s.key_arn)), 400, "ValidationException", "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"),
        row("KMS GenerateDataKey NumberOfBytes 0", kms("GenerateDataKey", &format!(r#"{{"KeyId":"{}","NumberOfBytes":0}}"#, s.key_arn)), 400, "ValidationException", "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        row("KMS GenerateDataKey NumberOfBytes a string", kms("GenerateDataKey", &format!(r#"{{"KeyId":"{}","NumberOfBytes":"32"}}"#, s.key_arn)), 400, "SerializationException", "STRING_VALUE can not be converted to an Integer"),
        row("KMS Decrypt of bytes that are no ciphertext", kms("Decrypt", &format!(r#"{{"CiphertextBlob":"{}"}}"#, B64.encode([9u8; 64]))), 400, "InvalidCiphertextException", ""),
        row("KMS Decrypt with another encryption context", kms("Decrypt", &format!(r#"{{"CiphertextBlob":"{}","EncryptionContext":{{"purpose":"other"}}}}"#, s.ciphertext_b64)), 400, "InvalidCiphertextException", ""),
        row("KMS Encrypt under a key that does not exist", kms("Encrypt", &format!(r#"{{"KeyId":"{missing_key_arn}","Plaintext":"{}"}}"#, B64.encode(b"x"))), 400, "NotFoundException", format!("Key '{missing_key_arn}' does not exist")),
        row("KMS DescribeKey of an alias that does not exist", kms("DescribeKey", r#"{"KeyId":"alias/nope"}"#), 400, "NotFoundException", format!("Alias arn:aws:kms:{REGION}:111122223333:alias/nope is not found.")),
        row("KMS CreateAlias without the alias/ prefix", kms("CreateAlias", &format!(r#"{{"AliasName":"mine","TargetKeyId":"{}"}}"#, s.key_arn)), 400, "ValidationException", "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"),
        // ----- ranges and part numbers -----
        row("range beyond the object", RawRequest::new(Method::GET, &path("ten")).header("range", "bytes=100-200"), 416, "InvalidRange", "The requested range is not satisfiable"),
        row("range starting at the object's length", RawRequest::new(Method::GET, &path("ten")).header("range", "bytes=10-"), 416, "InvalidRange", "The requested range is not satisfiable"),
        row("GET part 3 of a one-part object", RawRequest::new(Method::GET, &path("ten?partNumber=3")), 416, "InvalidPartNumber", "The requested partnumber is not satisfiable"),
        row("upload part number 0", RawRequest::new(Method::PUT, &path(&format!("mp?partNumber=0&uploadId={up}"))).body("p"), 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"),
        row("upload part number 10001", RawRequest::new(Method::PUT, &path(&format!("mp?partNumber=10001&uploadId={up}"))).body("p"), 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"),
        row("upload part of an upload that does not exist", RawRequest::new(Method::PUT, &path("mp?partNumber=1&uploadId=no-such-upload")).body("p"), 404, "NoSuchUpload", NO_SUCH_UPLOAD),
        row("complete an upload that does not exist", complete("no-such-upload", &[(1, &s.etag1)]), 404, "NoSuchUpload", NO_SUCH_UPLOAD),
        row("abort an upload that does not exist", RawRequest::new(Method::DELETE, &path("mp?uploadId=no-such-upload")), 404, "NoSuchUpload", NO_SUCH_UPLOAD),
        row("complete with another part's ETag", complete(up, &[(1, &s.etag2)]), 400, "InvalidPart", INVALID_PART),
        row("complete with a part never uploaded", complete(up, &[(3, &s.etag1)]), 400, "InvalidPart", INVALID_PART),
        row("complete with parts out of order", complete(up, &[(2, &s.etag2), (1, &s.etag1)]), 400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number."),
        row("complete with a small first part", complete(up, &[(1, &s.etag1), (2, &s.etag2)]), 400, "EntityTooSmall", too_small),
        // ----- aws-chunked framing -----
        row("aws-chunked size not hex", chunked_put(lab, "chunked", Chunked::BadSize), 400, "IncompleteBody", TERMINATED),
        row("aws-chunked wrong chunk signature", chunked_put(lab, "chunked", Chunked::BadSignature), 403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH),
        row("aws-chunked without the final chunk", chunked_put(lab, "chunked", Chunked::NoFinalChunk), 400, "IncompleteBody", TERMINATED),
        row("aws-chunked decoded length one more than sent", chunked_put(lab, "chunked", Chunked::LengthMismatch), 400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"),
        row("aws-chunked without x-amz-decoded-content-length", chunked_put(lab, "chunked", Chunked::NoDecodedLength), 411, "MissingContentLength", "You must provide the Content-Length HTTP header."),
        row("aws-chunked data chunk under 8 KiB", chunked_put(lab, "chunked", Chunked::SmallChunk), 403, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes"),
        row("aws-chunked declared trailer missing", trailer_put(lab, "trailer", "\r\n"), 400, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema."),
        row("aws-chunked trailer checksum wrong", trailer_put(lab, "trailer", "x-amz-checksum-crc32:AAAAAA==\r\n\r\n"), 400, "BadDigest", "The CRC32 you specified did not match the calculated checksum."),
        row("aws-chunked trailer checksum not base64", trailer_put(lab, "trailer", "x-amz-checksum-crc32:???\r\n\r\n"), 400, "InvalidRequest", "Value for x-amz-checksum-crc32 trailing header is invalid."),
        // ----- buckets, keys, metadata, checksums -----
        row("CreateBucket with an invalid name", RawRequest::new(Method::PUT, "/Not_A_Bucket"), 400, "InvalidBucketName", "The specified bucket is not valid."),
        row("DeleteBucket of a bucket with objects", RawRequest::new(Method::DELETE, &format!("/{BUCKET}")), 409, "BucketNotEmpty", "The bucket you tried to delete is not empty"),
        row("ListObjectsV2 of a bucket that does not exist", RawRequest::new(Method::GET, "/no-such-bucket-here?list-type=2"), 404, "NoSuchBucket", "The specified bucket does not exist"),
        row("GET of a key that does not exist", RawRequest::new(Method::GET, &path("no/such/key")), 404, "NoSuchKey", "The specified key does not exist."),
        row("HEAD of a key that does not exist", RawRequest::new(Method::HEAD, &path("no/such/key")), 404, "", ""),
        row("ListObjectsV2 max-keys not a number", RawRequest::new(Method::GET, &format!("/{BUCKET}?list-type=2&max-keys=many")), 400, "InvalidArgument", "Provided max-keys not an integer or within integer range"),
        row("object key of 1025 bytes", RawRequest::new(Method::PUT, &path(&"k".repeat(1025))).body("x"), 400, "KeyTooLongError", "Your key is too long"),
        row("user metadata over 2 KB", put("meta").header("x-amz-meta-big", "m".repeat(2100)), 400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."),
        row("copy of an object onto itself, unchanged", RawRequest::new(Method::PUT, &path("ten")).header("x-amz-copy-source", format!("/{BUCKET}/ten")), 400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."),
        row("GET with a Range and a partNumber", RawRequest::new(Method::GET, &path("ten?partNumber=1")).header("range", "bytes=0-1"), 400, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter."),
        row("upload part number not a number", RawRequest::new(Method::PUT, &path(&format!("mp?partNumber=one&uploadId={up}"))).body("p"), 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"),
        row("complete with a part listed twice", complete(up, &[(1, &s.etag1), (1, &s.etag1)]), 400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number."),
        row("PutObject Content-MD5 of another body", put("md5").header("content-md5", md5_b64(b"other")), 400, "BadDigest", "The Content-MD5 you specified did not match what we received."),
        row("PutObject x-amz-checksum-crc32 not base64", put("crc").header("x-amz-checksum-crc32", "???"), 400, "InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid."),
        row("PutObject x-amz-checksum-crc32 of another body", put("crc").header("x-amz-checksum-crc32", "AAAAAA=="), 400, "BadDigest", "The CRC32 you specified did not match the calculated checksum."),
        row("PutObject x-amz-checksum of an unknown algorithm", put("crc").header("x-amz-checksum-crc99", "AAAAAA=="), 400, "InvalidRequest", "The algorithm type you specified in x-amz-checksum- header is invalid."),
        ignored("Range with its last byte before its first", RawRequest::new(Method::GET, &path("ten")).header("range", "bytes=5-2"), "0123456789"),
        ignored("Range that is not bytes=", RawRequest::new(Method::GET, &path("ten")).header("range", "lines=1-2"), "0123456789"),
        // ----- more SigV4 and KMS -----
        row("credential date not the request's date", signed_get(lab, signer(admin, REGION, now), |h| {
            let auth = h.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
            let date = &sigv4::format_amz_date(now)[..8];
            replace(h, "authorization", auth.replacen(date, "20200101", 1));
        }), 400, "AuthorizationHeaderMalformed", format!("{MALFORMED_AUTH}Invalid credential date. Date is not the same as X-Amz-Date.")),
        row("credential scoped to the kms service", signed_get(lab, signer(admin, REGION, now), |h| {
            let auth = h.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
            replace(h, "authorization", auth.replacen("/s3/aws4_request", "/kms/aws4_request", 1));
        }), 400, "AuthorizationHeaderMalformed", format!("{MALFORMED_AUTH}incorrect service \"kms\". This endpoint belongs to \"s3\".")),
        row("presigned URL scoped to another region", presigned(lab, now, 60, |q| q.replace(&format!("%2F{REGION}%2F"), "%2Feu-west-1%2F")), 400, "AuthorizationQueryParametersError", format!("Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting '{REGION}'")),
        row("KMS request from an unknown access key", kms("ListKeys", "{}").auth(Auth::Anonymous).header("authorization", format!("AWS4-HMAC-SHA256 Credential=AKIAUNKNOWNKEY000000/{}/{REGION}/kms/aws4_request, SignedHeaders=host, Signature={}", &sigv4::format_amz_date(now)[..8], "0".repeat(64))).header("x-amz-date", sigv4::format_amz_date(now)), 400, "UnrecognizedClientException", "The security token included in the request is invalid."),
        row("KMS encryption context value a number", kms("Encrypt", &format!(r#"{{"KeyId":"{}","Plaintext":"{}","EncryptionContext":{{"a":1}}}}"#, s.key_arn, B64.encode(b"x"))), 400, "SerializationException", "NUMBER_VALUE can not be converted to a String"),
        row("KMS ListKeys Limit 0", kms("ListKeys", r#"{"Limit":0}"#), 400, "ValidationException", "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        row("KMS GenerateDataKey KeySpec AES_512", kms("GenerateDataKey", &format!(r#"{{"KeyId":"{}","KeySpec":"AES_512"}}"#, s.key_arn)), 400, "ValidationException", "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"),
        // ----- CSE metadata (decrypted by s3lab-cse) -----
        cse_row("CSE wrapped key not base64", "cse-key-not-base64", "the metadata value x-amz-3 is not valid base64"),
        cse_row("CSE key commitment missing", "cse-commitment-missing", "the S3 Encryption Client metadata is incomplete: x-amz-d is missing"),
        cse_row("CSE unknown content cipher", "cse-unknown-cipher", "unknown content encryption algorithm \"999\" (the metadata may have been tampered with)"),
        cse_row("CSE unknown wrapping code", "cse-unknown-wrap", "unknown key wrapping algorithm \"99\" (the metadata may have been tampered with)"),
        cse_row("CSE message id of 5 bytes", "cse-message-id-short", "x-amz-i decodes to 5 bytes, but it must be 28 bytes"),
        cse_row("CSE V2 and V3 keys together", "cse-mixed-formats", "the metadata holds keys of more than one format version (x-amz-key-v2, x-amz-3): the object or its instruction file may have been tampered with"),
        cse_row("CSE material description not JSON", "cse-matdesc-not-json", "the metadata value x-amz-m is not a JSON object of strings: key must be a string at line 1 column 2"),
        cse_row("CSE key commitment altered", "cse-commitment-flipped", "the key commitment (x-amz-d) does not match the data key: the object's metadata was tampered with, or it is not the key it was encrypted with"),
        cse_row("CSE wrapped key altered", "cse-wrapped-key-flipped", "the master key could not unwrap the data key (AES/GCM): it is not the key this object was encrypted with"),
    ]
}

/// The request a healthy server answers: a signed GET of a known object.
async fn healthy(lab: &TestLab) -> Result<(), String> {
    let r = lab
        .raw(RawRequest::new(Method::GET, &path("healthy")))
        .await;
    if r.status == 200 && r.body == HEALTHY_BODY.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "the next valid GET answered {} {:?}",
            r.status,
            r.text()
        ))
    }
}

#[tokio::test]
async fn malformed_requests_get_aws_errors_and_the_server_stays_up() {
    let lab = TestLab::start().await;
    let s = setup(&lab).await;
    let rows = table(&lab, &s);
    assert!(rows.len() >= 60, "the corpus has {} rows", rows.len());
    let mut failures = Vec::new();
    for Row {
        name,
        request,
        expected,
    } in rows
    {
        match (request, expected) {
            (Request::Http(req), Expected::Error(status, code, message)) => {
                let r = lab.raw(req).await;
                let got = observe(&r);
                let want = Observed {
                    status,
                    code: code.to_owned(),
                    message,
                };
                if r.status >= 500 {
                    failures.push(format!("{name}: server error {} {}", r.status, r.text()));
                } else if got != want {
                    failures.push(format!(
                        "{name}:\n    expected {want:?}\n    observed {got:?}"
                    ));
                }
            }
            (Request::Http(req), Expected::Ignored(body)) => {
                let r = lab.raw(req).await;
                if (r.status, r.text().as_str()) != (200, body) {
                    failures.push(format!(
                        "{name}:\n    expected 200 {body:?}\n    observed {} {:?}",
                        r.status,
                        r.text()
                    ));
                }
            }
            (Request::CseGet(key), Expected::Cse(message)) => match cse_get(&lab, key).await {
                Ok(data) => failures.push(format!(
                    "{name}: decrypted {} bytes instead of refusing",
                    data.len()
                )),
                Err(e) if e.to_string() != message => failures.push(format!(
                    "{name}:\n    expected {message:?}\n    observed {:?} ({e:?})",
                    e.to_string()
                )),
                Err(_) => {}
            },
            _ => unreachable!("rows pair requests with their kind of answer"),
        }
        if let Err(e) = healthy(&lab).await {
            failures.push(format!("{name}: {e}"));
        }
    }
    lab.stop().await;
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
