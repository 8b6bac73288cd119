//! `s3lab cse`: client-side encryption against any S3 and KMS endpoint, byte-compatible with the
//! Amazon S3 Encryption Client (`s3lab-cse` does the work).
//!
//! By default the endpoint, the CA and the credentials come from the ready file of a running
//! `s3lab serve` (`--ready FILE` or `S3LAB_READY`); `--endpoint-url` (with `--ca-bundle`,
//! `--region` and the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` variables) points it
//! anywhere else. Every refusal is one sentence and a non-zero exit; `get` writes its output
//! through a temporary file in the same folder, renamed only when everything verified.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use s3lab_client::{Endpoint, Signing};
use s3lab_cse::transfer::{self, Phase, Progress};
use s3lab_cse::{
    CommitmentPolicy, CseClient, CseConfig, CseError, GetOptions, HttpKms, Keyring, KmsApi,
    KmsKeyring, Location, PutOptions, RawAesKeyring, RawRsaKeyring, S3Remote, StringMap,
};
use s3lab_env::Entropy;
use s3lab_server::ready::read_ready_file;

#[derive(Debug, Args)]
pub struct CseArgs {
    #[command(flatten)]
    pub connection: Box<Connection>,

    /// No progress bar and no summary line.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Box<CseCommand>,
}

/// Where the endpoints and credentials come from.
#[derive(Debug, Args)]
pub struct Connection {
    /// The ready file of a running `s3lab serve` (endpoint, CA, region and credentials).
    #[arg(long, value_name = "FILE", env = "S3LAB_READY", global = true)]
    pub ready: Option<PathBuf>,

    /// Which identity of the ready file signs the requests.
    #[arg(long, default_value = "admin", global = true)]
    pub identity: String,

    /// Talk to this S3 endpoint instead of the ready file's (e.g. `https://127.0.0.1:9443`).
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint_url: Option<String>,

    /// KMS endpoint, if it is not the S3 endpoint (the lab serves both on one port).
    #[arg(long, value_name = "URL", global = true)]
    pub kms_endpoint_url: Option<String>,

    /// The CA certificate to trust for HTTPS (default: the ready file's).
    #[arg(long, value_name = "FILE", global = true)]
    pub ca_bundle: Option<PathBuf>,

    /// The region to sign for (default: the ready file's, else us-east-1).
    #[arg(long, global = true)]
    pub region: Option<String>,

    /// Access key id, with `--endpoint-url` or without a ready file.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true, global = true)]
    pub access_key_id: Option<String>,

    /// Secret access key, with `--endpoint-url` or without a ready file.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_access_key: Option<SecretArg>,
}

/// A secret from the command line or the environment: never printed, wiped when dropped.
#[derive(Clone)]
pub struct SecretArg(zeroize::Zeroizing<String>);

impl std::str::FromStr for SecretArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretArg(zeroize::Zeroizing::new(s.to_owned())))
    }
}

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Subcommand)]
pub enum CseCommand {
    /// Encrypt a file on this machine and store the ciphertext in S3.
    Put(PutArgs),
    /// Fetch an encrypted object from S3 and decrypt it on this machine.
    Get(GetArgs),
}

/// The master key: one of the three keyrings.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("master").multiple(false)))]
pub struct KeyArgs {
    /// KMS keyring (`kms+context`): a key id, ARN or alias. On `get` it may be left out: KMS
    /// finds the key from the wrapped data key.
    #[arg(long, value_name = "ID", group = "master")]
    pub kms_key_id: Option<String>,

    /// Raw AES keyring (`AES/GCM`): a file with the 256-bit key (32 bytes, or hex, or base64).
    #[arg(long, value_name = "FILE", group = "master")]
    pub aes_key_file: Option<PathBuf>,

    /// Raw RSA keyring (`RSA-OAEP-SHA1`): a PEM private key (a public key is enough for `put`).
    #[arg(long, value_name = "FILE", group = "master")]
    pub rsa_key_file: Option<PathBuf>,

    /// Encryption context entry `KEY=VALUE` (KMS only; repeat for more).
    #[arg(long = "ec", value_name = "KEY=VALUE")]
    pub ec: Vec<String>,

