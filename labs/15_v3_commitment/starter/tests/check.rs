//! The lab's check. Don't change these tests: `s3lab lab check 15` restores them before it runs.
//! The vector was made with the official Amazon S3 Encryption Client for Python.

use lab_v3_commitment::{constant_time_eq, derive, verify, CommitmentError};

fn data_key() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

fn message_id() -> [u8; 28] {
    std::array::from_fn(|i| 0xa0 + i as u8)
}

const X_AMZ_I: &str = "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6uw==";
const X_AMZ_D: &str = "wUtvX/ATVKEtCCJTI/i7akglmdF4x7w2YL56Ow==";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn derives_the_content_key_and_the_commitment() {
    let (key, commitment) = derive(&data_key(), &message_id());
    assert_eq!(hex(&key), "a8e0c7c35a41d8aaf9ef82a872f31b9e996b7ff6318c3772987ee5470cf89946");
    assert_eq!(hex(&commitment), "c14b6f5ff01354a12d08225323f8bb6a482599d178c7bc3660be7a3b");
}

#[test]
fn compares_in_constant_time() {
    assert!(constant_time_eq(b"same", b"same"));
    assert!(!constant_time_eq(b"same", b"sane"));
    assert!(!constant_time_eq(b"short", b"longer"));
    assert!(constant_time_eq(b"", b""));
}

#[test]
fn a_matching_commitment_gives_the_content_key() {
    let key = verify(&data_key(), X_AMZ_I, X_AMZ_D).unwrap();
    assert_eq!(hex(&key), "a8e0c7c35a41d8aaf9ef82a872f31b9e996b7ff6318c3772987ee5470cf89946");
}

#[test]
fn a_swapped_key_or_commitment_is_refused() {
    let mut other = data_key();
    other[0] ^= 1;
    assert_eq!(verify(&other, X_AMZ_I, X_AMZ_D), Err(CommitmentError::Mismatch));
    let tampered = "xUtvX/ATVKEtCCJTI/i7akglmdF4x7w2YL56Ow==";
    assert_eq!(verify(&data_key(), X_AMZ_I, tampered), Err(CommitmentError::Mismatch));
}

#[test]
fn malformed_metadata_is_refused() {
    assert_eq!(verify(&data_key(), "not base64!", X_AMZ_D), Err(CommitmentError::Malformed));
    assert_eq!(verify(&data_key(), X_AMZ_I, "AAAA"), Err(CommitmentError::Malformed));
}
