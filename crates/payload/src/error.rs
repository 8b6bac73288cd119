//! Why a request body was refused, and how S3 words it.
//!
//! Sources for the wire texts, cited per variant:
//! * **[obs]** OpenStack Swift's `test/s3api/test_input_errors.py` and
//!   `test/s3api/test_object_checksums.py`: raw-HTTP and boto3 tests that are run against real AWS
//!   (`is_aws`) and assert the exact `<Code>`, `<Message>` and extra elements; and versitygw's
//!   integration tests run with `DIRECT=true` against AWS.
//! * **[doc]** the S3 error list (ErrorResponses.html) and the SigV4 streaming pages.
//! * **[unsure]** no AWS response was found; the choice and its reason are given.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::checksum::ChecksumAlgorithm;

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const TERMINATED: &str = "The request body terminated unexpectedly";
const WRONG_LENGTH: &str =
    "You did not provide the number of bytes specified by the Content-Length HTTP header";
const MALFORMED_TRAILER: &str = "The request contained trailing data that was not well-formed or did not conform to our published schema.";

/// A request body that S3 would refuse. [`PayloadError::s3`] gives status, code and message;
/// [`PayloadError::s3_extra`] the further elements of S3's `<Error>` document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// `Content-MD5` is not base64 of 16 bytes.
    #[error("Content-MD5 {value:?} is not the base64 of 16 bytes")]
    InvalidContentMd5 { value: String },
    /// The body's MD5 is not the one in `Content-MD5`.
    #[error(
        "Content-MD5 mismatch: expected {}, computed {}",
        hex::encode(expected),
        hex::encode(calculated)
    )]
    ContentMd5Mismatch {
        expected: [u8; 16],
        calculated: [u8; 16],
    },
    /// The body's checksum is not the one in `x-amz-checksum-*` (header or trailer).
    #[error("{} mismatch: expected {expected}, computed {calculated}", algorithm.name())]
    ChecksumMismatch {
        algorithm: ChecksumAlgorithm,
        expected: String,
        calculated: String,
    },
    /// An `x-amz-checksum-*` header whose value is not base64 of the algorithm's size.
    #[error("the value of {} is not a valid checksum", algorithm.header_name())]
    InvalidChecksumHeader { algorithm: ChecksumAlgorithm },
    /// The same, for a value that came as a trailer of an `aws-chunked` body.
    #[error("the trailing {} is not a valid checksum", algorithm.header_name())]
    InvalidChecksumTrailer { algorithm: ChecksumAlgorithm },
    /// More than one `x-amz-checksum-*` header, or more than one checksum in `x-amz-trailer`.
    #[error("more than one checksum header or trailer")]
    MultipleChecksums,
    /// A checksum header and a checksum trailer at the same time.
    #[error("a checksum in both the headers and x-amz-trailer")]
    ChecksumInHeaderAndTrailer,
    /// `x-amz-checksum-<name>` with a name that is no algorithm.
    #[error("unknown checksum header {name}")]
    UnknownChecksumHeader { name: String },
    /// `x-amz-trailer` names something other than one checksum header.
    #[error("unsupported x-amz-trailer {value:?}")]
    UnsupportedTrailer { value: String },
    /// `x-amz-sdk-checksum-algorithm` names another algorithm than the checksum sent, or none.
    #[error("x-amz-sdk-checksum-algorithm {value:?} does not name the checksum sent")]
    SdkAlgorithmMismatch { value: String },
    /// `x-amz-sdk-checksum-algorithm` without any checksum header or trailer.
    #[error("x-amz-sdk-checksum-algorithm {value:?} without a checksum header or trailer")]
    SdkAlgorithmWithoutChecksum { value: String },
    /// An `aws-chunked` body without a usable `x-amz-decoded-content-length`.
    #[error("missing or invalid x-amz-decoded-content-length")]
    MissingDecodedContentLength,
    /// A negative `x-amz-decoded-content-length`.
    #[error("negative x-amz-decoded-content-length {value:?}")]
    NegativeDecodedContentLength { value: String },
    /// The `aws-chunked` framing is broken or the body ended early: a size line that is not hex or
    /// not ended by CRLF, data not followed by CRLF, no final chunk, a chunk signature missing.
    #[error("malformed aws-chunked body: {reason}")]
    MalformedChunkedBody { reason: &'static str },
    /// The body holds more or fewer bytes than `x-amz-decoded-content-length` (aws-chunked) or
    /// `Content-Length` says.
    #[error("body length mismatch: expected {expected} bytes, got {provided}")]
    BodyLengthMismatch { expected: u64, provided: u64 },
    /// A chunk other than the last is smaller than 8 KiB.
    #[error("chunk {chunk}: a non-final chunk of {size} bytes (minimum 8192)")]
    ChunkTooSmall { chunk: u64, size: u64 },
    /// A `chunk-signature` does not match (or its parameter is not `chunk-signature`).
    #[error("chunk signature mismatch")]
    ChunkSignatureMismatch {
        access_key_id: String,
        string_to_sign: String,
        provided: String,
    },
    /// The `x-amz-trailer-signature` does not match.
    #[error("trailer signature mismatch")]
    TrailerSignatureMismatch {
        access_key_id: String,
        string_to_sign: String,
        provided: String,
    },
    /// The trailer section is not what `x-amz-trailer` announced: missing, extra or undeclared
    /// trailers, a blank line before them, or `x-amz-trailer` on a body that is not aws-chunked.
    #[error("malformed trailer: {reason}")]
    MalformedTrailer { reason: &'static str },
    /// The body's SHA-256 is not the `x-amz-content-sha256` the request carried.
    #[error("x-amz-content-sha256 {claimed} does not match the body's {computed}")]
    ContentSha256Mismatch { claimed: String, computed: String },
    /// A signed `aws-chunked` body without the signing key to check it (a programming error of the
    /// caller: [`crate::ChunkedDecoder`] built for a signed mode without [`crate::ChunkSigning`]).
    #[error("signed aws-chunked body without a signing key")]
    SigningUnavailable,
}

impl PayloadError {
    /// The HTTP status, S3 error code and message.
    pub fn s3(&self) -> (u16, &'static str, String) {
        use PayloadError::*;
        match self {
            // [obs] swift test_input_errors assertInvalidDigest.
            InvalidContentMd5 { .. } => (
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was invalid.".to_owned(),
            ),
            // [obs] swift test_input_errors assertBadDigest.
            ContentMd5Mismatch { .. } => (
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.".to_owned(),
            ),
            // [obs] swift test_object_checksums test_bad_checksum, for each of the five algorithms.
            ChecksumMismatch { algorithm, .. } => (
                400,
                "BadDigest",
                format!(
                    "The {} you specified did not match the calculated checksum.",
                    algorithm.name()
                ),
            ),
            // [obs] swift test_good_md5_good_sha_invalid_crc_header, test_invalid_checksum.
            InvalidChecksumHeader { algorithm } => (
                400,
                "InvalidRequest",
                format!("Value for {} header is invalid.", algorithm.header_name()),
            ),
            // [obs] swift test_strm_unsgnd_pyld_trl_with_trailer_checksum_invalid.
            InvalidChecksumTrailer { algorithm } => (
                400,
                "InvalidRequest",
                format!(
                    "Value for {} trailing header is invalid.",
                    algorithm.header_name()
                ),
            ),
            // [obs] swift test_no_md5_good_sha_multiple_crc_in_headers, test_multi_checksum.
            MultipleChecksums => (
                400,
                "InvalidRequest",
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                    .to_owned(),
            ),
            // [obs] swift test_no_md5_good_sha_same_crc_in_trailer_and_header: the short form.
            ChecksumInHeaderAndTrailer => (
                400,
                "InvalidRequest",
                "Expecting a single x-amz-checksum- header".to_owned(),
            ),
            // [obs] swift test_no_md5_good_sha_unsupported_crc_header.
            UnknownChecksumHeader { .. } => (
                400,
                "InvalidRequest",
                "The algorithm type you specified in x-amz-checksum- header is invalid.".to_owned(),
            ),
            // [obs] swift assertUnsupportedTrailerHeader.
            UnsupportedTrailer { .. } => (
                400,
                "InvalidRequest",
                "The value specified in the x-amz-trailer header is not supported".to_owned(),
            ),
            // [obs] swift test_good_md5_good_sha_good_crc_algo_mismatch.
            SdkAlgorithmMismatch { .. } => (
                400,
                "InvalidRequest",
                "Value for x-amz-sdk-checksum-algorithm header is invalid.".to_owned(),
            ),
            // [obs] swift test_good_md5_good_sha_no_crc_but_declared.
            SdkAlgorithmWithoutChecksum { .. } => (
                400,
                "InvalidRequest",
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or \
                 x-amz-trailer headers were found."
                    .to_owned(),
            ),
            // [obs] swift test_strm_unsgnd_pyld_trl_te_chunked_no_decoded_content_length and
            // test_no_md5_streaming_unsigned_bad_decoded_content_length: 411, although the request
            // had a Content-Length (AWS means x-amz-decoded-content-length).
            MissingDecodedContentLength => (
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.".to_owned(),
            ),
            // [unsure] swift answers InvalidArgument (ArgumentName x-amz-decoded-content-length);
            // no AWS response seen. The message is S3's generic one.
            NegativeDecodedContentLength { .. } => {
                (400, "InvalidArgument", "Invalid Argument".to_owned())
            }
            // [obs] swift assertIncompleteBody without byte counts: truncated chunk, no final
            // chunk, LF without CR, non-hex size, missing chunk-signature.
            MalformedChunkedBody { .. } => (400, "IncompleteBody", TERMINATED.to_owned()),
            // [obs] swift test_strm_unsgnd_pyld_trl_too_many_bytes / zero_chunk_mid_stream: no
            // final period, with NumberBytesExpected and NumberBytesProvided.
            BodyLengthMismatch { .. } => (400, "IncompleteBody", WRONG_LENGTH.to_owned()),
            // [obs] swift test_strm_sgnd_pyld_too_small_chunks asserts 403 from AWS (marked
            // "???"); [unsure] about the status only: versitygw answers 400.
            ChunkTooSmall { .. } => (
                403,
                "InvalidChunkSizeError",
                "Only the last chunk is allowed to have a size less than 8192 bytes".to_owned(),
            ),
            // [obs] swift assertSignatureMismatch with StringToSign "AWS4-HMAC-SHA256-PAYLOAD".
            ChunkSignatureMismatch { .. } => {
                (403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH.to_owned())
            }
            // [obs] swift test_strm_sgnd_pyld_trl_bad_trl_sig ("AWS4-HMAC-SHA256-TRAILER").
            TrailerSignatureMismatch { .. } => {
                (403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH.to_owned())
            }
            // [obs] swift assertMalformedTrailer; versitygw (DIRECT) "trailer missing".
            MalformedTrailer { .. } => (400, "MalformedTrailerError", MALFORMED_TRAILER.to_owned()),
            // [obs] swift assertSHA256Mismatch.
            ContentSha256Mismatch { .. } => (
                400,
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned(),
            ),
            // [unsure] swift's answer when it cannot check chunk signatures.
            SigningUnavailable => (
                501,
                "NotImplemented",
                "Transferring payloads in multiple chunks using aws-chunked is not supported."
                    .to_owned(),
            ),
        }
    }

    /// The further elements S3 puts in its `<Error>` document, in order.
    ///
    /// For a signature mismatch these are the elements this crate knows; S3 also sends
    /// `CanonicalRequest` and `CanonicalRequestBytes` (of the request itself), which the caller
    /// has to add from its own signature check if it wants them.
    pub fn s3_extra(&self) -> Vec<(&'static str, String)> {
        use PayloadError::*;
        match self {
            // [obs] "AWS provides this" (swift test comment).
            InvalidContentMd5 { value } => vec![("Content-MD5", value.clone())],
            // [obs] ExpectedDigest in hex for PutObject (base64 for some other operations),
            // CalculatedDigest always base64.
            ContentMd5Mismatch {
                expected,
                calculated,
            } => vec![
                ("ExpectedDigest", hex::encode(expected)),
                ("CalculatedDigest", STANDARD.encode(calculated)),
            ],
            // [obs] swift: no Expected/Computed element for a checksum mismatch.
            BodyLengthMismatch { expected, provided } => vec![
                ("NumberBytesExpected", expected.to_string()),
                ("NumberBytesProvided", provided.to_string()),
            ],
            // [obs] "it points at the wrong chunk number": Chunk is the number of the chunk after
            // the small one, BadChunkSize the small one's size.
            ChunkTooSmall { chunk, size } => vec![
                ("Chunk", chunk.to_string()),
                ("BadChunkSize", size.to_string()),
            ],
            ChunkSignatureMismatch {
                access_key_id,
                string_to_sign,
                provided,
            }
            | TrailerSignatureMismatch {
                access_key_id,
                string_to_sign,
                provided,
            } => vec![
                ("AWSAccessKeyId", access_key_id.clone()),
                ("StringToSign", string_to_sign.clone()),
                ("SignatureProvided", provided.clone()),
                ("StringToSignBytes", spaced_hex(string_to_sign.as_bytes())),
            ],
            NegativeDecodedContentLength { value } => vec![
                ("ArgumentName", "x-amz-decoded-content-length".to_owned()),
                ("ArgumentValue", value.clone()),
            ],
            // [obs] assertSHA256Mismatch.
            ContentSha256Mismatch { claimed, computed } => vec![
                ("ClientComputedContentSHA256", claimed.clone()),
                ("S3ComputedContentSHA256", computed.clone()),
            ],
            _ => Vec::new(),
        }
    }
}

/// Bytes as two-digit hex separated by spaces, as S3's `StringToSignBytes`.
fn spaced_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}
