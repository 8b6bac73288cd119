//! How an object is encrypted at rest: the mode chosen for a write, the record kept in the
//! object's metadata, and getting the data key back for a read.
//!
//! | mode     | data key (DEK)                        | what the metadata keeps                          |
//! |----------|---------------------------------------|--------------------------------------------------|
//! | none     | —                                     | nothing (pre-2023 history switch only)           |
//! | SSE-S3   | random, per object                    | DEK wrapped by SSE-S3 root key version N         |
//! | SSE-KMS  | KMS GenerateDataKey (`aws:s3:arn`)    | the KMS ciphertext blob, key ARN, context        |
//! | DSSE-KMS | two: one from KMS, one from S3        | both wrapped keys; data encrypted twice          |
//! | SSE-C    | random, per object                    | DEK wrapped by the customer key, salted HMAC     |
//!
//! In every mode the object data is AES-256-GCM in chunks (`s3lab-atrest`), and the chunk AAD
//! names bucket, key and part, so a blob moved to another object fails to decrypt.

use std::collections::BTreeMap;

use base64::Engine as _;
use s3lab_env::Env;
use s3lab_iam::Identity;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{S3Error, S3Result};
use crate::keys::{self, CustomerKeyHmac, RootKeyring, WrappedByRoot};
use crate::kms::KeyService;
use crate::sse::{CustomerKey, SseRequest};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A bucket's default encryption (PutBucketEncryption), with the post-2023 default: SSE-S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub sse_algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
    #[serde(default)]
    pub bucket_key_enabled: bool,
    /// `BlockedEncryptionTypes`: `["SSE-C"]` blocks SSE-C writes, `["NONE"]` blocks nothing.
    #[serde(default)]
    pub blocked_encryption_types: Vec<String>,
}

impl BucketEncryption {
    pub fn sse_s3(block_sse_c: bool) -> Self {
        BucketEncryption {
            sse_algorithm: "AES256".into(),
            kms_master_key_id: None,
            bucket_key_enabled: false,
            blocked_encryption_types: if block_sse_c {
                vec!["SSE-C".into()]
            } else {
                vec!["NONE".into()]
            },
        }
    }

    pub fn blocks_sse_c(&self) -> bool {
        self.blocked_encryption_types.iter().any(|t| t == "SSE-C")
    }
}

/// The encryption a write will get, once request headers and bucket default are combined.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteMode {
    /// Only under the lab's pre-2023 history switch.
    None,
    SseS3,
    Kms {
        dsse: bool,
        key_id: Option<String>,
        user_context: Option<BTreeMap<String, String>>,
        /// Use an S3 Bucket Key (never for DSSE-KMS, which does not support them).
        bucket_key: bool,
    },
    Customer(CustomerKey),
}

impl WriteMode {
    /// Request headers win; a write that names nothing gets the bucket default, or nothing at all in
    /// a bucket that simulates the time before 2023.
    pub fn resolve(
        request: &SseRequest,
        default: &BucketEncryption,
        history_unencrypted: bool,
    ) -> WriteMode {
        match request {
            SseRequest::S3 { .. } => WriteMode::SseS3,
            SseRequest::Kms {
                dsse,
                key_id,
                context,
                bucket_key,
            } => WriteMode::Kms {
                dsse: *dsse,
                key_id: key_id.clone(),
                user_context: context.clone(),
                // The request's header overrides the bucket's setting; DSSE-KMS accepts the
                // header and silently does without (reference 2.3, O18).
                bucket_key: !*dsse && bucket_key.unwrap_or(default.bucket_key_enabled),
            },
            SseRequest::Customer(k) => WriteMode::Customer(k.clone()),
            SseRequest::Unspecified { .. } if history_unencrypted => WriteMode::None,
            SseRequest::Unspecified { bucket_key } => match default.sse_algorithm.as_str() {
                "aws:kms" | "aws:kms:dsse" => WriteMode::Kms {
                    dsse: default.sse_algorithm == "aws:kms:dsse",
                    key_id: default.kms_master_key_id.clone(),
                    user_context: None,
                    bucket_key: default.sse_algorithm == "aws:kms"
                        && bucket_key.unwrap_or(default.bucket_key_enabled),
                },
                _ => WriteMode::SseS3,
            },
        }
    }

