//! Splits anywhere, and a 64 MiB body through the pipeline with bounded memory.

mod common;

use common::*;
use s3lab_payload::{
    BodyPipeline, ChecksumAlgorithm, Checksummer, ChunkSigning, ChunkedDecoder, ChunkedMode,
    MAX_CHUNK_HEADER,
};
use s3lab_sigv4::{chunk_signature, sha256_hex, trailer_signature, PayloadHash};
use sha2::{Digest as _, Sha256};

/// Random chunk layouts (chunks of at least 8 KiB but the last), random bodies, all three modes:
/// every way of cutting the wire gives the same object, and the decoder alone agrees.
#[test]
fn any_split_gives_the_same_object() {
    let mut rng = Rng::new(2024);
    for round in 0..12 {
        let n_chunks = rng.range(1, 4);
        let mut sizes: Vec<usize> = (0..n_chunks).map(|_| rng.range(8192, 20000)).collect();
        if let Some(last) = sizes.last_mut() {
            *last = rng.range(0, 9000);
        }
        let data = rng.bytes(sizes.iter().sum());
        let mut chunks = Vec::new();
        let mut at = 0;
        for size in &sizes {
            if *size > 0 {
                chunks.push(&data[at..at + size]);
            }
            at += size;
        }
        let len = data.len().to_string();
        let crc = ChecksumAlgorithm::Crc32c.checksum_of(&data);

        let (mode, headers, wire, v) = match round % 3 {
            0 => {
                let headers = unsigned_trailer_headers(data.len(), ChecksumAlgorithm::Crc32c);
                let wire = unsigned_body(&chunks, &[("x-amz-checksum-crc32c", &crc)]);
                (ChunkedMode::UnsignedTrailer, headers, wire, None)
            }
            1 => {
                let v = verified(PayloadHash::StreamingSigned, SEED);
                let headers = headers(&[
                    ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                    ("x-amz-decoded-content-length", &len),
                    ("x-amz-checksum-crc32c", &crc),
                ]);
                let wire = signed_body(&v, &chunks, None);
                (ChunkedMode::Signed, headers, wire, Some(v))
            }
            _ => {
                let v = verified(PayloadHash::StreamingSignedTrailer, SEED);
                let headers = headers(&[
                    (
                        "x-amz-content-sha256",
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                    ),
                    ("x-amz-decoded-content-length", &len),
                    ("x-amz-trailer", "x-amz-checksum-crc32c"),
                ]);
                let wire = signed_body(&v, &chunks, Some(&[("x-amz-checksum-crc32c", &crc)]));
                (ChunkedMode::SignedTrailer, headers, wire, Some(v))
            }
        };
        let mut splits = SPLITS.to_vec();
        splits.extend((0..5).map(|i| Split::Random(round * 100 + i)));
        for split in splits {
            let (object, digest) =
                run(&headers, v.as_ref(), true, &wire, split).expect("a valid body");
            assert!(object == data, "round {round} {mode:?} {split:?}");
            assert_eq!(
                digest.checksum(ChecksumAlgorithm::Crc32c),
                Some(crc.as_str())
            );
        }

        let mut decoder = ChunkedDecoder::new(
            mode,
            v.as_ref().map(ChunkSigning::from_verified),
            Some(data.len() as u64),
        );
        if mode != ChunkedMode::Signed {
            decoder = decoder.expect_trailer("x-amz-checksum-crc32c");
        }
        let mut out = Vec::new();
        for piece in pieces(&wire, Split::Random(round)) {
            decoder.feed(piece, &mut out).expect("feed");
            assert!(decoder.buffered_len() <= MAX_CHUNK_HEADER);
        }
        assert_eq!(decoder.decoded_len(), data.len() as u64);
        let trailers = decoder.finish().expect("finish");
        if mode != ChunkedMode::Signed {
            assert_eq!(trailers.get("x-amz-checksum-crc32c"), Some(crc.as_str()));
        }
        assert!(out == data);
    }
}

