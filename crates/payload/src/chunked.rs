//! A push-style decoder for `aws-chunked` bodies.
//!
//! The wire format (S3 API Reference, "Transferring payload in multiple chunks" and "Including
//! trailing headers"):
//!
//! ```text
//! <hex-size>[;chunk-signature=<sig>]\r\n<size bytes>\r\n      one or more data chunks
//! 0[;chunk-signature=<sig>]\r\n                              the final, empty chunk
//! <name>:<value>\r\n ...                                     trailers, if x-amz-trailer said so
//! [x-amz-trailer-signature:<sig>\r\n]                        signed-trailer variant only
//! \r\n
//! ```
//!
//! What AWS accepts and refuses at the edges (all observed on AWS by OpenStack Swift's
//! `test_input_errors.py`):
//! * spaces around the size, `;`, `=` and the signature are allowed;
//! * LF without CR, CR without LF, or a body that ends before the final chunk is `IncompleteBody`
//!   ("The request body terminated unexpectedly");
//! * every chunk but the last must hold at least 8192 bytes (`InvalidChunkSizeError`);
//! * without trailers, the final chunk may be followed by `\r\n` or by nothing at all; with
//!   trailers, the last trailer line may end the body without the blank line;
//! * a blank line before the trailers, an undeclared trailer, or a missing one is
//!   `MalformedTrailerError`; a repeated trailer counts once, the last value winning;
//! * whatever follows the end of the trailers is ignored.

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use s3lab_sigv4::{
    format_amz_date, verify_chunk_signature, verify_trailer_signature, CredentialScope,
    PayloadHash, SigningKey, Verified, EMPTY_SHA256,
};

use crate::error::PayloadError;

/// Every chunk but the last must be at least this large.
pub const MIN_CHUNK_SIZE: u64 = 8192;
/// The longest chunk-size line accepted (a signed one is about 90 bytes).
pub const MAX_CHUNK_HEADER: usize = 4096;
/// The most trailer bytes accepted.
pub const MAX_TRAILER_SECTION: usize = 16 * 1024;

const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// The three `aws-chunked` variants, named after their `x-amz-content-sha256` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, no trailers.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, signed trailers.
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks and trailers (what current SDKs and the
    /// AWS CLI send over HTTPS, with a CRC trailer).
    UnsignedTrailer,
}

impl ChunkedMode {
    /// The mode of a streaming payload hash; `None` for a body that is not `aws-chunked`.
    pub fn from_payload_hash(payload: &PayloadHash) -> Option<Self> {
        match payload {
            PayloadHash::StreamingSigned => Some(ChunkedMode::Signed),
            PayloadHash::StreamingSignedTrailer => Some(ChunkedMode::SignedTrailer),
            PayloadHash::StreamingUnsignedTrailer => Some(ChunkedMode::UnsignedTrailer),
            PayloadHash::Sha256Hex(_) | PayloadHash::Unsigned => None,
        }
    }

    /// Chunks carry `chunk-signature`.
    pub fn is_signed(self) -> bool {
        matches!(self, ChunkedMode::Signed | ChunkedMode::SignedTrailer)
    }

    /// The value of `x-amz-content-sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkedMode::Signed => PayloadHash::STREAMING_SIGNED,
            ChunkedMode::SignedTrailer => PayloadHash::STREAMING_SIGNED_TRAILER,
            ChunkedMode::UnsignedTrailer => PayloadHash::STREAMING_UNSIGNED_TRAILER,
        }
    }
}

/// What checking chunk and trailer signatures needs: the signing key, time and scope of the
/// request, and its signature, which seeds the chain.
#[derive(Clone, Debug)]
pub struct ChunkSigning {
    pub access_key_id: String,
    pub signing_key: SigningKey,
    pub request_time: OffsetDateTime,
    pub scope: CredentialScope,
    /// The request's own signature (lowercase hex).
    pub seed_signature: String,
}