    /// Whether S3 makes the ETag the MD5 of the data (it does for SSE-S3 and unencrypted objects).
    pub fn etag_is_md5(&self) -> bool {
        matches!(self, WriteMode::None | WriteMode::SseS3)
    }
}

/// What the object's metadata keeps about its encryption. Readable JSON, on purpose: this is what
/// a learner finds next to the ciphertext.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode")]
pub enum StoredEncryption {
    #[serde(rename = "none")]
    None { note: String },
    #[serde(rename = "SSE-S3")]
    SseS3 {
        #[serde(flatten)]
        data_key: WrappedByRoot,
    },
    #[serde(rename = "SSE-KMS")]
    SseKms(KmsRecord),
    #[serde(rename = "DSSE-KMS")]
    DsseKms {
        kms_layer: KmsRecord,
        s3_layer: WrappedByRoot,
    },
    #[serde(rename = "SSE-C")]
    SseC {
        /// base64 MD5 of the customer key, echoed on every response (it does not reveal the key).
        customer_key_md5: String,
        /// How S3 recognises the key later without keeping it.
        customer_key_hmac: CustomerKeyHmac,
        /// The object's data key, wrapped (AES-256-GCM) by the customer key.
        wrapped_data_key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsRecord {
    pub kms_key_arn: String,
    pub kms_key_material_id: String,
    /// The whole context sent to KMS, `aws:s3:arn` included. Plaintext, as in CloudTrail.
    pub encryption_context: BTreeMap<String, String>,
    /// The pairs the caller sent in `x-amz-server-side-encryption-context`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<BTreeMap<String, String>>,
    /// base64 of the KMS ciphertext blob of the data key (with a bucket key: of the bucket key).
    pub kms_ciphertext_blob: String,
    /// Set when the object's key was derived from an S3 Bucket Key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_key: Option<BucketKeyRecord>,
}

/// How an object's key comes from its bucket key: HKDF with this per-object salt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketKeyRecord {
    /// base64 of the 32-byte salt.
    pub object_key_salt: String,
}

impl StoredEncryption {
    pub fn mode_name(&self) -> &'static str {
        match self {
            StoredEncryption::None { .. } => "none",
            StoredEncryption::SseS3 { .. } => "SSE-S3",
            StoredEncryption::SseKms(_) => "SSE-KMS",
            StoredEncryption::DsseKms { .. } => "DSSE-KMS",
            StoredEncryption::SseC { .. } => "SSE-C",
        }
    }

    pub fn is_customer(&self) -> bool {
        matches!(self, StoredEncryption::SseC { .. })
    }

    pub fn kms(&self) -> Option<&KmsRecord> {
        match self {
            StoredEncryption::SseKms(k) | StoredEncryption::DsseKms { kms_layer: k, .. } => Some(k),
            _ => None,
        }
    }

    pub fn from_value(v: &serde_json::Value) -> S3Result<Self> {
        serde_json::from_value(v.clone())
            .map_err(|e| S3Error::internal(&format!("unreadable encryption record: {e}")))
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The SSE response headers for an object stored this way.
    pub fn response(&self) -> SseResponse {
        match self {
            StoredEncryption::None { .. } => SseResponse::None,
            StoredEncryption::SseS3 { .. } => SseResponse::S3,
            StoredEncryption::SseKms(k) => SseResponse::Kms {
                dsse: false,
                key_arn: k.kms_key_arn.clone(),
                context: None,
                bucket_key: k.bucket_key.is_some(),
            },
            StoredEncryption::DsseKms { kms_layer, .. } => SseResponse::Kms {
                dsse: true,
                key_arn: kms_layer.kms_key_arn.clone(),
                context: None,
                bucket_key: false,
            },
            StoredEncryption::SseC {
                customer_key_md5, ..
            } => SseResponse::Customer {
                key_md5: customer_key_md5.clone(),
            },
        }
    }
}

/// What a response says about encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseResponse {
    None,
    S3,
    /// `context` is echoed (base64) only by writes that carried one; `bucket_key` is echoed only
    /// when true (S3 omits the header otherwise).
    Kms {
        dsse: bool,
        key_arn: String,
        context: Option<String>,
        bucket_key: bool,
    },
    Customer {
        key_md5: String,
    },
}

