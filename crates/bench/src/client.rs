//! The benchmark's client: one keep-alive HTTP/1.1 connection per server (plain or TLS), SigV4
//! signing by `s3lab-client`, bodies generated on the fly from one shared block, answers counted
//! rather than kept.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use http::{Method, Request};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use s3lab_client::{Endpoint, RequestSpec, Signing};
use tokio::net::TcpStream;

/// A request body: `len` bytes taken from `block` over and over (zero-copy slices of it), so a
/// 256 MiB object costs the client no memory and no generation time.
pub struct RepeatBody {
    block: Bytes,
    remaining: u64,
}

impl RepeatBody {
    pub fn new(block: Bytes, len: u64) -> Self {
        RepeatBody {
            block,
            remaining: len,
        }
    }

    pub fn empty() -> Self {
        RepeatBody {
            block: Bytes::new(),
            remaining: 0,
        }
    }
}

impl Body for RepeatBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 || self.block.is_empty() {
            return Poll::Ready(None);
        }
        let n = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(self.block.len());
        self.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(self.block.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 || self.block.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(if self.block.is_empty() {
            0
        } else {
            self.remaining
        })
    }
}

/// What one request gave back.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    /// The body when it was small (errors, XML); only counted past [`KEEP`].
    pub body: Vec<u8>,
    pub body_len: u64,
    pub elapsed: Duration,
}

/// Bodies up to this size are kept (to show an error); longer ones are only counted.
const KEEP: usize = 64 * 1024;

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A signing client with one kept-alive connection to one endpoint.
pub struct Client {
    pub endpoint: Endpoint,
    signing: Signing,
    sender: Option<SendRequest<RepeatBody>>,
}

impl Client {
    pub fn new(endpoint: Endpoint, signing: Signing) -> Self {
        Client {
            endpoint,
            signing,
            sender: None,
        }
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<RepeatBody>> {
        let addr = self.endpoint.addr;
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("could not connect to {addr}"))?;
        tcp.set_nodelay(true)?;
        match &self.endpoint.tls {
            Some(config) => {
                let host = self
                    .endpoint
                    .host
                    .split(':')
                    .next()
                    .unwrap_or("localhost")
                    .to_owned();
                let name = rustls::pki_types::ServerName::try_from(host)?;
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await
                    .with_context(|| format!("TLS with {addr} failed"))?;
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
                tokio::spawn(conn);
                Ok(sender)
            }
            None => {
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
                tokio::spawn(conn);
                Ok(sender)
            }
        }
    }

    /// Sends one request (`UNSIGNED-PAYLOAD`: the body is not hashed) and reads the whole answer.
    /// A connection the server closed is opened again, once.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(String, String)],
        body: RepeatBody,
    ) -> anyhow::Result<Answer> {
        let len = body.size_hint().exact().unwrap_or(0);
        let mut spec = RequestSpec::new(method.clone(), path)
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        if len > 0 || method == Method::PUT {
            spec = spec.header("content-length", len.to_string());
        }
        for (n, v) in headers {
            spec = spec.header(n.clone(), v.clone());
        }
        let signed = s3lab_client::prepare(
            &self.endpoint,
            &spec,
            &self.signing,
            time::OffsetDateTime::now_utc(),
        )?;
        let mut builder = Request::builder().method(method).uri(path);
        for (name, value) in &signed {
            builder = builder.header(name, value);
        }
        let request = builder.body(body)?;

        let started = Instant::now();
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        if sender.ready().await.is_err() {
            sender = self.connect().await?;
            sender.ready().await?;
        }
        let resp = sender
            .send_request(request)
            .await
            .map_err(|e| anyhow!("{path}: {e}"))?;
        let status = resp.status().as_u16();
        let resp_headers = resp.headers().clone();
        let mut incoming = resp.into_body();
        let mut kept = Vec::new();
        let mut body_len = 0u64;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| anyhow!("{path}: reading the answer: {e}"))?;
            if let Ok(data) = frame.into_data() {
                body_len += data.len() as u64;
                if kept.len() < KEEP {
                    let room = KEEP - kept.len();
                    kept.extend_from_slice(&data[..room.min(data.len())]);
                }
            }
        }
        let elapsed = started.elapsed();
        // Keep the connection unless the server said it closes it.
        let closing = resp_headers
            .get(http::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if !closing {
            self.sender = Some(sender);
        }
        Ok(Answer {
            status,
            headers: resp_headers,
            body: kept,
            body_len,
            elapsed,
        })
    }

    /// [`send`](Self::send), and an error unless the status is 2xx.
    pub async fn expect_ok(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(String, String)],
        body: RepeatBody,
    ) -> anyhow::Result<Answer> {
        let what = format!("{method} {path}");
        let answer = self.send(method, path, headers, body).await?;
        if !(200..300).contains(&answer.status) {
            bail!("{what}: {} {}", answer.status, answer.text());
        }
        Ok(answer)
    }
}
