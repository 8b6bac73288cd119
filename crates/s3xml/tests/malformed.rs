//! Bodies S3 answers with `MalformedXML`: every one is an [`XmlError`] with that code, HTTP 400
//! and S3's message.

use s3lab_s3xml::*;
use serde::de::DeserializeOwned;

/// Reads `body` as `T`, expects an error, checks it maps to `MalformedXML`, and returns it.
fn rejected<T: DeserializeOwned + std::fmt::Debug>(body: &[u8]) -> XmlError {
    match from_xml::<T>(body) {
        Ok(value) => panic!(
            "{} was accepted as {value:?}",
            String::from_utf8_lossy(body)
        ),
        Err(error) => {
            assert_eq!(error.s3_code(), "MalformedXML", "{error:?}");
            assert_eq!(error.http_status(), 400);
            assert_eq!(
                error.s3_message(),
                "The XML you provided was not well-formed or did not validate against our published schema"
            );
            error
        }
    }
}

// ── Not XML ────────────────────────────────────────────────────────────────────────────────

#[test]
fn not_xml_at_all() {
    rejected::<Delete>(b"not xml");
    rejected::<Delete>(b"{\"Objects\":[{\"Key\":\"a\"}]}");
    rejected::<CompleteMultipartUpload>(b"Objects=a&Quiet=true");
}

#[test]
fn empty_and_blank_bodies() {
    assert_eq!(rejected::<Delete>(b""), XmlError::Empty);
    assert_eq!(rejected::<Delete>(b" \r\n\t"), XmlError::Empty);
}

