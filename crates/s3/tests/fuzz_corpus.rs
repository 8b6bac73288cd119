//! Replays the committed seed corpus and crash regressions of the `sse_headers` fuzz target
//! (`fuzz/corpus/sse_headers`, `fuzz/regressions/sse_headers`) through the target's own entry point, so that
//! the normal test suite catches a regression without a fuzzer. See `fuzz/README.md`.

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::inputs;

#[test]
fn replays_the_committed_corpus() {
    for (path, data) in inputs("sse_headers") {
        println!("{}", path.display());
        s3lab_s3::fuzzing::sse_headers(&data);
    }
}
