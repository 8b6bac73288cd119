//! Golden bodies for every response type: exactly the bytes S3 sends, with deterministic values
//! (the lab's clock stands at 2026-01-01). Where the AWS documentation has an example, the
//! golden follows it, with its pretty-printing removed (S3 writes one line after the
//! declaration) and its ETag quotes escaped as S3 escapes them. Every golden also reads back
//! into the value it was written from.

use std::fmt::Debug;

use s3lab_s3xml::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

/// 2026-01-01T00:00:00.000Z plus `seconds`.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis((1_767_225_600 + seconds) * 1000).expect("a valid timestamp")
}

fn owner(id: &str, name: Option<&str>) -> Owner {
    Owner {
        id: id.to_owned(),
        display_name: name.map(str::to_owned),
    }
}

/// Writes `value` under `root`, compares with `expected` (declaration added), and reads it back.
fn golden<T>(root: &str, value: &T, expected: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let written = to_xml(root, value).expect("the value is written");
    assert_eq!(written, format!("{DECL}{expected}"));
    let read: T = from_xml(written.as_bytes()).expect("the golden reads back");
    assert_eq!(&read, value);
}

fn object(key: &str, seconds: i64, etag: &str, size: u64) -> Object {
    Object {
        key: key.to_owned(),
        last_modified: at(seconds),
        etag: etag.to_owned(),
        checksum_algorithm: Vec::new(),
        checksum_type: None,
        size,
        owner: None,
        storage_class: "STANDARD".to_owned(),
    }
}

// ── Error ──────────────────────────────────────────────────────────────────────────────────

#[test]
fn error_body_has_no_namespace_and_extras_between_message_and_request_id() {
    let body = error_xml(
        "NoSuchKey",
        "The specified key does not exist.",
        &[("Key", "photos/2006/February/sample.jpg".to_owned())],
        "4442587FB7D0A2F9",
        "ut0d7vvDuJyDgk6Yy0TcCsWNTCwwyJaHOx3eS6cqBhd5N8KMZRhOgMkXiBkzs43rwhLs2XnIaYE=",
    );
    assert_eq!(
        body,
        format!(
            "{DECL}<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
             <Key>photos/2006/February/sample.jpg</Key><RequestId>4442587FB7D0A2F9</RequestId>\
             <HostId>ut0d7vvDuJyDgk6Yy0TcCsWNTCwwyJaHOx3eS6cqBhd5N8KMZRhOgMkXiBkzs43rwhLs2XnIaYE=</HostId></Error>"
        )
    );
}

#[test]
fn error_body_keeps_the_extras_in_the_given_order() {
    let body = error_xml(
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
        &[
            ("ArgumentName", "partNumber".to_owned()),
            ("ArgumentValue", "0".to_owned()),
        ],
        "REQ",
        "HOST",
    );
    assert_eq!(
        body,
        format!(
            "{DECL}<Error><Code>InvalidArgument</Code>\
             <Message>Part number must be an integer between 1 and 10000, inclusive</Message>\
             <ArgumentName>partNumber</ArgumentName><ArgumentValue>0</ArgumentValue>\
             <RequestId>REQ</RequestId><HostId>HOST</HostId></Error>"
        )
    );
    let read: ErrorResponse = from_xml(body.as_bytes()).expect("reads back");
    assert_eq!(read.code, "InvalidArgument");
    assert_eq!(
        read.extra,
        [
            ("ArgumentName".to_owned(), "partNumber".to_owned()),
            ("ArgumentValue".to_owned(), "0".to_owned())
        ]
    );
    assert_eq!(read.request_id, "REQ");
    assert_eq!(read.host_id, "HOST");
}

