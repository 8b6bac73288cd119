//! How much memory the server needs to stream a large object in and out.
//!
//! Starts `s3lab serve` as a child process, PUTs and GETs a generated object (1 GiB by default;
//! `S3LAB_BENCH_MIB=1024,4096` for several sizes) in each SSE mode over HTTPS, and samples the
//! server's resident memory (`/proc/<pid>/status`, VmRSS) while the bytes flow. It prints, per size
//! and mode, the growth over the idle server and the throughput. Streaming means the growth stays
//! flat whatever the size.
//!
//! Run: `cargo bench -p s3lab --bench stream_memory`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use http::Method;
use md5::Digest;
use s3lab_client::{Endpoint, RequestSpec, Signing};
use s3lab_server::ready::read_ready_file;

const MIB: u64 = 1024 * 1024;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Samples the server's RSS until told to stop; returns the highest value seen.
fn sampler(pid: u32) -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut max = 0;
        while !flag.load(Ordering::Relaxed) {
            max = max.max(rss_kib(pid));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        max.max(rss_kib(pid))
    });
    (stop, handle)
}

fn generated(size: u64) -> s3lab_client::BodyStream {
    let block: Bytes = (0..MIB)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    let chunks = size.div_ceil(MIB);
    let stream = futures_util_iter(chunks, size, block);
    Box::pin(stream)
}

/// A stream of `chunks` frames of the block (the last one cut to `size`).
fn futures_util_iter(
    chunks: u64,
    size: u64,
    block: Bytes,
) -> impl futures_core::Stream<Item = Result<http_body::Frame<Bytes>, std::io::Error>> + Send {
    struct Gen {
        i: u64,
        chunks: u64,
        size: u64,
        block: Bytes,
    }
    impl futures_core::Stream for Gen {
        type Item = Result<http_body::Frame<Bytes>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if self.i >= self.chunks {
                return std::task::Poll::Ready(None);
            }
            let start = self.i * MIB;
            let len = (self.size - start).min(MIB) as usize;
            self.i += 1;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(self.block.slice(..len)))))
        }
    }
    Gen {
        i: 0,
        chunks,
        size,
        block,
    }
}

fn main() {
    let sizes: Vec<u64> = std::env::var("S3LAB_BENCH_MIB")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1024]);
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_path = dir.path().join("ready.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3lab"))
        .args([
            "serve",
            "--http-port",
            "0",
            "--https-port",
            "0",
            "--allow-sse-c",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .arg("--ready-file")
        .arg(&ready_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s3lab serve");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("read").trim() == "s3lab is ready." {
            break;
        }
    }
    let pid = child.id();
    let ready = read_ready_file(&ready_path).expect("ready file");
    let endpoint = Endpoint::from_url(&ready.https, Path::new(&ready.ca_pem), &ready.region)
        .expect("endpoint");
    let cred = &ready.credentials[0];
    let signing = Signing::sigv4(cred.access_key_id.clone(), cred.secret_access_key.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let now = time::OffsetDateTime::now_utc;
        let r = s3lab_client::send(
            &endpoint,
            &RequestSpec::new(Method::PUT, "/bench"),
            &signing,
            now(),
        )
        .await
        .expect("bucket");
        assert_eq!(r.status, 200, "{}", r.text());
        let key = [7u8; 32];
        let key_b64 = base64::engine::general_purpose::STANDARD.encode(key);
        let md5_b64 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(key));
        let modes: Vec<(&str, Vec<(String, String)>)> = vec![
            ("SSE-S3", vec![]),
            (
                "SSE-KMS",
                vec![("x-amz-server-side-encryption".into(), "aws:kms".into())],
            ),
            (
                "SSE-C",
                vec![
                    (
                        "x-amz-server-side-encryption-customer-algorithm".into(),
                        "AES256".into(),
                    ),
                    (
                        "x-amz-server-side-encryption-customer-key".into(),
                        key_b64.clone(),
                    ),
                    (
                        "x-amz-server-side-encryption-customer-key-MD5".into(),
                        md5_b64.clone(),
                    ),
                ],
            ),
        ];
        println!(
            "{:>8} {:>8} {:>5} {:>12} {:>10}",
            "size", "mode", "op", "RSS growth", "MB/s"
        );
        for &mib in &sizes {
            let size = mib * MIB;
            for (mode, headers) in &modes {
                let idle = rss_kib(pid);
                let (stop, handle) = sampler(pid);
                let mut spec = RequestSpec::new(Method::PUT, format!("/bench/{mode}"))
                    .header("content-length", size.to_string())
                    .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
                for (n, v) in headers {
                    spec = spec.header(n.clone(), v.clone());
                }
                let t = Instant::now();
                let mut answer = Vec::new();
                let r = s3lab_client::send_streaming(
                    &endpoint,
                    &spec,
                    &signing,
                    now(),
                    generated(size),
                    |b| answer.extend_from_slice(b),
                )
                .await
                .expect("put");
                let secs = t.elapsed().as_secs_f64();
                stop.store(true, Ordering::Relaxed);
                let peak = handle.join().expect("sampler");
                assert_eq!(
                    r.status,
                    200,
                    "PUT {mode}: {}",
                    String::from_utf8_lossy(&answer)
                );
                println!(
                    "{:>6}Mi {:>8} {:>5} {:>9} MiB {:>10.0}",
                    mib,
                    mode,
                    "PUT",
                    peak.saturating_sub(idle) / 1024,
                    size as f64 / secs / 1e6
                );

                let idle = rss_kib(pid);
                let (stop, handle) = sampler(pid);
                let mut spec = RequestSpec::new(Method::GET, format!("/bench/{mode}"));
                for (n, v) in headers.iter().filter(|(n, _)| n.contains("customer")) {
                    spec = spec.header(n.clone(), v.clone());
                }
                let received = AtomicU64::new(0);
                let t = Instant::now();
                let r = s3lab_client::send_streaming(
                    &endpoint,
                    &spec,
                    &signing,
                    now(),
                    Box::pin(futures_util_iter(0, 0, Bytes::new())),
                    |b| {
                        received.fetch_add(b.len() as u64, Ordering::Relaxed);
                    },
                )
                .await
                .expect("get");
                let secs = t.elapsed().as_secs_f64();
                stop.store(true, Ordering::Relaxed);
                let peak = handle.join().expect("sampler");
                assert_eq!(
                    (r.status, received.load(Ordering::Relaxed)),
                    (200, size),
                    "GET {mode}"
                );
                println!(
                    "{:>6}Mi {:>8} {:>5} {:>9} MiB {:>10.0}",
                    mib,
                    mode,
                    "GET",
                    peak.saturating_sub(idle) / 1024,
                    size as f64 / secs / 1e6
                );
                let r = s3lab_client::send(
                    &endpoint,
                    &RequestSpec::new(Method::DELETE, format!("/bench/{mode}")),
                    &signing,
                    now(),
                )
                .await
                .expect("delete");
                assert_eq!(r.status, 204);
            }
        }
    });
    let _ = child.kill();
    let _ = child.wait();
}
