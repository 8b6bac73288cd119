//! `s3lab admin`: the lab's own controls over a running `s3lab serve` (not AWS APIs), such as
//! rotating the SSE-S3 root key now, or making a bucket behave like one from before 2023.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use http::Method;
use s3lab_client::{Endpoint, RequestSpec, Signing};
use s3lab_server::ready::read_ready_file;

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The ready file `s3lab serve` wrote (it has the endpoint, the CA and the credentials).
    #[arg(long, value_name = "FILE", env = "S3LAB_READY")]
    pub ready: PathBuf,

    /// Which of the lab's identities signs the request.
    #[arg(long, default_value = "admin")]
    pub identity: String,

    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Show the versions of the SSE-S3 root key (never the keys themselves).
    RootKeyVersions,
    /// Rotate the SSE-S3 root key now: new objects use the new version, old ones keep theirs.
    RotateRootKey,
    /// Simulate a bucket from before January 2023: writes that name no encryption are stored
    /// unencrypted. (`--off` returns it to today's behaviour, where every write is encrypted.)
    HistoryUnencrypted {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        off: bool,
    },
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let ready = read_ready_file(&args.ready)
        .with_context(|| format!("could not read the ready file {}", args.ready.display()))?;
    let cred = ready
        .credentials
        .iter()
        .find(|c| c.name == args.identity)
        .with_context(|| format!("the lab has no identity named {:?}", args.identity))?;
    let endpoint = Endpoint::from_url(
        &ready.https,
        std::path::Path::new(&ready.ca_pem),
        &ready.region,
    )?;
    let signing = Signing::sigv4(cred.access_key_id.clone(), cred.secret_access_key.clone());
    let spec = match &args.command {
        AdminCommand::RootKeyVersions => RequestSpec::new(Method::GET, "/_s3lab/sse-s3-root-key"),
        AdminCommand::RotateRootKey => {
            RequestSpec::new(Method::POST, "/_s3lab/sse-s3-root-key/rotate")
        }
        AdminCommand::HistoryUnencrypted { bucket, off } => RequestSpec::new(
            Method::PUT,
            format!("/_s3lab/buckets/{bucket}/history-unencrypted"),
        )
        .body(if *off { "false" } else { "true" }),
    };
    let resp = s3lab_client::send(&endpoint, &spec, &signing, time::OffsetDateTime::now_utc())
        .await
        .with_context(|| format!("could not reach the lab at {}", ready.https))?;
    if resp.status >= 300 {
        let message = resp.element("Message");
        bail!(
            "the lab refused: {} {}",
            resp.element("Code"),
            if message.is_empty() {
                resp.text()
            } else {
                message
            }
        );
    }
    match args.command {
        AdminCommand::HistoryUnencrypted { bucket, off: false } => {
            println!("Bucket {bucket} now simulates S3 before January 2023: writes without encryption headers are stored unencrypted.")
        }
        AdminCommand::HistoryUnencrypted { bucket, off: true } => {
            println!("Bucket {bucket} is back to today's behaviour: every new object is encrypted.")
        }
        _ => println!("{}", resp.text()),
    }
    Ok(())
}
