//! `kms-controls`: No kms:Decrypt, no object; disable, enable, schedule deletion; who used which key when.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "kms-controls",
    title: "KMS controls: the second lock",
    topic: Topic::SseKms,
    summary:
        "No kms:Decrypt, no object; disable, enable, schedule deletion; who used which key when",
    claims: &["sse-kms-4", "sse-kms-5"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
