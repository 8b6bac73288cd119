//! A recording client: one exchange, and what a learner should see of it.
//!
//! [`Recorder::exchange`] sends a request exactly as [`crate::send`] does (same headers, same
//! signature, one connection) and also returns two transcript events:
//!
//! - an [`Exchange`]: the request and response *heads as they were on
//!   the connection* — start line, every header in wire order with the names as sent, including
//!   what hyper added (`content-length`) — and previews of both bodies;
//! - a [`WireTap`]: what an eavesdropper on the TCP connection saw.
//!   Over plain HTTP, the bytes themselves as text lines (`→` sent, `←` received). Over HTTPS,
//!   only the TLS records: direction, content type and length, in order.
//!
//! # How the bytes are captured
//!
//! The TCP stream is wrapped in a tap that copies every byte read or written into a shared
//! buffer, at most [`Recorder::tap_limit`] bytes each way (totals are still counted). Over HTTPS
//! the tap sits *under* TLS, where a streaming scanner reads record headers (type, version,
//! length) and keeps no payload; a second tap *above* TLS captures the plaintext HTTP that hyper
//! wrote and read, which is where the Exchange's heads come from in both cases.
//!
//! # Determinism
//!
//! With a fixed `now`, a fixed `Endpoint::host` and a deterministic server, the Exchange and the
//! plain-HTTP WireTap are byte-for-byte stable. An HTTPS WireTap is not: record lengths can change
//! between runs (and, with a server that sends TLS 1.3 session tickets, the order in which they
//! and the client's request cross; s3lab's server sends none). Snapshot tests should pin its shape, not its numbers. A server that lets hyper
//! add a `date` header from the real clock makes the response heads unstable too.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use s3lab_transcript::wire::{http_wire_lines, parse_http_head, Direction, TlsRecordScanner};
use s3lab_transcript::{
    BodyPreview, Event, Exchange, HttpMessage, Transport, WireTap, DEFAULT_BODY_LIMIT,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::{prepare, ClientError, Endpoint, RequestSpec, Response, Signing};

/// How long to wait, after the answer, for the connection to close (so a TLS `close_notify` is
/// in the wire tap).
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Sends requests and records them. [`Recorder::default`] keeps 512 bytes of each body and
/// 64 KiB of wire each way.
#[derive(Debug, Clone, Copy)]
pub struct Recorder {
    /// Bytes of each body a preview keeps (request, response, and the wire tap's bodies).
    pub body_limit: usize,
    /// Bytes of wire kept each way.
    pub tap_limit: usize,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            body_limit: DEFAULT_BODY_LIMIT,
            tap_limit: 64 * 1024,
        }
    }
}

/// [`Recorder::exchange`] with the default limits.
pub async fn exchange(
    endpoint: &Endpoint,
    spec: &RequestSpec,
    signing: &Signing,
    now: time::OffsetDateTime,
    identity_name: Option<&str>,
) -> Result<(Response, Event, Event), ClientError> {
    Recorder::default()
        .exchange(endpoint, spec, signing, now, identity_name)
        .await
}

