//! The Labs tab: the list of labs, an open lab with its text, checks and hints (snapshots at
//! 80x24 and 160x48), and the worker that checks a lab against its real server, again whenever
//! the learner's files change.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{catalog, draw, SIZES};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use s3lab_labs::{
    check_lab, locate_labs, start_lab_server, CheckReport, GoalOutcome, GoalStatus, Home,
    LabServerOptions, Labs, Registry,
};
use s3lab_tui::labs::{worker, LabCmd, LabInfo, LabPane};
use s3lab_tui::model::{Model, Screen};
use s3lab_tui::progress::Progress;
use s3lab_tui::update::{Effect, Msg};
use s3lab_tui::App;

/// Lab 9 (rotation and audit): an investigation lab with a server.
const LAB: usize = 9;

fn labs_in(home: &std::path::Path) -> Labs {
    let registry = Registry::load(&locate_labs(None).expect("the labs folder")).expect("labs");
    Labs::new(registry, Home::at(home))
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(code, KeyModifiers::NONE);
}

fn press(app: &mut App, c: char) {
    key(app, KeyCode::Char(c));
}

fn snap(name: &str, app: &mut App) {
    for (w, h) in SIZES {
        let terminal = draw(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

/// The app with the real labs loaded (a fresh learner's folder), on the Labs tab with lab 9
/// selected.
fn app_on_lab_list(home: &std::path::Path) -> App {
    let labs = labs_in(home);
    let infos: Vec<LabInfo> = labs
        .registry()
        .labs()
        .iter()
        .map(|l| LabInfo::read(&labs, l).expect("lab info"))
        .collect();
    let mut app = App::new(Model::new(catalog(), Some(42), Progress::default()));
    app.dispatch(Msg::LabsLoaded(Ok(infos)));
    press(&mut app, 'L');
    assert_eq!(app.model.screen, Screen::Labs);
    for _ in 1..LAB {
        key(&mut app, KeyCode::Down);
    }
    app
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn the_lab_list_and_the_way_in_from_the_scenarios() {
    let home = tempfile::tempdir().expect("temp");
    let mut app = app_on_lab_list(home.path());
    snap("labs_list", &mut app);
    // Esc goes back to the scenarios, where the last row opens the labs again.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.model.screen, Screen::List);
    key(&mut app, KeyCode::End);
    assert_eq!(app.model.selected, app.model.entries.len() + 1);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.screen, Screen::Labs);
}

/// Opened, the lab is watched at once; the check against its real server (the starter state:
/// nothing done yet) shows each goal with ✗ and what was observed.
#[test]
fn an_open_lab_shows_its_text_and_a_real_failing_check() {
    let home = tempfile::tempdir().expect("temp");
    let mut app = app_on_lab_list(home.path());
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.take_effects()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Lab(c) => Some(c),
                _ => None,
            })
            .collect::<Vec<_>>(),
        [LabCmd::Watch(Some(LAB))]
    );
    app.dispatch(Msg::LabChecking(LAB));
    snap("lab_checking", &mut app);

    let labs = labs_in(home.path());
    let lab = labs.registry().find(&LAB.to_string()).expect("lab 9");
    let rt = runtime();
    let options = LabServerOptions {
        http_port: 0,
        https_port: 0,
        ..LabServerOptions::default()
    };
    let server = rt
        .block_on(start_lab_server(lab, labs.home(), &options))
        .expect("the lab's server starts");
    // Answers written, but wrong (a missing file would be reported with its temporary path).
    for file in ["material-before.txt", "material-after.txt"] {
        std::fs::write(labs.home().work_dir(lab).join(file), "not sure yet\n").expect("write");
    }
    let report = rt.block_on(check_lab(lab, labs.home()));
    drop(server);
    // Nothing is done yet; the goal about after.txt cannot even be judged ("?") until it exists.
    assert!(
        report.met() == 0 && report.goals.iter().any(|g| g.status == GoalStatus::NotMet),
        "{}",
        report.render()
    );
    app.dispatch(Msg::LabChecked {
        number: LAB,
        report,
        done: false,
    });
    snap("lab_failing", &mut app);
}

fn goal(description: &str, status: GoalStatus, observed: Option<&str>) -> GoalOutcome {
    GoalOutcome {
        description: description.into(),
        status,
        observed: observed.map(str::to_owned),
    }
}

#[test]
fn a_lab_whose_server_is_not_running_says_how_to_start_it() {
    let home = tempfile::tempdir().expect("temp");
    let mut app = app_on_lab_list(home.path());
    key(&mut app, KeyCode::Enter);
    let labs = labs_in(home.path());
    let lab = labs.registry().find(&LAB.to_string()).expect("lab 9");
    let report = runtime().block_on(check_lab(lab, labs.home()));
    assert!(report.goals.iter().all(|g| g.status == GoalStatus::Unknown));
    app.dispatch(Msg::LabChecked {
        number: LAB,
        report,
        done: false,
    });
    // Focus mode on the Checks pane, as a projector would show it.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.model.labs.pane, LabPane::Checks);
    press(&mut app, 'f');
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("lab_server_down_focus_80x24", terminal.backend());
}

