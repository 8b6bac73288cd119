//! The listeners, over real sockets on 127.0.0.1 with ephemeral ports.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use s3lab_server::tls::{self, TlsFiles};
use s3lab_server::{
    full_body, start, ConnInfo, Handler, ListenConfig, ResponseBody, RunningServer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_rustls::TlsConnector;

/// Upper bound for anything that should happen at once, so a bug fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(20);

struct Lab {
    _dir: tempfile::TempDir,
    files: TlsFiles,
    server: RunningServer,
}

async fn start_lab(handler: Arc<dyn Handler>) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let (files, config) = tls::load_or_create(&dir.path().join("tls"), &[]).unwrap();
    let server = start(&ListenConfig::default(), config, handler)
        .await
        .unwrap();
    Lab {
        _dir: dir,
        files,
        server,
    }
}

/// Answers `secure=… sni=… version=…` and reports each ConnInfo on a channel.
fn echo_handler() -> (Arc<dyn Handler>, mpsc::UnboundedReceiver<ConnInfo>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = move |req: Request<Incoming>, conn: ConnInfo| {
        let _ = tx.send(conn.clone());
        async move {
            let tls = conn.tls.as_ref();
            let text = format!(
                "{} secure={} version={} sni={}",
                req.uri().path(),
                conn.secure,
                tls.map_or("-", |t| t.version.as_str()),
                tls.and_then(|t| t.sni.as_deref()).unwrap_or("-"),
            );
            Response::new(full_body(text))
        }
    };
    (Arc::new(handler), rx)
}

struct Client {
    sender: SendRequest<Empty<Bytes>>,
}

impl Client {
    async fn plain(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).await.unwrap();
        Self::over(tcp).await
    }

    /// Connects with a client that trusts only the lab's CA; returns the client and the ALPN protocol.
    async fn tls(
        addr: SocketAddr,
        name: &str,
        ca_pem: &std::path::Path,
    ) -> (Client, Option<Vec<u8>>) {
        let connector = TlsConnector::from(tls::client_config(ca_pem).unwrap());
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from(name.to_owned()).unwrap();
        let stream = connector.connect(name, tcp).await.unwrap();
        let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        (Self::over(stream).await, alpn)
    }

    async fn over<S>(io: S) -> Client
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .unwrap();
        tokio::spawn(conn);
        Client { sender }
    }

    async fn try_get(&mut self, path: &str) -> hyper::Result<(StatusCode, String)> {
        let req = Request::get(path)
            .header("host", "localhost")
            .body(Empty::new())
            .unwrap();
        let response = self.sender.send_request(req).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8(body.to_vec()).unwrap()))
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        tokio::time::timeout(PATIENCE, self.try_get(path))
            .await
            .expect("no answer in time")
            .unwrap()
    }
}

#[tokio::test]
async fn http_round_trip() {
    let (handler, mut seen) = echo_handler();
    let lab = start_lab(handler).await;
    assert!(lab.server.http_addr.ip().is_loopback());
    assert_ne!(lab.server.http_addr.port(), 0);
    let mut client = Client::plain(lab.server.http_addr).await;
    assert_eq!(
        client.get("/hello").await,
        (
            StatusCode::OK,
            "/hello secure=false version=- sni=-".to_owned()
        )
    );
    // Keep-alive: a second request on the same connection.
    assert_eq!(client.get("/again").await.0, StatusCode::OK);
    let conn = seen.recv().await.unwrap();
    assert!(!conn.secure);
    assert!(conn.tls.is_none());
    assert_eq!(conn.local, lab.server.http_addr);
    assert!(conn.peer.ip().is_loopback());
    lab.server.shutdown().await;
}

#[tokio::test]
async fn https_round_trip_by_name_and_by_ip() {
    let (handler, mut seen) = echo_handler();
    let lab = start_lab(handler).await;
    let addr = lab.server.https_addr;

    let (mut client, alpn) = Client::tls(addr, "localhost", &lab.files.ca_pem).await;
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(
        client.get("/x").await,
        (
            StatusCode::OK,
            "/x secure=true version=TLSv1.3 sni=localhost".to_owned()
        )
    );
    let conn = seen.recv().await.unwrap();
    assert!(conn.secure);
    assert_eq!(conn.local, addr);
    let tls = conn.tls.unwrap();
    assert_eq!(tls.version, "TLSv1.3");
    assert!(
        tls.cipher_suite.starts_with("TLS13_"),
        "{}",
        tls.cipher_suite
    );
    assert_eq!(tls.sni.as_deref(), Some("localhost"));

    // By IP: the certificate names 127.0.0.1, and clients send no SNI for an address.
    let (mut client, _) = Client::tls(addr, "127.0.0.1", &lab.files.ca_pem).await;
    assert_eq!(
        client.get("/y").await,
        (
            StatusCode::OK,
            "/y secure=true version=TLSv1.3 sni=-".to_owned()
        )
    );
    let conn = seen.recv().await.unwrap();
    assert!(conn.secure);
    assert_eq!(conn.tls.unwrap().sni, None);
    lab.server.shutdown().await;
}

