//! Who is calling, and may they?
//!
//! Identities (access keys → principals) and the IAM JSON policy language — parsing, validation
//! and evaluation — shared by the mock S3 (bucket policies) and the mock KMS (key policies). Plain
//! Rust, no HTTP.
//!
//! # Identities
//!
//! [`IdentityTable::builtin`] holds three users, with fixed keys so that copy-paste lines in the
//! README work (they are lab keys: public, never valid on AWS):
//!
//! | name | access key id | secret access key | identity policy |
//! |---|---|---|---|
//! | `admin` | `AKIAS3LABADMIN000001` | `s3labAdminSecretKey/DoNotUseInProduction` | [`ADMIN_POLICY`]: `Action "*"`, `Resource "*"` |
//! | `reader` | `AKIAS3LABREADER00001` | `s3labReaderSecretKey/LabOnlyDoNotReuse01` | [`READER_POLICY`]: `s3:GetObject*`-style reads, `s3:ListBucket*`, `s3:GetBucket*`, `s3:GetEncryptionConfiguration`, `s3:ListAllMyBuckets`, `kms:DescribeKey`, `kms:List*` — **not** `kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey*` |
//! | `writer` | `AKIAS3LABWRITER00001` | `s3labWriterSecretKey/LabOnlyDoNotReuse01` | [`WRITER_POLICY`]: `s3:*`, and `kms:Encrypt`, `kms:Decrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:DescribeKey`, `kms:List*` |
//!
//! Their ARNs are `arn:aws:iam::ACCOUNT:user/NAME`. `reader` can list a bucket and GET a plain
//! object, but GET of an SSE-KMS object fails: S3 asks KMS to decrypt as `reader`, and neither the
//! key policy nor `reader`'s policy allows `kms:Decrypt` — the "second lock".
//!
//! ## Identities file
//!
//! [`IdentityTable::from_json`] reads a JSON list, one object per user:
//!
//! ```json
//! [
//!   {
//!     "name": "alice",
//!     "access_key_id": "AKIAALICE00000000001",
//!     "secret_access_key": "aliceSecretKeyForTheLabOnly/0123456789ab",
//!     "description": "reads one bucket",
//!     "policies": [
//!       {
//!         "Version": "2012-10-17",
//!         "Statement": [
//!           { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*" }
//!         ]
//!       }
//!     ]
//!   }
//! ]
//! ```
//!
//! - `name` (required): 1–64 characters, letters, digits and `+=,.@_-`; unique.
//! - `access_key_id` (required): 16–128 characters `A-Z0-9` (AWS's are 20, starting `AKIA`); unique.
//! - `secret_access_key` (required): 1–128 printable ASCII characters without spaces (AWS's are 40).
//! - `description` (optional, default empty), `policies` (optional, default none): identity-based
//!   policy documents, as JSON objects (no `Principal`).
//! - Any other field is an error. Errors ([`IdentityFileError`]) name the entry's position and
//!   name and the field at fault, and never show a secret.
//!
//! # Policies
//!
//! [`Policy::parse`] (or [`Policy::parse_with`] and [`ParseOptions`] for a size limit and
//! service-specific checks: [`ParseOptions::s3_bucket_policy`], [`ParseOptions::kms_key_policy`])
//! reads the grammar: `Version` (`2012-10-17` or `2008-10-17`, the default), `Id`, `Statement`
//! (an object or a list), and per statement `Sid`, `Effect`, `Principal`/`NotPrincipal`,
//! `Action`/`NotAction`, `Resource`/`NotResource`, `Condition`. Field names are case-sensitive.
//! [`PolicyKind::Identity`] forbids `Principal`; [`PolicyKind::Resource`] requires it.
//!
//! [`Policy::evaluate`] answers one [`RequestContext`] with a [`StatementMatch`]:
//!
//! - Actions match case-insensitively, with `*` and `?` wildcards; resources case-sensitively,
//!   ARN part by ARN part.
//! - A statement's conditions are ANDed; the keys under one operator are ANDed; the values of one
//!   key are ORed. Condition key names are case-insensitive.
//! - A missing key makes a positive operator false and a negated one (`StringNotEquals`,
//!   `ArnNotLike`, `NotIpAddress`...) true: that is how `"StringNotEquals":
//!   {"s3:x-amz-server-side-encryption": "AES256"}` denies uploads that lack the header.
//!   `...IfExists` makes a missing key true; `"Null": {"k": "true"}` means "k is absent";
//!   `ForAllValues:` is true for a missing key, `ForAnyValue:` false.
//! - Policy variables (`${aws:username}`, `${aws:PrincipalArn}`, any request key, `${key,
//!   'default'}`, and the escapes `${*}`, `${?}`, `${$}`) work in `Resource` and in the `String...`
//!   and `Arn...` operators' values of `2012-10-17` policies; a variable with no value makes its
//!   pattern match nothing.
//! - Operators: every `String...`, `Numeric...`, `Date...` and `Arn...` operator, `Bool`,
//!   `BinaryEquals`, `IpAddress`, `NotIpAddress`, `Null`; all but `Null` with `IfExists`, and
//!   `ForAnyValue:`/`ForAllValues:`. Condition *keys* are not checked against a catalogue.
//!
//! [`authorize_kms`] and [`authorize_s3`] combine a resource policy with the caller's identity
//! policies the way each service does, and [`access_denied_message`] words the denial as AWS does.
//!
//! # Messages, and how sure they are
//!
//! Confirmed against AWS output quoted in public issue reports:
//! - `User: ARN is not authorized to perform: kms:Decrypt on resource: KEY-ARN because no
//!   identity-based policy allows the kms:Decrypt action`, the `because no resource-based policy
//!   allows` and `with an explicit deny in a resource-based policy` forms; S3's forms with the
//!   resource in double quotes, including `with an explicit deny in an identity-based policy`.
//! - S3 `MalformedPolicy`: "Policies must be valid JSON and the first byte must be '{'",
//!   "Missing required field Principal", "Invalid principal in policy", "Policy has invalid
//!   action", "Policy has invalid resource", "Unknown field X".
//! - KMS `MalformedPolicyDocumentException`: "Policy contains a statement with one or more invalid
//!   principals.", and [`KMS_LOCKOUT_MESSAGE`].
//! - IAM: "Policy document should not specify a principal."
//! - [`default_kms_key_policy`], byte for byte as GetKeyPolicy returns it.
//!
//! Taken from S3-compatible servers that reproduce AWS (not seen from AWS directly): "This policy
//! contains invalid Json", "Missing required field Statement", "Could not parse the policy:
//! Statement is empty!", "Invalid effect: X", "The policy must contain a valid version string",
//! "Invalid Condition type : X", "Policy exceeds the maximum allowed document size.".
//!
//! Best guesses: "Missing required field Effect/Action/Resource", "Invalid policy syntax." (both
//! `Action` and `NotAction`, wrong JSON types, empty condition value lists), "Invalid value in
//! Conditions for operator X", KMS's wording for anything but principals and size.

