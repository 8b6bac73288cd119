//! Evaluating a policy against one request.

use std::collections::BTreeMap;

use crate::pattern::{self, VarLookup};
use crate::policy::{
    account_of_entry, ActionSpec, Condition, ConditionOperator, Effect, Policy, PolicyKind,
    PolicyVersion, Principal, PrincipalSpec, ResourceSpec, SetQualifier, Statement,
};
use crate::scalar;

/// Who is making a request, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestPrincipal {
    /// An unsigned request. Only `"Principal": "*"` (or `{"AWS": "*"}`) matches it.
    Anonymous,
    /// An IAM user (`arn:aws:iam::ACCOUNT:user/NAME`) or an account's root (`arn:aws:iam::ACCOUNT:root`).
    Aws { arn: String, account_id: String },
    /// An AWS service acting for itself (`s3.amazonaws.com`).
    Service(String),
}

impl RequestPrincipal {
    pub fn user(account_id: &str, name: &str) -> Self {
        RequestPrincipal::Aws {
            arn: format!("arn:aws:iam::{account_id}:user/{name}"),
            account_id: account_id.to_owned(),
        }
    }

    pub fn account_root(account_id: &str) -> Self {
        RequestPrincipal::Aws {
            arn: format!("arn:aws:iam::{account_id}:root"),
            account_id: account_id.to_owned(),
        }
    }

    pub fn arn(&self) -> Option<&str> {
        match self {
            RequestPrincipal::Aws { arn, .. } => Some(arn),
            _ => None,
        }
    }

    pub fn account_id(&self) -> Option<&str> {
        match self {
            RequestPrincipal::Aws { account_id, .. } => Some(account_id),
            _ => None,
        }
    }

    fn is_root(&self) -> bool {
        matches!(self, RequestPrincipal::Aws { arn, .. } if arn.ends_with(":root"))
    }
}

/// The request's condition keys (`aws:SecureTransport`, `s3:x-amz-server-side-encryption`...).
/// Key names are compared without regard to case; a key may carry several values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionKeys {
    /// Lower-cased key → values.
    entries: BTreeMap<String, Vec<String>>,
}

impl ConditionKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value to `key` (keeping values already there).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.entries
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// Replaces `key`'s values. An empty list is a key that is present with no values (as a
    /// multi-valued key can be): `ForAllValues` is true for it, `ForAnyValue` false.
    pub fn set(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.entries.insert(key.to_ascii_lowercase(), values);
        self
    }

    /// Builder form of [`insert`](ConditionKeys::insert).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Builder for a boolean key (`aws:SecureTransport`).
    pub fn with_bool(self, key: &str, value: bool) -> Self {
        self.with(key, value.to_string())
    }

    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.entries.remove(&key.to_ascii_lowercase())
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys (lower-cased) and their values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    pub principal: &'a RequestPrincipal,
    /// `s3:PutObject`, `kms:Decrypt`...
    pub action: &'a str,
    /// The resource's ARN: `arn:aws:s3:::bucket/key`, `arn:aws:kms:us-east-1:111122223333:key/ID`.
    pub resource: &'a str,
    pub condition_keys: &'a ConditionKeys,
}

impl RequestContext<'_> {
    /// A key's values: those the caller set, or else the ones every request has from its
    /// principal: `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType` (`User`,
    /// `Account`, `AssumedRole`, `Anonymous`, `Service`) and, for IAM users, `aws:username`.
    pub fn values(&self, key: &str) -> Option<Vec<String>> {
        if let Some(values) = self.condition_keys.get(key) {
            return Some(values.to_vec());
        }
        let key = key.to_ascii_lowercase();
        let one = |v: &str| Some(vec![v.to_owned()]);
        match (key.as_str(), self.principal) {
            ("aws:principalarn", RequestPrincipal::Aws { arn, .. }) => one(arn),
            ("aws:principalaccount", RequestPrincipal::Aws { account_id, .. }) => one(account_id),
            ("aws:username", RequestPrincipal::Aws { arn, .. }) => arn
                .split_once(":user/")
                .and_then(|(_, path)| path.rsplit('/').next())
                .and_then(one),
            ("aws:principaltype", p) => one(match p {
                RequestPrincipal::Anonymous => "Anonymous",
                RequestPrincipal::Service(_) => "Service",
                RequestPrincipal::Aws { arn, .. } if arn.ends_with(":root") => "Account",
                RequestPrincipal::Aws { arn, .. } if arn.contains(":assumed-role/") => {
                    "AssumedRole"
                }
                RequestPrincipal::Aws { .. } => "User",
            }),
            _ => None,
        }
    }

    /// The value a policy variable `${key}` stands for: the key's single value.
    fn variable(&self, key: &str) -> Option<String> {
        match self.values(key) {
            Some(mut values) if values.len() == 1 => values.pop(),
            _ => None,
        }
    }
}