#[test]
fn malformed_xml_error_body() {
    let error = from_xml::<Delete>(b"not xml").expect_err("not XML");
    assert_eq!(error.s3_code(), "MalformedXML");
    assert_eq!(error.http_status(), 400);
    assert_eq!(
        error.to_error_xml("REQ", "HOST"),
        format!(
            "{DECL}<Error><Code>MalformedXML</Code><Message>The XML you provided was not \
             well-formed or did not validate against our published schema</Message>\
             <RequestId>REQ</RequestId><HostId>HOST</HostId></Error>"
        )
    );
}

// ── ListBuckets ────────────────────────────────────────────────────────────────────────────

#[test]
fn list_all_my_buckets_result() {
    let value = ListAllMyBucketsResult {
        owner: owner(
            "bcaf1ffd86f461ca5fb16fd081034f7aa9ca6e77a3c4a9b8f1b7f3a4d0e0f1a2",
            Some("webfile"),
        ),
        buckets: Buckets {
            bucket: vec![
                Bucket {
                    name: "quotes".to_owned(),
                    creation_date: at(0),
                    bucket_region: Some("us-east-1".to_owned()),
                    bucket_arn: None,
                },
                Bucket {
                    name: "samples".to_owned(),
                    creation_date: at(61),
                    bucket_region: Some("eu-west-1".to_owned()),
                    bucket_arn: None,
                },
            ],
        },
        continuation_token: None,
        prefix: None,
    };
    golden(
        "ListAllMyBucketsResult",
        &value,
        &format!(
            "<ListAllMyBucketsResult {NS}><Owner>\
             <ID>bcaf1ffd86f461ca5fb16fd081034f7aa9ca6e77a3c4a9b8f1b7f3a4d0e0f1a2</ID>\
             <DisplayName>webfile</DisplayName></Owner><Buckets>\
             <Bucket><Name>quotes</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate>\
             <BucketRegion>us-east-1</BucketRegion></Bucket>\
             <Bucket><Name>samples</Name><CreationDate>2026-01-01T00:01:01.000Z</CreationDate>\
             <BucketRegion>eu-west-1</BucketRegion></Bucket>\
             </Buckets></ListAllMyBucketsResult>"
        ),
    );
}

#[test]
fn list_all_my_buckets_result_with_no_buckets_and_no_display_name() {
    let value = ListAllMyBucketsResult {
        owner: owner("owner-id", None),
        ..ListAllMyBucketsResult::default()
    };
    golden(
        "ListAllMyBucketsResult",
        &value,
        &format!(
            "<ListAllMyBucketsResult {NS}><Owner><ID>owner-id</ID></Owner><Buckets></Buckets>\
             </ListAllMyBucketsResult>"
        ),
    );
}

// ── ListObjectsV2 and ListObjects ──────────────────────────────────────────────────────────

#[test]
fn list_objects_v2_plain_listing_with_checksums() {
    let mut a = object("aaa", 0, "\"0cc175b9c0f1b6a831c399e269772661\"", 1);
    a.checksum_algorithm = vec!["CRC64NVME".to_owned()];
    a.checksum_type = Some("FULL_OBJECT".to_owned());
    let value = ListBucketResult {
        name: "lab".to_owned(),
        prefix: String::new(),
        start_after: None,
        continuation_token: None,
        next_continuation_token: Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=".to_owned()),
        key_count: 1,
        max_keys: 1,
        delimiter: None,
        encoding_type: None,
        is_truncated: true,
        contents: vec![a],
        common_prefixes: Vec::new(),
    };
    golden(
        "ListBucketResult",
        &value,
        &format!(
            "<ListBucketResult {NS}><Name>lab</Name><Prefix></Prefix>\
             <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\
             <KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated>\
             <Contents><Key>aaa</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>\
             <ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>\
             <Size>1</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"
        ),
    );
}

