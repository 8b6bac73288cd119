//! The XML bodies this service sends and reads, built from `s3lab-s3xml`'s typed values.

use s3lab_s3xml as x;
use s3lab_storage::{BucketRecord, PartRecord, UploadRecord};
use serde::Serialize;

use crate::encryption::BucketEncryption;
use crate::error::{S3Error, S3Result};
use crate::service::{parse_time, ListObjectsOutput};

fn ts(rfc3339: &str) -> x::Timestamp {
    x::Timestamp::new(parse_time(rfc3339).unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
}

fn render<T: Serialize>(root: &str, value: &T) -> String {
    x::to_xml(root, value).unwrap_or_else(|e| {
        tracing::error!(error = %e, root, "could not write an XML body");
        String::new()
    })
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> S3Result<T> {
    x::from_xml(body).map_err(|e| S3Error::new(e.http_status(), e.s3_code(), e.s3_message()))
}

fn owner(account: &str) -> x::Owner {
    x::Owner {
        id: account.to_owned(),
        display_name: None,
    }
}

pub fn error(e: &S3Error, request_id: &str, host_id: &str) -> String {
    x::error_xml(e.code, &e.message, &e.extra, request_id, host_id)
}

pub fn list_buckets(buckets: &[BucketRecord], account: &str) -> String {
    let value = x::ListAllMyBucketsResult {
        owner: owner(account),
        buckets: x::Buckets {
            bucket: buckets
                .iter()
                .map(|b| x::Bucket {
                    name: b.name.clone(),
                    creation_date: ts(&b.created),
                    bucket_region: Some(b.region.clone()),
                    bucket_arn: None,
                })
                .collect(),
        },
        continuation_token: None,
        prefix: None,
    };
    render("ListAllMyBucketsResult", &value)
}

pub fn parse_location(body: &[u8]) -> S3Result<String> {
    let c: x::CreateBucketConfiguration = parse(body)?;
    Ok(c.location_constraint.unwrap_or_default())
}

pub fn location(region: &str) -> String {
    // us-east-1 answers with an empty LocationConstraint.
    let region = (region != "us-east-1").then(|| region.to_owned());
    render("LocationConstraint", &x::LocationConstraint { region })
}

pub fn encryption(e: &BucketEncryption) -> String {
    let value = x::ServerSideEncryptionConfiguration {
        rules: vec![x::ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(x::ApplyServerSideEncryptionByDefault {
                sse_algorithm: e.sse_algorithm.clone(),
                kms_master_key_id: e.kms_master_key_id.clone(),
            }),
            bucket_key_enabled: Some(e.bucket_key_enabled),
            blocked_encryption_types: (!e.blocked_encryption_types.is_empty()).then(|| {
                x::BlockedEncryptionTypes {
                    encryption_type: e.blocked_encryption_types.clone(),
                }
            }),
        }],
    };
    render("ServerSideEncryptionConfiguration", &value)
}

/// PutBucketEncryption's body: exactly one rule with a default algorithm (reference section 4).
pub fn parse_encryption(body: &[u8]) -> S3Result<BucketEncryption> {
    let c: x::ServerSideEncryptionConfiguration = parse(body)?;
    let [rule] = c.rules.as_slice() else {
        return Err(S3Error::malformed_xml());
    };
    let default = rule
        .apply_server_side_encryption_by_default
        .as_ref()
        .ok_or_else(S3Error::malformed_xml)?;
    let blocked = rule
        .blocked_encryption_types
        .as_ref()
        .map(|b| b.encryption_type.clone())
        .unwrap_or_default();
    if blocked.iter().any(|t| t != "SSE-C" && t != "NONE") {
        return Err(S3Error::malformed_xml());
    }
    Ok(BucketEncryption {
        sse_algorithm: default.sse_algorithm.clone(),
        kms_master_key_id: default.kms_master_key_id.clone(),
        bucket_key_enabled: rule.bucket_key_enabled.unwrap_or(false),
        blocked_encryption_types: blocked,
    })
}

#[derive(Serialize)]
struct VersioningConfiguration {}

pub fn versioning() -> String {
    render("VersioningConfiguration", &VersioningConfiguration {})
}

pub struct ListParams<'a> {
    pub v2: bool,
    pub bucket: &'a str,
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub max_keys: usize,
    pub encoding_url: bool,
    pub continuation_token: Option<&'a str>,
    pub start_after: Option<&'a str>,
    pub marker: Option<&'a str>,
    pub next_continuation_token: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub out: &'a ListObjectsOutput,
}

fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2F", "/")
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
        .replace("%7E", "~")
}

pub fn list_objects(p: &ListParams) -> String {
    let enc = |s: &str| {
        if p.encoding_url {
            url_encode(s)
        } else {
            s.to_owned()
        }
    };
    let contents: Vec<x::Object> = p
        .out
        .contents
        .iter()
        .map(|o| x::Object {
            key: enc(&o.key),
            last_modified: ts(&o.last_modified),
            etag: o.etag.clone(),
            checksum_algorithm: o.checksum_algorithms.clone(),
            checksum_type: (!o.checksum_algorithms.is_empty()).then(|| "FULL_OBJECT".to_owned()),
            size: o.size,
            owner: p.owner.map(owner),
            storage_class: o.storage_class.clone(),
        })
        .collect();
    let common_prefixes: Vec<x::CommonPrefix> = p
        .out
        .common_prefixes
        .iter()
        .map(|c| x::CommonPrefix { prefix: enc(c) })
        .collect();
    if p.v2 {
        let value = x::ListBucketResult {
            name: p.bucket.to_owned(),
            prefix: enc(p.prefix),
            start_after: p.start_after.map(enc),
            continuation_token: p.continuation_token.map(str::to_owned),
            next_continuation_token: p.next_continuation_token.map(str::to_owned),
            key_count: (contents.len() + common_prefixes.len()) as u32,
            max_keys: p.max_keys as u32,
            delimiter: p.delimiter.map(enc),
            encoding_type: p.encoding_url.then(|| "url".to_owned()),
            is_truncated: p.out.is_truncated,
            contents,
            common_prefixes,
        };
        render("ListBucketResult", &value)
    } else {
        let value = x::ListBucketResultV1 {
            name: p.bucket.to_owned(),
            prefix: enc(p.prefix),
            marker: p.marker.map(enc).unwrap_or_default(),
            next_marker: p
                .out
                .next_after
                .as_deref()
                .filter(|_| p.out.is_truncated && p.delimiter.is_some())
                .map(enc),
            max_keys: p.max_keys as u32,
            delimiter: p.delimiter.map(enc),
            encoding_type: p.encoding_url.then(|| "url".to_owned()),
            is_truncated: p.out.is_truncated,
            contents,
            common_prefixes,
        };
        render("ListBucketResult", &value)
    }
}

pub fn initiate(bucket: &str, key: &str, upload_id: &str) -> String {
    render(
        "InitiateMultipartUploadResult",
        &x::InitiateMultipartUploadResult {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: upload_id.to_owned(),
        },
    )
}

/// CompleteMultipartUpload's part list: (number, ETag) pairs in the order given.
pub fn parse_complete(body: &[u8]) -> S3Result<Vec<(u32, String)>> {
    let c: x::CompleteMultipartUpload = parse(body)?;
    c.parts
        .into_iter()
        .map(|p| {
            u32::try_from(p.part_number)
                .map(|n| (n, p.etag))
                .map_err(|_| {
                    S3Error::invalid_argument(
                        "Part number must be an integer between 1 and 10000, inclusive",
                    )
                    .argument("partNumber", &p.part_number.to_string())
                })
        })
        .collect()
}

