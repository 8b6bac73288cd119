//! The two listeners and the per-connection and per-request tasks behind them.

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{header, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info, warn};

use crate::{full_body, ConnInfo, Handler, ResponseBody, TlsInfo};

/// How long [`RunningServer::shutdown`] (and a dropped [`RunningServer`]) lets in-flight requests
/// finish before it cuts the remaining connections.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A client that opened a connection to the HTTPS port gets this long to finish its handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A client gets this long to send a request's headers; hyper then closes the connection.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenConfig {
    /// 127.0.0.1 unless told otherwise: the lab is for this machine only.
    pub host: IpAddr,
    /// Plain HTTP; 0 picks any free port.
    pub http_port: u16,
    /// HTTPS; 0 picks any free port.
    pub https_port: u16,
}

impl Default for ListenConfig {
    /// 127.0.0.1 with ephemeral ports, as in-process labs and tests want.
    fn default() -> Self {
        ListenConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http_port: 0,
            https_port: 0,
        }
    }
}

/// Plain HTTP or HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Http => "HTTP",
            Scheme::Https => "HTTPS",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("could not bind {addr} for {scheme}")]
    Bind {
        scheme: Scheme,
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("could not read the local address of the {scheme} listener")]
    LocalAddr {
        scheme: Scheme,
        #[source]
        source: io::Error,
    },
}

impl ServerError {
    /// True when a port was already taken, so a front end can suggest port 0.
    pub fn is_addr_in_use(&self) -> bool {
        matches!(self, ServerError::Bind { source, .. } if source.kind() == io::ErrorKind::AddrInUse)
    }
}

/// Both listeners, running. Dropping it stops them too (in the background, within
/// [`DEFAULT_SHUTDOWN_GRACE`]); [`RunningServer::shutdown`] does the same and waits.
#[derive(Debug)]
pub struct RunningServer {
    pub http_addr: SocketAddr,
    pub https_addr: SocketAddr,
    /// `None` while running, `Some(grace)` once asked to stop. Dropping the sender also means stop.
    stop: watch::Sender<Option<Duration>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish within [`DEFAULT_SHUTDOWN_GRACE`], then cuts
    /// whatever is left. Idle keep-alive connections are closed at once.
    pub async fn shutdown(self) {
        self.shutdown_within(DEFAULT_SHUTDOWN_GRACE).await
    }

    /// [`RunningServer::shutdown`] with another bound.
    pub async fn shutdown_within(mut self, grace: Duration) {
        self.stop.send_replace(Some(grace));
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                error!(error = %e, "the listener task failed while shutting down");
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Unless `shutdown` already ran: the accept task sees the stop and ends by itself within the
        // default grace. (If the runtime is gone, its tasks are gone too.)
        if self.task.is_some() {
            self.stop.send_replace(Some(DEFAULT_SHUTDOWN_GRACE));
        }
    }
}

struct Shared {
    handler: Arc<dyn Handler>,
    acceptor: TlsAcceptor,
}

/// Binds both listeners and serves them until the returned [`RunningServer`] is shut down or
/// dropped. Returns once both are bound, so their addresses are known and connectable.
pub async fn start(
    cfg: &ListenConfig,
    tls: Arc<rustls::ServerConfig>,
    handler: Arc<dyn Handler>,
) -> Result<RunningServer, ServerError> {
    let (http, http_addr) = bind(Scheme::Http, SocketAddr::new(cfg.host, cfg.http_port)).await?;
    let (https, https_addr) =
        bind(Scheme::Https, SocketAddr::new(cfg.host, cfg.https_port)).await?;
    let shared = Arc::new(Shared {
        handler,
        acceptor: TlsAcceptor::from(tls),
    });
    let (stop, stop_rx) = watch::channel(None);
    let task = tokio::spawn(accept_loop(http, https, shared, stop_rx));
    info!(%http_addr, %https_addr, "listening");
    Ok(RunningServer {
        http_addr,
        https_addr,
        stop,
        task: Some(task),
    })
}

