//! Writing and reading whole documents: the declaration, the namespace on the root, S3's
//! escaping, and the checks S3 makes before it looks at the content (well-formed, one root, the
//! right root).

use std::fmt;

use quick_xml::events::Event;
use quick_xml::se::{EmptyElementHandling, QuoteLevel, Serializer};
use serde::de::{self, DeserializeOwned, Visitor};
use serde::Serialize;

use crate::XmlError;

/// The namespace of every S3 response body except `<Error>`.
pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The first line of every S3 XML body (S3 follows it with a newline).
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Writes `value` as a complete S3 response body: the XML declaration and a newline, then the
/// root element `root_name` with `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`, then the
/// value's fields as child elements in declaration order.
///
/// Empty values are written `<Prefix></Prefix>` as S3 does, except an empty root, which is
/// written self-closing (`<LocationConstraint xmlns="..."/>`). Text is escaped as S3 escapes
/// it (see the crate docs).
///
/// # Errors
///
/// [`XmlError::Write`] if `root_name` is not an XML name, or a value cannot be written (a
/// [`Timestamp`](crate::Timestamp) outside the years 0 to 9999, a map or sequence where XML
/// has no place for one): a bug in the caller, not in the request, so it maps to S3's
/// `InternalError`.
pub fn to_xml<T: Serialize>(root_name: &str, value: &T) -> Result<String, XmlError> {
    write_document(root_name, Some(S3_NAMESPACE), value)
}

/// Reads a request (or response) body into `T`, tolerating what S3 tolerates: the S3 namespace
/// or none (or a prefix bound to it), a UTF-8 byte order mark, the XML declaration, comments,
/// whitespace between elements, child elements in any order (also list items interleaved with
/// other elements), and unknown child elements, which are ignored.
///
/// The root element must have the name `T` is renamed to with `#[serde(rename = "...")]` (for
/// every type in this crate, the S3 root element name); its namespace is not checked.
///
/// # Errors
///
/// An [`XmlError`] (S3's `MalformedXML`) if the body is empty, not UTF-8, not well-formed XML
/// (including a NUL character, anything but comments and whitespace after the root element, and
/// any `DOCTYPE`),
/// has another root element, lacks a required element, or holds a value that does not parse as
/// its type.
pub fn from_xml<T: DeserializeOwned>(body: &[u8]) -> Result<T, XmlError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    // No version of XML allows NUL, literally or as `&#x0;` (which the parser refuses); a literal
    // one would otherwise be read, and written back as a reference nothing can read.
    if text.contains('\0') {
        return Err(XmlError::NotWellFormed(
            "a NUL character is not allowed in XML".to_owned(),
        ));
    }
    let root = root_element(text)?;
    if let Some(expected) = expected_root::<T>() {
        if root != expected {
            return Err(XmlError::UnexpectedRoot {
                expected,
                found: root,
            });
        }
    }
    quick_xml::de::from_str(text).map_err(XmlError::from)
}

/// Writes a document with an optional namespace on the root; the one place that turns a value
/// into XML.
pub(crate) fn write_document<T: Serialize>(
    root_name: &str,
    namespace: Option<&str>,
    value: &T,
) -> Result<String, XmlError> {
    let mut body = String::new();
    let mut serializer = Serializer::with_root(&mut body, Some(root_name))?;
    serializer
        .empty_element_handling(EmptyElementHandling::Expanded)
        .set_quote_level(QuoteLevel::Full);
    value.serialize(serializer)?;

    let open = format!("<{root_name}");
    let Some(rest) = body.strip_prefix(&open) else {
        return Err(XmlError::Write(format!(
            "the serializer did not start with <{root_name}>"
        )));
    };
    // An element with nothing inside is written self-closing by S3 when it is the root
    // (`<LocationConstraint xmlns="..."/>`); deeper down an empty value is `<Prefix></Prefix>`.
    let empty_root = format!("></{root_name}>");
    let rest = if rest == empty_root { "/>" } else { rest };

    let mut document = String::with_capacity(XML_DECLARATION.len() + body.len() + 64);
    document.push_str(XML_DECLARATION);
    document.push('\n');
    document.push_str(&open);
    if let Some(namespace) = namespace {
        document.push_str(" xmlns=\"");
        document.push_str(namespace);
        document.push('"');
    }
    s3_escapes(rest, &mut document);
    Ok(document)
}

/// Copies serializer output, turning quick-xml's escaping into S3's: quick-xml (at
/// `QuoteLevel::Full`) writes `&apos;`, which S3 does not, and passes control characters
/// through, which S3 writes as character references. Both can only come from text: element
/// names are XML names, and the only attribute (`xmlns`) is written by [`write_document`].
fn s3_escapes(serialized: &str, out: &mut String) {
    let mut rest = serialized;
    while let Some(at) = rest.find(|c: char| c == '&' || is_restricted_char(c)) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("&apos;") {
            out.push('\'');
            rest = after;
            continue;
        }
        let Some(c) = tail.chars().next() else { break };
        if c == '&' {
            out.push('&');
        } else {
            out.push_str(&format!("&#x{:x};", u32::from(c)));
        }
        rest = &tail[c.len_utf8()..];
    }
    out.push_str(rest);
}