impl Recorder {
    /// Sends one request on a fresh connection, reads the whole answer, and returns it with an
    /// `Exchange` event and a `WireTap` event. `identity_name` is what the Exchange says signed
    /// the request (`admin`).
    pub async fn exchange(
        &self,
        endpoint: &Endpoint,
        spec: &RequestSpec,
        signing: &Signing,
        now: time::OffsetDateTime,
        identity_name: Option<&str>,
    ) -> Result<(Response, Event, Event), ClientError> {
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
        let tcp = crate::connect_tcp(endpoint).await?;
        let secure = endpoint.tls.is_some();
        let wire = TapLog::shared(self.tap_limit, secure);
        let tcp = Tap::new(tcp, Arc::clone(&wire));
        let (response, plain) = match &endpoint.tls {
            Some(config) => {
                let tls = crate::tls_handshake(endpoint, config, tcp).await?;
                let plain = TapLog::shared(self.tap_limit, false);
                let io = Tap::new(tls, Arc::clone(&plain));
                (run(TokioIo::new(io), request).await?, plain)
            }
            None => (run(TokioIo::new(tcp), request).await?, Arc::clone(&wire)),
        };

        let plain = lock(&plain);
        let request = HttpMessage {
            body: BodyPreview::of(&spec.body, self.body_limit),
            ..sent_head(&plain.sent, spec, &headers)
        };
        let response_message = HttpMessage {
            body: BodyPreview::of(&response.body, self.body_limit),
            ..received_head(&plain.received, &response)
        };
        drop(plain);
        let transport = if secure {
            Transport::Https
        } else {
            Transport::Http
        };
        let exchange = Exchange {
            transport,
            identity: identity_name.map(str::to_owned),
            request,
            response: response_message,
            shown_on_purpose: false,
        };

        let wire = lock(&wire);
        let summary = match &wire.tls {
            Some(scanner) => scanner.summary(),
            None => {
                let mut lines = http_wire_lines(
                    Direction::Sent,
                    &wire.sent,
                    wire.sent_total,
                    self.body_limit,
                );
                lines.extend(http_wire_lines(
                    Direction::Received,
                    &wire.received,
                    wire.received_total,
                    self.body_limit,
                ));
                lines
            }
        };
        let tap = WireTap {
            transport,
            summary,
            readable: !secure,
            shown_on_purpose: false,
        };
        Ok((response, Event::Exchange(exchange), Event::WireTap(tap)))
    }
}

/// One request on `io`: the whole answer, then the connection closed (waiting up to
/// [`CLOSE_WAIT`] for it) so the taps have seen everything.
async fn run<T>(io: T, request: Request<Full<Bytes>>) -> Result<Response, ClientError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?;
    let conn = tokio::spawn(conn);
    let resp = sender
        .send_request(request)
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?;
    let response = crate::collect(resp).await?;
    // With its only sender gone, the connection shuts down; its result no longer matters.
    drop(sender);
    let _ = tokio::time::timeout(CLOSE_WAIT, conn).await;
    Ok(response)
}

/// The request head as hyper wrote it; if it was not captured, as `prepare` built it.
fn sent_head(captured: &[u8], spec: &RequestSpec, headers: &http::HeaderMap) -> HttpMessage {
    if let Some(head) = parse_http_head(captured) {
        return HttpMessage {
            start_line: head.start_line,
            headers: head.headers,
            body: BodyPreview::Empty,
        };
    }
    let mut list: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    if !spec.body.is_empty() && !headers.contains_key(http::header::CONTENT_LENGTH) {
        list.push(("content-length".into(), spec.body.len().to_string()));
    }
    HttpMessage {
        start_line: format!("{} {} HTTP/1.1", spec.method, spec.path_and_query),
        headers: list,
        body: BodyPreview::Empty,
    }
}

/// The final (not 1xx) response head as it arrived; if it was not captured, from `response`.
fn received_head(captured: &[u8], response: &Response) -> HttpMessage {
    let mut rest = captured;
    while let Some(head) = parse_http_head(rest) {
        let interim = head
            .start_line
            .split(' ')
            .nth(1)
            .is_some_and(|code| code.starts_with('1'));
        if !interim {
            return HttpMessage {
                start_line: head.start_line,
                headers: head.headers,
                body: BodyPreview::Empty,
            };
        }
        rest = rest.get(head.len..).unwrap_or_default();
    }
    let reason = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    HttpMessage {
        start_line: format!("HTTP/1.1 {} {reason}", response.status)
            .trim_end()
            .to_owned(),
        headers: response
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: BodyPreview::Empty,
    }
}

/// What a tap saw.
#[derive(Debug)]
struct TapLog {
    limit: usize,
    sent: Vec<u8>,
    sent_total: u64,
    received: Vec<u8>,
    received_total: u64,
    /// Under TLS: the record scanner (which keeps no payload).
    tls: Option<TlsRecordScanner>,
}

impl TapLog {
    fn shared(limit: usize, tls: bool) -> Arc<Mutex<TapLog>> {
        Arc::new(Mutex::new(TapLog {
            limit,
            sent: Vec::new(),
            sent_total: 0,
            received: Vec::new(),
            received_total: 0,
            tls: tls.then(TlsRecordScanner::default),
        }))
    }

