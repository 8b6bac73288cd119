//! Request and response shapes of the KMS operations, as the JSON 1.1 protocol carries them.
//!
//! Requests keep enum-valued members as strings so that a bad value gets AWS's
//! `ValidationException` wording ("Member must satisfy enum value set: [...]") from the core rather
//! than a deserialisation error. Blobs are base64 on the wire and bytes here.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::model::EncryptionContext;

/// Binary data, base64 in JSON. Zeroized on drop, because it may be a plaintext data key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Zeroizing<Vec<u8>>);

impl Blob {
    pub fn new(bytes: Vec<u8>) -> Self {
        Blob(Zeroizing::new(bytes))
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Blob {
    // Never print the bytes: a blob may be a plaintext data key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(self.0.as_slice()))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Zeroizing::new(String::deserialize(d)?);
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Blob::new)
            .map_err(|_| serde::de::Error::custom("Invalid base64 blob"))
    }
}

/// Seconds since the epoch, as JSON numbers (how the AWS JSON protocols send timestamps).
pub mod epoch {
    use serde::Serializer;
    use time::OffsetDateTime;

    pub fn seconds(t: OffsetDateTime) -> f64 {
        t.unix_timestamp() as f64 + f64::from(t.millisecond()) / 1000.0
    }

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(seconds(*t))
    }

    pub mod option {
        use serde::Serializer;
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_f64(super::seconds(*t)),
                None => s.serialize_none(),
            }
        }
    }
}

macro_rules! request {
    ($(#[$meta:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name { $(pub $field: Option<$ty>),* }
    };
}

request!(CreateKeyRequest {
    policy: String,
    description: String,
    key_usage: String,
    key_spec: String,
    customer_master_key_spec: String,
    origin: String,
    tags: Vec<serde_json::Value>,
    multi_region: bool,
    bypass_policy_lockout_safety_check: bool,
    custom_key_store_id: String,
});

request!(KeyIdRequest { key_id: String, grant_tokens: Vec<String> });

request!(EncryptRequest {
    key_id: String,
    plaintext: Blob,
    encryption_context: EncryptionContext,
    grant_tokens: Vec<String>,
    encryption_algorithm: String,
    dry_run: bool,
});

request!(DecryptRequest {
    ciphertext_blob: Blob,
    encryption_context: EncryptionContext,
    grant_tokens: Vec<String>,
    key_id: String,
    encryption_algorithm: String,
    dry_run: bool,
});

request!(GenerateDataKeyRequest {
    key_id: String,
    encryption_context: EncryptionContext,
    number_of_bytes: i64,
    key_spec: String,
    grant_tokens: Vec<String>,
    dry_run: bool,
});

request!(GenerateRandomRequest {
    number_of_bytes: i64,
    custom_key_store_id: String
});

request!(ReEncryptRequest {
    ciphertext_blob: Blob,
    source_encryption_context: EncryptionContext,
    source_key_id: String,
    destination_key_id: String,
    destination_encryption_context: EncryptionContext,
    source_encryption_algorithm: String,
    destination_encryption_algorithm: String,
    grant_tokens: Vec<String>,
    dry_run: bool,
});

request!(AliasRequest {
    alias_name: String,
    target_key_id: String
});

request!(ListRequest {
    key_id: String,
    limit: i64,
    marker: String
});

request!(ScheduleKeyDeletionRequest {
    key_id: String,
    pending_window_in_days: i64
});

request!(EnableKeyRotationRequest {
    key_id: String,
    rotation_period_in_days: i64
});

request!(KeyPolicyRequest {
    key_id: String,
    policy_name: String,
    policy: String,
    bypass_policy_lockout_safety_check: bool,
});

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    pub key_id: String,
    pub arn: String,
    #[serde(with = "epoch")]
    pub creation_date: time::OffsetDateTime,
    pub enabled: bool,
    pub description: String,
    pub key_usage: String,
    pub key_state: String,
    #[serde(with = "epoch::option", skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<time::OffsetDateTime>,
    pub origin: String,
    pub key_manager: String,
    pub customer_master_key_spec: String,
    pub key_spec: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encryption_algorithms: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signing_algorithms: Vec<String>,
    pub multi_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse {
    pub key_metadata: KeyMetadata,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    pub ciphertext_blob: Blob,
    pub key_id: String,
    pub encryption_algorithm: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    pub key_id: String,
    pub plaintext: Blob,
    pub encryption_algorithm: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    pub ciphertext_blob: Blob,
    /// `None` for GenerateDataKeyWithoutPlaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Blob>,
    pub key_id: String,
    pub key_material_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomResponse {
    pub plaintext: Blob,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    pub ciphertext_blob: Blob,
    pub source_key_id: String,
    pub key_id: String,
    pub source_encryption_algorithm: String,
    pub destination_encryption_algorithm: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    pub destination_key_material_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyListEntry {
    #[serde(rename = "KeyId")]
    pub key_id: String,
    #[serde(rename = "KeyArn")]
    pub key_arn: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    pub keys: Vec<KeyListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    pub alias_name: String,
    pub alias_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    #[serde(with = "epoch::option", skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<time::OffsetDateTime>,
    #[serde(with = "epoch::option", skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<time::OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    pub aliases: Vec<AliasListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    pub key_id: String,
    #[serde(with = "epoch")]
    pub deletion_date: time::OffsetDateTime,
    pub key_state: String,
    pub pending_window_in_days: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    pub key_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyRotationStatusResponse {
    pub key_rotation_enabled: bool,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    #[serde(with = "epoch::option", skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<time::OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEntry {
    pub key_id: String,
    pub key_material_id: String,
    pub key_material_state: String,
    #[serde(with = "epoch")]
    pub rotation_date: time::OffsetDateTime,
    pub rotation_type: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    pub rotations: Vec<RotationEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    pub policy: String,
    pub policy_name: String,
}

/// For operations that answer with an empty JSON object.
#[derive(Debug, Clone, Serialize)]
pub struct Empty {}