#[test]
fn list_objects_v2_with_delimiter_encoding_and_common_prefixes() {
    let value = ListBucketResult {
        name: "example-bucket".to_owned(),
        prefix: String::new(),
        start_after: None,
        continuation_token: Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=".to_owned()),
        next_continuation_token: None,
        key_count: 3,
        max_keys: 1000,
        delimiter: Some("/".to_owned()),
        encoding_type: Some("url".to_owned()),
        is_truncated: false,
        contents: vec![object(
            "sample.jpg",
            0,
            "\"bf1d737a4d46a19f3bced6905cc8b902\"",
            142_863,
        )],
        common_prefixes: vec![
            CommonPrefix {
                prefix: "photos/".to_owned(),
            },
            CommonPrefix {
                prefix: "videos/".to_owned(),
            },
        ],
    };
    golden(
        "ListBucketResult",
        &value,
        &format!(
            "<ListBucketResult {NS}><Name>example-bucket</Name><Prefix></Prefix>\
             <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>\
             <KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>\
             <EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>\
             <Contents><Key>sample.jpg</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;bf1d737a4d46a19f3bced6905cc8b902&quot;</ETag><Size>142863</Size>\
             <StorageClass>STANDARD</StorageClass></Contents>\
             <CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>\
             <CommonPrefixes><Prefix>videos/</Prefix></CommonPrefixes></ListBucketResult>"
        ),
    );
}

#[test]
fn list_objects_v2_start_after_and_fetch_owner() {
    let mut entry = object(
        "ExampleObject.txt",
        30,
        "\"599bab3ed2c697f1d26842727561fd94\"",
        857,
    );
    entry.owner = Some(owner("owner-id", None));
    let value = ListBucketResult {
        name: "quotes".to_owned(),
        prefix: "E".to_owned(),
        start_after: Some("ExampleGuide.pdf".to_owned()),
        continuation_token: None,
        next_continuation_token: None,
        key_count: 1,
        max_keys: 3,
        delimiter: None,
        encoding_type: None,
        is_truncated: false,
        contents: vec![entry],
        common_prefixes: Vec::new(),
    };
    golden(
        "ListBucketResult",
        &value,
        &format!(
            "<ListBucketResult {NS}><Name>quotes</Name><Prefix>E</Prefix>\
             <StartAfter>ExampleGuide.pdf</StartAfter><KeyCount>1</KeyCount><MaxKeys>3</MaxKeys>\
             <IsTruncated>false</IsTruncated><Contents><Key>ExampleObject.txt</Key>\
             <LastModified>2026-01-01T00:00:30.000Z</LastModified>\
             <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag><Size>857</Size>\
             <Owner><ID>owner-id</ID></Owner><StorageClass>STANDARD</StorageClass></Contents>\
             </ListBucketResult>"
        ),
    );
}

#[test]
fn list_objects_v2_empty_bucket() {
    let value = ListBucketResult {
        name: "lab".to_owned(),
        prefix: String::new(),
        start_after: None,
        continuation_token: None,
        next_continuation_token: None,
        key_count: 0,
        max_keys: 1000,
        delimiter: None,
        encoding_type: None,
        is_truncated: false,
        contents: Vec::new(),
        common_prefixes: Vec::new(),
    };
    golden(
        "ListBucketResult",
        &value,
        &format!(
            "<ListBucketResult {NS}><Name>lab</Name><Prefix></Prefix><KeyCount>0</KeyCount>\
             <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"
        ),
    );
}

#[test]
fn list_objects_v1_with_owner_between_size_and_storage_class() {
    let mut entry = object("HCP/", 0, "\"d41d8cd98f00b204e9800998ecf8427e\"", 0);
    entry.owner = Some(owner("owner-id", Some("lab")));
    let value = ListBucketResultV1 {
        name: "hcp-openaccess".to_owned(),
        prefix: "HCP/".to_owned(),
        marker: String::new(),
        next_marker: None,
        max_keys: 1000,
        delimiter: Some("/".to_owned()),
        encoding_type: None,
        is_truncated: false,
        contents: vec![entry],
        common_prefixes: vec![CommonPrefix {
            prefix: "HCP/100206/".to_owned(),
        }],
    };
    golden(
        "ListBucketResult",
        &value,
        &format!(
            "<ListBucketResult {NS}><Name>hcp-openaccess</Name><Prefix>HCP/</Prefix>\
             <Marker></Marker><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>\
             <IsTruncated>false</IsTruncated><Contents><Key>HCP/</Key>\
             <LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>\
             <Owner><ID>owner-id</ID><DisplayName>lab</DisplayName></Owner>\
             <StorageClass>STANDARD</StorageClass></Contents>\
             <CommonPrefixes><Prefix>HCP/100206/</Prefix></CommonPrefixes></ListBucketResult>"
        ),
    );
}

