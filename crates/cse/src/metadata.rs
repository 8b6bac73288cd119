//! The stored format: object metadata and instruction files (reference §3.2–§3.8).
//!
//! [`Envelope`] is what an encrypted object carries besides its ciphertext: the wrapped data key,
//! the IV or message id, the key commitment and the encryption context (or material
//! description). [`Envelope::parse`] reads it from the metadata S3 returns (names without the
//! `x-amz-meta-` prefix, lower case), merged with an instruction file where the format says so,
//! and refuses mixed or contradictory metadata. [`Envelope::to_metadata`] writes exactly the
//! keys the official clients write.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::context::{json_string, StringMap};
use crate::crypto::{COMMITMENT_LEN, MESSAGE_ID_LEN};
use crate::error::{CseError, Result};
use crate::suite::{AlgorithmSuite, Format, WrapAlgorithm};

/// User metadata as S3 returns it: names without `x-amz-meta-`, lower case.
pub type MetadataMap = BTreeMap<String, String>;

pub const KEY_V1: &str = "x-amz-key";
pub const KEY_V2: &str = "x-amz-key-v2";
pub const WRAP_ALG: &str = "x-amz-wrap-alg";
pub const MATDESC: &str = "x-amz-matdesc";
pub const IV: &str = "x-amz-iv";
pub const CEK_ALG: &str = "x-amz-cek-alg";
pub const TAG_LEN: &str = "x-amz-tag-len";
pub const INSTRUCTION_FILE_MARKER: &str = "x-amz-crypto-instr-file";
pub const UNENCRYPTED_CONTENT_LENGTH: &str = "x-amz-unencrypted-content-length";
pub const V3_CONTENT_CIPHER: &str = "x-amz-c";
pub const V3_KEY: &str = "x-amz-3";
pub const V3_MATDESC: &str = "x-amz-m";
pub const V3_CONTEXT: &str = "x-amz-t";
pub const V3_WRAP: &str = "x-amz-w";
pub const V3_COMMITMENT: &str = "x-amz-d";
pub const V3_MESSAGE_ID: &str = "x-amz-i";

/// The default suffix of an instruction file's key.
pub const INSTRUCTION_SUFFIX: &str = ".instruction";

/// Every key an instruction file may hold (as the official Python client checks).
pub const INSTRUCTION_FILE_KEYS: [&str; 15] = [
    KEY_V1,
    KEY_V2,
    WRAP_ALG,
    MATDESC,
    IV,
    CEK_ALG,
    TAG_LEN,
    INSTRUCTION_FILE_MARKER,
    V3_CONTENT_CIPHER,
    V3_KEY,
    V3_MATDESC,
    V3_CONTEXT,
    V3_WRAP,
    V3_COMMITMENT,
    V3_MESSAGE_ID,
];

/// The V3 keys that live only in the object's own metadata, never in an instruction file.
pub const V3_OBJECT_ONLY: [&str; 3] = [V3_CONTENT_CIPHER, V3_COMMITMENT, V3_MESSAGE_ID];

/// Where the envelope was read from, or is to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    ObjectMetadata,
    InstructionFile,
}

/// The envelope of one encrypted object: everything but the ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    pub format: Format,
    pub suite: AlgorithmSuite,
    pub wrap: WrapAlgorithm,
    /// The data key, wrapped by the master key (a KMS ciphertext blob, or §3.6's formats).
    pub encrypted_data_key: Vec<u8>,
    /// V1/V2: the content IV (16 bytes for CBC, 12 for GCM). V3: the 28-byte message id.
    pub nonce: Vec<u8>,
    /// V3: the 28-byte key commitment.
    pub commitment: Option<[u8; COMMITMENT_LEN]>,
    /// KMS: the full encryption context as stored (with `aws:x-amz-cek-alg`). Raw keyrings: the
    /// material description (not authenticated).
    pub context: StringMap,
    pub location: Location,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        f.debug_struct("Envelope")
            .field("format", &self.format)
            .field("suite", &self.suite.name())
            .field("wrap", &self.wrap.name())
            .field("encrypted_data_key", &b64(&self.encrypted_data_key))
            .field("nonce", &b64(&self.nonce))
            .field("commitment", &self.commitment.map(|c| b64(&c)))
            .field("context", &self.context.to_json())
            .field("location", &self.location)
            .finish()
    }
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn decode_b64(map: &MetadataMap, key: &'static str) -> Result<Vec<u8>> {
    let v = map.get(key).ok_or(CseError::Missing(key))?;
    base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .map_err(|_| CseError::Base64 { key })
}

