//! Key policies: the glue between KMS operations and `s3lab-iam`.

use s3lab_iam::{
    access_denied_message, authorize_kms, authorize_s3, kms_policy_locks_out, ConditionKeys,
    ParseOptions, Policy, RequestContext, RequestPrincipal, KMS_LOCKOUT_MESSAGE,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::KmsError;
use crate::model::EncryptionContext;
use crate::service::{Caller, KmsConfig};

/// At most this many parsed key policies are kept; the cache starts afresh when it is full.
const POLICY_CACHE_LEN: usize = 256;

/// A key policy, parsed once per distinct text. Every KMS call checks its key's policy, and
/// parsing the JSON was the largest part of an in-process `Decrypt` (callgrind, s3lab-bench 4 KiB
/// SSE-KMS GETs: about 54k of 143k instructions a call). Parsing depends on the text alone, so a
/// policy changed by PutKeyPolicy is simply another entry.
fn parsed_key_policy(text: &str) -> Result<Arc<Policy>, KmsError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Policy>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(text).cloned()) {
        return Ok(hit);
    }
    let policy = Arc::new(parse_policy(text)?);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= POLICY_CACHE_LEN {
            c.clear();
        }
        c.insert(text.to_owned(), policy.clone());
    }
    Ok(policy)
}

fn principal(caller: &Caller) -> RequestPrincipal {
    RequestPrincipal::Aws {
        arn: caller.identity.arn.clone(),
        account_id: caller.identity.account_id.clone(),
    }
}

/// The condition keys KMS offers: the caller's account, the service that called on the caller's
/// behalf, and each encryption-context pair.
fn condition_keys(
    caller: &Caller,
    ctx: Option<&EncryptionContext>,
    config: &KmsConfig,
) -> ConditionKeys {
    let mut keys = ConditionKeys::new();
    keys.insert("kms:CallerAccount", caller.identity.account_id.clone());
    keys.insert("aws:SecureTransport", caller.secure_transport.to_string());
    if let Some(service) = caller.invoked_by.as_deref() {
        // "s3.amazonaws.com" → "s3.us-east-1.amazonaws.com", the form kms:ViaService compares.
        let name = service.split('.').next().unwrap_or(service);
        keys.insert(
            "kms:ViaService",
            format!("{name}.{}.amazonaws.com", config.region),
        );
    }
    if let Some(ctx) = ctx {
        keys.set("kms:EncryptionContextKeys", ctx.keys().cloned().collect());
        for (k, v) in ctx {
            keys.insert(&format!("kms:EncryptionContext:{k}"), v.clone());
        }
    }
    keys
}

pub(crate) fn parse_policy(text: &str) -> Result<Policy, KmsError> {
    Policy::parse_with(text, &ParseOptions::kms_key_policy())
        .map_err(|e| KmsError::MalformedPolicyDocument(e.kms_message()))
}

pub(crate) fn validate_policy(text: &str) -> Result<(), KmsError> {
    parse_policy(text).map(|_| ())
}

/// May `caller` perform `action` on the key whose policy is `policy_text`?
pub(crate) fn check_key_policy(
    policy_text: &str,
    caller: &Caller,
    action: &str,
    resource: &str,
    ctx: Option<&EncryptionContext>,
    config: &KmsConfig,
) -> Result<(), KmsError> {
    let policy = parsed_key_policy(policy_text).map_err(|e| {
        tracing::error!(error = %e, "a stored key policy no longer parses");
        KmsError::Internal("The key policy could not be read.".into())
    })?;
    let principal = principal(caller);
    let keys = condition_keys(caller, ctx, config);
    let req = RequestContext {
        principal: &principal,
        action,
        resource,
        condition_keys: &keys,
    };
    let decision = authorize_kms(&policy, Some(caller.identity), &req);
    if decision.is_allowed() {
        Ok(())
    } else {
        Err(KmsError::AccessDenied(access_denied_message(
            &caller.identity.arn,
            action,
            resource,
            &decision,
        )))
    }
}

/// Operations on no particular key (ListKeys, CreateKey, GenerateRandom): only the caller's
/// identity policies decide.
pub(crate) fn check_identity_only(
    caller: &Caller,
    action: &str,
    resource: &str,
) -> Result<(), KmsError> {
    let principal = principal(caller);
    let keys = ConditionKeys::new();
    let req = RequestContext {
        principal: &principal,
        action,
        resource,
        condition_keys: &keys,
    };
    let decision = authorize_s3(None, Some(caller.identity), &req);
    if decision.is_allowed() {
        Ok(())
    } else {
        Err(KmsError::AccessDenied(access_denied_message(
            &caller.identity.arn,
            action,
            resource,
            &decision,
        )))
    }
}

/// Refuses a policy that would stop its author from ever changing it again.
pub(crate) fn lockout_check(
    policy_text: &str,
    caller: &Caller,
    config: &KmsConfig,
) -> Result<(), KmsError> {
    let policy = parse_policy(policy_text)?;
    let principal = principal(caller);
    let keys = condition_keys(caller, None, config);
    let resource = format!("arn:aws:kms:{}:{}:key/*", config.region, config.account_id);
    let req = RequestContext {
        principal: &principal,
        action: "kms:PutKeyPolicy",
        resource: &resource,
        condition_keys: &keys,
    };
    if kms_policy_locks_out(&policy, &req) {
        Err(KmsError::MalformedPolicyDocument(
            KMS_LOCKOUT_MESSAGE.into(),
        ))
    } else {
        Ok(())
    }
}

/// The key policy of an AWS managed key such as `aws/s3`, as AWS writes it: any principal of the
/// account may use the key *through the service*, and the account may read its metadata. Nobody
/// may manage it.
pub(crate) fn aws_managed_key_policy(service: &str, config: &KmsConfig) -> String {
    let account = &config.account_id;
    let via = format!("{service}.{}.amazonaws.com", config.region);
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-{service}-2",
  "Statement" : [ {{
    "Sid" : "Allow access through {upper} for all principals in the account that are authorized to use {upper}",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}",
        "kms:ViaService" : "{via}"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  }} ]
}}"#,
        upper = service.to_uppercase()
    )
}

#[cfg(test)]
mod policy_cache_tests {
    use super::*;

    const ALLOW: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

    #[test]
    fn a_key_policy_is_parsed_once_per_text() {
        let a = parsed_key_policy(ALLOW).unwrap();
        let b = parsed_key_policy(ALLOW).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, parse_policy(ALLOW).unwrap());
        let other = ALLOW.replace("\"a\"", "\"b\"");
        let c = parsed_key_policy(&other).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(*c, parse_policy(&other).unwrap());
    }

    #[test]
    fn a_policy_that_does_not_parse_is_refused_every_time() {
        for _ in 0..2 {
            assert!(parsed_key_policy("{not json").is_err());
        }
    }
}
