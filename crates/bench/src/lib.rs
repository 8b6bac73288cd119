//! `s3lab-bench`: what each server-side encryption mode costs, measured side by side.
//!
//! It starts the lab in this process (the same `LabApp` and listeners as `s3lab serve`, on a
//! runtime of its own; its state in memory, as moto keeps its own, or with `--durable` in a data
//! folder with fsynced writes, as `s3lab serve` keeps it) and runs rounds of PUTs and GETs of each
//! size in each mode:
//!
//! - **none**: a bucket with the lab's pre-2023 unencrypted-history switch on, so the same server
//!   and the same code path minus the crypto;
//! - **SSE-S3**, **SSE-KMS** (the `aws/s3` key), **SSE-KMS+BK** (with an S3 Bucket Key), **SSE-C**.
//!
//! Every request goes over HTTPS (S3 refuses SSE-KMS and SSE-C over plain HTTP, so the
//! unencrypted baseline uses TLS too: like is compared with like), on one kept-alive connection
//! per server, signed with SigV4 and `UNSIGNED-PAYLOAD`, with `Content-MD5` on PUTs unless told
//! otherwise (the MD5 is computed once per size, before timing).
//!
//! Rounds alternate (A B A B …): each round runs every mode (and every server) once, in an order
//! that rotates from round to round, and round 0 is a discarded warm-up. Ratios are taken within
//! a round (a mode against the unencrypted run of the same round, s3lab against another server in
//! the same round), so a machine that gets slower or faster during the run moves both sides.
//!
//! `--against URL` runs the same client and workload against another S3 endpoint (moto) in the
//! same rounds. Run `cargo run --release -p s3lab-bench -- --help` for every option.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use bytes::Bytes;
use clap::Parser;
use http::Method;
use md5::Digest as _;
use s3lab_client::{Endpoint, Signing};

pub mod client;
pub mod lab;
pub mod report;

use client::{Client, RepeatBody};
use lab::{CpuSource, Lab};
use report::{Batch, Results, Series};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// The SSE-C key every SSE-C request uses (a benchmark's key, not a secret).
const SSE_C_KEY: [u8; 32] = [0x5a; 32];

/// A server-side encryption mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Mode {
    /// No encryption (on s3lab: a bucket with the unencrypted-history switch on).
    None,
    #[value(name = "sse-s3")]
    SseS3,
    #[value(name = "sse-kms")]
    SseKms,
    /// SSE-KMS with an S3 Bucket Key.
    #[value(name = "sse-kms-bk")]
    SseKmsBucketKey,
    #[value(name = "sse-c")]
    SseC,
}

impl Mode {
    pub const ALL: [Mode; 5] = [
        Mode::None,
        Mode::SseS3,
        Mode::SseKms,
        Mode::SseKmsBucketKey,
        Mode::SseC,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::SseS3 => "SSE-S3",
            Mode::SseKms => "SSE-KMS",
            Mode::SseKmsBucketKey => "SSE-KMS+BK",
            Mode::SseC => "SSE-C",
        }
    }

    /// Each mode writes to a bucket of its own.
    pub fn bucket(self) -> &'static str {
        match self {
            Mode::None => "bench-none",
            Mode::SseS3 => "bench-sse-s3",
            Mode::SseKms => "bench-sse-kms",
            Mode::SseKmsBucketKey => "bench-sse-kms-bk",
            Mode::SseC => "bench-sse-c",
        }
    }

    fn sse_c_headers() -> Vec<(String, String)> {
        let b64 = base64::engine::general_purpose::STANDARD;
        vec![
            (
                "x-amz-server-side-encryption-customer-algorithm".into(),
                "AES256".into(),
            ),
            (
                "x-amz-server-side-encryption-customer-key".into(),
                b64.encode(SSE_C_KEY),
            ),
            (
                "x-amz-server-side-encryption-customer-key-MD5".into(),
                b64.encode(md5::Md5::digest(SSE_C_KEY)),
            ),
        ]
    }

    /// The headers of a PUT in this mode.
    pub fn put_headers(self) -> Vec<(String, String)> {
        let sse = |v: &str| ("x-amz-server-side-encryption".to_owned(), v.to_owned());
        match self {
            Mode::None => vec![],
            Mode::SseS3 => vec![sse("AES256")],
            Mode::SseKms => vec![sse("aws:kms")],
            Mode::SseKmsBucketKey => vec![
                sse("aws:kms"),
                (
                    "x-amz-server-side-encryption-bucket-key-enabled".into(),
                    "true".into(),
                ),
            ],
            Mode::SseC => Self::sse_c_headers(),
        }
    }

    /// The headers of a GET in this mode (only SSE-C needs any).
    pub fn get_headers(self) -> Vec<(String, String)> {
        match self {
            Mode::SseC => Self::sse_c_headers(),
            _ => vec![],
        }
    }
}

