//! The committed fuzz inputs, for the normal test suite: each fuzzed crate's
//! `tests/fuzz_corpus.rs` includes this file (`#[path = "../../../fuzz/replay.rs"]`) and runs every
//! input through its target's entry point, so that a regression is caught without a fuzzer.
//! Shared as a file rather than a crate: it is test-only, and the fuzzed crates have no common
//! dependency to carry it.

use std::path::{Path, PathBuf};

/// The `fuzz/` folder of the workspace (`CARGO_MANIFEST_DIR` is the including crate's).
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every committed input of `target`: its seeds (`fuzz/corpus/TARGET`) and its crash regressions
/// (`fuzz/regressions/TARGET`), in path order. Fails if there is none.
pub fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
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