mod authz;
mod error;
mod eval;
mod identity;
mod pattern;
mod policy;
mod scalar;

#[doc(hidden)]
pub mod fuzzing;

pub use authz::{
    access_denied_message, authorize_kms, authorize_s3, default_kms_key_policy,
    kms_policy_locks_out, AuthzDecision, DenyReason, KMS_LOCKOUT_MESSAGE,
};
pub use error::{PolicyError, PolicyErrorKind};
pub use eval::{ConditionKeys, RequestContext, RequestPrincipal, StatementMatch};
pub use identity::{
    Identity, IdentityFileError, IdentityTable, ADMIN_ACCESS_KEY_ID, ADMIN_POLICY,
    ADMIN_SECRET_ACCESS_KEY, READER_ACCESS_KEY_ID, READER_POLICY, READER_SECRET_ACCESS_KEY,
    WRITER_ACCESS_KEY_ID, WRITER_POLICY, WRITER_SECRET_ACCESS_KEY,
};
pub use policy::{
    ActionSpec, Condition, ConditionOperator, Effect, ParseOptions, Policy, PolicyKind,
    PolicyVersion, Principal, PrincipalSpec, ResourceSpec, SetQualifier, Statement,
    KMS_KEY_POLICY_MAX_BYTES, S3_BUCKET_POLICY_MAX_BYTES,
};

/// The lab's default account id.
pub const DEFAULT_ACCOUNT_ID: &str = "111122223333";

#[cfg(test)]
mod tests;