/// PUT or GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    Put,
    Get,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "PUT",
            Op::Get => "GET",
        }
    }
}

/// `4KiB`, `1MiB`, `256MiB`, `1GiB`, `4096`, `16M`: a size in bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size such as 4KiB, 1MiB or 256MiB"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => KIB,
        "m" | "mib" | "mb" => MIB,
        "g" | "gib" | "gb" => GIB,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?} (use KiB, MiB or GiB)"
            ))
        }
    };
    let size = n
        .checked_mul(mult)
        .filter(|&v| v > 0 && v <= 5 * GIB)
        .ok_or_else(|| format!("{s:?}: sizes go from 1 byte to 5 GiB (S3's single PUT limit)"))?;
    Ok(size)
}

/// `4 KiB`, `1 MiB`, `256 MiB`, or bytes.
pub fn fmt_size(size: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if size >= unit && size.is_multiple_of(unit) {
            return format!("{} {name}", size / unit);
        }
    }
    format!("{size} B")
}

#[derive(Debug, Parser)]
#[command(
    name = "s3lab-bench",
    about = "PUT and GET throughput, latency and server CPU of every SSE mode, against the lab's unencrypted baseline and, with --against, another S3 endpoint (moto)."
)]
pub struct Options {
    /// Object sizes, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = parse_size, default_value = "4KiB,1MiB,256MiB")]
    pub sizes: Vec<u64>,

    /// Measured rounds per size, after one warm-up round.
    /// [default: 10 for sizes under 64 KiB, 8 under 64 MiB, 4 from 64 MiB; 2 with --quick]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: Option<u32>,

    /// Requests per mode and operation in each round.
    /// [default: 32 MiB worth, at least 1 and at most 250; with --quick 8 MiB worth, at most 50]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub ops: Option<u32>,

    /// A short run: fewer rounds and requests, the same sizes.
    #[arg(long)]
    pub quick: bool,

    /// Modes, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_enum,
        default_value = "none,sse-s3,sse-kms,sse-kms-bk,sse-c"
    )]
    pub modes: Vec<Mode>,

    /// Also run the same client and workload against this S3 endpoint (http://HOST:PORT or
    /// https://HOST:PORT), in the same rounds. The "none" mode there is a PUT without SSE headers.
    #[arg(long, value_name = "URL")]
    pub against: Option<String>,

    /// What to call the --against server in the report.
    #[arg(long, value_name = "NAME", default_value = "other")]
    pub against_name: String,

    /// The CA to trust for an https --against URL. [default: the lab's CA, DIR/ca.pem of --tls-dir]
    #[arg(long, value_name = "FILE")]
    pub against_ca: Option<PathBuf>,

    /// The --against server's process id, to read its CPU time from /proc/PID/stat.
    #[arg(long, value_name = "PID")]
    pub against_pid: Option<u32>,

    /// Where the in-process lab keeps its CA, server certificate and key (made if missing), so
    /// that another server can be started with the same certificate. [default: a temp folder]
    #[arg(long, value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,

    /// Only make (or keep) the TLS material in --tls-dir, print its paths, and exit.
    #[arg(long, requires = "tls_dir")]
    pub write_tls: bool,

    /// Keep the lab's state in a data folder in the temp folder, as `s3lab serve` does (every
    /// object and KMS audit record fsynced), instead of in memory (as moto keeps its own).
    #[arg(long)]
    pub durable: bool,

    /// Send PUTs without Content-MD5.
    #[arg(long)]
    pub no_content_md5: bool,

    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
}

