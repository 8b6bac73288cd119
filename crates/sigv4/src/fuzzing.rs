//! The entry point of the `sigv4_verify` fuzz target (`fuzz/`), and of the test that replays its
//! committed corpus. Not part of the crate's API.
//!
//! An input is an HTTP request head, one field per line (`\r` before a `\n` is dropped):
//!
//! ```text
//! GET /path?query
//! host: examplebucket.s3.amazonaws.com
//! authorization: AWS4-HMAC-SHA256 Credential=...
//!
//! body
//! ```
//!
//! Header lines that `http` would not accept as a name or value are skipped. The request is
//! verified as S3 and as KMS verify it, at [`NOW`], with one known access key ([`AKID`]); every
//! refusal is rendered as both services would send it. Then the request is signed (header and
//! presigned) with that key and verified again, which must succeed: what this crate signs, it
//! accepts.

use http::{HeaderMap, HeaderName, HeaderValue};
use time::macros::datetime;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::encode::parse_query;
use crate::{
    auth_kind, canonical_query, canonical_request, canonical_uri, parse_amz_date, presign,
    sha256_hex, sign_headers, verify, Credentials, PayloadHash, PayloadSource, RequestParts,
    UriStyle, VerifyOptions,
};

/// The one access key the verifier knows (that of AWS's SigV4 test suite).
pub const AKID: &str = "AKIDEXAMPLE";
/// Its secret.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The server's clock.
pub const NOW: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);
/// The region both services run in.
pub const REGION: &str = "us-east-1";

/// A request read from fuzz input.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads an input (see the module docs).
pub fn parse_request(data: &[u8]) -> Request {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n').map(trim_cr);
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let (method, target) = first.split_once(' ').unwrap_or((first.as_str(), "/"));
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (target, None),
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        headers,
        body: body.to_vec(),
    }
}

/// Writes a request in the input format, for seeds and tests.
pub fn format_request(req: &Request) -> Vec<u8> {
    let mut out = format!("{} {}", req.method, req.path).into_bytes();
    if let Some(query) = &req.query {
        out.push(b'?');
        out.extend_from_slice(query.as_bytes());
    }
    out.push(b'\n');
    for (name, value) in &req.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(&req.body);
    out
}

fn lookup(id: &str) -> Option<Zeroizing<String>> {
    (id == AKID).then(|| Zeroizing::new(SECRET.to_owned()))
}

/// The two ways the lab verifies requests: as S3, and as KMS.
#[derive(Clone, Copy, Debug)]
pub enum Service {
    S3,
    Kms,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Kms => "kms",
        }
    }

    fn uri_style(self) -> UriStyle {
        match self {
            Service::S3 => UriStyle::S3,
            Service::Kms => UriStyle::Normalized,
        }
    }
}

fn parts(req: &Request) -> RequestParts<'_> {
    RequestParts {
        method: &req.method,
        raw_path: &req.path,
        raw_query: req.query.as_deref(),
        headers: &req.headers,
    }
}

/// Verifies `req` as `service` does; for KMS, against the hash of `body`.
pub fn check(req: &Request, service: Service) -> Result<crate::Verified, crate::AuthError> {
    let body_hash = sha256_hex(&req.body);
    let payload = match service {
        Service::S3 => PayloadSource::FromHeader,
        Service::Kms => PayloadSource::Computed(&body_hash),
    };
    let opts = VerifyOptions::new(service.name(), REGION, service.uri_style(), NOW);
    verify(&parts(req), payload, &lookup, &opts)
}

/// Signs `req` in place for `service` with the known key at [`NOW`].
pub fn sign(req: &mut Request, service: Service) -> Result<(), crate::SignError> {
    let payload = match service {
        Service::S3 => PayloadHash::Unsigned,
        Service::Kms => PayloadHash::of_bytes(&req.body),
    };
    sign_headers(
        &req.method,
        &req.path,
        req.query.as_deref(),
        &mut req.headers,
        &payload,
        &Credentials::new(AKID, SECRET),
        REGION,
        service.name(),
        service.uri_style(),
        NOW,
    )
    .map(|_| ())
}

const AUTH_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
];

