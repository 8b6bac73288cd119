//! The Request and Response panes: every header in wire order, S3's server-side-encryption headers
//! marked `»` and highlighted, headers that changed since the previous exchange marked `Δ`, the
//! body (an S3 error's XML pretty-printed).

use ratatui::text::{Line, Span};
use s3lab_transcript::{
    hexdump_rows, is_sse_header, parse_hexdump, BodyPreview, Event, Exchange, HttpMessage,
};

use super::{PaneContent, StepCtx};
use crate::text::pretty_xml;
use crate::text::Hang;
use crate::theme::Theme;

/// The width of a `hexdump -C` row.
const HEXDUMP_WIDTH: u16 = 78;

/// Headers that differ on every request (signatures, ids, dates, lengths): never marked changed.
const NOISE: &[&str] = &[
    "authorization",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-request-id",
    "x-amz-id-2",
    "date",
    "content-length",
    "content-md5",
    "etag",
    "last-modified",
];

/// The exchanges of the step, each with the exchange before it in the transcript.
pub fn exchanges<'a>(ctx: &StepCtx<'a>) -> Vec<(&'a Exchange, Option<&'a Exchange>)> {
    let mut prev: Option<&Exchange> = None;
    let mut out = Vec::new();
    for (i, step) in ctx.transcript.steps.iter().enumerate().take(ctx.step + 1) {
        for event in &step.events {
            if let Event::Exchange(e) = event {
                if i == ctx.step {
                    out.push((e, prev));
                }
                prev = Some(e);
            }
        }
    }
    out
}

pub fn request(ctx: &StepCtx<'_>, pane_width: u16) -> PaneContent {
    content(ctx, false, pane_width)
}

pub fn response(ctx: &StepCtx<'_>, pane_width: u16) -> PaneContent {
    content(ctx, true, pane_width)
}

/// The status code of a response's start line.
pub fn status_of(message: &HttpMessage) -> Option<u16> {
    message
        .start_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
}

fn content(ctx: &StepCtx<'_>, response: bool, pane_width: u16) -> PaneContent {
    let t = ctx.theme;
    let all = exchanges(ctx);
    if all.is_empty() {
        return PaneContent {
            lines: vec![
                Line::styled("This step sends no request.", t.dim),
                Line::styled("Its Note says what it shows instead.", t.dim),
            ],
            empty: true,
            ..PaneContent::default()
        };
    }
    let mut lines = Vec::new();
    let (mut shown, mut total) = (0, 0);
    for (i, (exchange, prev)) in all.iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        let who = exchange
            .identity
            .as_deref()
            .map_or("anonymous".to_owned(), |w| format!("signed by {w}"));
        let count = if all.len() > 1 {
            format!("exchange {} of {} · ", i + 1, all.len())
        } else {
            String::new()
        };
        lines.push(Line::styled(
            format!("{count}over {} · {who}", exchange.transport.as_str()),
            t.dim,
        ));
        let (message, before) = if response {
            (&exchange.response, prev.map(|p| &p.response))
        } else {
            (&exchange.request, prev.map(|p| &p.request))
        };
        let (s, n) = message_lines(message, before, response, ctx, pane_width, &mut lines);
        shown += s;
        total += n;
    }
    let title_note =
        (!ctx.search.is_empty()).then(|| format!("/{}: {shown} of {total} headers", ctx.search));
    PaneContent {
        lines,
        title_note,
        hang: Hang::Fixed(6),
        ..PaneContent::default()
    }
}

fn between(s: &str, open: &str, close: &str) -> Option<String> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(s[start..end].to_owned())
}

/// Whether `name: value` changed since `before` (absent then, or another value).
fn changed(name: &str, value: &str, before: Option<&HttpMessage>) -> bool {
    let Some(before) = before else {
        return false;
    };
    if NOISE.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return false;
    }
    before.header(name) != Some(value)
}

