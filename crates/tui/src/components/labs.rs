//! The Labs tab: the list of labs with their progress, and an open lab in three panes (its
//! text, the latest check with ✓/✗/? per goal, and the hints revealed so far).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph};
use ratatui::Frame;
use s3lab_labs::GoalStatus;

use crate::labs::{LabInfo, LabPane, LabsLoad, LabsTab};
use crate::text::{sentence, truncate, width, with_code, wrap, Hang};
use crate::theme::Theme;

/// `✓` done, `◐` started (checked or hinted), `○` not yet.
fn mark(lab: &LabInfo) -> &'static str {
    if lab.done {
        "✓"
    } else if lab.report.is_some() || !lab.hints.is_empty() {
        "◐"
    } else {
        "○"
    }
}

/// The first row shown, so that the selected lab is visible in `height` rows.
pub fn offset(selected: usize, height: usize) -> usize {
    (selected + 1).saturating_sub(height.max(1))
}

pub fn render_list(tab: &LabsTab, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let block = Block::bordered()
        .title(Line::styled(" Labs ", t.title))
        .border_style(t.border_focused)
        .style(t.base);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let lines = match &tab.load {
        LabsLoad::Loading => vec![Line::styled(" Reading the labs…", t.dim)],
        LabsLoad::Failed(why) => wrap(
            vec![
                Line::styled(" The labs cannot be shown here.", t.warn),
                Line::styled(format!(" {}", sentence(why)), t.base),
            ],
            w,
            Hang::Leading(1),
        ),
        LabsLoad::Ready(labs) => {
            let h = usize::from(inner.height);
            let kind_w = labs.iter().map(|l| width(l.kind)).max().unwrap_or(0);
            labs.iter()
                .enumerate()
                .skip(offset(tab.selected, h))
                .take(h)
                .map(|(i, lab)| {
                    let selected = i == tab.selected;
                    let left = format!(
                        " {} {} {:>2}  ",
                        if selected { "▸" } else { " " },
                        mark(lab),
                        lab.number
                    );
                    let kind = format!("{:>kind_w$}", lab.kind);
                    let title_w = w.saturating_sub(width(&left) + width(&kind) + 2);
                    let title = truncate(&lab.title, title_w);
                    let gap = w.saturating_sub(width(&left) + width(&title) + width(&kind));
                    let style = if selected { t.selected } else { t.base };
                    Line::from(vec![
                        Span::styled(left, style),
                        Span::styled(title, style),
                        Span::styled(" ".repeat(gap), style),
                        Span::styled(kind, if selected { t.selected } else { t.dim }),
                    ])
                })
                .collect()
        }
    };
    frame.render_widget(Paragraph::new(lines).style(t.base), inner);
}

/// How a learner works on a lab, in a few lines.
fn how_to(lab: &LabInfo, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if lab.needs_server {
        lines.push(Line::from(vec![
            Span::styled("In a second terminal: ", t.base),
            Span::styled(format!("s3lab lab start {}", lab.number), t.code),
            Span::styled(
                " (it prints the endpoint and the export lines to paste).",
                t.base,
            ),
        ]));
    } else {
        lines.push(Line::from(vec![
            Span::styled("Work in the lab's folder (", t.base),
            Span::styled(format!("s3lab lab start {}", lab.number), t.code),
            Span::styled(" prints where it is).", t.base),
        ]));
    }
    lines.push(Line::styled(
        "Enter opens it here: its text, live checks and hints.",
        t.key,
    ));
    lines
}

pub fn render_details(tab: &LabsTab, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let block = Block::bordered()
        .title(Line::styled(" About ", t.title))
        .border_style(t.border)
        .padding(Padding::horizontal(1))
        .style(t.base);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line<'static>> = Vec::new();
    match tab.selected_lab() {
        None => lines.push(Line::styled(
            "Labs are exercises you do yourself, with the AWS CLI, curl or a little Rust, \
             against a lab server of their own. A checker looks at the server (or runs your \
             code's tests) and says which goals are met.",
            t.base,
        )),
        Some(lab) => {
            lines.push(Line::styled(
                format!("Lab {} · {}", lab.number, lab.title),
                t.title,
            ));
            let state = if lab.done {
                "✓ done".to_owned()
            } else {
                match &lab.report {
                    Some(r) => format!("◐ {} of {} goals met", r.met(), r.goals.len()),
                    None => "○ not done yet".to_owned(),
                }
            };
            lines.push(Line::from(vec![
                Span::styled(state, t.key),
                Span::styled(
                    format!(
                        " · a {} lab · {} of {} hints shown · book: {}",
                        lab.kind,
                        lab.hints.len(),
                        lab.hints_total,
                        lab.chapter
                    ),
                    t.dim,
                ),
            ]));
            if let Some(goal) = goal_line(&lab.readme) {
                lines.push(with_code(&goal, t.base, t.code));
            }
            lines.extend(how_to(lab, t));
        }
    }
    let lines = wrap(lines, usize::from(inner.width), Hang::Leading(2));
    frame.render_widget(Paragraph::new(lines).style(t.base), inner);
}

