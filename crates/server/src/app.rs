//! The lab's handler: one endpoint that serves both KMS and S3, as a learner's `--endpoint-url`
//! expects.
//!
//! A request is KMS's when it names a `TrentService.` target or is signed for the service `kms`;
//! everything else is S3's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use s3lab_env::{Clock, Env};
use s3lab_iam::IdentityTable;
use s3lab_kms::http::{is_kms_request, KmsHttp, KmsHttpRequest};
use s3lab_kms::{Kms, KmsConfig, KmsOpenError};
use s3lab_s3::http::{Connection, S3Http};
use s3lab_s3::{S3Config, S3};
use s3lab_storage::{DirStorage, MemoryStorage, Storage};

use crate::{full_body, ConnInfo, Handler, HandlerFuture, ResponseBody};

/// KMS requests are small (a plaintext is at most 4 KiB, a policy 32 KiB); anything past this is
/// refused before it is read.
pub const MAX_KMS_BODY: usize = 1024 * 1024;

/// Everything a lab needs to start.
#[derive(Clone, Debug)]
pub struct LabConfig {
    pub region: String,
    pub account_id: String,
    /// `None` keeps all state in memory.
    pub data_dir: Option<PathBuf>,
    /// Ids, keys and the lab's own notion of "now" (seeded and simulated with `--seed`).
    pub env: Env,
    /// The clock signatures are checked against. Always the real clock when external clients (the
    /// AWS CLI, boto3) sign requests with real time, even in a seeded lab; a lab whose clients sign
    /// with the lab's own clock (the scenarios) passes that clock here.
    pub auth_clock: Clock,
    pub identities: Arc<IdentityTable>,
    /// Whether new buckets block SSE-C, as AWS's do since April 2026. Labs and test suites written
    /// before 2026 turn it off (`s3lab serve --allow-sse-c`).
    pub block_sse_c_for_new_buckets: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LabOpenError {
    #[error("could not open the KMS state: {0}")]
    Kms(#[from] KmsOpenError),
    #[error("could not open the S3 data: {0}")]
    Storage(#[from] s3lab_storage::StorageError),
    #[error("could not open the SSE-S3 root keys: {0}")]
    Keyring(#[from] s3lab_s3::keys::KeyringError),
}

/// What the lab serves on both listeners.
pub struct LabApp {
    config: LabConfig,
    kms: Arc<Kms>,
    kms_http: KmsHttp,
    s3: Arc<S3>,
    s3_http: S3Http,
}

impl LabApp {
    /// Opens (or creates) the lab's state: KMS in `DATA_DIR/kms`, S3 in `DATA_DIR/s3` (buckets in
    /// `DATA_DIR/s3/buckets`, the SSE-S3 root keys beside them).
    pub fn open(config: LabConfig) -> Result<LabApp, LabOpenError> {
        let kms_dir = config.data_dir.as_ref().map(|d| d.join("kms"));
        let kms_config = KmsConfig {
            region: config.region.clone(),
            account_id: config.account_id.clone(),
        };
        let kms = Arc::new(Kms::open(
            kms_dir.as_deref(),
            kms_config,
            config.env.clone(),
        )?);
        let kms_http = KmsHttp::new(
            kms.clone(),
            config.identities.clone(),
            config.auth_clock.clone(),
        );
        let s3_dir = config.data_dir.as_ref().map(|d| d.join("s3"));
        let storage: Arc<dyn Storage> = match &s3_dir {
            Some(dir) => Arc::new(DirStorage::open_with_entropy(
                &dir.join("buckets"),
                config.env.entropy.clone(),
            )?),
            None => Arc::new(MemoryStorage::new()),
        };
        let s3_config = S3Config {
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            block_sse_c_for_new_buckets: config.block_sse_c_for_new_buckets,
            ..S3Config::default()
        };
        let s3 = Arc::new(S3::new(
            s3_config,
            config.env.clone(),
            storage,
            kms.clone(),
            s3_dir.as_deref(),
            config.identities.clone(),
        )?);
        let s3_http = S3Http::new(s3.clone(), config.auth_clock.clone());
        Ok(LabApp {
            config,
            kms,
            kms_http,
            s3,
            s3_http,
        })
    }

    pub fn kms(&self) -> &Arc<Kms> {
        &self.kms
    }

    pub fn s3(&self) -> &Arc<S3> {
        &self.s3
    }

    pub fn identities(&self) -> &Arc<IdentityTable> {
        &self.config.identities
    }

    pub fn region(&self) -> &str {
        &self.config.region
    }

    pub fn account_id(&self) -> &str {
        &self.config.account_id
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.config.data_dir.as_deref()
    }
}

/// Whether a request is for KMS rather than S3, which share the lab's listeners: its
/// `X-Amz-Target` names KMS, or it is the `POST /` of the JSON protocol (S3 has no such operation)
/// signed for the service `kms`. Anything else goes to S3, as it would at S3's own endpoint; a
/// `GET /bucket/key` signed for `kms` gets S3's "incorrect service" refusal.
fn is_for_kms(method: &http::Method, path: &str, headers: &http::HeaderMap) -> bool {
    let signed_for_kms = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|auth| auth.contains("/kms/aws4_request"));
    is_kms_request(headers) || (signed_for_kms && method == http::Method::POST && path == "/")
}

async fn serve_kms(
    app: Arc<LabApp>,
    req: Request<Incoming>,
    conn: ConnInfo,
) -> Response<ResponseBody> {
    let (parts, body) = req.into_parts();
    let rid = app.kms.env().entropy.uuid().to_string();
    let body: Bytes = match Limited::new(body, MAX_KMS_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let resp = if too_large {
                // [unsure] AWS's front end answers oversized requests before KMS sees them.
                s3lab_kms::http::error_response(
                    &rid,
                    413,
                    "RequestEntityTooLargeException",
                    &format!("Request body is larger than {MAX_KMS_BODY} bytes."),
                )
            } else {
                tracing::debug!(error = %e, "client went away while sending a KMS request");
                s3lab_kms::http::error_response(
                    &rid,
                    400,
                    "SerializationException",
                    "The request body was cut short.",
                )
            };
            return resp.map(full_body);
        }
    };
    let request = KmsHttpRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
        secure: conn.secure,
        source_ip: conn.peer.ip().to_string(),
    };
    app.kms_http.handle(&request).map(full_body)
}

/// The lab as a [`Handler`]: shareable, so each request can hold it across awaits.
#[derive(Clone)]
pub struct LabHandler(pub Arc<LabApp>);

impl Handler for LabHandler {
    fn handle(&self, req: Request<Incoming>, conn: ConnInfo) -> HandlerFuture {
        let app = self.0.clone();
        Box::pin(async move {
            let date = s3lab_s3::http::http_date(app.config.auth_clock.now());
            let mut resp = if is_for_kms(req.method(), req.uri().path(), req.headers()) {
                serve_kms(app, req, conn).await
            } else {
                let conn = Connection {
                    secure: conn.secure,
                    peer: conn.peer.ip(),
                };
                app.s3_http.handle(req, conn).await
            };
            // AWS sends `Date` on every answer; SDKs read it to correct their clock skew, so it
            // follows the clock signatures are checked against.
            if let Ok(v) = http::HeaderValue::from_str(&date) {
                resp.headers_mut().insert(header::DATE, v);
            }
            resp
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    http::HeaderName::from_static(n),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn kms_and_s3_requests_are_told_apart() {
        const KMS_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0";
        const S3_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
        let target = headers(&[("x-amz-target", "TrentService.ListKeys")]);
        let kms_signed = headers(&[("authorization", KMS_AUTH)]);
        let s3_signed = headers(&[("authorization", S3_AUTH)]);
        assert!(is_for_kms(&http::Method::POST, "/", &target));
        // The JSON protocol's POST / signed for KMS is KMS's, even without a target (KMS then
        // answers UnknownOperationException, as AWS does).
        assert!(is_for_kms(&http::Method::POST, "/", &kms_signed));
        // A bucket or object path signed for the wrong service is S3's to refuse.
        assert!(!is_for_kms(&http::Method::GET, "/bucket/key", &kms_signed));
        assert!(!is_for_kms(&http::Method::GET, "/", &kms_signed));
        assert!(!is_for_kms(&http::Method::POST, "/bucket", &kms_signed));
        assert!(!is_for_kms(&http::Method::POST, "/", &s3_signed));
        assert!(!is_for_kms(&http::Method::GET, "/", &headers(&[])));
    }
}
