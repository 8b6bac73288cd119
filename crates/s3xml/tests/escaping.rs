//! Text is escaped as S3 escapes it, and every key survives a write and a read unchanged.

use s3lab_s3xml::*;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

fn listing(keys: &[&str]) -> ListBucketResult {
    ListBucketResult {
        name: "lab".to_owned(),
        prefix: String::new(),
        start_after: None,
        continuation_token: None,
        next_continuation_token: None,
        key_count: u32::try_from(keys.len()).expect("few keys"),
        max_keys: 1000,
        delimiter: None,
        encoding_type: None,
        is_truncated: false,
        contents: keys
            .iter()
            .map(|key| Object {
                key: (*key).to_owned(),
                last_modified: Timestamp::from_unix_millis(1_767_225_600_000).expect("valid"),
                etag: "\"d41d8cd98f00b204e9800998ecf8427e\"".to_owned(),
                checksum_algorithm: Vec::new(),
                checksum_type: None,
                size: 0,
                owner: None,
                storage_class: "STANDARD".to_owned(),
            })
            .collect(),
        common_prefixes: Vec::new(),
    }
}

/// The `<Key>` elements of a written listing, as written.
fn written_keys(keys: &[&str]) -> Vec<String> {
    let written = to_xml("ListBucketResult", &listing(keys)).expect("written");
    let back: ListBucketResult = from_xml(written.as_bytes()).expect("reads back");
    assert_eq!(back, listing(keys), "{written}");
    written
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split("</Key>").next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn markup_characters_are_escaped_as_s3_escapes_them() {
    assert_eq!(
        written_keys(&["a&b", "<tag>", "say \"hi\"", "it's", "&amp;", "&apos;"]),
        [
            "a&amp;b",
            "&lt;tag&gt;",
            "say &quot;hi&quot;",
            "it's",
            "&amp;amp;",
            "&amp;apos;"
        ]
    );
}

#[test]
fn unicode_is_written_as_is() {
    assert_eq!(
        written_keys(&[
            "caf\u{e9}/\u{65e5}\u{672c}\u{8a9e}.txt",
            "\u{1f389} party",
            "\u{7f}\u{80}"
        ]),
        [
            "caf\u{e9}/\u{65e5}\u{672c}\u{8a9e}.txt",
            "\u{1f389} party",
            "\u{7f}\u{80}"
        ]
    );
}

#[test]
fn control_characters_become_character_references() {
    assert_eq!(
        written_keys(&[
            "bad\u{1}key",
            "bad\u{1f}key",
            "tab\tand\nnewline",
            "cr\rkey"
        ]),
        [
            "bad&#x1;key",
            "bad&#x1f;key",
            "tab\tand\nnewline",
            "cr&#13;key"
        ]
    );
}

#[test]
fn spaces_around_a_key_survive() {
    assert_eq!(written_keys(&["  a  ", " "]), ["  a  ", " "]);
}

#[test]
fn a_whole_listing_with_a_special_key() {
    let written =
        to_xml("ListBucketResult", &listing(&["Q&A <1> \"x\" 'y' \u{e9}"])).expect("written");
    assert_eq!(
        written,
        format!(
            "{DECL}<ListBucketResult {NS}><Name>lab</Name><Prefix></Prefix><KeyCount>1</KeyCount>\
             <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents>\
             <Key>Q&amp;A &lt;1&gt; &quot;x&quot; 'y' \u{e9}</Key>\
             <LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>\
             <StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"
        )
    );
}

#[test]
fn every_field_is_escaped_not_only_keys() {
    let written = to_xml(
        "CompleteMultipartUploadResult",
        &CompleteMultipartUploadResult {
            location: "https://lab.s3.amazonaws.com/a%26b?x=1&y=2".to_owned(),
            bucket: "lab".to_owned(),
            key: "a&b".to_owned(),
            etag: "\"e\"".to_owned(),
            ..CompleteMultipartUploadResult::default()
        },
    )
    .expect("written");
    assert!(written.contains(
        "<Location>https://lab.s3.amazonaws.com/a%26b?x=1&amp;y=2</Location><Bucket>lab</Bucket>\
         <Key>a&amp;b</Key><ETag>&quot;e&quot;</ETag>"
    ));
}

#[test]
fn error_bodies_escape_message_and_extra_values() {
    let body = error_xml(
        "NoSuchKey",
        "The specified key <does not> exist & \"never\" did",
        &[("Key", "a&b<c>'d'\u{1}".to_owned())],
        "R",
        "H",
    );
    assert_eq!(
        body,
        format!(
            "{DECL}<Error><Code>NoSuchKey</Code>\
             <Message>The specified key &lt;does not&gt; exist &amp; &quot;never&quot; did</Message>\
             <Key>a&amp;b&lt;c&gt;'d'&#x1;</Key><RequestId>R</RequestId><HostId>H</HostId></Error>"
        )
    );
    let back: ErrorResponse = from_xml(body.as_bytes()).expect("reads back");
    assert_eq!(
        back.extra,
        [("Key".to_owned(), "a&b<c>'d'\u{1}".to_owned())]
    );
    assert_eq!(
        back.message,
        "The specified key <does not> exist & \"never\" did"
    );
}

#[test]
fn error_extras_with_names_that_are_not_xml_names_are_left_out() {
    let body = error_xml(
        "InvalidArgument",
        "m",
        &[
            ("Bad Name", "x".to_owned()),
            ("<Key>", "y".to_owned()),
            ("", "z".to_owned()),
            ("ArgumentName", "ok".to_owned()),
        ],
        "R",
        "H",
    );
    assert_eq!(
        body,
        format!(
            "{DECL}<Error><Code>InvalidArgument</Code><Message>m</Message>\
             <ArgumentName>ok</ArgumentName><RequestId>R</RequestId><HostId>H</HostId></Error>"
        )
    );
}

#[test]
fn request_keys_read_every_kind_of_escape() {
    let request: Delete = from_xml(
        "<Delete><Object><Key>&amp;&lt;&gt;&quot;&apos;&#38;&#x26;&#233;\u{e9}<![CDATA[<raw>&]]></Key></Object></Delete>"
            .as_bytes(),
    )
    .expect("reads");
    assert_eq!(request.objects[0].key, "&<>\"'&&\u{e9}\u{e9}<raw>&");
}
