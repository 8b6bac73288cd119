//! URI encoding, the canonical URI and query string, header values and dates.

use time::macros::datetime;

use super::header_map;
use crate::*;

#[test]
fn uri_encode_follows_aws_rules() {
    assert_eq!(uri_encode("AZaz09-._~", true), "AZaz09-._~");
    assert_eq!(uri_encode("a b+c/d", true), "a%20b%2Bc%2Fd");
    assert_eq!(uri_encode("a b+c/d", false), "a%20b%2Bc/d");
    assert_eq!(
        uri_encode("!*'()=&:@$,;?#[]%", true),
        "%21%2A%27%28%29%3D%26%3A%40%24%2C%3B%3F%23%5B%5D%25"
    );
    assert_eq!(uri_encode("ü中", true), "%C3%BC%E4%B8%AD");
}

#[test]
fn s3_canonical_uri_is_the_path_as_received_encoded_once() {
    let cases = [
        ("", "/"),
        ("/", "/"),
        ("/bucket/a%20b/a+b", "/bucket/a%20b/a%2Bb"),
        ("/bucket/%c3%bc/%E4%B8%AD", "/bucket/%C3%BC/%E4%B8%AD"),
        (
            "/bucket/!*'()~=&:@$,;",
            "/bucket/%21%2A%27%28%29~%3D%26%3A%40%24%2C%3B",
        ),
        (
            "/bucket/%21%2A%27%28%29%7E%3D%26%3A",
            "/bucket/%21%2A%27%28%29~%3D%26%3A",
        ),
        ("/bucket/100%25/100%", "/bucket/100%25/100%25"),
        // No normalisation: empty and dot segments stay, an encoded slash stays in its segment.
        ("/bucket//a//b/", "/bucket//a//b/"),
        ("/bucket/./a/../b", "/bucket/./a/../b"),
        ("/bucket/a%2Fb", "/bucket/a%2Fb"),
    ];
    for (raw, canonical) in cases {
        assert_eq!(canonical_uri(raw, UriStyle::S3), canonical, "{raw}");
    }
}

#[test]
fn normalized_canonical_uri_removes_dot_segments_and_encodes_again() {
    let cases = [
        ("", "/"),
        ("/", "/"),
        ("//example//", "/example/"),
        ("/./example", "/example"),
        ("/a/b/../c", "/a/c"),
        ("/a/b/..", "/a/"),
        ("/../..", "/"),
        ("/example space/", "/example%20space/"),
        ("/a%2Fb", "/a%252Fb"),
        ("/100%25", "/100%2525"),
        ("/a/..b/.c", "/a/..b/.c"),
    ];
    for (raw, canonical) in cases {
        assert_eq!(canonical_uri(raw, UriStyle::Normalized), canonical, "{raw}");
    }
}

#[test]
fn canonical_query_sorts_by_encoded_name_then_value() {
    let cases = [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=&A=3", "A=3&a=&a=1&a=2"),
        ("acl&b=", "acl=&b="),
        // A plus in a query string is a space.
        ("a=b+c&d=e%2Bf&g=%20", "a=b%20c&d=e%2Bf&g=%20"),
        // Sorted by name: "-" and "." sort below "=", so text order of the pairs would differ.
        ("k0=4&k.y=3&k-x=2&k=1", "k=1&k-x=2&k.y=3&k0=4"),
        (
            "k=%c3%bc~!*'()&l=a=b&m=a:b/c",
            "k=%C3%BC~%21%2A%27%28%29&l=a%3Db&m=a%3Ab%2Fc",
        ),
        ("x=a.b&x=a%2Fb", "x=a%2Fb&x=a.b"),
        ("a=10&a=9", "a=10&a=9"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("p=100%", "p=100%25"),
    ];
    for (raw, canonical) in cases {
        assert_eq!(canonical_query(raw), canonical, "{raw}");
    }
}

#[test]
fn header_values_are_trimmed_and_joined() {
    let headers = header_map(&[
        ("host", "h"),
        ("x-amz-meta-s", "  a   b \t c  "),
        ("x-multi", "one"),
        ("x-multi", " two, three "),
    ]);
    let canonical = canonical_request(
        "GET",
        "/",
        None,
        &headers,
        &["host", "x-amz-meta-s", "x-multi"],
        EMPTY_SHA256,
        UriStyle::S3,
    );
    assert_eq!(
        canonical,
        format!("GET\n/\n\nhost:h\nx-amz-meta-s:a b c\nx-multi:one,two, three\n\nhost;x-amz-meta-s;x-multi\n{EMPTY_SHA256}")
    );
}

#[test]
fn amz_dates_read_and_write() {
    let t = datetime!(2013-05-24 01:02:03 UTC);
    assert_eq!(format_amz_date(t), "20130524T010203Z");
    assert_eq!(
        format_amz_date(datetime!(2013-05-24 03:02:03 +02:00)),
        "20130524T010203Z"
    );
    assert_eq!(parse_amz_date("20130524T010203Z"), Some(t));
    for bad in [
        "2013-05-24T01:02:03Z",
        "20130524T010203",
        "20131324T010203Z",
        "20130230T000000Z",
        "20130524T250000Z",
        "2013052xT010203Z",
        "",
        "２０１３0524T010203Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
    assert_eq!(
        crate::canonical::parse_http_date("Fri, 24 May 2013 01:02:03 GMT"),
        Some(t)
    );
    assert_eq!(
        crate::canonical::parse_http_date("Fri, 24 May 2013 01:02:03"),
        None
    );
    assert_eq!(crate::canonical::format_iso(t), "2013-05-24T01:02:03Z");
}

#[test]
fn payload_hash_literals() {
    for (value, parsed) in [
        ("UNSIGNED-PAYLOAD", PayloadHash::Unsigned),
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            PayloadHash::StreamingSigned,
        ),
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            PayloadHash::StreamingSignedTrailer,
        ),
        (
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            PayloadHash::StreamingUnsignedTrailer,
        ),
        (
            EMPTY_SHA256,
            PayloadHash::Sha256Hex(EMPTY_SHA256.to_owned()),
        ),
    ] {
        assert_eq!(PayloadHash::parse(value), Some(parsed.clone()));
        assert_eq!(parsed.as_str(), value);
        assert_eq!(parsed.to_string(), value);
    }
    assert_eq!(PayloadHash::parse(&EMPTY_SHA256[1..]), None);
    assert_eq!(
        PayloadHash::parse("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
        None
    );
    assert_eq!(
        PayloadHash::of_bytes(b""),
        PayloadHash::Sha256Hex(EMPTY_SHA256.to_owned())
    );
    assert!(PayloadHash::StreamingUnsignedTrailer.is_streaming());
    assert!(!PayloadHash::StreamingUnsignedTrailer.has_chunk_signatures());
    assert!(!PayloadHash::Unsigned.is_streaming());
}
