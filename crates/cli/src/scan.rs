//! `s3lab scan-secrets`: look through a lab's data folder (and any logs) for keys and plaintext
//! that should not be there, offline.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;
use s3lab_scenarios::scan::Scan;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The lab's data folder (`s3lab serve --data-dir`, or `$S3LAB_DATA` of a lab).
    #[arg(value_name = "DATA_DIR")]
    data_dir: PathBuf,
    /// A log to look through as well (for example the server's stderr, saved to a file).
    #[arg(long = "log", value_name = "FILE")]
    logs: Vec<PathBuf>,
    /// A file whose bytes are a key that must be nowhere, as `fileb://` passes it to the AWS CLI
    /// (an SSE-C key, a client-side master key). 16 bytes or more.
    #[arg(long = "secret-file", value_name = "FILE")]
    secret_files: Vec<PathBuf>,
    /// A file whose bytes were uploaded as an object, and must be nowhere in the clear. Files of
    /// fewer than 16 bytes are skipped (with a note).
    #[arg(long = "plaintext-file", value_name = "FILE")]
    plaintext_files: Vec<PathBuf>,
}

fn read(path: &PathBuf, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("could not read the {what} {}", path.display()))
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if !args.data_dir.is_dir() {
        bail!("{} is not a folder", args.data_dir.display());
    }
    let mut notes = Vec::new();
    let mut scan = Scan::new();
    let mut secrets = Vec::new();
    for path in &args.secret_files {
        let bytes = zeroize::Zeroizing::new(read(path, "secret file")?);
        if !scan.key(format!("the key in {}", path.display()), &bytes) {
            bail!(
                "{} holds {} bytes: a key to look for needs 16 or more (is it the key itself, \
                 not its base64?)",
                path.display(),
                bytes.len()
            );
        }
        secrets.push(bytes);
    }
    let customer_keys: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
    scan.service_keys(&args.data_dir, &customer_keys)
        .context("could not read the lab's keys from the data folder")?;
    for path in &args.plaintext_files {
        let bytes = read(path, "plaintext file")?;
        if !scan.plaintext(format!("the contents of {}", path.display()), &bytes) {
            notes.push(format!(
                "note: {} has fewer than 16 bytes; not looked for",
                path.display()
            ));
        }
    }
    let mut logs = Vec::new();
    for path in &args.logs {
        logs.push((path.display().to_string(), read(path, "log")?));
    }
    let log_refs: Vec<(&str, &[u8])> = logs
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    let report = scan
        .run(&args.data_dir, &log_refs)
        .context("could not scan the data folder")?;
    let mut out = String::new();
    for note in &notes {
        out.push_str(note);
        out.push('\n');
    }
    for finding in &report.findings {
        out.push_str(&finding.to_string());
        out.push('\n');
    }
    out.push_str(&report.summary());
    out.push('\n');
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("could not write to stdout")?,
    }
    Ok(if report.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
