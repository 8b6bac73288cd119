//! A lab's own server: the mock S3 and KMS of `s3lab serve`, on the lab's data folder, from the
//! lab's fixed seed, seeded on its first start with the state the lab needs.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use http::Method;
use md5::Digest as _;
use s3lab_client::RequestSpec;
use s3lab_env::{Clock, Entropy, Env};
use s3lab_iam::IdentityTable;
use s3lab_server::ready::{write_ready_file, ReadyCredential, ReadyInfo};
use s3lab_server::{start, tls, LabApp, LabConfig, LabHandler, ListenConfig, RunningServer};
use serde_json::json;

use crate::conn::{object_path, LabConn};
use crate::error::{LabError, Result};
use crate::home::{Home, SEEDED_MARKER};
use crate::registry::Lab;
use crate::spec::SetupStep;

/// The region of every lab server.
pub const REGION: &str = "us-east-1";
/// The account of every lab server.
pub const ACCOUNT: &str = "111122223333";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a lab server listens.
#[derive(Debug, Clone)]
pub struct LabServerOptions {
    pub host: IpAddr,
    /// 9080 by default, as `s3lab serve`; 0 picks a free port.
    pub http_port: u16,
    /// 9443 by default; 0 picks a free port.
    pub https_port: u16,
}

impl Default for LabServerOptions {
    fn default() -> Self {
        LabServerOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http_port: 9080,
            https_port: 9443,
        }
    }
}

/// A running lab server. Stop it with [`RunningLab::shutdown`].
pub struct RunningLab {
    pub ready: ReadyInfo,
    pub data_dir: PathBuf,
    pub ready_path: PathBuf,
    pub work_dir: PathBuf,
    /// The seed state was made by this start (false: it was there from an earlier one).
    pub seeded_now: bool,
    pub seed: u64,
    server: RunningServer,
}

impl RunningLab {
    /// Stops the listeners and removes the ready file.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        let _ = std::fs::remove_file(&self.ready_path);
    }
}

/// Starts `lab`'s server on its data folder in `home` (creating the work folder from the
/// starter files if needed) and seeds it on the first start.
pub async fn start_lab_server(
    lab: &Lab,
    home: &Home,
    options: &LabServerOptions,
) -> Result<RunningLab> {
    let Some(spec) = &lab.spec.server else {
        return Err(LabError::Server(format!(
            "lab {} is a {} lab: it needs no server (edit its files, then `s3lab lab check {}`)",
            lab.number,
            lab.kind.as_str(),
            lab.number
        )));
    };
    home.prepare_work(lab)?;
    let data_dir = home.server_dir(lab);
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| LabError::io("could not create", &data_dir, e))?;
    let ready_path = home.ready_path(lab);
    if let Some(conn) = LabConn::open(&data_dir).ok().flatten() {
        if conn.is_up().await {
            return Err(LabError::ServerRunning {
                number: lab.number,
                url: conn.ready().https.clone(),
            });
        }
    }
    let _ = std::fs::remove_file(&ready_path);

    let (tls_files, tls_config) = tls::load_or_create(&data_dir.join("tls"), &[])
        .map_err(|e| LabError::Server(format!("could not set up TLS: {e}")))?;
    let identities = Arc::new(IdentityTable::builtin(ACCOUNT));
    let app = LabApp::open(LabConfig {
        region: REGION.into(),
        account_id: ACCOUNT.into(),
        data_dir: Some(data_dir.clone()),
        env: Env::seeded(spec.seed),
        // The learner's tools sign with the real time.
        auth_clock: Clock::System,
        identities: identities.clone(),
        block_sse_c_for_new_buckets: !spec.allow_sse_c,
    })
    .map_err(|e| LabError::Server(format!("could not open {}: {e}", data_dir.display())))?;
    let listen = ListenConfig {
        host: options.host,
        http_port: options.http_port,
        https_port: options.https_port,
    };
    let server = start(&listen, tls_config, Arc::new(LabHandler(Arc::new(app))))
        .await
        .map_err(|e| {
            let hint = if e.is_addr_in_use() {
                " — is another lab or `s3lab serve` running? Stop it, or pass --http-port 0 --https-port 0"
            } else {
                ""
            };
            LabError::Server(format!("{e}{hint}"))
        })?;
    let ready = ReadyInfo {
        http: format!("http://{}", server.http_addr),
        https: format!("https://{}", server.https_addr),
        ca_pem: tls_files.ca_pem.display().to_string(),
        region: REGION.into(),
        credentials: identities
            .iter()
            .map(|id| ReadyCredential {
                name: id.name.clone(),
                access_key_id: id.access_key_id.clone(),
                secret_access_key: id.secret_access_key.to_string(),
            })
            .collect(),
    };
    let marker = data_dir.join(SEEDED_MARKER);
    let mut seeded_now = false;
    if !marker.exists() {
        let conn = LabConn::new(ready.clone(), &data_dir).map_err(LabError::Server)?;
        let work = home.work_dir(lab);
        for (i, step) in lab.spec.setup.iter().enumerate() {
            if let Err(e) = run_step(&conn, &work, spec.seed, step).await {
                server.shutdown().await;
                return Err(LabError::Server(format!(
                    "seeding lab {} failed at step {} ({step:?}): {e}",
                    lab.number,
                    i + 1
                )));
            }
        }
        let note = json!({ "lab": lab.name, "seed": spec.seed, "steps": lab.spec.setup.len() });
        s3lab_durable::write_atomic(&marker, format!("{note:#}\n").as_bytes())
            .map_err(|e| LabError::io("could not write", &marker, e))?;
        seeded_now = true;
    }
    write_ready_file(&ready_path, &ready).map_err(|e| LabError::Server(e.to_string()))?;
    Ok(RunningLab {
        ready,
        data_dir,
        ready_path,
        work_dir: home.work_dir(lab),
        seeded_now,
        seed: spec.seed,
        server,
    })
}