    fn record(&mut self, direction: Direction, bytes: &[u8]) {
        let (buf, total) = match direction {
            Direction::Sent => (&mut self.sent, &mut self.sent_total),
            Direction::Received => (&mut self.received, &mut self.received_total),
        };
        *total += bytes.len() as u64;
        let room = self.limit.saturating_sub(buf.len());
        buf.extend_from_slice(&bytes[..room.min(bytes.len())]);
        if let Some(scanner) = &mut self.tls {
            scanner.feed(direction, bytes);
        }
    }
}

/// A lock that survives a panic elsewhere: the log is plain data, still readable.
fn lock(log: &Mutex<TapLog>) -> MutexGuard<'_, TapLog> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A stream that copies what passes through it into a [`TapLog`].
struct Tap<S> {
    inner: S,
    log: Arc<Mutex<TapLog>>,
}

impl<S> Tap<S> {
    fn new(inner: S, log: Arc<Mutex<TapLog>>) -> Self {
        Tap { inner, log }
    }

    fn record(&self, direction: Direction, bytes: &[u8]) {
        if !bytes.is_empty() {
            lock(&self.log).record(direction, bytes);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &result {
            this.record(
                Direction::Received,
                buf.filled().get(before..).unwrap_or_default(),
            );
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &result {
            this.record(Direction::Sent, buf.get(..*n).unwrap_or(buf));
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &result {
            let mut left = *n;
            for buf in bufs {
                if left == 0 {
                    break;
                }
                let take = left.min(buf.len());
                this.record(Direction::Sent, &buf[..take]);
                left -= take;
            }
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::error::Error;
    use std::net::SocketAddr;

    use http::Method;
    use http_body_util::BodyExt;
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use s3lab_transcript::{find_secrets, Transcript};
    use tokio::net::TcpListener;

    use super::*;

    type TestResult = Result<(), Box<dyn Error>>;

    const NOW: time::OffsetDateTime = time::macros::datetime!(2026-01-01 00:00:00 UTC);

    /// What the test server saw of one request: its header names, in order.
    type Seen = Arc<Mutex<Vec<Vec<String>>>>;

    /// A tiny S3-ish server on 127.0.0.1:0 (over TLS with `tls`): it answers every request with
    /// 200, an SSE header, and an XML body saying how many bytes it received. No `date` header,
    /// so the answer is deterministic.
    async fn server(
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<(SocketAddr, Seen), Box<dyn Error>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let seen: Seen = Arc::default();
        let seen2 = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let tls = tls.clone();
                let seen = Arc::clone(&seen2);
                tokio::spawn(async move {
                    match tls {
                        Some(config) => {
                            if let Ok(stream) =
                                tokio_rustls::TlsAcceptor::from(config).accept(tcp).await
                            {
                                serve(stream, seen).await;
                            }
                        }
                        None => serve(tcp, seen).await,
                    }
                });
            }
        });
        Ok((addr, seen))
    }

    async fn serve<I>(io: I, seen: Seen)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let service = service_fn(move |req: Request<Incoming>| {
            let seen = Arc::clone(&seen);
            async move {
                lock_seen(&seen).push(req.headers().keys().map(|k| k.to_string()).collect());
                let len = match req.into_body().collect().await {
                    Ok(body) => body.to_bytes().len(),
                    Err(_) => 0,
                };
                let body = format!("<Received>{len} bytes</Received>");
                let response = http::Response::builder()
                    .header("x-amz-server-side-encryption", "AES256")
                    .header("ETag", "\"9b2cf535f27731c974343645a3985328\"")
                    .body(Full::new(Bytes::from(body)))
                    .unwrap_or_default();
                Ok::<_, Infallible>(response)
            }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .auto_date_header(false)
            .serve_connection(TokioIo::new(io), service)
            .await;
    }

    fn lock_seen(seen: &Seen) -> MutexGuard<'_, Vec<Vec<String>>> {
        seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A self-signed certificate for `localhost`, and a client that trusts only it.
    fn tls_pair() -> Result<(Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>), Box<dyn Error>>
    {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
        let cert = certified.cert.der().clone();
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der());
        let server = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key.into())?;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert)?;
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok((Arc::new(server), Arc::new(client)))
    }