impl SseResponse {
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        use crate::sse::*;
        match self {
            SseResponse::None => vec![],
            SseResponse::S3 => vec![(SSE, "AES256".into())],
            SseResponse::Kms {
                dsse,
                key_arn,
                context,
                bucket_key,
            } => {
                let mut h = vec![
                    (
                        SSE,
                        if *dsse { "aws:kms:dsse" } else { "aws:kms" }.to_string(),
                    ),
                    (SSE_KMS_KEY_ID, key_arn.clone()),
                ];
                if let Some(c) = context {
                    h.push((SSE_CONTEXT, c.clone()));
                }
                if *bucket_key {
                    h.push((SSE_BUCKET_KEY, "true".into()));
                }
                h
            }
            SseResponse::Customer { key_md5 } => vec![
                (SSE_C_ALGORITHM, "AES256".into()),
                (SSE_C_KEY_MD5, key_md5.clone()),
            ],
        }
    }
}

/// The key(s) that encrypt an object's data: one, or two for DSSE (inner KMS layer, outer S3 layer).
pub struct DataKeys {
    pub inner: Zeroizing<[u8; 32]>,
    pub outer: Option<Zeroizing<[u8; 32]>>,
}

/// Everything needed to make or recover data keys.
pub struct KeyContext<'a> {
    pub env: &'a Env,
    pub root_keys: &'a RootKeyring,
    pub kms: &'a dyn KeyService,
    pub region: &'a str,
    /// `None` for anonymous requests, which cannot use KMS.
    pub requester: Option<&'a Identity>,
    pub bucket_keys: &'a crate::bucket_keys::BucketKeyCache,
}

fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// What binds an SSE-S3 data key (the S3 layer's key of a DSSE-KMS object) to its object when the
/// root key wraps it. Public for the lab's secrets scan, which unwraps stored keys offline.
pub fn root_aad(bucket: &str, key: &str) -> Vec<u8> {
    format!("s3lab-sse-s3|{bucket}|{key}").into_bytes()
}

/// What binds an SSE-C object's data key to its object when the customer key wraps it. Public for
/// the lab's secrets scan, which unwraps stored keys offline with the keys a client used.
pub fn customer_aad(bucket: &str, key: &str) -> Vec<u8> {
    format!("s3lab-sse-c|{bucket}|{key}").into_bytes()
}

fn kms_requester<'a>(ctx: &KeyContext<'a>) -> S3Result<&'a Identity> {
    ctx.requester.ok_or_else(S3Error::access_denied)
}

