//! From untrusted names to safe file names.
//!
//! Object keys become file names only through [`object_file_name`], which can produce nothing but
//! `A-Z a-z 0-9 - _ . %` (and `~` for hashed names), never starts with `.`, and never contains a path
//! separator: no key can reach outside its bucket's `objects/` folder. Bucket names and upload ids are
//! checked once, when they are created; every later lookup goes through the in-memory index, so a
//! name that was never created never reaches the file system.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// Longest percent-encoded name used as is; longer ones are hashed.
pub const MAX_PLAIN_NAME: usize = 150;
/// Blob ids are this many hex digits.
pub const BLOB_ID_LEN: usize = 32;

pub const BUCKET_FILE: &str = "bucket.json";
pub const OBJECTS_DIR: &str = "objects";
pub const UPLOADS_DIR: &str = "uploads";
pub const UPLOAD_FILE: &str = "upload.json";
pub const META_SUFFIX: &str = ".meta.json";
pub const BLOB_SUFFIX: &str = ".blob";
/// The lock file in the storage root.
pub const LOCK_FILE: &str = ".s3lab-storage.lock";

/// The file-name stem of an object: the key percent-encoded (everything but `A-Z a-z 0-9 - _ .`, and
/// a leading `.`), or `~` and the hex SHA-256 of the key when that would be longer than
/// [`MAX_PLAIN_NAME`] bytes.
pub fn object_file_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (i, b) in key.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if keep {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
        if out.len() > MAX_PLAIN_NAME {
            return format!("~{}", hex::encode(Sha256::digest(key.as_bytes())));
        }
    }
    out
}

pub fn meta_file(name: &str) -> String {
    format!("{name}{META_SUFFIX}")
}

pub fn object_blob_file(name: &str, blob: &str) -> String {
    format!("{name}.{blob}{BLOB_SUFFIX}")
}

pub fn part_file(part_number: u32) -> String {
    format!("part-{part_number:05}.json")
}

pub fn part_blob_file(part_number: u32, blob: &str) -> String {
    format!("part-{part_number:05}.{blob}{BLOB_SUFFIX}")
}

/// `<name>.<blob-id>.blob` → (`<name>`, `<blob-id>`).
pub fn parse_object_blob_file(file: &str) -> Option<(&str, &str)> {
    let (name, id) = file.strip_suffix(BLOB_SUFFIX)?.rsplit_once('.')?;
    (is_blob_id(id) && !name.is_empty()).then_some((name, id))
}

/// `part-00001.json` → 1.
pub fn parse_part_file(file: &str) -> Option<u32> {
    let digits = file.strip_prefix("part-")?.strip_suffix(".json")?;
    parse_part_digits(digits)
}

/// `part-00001.<blob-id>.blob` → (1, `<blob-id>`).
pub fn parse_part_blob_file(file: &str) -> Option<(u32, &str)> {
    let (digits, id) = file
        .strip_prefix("part-")?
        .strip_suffix(BLOB_SUFFIX)?
        .split_once('.')?;
    let n = parse_part_digits(digits)?;
    is_blob_id(id).then_some((n, id))
}

fn parse_part_digits(digits: &str) -> Option<u32> {
    if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| is_valid_part_number(*n))
}

pub fn is_blob_id(id: &str) -> bool {
    id.len() == BLOB_ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// S3's part numbers: 1 to 10,000.
pub fn is_valid_part_number(n: u32) -> bool {
    (1..=10_000).contains(&n)
}

/// S3's rules for general purpose bucket names: 3 to 63 characters from `a-z 0-9 . -`, starting
/// and ending with a letter or digit, no `..`, not shaped like an IP address, and none of the
/// prefixes and suffixes S3 reserves (`xn--`, `sthree-`, `amzn-s3-demo-`, `-s3alias`, `--ol-s3`,
/// `.mrap`, `--x-s3`, `--table-s3`). Such a name is always a safe, single path component.
pub fn is_valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let looks_like_ip = {
        let parts: Vec<&str> = name.split('.').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()))
    };
    (3..=63).contains(&b.len())
        && b.iter().all(|c| edge(c) || *c == b'.' || *c == b'-')
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && !name.contains("..")
        && !looks_like_ip
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| name.starts_with(p))
        && !["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Upload ids are chosen by the S3 crate: 1 to 200 characters from `A-Z a-z 0-9 . _ -`, starting
/// with a letter or digit.
pub fn is_valid_upload_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=200).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_safe_names() {
        assert_eq!(
            object_file_name("photos/2024/cat.jpg"),
            "photos%2F2024%2Fcat.jpg"
        );
        assert_eq!(object_file_name("."), "%2E");
        assert_eq!(object_file_name(".."), "%2E.");
        assert_eq!(object_file_name(".hidden"), "%2Ehidden");
        assert_eq!(
            object_file_name("../../etc/passwd"),
            "%2E.%2F..%2Fetc%2Fpasswd"
        );
        assert_eq!(object_file_name("a b~"), "a%20b%7E");
        assert_eq!(object_file_name("nul\0"), "nul%00");
        assert_eq!(object_file_name("é"), "%C3%A9");
        assert_eq!(object_file_name("%2e%2e"), "%252e%252e");
        let long = "k".repeat(151);
        let hashed = object_file_name(&long);
        assert!(hashed.starts_with('~') && hashed.len() == 65, "{hashed}");
        assert_eq!(object_file_name(&"k".repeat(150)), "k".repeat(150));
        // 50 slashes encode to exactly 150 bytes; one more character tips it over.
        assert_eq!(object_file_name(&"/".repeat(50)).len(), 150);
        assert!(object_file_name(&"/".repeat(51)).starts_with('~'));
    }

    #[test]
    fn file_names_parse_back() {
        let id = "0123456789abcdef0123456789abcdef";
        let f = object_blob_file("a.b.c", id);
        assert_eq!(parse_object_blob_file(&f), Some(("a.b.c", id)));
        assert_eq!(parse_object_blob_file("a.meta.json"), None);
        assert_eq!(parse_object_blob_file("a.xyz.blob"), None);
        assert_eq!(parse_part_file(&part_file(7)), Some(7));
        assert_eq!(parse_part_file("part-00000.json"), None);
        assert_eq!(
            parse_part_blob_file(&part_blob_file(10_000, id)),
            Some((10_000, id))
        );
        assert_eq!(parse_part_blob_file("part-1.x.blob"), None);
    }

    #[test]
    fn bucket_names_and_upload_ids() {
        for ok in ["abc", "my-bucket.2026", "a1b", "1.2.3", "1.2.3.4.5", "xn-a"] {
            assert!(is_valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "sthree-x",
            "bucket-s3alias",
            "b--ol-s3",
            "b.mrap",
            "",
            "ab",
            ".",
            "..",
            ".abc",
            "abc.",
            "-abc",
            "a/b",
            "ABC",
            "a_b",
            "a\0b",
            &"a".repeat(64),
        ] {
            assert!(!is_valid_bucket_name(bad), "{bad:?}");
        }
        assert!(is_valid_upload_id("VXBsb2Fk.SUQ_-x"));
        for bad in ["", ".x", "..", "a/b", "a\\b", "a b", &"u".repeat(201)] {
            assert!(!is_valid_upload_id(bad), "{bad:?}");
        }
    }
}
