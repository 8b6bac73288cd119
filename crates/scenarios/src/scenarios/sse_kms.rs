//! `sse-kms`: GenerateDataKey and Decrypt in the trail, the aws/s3 default key, no key material ever returned.

use base64::Engine as _;
use serde_json::json;

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    caller_of, context_value, count_events, create_bucket_quietly, create_kms_key_quietly,
    header_or_none, kms_field, kms_json, kms_record, only_event, remember_kms_secrets,
    send_and_audit,
};

pub const SCENARIO: Scenario = Scenario {
    id: "sse-kms",
    title: "SSE-KMS: a KMS key wraps the data key",
    topic: Topic::SseKms,
    summary: "GenerateDataKey and Decrypt in the trail, the aws/s3 default key, no key material ever returned",
    claims: &[
        "sse-kms-1",
        "sse-kms-2",
        "sse-kms-4",
        "sse-kms-6",
        "sse-kms-7",
        "sse-kms-8",
    ],
    script,
};

const BUCKET: &str = "kms-demo";
const BODY: &str = "order 1042: 3 x blue widget, ship to Lyon";
const S3_VIA: &str = "s3.amazonaws.com";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("A KMS key of your own, and an alias");
    s.note_claims(
        "SSE-KMS hands the key question to AWS KMS. First we create a key in KMS ourselves (the \
         bucket `kms-demo` is created quietly). The seed calls it a \"customer master key (CMK)\"; \
         AWS renamed CMKs to \"KMS keys\" in 2021. `KeyManager: CUSTOMER` says that we manage \
         this key: its policy, rotation, enabling and deletion are ours to decide. An alias gives \
         it a name to use instead of its id.",
        &["sse-kms-1", "sse-kms-6"],
    );
    create_bucket_quietly(s, BUCKET)?;
    let create = s.send(Req::kms(
        "CreateKey",
        json!({ "Description": "orders data", "KeySpec": "SYMMETRIC_DEFAULT" }),
    ))?;
    s.check_status("the key is created", &create, 200, "", &[]);
    let key_id = kms_field(&create, "/KeyMetadata/KeyId");
    let key_arn = kms_field(&create, "/KeyMetadata/Arn");
    s.check_eq(
        "a customer managed key",
        "CUSTOMER",
        kms_field(&create, "/KeyMetadata/KeyManager"),
        &["sse-kms-6"],
    );
    s.check_eq(
        "a symmetric key (SYMMETRIC_DEFAULT: AES-256-GCM inside KMS)",
        "SYMMETRIC_DEFAULT",
        kms_field(&create, "/KeyMetadata/KeySpec"),
        &["sse-kms-1"],
    );
    let alias = s.send(Req::kms(
        "CreateAlias",
        json!({ "AliasName": "alias/orders", "TargetKeyId": key_id }),
    ))?;
    s.check_status("the alias alias/orders points at it", &alias, 200, "", &[]);

    s.step("PUT with aws:kms: S3 asks KMS for a data key");
    s.note_claims(
        "The request names the mode with `x-amz-server-side-encryption: aws:kms` and the key with \
         `x-amz-server-side-encryption-aws-kms-key-id` (a key id, ARN or alias). S3 calls KMS \
         GenerateDataKey on our behalf: the audit record names us (admin) as the caller, \
         `s3.amazonaws.com` as the service that called for us, the key, the key material, and \
         the encryption context `aws:s3:arn` = the object's ARN. KMS returns the data key twice: \
         in plaintext, which S3 uses to encrypt the object and then forgets, and wrapped under \
         the KMS key, which S3 stores. The response names the key by its full ARN.",
        &["sse-kms-1", "sse-kms-4", "sse-kms-8"],
    );
    let (put, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/orders.csv"))
            .header("x-amz-server-side-encryption", "aws:kms")
            .header("x-amz-server-side-encryption-aws-kms-key-id", &key_id)
            .header("content-type", "text/csv")
            .body(BODY),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &["sse-kms-8"]);
    s.check_eq(
        "S3 confirms aws:kms",
        "aws:kms",
        header_or_none(&put, "x-amz-server-side-encryption"),
        &["sse-kms-8"],
    );
    s.check_eq(
        "and names the key by its ARN",
        &key_arn,
        header_or_none(&put, "x-amz-server-side-encryption-aws-kms-key-id"),
        &["sse-kms-1"],
    );
    let generate = only_event(&records, "GenerateDataKey").cloned();
    s.check_eq(
        "one GenerateDataKey call in the trail",
        1,
        count_events(&records, "GenerateDataKey"),
        &["sse-kms-4"],
    );
    let (gdk_caller, gdk_context, gdk_material) = match &generate {
        Some(r) => (
            caller_of(r),
            context_value(r, "aws:s3:arn"),
            r.key_material_id().unwrap_or("(none)").to_owned(),
        ),
        None => ("(none)".into(), "(none)".into(), "(none)".into()),
    };
    s.check_eq(
        "made by admin, through S3",
        format!("admin via {S3_VIA}"),
        &gdk_caller,
        &["sse-kms-4"],
    );
    s.check_eq(
        "with the object's ARN as encryption context",
        format!("arn:aws:s3:::{BUCKET}/orders.csv"),
        &gdk_context,
        &["sse-kms-4"],
    );

    s.step("What S3 stored: ciphertext, and the data key wrapped by KMS");
    s.note_claims(
        "The blob is AES-256-GCM ciphertext under the data key. The metadata file keeps the data \
         key only as KMS's ciphertext blob (the \"wrapped data key\"), with the key ARN, the id \
         of the key material that wrapped it, and the encryption context — all plaintext, none \
         of it secret. To read the object, S3 must ask KMS to unwrap that blob again.",
        &["sse-kms-1"],
    );
    let stored = s.at_rest(BUCKET, "orders.csv")?;
    s.check_eq(
        "stored as SSE-KMS",
        "SSE-KMS",
        stored.mode(),
        &["sse-kms-1"],
    );
    let leaked = stored.blob_contains(BODY.as_bytes());
    s.check(
        "the blob on disk is ciphertext",
        !leaked,
        "the order text is not in the blob",
        if leaked {
            "found in the blob"
        } else {
            "not in the blob"
        },
        &["sse-kms-1"],
    );
    let record = kms_record(&stored).cloned();
    let wrapped_len = record
        .as_ref()
        .and_then(|r| {
            base64::engine::general_purpose::STANDARD
                .decode(&r.kms_ciphertext_blob)
                .ok()
        })
        .map_or(0, |b| b.len());
    s.check(
        "the data key is stored only wrapped, as a KMS ciphertext blob",
        wrapped_len > 32,
        "a KMS ciphertext blob (header, encrypted 32-byte key, tag)",
        format!("a {wrapped_len}-byte blob"),
        &["sse-kms-1"],
    );
    s.check_eq(
        "wrapped under the key material GenerateDataKey used",
        &gdk_material,
        record
            .as_ref()
            .map_or("(none)".into(), |r| r.kms_key_material_id.clone()),
        &["sse-kms-1", "sse-kms-4"],
    );

    s.step("GET: S3 asks KMS to Decrypt the data key");
    s.note_claims(
        "Reading is transparent for the caller, but not for KMS: S3 sends the stored blob and the \
         same encryption context to KMS Decrypt, again as admin via s3.amazonaws.com, gets the \
         data key back, decrypts the object and forgets the key. Every read of the object leaves \
         a record like this one.",
        &["sse-kms-4"],
    );
    let (get, records) = send_and_audit(s, Req::get(format!("/{BUCKET}/orders.csv")))?;
    s.check_eq(
        "GET returns the plaintext",
        BODY,
        get.text(),
        &["sse-kms-1"],
    );
    let decrypt = only_event(&records, "Decrypt");
    s.check_eq(
        "one Decrypt call in the trail, by admin through S3",
        format!("admin via {S3_VIA}"),
        decrypt.map_or("(no single Decrypt record)".into(), caller_of),
        &["sse-kms-4"],
    );
    s.check_eq(
        "with the same encryption context",
        &gdk_context,
        decrypt.map_or("(none)".into(), |r| context_value(r, "aws:s3:arn")),
        &["sse-kms-4"],
    );
    s.check_eq(
        "and the same key material",
        &gdk_material,
        decrypt
            .and_then(|r| r.key_material_id())
            .unwrap_or("(none)"),
        &["sse-kms-4"],
    );

    s.step("No key id: the AWS managed key aws/s3");
    s.note_claims(
        "The seed's \"default customer master key\" is today the AWS managed key `aws/s3`. A PUT \
         with `aws:kms` and no key id makes S3 use it; the first such write in an account \
         creates it, which the trail shows as a CreateKey before the GenerateDataKey. AWS \
         manages this key (`KeyManager: AWS`): it rotates every year and you cannot change its \
         policy, disable it or delete it.",
        &["sse-kms-6", "sse-kms-8"],
    );
    let (put, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/default-key.csv"))
            .header("x-amz-server-side-encryption", "aws:kms")
            .body("written under the default key"),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &["sse-kms-8"]);
    s.check_eq(
        "the trail shows the aws/s3 key created, then used",
        "CreateKey, GenerateDataKey",
        records
            .iter()
            .map(|r| r.event_name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        &["sse-kms-6", "sse-kms-4"],
    );
    let default_arn = header_or_none(&put, "x-amz-server-side-encryption-aws-kms-key-id");
    let describe = s.send(Req::kms("DescribeKey", json!({ "KeyId": "alias/aws/s3" })))?;
    s.check_eq(
        "alias/aws/s3 names the key S3 used",
        &default_arn,
        kms_field(&describe, "/KeyMetadata/Arn"),
        &["sse-kms-6"],
    );
    s.check_eq(
        "and AWS manages it",
        "AWS",
        kms_field(&describe, "/KeyMetadata/KeyManager"),
        &["sse-kms-6"],
    );

    s.step("The encryption context is not secret");
    s.note_claims(
        "A writer may add its own pairs with `x-amz-server-side-encryption-context` (base64 of a \
         JSON object). S3 adds `aws:s3:arn` and passes all of them to KMS, which binds them to \
         the wrapped key: decryption needs the same pairs. They protect integrity, not \
         confidentiality: they sit in plaintext in the trail, in the object's metadata file, and \
         in the response. Never put a secret in them.",
        &["sse-kms-4"],
    );
    let context = base64::engine::general_purpose::STANDARD.encode(r#"{"project":"atlas"}"#);
    let (put, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/atlas.csv"))
            .header("x-amz-server-side-encryption", "aws:kms")
            .header(
                "x-amz-server-side-encryption-aws-kms-key-id",
                "alias/orders",
            )
            .header("x-amz-server-side-encryption-context", &context)
            .body("atlas rollout plan"),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &[]);
    let generate = only_event(&records, "GenerateDataKey");
    s.check_eq(
        "the trail shows our pair in clear",
        "atlas",
        generate.map_or("(none)".into(), |r| context_value(r, "project")),
        &["sse-kms-4"],
    );
    s.check_eq(
        "next to the one S3 added",
        format!("arn:aws:s3:::{BUCKET}/atlas.csv"),
        generate.map_or("(none)".into(), |r| context_value(r, "aws:s3:arn")),
        &["sse-kms-4"],
    );
    s.check_eq(
        "the alias resolved to our key",
        &key_arn,
        header_or_none(&put, "x-amz-server-side-encryption-aws-kms-key-id"),
        &[],
    );

    s.step("An asymmetric key is refused");
    s.note_claims(
        "KMS also holds asymmetric keys. Here one is created quietly with `KeySpec: RSA_2048` \
         and `KeyUsage: ENCRYPT_DECRYPT`, and named in an SSE-KMS upload. S3 encrypts objects \
         with data keys, and only a symmetric KMS key can generate one, so S3 relays KMS's \
         refusal as 400 `KMS.InvalidKeyUsageException`, and nothing is stored. The failed \
         GenerateDataKey is in the trail too.",
        &["sse-kms-7"],
    );
    let (_, rsa_arn) = create_kms_key_quietly(
        s,
        json!({ "Description": "an RSA key", "KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT" }),
    )?;
    let spec = s
        .lab()
        .app()
        .kms()
        .inspect_key(&rsa_arn)
        .map_err(|e| ScenarioError::lab(format!("the RSA key: {e}")))?;
    s.check_eq(
        "the key (created quietly) is RSA_2048, for ENCRYPT_DECRYPT",
        "RSA_2048 ENCRYPT_DECRYPT",
        format!("{} {}", spec.key_spec, spec.key_usage),
        &[],
    );
    let (put, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/rsa.csv"))
            .header("x-amz-server-side-encryption", "aws:kms")
            .header("x-amz-server-side-encryption-aws-kms-key-id", &rsa_arn)
            .body("this will not be stored"),
    )?;
    s.check_status(
        "S3 refuses the asymmetric key",
        &put,
        400,
        "KMS.InvalidKeyUsageException",
        &["sse-kms-7"],
    );
    s.check_eq(
        "the trail shows the refused GenerateDataKey",
        "GenerateDataKey InvalidKeyUsageException",
        records
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.event_name,
                    r.error_code.as_deref().unwrap_or("ok")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        &["sse-kms-7", "sse-kms-4"],
    );
    let exists = s.lab().app().s3().inspect_object(BUCKET, "rsa.csv").is_ok();
    s.check(
        "nothing was stored",
        !exists,
        "no object rsa.csv",
        if exists {
            "rsa.csv exists"
        } else {
            "no object rsa.csv"
        },
        &["sse-kms-7"],
    );

    s.step("No API returns the key material");
    s.note_claims(
        "Everything KMS says about a key is metadata: DescribeKey gives its id, ARN, state, spec, \
         manager and the *id* of its current material; GetKeyRotationStatus says whether it \
         rotates. KMS has no operation that exports the material of a symmetric key: it never \
         leaves KMS's hardware security modules unencrypted (in the lab, `kms/state.json` holds \
         it only wrapped). Only data keys, wrapped or not, and ids travel. The last check searches every request, response and record of this lesson \
         for the material of every key in the lab, and for every data key S3 got: none is there.",
        &["sse-kms-2"],
    );
    let describe = s.send(Req::kms("DescribeKey", json!({ "KeyId": "alias/orders" })))?;
    s.note(members(
        "DescribeKey's answer, member by member:",
        &kms_json(&describe)["KeyMetadata"],
    ));
    s.check_eq(
        "DescribeKey shows the id of the material, not the material",
        &gdk_material,
        kms_field(&describe, "/KeyMetadata/CurrentKeyMaterialId"),
        &["sse-kms-2"],
    );
    let rotation = s.send(Req::kms("GetKeyRotationStatus", json!({ "KeyId": key_id })))?;
    s.check_status("GetKeyRotationStatus answers", &rotation, 200, "", &[]);
    remember_kms_secrets(
        s,
        "no key material and no data key in any request, response or record",
        &["sse-kms-2"],
    )?;
    Ok(())
}

/// A note listing the members of a JSON object, one `Name: value` a line, under `title`.
fn members(title: &str, object: &serde_json::Value) -> String {
    let mut lines = vec![title.to_owned()];
    if let Some(map) = object.as_object() {
        for (name, value) in map {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or(i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            lines.push(format!("{name}: {value}"));
        }
    }
    lines.join("\n")
}
