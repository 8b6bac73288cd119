//! Every secret a lab holds, read back from its data folder the way the services do inside — for
//! the secrets scan ([`crate::scan`], `s3lab scan-secrets`) and for steps that check that no key
//! reaches a transcript. Nothing here is ever shown to a learner.
//!
//! Everything here reads the data folder and nothing else: it needs no running server, works the
//! same on the folder of a lab that is still running, and never writes to the folder.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use md5::Digest as _;
use s3lab_s3::encryption::StoredEncryption;

use crate::error::ScenarioError;
use crate::lab::Lab;
use crate::KeyBytes;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where the KMS key that stands in for KMS's HSMs lives, relative to the data folder.
pub const HSM_KEY_FILE: &str = "kms/hsm-root.key";
/// Where the SSE-S3 root key versions live, relative to the data folder.
pub const SSE_S3_ROOT_KEYS_FILE: &str = "s3/sse-s3-root-keys.json";

/// What a key is, so that callers can pick the ones they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The key that wraps all KMS key material (`kms/hsm-root.key`).
    HsmKey,
    /// A version of S3's SSE-S3 root key (`s3/sse-s3-root-keys.json`).
    SseS3RootKey,
    /// The key material of a KMS key.
    KmsKeyMaterial,
    /// The plaintext data key of an SSE-KMS object or of the KMS layer of a DSSE-KMS one, or an
    /// S3 Bucket Key.
    KmsDataKey,
    /// An object's key derived from an S3 Bucket Key.
    BucketDerivedKey,
    /// The data key of an SSE-S3 object, or of the S3 layer of a DSSE-KMS one.
    RootWrappedDataKey,
    /// The data key of an SSE-C object, opened with a customer key the caller gave.
    CustomerWrappedDataKey,
}

/// A key the lab holds, and a phrase that says which one it is, for a finding.
pub struct NamedKey {
    /// For example "the data key of s3://lab/a.txt (SSE-KMS)".
    pub name: String,
    pub key: KeyBytes,
    pub kind: KeyKind,
    /// The one file (relative to the data folder) that keeps this key in the clear by design, as
    /// the lab's stand-ins for AWS's HSMs do; `None` for every key that may be nowhere in the
    /// clear.
    pub home: Option<PathBuf>,
    /// Whether it belongs to a multipart upload still in progress rather than to an object.
    pub in_upload: bool,
}

/// An object, or a multipart upload in progress, as its metadata file in the data folder says.
pub struct StoredObject {
    pub bucket: String,
    pub key: String,
    /// The metadata's `encryption` record.
    pub encryption: serde_json::Value,
    /// The files that hold its stored bytes (for an upload: its parts).
    pub blobs: Vec<PathBuf>,
    /// Whether this is a multipart upload in progress.
    pub in_upload: bool,
}

impl StoredObject {
    /// Stored unencrypted on purpose: the lab's pre-2023 switch.
    pub fn unencrypted(&self) -> bool {
        self.encryption.get("mode").and_then(|m| m.as_str()) == Some("none")
    }

    fn describe(&self) -> String {
        if self.in_upload {
            format!(
                "the multipart upload in progress of s3://{}/{}",
                self.bucket, self.key
            )
        } else {
            format!("s3://{}/{}", self.bucket, self.key)
        }
    }
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::lab(format!("reading {}: {e}", path.display()))
}

/// The entries of `dir`, sorted, without hidden ones (temporary files, the storage lock); none
/// when it does not exist.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, e)),
    };
    let mut out = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a JSON record; `None` when it vanished in the meantime (a running server deleted it).
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, ScenarioError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io_error(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, e)),
    }
}

