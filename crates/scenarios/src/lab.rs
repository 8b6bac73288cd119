//! The Lab runtime: S3 and KMS started in-process on ephemeral loopback ports, over a data folder,
//! with an injected seed and clock, and a recording client for each built-in identity.
//!
//! The runtime is synchronous on purpose: it owns its tokio runtime, so a scenario reads as a
//! plain list of steps, and a TUI or a lab checker can drive it from an ordinary thread.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use s3lab_client::record::Recorder;
use s3lab_client::{ClientError, Endpoint, RequestSpec, Response, Signing};
use s3lab_env::Env;
use s3lab_iam::IdentityTable;
use s3lab_server::{start, LabApp, LabConfig, LabHandler, ListenConfig, RunningServer};
use s3lab_transcript::{Event, Transport};

use crate::error::ScenarioError;

/// The region every lab runs in.
pub const REGION: &str = "us-east-1";
/// The lab's AWS account.
pub const ACCOUNT: &str = "111122223333";

/// When a seeded lab's clock starts. After April 2026, so that the dates in a transcript agree
/// with what the lab does: new buckets already block SSE-C, as Amazon S3's have since then.
pub const LAB_EPOCH: time::OffsetDateTime = time::macros::datetime!(2026-06-01 09:00:00 UTC);

/// How much of each body a transcript keeps: enough for S3's error XML and KMS's JSON answers.
const BODY_PREVIEW_LIMIT: usize = 1024;

/// The `Host` the recording client sends. Fixed (the default ports of `s3lab serve`) so that
/// transcripts do not depend on the ephemeral ports the in-process servers got.
const HTTP_HOST: &str = "localhost:9080";
const HTTPS_HOST: &str = "localhost:9443";

/// How a lab starts.
#[derive(Debug, Clone, Default)]
pub struct LabOptions {
    /// `Some(n)`: a ChaCha RNG seeded with `n` and a simulated clock at [`LAB_EPOCH`], so every
    /// run is the same. `None`: the OS RNG and the real clock.
    pub seed: Option<u64>,
    /// Where the data folder is. `None`: a fresh temporary folder, removed with the lab.
    pub data_dir: Option<PathBuf>,
    /// Whether new buckets refuse SSE-C, as S3 does by default since 2026.
    pub block_sse_c_for_new_buckets: bool,
}

/// A running lab.
pub struct Lab {
    app: Arc<LabApp>,
    env: Env,
    server: Option<RunningServer>,
    http: Endpoint,
    https: Endpoint,
    data_dir: PathBuf,
    ca_pem: PathBuf,
    recorder: Recorder,
    // Dropped last: the servers and the runtime must stop before the folder goes.
    rt: tokio::runtime::Runtime,
    _temp: Option<tempfile::TempDir>,
}

/// One request's outcome: the response and the transcript events that show it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub response: Response,
    pub exchange: Event,
    pub wire: Event,
}

