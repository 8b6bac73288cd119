//! KMS JSON 1.1 requests, run against a fresh in-memory KMS after the signature check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_kms::fuzzing::requests(data));
