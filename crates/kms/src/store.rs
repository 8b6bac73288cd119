//! The KMS state on disk.
//!
//! ```text
//! <dir>/hsm-root.key   32 random bytes: stands in for KMS's hardware security modules. Key material
//!                      is only ever written wrapped (AES-256-GCM) under this key.
//! <dir>/state.json     keys, wrapped material, aliases, rotation schedules and policies; replaced
//!                      atomically on every change
//! <dir>/audit.jsonl    the audit trail, one CloudTrail-shaped record per line, append-only
//! ```
//! A file that cannot be read or parsed stops the start-up with its path and the reason, and is
//! never overwritten.

use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::model::{KeyManager, KeySpec, KeyState, KeyUsage, Origin, RotationType};

pub const STATE_FILE: &str = "state.json";
pub const AUDIT_FILE: &str = "audit.jsonl";
pub const ROOT_KEY_FILE: &str = "hsm-root.key";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateFile {
    pub format: u32,
    pub keys: Vec<KeyFile>,
    pub aliases: Vec<AliasFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyFile {
    pub id: String,
    pub description: String,
    pub key_usage: KeyUsage,
    pub key_spec: KeySpec,
    pub key_manager: KeyManager,
    pub origin: Origin,
    #[serde(with = "time::serde::rfc3339")]
    pub created: time::OffsetDateTime,
    pub state: KeyState,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deletion_date: Option<time::OffsetDateTime>,
    pub pending_window_days: Option<u32>,
    pub policy: String,
    pub rotation_enabled: bool,
    pub rotation_period_days: Option<u32>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_rotation: Option<time::OffsetDateTime>,
    pub on_demand_rotations: u32,
    /// For AWS managed keys: the service the key belongs to (`s3` for `alias/aws/s3`).
    pub aws_service: Option<String>,
    pub materials: Vec<MaterialFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaterialFile {
    /// 64 hex digits.
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: time::OffsetDateTime,
    /// `None` for the material the key was created with.
    pub rotation_type: Option<RotationType>,
    /// base64 of nonce ‖ AES-256-GCM(root key, material) ‖ tag.
    pub wrapped: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasFile {
    pub name: String,
    pub target_key_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

impl StateFile {
    pub fn empty() -> Self {
        StateFile {
            format: FORMAT,
            keys: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

/// The "HSM": the key that wraps all key material at rest.
pub struct RootKey(Zeroizing<[u8; 32]>);

impl RootKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        RootKey(Zeroizing::new(bytes))
    }

    fn aad(key_id: &str, material_id: &str) -> Vec<u8> {
        format!("s3lab-kms-material|{key_id}|{material_id}").into_bytes()
    }

    pub fn wrap(
        &self,
        nonce: [u8; 12],
        key_id: &str,
        material_id: &str,
        secret: &[u8],
    ) -> Result<String, String> {
        let cipher = Aes256Gcm::new(self.0.as_ref().into());
        let aad = Self::aad(key_id, material_id);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| "AES-GCM refused to wrap key material".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    pub fn unwrap(
        &self,
        key_id: &str,
        material_id: &str,
        wrapped: &str,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(wrapped)
            .map_err(|e| format!("material {material_id} of key {key_id}: bad base64: {e}"))?;
        if raw.len() < 12 + 16 {
            return Err(format!("material {material_id} of key {key_id}: too short"));
        }
        let cipher = Aes256Gcm::new(self.0.as_ref().into());
        let aad = Self::aad(key_id, material_id);
        cipher
            .decrypt(
                Nonce::from_slice(&raw[..12]),
                Payload {
                    msg: &raw[12..],
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| {
                format!(
                    "material {material_id} of key {key_id} does not unwrap under {ROOT_KEY_FILE}"
                )
            })
    }
}

pub fn load_root_key(dir: &Path) -> Result<Option<RootKey>, StoreError> {
    let path = dir.join(ROOT_KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let arr: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt {
                    path: path.clone(),
                    reason: format!("expected 32 bytes, found {}", bytes.len()),
                })?;
            Ok(Some(RootKey::new(arr)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StoreError::Read { path, source }),
    }
}

pub fn save_root_key(dir: &Path, key: &[u8; 32]) -> Result<(), StoreError> {
    let path = dir.join(ROOT_KEY_FILE);
    s3lab_durable::write_atomic(&path, key).map_err(|source| StoreError::Write { path, source })
}

pub fn load_state(dir: &Path) -> Result<Option<StateFile>, StoreError> {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Read { path, source }),
    };
    let state: StateFile = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if state.format != FORMAT {
        return Err(StoreError::Corrupt {
            path,
            reason: format!(
                "format {} is not one this version reads (expected {FORMAT})",
                state.format
            ),
        });
    }
    Ok(Some(state))
}

pub fn save_state(dir: &Path, state: &StateFile) -> Result<(), StoreError> {
    let path = dir.join(STATE_FILE);
    let text = serde_json::to_vec_pretty(state).map_err(|e| StoreError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    s3lab_durable::write_atomic(&path, &text).map_err(|source| StoreError::Write { path, source })
}
