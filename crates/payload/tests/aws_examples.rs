//! AWS's published aws-chunked examples decoded end to end, and bodies exactly as the SDKs send
//! them, under every way of cutting the wire into pieces.

mod common;

use common::*;
use s3lab_payload::{
    BodyPipeline, ChecksumAlgorithm, ChunkSigning, ChunkedDecoder, ChunkedMode, PayloadError,
};
use s3lab_sigv4::{verify, PayloadHash, PayloadSource, RequestParts, UriStyle, VerifyOptions};
use zeroize::Zeroizing;

const DOC_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const DOC_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const DOC_TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
const DOC_TRAILER_SIGS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const DOC_TRAILER_SIGNATURE: &str =
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

/// The request of "Signature Calculations for the Authorization Header: Transferring Payload in
/// Multiple Chunks", checked by the lab's own SigV4 verifier.
fn doc_request(trailer: bool) -> (http::HeaderMap, s3lab_sigv4::Verified) {
    let (content_sha, signed, seed) = if trailer {
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
            DOC_TRAILER_SEED,
        )
    } else {
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
            DOC_SEED,
        )
    };
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={seed}"
    );
    let mut pairs = vec![
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-content-sha256", content_sha),
        ("x-amz-decoded-content-length", "66560"),
        ("authorization", auth.as_str()),
    ];
    if trailer {
        pairs.push(("x-amz-trailer", "x-amz-checksum-crc32c"));
    } else {
        pairs.push(("content-length", "66824"));
    }
    let headers = headers(&pairs);
    let parts = RequestParts {
        method: "PUT",
        raw_path: "/examplebucket/chunkObject.txt",
        raw_query: None,
        headers: &headers,
    };
    let lookup = |id: &str| (id == KEY).then(|| Zeroizing::new(SECRET.to_owned()));
    let opts = VerifyOptions::new("s3", "us-east-1", UriStyle::S3, DOC_TIME);
    let verified =
        verify(&parts, PayloadSource::FromHeader, &lookup, &opts).expect("the documented request");
    assert_eq!(verified.signature, seed);
    (headers, verified)
}

/// The documented body: 64 KiB and 1 KiB of `a`, then the final chunk.
fn doc_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", DOC_SIGS[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", DOC_SIGS[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", DOC_SIGS[2]).as_bytes());
    body
}

fn doc_trailer_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", DOC_TRAILER_SIGS[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(
        format!("\r\n400;chunk-signature={}\r\n", DOC_TRAILER_SIGS[1]).as_bytes(),
    );
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(
        format!(
            "\r\n0;chunk-signature={}\r\nx-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{DOC_TRAILER_SIGNATURE}\r\n\r\n",
            DOC_TRAILER_SIGS[2]
        )
        .as_bytes(),
    );
    body
}

#[test]
fn documented_signed_chunks_decode_under_every_split() {
    let (headers, verified) = doc_request(false);
    assert_eq!(verified.payload, PayloadHash::StreamingSigned);
    let wire = doc_body();
    assert_eq!(wire.len(), 66824, "the documented Content-Length");
    for split in SPLITS {
        let (object, digest) =
            run(&headers, Some(&verified), true, &wire, split).expect("the documented body");
        assert_eq!(object, vec![b'a'; 66560], "{split:?}");
        assert_eq!(digest.decoded_len, 66560);
        assert_eq!(
            digest.md5_hex().as_deref(),
            Some(hex::encode(md5_of(&object)).as_str())
        );
        assert!(digest.checksums.is_empty());
    }
}

fn md5_of(data: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(data).into()
}

#[test]
fn documented_signed_chunks_with_the_decoder_alone() {
    let (_, verified) = doc_request(false);
    let mut decoder = ChunkedDecoder::new(
        ChunkedMode::Signed,
        Some(ChunkSigning::from_verified(&verified)),
        Some(66560),
    );
    let mut out = Vec::new();
    decoder.feed(&doc_body(), &mut out).expect("decodes");
    let trailers = decoder.finish().expect("complete");
    assert!(trailers.is_empty());
    assert_eq!(out.len(), 66560);
}

