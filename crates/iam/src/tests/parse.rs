//! The grammar: what parses, and every kind of refusal with its S3 and KMS wording.

use super::*;
use crate::{
    ActionSpec, Effect, ParseOptions, PolicyError, PolicyErrorKind as K, PolicyVersion, Principal,
    PrincipalSpec, ResourceSpec, S3_BUCKET_POLICY_MAX_BYTES,
};

fn err(json: &str, kind: PolicyKind) -> PolicyError {
    match Policy::parse(json, kind) {
        Ok(_) => panic!("should be refused: {json}"),
        Err(e) => e,
    }
}

fn err_with(json: &str, options: &ParseOptions) -> PolicyError {
    match Policy::parse_with(json, options) {
        Ok(_) => panic!("should be refused: {json}"),
        Err(e) => e,
    }
}

/// A resource policy with one statement made of `fields` (a JSON fragment without braces).
fn stmt(fields: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{{fields}}}]}}"#)
}

const OK_FIELDS: &str =
    r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#;

fn stmt_err(fields: &str) -> PolicyError {
    err(&stmt(fields), PolicyKind::Resource)
}

#[test]
fn parses_a_full_policy() {
    let p = resource_policy(
        r#"{
          "Version": "2012-10-17",
          "Id": "policy-1",
          "Statement": [
            {
              "Sid": "One",
              "Effect": "Allow",
              "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/alice"], "Service": "s3.amazonaws.com"},
              "Action": ["s3:GetObject", "s3:List*"],
              "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
              "Condition": {"StringEquals": {"s3:prefix": ["a", "b"]}, "Bool": {"aws:SecureTransport": true}}
            },
            {
              "Effect": "Deny",
              "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
              "NotAction": "s3:GetObject",
              "NotResource": "arn:aws:s3:::b/public/*"
            }
          ]
        }"#,
    );
    assert_eq!(p.version, PolicyVersion::V2012);
    assert_eq!(p.id.as_deref(), Some("policy-1"));
    assert_eq!(p.statements.len(), 2);
    let s = &p.statements[0];
    assert_eq!(s.sid.as_deref(), Some("One"));
    assert_eq!(s.effect, Effect::Allow);
    assert_eq!(
        s.principal,
        Some(PrincipalSpec::Principal(vec![
            Principal::Aws(vec![
                "111122223333".to_owned(),
                "arn:aws:iam::111122223333:user/alice".to_owned()
            ]),
            Principal::Service(vec!["s3.amazonaws.com".to_owned()]),
        ]))
    );
    assert_eq!(
        s.action,
        ActionSpec::Action(vec!["s3:GetObject".to_owned(), "s3:List*".to_owned()])
    );
    assert_eq!(s.conditions.len(), 2);
    let bool_condition = s
        .conditions
        .iter()
        .find(|c| c.operator == crate::ConditionOperator::Bool);
    assert_eq!(
        bool_condition.map(|c| c.values.clone()),
        Some(vec!["true".to_owned()]),
        "a JSON boolean becomes the string \"true\""
    );
    let prefix = s.conditions.iter().find(|c| c.key == "s3:prefix");
    assert_eq!(prefix.map(|c| c.values.len()), Some(2));
    let s = &p.statements[1];
    assert_eq!(s.effect, Effect::Deny);
    assert!(matches!(s.principal, Some(PrincipalSpec::NotPrincipal(_))));
    assert!(matches!(s.action, ActionSpec::NotAction(_)));
    assert!(matches!(s.resource, ResourceSpec::NotResource(_)));
}

