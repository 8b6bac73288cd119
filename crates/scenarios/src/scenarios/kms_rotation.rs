//! `kms-rotation`: Rotation on demand and on schedule: old objects use old material, new objects new.

use std::time::Duration;

use serde_json::json;

use crate::error::ScenarioError;
use crate::script::{at_rest, Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    create_bucket_quietly, create_kms_key_quietly, kms_field, kms_json, kms_quietly, kms_record,
    only_event, quietly_and_audit, remember_kms_secrets, send_and_audit,
};

pub const SCENARIO: Scenario = Scenario {
    id: "kms-rotation",
    title: "KMS key rotation",
    topic: Topic::SseKms,
    summary: "Rotation on demand and on schedule: old objects use old material, new objects new",
    claims: &["sse-kms-3", "sse-kms-4"],
    script,
};

const BUCKET: &str = "rotation-demo";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("An object under the key's first material");
    s.note(
        "Set-up, done quietly: the bucket `rotation-demo` and a KMS key with the alias \
         `alias/archive`. A KMS key is a name for a list of key materials: the secret bytes that \
         actually wrap data keys. It starts with one. The upload below is wrapped under it; the \
         trail and the object's metadata name that material by its id.",
    );
    create_bucket_quietly(s, BUCKET)?;
    let (key_id, key_arn) =
        create_kms_key_quietly(s, json!({ "Description": "archive documents" }))?;
    kms_quietly(
        s,
        "CreateAlias",
        json!({ "AliasName": "alias/archive", "TargetKeyId": key_id }),
    )?;
    let first = put(s, "2025-report.txt", "written before any rotation", true)?;
    s.check_eq(
        "the metadata names the same material as the trail",
        &first.generated,
        &first.stored,
        &["sse-kms-4"],
    );

    s.step("Rotate on demand");
    s.note_claims(
        "RotateKeyOnDemand (since April 2024) adds new material to the key now and makes it \
         current. The key id, ARN, alias and policy stay the same, so nothing that uses the key \
         changes; the old material is kept, for decryption only. On-demand rotations are \
         limited per key and leave the automatic schedule unchanged.",
        &["sse-kms-3"],
    );
    let (rotate, records) = send_and_audit(
        s,
        Req::kms("RotateKeyOnDemand", json!({ "KeyId": "alias/archive" })),
    )?;
    s.check_eq(
        "the key rotates, and keeps its ARN",
        &key_arn,
        kms_field(&rotate, "/KeyId"),
        &["sse-kms-3"],
    );
    let on_demand = only_event(&records, "RotateKeyOnDemand")
        .and_then(|r| r.key_material_id())
        .unwrap_or("(none)")
        .to_owned();
    s.check(
        "the trail names the new material",
        on_demand != "(none)" && on_demand != first.generated,
        "a material id other than the first",
        short(&on_demand),
        &["sse-kms-3", "sse-kms-4"],
    );
    let second = put(s, "2026-report.txt", "written after the rotation", false)?;
    s.check_eq(
        "a new object is wrapped under the new material",
        &on_demand,
        &second.generated,
        &["sse-kms-3"],
    );
    s.check_eq(
        "and its metadata says so",
        &on_demand,
        &second.stored,
        &["sse-kms-3", "sse-kms-4"],
    );

    s.step("Old objects read with old material, new with new");
    s.note_claims(
        "Nothing was re-encrypted. Each wrapped data key carries the id of the material that \
         wrapped it, and KMS picks that material to decrypt: the Decrypt records show the old \
         material for the old object and the new one for the new object. Rotation limits how \
         much data one material protects from now on; it does not touch what exists.",
        &["sse-kms-3", "sse-kms-4"],
    );
    let old = get(s, "2025-report.txt", true)?;
    s.check_eq(
        "the old object decrypts with the first material",
        &first.generated,
        &old,
        &["sse-kms-3", "sse-kms-4"],
    );
    let new = get(s, "2026-report.txt", true)?;
    s.check_eq(
        "the new object decrypts with the new material",
        &on_demand,
        &new,
        &["sse-kms-3", "sse-kms-4"],
    );

    s.step("Automatic rotation, with the clock moved forward");
    s.note_claims(
        "EnableKeyRotation turns on rotation every `RotationPeriodInDays` (90 to 2560; 365 if \
         not given). Customer managed keys do not rotate unless asked; AWS managed keys such as \
         `aws/s3` rotate every year on their own. GetKeyRotationStatus shows the next date.",
        &["sse-kms-3"],
    );
    let enable = s.send(Req::kms(
        "EnableKeyRotation",
        json!({ "KeyId": key_id, "RotationPeriodInDays": 90 }),
    ))?;
    s.check_status("automatic rotation is on", &enable, 200, "", &["sse-kms-3"]);
    let status = s.send(Req::kms("GetKeyRotationStatus", json!({ "KeyId": key_id })))?;
    let next = kms_json(&status)
        .get("NextRotationDate")
        .and_then(|v| v.as_f64())
        .unwrap_or_default();
    let expected_next = s.lab().now() + time::Duration::days(90);
    s.check_eq(
        "the next rotation is due in 90 days",
        expected_next.unix_timestamp(),
        next as i64,
        &["sse-kms-3"],
    );
    let moved = s.lab().advance_clock(Duration::from_secs(91 * 24 * 3600))?;
    let moved_text = rfc3339_seconds(moved);
    s.note_claims(
        format!(
            "Lab control: the lab's clock moves 91 days, to {moved_text}. KMS rotates in the \
             background when a rotation falls due; the lab's KMS does it at its next call, and \
             records it as AWS does: a `RotateKey` event of the service itself (no user \
             called it), dated when it was due. So the upload below shows that record first, \
             then its GenerateDataKey under the newest material."
        ),
        &["sse-kms-3", "sse-kms-4"],
    );
    let before = s.lab().app().kms().audit_len();
    let third = put(
        s,
        "2026-q2-report.txt",
        "written after the automatic rotation",
        false,
    )?;
    let records = super::common::audit_since(s, before);
    let automatic = only_event(&records, "RotateKey");
    s.check_eq(
        "the trail shows KMS rotating the key on its due date",
        format!("{} by AWS KMS", rfc3339_seconds(expected_next)),
        automatic.map_or("(no RotateKey record)".into(), |r| {
            format!(
                "{} by {}",
                r.event_time,
                if r.user_identity.kind == "AWSService" {
                    "AWS KMS"
                } else {
                    "someone else"
                }
            )
        }),
        &["sse-kms-3", "sse-kms-4"],
    );
    let automatic_material = automatic
        .and_then(|r| r.key_material_id())
        .unwrap_or("(none)")
        .to_owned();
    s.check(
        "the upload used the material the automatic rotation made",
        third.generated == automatic_material && automatic_material != on_demand,
        short(&automatic_material),
        short(&third.generated),
        &["sse-kms-3"],
    );

    s.step("ListKeyRotations: the history");
    s.note_claims(
        "ListKeyRotations lists every rotation with its material id, date and type \
         (ON_DEMAND or AUTOMATIC); the material the key was created with is not a rotation, so \
         it is not listed. The three objects still read, each with the material it was written \
         under (checked below from the Decrypt records of three quiet GETs).",
        &["sse-kms-3", "sse-kms-4"],
    );
    let list = s.send(Req::kms("ListKeyRotations", json!({ "KeyId": key_id })))?;
    let mut table = vec!["The rotations ListKeyRotations returned:".to_owned()];
    for r in kms_json(&list)
        .get("Rotations")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let date = r
            .get("RotationDate")
            .and_then(|v| v.as_f64())
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t as i64).ok())
            .map_or("?".into(), rfc3339_seconds);
        let field = |name: &str| {
            r.get(name)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        table.push(format!(
            "{date}  {:<10} material {}  {}",
            field("RotationType"),
            short(&field("KeyMaterialId")),
            field("KeyMaterialState")
        ));
    }
    s.note(table.join("\n"));
    let history: Vec<String> = kms_json(&list)
        .get("Rotations")
        .and_then(|v| v.as_array())
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    format!(
                        "{} {}",
                        r.get("RotationType")
                            .and_then(|v| v.as_str())
                            .unwrap_or("?"),
                        short(
                            r.get("KeyMaterialId")
                                .and_then(|v| v.as_str())
                                .unwrap_or("?")
                        )
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    s.check_eq(
        "two rotations: on demand, then automatic",
        format!(
            "ON_DEMAND {}, AUTOMATIC {}",
            short(&on_demand),
            short(&automatic_material)
        ),
        history.join(", "),
        &["sse-kms-3"],
    );
    let mut used = Vec::new();
    for key in ["2025-report.txt", "2026-report.txt", "2026-q2-report.txt"] {
        used.push(get(s, key, false)?);
    }
    s.check_eq(
        "every object reads with its own material",
        [&first.generated, &on_demand, &automatic_material]
            .map(|m| short(m))
            .join(", "),
        used.iter().map(|m| short(m)).collect::<Vec<_>>().join(", "),
        &["sse-kms-3", "sse-kms-4"],
    );
    remember_kms_secrets(s, "no key material and no data key in this lesson", &[])?;
    Ok(())
}

