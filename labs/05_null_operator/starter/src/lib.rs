//! Lab 5: the policy language's `Null` operator, as S3 evaluates the bucket policy of lab 4:
//!
//! ```json
//! "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}
//! ```
//!
//! S3 turns the request's `x-amz-*` headers into condition keys (`s3:x-amz-...`), and the `Null`
//! operator asks whether a key is *absent* (`"true"`) or *present* (`"false"`). Condition key
//! names are case-insensitive; the operator's value is `true` or `false` in any case, and anything
//! else makes the policy invalid.
//!
//! Fill in the two `TODO`s; `cargo test` runs `tests/check.rs` (don't change it: the lab's check
//! puts it back as it was).

#![allow(unused_variables)]

use std::collections::BTreeMap;

/// A policy whose condition cannot be evaluated.
#[derive(Debug, PartialEq, Eq)]
pub enum ConditionError {
    /// `Null` takes `true` or `false`; this was neither.
    NotABoolean(String),
}

/// The condition keys of a request: lower-case names (`s3:x-amz-server-side-encryption`) to values.
pub type ConditionKeys = BTreeMap<String, String>;

/// The condition keys S3 derives from request headers: every header whose name starts with
/// `x-amz-` (in any case) becomes `s3:` + its lower-case name; other headers give no key.
pub fn condition_keys(headers: &[(&str, &str)]) -> ConditionKeys {
    // TODO: keep the x-amz-* headers, as "s3:x-amz-..." (lower case) → value.
    todo!("condition_keys")
}

/// `{"Null": {key: value}}`: with `"true"`, true when `key` is absent from `keys`; with
/// `"false"`, true when it is present. `key` is matched case-insensitively.
pub fn null_operator(keys: &ConditionKeys, key: &str, value: &str) -> Result<bool, ConditionError> {
    // TODO: parse `value` (true/false, any case; else NotABoolean), look `key` up in lower case.
    todo!("null_operator")
}

/// Lab 4's statement: is an upload with these headers denied?
pub fn denied_by_policy(headers: &[(&str, &str)]) -> Result<bool, ConditionError> {
    null_operator(&condition_keys(headers), "s3:x-amz-server-side-encryption", "true")
}
