//! `metadata-and-mixed`: Names, metadata and tags in plaintext on disk; every mode and a pre-2023 object side by side.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "metadata-and-mixed",
    title: "Metadata is not encrypted; mixed objects read alike",
    topic: Topic::BeyondTheSeed,
    summary: "Names, metadata and tags in plaintext on disk; every mode and a pre-2023 object side by side",
    claims: &["sse-2", "sse-3", "sse-4"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
