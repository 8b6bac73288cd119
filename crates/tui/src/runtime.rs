//! The runtime: the real terminal, the event loop, and the background threads that run the
//! scenarios and the playground's lab. The terminal is restored on every way out: a normal quit,
//! an error, Ctrl-C (a key in raw mode), a panic (a hook), and a signal from outside (SIGTERM,
//! SIGHUP when the terminal window closes, SIGINT or SIGQUIT sent with `kill`).

use std::collections::VecDeque;
use std::io::{IsTerminal as _, Stdout};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;
use s3lab_scenarios::{catalog, Scenario};

use crate::app::App;
use crate::labs::{self, LabCmd};
use crate::model::Model;
use crate::playground::Outgoing;
use crate::progress::{data_dir, Store};
use crate::theme::ThemeName;
use crate::update::{Effect, Msg};
use crate::{embedded, view, TuiError};

/// How the TUI starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `Some(seed)`: repeatable keys, ids and dates; `None` (`--live`): real randomness and clock.
    pub seed: Option<u64>,
    /// A theme for this run (else the one saved, else dark).
    pub theme: Option<ThemeName>,
}

static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();

/// The signals that stop the TUI cleanly. Each ends the event loop at its next turn (within
/// 40 ms), which restores the terminal and saves progress; a second one of the same kind, for a
/// TUI that is stuck, ends the process at once with the default action.
#[cfg(unix)]
const STOP_SIGNALS: &[(i32, &str)] = &[
    (signal_hook::consts::SIGTERM, "SIGTERM"),
    (signal_hook::consts::SIGHUP, "SIGHUP"),
    (signal_hook::consts::SIGINT, "SIGINT"),
    (signal_hook::consts::SIGQUIT, "SIGQUIT"),
];
#[cfg(not(unix))]
const STOP_SIGNALS: &[(i32, &str)] = &[
    (signal_hook::consts::SIGTERM, "SIGTERM"),
    (signal_hook::consts::SIGINT, "SIGINT"),
];

/// The number of the stop signal that arrived, or 0.
fn watch_stop_signals() -> Result<Arc<AtomicUsize>, TuiError> {
    let arrived = Arc::new(AtomicUsize::new(0));
    for &(signal, _) in STOP_SIGNALS {
        let latched = Arc::new(AtomicBool::new(false));
        // Registered first, so it sees the second signal while `latched` is already set.
        signal_hook::flag::register_conditional_default(signal, latched.clone())?;
        signal_hook::flag::register(signal, latched)?;
        signal_hook::flag::register_usize(signal, arrived.clone(), signal as usize)?;
    }
    Ok(arrived)
}

fn signal_name(number: i32) -> &'static str {
    STOP_SIGNALS
        .iter()
        .find(|(n, _)| *n == number)
        .map_or("a signal", |(_, name)| name)
}

/// Gives the terminal back: raw mode off, mouse released, main screen, cursor shown.
fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
}

/// Restores the terminal when dropped, whatever the way out.
struct Guard(Terminal<CrosstermBackend<Stdout>>);

impl Guard {
    fn enter() -> Result<Guard, TuiError> {
        enable_raw_mode()?;
        let mut stdout = std::io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(e.into());
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(t) => Ok(Guard(t)),
            Err(e) => {
                restore();
                Err(e.into())
            }
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// A panic on the UI thread restores the terminal before the message is printed. A panic on a
/// background thread is not printed over the screen: its scenario or request reports it as an
/// error in the UI instead.
fn install_panic_hook() {
    let _ = UI_THREAD.set(thread::current().id());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if Some(thread::current().id()) == UI_THREAD.get().copied() {
            restore();
            previous(info);
        }
    }));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    format!("it stopped with an internal error ({what})")
}

/// Runs the scenarios one after the other, the ones the learner waits for first.
fn scenario_worker(
    seed: Option<u64>,
    tx: Sender<Msg>,
    first: Receiver<String>,
    stop: Arc<AtomicBool>,
) {
    let mut queue: VecDeque<&'static Scenario> = catalog().iter().collect();
    loop {
        while let Ok(id) = first.try_recv() {
            if let Some(i) = queue.iter().position(|s| s.id == id) {
                if let Some(s) = queue.remove(i) {
                    queue.push_front(s);
                }
            }
        }
        let Some(scenario) = queue.pop_front() else {
            return;
        };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let id = scenario.id.to_owned();
        if tx.send(Msg::ScenarioRunning(id.clone())).is_err() {
            return;
        }
        let result = catch_unwind(AssertUnwindSafe(|| s3lab_scenarios::run(scenario, seed)))
            .map_err(|p| panic_message(p.as_ref()))
            .and_then(|r| r.map_err(|e| e.to_string()));
        if tx.send(Msg::ScenarioLoaded { id, result }).is_err() {
            return;
        }
    }
}

