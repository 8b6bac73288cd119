//! The IAM JSON policy language: typed policies and the parser that checks them.

use serde_json::{Map, Value};

use crate::error::{PolicyError, PolicyErrorKind as K};
use crate::scalar;

/// S3's limit on a bucket policy: 20 KB.
pub const S3_BUCKET_POLICY_MAX_BYTES: usize = 20 * 1024;
/// KMS's limit on a key policy: 32 KB.
pub const KMS_KEY_POLICY_MAX_BYTES: usize = 32 * 1024;

/// Which family of policy a document is: it decides whether `Principal` is forbidden or required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to an identity (a user): the principal is implied, so `Principal`/`NotPrincipal`
    /// are not allowed.
    Identity,
    /// Attached to a resource (an S3 bucket policy, a KMS key policy): every statement must say
    /// whom it is about with `Principal` or `NotPrincipal`.
    Resource,
}

/// The policy language version. Policy variables (`${aws:username}`) work only in `2012-10-17`;
/// in `2008-10-17` (the default when `Version` is left out) they are plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyVersion {
    V2008,
    V2012,
}

impl PolicyVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::V2008 => "2008-10-17",
            PolicyVersion::V2012 => "2012-10-17",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// One entry of a `Principal` or `NotPrincipal` element.
///
/// `"Principal": "*"` is [`Principal::Any`]. A map becomes one entry per key, each with its list
/// of values (a single string becomes a one-element list); `{"AWS": "*"}` stays `Aws(["*"])`, which
/// matches like `Any`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Any,
    /// Account ids (`111122223333`), account root ARNs (`arn:aws:iam::111122223333:root`), IAM
    /// user and role ARNs, assumed-role session ARNs, or `*`.
    Aws(Vec<String>),
    /// Service principals (`s3.amazonaws.com`).
    Service(Vec<String>),
    /// S3 canonical user ids (64 hex digits). Accepted, but no caller in this lab has one.
    CanonicalUser(Vec<String>),
    /// Identity providers. Accepted, but no caller in this lab is federated.
    Federated(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalSpec {
    Principal(Vec<Principal>),
    NotPrincipal(Vec<Principal>),
}

/// `Action` or `NotAction`: patterns `service:Name` (or `*`) with `*`/`?` wildcards, compared
/// without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionSpec {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`: ARNs (or `*`) with `*`/`?` wildcards, compared with regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceSpec {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

/// `ForAnyValue:` / `ForAllValues:`, for condition keys that carry several values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// True if at least one request value satisfies the operator; false if the key is absent.
    ForAnyValue,
    /// True if every request value satisfies the operator; true if the key is absent.
    ForAllValues,
}

macro_rules! operators {
    ($($name:ident),* $(,)?) => {
        /// A condition operator, without its `IfExists` suffix or set qualifier.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ConditionOperator { $($name),* }

        impl ConditionOperator {
            /// Every operator, for docs and tests.
            pub const ALL: &'static [ConditionOperator] = &[$(ConditionOperator::$name),*];

            /// The operator's name as written in a policy.
            pub fn name(self) -> &'static str {
                match self { $(ConditionOperator::$name => stringify!($name)),* }
            }

            /// The operator with this exact (case-sensitive) name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $(stringify!($name) => Some(ConditionOperator::$name),)* _ => None }
            }
        }
    };
}

operators!(
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
);

impl ConditionOperator {
    /// Whether this is a negated operator (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`...):
    /// true when no value matches, and true when the key is absent.
    pub fn is_negated(self) -> bool {
        self.positive() != self
    }

    /// The operator a negated one negates (`StringNotEquals` → `StringEquals`); itself otherwise.
    pub fn positive(self) -> Self {
        use ConditionOperator as O;
        match self {
            O::StringNotEquals => O::StringEquals,
            O::StringNotEqualsIgnoreCase => O::StringEqualsIgnoreCase,
            O::StringNotLike => O::StringLike,
            O::NumericNotEquals => O::NumericEquals,
            O::DateNotEquals => O::DateEquals,
            O::NotIpAddress => O::IpAddress,
            O::ArnNotEquals => O::ArnEquals,
            O::ArnNotLike => O::ArnLike,
            other => other,
        }
    }

