//! Bodies about buckets: ListBuckets, CreateBucket, GetBucketLocation, and tagging (bucket and
//! object tagging share one body).

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// An `Owner` (also the shape of an `Initiator`): `ID`, then `DisplayName`.
///
/// S3 no longer returns `DisplayName` in most regions; leave it `None` to omit it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// `ID`: the canonical user ID (for an `Initiator`, possibly an IAM ARN).
    #[serde(rename = "ID")]
    pub id: String,
    /// `DisplayName`.
    #[serde(
        rename = "DisplayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
}

/// The ListBuckets response, root `ListAllMyBucketsResult`:
///
/// ```xml
/// <ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>...</ID></Owner><Buckets><Bucket><Name>lab</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>
/// ```
///
/// `Owner` before `Buckets` as in S3's responses (the API model lists `Buckets` first).
/// `ContinuationToken` and `Prefix` (paginated ListBuckets) follow `Buckets`; their position is
/// inferred from the model, not seen in a capture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ListAllMyBucketsResult")]
pub struct ListAllMyBucketsResult {
    /// `Owner`.
    #[serde(rename = "Owner")]
    pub owner: Owner,
    /// `Buckets`: the wrapped list of `Bucket`.
    #[serde(rename = "Buckets", default)]
    pub buckets: Buckets,
    /// `ContinuationToken`: where the next page starts, if truncated.
    #[serde(
        rename = "ContinuationToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub continuation_token: Option<String>,
    /// `Prefix`: echoed when the request had one.
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// `Buckets`: a wrapped list, `<Buckets><Bucket>...</Bucket>...</Buckets>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buckets {
    /// The `Bucket` elements.
    #[serde(rename = "Bucket", default)]
    pub bucket: Vec<Bucket>,
}

/// One `Bucket` of a ListBuckets response: `Name`, `CreationDate`, `BucketRegion`,
/// `BucketArn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// `Name`.
    #[serde(rename = "Name")]
    pub name: String,
    /// `CreationDate`.
    #[serde(rename = "CreationDate")]
    pub creation_date: Timestamp,
    /// `BucketRegion`.
    #[serde(
        rename = "BucketRegion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bucket_region: Option<String>,
    /// `BucketArn` (newer responses; position after `BucketRegion` inferred from the model).
    #[serde(rename = "BucketArn", default, skip_serializing_if = "Option::is_none")]
    pub bucket_arn: Option<String>,
}

/// The CreateBucket request body, root `CreateBucketConfiguration`:
///
/// ```xml
/// <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>
/// ```
///
/// Only `LocationConstraint` is read; the directory-bucket elements (`Location`, `Bucket`) and
/// `Tags` are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CreateBucketConfiguration")]
pub struct CreateBucketConfiguration {
    /// `LocationConstraint`: the region (S3 refuses `us-east-1` here, which is the default).
    #[serde(
        rename = "LocationConstraint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub location_constraint: Option<String>,
}

/// The GetBucketLocation response, root `LocationConstraint`, whose text is the region:
///
/// ```xml
/// <LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>
/// ```
///
/// For a bucket in `us-east-1` S3 sends no region: `None` is written as
/// `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "LocationConstraint")]
pub struct LocationConstraint {
    /// The region, or `None` for `us-east-1`.
    #[serde(rename = "$text", default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The body of Put/GetObjectTagging and Put/GetBucketTagging, root `Tagging` (request and
/// response):
///
/// ```xml
/// <Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>project</Key><Value>lab</Value></Tag></TagSet></Tagging>
/// ```
///
/// `TagSet` is required; it may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Tagging")]
pub struct Tagging {
    /// `TagSet`.
    #[serde(rename = "TagSet")]
    pub tag_set: TagSet,
}

/// `TagSet`: a wrapped list, `<TagSet><Tag>...</Tag>...</TagSet>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSet {
    /// The `Tag` elements.
    #[serde(rename = "Tag", default)]
    pub tag: Vec<Tag>,
}

/// One `Tag`: `Key`, `Value`, both required (`<Value/>` is the empty value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `Value`.
    #[serde(rename = "Value")]
    pub value: String,
}
