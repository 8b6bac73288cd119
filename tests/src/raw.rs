//! A raw, signed HTTP client for the requests an SDK refuses to send (malformed headers, SSE-C
//! over HTTP, SigV2): we sign with `s3lab-sigv4` and write exactly what the test asks for.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use s3lab_sigv4 as sigv4;
use sha2::Digest;
use tokio::net::TcpStream;

use crate::TestLab;

/// What came back.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `<Code>` of an S3 error body.
    pub fn code(&self) -> String {
        self.element("Code")
    }

    pub fn message(&self) -> String {
        self.element("Message")
    }

    pub fn element(&self, name: &str) -> String {
        let text = self.text();
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        text.split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&close))
            .map(|(v, _)| v.to_owned())
            .unwrap_or_default()
    }
}

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
    pub method: Method,
    /// Path and query, already encoded: `/bucket/key?uploads`.
    pub path: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
    pub secure: bool,
    pub auth: Auth<'a>,
    /// S3 or KMS.
    pub service: &'a str,
}

impl<'a> RawRequest<'a> {
    pub fn new(method: Method, path: &'a str) -> Self {
        RawRequest {
            method,
            path,
            headers: Vec::new(),
            body: Vec::new(),
            secure: true,
            auth: Auth::Identity("admin"),
            service: "s3",
        }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
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
}

impl TestLab {
    /// Sends one request on a fresh connection and reads the whole answer.
    pub async fn raw(&self, req: RawRequest<'_>) -> RawResponse {
        let server = self.server.as_ref().expect("running");
        let addr = if req.secure {
            server.https_addr
        } else {
            server.http_addr
        };
        let host = format!("localhost:{}", addr.port());
        let (path, query) = match req.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.path, None),
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HOST,
            HeaderValue::from_str(&host).expect("host"),
        );
        for (name, value) in &req.headers {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        match req.auth {
            Auth::Anonymous => {}
            Auth::SigV2 => {
                headers.insert(
                    http::header::AUTHORIZATION,
                    HeaderValue::from_static("AWS AKIAS3LABADMIN000001:c2lnbmF0dXJl"),
                );
            }
            Auth::Identity(name) => {
                let id = self.app.identities().by_name(name).expect("identity");
                let creds = sigv4::Credentials::new(
                    id.access_key_id.clone(),
                    id.secret_access_key.to_string(),
                );
                let payload =
                    sigv4::PayloadHash::Sha256Hex(hex::encode(sha2::Sha256::digest(&req.body)));
                let style = if req.service == "s3" {
                    sigv4::UriStyle::S3
                } else {
                    sigv4::UriStyle::Normalized
                };
                sigv4::sign_headers(
                    req.method.as_str(),
                    path,
                    query,
                    &mut headers,
                    &payload,
                    &creds,
                    crate::REGION,
                    req.service,
                    style,
                    time::OffsetDateTime::now_utc(),
                )
                .expect("sign");
            }
        }
        let mut builder = Request::builder().method(req.method.clone()).uri(req.path);
        for (name, value) in &headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(Bytes::from(req.body)))
            .expect("request");
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let response = if req.secure {
            let config =
                s3lab_server::tls::client_config(&self.ca_pem_path).expect("client config");
            let connector = tokio_rustls::TlsConnector::from(Arc::clone(&config));
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let tls = connector.connect(name, tcp).await.expect("tls");
            send(TokioIo::new(tls), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        };
        response
    }
}

async fn send<T>(io: T, request: Request<Full<Bytes>>) -> RawResponse
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let resp = sender.send_request(request).await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    RawResponse {
        status,
        headers,
        body,
    }
}
