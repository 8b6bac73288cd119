//! `in-transit`: The same PUT over HTTP and HTTPS, aws:SecureTransport, and client-side encryption over HTTP.

use crate::error::ScenarioError;
use crate::script::Script;
use crate::{Scenario, Topic};

pub const SCENARIO: Scenario = Scenario {
    id: "in-transit",
    title: "In transit: what an eavesdropper sees",
    topic: Topic::InTransit,
    summary: "The same PUT over HTTP and HTTPS, aws:SecureTransport, and client-side encryption over HTTP",
    claims: &["overview-1", "transit-1", "sse-c-3", "cse-3"],
    script,
};

fn script(_s: &mut Script<'_>) -> Result<(), ScenarioError> {
    Err(ScenarioError::lab("this scenario is not written yet"))
}
