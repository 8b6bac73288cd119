//! The whole integrity check of one request body: framing, signatures, checksums, digests.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use s3lab_sigv4::{PayloadHash, Verified};

use crate::checksum::{ChecksumAlgorithm, Checksummer};
use crate::chunked::{ChunkSigning, ChunkedDecoder, ChunkedMode};
use crate::error::PayloadError;
use crate::expected::{parse_expected, ExpectedChecksums};

/// What a body turned out to be, once [`BodyPipeline::finish`] has checked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyDigest {
    /// The MD5 of the object bytes, when `Content-MD5` was sent or the caller asked for it.
    pub md5: Option<[u8; 16]>,
    /// Every checksum computed, in base64 as S3 shows it: first the one the request sent (header
    /// or trailer, now verified), then those the caller asked for with
    /// [`BodyPipeline::also_compute`].
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
    /// The number of object bytes (after `aws-chunked` decoding).
    pub decoded_len: u64,
}

impl BodyDigest {
    /// The checksum of one algorithm, if it was computed.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&str> {
        self.checksums
            .iter()
            .find(|(alg, _)| *alg == algorithm)
            .map(|(_, v)| v.as_str())
    }

    /// The MD5 in lowercase hex: the ETag of a single-part object stored without SSE-KMS/SSE-C.
    pub fn md5_hex(&self) -> Option<String> {
        self.md5.map(hex::encode)
    }
}

#[derive(Debug)]
enum Body {
    /// The body is the object, `limit` bytes of it when `Content-Length` is known.
    Raw {
        limit: Option<u64>,
        received: u64,
    },
    Chunked(Box<ChunkedDecoder>),
}

/// A hash the request claims for its wire body (`x-amz-content-sha256`).
struct Sha256Claim {
    claimed: String,
    hasher: Sha256,
}

/// The body pipeline of one request: feed it the wire bytes as they come, get the object bytes
/// out, and [`finish`](Self::finish) tells whether S3 would have accepted the body.
///
/// It decodes `aws-chunked` bodies (checking chunk and trailer signatures) and computes, in one
/// pass and with bounded memory: the MD5 (only when `Content-MD5` was sent or asked for: MD5 is
/// the slowest of them), the flexible checksum the request sent, any the caller adds, and the
/// SHA-256 of the body when `x-amz-content-sha256` is a digest.
///
/// Which body is `aws-chunked` is decided by `x-amz-content-sha256` alone, as on AWS:
/// `Content-Encoding: aws-chunked` without a `STREAMING-*` value is an ordinary body, stored as
/// sent, and a `STREAMING-*` value decodes even without `Content-Encoding`. Only header-signed
/// requests stream: on a presigned request a `STREAMING-*` value is taken as a hash of the body,
/// which never matches (`XAmzContentSHA256Mismatch`), as AWS does for presigned and SigV2
/// requests. An anonymous request is treated the same way, except that its
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body is decoded, since nothing in it needs a signature
/// (unsure: no AWS answer to an anonymous aws-chunked upload was found).
pub struct BodyPipeline {
    expected: ExpectedChecksums,
    body: Body,
    sha256: Option<Sha256Claim>,
    md5: Option<Md5>,
    verify: Option<Checksummer>,
    extra: Vec<Checksummer>,
    decoded: u64,
    declared_len: Option<u64>,
    error: Option<PayloadError>,
}

impl std::fmt::Debug for BodyPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyPipeline")
            .field("expected", &self.expected)
            .field("body", &self.body)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

const STREAMING_LITERALS: [&str; 5] = [
    PayloadHash::STREAMING_SIGNED,
    PayloadHash::STREAMING_SIGNED_TRAILER,
    PayloadHash::STREAMING_UNSIGNED_TRAILER,
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
];

impl BodyPipeline {
    /// Reads the request's headers (see [`parse_expected`] for what is refused up front) and
    /// prepares the checks. `verified` is the request's checked signature, `None` for an anonymous
    /// request; `want_md5` asks for the MD5 even without `Content-MD5` (for an ETag).
    ///
    /// Refused here, before any body byte: everything [`parse_expected`] refuses; an `aws-chunked`
    /// body without a valid `x-amz-decoded-content-length` (411 `MissingContentLength`);
    /// `x-amz-trailer` on a body that is not `aws-chunked` (`MalformedTrailerError`); on a
    /// presigned or anonymous request, a `STREAMING-*` hash whose decoded length is smaller than
    /// `Content-Length` (`IncompleteBody`).
    pub fn new(
        headers: &http::HeaderMap,
        verified: Option<&Verified>,
        want_md5: bool,
    ) -> Result<Self, PayloadError> {
        let expected = parse_expected(headers)?;
        let content_length = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let header_sha = headers
            .get("x-amz-content-sha256")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());