/// Runs one input.
pub fn request(data: &[u8]) {
    let req = parse_request(data);
    let _ = auth_kind(&parts(&req));
    for style in [UriStyle::S3, UriStyle::Normalized] {
        let _ = canonical_uri(&req.path, style);
    }
    let _ = canonical_query(req.query.as_deref().unwrap_or(""));
    if let Some(date) = req.headers.get("x-amz-date") {
        let _ = parse_amz_date(&String::from_utf8_lossy(date.as_bytes()));
    }
    let names: Vec<&str> = req.headers.keys().map(HeaderName::as_str).collect();
    let _ = canonical_request(
        &req.method,
        &req.path,
        req.query.as_deref(),
        &req.headers,
        &names,
        "UNSIGNED-PAYLOAD",
        UriStyle::S3,
    );

    for service in [Service::S3, Service::Kms] {
        match check(&req, service) {
            Ok(verified) => {
                let _ = verified.verify_chunk(&verified.signature, &sha256_hex(&req.body), "00");
                let _ = verified.verify_trailer(&verified.signature, &sha256_hex(b""), "00");
            }
            Err(e) => {
                let s3 = e.s3();
                assert!((400..500).contains(&s3.status), "S3 answers {}", s3.status);
                let json = e.json_service();
                assert!(
                    (400..500).contains(&json.status),
                    "KMS answers {}",
                    json.status
                );
            }
        }
    }

    // What we sign, we accept. A request that already carries presigning parameters is refused
    // for having two signatures, rightly, so it is not signed again.
    let params = parse_query(req.query.as_deref().unwrap_or(""));
    if params
        .iter()
        .any(|p| AUTH_PARAMS.iter().any(|n| p.name.eq_ignore_ascii_case(n)))
    {
        return;
    }
    for service in [Service::S3, Service::Kms] {
        let mut signed = req.clone();
        if sign(&mut signed, service).is_ok() {
            if let Err(e) = check(&signed, service) {
                panic!("{service:?} refuses a request signed for it: {e:?}");
            }
        }
    }
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("example.amazonaws.com");
    for service in [Service::S3, Service::Kms] {
        let query = presign(
            &req.method,
            &req.path,
            req.query.as_deref(),
            host,
            &Credentials::new(AKID, SECRET),
            REGION,
            service.name(),
            NOW,
            3600,
        );
        let mut headers = HeaderMap::new();
        let Ok(host) = HeaderValue::from_str(host) else {
            continue;
        };
        headers.insert("host", host);
        let presigned = Request {
            method: req.method.clone(),
            path: req.path.clone(),
            query: Some(query),
            headers,
            body: Vec::new(),
        };
        if let Err(e) = check(&presigned, service) {
            panic!("{service:?} refuses a URL presigned for it: {e:?}");
        }
    }
}

/// Computed seeds: requests signed (and presigned) for S3 and KMS with the known key, so that
/// the fuzzer starts from requests that verify.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let base = |method: &str, path: &str, query: Option<&str>, body: &[u8]| {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("examplebucket.localhost"));
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            headers,
            body: body.to_vec(),
        }
    };
    let mut put = base("PUT", "/bucket/photos/a%20b.jpg", None, b"");
    put.headers.insert(
        "x-amz-server-side-encryption",
        HeaderValue::from_static("aws:kms"),
    );
    put.headers
        .append("x-amz-meta-a", HeaderValue::from_static("  one   two "));
    put.headers
        .append("x-amz-meta-a", HeaderValue::from_static("three"));
    if sign(&mut put, Service::S3).is_ok() {
        out.push(("s3-put-header-signed".to_owned(), format_request(&put)));
    }
    let mut list = base(
        "GET",
        "/bucket",
        Some("list-type=2&prefix=a%2Fb&max-keys=5"),
        b"",
    );
    if sign(&mut list, Service::S3).is_ok() {
        out.push(("s3-list-header-signed".to_owned(), format_request(&list)));
    }
    let mut kms = base(
        "POST",
        "/",
        None,
        br#"{"KeyId":"alias/fuzz","Plaintext":"aGVsbG8="}"#,
    );
    kms.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("TrentService.Encrypt"),
    );
    kms.headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if sign(&mut kms, Service::Kms).is_ok() {
        out.push(("kms-encrypt-header-signed".to_owned(), format_request(&kms)));
    }
    for (name, service) in [("s3", Service::S3), ("kms", Service::Kms)] {
        let query = presign(
            "GET",
            "/bucket/key.txt",
            Some("versionId=3"),
            "examplebucket.localhost",
            &Credentials::new(AKID, SECRET),
            REGION,
            service.name(),
            NOW,
            600,
        );
        let req = base("GET", "/bucket/key.txt", Some(&query), b"");
        out.push((format!("{name}-get-presigned"), format_request(&req)));
    }
    out
}
