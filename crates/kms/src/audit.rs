//! The audit trail: one CloudTrail-shaped record for every KMS call, successful or not.
//!
//! Records follow the shape of CloudTrail's KMS events (reference section 8): who called
//! (`userIdentity`, with `invokedBy` when a service such as S3 called on the user's behalf), what
//! (`eventName`, `requestParameters` with the key id and encryption context), on which key
//! (`resources[].ARN`), with which key material (`additionalEventData.keyMaterialId`), and how it
//! ended (`errorCode`/`errorMessage`). A record never holds plaintext, a data key or a ciphertext
//! blob: those fields are simply never copied in.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "accountId")]
    pub account_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "ARN")]
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub event_version: String,
    pub user_identity: UserIdentity,
    pub event_time: String,
    pub event_source: String,
    pub event_name: String,
    pub aws_region: String,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    pub user_agent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub request_parameters: Value,
    pub response_elements: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    #[serde(rename = "requestID")]
    pub request_id: String,
    #[serde(rename = "eventID")]
    pub event_id: String,
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    pub event_type: String,
    pub management_event: bool,
    pub recipient_account_id: String,
    pub event_category: String,
}

impl AuditRecord {
    /// The ARN of the key the call was about, if it resolved to one.
    pub fn key_arn(&self) -> Option<&str> {
        self.resources.first().map(|r| r.arn.as_str())
    }

    pub fn key_material_id(&self) -> Option<&str> {
        self.additional_event_data
            .as_ref()?
            .get("keyMaterialId")?
            .as_str()
    }

    pub fn succeeded(&self) -> bool {
        self.error_code.is_none()
    }
}

/// A filter over the trail. Every field that is set must match.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    /// Matches `resources[].ARN` (give the key ARN; use [`crate::Kms::describe_key`] to resolve ids
    /// and aliases first).
    pub key_arn: Option<&'a str>,
    pub event_name: Option<&'a str>,
    pub caller_arn: Option<&'a str>,
    pub invoked_by: Option<&'a str>,
    /// Only failed (`Some(false)`) or only successful (`Some(true)`) calls.
    pub succeeded: Option<bool>,
    /// Skip the first `since` records of the trail (a cursor from [`crate::Kms::audit_len`]).
    pub since: usize,
}

impl AuditQuery<'_> {
    pub fn matches(&self, r: &AuditRecord) -> bool {
        self.key_arn
            .is_none_or(|k| r.resources.iter().any(|res| res.arn == k))
            && self.event_name.is_none_or(|e| r.event_name == e)
            && self
                .caller_arn
                .is_none_or(|c| r.user_identity.arn.as_deref() == Some(c))
            && self
                .invoked_by
                .is_none_or(|s| r.user_identity.invoked_by.as_deref() == Some(s))
            && self.succeeded.is_none_or(|ok| r.succeeded() == ok)
    }
}
