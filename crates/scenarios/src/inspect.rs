//! Every secret a lab holds, read back from its data folder the way the services do inside — for
//! the tests that prove no secret leaks into a transcript, a log or the data folder, and for
//! steps that check the same. Nothing here is ever shown to a learner.

use crate::error::ScenarioError;
use crate::lab::Lab;
use crate::KeyBytes;

/// The plaintext data key of every SSE-S3 object, and of the S3 layer of every DSSE-KMS object,
/// unwrapped with S3's root key.
pub fn root_wrapped_data_keys(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    let s3 = lab.app().s3();
    let buckets = s3
        .list_buckets()
        .map_err(|e| ScenarioError::lab(format!("listing buckets: {e}")))?;
    let mut out = Vec::new();
    for bucket in buckets {
        for key in s3.inspect_keys(&bucket.name) {
            if let Some(k) = s3.inspect_root_wrapped_data_key(&bucket.name, &key) {
                out.push(zeroize::Zeroizing::new(k.to_vec()));
            }
        }
    }
    Ok(out)
}

/// Every key the lab's services hold: KMS key material, the data keys of KMS-encrypted objects
/// (and bucket keys), and the data keys S3's root key wraps.
pub fn all_service_keys(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    let mut keys = kms_key_materials(lab)?;
    keys.extend(kms_data_keys(lab)?);
    keys.extend(root_wrapped_data_keys(lab)?);
    Ok(keys)
}

/// The key material of every KMS key, read from the lab's data folder and unwrapped with the
/// key that stands in for KMS's HSMs, exactly as KMS does inside. Never shown: scenarios pass it to
/// `Script::remember_secret` and check that no transcript event carries it.
pub fn kms_key_materials(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    let dir = lab.data_dir().join("kms");
    let fail = |e: String| ScenarioError::lab(format!("reading the KMS state: {e}"));
    // A lab that never used KMS has no KMS state yet, and so no KMS secret.
    let Some(root) = s3lab_kms::store::load_root_key(&dir).map_err(|e| fail(e.to_string()))? else {
        return Ok(Vec::new());
    };
    let Some(state) = s3lab_kms::store::load_state(&dir).map_err(|e| fail(e.to_string()))? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for key in &state.keys {
        for m in &key.materials {
            let material = root.unwrap(&key.id, &m.id, &m.wrapped).map_err(fail)?;
            out.push(material);
        }
    }
    Ok(out)
}

/// Every plaintext key behind the SSE-KMS and DSSE-KMS objects of the lab: the data keys (and S3
/// Bucket Keys) in their KMS blobs, opened with the key material from the data folder (no KMS
/// call, so no audit record), and the per-object keys derived from bucket keys.
pub fn kms_data_keys(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    use base64::Engine as _;
    let dir = lab.data_dir().join("kms");
    let fail = |e: String| ScenarioError::lab(format!("reading the KMS state: {e}"));
    // A lab that never used KMS has no KMS state yet, and so no KMS secret.
    let Some(root) = s3lab_kms::store::load_root_key(&dir).map_err(|e| fail(e.to_string()))? else {
        return Ok(Vec::new());
    };
    let Some(state) = s3lab_kms::store::load_state(&dir).map_err(|e| fail(e.to_string()))? else {
        return Ok(Vec::new());
    };
    let s3 = lab.app().s3();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    let buckets = s3
        .list_buckets()
        .map_err(|e| ScenarioError::lab(format!("listing buckets: {e}")))?;
    for bucket in buckets {
        for key in s3.inspect_keys(&bucket.name) {
            let Ok(meta) = s3.inspect_object(&bucket.name, &key) else {
                continue;
            };
            let Ok(stored) = s3lab_s3::encryption::StoredEncryption::from_value(&meta.encryption)
            else {
                continue;
            };
            let Some(record) = stored.kms() else {
                continue;
            };
            let blob = b64
                .decode(&record.kms_ciphertext_blob)
                .map_err(|e| fail(e.to_string()))?;
            let header = s3lab_kms::blob::parse_header(&blob).map_err(|e| fail(e.to_string()))?;
            let key_id = s3lab_kms::blob::uuid_bytes::format(&header.key_id);
            let material_id = hex::encode(header.material_id);
            let Some(m) = state
                .keys
                .iter()
                .filter(|k| k.id == key_id)
                .flat_map(|k| k.materials.iter())
                .find(|m| m.id == material_id)
            else {
                continue;
            };
            let material = root.unwrap(&key_id, &m.id, &m.wrapped).map_err(fail)?;
            let Ok(material) = <[u8; 32]>::try_from(material.as_slice()) else {
                continue;
            };
            let material = zeroize::Zeroizing::new(material);
            let plain = s3lab_kms::blob::open(&blob, &material, &record.encryption_context)
                .map_err(|e| fail(e.to_string()))?;
            if let (Some(bk), Ok(bucket_key)) =
                (&record.bucket_key, <[u8; 32]>::try_from(plain.as_slice()))
            {
                let salt = b64
                    .decode(&bk.object_key_salt)
                    .map_err(|e| fail(e.to_string()))?;
                let derived = s3lab_s3::bucket_keys::derive_object_key(
                    &bucket_key,
                    &salt,
                    &bucket.name,
                    &key,
                );
                out.push(zeroize::Zeroizing::new(derived.to_vec()));
            }
            out.push(plain);
        }
    }
    Ok(out)
}
