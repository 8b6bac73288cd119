//! Keyrings: what wraps and unwraps the per-object data key (reference §3.6, §3.7).
//!
//! - [`RawAesKeyring`]: `AES/GCM` (V3 code `02`) with a 256-bit master key you hold.
//! - [`RawRsaKeyring`]: `RSA-OAEP-SHA1` (V3 code `22`) with an RSA key pair you hold.
//! - [`KmsKeyring`]: `kms+context` (V3 code `12`): KMS `GenerateDataKey` and `Decrypt`, with the
//!   encryption context bound by KMS. Any KMS that speaks the JSON 1.1 protocol ([`HttpKms`]).
//!
//! The legacy unwraps (`kms`, `AESWrap`, V1 `AES` and `RSA`, and Java's
//! `RSA/ECB/OAEPWithSHA-256AndMGF1Padding`) only run with the legacy opt-in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use s3lab_env::{Clock, Entropy};
use zeroize::Zeroizing;

use crate::context::{StringMap, RESERVED_CEK_ALG, RESERVED_KMS_CMK_ID};
use crate::crypto::{aes_ecb_pkcs7_decrypt, aes_key_unwrap, Key32};
use crate::error::{CseError, Result};
use crate::metadata::Envelope;
use crate::suite::{AlgorithmSuite, WrapAlgorithm};

/// A boxed future, for the object-safe [`KmsApi`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A fresh data key from KMS.
pub struct GeneratedDataKey {
    pub plaintext: Zeroizing<Vec<u8>>,
    pub ciphertext_blob: Vec<u8>,
    /// The key ARN KMS reports.
    pub key_id: String,
}

/// The two KMS operations the S3 Encryption Client uses.
pub trait KmsApi: Send + Sync {
    /// `GenerateDataKey(KeyId, KeySpec=AES_256, EncryptionContext)`.
    fn generate_data_key<'a>(
        &'a self,
        key_id: &'a str,
        context: &'a StringMap,
    ) -> BoxFuture<'a, Result<GeneratedDataKey>>;

    /// `Decrypt(KeyId?, CiphertextBlob, EncryptionContext)`.
    fn decrypt<'a>(
        &'a self,
        key_id: Option<&'a str>,
        blob: &'a [u8],
        context: &'a StringMap,
    ) -> BoxFuture<'a, Result<Zeroizing<Vec<u8>>>>;
}

/// A data key, fresh from a keyring: the plaintext to encrypt with, and what to store.
pub struct WrappedDataKey {
    pub plaintext: Key32,
    pub encrypted: Vec<u8>,
    pub wrap: WrapAlgorithm,
    /// What the envelope stores: the full KMS encryption context, or the material description.
    pub context: StringMap,
}

/// Which master key protects the data keys.
#[derive(Clone)]
pub enum Keyring {
    RawAes(RawAesKeyring),
    RawRsa(Box<RawRsaKeyring>),
    Kms(KmsKeyring),
}

impl Keyring {
    /// A short name for messages: `raw AES`, `raw RSA`, `KMS`.
    pub fn kind(&self) -> &'static str {
        match self {
            Keyring::RawAes(_) => "raw AES",
            Keyring::RawRsa(_) => "raw RSA",
            Keyring::Kms(_) => "KMS",
        }
    }

    /// Makes and wraps a data key for `suite`. `request` is the caller's encryption context
    /// (KMS only).
    pub async fn wrap(
        &self,
        suite: AlgorithmSuite,
        request: &StringMap,
        entropy: &Entropy,
    ) -> Result<WrappedDataKey> {
        request.check_ascii()?;
        match self {
            Keyring::RawAes(k) => {
                no_context(request, "AES")?;
                k.wrap(suite, entropy)
            }
            Keyring::RawRsa(k) => {
                no_context(request, "RSA")?;
                k.wrap(suite, entropy)
            }
            Keyring::Kms(k) => k.wrap(suite, request).await,
        }
    }

    /// Unwraps the data key of `env`, checking the request context against the stored one.
    pub async fn unwrap(
        &self,
        env: &Envelope,
        request: &StringMap,
        legacy_wrapping: bool,
    ) -> Result<Key32> {
        request.check_ascii()?;
        if env.wrap.is_legacy() && !legacy_wrapping {
            return Err(CseError::LegacyDisabled(format!(
                "the key wrapping {}",
                env.wrap.name()
            )));
        }
        let wrong = || CseError::WrongKeyring {
            wrap: env.wrap.name().to_owned(),
            keyring: self.kind(),
        };
        match self {
            Keyring::RawAes(k) => {
                if !matches!(
                    env.wrap,
                    WrapAlgorithm::AesGcm | WrapAlgorithm::AesWrap | WrapAlgorithm::AesEcbV1
                ) {
                    return Err(wrong());
                }
                no_context(request, "AES")?;
                k.unwrap(env)
            }
            Keyring::RawRsa(k) => {
                if !matches!(
                    env.wrap,
                    WrapAlgorithm::RsaOaepSha1
                        | WrapAlgorithm::RsaPkcs1V1
                        | WrapAlgorithm::RsaOaepSha256
                ) {
                    return Err(wrong());
                }
                no_context(request, "RSA")?;
                k.unwrap(env)
            }
            Keyring::Kms(k) => {
                if !env.wrap.is_kms() {
                    return Err(wrong());
                }
                k.unwrap(env, request).await
            }
        }
    }
}