impl Lab {
    /// Starts S3 and KMS on `127.0.0.1`, on ports the OS picks.
    pub fn start(options: LabOptions) -> Result<Lab, ScenarioError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3lab-lab")
            .enable_all()
            .build()
            .map_err(|e| ScenarioError::Start(format!("could not start a runtime: {e}")))?;
        let (temp, data_dir) = match &options.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("s3lab-lab-")
                    .tempdir()
                    .map_err(|e| {
                        ScenarioError::Start(format!("could not create a data folder: {e}"))
                    })?;
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let env = match options.seed {
            Some(seed) => Env::seeded_at(seed, LAB_EPOCH),
            None => Env::live(),
        };
        let (files, tls) = s3lab_server::tls::load_or_create(&data_dir.join("tls"), &[])
            .map_err(|e| ScenarioError::Start(format!("could not set up TLS: {e}")))?;
        let app = Arc::new(
            LabApp::open(LabConfig {
                region: REGION.into(),
                account_id: ACCOUNT.into(),
                data_dir: Some(data_dir.clone()),
                env: env.clone(),
                // Requests are signed with the lab's clock, so signatures are checked against it.
                auth_clock: env.clock.clone(),
                identities: Arc::new(IdentityTable::builtin(ACCOUNT)),
                block_sse_c_for_new_buckets: options.block_sse_c_for_new_buckets,
            })
            .map_err(|e| ScenarioError::Start(e.to_string()))?,
        );
        let listen = ListenConfig {
            http_port: 0,
            https_port: 0,
            ..ListenConfig::default()
        };
        let server = rt
            .block_on(start(&listen, tls, Arc::new(LabHandler(app.clone()))))
            .map_err(|e| ScenarioError::Start(e.to_string()))?;
        let mut http = Endpoint::http(server.http_addr, REGION);
        http.host = HTTP_HOST.into();
        let mut https = Endpoint::https(server.https_addr, &files.ca_pem, REGION)
            .map_err(|e| ScenarioError::Start(e.to_string()))?;
        https.host = HTTPS_HOST.into();
        Ok(Lab {
            app,
            env,
            server: Some(server),
            http,
            https,
            data_dir,
            ca_pem: files.ca_pem,
            recorder: Recorder {
                body_limit: BODY_PREVIEW_LIMIT,
                ..Recorder::default()
            },
            rt,
            _temp: temp,
        })
    }

    /// A lab with a fixed seed and clock in a temporary folder: what scenarios and snapshots use.
    pub fn seeded(seed: u64) -> Result<Lab, ScenarioError> {
        Lab::start(LabOptions {
            seed: Some(seed),
            ..LabOptions::default()
        })
    }

    /// The services behind the listeners, for lab controls and inspection.
    pub fn app(&self) -> &Arc<LabApp> {
        &self.app
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn ca_pem(&self) -> &Path {
        &self.ca_pem
    }

    /// The address of the plain-HTTP (`Http`) or HTTPS listener.
    pub fn addr(&self, transport: Transport) -> SocketAddr {
        self.endpoint(transport).addr
    }

    /// The URL a learner's tools would use for this listener.
    pub fn url(&self, transport: Transport) -> String {
        let addr = self.addr(transport);
        format!("{}://{}", transport.as_str(), addr)
    }

    pub fn endpoint(&self, transport: Transport) -> &Endpoint {
        match transport {
            Transport::Http => &self.http,
            Transport::Https => &self.https,
        }
    }

    /// The lab's time.
    pub fn now(&self) -> time::OffsetDateTime {
        self.env.now()
    }

    /// Moves the simulated clock forward (a live lab's clock cannot be moved).
    pub fn advance_clock(&self, by: Duration) -> Result<time::OffsetDateTime, ScenarioError> {
        let by = time::Duration::try_from(by)
            .map_err(|_| ScenarioError::Lab("the clock cannot move that far".into()))?;
        self.env.clock.advance(by).map_err(|_| {
            ScenarioError::Lab("this lab runs on the real clock, which cannot be moved".into())
        })
    }

    /// How requests of the identity `name` (`admin`, `reader`, `writer`) are signed, or anonymous
    /// for `None`.
    pub fn signing(&self, identity: Option<&str>) -> Result<Signing, ScenarioError> {
        match identity {
            None => Ok(Signing::Anonymous),
            Some(name) => {
                let who = self
                    .app
                    .identities()
                    .by_name(name)
                    .ok_or_else(|| ScenarioError::Lab(format!("no identity named {name}")))?;
                Ok(Signing::sigv4(
                    who.access_key_id.clone(),
                    who.secret_access_key.as_str(),
                ))
            }
        }
    }

    /// Sends `spec` signed as `identity`, on a fresh connection, and records it.
    pub fn send(
        &self,
        transport: Transport,
        identity: Option<&str>,
        spec: &RequestSpec,
    ) -> Result<Recorded, ScenarioError> {
        let signing = self.signing(identity)?;
        let endpoint = self.endpoint(transport);
        let (response, exchange, wire) = self
            .rt
            .block_on(
                self.recorder
                    .exchange(endpoint, spec, &signing, self.now(), identity),
            )
            .map_err(ScenarioError::Client)?;
        Ok(Recorded {
            response,
            exchange,
            wire,
        })
    }

    /// Sends `spec` without recording it (set-up a scenario does not need to show).
    pub fn send_quietly(
        &self,
        transport: Transport,
        identity: Option<&str>,
        spec: &RequestSpec,
    ) -> Result<Response, ClientError> {
        let signing = self
            .signing(identity)
            .map_err(|e| ClientError::Request(e.to_string()))?;
        self.rt.block_on(s3lab_client::send(
            self.endpoint(transport),
            spec,
            &signing,
            self.now(),
        ))
    }

    /// Runs a future on the lab's runtime (for clients that are async, like the CSE client).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt
                .block_on(server.shutdown_within(Duration::from_secs(2)));
        }
    }
}
