//! `kms-controls`: No kms:Decrypt, no object; disable, enable, schedule deletion; who used which key when.

use std::time::Duration;

use serde_json::json;

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    caller_of, context_value, create_bucket_quietly, create_kms_key_quietly, expect_ok, kms_field,
    kms_quietly, only_event, remember_kms_secrets, send_and_audit,
};

pub const SCENARIO: Scenario = Scenario {
    id: "kms-controls",
    title: "KMS controls: the second lock",
    topic: Topic::SseKms,
    summary:
        "No kms:Decrypt, no object; disable, enable, schedule deletion; who used which key when",
    claims: &["sse-kms-4", "sse-kms-5"],
    script,
};

const BUCKET: &str = "controls-demo";
const KEY: &str = "payroll.csv";
const BODY: &str = "employee,net\nA. Martin,3120.00\nB. Okafor,2875.50";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    let object = format!("/{BUCKET}/{KEY}");
    let object_arn = format!("arn:aws:s3:::{BUCKET}/{KEY}");

    // A seeded lab's clock stands still unless moved; a live lab's runs on its own.
    let seeded = s.lab().advance_clock(Duration::ZERO).is_ok();
    s.step("Set-up: an object under a key of our own");
    s.note(format!(
        "Set-up, done quietly: the bucket `controls-demo`, a KMS key with the alias \
         `alias/payroll`, and a plain SSE-S3 object `public.txt`. Then admin uploads \
         `payroll.csv` with SSE-KMS under that key, shown below with the GenerateDataKey it \
         caused.{}",
        if seeded {
            " The lab's clock moves one hour between steps, so that the trail at the end has \
             times to tell apart."
        } else {
            ""
        }
    ));
    create_bucket_quietly(s, BUCKET)?;
    let (key_id, key_arn) = create_kms_key_quietly(s, json!({ "Description": "payroll exports" }))?;
    kms_quietly(
        s,
        "CreateAlias",
        json!({ "AliasName": "alias/payroll", "TargetKeyId": key_id }),
    )?;
    let public =
        s.quietly(Req::put(format!("/{BUCKET}/public.txt")).body("opening hours: 9-17"))?;
    expect_ok(public, "upload public.txt")?;
    let (put, _) = send_and_audit(
        s,
        Req::put(&object)
            .header("x-amz-server-side-encryption", "aws:kms")
            .header(
                "x-amz-server-side-encryption-aws-kms-key-id",
                "alias/payroll",
            )
            .body(BODY),
    )?;
    s.check_status("admin uploads payroll.csv", &put, 200, "", &[]);

    tick(s, seeded)?;
    s.step("The second lock: S3 lets reader in, KMS does not");
    s.note_claims(
        "The identity `reader` has an IAM policy that allows `s3:GetObject` on every bucket, but \
         no `kms:Decrypt`. For an SSE-S3 object that is enough. For an SSE-KMS object, S3 must \
         ask KMS to decrypt the data key *as reader*, and KMS refuses: the object needs two \
         permissions, one from S3 and one from KMS. S3 answers 403 AccessDenied with KMS's \
         sentence, and the trail keeps the refused Decrypt. Whoever controls the key controls \
         every object under it, whatever the bucket policy says.",
        &["sse-kms-5", "sse-kms-4"],
    );
    let plain = s.send(Req::get(format!("/{BUCKET}/public.txt")).by("reader"))?;
    s.check_status(
        "reader may GET the SSE-S3 object",
        &plain,
        200,
        "",
        &["sse-kms-5"],
    );
    let (denied, records) = send_and_audit(s, Req::get(&object).by("reader"))?;
    s.check_status(
        "reader may not GET the SSE-KMS object",
        &denied,
        403,
        "AccessDenied",
        &["sse-kms-5"],
    );
    s.check_eq(
        "S3 says why: KMS refused kms:Decrypt",
        format!(
            "User: arn:aws:iam::{}:user/reader is not authorized to perform: kms:Decrypt on \
             resource: {key_arn} because no identity-based policy allows the kms:Decrypt action",
            crate::lab::ACCOUNT
        ),
        denied.element("Message"),
        &["sse-kms-5"],
    );
    let decrypt = only_event(&records, "Decrypt");
    s.check_eq(
        "the trail records reader's refused Decrypt",
        "reader via s3.amazonaws.com: AccessDeniedException",
        decrypt.map_or("(no Decrypt record)".into(), |r| {
            format!(
                "{}: {}",
                caller_of(r),
                r.error_code.as_deref().unwrap_or("ok")
            )
        }),
        &["sse-kms-4", "sse-kms-5"],
    );

    tick(s, seeded)?;
    s.step("Disable the key: nobody can read, then enable it again");
    s.note_claims(
        "DisableKey switches the key off without losing anything. Every read of every object \
         under it fails at once, even for admin: S3 relays KMS's `DisabledException` as \
         400 `KMS.DisabledException`. EnableKey switches it back on and the same GET works again. \
         This is the emergency brake an incident response plan can pull.",
        &["sse-kms-5"],
    );
    let disable = s.send(Req::kms("DisableKey", json!({ "KeyId": "alias/payroll" })))?;
    s.check_status("the key is disabled", &disable, 200, "", &["sse-kms-5"]);
    let refused = s.send(Req::get(&object))?;
    s.check_status(
        "GET fails while the key is disabled",
        &refused,
        400,
        "KMS.DisabledException",
        &["sse-kms-5"],
    );
    s.check_eq(
        "with KMS's message",
        format!("{key_arn} is disabled."),
        refused.element("Message"),
        &["sse-kms-5"],
    );
    let enable = s.send(Req::kms("EnableKey", json!({ "KeyId": "alias/payroll" })))?;
    s.check_status("the key is enabled again", &enable, 200, "", &["sse-kms-5"]);
    let (get, _) = send_and_audit(s, Req::get(&object))?;
    s.check_eq("and GET works again", BODY, get.text(), &["sse-kms-5"]);

    tick(s, seeded)?;
    s.step("Schedule the key's deletion, then cancel it");
    s.note_claims(
        "Deleting a KMS key deletes its material, and with it every object encrypted under it: \
         there is no undo. So KMS never deletes at once: ScheduleKeyDeletion sets a waiting \
         period of 7 to 30 days (here 7) during which the key is `PendingDeletion` and unusable, \
         so anything that still needs it fails loudly (S3 answers 400 \
         `KMS.KMSInvalidStateException`). CancelKeyDeletion brings the key back, but `Disabled`: \
         as in AWS, it must be enabled again on purpose.",
        &["sse-kms-5"],
    );
    let schedule = s.send(Req::kms(
        "ScheduleKeyDeletion",
        json!({ "KeyId": key_id, "PendingWindowInDays": 7 }),
    ))?;
    s.check_eq(
        "the key is pending deletion",
        "PendingDeletion",
        kms_field(&schedule, "/KeyState"),
        &["sse-kms-5"],
    );
    let refused = s.send(Req::get(&object))?;
    s.check_status(
        "GET fails while deletion is pending",
        &refused,
        400,
        "KMS.KMSInvalidStateException",
        &["sse-kms-5"],
    );
    s.check_eq(
        "with KMS's message",
        format!("{key_arn} is pending deletion."),
        refused.element("Message"),
        &["sse-kms-5"],
    );
    let cancel = s.send(Req::kms("CancelKeyDeletion", json!({ "KeyId": key_id })))?;
    s.check_status(
        "the deletion is cancelled",
        &cancel,
        200,
        "",
        &["sse-kms-5"],
    );
    let describe = s.send(Req::kms("DescribeKey", json!({ "KeyId": key_id })))?;
    s.check_eq(
        "the key is back, but disabled",
        "Disabled",
        kms_field(&describe, "/KeyMetadata/KeyState"),
        &["sse-kms-5"],
    );
    let enable = s.send(Req::kms("EnableKey", json!({ "KeyId": key_id })))?;
    s.check_status("enabled on purpose", &enable, 200, "", &["sse-kms-5"]);
    let (get, _) = send_and_audit(s, Req::get(&object))?;
    s.check_eq(
        "and the object reads again",
        BODY,
        get.text(),
        &["sse-kms-5"],
    );

    tick(s, seeded)?;
    s.step("The trail answers: which key, which material, who, when");
    let trail = s.lab().app().kms().audit(&s3lab_kms::AuditQuery {
        key_arn: Some(&key_arn),
        ..Default::default()
    });
    // The records about this object (their context names it), and the key's management events.
    let relevant: Vec<&s3lab_kms::AuditRecord> = trail
        .iter()
        .filter(|r| {
            let ctx = context_value(r, "aws:s3:arn");
            ctx == object_arn || (ctx == "(none)" && is_key_management(&r.event_name))
        })
        .collect();
    let day = relevant
        .first()
        .and_then(|r| r.event_time.split('T').next())
        .unwrap_or("?");
    let mut lines = vec![format!(
        "Every KMS record about {KEY} or its key, from the trail (key {key_id}, times UTC \
         on {day}):"
    )];
    for r in &relevant {
        lines.push(trail_line(r));
    }
    s.note_claims(lines.join("\n"), &["sse-kms-4"]);
    s.note_claims(
        "This is what an auditor asks for: the object's ARN is in every data-key record, so a \
         query for it gives who wrote it, who read it or tried to, with which key and which \
         version of the key material, and when; the management calls say who switched the key \
         off and on. In AWS these records are CloudTrail events, which can be delivered to a \
         separate account where the people they describe cannot change them.",
        &["sse-kms-4", "sse-kms-5"],
    );
    let writes: Vec<&&s3lab_kms::AuditRecord> = relevant
        .iter()
        .filter(|r| r.event_name == "GenerateDataKey")
        .collect();
    s.check_eq(
        "the object was written once, by admin through S3",
        "1 × admin via s3.amazonaws.com",
        match writes.as_slice() {
            [one] => format!("1 × {}", caller_of(one)),
            many => format!("{} records", many.len()),
        },
        &["sse-kms-4"],
    );
    let written_with = writes
        .first()
        .and_then(|r| r.key_material_id())
        .unwrap_or("(none)")
        .to_owned();
    let reads_ok: Vec<&&s3lab_kms::AuditRecord> = relevant
        .iter()
        .filter(|r| r.event_name == "Decrypt" && r.succeeded())
        .collect();
    s.check(
        "every successful read used the material it was written with",
        !reads_ok.is_empty()
            && reads_ok
                .iter()
                .all(|r| r.key_material_id() == Some(written_with.as_str())),
        format!("material {}", short(&written_with)),
        reads_ok
            .iter()
            .map(|r| {
                format!(
                    "material {}",
                    short(r.key_material_id().unwrap_or("(none)"))
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        &["sse-kms-4"],
    );
    let failures: Vec<String> = relevant
        .iter()
        .filter(|r| !r.succeeded())
        .map(|r| {
            format!(
                "{} {}",
                r.user_identity.user_name.as_deref().unwrap_or("?"),
                r.error_code.as_deref().unwrap_or("?")
            )
        })
        .collect();
    s.check_eq(
        "and every refused read is there, with who and why",
        "reader AccessDeniedException, admin DisabledException, admin KMSInvalidStateException",
        failures.join(", "),
        &["sse-kms-4", "sse-kms-5"],
    );
    remember_kms_secrets(s, "no key material and no data key in this lesson", &[])?;
    Ok(())
}

fn is_key_management(event: &str) -> bool {
    matches!(
        event,
        "CreateKey"
            | "DisableKey"
            | "EnableKey"
            | "ScheduleKeyDeletion"
            | "CancelKeyDeletion"
            | "CreateAlias"
    )
}

/// The first 8 hex digits of a material id, enough to tell materials apart in a note.
fn short(material: &str) -> String {
    material
        .get(..8)
        .map_or(material.to_owned(), |p| format!("{p}…"))
}

/// `01:00:00 Decrypt        reader via S3   ✗ AccessDeniedException`
fn trail_line(r: &s3lab_kms::AuditRecord) -> String {
    let time = r
        .event_time
        .split('T')
        .nth(1)
        .and_then(|t| t.get(..8))
        .unwrap_or(&r.event_time);
    let who = caller_of(r).replace("s3.amazonaws.com", "S3");
    let outcome = match (&r.error_code, r.key_material_id()) {
        (Some(code), _) => format!("✗ {code}"),
        (None, Some(m)) => format!("material {}", short(m)),
        (None, None) => "ok".into(),
    };
    format!("{time} {:<19} {who:<15} {outcome}", r.event_name)
}

/// Moves a seeded lab's clock one hour on; a live lab's clock moves by itself.
fn tick(s: &Script<'_>, seeded: bool) -> Result<(), ScenarioError> {
    if seeded {
        s.lab().advance_clock(Duration::from_secs(3600))?;
    }
    Ok(())
}
