//! `map`: One PUT per mode, the response headers side by side, and who holds each key.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "map",
    title: "The map: who holds which key, and where encryption happens",
    topic: Topic::Overview,
    summary: "One PUT per mode, the response headers side by side, and who holds each key",
    claims: &[
        "overview-1",
        "sse-s3-1",
        "sse-kms-1",
        "sse-c-1",
        "cse-1",
        "cse-2",
    ],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
