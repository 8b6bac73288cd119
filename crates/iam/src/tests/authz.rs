//! Composition: the KMS model, the S3 model, AWS's denial messages, the default key policy.

use super::*;
use crate::{
    access_denied_message, authorize_kms, authorize_s3, default_kms_key_policy,
    kms_policy_locks_out, AuthzDecision, DenyReason, Identity, IdentityTable, ParseOptions,
    KMS_LOCKOUT_MESSAGE,
};

fn table() -> IdentityTable {
    IdentityTable::builtin(ACCT)
}

fn who<'a>(t: &'a IdentityTable, name: &str) -> &'a Identity {
    match t.by_name(name) {
        Some(i) => i,
        None => panic!("no identity {name}"),
    }
}

fn kms_policy(json: &str) -> Policy {
    match Policy::parse_with(json, &ParseOptions::kms_key_policy()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn kms(policy: &Policy, identity: &Identity, action: &str) -> AuthzDecision {
    let principal = identity.principal();
    let none = ConditionKeys::new();
    authorize_kms(
        policy,
        Some(identity),
        &RequestContext {
            principal: &principal,
            action,
            resource: KEY_ARN,
            condition_keys: &none,
        },
    )
}

#[test]
fn default_key_policy_text_is_byte_exact() {
    assert_eq!(
        default_kms_key_policy(ACCT),
        "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}"
    );
    let p = kms_policy(&default_kms_key_policy(ACCT));
    assert_eq!(p.id.as_deref(), Some("key-default-1"));
    assert_eq!(
        p.statements[0].sid.as_deref(),
        Some("Enable IAM User Permissions")
    );
    assert_eq!(p.as_text(), default_kms_key_policy(ACCT));
}

#[test]
fn default_key_policy_admin_allowed_reader_denied() {
    let t = table();
    let policy = kms_policy(&default_kms_key_policy(ACCT));
    for action in [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:PutKeyPolicy",
    ] {
        assert_eq!(
            kms(&policy, who(&t, "admin"), action),
            AuthzDecision::Allowed,
            "{action}"
        );
    }
    let decision = kms(&policy, who(&t, "reader"), "kms:Decrypt");
    assert_eq!(
        decision,
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoIdentityPolicy
        }
    );
    assert_eq!(
        access_denied_message(&who(&t, "reader").arn, "kms:Decrypt", KEY_ARN, &decision),
        "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:Decrypt action"
    );
    for action in [
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
    ] {
        assert!(
            !kms(&policy, who(&t, "reader"), action).is_allowed(),
            "{action}"
        );
    }
    for action in ["kms:DescribeKey", "kms:ListKeys", "kms:ListAliases"] {
        assert_eq!(
            kms(&policy, who(&t, "reader"), action),
            AuthzDecision::Allowed,
            "{action}"
        );
    }
    assert_eq!(
        kms(&policy, who(&t, "writer"), "kms:Decrypt"),
        AuthzDecision::Allowed
    );
    assert!(!kms(&policy, who(&t, "writer"), "kms:ScheduleKeyDeletion").is_allowed());
}

#[test]
fn key_policy_naming_a_user_directly() {
    let t = table();
    let policy = kms_policy(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
            {"Sid":"Reader may decrypt","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/reader"},"Action":"kms:Decrypt","Resource":"*"}
        ]}"#,
    );
    assert_eq!(
        kms(&policy, who(&t, "reader"), "kms:Decrypt"),
        AuthzDecision::Allowed,
        "the key policy alone is enough when it names the user"
    );
    assert!(!kms(&policy, who(&t, "reader"), "kms:Encrypt").is_allowed());
}

#[test]
fn key_policy_without_the_account_ignores_iam() {
    let t = table();
    let policy = kms_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/writer"},"Action":"kms:*","Resource":"*"}}"#,
    );
    assert_eq!(
        kms(&policy, who(&t, "writer"), "kms:Decrypt"),
        AuthzDecision::Allowed
    );
    let decision = kms(&policy, who(&t, "admin"), "kms:Decrypt");
    assert_eq!(
        decision,
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoResourcePolicy
        },
        "admin's Action * identity policy cannot open a key whose policy ignores the account"
    );
    assert_eq!(
        access_denied_message(&who(&t, "admin").arn, "kms:Decrypt", KEY_ARN, &decision),
        format!("User: arn:aws:iam::111122223333:user/admin is not authorized to perform: kms:Decrypt on resource: {KEY_ARN} because no resource-based policy allows the kms:Decrypt action")
    );
}

