//! Signing and verifying each other, and the limits of time.

use time::Duration;

use super::{creds, header_map, kms_request, lookup, s3_presigned, s3_request, Req, HOST, KEY, T0};
use crate::*;

#[test]
fn s3_header_round_trip_with_awkward_path_and_query() {
    let req = s3_request(
        "PUT",
        "/bucket/dir/a%20b%2Bc~%E4%B8%AD",
        Some("x-id=PutObject&tagging=a%3Db&prefix=a%2Fb"),
        &[("x-amz-meta-color", "red"), ("content-type", "text/plain")],
        T0,
    );
    let verified = req.s3(T0).expect("verifies");
    assert_eq!(verified.access_key_id, KEY);
    assert_eq!(verified.scope, CredentialScope::new(T0, "us-east-1", "s3"));
    assert_eq!(verified.request_time, T0);
    assert_eq!(
        verified.signed_headers,
        [
            "content-type",
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-meta-color"
        ]
    );
    assert_eq!(
        verified.payload,
        PayloadHash::Sha256Hex(EMPTY_SHA256.to_owned())
    );
    assert!(!verified.presigned);
    assert_eq!(verified.security_token, None);
}

#[test]
fn s3_accepts_an_uppercase_signature_and_reports_it_lowercase() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    let authorization = req.authorization();
    let (head, signature) = authorization.rsplit_once('=').expect("signature");
    req.set(
        "authorization",
        &format!("{head}={}", signature.to_ascii_uppercase()),
    );
    assert_eq!(req.s3(T0).expect("verifies").signature, signature);
}

#[test]
fn s3_accepts_the_date_header_instead_of_x_amz_date() {
    let mut headers = header_map(&[("host", HOST), ("date", "Thu, 01 Jan 2026 00:00:00 GMT")]);
    let payload = PayloadHash::of_bytes(b"");
    sign_headers(
        "GET",
        "/bucket/key",
        None,
        &mut headers,
        &payload,
        &creds(),
        "us-east-1",
        "s3",
        UriStyle::S3,
        T0,
    )
    .expect("signable");
    // Take x-amz-date away and sign again over the Date header alone.
    headers.remove("x-amz-date");
    headers.remove("authorization");
    let signed = ["date", "host", "x-amz-content-sha256"];
    let canonical = canonical_request(
        "GET",
        "/bucket/key",
        None,
        &headers,
        &signed,
        EMPTY_SHA256,
        UriStyle::S3,
    );
    let scope = CredentialScope::new(T0, "us-east-1", "s3");
    let key = signing_key(super::SECRET, &scope.date, "us-east-1", "s3");
    let signature = sign_string(&key, &string_to_sign(T0, &scope, &canonical));
    let mut req = Req {
        method: "GET",
        path: "/bucket/key".into(),
        query: None,
        headers,
        body_hash: String::new(),
    };
    req.set(
        "authorization",
        &format!(
            "AWS4-HMAC-SHA256 Credential={KEY}/{scope},SignedHeaders={},Signature={signature}",
            signed.join(";")
        ),
    );
    assert_eq!(req.s3(T0).expect("verifies").request_time, T0);
}

#[test]
fn s3_streaming_upload_and_session_token() {
    let mut headers = header_map(&[
        ("host", HOST),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "3"),
        ("x-amz-security-token", "token/with+chars="),
    ]);
    let info = sign_headers(
        "PUT",
        "/bucket/key",
        None,
        &mut headers,
        &PayloadHash::StreamingSigned,
        &creds(),
        "us-east-1",
        "s3",
        UriStyle::S3,
        T0,
    )
    .expect("signable");
    let req = Req {
        method: "PUT",
        path: "/bucket/key".into(),
        query: None,
        headers,
        body_hash: String::new(),
    };
    let verified = req.s3(T0).expect("verifies");
    assert_eq!(verified.payload, PayloadHash::StreamingSigned);
    assert_eq!(
        verified.security_token.as_deref(),
        Some("token/with+chars=")
    );
    assert_eq!(verified.signature, info.signature);

    // The client and the server agree on the chunk chain.
    let data = sha256_hex(b"abc");
    let first = chunk_signature(
        &info.signing_key,
        info.request_time,
        &info.scope,
        &info.signature,
        &data,
    );
    assert!(verified.verify_chunk(&verified.signature, &data, &first));
    let last = chunk_signature(
        &info.signing_key,
        info.request_time,
        &info.scope,
        &first,
        EMPTY_SHA256,
    );
    assert!(verified.verify_chunk(&first, EMPTY_SHA256, &last));
    assert!(!verified.verify_chunk(&first, &data, &last));
}