#[test]
fn list_objects_v1_truncated_with_next_marker() {
    let value = ListBucketResultV1 {
        name: "lab".to_owned(),
        prefix: String::new(),
        marker: "a".to_owned(),
        next_marker: Some("b/".to_owned()),
        max_keys: 1,
        delimiter: Some("/".to_owned()),
        encoding_type: None,
        is_truncated: true,
        contents: Vec::new(),
        common_prefixes: vec![CommonPrefix {
            prefix: "b/".to_owned(),
        }],
    };
    golden(
        "ListBucketResult",
        &value,
        &format!(
            "<ListBucketResult {NS}><Name>lab</Name><Prefix></Prefix><Marker>a</Marker>\
             <NextMarker>b/</NextMarker><MaxKeys>1</MaxKeys><Delimiter>/</Delimiter>\
             <IsTruncated>true</IsTruncated><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>\
             </ListBucketResult>"
        ),
    );
}

// ── GetBucketLocation ──────────────────────────────────────────────────────────────────────

#[test]
fn location_constraint_with_a_region() {
    golden(
        "LocationConstraint",
        &LocationConstraint {
            region: Some("eu-west-1".to_owned()),
        },
        &format!("<LocationConstraint {NS}>eu-west-1</LocationConstraint>"),
    );
}

#[test]
fn location_constraint_for_us_east_1_is_self_closing() {
    golden(
        "LocationConstraint",
        &LocationConstraint { region: None },
        &format!("<LocationConstraint {NS}/>"),
    );
}

// ── Multipart ──────────────────────────────────────────────────────────────────────────────

#[test]
fn initiate_multipart_upload_result() {
    golden(
        "InitiateMultipartUploadResult",
        &InitiateMultipartUploadResult {
            bucket: "example-bucket".to_owned(),
            key: "example-object".to_owned(),
            upload_id: "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA".to_owned(),
        },
        &format!(
            "<InitiateMultipartUploadResult {NS}><Bucket>example-bucket</Bucket>\
             <Key>example-object</Key>\
             <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\
             </InitiateMultipartUploadResult>"
        ),
    );
}

#[test]
fn complete_multipart_upload_result() {
    golden(
        "CompleteMultipartUploadResult",
        &CompleteMultipartUploadResult {
            location: "http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object".to_owned(),
            bucket: "Example-Bucket".to_owned(),
            key: "Example-Object".to_owned(),
            etag: "\"3858f62230ac3c915f300c664312c11f-9\"".to_owned(),
            ..CompleteMultipartUploadResult::default()
        },
        &format!(
            "<CompleteMultipartUploadResult {NS}>\
             <Location>http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object</Location>\
             <Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>\
             <ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>\
             </CompleteMultipartUploadResult>"
        ),
    );
}

