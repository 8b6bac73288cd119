//! `metadata-and-mixed`: Names, metadata and tags in plaintext on disk; every mode and a pre-2023
//! object side by side.

use crate::error::ScenarioError;
use crate::script::{at_rest, Req, Script};
use crate::{Scenario, Topic};

use super::common::{allow_sse_c_quietly, create_bucket_quietly, expect_ok, header_or_none};
use super::map::SseCKey;

pub const SCENARIO: Scenario = Scenario {
    id: "metadata-and-mixed",
    title: "Metadata is not encrypted; mixed objects read alike",
    topic: Topic::BeyondTheSeed,
    summary: "Names, metadata and tags in plaintext on disk; every mode and a pre-2023 object side by side",
    claims: &["sse-1", "sse-2", "sse-3", "sse-4"],
    script,
};

const BUCKET: &str = "mixed-demo";
const SSE: &str = "x-amz-server-side-encryption";
const REVIEW_KEY: &str = "hr/reviews/2026/alice-smith-performance-plan.txt";
const REVIEW: &str = "Review: targets missed in Q4; a 90-day plan starts 1 February.";
const BODY: &str = "Warehouse stock, 1 January: 312 pallets.";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    create_bucket_quietly(s, BUCKET)?;
    allow_sse_c_quietly(s, BUCKET)?;

    s.step("Upload with a telling name, metadata and tags");
    s.note(
        "An HR document, encrypted with SSE-KMS. Its key name says whose review it is; the \
         user metadata (`x-amz-meta-*`) and the tags (`x-amz-tagging`) say more. Watch the KMS \
         record too: the encryption context S3 sends is the object's ARN, key name included. \
         (Set-up, not shown: the bucket `mixed-demo`, allowing SSE-C.)",
    );
    let put = s.send(
        Req::put(format!("/{BUCKET}/{REVIEW_KEY}"))
            .header(SSE, "aws:kms")
            .header("content-type", "text/plain")
            .header("x-amz-meta-employee", "alice-smith")
            .header("x-amz-meta-manager", "bob-jones")
            .header("x-amz-tagging", "classification=confidential&outcome=pip")
            .body(REVIEW),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &[]);
    s.check_eq(
        "as SSE-KMS",
        "aws:kms",
        header_or_none(&put, SSE),
        &["sse-1"],
    );

    s.step("On disk: the data is ciphertext, everything else is not");
    s.note_claims(
        "Server-side encryption encrypts the object's data and nothing else. The blob is \
         ciphertext; the metadata file beside it holds the key name, the content type, the \
         user metadata and the tags in plain JSON, and the blob's file name is the key name \
         too. Anyone who can read S3's disks (or its CloudTrail, for the name) learns whose \
         review this is and how it went, without any key. Never put a secret in a key name, \
         in metadata or in tags.",
        &["sse-2", "sse-3"],
    );
    let stored = s.at_rest(BUCKET, REVIEW_KEY)?;
    let leaked = stored.blob_contains(REVIEW.as_bytes());
    s.check(
        "the review's text is not in the blob",
        !leaked,
        "ciphertext only",
        if leaked {
            "the text is there"
        } else {
            "not there"
        },
        &["sse-1", "sse-2"],
    );
    for (what, needle) in [
        ("the key name", format!("\"key\": \"{REVIEW_KEY}\"")),
        (
            "the user metadata",
            "\"employee\": \"alice-smith\"".to_owned(),
        ),
        ("the tags", "\"outcome\": \"pip\"".to_owned()),
        (
            "the content type",
            "\"content_type\": \"text/plain\"".to_owned(),
        ),
    ] {
        let readable = stored.metadata_json.contains(&needle);
        s.check(
            format!("the metadata file shows {what} in plaintext"),
            readable,
            needle,
            if readable { "readable" } else { "not found" },
            &["sse-3"],
        );
    }

    s.step("Objects of every mode in one bucket");
    let key = SseCKey::generate(s);
    s.note_claims(
        "Set-up, not shown: the same stock list uploaded three more times, as SSE-S3, \
         DSSE-KMS and SSE-C (the map scenario shows these uploads). Together with the review, \
         the bucket now holds one object of each server-side mode.",
        &["sse-4"],
    );
    for (name, mode) in [
        ("stock-sse-s3.txt", "AES256"),
        ("stock-dsse.txt", "aws:kms:dsse"),
    ] {
        expect_ok(
            s.quietly(
                Req::put(format!("/{BUCKET}/{name}"))
                    .header(SSE, mode)
                    .body(BODY),
            )?,
            "upload a stock list",
        )?;
    }
    expect_ok(
        s.quietly(key.on(Req::put(format!("/{BUCKET}/stock-sse-c.txt")).body(BODY)))?,
        "upload the SSE-C stock list",
    )?;

    s.step("And one from before 2023 (a lab control)");
    s.note_claims(
        "Lab control, not an S3 API: the bucket is switched to behave as S3 did before 5 \
         January 2023, when a PUT that named no encryption was stored unencrypted (`s3lab \
         admin history-unencrypted` does the same). One upload, then the switch goes off \
         again. Real buckets still hold such old objects: S3 did not re-encrypt them when \
         default encryption arrived. The answer carries no `x-amz-server-side-encryption`, \
         and the blob on disk is the text itself.",
        &["sse-4"],
    );
    let s3 = s.lab().app().s3().clone();
    s3.set_history_unencrypted(BUCKET, true)
        .map_err(|e| ScenarioError::lab(format!("history switch: {e:?}")))?;
    let old = s.send(Req::put(format!("/{BUCKET}/stock-2022.txt")).body(BODY))?;
    s3.set_history_unencrypted(BUCKET, false)
        .map_err(|e| ScenarioError::lab(format!("history switch: {e:?}")))?;
    s.check_status("the old-style upload succeeded", &old, 200, "", &[]);
    s.check_eq(
        "with no encryption header in the answer",
        "(none)",
        header_or_none(&old, SSE),
        &["sse-4"],
    );
    let stored = s.at_rest(BUCKET, "stock-2022.txt")?;
    s.check_eq("stored unencrypted", "none", stored.mode(), &["sse-4"]);
    s.check(
        "the text is in the blob as is",
        stored.blob_contains(BODY.as_bytes()),
        "the plaintext in the blob",
        if stored.blob_contains(BODY.as_bytes()) {
            "there"
        } else {
            "not there"
        },
        &["sse-4"],
    );
    let now = s.quietly(Req::put(format!("/{BUCKET}/stock-2026.txt")).body(BODY))?;
    s.check_eq(
        "with the switch off, the same PUT is encrypted again (not shown)",
        "AES256",
        header_or_none(&now, SSE),
        &["sse-1", "sse-4"],
    );

    s.step("Plain GETs read them all");
    let objects: [(&str, &str, &str); 5] = [
        ("stock-2022.txt", "none", BODY),
        ("stock-sse-s3.txt", "SSE-S3", BODY),
        (REVIEW_KEY, "SSE-KMS", REVIEW),
        ("stock-dsse.txt", "DSSE-KMS", BODY),
        ("stock-sse-c.txt", "SSE-C", BODY),
    ];
    let mut rows = Vec::new();
    let mut results = Vec::new();
    for (name, mode, text) in objects {
        let req = Req::get(format!("/{BUCKET}/{name}"));
        let req = if mode == "SSE-C" { key.on(req) } else { req };
        let get = s.quietly(req)?;
        let (_, stored) = at_rest(s.lab(), BUCKET, name)?;
        let answer = match get.header(SSE) {
            Some(v) => v.to_owned(),
            None if get
                .header("x-amz-server-side-encryption-customer-algorithm")
                .is_some() =>
            {
                "(SSE-C headers)".to_owned()
            }
            None => "(none)".to_owned(),
        };
        let short = name.rsplit('/').next().unwrap_or(name);
        rows.push(format!(
            "{short:<32} {:<9} {:<9} {answer:<16} {}",
            stored.mode(),
            if mode == "SSE-C" { "+ key" } else { "nothing" },
            if get.status == 200 && get.text() == text {
                "yes"
            } else {
                "NO"
            },
        ));
        results.push((name, mode, text, get, stored.mode()));
    }
    s.note_claims(
        format!(
            "The same GET for each object; only the SSE-C one carries its key, as it must. S3 \
             decrypts what it encrypted, reads the old object as it is, and the caller cannot \
             tell the difference except by the answer's headers. (Not shown: the five \
             exchanges.)\n\n{:<32} {:<9} {:<9} {:<16} {}\n{}",
            "object",
            "stored",
            "GET sends",
            "answer's sse",
            "read back",
            rows.join("\n")
        ),
        &["sse-4"],
    );
    for (name, mode, text, get, stored_mode) in &results {
        let short = name.rsplit('/').next().unwrap_or(name);
        s.check_eq(
            if *mode == "none" {
                format!("{short} is stored unencrypted")
            } else {
                format!("{short} is stored as {mode}")
            },
            mode,
            stored_mode,
            &["sse-4"],
        );
        s.check_eq(
            format!("a plain GET of {short} returns its text"),
            text,
            get.text(),
            &["sse-4"],
        );
    }
    Ok(())
}
