//! Identities: the built-ins and the identities file.

use super::*;
use crate::{
    Identity, IdentityFileError, IdentityTable, PolicyErrorKind, ADMIN_ACCESS_KEY_ID,
    ADMIN_SECRET_ACCESS_KEY, READER_ACCESS_KEY_ID, READER_SECRET_ACCESS_KEY, WRITER_ACCESS_KEY_ID,
    WRITER_SECRET_ACCESS_KEY,
};

fn load(json: &str) -> Result<IdentityTable, IdentityFileError> {
    IdentityTable::from_json(json, ACCT)
}

fn load_err(json: &str) -> IdentityFileError {
    match load(json) {
        Ok(_) => panic!("should be refused: {json}"),
        Err(e) => e,
    }
}

#[test]
fn builtin_identities() {
    let t = IdentityTable::builtin(ACCT);
    assert_eq!(t.len(), 3);
    assert!(!t.is_empty());
    let names: Vec<&str> = t.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["admin", "reader", "writer"]);
    for (id, secret) in [
        (ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY),
        (READER_ACCESS_KEY_ID, READER_SECRET_ACCESS_KEY),
        (WRITER_ACCESS_KEY_ID, WRITER_SECRET_ACCESS_KEY),
    ] {
        assert_eq!(id.len(), 20, "{id}");
        assert!(id.starts_with("AKIA"), "{id}");
        assert_eq!(secret.len(), 40, "{id}");
        let identity = match t.lookup(id) {
            Some(i) => i,
            None => panic!("{id}"),
        };
        assert_eq!(
            identity.policies.len(),
            1,
            "{id}: builtin policy must parse"
        );
        assert_eq!(identity.account_id, ACCT);
        assert_eq!(
            identity.arn,
            format!("arn:aws:iam::111122223333:user/{}", identity.name)
        );
        assert_eq!(
            t.secret_for(id).as_deref().map(String::as_str),
            Some(secret)
        );
        assert!(identity.secret_matches(secret));
        assert!(!identity.secret_matches("wrong"));
        assert!(!identity.secret_matches(&secret[..39]));
    }
    assert_eq!(
        t.by_name("admin").map(|i| i.description.as_str()),
        Some("may do everything")
    );
    assert_eq!(
        t.by_name("reader").map(|i| i.description.as_str()),
        Some("may read S3 but may not use KMS keys — the 'second lock' lesson")
    );
    assert!(t.lookup("AKIANOTAKEY000000000").is_none());
    assert!(t.secret_for("AKIANOTAKEY000000000").is_none());
    assert!(t.by_name("nobody").is_none());
    // The account id is the one given.
    let other = IdentityTable::builtin(OTHER_ACCT);
    assert_eq!(
        other.by_name("admin").map(|i| i.arn.as_str()),
        Some("arn:aws:iam::444455556666:user/admin")
    );
}

fn allows(identity: &Identity, action: &str, resource: &str) -> bool {
    let principal = identity.principal();
    let none = ConditionKeys::new();
    identity.policies.iter().any(|p| {
        p.evaluate(&RequestContext {
            principal: &principal,
            action,
            resource,
            condition_keys: &none,
        }) == StatementMatch::AllowDirect
    })
}

#[test]
fn builtin_policies() {
    let t = IdentityTable::builtin(ACCT);
    let (admin, reader, writer) =
        match (t.by_name("admin"), t.by_name("reader"), t.by_name("writer")) {
            (Some(a), Some(r), Some(w)) => (a, r, w),
            _ => panic!("builtins missing"),
        };
    let obj = "arn:aws:s3:::b/k";
    let bucket = "arn:aws:s3:::b";
    for action in [
        "s3:PutObject",
        "kms:Decrypt",
        "kms:ScheduleKeyDeletion",
        "iam:CreateUser",
    ] {
        assert!(allows(admin, action, KEY_ARN), "admin {action}");
    }
    for (action, resource) in [
        ("s3:GetObject", obj),
        ("s3:GetObjectVersion", obj),
        ("s3:ListBucket", bucket),
        ("s3:GetBucketPolicy", bucket),
        ("s3:GetBucketLocation", bucket),
        ("s3:GetEncryptionConfiguration", bucket),
        ("s3:ListAllMyBuckets", "*"),
        ("kms:DescribeKey", KEY_ARN),
        ("kms:ListKeys", "*"),
        ("kms:ListAliases", "*"),
    ] {
        assert!(allows(reader, action, resource), "reader may {action}");
    }
    for (action, resource) in [
        ("s3:PutObject", obj),
        ("s3:DeleteObject", obj),
        ("s3:PutBucketPolicy", bucket),
        ("kms:Decrypt", KEY_ARN),
        ("kms:Encrypt", KEY_ARN),
        ("kms:GenerateDataKey", KEY_ARN),
        ("kms:GenerateDataKeyWithoutPlaintext", KEY_ARN),
        ("kms:ReEncryptFrom", KEY_ARN),
    ] {
        assert!(!allows(reader, action, resource), "reader may not {action}");
    }
    for action in [
        "s3:PutObject",
        "s3:DeleteObject",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    ] {
        assert!(allows(writer, action, obj), "writer {action}");
    }
    for action in [
        "kms:ScheduleKeyDeletion",
        "kms:PutKeyPolicy",
        "kms:CreateKey",
    ] {
        assert!(!allows(writer, action, KEY_ARN), "writer may not {action}");
    }
}

