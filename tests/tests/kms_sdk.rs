//! The AWS SDK for Rust, unchanged, against s3lab's KMS over HTTPS and HTTP.

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeySpec, KeyState, KeyUsageType};
use s3lab_e2e::{TestLab, ACCOUNT};
use s3lab_kms::AuditQuery;

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("").to_owned()
}

async fn create_key(client: &aws_sdk_kms::Client) -> (String, String) {
    let md = client
        .create_key()
        .description("e2e")
        .send()
        .await
        .expect("create")
        .key_metadata
        .expect("metadata");
    (md.key_id().to_owned(), md.arn().expect("arn").to_owned())
}

#[tokio::test]
async fn create_alias_encrypt_decrypt_with_context_over_https_and_http() {
    let lab = TestLab::start().await;
    for secure in [true, false] {
        let kms = lab.kms_client("admin", secure);
        let (key_id, arn) = create_key(&kms).await;
        assert_eq!(arn, format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}"));
        let alias = if secure {
            "alias/e2e-https"
        } else {
            "alias/e2e-http"
        };
        kms.create_alias()
            .alias_name(alias)
            .target_key_id(&key_id)
            .send()
            .await
            .expect("alias");
        let described = kms
            .describe_key()
            .key_id(alias)
            .send()
            .await
            .expect("describe")
            .key_metadata
            .expect("md");
        assert_eq!(described.key_id(), key_id);
        assert_eq!(described.key_state(), Some(&KeyState::Enabled));

        let enc = kms
            .encrypt()
            .key_id(alias)
            .plaintext(Blob::new(b"top secret".to_vec()))
            .encryption_context("department", "training")
            .send()
            .await
            .expect("encrypt");
        assert_eq!(enc.key_id(), Some(arn.as_str()));
        let blob = enc.ciphertext_blob().expect("blob").clone();
        let dec = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .encryption_context("department", "training")
            .send()
            .await
            .expect("decrypt");
        assert_eq!(
            dec.plaintext().map(|b| b.as_ref()),
            Some(b"top secret".as_slice())
        );
        assert_eq!(dec.key_id(), Some(arn.as_str()));

        let err = kms
            .decrypt()
            .ciphertext_blob(blob)
            .encryption_context("department", "sales")
            .send()
            .await
            .expect_err("context mismatch");
        assert_eq!(code(&err), "InvalidCiphertextException");
        assert!(err.into_service_error().is_invalid_ciphertext_exception());

        let records = lab.app.kms().audit(&AuditQuery {
            key_arn: Some(&arn),
            ..Default::default()
        });
        let names: Vec<&str> = records.iter().map(|r| r.event_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CreateKey",
                "CreateAlias",
                "DescribeKey",
                "Encrypt",
                "Decrypt",
                "Decrypt"
            ]
        );
        assert_eq!(
            records[5].error_code.as_deref(),
            Some("InvalidCiphertextException")
        );
        assert_eq!(
            records[4].request_parameters["encryptionContext"]["department"],
            "training"
        );
        assert!(records
            .iter()
            .all(|r| r.user_identity.user_name.as_deref() == Some("admin")));
    }
    lab.stop().await;
}

#[tokio::test]
async fn generate_data_key_and_its_validation() {
    let lab = TestLab::start().await;
    let kms = lab.kms_client("admin", true);
    let (key_id, _) = create_key(&kms).await;
    let dk = kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .expect("gdk");
    let plaintext = dk.plaintext().expect("plaintext").as_ref().to_vec();
    assert_eq!(plaintext.len(), 32);
    let back = kms
        .decrypt()
        .ciphertext_blob(dk.ciphertext_blob().expect("blob").clone())
        .send()
        .await
        .expect("decrypt");
    assert_eq!(
        back.plaintext().map(|b| b.as_ref().to_vec()),
        Some(plaintext)
    );
    let err = kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .number_of_bytes(32)
        .send()
        .await
        .expect_err("both");
    assert_eq!(code(&err), "ValidationException");
    let random = kms
        .generate_random()
        .number_of_bytes(24)
        .send()
        .await
        .expect("random");
    assert_eq!(random.plaintext().map(|b| b.as_ref().len()), Some(24));
    lab.stop().await;
}

