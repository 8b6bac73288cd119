//! The playground: a request built in the form, sent to a real (seeded) lab through the same
//! functions the runtime uses, and its answer in the panes.

mod common;

use common::{app, draw, SIZES};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use s3lab_tui::embedded;
use s3lab_tui::model::{Pane, Screen};
use s3lab_tui::update::{Effect, Msg};
use s3lab_tui::App;

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(code, KeyModifiers::NONE);
}

/// Sends what the app asked to send, as the runtime's worker does.
fn deliver(app: &mut App, lab: &s3lab_scenarios::Lab) {
    let sends: Vec<_> = app
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(out) => Some(out),
            _ => None,
        })
        .collect();
    assert_eq!(sends.len(), 1, "one request sent");
    for out in sends {
        let answer = embedded::send(lab, &out).map(|t| s3lab_scenarios::without_tls_lengths(&t));
        app.dispatch(Msg::Answer(answer));
    }
}

#[test]
fn playground_before_and_after_sending() {
    let lab = embedded::start_playground(Some(42)).expect("the playground's lab starts");
    let mut app = app();
    key(&mut app, KeyCode::Char('e'));
    assert_eq!(app.model.screen, Screen::Playground);
    app.dispatch(Msg::LabReady);
    for (w, h) in SIZES {
        let terminal = draw(&mut app, w, h);
        insta::assert_snapshot!(format!("playground_before_{w}x{h}"), terminal.backend());
    }

    // A mistake: SSE-C over plain HTTP.
    for _ in 0..4 {
        key(&mut app, KeyCode::Down); // to "SSE mode"
    }
    for _ in 0..3 {
        key(&mut app, KeyCode::Right); // SSE-S3 → SSE-KMS → DSSE-KMS → SSE-C
    }
    for _ in 0..4 {
        key(&mut app, KeyCode::Down); // to "transport"
    }
    key(&mut app, KeyCode::Right); // HTTPS → HTTP
    key(&mut app, KeyCode::Char('s'));
    deliver(&mut app, &lab);
    let hint = app.model.playground.hint.clone().unwrap_or_default();
    assert!(hint.contains("SSE-C needs HTTPS"), "{hint}");
    for (w, h) in SIZES {
        let terminal = draw(&mut app, w, h);
        insta::assert_snapshot!(
            format!("playground_after_mistake_{w}x{h}"),
            terminal.backend()
        );
    }

    // Put it right: SSE-KMS over HTTPS with an encryption context, then look at the KMS audit.
    key(&mut app, KeyCode::Left); // HTTP → HTTPS
    for _ in 0..4 {
        key(&mut app, KeyCode::Up); // to "SSE mode"
    }
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Left); // SSE-C → DSSE-KMS → SSE-KMS
    for _ in 0..3 {
        key(&mut app, KeyCode::Down); // to "enc. context"
    }
    key(&mut app, KeyCode::Enter);
    for c in "team=blue".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.playground.form.context, "team=blue");
    key(&mut app, KeyCode::Char('s'));
    deliver(&mut app, &lab);
    assert_eq!(app.model.playground.hint, None);
    for _ in 0..Pane::Audit.index() {
        key(&mut app, KeyCode::Tab);
    }
    let terminal = draw(&mut app, 160, 48);
    insta::assert_snapshot!("playground_after_kms_audit_160x48", terminal.backend());
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.model.pane, Pane::Keys);
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("playground_after_kms_keys_80x24", terminal.backend());
}

#[test]
fn sending_before_the_lab_is_up_says_so() {
    let mut app = app();
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char('s'));
    assert!(app.take_effects().is_empty());
    assert!(app
        .model
        .status
        .as_deref()
        .is_some_and(|s| s.contains("still starting")));
}
