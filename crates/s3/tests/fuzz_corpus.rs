//! Replays the committed seed corpus and crash regressions of the `sse_headers` fuzz target
//! (`fuzz/corpus/sse_headers`, `fuzz/regressions/sse_headers`) through the target's own entry point, so that
//! the normal test suite catches a regression without a fuzzer. See `fuzz/README.md`.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("a corpus file");
            out.push((path, data));
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no committed corpus for {target}");
    out
}

#[test]
fn replays_the_committed_corpus() {
    for (path, data) in inputs("sse_headers") {
        println!("{}", path.display());
        s3lab_s3::fuzzing::sse_headers(&data);
    }
}
