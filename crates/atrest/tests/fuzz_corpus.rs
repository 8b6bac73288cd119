//! Replays the committed seed corpus and crash regressions of the `atrest_blob` fuzz target
//! (`fuzz/corpus/atrest_blob`, `fuzz/regressions/atrest_blob`) through the target's own entry point, so that
//! the normal test suite catches a regression without a fuzzer. See `fuzz/README.md`.

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::{fuzz_dir, inputs};

#[test]
fn replays_the_committed_corpus() {
    for (path, data) in inputs("atrest_blob") {
        println!("{}", path.display());
        s3lab_atrest::fuzzing::blob(&data);
    }
}

/// The computed seeds (signed requests, sealed blobs...) go through the entry point as well.
/// `S3LAB_WRITE_FUZZ_SEEDS=1 cargo test -p s3lab-atrest --test fuzz_corpus` writes them to
/// `fuzz/corpus/atrest_blob`: they depend on the crate's seeded output, so a format change can make
/// the committed copies stale (still valid fuzz input, but no longer reaching the success paths).
#[test]
fn runs_the_computed_seeds() {
    let write = std::env::var_os("S3LAB_WRITE_FUZZ_SEEDS").is_some();
    for (name, data) in s3lab_atrest::fuzzing::seeds() {
        s3lab_atrest::fuzzing::blob(&data);
        if write {
            let path = fuzz_dir().join("corpus/atrest_blob").join(name);
            std::fs::write(&path, &data).expect("write a seed");
        }
    }
}