fn decode_fixed(map: &MetadataMap, key: &'static str, expected: usize) -> Result<Vec<u8>> {
    let v = decode_b64(map, key)?;
    if v.len() != expected {
        return Err(CseError::Length {
            key,
            len: v.len(),
            expected,
        });
    }
    Ok(v)
}

fn nonzero(v: Vec<u8>, key: &'static str) -> Result<Vec<u8>> {
    if v.iter().all(|&b| b == 0) {
        Err(CseError::ZeroNonce { key })
    } else {
        Ok(v)
    }
}

fn exclusive_keys(map: &MetadataMap) -> Vec<&'static str> {
    [KEY_V1, KEY_V2, V3_KEY]
        .into_iter()
        .filter(|k| map.contains_key(*k))
        .collect()
}

/// Whether the object's own metadata sends a reader to the instruction file: V3 content keys
/// without the wrapped key, or no S3 Encryption Client key at all (reference §3.2).
pub fn needs_instruction_file(object: &MetadataMap) -> bool {
    // Both cases of the reference come to the same test: no wrapped key in the object's own
    // metadata.
    exclusive_keys(object).is_empty()
}

/// Whether the metadata holds any S3 Encryption Client key.
pub fn has_any_s3ec_key(object: &MetadataMap) -> bool {
    INSTRUCTION_FILE_KEYS
        .iter()
        .any(|k| *k != INSTRUCTION_FILE_MARKER && object.contains_key(*k))
}

