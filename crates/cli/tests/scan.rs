//! `s3lab scan-secrets` as a learner runs it: the real binary on the data folder of a real lab,
//! which holds an SSE-C object and an SSE-KMS one. Clean, it exits 0 with its summary; with a key
//! or a plaintext planted in the folder or in a log, it exits 1 and names each finding; when it
//! cannot look, it exits 2.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use http::Method;
use md5::Digest as _;
use s3lab_client::RequestSpec;
use s3lab_scenarios::inspect::{self, KeyKind};
use s3lab_scenarios::{lab::Lab, LabOptions};
use s3lab_transcript::Transport;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SSE_C_KEY: [u8; 32] = *b"my very own SSE-C key, 32 bytes!";
const SECRET_TEXT: &[u8] = b"Quarterly numbers: nobody may read these in the clear.\n";
const KMS_TEXT: &[u8] = b"Stored with SSE-KMS under the AWS managed key aws/s3.\n";

fn scan(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3lab"));
    cmd.arg("scan-secrets").env_remove("RUST_LOG");
    for a in args {
        cmd.arg(a);
    }
    cmd.output().expect("could not run s3lab")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A lab on `dir` with bucket `scan` holding `c.txt` (SSE-C) and `k.txt` (SSE-KMS), stopped.
fn lab_with_objects(dir: &Path) {
    let lab = Lab::start(LabOptions {
        seed: Some(7),
        data_dir: Some(dir.to_path_buf()),
        block_sse_c_for_new_buckets: false,
    })
    .expect("the lab starts");
    let send = |spec: RequestSpec| {
        let response = lab
            .send_quietly(Transport::Https, Some("admin"), &spec)
            .expect("sent");
        assert_eq!(response.status, 200, "{}", response.text());
    };
    send(RequestSpec::new(Method::PUT, "/scan"));
    send(
        RequestSpec::new(Method::PUT, "/scan/c.txt")
            .header("x-amz-server-side-encryption-customer-algorithm", "AES256")
            .header(
                "x-amz-server-side-encryption-customer-key",
                B64.encode(SSE_C_KEY),
            )
            .header(
                "x-amz-server-side-encryption-customer-key-md5",
                B64.encode(md5::Md5::digest(SSE_C_KEY)),
            )
            .body(SECRET_TEXT.to_vec()),
    );
    send(
        RequestSpec::new(Method::PUT, "/scan/k.txt")
            .header("x-amz-server-side-encryption", "aws:kms")
            .body(KMS_TEXT.to_vec()),
    );
}

#[test]
fn a_clean_folder_passes_and_a_planted_key_or_plaintext_fails() {
    let data = tempfile::tempdir().expect("temp dir");
    lab_with_objects(data.path());
    let files = tempfile::tempdir().expect("temp dir");
    let key_file = files.path().join("ssec.key");
    std::fs::write(&key_file, SSE_C_KEY).expect("key file");
    let text_file = files.path().join("secret.txt");
    std::fs::write(&text_file, SECRET_TEXT).expect("text file");
    let log = files.path().join("server.log");
    std::fs::write(&log, "INFO s3lab_server: PUT /scan/c.txt 200\n").expect("log");
    let args: [&dyn AsRef<std::ffi::OsStr>; 7] = [
        &data.path(),
        &"--secret-file",
        &key_file,
        &"--plaintext-file",
        &text_file,
        &"--log",
        &log,
    ];

    // Clean: the service keys it derived (KMS key material, the SSE-KMS data key, the SSE-C
    // object's data key opened with ssec.key, the root keys) and the two files are nowhere.
    let out = scan(&args);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.ends_with("plaintext: nothing found\n"), "{text}");
    assert!(text.starts_with("scanned "), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");

    // The data key of the SSE-C object (which only ssec.key opens) as hex in a file of the
    // folder, the SSE-C key as base64 in the log, and the plaintext in a file of the folder.
    let keys = inspect::service_keys(data.path(), &[&SSE_C_KEY]).expect("keys");
    let data_key = keys
        .iter()
        .find(|k| k.kind == KeyKind::CustomerWrappedDataKey)
        .expect("the SSE-C object's data key");
    std::fs::write(
        data.path().join("s3/notes.txt"),
        format!("debug: dek={}\n", hex(&data_key.key)),
    )
    .expect("plant");
    std::fs::write(
        &log,
        format!("TRACE s3lab_s3: key {}\n", B64.encode(SSE_C_KEY)),
    )
    .expect("plant");
    let mut copy = b"cached: ".to_vec();
    copy.extend_from_slice(SECRET_TEXT);
    std::fs::write(data.path().join("kms/cache.bin"), copy).expect("plant");

    let out = scan(&args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines.contains(&format!(
            "kms/cache.bin holds bytes 0..32 (of {}) of the contents of {}, as raw bytes, at byte 8.",
            SECRET_TEXT.len(),
            text_file.display()
        )
        .as_str()),
        "{text}"
    );
    assert!(
        lines.contains(
            &"s3/notes.txt holds the data key of s3://scan/c.txt (SSE-C), as hex, at byte 11."
        ),
        "{text}"
    );
    assert!(
        lines.contains(
            &format!(
                "{} holds the key in {}, as base64, at byte 20.",
                log.display(),
                key_file.display()
            )
            .as_str()
        ),
        "{text}"
    );
    assert!(lines[3].ends_with(": 3 findings"), "{text}");
}

#[test]
fn a_folder_that_is_not_there_or_a_short_key_is_an_error_with_status_2() {
    let out = scan(&[&"/nonexistent/s3lab-data"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));

    let data = tempfile::tempdir().expect("temp dir");
    let short = data.path().join("short.key");
    std::fs::write(&short, "c2VjcmV0\n").expect("key");
    let out = scan(&[&data.path(), &"--secret-file", &short]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds 9 bytes"), "{err}");
}
