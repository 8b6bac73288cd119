//! The SSE request headers: s3lab_s3::sse, parsed into the typed SSE mode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s3lab_s3::fuzzing::sse_headers(data));
