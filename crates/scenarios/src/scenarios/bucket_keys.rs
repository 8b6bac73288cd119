//! `bucket-keys`: 20 uploads with and without a bucket key, KMS calls counted, the context becomes the bucket.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "bucket-keys",
    title: "S3 Bucket Keys: fewer KMS calls",
    topic: Topic::BeyondTheSeed,
    summary: "20 uploads with and without a bucket key, KMS calls counted, the context becomes the bucket",
    claims: &["sse-kms-4"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