#[test]
fn complete_multipart_upload_result_with_a_full_object_checksum() {
    golden(
        "CompleteMultipartUploadResult",
        &CompleteMultipartUploadResult {
            location: "https://lab.s3.us-east-1.amazonaws.com/big.bin".to_owned(),
            bucket: "lab".to_owned(),
            key: "big.bin".to_owned(),
            etag: "\"a7d414b9133d6483d9a1c4e04e856e3b-2\"".to_owned(),
            checksum_crc64nvme: Some("AAAAAAAAAAA=".to_owned()),
            checksum_type: Some("FULL_OBJECT".to_owned()),
            ..CompleteMultipartUploadResult::default()
        },
        &format!(
            "<CompleteMultipartUploadResult {NS}>\
             <Location>https://lab.s3.us-east-1.amazonaws.com/big.bin</Location>\
             <Bucket>lab</Bucket><Key>big.bin</Key>\
             <ETag>&quot;a7d414b9133d6483d9a1c4e04e856e3b-2&quot;</ETag>\
             <ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>\
             </CompleteMultipartUploadResult>"
        ),
    );
}

#[test]
fn copy_object_result() {
    golden(
        "CopyObjectResult",
        &CopyObjectResult {
            last_modified: at(0),
            etag: "\"058814ea8b2012a217c0abbda8bf6a74\"".to_owned(),
            checksum_type: None,
            checksum_crc32: None,
            checksum_crc32c: None,
            checksum_crc64nvme: None,
            checksum_sha1: None,
            checksum_sha256: None,
        },
        &format!(
            "<CopyObjectResult {NS}><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;058814ea8b2012a217c0abbda8bf6a74&quot;</ETag></CopyObjectResult>"
        ),
    );
}

#[test]
fn copy_object_result_with_a_checksum() {
    golden(
        "CopyObjectResult",
        &CopyObjectResult {
            last_modified: at(0),
            etag: "\"058814ea8b2012a217c0abbda8bf6a74\"".to_owned(),
            checksum_type: Some("FULL_OBJECT".to_owned()),
            checksum_crc32: None,
            checksum_crc32c: None,
            checksum_crc64nvme: Some("AAAAAAAAAAA=".to_owned()),
            checksum_sha1: None,
            checksum_sha256: None,
        },
        &format!(
            "<CopyObjectResult {NS}><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;058814ea8b2012a217c0abbda8bf6a74&quot;</ETag>\
             <ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>\
             </CopyObjectResult>"
        ),
    );
}

#[test]
fn copy_part_result() {
    golden(
        "CopyPartResult",
        &CopyPartResult {
            last_modified: at(0),
            etag: "\"b54357faf0632cce46e942fa68356b38\"".to_owned(),
            checksum_crc32: Some("6Nvj7A==".to_owned()),
            checksum_crc32c: None,
            checksum_crc64nvme: None,
            checksum_sha1: None,
            checksum_sha256: None,
        },
        &format!(
            "<CopyPartResult {NS}><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;b54357faf0632cce46e942fa68356b38&quot;</ETag>\
             <ChecksumCRC32>6Nvj7A==</ChecksumCRC32></CopyPartResult>"
        ),
    );
}

fn part(number: u32, seconds: i64, etag: &str, size: u64) -> Part {
    Part {
        part_number: number,
        last_modified: at(seconds),
        etag: etag.to_owned(),
        size,
        checksum_crc32: None,
        checksum_crc32c: None,
        checksum_crc64nvme: None,
        checksum_sha1: None,
        checksum_sha256: None,
    }
}

