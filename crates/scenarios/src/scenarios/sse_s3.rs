//! `sse-s3`: S3 encrypts with keys it owns, and wraps each data key under a root key it rotates.

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{create_bucket, header_or_none};

pub const SCENARIO: Scenario = Scenario {
    id: "sse-s3",
    title: "SSE-S3: keys that S3 owns",
    topic: Topic::SseS3,
    summary: "AES256 on the request, ciphertext on disk, a data key wrapped by a rotating root key",
    claims: &[
        "overview-1",
        "sse-1",
        "sse-2",
        "sse-3",
        "sse-4",
        "sse-s3-1",
        "sse-s3-2",
        "sse-s3-3",
        "sse-s3-4",
    ],
    script,
};

const BUCKET: &str = "sse-s3-demo";
const BODY: &str = "Quarterly numbers: revenue up 12 percent.";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("A bucket to work in");
    s.note(
        "Every scenario starts with a fresh lab: S3 and KMS running on this machine, a data folder \
         you can open, and a fixed seed so that every run shows the same keys and ids.",
    );
    create_bucket(s, BUCKET)?;

    s.step("Upload with x-amz-server-side-encryption: AES256");
    s.note_claims(
        "The request asks for SSE-S3 with the header `x-amz-server-side-encryption: AES256`. The seed \
         writes the value as \"AES-256\": the algorithm is AES-256, but the header's value has no \
         hyphen, and S3 refuses \"AES-256\" (see the enforce-encryption scenario). The response \
         confirms the mode with the same header.",
        &["sse-s3-3", "sse-s3-4"],
    );
    let put = s.send(
        Req::put(format!("/{BUCKET}/report.txt"))
            .header("x-amz-server-side-encryption", "AES256")
            .header("x-amz-meta-department", "finance")
            .header("content-type", "text/plain")
            .body(BODY),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &["sse-s3-4"]);
    s.check_eq(
        "S3 confirms SSE-S3 in the response",
        "AES256",
        header_or_none(&put, "x-amz-server-side-encryption"),
        &["sse-s3-3", "sse-s3-4"],
    );

    s.step("What S3 wrote to disk");
    s.note_claims(
        "The blob file holds the object encrypted with AES-256-GCM under a fresh 256-bit data key: \
         the text of the report is nowhere in it. Beside it, the metadata file is plain JSON: the \
         content type, the user metadata `department: finance`, the size and the ETag can be read by \
         anyone who can read the disk. Server-side encryption covers the object's data only.",
        &["sse-1", "sse-2", "sse-3", "sse-s3-3"],
    );
    let stored = s.at_rest(BUCKET, "report.txt")?;
    let leaked = stored.blob_contains(BODY.as_bytes());
    s.check(
        "the blob on disk is ciphertext",
        !leaked,
        "the plaintext does not appear in the blob",
        if leaked {
            "the plaintext is in the blob"
        } else {
            "the plaintext is not in the blob"
        },
        &["sse-1", "sse-2"],
    );
    s.check(
        "the metadata beside the blob is plaintext",
        stored.metadata_json.contains("\"department\": \"finance\""),
        "\"department\": \"finance\" readable in the metadata file",
        if stored.metadata_json.contains("finance") {
            "readable"
        } else {
            "not found"
        },
        &["sse-3"],
    );

    s.step("The data key is wrapped by S3's root key");
    let current = s
        .lab()
        .app()
        .s3()
        .root_keys()
        .current_version()
        .map_err(|e| ScenarioError::lab(format!("root key: {e:?}")))?;
    s.note_claims(
        format!(
            "The metadata keeps the data key only wrapped (encrypted) by S3's root key, version \
             {current}, which never leaves S3. You hold no key and call no key service: S3 manages \
             both keys for you."
        ),
        &["sse-s3-1", "sse-s3-2"],
    );
    let wrapped_by = stored_root_version(&stored);
    s.check_eq(
        "the data key is wrapped by the current root key version",
        format!("v{current}"),
        wrapped_by.map_or("(none)".into(), |v| format!("v{v}")),
        &["sse-s3-1", "sse-s3-2"],
    );

    s.step("GET is transparent");
    s.note_claims(
        "Reading needs nothing special: S3 unwraps the data key, decrypts, and returns the plaintext \
         with the same `x-amz-server-side-encryption: AES256` header.",
        &["sse-4"],
    );
    let get = s.send(Req::get(format!("/{BUCKET}/report.txt")))?;
    s.check_eq(
        "GET returns the plaintext",
        BODY,
        get.text(),
        &["sse-4", "sse-s3-1"],
    );

    s.step("The root key rotates; old objects still read");
    let rotated = s
        .lab()
        .app()
        .s3()
        .root_keys()
        .rotate_now()
        .map_err(|e| ScenarioError::lab(format!("rotate: {e:?}")))?;
    s.note_claims(
        format!(
            "Lab control: the root key is rotated now (S3 does this on its own schedule; \
             `s3lab admin rotate-root-key` does it on demand). New objects get data keys wrapped \
             by version {rotated}; the old object's data key stays wrapped by version {current}, \
             which S3 keeps for decryption only."
        ),
        &["sse-s3-2"],
    );
    s.send(
        Req::put(format!("/{BUCKET}/after-rotation.txt"))
            .header("x-amz-server-side-encryption", "AES256")
            .body("written after the rotation"),
    )?;
    let newer = s.at_rest(BUCKET, "after-rotation.txt")?;
    s.check_eq(
        "a new object uses the new root key version",
        format!("v{rotated}"),
        stored_root_version(&newer).map_or("(none)".into(), |v| format!("v{v}")),
        &["sse-s3-2"],
    );
    let old = s.send(Req::get(format!("/{BUCKET}/report.txt")))?;
    s.check_eq(
        "the old object still reads after the rotation",
        BODY,
        old.text(),
        &["sse-s3-2"],
    );

    s.step("Since 2023, no header still means encrypted");
    s.note_claims(
        "Since 5 January 2023 every bucket encrypts new objects with SSE-S3 by default, so a PUT \
         without the header is encrypted too, and the response says so. The seed predates this: \
         the header is no longer needed for SSE-S3.",
        &["overview-1", "sse-s3-4", "sse-1"],
    );
    let plain_put =
        s.send(Req::put(format!("/{BUCKET}/no-header.txt")).body("no header was sent"))?;
    s.check_eq(
        "a PUT without the header is answered with AES256",
        "AES256",
        header_or_none(&plain_put, "x-amz-server-side-encryption"),
        &["sse-s3-4", "sse-1"],
    );
    let stored = s.at_rest(BUCKET, "no-header.txt")?;
    s.check_eq(
        "and it is stored as SSE-S3",
        "SSE-S3",
        stored.mode(),
        &["overview-1", "sse-1"],
    );
    Ok(())
}

fn stored_root_version(stored: &crate::script::Stored) -> Option<u32> {
    match &stored.encryption {
        Some(s3lab_s3::encryption::StoredEncryption::SseS3 { data_key }) => {
            Some(data_key.root_key_version)
        }
        _ => None,
    }
}