#[test]
fn documented_signed_trailer_decodes_under_every_split() {
    let (headers, verified) = doc_request(true);
    assert_eq!(verified.payload, PayloadHash::StreamingSignedTrailer);
    let wire = doc_trailer_body();
    for split in SPLITS {
        let (object, digest) =
            run(&headers, Some(&verified), false, &wire, split).expect("the documented body");
        assert_eq!(object, vec![b'a'; 66560], "{split:?}");
        assert_eq!(
            digest.checksums,
            vec![(ChecksumAlgorithm::Crc32c, "sOO8/Q==".to_owned())]
        );
        assert_eq!(digest.md5, None, "MD5 only when asked for");
    }
    // The decoder hands the trailers over, signature included.
    let mut decoder = ChunkedDecoder::new(
        ChunkedMode::SignedTrailer,
        Some(ChunkSigning::from_verified(&verified)),
        Some(66560),
    )
    .expect_trailer("x-amz-checksum-crc32c");
    let mut out = Vec::new();
    decoder.feed(&wire, &mut out).expect("decodes");
    let trailers = decoder.finish().expect("complete");
    assert_eq!(trailers.get("x-amz-checksum-crc32c"), Some("sOO8/Q=="));
    assert_eq!(
        trailers.get("X-Amz-Trailer-Signature"),
        Some(DOC_TRAILER_SIGNATURE)
    );
    assert_eq!(trailers.canonical(), "x-amz-checksum-crc32c:sOO8/Q==\n");
}