/// Every object of the data folder, and with `uploads` every multipart upload in progress, by
/// bucket and file name.
pub fn stored_objects(data_dir: &Path, uploads: bool) -> Result<Vec<StoredObject>, ScenarioError> {
    let mut out = Vec::new();
    for bucket_dir in entries(&data_dir.join("s3").join("buckets"))? {
        if !bucket_dir.is_dir() {
            continue;
        }
        let objects = bucket_dir.join("objects");
        for path in entries(&objects)? {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let Some(stem) = name.strip_suffix(".meta.json") else {
                continue;
            };
            let Some(meta) = read_json::<s3lab_storage::ObjectMeta>(&path)? else {
                continue;
            };
            let blobs = meta
                .segments
                .iter()
                .filter(|s| !s.blob.is_empty())
                .map(|s| objects.join(format!("{stem}.{}.blob", s.blob)))
                .collect();
            out.push(StoredObject {
                bucket: meta.bucket,
                key: meta.key,
                encryption: meta.encryption,
                blobs,
                in_upload: false,
            });
        }
        if !uploads {
            continue;
        }
        for upload_dir in entries(&bucket_dir.join("uploads"))? {
            let Some(record) =
                read_json::<s3lab_storage::UploadRecord>(&upload_dir.join("upload.json"))?
            else {
                continue;
            };
            let blobs = entries(&upload_dir)?
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "blob"))
                .collect();
            out.push(StoredObject {
                bucket: record.bucket,
                key: record.key,
                encryption: record.meta_template.encryption,
                blobs,
                in_upload: true,
            });
        }
    }
    Ok(out)
}

/// The blob files of the objects (and uploads) stored unencrypted on purpose: the only files
/// where object plaintext belongs.
pub fn unencrypted_blobs(data_dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    Ok(stored_objects(data_dir, true)?
        .into_iter()
        .filter(StoredObject::unencrypted)
        .flat_map(|o| o.blobs)
        .collect())
}

/// Every key the data folder holds or wraps: the HSM key and the SSE-S3 root keys (each allowed in
/// its own file), KMS key material, and the data keys of every object and upload in progress
/// (KMS data keys, bucket keys and the keys derived from them, data keys under the SSE-S3 root
/// key, and the data keys of SSE-C objects whose customer key is among `customer_keys`).
pub fn service_keys(
    data_dir: &Path,
    customer_keys: &[&[u8]],
) -> Result<Vec<NamedKey>, ScenarioError> {
    let mut out = root_keys(data_dir)?;
    let kms = KmsState::load(data_dir)?;
    if let Some(kms) = &kms {
        out.extend(kms.materials()?);
    }
    let roots = SseS3Roots::load(data_dir)?;
    for object in stored_objects(data_dir, true)? {
        out.extend(object_keys(&object, kms.as_ref(), &roots, customer_keys)?);
    }
    Ok(out)
}

/// The HSM key of KMS and the SSE-S3 root key versions, each allowed in its own file only.
fn root_keys(data_dir: &Path) -> Result<Vec<NamedKey>, ScenarioError> {
    let mut out = Vec::new();
    let hsm = data_dir.join(HSM_KEY_FILE);
    match std::fs::read(&hsm) {
        Ok(bytes) => out.push(NamedKey {
            name: "the key that stands in for KMS's HSMs".into(),
            key: zeroize::Zeroizing::new(bytes),
            kind: KeyKind::HsmKey,
            home: Some(PathBuf::from(HSM_KEY_FILE)),
            in_upload: false,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&hsm, e)),
    }
    for (version, key) in SseS3Roots::load(data_dir)?.versions {
        out.push(NamedKey {
            name: format!("version {version} of the SSE-S3 root key"),
            key: zeroize::Zeroizing::new(key.to_vec()),
            kind: KeyKind::SseS3RootKey,
            home: Some(PathBuf::from(SSE_S3_ROOT_KEYS_FILE)),
            in_upload: false,
        });
    }
    Ok(out)
}

/// The SSE-S3 root key versions, read from their file (without the keyring, which would create
/// the file where there is none).
struct SseS3Roots {
    versions: Vec<(u32, zeroize::Zeroizing<[u8; 32]>)>,
}

impl SseS3Roots {
    fn load(data_dir: &Path) -> Result<SseS3Roots, ScenarioError> {
        let path = data_dir.join(SSE_S3_ROOT_KEYS_FILE);
        let Some(file) = read_json::<serde_json::Value>(&path)? else {
            return Ok(SseS3Roots {
                versions: Vec::new(),
            });
        };
        let bad = || {
            io_error(
                &path,
                "a root key version is not a number and a 32-byte key",
            )
        };
        let mut versions = Vec::new();
        let listed = file.get("versions").and_then(|v| v.as_array());
        for v in listed.into_iter().flatten() {
            let number = v.get("version").and_then(|n| n.as_u64()).ok_or_else(bad)?;
            let text = v.get("key").and_then(|k| k.as_str()).ok_or_else(bad)?;
            let raw = zeroize::Zeroizing::new(B64.decode(text).map_err(|_| bad())?);
            let key = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| bad())?;
            let number = u32::try_from(number).map_err(|_| bad())?;
            versions.push((number, zeroize::Zeroizing::new(key)));
        }
        Ok(SseS3Roots { versions })
    }

    /// The data key `wrapped` under one of the versions, for `bucket`/`key`. `None` when it does
    /// not open (a version that is not there), as S3 would fail to read the object.
    fn unwrap(
        &self,
        wrapped: &s3lab_s3::keys::WrappedByRoot,
        bucket: &str,
        key: &str,
    ) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        let (_, root) = self
            .versions
            .iter()
            .find(|(v, _)| *v == wrapped.root_key_version)?;
        let aad = s3lab_s3::encryption::root_aad(bucket, key);
        s3lab_s3::keys::open(root, &wrapped.wrapped_data_key, &aad).ok()
    }
}

