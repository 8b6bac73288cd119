//! Bodies about objects: ListObjects (V2 and V1), CopyObject, DeleteObjects.

use serde::{Deserialize, Serialize};

use crate::{Owner, Timestamp, XmlError};

/// The ListObjectsV2 response, root `ListBucketResult`:
///
/// ```xml
/// <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>lab</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>a.txt</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;...&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>
/// ```
///
/// Order as in S3's responses: `Name`, `Prefix`, `StartAfter`, `ContinuationToken`,
/// `NextContinuationToken`, `KeyCount`, `MaxKeys`, `Delimiter`, `EncodingType`, `IsTruncated`,
/// all `Contents`, all `CommonPrefixes`. (Seen in captures: `Prefix` then
/// `NextContinuationToken` then `KeyCount`; `MaxKeys`, `Delimiter`, `EncodingType`,
/// `IsTruncated`. `StartAfter` and `ContinuationToken` directly after `Prefix` is from the AWS
/// documentation's examples.) `Prefix` is always written, empty when the request had none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ListBucketResult")]
pub struct ListBucketResult {
    /// `Name`: the bucket.
    #[serde(rename = "Name")]
    pub name: String,
    /// `Prefix`.
    #[serde(rename = "Prefix", default)]
    pub prefix: String,
    /// `StartAfter`: echoed when the request had `start-after`.
    #[serde(
        rename = "StartAfter",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_after: Option<String>,
    /// `ContinuationToken`: echoed when the request had `continuation-token`.
    #[serde(
        rename = "ContinuationToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub continuation_token: Option<String>,
    /// `NextContinuationToken`: present when truncated.
    #[serde(
        rename = "NextContinuationToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_continuation_token: Option<String>,
    /// `KeyCount`: the number of `Contents` and `CommonPrefixes` returned.
    #[serde(rename = "KeyCount")]
    pub key_count: u32,
    /// `MaxKeys`.
    #[serde(rename = "MaxKeys")]
    pub max_keys: u32,
    /// `Delimiter`: echoed when the request had one.
    #[serde(rename = "Delimiter", default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `EncodingType`: `url` when the request asked for it (keys and prefixes are then
    /// percent-encoded by the caller).
    #[serde(
        rename = "EncodingType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encoding_type: Option<String>,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// The `Contents` elements (flattened).
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Object>,
    /// The `CommonPrefixes` elements (flattened).
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// The ListObjects (V1) response, root `ListBucketResult`:
///
/// ```xml
/// <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>lab</Name><Prefix></Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>...</ListBucketResult>
/// ```
///
/// Order as in S3's responses: `Name`, `Prefix`, `Marker`, `NextMarker`, `MaxKeys`,
/// `Delimiter`, `EncodingType`, `IsTruncated`, all `Contents`, all `CommonPrefixes`.
/// (`NextMarker` directly after `Marker`, and `EncodingType` after `Delimiter`, are inferred.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ListBucketResult")]
pub struct ListBucketResultV1 {
    /// `Name`: the bucket.
    #[serde(rename = "Name")]
    pub name: String,
    /// `Prefix`.
    #[serde(rename = "Prefix", default)]
    pub prefix: String,
    /// `Marker`: always written, empty when the request had none.
    #[serde(rename = "Marker", default)]
    pub marker: String,
    /// `NextMarker`: when truncated and the request had a delimiter.
    #[serde(
        rename = "NextMarker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_marker: Option<String>,
    /// `MaxKeys`.
    #[serde(rename = "MaxKeys")]
    pub max_keys: u32,
    /// `Delimiter`.
    #[serde(rename = "Delimiter", default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `EncodingType`.
    #[serde(
        rename = "EncodingType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encoding_type: Option<String>,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// The `Contents` elements (flattened).
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Object>,
    /// The `CommonPrefixes` elements (flattened).
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// One `Contents` entry of a listing: `Key`, `LastModified`, `ETag`, `ChecksumAlgorithm`
/// (flattened, zero or more), `ChecksumType`, `Size`, `Owner` (with `fetch-owner=true`, and
/// always in V1), `StorageClass`.
///
/// `Owner` sits between `Size` and `StorageClass` in S3's responses (the API model puts it
/// last).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `LastModified`.
    #[serde(rename = "LastModified")]
    pub last_modified: Timestamp,
    /// `ETag`, with its quotes (`"..."`, written `&quot;...&quot;`).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumAlgorithm` elements, e.g. `CRC64NVME`.
    #[serde(rename = "ChecksumAlgorithm", default)]
    pub checksum_algorithm: Vec<String>,
    /// `ChecksumType`: `FULL_OBJECT` or `COMPOSITE`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
    /// `Size` in bytes.
    #[serde(rename = "Size")]
    pub size: u64,
    /// `Owner`.
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// `StorageClass`, e.g. `STANDARD`.
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
}

/// One `CommonPrefixes` entry: `<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonPrefix {
    /// `Prefix`.
    #[serde(rename = "Prefix")]
    pub prefix: String,
}