/// C0 control characters other than tab, line feed and carriage return: not allowed literally
/// in XML 1.0 text.
fn is_restricted_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}')
}

/// Checks what S3 checks before it looks at the content, and returns the root element's local
/// name: the body is well-formed XML with exactly one root element, nothing but comments,
/// processing instructions and whitespace around it, and no `DOCTYPE`.
fn root_element(text: &str) -> Result<String, XmlError> {
    if text.trim().is_empty() {
        return Err(XmlError::Empty);
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root: Option<String> = None;
    let mut depth: usize = 0;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::NotWellFormed(e.to_string()))?;
        match event {
            Event::Start(start) if depth == 0 => {
                set_root(&mut root, &start)?;
                depth = 1;
            }
            Event::Empty(start) if depth == 0 => set_root(&mut root, &start)?,
            Event::Start(start) => {
                check_attributes(&start)?;
                depth += 1;
            }
            Event::Empty(start) => check_attributes(&start)?,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text)
                if depth == 0 && !text.as_ref().chars().all(|c| c.is_ascii_whitespace()) =>
            {
                return Err(XmlError::NotWellFormed(
                    "text outside the root element".to_owned(),
                ));
            }
            Event::CData(_) | Event::GeneralRef(_) if depth == 0 => {
                return Err(XmlError::NotWellFormed(
                    "text outside the root element".to_owned(),
                ));
            }
            Event::DocType(_) => {
                return Err(XmlError::NotWellFormed(
                    "a DOCTYPE is not allowed".to_owned(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.ok_or_else(|| XmlError::NotWellFormed("no root element".to_owned()))
}

/// Records the root element, refusing a second one.
fn set_root(
    root: &mut Option<String>,
    start: &quick_xml::events::BytesStart<'_>,
) -> Result<(), XmlError> {
    if root.is_some() {
        return Err(XmlError::NotWellFormed(
            "more than one root element".to_owned(),
        ));
    }
    check_attributes(start)?;
    *root = Some(start.name().local_name().into_inner().to_owned());
    Ok(())
}

fn check_attributes(start: &quick_xml::events::BytesStart<'_>) -> Result<(), XmlError> {
    for attribute in start.attributes() {
        attribute.map_err(|e| XmlError::NotWellFormed(e.to_string()))?;
    }
    Ok(())
}

/// The root element name `T` expects: the name serde's derive passes to `deserialize_struct`,
/// which is the container's `#[serde(rename = "...")]`. Types that are not structs have none,
/// and their root is not checked.
fn expected_root<T: DeserializeOwned>() -> Option<&'static str> {
    match T::deserialize(RootNameProbe) {
        Err(Probed(name)) => name,
        Ok(_) => None,
    }
}

/// A deserializer that reads nothing: it only records the struct name it is asked for.
struct RootNameProbe;

#[derive(Debug)]
struct Probed(Option<&'static str>);

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("root name probe")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<M: fmt::Display>(_message: M) -> Self {
        Probed(None)
    }
}

impl<'de> de::Deserializer<'de> for RootNameProbe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Probed> {
        Err(Probed(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed(Some(name)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_escapes_keeps_apostrophes_and_references_control_characters() {
        let mut out = String::new();
        s3_escapes("a&apos;b&amp;c\u{1}d\u{1f}e\u{7f}&quot;\u{0}", &mut out);
        assert_eq!(out, "a'b&amp;c&#x1;d&#x1f;e\u{7f}&quot;&#x0;");
    }

    #[test]
    fn the_probe_reports_the_struct_name() {
        assert_eq!(
            expected_root::<crate::Delete>(),
            Some("Delete"),
            "the container rename is the root name"
        );
        assert_eq!(expected_root::<String>(), None);
    }

    /// Found by the `s3xml_bodies` fuzz target (`fuzz/regressions/s3xml_bodies/literal-nul-in-text`):
    /// a literal NUL in an ETag was read, and written back as `&#x0;`, which no parser reads.
    #[test]
    fn a_literal_nul_is_malformed() {
        let body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>\
                     <ETag>\"a54357af}\0\0\0f0632cce\"</ETag></Part></CompleteMultipartUpload>";
        let error = from_xml::<crate::CompleteMultipartUpload>(body).expect_err("NUL is not XML");
        assert!(matches!(error, XmlError::NotWellFormed(_)), "{error:?}");
        assert_eq!(error.s3_code(), "MalformedXML");
        assert!(
            from_xml::<crate::Delete>(b"<Delete><Object><Key>a\0</Key></Object></Delete>").is_err()
        );
    }

    #[test]
    fn root_element_returns_the_local_name() {
        assert_eq!(
            root_element(r#"<s3:Delete xmlns:s3="x"><s3:Object/></s3:Delete>"#).ok(),
            Some("Delete".to_owned())
        );
        assert!(matches!(root_element(" \n "), Err(XmlError::Empty)));
        assert!(root_element("<a/><b/>").is_err());
        assert!(root_element("<a/>text").is_err());
        assert!(root_element("<a><b></a>").is_err());
        assert!(root_element("<a x='1' x='2'/>").is_err());
        assert!(root_element("<!DOCTYPE a><a/>").is_err());
        assert!(root_element("<?xml version=\"1.0\"?>\n<!-- c -->\n<a/>\n<!-- d -->\n").is_ok());
    }
}
