//! The pane tabs: which panes a step has, and which one has focus. The focused tab is written
//! `▶[Name]`, so the focus reads without colour; panes with nothing for this step are dimmed.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::model::Pane;
use crate::text::width;
use crate::theme::Theme;

/// Each tab's text.
pub fn label(pane: Pane, focused: bool) -> String {
    if focused {
        format!("▶[{}]", pane.title())
    } else {
        format!(" {} ", pane.title())
    }
}

/// Where each tab is, for mouse clicks: the tab's pane and its columns.
pub fn hits(area: Rect, focused: Pane) -> Vec<(Pane, Rect)> {
    let mut x = area.x + 1;
    let mut out = Vec::new();
    for pane in Pane::ALL {
        let w = u16::try_from(width(&label(pane, pane == focused))).unwrap_or(0);
        if x + w > area.right() {
            break;
        }
        out.push((pane, Rect::new(x, area.y, w, 1)));
        x += w + 1;
    }
    out
}

pub fn render(
    focused: Pane,
    has_content: &dyn Fn(Pane) -> bool,
    t: &Theme,
    area: Rect,
    frame: &mut Frame<'_>,
) {
    let mut spans = vec![Span::styled(" ", t.base)];
    for pane in Pane::ALL {
        let style = if pane == focused {
            t.selected
        } else if has_content(pane) {
            t.base
        } else {
            t.dim
        };
        spans.push(Span::styled(label(pane, pane == focused), style));
        spans.push(Span::styled(" ", t.base));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.base), area);
}
