//! The entry point of the `s3xml_bodies` fuzz target (`fuzz/`), and of the test that replays its
//! committed corpus. Not part of the crate's API.
//!
//! An input is an XML body. It is read as every request and response type of this crate (the
//! root element picks the one that gets past [`from_xml`]'s first check). A refusal must be S3's
//! 400 `MalformedXML`. What reads must write, and what it writes must read back and write again
//! to the same bytes (writing normalises once: timestamps to milliseconds in UTC, for one).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::*;

fn round_trip<T>(body: &[u8], root: &str)
where
    T: DeserializeOwned + Serialize,
{
    let value: T = match from_xml(body) {
        Ok(value) => value,
        Err(e) => {
            assert_eq!(
                e.http_status(),
                400,
                "a bad body is the client's fault: {e:?}"
            );
            assert_eq!(e.s3_code(), "MalformedXML");
            return;
        }
    };
    // A value out of S3's range (a timestamp in the year 10000) is refused, not written wrongly.
    let Ok(written) = to_xml(root, &value) else {
        return;
    };
    let again: T = match from_xml(written.as_bytes()) {
        Ok(again) => again,
        Err(e) => panic!("what we write does not read back: {e:?}\n{written}"),
    };
    let rewritten = to_xml(root, &again).expect("a value read back writes");
    assert_eq!(written, rewritten, "writing is stable after one round");
}

/// Runs one input.
pub fn bodies(data: &[u8]) {
    // Requests.
    round_trip::<CreateBucketConfiguration>(data, "CreateBucketConfiguration");
    round_trip::<Tagging>(data, "Tagging");
    round_trip::<Delete>(data, "Delete");
    round_trip::<CompleteMultipartUpload>(data, "CompleteMultipartUpload");
    round_trip::<ServerSideEncryptionConfiguration>(data, "ServerSideEncryptionConfiguration");
    if let Ok(delete) = from_xml::<Delete>(data) {
        let _ = delete.check_object_count();
        let _ = delete.is_quiet();
    }
    // Responses, as the recording client reads them.
    round_trip::<ListAllMyBucketsResult>(data, "ListAllMyBucketsResult");
    round_trip::<LocationConstraint>(data, "LocationConstraint");
    round_trip::<InitiateMultipartUploadResult>(data, "InitiateMultipartUploadResult");
    round_trip::<CompleteMultipartUploadResult>(data, "CompleteMultipartUploadResult");
    round_trip::<CopyPartResult>(data, "CopyPartResult");
    round_trip::<ListPartsResult>(data, "ListPartsResult");
    round_trip::<ListMultipartUploadsResult>(data, "ListMultipartUploadsResult");
    round_trip::<ListBucketResult>(data, "ListBucketResult");
    round_trip::<ListBucketResultV1>(data, "ListBucketResult");
    round_trip::<CopyObjectResult>(data, "CopyObjectResult");
    round_trip::<DeleteResult>(data, "DeleteResult");
    match from_xml::<ErrorResponse>(data) {
        Ok(error) => {
            let written = error.to_xml();
            let again: ErrorResponse = match from_xml(written.as_bytes()) {
                Ok(again) => again,
                Err(e) => panic!("an error we write does not read back: {e:?}\n{written}"),
            };
            assert_eq!(written, again.to_xml(), "writing is stable after one round");
        }
        Err(e) => assert_eq!(e.http_status(), 400),
    }
}