/// The README's `**Goal:**` paragraph, as plain text.
fn goal_line(readme: &str) -> Option<String> {
    let start = readme.find("**Goal:**")?;
    let paragraph = readme[start..].split("\n\n").next()?;
    Some(inline(
        &paragraph.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

/// Markdown inline syntax a terminal cannot show: `**bold**` marks go, and `[text](link)`
/// becomes `text`. Code spans stay (with their backticks) for [`with_code`].
fn inline(text: &str) -> String {
    let text = text.replace("**", "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](") else {
            break;
        };
        let Some(end) = after[close + 2..].find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&after[..close]);
        rest = &after[close + 2 + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A lab's README for a pane `width` columns wide: headings, paragraphs joined and wrapped, list
/// items with a hanging indent, and code blocks as they are.
pub fn readme_lines(md: &str, width: usize, t: &Theme) -> Vec<Line<'static>> {
    // Logical lines first: (text, kind), then each is wrapped.
    enum Block {
        Heading(String),
        Text {
            indent: usize,
            hang: usize,
            text: String,
        },
        Code(String),
        Blank,
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut in_code = false;
    for raw in md.lines() {
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            blocks.push(Block::Code(format!("  {raw}")));
            continue;
        }
        if trimmed.is_empty() {
            if !matches!(blocks.last(), Some(Block::Blank) | None) {
                blocks.push(Block::Blank);
            }
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('#') {
            blocks.push(Block::Heading(inline(h.trim_start_matches('#').trim())));
            continue;
        }
        let marker = list_marker(trimmed);
        match (marker, blocks.last_mut()) {
            (None, Some(Block::Text { text, .. })) => {
                text.push(' ');
                text.push_str(trimmed);
            }
            (None, _) => blocks.push(Block::Text {
                indent,
                hang: 0,
                text: trimmed.to_owned(),
            }),
            (Some(m), _) => blocks.push(Block::Text {
                indent,
                hang: m,
                text: trimmed.to_owned(),
            }),
        }
    }
    let mut out: Vec<Line<'static>> = Vec::new();
    for block in blocks {
        match block {
            Block::Heading(h) => {
                if out.last().is_some_and(|l| l.width() != 0) {
                    out.push(Line::default());
                }
                out.push(Line::styled(h, t.title));
            }
            Block::Text { indent, hang, text } => {
                let line = with_code(
                    &format!("{}{}", " ".repeat(indent), inline(&text)),
                    t.base,
                    t.code,
                );
                out.extend(wrap(vec![line], width, Hang::Fixed(indent + hang)));
            }
            Block::Code(c) => out.push(Line::styled(c, t.code)),
            Block::Blank => out.push(Line::default()),
        }
    }
    while out.last().is_some_and(|l| l.width() == 0) {
        out.pop();
    }
    out
}

/// The width of a list item's marker (`- `, `1. `, `12. `), if `line` starts one.
fn list_marker(line: &str) -> Option<usize> {
    if line.starts_with("- ") || line.starts_with("* ") {
        return Some(2);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && line[digits..].starts_with(". ")).then_some(digits + 2)
}

/// The Checks pane for a pane `width` columns wide: the latest check, goal by goal.
pub fn checks_lines(lab: &LabInfo, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut push = |line: Line<'static>, hang: Hang| lines.extend(wrap(vec![line], width, hang));
    let status = if lab.checking {
        Line::styled("Checking…", t.key)
    } else {
        match lab.checks_run {
            0 => Line::styled("Not checked yet.", t.dim),
            n => Line::styled(
                format!(
                    "Checked {} since you opened it. It is checked again whenever your files or \
                     the lab's server change; c checks now.",
                    crate::components::header::plural(n, "time")
                ),
                t.dim,
            ),
        }
    };
    match &lab.report {
        None => {
            push(status, Hang::Fixed(0));
            if lab.done {
                push(
                    Line::styled("✓ You have done this lab before.", t.ok),
                    Hang::Fixed(2),
                );
            }
        }
        Some(r) => {
            let (headline, style) = if r.passed() {
                ("✓ Every goal is met: the lab is done.".to_owned(), t.ok)
            } else {
                (
                    format!("{} of {} goals met", r.met(), r.goals.len()),
                    t.title,
                )
            };
            push(Line::styled(headline, style), Hang::Fixed(2));
            push(status, Hang::Fixed(0));
            push(Line::default(), Hang::Fixed(0));
            let mut last_unknown: Option<&str> = None;
            for g in &r.goals {
                let style = match g.status {
                    GoalStatus::Met => t.ok,
                    GoalStatus::NotMet => t.fail,
                    GoalStatus::Unknown => t.warn,
                };
                push(
                    Line::from(vec![
                        Span::styled(format!("{} ", g.status.mark()), style),
                        Span::styled(g.description.clone(), t.base),
                    ]),
                    Hang::Fixed(2),
                );
                if g.status == GoalStatus::Met {
                    continue;
                }
                // One reason (the server is not running) is said once, not under every goal.
                if g.status == GoalStatus::Unknown {
                    if last_unknown == g.observed.as_deref() {
                        continue;
                    }
                    last_unknown = g.observed.as_deref();
                }
                if let Some(o) = &g.observed {
                    for (i, line) in o.lines().enumerate() {
                        let label = if i == 0 { "observed: " } else { "          " };
                        push(
                            with_code(&format!("  {label}{line}"), style, t.code),
                            Hang::Fixed(12),
                        );
                    }
                }
            }
        }
    }
    lines
}

/// The Hints pane for a pane `width` columns wide: the hints revealed so far, and how to see
/// the next.
pub fn hints_lines(lab: &LabInfo, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, hint) in lab.hints.iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        let mut spans = vec![Span::styled(
            format!("Hint {} of {}: ", i + 1, lab.hints_total),
            t.key,
        )];
        spans.extend(with_code(&inline(hint), t.base, t.code).spans);
        lines.extend(wrap(vec![Line::from(spans)], width, Hang::Fixed(0)));
    }
    if !lines.is_empty() {
        lines.push(Line::default());
    }
    let next = match (lab.hints_total, lab.hints.len()) {
        (0, _) => "This lab has no hints.".to_owned(),
        (total, shown) if shown >= total => "Every hint is shown.".to_owned(),
        (total, 0) => format!(
            "No hint shown yet. h reveals the first of {total} (one at a time, saved with your \
             progress)."
        ),
        (total, shown) => format!("h reveals hint {} of {total}.", shown + 1),
    };
    lines.extend(wrap(vec![Line::styled(next, t.dim)], width, Hang::Fixed(0)));
    lines
}

/// The lines of `pane` for `lab`, for a pane `width` columns wide (before wrapping).
pub fn pane_lines(lab: &LabInfo, pane: LabPane, width: usize, t: &Theme) -> Vec<Line<'static>> {
    match pane {
        LabPane::Text => readme_lines(&lab.readme, width, t),
        LabPane::Checks => checks_lines(lab, width, t),
        LabPane::Hints => hints_lines(lab, width, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markdown_is_made_plain() {
        assert_eq!(
            inline("**Goal:** see [SSE-KMS](../../book/src/sse-kms.md) and `x`"),
            "Goal: see SSE-KMS and `x`"
        );
        assert_eq!(inline("a [b] c"), "a [b] c");
        assert_eq!(list_marker("12. item"), Some(4));
        assert_eq!(list_marker("- item"), Some(2));
        assert_eq!(list_marker("2026 was"), None);
    }

    #[test]
    fn readme_paragraphs_join_and_lists_hang() {
        let t = Theme::dark();
        let md = "# Lab 1 · Title\n\n**Goal:** one\ntwo.\n\n1. first item that is long\n   and continues\n2. second\n\n```sh\ncode  here\n```\n";
        let text: Vec<String> = readme_lines(md, 20, &t)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(
            text,
            [
                "Lab 1 · Title",
                "",
                "Goal: one two.",
                "",
                "1. first item that",
                "   is long and",
                "   continues",
                "2. second",
                "",
                "  code  here",
            ]
        );
    }
}