#[tokio::test]
async fn rotation_on_demand_old_blobs_still_decrypt() {
    let lab = TestLab::start().await;
    let kms = lab.kms_client("admin", true);
    let (key_id, arn) = create_key(&kms).await;
    let encrypt = |text: &'static [u8]| {
        kms.encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(text.to_vec()))
            .send()
    };
    let old = encrypt(b"before rotation")
        .await
        .expect("encrypt")
        .ciphertext_blob
        .expect("blob");
    kms.rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .expect("rotate");
    let new = encrypt(b"after rotation")
        .await
        .expect("encrypt")
        .ciphertext_blob
        .expect("blob");
    let d_old = kms
        .decrypt()
        .ciphertext_blob(old)
        .send()
        .await
        .expect("old decrypts");
    let d_new = kms
        .decrypt()
        .ciphertext_blob(new)
        .send()
        .await
        .expect("new decrypts");
    assert_eq!(
        d_old.plaintext().map(|b| b.as_ref()),
        Some(b"before rotation".as_slice())
    );
    assert_eq!(
        d_new.plaintext().map(|b| b.as_ref()),
        Some(b"after rotation".as_slice())
    );
    let rotations = kms
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .expect("list rotations");
    assert_eq!(rotations.rotations().len(), 1);
    let rotated_material = rotations.rotations()[0]
        .key_material_id()
        .expect("material id")
        .to_owned();
    assert_eq!(d_new.key_material_id(), Some(rotated_material.as_str()));
    assert_ne!(d_old.key_material_id(), Some(rotated_material.as_str()));
    // The trail shows which material each decryption used.
    let decrypts = lab.app.kms().audit(&AuditQuery {
        key_arn: Some(&arn),
        event_name: Some("Decrypt"),
        ..Default::default()
    });
    assert_eq!(decrypts.len(), 2);
    assert_eq!(decrypts[0].key_material_id(), d_old.key_material_id());
    assert_eq!(
        decrypts[1].key_material_id(),
        Some(rotated_material.as_str())
    );
    assert_eq!(
        lab.app
            .kms()
            .audit(&AuditQuery {
                key_arn: Some(&arn),
                event_name: Some("RotateKeyOnDemand"),
                ..Default::default()
            })
            .len(),
        1
    );

    kms.enable_key_rotation()
        .key_id(&key_id)
        .rotation_period_in_days(90)
        .send()
        .await
        .expect("enable rotation");
    let status = kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .expect("status");
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(90));
    assert!(status.next_rotation_date().is_some());
    lab.stop().await;
}

#[tokio::test]
async fn disable_schedule_deletion_cancel() {
    let lab = TestLab::start().await;
    let kms = lab.kms_client("admin", true);
    let (key_id, arn) = create_key(&kms).await;
    kms.disable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("disable");
    let err = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .expect_err("disabled");
    assert_eq!(code(&err), "DisabledException");
    assert_eq!(err.message(), Some(format!("{arn} is disabled.").as_str()));

    let scheduled = kms
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("schedule");
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    assert!(scheduled.deletion_date().is_some());
    let err = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .expect_err("pending");
    assert_eq!(code(&err), "KMSInvalidStateException");

    kms.cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .expect("cancel");
    let md = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("describe")
        .key_metadata
        .expect("md");
    assert_eq!(md.key_state(), Some(&KeyState::Disabled));
    kms.enable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("enable");
    kms.encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .expect("usable again");

    let names: Vec<String> = lab
        .app
        .kms()
        .audit(&AuditQuery {
            key_arn: Some(&arn),
            ..Default::default()
        })
        .into_iter()
        .map(|r| {
            format!(
                "{}{}",
                r.event_name,
                r.error_code.map(|c| format!(" ({c})")).unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "CreateKey",
            "DisableKey",
            "Encrypt (DisabledException)",
            "ScheduleKeyDeletion",
            "Encrypt (KMSInvalidStateException)",
            "CancelKeyDeletion",
            "DescribeKey",
            "EnableKey",
            "Encrypt",
        ]
    );
    lab.stop().await;
}

#[tokio::test]
async fn asymmetric_keys_make_no_data_keys() {
    let lab = TestLab::start().await;
    let kms = lab.kms_client("admin", true);
    let md = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .expect("create rsa")
        .key_metadata
        .expect("md");
    assert_eq!(md.key_spec(), Some(&KeySpec::Rsa2048));
    let err = kms
        .generate_data_key()
        .key_id(md.key_id())
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .expect_err("asymmetric");
    assert_eq!(code(&err), "InvalidKeyUsageException");
    assert!(err.into_service_error().is_invalid_key_usage_exception());
    let records = lab.app.kms().audit(&AuditQuery {
        event_name: Some("GenerateDataKey"),
        ..Default::default()
    });
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].error_code.as_deref(),
        Some("InvalidKeyUsageException")
    );
    lab.stop().await;
}

