//! The s3lab labs: self-paced exercises against a real mock S3 and KMS, with checks, hints and
//! progress.
//!
//! - [`registry`]: `labs/info.toml` and the lab folders ([`Registry`], [`Lab`]).
//! - [`spec`]: a lab's `check.toml`, the declarative goals ([`spec::Goal`]) and seed steps.
//! - [`check`]: the check engine ([`check_lab`] → [`CheckReport`], one ✓/✗ per goal with what
//!   was observed).
//! - [`server`]: a lab's own server, seeded from its fixed seed ([`start_lab_server`]).
//! - [`home`]: the learner's data folder (`S3LAB_HOME`); [`state`]: the progress file.
//!
//! [`Labs`] ties them together in the small API that `s3lab lab` (and a TUI) use: list the labs
//! with their progress, read a README, run a check, reveal the next hint, reset, and show a
//! solution once the lab is done.
//!
//! ```no_run
//! # async fn demo() -> Result<(), s3lab_labs::LabError> {
//! let labs = s3lab_labs::Labs::from_env(None)?;
//! for status in labs.list()? {
//!     println!("{} {} {}", status.lab.number, if status.done { "✓" } else { " " }, status.lab.title);
//! }
//! let lab = labs.registry().find("1")?;
//! let outcome = labs.check(lab).await?;
//! print!("{}", outcome.report.render());
//! # Ok(()) }
//! ```

pub mod check;
pub mod conn;
pub mod error;
pub mod home;
pub mod registry;
pub mod server;
pub mod spec;
pub mod state;

use std::path::{Path, PathBuf};

pub use check::{check_lab, CheckReport, GoalOutcome, GoalStatus};
pub use error::{LabError, Result};
pub use home::Home;
pub use registry::{locate_labs, Lab, LabKind, Registry};
pub use server::{start_lab_server, LabServerOptions, RunningLab};
pub use state::{LabProgress, Progress, StateFile};

/// A lab and the learner's progress in it.
#[derive(Debug, Clone)]
pub struct LabStatus<'a> {
    pub lab: &'a Lab,
    pub done: bool,
    pub hints_shown: usize,
    /// The lab the learner last checked.
    pub current: bool,
}

/// What a check did to the learner's progress.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub report: CheckReport,
    /// This check completed the lab for the first time.
    pub newly_done: bool,
}

/// The labs, the learner's folder and their progress.
#[derive(Debug, Clone)]
pub struct Labs {
    registry: Registry,
    home: Home,
    state: StateFile,
}

impl Labs {
    /// The lab set (`labs_dir`, else [`locate_labs`]) and the learner's folder from the
    /// environment ([`Home::from_env`]).
    pub fn from_env(labs_dir: Option<&Path>) -> Result<Labs> {
        let registry = Registry::load(&locate_labs(labs_dir)?)?;
        Ok(Labs::new(registry, Home::from_env()?))
    }

