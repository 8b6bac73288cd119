//! A small SigV4-signing HTTP client.
//!
//! It sends exactly the request it is given — including the malformed ones an AWS SDK refuses to
//! send — signs it with `s3lab-sigv4` (or not, or with an obsolete SigV2 header), over plain HTTP
//! or over HTTPS trusting only the lab's CA, and returns the whole answer. One request, one
//! connection: what a lesson shows is exactly one exchange.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use s3lab_sigv4 as sigv4;
use sha2::Digest;
use tokio::net::TcpStream;
use zeroize::Zeroizing;

pub mod record;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS with {addr} failed: {source}")]
    Tls {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the CA certificate {path}: {reason}")]
    Ca { path: String, reason: String },
    #[error("the request is not valid HTTP: {0}")]
    Request(String),
    #[error("HTTP exchange failed: {0}")]
    Http(String),
    #[error("could not sign the request: {0}")]
    Sign(String),
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The text of the first `<name>` element of an XML body (S3 errors: `Code`, `Message`).
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

/// How a request is signed.
#[derive(Clone)]
pub enum Signing {
    /// AWS Signature Version 4 with these keys.
    SigV4 {
        access_key_id: String,
        secret_access_key: Zeroizing<String>,
    },
    /// Not signed: an anonymous request.
    Anonymous,
    /// An obsolete `Authorization: AWS AKID:signature` header, which S3 refuses for new buckets.
    SigV2 { access_key_id: String },
}

impl Signing {
    pub fn sigv4(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Signing::SigV4 {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
        }
    }
}

impl std::fmt::Debug for Signing {
    // Never prints the secret key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signing::SigV4 { access_key_id, .. } => write!(f, "SigV4({access_key_id})"),
            Signing::Anonymous => f.write_str("Anonymous"),
            Signing::SigV2 { access_key_id } => write!(f, "SigV2({access_key_id})"),
        }
    }
}

/// One request to send.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub method: Method,
    /// Path and query, already encoded: `/bucket/key?uploads`.
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The SigV4 service: `s3` or `kms`.
    pub service: String,
}

impl RequestSpec {
    pub fn new(method: Method, path_and_query: impl Into<String>) -> Self {
        RequestSpec {
            method,
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: Vec::new(),
            service: "s3".into(),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }
}

/// Where to send requests.
#[derive(Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// `None`: plain HTTP. `Some`: HTTPS, trusting only this CA.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The `Host` header and TLS server name (`localhost`).
    pub host: String,
    pub region: String,
}

impl Endpoint {
    pub fn http(addr: SocketAddr, region: &str) -> Self {
        Endpoint {
            addr,
            tls: None,
            host: format!("localhost:{}", addr.port()),
            region: region.into(),
        }
    }

    pub fn https(addr: SocketAddr, ca_pem: &Path, region: &str) -> Result<Self, ClientError> {
        Ok(Endpoint {
            addr,
            tls: Some(tls_config(ca_pem)?),
            host: format!("localhost:{}", addr.port()),
            region: region.into(),
        })
    }

    /// From a URL such as `https://127.0.0.1:9443` (as the ready file gives it).
    pub fn from_url(url: &str, ca_pem: &Path, region: &str) -> Result<Self, ClientError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| ClientError::Request(format!("not a URL: {url}")))?;
        let addr: SocketAddr = rest
            .trim_end_matches('/')
            .parse()
            .map_err(|_| ClientError::Request(format!("not an address: {rest}")))?;
        match scheme {
            "http" => Ok(Endpoint::http(addr, region)),
            "https" => Endpoint::https(addr, ca_pem, region),
            other => Err(ClientError::Request(format!("unknown scheme {other}"))),
        }
    }

    pub fn is_secure(&self) -> bool {
        self.tls.is_some()
    }
}

