//! `kms-rotation`: Rotation on demand and on schedule: old objects use old material, new objects new.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "kms-rotation",
    title: "KMS key rotation",
    topic: Topic::SseKms,
    summary: "Rotation on demand and on schedule: old objects use old material, new objects new",
    claims: &["sse-kms-3", "sse-kms-4"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
