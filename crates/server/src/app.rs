//! The lab's handler. For now it answers every request with S3's `NotImplemented`; KMS and S3 routing
//! come here.

use std::path::PathBuf;

use base64::Engine as _;
use http::{header, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use s3lab_env::{Clock, Env};

use crate::{full_body, ConnInfo, Handler, HandlerFuture, ResponseBody};

/// What the lab serves on both listeners.
#[derive(Clone, Debug)]
pub struct LabApp {
    /// Ids, keys and the lab's own notion of "now" (seeded and simulated with `--seed`).
    env: Env,
    /// Always the real clock: external clients sign requests with real time, so SigV4's clock-skew
    /// check must compare against real time even in a seeded lab.
    auth_clock: Clock,
    region: String,
    account_id: String,
    data_dir: PathBuf,
}

impl LabApp {
    pub fn new(
        env: Env,
        auth_clock: Clock,
        region: String,
        account_id: String,
        data_dir: PathBuf,
    ) -> Self {
        LabApp {
            env,
            auth_clock,
            region,
            account_id,
            data_dir,
        }
    }

    pub fn auth_clock(&self) -> &Clock {
        &self.auth_clock
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    fn not_implemented(&self) -> Response<ResponseBody> {
        // S3's shapes: a request id of 16 upper-case hex digits and an opaque base64 host id.
        let request_id = hex_upper(&self.env.entropy.array::<8>());
        let host_id =
            base64::engine::general_purpose::STANDARD.encode(self.env.entropy.array::<48>());
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
        // Both ids are ASCII hex and base64, so these conversions cannot fail; skip the header if they do.
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amz-request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&host_id) {
            headers.insert("x-amz-id-2", v);
        }
        response
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl Handler for LabApp {
    fn handle(&self, req: Request<Incoming>, _conn: ConnInfo) -> HandlerFuture {
        // The request body is not read: hyper discards it (or closes the connection if it is large).
        drop(req);
        let response = self.not_implemented();
        Box::pin(async move { response })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn answers_not_implemented_deterministically_when_seeded() {
        let make = || {
            LabApp::new(
                Env::seeded(1),
                Clock::System,
                "us-east-1".into(),
                "111122223333".into(),
                PathBuf::from("/x"),
            )
        };
        let a = make().not_implemented();
        assert_eq!(a.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(a.headers()[header::CONTENT_TYPE], "application/xml");
        let body_a = a.into_body().collect().await.unwrap().to_bytes();
        let body_b = make()
            .not_implemented()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body_a, body_b);
        let text = String::from_utf8(body_a.to_vec()).unwrap();
        assert!(text.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code>"
        ));
        assert!(
            text.contains("<RequestId>") && text.contains("<HostId>"),
            "{text}"
        );
    }
}