/// Appends a message's lines; returns (headers shown, headers in all).
fn message_lines(
    m: &HttpMessage,
    before: Option<&HttpMessage>,
    response: bool,
    ctx: &StepCtx<'_>,
    pane_width: u16,
    lines: &mut Vec<Line<'static>>,
) -> (usize, usize) {
    let t = ctx.theme;
    let status = status_of(m);
    let error = response && status.is_some_and(|s| s >= 400);
    if response {
        let (mark, style) = if error {
            ("✗ ", t.fail)
        } else {
            ("✓ ", t.ok)
        };
        let spans = vec![
            Span::styled(mark, style),
            Span::styled(m.start_line.clone(), t.title),
        ];
        lines.push(Line::from(spans));
        if error {
            let body = String::from_utf8_lossy(&m.body.shown_bytes()).into_owned();
            let code = between(&body, "<Code>", "</Code>");
            let message = between(&body, "<Message>", "</Message>");
            if let Some(code) = code {
                lines.push(Line::styled(
                    format!("  S3 error {code}: {}", message.unwrap_or_default()),
                    t.fail,
                ));
            }
        }
    } else {
        lines.push(Line::styled(format!("   {}", m.start_line), t.title));
    }
    let mut shown = 0;
    for (name, value) in &m.headers {
        let matches = ctx.search.is_empty()
            || name.to_lowercase().contains(&ctx.search)
            || value.to_lowercase().contains(&ctx.search);
        if !matches {
            continue;
        }
        shown += 1;
        lines.push(header_line(name, value, changed(name, value, before), t));
    }
    let total = m.headers.len();
    if !ctx.search.is_empty() && shown < total {
        lines.push(Line::styled(
            format!("   … {} other headers hidden by the search", total - shown),
            t.dim,
        ));
    }
    body_lines(&m.body, error, t, pane_width, lines);
    (shown, total)
}

/// One header: `»` for an SSE header, `Δ` for a changed one, then `name: value`.
pub fn header_line(name: &str, value: &str, changed: bool, t: &Theme) -> Line<'static> {
    let sse = is_sse_header(name);
    let style = if sse {
        t.sse
    } else if changed {
        t.changed
    } else {
        t.base
    };
    Line::from(vec![
        Span::styled(if sse { "»" } else { " " }, t.sse),
        Span::styled(if changed { "Δ" } else { " " }, t.changed),
        Span::styled(" ", t.base),
        Span::styled(format!("{name}: "), style),
        Span::styled(value.to_owned(), if sse { t.sse } else { t.base }),
    ])
}

fn body_lines(
    body: &BodyPreview,
    error: bool,
    t: &Theme,
    pane_width: u16,
    lines: &mut Vec<Line<'static>>,
) {
    let more = |n: &Option<u64>, lines: &mut Vec<Line<'static>>| {
        if let Some(n) = n {
            lines.push(Line::styled(format!("   … ({n} bytes in all)"), t.dim));
        }
    };
    match body {
        BodyPreview::Empty => lines.push(Line::styled("   (no body)", t.dim)),
        BodyPreview::Omitted { len, reason } => lines.push(Line::styled(
            format!("   ({len} bytes, not shown: {reason})"),
            t.dim,
        )),
        BodyPreview::Text {
            text,
            truncated_from,
        } => {
            lines.push(Line::default());
            let trimmed = text.trim_start();
            let body: Vec<String> = if trimmed.starts_with('<') {
                if error {
                    lines.push(Line::styled("   the S3 error, as XML:", t.fail));
                }
                pretty_xml(text)
            } else if trimmed.starts_with('{') {
                serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| text.clone())
                    .lines()
                    .map(str::to_owned)
                    .collect()
            } else {
                text.lines().map(str::to_owned).collect()
            };
            let style = if error { t.fail } else { t.code };
            for l in body {
                lines.push(Line::styled(format!("   {l}"), style));
            }
            more(truncated_from, lines);
        }
        BodyPreview::Hex {
            hex,
            truncated_from,
        } => {
            lines.push(Line::default());
            // A `hexdump -C` row is 78 columns; a narrower pane gets rows of 8 bytes rather than
            // rows that wrap in the middle.
            let rows: Vec<String> = if pane_width.saturating_sub(2) < HEXDUMP_WIDTH {
                parse_hexdump(hex)
                    .into_iter()
                    .flat_map(|(offset, bytes)| hexdump_rows(&bytes, offset, 8))
                    .collect()
            } else {
                hex.lines().map(str::to_owned).collect()
            };
            for row in rows {
                lines.push(Line::styled(row, t.code));
            }
            more(truncated_from, lines);
        }
    }
}