/// Makes the data keys for a new object (or multipart upload) and the record to keep.
pub fn new_keys(
    mode: &WriteMode,
    bucket: &str,
    key: &str,
    ctx: &KeyContext,
) -> S3Result<(Option<DataKeys>, StoredEncryption)> {
    match mode {
        WriteMode::None => Ok((
            None,
            StoredEncryption::None {
                note: "written unencrypted: this bucket simulates S3 before January 2023".into(),
            },
        )),
        WriteMode::SseS3 => {
            let dek = Zeroizing::new(ctx.env.entropy.array::<32>());
            let wrapped = ctx.root_keys.wrap(&dek, &root_aad(bucket, key))?;
            Ok((
                Some(DataKeys {
                    inner: dek,
                    outer: None,
                }),
                StoredEncryption::SseS3 { data_key: wrapped },
            ))
        }
        WriteMode::Kms {
            dsse,
            key_id,
            user_context,
            bucket_key,
        } => {
            let requester = kms_requester(ctx)?;
            let key_id = match key_id {
                Some(k) => k.clone(),
                None => ctx
                    .kms
                    .default_key(requester)
                    .map_err(|e| S3Error::from_kms(&e))?,
            };
            if *bucket_key {
                return bucket_key_write(bucket, key, &key_id, user_context, requester, ctx);
            }
            let mut context = user_context.clone().unwrap_or_default();
            context.insert("aws:s3:arn".into(), object_arn(bucket, key));
            let dk = ctx
                .kms
                .generate_data_key(requester, &key_id, &context)
                .map_err(|e| S3Error::from_kms(&e))?;
            let record = KmsRecord {
                kms_key_arn: dk.key_arn.clone(),
                kms_key_material_id: dk.key_material_id.clone(),
                encryption_context: context,
                user_context: user_context.clone(),
                kms_ciphertext_blob: B64.encode(&dk.ciphertext_blob),
                bucket_key: None,
            };
            if *dsse {
                let outer = Zeroizing::new(ctx.env.entropy.array::<32>());
                let s3_layer = ctx.root_keys.wrap(&outer, &root_aad(bucket, key))?;
                Ok((
                    Some(DataKeys {
                        inner: dk.plaintext,
                        outer: Some(outer),
                    }),
                    StoredEncryption::DsseKms {
                        kms_layer: record,
                        s3_layer,
                    },
                ))
            } else {
                Ok((
                    Some(DataKeys {
                        inner: dk.plaintext,
                        outer: None,
                    }),
                    StoredEncryption::SseKms(record),
                ))
            }
        }
        WriteMode::Customer(customer) => {
            let dek = Zeroizing::new(ctx.env.entropy.array::<32>());
            let wrapped = keys::seal(
                customer.bytes(),
                ctx.env.entropy.array(),
                &dek,
                &customer_aad(bucket, key),
            )?;
            Ok((
                Some(DataKeys {
                    inner: dek,
                    outer: None,
                }),
                StoredEncryption::SseC {
                    customer_key_md5: customer.key_md5.clone(),
                    customer_key_hmac: CustomerKeyHmac::new(ctx.env, customer.bytes()),
                    wrapped_data_key: wrapped,
                },
            ))
        }
    }
}

/// Checks the SSE-C parameters of a request that reads (or adds parts to) an object stored as
/// `stored`, with the error S3 gives for each mismatch (reference 3.3).
pub fn check_customer_key(stored: &StoredEncryption, given: Option<&CustomerKey>) -> S3Result<()> {
    match (stored, given) {
        (StoredEncryption::SseC { customer_key_hmac, .. }, Some(k)) => {
            if customer_key_hmac.matches(k.bytes()) {
                Ok(())
            } else {
                Err(S3Error::new(
                    403,
                    "AccessDenied",
                    "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.",
                ))
            }
        }
        (StoredEncryption::SseC { .. }, None) => Err(S3Error::invalid_request(
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
        )),
        (_, Some(_)) => Err(S3Error::invalid_request("The encryption parameters are not applicable to this object.")),
        (_, None) => Ok(()),
    }
}

/// Recovers the data keys of an object (after [`check_customer_key`]).
pub fn recover_keys(
    stored: &StoredEncryption,
    bucket: &str,
    key: &str,
    customer: Option<&CustomerKey>,
    ctx: &KeyContext,
) -> S3Result<Option<DataKeys>> {
    match stored {
        StoredEncryption::None { .. } => Ok(None),
        StoredEncryption::SseS3 { data_key } => Ok(Some(DataKeys {
            inner: ctx.root_keys.unwrap(data_key, &root_aad(bucket, key))?,
            outer: None,
        })),
        StoredEncryption::SseKms(record) => Ok(Some(DataKeys {
            inner: kms_decrypt(record, bucket, key, ctx)?,
            outer: None,
        })),
        StoredEncryption::DsseKms {
            kms_layer,
            s3_layer,
        } => Ok(Some(DataKeys {
            inner: kms_decrypt(kms_layer, bucket, key, ctx)?,
            outer: Some(ctx.root_keys.unwrap(s3_layer, &root_aad(bucket, key))?),
        })),
        StoredEncryption::SseC {
            wrapped_data_key, ..
        } => {
            let customer =
                customer.ok_or_else(|| S3Error::internal("SSE-C read without a checked key"))?;
            Ok(Some(DataKeys {
                inner: keys::open(
                    customer.bytes(),
                    wrapped_data_key,
                    &customer_aad(bucket, key),
                )?,
                outer: None,
            }))
        }
    }
}

