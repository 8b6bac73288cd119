//! How long one frame takes: the busiest screens at 160x48, drawn into a `TestBackend`.
//!
//! `cargo bench -p s3lab-tui`

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use s3lab_tui::model::Pane;
use s3lab_tui::App;

#[path = "../tests/common/mod.rs"]
mod common;

/// The fixture scenario at `step`, `pane` focused, drawn once at 160x48.
fn app_at(step: usize, pane: Pane, focus: bool) -> App {
    let mut app = common::app();
    app.handle_key(KeyCode::Down, KeyModifiers::NONE);
    app.handle_key(KeyCode::Enter, KeyModifiers::NONE);
    for _ in 0..step {
        app.handle_key(KeyCode::Char('n'), KeyModifiers::NONE);
    }
    for _ in 0..pane.index() {
        app.handle_key(KeyCode::Tab, KeyModifiers::NONE);
    }
    if focus {
        app.handle_key(KeyCode::Char('f'), KeyModifiers::NONE);
    }
    common::draw(&mut app, 160, 48);
    app
}

fn frames(c: &mut Criterion) {
    let cases = [
        // Note + Request + Response side by side: every header, wrapped, marked.
        (
            "frame_160x48_request_response",
            app_at(0, Pane::Request, false),
        ),
        // The error response: pretty-printed XML.
        (
            "frame_160x48_error_response",
            app_at(2, Pane::Response, false),
        ),
        // Hex view by region with the metadata JSON beside it, the whole screen.
        ("frame_160x48_at_rest_focus", app_at(0, Pane::AtRest, true)),
    ];
    for (name, app) in cases {
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("a test terminal");
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal.draw(|f| app.render(f)).expect("draws");
            })
        });
    }
}

criterion_group!(benches, frames);
criterion_main!(benches);