/// The CopyObject response, root `CopyObjectResult`:
///
/// ```xml
/// <CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;...&quot;</ETag></CopyObjectResult>
/// ```
///
/// `LastModified` before `ETag` as in S3's responses. The checksum elements follow in the API
/// model's order (`ChecksumType`, then the checksums); that order is not seen in a capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CopyObjectResult")]
pub struct CopyObjectResult {
    /// `LastModified`.
    #[serde(rename = "LastModified")]
    pub last_modified: Timestamp,
    /// `ETag`, with its quotes.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumType`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
    /// `ChecksumCRC32` (base64).
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C` (base64).
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME` (base64).
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1` (base64).
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256` (base64).
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}

/// The DeleteObjects request body, root `Delete`:
///
/// ```xml
/// <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.txt</Key></Object><Quiet>true</Quiet></Delete>
/// ```
///
/// `Object` is one or more in S3's schema, and at most [`Delete::MAX_OBJECTS`]; S3 answers
/// `MalformedXML` to zero or to more than 1,000 objects. Reading keeps any number so the caller
/// sees the count; [`Delete::check_object_count`] applies S3's rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Delete")]
pub struct Delete {
    /// The `Object` elements (flattened).
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
    /// `Quiet`: report only failures.
    #[serde(rename = "Quiet", default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<bool>,
}

impl Delete {
    /// The most objects one DeleteObjects request may name.
    pub const MAX_OBJECTS: usize = 1000;

    /// S3's rule for the number of `Object` elements: at least one, at most 1,000.
    ///
    /// # Errors
    ///
    /// [`XmlError::Invalid`] (S3's `MalformedXML`) otherwise.
    pub fn check_object_count(&self) -> Result<(), XmlError> {
        match self.objects.len() {
            0 => Err(XmlError::Invalid(
                "a Delete names at least one Object".to_owned(),
            )),
            n if n > Self::MAX_OBJECTS => Err(XmlError::Invalid(format!(
                "a Delete names at most {} objects, this one names {n}",
                Self::MAX_OBJECTS
            ))),
            _ => Ok(()),
        }
    }

    /// Whether `Quiet` is true (absent means false).
    pub fn is_quiet(&self) -> bool {
        self.quiet.unwrap_or(false)
    }
}

/// One `Object` of a DeleteObjects request: `Key`, and optionally `VersionId` and the
/// conditions `ETag`, `LastModifiedTime` and `Size`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectIdentifier {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `ETag`: delete only if the object's ETag matches.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `LastModifiedTime`: delete only if the object was last modified then.
    #[serde(
        rename = "LastModifiedTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_modified_time: Option<Timestamp>,
    /// `Size`: delete only if the object has this size.
    #[serde(rename = "Size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

/// The DeleteObjects response, root `DeleteResult`:
///
/// ```xml
/// <DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a.txt</Key></Deleted><Error><Key>b.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>
/// ```
///
/// All `Deleted` first, then all `Error`. In quiet mode with no failures the result is empty and
/// is written `<DeleteResult xmlns="..."/>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "DeleteResult")]
pub struct DeleteResult {
    /// The `Deleted` elements (flattened).
    #[serde(rename = "Deleted", default)]
    pub deleted: Vec<DeletedObject>,
    /// The `Error` elements (flattened).
    #[serde(rename = "Error", default)]
    pub errors: Vec<DeleteError>,
}

/// One `Deleted`: `Key`, `VersionId`, `DeleteMarker`, `DeleteMarkerVersionId`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedObject {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `DeleteMarker`.
    #[serde(
        rename = "DeleteMarker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_marker: Option<bool>,
    /// `DeleteMarkerVersionId`.
    #[serde(
        rename = "DeleteMarkerVersionId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_marker_version_id: Option<String>,
}

/// One `Error` of a DeleteObjects response: `Key`, `VersionId`, `Code`, `Message`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteError {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `Code`, e.g. `AccessDenied`.
    #[serde(rename = "Code")]
    pub code: String,
    /// `Message`, e.g. `Access Denied`.
    #[serde(rename = "Message")]
    pub message: String,
}
