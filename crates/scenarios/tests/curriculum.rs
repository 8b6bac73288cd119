//! The curriculum's tests: one snapshot per scenario, the seed map, determinism, and no leaked key.
//!
//! Snapshots are the lesson a learner reads: review every `.snap.new` as text before accepting it.

use std::collections::BTreeSet;

use s3lab_scenarios::{
    catalog, find, lab::Lab, lookup, run_keeping_secrets, without_tls_lengths, LabOptions,
    ScenarioError, Transcript, CLAIMS, DEFAULT_SEED,
};
use s3lab_transcript::{find_secrets, render_text};

/// Runs one scenario the way `s3lab run` does, and returns the transcript and every key it handled.
fn run(id: &str) -> (Transcript, Vec<zeroize::Zeroizing<Vec<u8>>>) {
    let scenario = lookup(id).expect("a scenario");
    let lab = Lab::start(LabOptions {
        seed: Some(DEFAULT_SEED),
        data_dir: None,
        block_sse_c_for_new_buckets: true,
    })
    .expect("the lab starts");
    let (transcript, mut secrets) = match run_keeping_secrets(&lab, scenario) {
        Ok(done) => done,
        Err(ScenarioError::Lab(m)) => panic!("{id}: {m}"),
        Err(e) => panic!("{id}: {e}"),
    };
    secrets.extend(data_keys_in(&lab));
    (transcript, secrets)
}

/// Every key the lab's services hold (KMS key material, data keys, bucket keys), read back from the
/// data folder: none of them may appear in a transcript.
fn data_keys_in(lab: &Lab) -> Vec<zeroize::Zeroizing<Vec<u8>>> {
    s3lab_scenarios::inspect::all_service_keys(lab).expect("the lab's keys")
}

fn check_snapshot(id: &str) {
    let (transcript, secrets) = run(id);
    let failed: Vec<String> = transcript
        .checks()
        .filter(|(_, c)| !c.passed)
        .map(|(step, c)| {
            format!(
                "step {}: {} (expected {}, observed {})",
                step + 1,
                c.name,
                c.expected,
                c.observed
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{id}: failed checks:\n{}",
        failed.join("\n")
    );
    let refs: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
    let leaks = find_secrets(&transcript, &refs);
    assert!(
        leaks.is_empty(),
        "{id}: keys in the transcript:\n{}",
        leaks.join("\n")
    );
    let text = render_text(&without_tls_lengths(&transcript), 80);
    insta::assert_snapshot!(id, text);
}

macro_rules! snapshot_tests {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(#[test]
        fn $name() {
            check_snapshot($id);
        })*

        /// Every scenario of the catalog has a snapshot test above, and nothing else does.
        #[test]
        fn every_scenario_has_a_snapshot_test() {
            let tested: BTreeSet<&str> = [$($id),*].into_iter().collect();
            let all: BTreeSet<&str> = catalog().iter().map(|s| s.id).collect();
            assert_eq!(tested, all);
        }
    };
}

snapshot_tests! {
    map => "map",
    in_transit => "in-transit",
    sse_s3 => "sse-s3",
    enforce_encryption => "enforce-encryption",
    sse_kms => "sse-kms",
    kms_controls => "kms-controls",
    kms_rotation => "kms-rotation",
    bucket_keys => "bucket-keys",
    sse_c => "sse-c",
    client_side => "client-side",
    metadata_and_mixed => "metadata-and-mixed",
    dsse_kms => "dsse-kms",
}

/// The seed map: every claim of the seed has a passing check somewhere in the curriculum, every
/// check names only claims that exist, and every claim a scenario lists is proved in it.
#[test]
fn every_claim_of_the_seed_is_proved_by_a_passing_check() {
    let known: BTreeSet<&str> = CLAIMS.iter().map(|c| c.id).collect();
    let mut proved = BTreeSet::new();
    for scenario in catalog() {
        let (transcript, _) = run(scenario.id);
        let mut here = BTreeSet::new();
        for (_, check) in transcript.checks() {
            for claim in &check.claims {
                assert!(
                    known.contains(claim.as_str()),
                    "{}: check {:?} names unknown claim {claim}",
                    scenario.id,
                    check.name
                );
                if check.passed {
                    here.insert(claim.clone());
                }
            }
        }
        for claim in scenario.claims {
            assert!(
                here.contains(*claim),
                "{} lists claim {claim} but no passing check in it proves it",
                scenario.id
            );
        }
        proved.extend(here);
    }
    let missing: Vec<&str> = known
        .iter()
        .copied()
        .filter(|c| !proved.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "claims without a passing check: {missing:?}"
    );
}

/// The same seed gives the same transcript, byte for byte (TLS record lengths aside).
#[test]
fn the_same_seed_gives_the_same_transcripts() {
    for scenario in catalog() {
        let a = without_tls_lengths(&run(scenario.id).0)
            .to_json()
            .expect("json");
        let b = without_tls_lengths(&run(scenario.id).0)
            .to_json()
            .expect("json");
        assert!(
            a == b,
            "{} differs between two runs with one seed",
            scenario.id
        );
    }
}

#[test]
fn a_live_lab_runs_too() {
    let scenario = find("sse-s3").expect("sse-s3");
    let transcript = s3lab_scenarios::run(scenario, None).expect("runs live");
    assert!(transcript.all_checks_passed());
}
