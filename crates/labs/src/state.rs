//! The learner's progress: `$S3LAB_HOME/progress.toml`.
//!
//! Plain TOML that a person can read (and, carefully, edit), keyed by lab *name*, so renumbering
//! or adding labs in a later s3lab keeps everyone's progress; entries for labs this s3lab does not
//! know are kept as they are. The layout has a version:
//!
//! - **2** (current):
//!   ```toml
//!   format_version = 2
//!   current = "sse_kms"
//!
//!   [labs.in_transit]
//!   done = true
//!   completed_at = "2026-11-29T10:12:00Z"
//!   hints_shown = 1
//!   checks = 3
//!   ```
//! - **1** (the first s3lab labs): `version = 1`, `done = ["in_transit", ...]` and a `[hints]`
//!   table of name to hints shown. It is upgraded to 2 when read, and written back as 2 the next
//!   time progress changes.
//!
//! A file from a newer s3lab, or one that does not parse, is an error and is never overwritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{LabError, Result};

/// The layout this s3lab writes.
pub const STATE_FORMAT_VERSION: u32 = 2;

const HEADER: &str = "\
# s3lab lab progress: which labs are done and how many hints you have seen.
# Kept across s3lab upgrades (format_version names the layout). `s3lab lab reset` clears a lab.
";

/// Progress in one lab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabProgress {
    /// The check passed once (it stays done even if the lab's state changes later).
    #[serde(default)]
    pub done: bool,
    /// When the check first passed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// Hints revealed so far.
    #[serde(default)]
    pub hints_shown: usize,
    /// How many times the lab was checked.
    #[serde(default)]
    pub checks: u32,
}

/// The whole progress file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub format_version: u32,
    /// The lab the learner is on (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub labs: BTreeMap<String, LabProgress>,
}

/// Version 1, as the first s3lab labs wrote it.
#[derive(Debug, Deserialize)]
struct ProgressV1 {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    done: Vec<String>,
    #[serde(default)]
    hints: BTreeMap<String, usize>,
}

#[derive(Debug, Deserialize)]
struct VersionProbe {
    #[serde(default)]
    format_version: Option<u32>,
    #[serde(default)]
    version: Option<u32>,
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            format_version: STATE_FORMAT_VERSION,
            ..Progress::default()
        }
    }

    /// Parses a progress file of any known version, upgrading it to the current layout.
    pub fn parse(text: &str, path: &Path) -> Result<Progress> {
        let state_err = |message: String| LabError::State {
            path: path.to_path_buf(),
            message,
        };
        let probe: VersionProbe = toml::from_str(text).map_err(|e| state_err(e.to_string()))?;
        match probe.format_version.or(probe.version) {
            Some(1) => {
                let v1: ProgressV1 = toml::from_str(text).map_err(|e| state_err(e.to_string()))?;
                let mut p = Progress::new();
                p.current = v1.current;
                for name in v1.done {
                    p.labs.entry(name).or_default().done = true;
                }
                for (name, shown) in v1.hints {
                    p.labs.entry(name).or_default().hints_shown = shown;
                }
                Ok(p)
            }
            Some(STATE_FORMAT_VERSION) => {
                toml::from_str(text).map_err(|e| state_err(e.to_string()))
            }
            Some(found) if found > STATE_FORMAT_VERSION => Err(LabError::StateTooNew {
                path: path.to_path_buf(),
                found,
                supported: STATE_FORMAT_VERSION,
            }),
            Some(other) => Err(state_err(format!("unknown format_version {other}"))),
            None => Err(state_err("it has no format_version".into())),
        }
    }

    /// The file's text: a short header, then TOML.
    pub fn render(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        let newline = if body.ends_with('\n') { "" } else { "\n" };
        format!("{HEADER}\n{body}{newline}")
    }

    pub fn lab(&self, name: &str) -> LabProgress {
        self.labs.get(name).cloned().unwrap_or_default()
    }

    pub fn lab_mut(&mut self, name: &str) -> &mut LabProgress {
        self.labs.entry(name.to_owned()).or_default()
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.labs.get(name).is_some_and(|l| l.done)
    }

    /// Records a check; returns true when this check completed the lab for the first time.
    pub fn record_check(&mut self, name: &str, passed: bool, now: &str) -> bool {
        self.current = Some(name.to_owned());
        let lab = self.lab_mut(name);
        lab.checks = lab.checks.saturating_add(1);
        if passed && !lab.done {
            lab.done = true;
            lab.completed_at = Some(now.to_owned());
            return true;
        }
        false
    }

    /// Forgets a lab (reset).
    pub fn forget(&mut self, name: &str) {
        self.labs.remove(name);
    }
}

