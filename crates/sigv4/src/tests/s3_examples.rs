//! The worked examples of S3's SigV4 documentation: `AKIAIOSFODNN7EXAMPLE`, bucket `examplebucket`,
//! us-east-1, 2013-05-24T00:00:00Z.

use time::macros::datetime;
use time::OffsetDateTime;

use super::{creds, header_map, Req, HOST, KEY, SECRET};
use crate::*;

const TIME: OffsetDateTime = datetime!(2013-05-24 00:00:00 UTC);
const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";

fn scope() -> CredentialScope {
    CredentialScope::new(TIME, "us-east-1", "s3")
}

/// Checks an example's canonical request and signature, then that S3 accepts the request carrying
/// the documented signature.
fn check_example(
    req: &Req,
    signed: &str,
    canonical: &str,
    canonical_hash: Option<&str>,
    signature: &str,
) -> Verified {
    let names: Vec<&str> = signed.split(';').collect();
    let payload = req
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let computed = canonical_request(
        req.method,
        &req.path,
        req.query.as_deref(),
        &req.headers,
        &names,
        payload,
        UriStyle::S3,
    );
    assert_eq!(computed, canonical);
    if let Some(hash) = canonical_hash {
        assert_eq!(sha256_hex(canonical.as_bytes()), hash);
    }
    let sts = string_to_sign(TIME, &scope(), &computed);
    let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
    assert_eq!(sign_string(&key, &sts), signature);

    let mut signed_req = req.clone();
    signed_req.set(
        "authorization",
        &format!("AWS4-HMAC-SHA256 Credential={KEY}/{SCOPE},SignedHeaders={signed},Signature={signature}"),
    );
    let verified = signed_req
        .s3(TIME)
        .expect("S3 accepts the documented request");
    assert_eq!(verified.signature, signature);
    assert_eq!(verified.access_key_id, KEY);
    assert_eq!(verified.scope.to_string(), SCOPE);
    verified
}

fn request(method: &'static str, path: &str, query: Option<&str>, headers: &[(&str, &str)]) -> Req {
    Req {
        method,
        path: path.to_owned(),
        query: query.map(str::to_owned),
        headers: header_map(headers),
        body_hash: String::new(),
    }
}