/// A write under an S3 Bucket Key: the bucket key from the cache, or one new KMS call (context:
/// the bucket's ARN), then the object's key derived locally.
fn bucket_key_write(
    bucket: &str,
    key: &str,
    key_id: &str,
    user_context: &Option<BTreeMap<String, String>>,
    requester: &Identity,
    ctx: &KeyContext,
) -> S3Result<(Option<DataKeys>, StoredEncryption)> {
    let now = ctx.env.now();
    let mut context = user_context.clone().unwrap_or_default();
    context.insert("aws:s3:arn".into(), format!("arn:aws:s3:::{bucket}"));
    let cached = match ctx
        .bucket_keys
        .write_key(bucket, key_id, &requester.arn, now)
    {
        Some(c) => c,
        None => {
            let dk = ctx
                .kms
                .generate_data_key(requester, key_id, &context)
                .map_err(|e| S3Error::from_kms(&e))?;
            ctx.bucket_keys.remember_write_key(
                bucket,
                key_id,
                &requester.arn,
                dk.plaintext,
                dk.ciphertext_blob,
                dk.key_arn,
                dk.key_material_id,
                now,
            )
        }
    };
    let salt: [u8; 32] = ctx.env.entropy.array();
    let object_key = crate::bucket_keys::derive_object_key(&cached.plaintext, &salt, bucket, key);
    let record = KmsRecord {
        kms_key_arn: cached.key_arn.clone(),
        kms_key_material_id: cached.key_material_id.clone(),
        encryption_context: context,
        user_context: user_context.clone(),
        kms_ciphertext_blob: B64.encode(&cached.ciphertext_blob),
        bucket_key: Some(BucketKeyRecord {
            object_key_salt: B64.encode(salt),
        }),
    };
    Ok((
        Some(DataKeys {
            inner: object_key,
            outer: None,
        }),
        StoredEncryption::SseKms(record),
    ))
}

/// The object's data key, from KMS (one Decrypt), or under a bucket key from the cache (or one
/// Decrypt of the bucket key) and a local derivation.
fn kms_decrypt(
    record: &KmsRecord,
    bucket: &str,
    key: &str,
    ctx: &KeyContext,
) -> S3Result<Zeroizing<[u8; 32]>> {
    let requester = kms_requester(ctx)?;
    let blob = B64
        .decode(&record.kms_ciphertext_blob)
        .map_err(|_| S3Error::internal("stored KMS ciphertext blob is not base64"))?;
    let Some(bk) = &record.bucket_key else {
        let (dek, _) = ctx
            .kms
            .decrypt(requester, &blob, &record.encryption_context)
            .map_err(|e| S3Error::from_kms(&e))?;
        return Ok(dek);
    };
    let now = ctx.env.now();
    let bucket_key = match ctx.bucket_keys.read_key(&blob, &requester.arn, now) {
        Some(k) => k,
        None => {
            let (k, _) = ctx
                .kms
                .decrypt(requester, &blob, &record.encryption_context)
                .map_err(|e| S3Error::from_kms(&e))?;
            ctx.bucket_keys
                .remember_read_key(&blob, &requester.arn, k.clone(), now);
            k
        }
    };
    let salt = B64
        .decode(&bk.object_key_salt)
        .map_err(|_| S3Error::internal("stored bucket-key salt is not base64"))?;
    Ok(crate::bucket_keys::derive_object_key(
        &bucket_key,
        &salt,
        bucket,
        key,
    ))
}

/// The chunk AAD context of one segment of an object: bucket, key and part number (0 for a single
/// PUT). Binding them means a blob copied under another name or part slot will not decrypt.
pub fn chunk_context(bucket: &str, key: &str, part: u32, layer: &str) -> Vec<u8> {
    format!("s3lab-object|{bucket}|{key}|part:{part}|{layer}").into_bytes()
}
