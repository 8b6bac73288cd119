//! The help screen: every key, per place, straight from the keymap, and what the marks mean.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::keymap::{bindings, Context};
use crate::text::{wrap, Hang};
use crate::theme::Theme;

/// The help's lines, wrapped to `width` columns.
pub fn lines(t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut out = wrap(
        vec![Line::styled(
            "Walk through a scenario step by step, pane by pane: every pane shows what really went over the wire, into KMS and onto disk. The footer always shows the keys that work where you are.",
            t.base,
        )],
        width,
        Hang::Fixed(0),
    );
    for ctx in Context::ALL {
        out.push(Line::default());
        out.push(Line::styled(ctx.title(), t.title));
        for b in bindings(ctx) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<11}", b.label), t.key),
                Span::styled(b.help.to_owned(), t.base),
            ]));
        }
    }
    out.push(Line::default());
    out.push(Line::styled("Mouse", t.title));
    out.push(Line::styled(
        "  click a row, tab or pane to select it (a selected row again to open it); the wheel scrolls what is under it",
        t.base,
    ));
    out.push(Line::default());
    out.push(Line::styled(
        "Marks (they mean the same in every theme)",
        t.title,
    ));
    let marks: [(&str, &str); 11] = [
        (
            "»",
            "an S3 server-side-encryption header (x-amz-server-side-encryption…)",
        ),
        (
            "Δ",
            "a header that changed since the previous exchange (signatures and ids aside)",
        ),
        (
            "✓ ✗",
            "a check that passed or failed; a response that succeeded or failed",
        ),
        ("✓ ◐ ○", "a scenario completed, started, not started"),
        ("▶[ ]", "the pane that has focus"),
        (
            "[H]",
            "blob header (magic S3LB, version, algorithm, chunk size)",
        ),
        ("[N]", "the nonce: random, never secret"),
        ("[C]", "ciphertext: the object, encrypted"),
        ("[T]", "the AES-GCM tag that authenticates a chunk"),
        ("[P]", "bytes stored as they were sent (no encryption)"),
        ("▰▱", "progress"),
    ];
    for (m, what) in marks {
        out.push(Line::from(vec![
            Span::styled(format!("  {m:<11}"), t.key),
            Span::styled(what.to_owned(), t.base),
        ]));
    }
    out.push(Line::default());
    out.push(Line::styled("Good to know", t.title));
    for s in [
        "Focus mode (f) gives one pane the whole screen: for projectors.",
        "Themes (t): dark, light and high-contrast; your choice and your progress are saved.",
        "The lab runs with a fixed seed (42), so every run shows the same keys and ids; `s3lab --live` uses real randomness and the real clock.",
        "The same transcripts without this screen: `s3lab run <scenario>`.",
    ] {
        out.push(Line::styled(format!("  {s}"), t.base));
    }
    wrap(out, width, Hang::Leading(11))
}

/// Where the help goes: between the header and the footer, at most 110 columns wide.
pub fn area(screen: Rect) -> Rect {
    let w = screen.width.min(110);
    let h = screen.height.saturating_sub(3);
    Rect::new(screen.x + (screen.width - w) / 2, screen.y + 2, w, h)
}

/// How many rows the help has at this size.
pub fn height(t: &Theme, area: Rect) -> usize {
    lines(t, usize::from(area.width.saturating_sub(2))).len()
}

pub fn render(scroll: u16, t: &Theme, screen: Rect, frame: &mut Frame<'_>) {
    let area = area(screen);
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Line::styled(" Help · Esc closes ", t.title))
        .border_style(t.border_focused)
        .style(t.base);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = lines(t, usize::from(inner.width));
    let max = lines.len().saturating_sub(usize::from(inner.height));
    let scroll = usize::from(scroll).min(max);
    frame.render_widget(
        Paragraph::new(lines)
            .style(t.base)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
