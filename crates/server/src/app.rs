//! The lab's handler: one endpoint that serves both KMS and (soon) S3, as a learner's
//! `--endpoint-url` expects.
//!
//! A request is KMS's when it names a `TrentService.` target or is signed for the service `kms`;
//! everything else is S3's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use s3lab_env::{Clock, Env};
use s3lab_iam::IdentityTable;
use s3lab_kms::http::{is_kms_request, KmsHttp, KmsHttpRequest};
use s3lab_kms::{Kms, KmsConfig, KmsOpenError};

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
}

#[derive(Debug, thiserror::Error)]
pub enum LabOpenError {
    #[error("could not open the KMS state: {0}")]
    Kms(#[from] KmsOpenError),
}

/// What the lab serves on both listeners.
pub struct LabApp {
    config: LabConfig,
    kms: Arc<Kms>,
    kms_http: KmsHttp,
}

impl LabApp {
    /// Opens (or creates) the lab's state: KMS in `DATA_DIR/kms`.
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
        Ok(LabApp {
            config,
            kms,
            kms_http,
        })
    }

    pub fn kms(&self) -> &Arc<Kms> {
        &self.kms
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

    fn not_implemented(&self) -> Response<ResponseBody> {
        // S3's shapes: a request id of 16 upper-case hex digits and an opaque base64 host id.
        let request_id = hex_upper(&self.config.env.entropy.array::<8>());
        let host_id =
            base64::engine::general_purpose::STANDARD.encode(self.config.env.entropy.array::<48>());
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code>\
             <Message>A header you provided implies functionality that is not implemented.</Message>\
             <RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
        );
        let mut response = Response::new(full_body(body));
        *response.status_mut() = StatusCode::NOT_IMPLEMENTED;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amz-request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&host_id) {
            headers.insert("x-amz-id-2", v);
        }
        response
    }
}

/// True when the `Authorization` header's credential scope names the service `kms`.
fn signed_for_kms(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|auth| auth.contains("/kms/aws4_request"))
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
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
        if is_kms_request(req.headers()) || signed_for_kms(&req) {
            return Box::pin(serve_kms(app, req, conn));
        }
        // The request body is not read: hyper discards it (or closes the connection if it is large).
        drop(req);
        let response = app.not_implemented();
        Box::pin(async move { response })
    }
}
