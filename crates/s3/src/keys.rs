//! The keys S3 holds itself: the versioned SSE-S3 root key, data-key wrapping, and the salted HMAC
//! that lets S3 recognise an SSE-C key without keeping it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use s3lab_env::Env;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::error::S3Error;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The file the SSE-S3 root keys live in. In Amazon S3 these never leave AWS's HSMs; the lab keeps
/// them in its data folder so that a learner can watch versions appear as the key rotates.
pub const ROOT_KEYS_FILE: &str = "sse-s3-root-keys.json";
pub const DEFAULT_ROOT_ROTATION_DAYS: i64 = 365;

#[derive(Serialize, Deserialize, Clone)]
struct RootKeyVersion {
    version: u32,
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
    /// base64 of the 32-byte key.
    key: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct RootKeyFile {
    rotation_period_days: i64,
    versions: Vec<RootKeyVersion>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// The SSE-S3 root key and its versions. New data keys are wrapped by the newest version; every
/// older version is kept to unwrap what it wrapped. Rotation happens on a schedule (checked lazily
/// against the injected clock) or on demand.
pub struct RootKeyring {
    path: Option<PathBuf>,
    env: Env,
    inner: Mutex<RootKeyFile>,
}

/// A data key wrapped under a root key version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedByRoot {
    pub root_key_version: u32,
    /// base64 of nonce ‖ AES-256-GCM(root key, data key) ‖ tag.
    pub wrapped_data_key: String,
}

impl RootKeyring {
    /// Opens the keyring in `dir` (or in memory), creating version 1 on first use.
    pub fn open(dir: Option<&Path>, env: Env) -> Result<Self, KeyringError> {
        let path = dir.map(|d| d.join(ROOT_KEYS_FILE));
        let existing = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => Some(serde_json::from_slice::<RootKeyFile>(&bytes).map_err(|e| {
                    KeyringError::Read {
                        path: p.clone(),
                        reason: e.to_string(),
                    }
                })?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(KeyringError::Read {
                        path: p.clone(),
                        reason: e.to_string(),
                    })
                }
            },
            None => None,
        };
        let file = match existing {
            Some(f) if !f.versions.is_empty() => f,
            _ => {
                let f = RootKeyFile {
                    rotation_period_days: DEFAULT_ROOT_ROTATION_DAYS,
                    versions: vec![new_version(&env, 1, env.now())],
                };
                if let Some(p) = &path {
                    save(p, &f)?;
                }
                f
            }
        };
        Ok(RootKeyring {
            path,
            env,
            inner: Mutex::new(file),
        })
    }

    /// The version new objects are wrapped with, after any scheduled rotation that fell due.
    pub fn current_version(&self) -> Result<u32, S3Error> {
        let mut file = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        self.rotate_if_due(&mut file)?;
        Ok(file.versions.last().map_or(0, |v| v.version))
    }

    /// Adds a new version now. Returns its number.
    pub fn rotate_now(&self) -> Result<u32, S3Error> {
        let mut file = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let next = file.versions.last().map_or(1, |v| v.version + 1);
        let mut updated = file.clone();
        updated
            .versions
            .push(new_version(&self.env, next, self.env.now()));
        self.persist(&updated)?;
        *file = updated;
        Ok(next)
    }

    pub fn set_rotation_period_days(&self, days: i64) -> Result<(), S3Error> {
        let mut file = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut updated = file.clone();
        updated.rotation_period_days = days.max(1);
        self.persist(&updated)?;
        *file = updated;
        Ok(())
    }

    fn rotate_if_due(&self, file: &mut RootKeyFile) -> Result<(), S3Error> {
        let now = self.env.now();
        let period = Duration::days(file.rotation_period_days.max(1));
        let mut updated = file.clone();
        // Bounded: a clock moved far ahead adds at most this many versions at once.
        for _ in 0..64 {
            let Some(last) = updated.versions.last() else {
                break;
            };
            let due = last.created + period;
            if due > now {
                break;
            }
            let next = last.version + 1;
            updated.versions.push(new_version(&self.env, next, due));
        }
        if updated.versions.len() != file.versions.len() {
            self.persist(&updated)?;
            *file = updated;
        }
        Ok(())
    }

    fn persist(&self, file: &RootKeyFile) -> Result<(), S3Error> {
        match &self.path {
            Some(p) => save(p, file).map_err(|e| S3Error::internal(&e.to_string())),
            None => Ok(()),
        }
    }

    fn key(&self, version: u32) -> Result<Zeroizing<[u8; 32]>, S3Error> {
        let file = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let v = file
            .versions
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                S3Error::internal(&format!("SSE-S3 root key version {version} is missing"))
            })?;
        let raw = Zeroizing::new(
            B64.decode(&v.key)
                .map_err(|_| S3Error::internal("SSE-S3 root key is not base64"))?,
        );
        let arr: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| S3Error::internal("SSE-S3 root key is not 32 bytes"))?;
        Ok(Zeroizing::new(arr))
    }

    /// Wraps a data key under the current version; `aad` binds it to its object.
    pub fn wrap(&self, data_key: &[u8; 32], aad: &[u8]) -> Result<WrappedByRoot, S3Error> {
        let version = self.current_version()?;
        let root = self.key(version)?;
        let wrapped = seal(&root, self.env.entropy.array(), data_key, aad)?;
        Ok(WrappedByRoot {
            root_key_version: version,
            wrapped_data_key: wrapped,
        })
    }

    pub fn unwrap(
        &self,
        wrapped: &WrappedByRoot,
        aad: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, S3Error> {
        let root = self.key(wrapped.root_key_version)?;
        open(&root, &wrapped.wrapped_data_key, aad)
    }

    pub fn rotation_period_days(&self) -> i64 {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rotation_period_days
    }

    /// Version numbers and creation dates, for displays. Never the keys.
    pub fn versions(&self) -> Vec<(u32, OffsetDateTime)> {
        let file = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        file.versions
            .iter()
            .map(|v| (v.version, v.created))
            .collect()
    }
}

