//! Client-side encryption metadata and instruction files, decoded, written back, and opened.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_cse::fuzzing::metadata(data));
