//! `sse-kms`: GenerateDataKey and Decrypt in the trail, the aws/s3 default key, no key material ever returned.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "sse-kms",
    title: "SSE-KMS: a KMS key wraps the data key",
    topic: Topic::SseKms,
    summary: "GenerateDataKey and Decrypt in the trail, the aws/s3 default key, no key material ever returned",
    claims: &["sse-kms-1", "sse-kms-2", "sse-kms-4", "sse-kms-6", "sse-kms-7", "sse-kms-8"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