/// How one policy answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementMatch {
    /// A `Deny` statement applies. Deny wins over every allow, in every policy.
    ExplicitDeny { sid: Option<String> },
    /// An `Allow` statement applies to the caller as itself (its ARN, `*`, or, in an identity
    /// policy, implicitly).
    AllowDirect,
    /// An `Allow` statement applies only because it names the caller's account (`111122223333` or
    /// `arn:aws:iam::111122223333:root`): the account delegates the decision to its identity
    /// policies, so an identity policy must allow too.
    AllowAccountDelegated,
    /// No statement applies: an implicit deny as far as this policy goes.
    NoMatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PrincipalMatch {
    No,
    ViaAccount,
    Direct,
}

impl Policy {
    /// Evaluates this policy alone. Any applicable `Deny` gives [`StatementMatch::ExplicitDeny`]
    /// (the first such statement's Sid); otherwise the best applicable `Allow`.
    pub fn evaluate(&self, ctx: &RequestContext<'_>) -> StatementMatch {
        let lookup = |key: &str| ctx.variable(key);
        let vars: Option<VarLookup<'_>> = match self.version {
            PolicyVersion::V2012 => Some(&lookup),
            PolicyVersion::V2008 => None,
        };
        let mut best = PrincipalMatch::No;
        for statement in &self.statements {
            let found = statement_applies(statement, self.kind, ctx, vars);
            if found == PrincipalMatch::No {
                continue;
            }
            match statement.effect {
                Effect::Deny => {
                    return StatementMatch::ExplicitDeny {
                        sid: statement.sid.clone(),
                    }
                }
                Effect::Allow => best = best.max(found),
            }
        }
        match best {
            PrincipalMatch::Direct => StatementMatch::AllowDirect,
            PrincipalMatch::ViaAccount => StatementMatch::AllowAccountDelegated,
            PrincipalMatch::No => StatementMatch::NoMatch,
        }
    }

    /// Whether this policy explicitly denies or allows (directly or by delegation); a shorthand.
    pub fn allows(&self, ctx: &RequestContext<'_>) -> bool {
        matches!(
            self.evaluate(ctx),
            StatementMatch::AllowDirect | StatementMatch::AllowAccountDelegated
        )
    }
}

fn statement_applies(
    statement: &Statement,
    kind: PolicyKind,
    ctx: &RequestContext<'_>,
    vars: Option<VarLookup<'_>>,
) -> PrincipalMatch {
    let principal = match (kind, &statement.principal) {
        (PolicyKind::Identity, _) | (PolicyKind::Resource, None) => PrincipalMatch::Direct,
        (PolicyKind::Resource, Some(PrincipalSpec::Principal(list))) => {
            principal_match(list, ctx.principal)
        }
        (PolicyKind::Resource, Some(PrincipalSpec::NotPrincipal(list))) => {
            if excluded(list, ctx.principal) {
                PrincipalMatch::No
            } else {
                PrincipalMatch::Direct
            }
        }
    };
    if principal == PrincipalMatch::No
        || !action_applies(&statement.action, ctx.action)
        || !resource_applies(&statement.resource, ctx.resource, vars)
        || !statement
            .conditions
            .iter()
            .all(|c| condition_holds(c, ctx, vars))
    {
        return PrincipalMatch::No;
    }
    principal
}

fn aws_entry_match(entry: &str, caller: &RequestPrincipal) -> PrincipalMatch {
    if entry == "*" {
        return PrincipalMatch::Direct;
    }
    let RequestPrincipal::Aws { arn, account_id } = caller else {
        return PrincipalMatch::No;
    };
    if entry == arn {
        return PrincipalMatch::Direct;
    }
    match account_of_entry(entry) {
        Some(account) if account == account_id => {
            if caller.is_root() {
                PrincipalMatch::Direct
            } else {
                PrincipalMatch::ViaAccount
            }
        }
        _ => PrincipalMatch::No,
    }
}

fn principal_match(list: &[Principal], caller: &RequestPrincipal) -> PrincipalMatch {
    list.iter()
        .map(|p| match p {
            Principal::Any => PrincipalMatch::Direct,
            Principal::Aws(entries) => entries
                .iter()
                .map(|e| aws_entry_match(e, caller))
                .max()
                .unwrap_or(PrincipalMatch::No),
            Principal::Service(services) => match caller {
                RequestPrincipal::Service(s) if services.iter().any(|x| x == s) => {
                    PrincipalMatch::Direct
                }
                _ => PrincipalMatch::No,
            },
            Principal::CanonicalUser(_) | Principal::Federated(_) => PrincipalMatch::No,
        })
        .max()
        .unwrap_or(PrincipalMatch::No)
}