#[test]
fn debug_never_shows_the_secret() {
    let t = IdentityTable::builtin(ACCT);
    let shown = format!("{t:?}");
    assert!(!shown.contains(ADMIN_SECRET_ACCESS_KEY));
    assert!(!shown.contains(READER_SECRET_ACCESS_KEY));
    assert!(shown.contains("<redacted>"));
    assert!(shown.contains(ADMIN_ACCESS_KEY_ID));
}

const GOOD: &str = r#"[
  {
    "name": "alice",
    "access_key_id": "AKIAALICE00000000001",
    "secret_access_key": "aliceSecretKeyForTheLabOnly/0123456789ab",
    "description": "reads one bucket",
    "policies": [
      {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}]}
    ]
  },
  {
    "name": "bob.smith@example",
    "access_key_id": "AKIABOB0000000000001",
    "secret_access_key": "bob+secret/=="
  }
]"#;

#[test]
fn identities_file() {
    let t = match load(GOOD) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(t.len(), 2);
    let alice = match t.lookup("AKIAALICE00000000001") {
        Some(a) => a,
        None => panic!("alice"),
    };
    assert_eq!(alice.name, "alice");
    assert_eq!(alice.arn, "arn:aws:iam::111122223333:user/alice");
    assert_eq!(alice.description, "reads one bucket");
    assert_eq!(alice.policies.len(), 1);
    assert!(allows(alice, "s3:GetObject", "arn:aws:s3:::photos/cat.jpg"));
    assert!(!allows(alice, "s3:GetObject", "arn:aws:s3:::other/cat.jpg"));
    let bob = match t.by_name("bob.smith@example") {
        Some(b) => b,
        None => panic!("bob"),
    };
    assert_eq!(bob.description, "");
    assert!(bob.policies.is_empty());
    assert_eq!(
        t.secret_for("AKIABOB0000000000001")
            .as_deref()
            .map(String::as_str),
        Some("bob+secret/==")
    );
    assert!(load("[]").is_ok_and(|t| t.is_empty()));
}

#[test]
fn identities_file_on_top_of_builtins() {
    let mut t = IdentityTable::builtin(ACCT);
    let file = match load(GOOD) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    for identity in file.iter() {
        if let Err(e) = t.insert(identity.clone()) {
            panic!("{e}");
        }
    }
    assert_eq!(t.len(), 5);
    let admin_again = match IdentityTable::builtin(ACCT).by_name("admin") {
        Some(a) => a.clone(),
        None => panic!("admin"),
    };
    assert!(matches!(
        t.insert(admin_again),
        Err(IdentityFileError::DuplicateName { index: 5, .. })
    ));
}

