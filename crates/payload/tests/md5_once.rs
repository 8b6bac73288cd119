//! `BodyPipeline::compute_md5`: the MD5 of the decoded object bytes, computed in the same pass as
//! the `Content-MD5` check, so that a PUT whose ETag is its MD5 hashes its bytes once.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::{Digest, Md5};
use s3lab_payload::{BodyPipeline, PayloadError};

fn headers(pairs: &[(&'static str, String)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (n, v) in pairs {
        h.insert(*n, v.parse().unwrap());
    }
    h
}

fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

#[test]
fn compute_md5_gives_the_md5_of_an_ordinary_body_without_content_md5() {
    let h = headers(&[("content-length", "11".into())]);
    let mut p = BodyPipeline::new(&h, None, false).unwrap();
    assert!(p.compute_md5());
    let mut out = Vec::new();
    p.feed(b"hello ", &mut out).unwrap();
    p.feed(b"world", &mut out).unwrap();
    assert_eq!(p.finish().unwrap().md5, Some(md5(b"hello world")));
}

#[test]
fn without_compute_md5_and_content_md5_no_md5_is_computed() {
    let h = headers(&[("content-length", "5".into())]);
    let mut p = BodyPipeline::new(&h, None, false).unwrap();
    p.feed(b"hello", &mut Vec::new()).unwrap();
    assert_eq!(p.finish().unwrap().md5, None);
}

#[test]
fn with_content_md5_the_checked_md5_is_the_one_handed_over() {
    let h = headers(&[
        ("content-length", "5".into()),
        ("content-md5", STANDARD.encode(md5(b"hello"))),
    ]);
    let mut p = BodyPipeline::new(&h, None, false).unwrap();
    assert!(p.compute_md5());
    p.feed(b"hello", &mut Vec::new()).unwrap();
    assert_eq!(p.finish().unwrap().md5, Some(md5(b"hello")));

    // And a wrong Content-MD5 is still refused.
    let h = headers(&[
        ("content-length", "5".into()),
        ("content-md5", STANDARD.encode(md5(b"other"))),
    ]);
    let mut p = BodyPipeline::new(&h, None, false).unwrap();
    assert!(p.compute_md5());
    p.feed(b"hello", &mut Vec::new()).unwrap();
    assert!(matches!(
        p.finish(),
        Err(PayloadError::ContentMd5Mismatch { .. })
    ));
}

#[test]
fn the_md5_covers_the_decoded_bytes_of_an_aws_chunked_body() {
    let h = headers(&[
        (
            "x-amz-content-sha256",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
        ),
        ("content-encoding", "aws-chunked".into()),
        ("x-amz-decoded-content-length", "11".into()),
        ("x-amz-trailer", "x-amz-checksum-crc32".into()),
    ]);
    let wire = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let mut p = BodyPipeline::new(&h, None, false).unwrap();
    assert!(p.compute_md5());
    let mut out = Vec::new();
    for piece in wire.chunks(5) {
        p.feed(piece, &mut out).unwrap();
    }
    assert_eq!(out, b"hello world");
    assert_eq!(p.finish().unwrap().md5, Some(md5(b"hello world")));
}

#[test]
fn compute_md5_after_object_bytes_passed_says_no() {
    let h = headers(&[("content-length", "5".into())]);
    let mut p = BodyPipeline::new(&h, None, false).unwrap();
    p.feed(b"he", &mut Vec::new()).unwrap();
    assert!(!p.compute_md5());
    p.feed(b"llo", &mut Vec::new()).unwrap();
    assert_eq!(p.finish().unwrap().md5, None);
}
