//! `bucket-keys`: 20 uploads with and without a bucket key, KMS calls counted, the context becomes the bucket.

use std::collections::BTreeSet;

use base64::Engine as _;
use md5::{Digest, Md5};
use serde_json::json;

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    context_value, count_events, create_bucket_quietly, create_kms_key_quietly, expect_ok,
    header_or_none, kms_quietly, quietly_and_audit, remember_kms_secrets, send_and_audit,
};

pub const SCENARIO: Scenario = Scenario {
    id: "bucket-keys",
    title: "S3 Bucket Keys: fewer KMS calls",
    topic: Topic::BeyondTheSeed,
    summary: "20 uploads with and without a bucket key, KMS calls counted, the context becomes the bucket",
    claims: &["sse-kms-4"],
    script,
};

const PLAIN: &str = "per-object-keys";
const KEYED: &str = "with-bucket-key";
const UPLOADS: usize = 20;

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("Without a bucket key: one GenerateDataKey per object");
    s.note_claims(
        "Beyond the seed: S3 Bucket Keys arrived in December 2020. Set-up, done quietly: two \
         buckets, `per-object-keys` and `with-bucket-key`, and a KMS key `alias/uploads`. First, \
         20 uploads with SSE-KMS to the bucket without a bucket key. The first is shown; the \
         other 19 are sent quietly, and their KMS calls counted from the audit trail. Every \
         object costs S3 one GenerateDataKey, and each call's context is that object's ARN.",
        &["sse-kms-4"],
    );
    create_bucket_quietly(s, PLAIN)?;
    create_bucket_quietly(s, KEYED)?;
    let (key_id, key_arn) = create_kms_key_quietly(s, json!({ "Description": "uploads" }))?;
    kms_quietly(
        s,
        "CreateAlias",
        json!({ "AliasName": "alias/uploads", "TargetKeyId": key_id }),
    )?;
    let upload = |i: usize| {
        Req::put(format!("/{PLAIN}/file-{i:02}.txt"))
            .header("x-amz-server-side-encryption", "aws:kms")
            .header(
                "x-amz-server-side-encryption-aws-kms-key-id",
                "alias/uploads",
            )
            .body(format!("upload number {i}"))
    };
    let (first, mut plain_records) = send_and_audit(s, upload(1))?;
    s.check_status("the first upload succeeded", &first, 200, "", &[]);
    for i in 2..=UPLOADS {
        let (response, records) = quietly_and_audit(s, upload(i))?;
        expect_ok(response, "upload to per-object-keys")?;
        plain_records.extend(records);
    }
    let plain_generate = count_events(&plain_records, "GenerateDataKey");
    s.check_eq(
        "20 uploads, 20 GenerateDataKey calls",
        UPLOADS,
        plain_generate,
        &["sse-kms-4"],
    );
    let contexts: BTreeSet<String> = plain_records
        .iter()
        .filter(|r| r.event_name == "GenerateDataKey")
        .map(|r| context_value(r, "aws:s3:arn"))
        .collect();
    s.check_eq(
        "each with its own object's ARN as context",
        format!("{UPLOADS} object ARNs, from arn:aws:s3:::{PLAIN}/file-01.txt"),
        format!(
            "{} object ARNs, from {}",
            contexts.len(),
            contexts.iter().next().map_or("(none)", String::as_str)
        ),
        &["sse-kms-4"],
    );

    s.step("Turn on the bucket key: default encryption with BucketKeyEnabled");
    s.note(
        "The second bucket gets default encryption SSE-KMS with our key and \
         `BucketKeyEnabled: true`, so uploads need no SSE header at all. (A single upload can \
         also ask for it with `x-amz-server-side-encryption-bucket-key-enabled: true`.)",
    );
    let config = format!(
        "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n\
         \x20 <Rule>\n\
         \x20   <ApplyServerSideEncryptionByDefault>\n\
         \x20     <SSEAlgorithm>aws:kms</SSEAlgorithm>\n\
         \x20     <KMSMasterKeyID>{key_id}</KMSMasterKeyID>\n\
         \x20   </ApplyServerSideEncryptionByDefault>\n\
         \x20   <BucketKeyEnabled>true</BucketKeyEnabled>\n\
         \x20 </Rule>\n\
         </ServerSideEncryptionConfiguration>"
    );
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(config.as_bytes()));
    let put_config = s.send(
        Req::put(format!("/{KEYED}?encryption"))
            .header("content-md5", md5)
            .body(config),
    )?;
    s.check_status("default encryption is set", &put_config, 200, "", &[]);

    s.step("With a bucket key: one GenerateDataKey for 20 objects");
    s.note_claims(
        "The same 20 uploads to `with-bucket-key`, the first shown. S3 asks KMS once for a \
         bucket-level key, keeps it for a while, and derives each object's data key from it \
         locally. The response says `x-amz-server-side-encryption-bucket-key-enabled: true`, \
         and the single GenerateDataKey has the *bucket's* ARN as context.",
        &["sse-kms-4"],
    );
    let upload =
        |i: usize| Req::put(format!("/{KEYED}/file-{i:02}.txt")).body(format!("upload number {i}"));
    let (first, mut keyed_records) = send_and_audit(s, upload(1))?;
    s.check_eq(
        "S3 applied SSE-KMS with our key and a bucket key",
        format!("aws:kms, {key_arn}, bucket key true"),
        format!(
            "{}, {}, bucket key {}",
            header_or_none(&first, "x-amz-server-side-encryption"),
            header_or_none(&first, "x-amz-server-side-encryption-aws-kms-key-id"),
            header_or_none(&first, "x-amz-server-side-encryption-bucket-key-enabled")
        ),
        &[],
    );
    for i in 2..=UPLOADS {
        let (response, records) = quietly_and_audit(s, upload(i))?;
        expect_ok(response, "upload to with-bucket-key")?;
        keyed_records.extend(records);
    }
    let keyed_generate = count_events(&keyed_records, "GenerateDataKey");
    s.check_eq(
        "20 uploads, 1 GenerateDataKey call",
        1,
        keyed_generate,
        &["sse-kms-4"],
    );
    let contexts: BTreeSet<String> = keyed_records
        .iter()
        .filter(|r| r.event_name == "GenerateDataKey")
        .map(|r| context_value(r, "aws:s3:arn"))
        .collect();
    s.check_eq(
        "its context is the bucket's ARN, not an object's",
        format!("arn:aws:s3:::{KEYED}"),
        contexts.into_iter().collect::<Vec<_>>().join(", "),
        &["sse-kms-4"],
    );

    s.step("Reading back: 20 Decrypt calls, or 1");
    s.note_claims(
        "Reads follow the same pattern. Here `writer` (allowed to use the key) reads all 40 \
         objects back, quietly. Without a bucket key each GET is one Decrypt; with one, the \
         first GET decrypts the bucket key and the next 19 reuse it. S3 keeps bucket keys per \
         caller, so a caller without `kms:Decrypt` never rides on someone else's.",
        &["sse-kms-4"],
    );
    let mut counts = Vec::new();
    for bucket in [PLAIN, KEYED] {
        let mut records = Vec::new();
        for i in 1..=UPLOADS {
            let (response, r) = quietly_and_audit(
                s,
                Req::get(format!("/{bucket}/file-{i:02}.txt")).by("writer"),
            )?;
            expect_ok(response, "read back")?;
            records.extend(r);
        }
        counts.push(count_events(&records, "Decrypt"));
    }
    s.check_eq(
        "20 GETs without a bucket key: 20 Decrypt calls",
        UPLOADS,
        counts[0],
        &["sse-kms-4"],
    );
    s.check_eq(
        "20 GETs with a bucket key: 1 Decrypt call",
        1,
        counts[1],
        &["sse-kms-4"],
    );

    s.step("Why it matters, and what it costs");
    s.note_claims(
        format!(
            "KMS calls counted from the audit trail:\n\
             \n\
             {:<22}{:>15}{:>14}\n\
             {:<22}{:>15}{:>14}\n\
             {:<22}{:>15}{:>14}\n\
             \n\
             Every KMS request is billed, and KMS limits how many cryptographic requests an \
             account may make per second in a Region; S3 calling on your behalf counts against \
             that limit. A busy bucket without a bucket key can be throttled, and pays for every \
             object. AWS says bucket keys cut the cost of SSE-KMS requests by up to 99 percent.\n\n\
             The price is in the trail: KMS now sees the bucket, not the object. The audit \
             record no longer says which object a data key was for, and a key policy or grant \
             that names an object's ARN in `kms:EncryptionContext:aws:s3:arn` stops matching.",
            "",
            "no bucket key",
            "bucket key",
            "GenerateDataKey (PUT)",
            plain_generate,
            keyed_generate,
            "Decrypt (GET)",
            counts[0],
            counts[1],
        ),
        &["sse-kms-4"],
    );
    remember_kms_secrets(s, "no key material and no data key in this lesson", &[])?;
    Ok(())
}
