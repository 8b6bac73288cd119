//! Condition operators: positive, negated, IfExists, missing keys, set qualifiers.

use super::*;
use crate::ConditionOperator;

/// Whether an identity policy allowing s3:GetObject under `condition` (a JSON object) allows a
/// request carrying `condition_keys`.
fn holds(condition: &str, condition_keys: &ConditionKeys) -> bool {
    let json = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}}}"#
    );
    let policy = identity_policy(&json);
    eval(
        &policy,
        &user("alice"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        condition_keys,
    ) == StatementMatch::AllowDirect
}

fn none() -> ConditionKeys {
    ConditionKeys::new()
}

#[test]
fn string_equals() {
    let c = r#"{"StringEquals": {"s3:x-amz-acl": "private"}}"#;
    assert!(holds(c, &keys(&[("s3:x-amz-acl", "private")])));
    assert!(!holds(c, &keys(&[("s3:x-amz-acl", "public-read")])));
    assert!(
        !holds(c, &keys(&[("s3:x-amz-acl", "PRIVATE")])),
        "case-sensitive"
    );
    assert!(
        !holds(c, &none()),
        "missing key: positive operator is false"
    );
    // No wildcards in ...Equals.
    assert!(!holds(
        r#"{"StringEquals": {"k": "pri*"}}"#,
        &keys(&[("k", "private")])
    ));
}

#[test]
fn values_of_one_key_are_ored() {
    let c = r#"{"StringEquals": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]}}"#;
    assert!(holds(c, &keys(&[("s3:x-amz-acl", "private")])));
    assert!(holds(
        c,
        &keys(&[("s3:x-amz-acl", "bucket-owner-full-control")])
    ));
    assert!(!holds(c, &keys(&[("s3:x-amz-acl", "public-read")])));
}

#[test]
fn keys_and_operators_are_anded() {
    let c = r#"{"StringEquals": {"a": "1", "b": "2"}}"#;
    assert!(holds(c, &keys(&[("a", "1"), ("b", "2")])));
    assert!(!holds(c, &keys(&[("a", "1"), ("b", "3")])));
    assert!(!holds(c, &keys(&[("a", "1")])));
    let c = r#"{"StringEquals": {"a": "1"}, "Bool": {"aws:SecureTransport": "true"}}"#;
    assert!(holds(
        c,
        &keys(&[("a", "1"), ("aws:SecureTransport", "true")])
    ));
    assert!(!holds(
        c,
        &keys(&[("a", "1"), ("aws:SecureTransport", "false")])
    ));
}

#[test]
fn key_names_are_case_insensitive() {
    let c = r#"{"StringEquals": {"S3:X-Amz-Server-Side-Encryption": "AES256"}}"#;
    assert!(holds(
        c,
        &keys(&[("s3:x-amz-server-side-encryption", "AES256")])
    ));
    let c = r#"{"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}"#;
    assert!(holds(
        c,
        &keys(&[("S3:X-AMZ-SERVER-SIDE-ENCRYPTION", "AES256")])
    ));
}

#[test]
fn string_not_equals() {
    let c = r#"{"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}"#;
    assert!(!holds(
        c,
        &keys(&[("s3:x-amz-server-side-encryption", "AES256")])
    ));
    assert!(holds(
        c,
        &keys(&[("s3:x-amz-server-side-encryption", "aws:kms")])
    ));
    assert!(holds(c, &none()), "missing key: negated operator is true");
    let c = r#"{"StringNotEquals": {"k": ["a", "b"]}}"#;
    assert!(!holds(c, &keys(&[("k", "b")])), "matches one of the values");
    assert!(holds(c, &keys(&[("k", "c")])));
}

#[test]
fn if_exists() {
    let c = r#"{"StringEqualsIfExists": {"k": "v"}}"#;
    assert!(holds(c, &none()));
    assert!(holds(c, &keys(&[("k", "v")])));
    assert!(!holds(c, &keys(&[("k", "w")])));
    let c = r#"{"StringNotEqualsIfExists": {"k": "v"}}"#;
    assert!(holds(c, &none()));
    assert!(!holds(c, &keys(&[("k", "v")])));
    assert!(holds(c, &keys(&[("k", "w")])));
    let c = r#"{"NumericLessThanIfExists": {"n": "10"}}"#;
    assert!(holds(c, &none()));
    assert!(holds(c, &keys(&[("n", "3")])));
    assert!(!holds(c, &keys(&[("n", "30")])));
    let c = r#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}"#;
    assert!(holds(c, &none()));
    assert!(!holds(c, &keys(&[("aws:MultiFactorAuthPresent", "false")])));
}