    /// Whether policy variables may appear in this operator's values.
    pub(crate) fn takes_variables(self) -> bool {
        use ConditionOperator as O;
        matches!(
            self.positive(),
            O::StringEquals | O::StringEqualsIgnoreCase | O::StringLike | O::ArnEquals | O::ArnLike
        )
    }

    fn value_is_valid(self, value: &str) -> bool {
        use ConditionOperator as O;
        match self.positive() {
            O::Null | O::Bool => scalar::boolean(value).is_some(),
            O::NumericEquals
            | O::NumericLessThan
            | O::NumericLessThanEquals
            | O::NumericGreaterThan
            | O::NumericGreaterThanEquals => scalar::number(value).is_some(),
            O::DateEquals
            | O::DateLessThan
            | O::DateLessThanEquals
            | O::DateGreaterThan
            | O::DateGreaterThanEquals => scalar::date(value).is_some(),
            O::IpAddress => scalar::valid_cidr(value),
            _ => true,
        }
    }
}

/// One condition: an operator applied to one key with its values. A policy's
/// `"StringEquals": {"k1": [...], "k2": [...]}` becomes two of these. Within one condition the
/// values are ORed; a statement's conditions are ANDed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: ConditionOperator,
    pub qualifier: Option<SetQualifier>,
    /// `...IfExists`: true when the key is absent.
    pub if_exists: bool,
    /// The key as written; keys are compared without regard to case.
    pub key: String,
    /// The values, as strings (`true`, `3` and `"3"` all become strings).
    pub values: Vec<String>,
}

