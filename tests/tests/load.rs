//! Load: 64 clients at once against one lab started in-process, each doing a bounded run of mixed
//! operations (PUT in every encryption mode, overwrites, GET, HEAD, DELETE, copies, listings,
//! multipart uploads completed and aborted) under its own key prefix. Each client keeps a model of
//! what it believes its prefix holds, so every answer can be checked exactly: the test wants zero
//! errors, zero mismatches, and final listings equal to the union of the models.
//!
//! The AWS SDK for Rust is the client (retries off, so that no failure is hidden), over HTTPS.
//! Work is bounded twice: a fixed number of operations per client, and a deadline after which no
//! client starts another operation. `S3LAB_LOAD_SEED=N` repeats a run's choices.
//!
//! Then the secrets scan (`s3lab_scenarios::scan`, as for the curriculum and `s3lab scan-secrets`)
//! looks through the lab's data folder and everything the servers logged during the run for every
//! SSE-C key the clients used, every key the lab holds (read back from the data folder), and every
//! object body of 16 bytes or more the clients sent, whatever became of it; plaintext is allowed
//! only in the blobs of the objects of the unencrypted bucket. Bodies are looked for by 32-byte
//! windows (the first, the last, and one every 64 KiB), not whole, so that the MiB parts cost a
//! few windows each and the scan one pass over each file.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use base64::Engine as _;
use md5::Digest as _;
use s3lab_e2e::TestLab;
use s3lab_scenarios::scan::{LogBuffer, Scan};

const CLIENTS: usize = 64;
const OPS_PER_CLIENT: usize = 24;
const KEYS_PER_CLIENT: u64 = 5;
/// No client starts an operation after this, whatever is left of its run.
const DEADLINE: Duration = Duration::from_secs(20);
/// Where objects of every mode but "unencrypted" go.
const BUCKET: &str = "load";
/// A bucket with the lab's pre-2023 switch on: writes without SSE headers are stored unencrypted.
const PLAIN_BUCKET: &str = "load-plain";
const MIB: usize = 1024 * 1024;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// SplitMix64: a small, seedable generator, enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Unencrypted,
    SseS3,
    SseKms,
    SseKmsBucketKey,
    Dsse,
    SseC,
}

const MODES: [Mode; 6] = [
    Mode::Unencrypted,
    Mode::SseS3,
    Mode::SseKms,
    Mode::SseKmsBucketKey,
    Mode::Dsse,
    Mode::SseC,
];

impl Mode {
    fn bucket(self) -> &'static str {
        if self == Mode::Unencrypted {
            PLAIN_BUCKET
        } else {
            BUCKET
        }
    }
}

/// What a client believes one of its objects holds.
#[derive(Clone, Debug)]
struct Stored {
    mode: Mode,
    body: Arc<Vec<u8>>,
}