async fn expect_ok(conn: &LabConn, what: &str, spec: RequestSpec) -> Result<(), String> {
    let resp = conn.s3("admin", true, &spec).await?;
    if resp.status >= 300 {
        return Err(format!(
            "{what}: {} {} {}",
            resp.status,
            resp.element("Code"),
            resp.element("Message")
        ));
    }
    Ok(())
}

async fn key_id(conn: &LabConn, alias: &str) -> Result<String, String> {
    conn.resolve_alias(alias)
        .await?
        .map(|(id, _)| id)
        .ok_or_else(|| format!("no KMS key has the alias {alias}"))
}

fn read_key_file(work: &Path, name: &str) -> Result<[u8; 32], String> {
    let path = work.join(name);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{} is {} bytes, not 32", path.display(), bytes.len()))
}

async fn run_step(conn: &LabConn, work: &Path, seed: u64, step: &SetupStep) -> Result<(), String> {
    match step {
        SetupStep::CreateBucket { bucket } => {
            expect_ok(
                conn,
                "CreateBucket",
                RequestSpec::new(Method::PUT, format!("/{bucket}")),
            )
            .await
        }
        SetupStep::CreateKey { alias, description } => {
            let created = conn
                .kms_ok("CreateKey", json!({ "Description": description }))
                .await?;
            let id = created["KeyMetadata"]["KeyId"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            conn.kms_ok(
                "CreateAlias",
                json!({ "AliasName": alias, "TargetKeyId": id }),
            )
            .await
            .map(|_| ())
        }
        SetupStep::PutObject {
            bucket,
            key,
            body,
            sse,
            kms_key,
            metadata,
            content_type,
        } => {
            let mut spec =
                RequestSpec::new(Method::PUT, object_path(bucket, key)).body(body.clone());
            if let Some(sse) = sse {
                spec = spec.header("x-amz-server-side-encryption", sse.clone());
            }
            if let Some(alias) = kms_key {
                spec = spec.header("x-amz-server-side-encryption-aws-kms-key-id", alias.clone());
            }
            for (k, v) in metadata {
                spec = spec.header(format!("x-amz-meta-{k}"), v.clone());
            }
            if let Some(ct) = content_type {
                spec = spec.header("content-type", ct.clone());
            }
            expect_ok(conn, "PutObject", spec).await
        }
        SetupStep::PutBucketPolicy { bucket, policy } => {
            expect_ok(
                conn,
                "PutBucketPolicy",
                RequestSpec::new(Method::PUT, format!("/{bucket}?policy")).body(policy.clone()),
            )
            .await
        }
        SetupStep::PutKeyPolicy { alias, policy } => {
            let id = key_id(conn, alias).await?;
            conn.kms_ok(
                "PutKeyPolicy",
                json!({ "KeyId": id, "PolicyName": "default", "Policy": policy }),
            )
            .await
            .map(|_| ())
        }
        SetupStep::RotateKey { alias } => {
            let id = key_id(conn, alias).await?;
            conn.kms_ok("RotateKeyOnDemand", json!({ "KeyId": id }))
                .await
                .map(|_| ())
        }
        SetupStep::EnableKeyRotation { alias } => {
            let id = key_id(conn, alias).await?;
            conn.kms_ok("EnableKeyRotation", json!({ "KeyId": id }))
                .await
                .map(|_| ())
        }
        SetupStep::HistoryUnencrypted { bucket } => {
            expect_ok(
                conn,
                "history-unencrypted",
                RequestSpec::new(
                    Method::PUT,
                    format!("/_s3lab/buckets/{bucket}/history-unencrypted"),
                )
                .body("true"),
            )
            .await
        }
        SetupStep::CsePut {
            bucket,
            key,
            body,
            key_file,
        } => {
            let master = match key_file {
                Some(name) => read_key_file(work, name)?,
                // Made here and never written anywhere: this object's master key is lost.
                None => Entropy::Os.array::<32>(),
            };
            let mut stream_seed = md5::Md5::new();
            stream_seed.update(format!("{seed}/{bucket}/{key}"));
            let digest = stream_seed.finalize();
            let entropy = Entropy::seeded(u64::from_le_bytes(
                digest[..8].try_into().unwrap_or_default(),
            ));
            let client = s3lab_cse::CseClient::new(
                s3lab_cse::Keyring::RawAes(s3lab_cse::RawAesKeyring::new(master)),
                s3lab_cse::CseConfig::default(),
                entropy,
            )
            .map_err(|e| e.to_string())?;
            let object = client
                .encrypt(
                    body.as_bytes(),
                    &s3lab_cse::StringMap::new(),
                    s3lab_cse::Location::ObjectMetadata,
                )
                .await
                .map_err(|e| e.to_string())?;
            let headers = object.headers();
            let mut spec =
                RequestSpec::new(Method::PUT, object_path(bucket, key)).body(object.body);
            for (k, v) in headers {
                spec = spec.header(k, v);
            }
            expect_ok(conn, "PutObject (client-side encrypted)", spec).await
        }
    }
}

/// The SSE-C headers for a 32-byte key: algorithm, base64 key, base64 MD5 of the key.
pub fn sse_c_headers(key: &[u8]) -> Vec<(String, String)> {
    vec![
        (
            "x-amz-server-side-encryption-customer-algorithm".into(),
            "AES256".into(),
        ),
        (
            "x-amz-server-side-encryption-customer-key".into(),
            B64.encode(key),
        ),
        (
            "x-amz-server-side-encryption-customer-key-md5".into(),
            B64.encode(md5::Md5::digest(key)),
        ),
    ]
}
