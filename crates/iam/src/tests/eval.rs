//! Evaluating one policy: principals, actions, resources, Not-forms, deny wins, variables.

use super::*;

const OBJ: &str = "arn:aws:s3:::bucket/key";

fn allow_all_for(principal: &str) -> Policy {
    resource_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3:*","Resource":"*"}}}}"#
    ))
}

#[test]
fn principal_star_matches_everyone_including_anonymous() {
    let none = ConditionKeys::new();
    for p in [r#""*""#, r#"{"AWS":"*"}"#] {
        let policy = allow_all_for(p);
        for caller in [
            RequestPrincipal::Anonymous,
            user("alice"),
            RequestPrincipal::user(OTHER_ACCT, "mallory"),
            RequestPrincipal::Service("s3.amazonaws.com".to_owned()),
        ] {
            assert_eq!(
                eval(&policy, &caller, "s3:GetObject", OBJ, &none),
                StatementMatch::AllowDirect,
                "{p} {caller:?}"
            );
        }
    }
}

#[test]
fn account_principals_delegate() {
    let none = ConditionKeys::new();
    for p in [
        r#"{"AWS":"111122223333"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
    ] {
        let policy = allow_all_for(p);
        assert_eq!(
            eval(&policy, &user("alice"), "s3:GetObject", OBJ, &none),
            StatementMatch::AllowAccountDelegated,
            "{p}"
        );
        assert_eq!(
            eval(
                &policy,
                &RequestPrincipal::account_root(ACCT),
                "s3:GetObject",
                OBJ,
                &none
            ),
            StatementMatch::AllowDirect,
            "the root itself is the account"
        );
        assert_eq!(
            eval(
                &policy,
                &RequestPrincipal::user(OTHER_ACCT, "alice"),
                "s3:GetObject",
                OBJ,
                &none
            ),
            StatementMatch::NoMatch
        );
        assert_eq!(
            eval(
                &policy,
                &RequestPrincipal::Anonymous,
                "s3:GetObject",
                OBJ,
                &none
            ),
            StatementMatch::NoMatch
        );
    }
}

