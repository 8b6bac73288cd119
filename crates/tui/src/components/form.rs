//! The playground's form: one row per field (two columns on a narrow screen), the selected one
//! marked `▸`, choices written `‹ value ›`, and a status line with the newest answer and its hint.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use s3lab_transcript::Event;

use crate::components::exchange::status_of;
use crate::model::{LabStatus, PlaygroundState};
use crate::playground::{error_code, Field};
use crate::text::{truncate, width, wrap, Hang};
use crate::theme::Theme;

const LABEL: usize = 13;

/// How many rows the form needs, borders included.
pub fn height(two_columns: bool) -> u16 {
    let n = u16::try_from(Field::ALL.len()).unwrap_or(11);
    let rows = if two_columns { n.div_ceil(2) } else { n };
    rows + 2 + 2
}

/// Where each field is, for mouse clicks.
pub fn hits(area: Rect, two_columns: bool) -> Vec<(Field, Rect)> {
    let inner = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let rows = if two_columns {
        Field::ALL.len().div_ceil(2)
    } else {
        Field::ALL.len()
    };
    let col_w = if two_columns {
        inner.width / 2
    } else {
        inner.width
    };
    Field::ALL
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let (col, row) = (i / rows, i % rows);
            let y = inner.y + u16::try_from(row).ok()?;
            (y < inner.bottom()).then(|| {
                (
                    *f,
                    Rect::new(
                        inner.x + col_w * u16::try_from(col).unwrap_or(0),
                        y,
                        col_w,
                        1,
                    ),
                )
            })
        })
        .collect()
}

/// The status line: the lab's state, or the newest answer.
pub fn status(p: &PlaygroundState, t: &Theme) -> Line<'static> {
    match &p.lab {
        LabStatus::Starting => return Line::styled("the lab is starting…", t.dim),
        LabStatus::Failed(why) => {
            return Line::styled(format!("✗ the lab did not start: {why}"), t.fail)
        }
        LabStatus::Ready => {}
    }
    if p.sending {
        return Line::styled("sending…", t.dim);
    }
    let exchange = p.history.steps.last().and_then(|s| {
        s.events.iter().find_map(|e| match e {
            Event::Exchange(x) => Some(x),
            _ => None,
        })
    });
    match exchange {
        None => Line::styled("s or [ Send ]: send it to the lab", t.dim),
        Some(x) => {
            let status = status_of(&x.response).unwrap_or(0);
            match error_code(x) {
                Some(code) => {
                    let mut spans = vec![Span::styled(format!("✗ {status} {code}"), t.fail)];
                    if let Some(h) = &p.hint {
                        spans.push(Span::styled(format!(" · {h}"), t.warn));
                    }
                    Line::from(spans)
                }
                None => Line::styled(format!("✓ {status} · see the panes"), t.ok),
            }
        }
    }
}

pub fn render(
    p: &PlaygroundState,
    focused: bool,
    two_columns: bool,
    t: &Theme,
    area: Rect,
    frame: &mut Frame<'_>,
) {
    let block = Block::bordered()
        .title(Line::styled(
            format!(" {}Your request ", if focused { "▶ " } else { "" }),
            t.title,
        ))
        .border_style(if focused { t.border_focused } else { t.border })
        .style(t.base);
    frame.render_widget(block, area);
    for (field, r) in hits(area, two_columns) {
        let selected = p.field == field;
        let applies = p.form.applies(field);
        let editing = selected && p.editing.is_some();
        let value = match (&p.editing, editing) {
            (Some(text), true) => format!("{text}▏"),
            _ if field.is_text() || field == Field::Send => p.form.value(field),
            _ => format!("‹ {} ›", p.form.value(field)),
        };
        let w = usize::from(r.width);
        let label = format!(
            "{} {:<LABEL$}",
            if selected { "▸" } else { " " },
            field.label()
        );
        let mut value = truncate(&value, w.saturating_sub(width(&label) + 1));
        if !applies && field != Field::Send && w > width(&label) + width(&value) + 9 {
            value.push_str(" (unused)");
        }
        let style = if selected {
            t.selected
        } else if !applies {
            t.dim
        } else if field == Field::Send {
            t.key
        } else {
            t.base
        };
        let text = truncate(&format!("{label}{value}"), w);
        let pad = w.saturating_sub(width(&text));
        frame.render_widget(
            Paragraph::new(Line::styled(format!("{text}{}", " ".repeat(pad)), style)),
            r,
        );
    }
    // The status (and the hint) on the last two rows.
    let y = area.bottom().saturating_sub(3);
    if y > area.y {
        let w = area.width.saturating_sub(4);
        let lines = wrap(vec![status(p, t)], usize::from(w), Hang::Fixed(2));
        let r = Rect::new(area.x + 2, y, w, 2);
        frame.render_widget(Paragraph::new(lines).style(t.base), r);
    }
}
