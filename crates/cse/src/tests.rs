//! Unit tests: the shared vectors (made with the official Python client), every refusal the
//! issue lists, the raw keyrings, the legacy formats behind their opt-in, and the lessons.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use base64::Engine as _;
use s3lab_env::Entropy;
use zeroize::Zeroizing;

use crate::keyring::BoxFuture;
use crate::metadata::{self, INSTRUCTION_SUFFIX};
use crate::*;

fn b64d(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The vectors made with the official Python client, kept in the crate (`vectors/s3ec`).
fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors/s3ec")
}

fn load(name: &str) -> serde_json::Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn metadata_of(v: &serde_json::Value) -> MetadataMap {
    v["metadata"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn key_of(hex_str: &str) -> [u8; 32] {
    hex::decode(hex_str)
        .ok()
        .and_then(|v| v.try_into().ok())
        .unwrap_or([0; 32])
}

/// Decrypts with the known data key, then encrypts again with the same data key, wrapped key
/// and IV or message id, and expects the same body and metadata byte for byte.
fn decrypt_and_reencrypt(
    metadata: &MetadataMap,
    data_key: &[u8; 32],
    ciphertext: &[u8],
    plaintext: &[u8],
) {
    let env = Envelope::parse(metadata, None).unwrap_or_else(|e| panic!("parse: {e}"));
    let key = content_key(&env, data_key).unwrap_or_else(|e| panic!("open: {e}"));
    let pt = key
        .decrypt_all(ciphertext)
        .unwrap_or_else(|e| panic!("decrypt: {e}"));
    assert_eq!(pt.as_slice(), plaintext);

    let wrapped = WrappedDataKey {
        plaintext: Zeroizing::new(*data_key),
        encrypted: env.encrypted_data_key.clone(),
        wrap: env.wrap,
        context: env.context.clone(),
    };
    let (env2, mut enc) = encryption_with(
        env.suite,
        wrapped,
        env.nonce.clone(),
        Location::ObjectMetadata,
    )
    .unwrap_or_else(|e| panic!("encrypt: {e}"));
    let mut body = plaintext.to_vec();
    for piece in body.chunks_mut(7) {
        enc.update(piece).unwrap_or_else(|e| panic!("{e}"));
    }
    body.extend_from_slice(&enc.finish());
    let sealed = seal(env2, body);
    assert_eq!(sealed.body, ciphertext, "ciphertext byte for byte");
    assert_eq!(&sealed.metadata, metadata, "metadata byte for byte");
}

#[test]
fn the_v3_vector_decrypts_and_reencrypts_byte_for_byte() {
    let v = load("vectors.json");
    let v3 = &v["v3"];
    let meta = metadata_of(v3);
    let dk = key_of(v3["data_key_hex"].as_str().unwrap_or(""));
    let mid = hex::decode(v3["message_id_hex"].as_str().unwrap_or("")).unwrap_or_default();
    let (dek, commit) = crypto::derive_v3(&dk, &mid);
    assert_eq!(
        hex::encode(dek.as_ref()),
        v3["derived_key_hex"].as_str().unwrap_or("-")
    );
    assert_eq!(
        hex::encode(commit),
        v3["commitment_hex"].as_str().unwrap_or("-")
    );
    let ct = hex::decode(v3["ciphertext_hex"].as_str().unwrap_or("")).unwrap_or_default();
    decrypt_and_reencrypt(
        &meta,
        &dk,
        &ct,
        v3["plaintext_utf8"].as_str().unwrap_or("-").as_bytes(),
    );
}

#[test]
fn the_v2_vector_decrypts_and_reencrypts_byte_for_byte() {
    let v = load("vectors.json");
    let v2 = &v["v2"];
    let meta = metadata_of(v2);
    let env = Envelope::parse(&meta, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        hex::encode(&env.nonce),
        v2["iv_hex"].as_str().unwrap_or("-")
    );
    let dk = key_of(v2["data_key_hex"].as_str().unwrap_or(""));
    let ct = hex::decode(v2["ciphertext_hex"].as_str().unwrap_or("")).unwrap_or_default();
    decrypt_and_reencrypt(
        &meta,
        &dk,
        &ct,
        v2["plaintext_utf8"].as_str().unwrap_or("-").as_bytes(),
    );
}

#[test]
fn the_official_clients_objects_decrypt_with_their_data_keys() {
    for name in ["py-v3.json", "py-v2.json", "py-v3-empty.json"] {
        let v = load(name);
        let meta = metadata_of(&v);
        let dk = key_of(v["data_key_hex"].as_str().unwrap_or(""));
        let ct = b64d(v["ciphertext_b64"].as_str().unwrap_or(""));
        let pt = b64d(v["plaintext_b64"].as_str().unwrap_or(""));
        assert_eq!(ct.len(), pt.len() + 16, "{name}: body = plaintext + tag");
        decrypt_and_reencrypt(&meta, &dk, &ct, &pt);
    }
}

// --- a KMS in memory, to test the keyring's context rules -------------------------------------

/// A blob, its data key, and the context it is bound to.
type Issued = (Vec<u8>, [u8; 32], StringMap);

/// Binds the context by remembering it with the blob, as a real KMS binds it cryptographically.
#[derive(Default)]
struct MemoryKms {
    keys: Mutex<Vec<Issued>>,
    calls: Mutex<Vec<String>>,
}

impl KmsApi for MemoryKms {
    fn generate_data_key<'a>(
        &'a self,
        key_id: &'a str,
        context: &'a StringMap,
    ) -> BoxFuture<'a, Result<GeneratedDataKey>> {
        Box::pin(async move {
            let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            let dk: [u8; 32] = Entropy::seeded(keys.len() as u64).array();
            let blob = format!("blob-{key_id}-{}", keys.len()).into_bytes();
            keys.push((blob.clone(), dk, context.clone()));
            self.calls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("GenerateDataKey {}", context.to_json()));
            Ok(GeneratedDataKey {
                plaintext: Zeroizing::new(dk.to_vec()),
                ciphertext_blob: blob,
                key_id: key_id.to_owned(),
            })
        })
    }

    fn decrypt<'a>(
        &'a self,
        _key_id: Option<&'a str>,
        blob: &'a [u8],
        context: &'a StringMap,
    ) -> BoxFuture<'a, Result<Zeroizing<Vec<u8>>>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("Decrypt {}", context.to_json()));
            let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            match keys.iter().find(|(b, _, c)| b == blob && c == context) {
                Some((_, dk, _)) => Ok(Zeroizing::new(dk.to_vec())),
                None => Err(CseError::Kms {
                    operation: "Decrypt",
                    code: "InvalidCiphertextException".into(),
                    message: String::new(),
                }),
            }
        })
    }
}