#[test]
fn hints_one_at_a_time_and_a_passing_check() {
    let home = tempfile::tempdir().expect("temp");
    let mut app = app_on_lab_list(home.path());
    key(&mut app, KeyCode::Enter);
    app.take_effects();
    press(&mut app, 'h');
    assert!(matches!(
        app.take_effects().as_slice(),
        [Effect::Lab(LabCmd::Hint(LAB))]
    ));
    // What the worker answers: the first hint, as `s3lab lab hint 9` reveals it.
    let labs = labs_in(home.path());
    let lab = labs.registry().find(&LAB.to_string()).expect("lab 9");
    labs.next_hint(lab).expect("a hint");
    let hints = LabInfo::read(&labs, lab).expect("info").hints;
    assert_eq!(hints.len(), 1);
    app.dispatch(Msg::LabHints { number: LAB, hints });
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.model.labs.pane, LabPane::Hints);
    snap("lab_hint", &mut app);

    // Every goal met: the lab is done, and the header counts it.
    let report = CheckReport {
        number: LAB,
        name: lab.name.clone(),
        title: lab.title.clone(),
        goals: lab
            .spec
            .goals
            .iter()
            .map(|g| goal(&s3lab_labs::check::describe(g), GoalStatus::Met, None))
            .collect(),
    };
    app.dispatch(Msg::LabChecked {
        number: LAB,
        report,
        done: true,
    });
    snap("lab_passing", &mut app);
    key(&mut app, KeyCode::Esc);
    assert!(!app.model.labs.open);
    assert!(matches!(
        app.take_effects().as_slice(),
        [Effect::Lab(LabCmd::Watch(None))]
    ));
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("labs_list_one_done_80x24", terminal.backend());
}

/// Waits for the worker's next message that `pick` wants, failing after `limit`.
fn next<T>(rx: &mpsc::Receiver<Msg>, limit: Duration, pick: impl Fn(Msg) -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        let left = limit.saturating_sub(start.elapsed());
        let msg = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no message from the labs' worker in {limit:?}: {e}"));
        if let Some(t) = pick(msg) {
            return t;
        }
    }
}

/// The worker against lab 9's real server: a check as soon as the lab is watched, another when
/// the learner writes a file in the lab's folder, and a hint saved to the progress file.
#[test]
fn the_worker_checks_at_once_and_again_when_the_learner_writes() {
    let home = tempfile::tempdir().expect("temp");
    let labs = labs_in(home.path());
    let lab = labs
        .registry()
        .find(&LAB.to_string())
        .expect("lab 9")
        .clone();
    let rt = runtime();
    let options = LabServerOptions {
        http_port: 0,
        https_port: 0,
        ..LabServerOptions::default()
    };
    let _server = rt
        .block_on(start_lab_server(&lab, labs.home(), &options))
        .expect("the lab's server starts");

    let (tx, rx) = mpsc::channel();
    let (cmd_tx, cmd_rx) = mpsc::channel();
    let work = labs.home().work_dir(&lab);
    let worker_labs = labs_in(home.path());
    let thread = std::thread::spawn(move || worker(Ok(worker_labs), tx, cmd_rx));

    let all = next(&rx, Duration::from_secs(20), |m| match m {
        Msg::LabsLoaded(r) => Some(r),
        _ => None,
    })
    .expect("the labs load");
    assert_eq!(all.len(), labs.registry().labs().len());

    cmd_tx.send(LabCmd::Watch(Some(LAB))).expect("send");
    let first = next(&rx, Duration::from_secs(60), |m| match m {
        Msg::LabChecked { number, report, .. } if number == LAB => Some(report),
        _ => None,
    });
    assert!(
        first.goals.iter().all(|g| g.status == GoalStatus::NotMet),
        "{}",
        first.render()
    );

    // The learner writes a file: the worker notices within a poll or two, and checks again.
    std::fs::write(work.join("notes.txt"), "looking at the audit trail\n").expect("write");
    next(&rx, Duration::from_secs(30), |m| match m {
        Msg::LabChecked { number, .. } if number == LAB => Some(()),
        _ => None,
    });

    cmd_tx.send(LabCmd::Hint(LAB)).expect("send");
    let hints = next(&rx, Duration::from_secs(20), |m| match m {
        Msg::LabHints { number, hints } if number == LAB => Some(hints),
        _ => None,
    });
    assert_eq!(hints.len(), 1);
    assert_eq!(labs.hints_shown(&lab).expect("progress").len(), 1);

    drop(cmd_tx);
    thread.join().expect("the worker ends when the tab does");
}

#[test]
fn without_labs_the_tab_says_why() {
    let (tx, rx) = mpsc::channel();
    let (_cmd_tx, cmd_rx) = mpsc::channel();
    worker(Err("no labs folder was found".into()), tx, cmd_rx);
    let Ok(Msg::LabsLoaded(Err(why))) = rx.recv() else {
        panic!("the worker reports why");
    };
    let mut app = App::new(Model::new(catalog(), Some(42), Progress::default()));
    app.dispatch(Msg::LabsLoaded(Err(why)));
    press(&mut app, 'L');
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("labs_missing_80x24", terminal.backend());
}