/// Parses an instruction file's body: a JSON object of strings whose keys all belong to the
/// S3 Encryption Client's set. `key` names the file in errors.
pub fn parse_instruction_file(body: &[u8], key: &str) -> Result<MetadataMap> {
    let err = |reason: String| CseError::InstructionFile {
        key: key.to_owned(),
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| err("it is not UTF-8 text".into()))?;
    let map: StringMap = serde_json::from_str(text)
        .map_err(|e| err(format!("it is not a JSON object of strings ({e})")))?;
    if map.is_empty() {
        return Err(err("it is empty".into()));
    }
    let mut out = MetadataMap::new();
    for (k, v) in map.iter() {
        if !INSTRUCTION_FILE_KEYS.contains(&k) {
            return Err(err(format!(
                "{k:?} is not an S3 Encryption Client metadata key"
            )));
        }
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(out)
}

impl Envelope {
    /// Reads the envelope from the object's metadata and, when [`needs_instruction_file`] says
    /// so, its instruction file (`None` if there is none).
    pub fn parse(object: &MetadataMap, instruction: Option<&MetadataMap>) -> Result<Envelope> {
        let keys = exclusive_keys(object);
        if keys.len() > 1 {
            return Err(CseError::MixedFormats(keys.join(", ")));
        }
        let uses_file = needs_instruction_file(object);
        let merged: MetadataMap = if uses_file {
            let Some(file) = instruction else {
                return Err(if has_any_s3ec_key(object) {
                    CseError::Missing("the instruction file")
                } else {
                    CseError::NotEncrypted
                });
            };
            if let Some(k) = V3_OBJECT_ONLY.iter().find(|k| file.contains_key(**k)) {
                return Err(CseError::ForbiddenInInstructionFile((*k).to_owned()));
            }
            let mut merged = file.clone();
            // The object's own metadata wins on conflict, as in the official clients.
            for (k, v) in object {
                merged.insert(k.clone(), v.clone());
            }
            merged
        } else {
            object.clone()
        };
        let keys = exclusive_keys(&merged);
        if keys.len() > 1 {
            return Err(CseError::MixedFormats(keys.join(", ")));
        }
        let location = if uses_file {
            Location::InstructionFile
        } else {
            Location::ObjectMetadata
        };
        let mut env = match keys.first().copied() {
            Some(V3_KEY) => Self::parse_v3(&merged)?,
            Some(KEY_V2) => Self::parse_v2(&merged)?,
            Some(KEY_V1) => Self::parse_v1(&merged)?,
            _ => {
                return Err(if has_any_s3ec_key(&merged) {
                    CseError::Missing("the wrapped data key (x-amz-key-v2 or x-amz-3)")
                } else {
                    CseError::NotEncrypted
                })
            }
        };
        if env.format != Format::V3 {
            if let Some(k) = V3_OBJECT_ONLY.iter().find(|k| merged.contains_key(**k)) {
                return Err(CseError::Contradictory(format!(
                    "a {:?} envelope alongside the V3 key {k}",
                    env.format
                )));
            }
            if uses_file {
                if let Some(k) = [CEK_ALG, IV, WRAP_ALG]
                    .iter()
                    .find(|k| object.contains_key(**k))
                {
                    return Err(CseError::Contradictory(format!(
                        "{k} is in the object metadata, but a {:?} envelope in an instruction file keeps all of it there",
                        env.format
                    )));
                }
            }
        }
        env.location = location;
        Ok(env)
    }

    fn parse_v3(m: &MetadataMap) -> Result<Envelope> {
        for k in [V3_CONTENT_CIPHER, V3_WRAP, V3_COMMITMENT, V3_MESSAGE_ID] {
            if !m.contains_key(k) {
                return Err(CseError::Missing(k));
            }
        }
        let c = m.get(V3_CONTENT_CIPHER).map(String::as_str).unwrap_or("");
        if c != AlgorithmSuite::AesGcmHkdfCommitV3.cek_alg() {
            return Err(CseError::UnknownContentAlgorithm(c.to_owned()));
        }
        let wrap = WrapAlgorithm::from_v3_code(m.get(V3_WRAP).map(String::as_str).unwrap_or(""))?;
        let encrypted_data_key = decode_b64(m, V3_KEY)?;
        if encrypted_data_key.is_empty() {
            return Err(CseError::Missing(V3_KEY));
        }
        let nonce = nonzero(
            decode_fixed(m, V3_MESSAGE_ID, MESSAGE_ID_LEN)?,
            V3_MESSAGE_ID,
        )?;
        let d = decode_fixed(m, V3_COMMITMENT, COMMITMENT_LEN)?;
        let mut commitment = [0u8; COMMITMENT_LEN];
        commitment.copy_from_slice(&d);
        let context_key = if wrap.is_kms() {
            V3_CONTEXT
        } else {
            V3_MATDESC
        };
        let context = match m.get(context_key) {
            Some(v) => StringMap::from_json(v, context_key)?,
            None => StringMap::new(),
        };
        Ok(Envelope {
            format: Format::V3,
            suite: AlgorithmSuite::AesGcmHkdfCommitV3,
            wrap,
            encrypted_data_key,
            nonce,
            commitment: Some(commitment),
            context,
            location: Location::ObjectMetadata,
        })
    }

    fn parse_v2(m: &MetadataMap) -> Result<Envelope> {
        for k in [IV, CEK_ALG, WRAP_ALG] {
            if !m.contains_key(k) {
                return Err(CseError::Missing(k));
            }
        }
        let suite = AlgorithmSuite::from_cek_alg(m.get(CEK_ALG).map(String::as_str).unwrap_or(""))?;
        if suite == AlgorithmSuite::AesGcmV2 {
            if let Some(t) = m.get(TAG_LEN) {
                if t.trim() != "128" {
                    return Err(CseError::TagLength(t.clone()));
                }
            }
        }
        let wrap = WrapAlgorithm::from_name(m.get(WRAP_ALG).map(String::as_str).unwrap_or(""))?;
        if matches!(wrap, WrapAlgorithm::AesEcbV1 | WrapAlgorithm::RsaPkcs1V1) {
            return Err(CseError::UnknownWrapAlgorithm(wrap.name().to_owned()));
        }
        let encrypted_data_key = decode_b64(m, KEY_V2)?;
        if encrypted_data_key.is_empty() {
            return Err(CseError::Missing(KEY_V2));
        }
        let nonce = nonzero(decode_fixed(m, IV, suite.nonce_len())?, IV)?;
        let context = match m.get(MATDESC) {
            Some(v) => StringMap::from_json(v, MATDESC)?,
            None => StringMap::new(),
        };
        Ok(Envelope {
            format: Format::V2,
            suite,
            wrap,
            encrypted_data_key,
            nonce,
            commitment: None,
            context,
            location: Location::ObjectMetadata,
        })
    }

    fn parse_v1(m: &MetadataMap) -> Result<Envelope> {
        for k in [IV, MATDESC] {
            if !m.contains_key(k) {
                return Err(CseError::Missing(k));
            }
        }
        let encrypted_data_key = decode_b64(m, KEY_V1)?;
        if encrypted_data_key.is_empty() {
            return Err(CseError::Missing(KEY_V1));
        }
        let wrap = match m.get(WRAP_ALG) {
            Some(w) => WrapAlgorithm::from_name(w)?,
            // Java's rule: an RSA-wrapped key is longer than the 48 bytes of AES/ECB/PKCS5.
            None if encrypted_data_key.len() > 48 => WrapAlgorithm::RsaPkcs1V1,
            None => WrapAlgorithm::AesEcbV1,
        };
        let nonce = nonzero(decode_fixed(m, IV, 16)?, IV)?;
        let context =
            StringMap::from_json(m.get(MATDESC).map(String::as_str).unwrap_or(""), MATDESC)?;
        Ok(Envelope {
            format: Format::V1,
            suite: AlgorithmSuite::AesCbcV1,
            wrap,
            encrypted_data_key,
            nonce,
            commitment: None,
            context,
            location: Location::ObjectMetadata,
        })
    }

    /// The metadata to store, as the official clients write it: `(object metadata, instruction
    /// file entries)`. With [`Location::InstructionFile`], V2 keeps nothing on the object and V3
    /// keeps `x-amz-c`, `x-amz-d` and `x-amz-i`.
    pub fn to_metadata(&self) -> (MetadataMap, Option<StringMap>) {
        let mut all = StringMap::new();
        match self.format {
            Format::V3 => {
                all.insert(V3_CONTENT_CIPHER, self.suite.cek_alg());
                all.insert(V3_KEY, b64(&self.encrypted_data_key));
                all.insert(V3_WRAP, self.wrap.v3_code().unwrap_or("12"));
                all.insert(V3_MESSAGE_ID, b64(&self.nonce));
                if let Some(c) = &self.commitment {
                    all.insert(V3_COMMITMENT, b64(c));
                }
                if !self.context.is_empty() {
                    let key = if self.wrap.is_kms() {
                        V3_CONTEXT
                    } else {
                        V3_MATDESC
                    };
                    all.insert(key, self.context.to_json());
                }
            }
            Format::V2 | Format::V1 => {
                let key = if self.format == Format::V1 {
                    KEY_V1
                } else {
                    KEY_V2
                };
                all.insert(key, b64(&self.encrypted_data_key));
                all.insert(IV, b64(&self.nonce));
                all.insert(CEK_ALG, self.suite.cek_alg());
                if self.suite.tag_len() > 0 {
                    all.insert(TAG_LEN, "128");
                }
                // V1's raw-key wrappings have no name on the wire: a reader infers them from the
                // length of the wrapped key (see `parse_v1`), and refuses "AES" or "RSA".
                if !matches!(
                    self.wrap,
                    WrapAlgorithm::AesEcbV1 | WrapAlgorithm::RsaPkcs1V1
                ) {
                    all.insert(WRAP_ALG, self.wrap.name());
                }
                all.insert(MATDESC, self.context.to_json());
            }
        }
        match self.location {
            Location::ObjectMetadata => (
                all.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                None,
            ),
            Location::InstructionFile => {
                let mut object = MetadataMap::new();
                let mut file = StringMap::new();
                for (k, v) in all.iter() {
                    if self.format == Format::V3 && V3_OBJECT_ONLY.contains(&k) {
                        object.insert(k.to_owned(), v.to_owned());
                    } else {
                        file.insert(k, v);
                    }
                }
                (object, Some(file))
            }
        }
    }

    /// The content IV for GCM: the stored IV (V2) or twelve 0x01 bytes (V3).
    pub fn gcm_iv(&self) -> Option<[u8; 12]> {
        match self.format {
            Format::V3 => Some(crate::crypto::V3_IV),
            _ => <[u8; 12]>::try_from(self.nonce.as_slice()).ok(),
        }
    }
}

/// The body of an instruction file: compact JSON, as the Java client writes it.
pub fn instruction_file_body(entries: &StringMap) -> Vec<u8> {
    let mut out = String::from("{");
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_string(k));
        out.push(':');
        out.push_str(&json_string(v));
    }
    out.push('}');
    out.into_bytes()
}

/// Reads user metadata out of response headers (`x-amz-meta-*`, names lower-cased).
pub fn from_headers(headers: &http::HeaderMap) -> MetadataMap {
    let mut out = MetadataMap::new();
    for (name, value) in headers {
        if let Some(k) = name.as_str().strip_prefix("x-amz-meta-") {
            out.insert(
                k.to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            );
        }
    }
    out
}
