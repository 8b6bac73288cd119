//! The Note pane: the step's explanation, the seed claims it proves (with their words), every
//! check with ✓ or ✗, and any key the step shows on purpose.

use ratatui::text::{Line, Span};
use s3lab_scenarios::claims::claim;
use s3lab_scenarios::ClaimStatus;
use s3lab_transcript::Event;

use super::{PaneContent, StepCtx};
use crate::text::with_code;
use crate::text::Hang;

pub fn content(ctx: &StepCtx<'_>) -> PaneContent {
    let t = ctx.theme;
    let mut lines = Vec::new();
    if let Some(step) = ctx.transcript.steps.get(ctx.step) {
        lines.push(Line::styled(
            format!(
                "Step {} of {} · {}",
                ctx.step + 1,
                ctx.transcript.steps.len(),
                step.title
            ),
            t.title,
        ));
    }
    let mut claims: Vec<String> = Vec::new();
    let mut checks = Vec::new();
    for event in ctx.events() {
        match event {
            Event::Note(n) => {
                // Paragraphs are apart by a blank line; the lines of one paragraph (a small
                // table, say) stay together, each on its own line.
                for paragraph in n.text.split("\n\n").filter(|p| !p.trim().is_empty()) {
                    lines.push(Line::default());
                    for line in paragraph.lines() {
                        lines.push(with_code(line, t.base, t.code));
                    }
                }
                for c in &n.claims {
                    if !claims.contains(c) {
                        claims.push(c.clone());
                    }
                }
            }
            Event::Check(c) => checks.push(c),
            Event::Secret(s) => {
                lines.push(Line::default());
                lines.push(Line::styled(
                    format!("Shown on purpose: {}", s.label),
                    t.warn,
                ));
                lines.push(Line::styled(format!("  hex    {}", s.hex), t.code));
                lines.push(Line::styled(format!("  base64 {}", s.base64), t.code));
                lines.push(Line::styled(format!("  why: {}", s.why), t.dim));
            }
            _ => {}
        }
    }
    if !claims.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("The seed's claims this step proves", t.title));
        for id in &claims {
            match claim(id) {
                Some(c) => {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {id} "), t.key),
                        Span::styled(format!("“{}”", c.text), t.base),
                    ]));
                    if let ClaimStatus::Imprecise(now) = c.status {
                        lines.push(Line::styled(format!("    today: {now}"), t.warn));
                    }
                }
                None => lines.push(Line::styled(format!("  {id}"), t.key)),
            }
        }
    }
    if !checks.is_empty() {
        lines.push(Line::default());
        let passed = checks.iter().filter(|c| c.passed).count();
        lines.push(Line::styled(
            format!("Checks: {passed} of {} passed", checks.len()),
            t.title,
        ));
        for c in checks {
            if c.passed {
                lines.push(Line::from(vec![
                    Span::styled("  ✓ ", t.ok),
                    Span::styled(c.name.clone(), t.base),
                ]));
            } else {
                lines.push(Line::from(vec![
                    Span::styled("  ✗ ", t.fail),
                    Span::styled(c.name.clone(), t.fail),
                ]));
                lines.push(Line::styled(
                    format!("      expected {}, observed {}", c.expected, c.observed),
                    t.fail,
                ));
            }
        }
    }
    PaneContent {
        lines,
        hang: Hang::Leading(0),
        ..PaneContent::default()
    }
}
