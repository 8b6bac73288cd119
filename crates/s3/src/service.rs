//! The S3 service as plain Rust: buckets, objects, copies, multipart uploads and default
//! encryption, with Amazon S3's semantics and errors. No HTTP here; [`crate::http`] translates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use md5::{Digest, Md5};
use s3lab_atrest::{Backend, ChunkSize};
use s3lab_env::Env;
use s3lab_iam::{Identity, IdentityTable, Policy};
use s3lab_storage::{BucketRecord, ObjectMeta, PartRecord, Segment, Storage, UploadRecord};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::encryption::{
    self, BucketEncryption, KeyContext, SseResponse, StoredEncryption, WriteMode,
};
use crate::error::{S3Error, S3Result};
use crate::keys::RootKeyring;
use crate::kms::KeyService;
use crate::sse::{CustomerKey, SseRequest};
use crate::stream::{storage_error, write_segment, BodySource, ObjectStream, StreamBody};

/// Plaintext bytes per encrypted chunk at rest.
pub const CHUNK_SIZE: ChunkSize = ChunkSize::DEFAULT;
/// S3's limit for a single PUT (5 GiB).
pub const MAX_PUT: u64 = 5 * 1024 * 1024 * 1024;
/// S3's minimum size of every part but the last (5 MiB).
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// The longest object key S3 stores, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

/// Writes refuse keys longer than [`MAX_KEY_LEN`], as S3 does.
fn check_key_len(key: &str) -> S3Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::new(400, "KeyTooLongError", "Your key is too long")
            .with("Size", key.len().to_string())
            .with("MaxSizeAllowed", MAX_KEY_LEN.to_string()));
    }
    Ok(())
}
pub const MAX_USER_METADATA: usize = 2048;

#[derive(Debug, Clone)]
pub struct S3Config {
    pub region: String,
    pub account_id: String,
    /// Since April 2026 new buckets block SSE-C writes. Labs and older test suites turn this off.
    pub block_sse_c_for_new_buckets: bool,
    pub backend: Backend,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            region: "us-east-1".into(),
            account_id: "111122223333".into(),
            block_sse_c_for_new_buckets: true,
            backend: Backend::Ring,
        }
    }
}

/// The per-bucket configuration S3 manages, kept in the bucket record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketConfig {
    /// `None`: the post-2023 default, SSE-S3 (with SSE-C blocked or not, per the lab's setting at
    /// creation time, in `sse_c_blocked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<BucketEncryption>,
    #[serde(default)]
    pub sse_c_blocked: bool,
    /// The bucket policy's text, as PutBucketPolicy received it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Lab-only, not an S3 API: simulate a bucket from before January 2023, whose writes without
    /// encryption headers are stored unencrypted.
    #[serde(default)]
    pub history_unencrypted: bool,
}

impl BucketConfig {
    pub fn default_encryption(&self) -> BucketEncryption {
        self.encryption
            .clone()
            .unwrap_or_else(|| BucketEncryption::sse_s3(self.sse_c_blocked))
    }

    fn from_record(b: &BucketRecord) -> BucketConfig {
        serde_json::from_value(b.config.clone()).unwrap_or_default()
    }
}

/// Who is asking, and over what.
#[derive(Clone, Copy)]
pub struct Requester<'a> {
    /// `None`: an anonymous (unsigned) request.
    pub identity: Option<&'a Identity>,
    pub secure: bool,
}

/// Headers of an object that S3 stores as they come (all in plaintext on disk, on purpose).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub storage_class: Option<String>,
}

pub struct PutObject {
    pub bucket: String,
    pub key: String,
    pub sse: SseRequest,
    pub headers: ObjectHeaders,
    /// Content-MD5, checked against the data (BadDigest).
    pub content_md5: Option<[u8; 16]>,
    /// Flexible checksums already verified by the body pipeline, to store and echo.
    pub checksums: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct PutObjectOutput {
    pub etag: String,
    pub sse: SseResponse,
}

/// `Range: bytes=...`, as S3 reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=a-b` or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Parses a Range header. Like S3, a header it cannot read (or several ranges) is ignored and
    /// the whole object is returned.
    pub fn parse(value: &str) -> Option<ByteRange> {
        let spec = value.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() {
            return b.parse().ok().map(ByteRange::Suffix);
        }
        let start = a.parse().ok()?;
        let end = if b.is_empty() {
            None
        } else {
            Some(b.parse().ok()?)
        };
        if end.is_some_and(|e| e < start) {
            return None;
        }
        Some(ByteRange::From { start, end })
    }

    /// The inclusive byte span within an object of `size` bytes, or `None` if unsatisfiable.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        match self {
            ByteRange::From { start, end } => {
                if start >= size {
                    return None;
                }
                Some((start, end.map_or(size - 1, |e| e.min(size - 1))))
            }
            ByteRange::Suffix(n) => {
                if n == 0 || size == 0 {
                    return None;
                }
                Some((size - n.min(size), size - 1))
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<OffsetDateTime>,
    pub if_unmodified_since: Option<OffsetDateTime>,
}

pub struct GetObject {
    pub bucket: String,
    pub key: String,
    pub range: Option<ByteRange>,
    pub part_number: Option<u32>,
    pub customer_key: Option<CustomerKey>,
    pub conditions: Conditions,
}

/// Everything a GET or HEAD answers with, except the body.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub meta: ObjectMeta,
    pub sse: SseResponse,
    /// `Some((start, end))` for a 206 answer.
    pub range: Option<(u64, u64)>,
    pub content_length: u64,
    pub parts_count: Option<usize>,
}

