//! Client-side encryption (`s3lab-cse`) against the lab's S3 and KMS over HTTPS: the three
//! keyrings, V3 and V2, instruction files and multipart; what the server sees (ciphertext and
//! metadata, no key); the second lock of KMS; and a data folder that never holds the plaintext or
//! the master key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use http::Method;
use s3lab_client::{Endpoint, RequestSpec, Signing};
use s3lab_cse::transfer::{get_object, put_object};
use s3lab_cse::{
    CseClient, CseConfig, CseError, GetOptions, HttpKms, Keyring, KmsApi, KmsKeyring, Location,
    PutOptions, RawAesKeyring, RawRsaKeyring, S3Remote, StringMap,
};
use s3lab_e2e::{TestLab, REGION};
use s3lab_env::Entropy;

fn endpoint(lab: &TestLab) -> Endpoint {
    let addr = lab.server.as_ref().expect("server").https_addr;
    Endpoint::https(addr, &lab.ca_pem_path, REGION).expect("endpoint")
}

fn signing(lab: &TestLab, identity: &str) -> Signing {
    let id = lab.app.identities().by_name(identity).expect("identity");
    Signing::sigv4(id.access_key_id.clone(), id.secret_access_key.to_string())
}

fn remote(lab: &TestLab, identity: &str) -> S3Remote {
    S3Remote::new(endpoint(lab), signing(lab, identity))
}

fn kms(lab: &TestLab, identity: &str) -> Arc<dyn KmsApi> {
    Arc::new(HttpKms::new(endpoint(lab), signing(lab, identity)))
}

async fn kms_key(lab: &TestLab) -> String {
    lab.kms_client("admin", true)
        .create_key()
        .send()
        .await
        .expect("create key")
        .key_metadata()
        .expect("metadata")
        .key_id()
        .to_owned()
}

async fn bucket(lab: &TestLab, name: &str) {
    lab.s3_client("admin", true)
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("bucket");
}

fn client(keyring: Keyring, config: CseConfig) -> CseClient {
    CseClient::new(keyring, config, Entropy::seeded(2026)).expect("client")
}

fn ec(pairs: &[(&str, &str)]) -> StringMap {
    pairs.iter().copied().collect()
}

/// Every 16-byte window is unique, so any copy of the plaintext on disk is found.
fn marker_data(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut i: u64 = 0;
    while out.len() < n {
        out.extend_from_slice(format!("CLEAR{i:011}").as_bytes());
        i += 1;
    }
    out.truncate(n);
    out
}

async fn put(
    c: &CseClient,
    s3: &S3Remote,
    bucket: &str,
    key: &str,
    data: &[u8],
    options: &PutOptions,
) -> Result<s3lab_cse::PutReport, CseError> {
    put_object(
        c,
        s3,
        bucket,
        key,
        std::io::Cursor::new(data.to_vec()),
        data.len() as u64,
        options,
        None,
    )
    .await
}

async fn get(
    c: &CseClient,
    s3: &S3Remote,
    bucket: &str,
    key: &str,
    context: &StringMap,
) -> Result<Vec<u8>, CseError> {
    let mut out = Vec::new();
    get_object(
        c,
        s3,
        bucket,
        key,
        &mut out,
        &GetOptions {
            context: context.clone(),
            ..GetOptions::default()
        },
        None,
    )
    .await
    .map(|_| out)
}

