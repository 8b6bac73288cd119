//! Bodies of multipart uploads: CreateMultipartUpload, CompleteMultipartUpload, UploadPartCopy,
//! ListParts, ListMultipartUploads.

use serde::{Deserialize, Serialize};

use crate::{CommonPrefix, Owner, Timestamp};

/// An `Initiator`: the same shape as an [`Owner`] (`ID`, then `DisplayName`); its `ID` is the
/// initiating principal, an IAM ARN for an IAM user or role.
pub type Initiator = Owner;

/// The CreateMultipartUpload response, root `InitiateMultipartUploadResult`:
///
/// ```xml
/// <InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>lab</Bucket><Key>big.bin</Key><UploadId>...</UploadId></InitiateMultipartUploadResult>
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "InitiateMultipartUploadResult")]
pub struct InitiateMultipartUploadResult {
    /// `Bucket`.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `UploadId`.
    #[serde(rename = "UploadId")]
    pub upload_id: String,
}

/// The CompleteMultipartUpload request body, root `CompleteMultipartUpload`:
///
/// ```xml
/// <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"..."</ETag><PartNumber>1</PartNumber><ChecksumCRC32>6Nvj7A==</ChecksumCRC32></Part></CompleteMultipartUpload>
/// ```
///
/// `Part` is one or more in S3's schema; reading keeps any number (zero included) so the caller
/// decides, and sees the order the parts came in (S3 answers `InvalidPartOrder` to parts not in
/// ascending order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CompleteMultipartUpload")]
pub struct CompleteMultipartUpload {
    /// The `Part` elements (flattened), in document order.
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPart>,
}

/// One `Part` of a CompleteMultipartUpload request. `PartNumber` and `ETag` are required; the
/// checksums are the part checksums the client computed (base64).
///
/// Written in the API model's member order (`ETag`, checksums, `PartNumber`), which is how the
/// AWS SDK for Rust sends it; botocore sends `ETag`, `PartNumber`, checksums. Both read the same.
/// `PartNumber` is the model's 32-bit integer, signed so that the caller can answer an
/// out-of-range number the way S3 does rather than with `MalformedXML`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedPart {
    /// `ETag`, as the client sent it (normally with quotes).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
    /// `PartNumber`.
    #[serde(rename = "PartNumber")]
    pub part_number: i32,
}

/// The CompleteMultipartUpload response, root `CompleteMultipartUploadResult`:
///
/// ```xml
/// <CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>https://lab.s3.us-east-1.amazonaws.com/big.bin</Location><Bucket>lab</Bucket><Key>big.bin</Key><ETag>&quot;...-2&quot;</ETag><ChecksumCRC64NVME>...</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>
/// ```
///
/// `Location`, `Bucket`, `Key`, `ETag` as in S3's responses, then the checksums and
/// `ChecksumType` in the API model's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CompleteMultipartUploadResult")]
pub struct CompleteMultipartUploadResult {
    /// `Location`: the URL of the new object.
    #[serde(rename = "Location")]
    pub location: String,
    /// `Bucket`.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `ETag`, with its quotes.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
    /// `ChecksumType`: `FULL_OBJECT` or `COMPOSITE`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
}