/// Makes a large `aws-chunked` body piece by piece, never holding it whole.
struct Generator {
    rng: Rng,
    chunk_size: usize,
    chunks_left: usize,
    signing: Option<s3lab_sigv4::Verified>,
    previous_signature: String,
    /// The checksum announced in the trailer (computed in a first pass).
    trailer: Option<(ChecksumAlgorithm, String)>,
}

impl Generator {
    fn new(seed: u64, chunk_size: usize, chunks: usize) -> Self {
        Generator {
            rng: Rng::new(seed),
            chunk_size,
            chunks_left: chunks,
            signing: None,
            previous_signature: String::new(),
            trailer: None,
        }
    }

    fn chunk_data(&mut self) -> Vec<u8> {
        let mut data = Vec::with_capacity(self.chunk_size);
        while data.len() < self.chunk_size {
            data.extend_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        data.truncate(self.chunk_size);
        data
    }

    /// The object's checksum and SHA-256, by generating it once.
    fn object_digests(
        seed: u64,
        chunk_size: usize,
        chunks: usize,
        alg: ChecksumAlgorithm,
    ) -> (String, Vec<u8>) {
        let mut g = Generator::new(seed, chunk_size, chunks);
        let mut checksum = Checksummer::new(alg);
        let mut sha = Sha256::new();
        for _ in 0..chunks {
            let data = g.chunk_data();
            checksum.update(&data);
            sha.update(&data);
        }
        (checksum.finish(), sha.finalize().to_vec())
    }

    /// The next piece of the wire: a size line with its data, or the end. `None` when done.
    fn next_segment(&mut self) -> Option<Vec<u8>> {
        if self.chunks_left == usize::MAX {
            return None;
        }
        if self.chunks_left == 0 {
            self.chunks_left = usize::MAX;
            return Some(self.final_segment());
        }
        self.chunks_left -= 1;
        let data = self.chunk_data();
        let mut segment = match &self.signing {
            Some(v) => {
                let sig = chunk_signature(
                    &v.signing_key,
                    v.request_time,
                    &v.scope,
                    &self.previous_signature,
                    &sha256_hex(&data),
                );
                let line = format!("{:x};chunk-signature={sig}\r\n", data.len());
                self.previous_signature = sig;
                line.into_bytes()
            }
            None => format!("{:x}\r\n", data.len()).into_bytes(),
        };
        segment.extend_from_slice(&data);
        segment.extend_from_slice(b"\r\n");
        Some(segment)
    }

    fn final_segment(&mut self) -> Vec<u8> {
        let trailer = self
            .trailer
            .as_ref()
            .map(|(alg, value)| format!("{}:{value}", alg.header_name()));
        match &self.signing {
            Some(v) => {
                let sig = chunk_signature(
                    &v.signing_key,
                    v.request_time,
                    &v.scope,
                    &self.previous_signature,
                    s3lab_sigv4::EMPTY_SHA256,
                );
                let mut out = format!("0;chunk-signature={sig}\r\n");
                if let Some(t) = trailer {
                    let tsig = trailer_signature(
                        &v.signing_key,
                        v.request_time,
                        &v.scope,
                        &sig,
                        &sha256_hex(format!("{t}\n").as_bytes()),
                    );
                    out.push_str(&format!("{t}\r\nx-amz-trailer-signature:{tsig}\r\n"));
                }
                out.push_str("\r\n");
                out.into_bytes()
            }
            None => format!(
                "0\r\n{}\r\n",
                trailer.map(|t| t + "\r\n").unwrap_or_default()
            )
            .into_bytes(),
        }
    }
}

/// Streams a generated body through a pipeline in random-sized pieces; checks that neither the
/// pipeline nor the output buffer grows with the body, and that the object is right.
fn stream_large(
    headers: &http::HeaderMap,
    verified: Option<&s3lab_sigv4::Verified>,
    mut generator: Generator,
    object_sha: &[u8],
    total: u64,
) -> s3lab_payload::BodyDigest {
    const MAX_PIECE: usize = 256 * 1024;
    let mut pipeline = BodyPipeline::new(headers, verified, true).expect("headers");
    pipeline.also_compute(ChecksumAlgorithm::Crc32);
    assert_eq!(pipeline.declared_len(), Some(total));
    let mut cut = Rng::new(99);
    let mut pending: Vec<u8> = Vec::new();
    let mut out: Vec<u8> = Vec::new();
    let mut sha = Sha256::new();
    let mut ended = false;
    let mut feeds = 0u64;
    while !ended || !pending.is_empty() {
        let want = cut.range(1, MAX_PIECE);
        while !ended && pending.len() < want {
            match generator.next_segment() {
                Some(segment) => pending.extend_from_slice(&segment),
                None => ended = true,
            }
        }
        let n = want.min(pending.len());
        pipeline.feed(&pending[..n], &mut out).expect("feed");
        pending.drain(..n);
        feeds += 1;
        sha.update(&out);
        out.clear();
        // Bounded: the output never holds more than one piece (twice that in capacity, as a
        // Vec grows by doubling), the pipeline a few KiB.
        assert!(
            out.capacity() <= 2 * MAX_PIECE,
            "output buffer grew to {}",
            out.capacity()
        );
        assert!(pipeline.buffered_len() <= MAX_CHUNK_HEADER);
        assert!(pending.capacity() <= 8 * MAX_PIECE + 4 * 1024 * 1024);
    }
    assert!(feeds >= total / MAX_PIECE as u64, "{feeds} feeds");
    let digest = pipeline.finish().expect("a valid body");
    assert_eq!(digest.decoded_len, total);
    assert_eq!(sha.finalize().to_vec(), object_sha);
    digest
}

#[test]
fn sixty_four_mib_unsigned_trailer_with_bounded_memory() {
    const CHUNK: usize = 1024 * 1024; // botocore's chunk size
    const CHUNKS: usize = 64;
    let alg = ChecksumAlgorithm::Crc64Nvme;
    let (checksum, object_sha) = Generator::object_digests(1, CHUNK, CHUNKS, alg);
    let mut generator = Generator::new(1, CHUNK, CHUNKS);
    generator.trailer = Some((alg, checksum.clone()));
    let headers = unsigned_trailer_headers(CHUNK * CHUNKS, alg);
    let digest = stream_large(
        &headers,
        None,
        generator,
        &object_sha,
        (CHUNK * CHUNKS) as u64,
    );
    assert_eq!(digest.checksum(alg), Some(checksum.as_str()));
    assert!(digest.checksum(ChecksumAlgorithm::Crc32).is_some());
    assert!(digest.md5.is_some());
}

#[test]
fn sixteen_mib_signed_trailer_with_bounded_memory() {
    const CHUNK: usize = 64 * 1024; // the chunk size of S3's documented example
    const CHUNKS: usize = 256;
    let alg = ChecksumAlgorithm::Sha256;
    let (checksum, object_sha) = Generator::object_digests(2, CHUNK, CHUNKS, alg);
    let v = verified(PayloadHash::StreamingSignedTrailer, SEED);
    let mut generator = Generator::new(2, CHUNK, CHUNKS);
    generator.signing = Some(v.clone());
    generator.previous_signature = SEED.to_owned();
    generator.trailer = Some((alg, checksum.clone()));
    let headers = headers(&[
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            "x-amz-decoded-content-length",
            &(CHUNK * CHUNKS).to_string(),
        ),
        ("x-amz-trailer", alg.header_name()),
    ]);
    let digest = stream_large(
        &headers,
        Some(&v),
        generator,
        &object_sha,
        (CHUNK * CHUNKS) as u64,
    );
    assert_eq!(digest.checksum(alg), Some(checksum.as_str()));
}
