//! Every way `verify` refuses a request, and what S3 and KMS say about it.

use time::macros::datetime;
use time::Duration;

use super::{header_map, kms_request, s3_presigned, s3_request, Req, HOST, KEY, KMS_HOST, T0};
use crate::*;

fn s3_error(result: Result<Verified, AuthError>) -> (AuthError, ServiceError) {
    let error = result.expect_err("refused");
    let service = error.s3();
    (error, service)
}

fn json_error(result: Result<Verified, AuthError>) -> (AuthError, ServiceError) {
    let error = result.expect_err("refused");
    let service = error.json_service();
    (error, service)
}

fn extra(e: &ServiceError, name: &str) -> Option<String> {
    e.extra
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.clone())
}

fn unsigned(
    method: &'static str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &str)],
) -> Req {
    Req {
        method,
        path: path.to_owned(),
        query: query.map(str::to_owned),
        headers: header_map(headers),
        body_hash: EMPTY_SHA256.to_owned(),
    }
}

const SCOPE: &str = "20260101/us-east-1/s3/aws4_request";
const KMS_SCOPE: &str = "20260101/us-east-1/kms/aws4_request";

#[test]
fn missing_credentials() {
    let req = unsigned("GET", "/bucket/key", Some("prefix=a"), &[("host", HOST)]);
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(error, AuthError::MissingCredentials);
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (403, "AccessDenied", "Access Denied")
    );
    assert!(s3.extra.is_empty());
    let json = error.json_service();
    assert_eq!(
        (json.status, json.code, json.message.as_str()),
        (
            400,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token"
        )
    );
    // An empty Authorization header is no credentials either.
    let req = unsigned(
        "POST",
        "/",
        None,
        &[("host", KMS_HOST), ("authorization", "")],
    );
    assert_eq!(
        req.kms(T0).expect_err("refused"),
        AuthError::MissingCredentials
    );
}

#[test]
fn header_and_query_authentication_together() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.query = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256".into());
    let authorization = req.authorization();
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::MultipleAuthMechanisms {
            authorization: authorization.clone()
        }
    );
    assert_eq!((s3.status, s3.code), (400, "InvalidArgument"));
    assert_eq!(
        s3.message,
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
    );
    assert_eq!(
        s3.extra,
        vec![
            ("ArgumentName", "Authorization".to_owned()),
            ("ArgumentValue", authorization)
        ]
    );
    let json = error.json_service();
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));
    assert_eq!(
        json.message,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
}

#[test]
fn signature_version_2() {
    const V2: &str = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
    let header = unsigned(
        "GET",
        "/bucket/key",
        None,
        &[
            ("host", HOST),
            (
                "authorization",
                "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
            ),
        ],
    );
    let (error, s3) = s3_error(header.s3(T0));
    assert_eq!(error, AuthError::SigV2NotSupported);
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (400, "InvalidRequest", V2)
    );
    let query = unsigned(
        "GET",
        "/bucket/key",
        Some("AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1893456000&Signature=frJIUN8DYpKDtOLCwo%2F%2FyllqDzg%3D"),
        &[("host", HOST)],
    );
    assert_eq!(
        query.s3(T0).expect_err("refused"),
        AuthError::SigV2NotSupported
    );
    assert_eq!(
        error.json_service().code,
        "MissingAuthenticationTokenException"
    );

    // A JSON service reads a SigV2 header as an AWS4 one without its parameters, as SSM answers.
    let kms = unsigned(
        "POST",
        "/",
        None,
        &[
            ("host", KMS_HOST),
            ("x-amz-date", "20260101T000000Z"),
            ("authorization", "AWS xxxxx:yyyyyyy"),
        ],
    );
    let (error, json) = json_error(kms.kms(T0));
    assert!(matches!(error, AuthError::IncompleteAuthorization { .. }));
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        json.message,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. Authorization=AWS xxxxx:yyyyyyy"
    );
}

