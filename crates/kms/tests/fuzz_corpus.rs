//! Replays the committed seed corpora and crash regressions of the `kms_requests` and `kms_blob`
//! fuzz targets (`fuzz/corpus/<target>`, `fuzz/regressions/<target>`) through the targets' own
//! entry points, so that the normal test suite catches a regression without a fuzzer. See
//! `fuzz/README.md`.

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::{fuzz_dir, inputs};

#[test]
fn replays_the_committed_request_corpus() {
    for (path, data) in inputs("kms_requests") {
        println!("{}", path.display());
        s3lab_kms::fuzzing::requests(&data);
    }
}

#[test]
fn replays_the_committed_blob_corpus() {
    for (path, data) in inputs("kms_blob") {
        println!("{}", path.display());
        s3lab_kms::fuzzing::blob(&data);
    }
}

/// The computed seeds (requests that use the lab's key, blobs it sealed) go through the entry
/// points as well. `S3LAB_WRITE_FUZZ_SEEDS=1 cargo test -p s3lab-kms --test fuzz_corpus` writes
/// them to `fuzz/corpus/<target>`: they depend on the seeded KMS's key ids and key material, so a
/// change there makes the committed copies stale (still valid fuzz input, but no longer reaching
/// the success paths).
#[test]
fn runs_the_computed_seeds() {
    let write = std::env::var_os("S3LAB_WRITE_FUZZ_SEEDS").is_some();
    for (target, name, data) in s3lab_kms::fuzzing::seeds() {
        match target {
            "kms_blob" => s3lab_kms::fuzzing::blob(&data),
            _ => s3lab_kms::fuzzing::requests(&data),
        }
        if write {
            let path = fuzz_dir().join("corpus").join(target).join(name);
            std::fs::write(&path, &data).expect("write a seed");
        }
    }
}
