//! The At rest pane: the stored blob as hex rows, split and labelled by region (header, nonce,
//! ciphertext, tag) and coloured per region, with the plaintext that was uploaded and the
//! plaintext metadata JSON beside it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use s3lab_transcript::{hexdump_at, AtRest, BodyPreview, Event, Region};

use super::{PaneContent, StepCtx};
use crate::text::Hang;
use crate::theme::Theme;

/// Columns of a `hexdump -C` row.
const HEX_WIDTH: u16 = 78;
/// The narrowest metadata column worth putting beside the hex.
const BESIDE_MIN: u16 = 36;

/// A region's kind, its letter (shown in its label, so colour is not the only clue) and style.
pub fn region_kind(name: &str, t: &Theme) -> (&'static str, &'static str, Style) {
    if name.contains("nonce") {
        ("N", "nonce", t.region_nonce)
    } else if name.contains("ciphertext") {
        ("C", "ciphertext", t.region_ciphertext)
    } else if name.contains("tag") {
        ("T", "tag", t.region_tag)
    } else if name.starts_with("header") {
        ("H", "header", t.region_header)
    } else {
        ("P", "stored as is", t.region_plain)
    }
}

/// The hex rows of one region, its bytes styled.
fn region_rows(bytes: &[u8], region: &Region, style: Style, t: &Theme) -> Vec<Line<'static>> {
    let start = usize::try_from(region.start).unwrap_or(usize::MAX);
    let end = usize::try_from(region.end)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    if start >= end {
        return Vec::new();
    }
    hexdump_at(&bytes[start..end], region.start)
        .into_iter()
        .map(|row| {
            // offset (10 columns), bytes (49), ascii (the rest).
            let (offset, rest) = row.split_at(row.len().min(10));
            let (hex, ascii) = rest.split_at(rest.len().min(49));
            Line::from(vec![
                Span::styled(offset.to_owned(), t.dim),
                Span::styled(hex.to_owned(), style),
                Span::styled(ascii.to_owned(), t.dim),
            ])
        })
        .collect()
}

/// The hex view of one blob.
pub fn hex_lines(a: &AtRest, t: &Theme) -> Vec<Line<'static>> {
    let bytes = a.blob_preview.bytes();
    let mut lines = Vec::new();
    for region in &a.blob_preview.regions {
        let (letter, _, style) = region_kind(&region.name, t);
        let last = region.end.saturating_sub(1);
        lines.push(Line::from(vec![
            Span::styled(format!("[{letter}] "), style),
            Span::styled(region.name.clone(), style),
            Span::styled(
                format!(
                    " · bytes {}–{} ({} bytes)",
                    region.start,
                    last,
                    region.len()
                ),
                t.dim,
            ),
        ]));
        lines.extend(region_rows(&bytes, region, style, t));
    }
    if a.blob_preview.shown_len < a.blob_preview.total_len {
        lines.push(Line::styled(
            format!(
                "… the first {} of {} bytes",
                a.blob_preview.shown_len, a.blob_preview.total_len
            ),
            t.dim,
        ));
    }
    lines
}

/// What was uploaded to this object, from the last PUT of it up to the shown step.
fn uploaded<'a>(ctx: &StepCtx<'a>, a: &AtRest) -> Option<&'a BodyPreview> {
    let path = format!("/{}/{}", a.bucket, a.key);
    ctx.transcript
        .steps
        .iter()
        .take(ctx.step + 1)
        .flat_map(|s| s.events.iter())
        .filter_map(|e| match e {
            Event::Exchange(x) => Some(x),
            _ => None,
        })
        .rfind(|x| {
            let mut words = x.request.start_line.split_whitespace();
            words.next() == Some("PUT") && words.next() == Some(path.as_str())
        })
        .map(|x| &x.request.body)
}

pub fn content(ctx: &StepCtx<'_>, pane_width: u16) -> PaneContent {
    let t = ctx.theme;
    let stored: Vec<&AtRest> = ctx
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::AtRest(a) => Some(a),
            _ => None,
        })
        .collect();
    if stored.is_empty() {
        return PaneContent {
            lines: vec![
                Line::styled("This step writes nothing to disk that it shows.", t.dim),
                Line::styled("Steps that store an object show its bytes here.", t.dim),
            ],
            empty: true,
            ..PaneContent::default()
        };
    }
    let inner = pane_width.saturating_sub(2);
    let side_by_side = inner >= HEX_WIDTH + 2 + BESIDE_MIN;
    let mut left = Vec::new();
    let mut right = Vec::new();
    for (i, a) in stored.iter().enumerate() {
        if i > 0 {
            left.push(Line::default());
            right.push(Line::default());
        }
        left.push(Line::styled(
            format!(
                "{}/{} · {} · {} bytes stored",
                a.bucket, a.key, a.mode, a.blob_len
            ),
            t.title,
        ));
        if let Some(p) = &a.blob_path {
            left.push(Line::styled(format!("blob file: {p}"), t.dim));
        }
        left.push(Line::from(vec![
            Span::styled("regions: ", t.dim),
            Span::styled("[H] header ", t.region_header),
            Span::styled("[N] nonce ", t.region_nonce),
            Span::styled("[C] ciphertext ", t.region_ciphertext),
            Span::styled("[T] tag", t.region_tag),
        ]));
        left.extend(hex_lines(a, t));

        let side = if side_by_side { &mut right } else { &mut left };
        if !side_by_side {
            side.push(Line::default());
        }
        side.push(Line::styled("The plaintext that was uploaded", t.title));
        match uploaded(ctx, a) {
            Some(BodyPreview::Text { text, .. }) => {
                for l in text.lines() {
                    side.push(Line::styled(format!("  {l}"), t.code));
                }
            }
            Some(BodyPreview::Hex { hex, .. }) => {
                for l in hex.lines() {
                    side.push(Line::styled(l.to_owned(), t.code));
                }
            }
            _ => side.push(Line::styled("  (not in this transcript)", t.dim)),
        }
        if let Some(k) = &a.wrapped_key {
            side.push(Line::styled("Wrapped data key", t.title));
            side.push(Line::styled(format!("  {k}"), t.base));
        }
        if !a.key_ids.is_empty() {
            side.push(Line::styled(
                format!("Key: {}", a.key_ids.join(", ")),
                t.base,
            ));
        }
        if !a.material_versions.is_empty() {
            side.push(Line::styled(
                format!("Key material: {}", a.material_versions.join(", ")),
                t.base,
            ));
        }
        side.push(Line::styled(
            "Metadata file (plaintext JSON, readable on disk)",
            t.title,
        ));
        for l in a.metadata_json.lines() {
            side.push(Line::styled(l.to_owned(), t.code));
        }
    }
    PaneContent {
        lines: left,
        beside: side_by_side.then_some((right, HEX_WIDTH)),
        hang: Hang::Leading(2),
        ..PaneContent::default()
    }
}
