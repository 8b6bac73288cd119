//! The scenario list, grouped by topic: a completion mark, the id and title, whether the lab has
//! run it, and (when wide) its one-line summary. Beside or below it, the selected scenario's
//! summary and the seed claims it proves.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use s3lab_scenarios::claims::claim;

use crate::model::{Entry, Load, Model};
use crate::text::{sentence, truncate, width, wrap, Hang};
use crate::theme::Theme;

/// One row of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Topic(&'static str),
    /// A scenario, by index.
    Scenario(usize),
    /// The summary line under a scenario (wide layouts).
    Summary(usize),
    Playground,
    /// The Labs tab.
    Labs,
}

impl Row {
    /// The selection this row stands for (`entries.len()` for the playground).
    pub fn selection(self, entries: usize) -> Option<usize> {
        match self {
            Row::Scenario(i) | Row::Summary(i) => Some(i),
            Row::Playground => Some(entries),
            Row::Labs => Some(entries + 1),
            Row::Topic(_) => None,
        }
    }
}

/// The rows, in order.
pub fn rows(model: &Model, summaries: bool) -> Vec<Row> {
    let mut out = Vec::new();
    let mut topic = None;
    for (i, e) in model.entries.iter().enumerate() {
        if topic != Some(e.scenario.topic) {
            topic = Some(e.scenario.topic);
            out.push(Row::Topic(e.scenario.topic.title()));
        }
        out.push(Row::Scenario(i));
        if summaries {
            out.push(Row::Summary(i));
        }
    }
    out.push(Row::Topic("Your own requests"));
    out.push(Row::Playground);
    out.push(Row::Topic("Exercises"));
    out.push(Row::Labs);
    out
}

/// The first row shown, so that the selected row is visible in `height` rows.
pub fn offset(rows: &[Row], selected: usize, entries: usize, height: usize) -> usize {
    let Some(at) = rows.iter().position(|r| {
        matches!(r, Row::Scenario(_) | Row::Playground | Row::Labs)
            && r.selection(entries) == Some(selected)
    }) else {
        return 0;
    };
    // Keep the summary line under the selected scenario visible too.
    let bottom = at + usize::from(matches!(rows.get(at + 1), Some(Row::Summary(_))));
    (bottom + 1).saturating_sub(height.max(1))
}

/// `✓` completed, `◐` started, `○` not yet.
pub fn mark(model: &Model, id: &str) -> &'static str {
    if model.progress.is_completed(id) {
        "✓"
    } else if model.progress.is_started(id) {
        "◐"
    } else {
        "○"
    }
}

fn status(e: &Entry) -> String {
    match &e.load {
        Load::Queued => "queued".into(),
        Load::Running => "running…".into(),
        Load::Ready(t) => format!("{} steps", t.steps.len()),
        Load::Failed(_) => "not available".into(),
    }
}

pub fn render_list(model: &Model, t: &Theme, summaries: bool, area: Rect, frame: &mut Frame<'_>) {
    let block = Block::bordered()
        .title(Line::styled(" Scenarios ", t.title))
        .border_style(t.border_focused)
        .style(t.base);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = rows(model, summaries);
    let n = model.entries.len();
    let h = usize::from(inner.height);
    let first = offset(&rows, model.selected, n, h);
    let w = usize::from(inner.width);
    let id_w = model
        .entries
        .iter()
        .map(|e| width(e.scenario.id))
        .max()
        .unwrap_or(10)
        .max(10);
    let mut lines = Vec::new();
    for row in rows.iter().skip(first).take(h) {
        let selected = row.selection(n) == Some(model.selected) && !matches!(row, Row::Summary(_));
        let line = match *row {
            Row::Topic(title) => Line::styled(format!(" {title}"), t.title),
            Row::Scenario(i) => {
                let e = &model.entries[i];
                let st = status(e);
                let left = format!(
                    " {} {} {:<id_w$}  ",
                    if selected { "▸" } else { " " },
                    mark(model, e.scenario.id),
                    e.scenario.id
                );
                let title_w = w.saturating_sub(width(&left) + width(&st) + 2);
                let title = truncate(e.scenario.title, title_w);
                let gap = w.saturating_sub(width(&left) + width(&title) + width(&st));
                let style = if selected { t.selected } else { t.base };
                let st_style = match (&e.load, selected) {
                    (_, true) => t.selected,
                    (Load::Failed(_), _) => t.warn,
                    _ => t.dim,
                };
                Line::from(vec![
                    Span::styled(left, style),
                    Span::styled(title, style),
                    Span::styled(" ".repeat(gap), style),
                    Span::styled(st, st_style),
                ])
            }
            Row::Summary(i) => Line::styled(
                truncate(&format!("       {}", model.entries[i].scenario.summary), w),
                t.dim,
            ),
            Row::Playground | Row::Labs => {
                let (name, text) = match row {
                    Row::Playground => ("playground", "Build a request of your own and send it"),
                    _ => ("labs", "Exercises you do yourself, checked live"),
                };
                let left = format!(
                    " {} ✎ {name:<id_w$}  {text}",
                    if selected { "▸" } else { " " },
                );
                let text = truncate(&left, w);
                let pad = w.saturating_sub(width(&text));
                let style = if selected { t.selected } else { t.base };
                Line::styled(format!("{text}{}", " ".repeat(pad)), style)
            }
        };
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).style(t.base), inner);
}

