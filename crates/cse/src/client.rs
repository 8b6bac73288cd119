//! The encryptor: a keyring, a configuration and a source of randomness, and the content layer.
//!
//! Writing is [`CseClient::begin_encryption`] (a fresh data key, wrapped, and the envelope) and
//! a [`ContentEncryptor`] run over the plaintext in any number of pieces (one GCM stream across
//! every part of a multipart upload, the tag after the last byte).
//!
//! Reading is [`CseClient::open`] (policy checks, the data key unwrapped, the V3 commitment
//! checked in constant time *before* anything is decrypted) and then either
//! - [`ContentKey::authenticator`]: a first pass over the ciphertext that only checks the tag,
//!   whose success is the only way to a [`VerifiedDecryptor`] for the second pass, so no
//!   plaintext exists before the tag is verified; or
//! - [`ContentKey::delayed_decryptor`]: one pass that releases plaintext before the tag is
//!   checked, for callers that opt into delayed authentication (and for legacy CBC, which has
//!   no tag at all).

use s3lab_env::Entropy;
use zeroize::Zeroizing;

use crate::context::StringMap;
use crate::crypto::{
    derive_v3, verify_commitment, CbcDecryptStream, CtrAt, GcmStream, Key32, TAG_LEN, V3_AAD,
};
use crate::error::{CseError, Result};
use crate::keyring::{nonzero_random, Keyring, WrappedDataKey};
use crate::metadata::{instruction_file_body, Envelope, Location, MetadataMap};
use crate::suite::{AlgorithmSuite, CommitmentPolicy, Format};

/// How a client encrypts and what it agrees to decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CseConfig {
    /// The suite to write: V3 by default.
    pub suite: AlgorithmSuite,
    pub policy: CommitmentPolicy,
    /// Read V1 and V2-CBC content and serve ranged GETs: none of these is authenticated.
    pub legacy_unauthenticated_modes: bool,
    /// Unwrap data keys wrapped with `kms`, `AESWrap`, V1 `AES`/`RSA`.
    pub legacy_wrapping_algorithms: bool,
    /// Release plaintext before the tag is verified.
    pub delayed_authentication: bool,
}

impl Default for CseConfig {
    /// V3 with `REQUIRE_ENCRYPT_REQUIRE_DECRYPT`, as the official clients.
    fn default() -> Self {
        CseConfig {
            suite: AlgorithmSuite::AesGcmHkdfCommitV3,
            policy: CommitmentPolicy::RequireEncryptRequireDecrypt,
            legacy_unauthenticated_modes: false,
            legacy_wrapping_algorithms: false,
            delayed_authentication: false,
        }
    }
}

impl CseConfig {
    /// Writes V2 (`FORBID_ENCRYPT_ALLOW_DECRYPT`, the only policy that allows it).
    pub fn v2() -> Self {
        CseConfig {
            suite: AlgorithmSuite::AesGcmV2,
            policy: CommitmentPolicy::ForbidEncryptAllowDecrypt,
            ..CseConfig::default()
        }
    }
}

/// A client-side encryptor.
#[derive(Clone)]
pub struct CseClient {
    pub keyring: Keyring,
    pub config: CseConfig,
    pub entropy: Entropy,
}

/// One object, encrypted, as it goes to S3: everything the server receives. No key is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedObject {
    pub envelope: Envelope,
    /// `ciphertext ‖ tag`.
    pub body: Vec<u8>,
    /// User metadata (names without `x-amz-meta-`).
    pub metadata: MetadataMap,
    /// The instruction file's body, when the envelope goes there.
    pub instruction_file: Option<Vec<u8>>,
}

impl EncryptedObject {
    /// The request headers the metadata becomes.
    pub fn headers(&self) -> Vec<(String, String)> {
        self.metadata
            .iter()
            .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone()))
            .collect()
    }

    /// Whether `secret` appears anywhere the server sees: body, metadata, instruction file
    /// (raw, or as hex or base64 text).
    pub fn reveals(&self, secret: &[u8]) -> bool {
        crate::lessons::contains_secret(&self.body, secret)
            || self.metadata.iter().any(|(k, v)| {
                crate::lessons::contains_secret(format!("{k}:{v}").as_bytes(), secret)
            })
            || self
                .instruction_file
                .as_deref()
                .is_some_and(|f| crate::lessons::contains_secret(f, secret))
    }
}

impl CseClient {
    /// Checks that the policy allows the suite to write, as the official clients do at start.
    pub fn new(keyring: Keyring, config: CseConfig, entropy: Entropy) -> Result<Self> {
        config.policy.check_encrypt(config.suite)?;
        Ok(CseClient {
            keyring,
            config,
            entropy,
        })
    }

