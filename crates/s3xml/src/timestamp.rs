//! [`Timestamp`]: S3's `2026-01-01T00:00:00.000Z`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::XmlError;

/// How S3 writes a timestamp in XML: UTC, milliseconds, `Z`.
const S3_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// A point in time as S3 writes it in XML bodies (`LastModified`, `CreationDate`, `Initiated`):
/// `2026-01-01T00:00:00.000Z`, always UTC, always milliseconds (truncated).
///
/// Reading accepts any RFC 3339 timestamp (`2026-01-01T00:00:00Z`, `...T01:00:00+01:00`),
/// which is what clients send in request bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The timestamp for `at`, converted to UTC.
    pub fn new(at: OffsetDateTime) -> Self {
        Timestamp(at.to_offset(UtcOffset::UTC))
    }

    /// The timestamp `millis` milliseconds after the Unix epoch, if representable.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .map(Timestamp)
    }

    /// Parses an RFC 3339 timestamp.
    ///
    /// # Errors
    ///
    /// [`XmlError::Invalid`] if `text` is not one.
    pub fn parse(text: &str) -> Result<Self, XmlError> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map(Timestamp::new)
            .map_err(|e| XmlError::Invalid(format!("{text:?} is not a timestamp: {e}")))
    }

    /// The point in time.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        Timestamp::new(at)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(at: Timestamp) -> Self {
        at.0
    }
}

/// S3's form, `2026-01-01T00:00:00.000Z`. Fails (with [`fmt::Error`]) only for years outside
/// 0 to 9999.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !(0..=9999).contains(&self.0.year()) {
            return Err(fmt::Error);
        }
        let text = self.0.format(S3_FORMAT).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !(0..=9999).contains(&self.0.year()) {
            return Err(serde::ser::Error::custom(format!(
                "the year {} cannot be written as an S3 timestamp",
                self.0.year()
            )));
        }
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn writes_milliseconds_in_utc() {
        let at = Timestamp::new(datetime!(2026-01-01 01:00:00.123456 +01:00));
        assert_eq!(at.to_string(), "2026-01-01T00:00:00.123Z");
        assert_eq!(
            Timestamp::new(datetime!(2026-01-01 00:00 UTC)).to_string(),
            "2026-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn reads_rfc3339_with_or_without_fraction() {
        let expected = Timestamp::new(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(Timestamp::parse("2026-01-01T00:00:00Z"), Ok(expected));
        assert_eq!(Timestamp::parse("2026-01-01T00:00:00.000Z"), Ok(expected));
        assert_eq!(Timestamp::parse("2026-01-01T01:00:00+01:00"), Ok(expected));
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("2026-01-01").is_err());
    }

    #[test]
    fn from_unix_millis() {
        assert_eq!(
            Timestamp::from_unix_millis(1_255_369_830_000).map(|t| t.to_string()),
            Some("2009-10-12T17:50:30.000Z".to_owned())
        );
    }
}