/// A rustls client configuration (ring) that trusts only the CA in `ca_pem`.
pub fn tls_config(ca_pem: &Path) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let ca_err = |reason: String| ClientError::Ca {
        path: ca_pem.display().to_string(),
        reason,
    };
    let pem = std::fs::read(ca_pem).map_err(|e| ca_err(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots
            .add(cert.map_err(|e| ca_err(e.to_string()))?)
            .map_err(|e| ca_err(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(ca_err("no certificate in the file".into()));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ca_err(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Builds the final headers of `spec`: `Host`, the caller's headers, and the signature.
pub fn prepare(
    endpoint: &Endpoint,
    spec: &RequestSpec,
    signing: &Signing,
    now: time::OffsetDateTime,
) -> Result<HeaderMap, ClientError> {
    let (path, query) = match spec.path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (spec.path_and_query.as_str(), None),
    };
    let mut headers = HeaderMap::new();
    let host =
        HeaderValue::from_str(&endpoint.host).map_err(|e| ClientError::Request(e.to_string()))?;
    headers.insert(http::header::HOST, host);
    for (name, value) in &spec.headers {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ClientError::Request(format!("{name}: {e}")))?;
        let v = HeaderValue::from_str(value)
            .map_err(|e| ClientError::Request(format!("{name}: {e}")))?;
        // A `Host` the caller gives (virtual-host style addressing) replaces the endpoint's.
        if n == http::header::HOST {
            headers.insert(n, v);
        } else {
            headers.append(n, v);
        }
    }
    match signing {
        Signing::Anonymous => {}
        Signing::SigV2 { access_key_id } => {
            let v = HeaderValue::from_str(&format!("AWS {access_key_id}:c2lnbmF0dXJl"))
                .map_err(|e| ClientError::Request(e.to_string()))?;
            headers.insert(http::header::AUTHORIZATION, v);
        }
        Signing::SigV4 {
            access_key_id,
            secret_access_key,
        } => {
            let creds =
                sigv4::Credentials::new(access_key_id.clone(), secret_access_key.to_string());
            // `x-amz-content-sha256: UNSIGNED-PAYLOAD` from the caller means: do not hash the
            // body (a streamed body is not in `spec.body` at all).
            let unsigned = spec.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("x-amz-content-sha256") && v == "UNSIGNED-PAYLOAD"
            });
            let payload = if unsigned {
                sigv4::PayloadHash::Unsigned
            } else {
                sigv4::PayloadHash::Sha256Hex(hex::encode(sha2::Sha256::digest(&spec.body)))
            };
            let style = if spec.service == "s3" {
                sigv4::UriStyle::S3
            } else {
                sigv4::UriStyle::Normalized
            };
            sigv4::sign_headers(
                spec.method.as_str(),
                path,
                query,
                &mut headers,
                &payload,
                &creds,
                &endpoint.region,
                &spec.service,
                style,
                now,
            )
            .map_err(|e| ClientError::Sign(e.to_string()))?;
        }
    }
    Ok(headers)
}

/// A body produced piece by piece (for objects too large to hold), and what a streamed answer gives.
pub type BodyStream = std::pin::Pin<
    Box<dyn futures_core::Stream<Item = Result<http_body::Frame<Bytes>, std::io::Error>> + Send>,
>;

/// Sends one request whose body is `body` (the caller sets `Content-Length` and, to skip hashing,
/// `x-amz-content-sha256: UNSIGNED-PAYLOAD`), and hands the answer's body to `sink` piece by piece
/// instead of collecting it. Returns the status and headers; the body is left empty.
pub async fn send_streaming(
    endpoint: &Endpoint,
    spec: &RequestSpec,
    signing: &Signing,
    now: time::OffsetDateTime,
    body: BodyStream,
    mut sink: impl FnMut(&[u8]) + Send,
) -> Result<Response, ClientError> {
    let headers = prepare(endpoint, spec, signing, now)?;
    let mut builder = Request::builder()
        .method(spec.method.clone())
        .uri(&spec.path_and_query);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    let request = builder
        .body(http_body_util::StreamBody::new(body))
        .map_err(|e| ClientError::Request(e.to_string()))?;
    let resp = connect_and_send(endpoint, request).await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ClientError::Http(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            sink(&data);
        }
    }
    Ok(Response {
        status,
        headers,
        body: Vec::new(),
    })
}

async fn start_exchange<T, B>(
    io: T,
    request: Request<B>,
) -> Result<http::Response<hyper::body::Incoming>, ClientError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?;
    tokio::spawn(conn);
    sender
        .send_request(request)
        .await
        .map_err(|e| ClientError::Http(e.to_string()))
}

/// Sends one request on a fresh connection and reads the whole answer.
pub async fn send(
    endpoint: &Endpoint,
    spec: &RequestSpec,
    signing: &Signing,
    now: time::OffsetDateTime,
) -> Result<Response, ClientError> {
    let headers = prepare(endpoint, spec, signing, now)?;
    let mut builder = Request::builder()
        .method(spec.method.clone())
        .uri(&spec.path_and_query);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    let request = builder
        .body(Full::new(Bytes::from(spec.body.clone())))
        .map_err(|e| ClientError::Request(e.to_string()))?;
    collect(connect_and_send(endpoint, request).await?).await
}

/// Opens the TCP connection to `endpoint`.
pub(crate) async fn connect_tcp(endpoint: &Endpoint) -> Result<TcpStream, ClientError> {
    TcpStream::connect(endpoint.addr)
        .await
        .map_err(|source| ClientError::Connect {
            addr: endpoint.addr,
            source,
        })
}

/// Runs the TLS handshake over `io` (a TCP stream, or a tap around one), trusting `config`'s CA and
/// naming the endpoint's host.
pub(crate) async fn tls_handshake<IO>(
    endpoint: &Endpoint,
    config: &Arc<rustls::ClientConfig>,
    io: IO,
) -> Result<tokio_rustls::client::TlsStream<IO>, ClientError>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
    let host = endpoint
        .host
        .split(':')
        .next()
        .unwrap_or("localhost")
        .to_owned();
    let name = rustls::pki_types::ServerName::try_from(host)
        .map_err(|e| ClientError::Request(e.to_string()))?;
    connector
        .connect(name, io)
        .await
        .map_err(|source| ClientError::Tls {
            addr: endpoint.addr,
            source,
        })
}

/// Reads a whole answer.
pub(crate) async fn collect(
    resp: http::Response<hyper::body::Incoming>,
) -> Result<Response, ClientError> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?
        .to_bytes()
        .to_vec();
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Connects (with TLS when the endpoint has it) and sends `request`; returns the answer's head and
/// its body still to be read.
async fn connect_and_send<B>(
    endpoint: &Endpoint,
    request: Request<B>,
) -> Result<http::Response<hyper::body::Incoming>, ClientError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let tcp = connect_tcp(endpoint).await?;
    match &endpoint.tls {
        Some(config) => {
            start_exchange(
                TokioIo::new(tls_handshake(endpoint, config, tcp).await?),
                request,
            )
            .await
        }
        None => start_exchange(TokioIo::new(tcp), request).await,
    }
}
