//! What the scenarios show: the request as the server sees it holds no key, and without the
//! master key the object cannot be decrypted.

use base64::Engine as _;
use s3lab_env::Entropy;

use crate::client::{content_key, CseClient, CseConfig, EncryptedObject};
use crate::context::StringMap;
use crate::error::CseError;
use crate::keyring::{Keyring, RawAesKeyring};
use crate::suite::CommitmentPolicy;

/// Whether `secret` appears in `haystack` raw, as hex (either case) or as base64.
pub fn contains_secret(haystack: &[u8], secret: &[u8]) -> bool {
    if secret.is_empty() {
        return false;
    }
    let forms = [
        secret.to_vec(),
        hex_lower(secret).into_bytes(),
        hex_lower(secret).to_uppercase().into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(secret)
            .trim_end_matches('=')
            .as_bytes()
            .to_vec(),
    ];
    forms
        .iter()
        .any(|f| !f.is_empty() && haystack.windows(f.len()).any(|w| w == f.as_slice()))
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One way of trying to read an object without its master key, and how it was refused.
#[derive(Debug)]
pub struct KeylessAttempt {
    pub attempt: &'static str,
    /// The refusal. `None` would mean the attempt succeeded, which is a bug in the lab.
    pub refused: Option<CseError>,
}

/// Tries what someone holding everything the server stores, but not the master key, could try:
/// another master key, the wrapped data key used as if it were the data key, and a guessed data
/// key. Each one is refused; the errors say how.
pub async fn attempt_without_master_key(
    object: &EncryptedObject,
    entropy: &Entropy,
) -> Vec<KeylessAttempt> {
    let mut attempts = Vec::new();
    let config = CseConfig {
        policy: CommitmentPolicy::RequireEncryptAllowDecrypt,
        ..CseConfig::default()
    };
    let other = CseClient {
        keyring: Keyring::RawAes(RawAesKeyring::new(entropy.array())),
        config,
        entropy: entropy.clone(),
    };
    let result = other
        .decrypt(
            &object.metadata,
            object.instruction_file.as_deref(),
            &object.body,
            &StringMap::new(),
        )
        .await;
    attempts.push(KeylessAttempt {
        attempt: "decrypt with a different master key",
        refused: result.err(),
    });

    let mut edk_as_key = [0u8; 32];
    for (d, s) in edk_as_key
        .iter_mut()
        .zip(object.envelope.encrypted_data_key.iter())
    {
        *d = *s;
    }
    attempts.push(KeylessAttempt {
        attempt: "use the stored (wrapped) data key as if it were the data key",
        refused: try_data_key(object, &edk_as_key),
    });
    attempts.push(KeylessAttempt {
        attempt: "guess a data key",
        refused: try_data_key(object, &entropy.array()),
    });
    attempts
}

fn try_data_key(object: &EncryptedObject, data_key: &[u8; 32]) -> Option<CseError> {
    match content_key(&object.envelope, data_key) {
        Err(e) => Some(e),
        Ok(key) => key.decrypt_all(&object.body).err(),
    }
}