#[tokio::test]
async fn a_failed_handshake_does_not_affect_other_connections() {
    let (handler, _seen) = echo_handler();
    let lab = start_lab(handler).await;
    // A client that trusts another CA gives up during the handshake.
    let other = tempfile::tempdir().unwrap();
    let (other_files, _) = tls::load_or_create(other.path(), &[]).unwrap();
    let connector = TlsConnector::from(tls::client_config(&other_files.ca_pem).unwrap());
    let tcp = TcpStream::connect(lab.server.https_addr).await.unwrap();
    let refused = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(refused.is_err());
    // Garbage instead of a ClientHello, then a reset.
    let mut tcp = TcpStream::connect(lab.server.https_addr).await.unwrap();
    tcp.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0])
        .await
        .unwrap();
    drop(tcp);
    let (mut client, _) = Client::tls(lab.server.https_addr, "localhost", &lab.files.ca_pem).await;
    assert_eq!(client.get("/still-here").await.0, StatusCode::OK);
    lab.server.shutdown().await;
}

#[tokio::test]
async fn plain_http_on_the_https_port_gets_a_readable_answer() {
    let (handler, _seen) = echo_handler();
    let lab = start_lab(handler).await;
    let mut tcp = TcpStream::connect(lab.server.https_addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(answer.contains("This port speaks HTTPS"), "{answer}");
    lab.server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_gets_a_500_and_the_server_carries_on() {
    let handler = |req: Request<Incoming>, _conn: ConnInfo| {
        let path = req.uri().path().to_owned();
        if path == "/panic-now" {
            panic!("handler panicked before returning a future");
        }
        async move {
            if path == "/panic-later" {
                panic!("handler future panicked");
            }
            Response::new(full_body("fine"))
        }
    };
    let lab = start_lab(Arc::new(handler)).await;
    for addr in [lab.server.http_addr] {
        let mut client = Client::plain(addr).await;
        for path in ["/panic-later", "/panic-now"] {
            let (status, body) = client.get(path).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(body.contains("<Code>InternalError</Code>"), "{body}");
            // The same connection still works...
            assert_eq!(client.get("/ok").await, (StatusCode::OK, "fine".to_owned()));
        }
        // ...and so do new ones.
        assert_eq!(
            Client::plain(addr).await.get("/ok").await,
            (StatusCode::OK, "fine".to_owned())
        );
    }
    let (mut client, _) = Client::tls(lab.server.https_addr, "localhost", &lab.files.ca_pem).await;
    assert_eq!(
        client.get("/panic-later").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(client.get("/ok").await.0, StatusCode::OK);
    lab.server.shutdown().await;
}

/// A handler whose `/slow` requests report that they started and then wait to be released.
fn slow_handler() -> (
    Arc<dyn Handler>,
    mpsc::UnboundedReceiver<oneshot::Sender<()>>,
) {
    let (tx, rx) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let tx = Arc::new(Mutex::new(tx));
    let handler = move |req: Request<Incoming>, _conn: ConnInfo| {
        let tx = tx.clone();
        async move {
            if req.uri().path() == "/slow" {
                let (release, released) = oneshot::channel();
                let _ = tx.lock().await.send(release);
                let _ = released.await;
            }
            Response::<ResponseBody>::new(full_body("done"))
        }
    };
    (Arc::new(handler), rx)
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_and_closes_the_listeners() {
    let (handler, mut started) = slow_handler();
    let lab = start_lab(handler).await;
    let http_addr = lab.server.http_addr;
    let https_addr = lab.server.https_addr;

    // An idle keep-alive connection must not hold shutdown up.
    let mut idle = Client::plain(http_addr).await;
    assert_eq!(idle.get("/quick").await.0, StatusCode::OK);

    let mut busy = Client::plain(http_addr).await;
    let in_flight = tokio::spawn(async move { busy.get("/slow").await });
    let release = started.recv().await.unwrap();

    let shutdown = tokio::spawn(lab.server.shutdown_within(PATIENCE));
    assert!(!shutdown.is_finished());
    release.send(()).unwrap();
    assert_eq!(
        in_flight.await.unwrap(),
        (StatusCode::OK, "done".to_owned())
    );
    tokio::time::timeout(PATIENCE, shutdown)
        .await
        .expect("shutdown took too long")
        .unwrap();

    assert!(
        idle.try_get("/after").await.is_err(),
        "the idle connection should be closed"
    );
    assert!(
        TcpStream::connect(http_addr).await.is_err(),
        "HTTP listener still open"
    );
    assert!(
        TcpStream::connect(https_addr).await.is_err(),
        "HTTPS listener still open"
    );
}

#[tokio::test]
async fn shutdown_cuts_requests_that_outlive_the_grace_period() {
    let (handler, mut started) = slow_handler();
    let lab = start_lab(handler).await;
    let mut busy = Client::plain(lab.server.http_addr).await;
    let in_flight = tokio::spawn(async move { busy.try_get("/slow").await });
    let _never_released = started.recv().await.unwrap();
    tokio::time::timeout(
        PATIENCE,
        lab.server.shutdown_within(Duration::from_millis(100)),
    )
    .await
    .expect("shutdown did not respect its bound");
    let outcome = tokio::time::timeout(PATIENCE, in_flight)
        .await
        .unwrap()
        .unwrap();
    assert!(
        outcome.is_err(),
        "the cut request should fail, got {outcome:?}"
    );
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let (handler, _seen) = echo_handler();
    let lab = start_lab(handler).await;
    let mut tcp = TcpStream::connect(lab.server.http_addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    tcp.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    drop(lab);
    // The idle keep-alive connection is closed: reading reaches the end of the stream.
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut rest))
        .await
        .expect("connection not closed")
        .unwrap();
}
