//! Replays the committed seed corpus and crash regressions of the `cse_metadata` fuzz target
//! (`fuzz/corpus/cse_metadata`, `fuzz/regressions/cse_metadata`) through the target's own entry point, so that
//! the normal test suite catches a regression without a fuzzer. See `fuzz/README.md`.

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::{fuzz_dir, inputs};

#[test]
fn replays_the_committed_corpus() {
    for (path, data) in inputs("cse_metadata") {
        println!("{}", path.display());
        s3lab_cse::fuzzing::metadata(&data);
    }
}

/// The computed seeds (signed requests, sealed blobs...) go through the entry point as well.
/// `S3LAB_WRITE_FUZZ_SEEDS=1 cargo test -p s3lab-cse --test fuzz_corpus` writes them to
/// `fuzz/corpus/cse_metadata`: they depend on the crate's seeded output, so a format change can make
/// the committed copies stale (still valid fuzz input, but no longer reaching the success paths).
#[test]
fn runs_the_computed_seeds() {
    let write = std::env::var_os("S3LAB_WRITE_FUZZ_SEEDS").is_some();
    for (name, data) in s3lab_cse::fuzzing::seeds() {
        s3lab_cse::fuzzing::metadata(&data);
        if write {
            let path = fuzz_dir().join("corpus/cse_metadata").join(name);
            std::fs::write(&path, &data).expect("write a seed");
        }
    }
}
