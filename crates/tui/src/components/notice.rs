//! Screens instead of a step: a scenario still running, or one that could not run (said as a
//! sentence, never a crash).

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use s3lab_scenarios::Scenario;

use crate::text::{sentence, wrap, Hang};
use crate::theme::Theme;

fn boxed(title: &str, lines: Vec<Line<'static>>, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let w = area.width.saturating_sub(4).min(76);
    let inner_w = usize::from(w.saturating_sub(2));
    let lines = wrap(lines, inner_w, Hang::Fixed(0));
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 3,
        w,
        h,
    );
    let block = Block::bordered()
        .title(Line::styled(format!(" {title} "), t.title))
        .border_style(t.border_focused)
        .style(t.base);
    frame.render_widget(Paragraph::new(lines).block(block).style(t.base), r);
}

pub fn waiting(s: &Scenario, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    boxed(
        "Running in the lab",
        vec![
            Line::styled(format!("“{}” is running in the lab now.", s.title), t.base),
            Line::default(),
            Line::styled(
                "It opens here by itself as soon as it is ready. Esc goes back to the list.",
                t.dim,
            ),
        ],
        t,
        area,
        frame,
    );
}

/// The error screen of a scenario that could not run.
pub fn failed(s: &Scenario, why: &str, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let mut lines = vec![
        Line::styled(format!("“{}” could not run.", s.title), t.fail),
        Line::default(),
        Line::styled(format!("The lab said: {}", sentence(why)), t.base),
    ];
    if why.contains("not written yet") {
        lines.push(Line::default());
        lines.push(Line::styled(
            "This lesson is still being written. The other scenarios work: pick another one from the list.",
            t.base,
        ));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        format!(
            "`s3lab run {}` shows the same in a plain terminal. Esc goes back to the list.",
            s.id
        ),
        t.dim,
    ));
    boxed("This scenario is not available", lines, t, area, frame);
}