pub struct GetObjectOutput {
    pub info: ObjectInfo,
    pub body: ObjectStream,
}

/// The answer to a conditional request that does not proceed.
pub enum NotModified {}

pub struct CopyObject {
    pub bucket: String,
    pub key: String,
    pub source_bucket: String,
    pub source_key: String,
    pub source_customer_key: Option<CustomerKey>,
    pub source_conditions: Conditions,
    pub sse: SseRequest,
    /// `Some` when the metadata directive is REPLACE.
    pub replace_headers: Option<ObjectHeaders>,
    pub tagging_replace: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone)]
pub struct CopyObjectOutput {
    pub etag: String,
    pub last_modified: String,
    pub sse: SseResponse,
}

/// One entry of a listing.
#[derive(Debug, Clone)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified: String,
    pub storage_class: String,
    pub checksum_algorithms: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListObjectsOutput {
    pub contents: Vec<ListedObject>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or prefix returned, from which a continuation starts.
    pub next_after: Option<String>,
}

/// The mock S3.
pub struct S3 {
    config: S3Config,
    env: Env,
    storage: Arc<dyn Storage>,
    kms: Arc<dyn KeyService>,
    root_keys: RootKeyring,
    identities: Arc<IdentityTable>,
    bucket_keys: crate::bucket_keys::BucketKeyCache,
}

pub fn now_rfc3339(env: &Env) -> String {
    fmt_time(env.now())
}