    /// Commitment policy (default: require-encrypt-require-decrypt; for `put --format v2`,
    /// forbid-encrypt-allow-decrypt).
    #[arg(long, value_enum)]
    pub commitment_policy: Option<PolicyArg>,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    #[arg(long)]
    pub bucket: String,
    #[arg(long)]
    pub key: String,
    /// The plaintext file.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// V3 (key-committing, the default) or V2.
    #[arg(long, value_enum, default_value = "v3")]
    pub format: FormatArg,
    /// Put the envelope in `<key>.instruction` instead of the object's metadata.
    #[arg(long)]
    pub instruction_file: bool,
    /// Files larger than this go up as a multipart upload in parts of this size (MiB, >= 5).
    #[arg(long, value_name = "MIB", default_value_t = 8)]
    pub part_size: u64,
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[arg(long)]
    pub bucket: String,
    #[arg(long)]
    pub key: String,
    /// Where the plaintext goes (written only once the object verified).
    #[arg(long = "out", value_name = "FILE")]
    pub output: PathBuf,
    /// Also read legacy V1 and V2-CBC objects and the legacy key wrappings, and allow `--range`.
    /// None of these is authenticated.
    #[arg(long)]
    pub allow_legacy_unauthenticated: bool,
    /// Release plaintext before the tag is checked (it is still checked at the end).
    #[arg(long)]
    pub delayed_authentication: bool,
    /// A ranged GET (`bytes=A-B` or `bytes=A-`), decrypted with AES-CTR: UNAUTHENTICATED, and
    /// only with `--allow-legacy-unauthenticated`.
    #[arg(long, value_name = "bytes=A-B")]
    pub range: Option<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    V3,
    V2,
}

// The reference's names, which all end in "Decrypt".
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    RequireEncryptRequireDecrypt,
    RequireEncryptAllowDecrypt,
    ForbidEncryptAllowDecrypt,
}

impl From<PolicyArg> for CommitmentPolicy {
    fn from(p: PolicyArg) -> Self {
        match p {
            PolicyArg::RequireEncryptRequireDecrypt => {
                CommitmentPolicy::RequireEncryptRequireDecrypt
            }
            PolicyArg::RequireEncryptAllowDecrypt => CommitmentPolicy::RequireEncryptAllowDecrypt,
            PolicyArg::ForbidEncryptAllowDecrypt => CommitmentPolicy::ForbidEncryptAllowDecrypt,
        }
    }
}

/// Where to send requests, and as whom.
struct Target {
    s3: S3Remote,
    kms: Arc<dyn KmsApi>,
    label: String,
}

fn target(args: &Connection) -> anyhow::Result<Target> {
    let ready = match &args.ready {
        Some(path) => Some(
            read_ready_file(path)
                .with_context(|| format!("could not read the ready file {}", path.display()))?,
        ),
        None => None,
    };
    let url = match (&args.endpoint_url, &ready) {
        (Some(u), _) => u.clone(),
        (None, Some(r)) => r.https.clone(),
        (None, None) => anyhow::bail!(
            "no endpoint to talk to: give --ready FILE (the ready file of `s3lab serve`, or set S3LAB_READY) or --endpoint-url URL"
        ),
    };
    let ca = match (&args.ca_bundle, &ready) {
        (Some(p), _) => p.clone(),
        (None, Some(r)) => PathBuf::from(&r.ca_pem),
        (None, None) => PathBuf::new(),
    };
    if url.starts_with("https://") && ca.as_os_str().is_empty() {
        anyhow::bail!("an https endpoint needs the CA to trust: give --ca-bundle FILE");
    }
    let region = args
        .region
        .clone()
        .or_else(|| ready.as_ref().map(|r| r.region.clone()))
        .unwrap_or_else(|| "us-east-1".into());
    let use_ready_identity = ready.is_some() && args.endpoint_url.is_none();
    let signing = match (&ready, use_ready_identity) {
        (Some(r), true) => {
            let cred = r
                .credentials
                .iter()
                .find(|c| c.name == args.identity)
                .with_context(|| {
                    format!("the ready file has no identity named {:?}", args.identity)
                })?;
            Signing::sigv4(cred.access_key_id.clone(), cred.secret_access_key.clone())
        }
        _ => match (&args.access_key_id, &args.secret_access_key) {
            (Some(a), Some(s)) => Signing::sigv4(a.clone(), s.0.to_string()),
            _ => anyhow::bail!(
                "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or give --ready FILE)"
            ),
        },
    };
    let endpoint = Endpoint::from_url(&url, &ca, &region)
        .map_err(|e| anyhow::anyhow!("the endpoint {url} is unusable: {e}"))?;
    let kms_endpoint = match &args.kms_endpoint_url {
        Some(k) => Endpoint::from_url(k, &ca, &region)
            .map_err(|e| anyhow::anyhow!("the KMS endpoint {k} is unusable: {e}"))?,
        None => endpoint.clone(),
    };
    Ok(Target {
        s3: S3Remote::new(endpoint, signing.clone()),
        kms: Arc::new(HttpKms::new(kms_endpoint, signing)),
        label: url,
    })
}

