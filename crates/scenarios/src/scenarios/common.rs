//! Set-up and checks that several scenarios share.

// Until every scenario is written, some helpers have no caller yet.
#![allow(dead_code)]

use s3lab_client::Response;

use crate::error::ScenarioError;
use crate::script::{Req, Script};

/// Creates `bucket` as `admin`, showing the exchange (the first step of most scenarios).
pub fn create_bucket(s: &mut Script<'_>, bucket: &str) -> Result<Response, ScenarioError> {
    let response = s.send(Req::put(format!("/{bucket}")))?;
    s.check_status(format!("bucket {bucket} created"), &response, 200, "", &[]);
    Ok(response)
}

/// Creates `bucket` without showing it.
pub fn create_bucket_quietly(s: &mut Script<'_>, bucket: &str) -> Result<(), ScenarioError> {
    expect_ok(
        s.quietly(Req::put(format!("/{bucket}")))?,
        "create the bucket",
    )
}

/// The `PutBucketEncryption` body that sets `algorithm` (`AES256`, `aws:kms`) as the default and
/// blocks nothing, which lifts the 2026 SSE-C block.
pub fn encryption_config(algorithm: &str, kms_key: Option<&str>, bucket_key: bool) -> String {
    let key = kms_key
        .map(|k| format!("<KMSMasterKeyID>{k}</KMSMasterKeyID>"))
        .unwrap_or_default();
    format!(
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
         <SSEAlgorithm>{algorithm}</SSEAlgorithm>{key}</ApplyServerSideEncryptionByDefault>\
         <BucketKeyEnabled>{bucket_key}</BucketKeyEnabled>\
         <BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes>\
         </Rule></ServerSideEncryptionConfiguration>"
    )
}

/// Lets `bucket` accept SSE-C again (S3 blocks it on new buckets since April 2026), quietly.
pub fn allow_sse_c_quietly(s: &mut Script<'_>, bucket: &str) -> Result<(), ScenarioError> {
    let req =
        Req::put(format!("/{bucket}?encryption")).body(encryption_config("AES256", None, false));
    expect_ok(s.quietly(req)?, "allow SSE-C on the bucket")
}

/// Set-up must succeed; if it does not, the lab is broken and the scenario stops.
pub fn expect_ok(response: Response, what: &str) -> Result<(), ScenarioError> {
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(ScenarioError::lab(format!(
            "could not {what}: {} {}",
            response.status,
            response.text()
        )))
    }
}

/// A header of a response, or `(none)`.
pub fn header_or_none(response: &Response, name: &str) -> String {
    response.header(name).unwrap_or("(none)").to_owned()
}

// ----- keys that must not leak (sse-c, client-side) -----

/// The files of the lab's data folder (paths relative to it) that hold `secret` raw, as hex or as
/// base64: what someone who copied the whole disk could find.
pub fn data_files_revealing(
    lab: &crate::lab::Lab,
    secret: &[u8],
) -> Result<Vec<String>, ScenarioError> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let root = lab.data_dir();
    let mut files = Vec::new();
    walk(root, &mut files)
        .map_err(|e| ScenarioError::lab(format!("could not list {}: {e}", root.display())))?;
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file)
            .map_err(|e| ScenarioError::lab(format!("could not read {}: {e}", file.display())))?;
        if s3lab_cse::lessons::contains_secret(&bytes, secret) {
            found.push(
                file.strip_prefix(root)
                    .unwrap_or(&file)
                    .display()
                    .to_string(),
            );
        }
    }
    Ok(found)
}

/// The last event of the current step that `pick` accepts: the exchange or wire tap just recorded.
pub fn last_event<T>(
    s: &Script<'_>,
    pick: impl Fn(&s3lab_transcript::Event) -> Option<T>,
) -> Option<T> {
    s.transcript()
        .steps
        .last()?
        .events
        .iter()
        .rev()
        .find_map(pick)
}

/// Whether `secret` appears in `event` (raw, as hex, also across the rows of a hex dump, or as
/// base64), whether or not the event is marked as showing a key on purpose.
pub fn event_reveals(event: &s3lab_transcript::Event, secret: &[u8]) -> bool {
    use s3lab_transcript::Event;
    let mut event = event.clone();
    match &mut event {
        Event::Exchange(e) => e.shown_on_purpose = false,
        Event::KmsCall(e) => e.shown_on_purpose = false,
        Event::AtRest(e) => e.shown_on_purpose = false,
        Event::WireTap(e) => e.shown_on_purpose = false,
        Event::Note(e) => e.shown_on_purpose = false,
        Event::Check(e) => e.shown_on_purpose = false,
        Event::Secret(e) => e.shown_on_purpose = false,
    }
    let mut t = s3lab_transcript::Transcript::new("", "");
    t.step("").push(event);
    !s3lab_transcript::find_secrets(&t, &[secret]).is_empty()
}

// ----- KMS helpers (sse-kms, kms-controls, kms-rotation, bucket-keys, dsse-kms) -----

/// A KMS answer's JSON body (`Null` if it is not JSON).
pub fn kms_json(response: &Response) -> serde_json::Value {
    crate::script::json_body(response)
}

/// A string member of a KMS answer, found by a JSON pointer (`/KeyMetadata/KeyId`), or `(none)`.
pub fn kms_field(response: &Response, pointer: &str) -> String {
    match kms_json(response).pointer(pointer) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => "(none)".into(),
        Some(other) => other.to_string(),
    }
}

