//! AWS's Signature Version 4 test suite (`aws-sig-v4-test-suite`): credentials `AKIDEXAMPLE`, service
//! `service`, region `us-east-1`, 2015-08-30T12:36:00Z. Each vector checks the canonical request,
//! the string to sign (with the suite's published canonical-request hash where it is known), the
//! signature and the Authorization header, and then that the verifier accepts the signed request.

use time::macros::datetime;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::header_map;
use crate::*;

const AKID: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TIME: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);
const DATE_LINE: &str = "x-amz-date:20150830T123600Z";
const BASIC: &str = "host;x-amz-date";

struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    /// Besides `host` and `x-amz-date`; a name given twice is sent twice.
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    canonical: String,
    /// The hash of the canonical request as the suite's `.sts` file has it.
    canonical_hash: Option<&'static str>,
    signed_headers: &'static str,
    signature: &'static str,
}

/// The canonical request of a bodiless GET whose only headers are `host` and `x-amz-date`.
fn vanilla(uri: &str, query: &str) -> String {
    format!(
        "GET\n{uri}\n{query}\nhost:example.amazonaws.com\n{DATE_LINE}\n\n{BASIC}\n{EMPTY_SHA256}"
    )
}

fn check(v: &Vector) {
    let mut headers = header_map(&[("host", "example.amazonaws.com")]);
    for (name, value) in v.headers {
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            http::HeaderValue::from_str(value).expect("value"),
        );
    }
    let payload = PayloadHash::of_bytes(v.body);
    let creds = Credentials::new(AKID, SUITE_SECRET);
    let info = sign_headers(
        v.method,
        v.path,
        v.query,
        &mut headers,
        &payload,
        &creds,
        "us-east-1",
        "service",
        UriStyle::Normalized,
        TIME,
    )
    .expect("signable");

    assert_eq!(
        info.canonical_request, v.canonical,
        "{}: canonical request",
        v.name
    );
    let hash = sha256_hex(v.canonical.as_bytes());
    if let Some(published) = v.canonical_hash {
        assert_eq!(hash, published, "{}: canonical request hash", v.name);
    }
    let sts = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{hash}"
    );
    assert_eq!(info.string_to_sign, sts, "{}: string to sign", v.name);
    assert_eq!(info.signature, v.signature, "{}: signature", v.name);
    assert_eq!(
        info.authorization,
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            v.signed_headers, v.signature
        ),
        "{}: Authorization",
        v.name
    );

    // The public helpers say the same.
    let signed: Vec<&str> = v.signed_headers.split(';').collect();
    let canonical = canonical_request(
        v.method,
        v.path,
        v.query,
        &headers,
        &signed,
        payload.as_str(),
        UriStyle::Normalized,
    );
    assert_eq!(canonical, v.canonical, "{}: canonical_request()", v.name);
    assert_eq!(
        string_to_sign(
            TIME,
            &CredentialScope::new(TIME, "us-east-1", "service"),
            &canonical
        ),
        sts
    );
    let key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "service");
    assert_eq!(
        sign_string(&key, &sts),
        v.signature,
        "{}: sign_string()",
        v.name
    );

    // And a server for the service accepts the request.
    let lookup = |id: &str| (id == AKID).then(|| Zeroizing::new(SUITE_SECRET.to_owned()));
    let parts = RequestParts {
        method: v.method,
        raw_path: v.path,
        raw_query: v.query,
        headers: &headers,
    };
    let opts = VerifyOptions::new("service", "us-east-1", UriStyle::Normalized, TIME);
    let verified = verify(
        &parts,
        PayloadSource::Computed(payload.as_str()),
        &lookup,
        &opts,
    )
    .unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
    assert_eq!(verified.signature, v.signature);
    assert_eq!(verified.signed_headers.join(";"), v.signed_headers);
}

fn simple(
    name: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    canonical: String,
    signature: &'static str,
) -> Vector {
    Vector {
        name,
        method: "GET",
        path,
        query,
        headers: &[],
        body: b"",
        canonical,
        canonical_hash: None,
        signed_headers: BASIC,
        signature,
    }
}