impl ChunkSigning {
    pub fn from_verified(verified: &Verified) -> Self {
        ChunkSigning {
            access_key_id: verified.access_key_id.clone(),
            signing_key: verified.signing_key.clone(),
            request_time: verified.request_time,
            scope: verified.scope.clone(),
            seed_signature: verified.signature.clone(),
        }
    }

    fn chunk_string_to_sign(&self, previous: &str, chunk_hash: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{chunk_hash}",
            format_amz_date(self.request_time),
            self.scope
        )
    }

    fn trailer_string_to_sign(&self, previous: &str, trailer_hash: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{trailer_hash}",
            format_amz_date(self.request_time),
            self.scope
        )
    }
}

impl From<&Verified> for ChunkSigning {
    fn from(verified: &Verified) -> Self {
        ChunkSigning::from_verified(verified)
    }
}

/// The trailers of an `aws-chunked` body, names as sent, values trimmed; a repeated name keeps its
/// last value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trailers {
    entries: Vec<(String, String)>,
}

impl Trailers {
    /// The value of a trailer, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The trailers in the order they first came, `x-amz-trailer-signature` included.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn set(&mut self, name: &str, value: &str) {
        match self
            .entries
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(entry) => entry.1 = value.to_owned(),
            None => self.entries.push((name.to_owned(), value.to_owned())),
        }
    }

    /// The bytes the trailer signature covers: `name:value\n` per trailer, sorted by lowercase
    /// name, the signature itself left out; `\n` alone when there is nothing else.
    pub fn canonical(&self) -> String {
        let mut entries: Vec<&(String, String)> = self
            .entries
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(TRAILER_SIGNATURE))
            .collect();
        entries.sort_by_key(|(n, _)| n.to_ascii_lowercase());
        let mut out = String::new();
        for (n, v) in entries {
            out.push_str(n);
            out.push(':');
            out.push_str(v);
            out.push('\n');
        }
        if out.is_empty() {
            out.push('\n');
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line into `line`.
    Header,
    /// Inside a chunk's data.
    Data { remaining: u64 },
    /// After a chunk's data: `seen` bytes of its CRLF matched.
    DataEnd { seen: u8 },
    /// After the final chunk, no trailers expected: nothing or `\r\n` may follow.
    AfterFinal { seen: u8 },
    /// Reading trailer lines into `line`.
    Trailers,
    /// The body is complete; anything further is ignored.
    Done,
}

/// Push-style decoder of `aws-chunked` bodies: feed it the wire body in slices of any size and
/// boundaries; it appends the object's bytes to `out`, checks each chunk signature (signed modes),
/// collects the trailers and checks their signature, and on [`finish`](Self::finish) checks the
/// total against `x-amz-decoded-content-length`. Its own memory is bounded (one size line or the
/// trailer section, a few KiB at most), whatever the body's size.
///
/// Bytes written to `out` are only trustworthy once `finish` has succeeded: a chunk's signature can
/// only be checked after its data.
#[derive(Debug)]
pub struct ChunkedDecoder {
    mode: ChunkedMode,
    signing: Option<ChunkSigning>,
    decoded_content_length: Option<u64>,
    /// Lowercase names of the trailers to expect (the signature included, in the signed mode).
    expected_trailers: Vec<String>,
    state: State,
    line: Vec<u8>,
    chunk_number: u64,
    last_chunk_size: Option<u64>,
    decoded: u64,
    chunk_hash: Sha256,
    previous_signature: String,
    chunk_signature: String,
    trailers: Trailers,
    trailer_bytes: usize,
    error: Option<PayloadError>,
}

