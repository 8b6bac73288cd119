//! Helpers shared by the integration tests: headers, signing, bodies and ways of feeding them.

#![allow(dead_code)]

use http::{HeaderMap, HeaderName, HeaderValue};
use time::macros::datetime;
use time::OffsetDateTime;

use s3lab_payload::{BodyDigest, BodyPipeline, ChecksumAlgorithm, PayloadError};
use s3lab_sigv4::{
    chunk_signature, sha256_hex, signing_key, trailer_signature, CredentialScope, PayloadHash,
    Verified, EMPTY_SHA256,
};

/// The example credentials of S3's documentation.
pub const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const DOC_TIME: OffsetDateTime = datetime!(2013-05-24 00:00:00 UTC);

pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
            HeaderValue::from_str(value).expect("test header value"),
        );
    }
    map
}

/// A `Verified` for a header-signed request with the documentation's key, as `s3lab_sigv4::verify`
/// would return it; `seed` is the request's signature.
pub fn verified(payload: PayloadHash, seed: &str) -> Verified {
    Verified {
        access_key_id: KEY.to_owned(),
        scope: CredentialScope::new(DOC_TIME, "us-east-1", "s3"),
        request_time: DOC_TIME,
        signed_headers: Vec::new(),
        signature: seed.to_owned(),
        payload,
        presigned: false,
        signing_key: signing_key(SECRET, "20130524", "us-east-1", "s3"),
        security_token: None,
    }
}

/// An arbitrary seed signature for bodies built by the tests.
pub const SEED: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// An `aws-chunked` body with signed chunks (`chunks` in order; the final empty chunk is added).
/// With `trailers`, the signed-trailer variant: trailer lines, then `x-amz-trailer-signature`.
pub fn signed_body(v: &Verified, chunks: &[&[u8]], trailers: Option<&[(&str, &str)]>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut previous = v.signature.clone();
    for chunk in chunks.iter().copied().chain(std::iter::once(&b""[..])) {
        let hash = if chunk.is_empty() {
            EMPTY_SHA256.to_owned()
        } else {
            sha256_hex(chunk)
        };
        let sig = chunk_signature(&v.signing_key, v.request_time, &v.scope, &previous, &hash);
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        if !chunk.is_empty() {
            body.extend_from_slice(b"\r\n");
        }
        previous = sig;
    }
    match trailers {
        None => body.extend_from_slice(b"\r\n"),
        Some(trailers) => {
            let mut canonical = String::new();
            let mut sorted: Vec<&(&str, &str)> = trailers.iter().collect();
            sorted.sort_by_key(|(n, _)| n.to_ascii_lowercase());
            for (name, value) in sorted {
                canonical.push_str(&format!("{name}:{value}\n"));
            }
            if canonical.is_empty() {
                canonical.push('\n');
            }
            let sig = trailer_signature(
                &v.signing_key,
                v.request_time,
                &v.scope,
                &previous,
                &sha256_hex(canonical.as_bytes()),
            );
            for (name, value) in trailers {
                body.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
            }
            body.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n\r\n").as_bytes());
        }
    }
    body
}

/// An unsigned `aws-chunked` body exactly as botocore (1.3x/1.4x) and the AWS CLI send it:
/// `<hex>\r\n<data>\r\n` per chunk, `0\r\n`, the trailer lines, `\r\n`.
pub fn unsigned_body(chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for chunk in chunks {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        body.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// Headers of an unsigned-trailer upload as botocore sends them.
pub fn unsigned_trailer_headers(decoded_len: usize, alg: ChecksumAlgorithm) -> HeaderMap {
    headers(&[
        ("content-encoding", "aws-chunked"),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-decoded-content-length", &decoded_len.to_string()),
        ("x-amz-trailer", alg.header_name()),
        ("x-amz-sdk-checksum-algorithm", alg.name()),
    ])
}

/// A small deterministic generator (xorshift64*), so that "random" splits are repeatable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// How a wire body is cut into `feed` calls.
#[derive(Clone, Copy, Debug)]
pub enum Split {
    Whole,
    ByteAtATime,
    Every(usize),
    Random(u64),
}

pub const SPLITS: [Split; 7] = [
    Split::Whole,
    Split::ByteAtATime,
    Split::Every(2),
    Split::Every(7),
    Split::Every(4093),
    Split::Random(1),
    Split::Random(0xdead_beef),
];

pub fn pieces(wire: &[u8], split: Split) -> Vec<&[u8]> {
    match split {
        Split::Whole => vec![wire],
        Split::ByteAtATime => wire.chunks(1).collect(),
        Split::Every(n) => wire.chunks(n).collect(),
        Split::Random(seed) => {
            let mut rng = Rng::new(seed);
            let mut out = Vec::new();
            let mut rest = wire;
            while !rest.is_empty() {
                // Mostly small cuts, now and then a long one, sometimes an empty slice.
                let n = match rng.range(0, 9) {
                    0 => 0,
                    1..=6 => rng.range(1, 16),
                    _ => rng.range(1, 5000),
                }
                .min(rest.len());
                let (head, tail) = rest.split_at(n);
                out.push(head);
                rest = tail;
            }
            out
        }
    }
}

/// Runs a whole body through a pipeline, returning the object bytes and the digest.
pub fn run(
    headers: &HeaderMap,
    verified: Option<&Verified>,
    want_md5: bool,
    wire: &[u8],
    split: Split,
) -> Result<(Vec<u8>, BodyDigest), PayloadError> {
    let mut pipeline = BodyPipeline::new(headers, verified, want_md5)?;
    let mut object = Vec::new();
    for piece in pieces(wire, split) {
        pipeline.feed(piece, &mut object)?;
    }
    let digest = pipeline.finish()?;
    Ok((object, digest))
}

/// The error of a body, as (status, code, message).
pub fn refusal(
    headers: &HeaderMap,
    verified: Option<&Verified>,
    wire: &[u8],
) -> (u16, &'static str, String) {
    match run(headers, verified, false, wire, Split::Whole) {
        Ok(_) => panic!("the body was accepted"),
        Err(err) => err.s3(),
    }
}
