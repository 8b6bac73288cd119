//! Every refusal, with S3's status, code and message, and the malformed bodies AWS still accepts.
//! The cases mirror what OpenStack Swift's s3api tests observed on AWS.

mod common;

use common::*;
use s3lab_payload::{
    parse_expected, strip_aws_chunked, BodyPipeline, ChecksumAlgorithm, ChunkedDecoder,
    ChunkedMode, PayloadError,
};
use s3lab_sigv4::{sha256_hex, PayloadHash, EMPTY_SHA256};

use ChecksumAlgorithm::*;

const BODY: &[u8] = b"0123456789abcdef0123456789ABCDEF"; // 32 bytes

const TERMINATED: (u16, &str, &str) = (
    400,
    "IncompleteBody",
    "The request body terminated unexpectedly",
);
const MALFORMED_TRAILER: (u16, &str, &str) = (
    400,
    "MalformedTrailerError",
    "The request contained trailing data that was not well-formed or did not conform to our published schema.",
);
const MULTIPLE: (u16, &str, &str) = (
    400,
    "InvalidRequest",
    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
);
const SIGNATURE: (u16, &str, &str) = (
    403,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
);

fn s3(err: &PayloadError) -> (u16, &'static str, String) {
    err.s3()
}

fn assert_refusal(got: (u16, &'static str, String), want: (u16, &str, &str)) {
    assert_eq!((got.0, got.1, got.2.as_str()), want);
}

fn header_error(pairs: &[(&str, &str)]) -> PayloadError {
    BodyPipeline::new(&headers(pairs), None, false).expect_err("refused before the body")
}

/// Headers of a plain PUT of BODY signed with its SHA-256.
fn plain(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("x-amz-content-sha256".to_owned(), sha256_hex(BODY)),
        ("content-length".to_owned(), BODY.len().to_string()),
    ];
    pairs.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    pairs
}

fn map(pairs: &[(String, String)]) -> http::HeaderMap {
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    headers(&borrowed)
}

fn signed_plain() -> s3lab_sigv4::Verified {
    verified(PayloadHash::Sha256Hex(sha256_hex(BODY)), SEED)
}

fn unsigned_headers(extra: &[(&str, &str)]) -> http::HeaderMap {
    let len = BODY.len().to_string();
    let mut pairs = vec![
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", len.as_str()),
    ];
    pairs.extend_from_slice(extra);
    headers(&pairs)
}

fn chunked(parts: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        body.extend_from_slice(part);
        body.extend_from_slice(b"\r\n");
    }
    body
}

// ---- Content-MD5 ----