    /// A fresh data key wrapped by the keyring, a fresh IV or message id, and the content
    /// encryptor. `context` is the caller's encryption context (KMS only).
    pub async fn begin_encryption(
        &self,
        context: &StringMap,
        location: Location,
    ) -> Result<(Envelope, ContentEncryptor)> {
        let suite = self.config.suite;
        self.config.policy.check_encrypt(suite)?;
        let wrapped = self.keyring.wrap(suite, context, &self.entropy).await?;
        let nonce = match suite {
            AlgorithmSuite::AesGcmV2 => nonzero_random::<12>(&self.entropy).to_vec(),
            _ => nonzero_random::<28>(&self.entropy).to_vec(),
        };
        encryption_with(suite, wrapped, nonce, location)
    }

    /// Encrypts a whole plaintext held in memory.
    pub async fn encrypt(
        &self,
        plaintext: &[u8],
        context: &StringMap,
        location: Location,
    ) -> Result<EncryptedObject> {
        let (envelope, mut enc) = self.begin_encryption(context, location).await?;
        let mut body = plaintext.to_vec();
        enc.update(&mut body)?;
        body.extend_from_slice(&enc.finish());
        Ok(seal(envelope, body))
    }

    /// Checks the envelope against the configuration, unwraps the data key, and (V3) checks the
    /// key commitment in constant time. Nothing is decrypted yet.
    pub async fn open(&self, envelope: &Envelope, context: &StringMap) -> Result<ContentKey> {
        if envelope.suite.is_legacy() && !self.config.legacy_unauthenticated_modes {
            return Err(CseError::LegacyDisabled(format!(
                "{} content ({:?}, {})",
                envelope.suite.cek_alg(),
                envelope.format,
                envelope.suite.name()
            )));
        }
        self.config.policy.check_decrypt(envelope.suite)?;
        let data_key = self
            .keyring
            .unwrap(envelope, context, self.config.legacy_wrapping_algorithms)
            .await?;
        content_key(envelope, &data_key)
    }

    /// Reads and decrypts a whole object held in memory. `instruction_file` is the instruction
    /// file's body, if the object has one.
    pub async fn decrypt(
        &self,
        metadata: &MetadataMap,
        instruction_file: Option<&[u8]>,
        body: &[u8],
        context: &StringMap,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let file = match instruction_file {
            Some(b) => Some(crate::metadata::parse_instruction_file(
                b,
                "instruction file",
            )?),
            None => None,
        };
        let envelope = Envelope::parse(metadata, file.as_ref())?;
        let key = self.open(&envelope, context).await?;
        key.decrypt_all(body)
    }
}

/// The envelope and encryptor for an already wrapped data key and a chosen IV or message id:
/// the deterministic core of [`CseClient::begin_encryption`] (test vectors, scenarios).
pub fn encryption_with(
    suite: AlgorithmSuite,
    wrapped: WrappedDataKey,
    nonce: Vec<u8>,
    location: Location,
) -> Result<(Envelope, ContentEncryptor)> {
    if suite.is_legacy() {
        return Err(CseError::PolicyForbidsEncrypt {
            suite: suite.name(),
            policy: "any policy (legacy suites are decrypt only)",
        });
    }
    if nonce.len() != suite.nonce_len() {
        return Err(CseError::Length {
            key: if suite.is_committing() {
                "the message id"
            } else {
                "the IV"
            },
            len: nonce.len(),
            expected: suite.nonce_len(),
        });
    }
    if nonce.iter().all(|&b| b == 0) {
        return Err(CseError::ZeroNonce {
            key: "IV or message id",
        });
    }
    let (gcm, commitment) = match suite {
        AlgorithmSuite::AesGcmHkdfCommitV3 => {
            let (dek, commit) = derive_v3(&wrapped.plaintext, &nonce);
            (
                GcmStream::new(&dek, &crate::crypto::V3_IV, &V3_AAD),
                Some(commit),
            )
        }
        _ => {
            let mut iv = [0u8; 12];
            iv.copy_from_slice(&nonce);
            (GcmStream::new(&wrapped.plaintext, &iv, &[]), None)
        }
    };
    let envelope = Envelope {
        format: suite.format(),
        suite,
        wrap: wrapped.wrap,
        encrypted_data_key: wrapped.encrypted,
        nonce,
        commitment,
        context: wrapped.context,
        location,
    };
    Ok((envelope, ContentEncryptor { gcm }))
}

