//! Listeners for s3lab's mock services.
//!
//! One lab serves two listeners on loopback: plain HTTP (so a learner can watch requests on the wire)
//! and HTTPS. Both are hyper 1 HTTP/1.1 servers with keep-alive; HTTPS is tokio-rustls with the
//! **ring** provider, chosen explicitly with [`rustls::ServerConfig::builder_with_provider`] because
//! other crates in the dependency graph enable aws-lc-rs too, and rustls would then refuse to guess.
//!
//! - [`start`] binds both listeners and serves every request with one [`Handler`], telling it which
//!   connection carried the request ([`ConnInfo`]). A handler that panics gets its request a 500
//!   `InternalError`; the server and every other connection carry on.
//! - [`tls`] makes (once) and reuses a local CA and a server certificate signed by it, so that the
//!   learner's `AWS_CA_BUNDLE` keeps working across restarts.
//! - [`ready`] is the small JSON file written once both listeners are bound, for scripts and tests.
//! - [`app`] is the lab's handler, [`LabApp`].

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};

pub mod app;
mod listen;
pub mod ready;
pub mod tls;

pub use app::{LabApp, LabConfig, LabHandler, LabOpenError};
pub use listen::{start, ListenConfig, RunningServer, Scheme, ServerError, DEFAULT_SHUTDOWN_GRACE};

/// Which connection carried a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// True for the HTTPS listener: what `aws:SecureTransport` is about.
    pub secure: bool,
    /// The client's address.
    pub peer: SocketAddr,
    /// The listener's address that accepted the connection.
    pub local: SocketAddr,
    /// What the TLS handshake agreed on; `None` on plain HTTP.
    pub tls: Option<TlsInfo>,
}

/// The outcome of a TLS handshake, as a learner would want to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// `"TLSv1.3"` or `"TLSv1.2"`.
    pub version: String,
    /// The IANA-style name rustls gives the suite, e.g. `"TLS13_AES_256_GCM_SHA384"`.
    pub cipher_suite: String,
    /// The server name the client asked for (SNI). Clients do not send one when they connect to an
    /// IP address such as `127.0.0.1`.
    pub sni: Option<String>,
}

/// The body type every handler answers with.
pub type ResponseBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// What [`Handler::handle`] returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = http::Response<ResponseBody>> + Send>>;

/// Answers requests. One instance serves every connection of both listeners at once.
///
/// Closures of the shape `Fn(Request<Incoming>, ConnInfo) -> impl Future<Output = Response<ResponseBody>>`
/// are handlers too, which keeps tests short.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, req: http::Request<hyper::body::Incoming>, conn: ConnInfo) -> HandlerFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(http::Request<hyper::body::Incoming>, ConnInfo) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http::Response<ResponseBody>> + Send + 'static,
{
    fn handle(&self, req: http::Request<hyper::body::Incoming>, conn: ConnInfo) -> HandlerFuture {
        Box::pin(self(req, conn))
    }
}

/// A complete body from bytes (or a `String`, `Vec<u8>`, `&'static str`).
pub fn full_body(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// An empty body.
pub fn empty_body() -> ResponseBody {
    Empty::new()
        .map_err(|never: Infallible| match never {})
        .boxed()
}