#[test]
fn unsupported_authorization_type() {
    let req = unsigned(
        "GET",
        "/bucket/key",
        None,
        &[("host", HOST), ("authorization", "Bearer token")],
    );
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::UnsupportedAuthorizationType {
            authorization: "Bearer token".into()
        }
    );
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (400, "InvalidArgument", "Unsupported Authorization Type")
    );
    assert_eq!(
        s3.extra,
        vec![
            ("ArgumentName", "Authorization".to_owned()),
            ("ArgumentValue", "Bearer token".to_owned())
        ]
    );

    // A JSON service reads the components first, then names the algorithm.
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA1 ");
    let (error, json) = json_error(kms.kms(T0));
    assert!(matches!(
        error,
        AuthError::UnsupportedAuthorizationType { .. }
    ));
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        json.message,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "
    );
}

#[test]
fn unsupported_presign_algorithm() {
    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Algorithm=AWS4-HMAC-SHA1",
    );
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::UnsupportedAlgorithm {
            algorithm: "AWS4-HMAC-SHA1".into()
        }
    );
    assert_eq!(
        (s3.status, s3.code),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(
        s3.message,
        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
    );
    assert_eq!(
        error.json_service().message,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "
    );
}

#[test]
fn incomplete_authorization_header() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    let authorization = req.authorization();
    let without_signature = authorization
        .split(", Signature=")
        .next()
        .unwrap_or_default()
        .to_owned();
    req.set("authorization", &without_signature);
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::IncompleteAuthorization {
            authorization: without_signature,
            missing: vec!["Signature"],
            missing_date: false
        }
    );
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(
        s3.message,
        "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
    );

    // The JSON services list everything that is missing, the date included.
    let kms = unsigned(
        "POST",
        "/",
        None,
        &[
            ("host", KMS_HOST),
            ("authorization", "AWS4-HMAC-SHA256 Credential=a/b"),
        ],
    );
    let (error, json) = json_error(kms.kms(T0));
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        json.message,
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
         Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization=AWS4-HMAC-SHA256 Credential=a/b"
    );
    assert_eq!(error.s3().code, "AuthorizationHeaderMalformed");

    // Only the date missing: S3 says so in its own words.
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.remove("x-amz-date");
    let (error, json) = json_error(kms.kms(T0));
    assert!(json.message.starts_with("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="));
    let s3 = error.s3();
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (
            403,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header"
        )
    );
}

#[test]
fn malformed_authorization_component() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("SignedHeaders=", "SignedHeaders");
    let (error, s3) = s3_error(req.s3(T0));
    let AuthError::MalformedAuthorizationComponent { component, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(component.starts_with("SignedHeadershost;"), "{component}");
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(s3.message, format!("The authorization header is malformed; the authorization component \"{component}\" is malformed."));

    // A space inside the credential, as recorded from DynamoDB.
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization(&format!("{KEY}/"), &format!("{KEY} /"));
    let authorization = kms.authorization();
    let (error, json) = json_error(kms.kms(T0));
    assert!(matches!(
        error,
        AuthError::MalformedAuthorizationComponent { .. }
    ));
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        json.message,
        format!("'/{KMS_SCOPE}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'.")
    );
}

#[test]
fn missing_and_duplicate_query_parameters() {
    const REQUIRED: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    for name in [
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ] {
        let mut req = s3_presigned("/bucket/key", None, T0, 60);
        let query = req.query.clone().unwrap_or_default();
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with(&format!("{name}=")))
            .collect();
        req.query = Some(kept.join("&"));
        let (error, s3) = s3_error(req.s3(T0));
        assert_eq!(
            error,
            AuthError::MissingQueryParameters {
                missing: vec![name]
            },
            "{name}"
        );
        assert_eq!(
            (s3.status, s3.code, s3.message.as_str()),
            (400, "AuthorizationQueryParametersError", REQUIRED)
        );
    }

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.query = req
        .query
        .map(|q| format!("{q}&X-Amz-Date=20260101T000000Z"));
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::DuplicateQueryParameter {
            name: "X-Amz-Date".into()
        }
    );
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (400, "AuthorizationQueryParametersError", REQUIRED)
    );
    assert_eq!(
        error.json_service().message,
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );

    // The JSON services name every missing parameter, in their order, and do not require X-Amz-Expires.
    let kms = unsigned(
        "POST",
        "/",
        Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a"),
        &[("host", KMS_HOST)],
    );
    let (error, json) = json_error(kms.kms(T0));
    assert_eq!(
        error,
        AuthError::MissingQueryParameters {
            missing: vec!["X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]
        }
    );
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        json.message,
        "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. \
         AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
}