/// The stored form of an envelope and its body.
pub fn seal(envelope: Envelope, body: Vec<u8>) -> EncryptedObject {
    let (metadata, file) = envelope.to_metadata();
    EncryptedObject {
        envelope,
        body,
        metadata,
        instruction_file: file.map(|f| instruction_file_body(&f)),
    }
}

/// The content key of an envelope whose data key is known: the V3 derivation and the
/// constant-time commitment check, or the data key itself (V2, V1).
pub fn content_key(envelope: &Envelope, data_key: &[u8; 32]) -> Result<ContentKey> {
    match envelope.suite {
        AlgorithmSuite::AesGcmHkdfCommitV3 => {
            let (dek, commit) = derive_v3(data_key, &envelope.nonce);
            let stored = envelope.commitment.ok_or(CseError::Missing("x-amz-d"))?;
            verify_commitment(&stored, &commit)?;
            Ok(ContentKey::Gcm {
                key: dek,
                iv: crate::crypto::V3_IV,
                aad: &V3_AAD,
            })
        }
        AlgorithmSuite::AesGcmV2 => Ok(ContentKey::Gcm {
            key: Zeroizing::new(*data_key),
            iv: envelope.gcm_iv().ok_or(CseError::Length {
                key: "x-amz-iv",
                len: envelope.nonce.len(),
                expected: 12,
            })?,
            aad: &[],
        }),
        AlgorithmSuite::AesCbcV1 => {
            let iv: [u8; 16] =
                envelope
                    .nonce
                    .as_slice()
                    .try_into()
                    .map_err(|_| CseError::Length {
                        key: "x-amz-iv",
                        len: envelope.nonce.len(),
                        expected: 16,
                    })?;
            Ok(ContentKey::Cbc {
                key: Zeroizing::new(*data_key),
                iv,
            })
        }
    }
}

/// Encrypts the content, in place, piece by piece.
pub struct ContentEncryptor {
    gcm: GcmStream,
}

impl ContentEncryptor {
    pub fn update(&mut self, buf: &mut [u8]) -> Result<()> {
        self.gcm.encrypt(buf)
    }

    /// The 16-byte tag, appended after the last ciphertext byte (of the last part).
    pub fn finish(self) -> [u8; TAG_LEN] {
        self.gcm.tag()
    }
}

/// A content key, after the data key was unwrapped and (V3) the commitment checked.
pub enum ContentKey {
    Gcm {
        key: Key32,
        iv: [u8; 12],
        aad: &'static [u8],
    },
    Cbc {
        key: Key32,
        iv: [u8; 16],
    },
}

impl ContentKey {
    pub fn is_authenticated(&self) -> bool {
        matches!(self, ContentKey::Gcm { .. })
    }

    /// Decrypts a whole body; nothing comes out unless the tag verifies.
    pub fn decrypt_all(&self, body: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        match self {
            ContentKey::Gcm { .. } => {
                let mut auth = self.authenticator()?;
                auth.update(body)?;
                let mut verified = auth.finish()?;
                let mut out = Zeroizing::new(body[..body.len() - TAG_LEN].to_vec());
                verified.apply(&mut out)?;
                Ok(out)
            }
            ContentKey::Cbc { .. } => {
                let mut d = self.delayed_decryptor();
                let mut out = Zeroizing::new(Vec::with_capacity(body.len()));
                d.update(body, &mut out)?;
                d.finish(&mut out)?;
                Ok(out)
            }
        }
    }

    /// The first pass of an authenticated read: feed it the whole body (`ciphertext ‖ tag`).
    pub fn authenticator(&self) -> Result<BodyAuthenticator> {
        match self {
            ContentKey::Gcm { key, iv, aad } => Ok(BodyAuthenticator {
                gcm: GcmStream::new(key, iv, aad),
                tail: Vec::with_capacity(2 * TAG_LEN),
                seen: 0,
                keystream: CtrAt::new(key, iv, 0),
            }),
            ContentKey::Cbc { .. } => Err(CseError::LegacyDisabled(
                "CBC content has no tag to verify; it".into(),
            )),
        }
    }

    /// One pass that releases plaintext before verification (delayed authentication, or CBC).
    pub fn delayed_decryptor(&self) -> DelayedDecryptor {
        match self {
            ContentKey::Gcm { key, iv, aad } => DelayedDecryptor::Gcm {
                gcm: GcmStream::new(key, iv, aad),
                tail: Vec::with_capacity(2 * TAG_LEN),
                seen: 0,
            },
            ContentKey::Cbc { key, iv } => DelayedDecryptor::Cbc {
                cbc: CbcDecryptStream::new(key, iv),
                seen: 0,
            },
        }
    }

