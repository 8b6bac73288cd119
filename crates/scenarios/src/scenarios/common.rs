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
