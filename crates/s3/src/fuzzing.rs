//! The entry point of the `sse_headers` fuzz target (`fuzz/`), and of the test that replays its
//! committed corpus. Not part of the crate's API.
//!
//! An input is a block of request headers, `name: value` one per line (`\r` before a `\n` is
//! dropped; a name may repeat). Lines that `http` would not accept as a header are skipped. The
//! headers go through the SSE parser as a write, a read, and both SSE-C triples, and through the
//! resolution against a bucket's default encryption. A refusal must be a 4xx S3 error that
//! renders as an `<Error>` document.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::encryption::{BucketEncryption, WriteMode};
use crate::error::S3Error;
use crate::sse::{self, SseRequest};

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads an input into headers (see the module docs).
pub fn parse_headers(data: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n').map(trim_cr) {
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
    headers
}

fn check_error(e: &S3Error) {
    assert!(
        (400..500).contains(&e.status),
        "a bad header is the client's fault, not {}: {e:?}",
        e.status
    );
    let xml = crate::xmlout::error(e, "REQUESTID", "HOSTID");
    assert!(xml.contains(e.code), "the error document names its code");
}

/// Runs one input.
pub fn sse_headers(data: &[u8]) {
    let headers = parse_headers(data);
    match sse::parse_write(&headers) {
        Ok(request) => {
            if let SseRequest::Customer(key) = &request {
                assert_eq!(
                    key,
                    &sse::CustomerKey::from_bytes(*key.bytes()),
                    "the key is the one its MD5 was checked against"
                );
            }
            for (default, history) in [
                (BucketEncryption::sse_s3(true), false),
                (BucketEncryption::sse_s3(false), true),
                (
                    BucketEncryption {
                        sse_algorithm: "aws:kms".into(),
                        kms_master_key_id: Some("alias/fuzz".into()),
                        bucket_key_enabled: true,
                        blocked_encryption_types: vec!["SSE-C".into()],
                    },
                    false,
                ),
            ] {
                let mode = WriteMode::resolve(&request, &default, history);
                let _ = mode.etag_is_md5();
            }
        }
        Err(e) => check_error(&e),
    }
    for prefix in [sse::SSE_C_PREFIX, sse::COPY_SOURCE_SSE_C_PREFIX] {
        if let Err(e) = sse::parse_customer(&headers, prefix) {
            check_error(&e);
        }
    }
    if let Err(e) = sse::reject_on_read(&headers) {
        check_error(&e);
    }
    for value in headers.get_all(sse::SSE_CONTEXT) {
        if let Ok(text) = value.to_str() {
            if let Err(e) = sse::parse_context(text) {
                check_error(&e);
            }
        }
    }
}