    /// AES-CTR at a block offset of a GCM body, for ranged reads (unauthenticated).
    pub fn ctr_at_block(&self, block: u64) -> Option<CtrAt> {
        match self {
            ContentKey::Gcm { key, iv, .. } => Some(CtrAt::new(key, iv, block)),
            ContentKey::Cbc { .. } => None,
        }
    }
}

/// Holds back the last 16 bytes of a stream (the tag) and hands on the rest.
fn split_tail(
    tail: &mut Vec<u8>,
    chunk: &[u8],
    mut emit: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    if chunk.len() >= TAG_LEN {
        if !tail.is_empty() {
            emit(tail)?;
            tail.clear();
        }
        let (body, last) = chunk.split_at(chunk.len() - TAG_LEN);
        if !body.is_empty() {
            emit(body)?;
        }
        tail.extend_from_slice(last);
    } else {
        tail.extend_from_slice(chunk);
        if tail.len() > TAG_LEN {
            let n = tail.len() - TAG_LEN;
            let head: Vec<u8> = tail.drain(..n).collect();
            emit(&head)?;
        }
    }
    Ok(())
}

/// Pass one: checks the tag over the whole body, and decrypts nothing.
pub struct BodyAuthenticator {
    gcm: GcmStream,
    tail: Vec<u8>,
    seen: u64,
    keystream: CtrAt,
}

impl BodyAuthenticator {
    pub fn update(&mut self, chunk: &[u8]) -> Result<()> {
        self.seen += chunk.len() as u64;
        let gcm = &mut self.gcm;
        split_tail(&mut self.tail, chunk, |b| gcm.authenticate(b))
    }

    /// Verifies the tag (constant time). Only then is there a decryptor.
    pub fn finish(self) -> Result<VerifiedDecryptor> {
        if self.seen < TAG_LEN as u64 {
            return Err(CseError::Truncated {
                len: self.seen,
                tag: TAG_LEN,
            });
        }
        self.gcm.verify(&self.tail)?;
        Ok(VerifiedDecryptor {
            keystream: self.keystream,
            remaining: self.seen - TAG_LEN as u64,
        })
    }
}

/// Pass two, after the tag verified: decrypts the ciphertext (without the tag), in order.
pub struct VerifiedDecryptor {
    keystream: CtrAt,
    remaining: u64,
}

impl VerifiedDecryptor {
    /// The ciphertext bytes still to decrypt.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Decrypts `buf` in place; it must be the next bytes of the ciphertext that was verified.
    pub fn apply(&mut self, buf: &mut [u8]) -> Result<()> {
        if buf.len() as u64 > self.remaining {
            return Err(CseError::Contradictory(
                "more ciphertext than was authenticated".into(),
            ));
        }
        self.remaining -= buf.len() as u64;
        self.keystream.apply(buf);
        Ok(())
    }
}

/// One pass, plaintext out before the tag is checked (GCM with delayed authentication), or
/// legacy CBC.
pub enum DelayedDecryptor {
    Gcm {
        gcm: GcmStream,
        tail: Vec<u8>,
        seen: u64,
    },
    Cbc {
        cbc: CbcDecryptStream,
        seen: u64,
    },
}

impl DelayedDecryptor {
    /// Decrypts `chunk`, appending plaintext to `out`.
    pub fn update(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        match self {
            DelayedDecryptor::Gcm { gcm, tail, seen } => {
                *seen += chunk.len() as u64;
                split_tail(tail, chunk, |b| {
                    let start = out.len();
                    out.extend_from_slice(b);
                    gcm.decrypt(&mut out[start..])
                })
            }
            DelayedDecryptor::Cbc { cbc, seen } => {
                *seen += chunk.len() as u64;
                cbc.update(chunk, out);
                Ok(())
            }
        }
    }

    /// Verifies the tag (GCM) or the padding (CBC).
    pub fn finish(self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            DelayedDecryptor::Gcm { gcm, tail, seen } => {
                if seen < TAG_LEN as u64 {
                    return Err(CseError::Truncated {
                        len: seen,
                        tag: TAG_LEN,
                    });
                }
                gcm.verify(&tail)
            }
            DelayedDecryptor::Cbc { cbc, seen } => {
                if !seen.is_multiple_of(16) || seen == 0 {
                    return Err(CseError::BadCbcLength { len: seen });
                }
                cbc.finish(out)
            }
        }
    }
}

/// The format an envelope describes, for messages.
pub fn describe(envelope: &Envelope) -> String {
    let version = match envelope.format {
        Format::V1 => "V1",
        Format::V2 => "V2",
        Format::V3 => "V3",
    };
    format!(
        "{version} ({}), data key wrapped with {}",
        envelope.suite.name(),
        envelope.wrap.name()
    )
}
