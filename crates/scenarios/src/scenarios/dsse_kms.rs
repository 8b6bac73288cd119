//! `dsse-kms`: aws:kms:dsse: a KMS layer and an S3 layer, both on disk.

use serde_json::json;

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    caller_of, count_events, create_bucket_quietly, create_kms_key_quietly, header_or_none,
    kms_quietly, only_event, remember_kms_secrets, send_and_audit,
};

pub const SCENARIO: Scenario = Scenario {
    id: "dsse-kms",
    title: "DSSE-KMS: two layers of encryption",
    topic: Topic::BeyondTheSeed,
    summary: "aws:kms:dsse: a KMS layer and an S3 layer, both on disk",
    claims: &["sse-kms-8"],
    script,
};

const BUCKET: &str = "dsse-demo";
const BODY: &str = "case file 7731: witness statement, page 1";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("PUT with aws:kms:dsse");
    s.note_claims(
        "Beyond the seed: dual-layer server-side encryption with KMS keys (DSSE-KMS) arrived in \
         June 2023, for rules that demand two independent layers of encryption (AWS designed it \
         for the US National Security Agency's CNSSP 15 and Data-at-Rest Capability Package \
         guidance). It is requested like SSE-KMS, with `x-amz-server-side-encryption: \
         aws:kms:dsse` instead of `aws:kms`. Set-up, done quietly: the bucket `dsse-demo` and \
         a KMS key `alias/case-files`. The trail shows one GenerateDataKey, exactly as for \
         SSE-KMS: that is the first layer's key.",
        &["sse-kms-8"],
    );
    create_bucket_quietly(s, BUCKET)?;
    let (key_id, key_arn) = create_kms_key_quietly(s, json!({ "Description": "case files" }))?;
    kms_quietly(
        s,
        "CreateAlias",
        json!({ "AliasName": "alias/case-files", "TargetKeyId": key_id }),
    )?;
    let (put, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/case-7731.txt"))
            .header("x-amz-server-side-encryption", "aws:kms:dsse")
            .header(
                "x-amz-server-side-encryption-aws-kms-key-id",
                "alias/case-files",
            )
            .body(BODY),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &["sse-kms-8"]);
    s.check_eq(
        "S3 confirms aws:kms:dsse, with the key's ARN",
        format!("aws:kms:dsse {key_arn}"),
        format!(
            "{} {}",
            header_or_none(&put, "x-amz-server-side-encryption"),
            header_or_none(&put, "x-amz-server-side-encryption-aws-kms-key-id")
        ),
        &["sse-kms-8"],
    );
    let generate = only_event(&records, "GenerateDataKey");
    s.check_eq(
        "one GenerateDataKey, by admin through S3",
        "admin via s3.amazonaws.com",
        generate.map_or("(no single GenerateDataKey)".into(), caller_of),
        &[],
    );
    let material = generate
        .and_then(|r| r.key_material_id())
        .unwrap_or("(none)")
        .to_owned();

    s.step("At rest: two data keys, two wrappings, two layers");
    let root_version = s
        .lab()
        .app()
        .s3()
        .root_keys()
        .current_version()
        .map_err(|e| ScenarioError::lab(format!("root key: {e:?}")))?;
    s.note(format!(
        "The object is encrypted twice, each time with AES-256-GCM under its own data key. The \
         inner layer's key came from KMS and is stored wrapped by our KMS key (`kms_layer`); \
         the outer layer's key was made by S3 and is stored wrapped by S3's own root key, \
         version {root_version} (`s3_layer`), as for SSE-S3. The hex below is the outer layer: \
         its chunk holds the inner layer's header and ciphertext, 32 + 16 bytes longer than the \
         text. AWS implements each layer with a different cryptographic library, so that a flaw \
         in one implementation leaves the other layer standing; the lab uses the same AES-GCM \
         code for both, with separate keys and nonces."
    ));
    let stored = s.at_rest(BUCKET, "case-7731.txt")?;
    s.check_eq(
        "stored as DSSE-KMS",
        "DSSE-KMS",
        stored.mode(),
        &["sse-kms-8"],
    );
    let (kms_layer, s3_layer) = match &stored.encryption {
        Some(s3lab_s3::encryption::StoredEncryption::DsseKms {
            kms_layer,
            s3_layer,
        }) => (
            format!(
                "{} material {}",
                kms_layer.kms_key_arn, kms_layer.kms_key_material_id
            ),
            format!("S3 root key v{}", s3_layer.root_key_version),
        ),
        _ => ("(none)".into(), "(none)".into()),
    };
    s.check_eq(
        "the first layer's key is wrapped by our KMS key",
        format!("{key_arn} material {material}"),
        kms_layer,
        &[],
    );
    s.check_eq(
        "the second layer's key is wrapped by S3's root key",
        format!("S3 root key v{root_version}"),
        s3_layer,
        &[],
    );
    let leaked = stored.blob_contains(BODY.as_bytes());
    s.check(
        "the blob on disk is ciphertext",
        !leaked,
        "the text is not in the blob",
        if leaked {
            "found in the blob"
        } else {
            "not in the blob"
        },
        &[],
    );
    // One S3LB stream inside another: 2 headers and 2 tags around the text.
    let overhead = stored.blob.len() as i64 - BODY.len() as i64;
    s.check_eq(
        "two layers of framing around the text (2 × 32-byte header, 2 × 16-byte tag)",
        96,
        overhead,
        &[],
    );

    s.step("GET: S3 removes both layers");
    s.note(
        "Reading needs nothing more than for SSE-KMS: S3 asks KMS to Decrypt the first layer's \
         key (the one record in the trail), unwraps the second layer's key with its root key \
         (inside S3, so no record), and peels off both layers. The caller needs `kms:Decrypt` \
         on the key, as for SSE-KMS.",
    );
    let (get, records) = send_and_audit(s, Req::get(format!("/{BUCKET}/case-7731.txt")))?;
    s.check_eq("GET returns the plaintext", BODY, get.text(), &[]);
    s.check_eq(
        "one Decrypt, with the material the object was written under",
        &material,
        only_event(&records, "Decrypt")
            .and_then(|r| r.key_material_id())
            .unwrap_or("(no single Decrypt)"),
        &[],
    );
    s.check_eq(
        "the response says aws:kms:dsse",
        "aws:kms:dsse",
        header_or_none(&get, "x-amz-server-side-encryption"),
        &["sse-kms-8"],
    );

    s.step("No bucket keys for DSSE-KMS");
    s.note(
        "S3 Bucket Keys (see the bucket-keys scenario) do not apply to DSSE-KMS: every object \
         gets its own GenerateDataKey. S3 accepts the bucket-key header on a DSSE-KMS upload \
         without an error, and ignores it: the response has no bucket-key header, and the trail \
         shows a GenerateDataKey for this object as for any other. DSSE-KMS therefore costs \
         more KMS requests than SSE-KMS with a bucket key.",
    );
    let (put, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/case-7732.txt"))
            .header("x-amz-server-side-encryption", "aws:kms:dsse")
            .header(
                "x-amz-server-side-encryption-aws-kms-key-id",
                "alias/case-files",
            )
            .header("x-amz-server-side-encryption-bucket-key-enabled", "true")
            .body("case file 7732"),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &[]);
    s.check_eq(
        "no bucket key in the response",
        "(none)",
        header_or_none(&put, "x-amz-server-side-encryption-bucket-key-enabled"),
        &[],
    );
    s.check_eq(
        "and a GenerateDataKey of its own",
        1,
        count_events(&records, "GenerateDataKey"),
        &[],
    );
    remember_kms_secrets(s, "no key material and no data key in this lesson", &[])?;
    Ok(())
}