fn parse_context(pairs: &[String]) -> anyhow::Result<StringMap> {
    let mut ec = StringMap::new();
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("--ec {p:?} is not KEY=VALUE"))?;
        if ec.contains_key(k) {
            anyhow::bail!("--ec names {k:?} twice");
        }
        ec.insert(k, v);
    }
    Ok(ec)
}

fn keyring(keys: &KeyArgs, kms: &Arc<dyn KmsApi>, put: bool) -> anyhow::Result<Keyring> {
    if let Some(path) = &keys.aes_key_file {
        let bytes = zeroize::Zeroizing::new(
            std::fs::read(path)
                .with_context(|| format!("could not read the AES key file {}", path.display()))?,
        );
        return RawAesKeyring::from_key_file_bytes(&bytes)
            .map(Keyring::RawAes)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    if let Some(path) = &keys.rsa_key_file {
        let pem = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("could not read the RSA key file {}", path.display()))?,
        );
        return RawRsaKeyring::from_pem(&pem)
            .map(|k| Keyring::RawRsa(Box::new(k)))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    if put && keys.kms_key_id.is_none() {
        anyhow::bail!(
            "name the master key: --kms-key-id ID, --aes-key-file FILE or --rsa-key-file FILE"
        );
    }
    Ok(Keyring::Kms(KmsKeyring::new(
        Arc::clone(kms),
        keys.kms_key_id.clone(),
    )))
}

/// One sentence for a refusal, with a hint where the fix is a flag of this command.
fn explain(e: CseError) -> anyhow::Error {
    let hint = match &e {
        CseError::PolicyForbidsDecrypt { .. } => {
            " (--commitment-policy require-encrypt-allow-decrypt reads it)"
        }
        CseError::LegacyDisabled(_) => " (--allow-legacy-unauthenticated enables them)",
        CseError::ContextMismatch(_) => " (give the same --ec entries as when it was written)",
        _ => "",
    };
    anyhow::anyhow!("{e}{hint}")
}

const MIB: f64 = 1024.0 * 1024.0;
/// Smaller transfers get no progress bar.
const BAR_FROM: u64 = 8 * 1024 * 1024;

/// A progress bar on stderr, for large transfers on a terminal.
/// Transfers smaller than [`BAR_FROM`] draw nothing; a total of 0 means "not known yet" (a
/// download before its length is known), shown as a byte count.
fn progress_bar(enabled: bool) -> Option<Progress> {
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let last = Arc::new(AtomicU64::new(u64::MAX));
    Some(Arc::new(move |phase: Phase, done: u64, total: u64| {
        if total == 0 {
            if done < BAR_FROM {
                return;
            }
            let mib = done / (1024 * 1024);
            let key = (phase as u64) << 32 | mib;
            if last.swap(key, Ordering::Relaxed) != key {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{:>14} {mib} MiB ", "download");
                let _ = err.flush();
            }
            return;
        }
        if total < BAR_FROM {
            return;
        }
        let pct = (done.saturating_mul(100) / total.max(1)).min(100);
        let key = (phase as u64) << 32 | 1 << 31 | pct;
        if last.swap(key, Ordering::Relaxed) == key {
            return;
        }
        let name = match phase {
            Phase::Upload => "encrypt+upload",
            Phase::Download => "download",
            Phase::Verify => "verify tag",
            Phase::Decrypt => "decrypt",
        };
        let width = 30;
        let filled = (pct as usize * width / 100).min(width);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{name:>14} [{}{}] {pct:>3}% {:.1}/{:.1} MiB ",
            "#".repeat(filled),
            ".".repeat(width - filled),
            done as f64 / MIB,
            total as f64 / MIB
        );
        if pct == 100 {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }))
}

pub async fn run(args: CseArgs) -> anyhow::Result<()> {
    tokio::select! {
        r = run_command(&args) => r,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; no output file was left behind"),
    }
}

async fn run_command(args: &CseArgs) -> anyhow::Result<()> {
    let t = target(&args.connection)?;
    match args.command.as_ref() {
        CseCommand::Put(p) => put(args, &t, p).await,
        CseCommand::Get(g) => get(args, &t, g).await,
    }
}

