//! Smoke test of the terminal UI: the real `s3lab` binary in a pseudo-terminal, driven with keys,
//! its screen read through a terminal emulator.

use std::io::{Read as _, Write as _};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

const ROWS: u16 = 24;
const COLS: u16 = 80;

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until the screen shows `needle`, failing with the screen after `limit`.
    fn wait_for(&self, needle: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let text = self.text();
            if text.contains(needle) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {needle:?}; the screen shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `s3lab` in a pseudo-terminal: its screen, and the keyboard.
struct Session {
    screen: Screen,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    keys: Box<dyn std::io::Write + Send>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    reading: std::thread::JoinHandle<()>,
}

impl Session {
    fn start(home: &std::path::Path) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_s3lab"));
        cmd.env("S3LAB_HOME", home);
        cmd.env("TERM", "xterm-256color");
        cmd.cwd(home);
        let child = pty.slave.spawn_command(cmd).expect("s3lab starts");
        drop(pty.slave);

        let rows = NonZeroU16::new(ROWS).expect("rows");
        let cols = NonZeroU16::new(COLS).expect("cols");
        let screen = Screen {
            parser: Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0))),
            raw: Arc::new(Mutex::new(Vec::new())),
        };
        let mut reader = pty.master.try_clone_reader().expect("a reader");
        let (parser, raw) = (screen.parser.clone(), screen.raw.clone());
        let reading = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = parser.lock() {
                    p.process(&buf[..n]);
                }
                if let Ok(mut r) = raw.lock() {
                    r.extend_from_slice(&buf[..n]);
                }
            }
        });
        let keys = pty.master.take_writer().expect("a writer");
        Session {
            screen,
            child,
            keys,
            master: pty.master,
            reading,
        }
    }

    fn press(&mut self, k: &str) {
        self.keys.write_all(k.as_bytes()).expect("a key");
        self.keys.flush().expect("flushed");
    }

    /// Waits for the process to end, and checks that it gave the terminal back.
    fn wait_restored(self) -> portable_pty::ExitStatus {
        let Session {
            screen,
            mut child,
            keys,
            master,
            reading,
        } = self;
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("the child's status") {
                break status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "s3lab did not stop; the screen shows:\n{}",
                screen.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        drop((keys, master));
        let _ = reading.join();

        let p = screen.parser.lock().expect("the parser");
        assert!(
            !p.screen().alternate_screen(),
            "the alternate screen was left"
        );
        assert!(!p.screen().hide_cursor(), "the cursor is shown again");
        assert_eq!(
            p.screen().mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "the mouse is released"
        );
        let raw = screen.raw.lock().expect("the bytes");
        let tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(300)..]).into_owned();
        assert!(
            tail.contains("\x1b[?1049l"),
            "left the alternate screen: {tail:?}"
        );
        status
    }
}

#[test]
fn the_tui_starts_steps_helps_and_quits_cleanly() {
    let home = tempfile::tempdir().expect("a temp folder");
    let mut s = Session::start(home.path());

    // The first frame comes at once, with the list and a progress line.
    s.screen.wait_for("Scenarios", Duration::from_secs(20));
    s.screen.wait_for("sse-s3", Duration::from_secs(5));
    assert!(
        s.screen
            .parser
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(false),
        "the TUI draws on the alternate screen"
    );
    // map (Overview), in-transit (In transit), then sse-s3.
    s.press("\x1b[B");
    s.press("\x1b[B");
    s.press("\r");
    s.screen.wait_for("step 1 of", Duration::from_secs(120));
    s.press("n");
    s.screen.wait_for("step 2 of", Duration::from_secs(10));
    s.press("?");
    s.screen
        .wait_for("Help · Esc closes", Duration::from_secs(10));
    s.press("q"); // closes the help
    s.screen
        .wait_for("n Space next step", Duration::from_secs(10));
    // The Labs tab: the list, then lab 1 with its checks (its server is not running).
    s.press("L");
    s.screen
        .wait_for("Your labs: 0 of", Duration::from_secs(10));
    s.press("\r");
    s.screen.wait_for("c check now", Duration::from_secs(10));
    s.screen.wait_for("goals met", Duration::from_secs(60));
    s.press("\x1b"); // back to the lab list
    s.screen.wait_for("Enter open", Duration::from_secs(10));
    s.press("q"); // quits

    let status = s.wait_restored();
    assert!(status.success(), "exit status {status:?}");
    // Progress was saved where S3LAB_HOME says.
    let progress =
        std::fs::read_to_string(home.path().join("progress.json")).expect("progress saved");
    assert!(progress.contains("sse-s3"), "{progress}");
}

/// `kill` from outside, or the terminal window closing (SIGHUP), restores the terminal and saves
/// progress, and the exit status says which signal it was.
#[cfg(unix)]
#[test]
fn a_signal_from_outside_restores_the_terminal() {
    for (signal, number) in [("TERM", 15), ("HUP", 1)] {
        let home = tempfile::tempdir().expect("a temp folder");
        let s = Session::start(home.path());
        s.screen.wait_for("Scenarios", Duration::from_secs(20));
        // Nothing has saved progress yet: the file appears only if the signal path saves it.
        assert!(!home.path().join("progress.json").exists());
        let pid = s.child.process_id().expect("a pid");
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} {pid}");
        let status = s.wait_restored();
        assert_eq!(status.exit_code(), 128 + number, "SIG{signal}: {status:?}");
        assert!(
            home.path().join("progress.json").exists(),
            "SIG{signal}: progress was not saved"
        );
    }
}

#[test]
fn the_tui_refuses_without_a_terminal_and_names_s3lab_run() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_s3lab"))
        .env("S3LAB_HOME", std::env::temp_dir())
        .output()
        .expect("s3lab runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("s3lab run"), "{err}");
}