    /// An endpoint whose `Host` does not depend on the ephemeral port, so signatures are stable.
    fn endpoint(addr: SocketAddr, tls: Option<Arc<rustls::ClientConfig>>) -> Endpoint {
        let port = if tls.is_some() { 9443 } else { 9080 };
        Endpoint {
            addr,
            tls,
            host: format!("localhost:{port}"),
            region: "us-east-1".into(),
        }
    }

    fn put(body: impl Into<Vec<u8>>) -> RequestSpec {
        RequestSpec::new(Method::PUT, "/lab/hello.txt")
            .header("x-amz-server-side-encryption", "AES256")
            .header("Content-Type", "text/plain")
            .body(body)
    }

    fn admin() -> Signing {
        Signing::sigv4(
            "AKIAS3LABADMIN000001",
            "s3labAdminSecretKey/DoNotUseInProduction",
        )
    }

    fn names(m: &HttpMessage) -> Vec<&str> {
        m.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn parts(exchange: &Event, tap: &Event) -> Result<(Exchange, WireTap), String> {
        match (exchange, tap) {
            (Event::Exchange(e), Event::WireTap(w)) => Ok((e.clone(), w.clone())),
            other => Err(format!("unexpected events {other:?}")),
        }
    }

    #[tokio::test]
    async fn records_a_plain_http_exchange() -> TestResult {
        let (addr, seen) = server(None).await?;
        let ep = endpoint(addr, None);
        let (response, ev, tap) =
            exchange(&ep, &put("hello, wire"), &admin(), NOW, Some("admin")).await?;
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), "<Received>11 bytes</Received>");
        let (e, w) = parts(&ev, &tap)?;

        assert_eq!(e.transport, Transport::Http);
        assert_eq!(e.identity.as_deref(), Some("admin"));
        assert_eq!(e.request.start_line, "PUT /lab/hello.txt HTTP/1.1");
        // The headers actually sent, in order: prepare's, then hyper's content-length. The
        // server saw the same names in the same order.
        assert_eq!(
            names(&e.request),
            [
                "host",
                "x-amz-server-side-encryption",
                "content-type",
                "x-amz-date",
                "x-amz-content-sha256",
                "authorization",
                "content-length"
            ]
        );
        assert_eq!(lock_seen(&seen).as_slice(), [names(&e.request)]);
        assert_eq!(e.request.header("host"), Some("localhost:9080"));
        assert_eq!(e.request.header("content-length"), Some("11"));
        assert_eq!(
            e.request.body,
            BodyPreview::Text {
                text: "hello, wire".into(),
                truncated_from: None
            }
        );
        assert_eq!(e.response.start_line, "HTTP/1.1 200 OK");
        assert_eq!(
            e.response.headers,
            [
                (
                    "x-amz-server-side-encryption".to_owned(),
                    "AES256".to_owned()
                ),
                (
                    "etag".to_owned(),
                    "\"9b2cf535f27731c974343645a3985328\"".to_owned()
                ),
                ("content-length".to_owned(), "29".to_owned()),
            ]
        );
        assert_eq!(e.response.body.full_len(), 29);

