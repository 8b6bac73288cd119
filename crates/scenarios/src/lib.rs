//! The s3lab curriculum.
//!
//! Each [`Scenario`] is a list of steps that drive the real mock S3 and KMS servers — started
//! in-process on loopback by the [`Lab`] runtime, with a seed and a clock — and record what a
//! learner should see as a [`Transcript`]: the HTTP exchanges, the KMS calls they caused (from the
//! KMS audit trail), the bytes that landed on disk, what an eavesdropper saw, an explanation, and
//! checks that prove the seed's [`claims`] live.
//!
//! The transcript is the one source of truth: `s3lab run` prints it, the TUI renders it, insta
//! pins it, and the book includes the pinned copies. Nothing here renders anything.
//!
//! ```no_run
//! let scenario = s3lab_scenarios::find("sse-s3").expect("a scenario");
//! let transcript = s3lab_scenarios::run(scenario, Some(42)).expect("the lab runs");
//! assert!(transcript.all_checks_passed());
//! ```

pub mod claims;
mod error;
pub mod inspect;
pub mod lab;
pub mod scan;
pub mod script;

mod scenarios;

use serde::Serialize;

pub use claims::{Claim, ClaimStatus, CLAIMS};
pub use error::ScenarioError;
pub use lab::{Lab, LabOptions, Recorded};
pub use s3lab_transcript::Transcript;
pub use script::{Req, Script, Stored};

/// A key a scenario handled, wiped when dropped.
pub type KeyBytes = zeroize::Zeroizing<Vec<u8>>;

/// The seed every snapshot, the book and `s3lab run` use unless told otherwise.
pub const DEFAULT_SEED: u64 = 42;

/// The topics scenarios are grouped by, in teaching order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Topic {
    Overview,
    InTransit,
    SseS3,
    SseKms,
    SseC,
    ClientSide,
    BeyondTheSeed,
}

impl Topic {
    pub fn title(self) -> &'static str {
        match self {
            Topic::Overview => "Overview",
            Topic::InTransit => "In transit",
            Topic::SseS3 => "SSE-S3",
            Topic::SseKms => "SSE-KMS",
            Topic::SseC => "SSE-C",
            Topic::ClientSide => "Client-side",
            Topic::BeyondTheSeed => "Beyond the seed",
        }
    }
}

/// One lesson of the curriculum.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scenario {
    /// What `s3lab run` takes: `sse-c`.
    pub id: &'static str,
    pub title: &'static str,
    pub topic: Topic,
    /// One line for lists.
    pub summary: &'static str,
    /// The seed claims the scenario proves (each has a passing check in it).
    pub claims: &'static [&'static str],
    #[serde(skip)]
    pub script: fn(&mut Script<'_>) -> Result<(), ScenarioError>,
}

/// Every scenario, in teaching order.
pub fn catalog() -> &'static [Scenario] {
    scenarios::ALL
}

/// The scenario with this id.
pub fn find(id: &str) -> Option<&'static Scenario> {
    catalog().iter().find(|s| s.id == id)
}

/// The scenario with this id, or an error that says how to list them.
pub fn lookup(id: &str) -> Result<&'static Scenario, ScenarioError> {
    find(id).ok_or_else(|| ScenarioError::Unknown { id: id.into() })
}

/// Runs `scenario` in a fresh lab: seeded (`Some`) for a reproducible transcript, or live.
pub fn run(scenario: &Scenario, seed: Option<u64>) -> Result<Transcript, ScenarioError> {
    let lab = Lab::start(LabOptions {
        seed,
        data_dir: None,
        // As Amazon S3 since April 2026: new buckets refuse SSE-C until allowed.
        block_sse_c_for_new_buckets: true,
    })?;
    run_in(&lab, scenario)
}

/// Runs `scenario` in an existing lab.
pub fn run_in(lab: &Lab, scenario: &Scenario) -> Result<Transcript, ScenarioError> {
    run_keeping_secrets(lab, scenario).map(|(transcript, _)| transcript)
}

/// Runs `scenario` in an existing lab, and also returns every key it handled (for the test that
/// proves no key leaks into a transcript).
pub fn run_keeping_secrets(
    lab: &Lab,
    scenario: &Scenario,
) -> Result<(Transcript, Vec<KeyBytes>), ScenarioError> {
    let mut script = Script::new(lab, scenario.id, scenario.title);
    (scenario.script)(&mut script)?;
    Ok(script.finish_with_secrets())
}

/// The transcript with the lengths of TLS records replaced by `…`: the one part of a seeded run
/// that can differ between runs (an ECDSA signature's length varies by a byte or two; the server
/// sends no session tickets, so the order of records is stable). Snapshots and the determinism
/// test compare this form.
pub fn without_tls_lengths(transcript: &Transcript) -> Transcript {
    use s3lab_transcript::{Event, Transport};
    let mut t = transcript.clone();
    for step in &mut t.steps {
        for event in &mut step.events {
            if let Event::WireTap(tap) = event {
                if tap.transport == Transport::Https {
                    for line in &mut tap.summary {
                        *line = redact_lengths(line);
                    }
                }
            }
        }
    }
    t
}

/// `→ handshake 517 bytes (ClientHello)` → `→ handshake … bytes (ClientHello)`.
fn redact_lengths(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let is_len = !w.is_empty()
            && w.bytes().all(|b| b.is_ascii_digit())
            && words.get(i + 1).is_some_and(|n| n.starts_with("bytes"));
        out.push(if is_len { "…" } else { w });
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_lengths_are_redacted_and_nothing_else() {
        assert_eq!(
            redact_lengths("→ handshake 517 bytes (ClientHello)"),
            "→ handshake … bytes (ClientHello)"
        );
        assert_eq!(
            redact_lengths("… 3 more records, 1200 bytes"),
            "… 3 more records, … bytes"
        );
        assert_eq!(redact_lengths("→ GET /a 2 HTTP/1.1"), "→ GET /a 2 HTTP/1.1");
    }

    #[test]
    fn every_scenario_id_is_unique_and_found() {
        let mut ids: Vec<_> = catalog().iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), catalog().len());
        for s in catalog() {
            assert_eq!(find(s.id).map(|f| f.id), Some(s.id));
            for c in s.claims {
                assert!(claims::claim(c).is_some(), "{}: unknown claim {c}", s.id);
            }
        }
        assert!(matches!(lookup("nope"), Err(ScenarioError::Unknown { .. })));
    }
}
