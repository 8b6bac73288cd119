//! Identities: access keys, the users they belong to, and the users' policies.

use std::fmt;

use serde_json::Value;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::PolicyError;
use crate::eval::RequestPrincipal;
use crate::policy::{is_account_id, Policy, PolicyKind};

/// One IAM user of the lab, with its single access key.
#[derive(Clone)]
pub struct Identity {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    /// `arn:aws:iam::ACCOUNT:user/NAME`.
    pub arn: String,
    pub account_id: String,
    /// Identity-based policies.
    pub policies: Vec<Policy>,
    pub description: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("name", &self.name)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("arn", &self.arn)
            .field("account_id", &self.account_id)
            .field("policies", &self.policies.len())
            .field("description", &self.description)
            .finish()
    }
}

impl Identity {
    /// The principal requests signed with this identity's key are made by.
    pub fn principal(&self) -> RequestPrincipal {
        RequestPrincipal::Aws {
            arn: self.arn.clone(),
            account_id: self.account_id.clone(),
        }
    }

    /// Compares `candidate` with the secret access key in constant time (for equal lengths).
    pub fn secret_matches(&self, candidate: &str) -> bool {
        bool::from(
            self.secret_access_key
                .as_bytes()
                .ct_eq(candidate.as_bytes()),
        )
    }
}

/// A fault in an identities file. Every variant names the entry (its position, counting from 0,
/// and its name when known) and the field; none ever shows a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityFileError {
    #[error("identities file is not valid JSON: {0}")]
    NotJson(String),
    #[error("identities file must be a JSON list of identity objects, not {0}")]
    NotAList(&'static str),
    #[error("account id \"{0}\" must be 12 digits")]
    InvalidAccountId(String),
    #[error("identities file entry {index}: must be an object with name, access_key_id, secret_access_key, description and policies")]
    EntryNotObject { index: usize },
    #[error("identities file entry {index}{who}: missing required field \"{field}\"", who = named(.name))]
    MissingField {
        index: usize,
        name: Option<String>,
        field: &'static str,
    },
    #[error("identities file entry {index}{who}: unknown field \"{field}\" (expected name, access_key_id, secret_access_key, description, policies)", who = named(.name))]
    UnknownField {
        index: usize,
        name: Option<String>,
        field: String,
    },
    #[error("identities file entry {index}{who}: field \"{field}\" {problem}", who = named(.name))]
    InvalidField {
        index: usize,
        name: Option<String>,
        field: &'static str,
        problem: String,
    },
    #[error("identities file entry {index}{who}: the name is already used by another identity", who = named_str(.name))]
    DuplicateName { index: usize, name: String },
    #[error("identities file entry {index}{who}: access key id \"{access_key_id}\" is already used by another identity", who = named_str(.name))]
    DuplicateAccessKeyId {
        index: usize,
        name: String,
        access_key_id: String,
    },
    #[error("identities file entry {index}{who}: policies[{policy_index}]: {source}", who = named_str(.name))]
    Policy {
        index: usize,
        name: String,
        policy_index: usize,
        source: PolicyError,
    },
}

fn named(name: &Option<String>) -> String {
    name.as_deref().map(named_str).unwrap_or_default()
}

fn named_str(name: &str) -> String {
    format!(" (\"{name}\")")
}

/// The identities a lab knows, looked up by access key id or name.
#[derive(Debug, Clone, Default)]
pub struct IdentityTable {
    identities: Vec<Identity>,
}

/// The built-in `admin`'s access key id.
pub const ADMIN_ACCESS_KEY_ID: &str = "AKIAS3LABADMIN000001";
/// The built-in `admin`'s secret access key (a lab key: public, never use it against AWS).
pub const ADMIN_SECRET_ACCESS_KEY: &str = "s3labAdminSecretKey/DoNotUseInProduction";
/// The built-in `reader`'s access key id.
pub const READER_ACCESS_KEY_ID: &str = "AKIAS3LABREADER00001";
/// The built-in `reader`'s secret access key.
pub const READER_SECRET_ACCESS_KEY: &str = "s3labReaderSecretKey/LabOnlyDoNotReuse01";
/// The built-in `writer`'s access key id.
pub const WRITER_ACCESS_KEY_ID: &str = "AKIAS3LABWRITER00001";
/// The built-in `writer`'s secret access key.
pub const WRITER_SECRET_ACCESS_KEY: &str = "s3labWriterSecretKey/LabOnlyDoNotReuse01";

