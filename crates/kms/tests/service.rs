//! The KMS as plain Rust: every operation and its error paths, without HTTP.

use s3lab_env::Env;
use s3lab_iam::IdentityTable;
use s3lab_kms::api::*;
use s3lab_kms::model::EncryptionContext;
use s3lab_kms::{AuditQuery, Caller, Kms, KmsConfig, KmsError};
use time::Duration;

const ACCOUNT: &str = "111122223333";

struct Lab {
    kms: Kms,
    ids: IdentityTable,
}

impl Lab {
    fn new() -> Self {
        Self::in_dir(None, 42)
    }

    fn in_dir(dir: Option<&std::path::Path>, seed: u64) -> Self {
        let kms = Kms::open(dir, KmsConfig::default(), Env::seeded(seed)).expect("open");
        Lab {
            kms,
            ids: IdentityTable::builtin(ACCOUNT),
        }
    }

    fn admin(&self) -> Caller<'_> {
        Caller::direct(
            self.ids.by_name("admin").expect("admin"),
            "127.0.0.1",
            "test",
            true,
        )
    }

    fn reader(&self) -> Caller<'_> {
        Caller::direct(
            self.ids.by_name("reader").expect("reader"),
            "127.0.0.1",
            "test",
            true,
        )
    }

    fn create(&self) -> KeyMetadata {
        self.kms
            .create_key(&self.admin(), CreateKeyRequest::default())
            .expect("create")
            .key_metadata
    }

    fn create_spec(&self, spec: &str, usage: &str) -> KeyMetadata {
        let req = CreateKeyRequest {
            key_spec: Some(spec.into()),
            key_usage: Some(usage.into()),
            ..Default::default()
        };
        self.kms
            .create_key(&self.admin(), req)
            .expect("create")
            .key_metadata
    }

    fn encrypt(
        &self,
        key: &str,
        plaintext: &[u8],
        ctx: &EncryptionContext,
    ) -> Result<EncryptResponse, KmsError> {
        let req = EncryptRequest {
            key_id: Some(key.into()),
            plaintext: Some(Blob::new(plaintext.to_vec())),
            encryption_context: Some(ctx.clone()),
            ..Default::default()
        };
        self.kms.encrypt(&self.admin(), req)
    }

    fn decrypt_as(
        &self,
        caller: &Caller,
        blob: &Blob,
        ctx: &EncryptionContext,
    ) -> Result<DecryptResponse, KmsError> {
        let req = DecryptRequest {
            ciphertext_blob: Some(blob.clone()),
            encryption_context: Some(ctx.clone()),
            ..Default::default()
        };
        self.kms.decrypt(caller, req)
    }

    fn decrypt(&self, blob: &Blob, ctx: &EncryptionContext) -> Result<DecryptResponse, KmsError> {
        self.decrypt_as(&self.admin(), blob, ctx)
    }

    fn key_req(&self, key: &str) -> KeyIdRequest {
        KeyIdRequest {
            key_id: Some(key.into()),
            grant_tokens: None,
        }
    }
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn type_of<T: std::fmt::Debug>(r: Result<T, KmsError>) -> (&'static str, String) {
    let e = r.expect_err("expected an error");
    (e.type_name(), e.message())
}

#[test]
fn create_key_has_aws_shaped_metadata() {
    let lab = Lab::new();
    let md = lab.create();
    assert_eq!(
        md.arn,
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{}", md.key_id)
    );
    assert_eq!(md.key_state, "Enabled");
    assert_eq!(md.key_spec, "SYMMETRIC_DEFAULT");
    assert_eq!(md.key_usage, "ENCRYPT_DECRYPT");
    assert_eq!(md.key_manager, "CUSTOMER");
    assert_eq!(md.origin, "AWS_KMS");
    assert_eq!(md.encryption_algorithms, vec!["SYMMETRIC_DEFAULT"]);
    assert_eq!(
        md.current_key_material_id.as_ref().map(String::len),
        Some(64)
    );
    assert!(md.enabled);
    // Describe by id, ARN and alias.
    lab.kms
        .create_alias(
            &lab.admin(),
            AliasRequest {
                alias_name: Some("alias/app".into()),
                target_key_id: Some(md.key_id.clone()),
            },
        )
        .unwrap();
    for key_ref in [
        md.key_id.clone(),
        md.arn.clone(),
        "alias/app".into(),
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:alias/app"),
    ] {
        let d = lab
            .kms
            .describe_key(&lab.admin(), lab.key_req(&key_ref))
            .unwrap()
            .key_metadata;
        assert_eq!(d.key_id, md.key_id, "{key_ref}");
    }
}

