//! The lab's check. Don't change these tests: `s3lab lab check 3` restores them before it runs.

use lab_unwrap_sse_s3::{object_aad, unwrap_data_key, UnwrapError};

/// Root key version 1 of a demo lab: the bytes 00 01 02 ... 1f.
fn root_key() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

/// The data key of s3://sse-s3-lab/2025/report.txt (40 41 ... 5f), wrapped under `root_key()`
/// with the nonce 01 02 ... 0c.
const WRAPPED: &str = "AQIDBAUGBwgJCgsMRasYlqjRtsEE6ykMXF6kZxISs63DOAaS+Qajf8LrKJre5FZP+efo5FWZcTsqZgjF";

#[test]
fn aad_names_bucket_and_key() {
    assert_eq!(
        object_aad("sse-s3-lab", "2025/report.txt"),
        b"s3lab-sse-s3|sse-s3-lab|2025/report.txt".to_vec()
    );
}

#[test]
fn unwraps_the_data_key() {
    let dk = unwrap_data_key(&root_key(), WRAPPED, "sse-s3-lab", "2025/report.txt").unwrap();
    let expected: [u8; 32] = std::array::from_fn(|i| 0x40 + i as u8);
    assert_eq!(dk, expected);
}

#[test]
fn a_different_object_or_root_key_is_refused() {
    assert_eq!(
        unwrap_data_key(&root_key(), WRAPPED, "sse-s3-lab", "2025/other.txt"),
        Err(UnwrapError::Refused)
    );
    assert_eq!(
        unwrap_data_key(&[7; 32], WRAPPED, "sse-s3-lab", "2025/report.txt"),
        Err(UnwrapError::Refused)
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert_eq!(
        unwrap_data_key(&root_key(), "not base64!", "b", "k"),
        Err(UnwrapError::NotBase64)
    );
    assert_eq!(
        unwrap_data_key(&root_key(), "AAAA", "b", "k"),
        Err(UnwrapError::WrongLength(3))
    );
}
