//! S3 over HTTP(S) for the encryptor: the few REST calls it makes, path-style, SigV4-signed by
//! `s3lab-client`. Bodies stream both ways.

use bytes::Bytes;
use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3lab_client::{BodyStream, Endpoint, RequestSpec, Response, Signing};
use s3lab_env::Clock;

use crate::error::{CseError, Result};
use crate::metadata::{from_headers, MetadataMap};

/// What stays unescaped in a path segment (RFC 3986 unreserved), plus `/` between segments.
const KEY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An S3 endpoint and the keys to sign with.
#[derive(Clone)]
pub struct S3Remote {
    pub endpoint: Endpoint,
    pub signing: Signing,
    pub clock: Clock,
}

/// The head of a GET whose body went to a sink.
#[derive(Debug, Clone)]
pub struct GetHead {
    pub status: u16,
    pub metadata: MetadataMap,
    pub content_length: Option<u64>,
    /// `Content-Range: bytes S-E/T` as `(S, E, T)`.
    pub content_range: Option<(u64, u64, u64)>,
}

fn object_path(bucket: &str, key: &str) -> String {
    format!(
        "/{}/{}",
        utf8_percent_encode(bucket, KEY_SET),
        utf8_percent_encode(key, KEY_SET)
    )
}

fn s3_error(operation: String, resp: &Response) -> CseError {
    CseError::S3 {
        operation,
        status: resp.status,
        code: {
            let c = resp.element("Code");
            if c.is_empty() {
                format!("HTTP {}", resp.status)
            } else {
                c
            }
        },
        message: resp.element("Message"),
    }
}

fn parse_content_range(v: &str) -> Option<(u64, u64, u64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (s, e) = range.split_once('-')?;
    Some((s.parse().ok()?, e.parse().ok()?, total.parse().ok()?))
}

impl S3Remote {
    pub fn new(endpoint: Endpoint, signing: Signing) -> Self {
        S3Remote {
            endpoint,
            signing,
            clock: Clock::System,
        }
    }

    async fn send(&self, spec: &RequestSpec) -> Result<Response> {
        Ok(s3lab_client::send(&self.endpoint, spec, &self.signing, self.clock.now()).await?)
    }

    fn with_metadata(mut spec: RequestSpec, metadata: &MetadataMap) -> RequestSpec {
        for (k, v) in metadata {
            spec = spec.header(format!("x-amz-meta-{k}"), v.clone());
        }
        spec
    }