#[test]
fn documented_body_with_any_changed_signature_is_refused() {
    let (headers, verified) = doc_request(false);
    let original = doc_body();
    for (i, sig) in DOC_SIGS.iter().enumerate() {
        let other = DOC_SIGS[(i + 1) % 3];
        let text = String::from_utf8_lossy(&original).replacen(sig, other, 1);
        let err = run(
            &headers,
            Some(&verified),
            false,
            text.as_bytes(),
            Split::Whole,
        )
        .expect_err("a wrong chunk signature");
        let (status, code, message) = err.s3();
        assert_eq!((status, code), (403, "SignatureDoesNotMatch"));
        assert_eq!(
            message,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        );
        let extra = err.s3_extra();
        assert_eq!(extra[0], ("AWSAccessKeyId", KEY.to_owned()));
        assert!(extra[1].1.starts_with(
            "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        ));
        assert_eq!(extra[2], ("SignatureProvided", other.to_owned()));
    }
    // One changed data byte breaks its chunk's signature.
    let mut tampered = original.clone();
    tampered[200] = b'b';
    let err = run(
        &headers,
        Some(&verified),
        false,
        &tampered,
        Split::ByteAtATime,
    )
    .expect_err("tampered data");
    assert!(matches!(err, PayloadError::ChunkSignatureMismatch { .. }));
    // Chunks in another order break the chain.
    let (_, wrong_seed) = doc_request(true);
    let err =
        run(&headers, Some(&wrong_seed), false, &original, Split::Whole).expect_err("another seed");
    assert!(matches!(err, PayloadError::ChunkSignatureMismatch { .. }));
}

#[test]
fn documented_trailer_with_a_changed_trailer_is_refused() {
    let (headers, verified) = doc_request(true);
    let text = String::from_utf8_lossy(&doc_trailer_body()).into_owned();
    // Another checksum value: the trailer signature no longer matches.
    let changed = text.replace("sOO8/Q==", "AAAAAA==");
    let err = run(
        &headers,
        Some(&verified),
        false,
        changed.as_bytes(),
        Split::Whole,
    )
    .expect_err("changed trailer");
    assert_eq!(err.s3().1, "SignatureDoesNotMatch");
    assert!(err.s3_extra()[1]
        .1
        .starts_with("AWS4-HMAC-SHA256-TRAILER\n"));
    // A wrong trailer signature.
    let changed = text.replace(DOC_TRAILER_SIGNATURE, DOC_TRAILER_SIGS[0]);
    let err = run(
        &headers,
        Some(&verified),
        false,
        changed.as_bytes(),
        Split::Whole,
    )
    .expect_err("wrong trailer signature");
    assert!(matches!(err, PayloadError::TrailerSignatureMismatch { .. }));
    // No trailer signature at all: IncompleteBody.
    let changed = text.replace(
        &format!("x-amz-trailer-signature:{DOC_TRAILER_SIGNATURE}\r\n"),
        "",
    );
    let (status, code, message) = refusal(&headers, Some(&verified), changed.as_bytes());
    assert_eq!(
        (status, code, message.as_str()),
        (
            400,
            "IncompleteBody",
            "The request body terminated unexpectedly"
        )
    );
}

#[test]
fn botocore_unsigned_trailer_bodies_for_every_algorithm() {
    let data = b"Hello from boto3, with a flexible checksum in the trailer.";
    for alg in ChecksumAlgorithm::ALL {
        let value = alg.checksum_of(data);
        let wire = unsigned_body(&[data], &[(alg.header_name(), &value)]);
        let headers = unsigned_trailer_headers(data.len(), alg);
        for split in SPLITS {
            let (object, digest) = run(&headers, None, false, &wire, split).expect("botocore body");
            assert_eq!(object, data, "{alg} {split:?}");
            assert_eq!(digest.checksums, vec![(alg, value.clone())]);
            assert_eq!(digest.decoded_len, data.len() as u64);
        }
        // The same request header-signed (as the CLI does over HTTPS).
        let verified = verified(PayloadHash::StreamingUnsignedTrailer, SEED);
        let (object, _) =
            run(&headers, Some(&verified), false, &wire, Split::Random(9)).expect("signed request");
        assert_eq!(object, data);
        // A wrong value in the trailer.
        let bad = alg.checksum_of(b"not the body");
        let wire = unsigned_body(&[data], &[(alg.header_name(), &bad)]);
        let (status, code, message) = refusal(&headers, None, &wire);
        assert_eq!((status, code), (400, "BadDigest"));
        assert_eq!(
            message,
            format!(
                "The {} you specified did not match the calculated checksum.",
                alg.name()
            )
        );
    }
}

#[test]
fn botocore_multi_chunk_upload_and_empty_object() {
    // botocore reads 1 MiB chunks; the last one is short.
    let mut rng = Rng::new(7);
    let data = rng.bytes(2 * 1024 * 1024 + 12345);
    let chunks: Vec<&[u8]> = data.chunks(1024 * 1024).collect();
    let value = ChecksumAlgorithm::Crc32.checksum_of(&data);
    let wire = unsigned_body(&chunks, &[("x-amz-checksum-crc32", &value)]);
    let headers = unsigned_trailer_headers(data.len(), ChecksumAlgorithm::Crc32);
    for split in [Split::Whole, Split::Every(65536), Split::Random(3)] {
        let (object, digest) = run(&headers, None, true, &wire, split).expect("multi-chunk");
        assert!(object == data, "{split:?}");
        assert_eq!(digest.md5, Some(md5_of(&data)));
    }
    // An empty object: only the final chunk and the trailer.
    let empty = ChecksumAlgorithm::Crc32.checksum_of(b"");
    let wire = unsigned_body(&[], &[("x-amz-checksum-crc32", &empty)]);
    assert_eq!(wire, b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    let headers = unsigned_trailer_headers(0, ChecksumAlgorithm::Crc32);
    let (object, digest) = run(&headers, None, false, &wire, Split::ByteAtATime).expect("empty");
    assert!(object.is_empty());
    assert_eq!(digest.decoded_len, 0);
}

#[test]
fn signed_bodies_built_here_roundtrip_with_and_without_trailers() {
    let mut rng = Rng::new(11);
    let data = rng.bytes(3 * 8192 + 100);
    let chunks: Vec<&[u8]> = data.chunks(8192).collect();
    let v = verified(PayloadHash::StreamingSigned, SEED);
    let wire = signed_body(&v, &chunks, None);
    let headers = headers(&[
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("x-amz-decoded-content-length", &data.len().to_string()),
        ("content-md5", &base64_md5(&data)),
    ]);
    for split in SPLITS {
        let (object, digest) = run(&headers, Some(&v), false, &wire, split).expect("signed");
        assert!(object == data);
        assert_eq!(digest.md5, Some(md5_of(&data)), "Content-MD5 implies MD5");
    }

    let v = verified(PayloadHash::StreamingSignedTrailer, SEED);
    let sha = ChecksumAlgorithm::Sha256.checksum_of(&data);
    let wire = signed_body(&v, &chunks, Some(&[("x-amz-checksum-sha256", &sha)]));
    let headers = common::headers(&[
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        ("x-amz-decoded-content-length", &data.len().to_string()),
        ("x-amz-trailer", "x-amz-checksum-sha256"),
    ]);
    for split in SPLITS {
        let mut pipeline = BodyPipeline::new(&headers, Some(&v), false).expect("headers");
        pipeline.also_compute(ChecksumAlgorithm::Crc64Nvme);
        pipeline.also_compute(ChecksumAlgorithm::Sha256);
        let mut object = Vec::new();
        for piece in pieces(&wire, split) {
            pipeline.feed(piece, &mut object).expect("feed");
        }
        let digest = pipeline.finish().expect("signed trailer");
        assert!(object == data);
        assert_eq!(
            digest.checksums,
            vec![
                (ChecksumAlgorithm::Sha256, sha.clone()),
                (
                    ChecksumAlgorithm::Crc64Nvme,
                    ChecksumAlgorithm::Crc64Nvme.checksum_of(&data)
                ),
            ]
        );
    }
}

fn base64_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(md5_of(data))
}
