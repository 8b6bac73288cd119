//! Unit tests: AWS's published vectors, S3's documented examples, round trips, and every refusal.

mod encoding;
mod errors;
mod roundtrip;
mod s3_examples;
mod suite;

use http::{HeaderMap, HeaderName, HeaderValue};
use time::macros::datetime;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::*;

/// The example key of S3's documentation.
pub(crate) const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub(crate) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub(crate) const HOST: &str = "examplebucket.s3.amazonaws.com";
pub(crate) const KMS_HOST: &str = "kms.us-east-1.amazonaws.com";
/// The lab's default epoch.
pub(crate) const T0: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);

pub(crate) fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
        let value = HeaderValue::from_str(value).expect("test header value");
        headers.append(name, value);
    }
    headers
}

pub(crate) fn lookup(id: &str) -> Option<Zeroizing<String>> {
    (id == KEY).then(|| Zeroizing::new(SECRET.to_owned()))
}

pub(crate) fn creds() -> Credentials {
    Credentials::new(KEY, SECRET)
}

/// A request under test, owned so that it can be edited after signing.
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub method: &'static str,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The hex SHA-256 of the body, for JSON-service requests.
    pub body_hash: String,
}

impl Req {
    pub fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: self.method,
            raw_path: &self.path,
            raw_query: self.query.as_deref(),
            headers: &self.headers,
        }
    }

    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
        self.headers.insert(
            name,
            HeaderValue::from_str(value).expect("test header value"),
        );
        self
    }

    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.headers.remove(name);
        self
    }

    pub fn authorization(&self) -> String {
        self.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Replaces text in the Authorization header.
    pub fn edit_authorization(&mut self, from: &str, to: &str) -> &mut Self {
        let edited = self.authorization().replace(from, to);
        self.set("authorization", &edited)
    }

    /// Replaces text in the query string.
    pub fn edit_query(&mut self, from: &str, to: &str) -> &mut Self {
        self.query = self.query.as_ref().map(|q| q.replace(from, to));
        self
    }

    pub fn s3(&self, now: OffsetDateTime) -> Result<Verified, AuthError> {
        verify(
            &self.parts(),
            PayloadSource::FromHeader,
            &lookup,
            &VerifyOptions::new("s3", "us-east-1", UriStyle::S3, now),
        )
    }

    pub fn kms(&self, now: OffsetDateTime) -> Result<Verified, AuthError> {
        let opts = VerifyOptions::new("kms", "us-east-1", UriStyle::Normalized, now);
        verify(
            &self.parts(),
            PayloadSource::Computed(&self.body_hash),
            &lookup,
            &opts,
        )
    }
}

/// An S3 request signed with the Authorization header at `time`.
pub(crate) fn s3_request(
    method: &'static str,
    path: &str,
    query: Option<&str>,
    extra: &[(&str, &str)],
    time: OffsetDateTime,
) -> Req {
    let mut headers = header_map(&[("host", HOST)]);
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
        headers.append(
            name,
            HeaderValue::from_str(value).expect("test header value"),
        );
    }
    let payload = PayloadHash::of_bytes(b"");
    sign_headers(
        method,
        path,
        query,
        &mut headers,
        &payload,
        &creds(),
        "us-east-1",
        "s3",
        UriStyle::S3,
        time,
    )
    .expect("signable");
    Req {
        method,
        path: path.to_owned(),
        query: query.map(str::to_owned),
        headers,
        body_hash: payload.as_str().to_owned(),
    }
}

/// A presigned S3 GET made at `time`, valid for `expires` seconds.
pub(crate) fn s3_presigned(
    path: &str,
    query: Option<&str>,
    time: OffsetDateTime,
    expires: u64,
) -> Req {
    let q = presign(
        "GET",
        path,
        query,
        HOST,
        &creds(),
        "us-east-1",
        "s3",
        time,
        expires,
    );
    Req {
        method: "GET",
        path: path.to_owned(),
        query: Some(q),
        headers: header_map(&[("host", HOST)]),
        body_hash: EMPTY_SHA256.to_owned(),
    }
}

/// A KMS request (JSON 1.1, POST /) signed at `time`.
pub(crate) fn kms_request(target: &str, body: &[u8], time: OffsetDateTime) -> Req {
    let mut headers = header_map(&[
        ("host", KMS_HOST),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target),
    ]);
    let payload = PayloadHash::of_bytes(body);
    sign_headers(
        "POST",
        "/",
        None,
        &mut headers,
        &payload,
        &creds(),
        "us-east-1",
        "kms",
        UriStyle::Normalized,
        time,
    )
    .expect("signable");
    Req {
        method: "POST",
        path: "/".to_owned(),
        query: None,
        headers,
        body_hash: payload.as_str().to_owned(),
    }
}