/// The progress file on disk.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(path: PathBuf) -> Self {
        StateFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the progress (a missing file is a fresh start).
    pub fn load(&self) -> Result<Progress> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Progress::parse(&text, &self.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::new()),
            Err(e) => Err(LabError::io("could not read", &self.path, e)),
        }
    }

    /// Writes the progress atomically (a crash leaves the old file or the new one).
    pub fn save(&self, progress: &Progress) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| LabError::io("could not create", dir, e))?;
        }
        s3lab_durable::write_atomic(&self.path, progress.render().as_bytes())
            .map_err(|e| LabError::io("could not write", &self.path, e))
    }

    /// Loads, changes and saves.
    pub fn update<T>(&self, f: impl FnOnce(&mut Progress) -> T) -> Result<T> {
        let mut p = self.load()?;
        let out = f(&mut p);
        p.format_version = STATE_FORMAT_VERSION;
        self.save(&p)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrades_a_version_1_file() {
        let v1 = "version = 1\ncurrent = \"sse_s3\"\ndone = [\"in_transit\", \"sse_s3\"]\n\n[hints]\nsse_s3 = 2\nsse_kms = 1\n";
        let p = Progress::parse(v1, Path::new("progress.toml")).unwrap();
        assert_eq!(p.format_version, STATE_FORMAT_VERSION);
        assert_eq!(p.current.as_deref(), Some("sse_s3"));
        assert!(p.is_done("in_transit") && p.is_done("sse_s3"));
        assert!(!p.is_done("sse_kms"));
        assert_eq!(p.lab("sse_s3").hints_shown, 2);
        assert_eq!(p.lab("sse_kms").hints_shown, 1);
        // Written back in the current layout, and read again unchanged.
        let again = Progress::parse(&p.render(), Path::new("progress.toml")).unwrap();
        assert_eq!(again, p);
        assert!(p.render().contains("format_version = 2"));
    }

    #[test]
    fn a_newer_or_broken_file_is_an_error_and_names_the_file() {
        let e =
            Progress::parse("format_version = 99\n", Path::new("/h/progress.toml")).unwrap_err();
        assert!(matches!(e, LabError::StateTooNew { found: 99, .. }), "{e}");
        let e = Progress::parse("format_version = [", Path::new("/h/progress.toml")).unwrap_err();
        assert!(e.to_string().contains("/h/progress.toml"), "{e}");
        let e = Progress::parse("labs = 3\n", Path::new("/h/progress.toml")).unwrap_err();
        assert!(e.to_string().contains("no format_version"), "{e}");
    }

    #[test]
    fn keeps_labs_it_does_not_know_and_records_checks() {
        let text = "format_version = 2\n[labs.from_the_future]\ndone = true\nhints_shown = 3\nchecks = 9\n";
        let mut p = Progress::parse(text, Path::new("p")).unwrap();
        assert!(!p.record_check("in_transit", false, "t0"));
        assert!(p.record_check("in_transit", true, "t1"));
        assert!(!p.record_check("in_transit", true, "t2"));
        let lab = p.lab("in_transit");
        assert_eq!((lab.done, lab.checks), (true, 3));
        assert_eq!(lab.completed_at.as_deref(), Some("t1"));
        let text = p.render();
        assert!(text.contains("[labs.from_the_future]"), "{text}");
        assert!(text.starts_with("# s3lab lab progress"), "{text}");
    }

    #[test]
    fn state_file_round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("sub/progress.toml"));
        assert_eq!(file.load().unwrap(), Progress::new());
        file.update(|p| p.lab_mut("sse_c").hints_shown = 2).unwrap();
        assert_eq!(file.load().unwrap().lab("sse_c").hints_shown, 2);
    }
}
