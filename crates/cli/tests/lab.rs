//! `s3lab lab ...` as a learner runs it: the real binary, a fresh `S3LAB_HOME` per test, the
//! repository's labs, and (for command labs) the lab's own server on loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const READY_LINE: &str = "s3lab is ready.";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A learner's data folder of its own.
struct Learner {
    home: tempfile::TempDir,
}

impl Learner {
    fn new() -> Learner {
        Learner {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn home(&self) -> &Path {
        self.home.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3lab"));
        cmd.arg("lab")
            .args(args)
            .current_dir(workspace())
            .env("S3LAB_HOME", self.home())
            // Code labs share one target folder across tests, so their dependencies build once.
            .env(
                "S3LAB_LABS_TARGET_DIR",
                workspace().join("target/labs-target"),
            )
            .env_remove("S3LAB_LABS")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("could not run s3lab")
    }

    /// `s3lab lab start N` on free ports, until it is ready. Killed when dropped.
    fn start(&self, lab: &str) -> Started {
        let mut child = self
            .command(&["start", lab, "--http-port", "0", "--https-port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(90))
                .expect("lab start did not print its ready line");
            let done = line == READY_LINE;
            banner.push(line);
            if done {
                break;
            }
        }
        Started { child, banner }
    }

    /// Output with the machine-specific parts replaced: `[HOME]`, `[REPO]`, ports.
    fn clean(&self, text: &str) -> String {
        let home = self.home().display().to_string();
        let repo = workspace().display().to_string();
        let mut out = text.replace(&home, "[HOME]").replace(&repo, "[REPO]");
        // Loopback ports are whatever the OS gave.
        while let Some(i) = out.find("127.0.0.1:") {
            let rest = &out[i + 10..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            out = format!("{}localhost:[PORT]{}", &out[..i], &rest[digits..]);
        }
        out
    }
}

struct Started {
    child: Child,
    banner: Vec<String>,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_snapshot() {
    let learner = Learner::new();
    let out = learner.run(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("lab_list", learner.clean(&stdout(&out)));
}

#[test]
fn failing_check_of_a_command_lab_says_what_was_observed() {
    let learner = Learner::new();
    // No server yet: nothing can be checked, exit status 2, and what to do.
    let out = learner.run(&["check", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("start it with `s3lab lab start 1`"));

    let server = learner.start("1");
    let banner = server.banner.join("\n");
    assert!(
        banner.contains("  export AWS_ACCESS_KEY_ID=AKIAS3LABADMIN000001 "),
        "{banner}"
    );
    assert!(banner.contains("  export E=https://127.0.0.1:"), "{banner}");
    assert!(banner.contains(&format!(
        "  cd {}",
        learner.home().join("work/01_in_transit").display()
    )));
    let out = learner.run(&["check", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    insta::assert_snapshot!("lab_check_failing", learner.clean(&stdout(&out)));
    // The starter files are in the work folder.
    assert!(learner
        .home()
        .join("work/01_in_transit/deny-http.json")
        .is_file());
}

#[test]
fn passing_check_of_a_code_lab_and_its_solution() {
    let learner = Learner::new();
    let out = learner.run(&["solution", "12"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("lab 12 is not done yet"),
        "{}",
        stderr(&out)
    );

    let out = learner.run(&["check", "12"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("✗ key_md5 is the base64 MD5 of the raw key"));
    assert!(
        stdout(&out).contains("not yet implemented: key_md5"),
        "{}",
        stdout(&out)
    );

    let work = learner.home().join("work/12_sse_c_headers");
    std::fs::copy(
        workspace().join("labs/solutions/12_sse_c_headers/src/lib.rs"),
        work.join("src/lib.rs"),
    )
    .unwrap();
    let out = learner.run(&["check", "12"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    insta::assert_snapshot!("lab_check_passing", learner.clean(&stdout(&out)));

    let out = learner.run(&["solution", "12"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("==> src/lib.rs <=="),
        "{}",
        stdout(&out)
    );
    let progress = std::fs::read_to_string(learner.home().join("progress.toml")).unwrap();
    assert!(
        progress.contains("[labs.sse_c_headers]\ndone = true"),
        "{progress}"
    );
}

#[test]
fn hints_are_revealed_one_at_a_time() {
    let learner = Learner::new();
    let firsts: Vec<String> = (0..4)
        .map(|_| {
            let out = learner.run(&["hint", "2"]);
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out).lines().next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        firsts,
        [
            "Hint 1 of 3 for lab 2 (sse_s3):",
            "Hint 2 of 3 for lab 2 (sse_s3):",
            "Hint 3 of 3 for lab 2 (sse_s3):",
            "Hint 3 of 3 for lab 2 (sse_s3):",
        ]
    );
    let progress = std::fs::read_to_string(learner.home().join("progress.toml")).unwrap();
    assert!(progress.contains("hints_shown = 3"), "{progress}");
}

#[test]
fn reset_asks_first_and_scripts_say_yes() {
    let learner = Learner::new();
    assert!(learner.run(&["hint", "4"]).status.success());
    assert_eq!(learner.run(&["check", "4"]).status.code(), Some(2));
    let work = learner.home().join("work/04_enforce_policy");
    std::fs::write(work.join("policy.json"), "my edits").unwrap();

    // No terminal to ask on, no --yes: nothing is discarded.
    let out = learner.run(&["reset", "4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(work.join("policy.json")).unwrap(),
        "my edits"
    );

    let out = learner.run(&["reset", "4", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!work.exists());
    let progress = std::fs::read_to_string(learner.home().join("progress.toml")).unwrap();
    assert!(!progress.contains("enforce_policy"), "{progress}");

    let out = learner.run(&["reset", "--all", "--yes"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("Nothing to reset"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_running_server_is_not_reset_under_its_feet() {
    let learner = Learner::new();
    let _server = learner.start("6");
    let out = learner.run(&["reset", "6", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("server is running"),
        "{}",
        stderr(&out)
    );
    assert!(learner
        .home()
        .join("server/06_default_encryption/seeded.json")
        .is_file());
}

#[test]
fn an_older_progress_file_is_upgraded() {
    let learner = Learner::new();
    let path = learner.home().join("progress.toml");
    std::fs::write(
        &path,
        "version = 1\ncurrent = \"sse_s3\"\ndone = [\"in_transit\", \"sse_s3\"]\n\n[hints]\nunwrap_sse_s3 = 1\n",
    )
    .unwrap();
    let out = learner.run(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(" ✓  1  in_transit"), "{text}");
    assert!(text.contains("▶✓  2  sse_s3"), "{text}");
    assert!(text.contains("Progress: [####>"), "{text}");
    assert!(text.contains("2/18"), "{text}");
    // Reading does not rewrite; the next change writes the current layout, progress kept.
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("version = 1"));
    assert!(learner.run(&["hint", "3"]).status.success());
    let upgraded = std::fs::read_to_string(&path).unwrap();
    assert!(upgraded.contains("format_version = 2"), "{upgraded}");
    assert!(
        upgraded.contains("[labs.in_transit]\ndone = true"),
        "{upgraded}"
    );
    assert!(
        upgraded.contains("[labs.unwrap_sse_s3]\ndone = false\nhints_shown = 2"),
        "{upgraded}"
    );
}

#[test]
fn a_progress_file_from_a_newer_s3lab_is_left_alone() {
    let learner = Learner::new();
    let path = learner.home().join("progress.toml");
    std::fs::write(&path, "format_version = 7\n").unwrap();
    let out = learner.run(&["hint", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("newer than this s3lab understands"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "format_version = 7\n"
    );
}

#[test]
fn unknown_labs_and_code_lab_servers_are_one_sentence() {
    let learner = Learner::new();
    let out = learner.run(&["check", "99"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: there is no lab \"99\" (`s3lab lab list` shows them)\n"
    );
    let out = learner.run(&["start", "3", "--http-port", "0", "--https-port", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("lab 3 is a code lab: it needs no server"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn watch_rechecks_when_a_file_changes() {
    let learner = Learner::new();
    let mut child = learner
        .command(&["watch", "1", "--poll", "--max-checks", "2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let work = learner.home().join("work/01_in_transit");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !work.join("deny-http.json").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "watch did not prepare the work folder"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::write(work.join("answer.txt"), "a change").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("watch did not re-check after the change");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(text.matches("Lab 1 · in_transit").count(), 2, "{text}");
    assert!(text.contains("polling every 2 s"), "{text}");
}
