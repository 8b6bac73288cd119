//! Replays the committed seed corpus and crash regressions of the `iam_policy` fuzz target
//! (`fuzz/corpus/iam_policy`, `fuzz/regressions/iam_policy`) through the target's own entry point, so that
//! the normal test suite catches a regression without a fuzzer. See `fuzz/README.md`.

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::inputs;

#[test]
fn replays_the_committed_corpus() {
    for (path, data) in inputs("iam_policy") {
        println!("{}", path.display());
        s3lab_iam::fuzzing::policy(&data);
    }
}