/// The material ids one upload used: from its GenerateDataKey record, and from its metadata.
struct Upload {
    generated: String,
    stored: String,
}

/// PUTs `key` under `alias/archive`, shown with its KMS records; records the at-rest view if
/// `show_at_rest`.
fn put(
    s: &mut Script<'_>,
    key: &str,
    body: &str,
    show_at_rest: bool,
) -> Result<Upload, ScenarioError> {
    let (response, records) = send_and_audit(
        s,
        Req::put(format!("/{BUCKET}/{key}"))
            .header("x-amz-server-side-encryption", "aws:kms")
            .header(
                "x-amz-server-side-encryption-aws-kms-key-id",
                "alias/archive",
            )
            .body(body),
    )?;
    super::common::expect_ok(response, &format!("upload {key}"))?;
    let generated = only_event(&records, "GenerateDataKey")
        .and_then(|r| r.key_material_id())
        .unwrap_or("(none)")
        .to_owned();
    let stored = if show_at_rest {
        s.at_rest(BUCKET, key)?
    } else {
        at_rest(s.lab(), BUCKET, key)?.1
    };
    let stored = kms_record(&stored).map_or("(none)".into(), |r| r.kms_key_material_id.clone());
    Ok(Upload { generated, stored })
}

/// GETs `key` (shown, or quietly) and returns the material id of the Decrypt it caused.
fn get(s: &mut Script<'_>, key: &str, shown: bool) -> Result<String, ScenarioError> {
    let req = Req::get(format!("/{BUCKET}/{key}"));
    let (response, records) = if shown {
        send_and_audit(s, req)?
    } else {
        quietly_and_audit(s, req)?
    };
    super::common::expect_ok(response, &format!("read {key}"))?;
    Ok(only_event(&records, "Decrypt")
        .and_then(|r| r.key_material_id())
        .unwrap_or("(none)")
        .to_owned())
}

/// The first 8 hex digits of a material id.
fn short(material: &str) -> String {
    material
        .get(..8)
        .map_or(material.to_owned(), |p| format!("{p}…"))
}

/// `2026-04-01T00:00:00Z`, as the audit trail writes times.
fn rfc3339_seconds(t: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt).unwrap_or_default()
}