fn no_context(request: &StringMap, kind: &'static str) -> Result<()> {
    if request.is_empty() {
        Ok(())
    } else {
        Err(CseError::ContextNeedsKms(kind))
    }
}

fn key32(bytes: &[u8], wrap: WrapAlgorithm) -> Result<Key32> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| CseError::UnwrapFailed {
        wrap: format!(
            "{} (the data key is {} bytes, not 32)",
            wrap.name(),
            bytes.len()
        ),
    })?;
    Ok(Zeroizing::new(arr))
}

fn fresh_key(entropy: &Entropy) -> Key32 {
    let mut k = Zeroizing::new([0u8; 32]);
    entropy.fill(k.as_mut());
    k
}

/// Random bytes that are not all zero (an all-zero IV is refused by every reader).
pub(crate) fn nonzero_random<const N: usize>(entropy: &Entropy) -> [u8; N] {
    loop {
        let v: [u8; N] = entropy.array();
        if v.iter().any(|&b| b != 0) {
            return v;
        }
    }
}

/// A 256-bit AES master key, held by the client (`AES/GCM`, V3 code `02`).
#[derive(Clone)]
pub struct RawAesKeyring {
    key: Key32,
    /// Stored as `x-amz-matdesc` / `x-amz-m`; identifies the key, and is not authenticated.
    pub material_description: StringMap,
}

impl RawAesKeyring {
    pub fn new(key: [u8; 32]) -> Self {
        RawAesKeyring {
            key: Zeroizing::new(key),
            material_description: StringMap::new(),
        }
    }

    /// From a key file: 32 raw bytes, or 64 hex digits, or the base64 of 32 bytes.
    pub fn from_key_file_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() == 32 {
            let mut k = [0u8; 32];
            k.copy_from_slice(bytes);
            return Ok(Self::new(k));
        }
        let text = std::str::from_utf8(bytes).map(str::trim).map_err(|_| {
            CseError::InvalidKey(format!(
                "an AES key file holds 32 bytes (or their hex or base64), not {} bytes",
                bytes.len()
            ))
        })?;
        let decoded = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .ok()
        } else {
            base64::engine::general_purpose::STANDARD.decode(text).ok()
        };
        let decoded = Zeroizing::new(decoded.unwrap_or_default());
        let k: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            CseError::InvalidKey(
                "an AES key file holds 32 bytes, 64 hex digits, or the base64 of 32 bytes".into(),
            )
        })?;
        Ok(Self::new(k))
    }

    pub fn with_material_description(mut self, matdesc: StringMap) -> Self {
        self.material_description = matdesc;
        self
    }

    fn wrap(&self, suite: AlgorithmSuite, entropy: &Entropy) -> Result<WrappedDataKey> {
        self.material_description.check_ascii()?;
        let data_key = fresh_key(entropy);
        let iv: [u8; 12] = nonzero_random(entropy);
        let cipher = Aes256Gcm::new(self.key.as_ref().into());
        let ct = cipher
            .encrypt(
                (&iv).into(),
                Payload {
                    msg: data_key.as_ref(),
                    aad: suite.cek_alg().as_bytes(),
                },
            )
            .map_err(|_| CseError::InvalidKey("AES-GCM refused to wrap the data key".into()))?;
        let mut encrypted = iv.to_vec();
        encrypted.extend_from_slice(&ct);
        Ok(WrappedDataKey {
            plaintext: data_key,
            encrypted,
            wrap: WrapAlgorithm::AesGcm,
            context: self.material_description.clone(),
        })
    }

    fn unwrap(&self, env: &Envelope) -> Result<Key32> {
        let failed = || CseError::UnwrapFailed {
            wrap: env.wrap.name().to_owned(),
        };
        let edk = &env.encrypted_data_key;
        match env.wrap {
            WrapAlgorithm::AesGcm => {
                if edk.len() < 12 + 16 {
                    return Err(failed());
                }
                let (iv, ct) = edk.split_at(12);
                let cipher = Aes256Gcm::new(self.key.as_ref().into());
                let pt = Zeroizing::new(
                    cipher
                        .decrypt(
                            iv.into(),
                            Payload {
                                msg: ct,
                                aad: env.suite.cek_alg().as_bytes(),
                            },
                        )
                        .map_err(|_| failed())?,
                );
                key32(&pt, env.wrap)
            }
            WrapAlgorithm::AesWrap => {
                let pt = aes_key_unwrap(&self.key, edk).ok_or_else(failed)?;
                key32(&pt, env.wrap)
            }
            WrapAlgorithm::AesEcbV1 => {
                let pt = aes_ecb_pkcs7_decrypt(&self.key, edk).ok_or_else(failed)?;
                key32(&pt, env.wrap)
            }
            _ => Err(failed()),
        }
    }
}

