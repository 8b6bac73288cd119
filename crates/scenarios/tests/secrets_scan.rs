//! The secrets scan: after the whole curriculum has run, no secret is anywhere it should not be.
//!
//! Every scenario runs in its own lab with a data folder this test keeps, while every log line the
//! servers write — s3lab's crates at every level, `trace` included — is captured. Then the test looks for:
//!
//! - every key a scenario handled (SSE-C keys, client-side master and data keys) and every key the
//!   services hold (KMS key material, KMS data keys, bucket keys, data keys under S3's root key),
//!   raw, as hex or as base64, in every file of the data folder, in the logs and in the transcript
//!   (where only steps that show a key on purpose may carry one);
//! - every object body of 16 bytes or more that a scenario uploaded, in every file of the data
//!   folder except the blobs of objects stored unencrypted on purpose (the pre-2023 history
//!   switch), and in the logs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use s3lab_scenarios::{catalog, inspect, lab::Lab, run_keeping_secrets, LabOptions, DEFAULT_SEED};
use s3lab_transcript::{find_secrets, Event};

/// Every line the servers log, at every level.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Whether `secret` is in `haystack` raw, as hex, or as base64 at any of the three alignments.
fn reveals(haystack: &[u8], secret: &[u8]) -> bool {
    if s3lab_cse::lessons::contains_secret(haystack, secret) {
        return true;
    }
    use base64::Engine as _;
    // base64 of the secret starting 1 or 2 bytes into a 3-byte group: drop the unstable ends.
    (1..3).any(|pad| {
        let mut shifted = vec![0u8; pad];
        shifted.extend_from_slice(secret);
        let text = base64::engine::general_purpose::STANDARD.encode(&shifted);
        let core = &text.as_bytes()[4..text.len().saturating_sub(4)];
        core.len() >= 16 && haystack.windows(core.len()).any(|w| w == core)
    })
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The bodies of the object PUTs of a transcript (`PUT /bucket/key` without a query), 16 bytes or
/// more, as the transcript shows them.
fn uploaded_bodies(transcript: &s3lab_transcript::Transcript) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for step in &transcript.steps {
        for event in &step.events {
            let Event::Exchange(x) = event else { continue };
            let line = &x.request.start_line;
            let Some(path) = line.strip_prefix("PUT ").and_then(|r| r.split(' ').next()) else {
                continue;
            };
            let object_put = !path.contains('?') && path.trim_start_matches('/').contains('/');
            // A body cut short in the preview is searched for by its beginning.
            let body = x.request.body.shown_bytes();
            if object_put && body.len() >= 16 {
                out.push(body);
            }
        }
    }
    out
}

/// The blob files of objects stored unencrypted on purpose.
fn unencrypted_blobs(lab: &Lab) -> Vec<PathBuf> {
    let s3 = lab.app().s3();
    let mut out = Vec::new();
    for bucket in s3.list_buckets().expect("buckets") {
        for key in s3.inspect_keys(&bucket.name) {
            let meta = s3.inspect_object(&bucket.name, &key).expect("meta");
            if meta.encryption.get("mode").and_then(|m| m.as_str()) == Some("none") {
                let (_, blobs) = s3.object_paths(&bucket.name, &key).expect("paths");
                out.extend(blobs);
            }
        }
    }
    out
}

#[test]
fn no_secret_and_no_plaintext_is_left_in_data_folders_logs_or_transcripts() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    // s3lab's own crates at every level; the libraries under them (hyper, rustls) at `info`,
    // since their trace output is byte-level protocol chatter that would only slow the scan.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("s3lab=trace,info"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let mut findings = Vec::new();
    let mut scanned_files = 0usize;
    for scenario in catalog() {
        let folder = tempfile::tempdir().expect("temp dir");
        let lab = Lab::start(LabOptions {
            seed: Some(DEFAULT_SEED),
            data_dir: Some(folder.path().to_path_buf()),
            block_sse_c_for_new_buckets: true,
        })
        .expect("lab");
        let (transcript, mut secrets) = run_keeping_secrets(&lab, scenario).expect("runs");
        secrets.extend(inspect::all_service_keys(&lab).expect("service keys"));
        let bodies = uploaded_bodies(&transcript);
        let plain_blobs = unencrypted_blobs(&lab);
        drop(lab);
        let log = logs.take();
        assert!(
            !log.is_empty(),
            "{}: the servers logged nothing; the scan would prove nothing",
            scenario.id
        );

        let refs: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
        for leak in find_secrets(&transcript, &refs) {
            findings.push(format!("{}: transcript: {leak}", scenario.id));
        }
        for (i, secret) in secrets.iter().enumerate() {
            if reveals(&log, secret) {
                findings.push(format!("{}: logs hold secret #{i}", scenario.id));
            }
        }
        for (i, body) in bodies.iter().enumerate() {
            if log.windows(body.len()).any(|w| w == body.as_slice()) {
                findings.push(format!("{}: logs hold object body #{i}", scenario.id));
            }
        }
        for file in files_under(folder.path()) {
            scanned_files += 1;
            let bytes = std::fs::read(&file).expect("read");
            let name = file
                .strip_prefix(folder.path())
                .unwrap_or(&file)
                .display()
                .to_string();
            for (i, secret) in secrets.iter().enumerate() {
                if reveals(&bytes, secret) {
                    findings.push(format!("{}: {name} holds secret #{i}", scenario.id));
                }
            }
            if plain_blobs.contains(&file) {
                continue;
            }
            for (i, body) in bodies.iter().enumerate() {
                if bytes.windows(body.len()).any(|w| w == body.as_slice()) {
                    findings.push(format!("{}: {name} holds object body #{i}", scenario.id));
                }
            }
        }
    }
    assert!(
        scanned_files > 100,
        "only {scanned_files} files were scanned"
    );
    assert!(findings.is_empty(), "found:\n{}", findings.join("\n"));
}

#[test]
fn the_scanner_finds_a_key_at_every_base64_alignment() {
    use base64::Engine as _;
    let key = [7u8; 32];
    for pad in 0..3 {
        let mut data = vec![1u8; pad];
        data.extend_from_slice(&key);
        let text = base64::engine::general_purpose::STANDARD.encode(&data);
        assert!(reveals(text.as_bytes(), &key), "alignment {pad}");
    }
    assert!(reveals(hex::encode(key).as_bytes(), &key));
    assert!(!reveals(b"nothing to see here, nothing at all", &key));
}