/// KMS's state, read from the data folder.
struct KmsState {
    root: s3lab_kms::store::RootKey,
    state: s3lab_kms::store::StateFile,
}

fn kms_error(e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::lab(format!("reading the KMS state: {e}"))
}

impl KmsState {
    /// `None` for a lab that never used KMS: it has no KMS state yet, and so no KMS secret.
    fn load(data_dir: &Path) -> Result<Option<KmsState>, ScenarioError> {
        let dir = data_dir.join("kms");
        let Some(root) = s3lab_kms::store::load_root_key(&dir).map_err(kms_error)? else {
            return Ok(None);
        };
        let Some(state) = s3lab_kms::store::load_state(&dir).map_err(kms_error)? else {
            return Ok(None);
        };
        Ok(Some(KmsState { root, state }))
    }

    /// The key material of every KMS key, unwrapped with the key that stands in for KMS's HSMs,
    /// exactly as KMS does inside.
    fn materials(&self) -> Result<Vec<NamedKey>, ScenarioError> {
        let mut out = Vec::new();
        for key in &self.state.keys {
            for m in &key.materials {
                let material = self
                    .root
                    .unwrap(&key.id, &m.id, &m.wrapped)
                    .map_err(kms_error)?;
                out.push(NamedKey {
                    name: format!("the key material {} of KMS key {}", m.id, key.id),
                    key: material,
                    kind: KeyKind::KmsKeyMaterial,
                    home: None,
                    in_upload: false,
                });
            }
        }
        Ok(out)
    }

    /// The plaintext key in a KMS record's ciphertext blob, opened with the key material from the
    /// data folder (no KMS call, so no audit record); `None` when its material is not there.
    fn open(
        &self,
        record: &s3lab_s3::encryption::KmsRecord,
    ) -> Result<Option<KeyBytes>, ScenarioError> {
        let blob = B64.decode(&record.kms_ciphertext_blob).map_err(kms_error)?;
        let header = s3lab_kms::blob::parse_header(&blob).map_err(kms_error)?;
        let key_id = s3lab_kms::blob::uuid_bytes::format(&header.key_id);
        let material_id = hex::encode(header.material_id);
        let Some(m) = self
            .state
            .keys
            .iter()
            .filter(|k| k.id == key_id)
            .flat_map(|k| k.materials.iter())
            .find(|m| m.id == material_id)
        else {
            return Ok(None);
        };
        let material = self
            .root
            .unwrap(&key_id, &m.id, &m.wrapped)
            .map_err(kms_error)?;
        let Ok(material) = <[u8; 32]>::try_from(material.as_slice()) else {
            return Ok(None);
        };
        let material = zeroize::Zeroizing::new(material);
        s3lab_kms::blob::open(&blob, &material, &record.encryption_context)
            .map(Some)
            .map_err(kms_error)
    }
}