#[test]
fn list_parts_result() {
    let value = ListPartsResult {
        bucket: "example-bucket".to_owned(),
        key: "example-object".to_owned(),
        upload_id: "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA".to_owned(),
        initiator: owner(
            "arn:aws:iam::111122223333:user/some-user",
            Some("some-user"),
        ),
        owner: owner(
            "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
            Some("someName"),
        ),
        storage_class: "STANDARD".to_owned(),
        part_number_marker: 1,
        next_part_number_marker: 3,
        max_parts: 2,
        is_truncated: true,
        checksum_algorithm: None,
        checksum_type: None,
        parts: vec![
            part(2, 34, "\"7778aef83f66abc1fa1e8477f296d394\"", 10_485_760),
            part(3, 35, "\"aaaa18db4cc2f85cedef654fccc4a4x8\"", 10_485_760),
        ],
    };
    golden(
        "ListPartsResult",
        &value,
        &format!(
            "<ListPartsResult {NS}><Bucket>example-bucket</Bucket><Key>example-object</Key>\
             <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>\
             <Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID>\
             <DisplayName>some-user</DisplayName></Initiator>\
             <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\
             <DisplayName>someName</DisplayName></Owner><StorageClass>STANDARD</StorageClass>\
             <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>\
             <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>\
             <Part><PartNumber>2</PartNumber><LastModified>2026-01-01T00:00:34.000Z</LastModified>\
             <ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>10485760</Size></Part>\
             <Part><PartNumber>3</PartNumber><LastModified>2026-01-01T00:00:35.000Z</LastModified>\
             <ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4x8&quot;</ETag><Size>10485760</Size></Part>\
             </ListPartsResult>"
        ),
    );
}

#[test]
fn list_parts_result_with_checksums() {
    let mut first = part(1, 0, "\"0cc175b9c0f1b6a831c399e269772661\"", 5_242_880);
    first.checksum_crc32 = Some("6Nvj7A==".to_owned());
    let value = ListPartsResult {
        bucket: "lab".to_owned(),
        key: "big.bin".to_owned(),
        upload_id: "upload-1".to_owned(),
        initiator: owner("owner-id", None),
        owner: owner("owner-id", None),
        storage_class: "STANDARD".to_owned(),
        part_number_marker: 0,
        next_part_number_marker: 1,
        max_parts: 1000,
        is_truncated: false,
        checksum_algorithm: Some("CRC32".to_owned()),
        checksum_type: Some("COMPOSITE".to_owned()),
        parts: vec![first],
    };
    golden(
        "ListPartsResult",
        &value,
        &format!(
            "<ListPartsResult {NS}><Bucket>lab</Bucket><Key>big.bin</Key>\
             <UploadId>upload-1</UploadId><Initiator><ID>owner-id</ID></Initiator>\
             <Owner><ID>owner-id</ID></Owner><StorageClass>STANDARD</StorageClass>\
             <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker>\
             <MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>\
             <ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>\
             <Part><PartNumber>1</PartNumber><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>5242880</Size>\
             <ChecksumCRC32>6Nvj7A==</ChecksumCRC32></Part></ListPartsResult>"
        ),
    );
}

fn upload(key: &str, id: &str, seconds: i64) -> MultipartUpload {
    MultipartUpload {
        key: key.to_owned(),
        upload_id: id.to_owned(),
        initiator: owner("arn:aws:iam::111122223333:user/user1", Some("user1")),
        owner: owner("owner-id", Some("OwnerDisplayName")),
        storage_class: "STANDARD".to_owned(),
        initiated: at(seconds),
        checksum_algorithm: None,
        checksum_type: None,
    }
}

#[test]
fn list_multipart_uploads_result() {
    let value = ListMultipartUploadsResult {
        bucket: "bucket".to_owned(),
        key_marker: String::new(),
        upload_id_marker: String::new(),
        next_key_marker: "my-movie.m2ts".to_owned(),
        next_upload_id_marker: "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ".to_owned(),
        delimiter: None,
        prefix: None,
        encoding_type: None,
        max_uploads: 3,
        is_truncated: true,
        uploads: vec![upload(
            "my-divisor",
            "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw",
            33,
        )],
        common_prefixes: Vec::new(),
    };
    golden(
        "ListMultipartUploadsResult",
        &value,
        &format!(
            "<ListMultipartUploadsResult {NS}><Bucket>bucket</Bucket><KeyMarker></KeyMarker>\
             <UploadIdMarker></UploadIdMarker><NextKeyMarker>my-movie.m2ts</NextKeyMarker>\
             <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>\
             <MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated><Upload>\
             <Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>\
             <Initiator><ID>arn:aws:iam::111122223333:user/user1</ID><DisplayName>user1</DisplayName>\
             </Initiator><Owner><ID>owner-id</ID><DisplayName>OwnerDisplayName</DisplayName></Owner>\
             <StorageClass>STANDARD</StorageClass><Initiated>2026-01-01T00:00:33.000Z</Initiated>\
             </Upload></ListMultipartUploadsResult>"
        ),
    );
}

