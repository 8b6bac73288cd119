//! `s3lab`: a teaching lab that mocks Amazon S3 and AWS KMS on loopback.
//!
//! `s3lab` alone opens the terminal UI; `s3lab serve` runs the lab's servers; `s3lab admin`
//! controls a running one.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

mod admin;
mod banner;
mod cse;
mod lab;
mod run;
mod scan;
mod serve;

#[derive(Debug, Parser)]
#[command(
    name = "s3lab",
    version,
    about = "A teaching lab that mocks Amazon S3 and AWS KMS on this machine."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    tui: TuiArgs,
}

/// The command line when it names a command.
struct WithCommand {
    command: Command,
}

/// With no command, `s3lab` opens the terminal UI.
#[derive(Debug, clap::Args)]
struct TuiArgs {
    /// The terminal UI's seed: the same seed shows the same keys, ids and dates.
    #[arg(long, default_value_t = s3lab_scenarios::DEFAULT_SEED, conflicts_with = "live")]
    seed: u64,
    /// Real randomness and the real clock in the terminal UI, instead of a seed.
    #[arg(long)]
    live: bool,
    /// The terminal UI's theme (else the one you chose last, else dark).
    #[arg(long, value_parser = ["dark", "light", "high-contrast"])]
    theme: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run mock S3 and KMS on loopback for the AWS CLI, boto3 or curl.
    ///
    /// Prints the endpoints, the credentials and the CA certificate to use, then serves until Ctrl-C.
    Serve(serve::ServeArgs),
    /// The lab's own controls over a running `s3lab serve` (not AWS APIs).
    Admin(admin::AdminArgs),
    /// Client-side encryption, byte-compatible with the Amazon S3 Encryption Client: `put` and `get`.
    Cse(cse::CseArgs),
    /// List the scenarios of the curriculum, by topic, with the seed claims each proves.
    List,
    /// Run scenarios against an in-process lab and print their transcripts.
    ///
    /// Exits with status 1 if any check fails.
    Run(run::RunArgs),
    /// Self-paced labs with checks, hints and progress: list, start, check, hint, reset, solution, watch.
    Lab(lab::LabArgs),
    /// Prove to yourself that no key and no plaintext is left in a lab's data folder or its logs.
    ///
    /// Derives the lab's own keys from the data folder (KMS key material, the data keys of every
    /// object and multipart upload, bucket keys and the keys derived from them, the data keys under
    /// the SSE-S3 root key) and looks for each of them, and for every --secret-file and
    /// --plaintext-file you give, raw, as hex and as base64, in every file of the folder and in
    /// every --log. An SSE-C key given with --secret-file also opens the data keys of the objects
    /// written with it, which are then looked for too.
    ///
    /// Two keys are kept in the clear by design, each in its own file, and count only elsewhere:
    /// the SSE-S3 root keys (s3/sse-s3-root-keys.json) and the key that stands in for KMS's HSMs
    /// (kms/hsm-root.key). Plaintext counts everywhere but in the blobs of objects stored
    /// unencrypted on purpose (`s3lab admin history-unencrypted`).
    ///
    /// The folder is only read; its server may be running or stopped. Prints each finding and
    /// exits with status 1 if there is any; prints one summary line and exits 0 if there is none;
    /// exits 2 if it could not look (a folder or file that cannot be read).
    #[command(after_help = "Example, after lab 11 (SSE-C), in its work folder:\n  \
        s3lab scan-secrets \"$S3LAB_DATA\" --secret-file ssec.key --plaintext-file secret.txt")]
    ScanSecrets(scan::ScanArgs),
}

/// `warn` for everything, `info` for s3lab's own crates (`s3lab=info` also matches `s3lab_server`
/// and the others: tracing targets match by prefix).
const DEFAULT_LOG: &str = "warn,s3lab=info";

fn init_logging(default: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("warning: ignoring RUST_LOG={spec:?} ({e}); using {default:?}");
            EnvFilter::new(default)
        }),
        _ => EnvFilter::new(default),
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_env_filter(filter)
        // A log line that cannot be written is lost, and nothing more: by default the subscriber
        // reports the failure with `eprintln!`, which panics when stderr is closed or its file is
        // on a full disk, and took the lab down with it.
        .log_internal_errors(false)
        .init();
}

fn main() -> ExitCode {
    let parsed = Cli::parse();
    let Some(command) = parsed.command else {
        // No logging: the in-process servers' lines would write over the screen.
        return tui(&parsed.tui);
    };
    let cli = WithCommand { command };
    // A transcript is the whole story of `run`; the in-process servers' start-up lines are noise.
    let quiet = matches!(
        cli.command,
        Command::List | Command::Run(_) | Command::Lab(_) | Command::ScanSecrets(_)
    );
    init_logging(if quiet { "warn" } else { DEFAULT_LOG });
    // The curriculum's labs own their runtimes, so these run outside the one below.
    let command = match cli.command {
        Command::List => return exit_with(run::list()),
        Command::Run(args) => return exit_with(run::run(args)),
        Command::Lab(args) => return exit_with(lab::run(args)),
        // 1 is "found something": a scan that could not look says so with 2.
        Command::ScanSecrets(args) => {
            return scan::run(args).unwrap_or_else(|e| {
                fail(&e);
                ExitCode::from(2)
            })
        }
        other => other,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&anyhow::anyhow!("could not start the async runtime: {e}")),
    };
    let result = match command {
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Admin(args) => runtime.block_on(admin::run(args)),
        Command::Cse(args) => runtime.block_on(cse::run(args)),
        Command::List | Command::Run(_) | Command::Lab(_) | Command::ScanSecrets(_) => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// `s3lab` alone: the terminal UI.
fn tui(args: &TuiArgs) -> ExitCode {
    let options = s3lab_tui::Options {
        seed: (!args.live).then_some(args.seed),
        theme: args.theme.as_deref().and_then(s3lab_tui::ThemeName::parse),
    };
    match s3lab_tui::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ s3lab_tui::TuiError::Stopped { signal, .. }) => {
            let _ = writeln!(std::io::stderr().lock(), "s3lab: {e}");
            // The shell's convention for a process ended by a signal: 128 + its number.
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
        }
        Err(e) => fail(&anyhow::Error::new(e)),
    }
}

fn exit_with(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| fail(&e))
}

fn fail(e: &anyhow::Error) -> ExitCode {
    // One human sentence (with its causes), never a backtrace.
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {e:#}");
    ExitCode::FAILURE
}