/// An RSA key pair held by the client (`RSA-OAEP-SHA1`, V3 code `22`). The public key alone
/// encrypts; decrypting needs the private key.
#[derive(Clone)]
pub struct RawRsaKeyring {
    public: RsaPublicKey,
    private: Option<RsaPrivateKey>,
    pub material_description: StringMap,
}

impl RawRsaKeyring {
    pub fn new(private: RsaPrivateKey) -> Self {
        RawRsaKeyring {
            public: private.to_public_key(),
            private: Some(private),
            material_description: StringMap::new(),
        }
    }

    /// A keyring that can only encrypt.
    pub fn public_only(public: RsaPublicKey) -> Self {
        RawRsaKeyring {
            public,
            private: None,
            material_description: StringMap::new(),
        }
    }

    /// From a PEM file: a private key (PKCS#8 or PKCS#1), or a public key (SPKI or PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self> {
        use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
        use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
        if let Ok(k) = RsaPrivateKey::from_pkcs8_pem(pem) {
            return Ok(Self::new(k));
        }
        if let Ok(k) = RsaPrivateKey::from_pkcs1_pem(pem) {
            return Ok(Self::new(k));
        }
        if let Ok(k) = RsaPublicKey::from_public_key_pem(pem) {
            return Ok(Self::public_only(k));
        }
        if let Ok(k) = RsaPublicKey::from_pkcs1_pem(pem) {
            return Ok(Self::public_only(k));
        }
        Err(CseError::InvalidKey(
            "the RSA key file is not a PEM private key (PKCS#8 or PKCS#1) or public key".into(),
        ))
    }

    pub fn with_material_description(mut self, matdesc: StringMap) -> Self {
        self.material_description = matdesc;
        self
    }

    fn wrap(&self, suite: AlgorithmSuite, entropy: &Entropy) -> Result<WrappedDataKey> {
        self.material_description.check_ascii()?;
        let data_key = fresh_key(entropy);
        let mut msg = Zeroizing::new(vec![32u8]);
        msg.extend_from_slice(data_key.as_ref());
        msg.extend_from_slice(suite.cek_alg().as_bytes());
        let mut rng = entropy.clone();
        let encrypted = self
            .public
            .encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), &msg)
            .map_err(|e| CseError::InvalidKey(format!("RSA-OAEP refused to wrap: {e}")))?;
        Ok(WrappedDataKey {
            plaintext: data_key,
            encrypted,
            wrap: WrapAlgorithm::RsaOaepSha1,
            context: self.material_description.clone(),
        })
    }

    fn unwrap(&self, env: &Envelope) -> Result<Key32> {
        let failed = || CseError::UnwrapFailed {
            wrap: env.wrap.name().to_owned(),
        };
        let private = self.private.as_ref().ok_or_else(|| {
            CseError::InvalidKey(
                "decrypting needs the RSA private key, and this is a public key".into(),
            )
        })?;
        let edk = &env.encrypted_data_key;
        match env.wrap {
            WrapAlgorithm::RsaOaepSha1 => {
                let pt = Zeroizing::new(
                    private
                        .decrypt(Oaep::new::<sha1::Sha1>(), edk)
                        .map_err(|_| failed())?,
                );
                let cek = env.suite.cek_alg().as_bytes();
                let Some((&len, rest)) = pt.split_first() else {
                    return Err(failed());
                };
                let len = len as usize;
                if ![16, 24, 32].contains(&len) || rest.len() != len + cek.len() {
                    return Err(failed());
                }
                if &rest[len..] != cek {
                    return Err(failed());
                }
                key32(&rest[..len], env.wrap)
            }
            WrapAlgorithm::RsaPkcs1V1 => {
                let pt = Zeroizing::new(
                    private
                        .decrypt(Pkcs1v15Encrypt, edk)
                        .map_err(|_| failed())?,
                );
                key32(&pt, env.wrap)
            }
            WrapAlgorithm::RsaOaepSha256 => {
                let pt = Zeroizing::new(
                    private
                        .decrypt(Oaep::new_with_mgf_hash::<sha2::Sha256, sha1::Sha1>(), edk)
                        .map_err(|_| failed())?,
                );
                key32(&pt, env.wrap)
            }
            _ => Err(failed()),
        }
    }
}

