//! The header: where the learner is, and a progress line (scenarios still running in the lab, or
//! the learner's own progress).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::labs::LabsLoad;
use crate::model::{LabStatus, Load, Model, Screen};
use crate::text::{truncate, width};
use crate::theme::Theme;

/// Where the learner is: `s3lab › SSE-S3: keys that S3 owns › step 2 of 7`.
fn breadcrumb(model: &Model) -> String {
    let mut s = String::from("s3lab");
    match model.screen {
        Screen::List => s.push_str(" › scenarios"),
        Screen::Steps => {
            if let Some(e) = model.open_entry() {
                s.push_str(&format!(" › {}", e.scenario.title));
                if let Some(t) = e.transcript() {
                    s.push_str(&format!(" › step {} of {}", model.step + 1, t.steps.len()));
                }
            }
        }
        Screen::Playground => s.push_str(" › playground"),
        Screen::Labs => {
            s.push_str(" › labs");
            if let Some(lab) = model.labs.open_lab() {
                s.push_str(&format!(" › {} {}", lab.number, lab.title));
            }
        }
    }
    if model.help.is_some() {
        s.push_str(" › help");
    }
    s
}

/// A bar of `n` of `total`, ten cells wide, that reads without colour: `▰▰▰▱▱▱▱▱▱▱`.
pub fn bar(n: usize, total: usize) -> String {
    let cells = 10;
    let full = (n * cells).checked_div(total).unwrap_or(0);
    format!("{}{}", "▰".repeat(full), "▱".repeat(cells - full))
}

/// `1 check`, `2 checks`.
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The second line: loading progress while scenarios run, else the learner's progress.
pub fn progress_line(model: &Model) -> String {
    let total = model.entries.len();
    let loaded = model.loaded();
    if let Some(status) = &model.status {
        return status.clone();
    }
    if model.screen == Screen::Labs {
        return match &model.labs.load {
            LabsLoad::Loading => "Reading the labs…".to_owned(),
            LabsLoad::Failed(_) => "The labs are not available".to_owned(),
            LabsLoad::Ready(labs) => format!(
                "Your labs: {} of {} done {}",
                model.labs.done(),
                labs.len(),
                bar(model.labs.done(), labs.len())
            ),
        };
    }
    if loaded < total {
        let running = model
            .entries
            .iter()
            .find(|e| e.load == Load::Running)
            .map(|e| format!(" · running {}", e.scenario.id))
            .unwrap_or_default();
        return format!(
            "Preparing the lab: {loaded} of {total} scenarios ready {}{running}",
            bar(loaded, total)
        );
    }
    let done = model
        .entries
        .iter()
        .filter(|e| model.progress.is_completed(e.scenario.id))
        .count();
    let unavailable = model
        .entries
        .iter()
        .filter(|e| matches!(e.load, Load::Failed(_)))
        .count();
    let mut s = format!(
        "Your progress: {done} of {total} scenarios completed {} · {} seen",
        bar(done, total),
        plural(model.progress.checks_seen_count(), "check")
    );
    if unavailable > 0 {
        s.push_str(&format!(" · {unavailable} not ready"));
    }
    if model.screen == Screen::Playground {
        let lab = match &model.playground.lab {
            LabStatus::Starting => " · playground lab starting…",
            LabStatus::Ready => "",
            LabStatus::Failed(_) => " · playground lab failed",
        };
        s.push_str(lab);
    }
    s
}

pub fn render(model: &Model, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let w = usize::from(area.width);
    let seed = match model.seed {
        Some(s) => format!("seed {s}"),
        None => "live".to_owned(),
    };
    let right = format!("{seed} · theme {} ", model.theme.as_str());
    let left = truncate(
        &format!(" {}", breadcrumb(model)),
        w.saturating_sub(width(&right) + 1),
    );
    let gap = w.saturating_sub(width(&left) + width(&right));
    let top = Line::from(vec![
        Span::styled(left, t.title),
        Span::styled(" ".repeat(gap), t.base),
        Span::styled(right, t.dim),
    ]);
    let style = if model.status.is_some() {
        t.warn
    } else {
        t.dim
    };
    let second = Line::styled(truncate(&format!(" {}", progress_line(model)), w), style);
    frame.render_widget(Paragraph::new(vec![top, second]).style(t.base), area);
}