#[test]
fn content_md5_invalid() {
    for value in [
        "invalid",
        "AAAAAAAAAAAAAAAAAAAA",
        "1B2M2Y8AsgTpgAmY7PhCfg",
        "&&&&",
    ] {
        let err = header_error(&[("content-md5", value)]);
        assert_refusal(
            s3(&err),
            (
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was invalid.",
            ),
        );
        assert_eq!(err.s3_extra(), vec![("Content-MD5", value.to_owned())]);
    }
    // 16 bytes is fine.
    let expected = parse_expected(&headers(&[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")]))
        .expect("valid Content-MD5");
    assert_eq!(
        expected.content_md5.map(hex::encode).as_deref(),
        Some("d41d8cd98f00b204e9800998ecf8427e")
    );
}

#[test]
fn content_md5_mismatch() {
    let pairs = plain(&[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")]);
    let err = run(
        &map(&pairs),
        Some(&signed_plain()),
        false,
        BODY,
        Split::Whole,
    )
    .expect_err("md5 of the empty string");
    assert_refusal(
        s3(&err),
        (
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        ),
    );
    let extra = err.s3_extra();
    assert_eq!(
        extra[0],
        (
            "ExpectedDigest",
            "d41d8cd98f00b204e9800998ecf8427e".to_owned()
        )
    );
    assert_eq!(extra[1].0, "CalculatedDigest");

    // The right one passes, also through aws-chunked (the MD5 is of the decoded bytes).
    let md5 = {
        use base64::Engine as _;
        use md5::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(BODY))
    };
    let pairs = plain(&[("content-md5", &md5)]);
    run(
        &map(&pairs),
        Some(&signed_plain()),
        false,
        BODY,
        Split::Whole,
    )
    .expect("right MD5");
    let headers = unsigned_headers(&[("content-md5", &md5)]);
    let (object, digest) = run(
        &headers,
        None,
        false,
        &unsigned_body(&[BODY], &[]),
        Split::Every(3),
    )
    .expect("chunked body with Content-MD5");
    assert_eq!(object, BODY);
    assert!(digest.md5.is_some());
}

// ---- flexible checksums in headers ----

#[test]
fn checksum_header_mismatch_for_every_algorithm() {
    for alg in ChecksumAlgorithm::ALL {
        let wrong = alg.checksum_of(b"not the body");
        let pairs = plain(&[(alg.header_name(), &wrong)]);
        let err = run(
            &map(&pairs),
            Some(&signed_plain()),
            false,
            BODY,
            Split::Whole,
        )
        .expect_err("wrong checksum");
        let message = format!(
            "The {} you specified did not match the calculated checksum.",
            alg.name()
        );
        assert_refusal(s3(&err), (400, "BadDigest", &message));
        assert!(err.s3_extra().is_empty(), "AWS names neither value");

        let right = alg.checksum_of(BODY);
        let pairs = plain(&[
            (alg.header_name(), &right),
            ("x-amz-sdk-checksum-algorithm", alg.name()),
        ]);
        let (_, digest) = run(
            &map(&pairs),
            Some(&signed_plain()),
            false,
            BODY,
            Split::Every(5),
        )
        .expect("right");
        assert_eq!(digest.checksums, vec![(alg, right)]);
    }
}

#[test]
fn checksum_header_invalid_value() {
    for alg in ChecksumAlgorithm::ALL {
        for bad in ["bad", "y/Q5Jh==", "rosUhgp5mIh=", "^^^^^^==", ""] {
            let err = header_error(&[(alg.header_name(), bad)]);
            let message = format!("Value for {} header is invalid.", alg.header_name());
            assert_refusal(s3(&err), (400, "InvalidRequest", &message));
        }
    }
}

#[test]
fn more_than_one_checksum() {
    let crc32 = Crc32.checksum_of(BODY);
    let sha1 = Sha1.checksum_of(BODY);
    // Two headers.
    let err = header_error(&[
        ("x-amz-checksum-crc32", &crc32),
        ("x-amz-checksum-sha1", &sha1),
    ]);
    assert_refusal(s3(&err), MULTIPLE);
    // Repeats beat an algorithm mismatch.
    let err = header_error(&[
        ("x-amz-sdk-checksum-algorithm", "sha256"),
        ("x-amz-checksum-crc32", &crc32),
        ("x-amz-checksum-crc32c", &crc32),
    ]);
    assert_refusal(s3(&err), MULTIPLE);
    // Two trailers, and a repeated one.
    for trailer in [
        "x-amz-checksum-crc32, x-amz-checksum-sha256",
        "x-amz-checksum-crc32, x-amz-checksum-crc32",
    ] {
        let err = header_error(&[("x-amz-trailer", trailer)]);
        assert_refusal(s3(&err), MULTIPLE);
    }
    // A header and two trailers: the long form.
    let err = header_error(&[
        ("x-amz-checksum-crc32", &crc32),
        (
            "x-amz-trailer",
            "x-amz-checksum-crc32, x-amz-checksum-crc32c",
        ),
    ]);
    assert_refusal(s3(&err), MULTIPLE);
    // Two headers and a trailer: the long form too.
    let err = header_error(&[
        ("x-amz-checksum-crc32", &crc32),
        ("x-amz-checksum-sha256", &sha1),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ]);
    assert_refusal(s3(&err), MULTIPLE);
    // One header and one trailer, same or different: the short form.
    for trailer in ["x-amz-checksum-crc32", "x-amz-checksum-crc32c"] {
        let err = header_error(&[
            ("x-amz-sdk-checksum-algorithm", "crc32"),
            ("x-amz-checksum-crc32", &crc32),
            ("x-amz-trailer", trailer),
        ]);
        assert_refusal(
            s3(&err),
            (
                400,
                "InvalidRequest",
                "Expecting a single x-amz-checksum- header",
            ),
        );
    }
}

#[test]
fn sdk_checksum_algorithm_must_name_the_checksum_sent() {
    let crc32 = Crc32.checksum_of(BODY);
    for algo in ["CRC32C", "sha256", "INVALIDALGO", "md5"] {
        let err = header_error(&[
            ("x-amz-sdk-checksum-algorithm", algo),
            ("x-amz-checksum-crc32", &crc32),
        ]);
        assert_refusal(
            s3(&err),
            (
                400,
                "InvalidRequest",
                "Value for x-amz-sdk-checksum-algorithm header is invalid.",
            ),
        );
    }
    // Against the trailer too.
    let err = header_error(&[
        ("x-amz-sdk-checksum-algorithm", "sha256"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ]);
    assert_eq!(s3(&err).1, "InvalidRequest");
    // Announced but absent.
    for algo in ["CRC32", "INVALIDALGO"] {
        let err = header_error(&[("x-amz-sdk-checksum-algorithm", algo)]);
        assert_refusal(
            s3(&err),
            (
                400,
                "InvalidRequest",
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
            ),
        );
    }
    // Any case matches.
    for algo in ["crc32", "CRC32", "Crc32"] {
        let expected = parse_expected(&headers(&[
            ("x-amz-sdk-checksum-algorithm", algo),
            ("x-amz-checksum-crc32", &crc32),
        ]))
        .expect("matching algorithm");
        assert_eq!(expected.sdk_algorithm, Some(Crc32));
    }
}

#[test]
fn unknown_checksum_header_and_tolerated_ones() {
    let err = header_error(&[("x-amz-checksum-bad", "y/Q5Jg==")]);
    assert_refusal(
        s3(&err),
        (
            400,
            "InvalidRequest",
            "The algorithm type you specified in x-amz-checksum- header is invalid.",
        ),
    );
    assert!(matches!(err, PayloadError::UnknownChecksumHeader { .. }));
    // Tolerated on a PUT.
    let crc32 = Crc32.checksum_of(BODY);
    let pairs = plain(&[
        ("x-amz-checksum-crc32", &crc32),
        ("x-amz-checksum-type", "COMPOSITE"),
        ("x-amz-checksum-algorithm", "crc32"),
        ("x-amz-checksum-mode", "ENABLED"),
    ]);
    run(
        &map(&pairs),
        Some(&signed_plain()),
        false,
        BODY,
        Split::Whole,
    )
    .expect("tolerated");
}

#[test]
fn x_amz_trailer_list_syntax() {
    let unsupported = (
        400,
        "InvalidRequest",
        "The value specified in the x-amz-trailer header is not supported",
    );
    for value in [
        ", x-amz-checksum-crc32, ,",
        ", x-amz-checksum-crc32",
        ",x-amz-checksum-crc32",
        "x-amz-checksum-crc32, ,",
        "x-amz-checksum-bad",
        "x-amz-content-sha256",
        "content-md5",
        "foo",
        "x-amz-checksum-crc32, x-amz-foo",
    ] {
        let err = header_error(&[("x-amz-trailer", value)]);
        assert_refusal(s3(&err), unsupported);
    }
    // Trailing commas and spaces are forgiven.
    let crc = Crc32.checksum_of(BODY);
    let wire = unsigned_body(&[BODY], &[("x-amz-checksum-crc32", &crc)]);
    for value in [
        "x-amz-checksum-crc32",
        "x-amz-checksum-crc32,",
        "x-amz-checksum-crc32,,",
        "x-amz-checksum-crc32, ",
    ] {
        let headers = unsigned_headers(&[("x-amz-trailer", value)]);
        run(&headers, None, false, &wire, Split::Whole).expect(value);
    }
}

// ---- aws-chunked framing ----

#[test]
fn broken_framing_is_incomplete_body() {
    let headers = unsigned_headers(&[]);
    let good = unsigned_body(&[BODY], &[]);
    let lf_only: Vec<u8> = String::from_utf8_lossy(&good)
        .replace("\r\n", "\n")
        .into_bytes();
    let cr_only: Vec<u8> = String::from_utf8_lossy(&good)
        .replace("\r\n", "\r")
        .into_bytes();
    let mut truncated = b"2000\r\n".to_vec();
    truncated.extend_from_slice(&[b'A'; 8191]);
    let mut data_then_zero = b"20\r\n".to_vec();
    data_then_zero.extend_from_slice(BODY);
    data_then_zero.extend_from_slice(b"0\r\n");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not encoded at all", BODY.to_vec()),
        ("LF without CR", lf_only),
        ("CR without LF", cr_only),
        ("truncated mid-chunk", truncated),
        ("no final chunk", chunked(&[BODY])),
        ("data not followed by CRLF", data_then_zero),
        ("final LF missing", good[..good.len() - 1].to_vec()),
        ("size not hex", b"zz\r\nabc\r\n0\r\n\r\n".to_vec()),
        ("empty size", b"\r\n0\r\n\r\n".to_vec()),
        ("negative size", b"-20\r\nabc\r\n0\r\n\r\n".to_vec()),
        ("0x prefix", b"0x20\r\nabc\r\n0\r\n\r\n".to_vec()),
        ("size beyond u64", b"100000000000000000\r\n".to_vec()),
        ("empty body", Vec::new()),
    ];
    for (what, wire) in cases {
        // The truncated chunk announces 8192 bytes, and so does its request.
        let headers = if what.starts_with("truncated") {
            headers_with_len(8192)
        } else {
            headers.clone()
        };
        for split in [Split::Whole, Split::ByteAtATime] {
            match run(&headers, None, false, &wire, split) {
                Ok(_) => panic!("{what}: accepted"),
                Err(err) => {
                    assert_eq!(s3(&err).2, TERMINATED.2, "{what}");
                    assert!(err.s3_extra().is_empty(), "{what}");
                }
            }
        }
    }
}

#[test]
fn accepted_oddities() {
    let headers = unsigned_headers(&[]);
    let good = unsigned_body(&[BODY], &[]);
    // Without trailers, the final CRLF may be left out.
    let (object, _) = run(
        &headers,
        None,
        false,
        &good[..good.len() - 2],
        Split::ByteAtATime,
    )
    .expect("no CRLF");
    assert_eq!(object, BODY);
    // Whatever follows the end is ignored.
    let mut junk = good.clone();
    junk.extend_from_slice(b"\xff\xde\xad\xbe\xef garbage");
    run(&headers, None, false, &junk, Split::Every(3)).expect("junk after the end");
    // Spaces around the size and an unexpected parameter on an unsigned chunk.
    let mut spaced = b" 20 ;chunk-signature=whatever\r\n".to_vec();
    spaced.extend_from_slice(BODY);
    spaced.extend_from_slice(b"\r\n0\r\n\r\n");
    run(&headers, None, false, &spaced, Split::Whole).expect("spaced size");
    // Upper-case hex.
    let mut upper = b"2A\r\n".to_vec();
    upper.extend_from_slice(&[b'x'; 42]);
    upper.extend_from_slice(b"\r\n0\r\n\r\n");
    let h42 = headers_with_len(42);
    run(&h42, None, false, &upper, Split::Whole).expect("upper-case hex");
    // No Content-Encoding: decided by x-amz-content-sha256 alone.
    let bare = common::headers(&[
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-decoded-content-length", "32"),
    ]);
    let (object, _) = run(&bare, None, false, &good, Split::Whole).expect("no Content-Encoding");
    assert_eq!(object, BODY);
}

fn headers_with_len(n: usize) -> http::HeaderMap {
    common::headers(&[
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-decoded-content-length", &n.to_string()),
    ])
}

#[test]
fn decoded_length_mismatch() {
    let want = |expected: u64, provided: u64| {
        vec![
            ("NumberBytesExpected", expected.to_string()),
            ("NumberBytesProvided", provided.to_string()),
        ]
    };
    let message = (
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    );
    let headers = unsigned_headers(&[]);
    // Too many bytes: refused at the chunk's size line.
    let double = [BODY, BODY].concat();
    let err = run(
        &headers,
        None,
        false,
        &unsigned_body(&[&double], &[]),
        Split::Whole,
    )
    .expect_err("64 bytes for 32");
    assert_refusal(s3(&err), message);
    assert_eq!(err.s3_extra(), want(32, 64));
    // A final chunk in the middle: what follows is ignored, 4 bytes is too few.
    let mut mid = chunked(&[&BODY[..4], b""]);
    mid.extend_from_slice(&chunked(&[&BODY[4..], b""]));
    let err =
        run(&headers, None, false, &mid, Split::ByteAtATime).expect_err("zero chunk mid-stream");
    assert_refusal(s3(&err), message);
    assert_eq!(err.s3_extra(), want(32, 4));
    // A well-formed body that is simply shorter.
    let err = run(
        &headers,
        None,
        false,
        &unsigned_body(&[&BODY[..31]], &[]),
        Split::Whole,
    )
    .expect_err("31 bytes");
    assert_eq!(err.s3_extra(), want(32, 31));
    // An ordinary body shorter than Content-Length.
    let pairs = vec![
        (
            "x-amz-content-sha256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        ),
        ("content-length".to_owned(), "40".to_owned()),
    ];
    let err = run(&map(&pairs), None, false, BODY, Split::Whole).expect_err("short body");
    assert_refusal(s3(&err), message);
    assert_eq!(err.s3_extra(), want(40, 32));
    // Bytes past Content-Length are not part of the body (AWS ignores them).
    let pairs = vec![
        (
            "x-amz-checksum-crc32".to_owned(),
            Crc32.checksum_of(&BODY[..10]),
        ),
        ("content-length".to_owned(), "10".to_owned()),
    ];
    let (object, _) = run(&map(&pairs), None, false, BODY, Split::Every(3)).expect("extra bytes");
    assert_eq!(object, &BODY[..10]);
}

#[test]
fn missing_or_invalid_decoded_content_length() {
    for value in [None, Some("not an int"), Some(""), Some("1.5")] {
        let mut pairs = vec![
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("content-encoding", "aws-chunked"),
        ];
        if let Some(v) = value {
            pairs.push(("x-amz-decoded-content-length", v));
        }
        let err = header_error(&pairs);
        assert_refusal(
            s3(&err),
            (
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            ),
        );
    }
    let err = header_error(&[
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-decoded-content-length", "-5"),
    ]);
    assert_eq!(s3(&err).1, "InvalidArgument");
    // The signed variants need it as well.
    let v = verified(PayloadHash::StreamingSigned, SEED);
    let err = BodyPipeline::new(
        &headers(&[("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")]),
        Some(&v),
        false,
    )
    .expect_err("no decoded length");
    assert_eq!(err, PayloadError::MissingDecodedContentLength);
}

#[test]
fn chunks_smaller_than_8_kib_except_the_last() {
    let v = verified(PayloadHash::StreamingSigned, SEED);
    let (a, b, c) = (vec![b'x'; 1024], vec![b'y'; 4096], vec![b'z'; 3072]);
    let wire = signed_body(&v, &[&a, &b, &c], None);
    let headers = headers(&[
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("x-amz-decoded-content-length", "9216"),
    ]);
    let err = run(&headers, Some(&v), false, &wire, Split::Random(5)).expect_err("small chunks");
    assert_refusal(
        s3(&err),
        (
            403,
            "InvalidChunkSizeError",
            "Only the last chunk is allowed to have a size less than 8192 bytes",
        ),
    );
    // AWS names the chunk after the small one, and the small one's size.
    assert_eq!(
        err.s3_extra(),
        vec![
            ("Chunk", "2".to_owned()),
            ("BadChunkSize", "1024".to_owned())
        ]
    );
    // Unsigned bodies too.
    let headers = unsigned_headers(&[]);
    let wire = unsigned_body(&[&BODY[..16], &BODY[16..]], &[]);
    let err = run(&headers, None, false, &wire, Split::Whole).expect_err("unsigned small chunks");
    assert_eq!(err, PayloadError::ChunkTooSmall { chunk: 2, size: 16 });
    // Ragged sizes of at least 8 KiB are fine, and so is a short last one.
    let (x, y, z) = (
        vec![1u8; 15 * 1024],
        vec![2u8; 8 * 1024],
        vec![3u8; 16 * 1024],
    );
    let wire = signed_body(&v, &[&x, &y, &z, b"tail"], None);
    let headers = common::headers(&[
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("x-amz-decoded-content-length", &(39 * 1024 + 4).to_string()),
    ]);
    run(&headers, Some(&v), false, &wire, Split::Random(6)).expect("ragged chunks");
}

// ---- signed chunks ----

fn signed_headers(len: usize) -> http::HeaderMap {
    common::headers(&[
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", &len.to_string()),
    ])
}

#[test]
fn signed_chunk_faults() {
    let v = verified(PayloadHash::StreamingSigned, SEED);
    let headers = signed_headers(BODY.len());
    let good = signed_body(&v, &[BODY], None);
    let text = String::from_utf8_lossy(&good).into_owned();
    run(&headers, Some(&v), false, &good, Split::ByteAtATime).expect("good");

    // No signatures, or an empty one: IncompleteBody.
    assert_refusal(
        refusal(&headers, Some(&v), &unsigned_body(&[BODY], &[])),
        TERMINATED,
    );
    let blank = format!(
        "20;chunk-signature=\r\n{}\r\n0;chunk-signature=\r\n\r\n",
        String::from_utf8_lossy(BODY)
    );
    assert_refusal(refusal(&headers, Some(&v), blank.as_bytes()), TERMINATED);
    // A parameter after the signature: IncompleteBody.
    let after = text.replacen("\r\n", ";extra=param\r\n", 1);
    assert_refusal(refusal(&headers, Some(&v), after.as_bytes()), TERMINATED);
    // A parameter before it, an invalid or a wrong signature: SignatureDoesNotMatch.
    let before = text.replacen("20;", "20;extra=param;", 1);
    let zeros = "0".repeat(64);
    let first_sig = &text[text.find('=').map_or(0, |i| i + 1)..][..64];
    let invalid = text.replacen(first_sig, "invalid", 1);
    let wrong = text.replacen(first_sig, &zeros, 1);
    for wire in [before, invalid, wrong] {
        assert_refusal(refusal(&headers, Some(&v), wire.as_bytes()), SIGNATURE);
    }
    // The final chunk's signature is checked too.
    let last_sig = &text[text.rfind('=').map_or(0, |i| i + 1)..][..64];
    let wire = text.replacen(last_sig, &zeros, 1);
    let err = run(&headers, Some(&v), false, wire.as_bytes(), Split::Whole).expect_err("last");
    let sts = &err.s3_extra()[1].1;
    assert!(
        sts.ends_with(&format!("\n{EMPTY_SHA256}\n{EMPTY_SHA256}")),
        "{sts}"
    );
    // Spaces around the parameter are fine, and upper-case hex signatures too.
    let spaced = text.replace(";chunk-signature=", " ; chunk-signature = ");
    run(&headers, Some(&v), false, spaced.as_bytes(), Split::Whole).expect("spaced");
    let upper = text.replacen(first_sig, &first_sig.to_ascii_uppercase(), 1);
    run(&headers, Some(&v), false, upper.as_bytes(), Split::Whole).expect("upper-case signature");
    // Without a signing key, a signed body cannot be checked.
    let mut decoder = ChunkedDecoder::new(ChunkedMode::Signed, None, None);
    let err = decoder.feed(&good, &mut Vec::new()).expect_err("no key");
    assert_eq!(err, PayloadError::SigningUnavailable);
}

#[test]
fn signed_trailer_faults() {
    let v = verified(PayloadHash::StreamingSignedTrailer, SEED);
    let crc = Crc32.checksum_of(BODY);
    let headers = common::headers(&[
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        ("x-amz-decoded-content-length", "32"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ]);
    let good = signed_body(&v, &[BODY], Some(&[("x-amz-checksum-crc32", &crc)]));
    run(&headers, Some(&v), false, &good, Split::ByteAtATime).expect("good");
    // Without the trailer signature: IncompleteBody.
    let text = String::from_utf8_lossy(&good).into_owned();
    let cut = &text[..text.find("x-amz-trailer-signature").unwrap_or(text.len())];
    assert_refusal(refusal(&headers, Some(&v), cut.as_bytes()), TERMINATED);
    // A signed-trailer body with only the signature: IncompleteBody, as AWS.
    let bare = common::headers(&[
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        ("x-amz-decoded-content-length", "32"),
    ]);
    let only_sig = signed_body(&v, &[BODY], Some(&[]));
    assert_refusal(refusal(&bare, Some(&v), &only_sig), TERMINATED);
}

// ---- trailers ----

#[test]
fn trailer_faults_and_tolerances() {
    let crc = Crc32.checksum_of(BODY);
    let headers = unsigned_headers(&[("x-amz-trailer", "x-amz-checksum-crc32")]);
    let zero = [chunked(&[BODY]), b"0\r\n".to_vec()].concat();
    let with = |tail: &str| [zero.clone(), tail.as_bytes().to_vec()].concat();
    let line = format!("x-amz-checksum-crc32: {crc}\r\n");

    let malformed = [
        ("no trailer sent", with("\r\n")),
        ("no trailer, body ends", zero.clone()),
        ("blank line first", with(&format!("\r\n{line}"))),
        (
            "another checksum",
            with(&format!("x-amz-checksum-crc32c:{crc}\r\n\r\n")),
        ),
        (
            "unknown trailer",
            with(&format!("x-amz-checksum-bad:{crc}\r\n\r\n")),
        ),
        (
            "extra trailer",
            with(&format!("{line}bonus: trailer\r\n\r\n")),
        ),
        ("no colon", with("x-amz-checksum-crc32\r\n\r\n")),
        (
            "unsigned body with a signature",
            with(&format!(
                "{line}x-amz-trailer-signature:{}\r\n\r\n",
                "0".repeat(64)
            )),
        ),
    ];
    for (what, wire) in malformed {
        match run(&headers, None, false, &wire, Split::Random(2)) {
            Ok(_) => panic!("{what}: accepted"),
            Err(err) => assert_refusal(s3(&err), MALFORMED_TRAILER),
        }
    }

    let incomplete = [
        (
            "LF without CR",
            with(&format!("x-amz-checksum-crc32: {crc}\n")),
        ),
        (
            "CR without LF",
            with(&format!("x-amz-checksum-crc32: {crc}\r")),
        ),
        ("no line end", with(&format!("x-amz-checksum-crc32: {crc}"))),
    ];
    for (what, wire) in incomplete {
        match run(&headers, None, false, &wire, Split::Whole) {
            Ok(_) => panic!("{what}: accepted"),
            Err(err) => assert_refusal(s3(&err), TERMINATED),
        }
    }

    let accepted = [
        ("no blank line at the end", with(&line)),
        ("blank line", with(&format!("{line}\r\n"))),
        ("more blank lines", with(&format!("{line}\r\n\r\n"))),
        ("junk after the end", with(&format!("{line}\r\n\u{7f}junk"))),
        (
            "a trailer after the end",
            with(&format!("{line}\r\nbonus: trailer\r\n")),
        ),
        (
            "upper-case name",
            with(&format!("X-Amz-Checksum-CRC32:{crc}\r\n\r\n")),
        ),
        (
            "bad then good",
            with(&format!(
                "x-amz-checksum-crc32: {}\r\n{line}\r\n",
                Crc32.checksum_of(&BODY[1..])
            )),
        ),
    ];
    for (what, wire) in accepted {
        for split in [Split::Whole, Split::ByteAtATime] {
            let (object, digest) = run(&headers, None, false, &wire, split).expect(what);
            assert_eq!(object, BODY);
            assert_eq!(digest.checksums, vec![(Crc32, crc.clone())]);
        }
    }

    // The last value wins.
    let wire = with(&format!(
        "{line}x-amz-checksum-crc32: {}\r\n\r\n",
        Crc32.checksum_of(&BODY[1..])
    ));
    assert_eq!(refusal(&headers, None, &wire).1, "BadDigest");
    // An invalid value in the trailer.
    let wire = with("x-amz-checksum-crc32: not-base-64\r\n\r\n");
    let err = run(&headers, None, false, &wire, Split::Whole).expect_err("invalid value");
    assert_refusal(
        s3(&err),
        (
            400,
            "InvalidRequest",
            "Value for x-amz-checksum-crc32 trailing header is invalid.",
        ),
    );
    // A trailer line without x-amz-trailer: the final chunk must end the body.
    let plain = unsigned_headers(&[]);
    assert_refusal(refusal(&plain, None, &with(&line)), TERMINATED);
    // x-amz-trailer on a body that is not aws-chunked.
    let err = BodyPipeline::new(
        &common::headers(&[
            ("x-amz-sdk-checksum-algorithm", "crc32"),
            ("x-amz-content-sha256", &sha256_hex(BODY)),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ]),
        Some(&signed_plain()),
        false,
    )
    .expect_err("trailer without aws-chunked");
    assert_refusal(s3(&err), MALFORMED_TRAILER);
}

// ---- x-amz-content-sha256 ----

#[test]
fn content_sha256_mismatch() {
    let sha = (
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
    // Header-signed with the hash of something else.
    let wrong = verified(PayloadHash::Sha256Hex(EMPTY_SHA256.to_owned()), SEED);
    let h = headers(&[("x-amz-content-sha256", EMPTY_SHA256)]);
    let err = run(&h, Some(&wrong), false, BODY, Split::Every(5)).expect_err("wrong sha");
    assert_refusal(s3(&err), sha);
    assert_eq!(
        err.s3_extra(),
        vec![
            ("ClientComputedContentSHA256", EMPTY_SHA256.to_owned()),
            ("S3ComputedContentSHA256", sha256_hex(BODY)),
        ]
    );
    // Upper-case hex is the same hash.
    let upper = verified(
        PayloadHash::Sha256Hex(sha256_hex(BODY).to_ascii_uppercase()),
        SEED,
    );
    run(&h, Some(&upper), false, BODY, Split::Whole).expect("upper-case hash");
    // The SHA-256 beats a wrong checksum and a wrong Content-MD5.
    let pairs = [
        ("x-amz-checksum-crc32", Crc32.checksum_of(b"not the body")),
        ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==".to_owned()),
    ];
    let h = map(&pairs.map(|(n, v)| (n.to_owned(), v)));
    let err = run(&h, Some(&wrong), false, BODY, Split::Whole).expect_err("three faults");
    assert_refusal(s3(&err), sha);
    // Anonymous and presigned requests: the value is compared with the body, whatever it is.
    for value in [
        "invalid",
        "unsigned-payload",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    ] {
        let h = headers(&[
            ("x-amz-content-sha256", value),
            ("x-amz-decoded-content-length", "32"),
        ]);
        let err = run(&h, None, false, BODY, Split::Whole).expect_err(value);
        assert_refusal(s3(&err), sha);
        let mut presigned = verified(PayloadHash::Unsigned, SEED);
        presigned.presigned = true;
        let err = run(&h, Some(&presigned), false, BODY, Split::Whole).expect_err(value);
        assert_eq!(s3(&err).1, "XAmzContentSHA256Mismatch");
    }
    // ... after the length checks of a streaming value.
    let h = headers(&[
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-decoded-content-length", "32"),
        ("content-length", "45"),
    ]);
    let mut presigned = verified(PayloadHash::StreamingUnsignedTrailer, SEED);
    presigned.presigned = true;
    let err = BodyPipeline::new(&h, Some(&presigned), false).expect_err("decoded < length");
    assert_eq!(
        err,
        PayloadError::BodyLengthMismatch {
            expected: 32,
            provided: 45
        }
    );
    // UNSIGNED-PAYLOAD and no header at all check nothing.
    run(
        &headers(&[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]),
        None,
        false,
        BODY,
        Split::Whole,
    )
    .expect("unsigned");
    run(&headers(&[]), None, false, BODY, Split::Whole).expect("no header");
    // A right hash from an anonymous request.
    run(
        &headers(&[("x-amz-content-sha256", &sha256_hex(BODY))]),
        None,
        false,
        BODY,
        Split::Whole,
    )
    .expect("right hash");
}

#[test]
fn aws_chunked_content_encoding_without_streaming_is_stored_as_sent() {
    let wire = unsigned_body(&[BODY], &[]);
    let h = headers(&[
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
    ]);
    let pipeline = BodyPipeline::new(&h, None, false).expect("headers");
    assert!(!pipeline.is_aws_chunked());
    let (object, _) = run(&h, None, false, &wire, Split::Whole).expect("raw");
    assert_eq!(object, wire);
}

#[test]
fn stored_content_encoding() {
    assert_eq!(strip_aws_chunked("aws-chunked"), None);
    assert_eq!(
        strip_aws_chunked("aws-chunked, gzip").as_deref(),
        Some("gzip")
    );
    assert_eq!(
        strip_aws_chunked("gzip,aws-chunked").as_deref(),
        Some("gzip")
    );
    assert_eq!(
        strip_aws_chunked("foo, aws-chunked, bar").as_deref(),
        Some("foo, bar")
    );
    assert_eq!(strip_aws_chunked("gzip").as_deref(), Some("gzip"));
}

#[test]
fn an_error_sticks() {
    let headers = unsigned_headers(&[]);
    let mut pipeline = BodyPipeline::new(&headers, None, false).expect("headers");
    let mut out = Vec::new();
    let err = pipeline.feed(b"zz\r\n", &mut out).expect_err("not hex");
    assert_eq!(pipeline.feed(b"20\r\n", &mut out), Err(err.clone()));
    assert_eq!(pipeline.finish(), Err(err));
}

#[test]
fn error_display_is_plain_english() {
    let err = PayloadError::ChunkTooSmall {
        chunk: 2,
        size: 1024,
    };
    assert_eq!(
        err.to_string(),
        "chunk 2: a non-final chunk of 1024 bytes (minimum 8192)"
    );
    let err = PayloadError::MalformedChunkedBody {
        reason: "chunk size is not hexadecimal",
    };
    assert!(err.to_string().contains("hexadecimal"));
}