/// A KMS key (`kms+context`, V3 code `12`).
#[derive(Clone)]
pub struct KmsKeyring {
    pub kms: Arc<dyn KmsApi>,
    /// The key to encrypt under, and to name on `Decrypt`. `None` can only decrypt (KMS finds
    /// the key from the ciphertext blob, as it does for symmetric keys).
    pub key_id: Option<String>,
}

impl KmsKeyring {
    pub fn new(kms: Arc<dyn KmsApi>, key_id: Option<String>) -> Self {
        KmsKeyring { kms, key_id }
    }

    async fn wrap(&self, suite: AlgorithmSuite, request: &StringMap) -> Result<WrappedDataKey> {
        let key_id = self
            .key_id
            .as_deref()
            .ok_or_else(|| CseError::InvalidKey("encrypting with KMS needs a KMS key id".into()))?;
        if request.contains_key(RESERVED_CEK_ALG) {
            return Err(CseError::ReservedContextKey(RESERVED_CEK_ALG.into()));
        }
        let mut context = request.clone();
        context.insert(RESERVED_CEK_ALG, suite.cek_alg());
        let generated = self.kms.generate_data_key(key_id, &context).await?;
        Ok(WrappedDataKey {
            plaintext: key32(&generated.plaintext, WrapAlgorithm::KmsContext)?,
            encrypted: generated.ciphertext_blob,
            wrap: WrapAlgorithm::KmsContext,
            context,
        })
    }

    async fn unwrap(&self, env: &Envelope, request: &StringMap) -> Result<Key32> {
        match env.wrap {
            WrapAlgorithm::KmsContext => {
                if request.contains_key(RESERVED_CEK_ALG) {
                    return Err(CseError::ReservedContextKey(RESERVED_CEK_ALG.into()));
                }
                let mut stored = env.context.clone();
                let cek = stored.remove(RESERVED_CEK_ALG);
                stored.remove(RESERVED_KMS_CMK_ID);
                if stored != *request {
                    return Err(CseError::ContextMismatch(describe_mismatch(
                        &stored, request,
                    )));
                }
                // Go and Ruby's extra check: the bound algorithm is the one the content uses, so
                // swapping x-amz-cek-alg without KMS noticing is impossible.
                let content = env.suite.cek_alg();
                if cek.as_deref() != Some(content) {
                    return Err(CseError::ContextAlgorithmMismatch {
                        stored: cek.unwrap_or_default(),
                        content: content.to_owned(),
                    });
                }
            }
            WrapAlgorithm::KmsV1 => {
                if !request.is_empty() {
                    return Err(CseError::ContextMismatch(
                        ": the legacy kms wrapping takes no encryption context".into(),
                    ));
                }
            }
            _ => {
                return Err(CseError::WrongKeyring {
                    wrap: env.wrap.name().to_owned(),
                    keyring: "KMS",
                })
            }
        }
        let pt = self
            .kms
            .decrypt(
                self.key_id.as_deref(),
                &env.encrypted_data_key,
                &env.context,
            )
            .await?;
        key32(&pt, env.wrap)
    }
}

