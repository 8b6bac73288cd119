//! `s3lab serve`: both listeners, the ready file and the banner, until Ctrl-C or SIGTERM.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use clap::Args;
use s3lab_env::{Clock, Env};
use s3lab_iam::IdentityTable;
use s3lab_server::ready::{write_ready_file, ReadyCredential, ReadyInfo};
use s3lab_server::{start, tls, LabApp, LabConfig, LabHandler, ListenConfig, Scheme, ServerError};
use tracing::{info, warn};

use crate::banner::Banner;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Folder for the lab's data, with its TLS material in DIR/tls. Reused as it is on the next start.
    /// [default: a new folder s3lab-XXXX in the system's temp folder, kept after exit]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Address to listen on. Keep 127.0.0.1 unless you know why: the lab has no real security.
    #[arg(long, value_name = "IP", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,

    /// Port for plain HTTP (requests readable on the wire). 0 picks any free port.
    #[arg(long, value_name = "PORT", default_value_t = 9080)]
    pub http_port: u16,

    /// Port for HTTPS, the one to give the AWS CLI. 0 picks any free port.
    #[arg(long, value_name = "PORT", default_value_t = 9443)]
    pub https_port: u16,

    /// Where to write a JSON file with the endpoints, CA path and credentials, once both listeners
    /// are bound (for scripts). [default: DIR/ready.json]
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,

    /// Make ids, keys and the lab's clock repeat from run to run. TLS certificates and request
    /// signatures still use the real time, as real clients expect.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// The AWS region the lab pretends to be.
    #[arg(long, value_name = "REGION", default_value = "us-east-1", value_parser = parse_region)]
    pub region: String,

    /// The 12-digit AWS account id in ARNs.
    #[arg(long, value_name = "ID", default_value = "111122223333", value_parser = parse_account_id)]
    pub account_id: String,

    /// Let new buckets accept SSE-C writes. Since April 2026 Amazon S3 blocks SSE-C on new buckets
    /// by default (BlockedEncryptionTypes: SSE-C); this restores the earlier default, for exercises
    /// and for test suites written before 2026.
    #[arg(long)]
    pub allow_sse_c: bool,

    /// Rotate the SSE-S3 root key every N days of the lab's clock (default 365). `s3lab admin
    /// rotate-root-key` rotates it at once.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=36500))]
    pub sse_s3_rotation_days: Option<i64>,

    /// A JSON file of extra identities (access keys, principals and their policies), added to the
    /// built-in admin, reader and writer. See the s3lab-iam crate docs for the format.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
}

fn parse_region(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("a region looks like us-east-1 (lower-case letters, digits and dashes)".to_owned())
    }
}

fn parse_account_id(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("an AWS account id is exactly 12 digits, like 111122223333".to_owned())
    }
}

/// The credentials a learner is shown: every identity of the lab, built-in and loaded.
fn lab_credentials(identities: &IdentityTable) -> Vec<ReadyCredential> {
    identities
        .iter()
        .map(|id| ReadyCredential {
            name: id.name.clone(),
            access_key_id: id.access_key_id.clone(),
            secret_access_key: id.secret_access_key.to_string(),
        })
        .collect()
}

/// The built-in identities, plus those of `--identities FILE`.
fn load_identities(path: Option<&Path>, account_id: &str) -> anyhow::Result<IdentityTable> {
    let mut table = IdentityTable::builtin(account_id);
    if let Some(path) = path {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the identities file {}", path.display()))?;
        let extra = IdentityTable::from_json(&text, account_id)
            .with_context(|| format!("the identities file {} is not valid", path.display()))?;
        for identity in extra.iter() {
            table.insert(identity.clone()).with_context(|| {
                format!(
                    "the identities file {} clashes with a built-in identity",
                    path.display()
                )
            })?;
        }
    }
    Ok(table)
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (data_dir, data_dir_is_new_temp) = prepare_data_dir(args.data_dir.as_deref())?;
    info!(path = %data_dir.display(), "data folder");
    let ready_path = match &args.ready_file {
        Some(p) => {
            std::path::absolute(p).with_context(|| format!("could not resolve {}", p.display()))?
        }
        None => data_dir.join("ready.json"),
    };
    // A ready file left by an earlier run must not tell a waiting script that this one is ready.
    remove_if_exists(&ready_path).with_context(|| {
        format!(
            "could not remove the old ready file {}",
            ready_path.display()
        )
    })?;

    let identities = Arc::new(load_identities(
        args.identities.as_deref(),
        &args.account_id,
    )?);
    if !args.host.is_loopback() {
        warn!(host = %args.host, "listening beyond this machine: other hosts can reach the lab, which has no real security");
    }

    let extra_sans = if args.host.is_loopback() || args.host.is_unspecified() {
        vec![]
    } else {
        vec![args.host.to_string()]
    };
    let (tls_files, tls_config) =
        tls::load_or_create(&data_dir.join("tls"), &extra_sans).context("could not set up TLS")?;

    let env = Env::from_seed(args.seed);
    // External clients sign with the real time, so authentication always checks against the real
    // clock, even when the lab's own clock is simulated.
    let auth_clock = Clock::System;
    let app = LabApp::open(LabConfig {
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        data_dir: Some(data_dir.clone()),
        env,
        auth_clock,
        identities: identities.clone(),
        block_sse_c_for_new_buckets: !args.allow_sse_c,
    })
    .context("could not open the lab's state")?;
    if let Some(days) = args.sse_s3_rotation_days {
        app.s3()
            .root_keys()
            .set_rotation_period_days(days)
            .map_err(|e| anyhow!("could not set the SSE-S3 rotation period: {}", e.message))?;
    }

    // Listen for signals before announcing readiness: a harness may send SIGTERM right after.
    let mut signals = Signals::new().context("could not listen for Ctrl-C")?;

    let listen = ListenConfig {
        host: args.host,
        http_port: args.http_port,
        https_port: args.https_port,
    };
    let server = start(&listen, tls_config, Arc::new(LabHandler(Arc::new(app))))
        .await
        .map_err(explain_start_error)?;

    let credentials = lab_credentials(&identities);
    let ready = ReadyInfo {
        http: format!("http://{}", advertised(server.http_addr)),
        https: format!("https://{}", advertised(server.https_addr)),
        ca_pem: tls_files.ca_pem.display().to_string(),
        region: args.region.clone(),
        credentials: credentials.clone(),
    };
    write_ready_file(&ready_path, &ready)?;

    Banner {
        ready: &ready,
        data_dir: &data_dir,
        data_dir_is_new_temp,
        ready_file: &ready_path,
        account_id: &args.account_id,
        seed: args.seed,
    }
    .print()
    .context("could not write to standard output")?;

    let signal = signals.recv().await;
    info!("{signal} received; shutting down (press Ctrl-C again to stop at once)");
    tokio::select! {
        () = server.shutdown() => {}
        signal = signals.recv() => warn!("{signal} received again; stopping now"),
    }
    if let Err(e) = remove_if_exists(&ready_path) {
        warn!(path = %ready_path.display(), error = %e, "could not remove the ready file");
    }
    info!("stopped");
    Ok(())
}

