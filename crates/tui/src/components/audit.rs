//! The Audit pane: the KMS audit records the step caused, as CloudTrail would show them.

use ratatui::text::{Line, Span};
use s3lab_transcript::{Event, KmsCall};

use super::{PaneContent, StepCtx};
use crate::text::Hang;

pub fn content(ctx: &StepCtx<'_>) -> PaneContent {
    let t = ctx.theme;
    let calls: Vec<&KmsCall> = ctx
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::KmsCall(k) => Some(k),
            _ => None,
        })
        .collect();
    if calls.is_empty() {
        return PaneContent {
            lines: vec![
                Line::styled(
                    "No KMS call in this step: KMS's audit trail is unchanged.",
                    t.dim,
                ),
                Line::styled(
                    "SSE-S3 and SSE-C never call KMS; SSE-KMS calls it for every data key.",
                    t.dim,
                ),
            ],
            empty: true,
            ..PaneContent::default()
        };
    }
    let mut lines = vec![Line::styled(
        format!(
            "{} KMS audit record{} caused by this step",
            calls.len(),
            if calls.len() == 1 { "" } else { "s" }
        ),
        t.dim,
    )];
    for k in calls {
        lines.push(Line::default());
        let (mark, style, outcome) = match &k.error_code {
            None => ("✓ ", t.ok, String::new()),
            Some(e) => ("✗ ", t.fail, format!(" · refused: {e}")),
        };
        lines.push(Line::from(vec![
            Span::styled(mark, style),
            Span::styled(k.event_name.clone(), t.title),
            Span::styled(outcome, style),
            Span::styled(format!("  {}", k.event_time), t.dim),
        ]));
        let field = |name: &str, value: String| {
            Line::from(vec![
                Span::styled(format!("    {name:<12}"), t.dim),
                Span::styled(value, t.base),
            ])
        };
        if let Some(arn) = &k.key_arn {
            lines.push(field("key", arn.clone()));
        }
        if let Some(m) = &k.key_material_id {
            lines.push(field("material", m.clone()));
        }
        lines.push(field("caller", k.caller.clone()));
        if let Some(by) = &k.invoked_by {
            lines.push(field("invoked by", by.clone()));
        }
        if k.encryption_context.is_empty() {
            lines.push(field("context", "(none)".into()));
        } else {
            for (i, (name, value)) in k.encryption_context.iter().enumerate() {
                let label = if i == 0 { "context" } else { "" };
                lines.push(field(label, format!("{name} = {value}")));
            }
        }
    }
    PaneContent {
        lines,
        hang: Hang::Fixed(16),
        ..PaneContent::default()
    }
}
