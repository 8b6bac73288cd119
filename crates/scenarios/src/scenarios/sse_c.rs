//! `sse-c`: Your key on every request over HTTPS, only a salted HMAC at rest, the 2026 block.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "sse-c",
    title: "SSE-C: keys the customer provides",
    topic: Topic::SseC,
    summary: "Your key on every request over HTTPS, only a salted HMAC at rest, the 2026 block",
    claims: &["sse-c-1", "sse-c-2", "sse-c-3"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
