//! Helpers for the end-to-end tests: a lab started in-process on ephemeral loopback ports, and AWS
//! SDK clients pointed at it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use s3lab_env::{Clock, Env};
use s3lab_iam::IdentityTable;
use s3lab_server::{start, LabApp, LabConfig, LabHandler, ListenConfig, RunningServer};

pub mod raw;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "111122223333";

/// A running lab: both listeners, the app behind them, and the data folder.
pub struct TestLab {
    pub app: Arc<LabApp>,
    pub server: Option<RunningServer>,
    pub data_dir: PathBuf,
    pub ca_pem: Vec<u8>,
    pub ca_pem_path: PathBuf,
    /// Kept so that the folder lives as long as the lab; `None` when the caller owns the folder.
    _temp: Option<tempfile::TempDir>,
}

impl TestLab {
    /// A lab in a fresh temporary folder.
    pub async fn start() -> TestLab {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_path_buf();
        let mut lab = Self::start_in(&dir).await;
        lab._temp = Some(temp);
        lab
    }

    /// A lab on `dir`, reusing whatever state is there (for restart tests).
    pub async fn start_in(dir: &Path) -> TestLab {
        let (files, tls_config) =
            s3lab_server::tls::load_or_create(&dir.join("tls"), &[]).expect("tls");
        let app = Arc::new(
            LabApp::open(LabConfig {
                region: REGION.into(),
                account_id: ACCOUNT.into(),
                data_dir: Some(dir.to_path_buf()),
                env: Env::live(),
                // The SDK signs with the real time.
                auth_clock: Clock::System,
                identities: Arc::new(IdentityTable::builtin(ACCOUNT)),
                // The SSE-C tests need buckets that accept SSE-C; the 2026 block has its own tests.
                block_sse_c_for_new_buckets: false,
            })
            .expect("open lab"),
        );
        let server = start(
            &ListenConfig::default(),
            tls_config,
            Arc::new(LabHandler(app.clone())),
        )
        .await
        .expect("start server");
        let ca_pem = std::fs::read(&files.ca_pem).expect("ca.pem");
        TestLab {
            app,
            server: Some(server),
            data_dir: dir.to_path_buf(),
            ca_pem,
            ca_pem_path: files.ca_pem.clone(),
            _temp: None,
        }
    }

    pub fn https_url(&self) -> String {
        let port = self
            .server
            .as_ref()
            .map(|s| s.https_addr.port())
            .unwrap_or(0);
        format!("https://localhost:{port}")
    }

    pub fn http_url(&self) -> String {
        let port = self
            .server
            .as_ref()
            .map(|s| s.http_addr.port())
            .unwrap_or(0);
        format!("http://127.0.0.1:{port}")
    }

    /// An AWS SDK KMS client for one of the lab's identities, over HTTPS (trusting only the lab's
    /// CA) or plain HTTP.
    pub fn kms_client(&self, identity: &str, secure: bool) -> aws_sdk_kms::Client {
        let id = self.app.identities().by_name(identity).expect("identity");
        self.kms_client_with(&id.access_key_id, &id.secret_access_key, secure)
    }

    pub fn kms_client_with(
        &self,
        access_key_id: &str,
        secret: &str,
        secure: bool,
    ) -> aws_sdk_kms::Client {
        let trust = TrustStore::empty().with_pem_certificate(self.ca_pem.as_slice());
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(
                TlsContext::builder()
                    .with_trust_store(trust)
                    .build()
                    .expect("tls context"),
            )
            .build_https();
        let creds =
            aws_sdk_kms::config::Credentials::new(access_key_id, secret, None, None, "s3lab-test");
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(REGION))
            .credentials_provider(creds)
            .endpoint_url(if secure {
                self.https_url()
            } else {
                self.http_url()
            })
            .http_client(http)
            .build();
        aws_sdk_kms::Client::from_conf(config)
    }

    fn http_client(&self) -> aws_sdk_s3::config::SharedHttpClient {
        let trust = TrustStore::empty().with_pem_certificate(self.ca_pem.as_slice());
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(
                TlsContext::builder()
                    .with_trust_store(trust)
                    .build()
                    .expect("tls context"),
            )
            .build_https()
    }

    /// An AWS SDK S3 client for one of the lab's identities, with the SDK's default settings
    /// (request checksums on, so bodies go out `aws-chunked` with a checksum trailer), path-style.
    pub fn s3_client(&self, identity: &str, secure: bool) -> aws_sdk_s3::Client {
        let id = self.app.identities().by_name(identity).expect("identity");
        let creds = aws_sdk_s3::config::Credentials::new(
            &id.access_key_id,
            id.secret_access_key.as_str(),
            None,
            None,
            "s3lab-test",
        );
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(REGION))
            .credentials_provider(creds)
            .endpoint_url(if secure {
                self.https_url()
            } else {
                self.http_url()
            })
            .force_path_style(true)
            .http_client(self.http_client())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Stops the listeners and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}
