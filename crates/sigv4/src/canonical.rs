//! The canonical request, the string to sign, and the timestamps they carry.

use http::HeaderMap;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::crypto::sha256_hex;
use crate::encode::{canonical_query, canonical_uri};
use crate::{CredentialScope, UriStyle, ALGORITHM};

/// A canonical request, as bytes (a header value may hold bytes that are not UTF-8).
pub(crate) struct Canonical {
    pub bytes: Vec<u8>,
    /// The first signed header that the request does not have.
    pub absent: Option<String>,
}

/// Appends a header value trimmed, with every run of spaces and tabs inside it turned into one
/// space.
pub(crate) fn push_trimmed(value: &[u8], out: &mut Vec<u8>) {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    let mut in_space = false;
    for &b in &value[start..end] {
        if b == b' ' || b == b'\t' {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
}

/// Builds the canonical request from its already canonical URI and query.
///
/// `signed` are the header names in the order they are listed, `signed_line` the `SignedHeaders`
/// text as it is to appear. A header's values are each trimmed and joined with `,` in the order
/// they were received.
pub(crate) fn build(
    method: &str,
    uri: &str,
    query: &str,
    headers: &HeaderMap,
    signed: &[String],
    signed_line: &str,
    payload_hash: &str,
) -> Canonical {
    let mut bytes = Vec::with_capacity(256);
    let mut absent = None;
    for part in [method, uri, query] {
        bytes.extend_from_slice(part.as_bytes());
        bytes.push(b'\n');
    }
    for name in signed {
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(b':');
        let mut any = false;
        for value in headers.get_all(name.as_str()) {
            if any {
                bytes.push(b',');
            }
            push_trimmed(value.as_bytes(), &mut bytes);
            any = true;
        }
        if !any && absent.is_none() {
            absent = Some(name.clone());
        }
        bytes.push(b'\n');
    }
    bytes.push(b'\n');
    bytes.extend_from_slice(signed_line.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(payload_hash.as_bytes());
    Canonical { bytes, absent }
}

/// The canonical request of a request, for the headers named in `signed_headers` (lowercase, in
/// the order given, which AWS requires to be sorted) and the given payload hash.
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    signed_headers: &[&str],
    payload_hash: &str,
    uri_style: UriStyle,
) -> String {
    let signed: Vec<String> = signed_headers.iter().map(|s| (*s).to_owned()).collect();
    let line = signed_headers.join(";");
    let canonical = build(
        method,
        &canonical_uri(raw_path, uri_style),
        &canonical_query(raw_query.unwrap_or("")),
        headers,
        &signed,
        &line,
        payload_hash,
    );
    String::from_utf8_lossy(&canonical.bytes).into_owned()
}

pub(crate) fn string_to_sign_bytes(
    amz_date: &str,
    scope: &CredentialScope,
    canonical_request: &[u8],
) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

/// `AWS4-HMAC-SHA256`, the request time, the scope and the hex SHA-256 of the canonical request,
/// one per line.
pub fn string_to_sign(
    time: OffsetDateTime,
    scope: &CredentialScope,
    canonical_request: &str,
) -> String {
    string_to_sign_bytes(&format_amz_date(time), scope, canonical_request.as_bytes())
}

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC, the format of `X-Amz-Date`.
pub fn format_amz_date(time: OffsetDateTime) -> String {
    let t = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, the format of S3's `ServerTime` and `Expires` error fields.
pub(crate) fn format_iso(time: OffsetDateTime) -> String {
    let t = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn date_of(year: u32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// Whether `s` is a real calendar date written `YYYYMMDD`.
pub(crate) fn is_ymd(s: &str) -> bool {
    s.len() == 8
        && s.is_char_boundary(4)
        && s.is_char_boundary(6)
        && matches!(
            (digits(&s[..4]), digits(&s[4..6]), digits(&s[6..])),
            (Some(y), Some(m), Some(d)) if date_of(y, m, d).is_some()
        )
}

/// Reads `YYYYMMDD'T'HHMMSS'Z'` exactly.
pub fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !s.is_ascii() {
        return None;
    }
    let date = date_of(digits(&s[..4])?, digits(&s[4..6])?, digits(&s[6..8])?)?;
    let time = Time::from_hms(
        u8::try_from(digits(&s[9..11])?).ok()?,
        u8::try_from(digits(&s[11..13])?).ok()?,
        u8::try_from(digits(&s[13..15])?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Reads an HTTP date, `Fri, 24 May 2013 00:00:00 GMT` (IMF-fixdate).
pub(crate) fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let fields: Vec<&str> = s.split_whitespace().collect();
    let [weekday, day, month, year, clock, zone] = fields.as_slice() else {
        return None;
    };
    if !weekday.ends_with(',') || !matches!(*zone, "GMT" | "UTC" | "UT" | "+0000" | "Z") {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))?;
    let date = date_of(digits(year)?, u32::try_from(month + 1).ok()?, digits(day)?)?;
    let mut hms = clock.split(':');
    let (Some(h), Some(m), Some(sec), None) = (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return None;
    };
    let time = Time::from_hms(
        u8::try_from(digits(h)?).ok()?,
        u8::try_from(digits(m)?).ok()?,
        u8::try_from(digits(sec)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}