#[test]
fn list_multipart_uploads_result_with_prefix_and_delimiter() {
    let value = ListMultipartUploadsResult {
        bucket: "example-bucket".to_owned(),
        next_key_marker: "sample.jpg".to_owned(),
        next_upload_id_marker: "Xgw4MJT6ZPAVxpY0SAuGN7q4uWJJM22ZYg1W99trdp4tpO88.PT6".to_owned(),
        delimiter: Some("/".to_owned()),
        prefix: Some("photos/2006/".to_owned()),
        max_uploads: 1000,
        common_prefixes: vec![
            CommonPrefix {
                prefix: "photos/2006/February/".to_owned(),
            },
            CommonPrefix {
                prefix: "photos/2006/January/".to_owned(),
            },
        ],
        ..ListMultipartUploadsResult::default()
    };
    golden(
        "ListMultipartUploadsResult",
        &value,
        &format!(
            "<ListMultipartUploadsResult {NS}><Bucket>example-bucket</Bucket>\
             <KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>\
             <NextKeyMarker>sample.jpg</NextKeyMarker>\
             <NextUploadIdMarker>Xgw4MJT6ZPAVxpY0SAuGN7q4uWJJM22ZYg1W99trdp4tpO88.PT6</NextUploadIdMarker>\
             <Delimiter>/</Delimiter><Prefix>photos/2006/</Prefix><MaxUploads>1000</MaxUploads>\
             <IsTruncated>false</IsTruncated>\
             <CommonPrefixes><Prefix>photos/2006/February/</Prefix></CommonPrefixes>\
             <CommonPrefixes><Prefix>photos/2006/January/</Prefix></CommonPrefixes>\
             </ListMultipartUploadsResult>"
        ),
    );
}

// ── DeleteObjects ──────────────────────────────────────────────────────────────────────────

#[test]
fn delete_result() {
    golden(
        "DeleteResult",
        &DeleteResult {
            deleted: vec![DeletedObject {
                key: "sample1.txt".to_owned(),
                ..DeletedObject::default()
            }],
            errors: vec![DeleteError {
                key: "sample2.txt".to_owned(),
                version_id: None,
                code: "AccessDenied".to_owned(),
                message: "Access Denied".to_owned(),
            }],
        },
        &format!(
            "<DeleteResult {NS}><Deleted><Key>sample1.txt</Key></Deleted>\
             <Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message>\
             </Error></DeleteResult>"
        ),
    );
}

#[test]
fn delete_result_with_versions_and_delete_markers() {
    golden(
        "DeleteResult",
        &DeleteResult {
            deleted: vec![
                DeletedObject {
                    key: "SampleDocument.txt".to_owned(),
                    version_id: Some("OYcLXagmS.WaD..oyH4KRguB95_YhLs7".to_owned()),
                    ..DeletedObject::default()
                },
                DeletedObject {
                    key: "SampleDocument.txt".to_owned(),
                    version_id: None,
                    delete_marker: Some(true),
                    delete_marker_version_id: Some("NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s".to_owned()),
                },
            ],
            errors: Vec::new(),
        },
        &format!(
            "<DeleteResult {NS}><Deleted><Key>SampleDocument.txt</Key>\
             <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId></Deleted>\
             <Deleted><Key>SampleDocument.txt</Key><DeleteMarker>true</DeleteMarker>\
             <DeleteMarkerVersionId>NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s</DeleteMarkerVersionId>\
             </Deleted></DeleteResult>"
        ),
    );
}

