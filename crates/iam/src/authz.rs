//! Putting policies together: the S3 model and the KMS model, and AWS's access-denied wording.

use crate::eval::{RequestContext, StatementMatch};
use crate::identity::Identity;
use crate::policy::Policy;

/// Why nothing allowed a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// No identity-based policy allows it (AWS: "because no identity-based policy allows ...").
    NoIdentityPolicy,
    /// No resource-based policy allows it (AWS: "because no resource-based policy allows ...").
    NoResourcePolicy,
}

/// The outcome of authorizing one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthzDecision {
    Allowed,
    /// A `Deny` statement applies: in the resource's policy, or in one of the caller's.
    ExplicitDeny {
        in_resource_policy: bool,
    },
    /// Nothing denies, but nothing allows either.
    ImplicitDeny {
        reason: DenyReason,
    },
}

impl AuthzDecision {
    pub fn is_allowed(self) -> bool {
        self == AuthzDecision::Allowed
    }
}

fn identity_results(identity: Option<&Identity>, ctx: &RequestContext<'_>) -> Vec<StatementMatch> {
    identity
        .map(|id| id.policies.iter().map(|p| p.evaluate(ctx)).collect())
        .unwrap_or_default()
}

fn any_deny(results: &[StatementMatch]) -> bool {
    results
        .iter()
        .any(|r| matches!(r, StatementMatch::ExplicitDeny { .. }))
}

fn any_allow(results: &[StatementMatch]) -> bool {
    results.iter().any(|r| {
        matches!(
            r,
            StatementMatch::AllowDirect | StatementMatch::AllowAccountDelegated
        )
    })
}

/// KMS: the key policy is required and comes first.
///
/// Allowed iff no explicit deny (in the key policy or the caller's identity policies) and either
/// the key policy allows the caller directly, or it allows the caller's account (delegating to
/// IAM) and one of the caller's identity policies allows. An identity policy alone never opens a
/// key: that is the "second lock".
pub fn authorize_kms(
    key_policy: &Policy,
    identity: Option<&Identity>,
    ctx: &RequestContext<'_>,
) -> AuthzDecision {
    let key = key_policy.evaluate(ctx);
    let ids = identity_results(identity, ctx);
    if matches!(key, StatementMatch::ExplicitDeny { .. }) {
        return AuthzDecision::ExplicitDeny {
            in_resource_policy: true,
        };
    }
    if any_deny(&ids) {
        return AuthzDecision::ExplicitDeny {
            in_resource_policy: false,
        };
    }
    match key {
        StatementMatch::AllowDirect => AuthzDecision::Allowed,
        StatementMatch::AllowAccountDelegated if any_allow(&ids) => AuthzDecision::Allowed,
        StatementMatch::AllowAccountDelegated => AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoIdentityPolicy,
        },
        _ => AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoResourcePolicy,
        },
    }
}

/// S3, caller and bucket in the same account.
///
/// Allowed iff no explicit deny (in the bucket policy or the caller's identity policies) and
/// either the bucket policy allows the caller directly or one of its identity policies allows. A
/// bucket policy statement that names only the caller's account delegates to the identity
/// policies and grants nothing by itself. Anonymous callers (`identity` `None`) have no identity
/// policies, so only a bucket policy statement for `"*"` lets them in.
pub fn authorize_s3(
    bucket_policy: Option<&Policy>,
    identity: Option<&Identity>,
    ctx: &RequestContext<'_>,
) -> AuthzDecision {
    let bucket = bucket_policy
        .map(|p| p.evaluate(ctx))
        .unwrap_or(StatementMatch::NoMatch);
    let ids = identity_results(identity, ctx);
    if matches!(bucket, StatementMatch::ExplicitDeny { .. }) {
        return AuthzDecision::ExplicitDeny {
            in_resource_policy: true,
        };
    }
    if any_deny(&ids) {
        return AuthzDecision::ExplicitDeny {
            in_resource_policy: false,
        };
    }
    if bucket == StatementMatch::AllowDirect || any_allow(&ids) {
        return AuthzDecision::Allowed;
    }
    AuthzDecision::ImplicitDeny {
        reason: if identity.is_some() {
            DenyReason::NoIdentityPolicy
        } else {
            DenyReason::NoResourcePolicy
        },
    }
}

/// The message AWS sends with a denial, in its current wording:
///
/// `User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no
/// identity-based policy allows the ACTION action`, `... because no resource-based policy allows
/// the ACTION action`, `... with an explicit deny in a resource-based policy`, `... with an
/// explicit deny in an identity-based policy`.
///
/// S3 (an action starting `s3:`) puts the resource in double quotes; KMS does not. An anonymous
/// caller (`principal_arn` empty, `*` or `anonymous`) gets S3's plain `Access Denied`, as does an
/// `Allowed` decision (which should not be reported as a denial at all).
pub fn access_denied_message(
    principal_arn: &str,
    action: &str,
    resource: &str,
    decision: &AuthzDecision,
) -> String {
    let anonymous = principal_arn.is_empty()
        || principal_arn == "*"
        || principal_arn.eq_ignore_ascii_case("anonymous");
    let tail = match decision {
        AuthzDecision::Allowed => return "Access Denied".to_owned(),
        _ if anonymous => return "Access Denied".to_owned(),
        AuthzDecision::ExplicitDeny {
            in_resource_policy: true,
        } => "with an explicit deny in a resource-based policy".to_owned(),
        AuthzDecision::ExplicitDeny {
            in_resource_policy: false,
        } => "with an explicit deny in an identity-based policy".to_owned(),
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoIdentityPolicy,
        } => format!("because no identity-based policy allows the {action} action"),
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoResourcePolicy,
        } => format!("because no resource-based policy allows the {action} action"),
    };
    let is_s3 = action
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("s3:"));
    let resource = if is_s3 {
        format!("\"{resource}\"")
    } else {
        resource.to_owned()
    };
    format!("User: {principal_arn} is not authorized to perform: {action} on resource: {resource} {tail}")
}

/// KMS's answer when a new key policy would lock its author out (a
/// `MalformedPolicyDocumentException`, unless `BypassPolicyLockoutSafetyCheck` is set).
pub const KMS_LOCKOUT_MESSAGE: &str =
    "The new key policy will not allow you to update the key policy in the future.";

/// KMS's lockout safety check: whether `new_key_policy` would stop the caller described by `ctx`
/// (whose `action` should be `kms:PutKeyPolicy` and `resource` the key's ARN) from changing the
/// policy again. A statement that delegates to the caller's account counts as not locking out,
/// as with the default key policy; identity policies are not consulted.
pub fn kms_policy_locks_out(new_key_policy: &Policy, ctx: &RequestContext<'_>) -> bool {
    !matches!(
        new_key_policy.evaluate(ctx),
        StatementMatch::AllowDirect | StatementMatch::AllowAccountDelegated
    )
}

/// The key policy KMS gives a key created through the API without one, byte for byte as
/// GetKeyPolicy returns it (two-space indents, `" : "` separators).
pub fn default_kms_key_policy(account_id: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account_id}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}
