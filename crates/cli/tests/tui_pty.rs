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

#[test]
fn the_tui_starts_steps_helps_and_quits_cleanly() {
    let home = tempfile::tempdir().expect("a temp folder");
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_s3lab"));
    cmd.env("S3LAB_HOME", home.path());
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(home.path());
    let mut child = pty.slave.spawn_command(cmd).expect("s3lab starts");
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
    let mut keys = pty.master.take_writer().expect("a writer");
    let mut press = |k: &str| {
        keys.write_all(k.as_bytes()).expect("a key");
        keys.flush().expect("flushed");
    };

    // The first frame comes at once, with the list and a progress line.
    screen.wait_for("Scenarios", Duration::from_secs(20));
    screen.wait_for("sse-s3", Duration::from_secs(5));
    assert!(
        screen
            .parser
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(false),
        "the TUI draws on the alternate screen"
    );
    // map (Overview), in-transit (In transit), then sse-s3.
    press("\x1b[B");
    press("\x1b[B");
    press("\r");
    screen.wait_for("step 1 of", Duration::from_secs(120));
    press("n");
    screen.wait_for("step 2 of", Duration::from_secs(10));
    press("?");
    screen.wait_for("Help · Esc closes", Duration::from_secs(10));
    press("q"); // closes the help
    screen.wait_for("n Space next step", Duration::from_secs(10));
    press("q"); // quits

    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "s3lab did not quit; the screen shows:\n{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    drop(pty.master);
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
    let tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(200)..]).into_owned();
    assert!(
        tail.contains("\x1b[?1049l"),
        "left the alternate screen: {tail:?}"
    );
    // Progress was saved where S3LAB_HOME says.
    let progress =
        std::fs::read_to_string(home.path().join("progress.json")).expect("progress saved");
    assert!(progress.contains("sse-s3"), "{progress}");
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