        let mut mode = None;
        let mut claim = None;
        match verified.filter(|v| !v.presigned) {
            Some(v) => match &v.payload {
                PayloadHash::Sha256Hex(hash) => claim = Some(hash.clone()),
                PayloadHash::Unsigned => {}
                streaming => mode = ChunkedMode::from_payload_hash(streaming),
            },
            None => match header_sha {
                None => {}
                Some(value) if value == PayloadHash::UNSIGNED => {}
                // [unsure] An anonymous request may still send an unsigned aws-chunked body (no
                // AWS response recorded): it is decoded, as nothing in it needs a signature.
                Some(value)
                    if verified.is_none() && value == PayloadHash::STREAMING_UNSIGNED_TRAILER =>
                {
                    mode = Some(ChunkedMode::UnsignedTrailer);
                }
                Some(value) => {
                    if STREAMING_LITERALS.contains(&value.as_str()) {
                        let decoded = expected.decoded_content_length()?;
                        if let Some(cl) = content_length.filter(|cl| decoded < *cl) {
                            return Err(PayloadError::BodyLengthMismatch {
                                expected: decoded,
                                provided: cl,
                            });
                        }
                    }
                    claim = Some(value);
                }
            },
        }

        let (body, declared_len) = match mode {
            Some(mode) => {
                let decoded = expected.decoded_content_length()?;
                let signing = match (mode.is_signed(), verified) {
                    (true, Some(v)) => Some(ChunkSigning::from_verified(v)),
                    _ => None,
                };
                let mut decoder = ChunkedDecoder::new(mode, signing, Some(decoded));
                if let Some(alg) = expected.trailer_checksum {
                    decoder = decoder.expect_trailer(alg.header_name());
                }
                (Body::Chunked(Box::new(decoder)), Some(decoded))
            }
            None => {
                if expected.trailer_checksum.is_some() {
                    return Err(PayloadError::MalformedTrailer {
                        reason: "x-amz-trailer on a body that is not aws-chunked",
                    });
                }
                (
                    Body::Raw {
                        limit: content_length,
                        received: 0,
                    },
                    content_length,
                )
            }
        };