pub fn fmt_time(t: OffsetDateTime) -> String {
    // S3 shows milliseconds: 2026-01-01T00:00:00.000Z.
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// AWS's answer to an SSE-C write on a bucket that blocks SSE-C (the User Guide's
/// "Troubleshoot access denied (403 Forbidden) errors"). The IAM action of every SSE-C write
/// (PUT, COPY, POST, multipart) is `s3:PutObject`. Anonymous callers get S3's plain message.
fn sse_c_blocked_message(requester: Requester, bucket: &str, key: &str) -> String {
    match requester.identity {
        Some(who) => format!(
            "User: {} is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::{bucket}/{key}\" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type",
            who.arn
        ),
        None => "Access Denied".to_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

impl S3 {
    pub fn new(
        config: S3Config,
        env: Env,
        storage: Arc<dyn Storage>,
        kms: Arc<dyn KeyService>,
        keys_dir: Option<&Path>,
        identities: Arc<IdentityTable>,
    ) -> Result<S3, crate::keys::KeyringError> {
        let root_keys = RootKeyring::open(keys_dir, env.clone())?;
        Ok(S3 {
            config,
            env,
            storage,
            kms,
            root_keys,
            identities,
            bucket_keys: Default::default(),
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn identities(&self) -> &Arc<IdentityTable> {
        &self.identities
    }

    pub fn root_keys(&self) -> &RootKeyring {
        &self.root_keys
    }

    fn key_context<'a>(&'a self, requester: Requester<'a>) -> KeyContext<'a> {
        KeyContext {
            env: &self.env,
            root_keys: &self.root_keys,
            kms: self.kms.as_ref(),
            region: &self.config.region,
            requester: requester.identity,
            bucket_keys: &self.bucket_keys,
        }
    }

    fn bucket(&self, name: &str) -> S3Result<(BucketRecord, BucketConfig)> {
        let record = self
            .storage
            .get_bucket(name)
            .map_err(storage_error)?
            .ok_or_else(|| S3Error::no_such_bucket(name))?;
        let config = BucketConfig::from_record(&record);
        Ok((record, config))
    }

    /// The bucket's policy, parsed (for authorization).
    pub fn bucket_policy(&self, bucket: &str) -> S3Result<Option<Policy>> {
        let Some(record) = self.storage.get_bucket(bucket).map_err(storage_error)? else {
            return Ok(None);
        };
        let config = BucketConfig::from_record(&record);
        match config.policy {
            None => Ok(None),
            Some(text) => Policy::parse_with(
                &text,
                &s3lab_iam::ParseOptions::new(s3lab_iam::PolicyKind::Resource),
            )
            .map(Some)
            .map_err(|e| {
                S3Error::internal(&format!(
                    "stored bucket policy no longer parses: {}",
                    e.message()
                ))
            }),
        }
    }

    fn save_config(&self, mut record: BucketRecord, config: &BucketConfig) -> S3Result<()> {
        record.config =
            serde_json::to_value(config).map_err(|e| S3Error::internal(&e.to_string()))?;
        self.storage.update_bucket(&record).map_err(storage_error)
    }

    // ----- buckets -----

    pub fn create_bucket(&self, bucket: &str, location: Option<&str>) -> S3Result<()> {
        if !s3lab_storage::is_valid_bucket_name(bucket) {
            return Err(S3Error::new(
                400,
                "InvalidBucketName",
                "The specified bucket is not valid.",
            )
            .with("BucketName", bucket));
        }
        let region = self.config.region.as_str();
        match location {
            // us-east-1 is the one region that must not be named.
            Some(l) if !l.is_empty() && l != region => {
                return Err(S3Error::new(
                    400,
                    "IllegalLocationConstraintException",
                    format!("The {l} location constraint is incompatible for the region specific endpoint this request was sent to."),
                ))
            }
            Some(l) if l == "us-east-1" => {
                return Err(S3Error::invalid_argument("Invalid LocationConstraint").argument("LocationConstraint", l))
            }
            _ => {}
        }
        let config = BucketConfig {
            sse_c_blocked: self.config.block_sse_c_for_new_buckets,
            ..BucketConfig::default()
        };
        let record = BucketRecord {
            name: bucket.into(),
            created: now_rfc3339(&self.env),
            region: region.into(),
            owner: self.config.account_id.clone(),
            config: serde_json::to_value(&config).map_err(|e| S3Error::internal(&e.to_string()))?,
        };
        match self.storage.create_bucket(&record) {
            // "For legacy compatibility, if you re-create an existing bucket that you already own
            // in the North Virginia Region, Amazon S3 returns 200 OK" (API reference,
            // BucketAlreadyOwnedByYou); every other region answers 409. The bucket is left as it
            // is. Every identity of the lab is in one account, so the bucket is always the
            // requester's own.
            Err(s3lab_storage::StorageError::BucketExists(_)) if region == "us-east-1" => Ok(()),
            other => other.map_err(storage_error),
        }
    }

    pub fn head_bucket(&self, bucket: &str) -> S3Result<BucketRecord> {
        self.bucket(bucket).map(|(r, _)| r)
    }

    pub fn delete_bucket(&self, bucket: &str) -> S3Result<()> {
        self.bucket(bucket)?;
        self.storage.delete_bucket(bucket).map_err(storage_error)
    }

    pub fn list_buckets(&self) -> S3Result<Vec<BucketRecord>> {
        self.storage.list_buckets().map_err(storage_error)
    }

    /// Lab-only: make `bucket` behave like a bucket from before January 2023, whose writes without
    /// encryption headers are stored unencrypted. Not an S3 API.
    pub fn set_history_unencrypted(&self, bucket: &str, on: bool) -> S3Result<()> {
        let (record, mut config) = self.bucket(bucket)?;
        config.history_unencrypted = on;
        self.save_config(record, &config)
    }

    pub fn get_bucket_encryption(&self, bucket: &str) -> S3Result<BucketEncryption> {
        let (_, config) = self.bucket(bucket)?;
        Ok(config.default_encryption())
    }

    pub fn put_bucket_encryption(
        &self,
        bucket: &str,
        encryption: BucketEncryption,
    ) -> S3Result<()> {
        let (record, mut config) = self.bucket(bucket)?;
        if !matches!(
            encryption.sse_algorithm.as_str(),
            "AES256" | "aws:kms" | "aws:kms:dsse"
        ) {
            return Err(S3Error::malformed_xml());
        }
        if encryption.kms_master_key_id.is_some() && encryption.sse_algorithm == "AES256" {
            return Err(S3Error::invalid_argument(
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            )
            .argument("ApplyServerSideEncryptionByDefault", ""));
        }
        config.sse_c_blocked = encryption.blocks_sse_c();
        config.encryption = Some(encryption);
        self.save_config(record, &config)
    }

    /// DeleteBucketEncryption: back to SSE-S3 (idempotent). Whether SSE-C stays blocked follows the
    /// lab's setting for new buckets.
    pub fn delete_bucket_encryption(&self, bucket: &str) -> S3Result<()> {
        let (record, mut config) = self.bucket(bucket)?;
        config.encryption = None;
        config.sse_c_blocked = self.config.block_sse_c_for_new_buckets;
        self.save_config(record, &config)
    }

    pub fn put_bucket_policy(&self, bucket: &str, text: &str) -> S3Result<()> {
        let (record, mut config) = self.bucket(bucket)?;
        let policy = Policy::parse_with(text, &s3lab_iam::ParseOptions::s3_bucket_policy())
            .map_err(|e| S3Error::new(400, "MalformedPolicy", e.s3_message()))?;
        if !policy_resources_in_bucket(&policy, bucket) {
            return Err(S3Error::new(
                400,
                "MalformedPolicy",
                "Policy has invalid resource",
            ));
        }
        config.policy = Some(text.to_owned());
        self.save_config(record, &config)
    }

    pub fn get_bucket_policy(&self, bucket: &str) -> S3Result<String> {
        let (_, config) = self.bucket(bucket)?;
        config.policy.ok_or_else(|| {
            S3Error::new(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
            )
            .with("BucketName", bucket)
        })
    }

    pub fn delete_bucket_policy(&self, bucket: &str) -> S3Result<()> {
        let (record, mut config) = self.bucket(bucket)?;
        config.policy = None;
        self.save_config(record, &config)
    }

    // ----- writes -----

    /// The encryption a write gets, with the transport and block checks S3 applies first.
    fn write_mode(
        &self,
        requester: Requester,
        sse: &SseRequest,
        config: &BucketConfig,
        object: (&str, &str),
    ) -> S3Result<WriteMode> {
        match sse {
            SseRequest::Customer(_) if !requester.secure => {
                return Err(S3Error::sse_c_needs_tls());
            }
            SseRequest::Customer(_) if config.sse_c_blocked => {
                return Err(S3Error::new(
                    403,
                    "AccessDenied",
                    sse_c_blocked_message(requester, object.0, object.1),
                ));
            }
            SseRequest::Kms { .. } if !requester.secure => {
                return Err(S3Error::kms_needs_tls());
            }
            _ => {}
        }
        Ok(WriteMode::resolve(
            sse,
            &config.default_encryption(),
            config.history_unencrypted,
        ))
    }

    fn check_headers(headers: &ObjectHeaders) -> S3Result<()> {
        let size: usize = headers
            .user_metadata
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        if size > MAX_USER_METADATA {
            return Err(S3Error::new(
                400,
                "MetadataTooLarge",
                "Your metadata headers exceed the maximum allowed metadata size.",
            )
            .with("Size", size.to_string())
            .with("MaxSizeAllowed", MAX_USER_METADATA.to_string()));
        }
        if let Some(class) = &headers.storage_class {
            const CLASSES: &[&str] = &[
                "STANDARD",
                "REDUCED_REDUNDANCY",
                "STANDARD_IA",
                "ONEZONE_IA",
                "INTELLIGENT_TIERING",
                "GLACIER",
                "DEEP_ARCHIVE",
                "GLACIER_IR",
            ];
            if !CLASSES.contains(&class.as_str()) {
                return Err(S3Error::new(
                    400,
                    "InvalidStorageClass",
                    "The storage class you specified is not valid",
                )
                .with("StorageClassRequested", class.clone()));
            }
        }
        Ok(())
    }

    fn new_meta(
        &self,
        bucket: &str,
        key: &str,
        headers: &ObjectHeaders,
        stored: &StoredEncryption,
    ) -> ObjectMeta {
        ObjectMeta {
            bucket: bucket.into(),
            key: key.into(),
            size: 0,
            etag: String::new(),
            last_modified: now_rfc3339(&self.env),
            content_type: headers.content_type.clone(),
            content_encoding: headers.content_encoding.clone(),
            content_disposition: headers.content_disposition.clone(),
            content_language: headers.content_language.clone(),
            cache_control: headers.cache_control.clone(),
            expires: headers.expires.clone(),
            user_metadata: headers.user_metadata.clone(),
            tags: headers.tags.clone(),
            checksums: BTreeMap::new(),
            storage_class: headers
                .storage_class
                .clone()
                .unwrap_or_else(|| "STANDARD".into()),
            encryption: stored.to_value(),
            segments: Vec::new(),
        }
    }

    /// An ETag that is not the MD5 of the data (SSE-KMS, SSE-C): random-looking, as S3's.
    fn opaque_etag(&self) -> String {
        hex(&self.env.entropy.array::<16>())
    }

    pub fn put_object(
        &self,
        requester: Requester,
        input: PutObject,
        body: &mut dyn BodySource,
    ) -> S3Result<PutObjectOutput> {
        check_key_len(&input.key)?;
        Self::check_headers(&input.headers)?;
        let (_, config) = self.bucket(&input.bucket)?;
        let mode = self.write_mode(requester, &input.sse, &config, (&input.bucket, &input.key))?;
        let (keys, stored) = encryption::new_keys(
            &mode,
            &input.bucket,
            &input.key,
            &self.key_context(requester),
        )?;
        let want_md5 = mode.etag_is_md5() || input.content_md5.is_some();
        let written = write_segment(
            self.storage.as_ref(),
            &self.env,
            self.config.backend,
            CHUNK_SIZE,
            &input.bucket,
            &input.key,
            0,
            keys.as_ref(),
            body,
            want_md5,
            MAX_PUT,
        )?;
        if let (Some(expected), Some(actual)) = (input.content_md5, written.md5) {
            if expected != actual {
                return Err(S3Error::new(
                    400,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                )
                .with("ExpectedDigest", hex(&expected))
                .with(
                    "CalculatedDigest",
                    base64::engine::general_purpose::STANDARD.encode(actual),
                ));
            }
        }
        let etag = match (mode.etag_is_md5(), written.md5) {
            (true, Some(md5)) => hex(&md5),
            _ => self.opaque_etag(),
        };
        let mut meta = self.new_meta(&input.bucket, &input.key, &input.headers, &stored);
        meta.size = written.plain_len;
        meta.etag = quoted(&etag);
        meta.checksums = if input.checksums.is_empty() {
            body.checksums()
        } else {
            input.checksums.clone()
        };
        meta.segments = vec![Segment {
            blob: written.blob.id().to_owned(),
            stored_len: written.blob.stored_len(),
            plain_len: written.plain_len,
            part_number: None,
            etag: quoted(&etag),
            extra: serde_json::Value::Null,
        }];
        self.storage
            .commit_object(&meta, vec![written.blob])
            .map_err(storage_error)?;
        let sse = match (stored.response(), &input.sse) {
            (
                SseResponse::Kms {
                    dsse,
                    key_arn,
                    bucket_key,
                    ..
                },
                SseRequest::Kms {
                    context: Some(_), ..
                },
            ) => {
                let ctx = stored
                    .kms()
                    .map(|k| k.user_context.clone().unwrap_or_default())
                    .unwrap_or_default();
                let json = serde_json::to_string(&ctx).unwrap_or_default();
                SseResponse::Kms {
                    dsse,
                    key_arn,
                    context: Some(base64::engine::general_purpose::STANDARD.encode(json)),
                    bucket_key,
                }
            }
            (other, _) => other,
        };
        Ok(PutObjectOutput {
            etag: quoted(&etag),
            sse,
        })
    }

    // ----- reads -----

    fn check_conditions(meta: &ObjectMeta, c: &Conditions) -> S3Result<()> {
        let etag = unquote(&meta.etag);
        let modified = parse_time(&meta.last_modified);
        let matches = |list: &str| {
            list.split(',')
                .any(|t| unquote(t) == "*" || unquote(t) == etag)
        };
        let precondition = || {
            S3Error::new(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            )
        };
        let not_modified = || S3Error::new(304, "NotModified", "Not Modified");
        if let Some(m) = &c.if_match {
            if !matches(m) {
                return Err(precondition().with("Condition", "If-Match"));
            }
        } else if let (Some(since), Some(modified)) = (c.if_unmodified_since, modified) {
            if modified > since {
                return Err(precondition().with("Condition", "If-Unmodified-Since"));
            }
        }
        if let Some(m) = &c.if_none_match {
            if matches(m) {
                return Err(not_modified());
            }
        } else if let (Some(since), Some(modified)) = (c.if_modified_since, modified) {
            if modified <= since {
                return Err(not_modified());
            }
        }
        Ok(())
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        self.bucket(bucket)?;
        self.storage
            .get_object(bucket, key)
            .map_err(storage_error)?
            .ok_or_else(|| S3Error::no_such_key(key))
    }

    /// HEAD: metadata, SSE-C checks and the span a Range or partNumber selects. No KMS call.
    pub fn head_object(&self, requester: Requester, input: &GetObject) -> S3Result<ObjectInfo> {
        let meta = self.object(&input.bucket, &input.key)?;
        let stored = StoredEncryption::from_value(&meta.encryption)?;
        if stored.is_customer() && !requester.secure {
            return Err(S3Error::sse_c_needs_tls());
        }
        encryption::check_customer_key(&stored, input.customer_key.as_ref())?;
        Self::check_conditions(&meta, &input.conditions)?;
        let parts_count = (meta.segments.len() > 1
            || meta
                .segments
                .first()
                .is_some_and(|s| s.part_number.is_some()))
        .then_some(meta.segments.len());
        let span = match (input.part_number, input.range) {
            (Some(_), Some(_)) => {
                return Err(S3Error::invalid_request(
                    "Cannot specify both Range header and partNumber query parameter.",
                ))
            }
            (Some(n), None) => Some(Self::part_span(&meta, n)?),
            (None, Some(r)) => Some(r.resolve(meta.size).ok_or_else(|| {
                S3Error::new(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                )
                .with("ActualObjectSize", meta.size.to_string())
            })?),
            (None, None) => None,
        };
        let content_length = span.map_or(meta.size, |(a, b)| b - a + 1);
        let range = match (input.part_number, span) {
            // A partNumber read of a single-part object answers 206 only when it is a real part.
            (Some(_), Some(s)) if parts_count.is_some() => Some(s),
            (Some(_), _) => None,
            (None, s) => s,
        };
        Ok(ObjectInfo {
            sse: stored.response(),
            meta,
            range,
            content_length,
            parts_count,
        })
    }

    fn part_span(meta: &ObjectMeta, n: u32) -> S3Result<(u64, u64)> {
        let invalid = || {
            S3Error::new(
                416,
                "InvalidPartNumber",
                "The requested partnumber is not satisfiable",
            )
            .with("PartNumberRequested", n.to_string())
            .with("ActualPartCount", meta.segments.len().to_string())
        };
        if n == 0 || n as usize > meta.segments.len() {
            return Err(invalid());
        }
        let start: u64 = meta.segments[..n as usize - 1]
            .iter()
            .map(|s| s.plain_len)
            .sum();
        let len = meta.segments[n as usize - 1].plain_len;
        Ok((start, (start + len).saturating_sub(1)))
    }

    pub fn get_object(&self, requester: Requester, input: GetObject) -> S3Result<GetObjectOutput> {
        let info = self.head_object(requester, &input)?;
        let stored = StoredEncryption::from_value(&info.meta.encryption)?;
        if stored.kms().is_some() && !requester.secure {
            return Err(S3Error::kms_needs_tls());
        }
        let keys = encryption::recover_keys(
            &stored,
            &input.bucket,
            &input.key,
            input.customer_key.as_ref(),
            &self.key_context(requester),
        )?;
        let (start, end) = match info.range {
            Some(span) => span,
            None if info.meta.size == 0 => (1, 0),
            None => (0, info.meta.size - 1),
        };
        let body = ObjectStream::new(
            self.storage.clone(),
            info.meta.clone(),
            keys,
            self.config.backend,
            start,
            end,
        );
        Ok(GetObjectOutput { info, body })
    }

    pub fn delete_object(&self, bucket: &str, key: &str) -> S3Result<()> {
        self.bucket(bucket)?;
        self.storage
            .delete_object(bucket, key)
            .map_err(storage_error)?;
        Ok(())
    }

    /// ListObjectsV2's core: keys after `after`, grouped by `delimiter` into common prefixes.
    pub fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max_keys: usize,
    ) -> S3Result<ListObjectsOutput> {
        self.bucket(bucket)?;
        let mut out = ListObjectsOutput::default();
        let mut cursor = after.map(str::to_owned);
        let delimiter = delimiter.filter(|d| !d.is_empty());
        if max_keys == 0 {
            return Ok(out);
        }
        loop {
            let batch = self
                .storage
                .list_objects(bucket, prefix, cursor.as_deref(), 1000)
                .map_err(storage_error)?;
            if batch.is_empty() {
                return Ok(out);
            }
            for meta in batch {
                cursor = Some(meta.key.clone());
                let rest = &meta.key[prefix.len().min(meta.key.len())..];
                let entry_key;
                if let Some(d) = delimiter.and_then(|d| rest.find(d).map(|i| (d, i))) {
                    let common = format!("{prefix}{}", &rest[..d.1 + d.0.len()]);
                    if out.common_prefixes.last() == Some(&common) {
                        continue;
                    }
                    if out.contents.len() + out.common_prefixes.len() >= max_keys {
                        out.is_truncated = true;
                        return Ok(out);
                    }
                    entry_key = common.clone();
                    out.common_prefixes.push(common);
                } else {
                    if out.contents.len() + out.common_prefixes.len() >= max_keys {
                        out.is_truncated = true;
                        return Ok(out);
                    }
                    entry_key = meta.key.clone();
                    out.contents.push(ListedObject {
                        key: meta.key.clone(),
                        size: meta.size,
                        etag: meta.etag.clone(),
                        last_modified: meta.last_modified.clone(),
                        storage_class: meta.storage_class.clone(),
                        checksum_algorithms: meta.checksums.keys().cloned().collect(),
                    });
                }
                out.next_after = Some(entry_key);
            }
        }
    }

    // ----- copy -----

    pub fn copy_object(
        &self,
        requester: Requester,
        input: CopyObject,
    ) -> S3Result<CopyObjectOutput> {
        check_key_len(&input.key)?;
        let source = GetObject {
            bucket: input.source_bucket.clone(),
            key: input.source_key.clone(),
            range: None,
            part_number: None,
            customer_key: input.source_customer_key.clone(),
            conditions: input.source_conditions.clone(),
        };
        let src_meta = self.object(&input.source_bucket, &input.source_key)?;
        let same = input.bucket == input.source_bucket && input.key == input.source_key;
        if same
            && input.replace_headers.is_none()
            && matches!(input.sse, SseRequest::Unspecified { .. })
        {
            return Err(S3Error::invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let src = self.get_object(requester, source).map_err(|e| {
            // Conditions on the source are "copy-source" conditions: S3 answers 412 for both kinds.
            if e.status == 304 {
                S3Error::new(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                )
            } else {
                e
            }
        })?;
        let headers = match input.replace_headers {
            Some(h) => h,
            None => ObjectHeaders {
                content_type: src_meta.content_type.clone(),
                content_encoding: src_meta.content_encoding.clone(),
                content_disposition: src_meta.content_disposition.clone(),
                content_language: src_meta.content_language.clone(),
                cache_control: src_meta.cache_control.clone(),
                expires: src_meta.expires.clone(),
                user_metadata: src_meta.user_metadata.clone(),
                tags: input
                    .tagging_replace
                    .clone()
                    .unwrap_or_else(|| src_meta.tags.clone()),
                storage_class: Some(src_meta.storage_class.clone()),
            },
        };
        let put = PutObject {
            bucket: input.bucket,
            key: input.key,
            sse: input.sse,
            headers,
            content_md5: None,
            checksums: src_meta.checksums.clone(),
        };
        let out = self.put_object(requester, put, &mut StreamBody(src.body))?;
        let last_modified = now_rfc3339(&self.env);
        Ok(CopyObjectOutput {
            etag: out.etag,
            last_modified,
            sse: out.sse,
        })
    }

    // ----- multipart -----

    pub fn create_multipart_upload(
        &self,
        requester: Requester,
        bucket: &str,
        key: &str,
        sse: &SseRequest,
        headers: &ObjectHeaders,
    ) -> S3Result<(String, SseResponse)> {
        check_key_len(key)?;
        Self::check_headers(headers)?;
        let (_, config) = self.bucket(bucket)?;
        let mode = self.write_mode(requester, sse, &config, (bucket, key))?;
        let (_, stored) = encryption::new_keys(&mode, bucket, key, &self.key_context(requester))?;
        let upload_id =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.env.entropy.array::<48>());
        let upload_id = format!("s3lab{}", upload_id.replace(['-', '_'], "x"));
        let meta = self.new_meta(bucket, key, headers, &stored);
        let record = UploadRecord {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.clone(),
            initiated: now_rfc3339(&self.env),
            meta_template: meta,
        };
        self.storage.create_upload(&record).map_err(storage_error)?;
        Ok((upload_id, stored.response()))
    }

    fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<UploadRecord> {
        self.bucket(bucket)?;
        let u = self
            .storage
            .get_upload(bucket, upload_id)
            .map_err(storage_error)?
            .ok_or_else(|| S3Error::no_such_upload(upload_id))?;
        if u.key != key {
            return Err(S3Error::no_such_upload(upload_id));
        }
        Ok(u)
    }

    /// SSE-C parts must carry exactly the key the upload was initiated with (reference 3.4).
    fn check_part_key(stored: &StoredEncryption, given: Option<&CustomerKey>) -> S3Result<()> {
        let missing = || {
            S3Error::invalid_request("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
        };
        match (stored, given) {
            (
                StoredEncryption::SseC {
                    customer_key_hmac, ..
                },
                Some(k),
            ) => {
                if customer_key_hmac.matches(k.bytes()) {
                    Ok(())
                } else {
                    Err(S3Error::invalid_request("The provided encryption parameters did not match the ones used originally."))
                }
            }
            (StoredEncryption::SseC { .. }, None) | (_, Some(_)) => Err(missing()),
            (_, None) => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn upload_part(
        &self,
        requester: Requester,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        customer_key: Option<&CustomerKey>,
        content_md5: Option<[u8; 16]>,
        checksums: BTreeMap<String, String>,
        body: &mut dyn BodySource,
    ) -> S3Result<(String, SseResponse)> {
        if !(1..=10000).contains(&part_number) {
            return Err(S3Error::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .argument("partNumber", &part_number.to_string()));
        }
        let upload = self.upload(bucket, key, upload_id)?;
        let stored = StoredEncryption::from_value(&upload.meta_template.encryption)?;
        if stored.is_customer() && !requester.secure {
            return Err(S3Error::sse_c_needs_tls());
        }
        Self::check_part_key(&stored, customer_key)?;
        let keys = encryption::recover_keys(
            &stored,
            bucket,
            key,
            customer_key,
            &self.key_context(requester),
        )?;
        let md5_etag = matches!(
            stored,
            StoredEncryption::None { .. } | StoredEncryption::SseS3 { .. }
        );
        let written = write_segment(
            self.storage.as_ref(),
            &self.env,
            self.config.backend,
            CHUNK_SIZE,
            bucket,
            key,
            part_number,
            keys.as_ref(),
            body,
            md5_etag || content_md5.is_some(),
            MAX_PUT,
        )?;
        if let (Some(expected), Some(actual)) = (content_md5, written.md5) {
            if expected != actual {
                return Err(S3Error::new(
                    400,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                ));
            }
        }
        let etag = match (md5_etag, written.md5) {
            (true, Some(m)) => hex(&m),
            _ => self.opaque_etag(),
        };
        let part = PartRecord {
            part_number,
            segment: Segment {
                blob: written.blob.id().to_owned(),
                stored_len: written.blob.stored_len(),
                plain_len: written.plain_len,
                part_number: Some(part_number),
                etag: quoted(&etag),
                extra: serde_json::Value::Null,
            },
            last_modified: now_rfc3339(&self.env),
            checksums: if checksums.is_empty() {
                body.checksums()
            } else {
                checksums
            },
        };
        self.storage
            .commit_part(bucket, upload_id, &part, written.blob)
            .map_err(storage_error)?;
        Ok((quoted(&etag), stored.response()))
    }

    /// UploadPartCopy: a part made from (a range of) an existing object.
    #[allow(clippy::too_many_arguments)]
    pub fn upload_part_copy(
        &self,
        requester: Requester,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        customer_key: Option<&CustomerKey>,
        source: GetObject,
    ) -> S3Result<(String, String, SseResponse)> {
        self.upload(bucket, key, upload_id)?;
        let src = self.get_object(requester, source)?;
        let (etag, sse) = self.upload_part(
            requester,
            bucket,
            key,
            upload_id,
            part_number,
            customer_key,
            None,
            BTreeMap::new(),
            &mut StreamBody(src.body),
        )?;
        Ok((etag, now_rfc3339(&self.env), sse))
    }

    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> S3Result<(UploadRecord, Vec<PartRecord>)> {
        let upload = self.upload(bucket, key, upload_id)?;
        let parts = self
            .storage
            .list_parts(bucket, upload_id)
            .map_err(storage_error)?;
        Ok((upload, parts))
    }

    pub fn list_uploads(&self, bucket: &str) -> S3Result<Vec<UploadRecord>> {
        self.bucket(bucket)?;
        self.storage.list_uploads(bucket).map_err(storage_error)
    }

    pub fn abort_multipart_upload(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<()> {
        self.upload(bucket, key, upload_id)?;
        self.storage
            .abort_upload(bucket, upload_id)
            .map_err(storage_error)
    }

    /// CompleteMultipartUpload with the parts the client lists (number and ETag, ascending).
    pub fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        chosen: &[(u32, String)],
        checksums: BTreeMap<String, String>,
    ) -> S3Result<(String, SseResponse)> {
        let upload = self.upload(bucket, key, upload_id)?;
        if chosen.is_empty() {
            return Err(S3Error::malformed_xml());
        }
        if chosen.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(S3Error::new(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            ));
        }
        let stored_parts = self
            .storage
            .list_parts(bucket, upload_id)
            .map_err(storage_error)?;
        let invalid_part = |n: u32, etag: &str| {
            S3Error::new(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            )
            .with("UploadId", upload_id)
            .with("PartNumber", n.to_string())
            .with("ETag", etag.to_owned())
        };
        let mut segments = Vec::with_capacity(chosen.len());
        let mut md5s = Md5::new();
        for (i, (n, etag)) in chosen.iter().enumerate() {
            let part = stored_parts
                .iter()
                .find(|p| p.part_number == *n)
                .ok_or_else(|| invalid_part(*n, etag))?;
            if unquote(&part.segment.etag) != unquote(etag) {
                return Err(invalid_part(*n, etag));
            }
            if i + 1 < chosen.len() && part.segment.plain_len < MIN_PART {
                return Err(S3Error::new(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                )
                .with("ProposedSize", part.segment.plain_len.to_string())
                .with("MinSizeAllowed", MIN_PART.to_string())
                .with("PartNumber", n.to_string())
                .with("ETag", etag.clone()));
            }
            let raw: Vec<u8> = (0..unquote(&part.segment.etag).len() / 2)
                .filter_map(|j| {
                    u8::from_str_radix(unquote(&part.segment.etag).get(2 * j..2 * j + 2)?, 16).ok()
                })
                .collect();
            md5s.update(&raw);
            segments.push(part.segment.clone());
        }
        let etag = format!("{}-{}", hex(&md5s.finalize()), chosen.len());
        let mut meta = upload.meta_template.clone();
        meta.size = segments.iter().map(|s| s.plain_len).sum();
        meta.etag = quoted(&etag);
        meta.last_modified = now_rfc3339(&self.env);
        meta.segments = segments;
        meta.checksums = checksums;
        self.storage
            .complete_upload(upload_id, &meta)
            .map_err(storage_error)?;
        let stored = StoredEncryption::from_value(&meta.encryption)?;
        Ok((quoted(&etag), stored.response()))
    }

    /// Where an object's files are, for a learner to inspect. `None` in memory.
    pub fn object_paths(
        &self,
        bucket: &str,
        key: &str,
    ) -> S3Result<(Option<PathBuf>, Vec<PathBuf>)> {
        let meta = self.object(bucket, key)?;
        let blobs = (0..meta.segments.len())
            .filter_map(|i| self.storage.blob_path(&meta, i))
            .collect();
        Ok((self.storage.meta_path(bucket, key), blobs))
    }

    /// The stored metadata of an object, for displays (no checks, no KMS call).
    pub fn inspect_object(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        self.object(bucket, key)
    }

    /// The plaintext data key of an SSE-S3 object (the S3 layer's key of a DSSE-KMS one),
    /// unwrapped with the root key as S3 does inside. For the lab's own secrets tests and for a
    /// step that shows it on purpose; never in a response. `None` for other modes.
    pub fn inspect_root_wrapped_data_key(
        &self,
        bucket: &str,
        key: &str,
    ) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        let meta = self.object(bucket, key).ok()?;
        let wrapped = match StoredEncryption::from_value(&meta.encryption).ok()? {
            StoredEncryption::SseS3 { data_key } => data_key,
            StoredEncryption::DsseKms { s3_layer, .. } => s3_layer,
            _ => return None,
        };
        let aad = crate::encryption::root_aad(bucket, key);
        self.root_keys.unwrap(&wrapped, &aad).ok()
    }

    /// Every object key of `bucket`, for the lab's inspections.
    pub fn inspect_keys(&self, bucket: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut after: Option<String> = None;
        // Bounded: a lab bucket holds far fewer than a million objects.
        for _ in 0..1000 {
            let Ok(batch) = self
                .storage
                .list_objects(bucket, "", after.as_deref(), 1000)
            else {
                break;
            };
            let Some(last) = batch.last().map(|m| m.key.clone()) else {
                break;
            };
            keys.extend(batch.into_iter().map(|m| m.key));
            after = Some(last);
        }
        keys
    }
}

/// Whether every `Resource` and `NotResource` of a bucket policy names `bucket` or its objects.
/// S3 refuses a policy for one bucket that names another ("Policy has invalid resource"). A
/// bucket name with wildcards is let through: what S3 makes of one was not seen.
fn policy_resources_in_bucket(policy: &Policy, bucket: &str) -> bool {
    policy.statements.iter().all(|statement| {
        let (s3lab_iam::ResourceSpec::Resource(list) | s3lab_iam::ResourceSpec::NotResource(list)) =
            &statement.resource;
        list.iter().all(|resource| {
            let named = resource
                .strip_prefix("arn:aws:s3:::")
                .map_or("", |rest| rest.split('/').next().unwrap_or(rest));
            named == bucket || named.contains(['*', '?'])
        })
    })
}