#[tokio::test]
async fn bad_credentials_are_rejected_and_audited_nowhere() {
    let lab = TestLab::start().await;
    let admin = lab
        .app
        .identities()
        .by_name("admin")
        .expect("admin")
        .access_key_id
        .clone();
    let before = lab.app.kms().audit_len();
    let wrong_secret = lab.kms_client_with(&admin, "not-the-secret", true);
    let err = wrong_secret
        .list_keys()
        .send()
        .await
        .expect_err("wrong secret");
    assert_eq!(code(&err), "InvalidSignatureException");
    let unknown = lab.kms_client_with("AKIAUNKNOWNUNKNOWN00", "whatever", true);
    let err = unknown.list_keys().send().await.expect_err("unknown key");
    assert_eq!(code(&err), "UnrecognizedClientException");
    // A request that never authenticated is not a KMS call: CloudTrail has no record of it.
    assert_eq!(lab.app.kms().audit_len(), before);
    lab.stop().await;
}

#[tokio::test]
async fn the_reader_identity_cannot_use_keys() {
    let lab = TestLab::start().await;
    let admin = lab.kms_client("admin", true);
    let (key_id, arn) = create_key(&admin).await;
    let blob = admin
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .expect("encrypt")
        .ciphertext_blob
        .expect("blob");
    let reader = lab.kms_client("reader", true);
    let err = reader
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .expect_err("second lock");
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(
        err.message()
            .is_some_and(|m| m.contains("user/reader is not authorized to perform: kms:Decrypt")),
        "{:?}",
        err.message()
    );
    let denied = lab.app.kms().audit(&AuditQuery {
        key_arn: Some(&arn),
        succeeded: Some(false),
        ..Default::default()
    });
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].user_identity.user_name.as_deref(), Some("reader"));
    lab.stop().await;
}

#[tokio::test]
async fn keys_material_and_trail_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let (key_id, blob, trail) = {
        let lab = TestLab::start_in(dir.path()).await;
        let kms = lab.kms_client("admin", true);
        let (key_id, _) = create_key(&kms).await;
        kms.rotate_key_on_demand()
            .key_id(&key_id)
            .send()
            .await
            .expect("rotate");
        let blob = kms
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"kept".to_vec()))
            .encryption_context("k", "v")
            .send()
            .await
            .expect("encrypt")
            .ciphertext_blob
            .expect("blob");
        let trail = lab.app.kms().audit_len();
        lab.stop().await;
        (key_id, blob, trail)
    };
    let lab = TestLab::start_in(dir.path()).await;
    assert_eq!(lab.app.kms().audit_len(), trail);
    let kms = lab.kms_client("admin", true);
    let dec = kms
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("k", "v")
        .send()
        .await
        .expect("decrypt after restart");
    assert_eq!(
        dec.plaintext().map(|b| b.as_ref()),
        Some(b"kept".as_slice())
    );
    let keys = kms.list_keys().send().await.expect("list");
    assert!(keys
        .keys()
        .iter()
        .any(|k| k.key_id() == Some(key_id.as_str())));
    assert_eq!(
        kms.list_key_rotations()
            .key_id(&key_id)
            .send()
            .await
            .expect("rotations")
            .rotations()
            .len(),
        1
    );
    lab.stop().await;
}