#[test]
fn user_principal_is_direct_and_exact() {
    let none = ConditionKeys::new();
    let policy = allow_all_for(
        r#"{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]}"#,
    );
    assert_eq!(
        eval(&policy, &user("alice"), "s3:GetObject", OBJ, &none),
        StatementMatch::AllowDirect,
        "direct beats delegated"
    );
    assert_eq!(
        eval(&policy, &user("bob"), "s3:GetObject", OBJ, &none),
        StatementMatch::AllowAccountDelegated
    );
    let policy = allow_all_for(r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#);
    assert_eq!(
        eval(&policy, &user("alicia"), "s3:GetObject", OBJ, &none),
        StatementMatch::NoMatch
    );
}

#[test]
fn service_principal() {
    let none = ConditionKeys::new();
    let policy = allow_all_for(r#"{"Service":"s3.amazonaws.com"}"#);
    assert_eq!(
        eval(
            &policy,
            &RequestPrincipal::Service("s3.amazonaws.com".to_owned()),
            "s3:GetObject",
            OBJ,
            &none
        ),
        StatementMatch::AllowDirect
    );
    assert_eq!(
        eval(&policy, &user("alice"), "s3:GetObject", OBJ, &none),
        StatementMatch::NoMatch
    );
}

#[test]
fn actions_are_case_insensitive_with_wildcards() {
    let none = ConditionKeys::new();
    let policy = identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":["S3:get*","kms:GenerateDataKey*","s3:Put?bject"],"Resource":"*"}}"#,
    );
    let act = |a: &str| eval(&policy, &user("alice"), a, OBJ, &none);
    assert_eq!(act("s3:GetObject"), StatementMatch::AllowDirect);
    assert_eq!(act("S3:GETBUCKETPOLICY"), StatementMatch::AllowDirect);
    assert_eq!(
        act("kms:GenerateDataKeyWithoutPlaintext"),
        StatementMatch::AllowDirect
    );
    assert_eq!(act("s3:PutObject"), StatementMatch::AllowDirect);
    assert_eq!(act("s3:PutObjectAcl"), StatementMatch::NoMatch);
    assert_eq!(act("s3:ListBucket"), StatementMatch::NoMatch);
    assert_eq!(act("kms:Decrypt"), StatementMatch::NoMatch);
    let star = identity_policy(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
    assert_eq!(
        eval(
            &star,
            &user("alice"),
            "kms:ScheduleKeyDeletion",
            KEY_ARN,
            &none
        ),
        StatementMatch::AllowDirect
    );
}

#[test]
fn not_action() {
    let none = ConditionKeys::new();
    let policy = identity_policy(
        r#"{"Statement":{"Effect":"Allow","NotAction":["s3:Delete*","kms:*"],"Resource":"*"}}"#,
    );
    assert_eq!(
        eval(&policy, &user("a"), "s3:GetObject", OBJ, &none),
        StatementMatch::AllowDirect
    );
    assert_eq!(
        eval(&policy, &user("a"), "s3:DeleteObject", OBJ, &none),
        StatementMatch::NoMatch
    );
    assert_eq!(
        eval(&policy, &user("a"), "kms:Decrypt", KEY_ARN, &none),
        StatementMatch::NoMatch
    );
}

#[test]
fn resources_are_case_sensitive_with_wildcards() {
    let none = ConditionKeys::new();
    let policy = identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::bucket/public/*","arn:aws:s3:::bucket","arn:aws:s3:::logs-????/*"]}}"#,
    );
    let res = |r: &str| eval(&policy, &user("a"), "s3:GetObject", r, &none);
    assert_eq!(
        res("arn:aws:s3:::bucket/public/a/b.txt"),
        StatementMatch::AllowDirect
    );
    assert_eq!(res("arn:aws:s3:::bucket"), StatementMatch::AllowDirect);
    assert_eq!(res("arn:aws:s3:::bucket/Public/a"), StatementMatch::NoMatch);
    assert_eq!(res("arn:aws:s3:::BUCKET"), StatementMatch::NoMatch);
    assert_eq!(
        res("arn:aws:s3:::bucket/private/a"),
        StatementMatch::NoMatch
    );
    assert_eq!(res("arn:aws:s3:::logs-2026/x"), StatementMatch::AllowDirect);
    assert_eq!(res("arn:aws:s3:::logs-26/x"), StatementMatch::NoMatch);
}

#[test]
fn not_resource() {
    let none = ConditionKeys::new();
    let policy = identity_policy(
        r#"{"Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::mine","arn:aws:s3:::mine/*"]}}"#,
    );
    assert!(matches!(
        eval(
            &policy,
            &user("a"),
            "s3:GetObject",
            "arn:aws:s3:::theirs/x",
            &none
        ),
        StatementMatch::ExplicitDeny { .. }
    ));
    assert_eq!(
        eval(
            &policy,
            &user("a"),
            "s3:GetObject",
            "arn:aws:s3:::mine/x",
            &none
        ),
        StatementMatch::NoMatch
    );
}

#[test]
fn not_principal() {
    let none = ConditionKeys::new();
    // Deny everyone but admin: IAM wants both the user and its account listed.
    let policy = resource_policy(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/admin","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}}"#,
    );
    assert_eq!(
        eval(&policy, &user("admin"), "s3:GetObject", OBJ, &none),
        StatementMatch::NoMatch
    );
    assert_eq!(
        eval(
            &policy,
            &RequestPrincipal::account_root(ACCT),
            "s3:GetObject",
            OBJ,
            &none
        ),
        StatementMatch::NoMatch
    );
    for caller in [
        user("reader"),
        RequestPrincipal::Anonymous,
        RequestPrincipal::user(OTHER_ACCT, "admin"),
    ] {
        assert!(
            matches!(
                eval(&policy, &caller, "s3:GetObject", OBJ, &none),
                StatementMatch::ExplicitDeny { .. }
            ),
            "{caller:?}"
        );
    }
    // The user alone is not enough: its account is not left out, so the user is denied too.
    let policy = resource_policy(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":"s3:*","Resource":"*"}}"#,
    );
    assert!(matches!(
        eval(&policy, &user("admin"), "s3:GetObject", OBJ, &none),
        StatementMatch::ExplicitDeny { .. }
    ));
    // NotPrincipal "*" leaves everyone out.
    let policy = resource_policy(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}"#,
    );
    assert_eq!(
        eval(
            &policy,
            &RequestPrincipal::Anonymous,
            "s3:GetObject",
            OBJ,
            &none
        ),
        StatementMatch::NoMatch
    );
    // Services.
    let policy = resource_policy(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"Service":"s3.amazonaws.com"},"Action":"s3:*","Resource":"*"}}"#,
    );
    let s3 = RequestPrincipal::Service("s3.amazonaws.com".to_owned());
    assert_eq!(
        eval(&policy, &s3, "s3:GetObject", OBJ, &none),
        StatementMatch::NoMatch
    );
    assert!(matches!(
        eval(&policy, &user("a"), "s3:GetObject", OBJ, &none),
        StatementMatch::ExplicitDeny { .. }
    ));
}

#[test]
fn explicit_deny_wins_whatever_the_order() {
    let none = ConditionKeys::new();
    for json in [
        r#"{"Statement":[{"Sid":"Yes","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"No","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#,
        r#"{"Statement":[{"Sid":"No","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},{"Sid":"Yes","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ] {
        let policy = identity_policy(json);
        assert_eq!(
            eval(&policy, &user("a"), "s3:DeleteObject", OBJ, &none),
            StatementMatch::ExplicitDeny {
                sid: Some("No".to_owned())
            }
        );
        assert_eq!(
            eval(&policy, &user("a"), "s3:GetObject", OBJ, &none),
            StatementMatch::AllowDirect
        );
    }
    let policy = identity_policy(r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#);
    assert_eq!(
        eval(&policy, &user("a"), "s3:GetObject", OBJ, &none),
        StatementMatch::ExplicitDeny { sid: None }
    );
}

#[test]
fn resource_policy_variables() {
    let none = ConditionKeys::new();
    let policy = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
    );
    assert_eq!(
        eval(
            &policy,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::home/alice/notes",
            &none
        ),
        StatementMatch::AllowDirect
    );
    assert_eq!(
        eval(
            &policy,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::home/bob/notes",
            &none
        ),
        StatementMatch::NoMatch
    );
    // Anonymous callers have no username: the pattern matches nothing.
    assert_eq!(
        eval(
            &policy,
            &RequestPrincipal::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::home/${aws:username}/x",
            &none
        ),
        StatementMatch::NoMatch
    );
    // In 2008-10-17 policies variables are plain text.
    let old = identity_policy(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
    );
    assert_eq!(
        eval(
            &old,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::home/alice/notes",
            &none
        ),
        StatementMatch::NoMatch
    );
    assert_eq!(
        eval(
            &old,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::home/${aws:username}/n",
            &none
        ),
        StatementMatch::AllowDirect
    );
    // Request keys can be variables too.
    let tagged = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::team-${aws:PrincipalTag/team}/*"}}"#,
    );
    let k = keys(&[("aws:PrincipalTag/team", "blue")]);
    assert_eq!(
        eval(
            &tagged,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::team-blue/x",
            &k
        ),
        StatementMatch::AllowDirect
    );
}

#[test]
fn identity_policies_ignore_the_principal() {
    let none = ConditionKeys::new();
    let policy =
        identity_policy(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#);
    assert_eq!(
        eval(
            &policy,
            &RequestPrincipal::Anonymous,
            "s3:GetObject",
            OBJ,
            &none
        ),
        StatementMatch::AllowDirect
    );
    assert!(policy.allows(&RequestContext {
        principal: &user("x"),
        action: "s3:PutObject",
        resource: OBJ,
        condition_keys: &none
    }));
}

#[test]
fn condition_keys_api() {
    let mut k = ConditionKeys::new();
    assert!(k.is_empty());
    k.insert("AWS:SourceIp", "192.0.2.1")
        .insert("aws:sourceip", "192.0.2.2");
    assert_eq!(
        k.get("aws:SOURCEIP"),
        Some(&["192.0.2.1".to_owned(), "192.0.2.2".to_owned()][..])
    );
    k.set("aws:SourceIp", vec!["x".to_owned()]);
    assert_eq!(k.get("aws:sourceip").map(<[String]>::len), Some(1));
    assert_eq!(k.iter().count(), 1);
    assert_eq!(k.remove("AWS:SOURCEIP"), Some(vec!["x".to_owned()]));
    assert!(k.get("aws:sourceip").is_none());
    let principal = user("alice");
    let ctx = RequestContext {
        principal: &principal,
        action: "s3:GetObject",
        resource: OBJ,
        condition_keys: &k,
    };
    assert_eq!(ctx.values("aws:username"), Some(vec!["alice".to_owned()]));
    assert_eq!(
        ctx.values("aws:PrincipalAccount"),
        Some(vec![ACCT.to_owned()])
    );
    assert_eq!(ctx.values("aws:nothing"), None);
    let explicit = keys(&[("aws:username", "override")]);
    let ctx = RequestContext {
        condition_keys: &explicit,
        ..ctx
    };
    assert_eq!(
        ctx.values("aws:username"),
        Some(vec!["override".to_owned()])
    );
}