#[test]
fn invalid_or_missing_dates() {
    const NO_DATE: &str = "AWS authentication requires a valid Date or x-amz-date header";
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.remove("x-amz-date");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::InvalidDate {
            value: None,
            presigned: false
        }
    );
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (403, "AccessDenied", NO_DATE)
    );

    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.set("x-amz-date", "2026-01-01T00:00:00Z");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::InvalidDate {
            value: Some("2026-01-01T00:00:00Z".into()),
            presigned: false
        }
    );
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (403, "AccessDenied", NO_DATE)
    );

    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.set("x-amz-date", "201");
    let (error, json) = json_error(kms.kms(T0));
    assert_eq!(
        error,
        AuthError::InvalidDate {
            value: Some("201".into()),
            presigned: false
        }
    );
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(json.message, "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601");

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query(
        "X-Amz-Date=20260101T000000Z",
        "X-Amz-Date=2026-01-01T00%3A00%3A00Z",
    );
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::InvalidDate {
            value: Some("2026-01-01T00:00:00Z".into()),
            presigned: true
        }
    );
    assert_eq!(
        (s3.status, s3.code),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(
        s3.message,
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
    );
}

#[test]
fn invalid_expires() {
    let cases = [
        ("1h", ExpiresProblem::NotANumber, "X-Amz-Expires should be a number"),
        ("-1", ExpiresProblem::Negative, "X-Amz-Expires must be non-negative"),
        (
            "604801",
            ExpiresProblem::TooLarge,
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
    ];
    for (value, problem, message) in cases {
        let mut req = s3_presigned("/bucket/key", None, T0, 60);
        req.edit_query("X-Amz-Expires=60", &format!("X-Amz-Expires={value}"));
        let (error, s3) = s3_error(req.s3(T0));
        assert_eq!(
            error,
            AuthError::InvalidExpires {
                value: value.into(),
                problem
            }
        );
        assert_eq!(
            (s3.status, s3.code, s3.message.as_str()),
            (400, "AuthorizationQueryParametersError", message)
        );
    }
}

#[test]
fn malformed_credential() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("/us-east-1/", "/");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::MalformedCredential {
            credential: format!("{KEY}/20260101/s3/aws4_request"),
            presigned: false
        }
    );
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(
        s3.message,
        "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
    );

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query("%2Fus-east-1%2F", "%2F");
    let s3 = req.s3(T0).expect_err("refused").s3();
    assert_eq!(s3.code, "AuthorizationQueryParametersError");
    assert!(s3
        .message
        .starts_with("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed"));

    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization("/us-east-1/", "/");
    let (_, json) = json_error(kms.kms(T0));
    assert_eq!(
        (json.status, json.code),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        json.message,
        format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{KEY}/20260101/kms/aws4_request'")
    );
    // Trailing slashes do not count for the JSON services (the header itself is not signed).
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization("aws4_request,", "aws4_request//,");
    assert!(kms.kms(T0).is_ok());
}

#[test]
fn empty_access_key() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization(&format!("Credential={KEY}/"), "Credential=/");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(error, AuthError::EmptyAccessKey { presigned: false });
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(
        s3.message,
        "The authorization header is malformed; a non-empty Access Key (AKID) must be provided in the credential."
    );
    assert_eq!(error.json_service().code, "UnrecognizedClientException");
}