#[test]
fn seeded_kms_is_deterministic() {
    let a = Lab::in_dir(None, 7);
    let b = Lab::in_dir(None, 7);
    let (ka, kb) = (a.create(), b.create());
    assert_eq!(ka, kb);
    let c = ctx(&[("purpose", "test")]);
    assert_eq!(
        a.encrypt(&ka.key_id, b"hello", &c).unwrap().ciphertext_blob,
        b.encrypt(&kb.key_id, b"hello", &c).unwrap().ciphertext_blob
    );
    assert_ne!(Lab::in_dir(None, 8).create().key_id, ka.key_id);
}

#[test]
fn encrypt_decrypt_binds_the_encryption_context() {
    let lab = Lab::new();
    let key = lab.create();
    let c = ctx(&[("aws:s3:arn", "arn:aws:s3:::bucket/object")]);
    let enc = lab.encrypt(&key.key_id, b"secret data", &c).unwrap();
    assert_eq!(enc.key_id, key.arn);
    assert_eq!(enc.encryption_algorithm, "SYMMETRIC_DEFAULT");
    let dec = lab.decrypt(&enc.ciphertext_blob, &c).unwrap();
    assert_eq!(dec.plaintext.as_slice(), b"secret data");
    assert_eq!(dec.key_id, key.arn);
    assert_eq!(dec.key_material_id, key.current_key_material_id);
    // Wrong, missing or extra context: InvalidCiphertextException without a message.
    for bad in [
        ctx(&[("aws:s3:arn", "arn:aws:s3:::bucket/other")]),
        ctx(&[]),
        ctx(&[("aws:s3:arn", "arn:aws:s3:::bucket/object"), ("x", "y")]),
    ] {
        assert_eq!(
            type_of(lab.decrypt(&enc.ciphertext_blob, &bad)),
            ("InvalidCiphertextException", String::new())
        );
    }
    // A flipped byte anywhere.
    let mut tampered = enc.ciphertext_blob.as_slice().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        type_of(lab.decrypt(&Blob::new(tampered), &c)).0,
        "InvalidCiphertextException"
    );
    assert_eq!(
        type_of(lab.decrypt(&Blob::new(b"not a blob".to_vec()), &c)).0,
        "InvalidCiphertextException"
    );
}

#[test]
fn decrypt_with_the_wrong_key_id_is_incorrect_key() {
    let lab = Lab::new();
    let (k1, k2) = (lab.create(), lab.create());
    let enc = lab.encrypt(&k1.key_id, b"x", &ctx(&[])).unwrap();
    let req = DecryptRequest {
        ciphertext_blob: Some(enc.ciphertext_blob.clone()),
        key_id: Some(k2.key_id.clone()),
        ..Default::default()
    };
    assert_eq!(
        type_of(lab.kms.decrypt(&lab.admin(), req)),
        (
            "IncorrectKeyException",
            "The key ID in the request does not identify a CMK that can perform this operation."
                .into()
        )
    );
    let req = DecryptRequest {
        ciphertext_blob: Some(enc.ciphertext_blob),
        key_id: Some(k1.arn.clone()),
        ..Default::default()
    };
    assert!(lab.kms.decrypt(&lab.admin(), req).is_ok());
}