async fn put(args: &CseArgs, t: &Target, p: &PutArgs) -> anyhow::Result<()> {
    let keyring = keyring(&p.keys, &t.kms, true)?;
    let context = parse_context(&p.keys.ec)?;
    let mut config = match p.format {
        FormatArg::V3 => CseConfig::default(),
        FormatArg::V2 => CseConfig::v2(),
    };
    if let Some(policy) = p.keys.commitment_policy {
        config.policy = policy.into();
    }
    let client = CseClient::new(keyring, config, Entropy::Os).map_err(explain)?;
    let file = std::fs::File::open(&p.input)
        .with_context(|| format!("could not open {}", p.input.display()))?;
    let size = file
        .metadata()
        .with_context(|| format!("could not read {}", p.input.display()))?
        .len();
    if p.part_size < 5 {
        anyhow::bail!("--part-size must be at least 5 (MiB): S3's smallest part");
    }
    let options = PutOptions {
        context,
        location: if p.instruction_file {
            Location::InstructionFile
        } else {
            Location::ObjectMetadata
        },
        part_size: Some(p.part_size * 1024 * 1024),
    };
    let bar = progress_bar(!args.quiet);
    let report = transfer::put_object(
        &client,
        &t.s3,
        &p.bucket,
        &p.key,
        std::io::BufReader::new(file),
        size,
        &options,
        bar,
    )
    .await
    .map_err(explain)?;
    if !args.quiet {
        let parts = if report.parts > 0 {
            format!(", {} parts", report.parts)
        } else {
            String::new()
        };
        let place = match report.envelope.location {
            Location::ObjectMetadata => "in the object's metadata".to_owned(),
            Location::InstructionFile => format!("in s3://{}/{}.instruction", p.bucket, p.key),
        };
        println!(
            "Stored s3://{}/{} at {}: {size} bytes encrypted here into {} bytes{parts}; {}; envelope {place}.",
            p.bucket,
            p.key,
            t.label,
            report.stored_len,
            s3lab_cse::client::describe(&report.envelope),
        );
    }
    Ok(())
}

async fn get(args: &CseArgs, t: &Target, g: &GetArgs) -> anyhow::Result<()> {
    let keyring = keyring(&g.keys, &t.kms, false)?;
    let context = parse_context(&g.keys.ec)?;
    let config = CseConfig {
        policy: g.keys.commitment_policy.map(Into::into).unwrap_or_default(),
        legacy_unauthenticated_modes: g.allow_legacy_unauthenticated,
        legacy_wrapping_algorithms: g.allow_legacy_unauthenticated,
        delayed_authentication: g.delayed_authentication,
        ..CseConfig::default()
    };
    // Reading never encrypts, so the writing suite only has to agree with the policy.
    let config = if config.policy == CommitmentPolicy::ForbidEncryptAllowDecrypt {
        CseConfig {
            suite: s3lab_cse::AlgorithmSuite::AesGcmV2,
            ..config
        }
    } else {
        config
    };
    let client = CseClient::new(keyring, config, Entropy::Os).map_err(explain)?;
    let dir = match g.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if g.output.is_dir() {
        anyhow::bail!("{} is a folder; --out names a file", g.output.display());
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".s3lab-cse-")
        .tempfile_in(&dir)
        .with_context(|| format!("could not create a file in {}", dir.display()))?;
    if g.range.is_some() && g.allow_legacy_unauthenticated && !args.quiet {
        eprintln!(
            "warning: a ranged GET is not authenticated: the bytes are decrypted with AES-CTR and no tag covers them"
        );
    }
    let options = GetOptions {
        context,
        range: g.range.clone(),
        spool_dir: Some(dir.clone()),
        instruction_suffix: None,
    };
    let bar = progress_bar(!args.quiet);
    let report = transfer::get_object(
        &client,
        &t.s3,
        &g.bucket,
        &g.key,
        temp.as_file_mut(),
        &options,
        bar,
    )
    .await
    .map_err(explain)?;
    temp.as_file()
        .sync_all()
        .with_context(|| format!("could not write {}", g.output.display()))?;
    persist(temp, &g.output)?;
    if !args.quiet {
        let how = if report.fetched_range.is_some() {
            "UNAUTHENTICATED ranged read (AES-CTR)"
        } else if report.authenticated {
            "tag verified before any byte was written"
        } else if report.envelope.suite.is_legacy() {
            "legacy CBC: nothing authenticated it"
        } else {
            "delayed authentication: tag verified at the end"
        };
        println!(
            "Wrote {}: {} bytes decrypted here from s3://{}/{} at {}; {}; {how}.",
            g.output.display(),
            report.plaintext_len,
            g.bucket,
            g.key,
            t.label,
            s3lab_cse::client::describe(&report.envelope),
        );
    }
    Ok(())
}

fn persist(temp: tempfile::NamedTempFile, out: &Path) -> anyhow::Result<()> {
    temp.persist(out)
        .map_err(|e| anyhow::anyhow!("could not write {}: {}", out.display(), e.error))?;
    Ok(())
}
