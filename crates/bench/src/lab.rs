//! The lab under test, in this process, and the CPU time servers spend.
//!
//! The lab runs as `s3lab serve` runs it (`LabApp` behind `start`, a data folder, TLS from a CA of
//! its own) but on a runtime of its own, so the benchmark's client (on the main thread) and the
//! server never share a thread. The server's CPU time is then the process's minus the main
//! thread's, which also counts the short-lived threads that stream GET bodies and the blocking
//! pool, and is exact whatever threads came and went.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use s3lab_env::{Clock, Env};
use s3lab_iam::IdentityTable;
use s3lab_server::{start, tls, LabApp, LabConfig, LabHandler, ListenConfig, RunningServer};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT_ID: &str = "111122223333";

/// A running in-process lab.
pub struct Lab {
    runtime: Option<tokio::runtime::Runtime>,
    server: Option<RunningServer>,
    pub https: SocketAddr,
    pub http: SocketAddr,
    pub ca_pem: PathBuf,
    pub data_dir: Option<PathBuf>,
    _temp: Vec<tempfile::TempDir>,
}

/// Writes (or reuses) the lab's CA, server certificate and key in `dir`: another server started
/// with `server.pem` and `server-key.pem` is then trusted through the same `ca.pem`.
pub fn tls_material(dir: &Path) -> anyhow::Result<tls::TlsFiles> {
    let (files, _) = tls::load_or_create(dir, &[])
        .with_context(|| format!("could not set up TLS in {}", dir.display()))?;
    Ok(files)
}

impl Lab {
    /// Starts the lab on loopback with ephemeral ports. `tls_dir`: where its TLS material lives
    /// (a temp folder when `None`); `in_memory`: no data folder (S3 and KMS state in memory).
    pub fn start(tls_dir: Option<&Path>, in_memory: bool) -> anyhow::Result<Lab> {
        let mut temp = Vec::new();
        let tls_dir = match tls_dir {
            Some(d) => d.to_path_buf(),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("s3lab-bench-tls-")
                    .tempdir()?;
                let p = t.path().to_path_buf();
                temp.push(t);
                p
            }
        };
        let (files, tls_config) = tls::load_or_create(&tls_dir, &[])
            .with_context(|| format!("could not set up TLS in {}", tls_dir.display()))?;
        let data_dir = if in_memory {
            None
        } else {
            let t = tempfile::Builder::new()
                .prefix("s3lab-bench-data-")
                .tempdir()?;
            let p = t.path().to_path_buf();
            temp.push(t);
            Some(p)
        };
        let app = LabApp::open(LabConfig {
            region: REGION.into(),
            account_id: ACCOUNT_ID.into(),
            data_dir: data_dir.clone(),
            env: Env::live(),
            auth_clock: Clock::System,
            identities: Arc::new(IdentityTable::builtin(ACCOUNT_ID)),
            block_sse_c_for_new_buckets: false,
        })
        .context("could not open the lab")?;
        // As many workers as `s3lab serve` gets (tokio's default: one per core).
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("s3lab-server")
            .enable_all()
            .build()?;
        let server = runtime
            .block_on(start(
                &ListenConfig::default(),
                tls_config,
                Arc::new(LabHandler(Arc::new(app))),
            ))
            .context("could not start the listeners")?;
        Ok(Lab {
            https: server.https_addr,
            http: server.http_addr,
            runtime: Some(runtime),
            server: Some(server),
            ca_pem: files.ca_pem,
            data_dir,
            _temp: temp,
        })
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let (Some(rt), Some(server)) = (self.runtime.as_ref(), self.server.take()) {
            rt.block_on(server.shutdown_within(Duration::from_secs(1)));
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on every Linux seen).
pub fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// User plus system CPU ticks from a `/proc/.../stat` file: the whole thread group's for
/// `/proc/PID/stat` (threads that have ended included), one thread's for `/proc/thread-self/stat`.
pub fn cpu_ticks(stat_path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(stat_path).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields after the last ')'.
    let rest = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Where a server's CPU time is read.
#[derive(Clone, Debug)]
pub enum CpuSource {
    /// The in-process lab: this process minus the calling (client) thread.
    InProcess,
    /// Another process, by pid.
    Process(u32),
    /// Not known (another endpoint without `--against-pid`).
    Unknown,
}

impl CpuSource {
    /// CPU ticks so far; call from the client thread.
    pub fn ticks(&self) -> Option<u64> {
        match self {
            CpuSource::InProcess => {
                let all = cpu_ticks("/proc/self/stat")?;
                let me = cpu_ticks("/proc/thread-self/stat")?;
                Some(all.saturating_sub(me))
            }
            CpuSource::Process(pid) => cpu_ticks(&format!("/proc/{pid}/stat")),
            CpuSource::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_reads_utime_and_stime_past_a_tricky_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("stat");
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        std::fs::write(
            &p,
            "42 (a b) c)) S 1 42 42 0 -1 4194560 10 0 0 0 123 45 0 0 20 0",
        )
        .unwrap();
        assert_eq!(cpu_ticks(p.to_str().unwrap()), Some(168));
        assert!(cpu_ticks("/proc/self/stat").is_some());
        assert!(CpuSource::InProcess.ticks().is_some());
        assert_eq!(CpuSource::Unknown.ticks(), None);
    }
}