    pub fn new(registry: Registry, home: Home) -> Labs {
        let state = StateFile::new(home.progress_path());
        Labs {
            registry,
            home,
            state,
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn state(&self) -> &StateFile {
        &self.state
    }

    pub fn progress(&self) -> Result<Progress> {
        self.state.load()
    }

    /// Every lab, in order, with its progress.
    pub fn list(&self) -> Result<Vec<LabStatus<'_>>> {
        let p = self.progress()?;
        Ok(self
            .registry
            .labs()
            .iter()
            .map(|lab| {
                let lp = p.lab(&lab.name);
                LabStatus {
                    lab,
                    done: lp.done,
                    hints_shown: lp.hints_shown.min(lab.hints.len()),
                    current: p.current.as_deref() == Some(lab.name.as_str()),
                }
            })
            .collect())
    }

    /// The first lab not done yet.
    pub fn next_pending(&self) -> Result<Option<&Lab>> {
        let p = self.progress()?;
        Ok(self.registry.labs().iter().find(|l| !p.is_done(&l.name)))
    }

    /// Checks a lab and records the result.
    pub async fn check(&self, lab: &Lab) -> Result<CheckOutcome> {
        let report = check_lab(lab, &self.home).await;
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let passed = report.passed();
        let newly_done = self
            .state
            .update(|p| p.record_check(&lab.name, passed, &now))?;
        Ok(CheckOutcome { report, newly_done })
    }

    /// The hints shown so far.
    pub fn hints_shown<'a>(&self, lab: &'a Lab) -> Result<Vec<&'a str>> {
        let n = self.progress()?.lab(&lab.name).hints_shown;
        Ok(lab.hints.iter().take(n).map(String::as_str).collect())
    }

    /// Reveals the next hint and returns its number (1-based) and text; once all are shown, the
    /// last one again. `None` if the lab has no hints.
    pub fn next_hint<'a>(&self, lab: &'a Lab) -> Result<Option<(usize, &'a str)>> {
        if lab.hints.is_empty() {
            return Ok(None);
        }
        let total = lab.hints.len();
        let n = self.state.update(|p| {
            let entry = p.lab_mut(&lab.name);
            entry.hints_shown = (entry.hints_shown + 1).min(total);
            entry.hints_shown
        })?;
        Ok(Some((n, lab.hints[n - 1].as_str())))
    }

    /// The URL of the lab's server, if it is running.
    pub async fn server_running(&self, lab: &Lab) -> Option<String> {
        let conn = conn::LabConn::open(&self.home.server_dir(lab))
            .ok()
            .flatten()?;
        conn.is_up().await.then(|| conn.ready().https.clone())
    }

    /// Discards the lab's work folder, server data and progress. The caller has asked the
    /// learner first; a running server is refused.
    pub async fn reset(&self, lab: &Lab) -> Result<()> {
        if let Some(url) = self.server_running(lab).await {
            return Err(LabError::ServerRunning {
                number: lab.number,
                url,
            });
        }
        self.home.discard(lab)?;
        self.state.update(|p| {
            p.forget(&lab.name);
            if p.current.as_deref() == Some(lab.name.as_str()) {
                p.current = None;
            }
        })
    }

    /// The reference solution's files (path relative to the solution folder, text), only once
    /// the lab is done.
    pub fn solution(&self, lab: &Lab) -> Result<Vec<(PathBuf, String)>> {
        if !self.progress()?.is_done(&lab.name) {
            return Err(LabError::NotDone { number: lab.number });
        }
        let mut files = Vec::new();
        collect_files(&lab.solution_path, Path::new(""), &mut files)?;
        files.sort();
        Ok(files)
    }
}

impl Labs {
    /// The folders whose changes can change a lab's check: its work folder and, for a lab with a
    /// server, the server's data folder.
    pub fn watched_dirs(&self, lab: &Lab) -> Vec<PathBuf> {
        let mut dirs = vec![self.home.work_dir(lab)];
        if lab.needs_server() {
            dirs.push(self.home.server_dir(lab));
        }
        dirs
    }
}

/// A cheap picture of folder trees: every file's path, length and modification time. Two equal
/// fingerprints mean nothing was written in between (as far as a poll can tell).
pub type Fingerprint = Vec<(PathBuf, u64, Option<std::time::SystemTime>)>;

/// The [`Fingerprint`] of `dirs`, for watching without file-system events. Missing folders count
/// as empty; `target` folders (a code lab's build output) are skipped.
pub fn fingerprint(dirs: &[PathBuf]) -> Fingerprint {
    fn walk(dir: &Path, out: &mut Fingerprint) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            match entry.metadata() {
                Ok(m) if m.is_dir() => walk(&path, out),
                Ok(m) => out.push((path, m.len(), m.modified().ok())),
                Err(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        walk(d, &mut out);
    }
    out.sort();
    out
}

fn collect_files(dir: &Path, rel: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| LabError::io("could not list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LabError::io("could not list", dir, e))?;
        let path = entry.path();
        let name = rel.join(entry.file_name());
        if path.is_dir() {
            collect_files(&path, &name, out)?;
        } else {
            let bytes =
                std::fs::read(&path).map_err(|e| LabError::io("could not read", &path, e))?;
            out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_change_with_files() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let dirs = vec![dir.path().to_path_buf(), dir.path().join("missing")];
        let a = fingerprint(&dirs);
        std::fs::write(dir.path().join("answer.txt"), "x")?;
        let b = fingerprint(&dirs);
        assert_ne!(a, b);
        std::fs::create_dir(dir.path().join("target"))?;
        std::fs::write(dir.path().join("target/junk"), "x")?;
        assert_eq!(fingerprint(&dirs), b);
        Ok(())
    }
}
