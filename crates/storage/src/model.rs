//! The records the storage keeps. On disk each one is a pretty-printed JSON file whose field names
//! are the Rust field names below, so a learner can `cat` them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One bucket: `<root>/<bucket>/bucket.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    /// RFC 3339.
    pub created: String,
    pub region: String,
    pub owner: String,
    /// Per-bucket configuration that the S3 crate manages and this crate never interprets, for
    /// example `{"encryption": ..., "policy": ..., "history_unencrypted": ...}`.
    #[serde(default)]
    pub config: serde_json::Value,
}

/// One stretch of an object's stored bytes: the whole body of a single PUT, or one part of a
/// multipart object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The id of the blob that holds the stored (encrypted) bytes, chosen by the storage: the
    /// [`FinishedBlob::id`](crate::FinishedBlob::id) it was written as. 32 hex digits.
    pub blob: String,
    /// Bytes in the blob (ciphertext, with whatever framing the S3 crate adds).
    pub stored_len: u64,
    /// Bytes of plaintext the blob decrypts to.
    pub plain_len: u64,
    /// For a part of a multipart object, its part number.
    #[serde(default)]
    pub part_number: Option<u32>,
    /// The segment's own ETag (for a part: the part's ETag).
    pub etag: String,
    /// Per-segment encryption details, opaque to this crate.
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// An object's metadata: `<root>/<bucket>/objects/<name>.meta.json`, in plaintext on purpose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub bucket: String,
    /// The real key, whatever the file name had to turn it into.
    pub key: String,
    /// Plaintext size.
    pub size: u64,
    /// With the quotes, as S3 sends it.
    pub etag: String,
    /// RFC 3339.
    pub last_modified: String,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content_encoding: Option<String>,
    #[serde(default)]
    pub content_disposition: Option<String>,
    #[serde(default)]
    pub content_language: Option<String>,
    #[serde(default)]
    pub cache_control: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
    /// `x-amz-meta-*` headers: lower-case names without the prefix.
    #[serde(default)]
    pub user_metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Algorithm (`"CRC32"`, `"SHA256"`, ...) to base64 value.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
    pub storage_class: String,
    /// How the object is encrypted: defined by the S3 crate, opaque here.
    #[serde(default)]
    pub encryption: serde_json::Value,
    /// One for a single PUT, one per part for a multipart object, in order.
    #[serde(default)]
    pub segments: Vec<Segment>,
}

/// A multipart upload in progress: `<root>/<bucket>/uploads/<upload-id>/upload.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadRecord {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    /// RFC 3339.
    pub initiated: String,
    /// What CreateMultipartUpload fixed (metadata, encryption); its `segments` are unused.
    pub meta_template: ObjectMeta,
}

/// One uploaded part: `<root>/<bucket>/uploads/<upload-id>/part-00001.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartRecord {
    pub part_number: u32,
    pub segment: Segment,
    /// RFC 3339.
    pub last_modified: String,
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}
