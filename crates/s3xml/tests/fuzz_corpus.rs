//! Replays the committed seed corpus and crash regressions of the `s3xml_bodies` fuzz target
//! (`fuzz/corpus/s3xml_bodies`, `fuzz/regressions/s3xml_bodies`) through the target's own entry point, so that
//! the normal test suite catches a regression without a fuzzer. See `fuzz/README.md`.

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::inputs;

#[test]
fn replays_the_committed_corpus() {
    for (path, data) in inputs("s3xml_bodies") {
        println!("{}", path.display());
        s3lab_s3xml::fuzzing::bodies(&data);
    }
}