#[test]
fn single_statement_object_and_default_version() {
    let p = identity_policy(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
    assert_eq!(p.version, PolicyVersion::V2008);
    assert_eq!(p.statements.len(), 1);
    let p = identity_policy(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#,
    );
    assert_eq!(p.version, PolicyVersion::V2008);
}

#[test]
fn text_and_json_are_kept() {
    let text = "{ \"Statement\" : { \"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\" } }";
    let p = identity_policy(text);
    assert_eq!(p.as_text(), text);
    assert_eq!(p.to_json()["Statement"]["Effect"], "Allow");
}

#[test]
fn principal_forms_accepted() {
    for principal in [
        r#""*""#,
        r#"{"AWS": "*"}"#,
        r#"{"AWS": "111122223333"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:root"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:user/path/alice"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:role/admin"}"#,
        r#"{"AWS": "arn:aws:sts::111122223333:assumed-role/admin/session"}"#,
        r#"{"Service": ["s3.amazonaws.com", "kms.amazonaws.com"]}"#,
        r#"{"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#,
        r#"{"Federated": "cognito-identity.amazonaws.com"}"#,
    ] {
        let json = stmt(&format!(
            r#""Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"*""#
        ));
        if let Err(e) = Policy::parse(&json, PolicyKind::Resource) {
            panic!("{principal}: {e}");
        }
    }
}

#[test]
fn action_and_resource_forms_accepted() {
    let p = resource_policy(&stmt(
        r#""Effect":"Allow","Principal":"*","Action":["*","s3:*","kms:GenerateDataKey*","s3:Get?bject","S3:getobject"],"Resource":["*","arn:aws:kms:us-east-1:111122223333:key/*","arn:aws:s3:::b/${aws:username}/*"]"#,
    ));
    assert_eq!(p.statements.len(), 1);
}

#[test]
fn not_json() {
    let e = err("this is not json", PolicyKind::Resource);
    assert_eq!(e.kind(), K::NotJson);
    assert_eq!(
        e.s3_message(),
        "Policies must be valid JSON and the first byte must be '{'"
    );
    assert_eq!(e.kms_error_type(), "MalformedPolicyDocumentException");
    assert!(e.message().contains("not valid JSON"), "{e}");
    let e = err(r#"{"Statement": [}"#, PolicyKind::Resource);
    assert_eq!(e.kind(), K::NotJson);
    assert_eq!(e.s3_message(), "This policy contains invalid Json");
    let e = err("", PolicyKind::Resource);
    assert_eq!(e.kind(), K::NotJson);
}

#[test]
fn not_an_object() {
    for text in ["[1, 2]", "\"policy\"", "3", "null"] {
        let e = err(text, PolicyKind::Resource);
        assert_eq!(e.kind(), K::NotAnObject, "{text}");
        assert_eq!(
            e.s3_message(),
            "Policies must be valid JSON and the first byte must be '{'"
        );
    }
    // S3 insists on the first byte; the plain grammar does not.
    let text = format!(" {}", stmt(OK_FIELDS));
    assert!(Policy::parse(&text, PolicyKind::Resource).is_ok());
    let e = err_with(&text, &ParseOptions::s3_bucket_policy());
    assert_eq!(e.kind(), K::NotAnObject);
    assert_eq!(
        e.s3_message(),
        "Policies must be valid JSON and the first byte must be '{'"
    );
}

#[test]
fn too_large() {
    let e = err_with(
        &stmt(OK_FIELDS),
        &ParseOptions::new(PolicyKind::Resource).with_max_bytes(20),
    );
    assert_eq!(e.kind(), K::TooLarge);
    assert_eq!(e.subject(), Some("20"));
    assert_eq!(e.kms_error_type(), "ValidationException");
    assert!(e.message().contains("limit is 20 bytes"), "{e}");

    // Just over S3's 20 KB.
    let filler = "x".repeat(S3_BUCKET_POLICY_MAX_BYTES);
    let big = stmt(&format!(r#""Sid":"{filler}",{OK_FIELDS}"#));
    let e = err_with(&big, &ParseOptions::s3_bucket_policy());
    assert_eq!(e.kind(), K::TooLarge);
    assert_eq!(
        e.s3_message(),
        "Policy exceeds the maximum allowed document size."
    );
    // KMS allows 32 KB.
    assert!(Policy::parse_with(&big, &ParseOptions::kms_key_policy()).is_ok());
    let bigger = stmt(&format!(r#""Sid":"{}",{OK_FIELDS}"#, "x".repeat(33 * 1024)));
    let e = err_with(&bigger, &ParseOptions::kms_key_policy());
    assert_eq!(
        e.kms_message(),
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 32768"
    );
}

#[test]
fn invalid_version() {
    for version in [r#""2012-10-18""#, r#""""#, "2012", "null"] {
        let e = err(
            &format!(
                r#"{{"Version":{version},"Statement":{{"Effect":"Allow","Action":"*","Resource":"*"}}}}"#
            ),
            PolicyKind::Identity,
        );
        assert_eq!(e.kind(), K::InvalidVersion, "{version}");
        assert_eq!(
            e.s3_message(),
            "The policy must contain a valid version string"
        );
    }
}

#[test]
fn unknown_fields() {
    let e = err(
        r#"{"Version":"2012-10-17","Foo":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
    );
    assert_eq!(e.kind(), K::UnknownField);
    assert_eq!(e.subject(), Some("Foo"));
    assert_eq!(e.s3_message(), "Unknown field Foo");
    // Field names are case-sensitive: `condition` is not `Condition`.
    let e = stmt_err(&format!(
        r#"{OK_FIELDS},"condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}"#
    ));
    assert_eq!(e.kind(), K::UnknownField);
    assert_eq!(e.s3_message(), "Unknown field condition");
    assert!(e.message().contains("Statement[0]"), "{e}");
    let e = err(
        r#"{"version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
    );
    assert_eq!(e.kind(), K::UnknownField);
}

#[test]
fn invalid_syntax() {
    let cases = [
        r#"{"Statement":"everything"}"#.to_owned(),
        r#"{"Id":3,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.to_owned(),
        r#"{"Statement":[3]}"#.to_owned(),
        stmt(&format!(r#""Sid":3,{OK_FIELDS}"#)),
        stmt(&format!(r#"{OK_FIELDS},"Condition":"yes""#)),
        stmt(&format!(
            r#"{OK_FIELDS},"Condition":{{"StringEquals":"k"}}"#
        )),
    ];
    for json in cases {
        let e = err(&json, PolicyKind::Resource);
        assert_eq!(e.kind(), K::InvalidSyntax, "{json}");
        assert_eq!(e.s3_message(), "Invalid policy syntax.");
    }
}

#[test]
fn missing_and_empty_statement() {
    let e = err(r#"{"Version":"2012-10-17"}"#, PolicyKind::Resource);
    assert_eq!(e.kind(), K::MissingStatement);
    assert_eq!(e.s3_message(), "Missing required field Statement");
    let e = err(
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        PolicyKind::Resource,
    );
    assert_eq!(e.kind(), K::EmptyStatement);
    assert_eq!(
        e.s3_message(),
        "Could not parse the policy: Statement is empty!"
    );
}

#[test]
fn effect() {
    let e = stmt_err(r#""Principal":"*","Action":"s3:GetObject","Resource":"*""#);
    assert_eq!(e.kind(), K::MissingEffect);
    assert_eq!(e.s3_message(), "Missing required field Effect");
    let e = stmt_err(r#""Effect":"hello","Principal":"*","Action":"s3:GetObject","Resource":"*""#);
    assert_eq!(e.kind(), K::InvalidEffect);
    assert_eq!(e.s3_message(), "Invalid effect: hello");
    // Case-sensitive.
    let e = stmt_err(r#""Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*""#);
    assert_eq!(e.kind(), K::InvalidEffect);
    let e = stmt_err(r#""Effect":true,"Principal":"*","Action":"s3:GetObject","Resource":"*""#);
    assert_eq!(e.kind(), K::InvalidEffect);
    assert_eq!(e.s3_message(), "Invalid effect: true");
}

#[test]
fn action_errors() {
    let e = stmt_err(
        r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*""#,
    );
    assert_eq!(e.kind(), K::BothActionAndNotAction);
    assert!(e.message().contains("both Action and NotAction"), "{e}");
    let e = stmt_err(r#""Effect":"Allow","Principal":"*","Resource":"*""#);
    assert_eq!(e.kind(), K::MissingAction);
    assert_eq!(e.s3_message(), "Missing required field Action");
    for action in [
        r#""invalid_action""#,
        r#""s3:Get:Object""#,
        r#""s3:""#,
        r#"":GetObject""#,
        r#""s3:Get Object""#,
        r#"[]"#,
        r#"3"#,
        r#"["s3:GetObject", 3]"#,
    ] {
        let e = stmt_err(&format!(
            r#""Effect":"Allow","Principal":"*","Action":{action},"Resource":"*""#
        ));
        assert_eq!(e.kind(), K::InvalidAction, "{action}");
        assert_eq!(e.s3_message(), "Policy has invalid action");
    }
    // A bucket policy may only name S3 actions.
    let e = err_with(
        &stmt(
            r#""Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:s3:::b/*""#,
        ),
        &ParseOptions::s3_bucket_policy(),
    );
    assert_eq!(e.kind(), K::InvalidAction);
    assert_eq!(e.subject(), Some("kms:Decrypt"));
}

#[test]
fn resource_errors() {
    let e = stmt_err(
        r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","NotResource":"*""#,
    );
    assert_eq!(e.kind(), K::BothResourceAndNotResource);
    let e = stmt_err(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject""#);
    assert_eq!(e.kind(), K::MissingResource);
    assert_eq!(e.s3_message(), "Missing required field Resource");
    for resource in [r#""bucket/*""#, r#""arn:aws:s3""#, r#"[]"#, r#"{}"#] {
        let e = stmt_err(&format!(
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":{resource}"#
        ));
        assert_eq!(e.kind(), K::InvalidResource, "{resource}");
        assert_eq!(e.s3_message(), "Policy has invalid resource");
    }
    // S3 refuses `*` and non-S3 ARNs in a bucket policy.
    for resource in [
        "*",
        "arn:aws:kms:us-east-1:111122223333:key/x",
        "arn:aws:s3:::",
    ] {
        let e = err_with(
            &stmt(&format!(
                r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"{resource}""#
            )),
            &ParseOptions::s3_bucket_policy(),
        );
        assert_eq!(e.kind(), K::InvalidResource, "{resource}");
    }
}

#[test]
fn principal_in_identity_policy() {
    let e = err(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
    );
    assert_eq!(e.kind(), K::PrincipalInIdentityPolicy);
    assert_eq!(
        e.s3_message(),
        "Policy document should not specify a principal."
    );
    let e = err(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
    );
    assert_eq!(e.kind(), K::PrincipalInIdentityPolicy);
    assert!(e.message().contains("NotPrincipal"), "{e}");
}

#[test]
fn missing_principal() {
    let e = stmt_err(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    assert_eq!(e.kind(), K::MissingPrincipal);
    assert_eq!(e.s3_message(), "Missing required field Principal");
    let e = stmt_err(
        r#""Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*""#,
    );
    assert_eq!(e.kind(), K::BothPrincipalAndNotPrincipal);
}

#[test]
fn invalid_principals() {
    for principal in [
        r#""someone""#,
        r#""**""#,
        r#"{}"#,
        r#"{"AWS": "bob"}"#,
        r#"{"AWS": "11112222333"}"#,
        r#"{"AWS": []}"#,
        r#"{"AWS": 111122223333}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:group/devs"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:user/*"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:user/"}"#,
        r#"{"AWS": "arn:aws:s3:::bucket"}"#,
        r#"{"Service": "*"}"#,
        r#"{"Service": "not a service"}"#,
        r#"{"CanonicalUser": "abc"}"#,
        r#"{"Federated": ""}"#,
        r#"{"Robot": "r2d2"}"#,
        r#"["*"]"#,
    ] {
        let e = stmt_err(&format!(
            r#""Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"*""#
        ));
        assert_eq!(e.kind(), K::InvalidPrincipal, "{principal}");
        assert_eq!(e.s3_message(), "Invalid principal in policy");
        assert_eq!(
            e.kms_message(),
            "Policy contains a statement with one or more invalid principals."
        );
    }
}

#[test]
fn unknown_condition_operators() {
    for op in [
        "StringEqualz",
        "stringequals",
        "NullIfExists",
        "ForAnyValue:Null",
        "ForSomeValues:StringEquals",
        "IfExists",
        "StringEqualsIfexists",
    ] {
        let e = stmt_err(&format!(
            r#"{OK_FIELDS},"Condition":{{"{op}":{{"k":"v"}}}}"#
        ));
        assert_eq!(e.kind(), K::UnknownConditionOperator, "{op}");
        assert_eq!(e.s3_message(), format!("Invalid Condition type : {op}"));
    }
}

#[test]
fn empty_condition_values() {
    let e = stmt_err(&format!(
        r#"{OK_FIELDS},"Condition":{{"StringEquals":{{"s3:prefix":[]}}}}"#
    ));
    assert_eq!(e.kind(), K::EmptyConditionValues);
    assert!(e.message().contains("empty list of values"), "{e}");
}

#[test]
fn invalid_condition_values() {
    for (op, value) in [
        ("Bool", r#""maybe""#),
        ("Null", r#""yes""#),
        ("NumericLessThan", r#""ten""#),
        ("DateLessThan", r#""soon""#),
        ("IpAddress", r#""192.0.2.0/40""#),
        ("StringEquals", r#"{"a":1}"#),
        ("StringEquals", "null"),
        ("StringEquals", r#"[["nested"]]"#),
    ] {
        let e = stmt_err(&format!(
            r#"{OK_FIELDS},"Condition":{{"{op}":{{"k":{value}}}}}"#
        ));
        assert_eq!(e.kind(), K::InvalidConditionValue, "{op} {value}");
        assert_eq!(
            e.s3_message(),
            format!("Invalid value in Conditions for operator {op}")
        );
    }
}

#[test]
fn messages_name_the_statement() {
    let json = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
        {"Sid":"Second","Effect":"Allow","Principal":"*","Action":"s3GetObject","Resource":"*"}
    ]}"#;
    let e = err(json, PolicyKind::Resource);
    assert_eq!(e.kind(), K::InvalidAction);
    assert!(
        e.message().contains("Statement[1] (Sid \"Second\")"),
        "{}",
        e.message()
    );
    assert!(e.message().contains("s3GetObject"), "{}", e.message());
    // KMS gets the message for people for faults it has no fixed wording for.
    assert_eq!(e.kms_message(), e.message());
    assert_eq!(e.to_string(), e.message());
}