/// Whether `NotPrincipal` leaves the caller out. As in IAM, an IAM user is left out only if both
/// its own ARN and its account are listed (a user is also its account); an account root if its
/// account is listed; anyone if `*` is listed.
fn excluded(list: &[Principal], caller: &RequestPrincipal) -> bool {
    let aws: Vec<&String> = list
        .iter()
        .filter_map(|p| match p {
            Principal::Aws(entries) => Some(entries.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    if list.iter().any(|p| matches!(p, Principal::Any)) || aws.iter().any(|e| *e == "*") {
        return true;
    }
    match caller {
        RequestPrincipal::Anonymous => false,
        RequestPrincipal::Service(s) => list
            .iter()
            .any(|p| matches!(p, Principal::Service(v) if v.contains(s))),
        RequestPrincipal::Aws { arn, account_id } => {
            let account_listed = aws
                .iter()
                .any(|e| account_of_entry(e) == Some(account_id.as_str()));
            let arn_listed = aws.contains(&arn);
            account_listed && (arn_listed || caller.is_root())
        }
    }
}

fn action_applies(spec: &ActionSpec, action: &str) -> bool {
    let hit = |patterns: &[String]| {
        patterns
            .iter()
            .any(|p| pattern::matches_str(p, action, true, true, None))
    };
    match spec {
        ActionSpec::Action(patterns) => hit(patterns),
        ActionSpec::NotAction(patterns) => !hit(patterns),
    }
}

fn resource_applies(spec: &ResourceSpec, resource: &str, vars: Option<VarLookup<'_>>) -> bool {
    let hit = |patterns: &[String]| {
        patterns
            .iter()
            .any(|p| pattern::arn_matches(p, resource, vars))
    };
    match spec {
        ResourceSpec::Resource(patterns) => hit(patterns),
        ResourceSpec::NotResource(patterns) => !hit(patterns),
    }
}

fn compare(op: ConditionOperator, request: f64, policy: f64) -> bool {
    use ConditionOperator as O;
    match op {
        O::NumericEquals | O::DateEquals => request == policy,
        O::NumericLessThan | O::DateLessThan => request < policy,
        O::NumericLessThanEquals | O::DateLessThanEquals => request <= policy,
        O::NumericGreaterThan | O::DateGreaterThan => request > policy,
        O::NumericGreaterThanEquals | O::DateGreaterThanEquals => request >= policy,
        _ => false,
    }
}

/// Whether one request value matches one policy value under a positive operator.
fn value_matches(
    op: ConditionOperator,
    request: &str,
    policy: &str,
    vars: Option<VarLookup<'_>>,
) -> bool {
    use ConditionOperator as O;
    match op {
        O::StringEquals => pattern::matches_str(policy, request, false, false, vars),
        O::StringEqualsIgnoreCase => pattern::matches_str(policy, request, false, true, vars),
        O::StringLike => pattern::matches_str(policy, request, true, false, vars),
        O::NumericEquals
        | O::NumericLessThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThan
        | O::NumericGreaterThanEquals => match (scalar::number(request), scalar::number(policy)) {
            (Some(r), Some(p)) => compare(op, r, p),
            _ => false,
        },
        O::DateEquals
        | O::DateLessThan
        | O::DateLessThanEquals
        | O::DateGreaterThan
        | O::DateGreaterThanEquals => match (scalar::date(request), scalar::date(policy)) {
            (Some(r), Some(p)) => compare(op, r, p),
            _ => false,
        },
        O::Bool => scalar::boolean(request).is_some_and(|r| Some(r) == scalar::boolean(policy)),
        O::BinaryEquals => request == policy,
        O::IpAddress => scalar::ip_in(request, policy),
        O::ArnEquals | O::ArnLike => pattern::arn_matches(policy, request, vars),
        // Negated operators never reach here ([`condition_holds`] passes the positive one);
        // `Null` is handled before.
        _ => false,
    }
}

/// Whether one condition holds for the request.
///
/// - `Null`: value `true` means "the key is absent", `false` "present"; values are ORed.
/// - Key absent (or present with no values): `...IfExists` → true; `ForAllValues:` → true;
///   `ForAnyValue:` → false; otherwise a negated operator is true and a positive one false.
/// - Key present: a positive operator holds if some request value matches some policy value; a
///   negated one if none does. `ForAnyValue:` asks that of at least one request value,
///   `ForAllValues:` of every one.
pub(crate) fn condition_holds(
    condition: &Condition,
    ctx: &RequestContext<'_>,
    vars: Option<VarLookup<'_>>,
) -> bool {
    let present = ctx.values(&condition.key).filter(|v| !v.is_empty());
    if condition.operator == ConditionOperator::Null {
        let is_present = present.is_some();
        return condition
            .values
            .iter()
            .any(|v| scalar::boolean(v) == Some(!is_present));
    }
    let Some(request_values) = present else {
        if condition.if_exists {
            return true;
        }
        return match condition.qualifier {
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            None => condition.operator.is_negated(),
        };
    };
    let positive = condition.operator.positive();
    let negated = condition.operator.is_negated();
    let vars = if condition.operator.takes_variables() {
        vars
    } else {
        None
    };
    let matches_any_policy_value = |request: &String| {
        condition
            .values
            .iter()
            .any(|policy| value_matches(positive, request, policy, vars))
    };
    match condition.qualifier {
        None => request_values.iter().any(matches_any_policy_value) != negated,
        Some(SetQualifier::ForAnyValue) => request_values
            .iter()
            .any(|r| matches_any_policy_value(r) != negated),
        Some(SetQualifier::ForAllValues) => request_values
            .iter()
            .all(|r| matches_any_policy_value(r) != negated),
    }
}
