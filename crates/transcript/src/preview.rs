//! Previews of bytes: bodies as text or hex, blobs as hex rows with regions.

use serde::{Deserialize, Serialize};

/// What a transcript shows of a body.
///
/// [`BodyPreview::of`] keeps at most a limit of bytes (the full length is then recorded in
/// `truncated_from`), as text when they are UTF-8 without control characters (tab, CR and LF
/// allowed), else as hex rows in the style of `hexdump -C`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(tag = "kind")]
pub enum BodyPreview {
    /// No body at all.
    #[default]
    Empty,
    /// The body (or its first bytes) as text.
    Text {
        text: String,
        /// The body's full length in bytes, when `text` is only its beginning.
        truncated_from: Option<u64>,
    },
    /// The body (or its first bytes) as `hexdump -C` rows: offset, 16 bytes, ASCII.
    Hex {
        hex: String,
        /// The body's full length in bytes, when `hex` shows only its beginning.
        truncated_from: Option<u64>,
    },
    /// Not shown at all (a streamed body, a body the step does not want to show).
    Omitted { len: u64, reason: String },
}

impl BodyPreview {
    /// A preview of `body`, keeping at most `limit` bytes.
    pub fn of(body: &[u8], limit: usize) -> Self {
        if body.is_empty() {
            return BodyPreview::Empty;
        }
        let truncated = body.len() > limit;
        let shown = &body[..body.len().min(limit)];
        let truncated_from = truncated.then_some(body.len() as u64);
        match as_text(shown, truncated) {
            Some(text) => BodyPreview::Text {
                text: text.to_owned(),
                truncated_from,
            },
            None => BodyPreview::Hex {
                hex: hexdump(shown),
                truncated_from,
            },
        }
    }

    /// A body that is not shown.
    pub fn omitted(len: u64, reason: impl Into<String>) -> Self {
        BodyPreview::Omitted {
            len,
            reason: reason.into(),
        }
    }

    /// The bytes the preview shows (for a hex preview, parsed back from its rows).
    pub fn shown_bytes(&self) -> Vec<u8> {
        match self {
            BodyPreview::Empty | BodyPreview::Omitted { .. } => Vec::new(),
            BodyPreview::Text { text, .. } => text.as_bytes().to_vec(),
            BodyPreview::Hex { hex, .. } => parse_hexdump(hex)
                .into_iter()
                .flat_map(|(_, bytes)| bytes)
                .collect(),
        }
    }

    /// The body's full length, as far as the preview knows it.
    pub fn full_len(&self) -> u64 {
        match self {
            BodyPreview::Empty => 0,
            BodyPreview::Omitted { len, .. } => *len,
            BodyPreview::Text {
                truncated_from: Some(n),
                ..
            }
            | BodyPreview::Hex {
                truncated_from: Some(n),
                ..
            } => *n,
            BodyPreview::Text { text, .. } => text.len() as u64,
            BodyPreview::Hex { .. } => self.shown_bytes().len() as u64,
        }
    }
}

/// `bytes` as text, if they are UTF-8 without control characters other than tab, CR and LF. A
/// `truncated` prefix may end inside a character; that incomplete character is dropped.
pub(crate) fn as_text(bytes: &[u8], truncated: bool) -> Option<&str> {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) if truncated && e.error_len().is_none() => {
            std::str::from_utf8(bytes.get(..e.valid_up_to())?).ok()?
        }
        Err(_) => return None,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .then_some(text)
}

/// `bytes` as lowercase hex without separators.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// `bytes` as `hexdump -C` rows joined by newlines (no trailing newline, no final offset row).
///
/// ```
/// assert_eq!(
///     s3lab_transcript::hexdump(b"S3LB\x01\x01"),
///     "00000000  53 33 4c 42 01 01                                 |S3LB..|"
/// );
/// ```
pub fn hexdump(bytes: &[u8]) -> String {
    hexdump_at(bytes, 0).join("\n")
}

/// `bytes` as `hexdump -C` rows, the first at `offset`: each row is 78 columns, offset (8 hex
/// digits), 16 bytes in two groups of 8, and the printable ASCII between `|`.
pub fn hexdump_at(bytes: &[u8], offset: u64) -> Vec<String> {
    hexdump_rows(bytes, offset, 16)
}

/// Like [`hexdump_at`] with `per_row` bytes in each row (16 gives `hexdump -C`; 8 gives rows of
/// 45 columns for narrow panes). Groups of 8 are set apart by an extra space.
pub fn hexdump_rows(bytes: &[u8], offset: u64, per_row: usize) -> Vec<String> {
    let per_row = per_row.max(1);
    bytes
        .chunks(per_row)
        .enumerate()
        .map(|(i, row)| {
            let mut line = format!("{:08x}  ", offset + (per_row * i) as u64);
            for j in 0..per_row {
                match row.get(j) {
                    Some(b) => line.push_str(&format!("{b:02x} ")),
                    None => line.push_str("   "),
                }
                if j % 8 == 7 && j + 1 < per_row {
                    line.push(' ');
                }
            }
            line.push_str(" |");
            line.extend(row.iter().map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    char::from(b)
                } else {
                    '.'
                }
            }));
            line.push('|');
            line
        })
        .collect()
}