#[test]
fn kms_header_round_trip() {
    let body = br#"{"KeyId":"alias/lab","Plaintext":"aGVsbG8="}"#;
    let req = kms_request("TrentService.Encrypt", body, T0);
    let verified = req.kms(T0).expect("verifies");
    assert_eq!(verified.scope.service, "kms");
    assert_eq!(verified.payload, PayloadHash::of_bytes(body));
    assert_eq!(
        verified.signed_headers,
        ["content-type", "host", "x-amz-date", "x-amz-target"]
    );
    // KMS does not get x-amz-content-sha256 from the signer.
    assert!(req.headers.get("x-amz-content-sha256").is_none());

    // Another body does not verify.
    let mut other = req.clone();
    other.body_hash = sha256_hex(b"{}");
    assert!(matches!(
        other.kms(T0),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn s3_presigned_round_trip_with_query_and_token() {
    let query = presign(
        "GET",
        "/bucket/a%20b",
        Some("response-content-type=text%2Fplain&versionId=3"),
        HOST,
        &creds(),
        "us-east-1",
        "s3",
        T0,
        3600,
    );
    assert!(query.starts_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="));
    assert!(query.contains("&response-content-type=text%2Fplain&versionId=3&X-Amz-Signature="));
    let req = Req {
        method: "GET",
        path: "/bucket/a%20b".into(),
        query: Some(format!("{query}&X-Amz-Security-Token=abc")),
        headers: header_map(&[("host", HOST)]),
        body_hash: String::new(),
    };
    // The token is not part of what was signed here, so it breaks the signature...
    assert!(matches!(
        req.s3(T0),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
    // ...unless it is signed, as clients do.
    let signed = presign(
        "GET",
        "/bucket/a%20b",
        Some("X-Amz-Security-Token=abc"),
        HOST,
        &creds(),
        "us-east-1",
        "s3",
        T0,
        60,
    );
    let req = Req {
        query: Some(signed),
        ..req
    };
    let verified = req.s3(T0).expect("verifies");
    assert!(verified.presigned);
    assert_eq!(verified.security_token.as_deref(), Some("abc"));
    assert_eq!(verified.signed_headers, ["host"]);
}

#[test]
fn presigned_names_are_read_in_any_letter_case() {
    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    // Sign again with lowercase names: the server finds them all the same.
    let scope = CredentialScope::new(T0, "us-east-1", "s3");
    let query = format!(
        "x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-credential={KEY}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&x-amz-date=20260101T000000Z&x-amz-expires=60&x-amz-signedheaders=host"
    );
    let canonical = canonical_request(
        "GET",
        "/bucket/key",
        Some(&query),
        &req.headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        UriStyle::S3,
    );
    let key = signing_key(super::SECRET, &scope.date, "us-east-1", "s3");
    let signature = sign_string(&key, &string_to_sign(T0, &scope, &canonical));
    req.query = Some(format!("{query}&x-amz-signature={signature}"));
    assert!(req.s3(T0).expect("verifies").presigned);
}

#[test]
fn presigned_kms_round_trip() {
    let query = presign(
        "POST",
        "/",
        None,
        super::KMS_HOST,
        &creds(),
        "us-east-1",
        "kms",
        T0,
        300,
    );
    let req = Req {
        method: "POST",
        path: "/".into(),
        query: Some(query),
        headers: header_map(&[("host", super::KMS_HOST)]),
        body_hash: EMPTY_SHA256.to_owned(),
    };
    let verified = req.kms(T0).expect("verifies");
    assert!(verified.presigned);
}

#[test]
fn skew_of_exactly_fifteen_minutes_is_allowed() {
    for seconds in [-900, 900] {
        let req = s3_request(
            "GET",
            "/bucket/key",
            None,
            &[],
            T0 + Duration::seconds(seconds),
        );
        assert!(req.s3(T0).is_ok(), "{seconds}");
        let req = kms_request(
            "TrentService.ListKeys",
            b"{}",
            T0 + Duration::seconds(seconds),
        );
        assert!(req.kms(T0).is_ok(), "{seconds}");
    }
    for seconds in [-901, 901] {
        let req = s3_request(
            "GET",
            "/bucket/key",
            None,
            &[],
            T0 + Duration::seconds(seconds),
        );
        assert!(
            matches!(req.s3(T0), Err(AuthError::RequestTimeTooSkewed { .. })),
            "{seconds}"
        );
    }
    // A smaller allowance is honoured.
    let req = s3_request("GET", "/bucket/key", None, &[], T0 + Duration::seconds(61));
    let opts = VerifyOptions {
        max_skew: Duration::minutes(1),
        ..VerifyOptions::new("s3", "us-east-1", UriStyle::S3, T0)
    };
    let result = verify(&req.parts(), PayloadSource::FromHeader, &lookup, &opts);
    assert!(matches!(
        result,
        Err(AuthError::RequestTimeTooSkewed { .. })
    ));
}

#[test]
fn presigned_url_lifetime_boundaries() {
    let req = s3_presigned("/bucket/key", None, T0, 60);
    assert!(req.s3(T0 + Duration::seconds(60)).is_ok());
    assert!(req.s3(T0 + Duration::milliseconds(60_001)).is_err());
    // Valid from 15 minutes before X-Amz-Date on.
    assert!(req.s3(T0 - Duration::seconds(900)).is_ok());
    assert!(matches!(
        req.s3(T0 - Duration::seconds(901)),
        Err(AuthError::PresignNotYetValid { .. })
    ));
    // Seven days is the longest, and allowed.
    let week = s3_presigned("/bucket/key", None, T0, MAX_PRESIGN_EXPIRES_SECS);
    assert!(week.s3(T0 + Duration::days(7)).is_ok());
    assert!(matches!(
        week.s3(T0 + Duration::days(7) + Duration::seconds(1)),
        Err(AuthError::PresignExpired { .. })
    ));
    // X-Amz-Expires=0 is never valid.
    let zero = s3_presigned("/bucket/key", None, T0, 0);
    assert!(matches!(zero.s3(T0), Err(AuthError::PresignExpired { .. })));
}

#[test]
fn auth_kind_tells_the_mechanisms_apart() {
    let kind = |headers: &[(&str, &str)], query: Option<&str>| {
        let headers = header_map(headers);
        auth_kind(&RequestParts {
            method: "GET",
            raw_path: "/",
            raw_query: query,
            headers: &headers,
        })
    };
    assert_eq!(kind(&[], None), AuthKind::None);
    assert_eq!(kind(&[], Some("prefix=a&list-type=2")), AuthKind::None);
    assert_eq!(kind(&[("authorization", "")], None), AuthKind::None);
    assert_eq!(
        kind(&[("authorization", "AWS4-HMAC-SHA256 Credential=a")], None),
        AuthKind::Header
    );
    assert_eq!(
        kind(&[("authorization", "Bearer token")], None),
        AuthKind::Header
    );
    assert_eq!(
        kind(&[("authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2ln")], None),
        AuthKind::SigV2
    );
    assert_eq!(
        kind(&[], Some("X-Amz-Algorithm=AWS4-HMAC-SHA256")),
        AuthKind::Presigned
    );
    assert_eq!(
        kind(&[], Some("x-amz-algorithm=AWS4-HMAC-SHA256")),
        AuthKind::Presigned
    );
    assert_eq!(
        kind(&[], Some("AWSAccessKeyId=AKID&Expires=1&Signature=c2ln")),
        AuthKind::SigV2
    );
    assert_eq!(
        kind(
            &[("authorization", "AWS4-HMAC-SHA256 x")],
            Some("X-Amz-Algorithm=x")
        ),
        AuthKind::Header
    );
}

#[test]
fn secrets_are_not_printed() {
    let printed = format!("{:?}", creds());
    assert!(!printed.contains(super::SECRET), "{printed}");
    let verified = s3_request("GET", "/bucket/key", None, &[], T0)
        .s3(T0)
        .expect("verifies");
    assert!(format!("{verified:?}").contains("SigningKey(..)"));
}

#[test]
fn signing_needs_a_host() {
    let mut headers = http::HeaderMap::new();
    let result = sign_headers(
        "GET",
        "/",
        None,
        &mut headers,
        &PayloadHash::Unsigned,
        &creds(),
        "us-east-1",
        "s3",
        UriStyle::S3,
        T0,
    );
    assert_eq!(result.err(), Some(SignError::MissingHost));
    let mut headers = header_map(&[("host", HOST)]);
    let bad = Credentials::new("AKID\nX", "secret");
    let result = sign_headers(
        "GET",
        "/",
        None,
        &mut headers,
        &PayloadHash::Unsigned,
        &bad,
        "us-east-1",
        "s3",
        UriStyle::S3,
        T0,
    );
    assert!(matches!(result, Err(SignError::InvalidHeaderValue(_))));
}

/// Found by the `sigv4_verify` fuzz target (`fuzz/regressions/sigv4_verify/presign-host-tabs`):
/// `presign` kept a run of tabs inside the host in its canonical request, while the verifier,
/// as AWS does, turns every run of spaces and tabs into one space, so the URL never verified.
#[test]
fn presign_canonicalises_the_host_as_the_verifier_does() {
    for host in ["examplebucket.08\t\t\t\t\tlocalhost", " a  b ", "\tb\t"] {
        for service in ["s3", "kms"] {
            let query = presign(
                "GET",
                "/k",
                None,
                host,
                &creds(),
                "us-east-1",
                service,
                T0,
                60,
            );
            let headers = header_map(&[("host", host)]);
            let parts = RequestParts {
                method: "GET",
                raw_path: "/k",
                raw_query: Some(&query),
                headers: &headers,
            };
            let style = if service == "s3" {
                UriStyle::S3
            } else {
                UriStyle::Normalized
            };
            let payload = if service == "s3" {
                PayloadSource::FromHeader
            } else {
                PayloadSource::Computed(EMPTY_SHA256)
            };
            let opts = VerifyOptions::new(service, "us-east-1", style, T0);
            verify(&parts, payload, &lookup, &opts)
                .unwrap_or_else(|e| panic!("{service} refuses a URL presigned for {host:?}: {e}"));
        }
    }
}