#[test]
fn key_ids_that_do_not_resolve() {
    let lab = Lab::new();
    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(
        type_of(lab.kms.describe_key(&lab.admin(), lab.key_req(missing))),
        (
            "NotFoundException",
            format!("Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist")
        )
    );
    assert_eq!(
        type_of(
            lab.kms
                .describe_key(&lab.admin(), lab.key_req("fake-key-id"))
        ),
        ("NotFoundException", "Invalid keyId 'fake-key-id'".into())
    );
    assert_eq!(
        type_of(
            lab.kms
                .describe_key(&lab.admin(), lab.key_req("alias/nope"))
        ),
        (
            "NotFoundException",
            format!("Alias arn:aws:kms:us-east-1:{ACCOUNT}:alias/nope is not found.")
        )
    );
    assert_eq!(
        type_of(lab.kms.describe_key(
            &lab.admin(),
            lab.key_req(&format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{missing}"))
        )),
        ("NotFoundException", "Invalid arn eu-west-1".into())
    );
    assert_eq!(
        type_of(lab.kms.describe_key(&lab.admin(), KeyIdRequest::default())).0,
        "ValidationException"
    );
}

#[test]
fn generate_data_key_validation_and_result() {
    let lab = Lab::new();
    let key = lab.create();
    let gdk = |spec: Option<&str>, n: Option<i64>| {
        lab.kms.generate_data_key(
            &lab.admin(),
            GenerateDataKeyRequest {
                key_id: Some(key.key_id.clone()),
                key_spec: spec.map(Into::into),
                number_of_bytes: n,
                ..Default::default()
            },
        )
    };
    let dk = gdk(Some("AES_256"), None).unwrap();
    let plain = dk.plaintext.clone().unwrap();
    assert_eq!(plain.len(), 32);
    assert_eq!(dk.key_id, key.arn);
    assert_eq!(
        lab.decrypt(&dk.ciphertext_blob, &ctx(&[]))
            .unwrap()
            .plaintext,
        plain
    );
    assert_eq!(
        gdk(Some("AES_128"), None).unwrap().plaintext.unwrap().len(),
        16
    );
    assert_eq!(gdk(None, Some(64)).unwrap().plaintext.unwrap().len(), 64);
    assert_eq!(
        type_of(gdk(Some("AES_256"), Some(32))),
        (
            "ValidationException",
            "Please specify either number of bytes or key spec.".into()
        )
    );
    assert_eq!(type_of(gdk(None, None)).0, "ValidationException");
    assert_eq!(
        type_of(gdk(None, Some(2000))).1,
        "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
    );
    assert_eq!(
        type_of(gdk(Some("AES_512"), None)).1,
        "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
    );
    let without = lab
        .kms
        .generate_data_key_without_plaintext(
            &lab.admin(),
            GenerateDataKeyRequest {
                key_id: Some(key.key_id.clone()),
                key_spec: Some("AES_256".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(without.plaintext.is_none());
}

#[test]
fn plaintext_limits_use_aws_wording() {
    let lab = Lab::new();
    let key = lab.create();
    assert_eq!(
        type_of(lab.encrypt(&key.key_id, &[0u8; 4097], &ctx(&[]))).1,
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    );
    assert!(lab.encrypt(&key.key_id, &[0u8; 4096], &ctx(&[])).is_ok());
    assert_eq!(
        type_of(lab.encrypt(&key.key_id, &[], &ctx(&[]))).0,
        "ValidationException"
    );
}

#[test]
fn rotation_on_demand_keeps_old_material() {
    let lab = Lab::new();
    let key = lab.create();
    let c = ctx(&[("k", "v")]);
    let old = lab.encrypt(&key.key_id, b"before", &c).unwrap();
    lab.kms
        .rotate_key_on_demand(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    let new = lab.encrypt(&key.key_id, b"after", &c).unwrap();
    let (d_old, d_new) = (
        lab.decrypt(&old.ciphertext_blob, &c).unwrap(),
        lab.decrypt(&new.ciphertext_blob, &c).unwrap(),
    );
    assert_eq!(d_old.plaintext.as_slice(), b"before");
    assert_eq!(d_new.plaintext.as_slice(), b"after");
    assert_eq!(d_old.key_material_id, key.current_key_material_id);
    assert_ne!(d_new.key_material_id, d_old.key_material_id);
    let rotations = lab
        .kms
        .list_key_rotations(
            &lab.admin(),
            ListRequest {
                key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(rotations.rotations.len(), 1);
    assert_eq!(rotations.rotations[0].rotation_type, "ON_DEMAND");
    assert_eq!(rotations.rotations[0].key_material_state, "CURRENT");
    assert_eq!(
        Some(rotations.rotations[0].key_material_id.clone()),
        d_new.key_material_id
    );
    // The audit trail says which material each call used.
    let decrypts = lab.kms.audit(&AuditQuery {
        event_name: Some("Decrypt"),
        key_arn: Some(&key.arn),
        ..Default::default()
    });
    assert_eq!(decrypts.len(), 2);
    assert_eq!(
        decrypts[0].key_material_id(),
        d_old.key_material_id.as_deref()
    );
    assert_eq!(
        decrypts[1].key_material_id(),
        d_new.key_material_id.as_deref()
    );
}

#[test]
fn on_demand_rotation_limit() {
    let lab = Lab::new();
    let key = lab.create();
    for _ in 0..25 {
        lab.kms
            .rotate_key_on_demand(&lab.admin(), lab.key_req(&key.key_id))
            .unwrap();
    }
    let (t, m) = type_of(
        lab.kms
            .rotate_key_on_demand(&lab.admin(), lab.key_req(&key.key_id)),
    );
    assert_eq!(t, "LimitExceededException");
    assert!(m.ends_with(&key.arn), "{m}");
}

#[test]
fn automatic_rotation_follows_the_clock() {
    let lab = Lab::new();
    let key = lab.create();
    let status = lab
        .kms
        .get_key_rotation_status(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    assert!(!status.key_rotation_enabled);
    assert_eq!(
        type_of(lab.kms.enable_key_rotation(&lab.admin(), EnableKeyRotationRequest { key_id: Some(key.key_id.clone()), rotation_period_in_days: Some(30) })).1,
        "1 validation error detected: Value '30' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"
    );
    lab.kms
        .enable_key_rotation(
            &lab.admin(),
            EnableKeyRotationRequest {
                key_id: Some(key.key_id.clone()),
                rotation_period_in_days: Some(90),
            },
        )
        .unwrap();
    let status = lab
        .kms
        .get_key_rotation_status(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));
    assert_eq!(
        status.next_rotation_date,
        Some(s3lab_env::DEFAULT_EPOCH + Duration::days(90))
    );
    let c = ctx(&[]);
    let old = lab.encrypt(&key.key_id, b"old", &c).unwrap();
    lab.kms.env().clock.advance(Duration::days(181)).unwrap();
    let new = lab.encrypt(&key.key_id, b"new", &c).unwrap();
    let rotations = lab
        .kms
        .list_key_rotations(
            &lab.admin(),
            ListRequest {
                key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(rotations.rotations.len(), 2, "two periods passed");
    assert!(rotations
        .rotations
        .iter()
        .all(|r| r.rotation_type == "AUTOMATIC"));
    assert_eq!(
        rotations.rotations[0].rotation_date,
        s3lab_env::DEFAULT_EPOCH + Duration::days(90)
    );
    assert_eq!(
        lab.decrypt(&old.ciphertext_blob, &c)
            .unwrap()
            .plaintext
            .as_slice(),
        b"old"
    );
    let d_new = lab.decrypt(&new.ciphertext_blob, &c).unwrap();
    assert_eq!(
        d_new.key_material_id.as_deref(),
        Some(rotations.rotations[1].key_material_id.as_str())
    );
    let events = lab.kms.audit(&AuditQuery {
        event_name: Some("RotateKey"),
        ..Default::default()
    });
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].user_identity.invoked_by.as_deref(),
        Some("kms.amazonaws.com")
    );
}

#[test]
fn disable_schedule_cancel_enable() {
    let lab = Lab::new();
    let key = lab.create();
    let c = ctx(&[]);
    lab.kms
        .disable_key(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    assert_eq!(
        type_of(lab.encrypt(&key.key_id, b"x", &c)),
        ("DisabledException", format!("{} is disabled.", key.arn))
    );
    assert_eq!(
        lab.kms
            .describe_key(&lab.admin(), lab.key_req(&key.key_id))
            .unwrap()
            .key_metadata
            .key_state,
        "Disabled"
    );
    lab.kms
        .enable_key(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    let blob = lab.encrypt(&key.key_id, b"x", &c).unwrap().ciphertext_blob;

    let bad = ScheduleKeyDeletionRequest {
        key_id: Some(key.key_id.clone()),
        pending_window_in_days: Some(5),
    };
    assert_eq!(
        type_of(lab.kms.schedule_key_deletion(&lab.admin(), bad)).0,
        "ValidationException"
    );
    let sched = lab
        .kms
        .schedule_key_deletion(
            &lab.admin(),
            ScheduleKeyDeletionRequest {
                key_id: Some(key.key_id.clone()),
                pending_window_in_days: Some(7),
            },
        )
        .unwrap();
    assert_eq!(sched.key_state, "PendingDeletion");
    assert_eq!(sched.pending_window_in_days, 7);
    assert_eq!(
        sched.deletion_date,
        s3lab_env::DEFAULT_EPOCH + Duration::days(7)
    );
    let pending = format!("{} is pending deletion.", key.arn);
    assert_eq!(
        type_of(lab.encrypt(&key.key_id, b"x", &c)),
        ("KMSInvalidStateException", pending.clone())
    );
    assert_eq!(
        type_of(lab.decrypt(&blob, &c)),
        ("KMSInvalidStateException", pending.clone())
    );
    assert_eq!(
        type_of(lab.kms.enable_key(&lab.admin(), lab.key_req(&key.key_id))),
        ("KMSInvalidStateException", pending)
    );
    let md = lab
        .kms
        .describe_key(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap()
        .key_metadata;
    assert_eq!(
        (md.key_state.as_str(), md.pending_deletion_window_in_days),
        ("PendingDeletion", Some(7))
    );

    lab.kms
        .cancel_key_deletion(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    assert_eq!(
        lab.kms
            .describe_key(&lab.admin(), lab.key_req(&key.key_id))
            .unwrap()
            .key_metadata
            .key_state,
        "Disabled"
    );
    assert_eq!(
        type_of(
            lab.kms
                .cancel_key_deletion(&lab.admin(), lab.key_req(&key.key_id))
        ),
        (
            "KMSInvalidStateException",
            format!("{} is not pending deletion.", key.arn)
        )
    );
    lab.kms
        .enable_key(&lab.admin(), lab.key_req(&key.key_id))
        .unwrap();
    assert_eq!(lab.decrypt(&blob, &c).unwrap().plaintext.as_slice(), b"x");
}

#[test]
fn a_deleted_key_is_gone_with_its_aliases() {
    let lab = Lab::new();
    let key = lab.create();
    lab.kms
        .create_alias(
            &lab.admin(),
            AliasRequest {
                alias_name: Some("alias/doomed".into()),
                target_key_id: Some(key.key_id.clone()),
            },
        )
        .unwrap();
    let blob = lab
        .encrypt(&key.key_id, b"x", &ctx(&[]))
        .unwrap()
        .ciphertext_blob;
    lab.kms
        .schedule_key_deletion(
            &lab.admin(),
            ScheduleKeyDeletionRequest {
                key_id: Some(key.key_id.clone()),
                pending_window_in_days: Some(7),
            },
        )
        .unwrap();
    lab.kms.env().clock.advance(Duration::days(7)).unwrap();
    assert_eq!(
        type_of(lab.kms.describe_key(&lab.admin(), lab.key_req(&key.key_id))).0,
        "NotFoundException"
    );
    assert_eq!(
        type_of(
            lab.kms
                .describe_key(&lab.admin(), lab.key_req("alias/doomed"))
        )
        .0,
        "NotFoundException"
    );
    assert_eq!(
        type_of(lab.decrypt(&blob, &ctx(&[]))).0,
        "NotFoundException"
    );
    assert_eq!(
        lab.kms
            .audit(&AuditQuery {
                event_name: Some("DeleteKey"),
                key_arn: Some(&key.arn),
                ..Default::default()
            })
            .len(),
        1
    );
}

#[test]
fn asymmetric_keys_exist_but_make_no_data_keys() {
    let lab = Lab::new();
    let rsa = lab.create_spec("RSA_2048", "ENCRYPT_DECRYPT");
    assert_eq!(
        rsa.encryption_algorithms,
        vec!["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    );
    assert!(rsa.current_key_material_id.is_none());
    let (t, m) = type_of(lab.kms.generate_data_key(
        &lab.admin(),
        GenerateDataKeyRequest {
            key_id: Some(rsa.key_id.clone()),
            key_spec: Some("AES_256".into()),
            ..Default::default()
        },
    ));
    assert_eq!(t, "InvalidKeyUsageException");
    assert!(m.starts_with(&rsa.arn), "{m}");
    // Encrypt needs an RSA algorithm, and then round-trips with real RSA-OAEP.
    assert_eq!(
        type_of(lab.encrypt(&rsa.key_id, b"x", &ctx(&[]))),
        (
            "InvalidKeyUsageException",
            "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.".into()
        )
    );
    let enc = lab
        .kms
        .encrypt(
            &lab.admin(),
            EncryptRequest {
                key_id: Some(rsa.key_id.clone()),
                plaintext: Some(Blob::new(b"small secret".to_vec())),
                encryption_algorithm: Some("RSAES_OAEP_SHA_256".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(enc.ciphertext_blob.len(), 256);
    let dec = lab
        .kms
        .decrypt(
            &lab.admin(),
            DecryptRequest {
                ciphertext_blob: Some(enc.ciphertext_blob),
                key_id: Some(rsa.key_id.clone()),
                encryption_algorithm: Some("RSAES_OAEP_SHA_256".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(dec.plaintext.as_slice(), b"small secret");
    let signing = lab.create_spec("RSA_2048", "SIGN_VERIFY");
    assert_eq!(
        type_of(lab.kms.encrypt(
            &lab.admin(),
            EncryptRequest {
                key_id: Some(signing.key_id.clone()),
                plaintext: Some(Blob::new(b"x".to_vec())),
                encryption_algorithm: Some("RSAES_OAEP_SHA_256".into()),
                ..Default::default()
            }
        )),
        (
            "InvalidKeyUsageException",
            format!(
                "{} key usage is SIGN_VERIFY which is not valid for Encrypt.",
                signing.arn
            )
        )
    );
    assert_eq!(
        type_of(
            lab.kms
                .rotate_key_on_demand(&lab.admin(), lab.key_req(&rsa.key_id))
        )
        .0,
        "UnsupportedOperationException"
    );
}

#[test]
fn reader_without_kms_permissions_is_denied_and_audited() {
    let lab = Lab::new();
    let key = lab.create();
    let enc = lab.encrypt(&key.key_id, b"x", &ctx(&[])).unwrap();
    let reader = lab.reader();
    let (t, m) = type_of(lab.decrypt_as(&reader, &enc.ciphertext_blob, &ctx(&[])));
    assert_eq!(t, "AccessDeniedException");
    assert_eq!(
        m,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: kms:Decrypt on resource: {} because no identity-based policy allows the kms:Decrypt action",
            key.arn
        )
    );
    let denied = lab.kms.audit(&AuditQuery {
        succeeded: Some(false),
        event_name: Some("Decrypt"),
        ..Default::default()
    });
    assert_eq!(denied.len(), 1);
    assert_eq!(
        denied[0].error_code.as_deref(),
        Some("AccessDeniedException")
    );
    assert_eq!(
        denied[0].user_identity.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/reader").as_str())
    );
    assert_eq!(denied[0].key_arn(), Some(key.arn.as_str()));
    // The reader may still describe the key.
    assert!(lab
        .kms
        .describe_key(&reader, lab.key_req(&key.key_id))
        .is_ok());
}

#[test]
fn a_key_policy_can_name_a_user_directly() {
    let lab = Lab::new();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"admin","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/admin"}},"Action":"kms:*","Resource":"*"}},
            {{"Sid":"reader","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/reader"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    let key = lab
        .kms
        .create_key(
            &lab.admin(),
            CreateKeyRequest {
                policy: Some(policy.clone()),
                ..Default::default()
            },
        )
        .unwrap()
        .key_metadata;
    let enc = lab.encrypt(&key.key_id, b"x", &ctx(&[])).unwrap();
    assert_eq!(
        lab.decrypt_as(&lab.reader(), &enc.ciphertext_blob, &ctx(&[]))
            .unwrap()
            .plaintext
            .as_slice(),
        b"x"
    );
    let got = lab
        .kms
        .get_key_policy(
            &lab.admin(),
            KeyPolicyRequest {
                key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(got.policy, policy);
    assert_eq!(got.policy_name, "default");
}

#[test]
fn key_policies_are_validated_and_lockout_is_refused() {
    let lab = Lab::new();
    let key = lab.create();
    let default = lab
        .kms
        .get_key_policy(
            &lab.admin(),
            KeyPolicyRequest {
                key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(default.policy.contains("Enable IAM User Permissions"));
    let put = |p: &str, bypass: bool| {
        lab.kms.put_key_policy(
            &lab.admin(),
            KeyPolicyRequest {
                key_id: Some(key.key_id.clone()),
                policy: Some(p.into()),
                bypass_policy_lockout_safety_check: Some(bypass),
                ..Default::default()
            },
        )
    };
    assert_eq!(
        type_of(put("not json", false)).0,
        "MalformedPolicyDocumentException"
    );
    let lockout = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/reader"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    assert_eq!(
        type_of(put(&lockout, false)),
        (
            "MalformedPolicyDocumentException",
            "The new key policy will not allow you to update the key policy in the future.".into()
        )
    );
    put(&lockout, true).unwrap();
    // Now even the admin is locked out of the key.
    assert_eq!(
        type_of(lab.encrypt(&key.key_id, b"x", &ctx(&[]))).0,
        "AccessDeniedException"
    );
}

#[test]
fn alias_rules() {
    let lab = Lab::new();
    let (k1, k2) = (lab.create(), lab.create());
    let create = |name: &str, target: &str| {
        lab.kms.create_alias(
            &lab.admin(),
            AliasRequest {
                alias_name: Some(name.into()),
                target_key_id: Some(target.into()),
            },
        )
    };
    create("alias/app", &k1.key_id).unwrap();
    assert_eq!(
        type_of(create("app2", &k1.key_id)).1,
        "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
    );
    assert_eq!(
        type_of(create("alias/app", &k2.key_id)),
        (
            "AlreadyExistsException",
            format!(
                "An alias with the name arn:aws:kms:us-east-1:{ACCOUNT}:alias/app already exists"
            )
        )
    );
    assert_eq!(
        type_of(create("alias/aws/mine", &k1.key_id)).0,
        "NotAuthorizedException"
    );
    assert_eq!(
        type_of(create("alias/has space", &k1.key_id)).1,
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    );
    lab.kms
        .update_alias(
            &lab.admin(),
            AliasRequest {
                alias_name: Some("alias/app".into()),
                target_key_id: Some(k2.key_id.clone()),
            },
        )
        .unwrap();
    assert_eq!(
        lab.kms
            .describe_key(&lab.admin(), lab.key_req("alias/app"))
            .unwrap()
            .key_metadata
            .key_id,
        k2.key_id
    );
    let listed = lab
        .kms
        .list_aliases(&lab.admin(), ListRequest::default())
        .unwrap();
    assert_eq!(listed.aliases.len(), 1);
    assert_eq!(
        listed.aliases[0].target_key_id.as_deref(),
        Some(k2.key_id.as_str())
    );
    lab.kms
        .delete_alias(
            &lab.admin(),
            AliasRequest {
                alias_name: Some("alias/app".into()),
                target_key_id: None,
            },
        )
        .unwrap();
    assert_eq!(
        type_of(lab.kms.delete_alias(
            &lab.admin(),
            AliasRequest {
                alias_name: Some("alias/app".into()),
                target_key_id: None
            }
        ))
        .0,
        "NotFoundException"
    );
}

#[test]
fn list_keys_pages() {
    let lab = Lab::new();
    let ids: Vec<String> = (0..5).map(|_| lab.create().key_id).collect();
    let first = lab
        .kms
        .list_keys(
            &lab.admin(),
            ListRequest {
                limit: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(first.truncated);
    assert_eq!(first.keys.len(), 2);
    let rest = lab
        .kms
        .list_keys(
            &lab.admin(),
            ListRequest {
                marker: first.next_marker.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!rest.truncated);
    let all: Vec<String> = first
        .keys
        .iter()
        .chain(&rest.keys)
        .map(|k| k.key_id.clone())
        .collect();
    assert_eq!(all, ids);
    assert_eq!(
        type_of(lab.kms.list_keys(
            &lab.admin(),
            ListRequest {
                marker: Some("zz".into()),
                ..Default::default()
            }
        ))
        .0,
        "InvalidMarkerException"
    );
    assert_eq!(
        type_of(lab.kms.list_keys(
            &lab.admin(),
            ListRequest {
                limit: Some(0),
                ..Default::default()
            }
        ))
        .0,
        "ValidationException"
    );
}

#[test]
fn the_aws_managed_s3_key_is_created_once_and_usable_only_through_s3() {
    let lab = Lab::new();
    let reader = lab.ids.by_name("reader").unwrap();
    let via_s3 = Caller::via_service(reader, "s3.amazonaws.com");
    let arn = lab.kms.aws_managed_key(&via_s3, "s3").unwrap();
    assert_eq!(lab.kms.aws_managed_key(&via_s3, "s3").unwrap(), arn);
    let md = lab
        .kms
        .describe_key(&lab.admin(), lab.key_req("alias/aws/s3"))
        .unwrap()
        .key_metadata;
    assert_eq!(
        (md.arn.as_str(), md.key_manager.as_str()),
        (arn.as_str(), "AWS")
    );
    let gdk = |caller: &Caller| {
        lab.kms.generate_data_key(
            caller,
            GenerateDataKeyRequest {
                key_id: Some(arn.clone()),
                key_spec: Some("AES_256".into()),
                ..Default::default()
            },
        )
    };
    assert!(
        gdk(&via_s3).is_ok(),
        "any principal of the account may use aws/s3 through S3"
    );
    assert_eq!(
        type_of(gdk(&lab.admin())).0,
        "AccessDeniedException",
        "not directly, not even the admin"
    );
    assert_eq!(
        type_of(lab.kms.disable_key(&lab.admin(), lab.key_req(&arn))).0,
        "AccessDeniedException"
    );
    let records = lab.kms.audit(&AuditQuery {
        event_name: Some("GenerateDataKey"),
        invoked_by: Some("s3.amazonaws.com"),
        ..Default::default()
    });
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].user_identity.user_name.as_deref(),
        Some("reader")
    );
    assert_eq!(records[0].source_ip_address, "s3.amazonaws.com");
    assert!(
        lab.kms
            .get_key_rotation_status(&lab.admin(), lab.key_req(&arn))
            .unwrap()
            .key_rotation_enabled
    );
}

#[test]
fn audit_records_are_cloudtrail_shaped_and_hold_no_secrets() {
    let lab = Lab::new();
    let key = lab.create();
    let c = ctx(&[("aws:s3:arn", "arn:aws:s3:::bucket/key")]);
    let dk = lab
        .kms
        .generate_data_key(
            &lab.admin(),
            GenerateDataKeyRequest {
                key_id: Some(key.key_id.clone()),
                key_spec: Some("AES_256".into()),
                encryption_context: Some(c.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let records = lab.kms.audit(&AuditQuery {
        key_arn: Some(&key.arn),
        ..Default::default()
    });
    assert_eq!(
        records
            .iter()
            .map(|r| r.event_name.as_str())
            .collect::<Vec<_>>(),
        vec!["CreateKey", "GenerateDataKey"]
    );
    let json = serde_json::to_value(&records[1]).unwrap();
    assert_eq!(json["eventSource"], "kms.amazonaws.com");
    assert_eq!(json["eventTime"], "2026-01-01T00:00:00Z");
    assert_eq!(json["userIdentity"]["type"], "IAMUser");
    assert_eq!(
        json["userIdentity"]["arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/admin")
    );
    assert!(json["userIdentity"]["accessKeyId"]
        .as_str()
        .is_some_and(|s| s.starts_with("AKIA")));
    assert_eq!(
        json["requestParameters"]["encryptionContext"]["aws:s3:arn"],
        "arn:aws:s3:::bucket/key"
    );
    assert_eq!(json["requestParameters"]["keySpec"], "AES_256");
    assert_eq!(json["resources"][0]["ARN"], key.arn);
    assert_eq!(json["resources"][0]["type"], "AWS::KMS::Key");
    assert_eq!(
        json["additionalEventData"]["keyMaterialId"],
        dk.key_material_id
    );
    assert_eq!(json["readOnly"], true);
    // No plaintext data key and no ciphertext blob anywhere in the trail, in any encoding.
    let trail = serde_json::to_string(&lab.kms.audit(&AuditQuery::default())).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for secret in [
        dk.plaintext.unwrap().as_slice().to_vec(),
        dk.ciphertext_blob.as_slice().to_vec(),
    ] {
        assert!(!trail.contains(&b64.encode(&secret)));
        assert!(!trail.contains(&hex::encode(&secret)));
    }
}

#[test]
fn state_and_trail_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&[("purpose", "restart")]);
    let (key, blob, trail_len) = {
        let lab = Lab::in_dir(Some(dir.path()), 1);
        let key = lab.create();
        lab.kms
            .rotate_key_on_demand(&lab.admin(), lab.key_req(&key.key_id))
            .unwrap();
        let blob = lab
            .encrypt(&key.key_id, b"persisted", &c)
            .unwrap()
            .ciphertext_blob;
        (key, blob, lab.kms.audit_len())
    };
    let lab = Lab::in_dir(Some(dir.path()), 2);
    assert_eq!(lab.kms.audit_len(), trail_len);
    assert_eq!(
        lab.decrypt(&blob, &c).unwrap().plaintext.as_slice(),
        b"persisted"
    );
    assert_eq!(lab.kms.material_ids(&key.key_id).unwrap().len(), 2);
    // Key material is never on disk in the clear.
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(state.contains(&key.key_id));
    assert!(!state.contains("persisted"));
}

#[test]
fn a_corrupt_state_file_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    {
        let lab = Lab::in_dir(Some(dir.path()), 1);
        lab.create();
    }
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{ this is not json").unwrap();
    let err = Kms::open(Some(dir.path()), KmsConfig::default(), Env::seeded(1))
        .err()
        .expect("must refuse");
    let msg = err.to_string();
    assert!(
        msg.contains("state.json") && msg.contains("corrupt"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"{ this is not json");
    // A state without its root key cannot be unwrapped: refuse rather than start empty.
    let dir2 = tempfile::tempdir().unwrap();
    {
        Lab::in_dir(Some(dir2.path()), 1).create();
    }
    std::fs::remove_file(dir2.path().join("hsm-root.key")).unwrap();
    let msg = Kms::open(Some(dir2.path()), KmsConfig::default(), Env::seeded(1))
        .err()
        .expect("must refuse")
        .to_string();
    assert!(msg.contains("hsm-root.key"), "{msg}");
}

#[test]
fn a_torn_audit_line_is_dropped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let n = {
        let lab = Lab::in_dir(Some(dir.path()), 1);
        lab.create();
        lab.kms.audit_len()
    };
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("audit.jsonl"))
        .unwrap()
        .write_all(b"{\"eventVersion\":")
        .unwrap();
    let lab = Lab::in_dir(Some(dir.path()), 1);
    assert_eq!(lab.kms.audit_len(), n);
}

#[test]
fn generate_random_and_re_encrypt() {
    let lab = Lab::new();
    let r = lab
        .kms
        .generate_random(
            &lab.admin(),
            GenerateRandomRequest {
                number_of_bytes: Some(17),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.plaintext.len(), 17);
    assert_eq!(
        type_of(lab.kms.generate_random(
            &lab.admin(),
            GenerateRandomRequest {
                number_of_bytes: Some(0),
                ..Default::default()
            }
        ))
        .0,
        "ValidationException"
    );
    let (k1, k2) = (lab.create(), lab.create());
    let (c1, c2) = (ctx(&[("a", "1")]), ctx(&[("b", "2")]));
    let blob = lab
        .encrypt(&k1.key_id, b"move me", &c1)
        .unwrap()
        .ciphertext_blob;
    let re = lab
        .kms
        .re_encrypt(
            &lab.admin(),
            ReEncryptRequest {
                ciphertext_blob: Some(blob),
                source_encryption_context: Some(c1),
                destination_key_id: Some(k2.key_id.clone()),
                destination_encryption_context: Some(c2.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (re.source_key_id.as_str(), re.key_id.as_str()),
        (k1.arn.as_str(), k2.arn.as_str())
    );
    let dec = lab.decrypt(&re.ciphertext_blob, &c2).unwrap();
    assert_eq!(
        (dec.plaintext.as_slice(), dec.key_id.as_str()),
        (b"move me".as_slice(), k2.arn.as_str())
    );
}

#[test]
fn dry_run_succeeds_without_doing_anything() {
    let lab = Lab::new();
    let key = lab.create();
    let req = EncryptRequest {
        key_id: Some(key.key_id.clone()),
        plaintext: Some(Blob::new(b"x".to_vec())),
        dry_run: Some(true),
        ..Default::default()
    };
    assert_eq!(
        type_of(lab.kms.encrypt(&lab.admin(), req)),
        (
            "DryRunOperationException",
            "The request would have succeeded, but the DryRun option is set.".into()
        )
    );
}

#[test]
fn a_seeded_restart_does_not_replay_ids_or_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let lab = Lab::in_dir(Some(dir.path()), 3);
        let key = lab.create();
        lab.kms.env().clock.advance(Duration::days(2)).unwrap();
        lab.kms
            .describe_key(&lab.admin(), lab.key_req(&key.key_id))
            .unwrap();
        key
    };
    let lab = Lab::in_dir(Some(dir.path()), 3);
    assert_eq!(
        lab.kms.env().now(),
        s3lab_env::DEFAULT_EPOCH + Duration::days(2),
        "the clock resumes"
    );
    let second = lab.create();
    assert_ne!(second.key_id, first.key_id);
    assert_ne!(
        second.current_key_material_id,
        first.current_key_material_id
    );
}