impl ChunkedDecoder {
    /// A decoder for `mode`. Signed modes need `signing`; `decoded_content_length` is the value of
    /// `x-amz-decoded-content-length` (`None`: no length check). Without
    /// [`expect_trailer`](Self::expect_trailer), a trailer other than the signed mode's
    /// `x-amz-trailer-signature` is refused.
    pub fn new(
        mode: ChunkedMode,
        signing: Option<ChunkSigning>,
        decoded_content_length: Option<u64>,
    ) -> Self {
        let previous_signature = signing
            .as_ref()
            .map(|s| s.seed_signature.clone())
            .unwrap_or_default();
        let mut expected_trailers = Vec::new();
        if mode == ChunkedMode::SignedTrailer {
            expected_trailers.push(TRAILER_SIGNATURE.to_owned());
        }
        ChunkedDecoder {
            mode,
            signing,
            decoded_content_length,
            expected_trailers,
            state: State::Header,
            line: Vec::new(),
            chunk_number: 0,
            last_chunk_size: None,
            decoded: 0,
            chunk_hash: Sha256::new(),
            previous_signature,
            chunk_signature: String::new(),
            trailers: Trailers::default(),
            trailer_bytes: 0,
            error: None,
        }
    }

    /// Announces a trailer (as `x-amz-trailer` does); the body must then carry it.
    pub fn expect_trailer(mut self, name: &str) -> Self {
        let name = name.trim().to_ascii_lowercase();
        if !self.expected_trailers.contains(&name) {
            self.expected_trailers.push(name);
        }
        self
    }

    pub fn mode(&self) -> ChunkedMode {
        self.mode
    }

    /// Object bytes decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Bytes held inside the decoder (a partial size or trailer line): bounded by
    /// [`MAX_CHUNK_HEADER`] and [`MAX_TRAILER_SECTION`].
    pub fn buffered_len(&self) -> usize {
        self.line.len()
            + self
                .trailers
                .entries
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>()
    }

