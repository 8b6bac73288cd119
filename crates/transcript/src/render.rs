//! Text and Markdown renderings of a transcript.
//!
//! Both are deterministic: they read nothing but the transcript. Meaning is carried by characters,
//! never only by colour: SSE headers are marked `»`, checks `✓`/`✗`, wire-tap lines `→`/`←`.

use crate::preview::hexdump_at;
use crate::{
    is_sse_header, AtRest, BodyPreview, Check, Event, Exchange, HttpMessage, KmsCall, Note, Secret,
    Transcript, WireTap,
};

/// The narrowest width the text rendering honours.
const MIN_WIDTH: usize = 40;

/// The transcript as plain text for a terminal `width` columns wide (80 is the reference).
///
/// Step headers are underlined; request and response headers are one per line, S3's
/// server-side-encryption headers marked `»`; a KMS call is one entry (wrapped when long); blobs at
/// rest are hex rows grouped by region (`hexdump -C` rows are 78 columns whatever the width);
/// notes are wrapped to `width`; checks read `✓ name` or `✗ name (expected …, observed …)`.
pub fn render_text(t: &Transcript, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let mut lines = vec![
        t.title.clone(),
        "═".repeat(width),
        format!(
            "scenario {} · {} step{}",
            t.scenario,
            t.steps.len(),
            if t.steps.len() == 1 { "" } else { "s" }
        ),
    ];
    for (i, step) in t.steps.iter().enumerate() {
        lines.push(String::new());
        lines.extend(wrap(
            &format!("Step {} · {}", i + 1, step.title),
            width,
            "",
            "  ",
        ));
        lines.push("─".repeat(width));
        for event in &step.events {
            lines.push(String::new());
            lines.extend(event_lines(event, width));
        }
    }
    finish(lines)
}

/// The transcript as Markdown for the book: a heading per step, notes as paragraphs, checks as
/// lists, and everything else in ```` ```text ```` blocks rendered as by [`render_text`] at 80
/// columns.
pub fn render_markdown(t: &Transcript) -> String {
    const WIDTH: usize = 80;
    let mut lines = vec![
        format!("# {}", t.title),
        String::new(),
        format!("Scenario `{}`.", t.scenario),
    ];
    for (i, step) in t.steps.iter().enumerate() {
        lines.push(String::new());
        lines.push(format!("## Step {}: {}", i + 1, step.title));
        let mut block: Vec<String> = Vec::new();
        let mut in_list = false;
        for event in &step.events {
            match event {
                Event::Note(note) => {
                    flush_block(&mut lines, &mut block);
                    in_list = false;
                    // Each line of a note is a paragraph, as in the text rendering.
                    for paragraph in note.text.lines() {
                        lines.push(String::new());
                        lines.push(paragraph.to_owned());
                    }
                    if note.shown_on_purpose {
                        lines.push(String::new());
                        lines.push("*This note shows a secret key on purpose.*".into());
                    }
                    if !note.claims.is_empty() {
                        lines.push(String::new());
                        lines.push(format!("*Claims: {}.*", note.claims.join(", ")));
                    }
                }
                Event::Check(check) => {
                    flush_block(&mut lines, &mut block);
                    if !in_list {
                        lines.push(String::new());
                        in_list = true;
                    }
                    lines.push(format!("- {}", check_line(check)));
                }
                other => {
                    in_list = false;
                    if !block.is_empty() {
                        block.push(String::new());
                    }
                    block.extend(event_lines(other, WIDTH));
                }
            }
        }
        flush_block(&mut lines, &mut block);
    }
    finish(lines)
}

fn flush_block(lines: &mut Vec<String>, block: &mut Vec<String>) {
    if block.is_empty() {
        return;
    }
    let longest_run = block
        .iter()
        .map(|l| {
            l.split(|c| c != '`')
                .map(str::len)
                .max()
                .unwrap_or_default()
        })
        .max()
        .unwrap_or_default();
    let fence = "`".repeat(longest_run.max(2) + 1);
    lines.push(String::new());
    lines.push(format!("{fence}text"));
    lines.extend(block.drain(..).map(|l| l.trim_end().to_owned()));
    lines.push(fence);
}