impl Condition {
    /// The operator as written: `ForAnyValue:StringLikeIfExists`.
    pub fn operator_name(&self) -> String {
        let qualifier = match self.qualifier {
            Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
            Some(SetQualifier::ForAllValues) => "ForAllValues:",
            None => "",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        format!("{qualifier}{}{suffix}", self.operator.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` in identity policies.
    pub principal: Option<PrincipalSpec>,
    pub action: ActionSpec,
    pub resource: ResourceSpec,
    pub conditions: Vec<Condition>,
}

/// A parsed, checked policy. The document's text is kept as given ([`Policy::as_text`]), since
/// GetBucketPolicy and GetKeyPolicy give back what was put.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: PolicyVersion,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    pub kind: PolicyKind,
    text: String,
    json: Value,
}

/// What [`Policy::parse_with`] checks beyond the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    pub kind: PolicyKind,
    /// Refuse documents longer than this many bytes.
    pub max_bytes: Option<usize>,
    /// Refuse actions of other services than this prefix (`s3`); `*` is always accepted.
    pub action_service: Option<String>,
    /// Refuse resources that do not start with this (`arn:aws:s3:::`); this also refuses `*`.
    pub resource_prefix: Option<String>,
    /// Refuse documents whose first byte is not `{` (S3 does; leading whitespace fails).
    pub strict_first_byte: bool,
}

impl ParseOptions {
    /// Only the grammar, for a policy of this kind.
    pub fn new(kind: PolicyKind) -> Self {
        ParseOptions {
            kind,
            max_bytes: None,
            action_service: None,
            resource_prefix: None,
            strict_first_byte: false,
        }
    }

    /// A bucket policy, as PutBucketPolicy checks it: 20 KB, `s3:` actions, `arn:aws:s3:::`
    /// resources, first byte `{`.
    pub fn s3_bucket_policy() -> Self {
        ParseOptions {
            kind: PolicyKind::Resource,
            max_bytes: Some(S3_BUCKET_POLICY_MAX_BYTES),
            action_service: Some("s3".to_owned()),
            resource_prefix: Some("arn:aws:s3:::".to_owned()),
            strict_first_byte: true,
        }
    }

    /// A key policy, as CreateKey and PutKeyPolicy check it: 32 KB.
    pub fn kms_key_policy() -> Self {
        ParseOptions {
            max_bytes: Some(KMS_KEY_POLICY_MAX_BYTES),
            ..ParseOptions::new(PolicyKind::Resource)
        }
    }

    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = Some(max_bytes);
        self
    }
}

impl Policy {
    /// Parses and checks a policy document against the grammar only.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        Self::parse_with(json, &ParseOptions::new(kind))
    }

    /// Parses and checks a policy document, with the extra checks in `options`. The first fault
    /// found is the answer: size, JSON, top-level fields, then each statement in order.
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Policy, PolicyError> {
        let starts_with_brace = text.as_bytes().first() == Some(&b'{');
        if let Some(max) = options.max_bytes {
            if text.len() > max {
                return Err(PolicyError::new(
                    K::TooLarge,
                    format!(
                        "the policy is {} bytes long; the limit is {max} bytes",
                        text.len()
                    ),
                )
                .with_subject(max.to_string()));
            }
        }
        if options.strict_first_byte && !starts_with_brace {
            return Err(PolicyError::new(
                K::NotAnObject,
                "the policy must be a JSON object starting at its first byte with '{'",
            )
            .with_first_byte(false));
        }
        let json: Value = serde_json::from_str(text).map_err(|e| {
            PolicyError::new(K::NotJson, format!("the policy is not valid JSON: {e}"))
                .with_first_byte(starts_with_brace)
        })?;
        let Value::Object(top) = &json else {
            return Err(PolicyError::new(
                K::NotAnObject,
                format!("the policy must be a JSON object, not {}", type_name(&json)),
            )
            .with_first_byte(false));
        };
        for field in top.keys() {
            if !matches!(field.as_str(), "Version" | "Id" | "Statement") {
                return Err(PolicyError::new(
                    K::UnknownField,
                    format!(
                        "unknown top-level field \"{field}\" (expected Version, Id, Statement; \
                         names are case-sensitive)"
                    ),
                )
                .with_subject(field.clone()));
            }
        }
        let version = match top.get("Version") {
            None => PolicyVersion::V2008,
            Some(Value::String(v)) if v == "2012-10-17" => PolicyVersion::V2012,
            Some(Value::String(v)) if v == "2008-10-17" => PolicyVersion::V2008,
            Some(other) => {
                return Err(PolicyError::new(
                    K::InvalidVersion,
                    format!("Version must be \"2012-10-17\" or \"2008-10-17\", not {other}"),
                )
                .with_subject(other.to_string()))
            }
        };
        let id = match top.get("Id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(other) => {
                return Err(PolicyError::new(
                    K::InvalidSyntax,
                    format!("Id must be a string, not {}", type_name(other)),
                )
                .with_subject("Id"))
            }
        };
        let statements = match top.get("Statement") {
            None => {
                return Err(PolicyError::new(
                    K::MissingStatement,
                    "the policy has no Statement",
                ))
            }
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(PolicyError::new(
                    K::EmptyStatement,
                    "Statement is an empty list; a policy needs at least one statement",
                ))
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_statement(item, &format!("Statement[{i}]"), options))
                .collect::<Result<Vec<_>, _>>()?,
            Some(single @ Value::Object(_)) => vec![parse_statement(single, "Statement", options)?],
            Some(other) => {
                return Err(PolicyError::new(
                    K::InvalidSyntax,
                    format!(
                        "Statement must be an object or a list of objects, not {}",
                        type_name(other)
                    ),
                )
                .with_subject("Statement"))
            }
        };
        Ok(Policy {
            version,
            id,
            statements,
            kind: options.kind,
            text: text.to_owned(),
            json,
        })
    }

    /// The document as JSON.
    pub fn to_json(&self) -> Value {
        self.json.clone()
    }

    /// The document exactly as it was given.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A string or a list of strings. `Err` carries a description of what was there instead.
fn strings(value: &Value) -> Result<Vec<String>, &'static str> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(type_name(other)),
            })
            .collect(),
        other => Err(type_name(other)),
    }
}

const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(
    value: &Value,
    at: &str,
    options: &ParseOptions,
) -> Result<Statement, PolicyError> {
    let Value::Object(fields) = value else {
        return Err(PolicyError::new(
            K::InvalidSyntax,
            format!("{at} must be an object, not {}", type_name(value)),
        )
        .with_subject("Statement"));
    };
    let sid = match fields.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PolicyError::new(
                K::InvalidSyntax,
                format!("{at}: Sid must be a string, not {}", type_name(other)),
            )
            .with_subject("Sid"))
        }
    };
    let at = match &sid {
        Some(sid) => format!("{at} (Sid \"{sid}\")"),
        None => at.to_owned(),
    };
    let at = at.as_str();
    for field in fields.keys() {
        if !STATEMENT_FIELDS.contains(&field.as_str()) {
            return Err(PolicyError::new(
                K::UnknownField,
                format!(
                    "{at}: unknown field \"{field}\" (expected one of {}; names are case-sensitive)",
                    STATEMENT_FIELDS.join(", ")
                ),
            )
            .with_subject(field.clone()));
        }
    }

    let effect = match fields.get("Effect") {
        None => {
            return Err(PolicyError::new(
                K::MissingEffect,
                format!("{at}: missing Effect (\"Allow\" or \"Deny\")"),
            ))
        }
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            let shown = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            return Err(PolicyError::new(
                K::InvalidEffect,
                format!("{at}: Effect must be \"Allow\" or \"Deny\", not {other}"),
            )
            .with_subject(shown));
        }
    };

    let principal = parse_principal_spec(fields, at, options.kind)?;
    let action = parse_actions(fields, at, options)?;
    let resource = parse_resources(fields, at, options)?;
    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block, at)?,
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// The pair `name`/`Not{name}`, each optional, not both.
fn pair<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    at: &str,
    both: K,
) -> Result<Option<(&'a Value, bool)>, PolicyError> {
    let not_name = format!("Not{name}");
    match (fields.get(name), fields.get(&not_name)) {
        (Some(_), Some(_)) => Err(PolicyError::new(
            both,
            format!("{at}: has both {name} and {not_name}; use one"),
        )
        .with_subject(not_name)),
        (Some(v), None) => Ok(Some((v, false))),
        (None, Some(v)) => Ok(Some((v, true))),
        (None, None) => Ok(None),
    }
}

fn parse_principal_spec(
    fields: &Map<String, Value>,
    at: &str,
    kind: PolicyKind,
) -> Result<Option<PrincipalSpec>, PolicyError> {
    let found = pair(fields, "Principal", at, K::BothPrincipalAndNotPrincipal)?;
    match (kind, found) {
        (PolicyKind::Identity, None) => Ok(None),
        (PolicyKind::Identity, Some((_, not))) => Err(PolicyError::new(
            K::PrincipalInIdentityPolicy,
            format!(
                "{at}: {} is not allowed in an identity-based policy; the principal is the \
                 identity the policy is attached to",
                if not { "NotPrincipal" } else { "Principal" }
            ),
        )),
        (PolicyKind::Resource, None) => Err(PolicyError::new(
            K::MissingPrincipal,
            format!(
                "{at}: missing Principal; a resource-based policy must say whom each statement \
                 is about (\"*\", {{\"AWS\": \"arn:aws:iam::ACCOUNT:user/NAME\"}}, ...)"
            ),
        )),
        (PolicyKind::Resource, Some((value, not))) => {
            let list = parse_principals(value, at)?;
            Ok(Some(if not {
                PrincipalSpec::NotPrincipal(list)
            } else {
                PrincipalSpec::Principal(list)
            }))
        }
    }
}

fn invalid_principal(at: &str, why: String) -> PolicyError {
    PolicyError::new(
        K::InvalidPrincipal,
        format!("{at}: invalid principal: {why}"),
    )
}

fn parse_principals(value: &Value, at: &str) -> Result<Vec<Principal>, PolicyError> {
    let map = match value {
        Value::String(s) if s == "*" => return Ok(vec![Principal::Any]),
        Value::Object(map) if !map.is_empty() => map,
        other => {
            return Err(invalid_principal(
                at,
                format!("expected \"*\" or a map such as {{\"AWS\": \"...\"}}, found {other}"),
            ))
        }
    };
    let mut out = Vec::new();
    for (key, val) in map {
        let list = strings(val).map_err(|found| {
            invalid_principal(
                at,
                format!("{key} must be a string or a list of strings, not {found}"),
            )
        })?;
        if list.is_empty() {
            return Err(invalid_principal(at, format!("{key} has an empty list")));
        }
        let check = |ok: fn(&str) -> bool| -> Result<(), PolicyError> {
            match list.iter().find(|v| !ok(v)) {
                Some(bad) => Err(invalid_principal(
                    at,
                    format!("{key} \"{bad}\" is not a valid {key} principal"),
                )),
                None => Ok(()),
            }
        };
        let principal = match key.as_str() {
            "AWS" => {
                check(valid_aws_principal)?;
                Principal::Aws(list)
            }
            "Service" => {
                check(valid_service_principal)?;
                Principal::Service(list)
            }
            "CanonicalUser" => {
                check(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))?;
                Principal::CanonicalUser(list)
            }
            "Federated" => {
                check(|v| !v.is_empty() && !v.contains(['*', '?']))?;
                Principal::Federated(list)
            }
            other => {
                return Err(invalid_principal(
                    at,
                    format!("unknown principal type \"{other}\" (expected AWS, Service, CanonicalUser or Federated)"),
                ))
            }
        };
        out.push(principal);
    }
    Ok(out)
}

pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account an `AWS` principal entry names as a whole: `111122223333` or
/// `arn:aws:iam::111122223333:root`.
pub(crate) fn account_of_entry(entry: &str) -> Option<&str> {
    if is_account_id(entry) {
        return Some(entry);
    }
    let (partition, rest) = entry.strip_prefix("arn:")?.split_once(':')?;
    let account = rest.strip_prefix("iam::")?.strip_suffix(":root")?;
    (valid_partition(partition) && is_account_id(account)).then_some(account)
}

fn valid_partition(p: &str) -> bool {
    matches!(p, "aws" | "aws-cn" | "aws-us-gov")
}

fn valid_name_path(rest: &str) -> bool {
    !rest.is_empty()
        && !rest.ends_with('/')
        && !rest.contains(['*', '?', ' '])
        && rest.split('/').all(|part| !part.is_empty())
}

fn valid_aws_principal(v: &str) -> bool {
    if v == "*" || account_of_entry(v).is_some() {
        return true;
    }
    let Some(rest) = v.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    if !valid_partition(partition) || !region.is_empty() || !is_account_id(account) {
        return false;
    }
    match *service {
        "iam" => resource
            .strip_prefix("user/")
            .or_else(|| resource.strip_prefix("role/"))
            .is_some_and(valid_name_path),
        "sts" => {
            resource
                .strip_prefix("assumed-role/")
                .is_some_and(|r| valid_name_path(r) && r.contains('/'))
                || resource
                    .strip_prefix("federated-user/")
                    .is_some_and(valid_name_path)
        }
        _ => false,
    }
}

fn valid_service_principal(v: &str) -> bool {
    !v.is_empty()
        && v.contains('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
}

fn valid_action(action: &str, service: Option<&str>) -> bool {
    if action == "*" {
        return true;
    }
    let Some((prefix, name)) = action.split_once(':') else {
        return false;
    };
    let prefix_ok = !prefix.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'?' | b'-' | b'_'));
    let service_ok = service.is_none_or(|s| prefix.eq_ignore_ascii_case(s));
    prefix_ok && name_ok && service_ok
}

fn parse_actions(
    fields: &Map<String, Value>,
    at: &str,
    options: &ParseOptions,
) -> Result<ActionSpec, PolicyError> {
    let Some((value, not)) = pair(fields, "Action", at, K::BothActionAndNotAction)? else {
        return Err(PolicyError::new(
            K::MissingAction,
            format!("{at}: missing Action (or NotAction)"),
        ));
    };
    let field = if not { "NotAction" } else { "Action" };
    let list = strings(value).map_err(|found| {
        PolicyError::new(
            K::InvalidAction,
            format!("{at}: {field} must be a string or a list of strings, not {found}"),
        )
    })?;
    if list.is_empty() {
        return Err(PolicyError::new(
            K::InvalidAction,
            format!("{at}: {field} is an empty list"),
        ));
    }
    if let Some(bad) = list
        .iter()
        .find(|a| !valid_action(a, options.action_service.as_deref()))
    {
        let expected = match &options.action_service {
            Some(s) => format!("\"*\" or \"{s}:Name\""),
            None => "\"*\" or \"service:Name\" (one colon)".to_owned(),
        };
        return Err(PolicyError::new(
            K::InvalidAction,
            format!("{at}: {field} \"{bad}\" is not a valid action; expected {expected}"),
        )
        .with_subject(bad.clone()));
    }
    Ok(if not {
        ActionSpec::NotAction(list)
    } else {
        ActionSpec::Action(list)
    })
}

fn valid_resource(resource: &str, prefix: Option<&str>) -> bool {
    if let Some(prefix) = prefix {
        return resource.len() > prefix.len() && resource.starts_with(prefix);
    }
    resource == "*" || (resource.starts_with("arn:") && resource.splitn(6, ':').count() == 6)
}

fn parse_resources(
    fields: &Map<String, Value>,
    at: &str,
    options: &ParseOptions,
) -> Result<ResourceSpec, PolicyError> {
    let Some((value, not)) = pair(fields, "Resource", at, K::BothResourceAndNotResource)? else {
        return Err(PolicyError::new(
            K::MissingResource,
            format!("{at}: missing Resource (or NotResource)"),
        ));
    };
    let field = if not { "NotResource" } else { "Resource" };
    let list = strings(value).map_err(|found| {
        PolicyError::new(
            K::InvalidResource,
            format!("{at}: {field} must be a string or a list of strings, not {found}"),
        )
    })?;
    if list.is_empty() {
        return Err(PolicyError::new(
            K::InvalidResource,
            format!("{at}: {field} is an empty list"),
        ));
    }
    let prefix = options.resource_prefix.as_deref();
    if let Some(bad) = list.iter().find(|r| !valid_resource(r, prefix)) {
        let expected = match prefix {
            Some(p) => format!("an ARN starting \"{p}\""),
            None => "\"*\" or an ARN (arn:partition:service:region:account:resource)".to_owned(),
        };
        return Err(PolicyError::new(
            K::InvalidResource,
            format!("{at}: {field} \"{bad}\" is not a valid resource; expected {expected}"),
        )
        .with_subject(bad.clone()));
    }
    Ok(if not {
        ResourceSpec::NotResource(list)
    } else {
        ResourceSpec::Resource(list)
    })
}

/// `ForAnyValue:StringLikeIfExists` → its parts; `None` for an unknown name. `Null` takes neither
/// `IfExists` nor a set qualifier.
pub(crate) fn parse_operator(
    name: &str,
) -> Option<(Option<SetQualifier>, ConditionOperator, bool)> {
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::ForAllValues), rest)
    } else {
        (None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let operator = ConditionOperator::from_name(base)?;
    if operator == ConditionOperator::Null && (if_exists || qualifier.is_some()) {
        return None;
    }
    Some((qualifier, operator, if_exists))
}

fn parse_conditions(block: &Value, at: &str) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = block else {
        return Err(PolicyError::new(
            K::InvalidSyntax,
            format!(
                "{at}: Condition must be an object such as {{\"StringEquals\": {{\"key\": \"value\"}}}}, not {}",
                type_name(block)
            ),
        )
        .with_subject("Condition"));
    };
    let mut out = Vec::new();
    for (name, keys) in operators {
        let Some((qualifier, operator, if_exists)) = parse_operator(name) else {
            return Err(PolicyError::new(
                K::UnknownConditionOperator,
                format!("{at}: unknown condition operator \"{name}\" (names are case-sensitive, as in StringEquals, ArnLike, NumericLessThanIfExists, ForAnyValue:StringLike, Null)"),
            )
            .with_subject(name.clone()));
        };
        let Value::Object(keys) = keys else {
            return Err(PolicyError::new(
                K::InvalidSyntax,
                format!(
                    "{at}: Condition operator {name} must map keys to values, not be {}",
                    type_name(keys)
                ),
            )
            .with_subject(name.clone()));
        };
        for (key, raw) in keys {
            let values = condition_values(raw).map_err(|found| {
                PolicyError::new(
                    K::InvalidConditionValue,
                    format!("{at}: {name} {key}: values must be strings, booleans or numbers (or a list of them), not {found}"),
                )
                .with_subject(name.clone())
            })?;
            if values.is_empty() {
                return Err(PolicyError::new(
                    K::EmptyConditionValues,
                    format!("{at}: {name} {key} has an empty list of values"),
                )
                .with_subject(name.clone()));
            }
            if let Some(bad) = values.iter().find(|v| !operator.value_is_valid(v)) {
                return Err(PolicyError::new(
                    K::InvalidConditionValue,
                    format!(
                        "{at}: {name} {key}: \"{bad}\" is not a value {} can compare",
                        operator.name()
                    ),
                )
                .with_subject(name.clone()));
            }
            out.push(Condition {
                operator,
                qualifier,
                if_exists,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

fn scalar_string(value: &Value) -> Result<String, &'static str> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(type_name(other)),
    }
}

fn condition_values(value: &Value) -> Result<Vec<String>, &'static str> {
    match value {
        Value::Array(items) => items.iter().map(scalar_string).collect(),
        other => scalar_string(other).map(|s| vec![s]),
    }
}