#[test]
fn string_ignore_case() {
    let c = r#"{"StringEqualsIgnoreCase": {"k": "Private"}}"#;
    assert!(holds(c, &keys(&[("k", "PRIVATE")])));
    assert!(!holds(c, &keys(&[("k", "public")])));
    assert!(!holds(c, &none()));
    let c = r#"{"StringNotEqualsIgnoreCase": {"k": "Private"}}"#;
    assert!(!holds(c, &keys(&[("k", "pRiVaTe")])));
    assert!(holds(c, &keys(&[("k", "public")])));
    assert!(holds(c, &none()));
}

#[test]
fn string_like() {
    let c = r#"{"StringLike": {"s3:prefix": ["home/*", "tmp/?"]}}"#;
    assert!(holds(c, &keys(&[("s3:prefix", "home/alice/x")])));
    assert!(holds(c, &keys(&[("s3:prefix", "tmp/a")])));
    assert!(!holds(c, &keys(&[("s3:prefix", "tmp/ab")])));
    assert!(
        !holds(c, &keys(&[("s3:prefix", "Home/x")])),
        "case-sensitive"
    );
    assert!(!holds(c, &none()));
    let c = r#"{"StringNotLike": {"s3:prefix": "home/*"}}"#;
    assert!(!holds(c, &keys(&[("s3:prefix", "home/x")])));
    assert!(holds(c, &keys(&[("s3:prefix", "etc/x")])));
    assert!(holds(c, &none()));
    let c = r#"{"StringNotLikeIfExists": {"s3:prefix": "home/*"}}"#;
    assert!(holds(c, &none()));
    assert!(!holds(c, &keys(&[("s3:prefix", "home/x")])));
}

#[test]
fn string_like_with_policy_variables() {
    let c = r#"{"StringLike": {"s3:prefix": "home/${aws:username}/*"}}"#;
    assert!(holds(c, &keys(&[("s3:prefix", "home/alice/notes")])));
    assert!(!holds(c, &keys(&[("s3:prefix", "home/bob/notes")])));
    let c = r#"{"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}}"#;
    assert!(
        holds(c, &none()),
        "aws:PrincipalArn comes from the principal"
    );
    let c = r#"{"StringEquals": {"aws:PrincipalAccount": "444455556666"}}"#;
    assert!(!holds(c, &none()));
    let c = r#"{"StringEquals": {"aws:PrincipalType": "User"}}"#;
    assert!(holds(c, &none()));
}

