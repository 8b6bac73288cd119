//! Bucket default encryption: the body of PutBucketEncryption and GetBucketEncryption.

use serde::{Deserialize, Serialize};

/// The PutBucketEncryption request body and the GetBucketEncryption response, root
/// `ServerSideEncryptionConfiguration`:
///
/// ```xml
/// <ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:...</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>
/// ```
///
/// `Rule` is flattened. S3 takes exactly one rule and answers `MalformedXML` to none and to two;
/// reading keeps every rule so the caller sees the count ([`rules`](Self::rules)`.len()`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ServerSideEncryptionConfiguration")]
pub struct ServerSideEncryptionConfiguration {
    /// The `Rule` elements (flattened), in document order.
    #[serde(rename = "Rule", default)]
    pub rules: Vec<ServerSideEncryptionRule>,
}

/// One `Rule`: `ApplyServerSideEncryptionByDefault`, `BucketKeyEnabled`,
/// `BlockedEncryptionTypes`, each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSideEncryptionRule {
    /// `ApplyServerSideEncryptionByDefault`.
    #[serde(
        rename = "ApplyServerSideEncryptionByDefault",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub apply_server_side_encryption_by_default: Option<ApplyServerSideEncryptionByDefault>,
    /// `BucketKeyEnabled`. GetBucketEncryption in S3 writes it even when false.
    #[serde(
        rename = "BucketKeyEnabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bucket_key_enabled: Option<bool>,
    /// `BlockedEncryptionTypes`: encryption types that writes to the bucket may not use.
    #[serde(
        rename = "BlockedEncryptionTypes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub blocked_encryption_types: Option<BlockedEncryptionTypes>,
}

/// `ApplyServerSideEncryptionByDefault`: `SSEAlgorithm` (required), `KMSMasterKeyID`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyServerSideEncryptionByDefault {
    /// `SSEAlgorithm`: `AES256`, `aws:kms` or `aws:kms:dsse`.
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
    /// `KMSMasterKeyID`: a key ID, key ARN or alias for the KMS algorithms.
    #[serde(
        rename = "KMSMasterKeyID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_master_key_id: Option<String>,
}

/// `BlockedEncryptionTypes`: zero or more `EncryptionType` (flattened), e.g. `SSE-C`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedEncryptionTypes {
    /// The `EncryptionType` elements.
    #[serde(rename = "EncryptionType", default)]
    pub encryption_type: Vec<String>,
}
