//! The Wire pane: what an eavesdropper on the connection saw. Over plain HTTP, the request and
//! response as text (SSE headers and keys included); over HTTPS, only TLS record types and sizes.

use ratatui::text::{Line, Span};
use s3lab_transcript::{is_sse_header, Event, Transport, WireTap};

use super::{PaneContent, StepCtx};
use crate::text::Hang;

pub fn content(ctx: &StepCtx<'_>) -> PaneContent {
    let t = ctx.theme;
    let taps: Vec<&WireTap> = ctx
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::WireTap(w) => Some(w),
            _ => None,
        })
        .collect();
    if taps.is_empty() {
        return PaneContent {
            lines: vec![
                Line::styled("Nobody tapped the connection in this step.", t.dim),
                Line::styled(
                    "The in-transit scenario and the playground show what an eavesdropper sees.",
                    t.dim,
                ),
            ],
            empty: true,
            ..PaneContent::default()
        };
    }
    let mut lines = Vec::new();
    for (i, tap) in taps.iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        let (verdict, style) = match (tap.transport, tap.readable) {
            (Transport::Http, true) | (_, true) => (
                "✗ plain HTTP: an eavesdropper reads every header and the body",
                t.fail,
            ),
            (_, false) => (
                "✓ TLS: an eavesdropper sees only record types and sizes",
                t.ok,
            ),
        };
        lines.push(Line::styled(verdict, style));
        if tap.shown_on_purpose {
            lines.push(Line::styled(
                "  (this tap shows a key on purpose: the lesson is that it is readable)",
                t.warn,
            ));
        }
        for l in &tap.summary {
            let header = l
                .trim_start_matches(['→', '←', ' '])
                .split_once(':')
                .is_some_and(|(name, _)| is_sse_header(name.trim()));
            let sent = l.starts_with('→');
            let mark = if header { "»" } else { " " };
            let style = if header {
                t.sse
            } else if sent {
                t.base
            } else {
                t.code
            };
            lines.push(Line::from(vec![
                Span::styled(mark, t.sse),
                Span::styled(l.clone(), style),
            ]));
        }
    }
    PaneContent {
        lines,
        hang: Hang::Fixed(4),
        ..PaneContent::default()
    }
}