#[tokio::test]
async fn kms_keyring_round_trips_v3_and_v2_and_the_server_sees_only_ciphertext() {
    let lab = TestLab::start().await;
    bucket(&lab, "cse").await;
    let key_id = kms_key(&lab).await;
    let s3 = remote(&lab, "admin");
    let purpose = ec(&[("purpose", "interop")]);
    let keyring = Keyring::Kms(KmsKeyring::new(kms(&lab, "admin"), Some(key_id.clone())));
    let reader = client(
        keyring.clone(),
        CseConfig {
            policy: s3lab_cse::CommitmentPolicy::RequireEncryptAllowDecrypt,
            ..CseConfig::default()
        },
    );
    for (name, config) in [("v3", CseConfig::default()), ("v2", CseConfig::v2())] {
        let writer = client(keyring.clone(), config);
        for size in [0usize, 1, 17, 150, 1024 * 1024 + 3] {
            let data = marker_data(size);
            let key = format!("{name}/{size}");
            let options = PutOptions {
                context: purpose.clone(),
                ..PutOptions::default()
            };
            let report = put(&writer, &s3, "cse", &key, &data, &options)
                .await
                .expect("put");
            assert_eq!(report.stored_len, size as u64 + 16);
            // The object as any plain S3 client sees it: ciphertext and the envelope metadata.
            let raw = lab
                .s3_client("admin", true)
                .get_object()
                .bucket("cse")
                .key(&key)
                .send()
                .await
                .expect("raw get");
            let meta = raw.metadata().cloned().unwrap_or_default();
            let body = raw.body.collect().await.expect("body").into_bytes();
            assert_eq!(body.len(), size + 16);
            let chunks: std::collections::HashSet<&[u8]> = data.chunks_exact(16).collect();
            assert!(
                !body.windows(16).any(|w| chunks.contains(w)),
                "plaintext in what the server holds"
            );
            if name == "v3" {
                assert_eq!(meta.get("x-amz-c").map(String::as_str), Some("115"));
                assert_eq!(meta.get("x-amz-w").map(String::as_str), Some("12"));
                assert_eq!(
                    meta.get("x-amz-t").map(String::as_str),
                    Some(r#"{"purpose": "interop", "aws:x-amz-cek-alg": "115"}"#)
                );
            } else {
                assert_eq!(
                    meta.get("x-amz-wrap-alg").map(String::as_str),
                    Some("kms+context")
                );
            }
            let back = get(&reader, &s3, "cse", &key, &purpose).await.expect("get");
            assert_eq!(back, data, "{key}");
        }
    }
    lab.stop().await;
}

#[tokio::test]
async fn raw_keyrings_instruction_files_and_multipart() {
    let lab = TestLab::start().await;
    bucket(&lab, "raw").await;
    let s3 = remote(&lab, "admin");
    let mut rng = Entropy::seeded(5);
    let rsa_key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("rsa");
    let keyrings = [
        Keyring::RawAes(RawAesKeyring::new([0x42; 32])),
        Keyring::RawRsa(Box::new(RawRsaKeyring::new(rsa_key))),
    ];
    for keyring in keyrings {
        for config in [CseConfig::default(), CseConfig::v2()] {
            let c = client(keyring.clone(), config);
            let relaxed = client(
                keyring.clone(),
                CseConfig {
                    policy: s3lab_cse::CommitmentPolicy::RequireEncryptAllowDecrypt,
                    ..CseConfig::default()
                },
            );
            for location in [Location::ObjectMetadata, Location::InstructionFile] {
                let key = format!("{}-{:?}-{location:?}", keyring.kind(), config.suite);
                let data = marker_data(70_001);
                let options = PutOptions {
                    location,
                    ..PutOptions::default()
                };
                let report = put(&c, &s3, "raw", &key, &data, &options)
                    .await
                    .expect("put");
                assert_eq!(
                    report.instruction_file.is_some(),
                    location == Location::InstructionFile
                );
                let back = get(&relaxed, &s3, "raw", &key, &StringMap::new())
                    .await
                    .expect("get");
                assert_eq!(back, data, "{key}");
            }
        }
    }
    // A multipart upload: one GCM stream across three parts, the tag on the last.
    let c = client(
        Keyring::RawAes(RawAesKeyring::new([0x42; 32])),
        CseConfig::default(),
    );
    let data = marker_data(11 * 1024 * 1024 + 5);
    let options = PutOptions {
        part_size: Some(5 * 1024 * 1024),
        ..PutOptions::default()
    };
    let report = put(&c, &s3, "raw", "big", &data, &options)
        .await
        .expect("put");
    assert_eq!(report.parts, 3);
    let head = lab
        .s3_client("admin", true)
        .head_object()
        .bucket("raw")
        .key("big")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(data.len() as i64 + 16));
    assert!(head.e_tag().unwrap_or("").contains("-3"));
    let back = get(&c, &s3, "raw", "big", &StringMap::new())
        .await
        .expect("get");
    assert!(back == data, "multipart object read back");

    // A ranged read: refused without the opt-in, AES-CTR with it.
    let mut out = Vec::new();
    let ranged = GetOptions {
        range: Some("bytes=1000003-1000100".into()),
        ..GetOptions::default()
    };
    let err = get_object(&c, &s3, "raw", "big", &mut out, &ranged, None)
        .await
        .expect_err("ranged without opt-in");
    assert!(matches!(err, CseError::LegacyDisabled(_)), "{err}");
    let legacy = CseClient {
        config: CseConfig {
            legacy_unauthenticated_modes: true,
            ..c.config
        },
        ..c.clone()
    };
    let report = get_object(&legacy, &s3, "raw", "big", &mut out, &ranged, None)
        .await
        .expect("ranged");
    assert!(!report.authenticated);
    assert_eq!(out, data[1_000_003..=1_000_100]);
    lab.stop().await;
}

