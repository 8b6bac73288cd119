//! The lab's check. Don't change these tests: `s3lab lab check 5` restores them before it runs.

use lab_null_operator::{condition_keys, denied_by_policy, null_operator, ConditionError, ConditionKeys};

fn keys(pairs: &[(&str, &str)]) -> ConditionKeys {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn headers_become_condition_keys() {
    let k = condition_keys(&[
        ("X-Amz-Server-Side-Encryption", "AES256"),
        ("content-type", "text/plain"),
        ("x-amz-meta-team", "blue"),
    ]);
    assert_eq!(
        k,
        keys(&[("s3:x-amz-server-side-encryption", "AES256"), ("s3:x-amz-meta-team", "blue")])
    );
}

#[test]
fn null_true_means_absent() {
    let k = keys(&[("s3:x-amz-server-side-encryption", "AES256")]);
    assert_eq!(null_operator(&k, "s3:x-amz-server-side-encryption", "true"), Ok(false));
    assert_eq!(null_operator(&k, "s3:x-amz-acl", "true"), Ok(true));
}

#[test]
fn null_false_means_present() {
    let k = keys(&[("s3:x-amz-server-side-encryption", "aws:kms")]);
    assert_eq!(null_operator(&k, "s3:x-amz-server-side-encryption", "false"), Ok(true));
    assert_eq!(null_operator(&k, "s3:x-amz-acl", "FALSE"), Ok(false));
}

#[test]
fn key_names_are_case_insensitive() {
    let k = keys(&[("s3:x-amz-server-side-encryption", "AES256")]);
    assert_eq!(null_operator(&k, "S3:X-Amz-Server-Side-Encryption", "True"), Ok(false));
}

#[test]
fn other_values_are_errors() {
    assert_eq!(
        null_operator(&keys(&[]), "s3:x-amz-server-side-encryption", "yes"),
        Err(ConditionError::NotABoolean("yes".into()))
    );
}

#[test]
fn the_policy_denies_only_uploads_without_the_header() {
    assert_eq!(denied_by_policy(&[]), Ok(true));
    assert_eq!(denied_by_policy(&[("content-type", "text/plain")]), Ok(true));
    assert_eq!(denied_by_policy(&[("x-amz-server-side-encryption", "AES256")]), Ok(false));
    // The policy only asks whether the header is there; S3 itself refuses a wrong value.
    assert_eq!(denied_by_policy(&[("x-amz-server-side-encryption", "AES-256")]), Ok(false));
}
