//! SigV4: an HTTP request head, verified as S3 and KMS verify it, canonicalised, signed and presigned.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_sigv4::fuzzing::request(data));