#[test]
fn key_policy_explicit_deny() {
    let t = table();
    let policy = kms_policy(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
            {"Sid":"NoDecryptOverHttp","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}
        ]}"#,
    );
    let principal = who(&t, "admin").principal();
    let http = ConditionKeys::new().with_bool("aws:SecureTransport", false);
    let ctx = RequestContext {
        principal: &principal,
        action: "kms:Decrypt",
        resource: KEY_ARN,
        condition_keys: &http,
    };
    let decision = authorize_kms(&policy, Some(who(&t, "admin")), &ctx);
    assert_eq!(
        decision,
        AuthzDecision::ExplicitDeny {
            in_resource_policy: true
        }
    );
    assert_eq!(
        access_denied_message(&who(&t, "admin").arn, "kms:Decrypt", KEY_ARN, &decision),
        format!("User: arn:aws:iam::111122223333:user/admin is not authorized to perform: kms:Decrypt on resource: {KEY_ARN} with an explicit deny in a resource-based policy")
    );
    let https = ConditionKeys::new().with_bool("aws:SecureTransport", true);
    let ctx = RequestContext {
        condition_keys: &https,
        ..ctx
    };
    assert_eq!(
        authorize_kms(&policy, Some(who(&t, "admin")), &ctx),
        AuthzDecision::Allowed
    );
}

#[test]
fn identity_explicit_deny_beats_key_policy_allow() {
    let json = r#"[{"name":"carol","access_key_id":"AKIACAROL00000000001","secret_access_key":"carolSecret","policies":[
        {"Statement":{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}
    ]}]"#;
    let t = match IdentityTable::from_json(json, ACCT) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let carol = who(&t, "carol");
    let policy = kms_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/carol"},"Action":"kms:*","Resource":"*"}}"#,
    );
    let decision = kms(&policy, carol, "kms:Decrypt");
    assert_eq!(
        decision,
        AuthzDecision::ExplicitDeny {
            in_resource_policy: false
        }
    );
    assert!(
        access_denied_message(&carol.arn, "kms:Decrypt", KEY_ARN, &decision)
            .ends_with(" with an explicit deny in an identity-based policy")
    );
    assert_eq!(kms(&policy, carol, "kms:Encrypt"), AuthzDecision::Allowed);
}

#[test]
fn kms_anonymous_and_no_identity() {
    let policy = kms_policy(&default_kms_key_policy(ACCT));
    let none = ConditionKeys::new();
    let ctx = RequestContext {
        principal: &RequestPrincipal::Anonymous,
        action: "kms:Decrypt",
        resource: KEY_ARN,
        condition_keys: &none,
    };
    assert_eq!(
        authorize_kms(&policy, None, &ctx),
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoResourcePolicy
        }
    );
    // A user whose key policy entry delegates, but with no identity loaded at all.
    let alice = user("alice");
    let ctx = RequestContext {
        principal: &alice,
        ..ctx
    };
    assert_eq!(
        authorize_kms(&policy, None, &ctx),
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoIdentityPolicy
        }
    );
}

#[test]
fn kms_lockout_check() {
    let t = table();
    let admin = who(&t, "admin").principal();
    let none = ConditionKeys::new();
    let ctx = RequestContext {
        principal: &admin,
        action: "kms:PutKeyPolicy",
        resource: KEY_ARN,
        condition_keys: &none,
    };
    assert!(!kms_policy_locks_out(
        &kms_policy(&default_kms_key_policy(ACCT)),
        &ctx
    ));
    let only_writer = kms_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/writer"},"Action":"kms:*","Resource":"*"}}"#,
    );
    assert!(kms_policy_locks_out(&only_writer, &ctx));
    assert_eq!(
        KMS_LOCKOUT_MESSAGE,
        "The new key policy will not allow you to update the key policy in the future."
    );
}

// ---- S3 ----

const BUCKET: &str = "arn:aws:s3:::bucket";
const OBJECT: &str = "arn:aws:s3:::bucket/key";