/// Joins lines without trailing spaces, ending with one newline.
fn finish(lines: Vec<String>) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn event_lines(event: &Event, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if event.shown_on_purpose() && !matches!(event, Event::Secret(_) | Event::Note(_)) {
        lines.push("(shown on purpose: this part contains a secret key)".into());
    }
    match event {
        Event::Exchange(e) => exchange_lines(e, width, &mut lines),
        Event::KmsCall(k) => lines.extend(pack(&kms_segments(k), width, "", "    ")),
        Event::AtRest(a) => at_rest_lines(a, width, &mut lines),
        Event::WireTap(w) => wire_tap_lines(w, width, &mut lines),
        Event::Note(n) => note_lines(n, width, &mut lines),
        Event::Check(c) => lines.extend(wrap(&check_line(c), width, "", "  ")),
        Event::Secret(s) => secret_lines(s, width, &mut lines),
    }
    lines
}

fn exchange_lines(e: &Exchange, width: usize, lines: &mut Vec<String>) {
    let mut label = format!("Request over {}", e.transport.as_str());
    if let Some(identity) = &e.identity {
        label.push_str(&format!(", signed by {identity}"));
    }
    lines.push(label);
    message_lines(&e.request, width, lines);
    lines.push(String::new());
    lines.push("Response".into());
    message_lines(&e.response, width, lines);
}

fn message_lines(m: &HttpMessage, width: usize, lines: &mut Vec<String>) {
    lines.extend(wrap(&m.start_line, width, "    ", "      "));
    for (name, value) in &m.headers {
        let first = if is_sse_header(name) { "  » " } else { "    " };
        lines.extend(wrap(&format!("{name}: {value}"), width, first, "      "));
    }
    body_lines(&m.body, width, lines);
}

fn body_lines(body: &BodyPreview, width: usize, lines: &mut Vec<String>) {
    match body {
        BodyPreview::Empty => {}
        BodyPreview::Text {
            text,
            truncated_from,
        } => {
            lines.push(String::new());
            for line in text.split('\n') {
                let line = line.strip_suffix('\r').unwrap_or(line);
                lines.extend(wrap(line, width, "    ", "      "));
            }
            if let Some(n) = truncated_from {
                lines.push(format!("    … first {} of {n} bytes shown", text.len()));
            }
        }
        BodyPreview::Hex {
            hex,
            truncated_from,
        } => {
            lines.push(String::new());
            lines.extend(hex.lines().map(|row| format!("  {row}")));
            if let Some(n) = truncated_from {
                lines.push(format!(
                    "    … first {} of {n} bytes shown",
                    body.shown_bytes().len()
                ));
            }
        }
        BodyPreview::Omitted { len, reason } => {
            lines.push(String::new());
            lines.extend(wrap(
                &format!("(body of {len} bytes not shown: {reason})"),
                width,
                "    ",
                "     ",
            ));
        }
    }
}

/// A KMS call's parts, packed into as few lines as the width allows: on a wide terminal, one.
fn kms_segments(k: &KmsCall) -> Vec<String> {
    let outcome = k.error_code.as_deref().unwrap_or("ok");
    let mut segments = vec![
        format!("KMS {} → {outcome}", k.event_name),
        format!("at {}", k.event_time),
    ];
    let mut by = format!("by {}", k.caller);
    if let Some(via) = &k.invoked_by {
        by.push_str(&format!(" via {via}"));
    }
    segments.push(by);
    segments.extend(k.key_arn.clone());
    if let Some(material) = &k.key_material_id {
        segments.push(format!("material {material}"));
    }
    if !k.encryption_context.is_empty() {
        let pairs: Vec<String> = k
            .encryption_context
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        segments.push(format!("context {{{}}}", pairs.join(", ")));
    }
    segments
}