        // The eavesdropper reads the request line, every header, and the body.
        assert!(w.readable);
        assert_eq!(w.summary[0], "→ PUT /lab/hello.txt HTTP/1.1");
        assert!(w
            .summary
            .iter()
            .any(|l| l.starts_with("→ authorization: AWS4-HMAC-SHA256")));
        assert!(w.summary.contains(&"→ hello, wire".to_owned()));
        assert!(w.summary.contains(&"← HTTP/1.1 200 OK".to_owned()));
        assert_eq!(
            w.summary.last().map(String::as_str),
            Some("← <Received>11 bytes</Received>")
        );
        Ok(())
    }

    #[tokio::test]
    async fn plain_http_recordings_are_deterministic() -> TestResult {
        let (addr, _) = server(None).await?;
        let ep = endpoint(addr, None);
        let (_, e1, w1) = exchange(&ep, &put("same"), &admin(), NOW, None).await?;
        let (_, e2, w2) = exchange(&ep, &put("same"), &admin(), NOW, None).await?;
        assert_eq!(e1, e2);
        assert_eq!(w1, w2);
        Ok(())
    }

    #[tokio::test]
    async fn large_and_binary_bodies_are_previewed() -> TestResult {
        let (addr, _) = server(None).await?;
        let ep = endpoint(addr, None);
        let recorder = Recorder {
            body_limit: 64,
            tap_limit: 1024,
        };
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (response, ev, tap) = recorder
            .exchange(&ep, &put(body), &admin(), NOW, None)
            .await?;
        assert_eq!(response.text(), "<Received>200000 bytes</Received>");
        let (e, w) = parts(&ev, &tap)?;
        let BodyPreview::Hex {
            hex,
            truncated_from,
        } = &e.request.body
        else {
            return Err(format!("not hex: {:?}", e.request.body).into());
        };
        assert_eq!(*truncated_from, Some(200_000));
        assert_eq!(hex.lines().count(), 4);
        assert_eq!(e.request.header("content-length"), Some("200000"));
        // The tap kept 1 KiB each way but counted everything.
        let more = w
            .summary
            .iter()
            .find(|l| l.starts_with("→ …"))
            .ok_or("no truncation line")?;
        assert!(more.ends_with("in all)"), "{more}");
        assert!(w.summary.iter().any(|l| l.starts_with("→ 00000")));
        Ok(())
    }

    #[tokio::test]
    async fn records_an_https_exchange_as_tls_records() -> TestResult {
        let (server_config, client_config) = tls_pair()?;
        let (addr, _) = server(Some(server_config)).await?;
        let ep = endpoint(addr, Some(client_config));
        let (response, ev, tap) =
            exchange(&ep, &put("hello, wire"), &admin(), NOW, Some("admin")).await?;
        assert_eq!(response.status, 200);
        let (e, w) = parts(&ev, &tap)?;

        // The exchange is read above TLS: the same heads as over HTTP.
        assert_eq!(e.transport, Transport::Https);
        assert_eq!(e.request.start_line, "PUT /lab/hello.txt HTTP/1.1");
        assert_eq!(e.request.header("host"), Some("localhost:9443"));
        assert_eq!(e.request.header("content-length"), Some("11"));
        assert_eq!(
            e.response.header("x-amz-server-side-encryption"),
            Some("AES256")
        );

        // The eavesdropper sees records, not the request.
        assert!(!w.readable);
        assert!(
            w.summary[0].starts_with("→ handshake ") && w.summary[0].ends_with(" (ClientHello)"),
            "{:?}",
            w.summary
        );
        assert!(w
            .summary
            .iter()
            .any(|l| l.starts_with("← handshake ") && l.ends_with("(ServerHello)")));
        assert!(w
            .summary
            .iter()
            .any(|l| l.starts_with("→ application_data ")));
        assert!(w
            .summary
            .iter()
            .any(|l| l.starts_with("← application_data ")));
        assert!(w
            .summary
            .iter()
            .all(|l| !l.contains("PUT") && !l.contains("not TLS")));

        // Nothing of the body or the signature is in the tap.
        let mut t = Transcript::new("t", "t");
        t.step("s").push(tap);
        assert_eq!(
            find_secrets(&t, &[b"hello, wire", b"AKIAS3LABADMIN000001"]),
            Vec::<String>::new()
        );
        Ok(())
    }

    #[test]
    fn received_head_skips_interim_responses() {
        let wire =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nx-amz-request-id: 1\r\n\r\n";
        let response = Response {
            status: 404,
            headers: http::HeaderMap::new(),
            body: Vec::new(),
        };
        let head = received_head(wire, &response);
        assert_eq!(head.start_line, "HTTP/1.1 404 Not Found");
        assert_eq!(
            head.headers,
            [("x-amz-request-id".to_owned(), "1".to_owned())]
        );
        // Nothing captured: the head is rebuilt from the response.
        assert_eq!(
            received_head(b"", &response).start_line,
            "HTTP/1.1 404 Not Found"
        );
    }
}