fn bucket_policy(json: &str) -> Policy {
    match Policy::parse_with(json, &ParseOptions::s3_bucket_policy()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn s3(
    policy: Option<&Policy>,
    identity: Option<&Identity>,
    action: &str,
    resource: &str,
    condition_keys: &ConditionKeys,
) -> AuthzDecision {
    let principal = identity
        .map(Identity::principal)
        .unwrap_or(RequestPrincipal::Anonymous);
    authorize_s3(
        policy,
        identity,
        &RequestContext {
            principal: &principal,
            action,
            resource,
            condition_keys,
        },
    )
}

const EXPLICIT_BUCKET_DENY: AuthzDecision = AuthzDecision::ExplicitDeny {
    in_resource_policy: true,
};

fn sse(value: &str) -> ConditionKeys {
    keys(&[("s3:x-amz-server-side-encryption", value)])
}

#[test]
fn s3_require_sse_s3_with_string_not_equals() {
    let t = table();
    let writer = Some(who(&t, "writer"));
    let policy = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnencryptedUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}"#,
    );
    let p = Some(&policy);
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &sse("AES256")),
        AuthzDecision::Allowed
    );
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &sse("aws:kms")),
        EXPLICIT_BUCKET_DENY
    );
    let decision = s3(p, writer, "s3:PutObject", OBJECT, &ConditionKeys::new());
    assert_eq!(decision, EXPLICIT_BUCKET_DENY, "no header: denied");
    assert_eq!(
        access_denied_message(&who(&t, "writer").arn, "s3:PutObject", OBJECT, &decision),
        "User: arn:aws:iam::111122223333:user/writer is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" with an explicit deny in a resource-based policy"
    );
    // Other actions are untouched.
    assert_eq!(
        s3(p, writer, "s3:GetObject", OBJECT, &ConditionKeys::new()),
        AuthzDecision::Allowed
    );
}

#[test]
fn s3_require_some_sse_with_null() {
    let t = table();
    let writer = Some(who(&t, "writer"));
    let policy = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}}"#,
    );
    let p = Some(&policy);
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &ConditionKeys::new()),
        EXPLICIT_BUCKET_DENY
    );
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &sse("AES256")),
        AuthzDecision::Allowed
    );
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &sse("aws:kms")),
        AuthzDecision::Allowed
    );
}

#[test]
fn s3_tls_only() {
    let t = table();
    let reader = Some(who(&t, "reader"));
    let policy = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#,
    );
    let p = Some(&policy);
    let http = ConditionKeys::new().with_bool("aws:SecureTransport", false);
    let https = ConditionKeys::new().with_bool("aws:SecureTransport", true);
    assert_eq!(
        s3(p, reader, "s3:GetObject", OBJECT, &http),
        EXPLICIT_BUCKET_DENY
    );
    assert_eq!(
        s3(p, reader, "s3:ListBucket", BUCKET, &http),
        EXPLICIT_BUCKET_DENY
    );
    assert_eq!(
        s3(p, reader, "s3:GetObject", OBJECT, &https),
        AuthzDecision::Allowed
    );
    assert_eq!(
        s3(p, reader, "s3:ListBucket", BUCKET, &https),
        AuthzDecision::Allowed
    );
}

#[test]
fn s3_require_a_specific_kms_key() {
    let t = table();
    let writer = Some(who(&t, "writer"));
    let policy = bucket_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"RequireKms","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*","Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption":"aws:kms"}}}}}},
            {{"Sid":"RequireThisKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*","Condition":{{"ArnNotEqualsIfExists":{{"s3:x-amz-server-side-encryption-aws-kms-key-id":"{KEY_ARN}"}}}}}}
        ]}}"#
    ));
    let p = Some(&policy);
    let with_key = |key: &str| {
        keys(&[
            ("s3:x-amz-server-side-encryption", "aws:kms"),
            ("s3:x-amz-server-side-encryption-aws-kms-key-id", key),
        ])
    };
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &with_key(KEY_ARN)),
        AuthzDecision::Allowed
    );
    assert_eq!(
        s3(
            p,
            writer,
            "s3:PutObject",
            OBJECT,
            &with_key(
                "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
            )
        ),
        EXPLICIT_BUCKET_DENY
    );
    // aws:kms without a key id (S3 would use aws/s3): the key is absent, so ...IfExists is true
    // and the Deny applies.
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &sse("aws:kms")),
        EXPLICIT_BUCKET_DENY
    );
    assert_eq!(
        s3(p, writer, "s3:PutObject", OBJECT, &sse("AES256")),
        EXPLICIT_BUCKET_DENY
    );
    // Which statement denied is reported.
    let principal = who(&t, "writer").principal();
    let k = with_key("arn:aws:kms:us-east-1:111122223333:key/other");
    assert_eq!(
        policy.evaluate(&RequestContext {
            principal: &principal,
            action: "s3:PutObject",
            resource: OBJECT,
            condition_keys: &k
        }),
        StatementMatch::ExplicitDeny {
            sid: Some("RequireThisKey".to_owned())
        }
    );
}