    /// PUT of a body held in memory.
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        metadata: &MetadataMap,
        body: Vec<u8>,
    ) -> Result<()> {
        let spec = Self::with_metadata(
            RequestSpec::new(Method::PUT, object_path(bucket, key)),
            metadata,
        )
        .body(body);
        let resp = self.send(&spec).await?;
        if resp.status != 200 {
            return Err(s3_error(format!("PutObject s3://{bucket}/{key}"), &resp));
        }
        Ok(())
    }

    /// PUT of a streamed body of `len` bytes (unsigned payload: the body is not hashed first).
    pub async fn put_stream(
        &self,
        bucket: &str,
        key: &str,
        metadata: &MetadataMap,
        body: BodyStream,
        len: u64,
    ) -> Result<()> {
        let spec = Self::with_metadata(
            RequestSpec::new(Method::PUT, object_path(bucket, key)),
            metadata,
        )
        .header("content-length", len.to_string())
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        let mut error_body = Vec::new();
        let resp = s3lab_client::send_streaming(
            &self.endpoint,
            &spec,
            &self.signing,
            self.clock.now(),
            body,
            |b| error_body.extend_from_slice(b),
        )
        .await?;
        if resp.status != 200 {
            let resp = Response {
                body: error_body,
                ..resp
            };
            return Err(s3_error(format!("PutObject s3://{bucket}/{key}"), &resp));
        }
        Ok(())
    }

    /// GET of a small object (an instruction file). `None` if it does not exist.
    pub async fn get_bytes(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<(MetadataMap, Vec<u8>)>> {
        let spec = RequestSpec::new(Method::GET, object_path(bucket, key));
        let resp = self.send(&spec).await?;
        match resp.status {
            200 => Ok(Some((from_headers(&resp.headers), resp.body))),
            404 => Ok(None),
            _ => Err(s3_error(format!("GetObject s3://{bucket}/{key}"), &resp)),
        }
    }

    /// GET whose body goes to `sink` as it arrives (only for a 2xx answer).
    pub async fn get_stream(
        &self,
        bucket: &str,
        key: &str,
        range: Option<&str>,
        mut sink: impl FnMut(&[u8]) + Send,
    ) -> Result<GetHead> {
        let mut spec = RequestSpec::new(Method::GET, object_path(bucket, key));
        if let Some(r) = range {
            spec = spec.header("range", r);
        }
        // The status comes back only after the body; keep the start of it for an error message.
        let mut head = Vec::new();
        let resp = s3lab_client::send_streaming(
            &self.endpoint,
            &spec,
            &self.signing,
            self.clock.now(),
            Box::pin(Empty),
            |b| {
                if head.len() < 64 * 1024 {
                    head.extend_from_slice(&b[..b.len().min(64 * 1024)]);
                }
                sink(b)
            },
        )
        .await?;
        if !(200..300).contains(&resp.status) {
            let resp = Response { body: head, ..resp };
            return Err(s3_error(format!("GetObject s3://{bucket}/{key}"), &resp));
        }
        Ok(GetHead {
            status: resp.status,
            metadata: from_headers(&resp.headers),
            content_length: resp.header("content-length").and_then(|v| v.parse().ok()),
            content_range: resp.header("content-range").and_then(parse_content_range),
        })
    }

    pub async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        metadata: &MetadataMap,
    ) -> Result<String> {
        let spec = Self::with_metadata(
            RequestSpec::new(
                Method::POST,
                format!("{}?uploads", object_path(bucket, key)),
            ),
            metadata,
        );
        let resp = self.send(&spec).await?;
        let id = resp.element("UploadId");
        if resp.status != 200 || id.is_empty() {
            return Err(s3_error(
                format!("CreateMultipartUpload s3://{bucket}/{key}"),
                &resp,
            ));
        }
        Ok(id)
    }

    /// UploadPart with a streamed body; returns the part's ETag.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        body: BodyStream,
        len: u64,
    ) -> Result<String> {
        let spec = RequestSpec::new(
            Method::PUT,
            format!(
                "{}?partNumber={number}&uploadId={}",
                object_path(bucket, key),
                utf8_percent_encode(upload_id, QUERY_SET)
            ),
        )
        .header("content-length", len.to_string())
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        let mut error_body = Vec::new();
        let resp = s3lab_client::send_streaming(
            &self.endpoint,
            &spec,
            &self.signing,
            self.clock.now(),
            body,
            |b| error_body.extend_from_slice(b),
        )
        .await?;
        let etag = resp.header("etag").map(str::to_owned);
        match (resp.status, etag) {
            (200, Some(etag)) => Ok(etag),
            _ => {
                let resp = Response {
                    body: error_body,
                    ..resp
                };
                Err(s3_error(
                    format!("UploadPart {number} of s3://{bucket}/{key}"),
                    &resp,
                ))
            }
        }
    }

    pub async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<()> {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (n, etag) in parts {
            let etag = etag
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&quot;");
            xml.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let spec = RequestSpec::new(
            Method::POST,
            format!(
                "{}?uploadId={}",
                object_path(bucket, key),
                utf8_percent_encode(upload_id, QUERY_SET)
            ),
        )
        .body(xml);
        let resp = self.send(&spec).await?;
        // S3 may answer 200 and put the error in the body.
        if resp.status != 200 || resp.text().contains("<Error>") {
            return Err(s3_error(
                format!("CompleteMultipartUpload s3://{bucket}/{key}"),
                &resp,
            ));
        }
        Ok(())
    }

    pub async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        let spec = RequestSpec::new(
            Method::DELETE,
            format!(
                "{}?uploadId={}",
                object_path(bucket, key),
                utf8_percent_encode(upload_id, QUERY_SET)
            ),
        );
        let resp = self.send(&spec).await?;
        if resp.status != 204 && resp.status != 200 {
            return Err(s3_error(
                format!("AbortMultipartUpload s3://{bucket}/{key}"),
                &resp,
            ));
        }
        Ok(())
    }
}

/// An empty request body.
struct Empty;

impl futures_core::Stream for Empty {
    type Item = std::result::Result<http_body::Frame<Bytes>, std::io::Error>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(None)
    }
}

/// A request body fed from a channel (by the thread that reads and encrypts the file).
pub(crate) struct ChannelBody(pub(crate) tokio::sync::mpsc::Receiver<Frame>);

type Frame = std::result::Result<http_body::Frame<Bytes>, std::io::Error>;

impl futures_core::Stream for ChannelBody {
    type Item = Frame;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_escaped_like_s3_expects() {
        assert_eq!(object_path("b", "a b/c+d.txt"), "/b/a%20b/c%2Bd.txt");
        assert_eq!(parse_content_range("bytes 16-47/100"), Some((16, 47, 100)));
        assert_eq!(parse_content_range("bytes */100"), None);
    }
}
