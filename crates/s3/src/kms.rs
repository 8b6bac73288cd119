//! How S3 reaches KMS: a small trait, so the S3 service can use the in-process KMS (the default)
//! or a KMS over HTTP. S3 always calls on behalf of the requester: the KMS sees the requester's
//! identity, `invokedBy: s3.amazonaws.com`, and the encryption context `aws:s3:arn`.

use std::collections::BTreeMap;

use s3lab_iam::Identity;
use s3lab_kms::api::{Blob, DecryptRequest, GenerateDataKeyRequest};
use s3lab_kms::{Caller, Kms, KmsError};
use zeroize::Zeroizing;

pub const S3_SERVICE_HOST: &str = "s3.amazonaws.com";

/// A data key from KMS: the plaintext (used, then dropped) and the ciphertext blob (stored).
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    pub ciphertext_blob: Vec<u8>,
    pub key_arn: String,
    pub key_material_id: String,
}

pub trait KeyService: Send + Sync {
    /// The ARN of the AWS managed key `aws/s3`, created on first use.
    fn default_key(&self, requester: &Identity) -> Result<String, KmsError>;
    fn generate_data_key(
        &self,
        requester: &Identity,
        key_id: &str,
        context: &BTreeMap<String, String>,
    ) -> Result<DataKey, KmsError>;
    /// Returns the data key and the ARN of the key that decrypted it.
    fn decrypt(
        &self,
        requester: &Identity,
        ciphertext_blob: &[u8],
        context: &BTreeMap<String, String>,
    ) -> Result<(Zeroizing<[u8; 32]>, String), KmsError>;
}

impl KeyService for Kms {
    fn default_key(&self, requester: &Identity) -> Result<String, KmsError> {
        self.aws_managed_key(&Caller::via_service(requester, S3_SERVICE_HOST), "s3")
    }

    fn generate_data_key(
        &self,
        requester: &Identity,
        key_id: &str,
        context: &BTreeMap<String, String>,
    ) -> Result<DataKey, KmsError> {
        let out = Kms::generate_data_key(
            self,
            &Caller::via_service(requester, S3_SERVICE_HOST),
            GenerateDataKeyRequest {
                key_id: Some(key_id.to_owned()),
                key_spec: Some("AES_256".into()),
                encryption_context: Some(context.clone()),
                ..Default::default()
            },
        )?;
        let plaintext = out
            .plaintext
            .ok_or_else(|| KmsError::Internal("GenerateDataKey returned no plaintext".into()))?;
        let arr: [u8; 32] = plaintext.as_slice().try_into().map_err(|_| {
            KmsError::Internal("GenerateDataKey returned a key that is not 32 bytes".into())
        })?;
        Ok(DataKey {
            plaintext: Zeroizing::new(arr),
            ciphertext_blob: out.ciphertext_blob.as_slice().to_vec(),
            key_arn: out.key_id,
            key_material_id: out.key_material_id,
        })
    }

    fn decrypt(
        &self,
        requester: &Identity,
        ciphertext_blob: &[u8],
        context: &BTreeMap<String, String>,
    ) -> Result<(Zeroizing<[u8; 32]>, String), KmsError> {
        let out = Kms::decrypt(
            self,
            &Caller::via_service(requester, S3_SERVICE_HOST),
            DecryptRequest {
                ciphertext_blob: Some(Blob::new(ciphertext_blob.to_vec())),
                encryption_context: Some(context.clone()),
                ..Default::default()
            },
        )?;
        let arr: [u8; 32] = out
            .plaintext
            .as_slice()
            .try_into()
            .map_err(|_| KmsError::Internal("the stored data key is not 32 bytes".into()))?;
        Ok((Zeroizing::new(arr), out.key_id))
    }
}