#[test]
fn s3_identity_policies_without_bucket_policy() {
    let t = table();
    let none = ConditionKeys::new();
    let reader = Some(who(&t, "reader"));
    assert_eq!(
        s3(None, reader, "s3:GetObject", OBJECT, &none),
        AuthzDecision::Allowed
    );
    assert_eq!(
        s3(None, reader, "s3:ListBucket", BUCKET, &none),
        AuthzDecision::Allowed
    );
    assert_eq!(
        s3(None, reader, "s3:GetBucketPolicy", BUCKET, &none),
        AuthzDecision::Allowed
    );
    let decision = s3(None, reader, "s3:PutObject", OBJECT, &none);
    assert_eq!(
        decision,
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoIdentityPolicy
        }
    );
    assert_eq!(
        access_denied_message(&who(&t, "reader").arn, "s3:PutObject", OBJECT, &decision),
        "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" because no identity-based policy allows the s3:PutObject action"
    );
}

#[test]
fn s3_anonymous_needs_a_public_bucket_policy() {
    let none = ConditionKeys::new();
    let decision = s3(None, None, "s3:GetObject", OBJECT, &none);
    assert_eq!(
        decision,
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoResourcePolicy
        }
    );
    assert_eq!(
        access_denied_message("", "s3:GetObject", OBJECT, &decision),
        "Access Denied"
    );
    let public = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
    );
    assert_eq!(
        s3(Some(&public), None, "s3:GetObject", OBJECT, &none),
        AuthzDecision::Allowed
    );
    assert!(!s3(Some(&public), None, "s3:PutObject", OBJECT, &none).is_allowed());
    // An account principal does not let anonymous callers in.
    let account = bucket_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
    );
    assert!(!s3(Some(&account), None, "s3:GetObject", OBJECT, &none).is_allowed());
}

#[test]
fn s3_bucket_policy_grants_and_delegates() {
    let t = table();
    let none = ConditionKeys::new();
    let reader = Some(who(&t, "reader"));
    // Naming the user grants by itself.
    let direct = bucket_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/reader"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
    );
    assert_eq!(
        s3(Some(&direct), reader, "s3:PutObject", OBJECT, &none),
        AuthzDecision::Allowed
    );
    // Naming the account only delegates to the identity policies.
    let account = bucket_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
    );
    assert_eq!(
        s3(Some(&account), reader, "s3:PutObject", OBJECT, &none),
        AuthzDecision::ImplicitDeny {
            reason: DenyReason::NoIdentityPolicy
        }
    );
    assert_eq!(
        s3(
            Some(&account),
            Some(who(&t, "writer")),
            "s3:PutObject",
            OBJECT,
            &none
        ),
        AuthzDecision::Allowed
    );
}

#[test]
fn s3_identity_deny_beats_bucket_allow() {
    let json = r#"[{"name":"dave","access_key_id":"AKIADAVE000000000001","secret_access_key":"daveSecret","policies":[
        {"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}
    ]}]"#;
    let t = match IdentityTable::from_json(json, ACCT) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let dave = who(&t, "dave");
    let policy = bucket_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/dave"},"Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}}"#,
    );
    let decision = s3(
        Some(&policy),
        Some(dave),
        "s3:DeleteObject",
        OBJECT,
        &ConditionKeys::new(),
    );
    assert_eq!(
        decision,
        AuthzDecision::ExplicitDeny {
            in_resource_policy: false
        }
    );
    assert_eq!(
        access_denied_message(&dave.arn, "s3:DeleteObject", OBJECT, &decision),
        "User: arn:aws:iam::111122223333:user/dave is not authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::bucket/key\" with an explicit deny in an identity-based policy"
    );
}

#[test]
fn denial_messages() {
    let arn = "arn:aws:iam::111122223333:user/x";
    let no_resource = AuthzDecision::ImplicitDeny {
        reason: DenyReason::NoResourcePolicy,
    };
    assert_eq!(
        access_denied_message(arn, "s3:GetObject", OBJECT, &no_resource),
        "User: arn:aws:iam::111122223333:user/x is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::bucket/key\" because no resource-based policy allows the s3:GetObject action"
    );
    assert_eq!(
        access_denied_message(arn, "kms:Decrypt", KEY_ARN, &no_resource),
        format!("User: arn:aws:iam::111122223333:user/x is not authorized to perform: kms:Decrypt on resource: {KEY_ARN} because no resource-based policy allows the kms:Decrypt action")
    );
    assert_eq!(
        access_denied_message(arn, "kms:Decrypt", KEY_ARN, &AuthzDecision::Allowed),
        "Access Denied"
    );
    assert_eq!(
        access_denied_message("anonymous", "s3:GetObject", OBJECT, &EXPLICIT_BUCKET_DENY),
        "Access Denied"
    );
}
