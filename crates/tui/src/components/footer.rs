//! The footer's key bar, generated from the keymap for where the learner is.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::keymap::{bindings, Context};
use crate::text::width;
use crate::theme::Theme;

/// The bindings the footer shows in `context`, as many as fit in `columns`.
pub fn items(context: Context, columns: usize) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let mut used = 1;
    for b in bindings(context).filter(|b| b.footer) {
        let w = width(b.label) + 1 + width(b.short) + 2;
        if used + w > columns {
            continue;
        }
        used += w;
        out.push((b.label, b.short));
    }
    out
}

pub fn render(context: Context, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let mut spans = vec![Span::styled(" ", t.base)];
    for (label, short) in items(context, usize::from(area.width)) {
        spans.push(Span::styled(label, t.key));
        spans.push(Span::styled(format!(" {short}  "), t.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.base), area);
}