/// The bytes of the `hexdump -C` rows found in `text`, as runs of consecutive rows: `(offset of
/// the first row, bytes)`. A row may have anything before its offset (an indent, an arrow); rows
/// whose offsets do not continue the previous row start a new run.
pub fn parse_hexdump(text: &str) -> Vec<(u64, Vec<u8>)> {
    let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut next: Option<u64> = None;
    for line in text.lines() {
        let Some((offset, bytes)) = parse_row(line) else {
            next = None;
            continue;
        };
        let len = bytes.len() as u64;
        match runs.last_mut() {
            Some((_, run)) if next == Some(offset) => run.extend(bytes),
            _ => runs.push((offset, bytes)),
        }
        next = Some(offset + len);
    }
    runs
}

fn parse_row(line: &str) -> Option<(u64, Vec<u8>)> {
    let mut tokens = line.split_whitespace();
    let offset = tokens.by_ref().find_map(|t| {
        (t.len() == 8 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u64::from_str_radix(t, 16).ok())
            .flatten()
    })?;
    let bytes: Vec<u8> = tokens
        .take(16)
        .map_while(|t| {
            if t.len() == 2 {
                u8::from_str_radix(t, 16).ok()
            } else {
                None
            }
        })
        .collect();
    (!bytes.is_empty()).then_some((offset, bytes))
}

/// A named byte range of a blob: `start..end`, end exclusive.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Region {
    pub name: String,
    pub start: u64,
    pub end: u64,
}

impl Region {
    pub fn new(name: impl Into<String>, start: u64, end: u64) -> Self {
        Region {
            name: name.into(),
            start,
            end,
        }
    }

    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The first bytes of a blob as hex rows, with its regions named.
///
/// `rows` are `hexdump -C` rows of the first `shown_len` bytes (offsets from 0). `regions` follow
/// each other in offset order without overlapping and describe the blob as it is, so the last one
/// shown may end after `shown_len`; regions that start after the shown bytes are left out.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct HexRegions {
    pub rows: Vec<String>,
    pub regions: Vec<Region>,
    pub shown_len: u64,
    pub total_len: u64,
}

/// Size of the at-rest stream header.
const HEADER_LEN: u64 = 32;
/// Size of an AES-GCM tag.
const TAG_LEN: u64 = 16;

impl HexRegions {
    /// `shown` (the first bytes of a blob of `total_len` bytes) with the given regions.
    pub fn new(shown: &[u8], total_len: u64, regions: Vec<Region>) -> Self {
        let shown_len = shown.len() as u64;
        HexRegions {
            rows: hexdump_at(shown, 0),
            regions: regions
                .into_iter()
                .filter(|r| r.start < shown_len)
                .collect(),
            shown_len,
            total_len,
        }
    }

    /// The first `limit` bytes of an s3lab at-rest blob (of which `prefix` holds at least that
    /// many, or all), with the regions of the at-rest format marked: the 32-byte header
    /// (`S3LB`, version, algorithm, chunk size; the 12-byte base nonce at offset 12; 8 reserved
    /// bytes), then each chunk's ciphertext and 16-byte tag, sized by the header's chunk size and
    /// `total_len`. Bytes without the `S3LB` magic (an object stored unencrypted) are one region.
    pub fn at_rest_blob(prefix: &[u8], total_len: u64, limit: usize) -> Self {
        let shown = &prefix[..prefix.len().min(limit)];
        let shown_len = shown.len() as u64;
        let chunk_size = prefix
            .get(8..12)
            .filter(|_| prefix.starts_with(b"S3LB"))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|b| u64::from(u32::from_be_bytes(b)));
        let mut regions = Vec::new();
        match chunk_size {
            None => regions.push(Region::new("stored bytes (no s3lab header)", 0, total_len)),
            Some(c) => {
                regions.push(Region::new("header", 0, 12));
                regions.push(Region::new("base nonce", 12, 24));
                regions.push(Region::new("header (reserved)", 24, HEADER_LEN));
                if c == 0 {
                    regions.push(Region::new(
                        "rest (chunk size 0: not a valid blob)",
                        HEADER_LEN,
                        total_len,
                    ));
                } else {
                    let mut start = HEADER_LEN;
                    let mut i = 0u64;
                    while start < total_len && start < shown_len {
                        let end = total_len.min(start + c + TAG_LEN);
                        if end - start < TAG_LEN {
                            regions.push(Region::new(
                                format!("chunk {i} (shorter than a tag)"),
                                start,
                                end,
                            ));
                        } else {
                            let tag = end - TAG_LEN;
                            if tag > start {
                                regions.push(Region::new(
                                    format!("chunk {i} ciphertext"),
                                    start,
                                    tag,
                                ));
                            }
                            regions.push(Region::new(format!("chunk {i} tag"), tag, end));
                        }
                        start = end;
                        i += 1;
                    }
                }
            }
        }
        HexRegions::new(shown, total_len, regions)
    }

    /// The shown bytes, parsed back from the rows.
    pub fn bytes(&self) -> Vec<u8> {
        parse_hexdump(&self.rows.join("\n"))
            .into_iter()
            .flat_map(|(_, bytes)| bytes)
            .collect()
    }
}