fn at_rest_lines(a: &AtRest, width: usize, lines: &mut Vec<String>) {
    lines.extend(wrap(
        &format!(
            "At rest: {}/{} · {} · {} bytes stored",
            a.bucket, a.key, a.mode, a.blob_len
        ),
        width,
        "",
        "    ",
    ));
    if let Some(path) = &a.blob_path {
        lines.extend(wrap(&format!("blob file: {path}"), width, "    ", "      "));
    }
    if let Some(wrapped) = &a.wrapped_key {
        lines.extend(wrap(
            &format!("wrapped data key: {wrapped}"),
            width,
            "    ",
            "      ",
        ));
    }
    if !a.key_ids.is_empty() {
        lines.extend(wrap(
            &format!("key ids: {}", a.key_ids.join(", ")),
            width,
            "    ",
            "      ",
        ));
    }
    if !a.material_versions.is_empty() {
        lines.extend(wrap(
            &format!("key material: {}", a.material_versions.join(", ")),
            width,
            "    ",
            "      ",
        ));
    }
    let preview = &a.blob_preview;
    let bytes = preview.bytes();
    let shown = bytes.len() as u64;
    let dump = |label: Option<String>, start: u64, end: u64, lines: &mut Vec<String>| {
        if let Some(label) = label {
            lines.push(format!("    {label}"));
        }
        let (s, e) = (
            usize::try_from(start).unwrap_or(usize::MAX),
            usize::try_from(end).unwrap_or(usize::MAX),
        );
        if let Some(slice) = bytes.get(s..e.min(bytes.len())) {
            lines.extend(
                hexdump_at(slice, start)
                    .into_iter()
                    .map(|r| format!("  {r}")),
            );
        }
    };
    let mut pos = 0u64;
    for region in &preview.regions {
        if region.start >= shown {
            break;
        }
        if region.start > pos {
            dump(Some("(no region)".into()), pos, region.start, lines);
        }
        let mut label = format!(
            "{} · {} ({} byte{})",
            region.name,
            byte_range(region.start, region.end),
            region.len(),
            if region.len() == 1 { "" } else { "s" }
        );
        if region.end > shown {
            label.push_str(&format!(", first {} shown", shown - region.start));
        }
        dump(Some(label), region.start, region.end.min(shown), lines);
        pos = pos.max(region.end);
    }
    if pos < shown {
        let label = (!preview.regions.is_empty()).then(|| "(no region)".to_owned());
        dump(label, pos, shown, lines);
    }
    if preview.total_len > shown {
        lines.push(format!(
            "    … {} more bytes not shown",
            preview.total_len - shown
        ));
    }
    if !a.metadata_json.is_empty() {
        lines.push("    metadata file:".into());
        for line in a.metadata_json.lines() {
            lines.extend(wrap(line, width, "      ", "        "));
        }
    }
}

fn byte_range(start: u64, end: u64) -> String {
    if end <= start + 1 {
        format!("byte {start}")
    } else {
        format!("bytes {start}–{}", end - 1)
    }
}

fn wire_tap_lines(w: &WireTap, width: usize, lines: &mut Vec<String>) {
    let label = if w.readable {
        format!(
            "Wire tap ({}): an eavesdropper reads every byte",
            w.transport.as_str()
        )
    } else {
        format!(
            "Wire tap ({}): an eavesdropper sees only these TLS records",
            w.transport.as_str()
        )
    };
    lines.extend(wrap(&label, width, "", "  "));
    for line in &w.summary {
        lines.extend(wrap(line, width, "", "    "));
    }
}

fn note_lines(n: &Note, width: usize, lines: &mut Vec<String>) {
    if n.shown_on_purpose {
        lines.push("(this note shows a secret key on purpose)".into());
    }
    for paragraph in n.text.split('\n') {
        lines.extend(wrap(paragraph, width, "", ""));
    }
    if !n.claims.is_empty() {
        lines.extend(wrap(
            &format!("(claims: {})", n.claims.join(", ")),
            width,
            "  ",
            "  ",
        ));
    }
}

fn check_line(c: &Check) -> String {
    if c.passed {
        format!("✓ {}", c.name)
    } else {
        format!(
            "✗ {} (expected {}, observed {})",
            c.name, c.expected, c.observed
        )
    }
}

fn secret_lines(s: &Secret, width: usize, lines: &mut Vec<String>) {
    let label = if s.shown_on_purpose {
        format!("Key shown on purpose: {}", s.label)
    } else {
        format!("Key NOT marked as shown on purpose: {}", s.label)
    };
    lines.extend(wrap(&label, width, "", "  "));
    if !s.why.is_empty() {
        lines.extend(wrap(&format!("why: {}", s.why), width, "    ", "      "));
    }
    lines.extend(wrap(&format!("hex: {}", s.hex), width, "    ", "      "));
    lines.extend(wrap(
        &format!("base64: {}", s.base64),
        width,
        "    ",
        "      ",
    ));
}