#[test]
fn get_vanilla() {
    check(&Vector {
        canonical_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        ..simple(
            "get-vanilla",
            "/",
            None,
            vanilla("/", ""),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
    });
}

#[test]
fn get_vanilla_query_order_key_case() {
    check(&Vector {
        canonical_hash: Some("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
        ..simple(
            "get-vanilla-query-order-key-case",
            "/",
            Some("Param2=value2&Param1=value1"),
            vanilla("/", "Param1=value1&Param2=value2"),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        )
    });
}

#[test]
fn get_vanilla_query_order_value() {
    check(&simple(
        "get-vanilla-query-order-value",
        "/",
        Some("Param1=value2&Param1=value1"),
        vanilla("/", "Param1=value1&Param1=value2"),
        "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
    ));
}

#[test]
fn get_vanilla_empty_query_key() {
    check(&Vector {
        canonical_hash: Some("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"),
        ..simple(
            "get-vanilla-empty-query-key",
            "/",
            Some("Param1=value1"),
            vanilla("/", "Param1=value1"),
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
        )
    });
}

#[test]
fn get_vanilla_query_unreserved() {
    const UNRESERVED: &str = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    check(&Vector {
        canonical_hash: Some("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
        ..simple(
            "get-vanilla-query-unreserved",
            "/",
            Some("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            vanilla("/", &format!("{UNRESERVED}={UNRESERVED}")),
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        )
    });
}

#[test]
fn get_vanilla_utf8_query() {
    // On the wire the parameter name arrives percent-encoded.
    check(&Vector {
        canonical_hash: Some("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
        ..simple(
            "get-vanilla-utf8-query",
            "/",
            Some("%E1%88%B4=bar"),
            vanilla("/", "%E1%88%B4=bar"),
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        )
    });
}

#[test]
fn get_utf8() {
    // The suite's request line carries the raw UTF-8, which a non-S3 service encodes once.
    check(&Vector {
        canonical_hash: Some("2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102"),
        ..simple(
            "get-utf8",
            "/\u{1234}",
            None,
            vanilla("/%E1%88%B4", ""),
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        )
    });
}

#[test]
fn get_unreserved() {
    check(&simple(
        "get-unreserved",
        "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        None,
        vanilla(
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "",
        ),
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    ));
}

#[test]
fn get_slashes_normalized() {
    check(&simple(
        "get-slashes",
        "//example//",
        None,
        vanilla("/example/", ""),
        "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    ));
}

#[test]
fn get_relative_and_dot_segments_normalize_to_vanilla() {
    // get-relative, get-relative-relative and get-slash-dot-slash all normalise to "/", so they share
    // get-vanilla's canonical request and signature.
    for (name, path) in [
        ("get-relative", "/example/.."),
        ("get-relative-relative", "/example1/example2/../.."),
        ("get-slash-dot-slash", "/./"),
        ("get-slash", "//"),
    ] {
        check(&simple(
            name,
            path,
            None,
            vanilla("/", ""),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ));
    }
}

#[test]
fn get_header_value_order() {
    check(&Vector {
        headers: &[("my-header1", "value4"), ("my-header1", "value1"), ("my-header1", "value3"), ("my-header1", "value2")],
        canonical: format!(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n{DATE_LINE}\n\nhost;my-header1;x-amz-date\n{EMPTY_SHA256}"
        ),
        signed_headers: "host;my-header1;x-amz-date",
        ..simple("get-header-value-order", "/", None, String::new(), "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01")
    });
}

#[test]
fn get_header_key_duplicate() {
    check(&Vector {
        headers: &[("my-header1", "value2"), ("my-header1", "value2"), ("my-header1", "value1")],
        canonical: format!(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n{DATE_LINE}\n\nhost;my-header1;x-amz-date\n{EMPTY_SHA256}"
        ),
        signed_headers: "host;my-header1;x-amz-date",
        ..simple("get-header-key-duplicate", "/", None, String::new(), "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea")
    });
}

#[test]
fn get_header_value_trim() {
    check(&Vector {
        headers: &[("my-header1", " value1"), ("my-header2", "\"a   b   c\"")],
        canonical: format!(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n{DATE_LINE}\n\nhost;my-header1;my-header2;x-amz-date\n{EMPTY_SHA256}"
        ),
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        ..simple("get-header-value-trim", "/", None, String::new(), "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")
    });
}

#[test]
fn post_x_www_form_urlencoded() {
    check(&Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: None,
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        body: b"Param1=value1",
        canonical: format!(
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n{DATE_LINE}\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        ),
        canonical_hash: Some("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"),
        signed_headers: "content-type;host;x-amz-date",
        signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    });
}

#[test]
fn get_vanilla_with_session_token() {
    const TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    check(&Vector {
        headers: &[("x-amz-security-token", TOKEN)],
        canonical: format!(
            "GET\n/\n\nhost:example.amazonaws.com\n{DATE_LINE}\nx-amz-security-token:{TOKEN}\n\nhost;x-amz-date;x-amz-security-token\n{EMPTY_SHA256}"
        ),
        signed_headers: "host;x-amz-date;x-amz-security-token",
        ..simple(
            "get-vanilla-with-session-token",
            "/",
            None,
            String::new(),
            "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        )
    });
}

#[test]
fn signing_key_derivation_matches_aws_example() {
    // AWS's "derive a signing key" example: iam, us-east-1, 20120215.
    let key = signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "20120215",
        "us-east-1",
        "iam",
    );
    assert_eq!(
        hex::encode(key.as_bytes()),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
    assert_eq!(format!("{key:?}"), "SigningKey(..)");
}
