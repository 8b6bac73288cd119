//! The entry point of the `iam_policy` fuzz target (`fuzz/`), and of the test that replays its
//! committed corpus. Not part of the crate's API.
//!
//! An input is a policy document, then optionally a line `%%` and a request, one field per line:
//!
//! ```text
//! {"Version": "2012-10-17", "Statement": [...]}
//! %%
//! arn:aws:iam::111122223333:user/alice
//! s3:PutObject
//! arn:aws:s3:::lab/a.txt
//! s3:x-amz-server-side-encryption=aws:kms
//! aws:SecureTransport=true
//! ```
//!
//! The principal line is `anonymous`, `service:HOST`, an ARN, or a user name (in account
//! [`ACCOUNT`]); then the action, the resource, and condition keys as `key=value`. The document is
//! parsed as every kind of policy and as an identities file. A policy that parses is evaluated
//! against the request alone and combined as S3 and KMS combine policies; it must also parse
//! again from its JSON form and answer the request the same way.

use crate::*;

/// The account of the request's principal, unless its ARN says otherwise.
pub const ACCOUNT: &str = "111122223333";

/// A request read from the input's second part.
pub struct Request {
    pub principal: RequestPrincipal,
    pub action: String,
    pub resource: String,
    pub keys: ConditionKeys,
}

fn parse_principal(line: &str) -> RequestPrincipal {
    if line == "anonymous" {
        return RequestPrincipal::Anonymous;
    }
    if let Some(host) = line.strip_prefix("service:") {
        return RequestPrincipal::Service(host.to_owned());
    }
    if line.starts_with("arn:") {
        let account_id = line.split(':').nth(4).unwrap_or_default().to_owned();
        return RequestPrincipal::Aws {
            arn: line.to_owned(),
            account_id,
        };
    }
    RequestPrincipal::user(ACCOUNT, line)
}

/// Splits an input into the policy text and the request (see the module docs).
pub fn parse_input(text: &str) -> (&str, Request) {
    let (policy, request) = match text.split_once("\n%%\n") {
        Some((policy, request)) => (policy, request),
        None => (text, ""),
    };
    let mut lines = request.lines();
    let principal = parse_principal(lines.next().unwrap_or("alice"));
    let action = lines.next().unwrap_or("s3:GetObject").to_owned();
    let resource = lines.next().unwrap_or("arn:aws:s3:::lab/a.txt").to_owned();
    let mut keys = ConditionKeys::new();
    for line in lines {
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        keys.insert(key, value);
    }
    (
        policy,
        Request {
            principal,
            action,
            resource,
            keys,
        },
    )
}

fn check_error(e: &PolicyError) {
    let _ = (e.kind(), e.message(), e.subject());
    assert!(!e.s3_message().is_empty());
    let _ = e.kms_message();
    let _ = e.kms_error_type();
}

/// Runs one input.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (policy_text, req) = parse_input(text);
    let ctx = RequestContext {
        principal: &req.principal,
        action: &req.action,
        resource: &req.resource,
        condition_keys: &req.keys,
    };
    static BUILTIN: std::sync::OnceLock<IdentityTable> = std::sync::OnceLock::new();
    let identity = BUILTIN
        .get_or_init(|| IdentityTable::builtin(ACCOUNT))
        .by_name("writer")
        .expect("the built-in writer");
    match IdentityTable::from_json(policy_text, ACCOUNT) {
        Ok(table) => {
            for id in table.iter() {
                let _ = authorize_s3(None, Some(id), &ctx);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    for options in [
        ParseOptions::new(PolicyKind::Identity),
        ParseOptions::new(PolicyKind::Resource),
        ParseOptions::s3_bucket_policy(),
        ParseOptions::kms_key_policy(),
    ] {
        let policy = match Policy::parse_with(policy_text, &options) {
            Ok(policy) => policy,
            Err(e) => {
                check_error(&e);
                continue;
            }
        };
        let answer = policy.evaluate(&ctx);
        let _ = policy.allows(&ctx);
        for decision in [
            authorize_s3(Some(&policy), Some(identity), &ctx),
            authorize_s3(Some(&policy), None, &ctx),
            authorize_kms(&policy, Some(identity), &ctx),
        ] {
            let arn = req.principal.arn().unwrap_or("");
            let _ = access_denied_message(arn, &req.action, &req.resource, &decision);
        }
        let _ = kms_policy_locks_out(&policy, &ctx);

        let json = policy.to_json().to_string();
        let again = match Policy::parse_with(&json, &ParseOptions::new(options.kind)) {
            Ok(again) => again,
            Err(e) => panic!("a policy's own JSON does not parse: {e:?}\n{json}"),
        };
        assert_eq!(again.statements, policy.statements, "{json}");
        assert_eq!(again.evaluate(&ctx), answer, "{json}");
    }
}