#[test]
fn bad_credential_date() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("/20260101/", "/2026010/");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::InvalidCredentialDate {
            date: "2026010".into(),
            amz_date: "20260101T000000Z".into(),
            presigned: false
        }
    );
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(
        s3.message,
        "The authorization header is malformed; incorrect date format \"2026010\". This date in the credential must be in the format \"yyyyMMdd\"."
    );
    assert_eq!(
        error.json_service().message,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '2026010' != '20260101', from '20260101T000000Z'."
    );

    // A real date that is not the request's.
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("/20260101/", "/20251231/");
    let (error, s3) = s3_error(req.s3(T0));
    assert!(
        matches!(&error, AuthError::ScopeMismatch { faults, presigned: false } if matches!(faults.as_slice(), [ScopeFault::Date { .. }]))
    );
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(s3.message, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.");

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query("%2F20260101%2F", "%2F20251231%2F");
    let s3 = req.s3(T0).expect_err("refused").s3();
    assert_eq!(
        (s3.status, s3.code),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(s3.message, "Invalid credential date \"20251231\". This date is not the same as X-Amz-Date: \"20260101\".");
}

#[test]
fn wrong_region() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("/us-east-1/", "/eu-west-1/");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::ScopeMismatch {
            faults: vec![ScopeFault::Region {
                got: "eu-west-1".into(),
                expected: "us-east-1".into()
            }],
            presigned: false
        }
    );
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(s3.message, "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'");
    assert_eq!(s3.extra, vec![("Region", "us-east-1".to_owned())]);

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query("%2Fus-east-1%2F", "%2Fca-central-1%2F");
    let s3 = req.s3(T0).expect_err("refused").s3();
    assert_eq!(
        (s3.status, s3.code),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(s3.message, "Error parsing the X-Amz-Credential parameter; the region 'ca-central-1' is wrong; expecting 'us-east-1'");
    assert_eq!(extra(&s3, "Region").as_deref(), Some("us-east-1"));

    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization("/us-east-1/", "/us-east-2/");
    let (_, json) = json_error(kms.kms(T0));
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));
    assert_eq!(
        json.message,
        "Credential should be scoped to a valid region, not 'us-east-2'. "
    );
}

#[test]
fn wrong_service_and_terminator() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("/s3/", "/ec2/");
    let s3 = req.s3(T0).expect_err("refused").s3();
    assert_eq!((s3.status, s3.code), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(s3.message, "The authorization header is malformed; incorrect service \"ec2\". This endpoint belongs to \"s3\".");

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query("%2Fs3%2F", "%2Fec2%2F");
    let s3 = req.s3(T0).expect_err("refused").s3();
    assert_eq!(s3.message, "Error parsing the X-Amz-Credential parameter; incorrect service \"ec2\". This endpoint belongs to \"s3\".");

    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("aws4_request", "aws4_reques");
    let s3 = req.s3(T0).expect_err("refused").s3();
    assert_eq!(s3.message, "The authorization header is malformed; incorrect terminal \"aws4_reques\". This endpoint uses \"aws4_request\".");

    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization("/kms/", "/sagemaker/");
    let (_, json) = json_error(kms.kms(T0));
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));
    assert_eq!(
        json.message,
        "Credential should be scoped to correct service: 'kms'. "
    );

    // The JSON services name every fault of the scope at once.
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization(KMS_SCOPE, "b/c/d/e");
    let (error, json) = json_error(kms.kms(T0));
    assert!(matches!(&error, AuthError::ScopeMismatch { faults, .. } if faults.len() == 4));
    assert_eq!(
        json.message,
        "Credential should be scoped to a valid region, not 'c'. Credential should be scoped to correct service: 'kms'. \
         Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. \
         Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20260101', from '20260101T000000Z'."
    );
    // S3 names the first.
    assert_eq!(
        error.s3().message,
        "The authorization header is malformed; the region 'c' is wrong; expecting 'us-east-1'"
    );
}

#[test]
fn host_not_signed() {
    // JSON service: the host must be a signed header.
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization(
        "SignedHeaders=content-type;host;",
        "SignedHeaders=content-type;",
    );
    let (error, json) = json_error(kms.kms(T0));
    assert_eq!(error, AuthError::HostNotSigned);
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));
    assert_eq!(
        json.message,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    let s3 = error.s3();
    assert_eq!((s3.status, s3.code), (403, "AccessDenied"));
    assert_eq!(s3.extra, vec![("HeadersNotSigned", "host".to_owned())]);

    // S3: reported with the other unsigned headers.
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("SignedHeaders=host;", "SignedHeaders=");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::HeadersNotSigned {
            headers: vec!["host".into()]
        }
    );
    assert_eq!((s3.status, s3.code), (403, "AccessDenied"));
    assert_eq!(
        s3.message,
        "There were headers present in the request which were not signed"
    );
    assert_eq!(s3.extra, vec![("HeadersNotSigned", "host".to_owned())]);
}