/// `admin`'s identity policy.
pub const ADMIN_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AdminEverything",
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}"#;

/// `reader`'s identity policy: read S3, look at KMS keys, never use them.
pub const READER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadS3",
      "Effect": "Allow",
      "Action": [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectAttributes",
        "s3:GetObjectTagging",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:GetBucket*",
        "s3:GetEncryptionConfiguration",
        "s3:ListAllMyBuckets"
      ],
      "Resource": "*"
    },
    {
      "Sid": "LookAtKmsKeys",
      "Effect": "Allow",
      "Action": ["kms:DescribeKey", "kms:List*"],
      "Resource": "*"
    }
  ]
}"#;

/// `writer`'s identity policy: everything in S3, and use (not manage) KMS keys.
pub const WRITER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllOfS3",
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": "*"
    },
    {
      "Sid": "UseKmsKeys",
      "Effect": "Allow",
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
        "kms:List*"
      ],
      "Resource": "*"
    }
  ]
}"#;

fn user_arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:user/{name}")
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn valid_access_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn valid_secret(secret: &str) -> bool {
    (1..=128).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_graphic())
}

impl IdentityTable {
    /// The built-in identities, in account `account_id` (the lab's default is `111122223333`):
    ///
    /// | name | access key id | secret access key | may |
    /// |---|---|---|---|
    /// | `admin` | `AKIAS3LABADMIN000001` | `s3labAdminSecretKey/DoNotUseInProduction` | everything |
    /// | `reader` | `AKIAS3LABREADER00001` | `s3labReaderSecretKey/LabOnlyDoNotReuse01` | read S3, describe and list KMS keys, not use them |
    /// | `writer` | `AKIAS3LABWRITER00001` | `s3labWriterSecretKey/LabOnlyDoNotReuse01` | all of S3, use KMS keys |
    pub fn builtin(account_id: &str) -> Self {
        let make =
            |name: &str, key: &str, secret: &str, policy: &str, description: &str| Identity {
                name: name.to_owned(),
                access_key_id: key.to_owned(),
                secret_access_key: Zeroizing::new(secret.to_owned()),
                arn: user_arn(account_id, name),
                account_id: account_id.to_owned(),
                // The texts are constants checked by the tests; were one ever broken, the identity
                // would simply have no permissions (failing closed).
                policies: Policy::parse(policy, PolicyKind::Identity)
                    .into_iter()
                    .collect(),
                description: description.to_owned(),
            };
        IdentityTable {
            identities: vec![
                make(
                    "admin",
                    ADMIN_ACCESS_KEY_ID,
                    ADMIN_SECRET_ACCESS_KEY,
                    ADMIN_POLICY,
                    "may do everything",
                ),
                make(
                    "reader",
                    READER_ACCESS_KEY_ID,
                    READER_SECRET_ACCESS_KEY,
                    READER_POLICY,
                    "may read S3 but may not use KMS keys — the 'second lock' lesson",
                ),
                make(
                    "writer",
                    WRITER_ACCESS_KEY_ID,
                    WRITER_SECRET_ACCESS_KEY,
                    WRITER_POLICY,
                    "may read and write S3 and use KMS keys, but not manage them",
                ),
            ],
        }
    }

    /// Reads an identities file (format in the crate docs). Only the file's identities are in the
    /// table; [`IdentityTable::insert`] adds more, for example on top of [`IdentityTable::builtin`].
    pub fn from_json(text: &str, account_id: &str) -> Result<Self, IdentityFileError> {
        if !is_account_id(account_id) {
            return Err(IdentityFileError::InvalidAccountId(account_id.to_owned()));
        }
        let json: Value =
            serde_json::from_str(text).map_err(|e| IdentityFileError::NotJson(e.to_string()))?;
        let Value::Array(entries) = json else {
            return Err(IdentityFileError::NotAList(match json {
                Value::Object(_) => "an object",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            }));
        };
        let mut table = IdentityTable::default();
        for (index, entry) in entries.iter().enumerate() {
            let identity = parse_entry(index, entry, account_id)?;
            table.insert_at(index, identity)?;
        }
        Ok(table)
    }

