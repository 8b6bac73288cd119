//! IAM policies: parsed as every kind of policy and evaluated against a request.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_iam::fuzzing::policy(data));
