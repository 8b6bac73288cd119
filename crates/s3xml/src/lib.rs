//! The XML bodies of the Amazon S3 REST API, as typed Rust values.
//!
//! Every request and response body that s3lab's mock S3 reads or writes is a struct here, with
//! serde derives naming the exact S3 element names. The bodies are written and read with
//! [quick-xml]'s serde support, never by string building, and are byte-compatible with what
//! Amazon S3 sends:
//!
//! - the document starts with `<?xml version="1.0" encoding="UTF-8"?>` and a newline, and the
//!   rest is on one line, without indentation;
//! - the root element carries `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"` ([`S3_NAMESPACE`]),
//!   except `<Error>`, which S3 writes without a namespace ([`error_xml`]);
//! - elements come in the order S3 writes them, which is not always the order of the AWS API
//!   model (see "Element order" below);
//! - lists are flattened where S3 flattens them (`<Contents>`, `<Part>`, `<Upload>`, `<Rule>`,
//!   `<Object>`, ...) and wrapped where S3 wraps them (`<Buckets>`, `<TagSet>`);
//! - optional elements that are `None` are left out, while a present but empty value is written
//!   `<Prefix></Prefix>`, as S3 does; an empty root is written self-closing
//!   (`<LocationConstraint xmlns="..."/>` for a bucket in `us-east-1`);
//! - timestamps are written `2026-01-01T00:00:00.000Z` ([`Timestamp`]);
//! - text is escaped as S3 escapes it: `&amp;`, `&lt;`, `&gt;` and `&quot;` (so an ETag reads
//!   `<ETag>&quot;...&quot;</ETag>`), `'` is left as it is, and control characters that XML 1.0
//!   cannot carry literally are written as character references (`&#x1;`), which is why S3
//!   clients ask for `encoding-type=url`. A carriage return is written `&#13;` so that it
//!   survives a parser's end-of-line normalisation.
//!
//! [`to_xml`] writes any of the response types (and, for tests, the request types);
//! [`from_xml`] reads a request body as tolerantly as S3 does: with or without the S3 namespace
//! (or with a prefix for it), with whitespace and comments between elements, and with child
//! elements in any order, also when a list's items are interleaved with other elements.
//! Unknown child elements are ignored. It rejects what S3 rejects with `MalformedXML`: a body
//! that is not well-formed XML, a root element of another name, a missing required element, and
//! a value that does not parse as its type (a part number that is not a number). Those all come
//! back as an [`XmlError`], which maps to S3's `MalformedXML` error
//! ([`XmlError::s3_code`], [`XmlError::s3_message`], [`XmlError::http_status`]).
//!
//! What S3 then checks on a well-formed body (at least one part, at most 1,000 objects to delete,
//! exactly one encryption rule) is left to the caller, who sees the counts: a request type keeps
//! its list as a `Vec` even where S3's schema says "one or more".
//!
//! # Element order
//!
//! Where captured Amazon S3 responses and the AWS documentation's examples disagree with the
//! member order of the AWS API model (botocore's `service-2.json`), the captures win:
//!
//! - `ListAllMyBucketsResult`: `Owner` comes before `Buckets`; `Owner` is `ID` then
//!   `DisplayName`.
//! - `ListBucketResult` (V2): `Name`, `Prefix`, `StartAfter`, `ContinuationToken`,
//!   `NextContinuationToken`, `KeyCount`, `MaxKeys`, `Delimiter`, `EncodingType`, `IsTruncated`,
//!   then the `Contents`, then the `CommonPrefixes`. V1: `Name`, `Prefix`, `Marker`,
//!   `NextMarker`, `MaxKeys`, `Delimiter`, `EncodingType`, `IsTruncated`, ...
//! - `Contents`: `Key`, `LastModified`, `ETag`, `ChecksumAlgorithm`, `ChecksumType`, `Size`,
//!   `Owner`, `StorageClass`.
//! - `ListPartsResult`: `Bucket`, `Key`, `UploadId`, `Initiator`, `Owner`, `StorageClass`,
//!   `PartNumberMarker`, `NextPartNumberMarker`, `MaxParts`, `IsTruncated`, then the `Part`s.
//! - `ListMultipartUploadsResult`: `Bucket`, `KeyMarker`, `UploadIdMarker`, `NextKeyMarker`,
//!   `NextUploadIdMarker`, `Delimiter`, `Prefix`, `MaxUploads`, `IsTruncated`, then the
//!   `Upload`s, then the `CommonPrefixes`.
//! - `CopyObjectResult` and `CopyPartResult`: `LastModified` before `ETag`.
//!
//! Each type's docs say where an element's position is inferred rather than seen in a capture.
//!
//! [quick-xml]: https://docs.rs/quick-xml

mod codec;
mod error;
mod timestamp;

mod buckets;
mod encryption;
mod multipart;
mod objects;

#[doc(hidden)]
pub mod fuzzing;

pub use codec::{from_xml, to_xml, S3_NAMESPACE, XML_DECLARATION};
pub use error::{error_xml, ErrorResponse, XmlError};
pub use timestamp::Timestamp;

pub use buckets::{
    Bucket, Buckets, CreateBucketConfiguration, ListAllMyBucketsResult, LocationConstraint, Owner,
    Tag, TagSet, Tagging,
};
pub use encryption::{
    ApplyServerSideEncryptionByDefault, BlockedEncryptionTypes, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
pub use multipart::{
    CompleteMultipartUpload, CompleteMultipartUploadResult, CompletedPart, CopyPartResult,
    InitiateMultipartUploadResult, Initiator, ListMultipartUploadsResult, ListPartsResult,
    MultipartUpload, Part,
};
pub use objects::{
    CommonPrefix, CopyObjectResult, Delete, DeleteError, DeleteResult, DeletedObject,
    ListBucketResult, ListBucketResultV1, Object, ObjectIdentifier,
};