#[test]
fn headers_not_signed() {
    let mut req = s3_request("PUT", "/bucket/key", None, &[], T0);
    req.set("x-amz-meta-color", "red");
    // Unsigned headers that are not x-amz-* are fine, and so is x-amz-content-sha256.
    req.set("user-agent", "lab");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::HeadersNotSigned {
            headers: vec!["x-amz-meta-color".into()]
        }
    );
    assert_eq!(
        s3.extra,
        vec![("HeadersNotSigned", "x-amz-meta-color".to_owned())]
    );
    // The same for a presigned URL.
    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.set("x-amz-meta-size", "1");
    assert_eq!(
        req.s3(T0).expect_err("refused"),
        AuthError::HeadersNotSigned {
            headers: vec!["x-amz-meta-size".into()]
        }
    );
}

#[test]
fn missing_or_invalid_content_sha256() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.remove("x-amz-content-sha256");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(error, AuthError::MissingContentSha256);
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (
            400,
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256"
        )
    );

    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.set("x-amz-content-sha256", &EMPTY_SHA256[1..]);
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::InvalidContentSha256 {
            value: EMPTY_SHA256[1..].to_owned()
        }
    );
    assert_eq!((s3.status, s3.code), (400, "InvalidArgument"));
    assert_eq!(
        s3.message,
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
    );
    assert_eq!(
        s3.extra,
        vec![
            ("ArgumentName", "x-amz-content-sha256".to_owned()),
            ("ArgumentValue", EMPTY_SHA256[1..].to_owned())
        ]
    );
}

