//! POST Object: the browser-form upload (`multipart/form-data` to the bucket URL), authenticated by
//! a signed POST policy instead of headers.

use bytes::Bytes;
use http::Response;
use std::sync::Arc;

use crate::error::{S3Error, S3Result};
use crate::http::{Connection, ResponseBody};
use crate::S3;

/// Serves one POST Object request to `bucket`.
pub async fn handle<B>(
    s3: &Arc<S3>,
    parts: http::request::Parts,
    body: B,
    conn: Connection,
    bucket: String,
) -> S3Result<Response<ResponseBody>>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Send + 'static,
{
    let _ = (s3, parts, body, conn, bucket);
    Err(S3Error::not_implemented(
        "POST Object (browser form upload)",
    ))
}