#[test]
fn get_object_with_range() {
    let req = request(
        "GET",
        "/test.txt",
        None,
        &[
            ("host", HOST),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ],
    );
    let canonical = format!(
        "GET\n/test.txt\n\nhost:{HOST}\nrange:bytes=0-9\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}"
    );
    let verified = check_example(
        &req,
        "host;range;x-amz-content-sha256;x-amz-date",
        &canonical,
        Some("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"),
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
    assert_eq!(
        verified.payload,
        PayloadHash::Sha256Hex(EMPTY_SHA256.to_owned())
    );
    assert!(!verified.presigned);

    // sign_headers() produces the same signature for the same request.
    let mut headers = header_map(&[("host", HOST), ("range", "bytes=0-9")]);
    let info = sign_headers(
        "GET",
        "/test.txt",
        None,
        &mut headers,
        &PayloadHash::of_bytes(b""),
        &creds(),
        "us-east-1",
        "s3",
        UriStyle::S3,
        TIME,
    )
    .expect("signable");
    assert_eq!(
        info.signature,
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
    assert_eq!(
        info.authorization,
        format!("AWS4-HMAC-SHA256 Credential={KEY}/{SCOPE}, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    );
}

#[test]
fn put_object_with_date_header_and_dollar_in_key() {
    const BODY_HASH: &str = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    assert_eq!(sha256_hex(b"Welcome to Amazon S3."), BODY_HASH);
    let canonical = format!(
        "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:{HOST}\nx-amz-content-sha256:{BODY_HASH}\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n{BODY_HASH}"
    );
    // The key is `test$file.text`; a client may send the `$` encoded or not.
    for path in ["/test%24file.text", "/test$file.text"] {
        let req = request(
            "PUT",
            path,
            None,
            &[
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("host", HOST),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", BODY_HASH),
            ],
        );
        check_example(
            &req,
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            &canonical,
            None,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        );
    }
}

#[test]
fn get_bucket_lifecycle() {
    let req = request(
        "GET",
        "/",
        Some("lifecycle"),
        &[
            ("host", HOST),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
        ],
    );
    let canonical = format!(
        "GET\n/\nlifecycle=\nhost:{HOST}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}"
    );
    check_example(
        &req,
        "host;x-amz-content-sha256;x-amz-date",
        &canonical,
        None,
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    );
}

#[test]
fn get_bucket_list_objects() {
    let req = request(
        "GET",
        "/",
        Some("max-keys=2&prefix=J"),
        &[
            ("host", HOST),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
        ],
    );
    let canonical = format!(
        "GET\n/\nmax-keys=2&prefix=J\nhost:{HOST}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}"
    );
    check_example(
        &req,
        "host;x-amz-content-sha256;x-amz-date",
        &canonical,
        None,
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    );
}

#[test]
fn presigned_get_object() {
    const SIGNATURE: &str = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let query = presign(
        "GET",
        "/test.txt",
        None,
        HOST,
        &creds(),
        "us-east-1",
        "s3",
        TIME,
        86400,
    );
    assert_eq!(
        query,
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature={SIGNATURE}"
        )
    );
    let canonical = format!(
        "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:{HOST}\n\nhost\nUNSIGNED-PAYLOAD"
    );
    let query_without_signature = query.split("&X-Amz-Signature").next().unwrap_or_default();
    let headers = header_map(&[("host", HOST)]);
    let computed = canonical_request(
        "GET",
        "/test.txt",
        Some(query_without_signature),
        &headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        UriStyle::S3,
    );
    assert_eq!(computed, canonical);
    let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
    assert_eq!(
        sign_string(&key, &string_to_sign(TIME, &scope(), &canonical)),
        SIGNATURE
    );

    let req = request("GET", "/test.txt", Some(&query), &[("host", HOST)]);
    let verified = req.s3(TIME).expect("S3 accepts the documented URL");
    assert!(verified.presigned);
    assert_eq!(verified.payload, PayloadHash::Unsigned);
    assert_eq!(verified.signature, SIGNATURE);
}

const CHUNKED_HEADERS: [(&str, &str); 4] = [
    ("host", "s3.amazonaws.com"),
    ("x-amz-date", "20130524T000000Z"),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    ("content-encoding", "aws-chunked"),
];

#[test]
fn put_object_in_signed_chunks() {
    let mut headers: Vec<(&str, &str)> = CHUNKED_HEADERS.to_vec();
    headers.extend([
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
    ]);
    let req = request("PUT", "/examplebucket/chunkObject.txt", None, &headers);
    let signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class";
    let canonical = format!(
        "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\ncontent-length:66824\nhost:s3.amazonaws.com\nx-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD\nx-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n{signed}\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    );
    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let verified = check_example(&req, signed, &canonical, None, SEED);
    assert_eq!(verified.payload, PayloadHash::StreamingSigned);
    assert!(verified.payload.has_chunk_signatures());

    let first = sha256_hex(&[b'a'; 65536]);
    let second = sha256_hex(&[b'a'; 1024]);
    let chain = [
        (
            SEED,
            first.as_str(),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        ),
        (
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            second.as_str(),
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        ),
        (
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            EMPTY_SHA256,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ),
    ];
    for (previous, hash, expected) in chain {
        assert_eq!(
            chunk_signature(&verified.signing_key, TIME, &verified.scope, previous, hash),
            expected
        );
        assert!(verified.verify_chunk(previous, hash, expected));
        assert!(verified.verify_chunk(previous, hash, &expected.to_ascii_uppercase()));
        assert!(!verified.verify_chunk(previous, hash, SEED));
        assert!(!verified.verify_chunk(previous, hash, "not hex"));
    }
    // Out of order, the chain breaks.
    assert!(!verified.verify_chunk(
        SEED,
        &second,
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
    ));
}

#[test]
fn put_object_in_signed_chunks_with_trailer() {
    let mut headers: Vec<(&str, &str)> = CHUNKED_HEADERS.to_vec();
    headers.extend([
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        ("x-amz-decoded-content-length", "66560"),
        ("x-amz-trailer", "x-amz-checksum-crc32c"),
    ]);
    let req = request("PUT", "/examplebucket/chunkObject.txt", None, &headers);
    let signed = "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer";
    let canonical = format!(
        "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\nhost:s3.amazonaws.com\nx-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\nx-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\nx-amz-storage-class:REDUCED_REDUNDANCY\nx-amz-trailer:x-amz-checksum-crc32c\n\n{signed}\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    );
    const SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let verified = check_example(&req, signed, &canonical, None, SEED);
    assert_eq!(verified.payload, PayloadHash::StreamingSignedTrailer);

    let hashes = [
        sha256_hex(&[b'a'; 65536]),
        sha256_hex(&[b'a'; 1024]),
        EMPTY_SHA256.to_owned(),
    ];
    let expected = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    let mut previous = SEED.to_owned();
    for (hash, signature) in hashes.iter().zip(expected) {
        assert_eq!(
            chunk_signature(
                &verified.signing_key,
                TIME,
                &verified.scope,
                &previous,
                hash
            ),
            signature
        );
        assert!(verified.verify_chunk(&previous, hash, signature));
        previous = signature.to_owned();
    }
    let trailer = sha256_hex(b"x-amz-checksum-crc32c:sOO8/Q==\n");
    const TRAILER_SIGNATURE: &str =
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
    assert_eq!(
        trailer_signature(
            &verified.signing_key,
            TIME,
            &verified.scope,
            &previous,
            &trailer
        ),
        TRAILER_SIGNATURE
    );
    assert!(verified.verify_trailer(&previous, &trailer, TRAILER_SIGNATURE));
    assert!(!verified.verify_trailer(SEED, &trailer, TRAILER_SIGNATURE));
    assert!(verify_trailer_signature(
        &verified.signing_key,
        TIME,
        &verified.scope,
        &previous,
        &trailer,
        TRAILER_SIGNATURE
    ));
}