fn inner_rows(area: Rect) -> u16 {
    area.height.saturating_sub(2)
}

pub fn render_details(model: &Model, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let block = Block::bordered()
        .title(Line::styled(" About ", t.title))
        .border_style(t.border)
        .padding(ratatui::widgets::Padding::horizontal(1))
        .style(t.base);
    // Narrow: the claims' ids on one line first, their words after (as far as there is room).
    let compact = inner_rows(area) < 12;
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line<'static>> = Vec::new();
    match model.entries.get(model.selected) {
        None if model.selected > model.entries.len() => {
            lines.push(Line::styled("Labs", t.title));
            lines.push(Line::styled(
                "Self-paced exercises: you act with the AWS CLI, curl or a little Rust against \
                 a lab server of your own, and a checker looks at the server to see whether \
                 each goal is met. Here you read a lab, watch its checks turn ✓ as you work in \
                 another terminal, and reveal hints one at a time. (`s3lab lab` does the same on \
                 the command line.)",
                t.base,
            ));
            lines.push(Line::styled("Enter or L: open the labs", t.key));
        }
        None => {
            lines.push(Line::styled("Playground", t.title));
            lines.push(Line::styled(
                "Build a request (operation, bucket and key, body, SSE mode, key id or customer \
                 key, encryption context, HTTP or HTTPS, identity), send it to the lab running \
                 on this machine, and see it in the same panes as the scenarios. Mistakes get \
                 S3's real error and a one-line hint.",
                t.base,
            ));
            lines.push(Line::styled("Enter or e: open the playground", t.key));
        }
        Some(e) => {
            let s = e.scenario;
            lines.push(Line::styled(format!("{} ({})", s.title, s.id), t.title));
            lines.push(Line::styled(s.summary.to_owned(), t.base));
            let progress = match mark(model, s.id) {
                "✓" => "✓ completed".to_owned(),
                "◐" => format!(
                    "◐ started: {} steps seen",
                    model.progress.steps_seen.get(s.id).map_or(0, |v| v.len())
                ),
                _ => "○ not started yet".to_owned(),
            };
            let state = match &e.load {
                Load::Queued => "queued: the lab runs it soon".to_owned(),
                Load::Running => "running in the lab now…".to_owned(),
                Load::Ready(tr) => {
                    let checks = tr.checks().count();
                    let passed = tr.checks().filter(|(_, c)| c.passed).count();
                    let mark = if passed == checks { "✓" } else { "✗" };
                    format!(
                        "{} steps · {mark} {passed} of {checks} checks pass",
                        tr.steps.len()
                    )
                }
                Load::Failed(why) => format!("not available: {}", sentence(why)),
            };
            lines.push(Line::from(vec![
                Span::styled(progress, t.key),
                Span::styled(format!(" · {state}"), t.dim),
            ]));
            if compact {
                lines.push(Line::from(vec![
                    Span::styled("Proves: ", t.title),
                    Span::styled(s.claims.join(" "), t.key),
                ]));
            }
            if !compact {
                lines.push(Line::styled(
                    format!("Proves {} of the seed's claims:", s.claims.len()),
                    t.title,
                ));
            }
            for id in s.claims {
                let text = claim(id).map_or("", |c| c.text);
                lines.push(Line::from(vec![
                    Span::styled(format!("  {id} "), t.key),
                    Span::styled(format!("“{text}”"), t.base),
                ]));
            }
        }
    }
    let lines = wrap(lines, usize::from(inner.width), Hang::Leading(2));
    frame.render_widget(Paragraph::new(lines).style(t.base), inner);
}
