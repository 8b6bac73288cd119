//! Percent-encoding the AWS way, and the canonical URI and query string built with it.

use percent_encoding::percent_decode;

use crate::UriStyle;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The characters SigV4 never encodes: `A-Z a-z 0-9 - . _ ~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

pub(crate) fn encode_bytes_into(bytes: &[u8], encode_slash: bool, out: &mut String) {
    for &b in bytes {
        if is_unreserved(b) || (b == b'/' && !encode_slash) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
        }
    }
}

/// URI-encodes by AWS's rules: the unreserved characters `A-Z a-z 0-9 - . _ ~` stay, every other
/// byte of the UTF-8 becomes `%XX` with uppercase hex; `/` stays only when `encode_slash` is false.
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    encode_bytes_into(s.as_bytes(), encode_slash, &mut out);
    out
}

/// The canonical URI of a path as received (still percent-encoded).
///
/// * [`UriStyle::S3`]: no normalisation. Each segment between literal slashes is decoded and
///   encoded once by AWS's rules, so a path that a client encoded the AWS way comes out unchanged,
///   `%2F` stays inside its segment and `//` stays.
/// * [`UriStyle::Normalized`]: empty and `.` segments are dropped, `..` removes the segment before
///   it, a trailing slash is kept, and every segment as received is encoded again (an encoded path
///   is therefore encoded twice, as AWS's SDKs do for all services but S3).
pub fn canonical_uri(raw_path: &str, style: UriStyle) -> String {
    match style {
        UriStyle::S3 => s3_uri(raw_path),
        UriStyle::Normalized => normalized_uri(raw_path),
    }
}

fn s3_uri(raw_path: &str) -> String {
    let mut out = String::with_capacity(raw_path.len() + 8);
    if !raw_path.starts_with('/') {
        out.push('/');
    }
    for (i, segment) in raw_path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let decoded: Vec<u8> = percent_decode(segment.as_bytes()).collect();
        encode_bytes_into(&decoded, true, &mut out);
    }
    out
}

fn normalized_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let last = raw_path.rsplit('/').next().unwrap_or("");
    let mut out = String::with_capacity(raw_path.len() * 2 + 1);
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_bytes_into(segment.as_bytes(), true, &mut out);
    }
    if !segments.is_empty() && matches!(last, "" | "." | "..") {
        out.push('/');
    }
    out
}

/// One `name=value` pair of a query string, decoded, and encoded again the AWS way.
#[derive(Clone, Debug)]
pub(crate) struct QueryParam {
    /// Decoded (`+` is a space), as text; invalid UTF-8 is replaced.
    pub name: String,
    pub value: String,
    pub encoded_name: String,
    pub encoded_value: String,
}

/// Decodes a query component: `+` is a space, then `%XX` escapes; a `%` that starts no valid escape
/// stays a literal `%`.
fn decode_query_component(s: &str) -> Vec<u8> {
    let spaced: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

pub(crate) fn parse_query(raw_query: &str) -> Vec<QueryParam> {
    raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode_query_component(name);
            let value = decode_query_component(value);
            let mut encoded_name = String::with_capacity(name.len());
            encode_bytes_into(&name, true, &mut encoded_name);
            let mut encoded_value = String::with_capacity(value.len());
            encode_bytes_into(&value, true, &mut encoded_value);
            QueryParam {
                name: String::from_utf8_lossy(&name).into_owned(),
                value: String::from_utf8_lossy(&value).into_owned(),
                encoded_name,
                encoded_value,
            }
        })
        .collect()
}

/// The canonical query string of a query string as received: every name and value decoded and
/// encoded again with AWS's unreserved set, a name without `=` given an empty value, the pairs
/// sorted by encoded name and then by encoded value, bytewise. A `+` is read as a space (`%20`).
pub fn canonical_query(raw_query: &str) -> String {
    canonical_query_from(&parse_query(raw_query), false)
}

/// As [`canonical_query`]; `skip_signature` leaves out `X-Amz-Signature` (any letter case), as a
/// presigned request's canonical query must.
pub(crate) fn canonical_query_from(params: &[QueryParam], skip_signature: bool) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|p| !(skip_signature && p.name.eq_ignore_ascii_case("X-Amz-Signature")))
        .map(|p| (p.encoded_name.as_str(), p.encoded_value.as_str()))
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// A parameter given decoded, as a signer adds it.
pub(crate) fn param(name: &str, value: &str) -> QueryParam {
    QueryParam {
        name: name.to_owned(),
        value: value.to_owned(),
        encoded_name: uri_encode(name, true),
        encoded_value: uri_encode(value, true),
    }
}