pub fn complete_result(location: &str, bucket: &str, key: &str, etag: &str) -> String {
    let value = x::CompleteMultipartUploadResult {
        location: location.to_owned(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        etag: etag.to_owned(),
        ..Default::default()
    };
    render("CompleteMultipartUploadResult", &value)
}

fn checksum(map: &std::collections::BTreeMap<String, String>, name: &str) -> Option<String> {
    map.get(name).cloned()
}

pub fn copy_result(root: &str, last_modified: &str, etag: &str) -> String {
    if root == "CopyPartResult" {
        let value = x::CopyPartResult {
            last_modified: ts(last_modified),
            etag: etag.to_owned(),
            checksum_crc32: None,
            checksum_crc32c: None,
            checksum_crc64nvme: None,
            checksum_sha1: None,
            checksum_sha256: None,
        };
        render(root, &value)
    } else {
        let value = x::CopyObjectResult {
            last_modified: ts(last_modified),
            etag: etag.to_owned(),
            checksum_type: None,
            checksum_crc32: None,
            checksum_crc32c: None,
            checksum_crc64nvme: None,
            checksum_sha1: None,
            checksum_sha256: None,
        };
        render(root, &value)
    }
}

pub fn list_parts(upload: &UploadRecord, parts: &[PartRecord], account: &str) -> String {
    let value = x::ListPartsResult {
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        upload_id: upload.upload_id.clone(),
        initiator: x::Initiator {
            id: account.to_owned(),
            display_name: None,
        },
        owner: owner(account),
        storage_class: upload.meta_template.storage_class.clone(),
        part_number_marker: 0,
        next_part_number_marker: parts.last().map_or(0, |p| p.part_number),
        max_parts: 1000,
        is_truncated: false,
        parts: parts
            .iter()
            .map(|p| x::Part {
                part_number: p.part_number,
                last_modified: ts(&p.last_modified),
                etag: p.segment.etag.clone(),
                size: p.segment.plain_len,
                checksum_crc32: checksum(&p.checksums, "CRC32"),
                checksum_crc32c: checksum(&p.checksums, "CRC32C"),
                checksum_crc64nvme: checksum(&p.checksums, "CRC64NVME"),
                checksum_sha1: checksum(&p.checksums, "SHA1"),
                checksum_sha256: checksum(&p.checksums, "SHA256"),
            })
            .collect(),
        checksum_algorithm: None,
        checksum_type: None,
    };
    render("ListPartsResult", &value)
}

pub fn list_uploads(bucket: &str, uploads: &[UploadRecord], account: &str) -> String {
    let value = x::ListMultipartUploadsResult {
        bucket: bucket.to_owned(),
        max_uploads: 1000,
        is_truncated: false,
        uploads: uploads
            .iter()
            .map(|u| x::MultipartUpload {
                key: u.key.clone(),
                upload_id: u.upload_id.clone(),
                initiator: x::Initiator {
                    id: account.to_owned(),
                    display_name: None,
                },
                owner: owner(account),
                storage_class: u.meta_template.storage_class.clone(),
                initiated: ts(&u.initiated),
                checksum_algorithm: None,
                checksum_type: None,
            })
            .collect(),
        ..Default::default()
    };
    render("ListMultipartUploadsResult", &value)
}

/// DeleteObjects' request: whether quiet, and the keys (at most 1000).
pub fn parse_delete(body: &[u8]) -> S3Result<(bool, Vec<String>)> {
    let d: x::Delete = parse(body)?;
    if d.objects.is_empty() || d.objects.len() > 1000 {
        return Err(S3Error::malformed_xml());
    }
    Ok((
        d.quiet.unwrap_or(false),
        d.objects.into_iter().map(|o| o.key).collect(),
    ))
}

pub fn delete_result(deleted: &[String], errors: &[(String, String, String)]) -> String {
    let value = x::DeleteResult {
        deleted: deleted
            .iter()
            .map(|k| x::DeletedObject {
                key: k.clone(),
                ..Default::default()
            })
            .collect(),
        errors: errors
            .iter()
            .map(|(k, c, m)| x::DeleteError {
                key: k.clone(),
                code: c.clone(),
                message: m.clone(),
                ..Default::default()
            })
            .collect(),
    };
    render("DeleteResult", &value)
}
