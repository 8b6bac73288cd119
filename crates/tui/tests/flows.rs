//! Flows: key and mouse events through the app's input seam, a snapshot after each.

mod common;

use common::{app, draw};
use ratatui::crossterm::event::{
    Event, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use s3lab_tui::model::{Pane, Screen};
use s3lab_tui::update::Effect;
use s3lab_tui::App;

fn snap_each(name: &str, app: &mut App, steps: &[(&str, KeyCode)]) {
    let terminal = draw(app, 80, 24);
    insta::assert_snapshot!(format!("{name}_00_start"), terminal.backend());
    for (i, (label, code)) in steps.iter().enumerate() {
        app.handle_key(*code, KeyModifiers::NONE);
        let terminal = draw(app, 80, 24);
        insta::assert_snapshot!(format!("{name}_{:02}_{label}", i + 1), terminal.backend());
    }
}

#[test]
fn a_learner_walks_through_sse_s3_with_the_keys_on_screen() {
    let mut app = app();
    snap_each(
        "flow_keys",
        &mut app,
        &[
            ("down", KeyCode::Down),
            ("up", KeyCode::Char('k')),
            ("enter", KeyCode::Enter),
            ("next_step", KeyCode::Char('n')),
            ("next_pane", KeyCode::Tab),
            ("next_step_again", KeyCode::Char('n')),
            ("help", KeyCode::Char('?')),
            ("help_closed", KeyCode::Esc),
            ("focus", KeyCode::Char('f')),
            ("focus_left", KeyCode::Esc),
            ("back_to_list", KeyCode::Esc),
        ],
    );
    assert_eq!(app.model.screen, Screen::List);
    assert!(app.model.progress.is_started("sse-s3"));
    app.take_effects();
    app.handle_key(KeyCode::Char('q'), KeyModifiers::NONE);
    assert!(app.model.quit);
    assert!(app.take_effects().iter().any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn reaching_the_last_step_completes_a_scenario() {
    let mut app = app();
    app.handle_key(KeyCode::Enter, KeyModifiers::NONE);
    for _ in 0..20 {
        app.handle_key(KeyCode::Char('n'), KeyModifiers::NONE);
    }
    assert!(app.model.progress.is_completed("sse-s3"));
    assert!(app.model.progress.checks_seen_count() > 5);
    assert!(app
        .take_effects()
        .iter()
        .any(|e| matches!(e, Effect::SaveProgress)));
    app.handle_key(KeyCode::Esc, KeyModifiers::NONE);
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("flow_completed_list_80x24", terminal.backend());
}

#[test]
fn ctrl_c_quits_even_while_typing() {
    let mut app = app();
    app.handle_key(KeyCode::Char('e'), KeyModifiers::NONE);
    app.handle_key(KeyCode::Down, KeyModifiers::NONE);
    app.handle_key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(app.model.playground.editing.is_some());
    app.handle_key(KeyCode::Char('q'), KeyModifiers::NONE);
    assert!(!app.model.quit, "q is text while typing");
    app.handle_key(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(app.model.quit);
}

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) {
    app.handle_event(&Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

#[test]
fn the_mouse_selects_and_scrolls() {
    let mut app = app();
    draw(&mut app, 80, 24);
    // Row 3 of the list area is the first scenario's row (header 2 rows, border 1, topic 1).
    let click = MouseEventKind::Down(MouseButton::Left);
    mouse(&mut app, click, 10, 6);
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("flow_mouse_01_selected", terminal.backend());
    let selected = app.model.selected;
    mouse(&mut app, click, 10, 6);
    assert_eq!(
        app.model.screen,
        Screen::Steps,
        "a second click opens {selected}"
    );
    // Click the Keys tab (row 2: the tab bar), then the Note pane, then scroll it.
    let tabs =
        s3lab_tui::components::tabs::hits(ratatui::layout::Rect::new(0, 2, 80, 1), Pane::Request);
    let (_, keys) = tabs
        .iter()
        .find(|(p, _)| *p == Pane::Keys)
        .copied()
        .expect("a Keys tab");
    mouse(&mut app, click, keys.x + 1, keys.y);
    assert_eq!(app.model.pane, Pane::Keys);
    mouse(&mut app, click, 10, 20);
    assert_eq!(app.model.pane, Pane::Note);
    mouse(&mut app, MouseEventKind::ScrollDown, 10, 20);
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("flow_mouse_02_note_scrolled", terminal.backend());
}
