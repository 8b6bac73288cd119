//! The at-rest blob format: header, chunk and range decoding, and seal/open round trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_atrest::fuzzing::blob(data));
