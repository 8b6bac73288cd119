//! The S3 XML bodies: read as every request and response type, written back and read again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_s3xml::fuzzing::bodies(data));