async fn bind(scheme: Scheme, addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServerError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind {
            scheme,
            addr,
            source,
        })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServerError::LocalAddr { scheme, source })?;
    Ok((listener, local))
}

/// Waits until asked to stop and returns the grace period.
async fn stopped(rx: &mut watch::Receiver<Option<Duration>>) -> Duration {
    match rx.wait_for(Option::is_some).await {
        Ok(grace) => grace.unwrap_or(DEFAULT_SHUTDOWN_GRACE),
        // The RunningServer is gone without saying how long to wait.
        Err(_) => DEFAULT_SHUTDOWN_GRACE,
    }
}

async fn accept_loop(
    http: TcpListener,
    https: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    // Every connection task lives in this set, so that shutdown can wait for them and then abort the
    // stragglers; nothing outlives the listener.
    let mut conns = JoinSet::new();
    let grace = loop {
        tokio::select! {
            grace = stopped(&mut stop) => break grace,
            accepted = http.accept() => match accepted {
                Ok((tcp, peer)) => {
                    conns.spawn(serve_plain(tcp, peer, shared.clone(), stop.clone()));
                }
                Err(e) => accept_failed(Scheme::Http, e).await,
            },
            accepted = https.accept() => match accepted {
                Ok((tcp, peer)) => {
                    conns.spawn(serve_tls(tcp, peer, shared.clone(), stop.clone()));
                }
                Err(e) => accept_failed(Scheme::Https, e).await,
            },
            Some(done) = conns.join_next(), if !conns.is_empty() => reap(done),
        }
    };
    // Stop accepting: new connections are refused from here on.
    drop(http);
    drop(https);
    debug!(connections = conns.len(), ?grace, "shutting down");
    let drained = tokio::time::timeout(grace, async {
        while let Some(done) = conns.join_next().await {
            reap(done);
        }
    })
    .await;
    if drained.is_err() {
        warn!(
            connections = conns.len(),
            ?grace,
            "requests still running after the grace period; closing their connections"
        );
        conns.shutdown().await;
    }
    info!("listeners stopped");
}

fn reap(done: Result<(), JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            error!(
                panic = panic_message(e.into_panic().as_ref()),
                "a connection task panicked"
            );
        }
    }
}

async fn accept_failed(scheme: Scheme, e: io::Error) {
    // Mostly a connection reset before it was accepted, which concerns only that client. Running out of
    // file descriptors would make accept fail in a tight loop, so pause a little.
    debug!(%scheme, error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(20)).await;
}

fn local_addr_of(tcp: &TcpStream, peer: SocketAddr) -> Option<SocketAddr> {
    match tcp.local_addr() {
        Ok(a) => Some(a),
        Err(e) => {
            debug!(%peer, error = %e, "connection closed before it could be served");
            None
        }
    }
}

async fn serve_plain(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Receiver<Option<Duration>>,
) {
    let Some(local) = local_addr_of(&tcp, peer) else {
        return;
    };
    let conn = ConnInfo {
        secure: false,
        peer,
        local,
        tls: None,
    };
    serve_http(tcp, conn, shared, stop).await;
}

