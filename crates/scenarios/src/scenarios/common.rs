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