#[test]
fn not_utf8() {
    assert_eq!(
        rejected::<Delete>(b"<Delete><Object><Key>\xff\xfe</Key></Object></Delete>"),
        XmlError::NotUtf8
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let body = b"\xEF\xBB\xBF<Delete><Object><Key>a</Key></Object></Delete>";
    let request: Delete = from_xml(body).expect("a UTF-8 BOM is fine");
    assert_eq!(request.objects[0].key, "a");
}

#[test]
fn truncated_documents() {
    rejected::<Delete>(b"<Delete><Object><Key>a</Key></Object>");
    rejected::<Delete>(b"<Delete><Object><Key>a</Key");
    rejected::<Delete>(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
}

#[test]
fn mismatched_and_stray_tags() {
    rejected::<Delete>(b"<Delete><Object><Key>a</Key></Obj></Delete>");
    rejected::<Delete>(b"<Delete><Object><Key>a</Key></Object></Delete></Delete>");
    rejected::<CompleteMultipartUpload>(
        b"<CompleteMultipartUpload><Part><PartNumber>1</ETag></Part></CompleteMultipartUpload>",
    );
}

#[test]
fn anything_after_the_root_element() {
    rejected::<Delete>(b"<Delete><Object><Key>a</Key></Object></Delete>trailing");
    rejected::<Delete>(b"<Delete><Object><Key>a</Key></Object></Delete><Delete/>");
    rejected::<Delete>(b"text before<Delete><Object><Key>a</Key></Object></Delete>");
    // Comments and whitespace around the root are fine.
    let ok: Delete = from_xml(
        b"<!-- before -->\n<Delete><Object><Key>a</Key></Object></Delete>\n<!-- after -->\n",
    )
    .expect("comments around the root");
    assert_eq!(ok.objects.len(), 1);
}

#[test]
fn a_doctype_is_refused() {
    rejected::<Delete>(
        b"<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY x \"y\">]>\
          <Delete><Object><Key>&x;</Key></Object></Delete>",
    );
}

#[test]
fn bad_escapes_and_entities() {
    rejected::<Delete>(b"<Delete><Object><Key>a & b</Key></Object></Delete>");
    rejected::<Delete>(b"<Delete><Object><Key>&nbsp;</Key></Object></Delete>");
    rejected::<Delete>(b"<Delete><Object><Key>a < b</Key></Object></Delete>");
}

#[test]
fn broken_attributes() {
    rejected::<Delete>(b"<Delete xmlns=><Object><Key>a</Key></Object></Delete>");
    rejected::<Delete>(b"<Delete a=\"1\" a=\"2\"><Object><Key>a</Key></Object></Delete>");
}

// ── Wrong root ─────────────────────────────────────────────────────────────────────────────

#[test]
fn a_body_for_another_operation() {
    let error = rejected::<CompleteMultipartUpload>(
        b"<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a</Key></Object></Delete>",
    );
    assert_eq!(
        error,
        XmlError::UnexpectedRoot {
            expected: "CompleteMultipartUpload",
            found: "Delete".to_owned()
        }
    );
    rejected::<Delete>(b"<Tagging><TagSet/></Tagging>");
    rejected::<ServerSideEncryptionConfiguration>(
        b"<ServerSideEncryption><Rule/></ServerSideEncryption>",
    );
    rejected::<CreateBucketConfiguration>(b"<LocationConstraint>eu-west-1</LocationConstraint>");
}

#[test]
fn the_root_name_is_case_sensitive() {
    rejected::<Delete>(b"<delete><Object><Key>a</Key></Object></delete>");
}

// ── Missing required elements ──────────────────────────────────────────────────────────────

#[test]
fn a_part_without_a_part_number_or_etag() {
    let error = rejected::<CompleteMultipartUpload>(
        b"<CompleteMultipartUpload><Part><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>",
    );
    assert!(matches!(error, XmlError::Invalid(_)), "{error:?}");
    rejected::<CompleteMultipartUpload>(
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
    );
    // One good part does not excuse a bad one.
    rejected::<CompleteMultipartUpload>(
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>\
          <Part><ETag>b</ETag></Part></CompleteMultipartUpload>",
    );
}

#[test]
fn an_object_without_a_key() {
    rejected::<Delete>(b"<Delete><Object><VersionId>v</VersionId></Object></Delete>");
    rejected::<Delete>(b"<Delete><Object/></Delete>");
}

#[test]
fn an_encryption_default_without_an_algorithm() {
    rejected::<ServerSideEncryptionConfiguration>(
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
          <KMSMasterKeyID>alias/lab</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>\
          </ServerSideEncryptionConfiguration>",
    );
}

#[test]
fn tagging_without_a_tag_set_or_a_value() {
    rejected::<Tagging>(b"<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></Tagging>");
    rejected::<Tagging>(b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>");
}

#[test]
fn a_repeated_single_element() {
    rejected::<Delete>(b"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>");
}

// ── Values that do not parse ───────────────────────────────────────────────────────────────

#[test]
fn a_part_number_that_is_not_a_number() {
    for number in ["one", "", "1.5", "0x1", "99999999999", "1 2"] {
        let body = format!(
            "<CompleteMultipartUpload><Part><PartNumber>{number}</PartNumber><ETag>e</ETag></Part>\
             </CompleteMultipartUpload>"
        );
        let error = rejected::<CompleteMultipartUpload>(body.as_bytes());
        assert!(
            matches!(error, XmlError::Invalid(_)),
            "{number:?}: {error:?}"
        );
    }
}

#[test]
fn a_part_number_with_markup_inside() {
    rejected::<CompleteMultipartUpload>(
        b"<CompleteMultipartUpload><Part><PartNumber>1<b/></PartNumber><ETag>e</ETag></Part>\
          </CompleteMultipartUpload>",
    );
}

#[test]
fn a_boolean_that_is_not_a_boolean() {
    rejected::<Delete>(b"<Delete><Object><Key>a</Key></Object><Quiet>yes</Quiet></Delete>");
    rejected::<ServerSideEncryptionConfiguration>(
        b"<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>on</BucketKeyEnabled></Rule>\
          </ServerSideEncryptionConfiguration>",
    );
}

#[test]
fn a_timestamp_or_size_that_does_not_parse() {
    rejected::<Delete>(
        b"<Delete><Object><Key>a</Key><LastModifiedTime>yesterday</LastModifiedTime></Object></Delete>",
    );
    rejected::<Delete>(b"<Delete><Object><Key>a</Key><Size>big</Size></Object></Delete>");
}

#[test]
fn errors_say_what_is_wrong() {
    let error = from_xml::<CompleteMultipartUpload>(
        b"<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
    )
    .expect_err("missing PartNumber");
    assert!(error.to_string().contains("PartNumber"), "{error}");
    let error = from_xml::<Delete>(b"<Foo/>").expect_err("wrong root");
    assert_eq!(
        error.to_string(),
        "the root element is <Foo>, expected <Delete>"
    );
}