impl Options {
    /// (measured rounds, requests per batch) for a size.
    pub fn plan(&self, size: u64) -> (u32, u32) {
        let rounds = self.rounds.unwrap_or(match (self.quick, size) {
            (true, _) => 2,
            (false, s) if s < 64 * KIB => 10,
            (false, s) if s < 64 * MIB => 8,
            _ => 4,
        });
        let (budget, cap) = if self.quick {
            (8 * MIB, 50)
        } else {
            (32 * MIB, 250)
        };
        let ops = self
            .ops
            .unwrap_or_else(|| (budget / size).clamp(1, cap) as u32);
        (rounds, ops)
    }
}

/// One server under test.
struct Server {
    name: String,
    client: Client,
    cpu: CpuSource,
    is_lab: bool,
}

/// A 1 MiB block of deterministic, incompressible-looking bytes (xorshift).
fn block() -> Bytes {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut v = Vec::with_capacity(MIB as usize);
    while v.len() < MIB as usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    Bytes::from(v)
}

/// The Content-MD5 of an object of `size` bytes made of `block` repeated.
fn content_md5(block: &Bytes, size: u64) -> String {
    let mut h = md5::Md5::new();
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        h.update(&block[..n]);
        left -= n as u64;
    }
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

async fn prepare_buckets(server: &mut Server, modes: &[Mode]) -> anyhow::Result<()> {
    for &mode in modes {
        let path = format!("/{}", mode.bucket());
        let answer = server
            .client
            .send(Method::PUT, &path, &[], RepeatBody::empty())
            .await?;
        let owned = answer.status == 409 && answer.text().contains("BucketAlreadyOwnedByYou");
        if !(200..300).contains(&answer.status) && !owned {
            bail!(
                "{}: creating bucket {}: {} {}",
                server.name,
                mode.bucket(),
                answer.status,
                answer.text()
            );
        }
        if mode == Mode::None && server.is_lab {
            server
                .client
                .expect_ok(
                    Method::PUT,
                    &format!("/_s3lab/buckets/{}/history-unencrypted", mode.bucket()),
                    &[],
                    RepeatBody::new(Bytes::from_static(b"true"), 4),
                )
                .await
                .context("turning on the unencrypted-history switch")?;
        }
    }
    Ok(())
}

/// Runs one batch: `ops` PUTs or GETs of `size` in `mode`; returns the batch and the latencies.
#[allow(clippy::too_many_arguments)]
async fn batch(
    server: &mut Server,
    op: Op,
    mode: Mode,
    size: u64,
    ops: u32,
    round: usize,
    block: &Bytes,
    md5: Option<&str>,
    ticks_per_s: f64,
) -> anyhow::Result<(Batch, Vec<f64>)> {
    let mut headers = match op {
        Op::Put => mode.put_headers(),
        Op::Get => mode.get_headers(),
    };
    if let (Op::Put, Some(md5)) = (op, md5) {
        headers.push(("content-md5".into(), md5.to_owned()));
    }
    let mut latencies = Vec::with_capacity(ops as usize);
    let cpu0 = server.cpu.ticks();
    let started = Instant::now();
    for i in 0..ops {
        let path = format!("/{}/obj-{size}-{i}", mode.bucket());
        let (method, body) = match op {
            Op::Put => (Method::PUT, RepeatBody::new(block.clone(), size)),
            Op::Get => (Method::GET, RepeatBody::empty()),
        };
        let answer = server.client.send(method, &path, &headers, body).await?;
        if answer.status != 200 {
            bail!(
                "{}: {} {path} ({}): {} {}",
                server.name,
                op.name(),
                mode.name(),
                answer.status,
                answer.text()
            );
        }
        if op == Op::Get && answer.body_len != size {
            bail!(
                "{}: GET {path} gave {} bytes, not {size}",
                server.name,
                answer.body_len
            );
        }
        latencies.push(answer.elapsed.as_secs_f64());
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu_secs = match (cpu0, server.cpu.ticks()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / ticks_per_s),
        _ => None,
    };
    Ok((
        Batch {
            round,
            bytes: size * u64::from(ops),
            ops: u64::from(ops),
            secs,
            cpu_secs,
        },
        latencies,
    ))
}

