//! Snapshots of every screen, at 80x24 (a stacked layout) and 160x48 (side by side).

mod common;

use common::{app, draw, fixture, sse_s3, SIZES};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use s3lab_scenarios::catalog;
use s3lab_tui::model::{Load, Model, Pane, Screen};
use s3lab_tui::progress::Progress;
use s3lab_tui::update::Msg;
use s3lab_tui::App;

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(code, KeyModifiers::NONE);
}

fn press(app: &mut App, c: char) {
    key(app, KeyCode::Char(c));
}

/// Opens scenario `index` of the test catalog at `step`, with `pane` focused, through the keys.
fn open(index: usize, step: usize, pane: Pane) -> App {
    let mut app = app();
    for _ in 0..index {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    for _ in 0..step {
        press(&mut app, 'n');
    }
    for _ in 0..pane.index() {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.model.screen, Screen::Steps);
    assert_eq!((app.model.step, app.model.pane), (step, pane));
    app
}

fn snap(name: &str, app: &mut App) {
    for (w, h) in SIZES {
        let terminal = draw(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn the_list_groups_the_real_catalog_by_topic() {
    let mut model = Model::new(catalog(), Some(42), Progress::default());
    let mut progress = Progress::default();
    progress.saw_step("sse-s3", 6, true, ["a", "b"]);
    progress.saw_step("sse-c", 1, false, ["c"]);
    model.progress = progress;
    for e in &mut model.entries {
        // Fixed states, so the snapshot does not change as the other scenarios are written.
        e.load = match e.scenario.id {
            "sse-s3" => Load::Ready(sse_s3().clone()),
            "in-transit" => Load::Running,
            "dsse-kms" => Load::Failed("this scenario is not written yet".into()),
            _ => Load::Queued,
        };
    }
    model.selected = 2;
    snap("list", &mut App::new(model));
}

#[test]
fn request_pane() {
    snap("pane_request", &mut open(1, 0, Pane::Request));
}

#[test]
fn response_pane_with_an_s3_error() {
    snap("pane_response_error", &mut open(1, 2, Pane::Response));
}

#[test]
fn keys_pane_sse_kms() {
    snap("pane_keys", &mut open(1, 0, Pane::Keys));
}

#[test]
fn at_rest_pane() {
    snap("pane_at_rest", &mut open(1, 0, Pane::AtRest));
}

#[test]
fn wire_pane_plain_http() {
    snap("pane_wire", &mut open(1, 1, Pane::Wire));
}

#[test]
fn wire_pane_tls() {
    let mut app = open(1, 3, Pane::Wire);
    let terminal = draw(&mut app, 160, 48);
    insta::assert_snapshot!("pane_wire_tls_160x48", terminal.backend());
}

#[test]
fn audit_pane() {
    snap("pane_audit", &mut open(1, 0, Pane::Audit));
}

#[test]
fn note_pane_with_a_failed_check() {
    snap("pane_note", &mut open(1, 2, Pane::Note));
}

#[test]
fn sse_s3_keys_and_at_rest() {
    snap("sse_s3_keys", &mut open(0, 2, Pane::Keys));
    let mut app = open(0, 2, Pane::AtRest);
    let terminal = draw(&mut app, 160, 48);
    insta::assert_snapshot!("sse_s3_at_rest_160x48", terminal.backend());
}

#[test]
fn help_screen() {
    let mut app = open(0, 1, Pane::Request);
    press(&mut app, '?');
    snap("help", &mut app);
}

#[test]
fn a_scenario_that_cannot_run_says_so() {
    let mut app = app();
    app.model.entries[1].load = Load::Queued;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    app.dispatch(Msg::ScenarioLoaded {
        id: "tui-fixture".into(),
        result: Err("this scenario is not written yet".into()),
    });
    snap("error", &mut app);
}

#[test]
fn a_scenario_still_running_shows_a_waiting_screen() {
    let mut app = app();
    app.model.entries[1].load = Load::Queued;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let fx = app.take_effects();
    assert!(
        fx.iter()
            .any(|f| matches!(f, s3lab_tui::update::Effect::RunFirst(id) if id == "tui-fixture")),
        "{fx:?}"
    );
    app.dispatch(Msg::ScenarioRunning("tui-fixture".into()));
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("waiting_80x24", terminal.backend());
    app.dispatch(Msg::ScenarioLoaded {
        id: "tui-fixture".into(),
        result: Ok(fixture().clone()),
    });
    assert_eq!(
        app.model.shown().map(|(t, _)| t.title.clone()),
        Some(fixture().title.clone())
    );
}

#[test]
fn focus_mode() {
    let mut app = open(1, 0, Pane::AtRest);
    press(&mut app, 'f');
    assert!(app.model.focus_mode);
    snap("focus_at_rest", &mut app);
}

#[test]
fn header_search_keeps_the_matching_headers() {
    let mut app = open(1, 0, Pane::Request);
    press(&mut app, '/');
    for c in "encryption".chars() {
        press(&mut app, c);
    }
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("search_typing_80x24", terminal.backend());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.search.query, "encryption");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.model.search.query, "");
    assert_eq!(app.model.screen, Screen::Steps);
}

#[test]
fn themes_and_tiny_terminals() {
    let mut app = open(1, 0, Pane::Request);
    press(&mut app, 't');
    press(&mut app, 't');
    assert_eq!(app.model.theme, s3lab_tui::ThemeName::HighContrast);
    // Every size renders, down to one cell, without a panic.
    for (w, h) in [
        (1, 1),
        (20, 5),
        (39, 11),
        (40, 12),
        (60, 20),
        (100, 30),
        (119, 40),
        (250, 80),
    ] {
        draw(&mut app, w, h);
    }
    let terminal = draw(&mut app, 30, 8);
    insta::assert_snapshot!("too_small", terminal.backend());
}

/// Colour carries meaning in the hex view: each region (header, nonce, ciphertext, tag) has its
/// own style. This snapshot keeps the styles.
#[test]
fn at_rest_regions_are_coloured() {
    let mut app = open(1, 0, Pane::AtRest);
    press(&mut app, 'f');
    let mut terminal = draw(&mut app, 80, 24);
    let buffer = terminal.backend_mut().buffer().clone();
    insta::assert_debug_snapshot!("at_rest_styles_80x24", buffer);
}

/// The first and the last step of every scenario of the curriculum, as a learner meets them: the
/// first with the Request pane (where Enter lands), the last with the Response pane. Each
/// scenario runs in a seeded lab, so the frames are the same on every machine.
#[test]
fn every_scenario_first_and_last_step() {
    for scenario in catalog() {
        let t = s3lab_scenarios::without_tls_lengths(
            &s3lab_scenarios::run(scenario, Some(42))
                .unwrap_or_else(|e| panic!("{}: {e}", scenario.id)),
        );
        let mut model = Model::new(
            std::slice::from_ref(scenario),
            Some(42),
            Progress::default(),
        );
        model.entries[0].load = Load::Ready(t.clone());
        let mut app = App::new(model);
        key(&mut app, KeyCode::Enter);
        assert_eq!((app.model.step, app.model.pane), (0, Pane::Request));
        snap(&format!("scenario_{}_first", scenario.id), &mut app);
        let last = t.steps.len() - 1;
        for _ in 0..last {
            press(&mut app, 'n');
        }
        key(&mut app, KeyCode::Tab);
        assert_eq!((app.model.step, app.model.pane), (last, Pane::Response));
        snap(&format!("scenario_{}_last", scenario.id), &mut app);
    }
}
