//! Unit tests, by topic.

mod authz;
mod conditions;
mod eval;
mod identity;
mod parse;

use crate::{ConditionKeys, Policy, PolicyKind, RequestContext, RequestPrincipal, StatementMatch};

pub(crate) const ACCT: &str = "111122223333";
pub(crate) const OTHER_ACCT: &str = "444455556666";
pub(crate) const KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub(crate) fn resource_policy(json: &str) -> Policy {
    match Policy::parse(json, PolicyKind::Resource) {
        Ok(p) => p,
        Err(e) => panic!("policy should parse: {e}"),
    }
}

pub(crate) fn identity_policy(json: &str) -> Policy {
    match Policy::parse(json, PolicyKind::Identity) {
        Ok(p) => p,
        Err(e) => panic!("policy should parse: {e}"),
    }
}

pub(crate) fn keys(pairs: &[(&str, &str)]) -> ConditionKeys {
    let mut k = ConditionKeys::new();
    for (key, value) in pairs {
        k.insert(key, *value);
    }
    k
}

/// Evaluates `policy` for `principal` doing `action` on `resource` with `condition_keys`.
pub(crate) fn eval(
    policy: &Policy,
    principal: &RequestPrincipal,
    action: &str,
    resource: &str,
    condition_keys: &ConditionKeys,
) -> StatementMatch {
    policy.evaluate(&RequestContext {
        principal,
        action,
        resource,
        condition_keys,
    })
}

pub(crate) fn user(name: &str) -> RequestPrincipal {
    RequestPrincipal::user(ACCT, name)
}