/// Runs the whole benchmark and returns the results.
pub fn run(options: &Options) -> anyhow::Result<Results> {
    if options.sizes.is_empty() || options.modes.is_empty() {
        bail!("nothing to measure: give at least one size and one mode");
    }
    let mut modes: Vec<Mode> = Vec::new();
    // `none` first: every other mode is compared with it.
    for m in std::iter::once(Mode::None).chain(options.modes.iter().copied()) {
        if !modes.contains(&m) {
            modes.push(m);
        }
    }
    let lab = Lab::start(options.tls_dir.as_deref(), !options.durable)?;
    let admin = Signing::sigv4(
        s3lab_iam::ADMIN_ACCESS_KEY_ID,
        s3lab_iam::ADMIN_SECRET_ACCESS_KEY,
    );
    let mut servers = vec![Server {
        name: "s3lab".into(),
        client: Client::new(
            Endpoint::https(lab.https, &lab.ca_pem, lab::REGION)?,
            admin.clone(),
        ),
        cpu: CpuSource::InProcess,
        is_lab: true,
    }];
    if let Some(url) = &options.against {
        let ca = options
            .against_ca
            .clone()
            .unwrap_or_else(|| lab.ca_pem.clone());
        let endpoint = Endpoint::from_url(url, &ca, lab::REGION)
            .with_context(|| format!("--against {url}"))?;
        let signing = match (
            std::env::var("AWS_ACCESS_KEY_ID"),
            std::env::var("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Ok(id), Ok(secret)) => Signing::sigv4(id, secret),
            _ => admin.clone(),
        };
        servers.push(Server {
            name: options.against_name.clone(),
            client: Client::new(endpoint, signing),
            cpu: options
                .against_pid
                .map_or(CpuSource::Unknown, CpuSource::Process),
            is_lab: false,
        });
    }
    let transport = format!(
        "Every request over {} on one kept-alive connection per server; s3lab in-process with {}; PUTs {} Content-MD5.",
        servers
            .iter()
            .map(|s| format!(
                "{} ({})",
                if s.client.endpoint.is_secure() { "HTTPS" } else { "HTTP" },
                s.name
            ))
            .collect::<Vec<_>>()
            .join(", "),
        if options.durable {
            "a data folder in the temp folder (fsynced writes)"
        } else {
            "its state in memory"
        },
        if options.no_content_md5 { "without" } else { "with" },
    );

    let ticks_per_s = lab::clock_ticks_per_second();
    let block = block();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut series: BTreeMap<report::Key, Series> = BTreeMap::new();
    let started = Instant::now();
    runtime.block_on(async {
        for server in servers.iter_mut() {
            prepare_buckets(server, &modes).await?;
        }
        for &size in &options.sizes {
            let (rounds, ops) = options.plan(size);
            let md5 = (!options.no_content_md5).then(|| content_md5(&block, size));
            // Every (server, mode) pair, interleaved; the order rotates each round.
            let pairs: Vec<(usize, Mode)> = modes
                .iter()
                .flat_map(|&m| (0..servers.len()).map(move |s| (s, m)))
                .collect();
            for round in 0..=rounds as usize {
                let mut order = pairs.clone();
                order.rotate_left(round % pairs.len());
                for op in [Op::Put, Op::Get] {
                    for &(si, mode) in &order {
                        let (b, lat) = batch(
                            &mut servers[si],
                            op,
                            mode,
                            size,
                            ops,
                            round,
                            &block,
                            md5.as_deref(),
                            ticks_per_s,
                        )
                        .await?;
                        if round > 0 {
                            let s = series.entry((si, size, op, mode)).or_default();
                            s.batches.push(b);
                            s.latencies.extend(lat);
                        }
                    }
                }
                eprintln!(
                    "s3lab-bench: {} round {round}/{rounds}{} done ({ops} requests per batch, {:.0} s so far)",
                    fmt_size(size),
                    if round == 0 { " (warm-up)" } else { "" },
                    started.elapsed().as_secs_f64()
                );
            }
        }
        anyhow::Ok(())
    })?;
    drop(lab);
    Ok(Results {
        servers: servers.into_iter().map(|s| s.name).collect(),
        sizes: options.sizes.clone(),
        modes,
        series,
        transport,
    })
}

/// The command line of both the `s3lab-bench` binary and the `cargo bench` target.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let options = match Options::try_parse_from(args) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if options.write_tls {
        let Some(dir) = options.tls_dir.as_deref() else {
            eprintln!("s3lab-bench: --write-tls needs --tls-dir DIR");
            return ExitCode::from(2);
        };
        return match lab::tls_material(dir) {
            Ok(files) => {
                println!("ca:   {}", files.ca_pem.display());
                println!("cert: {}", files.server_cert_pem.display());
                println!("key:  {}", files.server_key_pem.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("s3lab-bench: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&options) {
        Ok(results) => {
            println!("{}", results.render());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("s3lab-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1MiB"), Ok(MIB));
        assert_eq!(parse_size("256MiB"), Ok(256 * MIB));
        assert_eq!(parse_size("16M"), Ok(16 * MIB));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("6GiB").is_err());
        assert!(parse_size("4XB").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(fmt_size(4096), "4 KiB");
        assert_eq!(fmt_size(256 * MIB), "256 MiB");
        assert_eq!(fmt_size(1000), "1000 B");
    }

    #[test]
    fn small_sizes_get_many_requests_and_large_ones_few_rounds() {
        let o = Options::try_parse_from(["s3lab-bench", "--bench"]).unwrap();
        assert_eq!(o.sizes, vec![4 * KIB, MIB, 256 * MIB]);
        assert_eq!(o.modes, Mode::ALL.to_vec());
        assert_eq!(o.plan(4 * KIB), (10, 250));
        assert_eq!(o.plan(MIB), (8, 32));
        assert_eq!(o.plan(256 * MIB), (4, 1));
        let q = Options::try_parse_from(["s3lab-bench", "--quick", "--modes", "sse-kms,sse-c"])
            .unwrap();
        assert_eq!(q.plan(4 * KIB), (2, 50));
        assert_eq!(q.plan(256 * MIB), (2, 1));
        assert_eq!(q.modes, vec![Mode::SseKms, Mode::SseC]);
    }

    #[test]
    fn content_md5_covers_the_repeated_block() {
        let b = Bytes::from_static(b"abc");
        // "abcabca"
        assert_eq!(
            content_md5(&b, 7),
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"abcabca"))
        );
    }

    /// The whole benchmark, tiny: every mode, PUT and GET, over HTTPS to an in-process lab.
    #[test]
    fn a_tiny_run_measures_every_mode() {
        let o = Options::try_parse_from([
            "s3lab-bench",
            "--sizes",
            "4KiB,100KiB",
            "--rounds",
            "1",
            "--ops",
            "3",
        ])
        .unwrap();
        let results = run(&o).unwrap();
        for size in [4 * KIB, 100 * KIB] {
            for op in [Op::Put, Op::Get] {
                for mode in Mode::ALL {
                    let s = &results.series[&(0, size, op, mode)];
                    assert_eq!(s.batches.len(), 1);
                    assert_eq!(s.latencies.len(), 3);
                    assert!(s.batches[0].cpu_secs.is_some());
                }
            }
        }
        let text = results.render();
        assert!(text.contains("| 100 KiB | GET | s3lab | SSE-C |"), "{text}");
        // The 4 KiB SSE-KMS targets are there; the 256 MiB ones are not.
        assert_eq!(results.targets().len(), 2, "{text}");
    }
}