#[test]
fn quiet_delete_result_without_failures_is_an_empty_root() {
    golden(
        "DeleteResult",
        &DeleteResult::default(),
        &format!("<DeleteResult {NS}/>"),
    );
}

// ── Bucket encryption and tagging ──────────────────────────────────────────────────────────

#[test]
fn get_bucket_encryption_default_sse_s3() {
    golden(
        "ServerSideEncryptionConfiguration",
        &ServerSideEncryptionConfiguration {
            rules: vec![ServerSideEncryptionRule {
                apply_server_side_encryption_by_default: Some(ApplyServerSideEncryptionByDefault {
                    sse_algorithm: "AES256".to_owned(),
                    kms_master_key_id: None,
                }),
                bucket_key_enabled: Some(false),
                blocked_encryption_types: None,
            }],
        },
        &format!(
            "<ServerSideEncryptionConfiguration {NS}><Rule><ApplyServerSideEncryptionByDefault>\
             <SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>\
             <BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"
        ),
    );
}

#[test]
fn get_bucket_encryption_sse_kms_with_blocked_types() {
    golden(
        "ServerSideEncryptionConfiguration",
        &ServerSideEncryptionConfiguration {
            rules: vec![ServerSideEncryptionRule {
                apply_server_side_encryption_by_default: Some(ApplyServerSideEncryptionByDefault {
                    sse_algorithm: "aws:kms".to_owned(),
                    kms_master_key_id: Some(
                        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                            .to_owned(),
                    ),
                }),
                bucket_key_enabled: Some(true),
                blocked_encryption_types: Some(BlockedEncryptionTypes {
                    encryption_type: vec!["SSE-C".to_owned()],
                }),
            }],
        },
        &format!(
            "<ServerSideEncryptionConfiguration {NS}><Rule><ApplyServerSideEncryptionByDefault>\
             <SSEAlgorithm>aws:kms</SSEAlgorithm>\
             <KMSMasterKeyID>arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab</KMSMasterKeyID>\
             </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>\
             <BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>\
             </Rule></ServerSideEncryptionConfiguration>"
        ),
    );
}

#[test]
fn get_object_tagging() {
    golden(
        "Tagging",
        &Tagging {
            tag_set: TagSet {
                tag: vec![
                    Tag {
                        key: "tag1".to_owned(),
                        value: "val1".to_owned(),
                    },
                    Tag {
                        key: "empty".to_owned(),
                        value: String::new(),
                    },
                ],
            },
        },
        &format!(
            "<Tagging {NS}><TagSet><Tag><Key>tag1</Key><Value>val1</Value></Tag>\
             <Tag><Key>empty</Key><Value></Value></Tag></TagSet></Tagging>"
        ),
    );
}

#[test]
fn get_object_tagging_without_tags() {
    golden(
        "Tagging",
        &Tagging::default(),
        &format!("<Tagging {NS}><TagSet></TagSet></Tagging>"),
    );
}

#[test]
fn a_timestamp_outside_the_writable_years_is_a_write_error() {
    let value = CopyObjectResult {
        last_modified: Timestamp::new(
            time::OffsetDateTime::UNIX_EPOCH - time::Duration::days(800_000),
        ),
        etag: "\"e\"".to_owned(),
        checksum_type: None,
        checksum_crc32: None,
        checksum_crc32c: None,
        checksum_crc64nvme: None,
        checksum_sha1: None,
        checksum_sha256: None,
    };
    let error = to_xml("CopyObjectResult", &value).expect_err("year -220 cannot be written");
    assert!(matches!(error, XmlError::Write(_)), "{error:?}");
    assert_eq!(error.s3_code(), "InternalError");
    assert_eq!(error.http_status(), 500);
}

#[test]
fn a_root_name_that_is_not_an_xml_name_is_a_write_error() {
    let error = to_xml("Not A Name", &Tagging::default()).expect_err("not an XML name");
    assert!(matches!(error, XmlError::Write(_)), "{error:?}");
}