#[test]
fn identities_file_errors() {
    assert!(matches!(
        load_err("not json"),
        IdentityFileError::NotJson(_)
    ));
    assert!(matches!(
        load_err("{}"),
        IdentityFileError::NotAList("an object")
    ));
    assert!(matches!(
        load_err("[3]"),
        IdentityFileError::EntryNotObject { index: 0 }
    ));
    assert!(matches!(
        IdentityTable::from_json("[]", "1234"),
        Err(IdentityFileError::InvalidAccountId(_))
    ));

    let entry = |fields: &str| format!("[{{{fields}}}]");
    let base_key = r#""access_key_id":"AKIAALICE00000000001""#;
    let base_secret = r#""secret_access_key":"s3cr3t-value""#;

    // Missing fields, named with the entry.
    let e = load_err(&entry(&format!(r#"{base_key},{base_secret}"#)));
    assert_eq!(
        e,
        IdentityFileError::MissingField {
            index: 0,
            name: None,
            field: "name"
        }
    );
    assert_eq!(
        e.to_string(),
        "identities file entry 0: missing required field \"name\""
    );
    let e = load_err(&entry(&format!(r#""name":"alice",{base_secret}"#)));
    assert_eq!(
        e.to_string(),
        "identities file entry 0 (\"alice\"): missing required field \"access_key_id\""
    );
    let e = load_err(&entry(&format!(r#""name":"alice",{base_key}"#)));
    assert!(matches!(
        e,
        IdentityFileError::MissingField {
            field: "secret_access_key",
            ..
        }
    ));

    // Wrong types and bad values.
    for (fields, field) in [
        (format!(r#""name":3,{base_key},{base_secret}"#), "name"),
        (
            format!(r#""name":"al ice",{base_key},{base_secret}"#),
            "name",
        ),
        (format!(r#""name":"",{base_key},{base_secret}"#), "name"),
        (
            format!(r#""name":"alice","access_key_id":"akia-lower-case-key",{base_secret}"#),
            "access_key_id",
        ),
        (
            format!(r#""name":"alice","access_key_id":"AKIASHORT",{base_secret}"#),
            "access_key_id",
        ),
        (
            format!(r#""name":"alice",{base_key},"secret_access_key":"has a space""#),
            "secret_access_key",
        ),
        (
            format!(r#""name":"alice",{base_key},"secret_access_key":"""#),
            "secret_access_key",
        ),
        (
            format!(r#""name":"alice",{base_key},{base_secret},"description":7"#),
            "description",
        ),
        (
            format!(r#""name":"alice",{base_key},{base_secret},"policies":{{}}"#),
            "policies",
        ),
        (
            format!(r#""name":"alice",{base_key},{base_secret},"policies":["text"]"#),
            "policies",
        ),
    ] {
        match load_err(&entry(&fields)) {
            IdentityFileError::InvalidField {
                field: f, index: 0, ..
            } => assert_eq!(f, field, "{fields}"),
            other => panic!("{fields}: {other:?}"),
        }
    }

    // The secret never appears in an error.
    let e = load_err(&entry(&format!(
        r#""name":"alice",{base_key},"secret_access_key":"super secret""#
    )));
    assert!(!e.to_string().contains("super secret"), "{e}");
    assert!(e.to_string().contains("\"secret_access_key\""), "{e}");

    // Unknown fields.
    let e = load_err(&entry(&format!(
        r#""name":"alice",{base_key},{base_secret},"secret_key":"x""#
    )));
    assert_eq!(
        e,
        IdentityFileError::UnknownField {
            index: 0,
            name: Some("alice".to_owned()),
            field: "secret_key".to_owned()
        }
    );

    // Duplicates.
    let two = |a: &str, b: &str| format!("[{{{a}}},{{{b}}}]");
    let e = load_err(&two(
        &format!(r#""name":"alice",{base_key},{base_secret}"#),
        &format!(r#""name":"alice","access_key_id":"AKIAOTHER00000000001",{base_secret}"#),
    ));
    assert_eq!(
        e,
        IdentityFileError::DuplicateName {
            index: 1,
            name: "alice".to_owned()
        }
    );
    let e = load_err(&two(
        &format!(r#""name":"alice",{base_key},{base_secret}"#),
        &format!(r#""name":"bob",{base_key},{base_secret}"#),
    ));
    assert!(matches!(
        e,
        IdentityFileError::DuplicateAccessKeyId { index: 1, .. }
    ));
    assert!(e.to_string().contains("entry 1 (\"bob\")"), "{e}");

    // A bad policy: the policy error, with the entry and the policy's position.
    let e = load_err(&entry(&format!(
        r#""name":"alice",{base_key},{base_secret},"policies":[{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*"}}}},{{"Statement":{{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}}}]"#
    )));
    match &e {
        IdentityFileError::Policy {
            index: 0,
            name,
            policy_index: 1,
            source,
        } => {
            assert_eq!(name, "alice");
            assert_eq!(source.kind(), PolicyErrorKind::PrincipalInIdentityPolicy);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().starts_with(
            "identities file entry 0 (\"alice\"): policies[1]: Statement: Principal is not allowed"
        ),
        "{e}"
    );
}