#[test]
fn numeric() {
    let k = |n: &str| keys(&[("s3:max-keys", n)]);
    let t = |op: &str, v: &str, n: &str| {
        holds(&format!(r#"{{"{op}": {{"s3:max-keys": "{v}"}}}}"#), &k(n))
    };
    assert!(t("NumericEquals", "10", "10"));
    assert!(t("NumericEquals", "10", "10.0"));
    assert!(!t("NumericEquals", "10", "11"));
    assert!(t("NumericNotEquals", "10", "11"));
    assert!(!t("NumericNotEquals", "10", "10"));
    assert!(t("NumericLessThan", "10", "9"));
    assert!(!t("NumericLessThan", "10", "10"));
    assert!(t("NumericLessThanEquals", "10", "10"));
    assert!(!t("NumericLessThanEquals", "10", "11"));
    assert!(t("NumericGreaterThan", "10", "11"));
    assert!(!t("NumericGreaterThan", "10", "10"));
    assert!(t("NumericGreaterThanEquals", "10", "10"));
    assert!(!t("NumericGreaterThanEquals", "10", "9"));
    assert!(
        !t("NumericLessThan", "10", "lots"),
        "a non-number never matches"
    );
    // Missing key.
    assert!(!holds(
        r#"{"NumericLessThan": {"s3:max-keys": "10"}}"#,
        &none()
    ));
    assert!(holds(
        r#"{"NumericNotEquals": {"s3:max-keys": "10"}}"#,
        &none()
    ));
    // JSON numbers as values.
    assert!(holds(
        r#"{"NumericLessThan": {"s3:max-keys": 10}}"#,
        &k("5")
    ));
    assert!(holds(
        r#"{"NumericEquals": {"s3:max-keys": [1, 2.5]}}"#,
        &k("2.5")
    ));
}

#[test]
fn dates() {
    let k = |d: &str| keys(&[("aws:CurrentTime", d)]);
    let c = r#"{"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#;
    assert!(holds(c, &k("2026-06-01T00:00:00Z")));
    assert!(!holds(c, &k("2025-06-01T00:00:00Z")));
    assert!(!holds(c, &none()));
    let c = r#"{"DateLessThan": {"aws:CurrentTime": "2026-01-01"}}"#;
    assert!(holds(c, &k("2025-12-31T23:59:59Z")));
    assert!(!holds(c, &k("2026-01-01T00:00:00Z")));
    let c = r#"{"DateLessThanEquals": {"aws:CurrentTime": "2026-01-01"}}"#;
    assert!(holds(c, &k("2026-01-01T00:00:00Z")));
    let c = r#"{"DateGreaterThanEquals": {"aws:EpochTime": 1767225600}}"#;
    assert!(holds(c, &keys(&[("aws:EpochTime", "1767225600")])));
    let c = r#"{"DateEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#;
    assert!(holds(c, &k("2026-01-01T01:00:00+01:00")));
    let c = r#"{"DateNotEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#;
    assert!(holds(c, &k("2026-01-02T00:00:00Z")));
    assert!(holds(c, &none()));
}

#[test]
fn bool_operator() {
    let c = r#"{"Bool": {"aws:SecureTransport": "false"}}"#;
    assert!(holds(c, &keys(&[("aws:SecureTransport", "false")])));
    assert!(holds(c, &keys(&[("aws:SecureTransport", "FALSE")])));
    assert!(!holds(c, &keys(&[("aws:SecureTransport", "true")])));
    assert!(!holds(c, &none()));
    // A JSON boolean as the value.
    let c = r#"{"Bool": {"aws:SecureTransport": true}}"#;
    assert!(holds(
        c,
        &ConditionKeys::new().with_bool("aws:SecureTransport", true)
    ));
}

#[test]
fn null_operator() {
    let c = r#"{"Null": {"s3:x-amz-server-side-encryption": "true"}}"#;
    assert!(holds(c, &none()), "true means absent");
    assert!(!holds(
        c,
        &keys(&[("s3:x-amz-server-side-encryption", "AES256")])
    ));
    let c = r#"{"Null": {"s3:x-amz-server-side-encryption": "false"}}"#;
    assert!(!holds(c, &none()));
    assert!(holds(
        c,
        &keys(&[("s3:x-amz-server-side-encryption", "AES256")])
    ));
    let c = r#"{"Null": {"k": true}}"#;
    assert!(holds(c, &none()));
    // An empty multi-valued key counts as absent.
    let mut empty = ConditionKeys::new();
    empty.set("k", Vec::new());
    assert!(holds(c, &empty));
}

#[test]
fn arn_operators() {
    let k = |a: &str| keys(&[("aws:SourceArn", a)]);
    let c = r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}"#;
    assert!(holds(c, &k("arn:aws:s3:::bucket")));
    assert!(!holds(c, &k("arn:aws:s3:::other")));
    assert!(!holds(c, &none()));
    let c = r#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket*"}}"#;
    assert!(holds(c, &k("arn:aws:s3:::bucket-2")));
    assert!(!holds(c, &k("arn:aws:sqs:::bucket")));
    assert!(!holds(c, &k("not an arn")));
    let c = r#"{"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}"#;
    assert!(!holds(c, &k("arn:aws:s3:::bucket")));
    assert!(holds(c, &k("arn:aws:s3:::other")));
    assert!(holds(c, &none()));
    let c = r#"{"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::bucket*"}}"#;
    assert!(!holds(c, &k("arn:aws:s3:::bucket-2")));
    assert!(holds(c, &k("arn:aws:s3:::pail")));
    assert!(holds(c, &none()));
    let c = r#"{"ArnLike": {"aws:SourceArn": "arn:aws:iam::111122223333:user/${aws:username}"}}"#;
    assert!(holds(c, &k("arn:aws:iam::111122223333:user/alice")));
    assert!(!holds(c, &k("arn:aws:iam::111122223333:user/bob")));
}

#[test]
fn ip_operators() {
    let k = |a: &str| keys(&[("aws:SourceIp", a)]);
    let c = r#"{"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}"#;
    assert!(holds(c, &k("192.0.2.10")));
    assert!(holds(c, &k("2001:db8::5")));
    assert!(!holds(c, &k("198.51.100.1")));
    assert!(!holds(c, &none()));
    let c = r#"{"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#;
    assert!(!holds(c, &k("192.0.2.10")));
    assert!(holds(c, &k("198.51.100.1")));
    assert!(holds(c, &none()));
}

#[test]
fn binary_equals() {
    let c = r#"{"BinaryEquals": {"k": "QmluYXJ5"}}"#;
    assert!(holds(c, &keys(&[("k", "QmluYXJ5")])));
    assert!(!holds(c, &keys(&[("k", "QmluYXJ6")])));
    assert!(!holds(c, &none()));
}

fn multi(values: &[&str]) -> ConditionKeys {
    let mut k = ConditionKeys::new();
    k.set(
        "aws:TagKeys",
        values.iter().map(|v| (*v).to_owned()).collect(),
    );
    k
}

#[test]
fn for_any_value() {
    let c = r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#;
    assert!(holds(c, &multi(&["env", "other"])));
    assert!(!holds(c, &multi(&["other", "more"])));
    assert!(!holds(c, &none()), "absent: ForAnyValue is false");
    assert!(!holds(c, &multi(&[])), "empty: ForAnyValue is false");
    let c = r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env", "team"]}}"#;
    assert!(holds(c, &multi(&["env", "other"])), "one value is neither");
    assert!(!holds(c, &multi(&["env", "team"])));
    assert!(!holds(c, &none()));
    let c = r#"{"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "e*"}}"#;
    assert!(holds(c, &none()));
}

#[test]
fn for_all_values() {
    let c = r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#;
    assert!(holds(c, &multi(&["env", "team"])));
    assert!(holds(c, &multi(&["env"])));
    assert!(!holds(c, &multi(&["env", "other"])));
    assert!(holds(c, &none()), "absent: ForAllValues is true");
    assert!(holds(c, &multi(&[])), "empty: ForAllValues is true");
    let c = r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}"#;
    assert!(holds(c, &multi(&["env", "team"])));
    assert!(!holds(c, &multi(&["env", "secret"])));
    let c = r#"{"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}}"#;
    assert!(holds(c, &multi(&["team-a", "team-b"])));
    assert!(!holds(c, &multi(&["team-a", "x"])));
}