async fn serve_tls(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    let Some(local) = local_addr_of(&tcp, peer) else {
        return;
    };
    let handshake = async {
        // A learner who points plain HTTP at the HTTPS port gets a readable answer instead of a reset.
        let mut first = [0u8; 1];
        match tcp.peek(&mut first).await {
            Ok(1) if first[0].is_ascii_uppercase() => return Err(Misdirected(tcp)),
            Ok(_) => {}
            Err(e) => {
                debug!(%peer, error = %e, "connection failed before the TLS handshake");
                return Ok(None);
            }
        }
        match shared.acceptor.accept(tcp).await {
            Ok(stream) => Ok(Some(stream)),
            Err(e) => {
                debug!(%peer, error = %e, "TLS handshake failed");
                Ok(None)
            }
        }
    };
    let outcome = tokio::select! {
        _ = stopped(&mut stop) => return,
        outcome = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, handshake) => outcome,
    };
    let stream = match outcome {
        Ok(Ok(Some(stream))) => stream,
        Ok(Ok(None)) => return,
        Ok(Err(Misdirected(tcp))) => return answer_plain_http_on_tls_port(tcp, local).await,
        Err(_) => {
            debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let tls = {
        let (_, session) = stream.get_ref();
        TlsInfo {
            version: session
                .protocol_version()
                .map_or_else(|| "unknown".to_owned(), version_name),
            cipher_suite: session.negotiated_cipher_suite().map_or_else(
                || "unknown".to_owned(),
                |s| {
                    s.suite()
                        .as_str()
                        .map_or_else(|| format!("{:?}", s.suite()), str::to_owned)
                },
            ),
            sni: session.server_name().map(str::to_owned),
        }
    };
    debug!(%peer, version = %tls.version, suite = %tls.cipher_suite, sni = ?tls.sni, "TLS handshake done");
    let conn = ConnInfo {
        secure: true,
        peer,
        local,
        tls: Some(tls),
    };
    serve_http(stream, conn, shared, stop).await;
}

struct Misdirected(TcpStream);

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

async fn answer_plain_http_on_tls_port(mut tcp: TcpStream, local: SocketAddr) {
    let body = format!(
        "This port speaks HTTPS, and the request came in plain HTTP.\n\
         Use https://{local}/ (and trust s3lab's ca.pem), or the plain-HTTP port.\n"
    );
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(e) = tcp.write_all(response.as_bytes()).await {
        debug!(error = %e, "could not answer a plain-HTTP request on the HTTPS port");
    }
    // Best effort: the client may be gone already.
    let _ = tcp.shutdown().await;
}

async fn serve_http<I>(
    io: I,
    conn: ConnInfo,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<Option<Duration>>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = conn.peer;
    let handler = shared.handler.clone();
    let service = service_fn(move |req| {
        let handler = handler.clone();
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(dispatch(handler, req, conn).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // The handler sets `Date` from the clock requests are signed with, so that a lab running
        // on a simulated clock answers with stable, matching dates.
        .auto_date_header(false);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stopped(&mut stop) => {
            // Finish the request in flight (if any), then close; an idle connection closes now.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Aborts the request task if the connection goes away (or is cut at shutdown) first.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn dispatch(
    handler: Arc<dyn Handler>,
    req: Request<Incoming>,
    conn: ConnInfo,
) -> Response<ResponseBody> {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let secure = conn.secure;
    // Each request runs in its own task, so that a panic in the handler (in `handle` itself or in the
    // future it returns) costs this request a 500 and nothing else.
    let response = match std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(req, conn))) {
        Ok(future) => {
            let mut task = AbortOnDrop(tokio::spawn(future));
            match (&mut task.0).await {
                Ok(response) => response,
                Err(e) => {
                    let what = if e.is_panic() {
                        panic_message(e.into_panic().as_ref())
                    } else {
                        "the request task was cancelled".to_owned()
                    };
                    error!(%method, %uri, panic = %what, "the handler failed; answering 500");
                    internal_error()
                }
            }
        }
        Err(panic) => {
            error!(%method, %uri, panic = %panic_message(panic.as_ref()), "the handler failed; answering 500");
            internal_error()
        }
    };
    debug!(%method, %uri, secure, status = response.status().as_u16(), "request");
    response
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

static INTERNAL_ERRORS: AtomicU64 = AtomicU64::new(0);

/// S3's answer to a server bug. The request id is a counter: this path has no injected entropy, and
/// the id only has to tell two such errors apart in the log.
fn internal_error() -> Response<ResponseBody> {
    let n = INTERNAL_ERRORS.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("S3LAB{n:011X}");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
         <Message>We encountered an internal error. Please try again.</Message>\
         <RequestId>{request_id}</RequestId></Error>"
    );
    let mut response = Response::new(full_body(body));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml"),
    );
    if let Ok(v) = header::HeaderValue::from_str(&request_id) {
        headers.insert("x-amz-request-id", v);
    }
    response
}