/// The plaintext keys behind one object's (or upload's) encryption record.
fn object_keys(
    object: &StoredObject,
    kms: Option<&KmsState>,
    roots: &SseS3Roots,
    customer_keys: &[&[u8]],
) -> Result<Vec<NamedKey>, ScenarioError> {
    let Ok(stored) = StoredEncryption::from_value(&object.encryption) else {
        return Ok(Vec::new());
    };
    let what = object.describe();
    let mode = stored.mode_name();
    let named = |name: String, key: KeyBytes, kind: KeyKind| NamedKey {
        name,
        key,
        kind,
        home: None,
        in_upload: object.in_upload,
    };
    let mut out = Vec::new();
    let root_wrapped = match &stored {
        StoredEncryption::SseS3 { data_key } => Some(data_key),
        StoredEncryption::DsseKms { s3_layer, .. } => Some(s3_layer),
        _ => None,
    };
    if let Some(wrapped) = root_wrapped {
        if let Some(k) = roots.unwrap(wrapped, &object.bucket, &object.key) {
            out.push(named(
                format!("the data key of {what} ({mode}, under the SSE-S3 root key)"),
                zeroize::Zeroizing::new(k.to_vec()),
                KeyKind::RootWrappedDataKey,
            ));
        }
    }
    if let (Some(record), Some(kms)) = (stored.kms(), kms) {
        if let Some(plain) = kms.open(record)? {
            match (&record.bucket_key, <[u8; 32]>::try_from(plain.as_slice())) {
                (Some(bk), Ok(bucket_key)) => {
                    let salt = B64.decode(&bk.object_key_salt).map_err(kms_error)?;
                    let derived = s3lab_s3::bucket_keys::derive_object_key(
                        &bucket_key,
                        &salt,
                        &object.bucket,
                        &object.key,
                    );
                    out.push(named(
                        format!("the key of {what} derived from its bucket key ({mode})"),
                        zeroize::Zeroizing::new(derived.to_vec()),
                        KeyKind::BucketDerivedKey,
                    ));
                    out.push(named(
                        format!(
                            "the S3 Bucket Key of bucket {} (used by {what})",
                            object.bucket
                        ),
                        plain,
                        KeyKind::KmsDataKey,
                    ));
                }
                _ => out.push(named(
                    format!("the data key of {what} ({mode}, from KMS)"),
                    plain,
                    KeyKind::KmsDataKey,
                )),
            }
        }
    }
    if let StoredEncryption::SseC {
        customer_key_md5,
        wrapped_data_key,
        ..
    } = &stored
    {
        for customer in customer_keys {
            let Ok(customer) = <[u8; 32]>::try_from(*customer) else {
                continue;
            };
            if B64.encode(md5::Md5::digest(customer)) != *customer_key_md5 {
                continue;
            }
            let aad = s3lab_s3::encryption::customer_aad(&object.bucket, &object.key);
            if let Ok(k) = s3lab_s3::keys::open(&customer, wrapped_data_key, &aad) {
                out.push(named(
                    format!("the data key of {what} (SSE-C)"),
                    zeroize::Zeroizing::new(k.to_vec()),
                    KeyKind::CustomerWrappedDataKey,
                ));
                break;
            }
        }
    }
    Ok(out)
}

/// The keys of `lab`'s objects (not uploads in progress) of the given kinds.
fn lab_keys(lab: &Lab, kinds: &[KeyKind]) -> Result<Vec<KeyBytes>, ScenarioError> {
    Ok(service_keys(lab.data_dir(), &[])?
        .into_iter()
        .filter(|k| kinds.contains(&k.kind) && !k.in_upload)
        .map(|k| k.key)
        .collect())
}

/// The plaintext data key of every SSE-S3 object, and of the S3 layer of every DSSE-KMS object,
/// unwrapped with S3's root key.
pub fn root_wrapped_data_keys(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    lab_keys(lab, &[KeyKind::RootWrappedDataKey])
}

/// Every key the lab's services hold that may be nowhere in the clear: KMS key material, the data
/// keys of KMS-encrypted objects (and bucket keys), and the data keys S3's root key wraps.
pub fn all_service_keys(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    lab_keys(
        lab,
        &[
            KeyKind::KmsKeyMaterial,
            KeyKind::KmsDataKey,
            KeyKind::BucketDerivedKey,
            KeyKind::RootWrappedDataKey,
        ],
    )
}

/// The key material of every KMS key, read from the lab's data folder and unwrapped with the
/// key that stands in for KMS's HSMs, exactly as KMS does inside. Never shown: scenarios pass it to
/// `Script::remember_secret` and check that no transcript event carries it.
pub fn kms_key_materials(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    lab_keys(lab, &[KeyKind::KmsKeyMaterial])
}

/// Every plaintext key behind the SSE-KMS and DSSE-KMS objects of the lab: the data keys (and S3
/// Bucket Keys) in their KMS blobs, opened with the key material from the data folder (no KMS
/// call, so no audit record), and the per-object keys derived from bucket keys.
pub fn kms_data_keys(lab: &Lab) -> Result<Vec<KeyBytes>, ScenarioError> {
    lab_keys(lab, &[KeyKind::KmsDataKey, KeyKind::BucketDerivedKey])
}