    /// Adds an identity; its name and access key id must be new.
    pub fn insert(&mut self, identity: Identity) -> Result<(), IdentityFileError> {
        self.insert_at(self.identities.len(), identity)
    }

    fn insert_at(&mut self, index: usize, identity: Identity) -> Result<(), IdentityFileError> {
        if self.by_name(&identity.name).is_some() {
            return Err(IdentityFileError::DuplicateName {
                index,
                name: identity.name,
            });
        }
        if self.lookup(&identity.access_key_id).is_some() {
            return Err(IdentityFileError::DuplicateAccessKeyId {
                index,
                name: identity.name,
                access_key_id: identity.access_key_id,
            });
        }
        self.identities.push(identity);
        Ok(())
    }

    pub fn lookup(&self, access_key_id: &str) -> Option<&Identity> {
        self.identities
            .iter()
            .find(|i| i.access_key_id == access_key_id)
    }

    pub fn by_name(&self, name: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Identity> {
        self.identities.iter()
    }

    pub fn len(&self) -> usize {
        self.identities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
    }

    /// A copy of the secret for `access_key_id`, wiped from memory when dropped.
    pub fn secret_for(&self, access_key_id: &str) -> Option<Zeroizing<String>> {
        self.lookup(access_key_id)
            .map(|i| i.secret_access_key.clone())
    }
}

const ENTRY_FIELDS: &[&str] = &[
    "name",
    "access_key_id",
    "secret_access_key",
    "description",
    "policies",
];

fn parse_entry(
    index: usize,
    entry: &Value,
    account_id: &str,
) -> Result<Identity, IdentityFileError> {
    let Value::Object(fields) = entry else {
        return Err(IdentityFileError::EntryNotObject { index });
    };
    // The name first, so every later error can say whose entry it is.
    let name_value = fields.get("name");
    let known_name = match name_value {
        Some(Value::String(n)) => Some(n.clone()),
        _ => None,
    };
    let invalid = |field: &'static str, problem: String| IdentityFileError::InvalidField {
        index,
        name: known_name.clone(),
        field,
        problem,
    };
    if let Some(field) = fields.keys().find(|k| !ENTRY_FIELDS.contains(&k.as_str())) {
        return Err(IdentityFileError::UnknownField {
            index,
            name: known_name.clone(),
            field: field.clone(),
        });
    }
    let string =
        |field: &'static str, required: bool| -> Result<Option<String>, IdentityFileError> {
            match fields.get(field) {
                None if required => Err(IdentityFileError::MissingField {
                    index,
                    name: known_name.clone(),
                    field,
                }),
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid(field, "must be a string".to_owned())),
            }
        };
    let name = string("name", true)?.unwrap_or_default();
    if !valid_name(&name) {
        return Err(invalid(
            "name",
            "must be 1-64 characters: letters, digits and + = , . @ _ -".to_owned(),
        ));
    }
    let access_key_id = string("access_key_id", true)?.unwrap_or_default();
    if !valid_access_key_id(&access_key_id) {
        return Err(invalid(
            "access_key_id",
            "must be 16-128 characters, capital letters A-Z and digits 0-9 (AWS keys are 20, starting AKIA)".to_owned(),
        ));
    }
    // Never echo the secret in an error.
    let secret = Zeroizing::new(string("secret_access_key", true)?.unwrap_or_default());
    if !valid_secret(&secret) {
        return Err(invalid(
            "secret_access_key",
            "must be 1-128 printable characters without spaces (AWS secrets are 40)".to_owned(),
        ));
    }
    let description = string("description", false)?.unwrap_or_default();
    let policies = match fields.get("policies") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(policy_index, item)| {
                let text = match item {
                    Value::Object(_) => item.to_string(),
                    _ => {
                        return Err(invalid(
                            "policies",
                            format!("[{policy_index}] must be a policy JSON object"),
                        ))
                    }
                };
                Policy::parse(&text, PolicyKind::Identity).map_err(|source| {
                    IdentityFileError::Policy {
                        index,
                        name: name.clone(),
                        policy_index,
                        source,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(invalid(
                "policies",
                "must be a list of policy JSON objects".to_owned(),
            ))
        }
    };
    Ok(Identity {
        arn: user_arn(account_id, &name),
        account_id: account_id.to_owned(),
        name,
        access_key_id,
        secret_access_key: secret,
        policies,
        description,
    })
}
