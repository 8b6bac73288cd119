//! The secrets scan: after the whole curriculum has run, no secret is anywhere it should not be.
//!
//! Every scenario runs in its own lab with a data folder this test keeps, while every log line the
//! servers write — s3lab's crates at every level, `trace` included — is captured. Then the test
//! looks (with `s3lab_scenarios::scan`, which `s3lab scan-secrets` and the load test use too) for:
//!
//! - every key a scenario handled (SSE-C keys, client-side master and data keys) and every key the
//!   services hold (KMS key material, KMS data keys, bucket keys, data keys under S3's root key
//!   and SSE-C data keys), raw, as hex or as base64, in every file of the data folder, in the logs
//!   and in the transcript (where only steps that show a key on purpose may carry one); the
//!   SSE-S3 root keys and the key standing in for KMS's HSMs too, allowed in their own file only;
//! - every object body of 16 bytes or more that a scenario uploaded, in every file of the data
//!   folder except the blobs of objects stored unencrypted on purpose (the pre-2023 history
//!   switch), and in the logs.

use s3lab_scenarios::scan::{LogBuffer, Scan};
use s3lab_scenarios::{catalog, inspect, lab::Lab, run_keeping_secrets, LabOptions, DEFAULT_SEED};
use s3lab_transcript::{find_secrets, Event};

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
        let (transcript, secrets) = run_keeping_secrets(&lab, scenario).expect("runs");
        drop(lab);
        let log = logs.take();
        assert!(
            !log.is_empty(),
            "{}: the servers logged nothing; the scan would prove nothing",
            scenario.id
        );

        // The keys the scenario handled open the data keys of its SSE-C objects.
        let handled: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
        let service = inspect::service_keys(folder.path(), &handled).expect("service keys");
        let mut refs = handled.clone();
        refs.extend(service.iter().map(|k| k.key.as_slice()));
        for leak in find_secrets(&transcript, &refs) {
            findings.push(format!("{}: transcript: {leak}", scenario.id));
        }

        let mut scan = Scan::new();
        for (i, secret) in secrets.iter().enumerate() {
            scan.key(format!("secret #{i} the scenario handled"), secret);
        }
        for key in &service {
            scan.service_key(key);
        }
        for (i, body) in uploaded_bodies(&transcript).iter().enumerate() {
            scan.plaintext(format!("object body #{i} the scenario uploaded"), body);
        }
        let report = scan
            .run(folder.path(), &[("the servers' log", &log)])
            .expect("scan");
        scanned_files += report.files;
        for finding in &report.findings {
            findings.push(format!("{}: {finding}", scenario.id));
        }
    }
    assert!(
        scanned_files > 100,
        "only {scanned_files} files were scanned"
    );
    assert!(findings.is_empty(), "found:\n{}", findings.join("\n"));
}
