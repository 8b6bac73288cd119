//! [`XmlError`], and S3's `<Error>` body ([`ErrorResponse`], [`error_xml`]).

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::write_document;

/// Why a body could not be read (S3's `MalformedXML`, HTTP 400) or written (a bug: S3's
/// `InternalError`, HTTP 500).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The body is empty or only whitespace.
    #[error("the XML body is empty")]
    Empty,
    /// The body is not UTF-8.
    #[error("the XML body is not UTF-8")]
    NotUtf8,
    /// The body is not well-formed XML.
    #[error("the XML body is not well-formed: {0}")]
    NotWellFormed(String),
    /// The root element is not the one the operation takes.
    #[error("the root element is <{found}>, expected <{expected}>")]
    UnexpectedRoot {
        /// The root element the operation takes.
        expected: &'static str,
        /// The root element's local name in the body.
        found: String,
    },
    /// Well-formed, but not what S3's schema allows: a required element is missing or repeated,
    /// or a value does not parse as its type.
    #[error("the XML body does not validate against the schema: {0}")]
    Invalid(String),
    /// A value could not be written as XML.
    #[error("could not write the XML body: {0}")]
    Write(String),
}

impl XmlError {
    /// The message of S3's `MalformedXML` error.
    pub const MALFORMED_XML_MESSAGE: &'static str =
        "The XML you provided was not well-formed or did not validate against our published schema";

    /// The S3 error code: `MalformedXML`, or `InternalError` for [`XmlError::Write`].
    pub fn s3_code(&self) -> &'static str {
        match self {
            XmlError::Write(_) => "InternalError",
            _ => "MalformedXML",
        }
    }

    /// The S3 error message that goes with [`XmlError::s3_code`].
    pub fn s3_message(&self) -> &'static str {
        match self {
            XmlError::Write(_) => "We encountered an internal error. Please try again.",
            _ => Self::MALFORMED_XML_MESSAGE,
        }
    }

    /// The HTTP status: 400, or 500 for [`XmlError::Write`].
    pub fn http_status(&self) -> u16 {
        match self {
            XmlError::Write(_) => 500,
            _ => 400,
        }
    }

    /// The complete S3 error body for this error.
    pub fn to_error_xml(&self, request_id: &str, host_id: &str) -> String {
        error_xml(self.s3_code(), self.s3_message(), &[], request_id, host_id)
    }
}

impl From<quick_xml::DeError> for XmlError {
    fn from(error: quick_xml::DeError) -> Self {
        match error {
            quick_xml::DeError::InvalidXml(e) => XmlError::NotWellFormed(e.to_string()),
            quick_xml::DeError::UnexpectedEof => {
                XmlError::NotWellFormed("unexpected end of the document".to_owned())
            }
            other => XmlError::Invalid(other.to_string()),
        }
    }
}

impl From<quick_xml::SeError> for XmlError {
    fn from(error: quick_xml::SeError) -> Self {
        XmlError::Write(error.to_string())
    }
}

/// S3's error body:
///
/// ```xml
/// <?xml version="1.0" encoding="UTF-8"?>
/// <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a.txt</Key><RequestId>...</RequestId><HostId>...</HostId></Error>
/// ```
///
/// `Code` and `Message` come first, then the elements that name what the error is about
/// (`BucketName`, `Key`, `ArgumentName`, `ArgumentValue`, `UploadId`, ...) in the order given,
/// then `RequestId` and `HostId`. The root has no namespace. Reading one (for tests and
/// clients) keeps every other element, in document order, in [`ErrorResponse::extra`]; `Code`
/// and `Message` are required, `RequestId` and `HostId` default to empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorResponse {
    /// `Code`, e.g. `NoSuchKey`.
    pub code: String,
    /// `Message`.
    pub message: String,
    /// Further elements between `Message` and `RequestId`, as (element name, text).
    pub extra: Vec<(String, String)>,
    /// `RequestId`: the response's `x-amz-request-id`.
    pub request_id: String,
    /// `HostId`: the response's `x-amz-id-2`.
    pub host_id: String,
}

impl ErrorResponse {
    /// The complete body, declaration included. Extra elements whose names are not plain XML
    /// names (ASCII letters, digits, `_`, `-`, `.`, not starting with a digit, `-` or `.`) are
    /// left out rather than produce a broken document.
    pub fn to_xml(&self) -> String {
        let written = ErrorResponse {
            extra: self
                .extra
                .iter()
                .filter(|(name, _)| is_plain_xml_name(name))
                .cloned()
                .collect(),
            ..self.clone()
        };
        write_document("Error", None, &written).unwrap_or_else(|_| {
            // Unreachable: the names are checked and every value is a string.
            format!(
                "{}\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>",
                crate::XML_DECLARATION
            )
        })
    }
}

/// S3's error body for `code` and `message`, with the `extra` elements (name, unescaped text)
/// in the given order between `Message` and `RequestId`. Values are XML-escaped.
///
/// ```
/// let body = s3lab_s3xml::error_xml(
///     "NoSuchKey",
///     "The specified key does not exist.",
///     &[("Key", "a&b.txt".to_owned())],
///     "0123456789ABCDEF",
///     "host-id",
/// );
/// assert_eq!(
///     body,
///     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
///      <Message>The specified key does not exist.</Message><Key>a&amp;b.txt</Key>\
///      <RequestId>0123456789ABCDEF</RequestId><HostId>host-id</HostId></Error>"
/// );
/// ```
pub fn error_xml(
    code: &str,
    message: &str,
    extra: &[(&str, String)],
    request_id: &str,
    host_id: &str,
) -> String {
    ErrorResponse {
        code: code.to_owned(),
        message: message.to_owned(),
        extra: extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
        request_id: request_id.to_owned(),
        host_id: host_id.to_owned(),
    }
    .to_xml()
}

fn is_plain_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

const CODE: &str = "Code";
const MESSAGE: &str = "Message";
const REQUEST_ID: &str = "RequestId";
const HOST_ID: &str = "HostId";

impl Serialize for ErrorResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4 + self.extra.len()))?;
        map.serialize_entry(CODE, &self.code)?;
        map.serialize_entry(MESSAGE, &self.message)?;
        for (name, value) in &self.extra {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry(REQUEST_ID, &self.request_id)?;
        map.serialize_entry(HOST_ID, &self.host_id)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for ErrorResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(
            "Error",
            &[CODE, MESSAGE, REQUEST_ID, HOST_ID],
            ErrorResponseVisitor,
        )
    }
}

struct ErrorResponseVisitor;

impl<'de> Visitor<'de> for ErrorResponseVisitor {
    type Value = ErrorResponse;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an S3 <Error> body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorResponse, A::Error> {
        let mut code = None;
        let mut message = None;
        let mut response = ErrorResponse::default();
        while let Some(key) = map.next_key::<String>()? {
            if key.starts_with('@') {
                // An attribute of <Error>, such as a namespace declaration.
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value::<String>()?;
            match key.as_str() {
                CODE => code = Some(value),
                MESSAGE => message = Some(value),
                REQUEST_ID => response.request_id = value,
                HOST_ID => response.host_id = value,
                _ => response.extra.push((key, value)),
            }
        }
        response.code = code.ok_or_else(|| de::Error::missing_field(CODE))?;
        response.message = message.ok_or_else(|| de::Error::missing_field(MESSAGE))?;
        Ok(response)
    }
}
