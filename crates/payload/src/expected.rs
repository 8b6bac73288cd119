//! What a request's headers promise about its body.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::HeaderMap;

use crate::checksum::ChecksumAlgorithm;
use crate::error::PayloadError;

/// `x-amz-checksum-*` headers that are not checksums: GetObject's mode, CreateMultipartUpload's
/// algorithm and type. S3 tolerates them on a PUT.
const NOT_CHECKSUMS: [&str; 3] = [
    "x-amz-checksum-algorithm",
    "x-amz-checksum-type",
    "x-amz-checksum-mode",
];

/// The integrity promises of a request, read from its headers by [`parse_expected`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedChecksums {
    /// `Content-MD5`, decoded.
    pub content_md5: Option<[u8; 16]>,
    /// The one `x-amz-checksum-*` header, with its value as sent (trimmed, already checked to be
    /// base64 of the right size).
    pub header_checksum: Option<(ChecksumAlgorithm, String)>,
    /// The checksum that `x-amz-trailer` announces for the end of an `aws-chunked` body.
    pub trailer_checksum: Option<ChecksumAlgorithm>,
    /// `x-amz-sdk-checksum-algorithm`, when it names one of the five algorithms.
    pub sdk_algorithm: Option<ChecksumAlgorithm>,
    /// `x-amz-decoded-content-length` as sent.
    pub decoded_content_length_raw: Option<String>,
}

impl ExpectedChecksums {
    /// The algorithm of the checksum to verify, from the header or the trailer.
    pub fn algorithm(&self) -> Option<ChecksumAlgorithm> {
        self.header_checksum
            .as_ref()
            .map(|(alg, _)| *alg)
            .or(self.trailer_checksum)
    }

    /// `x-amz-decoded-content-length`, which an `aws-chunked` body must carry: a missing or
    /// unreadable value is S3's 411 `MissingContentLength`.
    pub fn decoded_content_length(&self) -> Result<u64, PayloadError> {
        let raw = self
            .decoded_content_length_raw
            .as_deref()
            .map(str::trim)
            .ok_or(PayloadError::MissingDecodedContentLength)?;
        if let Ok(n) = raw.parse::<u64>() {
            return Ok(n);
        }
        match raw.strip_prefix('-') {
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Err(PayloadError::NegativeDecodedContentLength {
                    value: raw.to_owned(),
                })
            }
            _ => Err(PayloadError::MissingDecodedContentLength),
        }
    }
}

fn text(value: &http::HeaderValue) -> Option<&str> {
    value.to_str().ok()
}

/// Reads `Content-MD5`, the `x-amz-checksum-*` headers, `x-amz-trailer`,
/// `x-amz-sdk-checksum-algorithm` and `x-amz-decoded-content-length`, and refuses what S3 refuses
/// before reading a body, in S3's order:
///
/// 1. `Content-MD5` that is not base64 of 16 bytes: `InvalidDigest`;
/// 2. an `x-amz-checksum-<name>` that is no algorithm; more than one checksum header;
/// 3. an `x-amz-trailer` that is not one checksum header name; more than one checksum trailer;
/// 4. a checksum header and a checksum trailer together (the short "Expecting a single
///    x-amz-checksum- header");
/// 5. a checksum header value that is not base64 of the algorithm's size;
/// 6. `x-amz-sdk-checksum-algorithm` without any checksum, or naming another algorithm.
///
/// Repeats beat an algorithm mismatch, as on AWS.
pub fn parse_expected(headers: &HeaderMap) -> Result<ExpectedChecksums, PayloadError> {
    let mut expected = ExpectedChecksums::default();

    if let Some(value) = headers.get("content-md5") {
        let raw = text(value).unwrap_or_default().trim();
        let decoded = STANDARD.decode(raw).ok();
        match decoded.as_deref().map(<[u8; 16]>::try_from) {
            Some(Ok(md5)) => expected.content_md5 = Some(md5),
            _ => {
                return Err(PayloadError::InvalidContentMd5 {
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })
            }
        }
    }

    // Checksum headers: every name is checked before the count.
    let mut checksum_headers: Vec<(ChecksumAlgorithm, &http::HeaderValue)> = Vec::new();
    for (name, value) in headers {
        let name = name.as_str();
        if !name.starts_with("x-amz-checksum-") || NOT_CHECKSUMS.contains(&name) {
            continue;
        }
        match ChecksumAlgorithm::from_header_name(name) {
            Some(alg) => checksum_headers.push((alg, value)),
            None => {
                return Err(PayloadError::UnknownChecksumHeader {
                    name: name.to_owned(),
                })
            }
        }
    }
    if checksum_headers.len() > 1 {
        return Err(PayloadError::MultipleChecksums);
    }

    // x-amz-trailer: a comma-separated list; trailing commas are forgiven, empty entries elsewhere
    // are not (AWS accepts "x-amz-checksum-crc32,," and "x-amz-checksum-crc32, " but refuses
    // ", x-amz-checksum-crc32" and "x-amz-checksum-crc32, ,").
    let trailer_values: Vec<&http::HeaderValue> = headers.get_all("x-amz-trailer").iter().collect();
    let mut trailers: Vec<ChecksumAlgorithm> = Vec::new();
    if !trailer_values.is_empty() {
        let mut joined = String::new();
        for (i, value) in trailer_values.iter().enumerate() {
            let Some(v) = text(value) else {
                return Err(PayloadError::UnsupportedTrailer {
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                });
            };
            if i > 0 {
                joined.push(',');
            }
            joined.push_str(v);
        }
        let list = joined.trim().trim_end_matches(',');
        if !list.is_empty() {
            for entry in list.split(',') {
                match ChecksumAlgorithm::from_header_name(entry.trim()) {
                    // Trailer names are compared as sent, lower case.
                    Some(alg) if entry.trim() == alg.header_name() => trailers.push(alg),
                    _ => {
                        return Err(PayloadError::UnsupportedTrailer {
                            value: joined.clone(),
                        })
                    }
                }
            }
        }
    }
    if trailers.len() > 1 {
        return Err(PayloadError::MultipleChecksums);
    }
    if !checksum_headers.is_empty() && !trailers.is_empty() {
        return Err(PayloadError::ChecksumInHeaderAndTrailer);
    }

    if let Some((alg, value)) = checksum_headers.first() {
        let value = text(value).map(str::trim).unwrap_or_default();
        if alg.decode_value(value).is_none() {
            return Err(PayloadError::InvalidChecksumHeader { algorithm: *alg });
        }
        expected.header_checksum = Some((*alg, value.to_owned()));
    }
    expected.trailer_checksum = trailers.first().copied();

    if let Some(value) = headers.get("x-amz-sdk-checksum-algorithm") {
        let raw = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
        if !raw.is_empty() {
            let Some(declared) = expected.algorithm() else {
                return Err(PayloadError::SdkAlgorithmWithoutChecksum { value: raw });
            };
            match ChecksumAlgorithm::parse(&raw) {
                Some(alg) if alg == declared => expected.sdk_algorithm = Some(alg),
                _ => return Err(PayloadError::SdkAlgorithmMismatch { value: raw }),
            }
        }
    }

    expected.decoded_content_length_raw = headers
        .get("x-amz-decoded-content-length")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());

    Ok(expected)
}
