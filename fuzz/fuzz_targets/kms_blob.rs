//! KMS ciphertext blobs: taken apart, opened, and given to Decrypt and ReEncrypt.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_kms::fuzzing::blob(data));