/// Sends `req` (shown) and returns the answer with the KMS audit records it caused.
pub fn send_and_audit(
    s: &mut Script<'_>,
    req: Req,
) -> Result<(Response, Vec<s3lab_kms::AuditRecord>), ScenarioError> {
    let before = s.lab().app().kms().audit_len();
    let response = s.send(req)?;
    Ok((response, audit_since(s, before)))
}

/// Sends `req` quietly and returns the answer with the KMS audit records it caused.
pub fn quietly_and_audit(
    s: &mut Script<'_>,
    req: Req,
) -> Result<(Response, Vec<s3lab_kms::AuditRecord>), ScenarioError> {
    let before = s.lab().app().kms().audit_len();
    let response = s.quietly(req)?;
    Ok((response, audit_since(s, before)))
}

/// The audit records written since the trail had `since` records.
pub fn audit_since(s: &Script<'_>, since: usize) -> Vec<s3lab_kms::AuditRecord> {
    s.lab().app().kms().audit(&s3lab_kms::AuditQuery {
        since,
        ..Default::default()
    })
}

/// The one record named `event` among `records`, if there is exactly one.
pub fn only_event<'r>(
    records: &'r [s3lab_kms::AuditRecord],
    event: &str,
) -> Option<&'r s3lab_kms::AuditRecord> {
    let mut matching = records.iter().filter(|r| r.event_name == event);
    match (matching.next(), matching.next()) {
        (Some(r), None) => Some(r),
        _ => None,
    }
}

/// How many records among `records` are named `event`.
pub fn count_events(records: &[s3lab_kms::AuditRecord], event: &str) -> usize {
    records.iter().filter(|r| r.event_name == event).count()
}

/// The value of `name` in a record's encryption context, or `(none)`.
pub fn context_value(record: &s3lab_kms::AuditRecord, name: &str) -> String {
    record
        .request_parameters
        .pointer(&format!("/encryptionContext/{}", name.replace('/', "~1")))
        .and_then(|v| v.as_str())
        .unwrap_or("(none)")
        .to_owned()
}

/// `admin via s3.amazonaws.com`: who a record says called, and through which service.
pub fn caller_of(record: &s3lab_kms::AuditRecord) -> String {
    let who = record
        .user_identity
        .user_name
        .clone()
        .or_else(|| record.user_identity.arn.clone())
        .unwrap_or_else(|| record.user_identity.kind.clone());
    match &record.user_identity.invoked_by {
        Some(via) => format!("{who} via {via}"),
        None => who,
    }
}

/// Creates a KMS key with `body` without showing it, and returns its id and ARN.
pub fn create_kms_key_quietly(
    s: &mut Script<'_>,
    body: serde_json::Value,
) -> Result<(String, String), ScenarioError> {
    let response = s.quietly(Req::kms("CreateKey", body))?;
    if response.status != 200 {
        return Err(ScenarioError::lab(format!(
            "could not create a KMS key: {} {}",
            response.status,
            response.text()
        )));
    }
    key_id_and_arn(&response)
}

fn key_id_and_arn(response: &Response) -> Result<(String, String), ScenarioError> {
    let id = kms_field(response, "/KeyMetadata/KeyId");
    let arn = kms_field(response, "/KeyMetadata/Arn");
    if id == "(none)" || arn == "(none)" {
        return Err(ScenarioError::lab("CreateKey answered without a key id"));
    }
    Ok((id, arn))
}

/// A KMS call that must succeed, sent quietly (set-up).
pub fn kms_quietly(
    s: &mut Script<'_>,
    operation: &str,
    body: serde_json::Value,
) -> Result<Response, ScenarioError> {
    let response = s.quietly(Req::kms(operation, body))?;
    if response.status == 200 {
        Ok(response)
    } else {
        Err(ScenarioError::lab(format!(
            "KMS {operation} failed: {} {}",
            response.status,
            response.text()
        )))
    }
}

/// The SSE-KMS record an object's metadata keeps (the KMS layer of a DSSE-KMS object).
pub fn kms_record(stored: &crate::script::Stored) -> Option<&s3lab_s3::encryption::KmsRecord> {
    stored.encryption.as_ref().and_then(|e| e.kms())
}

/// Remembers every KMS secret of the lab (key material, data keys, bucket keys) for the secrets
/// test, and checks that none of them appears in the transcript so far. Returns whether none did.
pub fn remember_kms_secrets(
    s: &mut Script<'_>,
    check_name: &str,
    claims: &[&str],
) -> Result<bool, ScenarioError> {
    let mut secrets = crate::inspect::kms_key_materials(s.lab())?;
    secrets.extend(crate::inspect::kms_data_keys(s.lab())?);
    for secret in &secrets {
        s.remember_secret(secret);
    }
    let refs: Vec<&[u8]> = secrets.iter().map(|k| k.as_slice()).collect();
    let leaks = s3lab_transcript::find_secrets(s.transcript(), &refs);
    Ok(s.check(
        check_name,
        leaks.is_empty(),
        format!(
            "none of the {} keys (KMS key material, data keys) in any request, response or record",
            secrets.len()
        ),
        if leaks.is_empty() {
            "none found".to_owned()
        } else {
            leaks.join("; ")
        },
        claims,
    ))
}