/// Characters after which a word too long for a line is preferably cut.
const BREAK_AFTER: &[char] = &['/', ';', ',', '&', '='];

/// Word-wraps `text` to `width` columns: the first line after `first`, the others after `rest`.
///
/// A word that does not fit after `rest` but would with less indent (down to half of `rest`'s)
/// moves left, so that an ARN stays whole and can be copied; a longer word is cut, after a `/`,
/// `;`, `,`, `&` or `=` when one is near the end of the line.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let rest_len = rest.chars().count();
    let min_rest = rest_len.div_ceil(2);
    let rest_is_indent = rest.chars().all(|c| c == ' ');
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut len = first.chars().count();
    let mut empty = true;
    let mut fresh_rest = false;
    let new_line = |line: &mut String, len: &mut usize, lines: &mut Vec<String>| {
        lines.push(std::mem::replace(line, rest.to_owned()));
        *len = rest_len;
    };
    for word in text.split(' ') {
        let chars: Vec<char> = word.chars().collect();
        if !empty && len + 1 + chars.len() > width {
            new_line(&mut line, &mut len, &mut lines);
            empty = true;
            fresh_rest = true;
        }
        if fresh_rest && rest_is_indent && len + chars.len() > width {
            let indent = width.saturating_sub(chars.len()).max(min_rest);
            if indent < len && indent + chars.len() <= width {
                line = " ".repeat(indent);
                len = indent;
            }
        }
        fresh_rest = false;
        if !empty {
            line.push(' ');
            len += 1;
        }
        empty = false;
        let mut i = 0;
        while i < chars.len() {
            if len >= width {
                new_line(&mut line, &mut len, &mut lines);
            }
            let room = width.saturating_sub(len).max(1);
            let mut take = room.min(chars.len() - i);
            if i + take < chars.len() {
                if let Some(p) = chars[i..i + take]
                    .iter()
                    .rposition(|c| BREAK_AFTER.contains(c))
                {
                    if 2 * (p + 1) >= take {
                        take = p + 1;
                    }
                }
            }
            line.extend(&chars[i..i + take]);
            len += take;
            i += take;
            if i < chars.len() {
                new_line(&mut line, &mut len, &mut lines);
            }
        }
    }
    lines.push(line);
    lines
}

/// Packs `segments` into lines of `width` columns, as many whole segments a line as fit,
/// word-wrapping only a segment that fits on no line.
fn pack(segments: &[String], width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut empty = true;
    for segment in segments {
        let len = line.chars().count();
        let seg_len = segment.chars().count();
        if !empty && len + 1 + seg_len > width {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            empty = true;
        }
        let prefix = if empty {
            line.clone()
        } else {
            format!("{line} ")
        };
        let mut wrapped = wrap(segment, width, &prefix, rest);
        line = wrapped.pop().unwrap_or_default();
        lines.append(&mut wrapped);
        empty = false;
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_cuts_long_ones() {
        assert_eq!(wrap("aaa bbb ccc", 8, "", "  "), ["aaa bbb", "  ccc"]);
        assert_eq!(wrap("abcdefghij", 4, "", ""), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("x abcdefgh", 6, "- ", "  "),
            ["- x", "  abcd", "  efgh"]
        );
        assert_eq!(wrap("", 10, "  ", "  "), ["  "]);
        // A word moves left rather than being cut; cut after a `/` when it must be.
        assert_eq!(wrap("k: abcdefgh", 10, "", "    "), ["k:", "  abcdefgh"]);
        assert_eq!(
            wrap("k: abc/defghij", 10, "", "    "),
            ["k:", "    abc/", "    defghi", "    j"]
        );
    }

    #[test]
    fn pack_keeps_segments_whole() {
        let segments = ["KMS Decrypt → ok", "at t", "by someone"].map(String::from);
        assert_eq!(
            pack(&segments, 80, "", "  "),
            ["KMS Decrypt → ok at t by someone"]
        );
        assert_eq!(
            pack(&segments, 22, "", "  "),
            ["KMS Decrypt → ok at t", "  by someone"]
        );
    }

    #[test]
    fn fence_outgrows_backticks() {
        let mut lines = Vec::new();
        let mut block = vec!["a ```` b".to_owned()];
        flush_block(&mut lines, &mut block);
        assert_eq!(lines, ["", "`````text", "a ```` b", "`````"]);
    }
}