/// The folder to use, made absolute, and whether it is a new temporary one.
fn prepare_data_dir(requested: Option<&Path>) -> anyhow::Result<(PathBuf, bool)> {
    match requested {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create the data folder {}", dir.display()))?;
            let abs = std::path::absolute(dir)
                .with_context(|| format!("could not resolve {}", dir.display()))?;
            Ok((abs, false))
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("s3lab-")
                .rand_bytes(4)
                .tempdir()
                .context("could not create a data folder in the system's temp folder (pass --data-dir DIR)")?;
            // Kept on purpose: learners inspect what the lab wrote after it stops.
            let dir = tmp.keep();
            let abs = std::path::absolute(&dir)
                .with_context(|| format!("could not resolve {}", dir.display()))?;
            Ok((abs, true))
        }
    }
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Where clients should connect: a wildcard listener is reachable on loopback.
fn advertised(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// One sentence with a way out, for the bind errors a learner is likely to meet.
fn explain_start_error(e: ServerError) -> anyhow::Error {
    if let ServerError::Bind {
        scheme,
        addr,
        source,
    } = &e
    {
        let flag = match scheme {
            Scheme::Http => "--http-port",
            Scheme::Https => "--https-port",
        };
        match source.kind() {
            io::ErrorKind::AddrInUse => {
                return anyhow!(
                    "could not bind {addr}: address in use — pass {flag} 0 for any free port"
                )
            }
            io::ErrorKind::PermissionDenied => {
                return anyhow!(
                    "could not bind {addr}: permission denied (ports below 1024 need privileges) — \
                     pass {flag} 0 for any free port"
                )
            }
            io::ErrorKind::AddrNotAvailable => {
                return anyhow!(
                    "could not bind {addr}: this machine has no such address — check --host"
                )
            }
            _ => {}
        }
    }
    anyhow!(e)
}

/// Ctrl-C, and SIGTERM on unix.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Waits for the next signal and names it.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "Ctrl-C",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            if let Err(e) = tokio::signal::ctrl_c().await {
                warn!(error = %e, "cannot wait for Ctrl-C; stop the process another way");
                std::future::pending::<()>().await;
            }
            "Ctrl-C"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_region_and_account() {
        assert!(parse_region("eu-west-3").is_ok());
        assert!(parse_region("EU").is_err());
        assert!(parse_region("").is_err());
        assert!(parse_account_id("111122223333").is_ok());
        assert!(parse_account_id("1111").is_err());
    }

    #[test]
    fn wildcard_addresses_are_advertised_as_loopback() {
        let a: SocketAddr = "0.0.0.0:9443".parse().unwrap();
        assert_eq!(advertised(a).to_string(), "127.0.0.1:9443");
        let b: SocketAddr = "[::]:9443".parse().unwrap();
        assert_eq!(advertised(b).to_string(), "[::1]:9443");
    }

    #[test]
    fn address_in_use_suggests_port_zero() {
        let e = ServerError::Bind {
            scheme: Scheme::Https,
            addr: "127.0.0.1:9443".parse().unwrap(),
            source: io::Error::from(io::ErrorKind::AddrInUse),
        };
        assert_eq!(
            explain_start_error(e).to_string(),
            "could not bind 127.0.0.1:9443: address in use — pass --https-port 0 for any free port"
        );
    }
}