/// Owns the playground's lab, and sends what the learner builds.
fn playground_worker(seed: Option<u64>, tx: Sender<Msg>, requests: Receiver<Outgoing>) {
    let lab = match catch_unwind(|| embedded::start_playground(seed)) {
        Ok(Ok(lab)) => lab,
        Ok(Err(why)) => {
            let _ = tx.send(Msg::LabFailed(why));
            return;
        }
        Err(p) => {
            let _ = tx.send(Msg::LabFailed(panic_message(p.as_ref())));
            return;
        }
    };
    if tx.send(Msg::LabReady).is_err() {
        return;
    }
    while let Ok(out) = requests.recv() {
        let answer = catch_unwind(AssertUnwindSafe(|| embedded::send(&lab, &out)))
            .map_err(|p| panic_message(p.as_ref()))
            .and_then(|r| r);
        if tx.send(Msg::Answer(answer)).is_err() {
            break;
        }
    }
    // Dropping the lab stops its servers and removes its data folder.
}

/// Waits a little for background threads to stop cleanly (their labs remove their folders).
fn join_within(handles: Vec<JoinHandle<()>>, limit: Duration) {
    let start = Instant::now();
    for h in handles {
        while !h.is_finished() && start.elapsed() < limit {
            thread::sleep(Duration::from_millis(20));
        }
        if h.is_finished() {
            let _ = h.join();
        }
    }
}

/// Runs the TUI until the learner quits.
pub fn run(options: Options) -> Result<(), TuiError> {
    if !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let mut store = Store::new(data_dir());
    let (progress, status) = match store.load() {
        Ok(p) => (p, None),
        Err(e) => (
            Default::default(),
            Some(format!("{e}: progress is not saved this time")),
        ),
    };
    let mut model = Model::new(catalog(), options.seed, progress);
    model.status = status;
    if let Some(theme) = options.theme {
        model.theme = theme;
    }
    if let Ok(size) = ratatui::crossterm::terminal::size() {
        model.size = size;
    }
    let mut app = App::new(model);

    let (tx, rx) = mpsc::channel::<Msg>();
    let (first_tx, first_rx) = mpsc::channel::<String>();
    let (send_tx, send_rx) = mpsc::channel::<Outgoing>();
    let (lab_tx, lab_rx) = mpsc::channel::<LabCmd>();
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    {
        let (tx, stop) = (tx.clone(), stop.clone());
        let seed = options.seed;
        handles.push(
            thread::Builder::new()
                .name("s3lab-tui-scenarios".into())
                .spawn(move || scenario_worker(seed, tx, first_rx, stop))?,
        );
    }
    {
        let (tx, seed) = (tx.clone(), options.seed);
        handles.push(
            thread::Builder::new()
                .name("s3lab-tui-playground".into())
                .spawn(move || playground_worker(seed, tx, send_rx))?,
        );
    }
    handles.push(
        thread::Builder::new()
            .name("s3lab-tui-labs".into())
            .spawn(move || {
                let reply = tx.clone();
                let labs = s3lab_labs::Labs::from_env(None).map_err(|e| e.to_string());
                if let Err(p) = catch_unwind(AssertUnwindSafe(|| labs::worker(labs, tx, lab_rx))) {
                    let _ = reply.send(Msg::LabsLoaded(Err(panic_message(p.as_ref()))));
                }
            })?,
    );

    install_panic_hook();
    let signals = watch_stop_signals()?;
    let channels = Channels {
        first: &first_tx,
        send: &send_tx,
        labs: &lab_tx,
    };
    let result = event_loop(&mut app, &rx, &channels, &store, &signals);
    // The guard inside `event_loop` has restored the terminal by now.
    stop.store(true, Ordering::Relaxed);
    drop((first_tx, send_tx, lab_tx, rx));
    join_within(handles, Duration::from_secs(3));
    result
}

/// Where the event loop sends work.
struct Channels<'a> {
    /// Scenarios to run first.
    first: &'a Sender<String>,
    /// Playground requests.
    send: &'a Sender<Outgoing>,
    labs: &'a Sender<LabCmd>,
}

fn event_loop(
    app: &mut App,
    rx: &Receiver<Msg>,
    channels: &Channels<'_>,
    store: &Store,
    signals: &AtomicUsize,
) -> Result<(), TuiError> {
    let mut guard = Guard::enter()?;
    let mut dirty = true;
    loop {
        let signal = signals.load(Ordering::Relaxed);
        if signal != 0 {
            // Best effort: the terminal may be gone already (SIGHUP), but the progress file is not.
            let _ = store.save(&app.model.progress);
            drop(guard);
            let number = i32::try_from(signal).unwrap_or(0);
            return Err(TuiError::Stopped {
                signal: number,
                name: signal_name(number),
            });
        }
        if dirty {
            guard.0.draw(|f| view::render(&app.model, f))?;
            dirty = false;
        }
        if event::poll(Duration::from_millis(40))? {
            let ev = event::read()?;
            dirty |= app.handle_event(&ev);
        }
        while let Ok(msg) = rx.try_recv() {
            app.dispatch(msg);
            dirty = true;
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Quit => {
                    if let Err(e) = store.save(&app.model.progress) {
                        drop(guard);
                        return Err(e);
                    }
                    return Ok(());
                }
                Effect::RunFirst(id) => {
                    let _ = channels.first.send(id);
                }
                Effect::Send(out) => {
                    let _ = channels.send.send(*out);
                }
                Effect::Lab(cmd) => {
                    let _ = channels.labs.send(cmd);
                }
                Effect::SaveProgress => {
                    if let Err(e) = store.save(&app.model.progress) {
                        app.model.status = Some(format!("{e}: progress is not saved"));
                        dirty = true;
                    }
                }
            }
        }
    }
}