#[test]
fn multi_valued_key_without_qualifier() {
    let c = r#"{"StringEquals": {"aws:TagKeys": "env"}}"#;
    assert!(holds(c, &multi(&["team", "env"])), "any value may match");
    let c = r#"{"StringNotEquals": {"aws:TagKeys": "env"}}"#;
    assert!(!holds(c, &multi(&["team", "env"])));
    assert!(holds(c, &multi(&["team"])));
}

#[test]
fn every_operator_parses_with_if_exists_and_qualifiers() {
    for op in ConditionOperator::ALL {
        let value = match op.positive() {
            ConditionOperator::Null | ConditionOperator::Bool => "true",
            ConditionOperator::NumericEquals
            | ConditionOperator::NumericLessThan
            | ConditionOperator::NumericLessThanEquals
            | ConditionOperator::NumericGreaterThan
            | ConditionOperator::NumericGreaterThanEquals => "1",
            ConditionOperator::DateEquals
            | ConditionOperator::DateLessThan
            | ConditionOperator::DateLessThanEquals
            | ConditionOperator::DateGreaterThan
            | ConditionOperator::DateGreaterThanEquals => "2026-01-01T00:00:00Z",
            ConditionOperator::IpAddress => "10.0.0.0/8",
            _ => "arn:aws:s3:::x",
        };
        let names: Vec<String> = if *op == ConditionOperator::Null {
            vec![op.name().to_owned()]
        } else {
            vec![
                op.name().to_owned(),
                format!("{}IfExists", op.name()),
                format!("ForAnyValue:{}", op.name()),
                format!("ForAllValues:{}IfExists", op.name()),
            ]
        };
        for name in names {
            let json = format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"{name}":{{"k":"{value}"}}}}}}}}"#
            );
            match Policy::parse(&json, PolicyKind::Identity) {
                Ok(p) => assert_eq!(p.statements[0].conditions[0].operator_name(), name),
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }
}