#[tokio::test]
async fn tampering_and_wrong_keys_are_refused_and_nothing_is_written() {
    let lab = TestLab::start().await;
    bucket(&lab, "tamper").await;
    let s3 = remote(&lab, "admin");
    let c = client(
        Keyring::RawAes(RawAesKeyring::new([7; 32])),
        CseConfig::default(),
    );
    let data = marker_data(5000);
    put(&c, &s3, "tamper", "obj", &data, &PutOptions::default())
        .await
        .expect("put");
    // Tamper with the body through a plain S3 client, keeping the metadata.
    let sdk = lab.s3_client("admin", true);
    let raw = sdk
        .get_object()
        .bucket("tamper")
        .key("obj")
        .send()
        .await
        .expect("get");
    let meta = raw.metadata().cloned().unwrap_or_default();
    let mut body = raw
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec();
    body[100] ^= 1;
    sdk.put_object()
        .bucket("tamper")
        .key("obj")
        .set_metadata(Some(meta))
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("tampered put");
    let mut out = Vec::new();
    let err = get_object(
        &c,
        &s3,
        "tamper",
        "obj",
        &mut out,
        &GetOptions::default(),
        None,
    )
    .await
    .expect_err("tampered");
    assert!(matches!(err, CseError::AuthenticationFailed), "{err}");
    assert!(out.is_empty(), "no plaintext released before the tag");

    // The wrong master key.
    put(&c, &s3, "tamper", "obj2", &data, &PutOptions::default())
        .await
        .expect("put");
    let wrong = client(
        Keyring::RawAes(RawAesKeyring::new([8; 32])),
        CseConfig::default(),
    );
    let err = get(&wrong, &s3, "tamper", "obj2", &StringMap::new())
        .await
        .expect_err("wrong key");
    assert!(matches!(err, CseError::UnwrapFailed { .. }), "{err}");
    // Not an encrypted object at all.
    sdk.put_object()
        .bucket("tamper")
        .key("plain")
        .body(ByteStream::from_static(b"plain"))
        .send()
        .await
        .expect("plain put");
    let err = get(&c, &s3, "tamper", "plain", &StringMap::new())
        .await
        .expect_err("plain");
    assert!(matches!(err, CseError::NotEncrypted), "{err}");
    lab.stop().await;
}