fn kms_client(kms: &Arc<MemoryKms>, config: CseConfig) -> CseClient {
    let api: Arc<dyn KmsApi> = kms.clone();
    CseClient::new(
        Keyring::Kms(KmsKeyring::new(api, Some("key-1".into()))),
        config,
        Entropy::seeded(7),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn ec(pairs: &[(&str, &str)]) -> StringMap {
    pairs.iter().copied().collect()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(f)
}

async fn read_back(
    client: &CseClient,
    obj: &EncryptedObject,
    context: &StringMap,
) -> Result<Zeroizing<Vec<u8>>> {
    client
        .decrypt(
            &obj.metadata,
            obj.instruction_file.as_deref(),
            &obj.body,
            context,
        )
        .await
}

#[test]
fn kms_round_trips_v3_and_v2_with_the_official_metadata() {
    block_on(async {
        let kms = Arc::new(MemoryKms::default());
        let purpose = ec(&[("purpose", "interop")]);
        for config in [CseConfig::default(), CseConfig::v2()] {
            let c = kms_client(&kms, config);
            for size in [0usize, 1, 15, 16, 17, 150, 70_000] {
                let pt: Vec<u8> = (0..size).map(|i| (i % 256) as u8).collect();
                let obj = c
                    .encrypt(&pt, &purpose, Location::ObjectMetadata)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(obj.body.len(), size + 16);
                let back = read_back(&c, &obj, &purpose)
                    .await
                    .unwrap_or_else(|e| panic!("{config:?} {size}: {e}"));
                assert_eq!(back.as_slice(), pt.as_slice());
            }
        }
        let v3 = kms_client(&kms, CseConfig::default())
            .encrypt(b"x", &purpose, Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = v3.metadata.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["x-amz-3", "x-amz-c", "x-amz-d", "x-amz-i", "x-amz-t", "x-amz-w"]
        );
        assert_eq!(v3.metadata["x-amz-w"], "12");
        assert_eq!(
            v3.metadata["x-amz-t"],
            r#"{"purpose": "interop", "aws:x-amz-cek-alg": "115"}"#
        );
        let v2 = kms_client(&kms, CseConfig::v2())
            .encrypt(b"x", &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = v2.metadata.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "x-amz-cek-alg",
                "x-amz-iv",
                "x-amz-key-v2",
                "x-amz-matdesc",
                "x-amz-tag-len",
                "x-amz-wrap-alg"
            ]
        );
        assert_eq!(
            v2.metadata["x-amz-matdesc"],
            r#"{"aws:x-amz-cek-alg": "AES/GCM/NoPadding"}"#
        );
    });
}

#[test]
fn kms_context_rules_are_enforced_before_kms_is_asked() {
    block_on(async {
        let kms = Arc::new(MemoryKms::default());
        let c = kms_client(&kms, CseConfig::default());
        let purpose = ec(&[("purpose", "interop")]);
        let obj = c
            .encrypt(b"secret", &purpose, Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let calls_before = kms.calls.lock().map(|c| c.len()).unwrap_or(0);
        // Missing, wrong and extra contexts.
        for given in [
            StringMap::new(),
            ec(&[("purpose", "other")]),
            ec(&[("purpose", "interop"), ("team", "x")]),
        ] {
            match read_back(&c, &obj, &given).await {
                Err(CseError::ContextMismatch(_)) => {}
                other => panic!("{given:?}: {other:?}"),
            }
        }
        // The reserved key, on read and on write.
        let reserved = ec(&[("purpose", "interop"), (RESERVED_CEK_ALG, "115")]);
        assert!(matches!(
            read_back(&c, &obj, &reserved).await,
            Err(CseError::ReservedContextKey(_))
        ));
        assert!(matches!(
            c.encrypt(b"x", &reserved, Location::ObjectMetadata).await,
            Err(CseError::ReservedContextKey(_))
        ));
        assert_eq!(
            kms.calls.lock().map(|c| c.len()).unwrap_or(0),
            calls_before,
            "no KMS call for a refused context"
        );
        // A swapped aws:x-amz-cek-alg in the stored context (downgrade attempt).
        let mut tampered = obj.clone();
        tampered.metadata.insert(
            "x-amz-t".into(),
            r#"{"purpose": "interop", "aws:x-amz-cek-alg": "AES/GCM/NoPadding"}"#.into(),
        );
        assert!(matches!(
            read_back(&c, &tampered, &purpose).await,
            Err(CseError::ContextAlgorithmMismatch { .. })
        ));
        // Non-ASCII contexts are refused on both sides.
        assert!(matches!(
            c.encrypt(b"x", &ec(&[("k", "é")]), Location::ObjectMetadata)
                .await,
            Err(CseError::NonAsciiContext(_))
        ));
    });
}

#[test]
fn tampering_is_refused_with_a_typed_error() {
    block_on(async {
        let kms = Arc::new(MemoryKms::default());
        let c = kms_client(&kms, CseConfig::default());
        let e = StringMap::new();
        let obj = c
            .encrypt(b"attack at dawn", &e, Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // A flipped commitment bit: refused before any content decryption.
        let mut t = obj.clone();
        let mut d = b64d(&t.metadata["x-amz-d"]);
        d[0] ^= 1;
        t.metadata.insert("x-amz-d".into(), b64e(&d));
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::CommitmentMismatch)
        ));

        // A flipped body byte.
        let mut t = obj.clone();
        t.body[2] ^= 0x80;
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::AuthenticationFailed)
        ));

        // A flipped tag byte, and a truncated body.
        let mut t = obj.clone();
        let last = t.body.len() - 1;
        t.body[last] ^= 1;
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::AuthenticationFailed)
        ));
        let mut t = obj.clone();
        t.body.truncate(5);
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::Truncated { len: 5, tag: 16 })
        ));

        // Both x-amz-key-v2 and x-amz-3.
        let mut t = obj.clone();
        t.metadata
            .insert("x-amz-key-v2".into(), t.metadata["x-amz-3"].clone());
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::MixedFormats(_))
        ));

        // Unknown wrapping and content algorithms.
        let mut t = obj.clone();
        t.metadata.insert("x-amz-w".into(), "99".into());
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::UnknownWrapAlgorithm(w)) if w == "99"
        ));
        let mut t = obj.clone();
        t.metadata.insert("x-amz-c".into(), "116".into());
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::UnknownContentAlgorithm(v)) if v == "116"
        ));

        // Bad base64, bad JSON, all-zero and short message ids.
        let mut t = obj.clone();
        t.metadata.insert("x-amz-i".into(), "not base64!".into());
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::Base64 { key: "x-amz-i" })
        ));
        let mut t = obj.clone();
        t.metadata.insert("x-amz-t".into(), "{\"a\": ".into());
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::Json { .. })
        ));
        let mut t = obj.clone();
        t.metadata.insert("x-amz-i".into(), b64e(&[0u8; 28]));
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::ZeroNonce { key: "x-amz-i" })
        ));
        let mut t = obj.clone();
        t.metadata.insert("x-amz-i".into(), b64e(&[1u8; 12]));
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::Length {
                key: "x-amz-i",
                len: 12,
                expected: 28
            })
        ));
        // A missing key.
        let mut t = obj.clone();
        t.metadata.remove("x-amz-d");
        assert!(matches!(
            read_back(&c, &t, &e).await,
            Err(CseError::Missing("x-amz-d"))
        ));
        // No S3EC metadata at all.
        assert!(matches!(
            c.decrypt(&MetadataMap::new(), None, b"plain", &e).await,
            Err(CseError::NotEncrypted)
        ));
    });
}