fn new_version(env: &Env, version: u32, created: OffsetDateTime) -> RootKeyVersion {
    let key = Zeroizing::new(env.entropy.array::<32>());
    RootKeyVersion {
        version,
        created,
        key: B64.encode(key.as_ref()),
    }
}

fn save(path: &Path, file: &RootKeyFile) -> Result<(), KeyringError> {
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| KeyringError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    s3lab_durable::write_atomic(path, &bytes).map_err(|e| KeyringError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// AES-256-GCM key wrapping: base64 of nonce ‖ ciphertext ‖ tag.
pub fn seal(
    kek: &[u8; 32],
    nonce: [u8; 12],
    data_key: &[u8; 32],
    aad: &[u8],
) -> Result<String, S3Error> {
    let cipher = Aes256Gcm::new(kek.into());
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: data_key, aad })
        .map_err(|_| S3Error::internal("AES-GCM refused to wrap a data key"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(B64.encode(out))
}

/// Unwraps what [`seal`] wrapped. A wrong key or AAD is an internal error here: callers check the
/// key's identity (HMAC, KMS) before they unwrap.
pub fn open(kek: &[u8; 32], wrapped: &str, aad: &[u8]) -> Result<Zeroizing<[u8; 32]>, S3Error> {
    let raw = B64
        .decode(wrapped)
        .map_err(|_| S3Error::internal("wrapped data key is not base64"))?;
    if raw.len() != 12 + 32 + 16 {
        return Err(S3Error::internal("wrapped data key has the wrong length"));
    }
    let cipher = Aes256Gcm::new(kek.into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                Nonce::from_slice(&raw[..12]),
                Payload {
                    msg: &raw[12..],
                    aad,
                },
            )
            .map_err(|_| S3Error::internal("a stored data key does not unwrap"))?,
    );
    let arr: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| S3Error::internal("data key is not 32 bytes"))?;
    Ok(Zeroizing::new(arr))
}

/// What S3 keeps of an SSE-C key: a random salt and HMAC-SHA256(salt, key). It proves a later
/// request brings the same key, and cannot give the key back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerKeyHmac {
    pub salt: String,
    pub hmac: String,
}

impl CustomerKeyHmac {
    pub fn new(env: &Env, key: &[u8; 32]) -> Self {
        let salt: [u8; 16] = env.entropy.array();
        CustomerKeyHmac {
            salt: B64.encode(salt),
            hmac: B64.encode(hmac(&salt, key)),
        }
    }

    /// Constant-time check that `key` is the key this HMAC was made from.
    pub fn matches(&self, key: &[u8; 32]) -> bool {
        let (Ok(salt), Ok(expected)) = (B64.decode(&self.salt), B64.decode(&self.hmac)) else {
            return false;
        };
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&salt) else {
            return false;
        };
        mac.update(key);
        mac.verify_slice(&expected).is_ok()
    }
}

fn hmac(salt: &[u8], key: &[u8; 32]) -> Vec<u8> {
    match <Hmac<Sha256> as Mac>::new_from_slice(salt) {
        Ok(mut mac) => {
            mac.update(key);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this arm cannot run.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_key_rotates_and_old_versions_still_unwrap() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::seeded(1);
        let ring = RootKeyring::open(Some(dir.path()), env.clone()).unwrap();
        let dk = [5u8; 32];
        let w1 = ring.wrap(&dk, b"bucket/key").unwrap();
        assert_eq!(w1.root_key_version, 1);
        env.clock.advance(Duration::days(366)).unwrap();
        let w2 = ring.wrap(&dk, b"bucket/key").unwrap();
        assert_eq!(
            w2.root_key_version, 2,
            "a year later the root key has rotated"
        );
        assert_eq!(ring.rotate_now().unwrap(), 3);
        drop(ring);
        let ring = RootKeyring::open(Some(dir.path()), env).unwrap();
        assert_eq!(*ring.unwrap(&w1, b"bucket/key").unwrap(), dk);
        assert_eq!(*ring.unwrap(&w2, b"bucket/key").unwrap(), dk);
        assert!(
            ring.unwrap(&w1, b"bucket/other").is_err(),
            "bound to its object"
        );
        assert_eq!(ring.versions().len(), 3);
    }

    #[test]
    fn customer_key_hmac_recognises_only_its_key() {
        let env = Env::seeded(2);
        let h = CustomerKeyHmac::new(&env, &[1u8; 32]);
        assert!(h.matches(&[1u8; 32]));
        assert!(!h.matches(&[2u8; 32]));
        let again = CustomerKeyHmac::new(&env, &[1u8; 32]);
        assert_ne!(
            h.hmac, again.hmac,
            "salted: the same key gives different HMACs"
        );
        let json = serde_json::to_string(&h).unwrap();
        assert!(!json.contains(&B64.encode([1u8; 32])));
    }
}
