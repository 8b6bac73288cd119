//! `client-side`: Encrypt locally with a raw AES key or a KMS keyring, the envelope in metadata, lost and tampered.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "client-side",
    title: "Client-side encryption: S3 only sees ciphertext",
    topic: Topic::ClientSide,
    summary: "Encrypt locally with a raw AES key or a KMS keyring, the envelope in metadata, lost and tampered",
    claims: &["cse-1", "cse-2", "cse-3", "cse-4", "transit-1"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
