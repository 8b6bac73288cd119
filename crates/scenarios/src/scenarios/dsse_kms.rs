//! `dsse-kms`: aws:kms:dsse: a KMS layer and an S3 layer, both on disk.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "dsse-kms",
    title: "DSSE-KMS: two layers of encryption",
    topic: Topic::BeyondTheSeed,
    summary: "aws:kms:dsse: a KMS layer and an S3 layer, both on disk",
    claims: &["sse-kms-8"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