#[test]
fn unknown_access_key() {
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization(KEY, "AKIAUNKNOWN");
    let (error, s3) = s3_error(req.s3(T0));
    assert_eq!(
        error,
        AuthError::UnknownAccessKey {
            access_key_id: "AKIAUNKNOWN".into()
        }
    );
    assert_eq!((s3.status, s3.code), (403, "InvalidAccessKeyId"));
    assert_eq!(
        s3.message,
        "The AWS Access Key Id you provided does not exist in our records."
    );
    assert_eq!(s3.extra, vec![("AWSAccessKeyId", "AKIAUNKNOWN".to_owned())]);

    let mut req = s3_presigned("/bucket/key", None, T0, 60);
    req.edit_query(KEY, "AKIAUNKNOWN");
    assert!(matches!(
        req.s3(T0),
        Err(AuthError::UnknownAccessKey { .. })
    ));

    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization(KEY, "AKIAUNKNOWN");
    let (_, json) = json_error(kms.kms(T0));
    assert_eq!(
        (json.status, json.code, json.message.as_str()),
        (
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
}

#[test]
fn signed_header_absent() {
    let mut req = s3_request(
        "PUT",
        "/bucket/key",
        None,
        &[("x-amz-meta-color", "red")],
        T0,
    );
    req.remove("x-amz-meta-color");
    let (error, s3) = s3_error(req.s3(T0));
    let AuthError::SignedHeaderAbsent { name, mismatch } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(name, "x-amz-meta-color");
    assert!(mismatch
        .canonical_request_text()
        .contains("\nx-amz-meta-color:\n"));
    assert_eq!((s3.status, s3.code), (403, "SignatureDoesNotMatch"));
}

#[test]
fn tampered_requests_do_not_match() {
    let original = s3_request(
        "PUT",
        "/bucket/key",
        Some("tagging=a%3Db"),
        &[("x-amz-meta-color", "red")],
        T0,
    );
    let mut header = original.clone();
    header.set("x-amz-meta-color", "blue");
    let mut query = original.clone();
    query.edit_query("a%3Db", "a%3Dc");
    let mut added = original.clone();
    added.query = Some("tagging=a%3Db&versionId=null".into());
    let mut path = original.clone();
    path.path = "/bucket/other".into();
    let mut method = original.clone();
    method.method = "DELETE";
    let mut signature = original.clone();
    signature.edit_authorization("Signature=", "Signature=00");
    for (name, req) in [
        ("header", header),
        ("query", query),
        ("added", added),
        ("path", path),
        ("method", method),
        ("signature", signature),
    ] {
        assert!(
            matches!(req.s3(T0), Err(AuthError::SignatureDoesNotMatch(_))),
            "{name}"
        );
    }

    let mut presigned = s3_presigned("/bucket/key", Some("x-id=GetObject"), T0, 60);
    presigned.edit_query("x-id=GetObject", "x-id=PutObject");
    assert!(matches!(
        presigned.s3(T0),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
    let mut lowercase = s3_presigned("/bucket/key", None, T0, 60);
    lowercase.edit_query("X-Amz-Expires", "x-amz-expires");
    assert!(matches!(
        lowercase.s3(T0),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn signature_mismatch_reports_what_the_server_signed() {
    let mut req = s3_request("GET", "/", Some("prefix=a+b"), &[], T0);
    let authorization = req.authorization();
    let provided = authorization
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_owned();
    req.set("x-amz-date", "20260101T000001Z");
    let (error, s3) = s3_error(req.s3(T0));
    assert!(matches!(error, AuthError::SignatureDoesNotMatch(_)));
    assert_eq!((s3.status, s3.code), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        s3.message,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    let canonical = format!(
        "GET\n/\nprefix=a%20b\nhost:{HOST}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20260101T000001Z\n\nhost;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}"
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n20260101T000001Z\n{SCOPE}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let bytes = |s: &str| {
        s.bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let names: Vec<&str> = s3.extra.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes"
        ]
    );
    assert_eq!(extra(&s3, "AWSAccessKeyId").as_deref(), Some(KEY));
    assert_eq!(extra(&s3, "StringToSign"), Some(string_to_sign.clone()));
    assert_eq!(extra(&s3, "SignatureProvided"), Some(provided));
    assert_eq!(
        extra(&s3, "StringToSignBytes"),
        Some(bytes(&string_to_sign))
    );
    assert_eq!(extra(&s3, "CanonicalRequest"), Some(canonical.clone()));
    assert_eq!(extra(&s3, "CanonicalRequestBytes"), Some(bytes(&canonical)));
    assert!(s3
        .extra
        .iter()
        .any(|(_, v)| v.starts_with("41 57 53 34 2d 48 4d 41 43")));

    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.set("x-amz-target", "TrentService.Decrypt");
    let (_, json) = json_error(kms.kms(T0));
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));
    assert!(json.message.starts_with(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.1\n"
    ));
    assert!(json.message.contains(&format!("'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260101T000000Z\n{KMS_SCOPE}\n")));
    assert!(json.message.ends_with("'\n"));
}

#[test]
fn wrong_secret_does_not_match() {
    let mut headers = header_map(&[("host", HOST)]);
    sign_headers(
        "GET",
        "/bucket/key",
        None,
        &mut headers,
        &PayloadHash::of_bytes(b""),
        &Credentials::new(KEY, "not the secret"),
        "us-east-1",
        "s3",
        UriStyle::S3,
        T0,
    )
    .expect("signable");
    let req = Req {
        method: "GET",
        path: "/bucket/key".into(),
        query: None,
        headers,
        body_hash: String::new(),
    };
    assert!(matches!(
        req.s3(T0),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn request_time_too_skewed() {
    let req = s3_request("GET", "/bucket/key", None, &[], T0);
    let now = T0 + Duration::minutes(25);
    let (error, s3) = s3_error(req.s3(now));
    assert_eq!(
        error,
        AuthError::RequestTimeTooSkewed {
            request_time: T0,
            raw_request_time: "20260101T000000Z".into(),
            server_time: now,
            max_skew: Duration::minutes(15)
        }
    );
    assert_eq!((s3.status, s3.code), (403, "RequestTimeTooSkewed"));
    assert_eq!(
        s3.message,
        "The difference between the request time and the current time is too large."
    );
    assert_eq!(
        s3.extra,
        vec![
            ("RequestTime", "20260101T000000Z".to_owned()),
            ("ServerTime", "2026-01-01T00:25:00Z".to_owned()),
            ("MaxAllowedSkewMilliseconds", "900000".to_owned())
        ]
    );

    let kms = kms_request("TrentService.ListKeys", b"{}", T0);
    let (_, json) = json_error(kms.kms(now));
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));
    assert_eq!(json.message, "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T002500Z - 15 min.)");

    // Dated in the future.
    let future = kms_request(
        "TrentService.ListKeys",
        b"{}",
        datetime!(2026-01-01 00:30:00 UTC),
    );
    let (_, json) = json_error(future.kms(T0));
    assert_eq!(json.message, "Signature not yet current: 20260101T003000Z is still later than 20260101T001500Z (20260101T000000Z + 15 min.)");
    let future = s3_request(
        "GET",
        "/bucket/key",
        None,
        &[],
        datetime!(2026-01-01 00:30:00 UTC),
    );
    let s3 = future.s3(T0).expect_err("refused").s3();
    assert_eq!(
        extra(&s3, "RequestTime").as_deref(),
        Some("20260101T003000Z")
    );
}

#[test]
fn check_order_differs_between_s3_and_json_services() {
    // S3 looks at the key and the signature before the time.
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization("Signature=", "Signature=00");
    assert!(matches!(
        req.s3(T0 + Duration::hours(1)),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
    let mut req = s3_request("GET", "/bucket/key", None, &[], T0);
    req.edit_authorization(KEY, "AKIAUNKNOWN");
    assert!(matches!(
        req.s3(T0 + Duration::hours(1)),
        Err(AuthError::UnknownAccessKey { .. })
    ));
    // The JSON services look at the time first.
    let mut kms = kms_request("TrentService.ListKeys", b"{}", T0);
    kms.edit_authorization(KEY, "AKIAUNKNOWN");
    assert!(matches!(
        kms.kms(T0 + Duration::hours(1)),
        Err(AuthError::RequestTimeTooSkewed { .. })
    ));
    let mut presigned = s3_presigned("/bucket/key", None, T0, 60);
    presigned.edit_query("X-Amz-Signature=", "X-Amz-Signature=00");
    assert!(matches!(
        presigned.s3(T0 + Duration::hours(1)),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn presigned_url_not_yet_valid() {
    let req = s3_presigned("/bucket/key", None, datetime!(2026-01-01 00:15:01 UTC), 60);
    let (error, s3) = s3_error(req.s3(T0));
    assert!(matches!(
        error,
        AuthError::PresignNotYetValid {
            expires_secs: 60,
            ..
        }
    ));
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (403, "AccessDenied", "Request is not yet valid")
    );
    assert_eq!(
        s3.extra,
        vec![
            ("X-Amz-Date", "1767226501000".to_owned()),
            ("Expires", "2026-01-01T00:16:01Z".to_owned()),
            ("ServerTime", "2026-01-01T00:00:00Z".to_owned())
        ]
    );
    assert_eq!(
        error.json_service().message,
        "Signature not yet current: 20260101T001501Z is still later than 20260101T001500Z (20260101T000000Z + 15 min.)"
    );
}

#[test]
fn presigned_url_expired() {
    let req = s3_presigned("/bucket/key", None, T0, 60);
    let now = datetime!(2026-01-01 00:01:01 UTC);
    let (error, s3) = s3_error(req.s3(now));
    assert_eq!(
        error,
        AuthError::PresignExpired {
            request_time: T0,
            expires: "60".into(),
            expires_secs: 60,
            server_time: now
        }
    );
    assert_eq!(
        (s3.status, s3.code, s3.message.as_str()),
        (403, "AccessDenied", "Request has expired")
    );
    assert_eq!(
        s3.extra,
        vec![
            ("X-Amz-Expires", "60".to_owned()),
            ("Expires", "2026-01-01T00:01:00Z".to_owned()),
            ("ServerTime", "2026-01-01T00:01:01Z".to_owned())
        ]
    );
    let json = error.json_service();
    assert_eq!((json.status, json.code), (400, "InvalidSignatureException"));

    // A JSON service checks the URL's lifetime before anything else about its credential.
    let query = presign(
        "POST",
        "/",
        None,
        KMS_HOST,
        &super::creds(),
        "us-east-1",
        "kms",
        T0,
        60,
    );
    let kms = Req {
        query: Some(query.replace(KEY, "AKIAUNKNOWN")),
        ..unsigned("POST", "/", None, &[("host", KMS_HOST)])
    };
    assert!(matches!(
        kms.kms(now),
        Err(AuthError::PresignExpired { .. })
    ));
}

#[test]
fn every_error_has_both_mappings_with_aws_statuses() {
    let mismatch = Box::new(SignatureMismatch {
        access_key_id: KEY.into(),
        canonical_request: b"GET\n/".to_vec(),
        string_to_sign: "AWS4-HMAC-SHA256".into(),
        signature_provided: "00".into(),
    });
    let errors = [
        AuthError::MissingCredentials,
        AuthError::MultipleAuthMechanisms {
            authorization: "a".into(),
        },
        AuthError::SigV2NotSupported,
        AuthError::UnsupportedAuthorizationType {
            authorization: "Bearer x".into(),
        },
        AuthError::UnsupportedAlgorithm {
            algorithm: "x".into(),
        },
        AuthError::IncompleteAuthorization {
            authorization: "a".into(),
            missing: vec!["Credential"],
            missing_date: true,
        },
        AuthError::MalformedAuthorizationComponent {
            authorization: "a".into(),
            component: "b".into(),
        },
        AuthError::MissingQueryParameters {
            missing: vec!["X-Amz-Date"],
        },
        AuthError::DuplicateQueryParameter {
            name: "X-Amz-Date".into(),
        },
        AuthError::InvalidDate {
            value: None,
            presigned: true,
        },
        AuthError::InvalidExpires {
            value: "x".into(),
            problem: ExpiresProblem::NotANumber,
        },
        AuthError::MalformedCredential {
            credential: "a".into(),
            presigned: true,
        },
        AuthError::EmptyAccessKey { presigned: true },
        AuthError::InvalidCredentialDate {
            date: "1".into(),
            amz_date: "20260101T000000Z".into(),
            presigned: true,
        },
        AuthError::ScopeMismatch {
            faults: vec![],
            presigned: false,
        },
        AuthError::HostNotSigned,
        AuthError::HeadersNotSigned {
            headers: vec!["a".into(), "b".into()],
        },
        AuthError::MissingContentSha256,
        AuthError::InvalidContentSha256 { value: "x".into() },
        AuthError::UnknownAccessKey {
            access_key_id: "x".into(),
        },
        AuthError::SignedHeaderAbsent {
            name: "x".into(),
            mismatch: mismatch.clone(),
        },
        AuthError::SignatureDoesNotMatch(mismatch),
        AuthError::RequestTimeTooSkewed {
            request_time: T0,
            raw_request_time: "x".into(),
            server_time: T0,
            max_skew: Duration::minutes(15),
        },
        AuthError::PresignNotYetValid {
            request_time: T0,
            expires_secs: 1,
            server_time: T0,
            max_skew: Duration::minutes(15),
        },
        AuthError::PresignExpired {
            request_time: T0,
            expires: "1".into(),
            expires_secs: 1,
            server_time: T0,
        },
    ];
    for error in &errors {
        let s3 = error.s3();
        assert!(matches!(s3.status, 400 | 403), "{error:?}: {s3:?}");
        assert!(!s3.message.is_empty() && !s3.code.is_empty());
        let json = error.json_service();
        assert_eq!(json.status, 400, "{error:?}");
        assert!(json.extra.is_empty());
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(
        errors[16].s3().extra,
        vec![("HeadersNotSigned", "a, b".to_owned())]
    );
}
