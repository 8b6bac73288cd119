//! Raw, exactly-as-written requests for what an SDK refuses to send (malformed headers, SSE-C over
//! HTTP, SigV2), through `s3lab-client`.

use http::Method;
use s3lab_client::{Endpoint, RequestSpec, Signing};

pub use s3lab_client::Response as RawResponse;

use crate::TestLab;

/// How to sign.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// SigV4 with a lab identity's keys.
    Identity(&'a str),
    /// No signature: an anonymous request.
    Anonymous,
    /// An `Authorization: AWS AKID:signature` header (SigV2), which the lab does not accept.
    SigV2,
}

pub struct RawRequest<'a> {
    pub spec: RequestSpec,
    pub secure: bool,
    pub auth: Auth<'a>,
}

impl<'a> RawRequest<'a> {
    pub fn new(method: Method, path: &str) -> Self {
        RawRequest {
            spec: RequestSpec::new(method, path),
            secure: true,
            auth: Auth::Identity("admin"),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.spec = self.spec.header(name, value);
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.spec = self.spec.body(body);
        self
    }

    pub fn http(mut self) -> Self {
        self.secure = false;
        self
    }

    pub fn auth(mut self, auth: Auth<'a>) -> Self {
        self.auth = auth;
        self
    }

    pub fn service(mut self, service: &str) -> Self {
        self.spec = self.spec.service(service);
        self
    }
}

/// Reading S3 error bodies in assertions.
pub trait ErrorBody {
    fn code(&self) -> String;
    fn message(&self) -> String;
}

impl ErrorBody for RawResponse {
    fn code(&self) -> String {
        self.element("Code")
    }
    fn message(&self) -> String {
        self.element("Message")
    }
}

impl TestLab {
    /// Sends one request on a fresh connection and reads the whole answer.
    pub async fn raw(&self, req: RawRequest<'_>) -> RawResponse {
        let server = self.server.as_ref().expect("running");
        let endpoint = if req.secure {
            Endpoint::https(server.https_addr, &self.ca_pem_path, crate::REGION).expect("endpoint")
        } else {
            Endpoint::http(server.http_addr, crate::REGION)
        };
        let signing = match req.auth {
            Auth::Anonymous => Signing::Anonymous,
            Auth::SigV2 => Signing::SigV2 {
                access_key_id: "AKIAS3LABADMIN000001".into(),
            },
            Auth::Identity(name) => {
                let id = self.app.identities().by_name(name).expect("identity");
                Signing::sigv4(id.access_key_id.clone(), id.secret_access_key.to_string())
            }
        };
        s3lab_client::send(
            &endpoint,
            &req.spec,
            &signing,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("exchange")
    }
}
