//! Encryption contexts and material descriptions: string maps stored as JSON in the metadata.
//!
//! The order of the entries is kept as written (the official Python client writes the caller's
//! entries, then `aws:x-amz-cek-alg`), so that an object can be re-encrypted byte for byte.
//! Comparison ignores order, as every reader does.

use std::fmt::Write as _;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use crate::error::{CseError, Result};

/// The encryption context key the client reserves for the content algorithm (reference §3.7).
pub const RESERVED_CEK_ALG: &str = "aws:x-amz-cek-alg";
/// The key the legacy `kms` wrapping stores its key id under.
pub const RESERVED_KMS_CMK_ID: &str = "kms_cmk_id";

/// A map of strings with its order of insertion kept, and unique keys.
#[derive(Debug, Clone, Default, Eq)]
pub struct StringMap(Vec<(String, String)>);

impl PartialEq for StringMap {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl StringMap {
    pub fn new() -> Self {
        StringMap(Vec::new())
    }

    /// Sets `key` to `value`, in place if it exists, else at the end.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Refuses keys or values that are not US-ASCII (S3 would RFC 2047-encode them on the way
    /// back, and the stored context would never match again).
    pub fn check_ascii(&self) -> Result<()> {
        for (k, v) in self.iter() {
            for s in [k, v] {
                if !s.is_ascii() {
                    return Err(CseError::NonAsciiContext(s.to_owned()));
                }
            }
        }
        Ok(())
    }

    /// JSON as Python's `json.dumps` writes it: `{"k": "v", "k2": "v2"}`. Every reader parses the
    /// JSON, so the spacing is only there to match the official client byte for byte.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}: {}", json_string(k), json_string(v));
        }
        out.push('}');
        out
    }

    /// Parses a JSON object whose values are all strings; `key` names the metadata entry for the
    /// error. An empty string is read as `{}` (the Go client writes empty values).
    pub fn from_json(text: &str, key: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(StringMap::new());
        }
        serde_json::from_str::<StringMap>(text).map_err(|e| CseError::Json {
            key: key.to_owned(),
            reason: e.to_string(),
        })
    }
}

impl FromIterator<(String, String)> for StringMap {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        let mut map = StringMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for StringMap {
    fn from_iter<T: IntoIterator<Item = (&'a str, &'a str)>>(iter: T) -> Self {
        iter.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// One JSON string literal (serde_json escapes exactly as Python does for ASCII input).
pub(crate) fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<StringMap, A::Error> {
                let mut map = StringMap::new();
                while let Some((k, v)) = access.next_entry::<String, String>()? {
                    if map.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    map.0.push((k, v));
                }
                Ok(map)
            }
        }
        d.deserialize_map(V)
    }
}

/// An encryption context (KMS) or a material description (raw keyrings).
pub type EncryptionContext = StringMap;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_python_and_keeps_order() {
        let mut ec: StringMap = [("purpose", "vector")].into_iter().collect();
        ec.insert(RESERVED_CEK_ALG, "115");
        assert_eq!(
            ec.to_json(),
            r#"{"purpose": "vector", "aws:x-amz-cek-alg": "115"}"#
        );
        let back = StringMap::from_json(&ec.to_json(), "x-amz-t").unwrap_or_default();
        assert_eq!(
            back.iter().collect::<Vec<_>>(),
            ec.iter().collect::<Vec<_>>()
        );
        assert_eq!(StringMap::new().to_json(), "{}");
        assert_eq!(
            [("a\"b", "c\\d\n")]
                .into_iter()
                .collect::<StringMap>()
                .to_json(),
            r#"{"a\"b": "c\\d\n"}"#
        );
    }

    #[test]
    fn equality_ignores_order() {
        let a: StringMap = [("a", "1"), ("b", "2")].into_iter().collect();
        let b: StringMap = [("b", "2"), ("a", "1")].into_iter().collect();
        let c: StringMap = [("a", "1")].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bad_json_is_a_typed_error() {
        for bad in ["{", "[]", r#"{"a": 1}"#, r#"{"a": "1", "a": "2"}"#, "null"] {
            match StringMap::from_json(bad, "x-amz-matdesc") {
                Err(CseError::Json { key, .. }) => assert_eq!(key, "x-amz-matdesc"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(StringMap::from_json("", "x-amz-m")
            .map(|m| m.is_empty())
            .unwrap_or(false));
    }

    #[test]
    fn non_ascii_is_refused() {
        let ec: StringMap = [("k", "café")].into_iter().collect();
        assert!(matches!(
            ec.check_ascii(),
            Err(CseError::NonAsciiContext(_))
        ));
    }
}