#[tokio::test]
async fn kms_is_a_second_lock_the_reader_identity_cannot_open() {
    let lab = TestLab::start().await;
    bucket(&lab, "lock").await;
    let key_id = kms_key(&lab).await;
    let writer = client(
        Keyring::Kms(KmsKeyring::new(kms(&lab, "admin"), Some(key_id.clone()))),
        CseConfig::default(),
    );
    put(
        &writer,
        &remote(&lab, "admin"),
        "lock",
        "k",
        b"for admins",
        &PutOptions::default(),
    )
    .await
    .expect("put");
    // `reader` may GET the object from S3, but not use the KMS key.
    let reader = client(
        Keyring::Kms(KmsKeyring::new(kms(&lab, "reader"), None)),
        CseConfig::default(),
    );
    let err = get(
        &reader,
        &remote(&lab, "reader"),
        "lock",
        "k",
        &StringMap::new(),
    )
    .await
    .expect_err("reader");
    match &err {
        CseError::Kms { code, .. } => assert_eq!(code, "AccessDeniedException", "{err}"),
        other => panic!("{other}"),
    }
    // Without naming a key id, KMS finds it from the blob.
    let discovery = client(
        Keyring::Kms(KmsKeyring::new(kms(&lab, "admin"), None)),
        CseConfig::default(),
    );
    let back = get(
        &discovery,
        &remote(&lab, "admin"),
        "lock",
        "k",
        &StringMap::new(),
    )
    .await
    .expect("admin reads");
    assert_eq!(back, b"for admins");
    lab.stop().await;
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn the_data_folder_never_holds_the_plaintext_or_the_master_key() {
    let lab = TestLab::start().await;
    bucket(&lab, "vault").await;
    // A bucket that stores objects as they come (S3 before 2023): even so, only ciphertext.
    bucket(&lab, "old").await;
    let admin = s3lab_client::send(
        &endpoint(&lab),
        &RequestSpec::new(Method::PUT, "/_s3lab/buckets/old/history-unencrypted").body("true"),
        &signing(&lab, "admin"),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("admin");
    assert!((200..300).contains(&admin.status), "{}", admin.text());

    let master = [0x5au8; 32];
    let s3 = remote(&lab, "admin");
    let c = client(
        Keyring::RawAes(RawAesKeyring::new(master)),
        CseConfig::default(),
    );
    let data = marker_data(300_000);
    for (b, location) in [
        ("vault", Location::ObjectMetadata),
        ("old", Location::ObjectMetadata),
        ("old", Location::InstructionFile),
    ] {
        let key = format!("secret-{location:?}");
        put(
            &c,
            &s3,
            b,
            &key,
            &data,
            &PutOptions {
                location,
                ..PutOptions::default()
            },
        )
        .await
        .expect("put");
        assert_eq!(
            get(&c, &s3, b, &key, &StringMap::new()).await.expect("get"),
            data
        );
    }
    // A plain upload to the history-unencrypted bucket is on disk in the clear: the check works.
    lab.s3_client("admin", true)
        .put_object()
        .bucket("old")
        .key("canary")
        .body(ByteStream::from_static(b"CANARY-IN-THE-CLEAR-0123456789"))
        .send()
        .await
        .expect("canary");

    let hex_key = hex::encode(master);
    let chunks: std::collections::HashSet<&[u8]> = data.chunks_exact(16).collect();
    let mut canary_seen = false;
    for path in files(&lab.data_dir) {
        let bytes = std::fs::read(&path).expect("read");
        canary_seen |= bytes
            .windows(30)
            .any(|w| w == b"CANARY-IN-THE-CLEAR-0123456789");
        assert!(
            !bytes.windows(16).any(|w| chunks.contains(w)),
            "plaintext in {}",
            path.display()
        );
        assert!(
            !s3lab_cse::lessons::contains_secret(&bytes, &master),
            "the master key in {}",
            path.display()
        );
        assert!(!String::from_utf8_lossy(&bytes).contains(&hex_key));
    }
    assert!(canary_seen, "the scan reads the stored objects");
    lab.stop().await;
}
