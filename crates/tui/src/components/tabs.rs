//! The pane tabs: which panes there are, and which one has focus. The focused tab is written
//! `▶[Name]`, so the focus reads without colour; panes with nothing to show are dimmed. A
//! scenario's step and an open lab each have a row of them.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::labs::LabPane;
use crate::model::Pane;
use crate::text::width;
use crate::theme::Theme;

/// A kind of pane that has a row of tabs.
pub trait Tab: Copy + PartialEq + 'static {
    /// Every pane, in Tab order.
    const ALL: &'static [Self];
    fn title(self) -> &'static str;
}

impl Tab for Pane {
    const ALL: &'static [Pane] = &Pane::ALL;
    fn title(self) -> &'static str {
        Pane::title(self)
    }
}

impl Tab for LabPane {
    const ALL: &'static [LabPane] = &LabPane::ALL;
    fn title(self) -> &'static str {
        LabPane::title(self)
    }
}

/// Each tab's text.
pub fn label<T: Tab>(pane: T, focused: bool) -> String {
    if focused {
        format!("▶[{}]", pane.title())
    } else {
        format!(" {} ", pane.title())
    }
}

/// Where each tab is, for mouse clicks: the tab's pane and its columns.
pub fn hits<T: Tab>(area: Rect, focused: T) -> Vec<(T, Rect)> {
    let mut x = area.x + 1;
    let mut out = Vec::new();
    for &pane in T::ALL {
        let w = u16::try_from(width(&label(pane, pane == focused))).unwrap_or(0);
        if x + w > area.right() {
            break;
        }
        out.push((pane, Rect::new(x, area.y, w, 1)));
        x += w + 1;
    }
    out
}

pub fn render<T: Tab>(
    focused: T,
    has_content: &dyn Fn(T) -> bool,
    t: &Theme,
    area: Rect,
    frame: &mut Frame<'_>,
) {
    let mut spans = vec![Span::styled(" ", t.base)];
    for &pane in T::ALL {
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