/// The UploadPartCopy response, root `CopyPartResult`: `LastModified`, `ETag`, then the part's
/// checksums (their position inferred from the API model).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CopyPartResult")]
pub struct CopyPartResult {
    /// `LastModified`.
    #[serde(rename = "LastModified")]
    pub last_modified: Timestamp,
    /// `ETag`, with its quotes.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}

/// The ListParts response, root `ListPartsResult`:
///
/// ```xml
/// <ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>lab</Bucket><Key>big.bin</Key><UploadId>...</UploadId><Initiator><ID>...</ID></Initiator><Owner><ID>...</ID></Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Part>...</Part></ListPartsResult>
/// ```
///
/// Order as in S3's responses: `Bucket`, `Key`, `UploadId`, `Initiator`, `Owner`,
/// `StorageClass`, `PartNumberMarker`, `NextPartNumberMarker`, `MaxParts`, `IsTruncated`, then
/// the `Part`s (the API model lists the parts before `Initiator`). `ChecksumAlgorithm` and
/// `ChecksumType` are placed after `IsTruncated`, before the parts: inferred, not seen in a
/// capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ListPartsResult")]
pub struct ListPartsResult {
    /// `Bucket`.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `UploadId`.
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    /// `Initiator`.
    #[serde(rename = "Initiator")]
    pub initiator: Initiator,
    /// `Owner`.
    #[serde(rename = "Owner")]
    pub owner: Owner,
    /// `StorageClass`.
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
    /// `PartNumberMarker`: the request's `part-number-marker`, 0 if none.
    #[serde(rename = "PartNumberMarker")]
    pub part_number_marker: u32,
    /// `NextPartNumberMarker`: the last part number listed (0 if none).
    #[serde(rename = "NextPartNumberMarker")]
    pub next_part_number_marker: u32,
    /// `MaxParts`.
    #[serde(rename = "MaxParts")]
    pub max_parts: u32,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// `ChecksumAlgorithm`: the upload's checksum algorithm, if it has one.
    #[serde(
        rename = "ChecksumAlgorithm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_algorithm: Option<String>,
    /// `ChecksumType`: `FULL_OBJECT` or `COMPOSITE`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
    /// The `Part` elements (flattened).
    #[serde(rename = "Part", default)]
    pub parts: Vec<Part>,
}

/// One `Part` of a ListParts response: `PartNumber`, `LastModified`, `ETag`, `Size`, then the
/// part's checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// `PartNumber`.
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    /// `LastModified`.
    #[serde(rename = "LastModified")]
    pub last_modified: Timestamp,
    /// `ETag`, with its quotes.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `Size` in bytes.
    #[serde(rename = "Size")]
    pub size: u64,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}

/// The ListMultipartUploads response, root `ListMultipartUploadsResult`:
///
/// ```xml
/// <ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>lab</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>big.bin</NextKeyMarker><NextUploadIdMarker>...</NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Upload>...</Upload></ListMultipartUploadsResult>
/// ```
///
/// Order as in S3's documentation examples: `Bucket`, `KeyMarker`, `UploadIdMarker`,
/// `NextKeyMarker`, `NextUploadIdMarker`, `Delimiter`, `Prefix`, `MaxUploads`, `IsTruncated`,
/// all `Upload`, all `CommonPrefixes`. The four markers are always written, empty when there is
/// nothing to say. `EncodingType` is placed after `Prefix` (inferred).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ListMultipartUploadsResult")]
pub struct ListMultipartUploadsResult {
    /// `Bucket`.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// `KeyMarker`.
    #[serde(rename = "KeyMarker", default)]
    pub key_marker: String,
    /// `UploadIdMarker`.
    #[serde(rename = "UploadIdMarker", default)]
    pub upload_id_marker: String,
    /// `NextKeyMarker`.
    #[serde(rename = "NextKeyMarker", default)]
    pub next_key_marker: String,
    /// `NextUploadIdMarker`.
    #[serde(rename = "NextUploadIdMarker", default)]
    pub next_upload_id_marker: String,
    /// `Delimiter`: echoed when the request had one.
    #[serde(rename = "Delimiter", default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `Prefix`: echoed when the request had one.
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `EncodingType`.
    #[serde(
        rename = "EncodingType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encoding_type: Option<String>,
    /// `MaxUploads`.
    #[serde(rename = "MaxUploads")]
    pub max_uploads: u32,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// The `Upload` elements (flattened).
    #[serde(rename = "Upload", default)]
    pub uploads: Vec<MultipartUpload>,
    /// The `CommonPrefixes` elements (flattened).
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// One `Upload` of a ListMultipartUploads response: `Key`, `UploadId`, `Initiator`, `Owner`,
/// `StorageClass`, `Initiated`, then `ChecksumAlgorithm` and `ChecksumType` (inferred).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultipartUpload {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `UploadId`.
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    /// `Initiator`.
    #[serde(rename = "Initiator")]
    pub initiator: Initiator,
    /// `Owner`.
    #[serde(rename = "Owner")]
    pub owner: Owner,
    /// `StorageClass`.
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
    /// `Initiated`.
    #[serde(rename = "Initiated")]
    pub initiated: Timestamp,
    /// `ChecksumAlgorithm`.
    #[serde(
        rename = "ChecksumAlgorithm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_algorithm: Option<String>,
    /// `ChecksumType`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
}
