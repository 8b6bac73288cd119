//! `enforce-encryption`: The seed's deny policy, AES-256 vs AES256, requiring one mode, and default encryption.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "enforce-encryption",
    title: "Enforcing encryption: bucket policies and default encryption",
    topic: Topic::SseS3,
    summary:
        "The seed's deny policy, AES-256 vs AES256, requiring one mode, and default encryption",
    claims: &["sse-s3-4", "sse-s3-5", "sse-kms-8"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