/// One client: its prefix, SSE-C key, KMS key, and its model of its own objects.
struct Client {
    id: usize,
    s3: aws_sdk_s3::Client,
    kms_key_arn: String,
    sse_c_key: [u8; 32],
    rng: Rng,
    /// (bucket, key) -> what it holds.
    model: BTreeMap<(&'static str, String), Stored>,
    problems: Vec<String>,
    version: u64,
    /// Operations done (a deadline may stop a client early).
    ops: usize,
    /// The `(seed, length)` of every body sent, for the secrets scan: `body(id, seed, length)`.
    sent: Vec<(u64, usize)>,
}

fn body(client: usize, version: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut state = Rng((client as u64) << 32 | version);
    while out.len() < len {
        out.extend_from_slice(&state.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

macro_rules! with_mode {
    ($client:expr, $builder:expr, $mode:expr) => {{
        let b = $builder;
        match $mode {
            Mode::Unencrypted => b,
            Mode::SseS3 => b.server_side_encryption(ServerSideEncryption::Aes256),
            Mode::SseKms => b
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id($client.kms_key_arn.clone()),
            Mode::SseKmsBucketKey => b
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id($client.kms_key_arn.clone())
                .bucket_key_enabled(true),
            Mode::Dsse => b.server_side_encryption(ServerSideEncryption::AwsKmsDsse),
            Mode::SseC => {
                let (key, md5) = $client.customer();
                b.sse_customer_algorithm("AES256")
                    .sse_customer_key(key)
                    .sse_customer_key_md5(md5)
            }
        }
    }};
}

/// The SSE-C triple on reads of SSE-C objects.
macro_rules! with_key_for {
    ($client:expr, $builder:expr, $mode:expr) => {{
        if $mode == Mode::SseC {
            let (key, md5) = $client.customer();
            $builder
                .sse_customer_algorithm("AES256")
                .sse_customer_key(key)
                .sse_customer_key_md5(md5)
        } else {
            $builder
        }
    }};
}

fn describe<E: ProvideErrorMetadata + std::fmt::Debug>(
    e: &aws_sdk_s3::error::SdkError<E>,
) -> String {
    match e.as_service_error() {
        Some(s) => format!("{} {}", s.code().unwrap_or("?"), s.message().unwrap_or("")),
        None => format!("{e:?}"),
    }
}

impl Client {
    fn customer(&self) -> (String, String) {
        (
            B64.encode(self.sse_c_key),
            B64.encode(md5::Md5::digest(self.sse_c_key)),
        )
    }

    fn key_name(&self, n: u64) -> String {
        format!("c{:02}/k{n}", self.id)
    }

    fn problem(&mut self, what: String) {
        self.problems.push(format!("client {}: {what}", self.id));
    }

    /// Checks the encryption an answer reports against the mode the object was written in.
    fn check_sse(
        &mut self,
        what: &str,
        mode: Mode,
        sse: Option<&ServerSideEncryption>,
        kms_key: Option<&str>,
        bucket_key: Option<bool>,
        customer_md5: Option<&str>,
    ) {
        let want = match mode {
            Mode::Unencrypted | Mode::SseC => None,
            Mode::SseS3 => Some(ServerSideEncryption::Aes256),
            Mode::SseKms | Mode::SseKmsBucketKey => Some(ServerSideEncryption::AwsKms),
            Mode::Dsse => Some(ServerSideEncryption::AwsKmsDsse),
        };
        let mut ok = sse == want.as_ref();
        if matches!(mode, Mode::SseKms | Mode::SseKmsBucketKey) {
            ok &= kms_key == Some(self.kms_key_arn.as_str());
        }
        ok &= (mode == Mode::SseKmsBucketKey) == bucket_key.unwrap_or(false);
        if mode == Mode::SseC {
            ok &= customer_md5 == Some(self.customer().1.as_str());
        }
        if !ok {
            self.problem(format!(
                "{what}: written {mode:?}, answer says {sse:?} key {kms_key:?} bucket key {bucket_key:?} customer {customer_md5:?}"
            ));
        }
    }

    async fn put(&mut self, n: u64, len: usize) {
        let mode = MODES[self.rng.below(MODES.len() as u64) as usize];
        let key = self.key_name(n);
        self.version += 1;
        self.sent.push((self.version, len));
        let data = Arc::new(body(self.id, self.version, len));
        let req = self
            .s3
            .put_object()
            .bucket(mode.bucket())
            .key(&key)
            .body(ByteStream::from(data.as_ref().clone()));
        match with_mode!(self, req, mode).send().await {
            Ok(out) => {
                self.check_sse(
                    &format!("PUT {key}"),
                    mode,
                    out.server_side_encryption(),
                    out.ssekms_key_id(),
                    out.bucket_key_enabled(),
                    out.sse_customer_key_md5(),
                );
                // A key lives in one bucket at a time in the model: writing it to the other
                // bucket leaves the old copy, which is then deleted.
                let other = if mode.bucket() == BUCKET {
                    PLAIN_BUCKET
                } else {
                    BUCKET
                };
                if self.model.contains_key(&(other, key.clone())) {
                    self.delete_in(other, &key).await;
                }
                self.model
                    .insert((mode.bucket(), key), Stored { mode, body: data });
            }
            Err(e) => self.problem(format!("PUT {key} {mode:?} {len} bytes: {}", describe(&e))),
        }
    }

    fn find(&self, key: &str) -> Option<(&'static str, Stored)> {
        [BUCKET, PLAIN_BUCKET]
            .into_iter()
            .find_map(|b| self.model.get(&(b, key.to_owned())).map(|s| (b, s.clone())))
    }

    async fn get(&mut self, n: u64) {
        let key = self.key_name(n);
        match self.find(&key) {
            Some((bucket, stored)) => {
                let req = self.s3.get_object().bucket(bucket).key(&key);
                match with_key_for!(self, req, stored.mode).send().await {
                    Ok(out) => {
                        self.check_sse(
                            &format!("GET {key}"),
                            stored.mode,
                            out.server_side_encryption(),
                            out.ssekms_key_id(),
                            out.bucket_key_enabled(),
                            out.sse_customer_key_md5(),
                        );
                        match out.body.collect().await {
                            Ok(b) if b.clone().into_bytes().as_ref() == stored.body.as_slice() => {}
                            Ok(b) => self.problem(format!(
                                "GET {key}: {} bytes that are not the {} written",
                                b.into_bytes().len(),
                                stored.body.len()
                            )),
                            Err(e) => self.problem(format!("GET {key}: body: {e}")),
                        }
                    }
                    Err(e) => self.problem(format!("GET {key}: {}", describe(&e))),
                }
            }
            None => match self.s3.get_object().bucket(BUCKET).key(&key).send().await {
                Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NoSuchKey") => {}
                Err(e) => self.problem(format!("GET absent {key}: {}", describe(&e))),
                Ok(_) => self.problem(format!("GET absent {key}: found")),
            },
        }
    }

    async fn head(&mut self, n: u64) {
        let key = self.key_name(n);
        let Some((bucket, stored)) = self.find(&key) else {
            return;
        };
        let req = self.s3.head_object().bucket(bucket).key(&key);
        match with_key_for!(self, req, stored.mode).send().await {
            Ok(out) => {
                self.check_sse(
                    &format!("HEAD {key}"),
                    stored.mode,
                    out.server_side_encryption(),
                    out.ssekms_key_id(),
                    out.bucket_key_enabled(),
                    out.sse_customer_key_md5(),
                );
                if out.content_length() != Some(stored.body.len() as i64) {
                    self.problem(format!(
                        "HEAD {key}: length {:?}, written {}",
                        out.content_length(),
                        stored.body.len()
                    ));
                }
            }
            Err(e) => self.problem(format!("HEAD {key}: {}", describe(&e))),
        }
    }

    async fn delete_in(&mut self, bucket: &'static str, key: &str) {
        match self.s3.delete_object().bucket(bucket).key(key).send().await {
            Ok(_) => {
                self.model.remove(&(bucket, key.to_owned()));
            }
            Err(e) => self.problem(format!("DELETE {bucket}/{key}: {}", describe(&e))),
        }
    }

    async fn delete(&mut self, n: u64) {
        let key = self.key_name(n);
        let bucket = self.find(&key).map_or(BUCKET, |(b, _)| b);
        self.delete_in(bucket, &key).await;
    }

    /// Copies one of the client's objects (not SSE-C, whose source needs its key) onto another
    /// of its keys, re-encrypted with SSE-S3.
    async fn copy(&mut self, from: u64, to: u64) {
        let (src, dst) = (self.key_name(from), self.key_name(to));
        let Some((BUCKET, stored)) = self.find(&src) else {
            return;
        };
        if stored.mode == Mode::SseC || from == to {
            return;
        }
        let result = self
            .s3
            .copy_object()
            .bucket(BUCKET)
            .key(&dst)
            .copy_source(format!("{BUCKET}/{src}"))
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await;
        match result {
            Ok(_) => {
                if self.model.contains_key(&(PLAIN_BUCKET, dst.clone())) {
                    self.delete_in(PLAIN_BUCKET, &dst).await;
                }
                self.model.insert(
                    (BUCKET, dst),
                    Stored {
                        mode: Mode::SseS3,
                        body: stored.body,
                    },
                );
            }
            Err(e) => self.problem(format!("COPY {src} -> {dst}: {}", describe(&e))),
        }
    }

    /// Lists the client's prefix in both buckets and compares with the model.
    async fn list(&mut self) {
        for bucket in [BUCKET, PLAIN_BUCKET] {
            let prefix = format!("c{:02}/", self.id);
            match list_all(&self.s3, bucket, &prefix).await {
                Ok(listed) => {
                    let believed: BTreeMap<String, i64> = self
                        .model
                        .iter()
                        .filter(|((b, _), _)| *b == bucket)
                        .map(|((_, k), s)| (k.clone(), s.body.len() as i64))
                        .collect();
                    if listed != believed {
                        self.problem(format!(
                            "LIST {bucket}/{prefix}: {listed:?}, the client wrote {believed:?}"
                        ));
                    }
                }
                Err(e) => self.problem(format!("LIST {bucket}/{prefix}: {e}")),
            }
        }
    }

    /// A multipart upload of `parts` (the last one may be small), completed; or, with `abort`,
    /// aborted after its first part.
    async fn multipart(&mut self, n: u64, parts: &[usize], abort: bool) {
        let key = self.key_name(n);
        // Unencrypted uploads would need the other bucket; multipart covers the encrypted modes.
        let mode = MODES[1 + self.rng.below(MODES.len() as u64 - 1) as usize];
        let create = with_mode!(
            self,
            self.s3.create_multipart_upload().bucket(BUCKET).key(&key),
            mode
        )
        .send()
        .await;
        let upload_id = match create {
            Ok(out) => out.upload_id().unwrap_or_default().to_owned(),
            Err(e) => {
                self.problem(format!("CreateMultipartUpload {key}: {}", describe(&e)));
                return;
            }
        };
        self.version += 1;
        let mut whole = Vec::new();
        let mut completed = Vec::new();
        for (i, &len) in parts.iter().enumerate() {
            let number = i as i32 + 1;
            self.sent.push((self.version * 100 + i as u64, len));
            let data = body(self.id, self.version * 100 + i as u64, len);
            whole.extend_from_slice(&data);
            let req = self
                .s3
                .upload_part()
                .bucket(BUCKET)
                .key(&key)
                .upload_id(&upload_id)
                .part_number(number)
                .body(ByteStream::from(data));
            match with_key_for!(self, req, mode).send().await {
                Ok(out) => completed.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .e_tag(out.e_tag().unwrap_or_default())
                        .build(),
                ),
                Err(e) => {
                    self.problem(format!("UploadPart {key} #{number}: {}", describe(&e)));
                    return;
                }
            }
            if abort {
                break;
            }
        }
        if abort {
            if let Err(e) = self
                .s3
                .abort_multipart_upload()
                .bucket(BUCKET)
                .key(&key)
                .upload_id(&upload_id)
                .send()
                .await
            {
                self.problem(format!("AbortMultipartUpload {key}: {}", describe(&e)));
            }
            return;
        }
        let done = self
            .s3
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await;
        match done {
            Ok(out) => {
                self.check_sse(
                    &format!("CompleteMultipartUpload {key}"),
                    mode,
                    out.server_side_encryption(),
                    out.ssekms_key_id(),
                    out.bucket_key_enabled(),
                    // CompleteMultipartUpload does not echo the SSE-C key MD5.
                    (mode == Mode::SseC).then(|| self.customer().1).as_deref(),
                );
                if self.model.contains_key(&(PLAIN_BUCKET, key.clone())) {
                    self.delete_in(PLAIN_BUCKET, &key).await;
                }
                self.model.insert(
                    (BUCKET, key),
                    Stored {
                        mode,
                        body: Arc::new(whole),
                    },
                );
            }
            Err(e) => self.problem(format!("CompleteMultipartUpload {key}: {}", describe(&e))),
        }
    }

    async fn run(mut self, deadline: Instant) -> Client {
        if self.id.is_multiple_of(16) {
            // A few clients upload one object with a full-size first part.
            self.multipart(KEYS_PER_CLIENT, &[5 * MIB, 1000], false)
                .await;
        }
        for _ in 0..OPS_PER_CLIENT {
            if Instant::now() >= deadline {
                break;
            }
            let n = self.rng.below(KEYS_PER_CLIENT);
            self.ops += 1;
            match self.rng.below(100) {
                0..=29 => {
                    let len = self.rng.below(4096) as usize;
                    self.put(n, len).await
                }
                30..=39 => {
                    let len = 64 * 1024 + self.rng.below(192 * 1024) as usize;
                    self.put(n, len).await
                }
                40..=59 => self.get(n).await,
                60..=64 => self.head(n).await,
                65..=74 => self.delete(n).await,
                75..=79 => {
                    let to = self.rng.below(KEYS_PER_CLIENT);
                    self.copy(n, to).await
                }
                80..=89 => self.list().await,
                90..=95 => {
                    let len = 1 + self.rng.below(20_000) as usize;
                    self.multipart(n, &[len], false).await
                }
                _ => self.multipart(n, &[1000, 1000], true).await,
            }
        }
        self.list().await;
        self
    }
}

/// Every key under `prefix` with its size, following continuation tokens (at most 100 pages).
async fn list_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        for o in page.contents() {
            out.insert(
                o.key().unwrap_or_default().to_owned(),
                o.size().unwrap_or(-1),
            );
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
    Err("more than 100 pages".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_of_mixed_operations_agree_with_their_models() {
    let seed: u64 = std::env::var("S3LAB_LOAD_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_10ad);
    let logs = LogBuffer::default();
    let writer = logs.clone();
    // s3lab's own crates at every level, as the curriculum's scan; the libraries under them (and
    // the SDK's clients) at `info`.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("s3lab=trace,info"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    // A folder that outlives the lab, for the scan after it stopped.
    let folder = tempfile::tempdir().expect("temp dir");
    let lab = TestLab::start_in(folder.path()).await;
    let admin = lab.s3_client("admin", true);
    // No retries: a failure the SDK would hide by trying again is still a failure.
    let s3 = aws_sdk_s3::Client::from_conf(
        admin
            .config()
            .to_builder()
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build(),
    );
    for b in [BUCKET, PLAIN_BUCKET] {
        s3.create_bucket().bucket(b).send().await.expect("bucket");
    }
    lab.app
        .s3()
        .set_history_unencrypted(PLAIN_BUCKET, true)
        .expect("unencrypted history");
    let kms = lab.kms_client("admin", true);
    let mut kms_keys = Vec::new();
    for _ in 0..4 {
        let md = kms
            .create_key()
            .send()
            .await
            .expect("key")
            .key_metadata
            .expect("md");
        kms_keys.push(md.arn.expect("arn"));
    }
    let started = Instant::now();
    let deadline = started + DEADLINE;
    let mut tasks = Vec::new();
    for id in 0..CLIENTS {
        let client = Client {
            id,
            s3: s3.clone(),
            kms_key_arn: kms_keys[id % kms_keys.len()].clone(),
            sse_c_key: [id as u8 ^ 0xa5; 32],
            rng: Rng(seed ^ (id as u64).wrapping_mul(0x1000_0000_01b3)),
            model: BTreeMap::new(),
            problems: Vec::new(),
            version: 0,
            ops: 0,
            sent: Vec::new(),
        };
        tasks.push(tokio::spawn(client.run(deadline)));
    }
    let mut problems = Vec::new();
    let mut ops = 0;
    let mut believed: BTreeMap<(&'static str, String), i64> = BTreeMap::new();
    let mut sse_c_keys = Vec::new();
    let mut sent = Vec::new();
    for t in tasks {
        let client = t.await.expect("client task");
        problems.extend(client.problems);
        ops += client.ops;
        sse_c_keys.push((client.id, client.sse_c_key));
        sent.extend(
            client
                .sent
                .iter()
                .map(|&(seed, len)| (client.id, seed, len)),
        );
        for ((b, k), s) in client.model {
            believed.insert((b, k), s.body.len() as i64);
        }
    }
    for bucket in [BUCKET, PLAIN_BUCKET] {
        let listed = list_all(&s3, bucket, "").await.expect("final listing");
        let want: BTreeMap<String, i64> = believed
            .iter()
            .filter(|((b, _), _)| *b == bucket)
            .map(|((_, k), n)| (k.clone(), *n))
            .collect();
        if listed != want {
            problems.push(format!(
                "final listing of {bucket}: {listed:?}\nclients believe: {want:?}"
            ));
        }
        let uploads = s3
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .expect("list uploads");
        if !uploads.uploads().is_empty() {
            problems.push(format!(
                "{bucket}: {} multipart uploads left in progress",
                uploads.uploads().len()
            ));
        }
    }
    let ran = started.elapsed();
    let data_dir = lab.data_dir.clone();
    lab.stop().await;

    let scanning = Instant::now();
    let log = logs.take();
    assert!(
        !log.is_empty(),
        "the servers logged nothing; the scan would prove nothing"
    );
    let mut scan = Scan::new();
    for (id, key) in &sse_c_keys {
        scan.key(format!("the SSE-C key of client {id}"), key);
    }
    let customer_keys: Vec<&[u8]> = sse_c_keys.iter().map(|(_, k)| k.as_slice()).collect();
    let service_keys = scan
        .service_keys(&data_dir, &customer_keys)
        .expect("the lab's keys");
    for &(id, seed, len) in &sent {
        scan.plaintext(
            format!("body {seed} of client {id} ({len} bytes)"),
            &body(id, seed, len),
        );
    }
    let report = scan
        .run(&data_dir, &[("the servers' log", &log)])
        .expect("secrets scan");
    problems.extend(report.findings.iter().map(|f| f.to_string()));
    // A scan that looked for nothing, or nowhere, would prove nothing.
    assert!(
        service_keys > CLIENTS && report.plaintexts > CLIENTS && report.files > CLIENTS,
        "the scan had too little to do: {} ({service_keys} of the lab's keys)",
        report.summary()
    );
    eprintln!(
        "{ops} operations in {ran:?}; secrets scan ({service_keys} of the lab's keys) in {:?}: {}",
        scanning.elapsed(),
        report.summary()
    );
    assert!(
        problems.is_empty(),
        "seed {seed} (S3LAB_LOAD_SEED), {} problems in {ops} operations after {:?}:\n{}",
        problems.len(),
        started.elapsed(),
        problems.join("\n")
    );
}