        Ok(BodyPipeline {
            md5: (want_md5 || expected.content_md5.is_some()).then(Md5::new),
            verify: expected.algorithm().map(Checksummer::new),
            expected,
            body,
            sha256: claim.map(|claimed| Sha256Claim {
                claimed,
                hasher: Sha256::new(),
            }),
            extra: Vec::new(),
            decoded: 0,
            declared_len,
            error: None,
        })
    }

    /// Also computes `algorithm` over the object bytes (S3 adds a CRC64NVME to objects uploaded
    /// without a checksum, and a bucket may ask for another). Call before the first
    /// [`feed`](Self::feed).
    pub fn also_compute(&mut self, algorithm: ChecksumAlgorithm) {
        let known = self.verify.iter().chain(self.extra.iter());
        if !known.into_iter().any(|c| c.algorithm() == algorithm) {
            self.extra.push(Checksummer::new(algorithm));
        }
    }

    /// Also computes the MD5 of the object bytes (for an ETag), so that whoever stores them need
    /// not hash them a second time: a request with `Content-MD5` has its MD5 computed anyway, and
    /// it is then computed once. Returns whether [`BodyDigest::md5`] will cover the whole body:
    /// false when called after object bytes have already passed.
    pub fn compute_md5(&mut self) -> bool {
        if self.md5.is_none() {
            if self.decoded > 0 {
                return false;
            }
            self.md5 = Some(Md5::new());
        }
        true
    }

    /// What the headers promised.
    pub fn expected(&self) -> &ExpectedChecksums {
        &self.expected
    }

    /// The `aws-chunked` variant, `None` for an ordinary body.
    pub fn chunked_mode(&self) -> Option<ChunkedMode> {
        match &self.body {
            Body::Chunked(decoder) => Some(decoder.mode()),
            Body::Raw { .. } => None,
        }
    }

    /// The body is `aws-chunked`: the stored `Content-Encoding` loses its `aws-chunked` token
    /// (see [`strip_aws_chunked`]).
    pub fn is_aws_chunked(&self) -> bool {
        matches!(self.body, Body::Chunked(_))
    }

    /// The object size the request announces (`x-amz-decoded-content-length`, or
    /// `Content-Length` for an ordinary body), to refuse an oversized upload before reading it.
    pub fn declared_len(&self) -> Option<u64> {
        self.declared_len
    }

    /// Bytes held inside the pipeline between calls (a partial chunk-size or trailer line): a few
    /// KiB at most, whatever the body's size.
    pub fn buffered_len(&self) -> usize {
        match &self.body {
            Body::Chunked(decoder) => decoder.buffered_len(),
            Body::Raw { .. } => 0,
        }
    }

    /// Takes the next piece of the wire body and appends the object bytes it holds to `out`.
    /// After an error, every later call returns the same error.
    pub fn feed(&mut self, wire: &[u8], out: &mut Vec<u8>) -> Result<(), PayloadError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        let start = out.len();
        match &mut self.body {
            Body::Raw { limit, received } => {
                // Bytes past Content-Length are not part of the request (AWS ignores them).
                let take = match limit {
                    Some(limit) => {
                        let left = limit.saturating_sub(*received);
                        usize::try_from(left).map_or(wire.len(), |left| left.min(wire.len()))
                    }
                    None => wire.len(),
                };
                *received += take as u64;
                out.extend_from_slice(&wire[..take]);
                if let Some(claim) = &mut self.sha256 {
                    sha2::Digest::update(&mut claim.hasher, &wire[..take]);
                }
            }
            Body::Chunked(decoder) => {
                if let Err(err) = decoder.feed(wire, out) {
                    self.error = Some(err.clone());
                    return Err(err);
                }
            }
        }
        let data = &out[start..];
        self.decoded += data.len() as u64;
        if let Some(md5) = &mut self.md5 {
            md5.update(data);
        }
        if let Some(c) = &mut self.verify {
            c.update(data);
        }
        for c in &mut self.extra {
            c.update(data);
        }
        Ok(())
    }

    /// The body has ended: checks it, in AWS's order (framing, signatures and trailers, length,
    /// then `x-amz-content-sha256`, the flexible checksum and `Content-MD5`), and returns its
    /// digests.
    pub fn finish(self) -> Result<BodyDigest, PayloadError> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let trailers = match self.body {
            Body::Raw { limit, received } => {
                if let Some(expected) = limit.filter(|limit| received < *limit) {
                    return Err(PayloadError::BodyLengthMismatch {
                        expected,
                        provided: received,
                    });
                }
                None
            }
            Body::Chunked(decoder) => Some(decoder.finish()?),
        };

        if let Some(claim) = self.sha256 {
            let computed = hex::encode(sha2::Digest::finalize(claim.hasher));
            if !claim.claimed.eq_ignore_ascii_case(&computed) {
                return Err(PayloadError::ContentSha256Mismatch {
                    claimed: claim.claimed,
                    computed,
                });
            }
        }

        let mut checksums = Vec::new();
        if let Some(checksummer) = self.verify {
            let algorithm = checksummer.algorithm();
            let (sent, from_trailer) = match &self.expected.header_checksum {
                Some((_, value)) => (value.clone(), false),
                None => {
                    let value = trailers
                        .as_ref()
                        .and_then(|t| t.get(algorithm.header_name()))
                        .ok_or(PayloadError::MalformedTrailer {
                            reason: "a trailer announced by x-amz-trailer is missing",
                        })?;
                    (value.to_owned(), true)
                }
            };
            let Some(sent_raw) = algorithm.decode_value(&sent) else {
                return Err(if from_trailer {
                    PayloadError::InvalidChecksumTrailer { algorithm }
                } else {
                    PayloadError::InvalidChecksumHeader { algorithm }
                });
            };
            let computed = checksummer.finish_bytes();
            let computed_b64 =
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &computed);
            if computed != sent_raw {
                return Err(PayloadError::ChecksumMismatch {
                    algorithm,
                    expected: sent,
                    calculated: computed_b64,
                });
            }
            checksums.push((algorithm, computed_b64));
        }

        // [unsure] AWS's order between a wrong flexible checksum and a wrong Content-MD5 is not
        // recorded; this is OpenStack Swift's (the checksum is checked as the body ends, the MD5
        // after). A wrong x-amz-content-sha256 beats both on AWS.
        let md5: Option<[u8; 16]> = self.md5.map(|m| m.finalize().into());
        if let (Some(expected), Some(calculated)) = (self.expected.content_md5, md5) {
            if expected != calculated {
                return Err(PayloadError::ContentMd5Mismatch {
                    expected,
                    calculated,
                });
            }
        }

        for c in self.extra {
            let alg = c.algorithm();
            checksums.push((alg, c.finish()));
        }

        Ok(BodyDigest {
            md5,
            checksums,
            decoded_len: self.decoded,
        })
    }
}

/// The `Content-Encoding` to store for an `aws-chunked` upload: the list without its
/// `aws-chunked` tokens, `None` when nothing is left (AWS: `gzip, aws-chunked` → `gzip`,
/// `foo, aws-chunked, bar` → `foo, bar`, `aws-chunked` → no header).
pub fn strip_aws_chunked(content_encoding: &str) -> Option<String> {
    let kept: Vec<&str> = content_encoding
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}