    /// Decodes the next piece of the wire body, appending object bytes to `out`. After an error,
    /// every later call returns the same error.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), PayloadError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        let result = self.feed_inner(input, out);
        if let Err(err) = &result {
            self.error = Some(err.clone());
        }
        result
    }

    /// The body has ended: checks that it ended where it may, that the trailers are complete and
    /// signed, and the decoded length.
    pub fn finish(mut self) -> Result<Trailers, PayloadError> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        match self.state {
            State::Header | State::Data { .. } | State::DataEnd { .. } => {
                return Err(malformed("the body ended before the final chunk"))
            }
            State::AfterFinal { seen: 1 } => {
                return Err(malformed(
                    "the body ended inside the CRLF after the final chunk",
                ))
            }
            State::AfterFinal { .. } | State::Done => {}
            State::Trailers => {
                if !self.line.is_empty() {
                    return Err(malformed("the body ended inside a trailer line"));
                }
                self.end_trailers()?;
            }
        }
        self.check_total()?;
        Ok(self.trailers)
    }

    fn feed_inner(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), PayloadError> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Header => {
                    let rest = &input[i..];
                    match rest.iter().position(|&b| b == b'\n') {
                        Some(j) => {
                            self.push_line(&rest[..=j], MAX_CHUNK_HEADER)?;
                            i += j + 1;
                            let line = std::mem::take(&mut self.line);
                            self.chunk_header(&line)?;
                        }
                        None => {
                            self.push_line(rest, MAX_CHUNK_HEADER)?;
                            i = input.len();
                        }
                    }
                }
                State::Data { remaining } => {
                    let available = (input.len() - i) as u64;
                    let n = remaining.min(available) as usize;
                    let data = &input[i..i + n];
                    out.extend_from_slice(data);
                    if self.mode.is_signed() {
                        self.chunk_hash.update(data);
                    }
                    self.decoded += n as u64;
                    i += n;
                    let remaining = remaining - n as u64;
                    if remaining == 0 {
                        if self.mode.is_signed() {
                            let hash = hex::encode(std::mem::take(&mut self.chunk_hash).finalize());
                            self.check_chunk_signature(&hash)?;
                        }
                        self.state = State::DataEnd { seen: 0 };
                    } else {
                        self.state = State::Data { remaining };
                    }
                }
                State::DataEnd { seen } => {
                    if input[i] != b"\r\n"[usize::from(seen)] {
                        return Err(malformed("chunk data not followed by CRLF"));
                    }
                    i += 1;
                    self.state = if seen == 1 {
                        State::Header
                    } else {
                        State::DataEnd { seen: 1 }
                    };
                }
                State::AfterFinal { seen } => {
                    if input[i] != b"\r\n"[usize::from(seen)] {
                        return Err(malformed("unexpected bytes after the final chunk"));
                    }
                    i += 1;
                    self.state = if seen == 1 {
                        State::Done
                    } else {
                        State::AfterFinal { seen: 1 }
                    };
                }
                State::Trailers => {
                    let rest = &input[i..];
                    let (piece, complete) = match rest.iter().position(|&b| b == b'\n') {
                        Some(j) => (&rest[..=j], true),
                        None => (rest, false),
                    };
                    self.trailer_bytes += piece.len();
                    if self.trailer_bytes > MAX_TRAILER_SECTION {
                        return Err(PayloadError::MalformedTrailer {
                            reason: "the trailer section is too long",
                        });
                    }
                    self.line.extend_from_slice(piece);
                    i += piece.len();
                    if complete {
                        let line = std::mem::take(&mut self.line);
                        self.trailer_line(&line)?;
                    }
                }
                State::Done => i = input.len(),
            }
        }
        Ok(())
    }

    fn push_line(&mut self, piece: &[u8], max: usize) -> Result<(), PayloadError> {
        if self.line.len() + piece.len() > max {
            return Err(malformed("chunk-size line too long"));
        }
        self.line.extend_from_slice(piece);
        Ok(())
    }

    /// One chunk-size line, CRLF included.
    fn chunk_header(&mut self, line: &[u8]) -> Result<(), PayloadError> {
        let Some(line) = line.strip_suffix(b"\r\n") else {
            return Err(malformed("chunk-size line not ended by CRLF"));
        };
        let line =
            std::str::from_utf8(line).map_err(|_| malformed("chunk-size line is not text"))?;
        self.chunk_number += 1;
        let (size_text, params) = match line.split_once(';') {
            Some((size, params)) => (size, Some(params)),
            None => (line, None),
        };
        let size = parse_hex_size(size_text.trim_matches(is_space))
            .ok_or_else(|| malformed("chunk size is not hexadecimal"))?;

        if let Some(last) = self.last_chunk_size {
            if last < MIN_CHUNK_SIZE && size != 0 {
                return Err(PayloadError::ChunkTooSmall {
                    chunk: self.chunk_number,
                    size: last,
                });
            }
        }
        self.last_chunk_size = Some(size);
        if let Some(expected) = self.decoded_content_length {
            let provided = self.decoded.saturating_add(size);
            if provided > expected {
                return Err(PayloadError::BodyLengthMismatch { expected, provided });
            }
        }

        if self.mode.is_signed() {
            self.chunk_signature = self.signature_param(params)?;
        }

        if size == 0 {
            if self.mode.is_signed() {
                self.check_chunk_signature(EMPTY_SHA256)?;
            }
            self.state = if self.expected_trailers.is_empty() {
                State::AfterFinal { seen: 0 }
            } else {
                State::Trailers
            };
        } else {
            self.chunk_hash = Sha256::new();
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// The `chunk-signature=<sig>` parameter of a signed chunk.
    fn signature_param(&self, params: Option<&str>) -> Result<String, PayloadError> {
        let Some(params) = params else {
            return Err(malformed("chunk without chunk-signature"));
        };
        let (name, value) = params.split_once('=').unwrap_or((params, ""));
        if name.trim_matches(is_space) != "chunk-signature" {
            // AWS treats another first parameter as a wrong signature.
            let signing = self
                .signing
                .as_ref()
                .ok_or(PayloadError::SigningUnavailable)?;
            return Err(PayloadError::ChunkSignatureMismatch {
                access_key_id: signing.access_key_id.clone(),
                string_to_sign: signing.chunk_string_to_sign(&self.previous_signature, ""),
                provided: value.trim_matches(is_space).to_owned(),
            });
        }
        if value.contains(';') {
            return Err(malformed("extra parameter after chunk-signature"));
        }
        let value = value.trim_matches(is_space);
        if value.is_empty() {
            return Err(malformed("empty chunk-signature"));
        }
        Ok(value.to_owned())
    }

    fn check_chunk_signature(&mut self, chunk_hash: &str) -> Result<(), PayloadError> {
        let signing = self
            .signing
            .as_ref()
            .ok_or(PayloadError::SigningUnavailable)?;
        let provided = std::mem::take(&mut self.chunk_signature);
        if !verify_chunk_signature(
            &signing.signing_key,
            signing.request_time,
            &signing.scope,
            &self.previous_signature,
            chunk_hash,
            &provided,
        ) {
            return Err(PayloadError::ChunkSignatureMismatch {
                access_key_id: signing.access_key_id.clone(),
                string_to_sign: signing.chunk_string_to_sign(&self.previous_signature, chunk_hash),
                provided,
            });
        }
        self.previous_signature = provided.to_ascii_lowercase();
        Ok(())
    }

    /// One trailer line, CRLF included.
    fn trailer_line(&mut self, line: &[u8]) -> Result<(), PayloadError> {
        let Some(content) = line.strip_suffix(b"\r\n") else {
            return Err(malformed("trailer line not ended by CRLF"));
        };
        if content.is_empty() {
            self.end_trailers()?;
            self.state = State::Done;
            return Ok(());
        }
        let content = std::str::from_utf8(content).map_err(|_| PayloadError::MalformedTrailer {
            reason: "a trailer line is not text",
        })?;
        let Some((name, value)) = content.split_once(':') else {
            return Err(PayloadError::MalformedTrailer {
                reason: "a trailer line without a colon",
            });
        };
        if !self.expected_trailers.contains(&name.to_ascii_lowercase()) {
            return Err(PayloadError::MalformedTrailer {
                reason: "a trailer that x-amz-trailer did not announce",
            });
        }
        self.trailers
            .set(name.trim_matches(is_space), value.trim_matches(is_space));
        Ok(())
    }

    /// The trailer section is over (blank line, or the body's end after a complete line).
    fn end_trailers(&mut self) -> Result<(), PayloadError> {
        let signed = self.mode == ChunkedMode::SignedTrailer;
        let signature = self.trailers.get(TRAILER_SIGNATURE).map(str::to_owned);
        if signed && signature.is_none() {
            return Err(malformed("no x-amz-trailer-signature"));
        }
        let all_present = self.expected_trailers.len() == self.trailers.len()
            && self
                .expected_trailers
                .iter()
                .all(|name| self.trailers.get(name).is_some());
        if !all_present {
            return Err(PayloadError::MalformedTrailer {
                reason: "a trailer announced by x-amz-trailer is missing",
            });
        }
        if let (true, Some(provided)) = (signed, signature) {
            let signing = self
                .signing
                .as_ref()
                .ok_or(PayloadError::SigningUnavailable)?;
            let canonical = self.trailers.canonical();
            let hash = s3lab_sigv4::sha256_hex(canonical.as_bytes());
            if !verify_trailer_signature(
                &signing.signing_key,
                signing.request_time,
                &signing.scope,
                &self.previous_signature,
                &hash,
                &provided,
            ) {
                return Err(PayloadError::TrailerSignatureMismatch {
                    access_key_id: signing.access_key_id.clone(),
                    string_to_sign: signing.trailer_string_to_sign(&self.previous_signature, &hash),
                    provided,
                });
            }
            if self.trailers.len() == 1 {
                // Only the signature: AWS calls the body incomplete.
                return Err(malformed("a signed trailer section without trailers"));
            }
        }
        Ok(())
    }

    fn check_total(&self) -> Result<(), PayloadError> {
        match self.decoded_content_length {
            Some(expected) if expected != self.decoded => Err(PayloadError::BodyLengthMismatch {
                expected,
                provided: self.decoded,
            }),
            _ => Ok(()),
        }
    }
}

fn malformed(reason: &'static str) -> PayloadError {
    PayloadError::MalformedChunkedBody { reason }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// 1 to 16 hex digits.
fn parse_hex_size(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}