#[test]
fn v2_tampering_and_policies() {
    block_on(async {
        let kms = Arc::new(MemoryKms::default());
        let writer = kms_client(&kms, CseConfig::v2());
        let e = StringMap::new();
        let obj = writer
            .encrypt(b"v2 object", &e, Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // The strictest policy refuses V2.
        let strict = kms_client(&kms, CseConfig::default());
        assert!(matches!(
            read_back(&strict, &obj, &e).await,
            Err(CseError::PolicyForbidsDecrypt { .. })
        ));
        let relaxed = kms_client(
            &kms,
            CseConfig {
                policy: CommitmentPolicy::RequireEncryptAllowDecrypt,
                ..CseConfig::default()
            },
        );
        assert!(read_back(&relaxed, &obj, &e).await.is_ok());
        // A policy that contradicts the suite is refused at construction.
        assert!(matches!(
            CseClient::new(
                Keyring::RawAes(RawAesKeyring::new([1; 32])),
                CseConfig {
                    suite: AlgorithmSuite::AesGcmV2,
                    ..CseConfig::default()
                },
                Entropy::seeded(1)
            ),
            Err(CseError::PolicyForbidsEncrypt { .. })
        ));
        for (key, value, want) in [
            ("x-amz-tag-len", "96", "TagLength"),
            (
                "x-amz-cek-alg",
                "AES/CTR/NoPadding",
                "UnknownContentAlgorithm",
            ),
            ("x-amz-wrap-alg", "ROT13", "UnknownWrapAlgorithm"),
            ("x-amz-iv", "AAAAAAAAAAAAAAAA", "ZeroNonce"),
            ("x-amz-matdesc", "[1]", "Json"),
            ("x-amz-key-v2", "%%%", "Base64"),
        ] {
            let mut t = obj.clone();
            t.metadata.insert(key.into(), value.into());
            let name = match read_back(&relaxed, &t, &e).await {
                Err(err) => format!("{err:?}"),
                Ok(_) => "Ok".into(),
            };
            assert!(name.starts_with(want), "{key}={value}: {name}");
        }
        // V2 with V3 content keys beside it.
        let mut t = obj.clone();
        t.metadata.insert("x-amz-d".into(), b64e(&[1u8; 28]));
        assert!(matches!(
            read_back(&relaxed, &t, &e).await,
            Err(CseError::Contradictory(_))
        ));
    });
}

#[test]
fn instruction_files_hold_what_the_format_says() {
    block_on(async {
        let kms = Arc::new(MemoryKms::default());
        let purpose = ec(&[("purpose", "interop")]);
        // V3: c, d, i stay on the object.
        let c = kms_client(&kms, CseConfig::default());
        let obj = c
            .encrypt(b"in a file", &purpose, Location::InstructionFile)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = obj.metadata.keys().map(String::as_str).collect();
        assert_eq!(keys, ["x-amz-c", "x-amz-d", "x-amz-i"]);
        let file = obj.instruction_file.clone().unwrap_or_default();
        let parsed = metadata::parse_instruction_file(&file, "k.instruction")
            .unwrap_or_else(|e| panic!("{e}"));
        let fkeys: Vec<&str> = parsed.keys().map(String::as_str).collect();
        assert_eq!(fkeys, ["x-amz-3", "x-amz-t", "x-amz-w"]);
        assert_eq!(
            read_back(&c, &obj, &purpose)
                .await
                .ok()
                .as_deref()
                .map(|v| v.as_slice()),
            Some(&b"in a file"[..])
        );
        // x-amz-c inside the instruction file.
        let mut t = obj.clone();
        let mut m: BTreeMap<String, String> = parsed.clone();
        m.insert("x-amz-c".into(), "115".into());
        t.instruction_file = Some(serde_json::to_vec(&m).unwrap_or_default());
        assert!(matches!(
            read_back(&c, &t, &purpose).await,
            Err(CseError::ForbiddenInInstructionFile(k)) if k == "x-amz-c"
        ));
        // A key outside the S3EC set, and a body that is not a JSON object.
        let mut m = parsed.clone();
        m.insert("x-amz-unencrypted-content-length".into(), "9".into());
        t.instruction_file = Some(serde_json::to_vec(&m).unwrap_or_default());
        assert!(matches!(
            read_back(&c, &t, &purpose).await,
            Err(CseError::InstructionFile { .. })
        ));
        t.instruction_file = Some(b"[]".to_vec());
        assert!(matches!(
            read_back(&c, &t, &purpose).await,
            Err(CseError::InstructionFile { .. })
        ));
        // The file is missing.
        t.instruction_file = None;
        assert!(matches!(
            read_back(&c, &t, &purpose).await,
            Err(CseError::Missing(_))
        ));

        // V2: everything in the file, nothing on the object.
        let c2 = kms_client(&kms, CseConfig::v2());
        let obj = c2
            .encrypt(b"v2 file", &purpose, Location::InstructionFile)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(obj.metadata.is_empty());
        assert!(read_back(&c2, &obj, &purpose).await.is_ok());
        // ... and content keys on the object beside the file are contradictory.
        let mut t = obj.clone();
        t.metadata.insert("x-amz-iv".into(), b64e(&[1u8; 12]));
        assert!(matches!(
            read_back(&c2, &t, &purpose).await,
            Err(CseError::Contradictory(_))
        ));
        let _ = INSTRUCTION_SUFFIX;
    });
}

fn rsa_key() -> rsa::RsaPrivateKey {
    let mut rng = Entropy::seeded(99);
    rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn raw_aes_and_rsa_round_trip_and_refuse_the_wrong_key() {
    block_on(async {
        let rsa = rsa_key();
        let other_rsa = rsa_key();
        let keyrings = [
            (
                Keyring::RawAes(RawAesKeyring::new([3; 32])),
                "02",
                "AES/GCM",
            ),
            (
                Keyring::RawRsa(Box::new(RawRsaKeyring::new(rsa.clone()))),
                "22",
                "RSA-OAEP-SHA1",
            ),
        ];
        for (keyring, code, name) in keyrings {
            for config in [CseConfig::default(), CseConfig::v2()] {
                let c = CseClient::new(keyring.clone(), config, Entropy::seeded(5))
                    .unwrap_or_else(|e| panic!("{e}"));
                for location in [Location::ObjectMetadata, Location::InstructionFile] {
                    let obj = c
                        .encrypt(b"raw keyring", &StringMap::new(), location)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    let all: MetadataMap = match &obj.instruction_file {
                        Some(f) => {
                            let mut m =
                                metadata::parse_instruction_file(f, "f").unwrap_or_default();
                            m.extend(obj.metadata.clone());
                            m
                        }
                        None => obj.metadata.clone(),
                    };
                    if config.suite.is_committing() {
                        assert_eq!(all["x-amz-w"], code);
                        assert!(!all.contains_key("x-amz-m"), "empty matdesc is not written");
                    } else {
                        assert_eq!(all["x-amz-wrap-alg"], name);
                        assert_eq!(all["x-amz-matdesc"], "{}");
                    }
                    let back = read_back(&c, &obj, &StringMap::new())
                        .await
                        .unwrap_or_else(|e| panic!("{name} {location:?}: {e}"));
                    assert_eq!(back.as_slice(), b"raw keyring");
                    // An encryption context is a KMS feature.
                    assert!(matches!(
                        read_back(&c, &obj, &ec(&[("a", "b")])).await,
                        Err(CseError::ContextNeedsKms(_))
                    ));
                }
            }
        }
        // The wrong master key of the right kind.
        let aes = CseClient::new(
            Keyring::RawAes(RawAesKeyring::new([3; 32])),
            CseConfig::default(),
            Entropy::seeded(1),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let obj = aes
            .encrypt(b"x", &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let wrong = CseClient {
            keyring: Keyring::RawAes(RawAesKeyring::new([4; 32])),
            ..aes.clone()
        };
        assert!(matches!(
            read_back(&wrong, &obj, &StringMap::new()).await,
            Err(CseError::UnwrapFailed { .. })
        ));
        let wrong_rsa = CseClient {
            keyring: Keyring::RawRsa(Box::new(RawRsaKeyring::new(other_rsa))),
            ..aes.clone()
        };
        assert!(matches!(
            read_back(&wrong_rsa, &obj, &StringMap::new()).await,
            Err(CseError::WrongKeyring { .. })
        ));
        // The matdesc is written when there is one.
        let described = CseClient {
            keyring: Keyring::RawAes(
                RawAesKeyring::new([3; 32]).with_material_description(ec(&[("key", "test-aes")])),
            ),
            ..aes.clone()
        };
        let obj = described
            .encrypt(b"x", &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(obj.metadata["x-amz-m"], r#"{"key": "test-aes"}"#);
        assert!(read_back(&aes, &obj, &StringMap::new()).await.is_ok());
    });
}

#[test]
fn key_files_are_read_in_three_spellings() {
    let k = [0xabu8; 32];
    for bytes in [
        k.to_vec(),
        hex::encode(k).into_bytes(),
        format!("{}\n", b64e(&k)).into_bytes(),
    ] {
        assert!(RawAesKeyring::from_key_file_bytes(&bytes).is_ok());
    }
    assert!(matches!(
        RawAesKeyring::from_key_file_bytes(b"short"),
        Err(CseError::InvalidKey(_))
    ));
    assert!(matches!(
        RawRsaKeyring::from_pem("-----BEGIN NOTHING-----"),
        Err(CseError::InvalidKey(_))
    ));
}

fn ecb_pkcs7(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    let cipher = aes::Aes256::new(GenericArray::from_slice(key));
    let pad = 16 - data.len() % 16;
    let mut out = data.to_vec();
    out.extend(std::iter::repeat_n(pad as u8, pad));
    for block in out.chunks_exact_mut(16) {
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
    }
    out
}

fn cbc_pkcs7(key: &[u8; 32], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let cipher = aes::Aes256::new(GenericArray::from_slice(key));
    let pad = 16 - data.len() % 16;
    let mut padded = data.to_vec();
    padded.extend(std::iter::repeat_n(pad as u8, pad));
    let mut prev = *iv;
    let mut out = Vec::new();
    for block in padded.chunks(16) {
        let mut b = GenericArray::clone_from_slice(block);
        for i in 0..16 {
            b[i] ^= prev[i];
        }
        cipher.encrypt_block(&mut b);
        prev.copy_from_slice(&b);
        out.extend_from_slice(&b);
    }
    out
}

#[test]
fn legacy_v1_and_v2_cbc_are_read_only_behind_the_opt_in() {
    block_on(async {
        let master = [9u8; 32];
        let dk = [8u8; 32];
        let iv = [7u8; 16];
        let pt = b"a legacy object, encrypted with CBC and no tag";
        let body = cbc_pkcs7(&dk, &iv, pt);
        let mut v1 = MetadataMap::new();
        v1.insert("x-amz-key".into(), b64e(&ecb_pkcs7(&master, &dk)));
        v1.insert("x-amz-iv".into(), b64e(&iv));
        v1.insert("x-amz-matdesc".into(), "{}".into());
        v1.insert(
            "x-amz-unencrypted-content-length".into(),
            pt.len().to_string(),
        );
        let mut v2cbc = MetadataMap::new();
        v2cbc.insert("x-amz-key-v2".into(), b64e(&ecb_pkcs7(&master, &dk)));
        v2cbc.insert("x-amz-iv".into(), b64e(&iv));
        v2cbc.insert("x-amz-cek-alg".into(), "AES/CBC/PKCS5Padding".into());
        v2cbc.insert("x-amz-wrap-alg".into(), "AESWrap".into());
        v2cbc.insert("x-amz-matdesc".into(), "{}".into());

        let strict = CseClient::new(
            Keyring::RawAes(RawAesKeyring::new(master)),
            CseConfig::default(),
            Entropy::seeded(1),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let e = StringMap::new();
        assert!(matches!(
            strict.decrypt(&v1, None, &body, &e).await,
            Err(CseError::LegacyDisabled(_))
        ));
        let legacy = CseClient {
            config: CseConfig {
                policy: CommitmentPolicy::RequireEncryptAllowDecrypt,
                legacy_unauthenticated_modes: true,
                legacy_wrapping_algorithms: true,
                ..CseConfig::default()
            },
            ..strict.clone()
        };
        let back = legacy
            .decrypt(&v1, None, &body, &e)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.as_slice(), pt);
        // Content opt-in without the wrapping opt-in.
        let content_only = CseClient {
            config: CseConfig {
                legacy_wrapping_algorithms: false,
                ..legacy.config
            },
            ..strict.clone()
        };
        assert!(matches!(
            content_only.decrypt(&v1, None, &body, &e).await,
            Err(CseError::LegacyDisabled(_))
        ));
        // V2-CBC with an AESWrap'd key: the wrapped key here is not RFC 3394, so it fails to
        // unwrap, with the unwrap error (not a CBC padding oracle).
        assert!(matches!(
            legacy.decrypt(&v2cbc, None, &body, &e).await,
            Err(CseError::UnwrapFailed { .. })
        ));
        // A damaged CBC body gives the one CBC error.
        let mut bad = body.clone();
        let n = bad.len();
        bad[n - 1] ^= 0x55;
        assert!(matches!(
            legacy.decrypt(&v1, None, &bad, &e).await,
            Err(CseError::CbcFailed)
        ));
    });
}

#[test]
fn authenticated_streaming_releases_nothing_before_the_tag() {
    block_on(async {
        let c = CseClient::new(
            Keyring::RawAes(RawAesKeyring::new([1; 32])),
            CseConfig::default(),
            Entropy::seeded(3),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pt: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let obj = c
            .encrypt(&pt, &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let env = Envelope::parse(&obj.metadata, None).unwrap_or_else(|e| panic!("{e}"));
        let key = c
            .open(&env, &StringMap::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for piece in [1usize, 15, 16, 17, 4096] {
            let mut auth = key.authenticator().unwrap_or_else(|e| panic!("{e}"));
            for chunk in obj.body.chunks(piece) {
                auth.update(chunk).unwrap_or_else(|e| panic!("{e}"));
            }
            let mut verified = auth.finish().unwrap_or_else(|e| panic!("{e}"));
            let mut out = obj.body[..pt.len()].to_vec();
            for chunk in out.chunks_mut(piece) {
                verified.apply(chunk).unwrap_or_else(|e| panic!("{e}"));
            }
            assert_eq!(out, pt, "piece {piece}");
            // The delayed path gives the same bytes.
            let mut d = key.delayed_decryptor();
            let mut out = Vec::new();
            for chunk in obj.body.chunks(piece) {
                d.update(chunk, &mut out).unwrap_or_else(|e| panic!("{e}"));
            }
            d.finish(&mut out).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(out, pt);
        }
        // A tampered body: the authenticator refuses, and there is no decryptor to misuse.
        let mut bad = obj.body.clone();
        bad[50_000] ^= 1;
        let mut auth = key.authenticator().unwrap_or_else(|e| panic!("{e}"));
        auth.update(&bad).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(auth.finish(), Err(CseError::AuthenticationFailed)));
    });
}

#[test]
fn seeded_entropy_makes_objects_repeatable() {
    block_on(async {
        let make = || {
            CseClient::new(
                Keyring::RawAes(RawAesKeyring::new([2; 32])),
                CseConfig::default(),
                Entropy::seeded(11),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let a = make()
            .encrypt(b"same", &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let b = make()
            .encrypt(b"same", &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
    });
}

#[test]
fn without_the_master_key_every_attempt_is_refused() {
    block_on(async {
        let master = [42u8; 32];
        let c = CseClient::new(
            Keyring::RawAes(RawAesKeyring::new(master)),
            CseConfig::default(),
            Entropy::seeded(8),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pt = b"the plaintext the server never sees";
        let obj = c
            .encrypt(pt, &StringMap::new(), Location::ObjectMetadata)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !obj.reveals(&master),
            "the master key is not in the request"
        );
        assert!(!obj.reveals(pt), "the plaintext is not in the request");
        assert!(obj.reveals(&obj.body[..8]), "the check itself works");
        let attempts = lessons::attempt_without_master_key(&obj, &Entropy::seeded(9)).await;
        assert_eq!(attempts.len(), 3);
        for a in &attempts {
            assert!(a.refused.is_some(), "{} succeeded", a.attempt);
        }
        assert!(matches!(
            attempts[0].refused,
            Some(CseError::UnwrapFailed { .. })
        ));
        assert!(matches!(
            attempts[1].refused,
            Some(CseError::CommitmentMismatch)
        ));
        assert!(matches!(
            attempts[2].refused,
            Some(CseError::CommitmentMismatch)
        ));
    });
}

/// Found by review of the `cse_metadata` fuzz target's round-trip check (the fuzzer had not built
/// a V1 envelope in 10M runs; `fuzz/regressions/cse_metadata/v1-implicit-aes-wrap` is the input):
/// a V1 envelope without `x-amz-wrap-alg` (the raw key's AES/ECB or RSA wrapping) was written back
/// with `x-amz-wrap-alg: AES`, which no reader accepts.
#[test]
fn a_v1_envelope_with_an_implicit_wrapping_writes_back_to_what_reads_the_same() {
    for (edk_len, wrap) in [
        (48, WrapAlgorithm::AesEcbV1),
        (256, WrapAlgorithm::RsaPkcs1V1),
    ] {
        let object: MetadataMap = [
            (metadata::KEY_V1, b64e(&vec![7u8; edk_len])),
            (metadata::IV, b64e(&[1u8; 16])),
            (metadata::MATDESC, "{}".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let envelope = Envelope::parse(&object, None).expect("a V1 envelope");
        assert_eq!(envelope.wrap, wrap);
        let (written, file) = envelope.to_metadata();
        assert_eq!(file, None);
        assert!(!written.contains_key(metadata::WRAP_ALG), "{written:?}");
        assert_eq!(
            Envelope::parse(&written, None).expect("reads back"),
            envelope
        );
    }
}