fn describe_mismatch(stored: &StringMap, request: &StringMap) -> String {
    let show = |m: &StringMap| {
        if m.is_empty() {
            "none".to_owned()
        } else {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    format!(" (stored: {}; given: {})", show(stored), show(request))
}

/// KMS over HTTP(S): the AWS JSON 1.1 protocol, SigV4-signed for service `kms`, through
/// `s3lab-client`. Works with the s3lab KMS (same endpoint as S3) or any other.
pub struct HttpKms {
    pub endpoint: s3lab_client::Endpoint,
    pub signing: s3lab_client::Signing,
    pub clock: Clock,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KmsAnswer {
    #[serde(default)]
    plaintext: Option<String>,
    #[serde(default)]
    ciphertext_blob: Option<String>,
    #[serde(default)]
    key_id: Option<String>,
}

impl HttpKms {
    pub fn new(endpoint: s3lab_client::Endpoint, signing: s3lab_client::Signing) -> Self {
        HttpKms {
            endpoint,
            signing,
            clock: Clock::System,
        }
    }

    async fn call(&self, operation: &'static str, body: serde_json::Value) -> Result<KmsAnswer> {
        let spec = s3lab_client::RequestSpec::new(http::Method::POST, "/")
            .service("kms")
            .header("x-amz-target", format!("TrentService.{operation}"))
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string());
        let resp =
            s3lab_client::send(&self.endpoint, &spec, &self.signing, self.clock.now()).await?;
        if resp.status != 200 {
            let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
            let code = v
                .get("__type")
                .and_then(|t| t.as_str())
                .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
                .unwrap_or_else(|| format!("HTTP {}", resp.status));
            let message = v
                .get("message")
                .or_else(|| v.get("Message"))
                .and_then(|m| m.as_str())
                .unwrap_or("")
                .to_owned();
            return Err(CseError::Kms {
                operation,
                code,
                message,
            });
        }
        serde_json::from_slice(&resp.body).map_err(|e| CseError::Kms {
            operation,
            code: "unreadable answer".into(),
            message: e.to_string(),
        })
    }
}

fn context_json(context: &StringMap) -> serde_json::Value {
    serde_json::Value::Object(
        context
            .iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect(),
    )
}

fn decode_field(operation: &'static str, field: Option<String>, name: &str) -> Result<Vec<u8>> {
    let text = field.ok_or_else(|| CseError::Kms {
        operation,
        code: "unreadable answer".into(),
        message: format!("no {name}"),
    })?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| CseError::Kms {
            operation,
            code: "unreadable answer".into(),
            message: format!("{name} is not base64"),
        })
}

impl KmsApi for HttpKms {
    fn generate_data_key<'a>(
        &'a self,
        key_id: &'a str,
        context: &'a StringMap,
    ) -> BoxFuture<'a, Result<GeneratedDataKey>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "KeyId": key_id,
                "KeySpec": "AES_256",
                "EncryptionContext": context_json(context),
            });
            let a = self.call("GenerateDataKey", body).await?;
            let plaintext =
                Zeroizing::new(decode_field("GenerateDataKey", a.plaintext, "Plaintext")?);
            let ciphertext_blob =
                decode_field("GenerateDataKey", a.ciphertext_blob, "CiphertextBlob")?;
            Ok(GeneratedDataKey {
                plaintext,
                ciphertext_blob,
                key_id: a.key_id.unwrap_or_default(),
            })
        })
    }

    fn decrypt<'a>(
        &'a self,
        key_id: Option<&'a str>,
        blob: &'a [u8],
        context: &'a StringMap,
    ) -> BoxFuture<'a, Result<Zeroizing<Vec<u8>>>> {
        Box::pin(async move {
            let mut body = serde_json::json!({
                "CiphertextBlob": base64::engine::general_purpose::STANDARD.encode(blob),
                "EncryptionContext": context_json(context),
            });
            if let (Some(id), Some(obj)) = (key_id, body.as_object_mut()) {
                obj.insert("KeyId".into(), serde_json::Value::String(id.to_owned()));
            }
            let a = self.call("Decrypt", body).await?;
            Ok(Zeroizing::new(decode_field(
                "Decrypt",
                a.plaintext,
                "Plaintext",
            )?))
        })
    }
}
