//! The learner's progress, kept between runs: which scenarios they completed, which steps and
//! checks they have seen, and the theme they chose.
//!
//! It lives in `progress.json` in the user's data folder: `$S3LAB_HOME` if set (tests use it),
//! else `$XDG_DATA_HOME/s3lab`, else `~/.local/share/s3lab`. A file that cannot be read is never
//! overwritten: the session then runs without saving, and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::theme::ThemeName;
use crate::TuiError;

/// The file's name in the data folder.
pub const FILE_NAME: &str = "progress.json";

/// What the learner has done.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Scenario ids whose last step the learner reached.
    #[serde(default)]
    pub completed: BTreeSet<String>,
    /// Per scenario, the steps seen (0-based).
    #[serde(default)]
    pub steps_seen: BTreeMap<String, BTreeSet<usize>>,
    /// Per scenario, the names of the checks seen.
    #[serde(default)]
    pub checks_seen: BTreeMap<String, BTreeSet<String>>,
    #[serde(default)]
    pub theme: Option<ThemeName>,
}

impl Progress {
    /// How many checks the learner has seen, in all scenarios.
    pub fn checks_seen_count(&self) -> usize {
        self.checks_seen.values().map(BTreeSet::len).sum()
    }

    pub fn is_completed(&self, id: &str) -> bool {
        self.completed.contains(id)
    }

    pub fn is_started(&self, id: &str) -> bool {
        self.steps_seen.get(id).is_some_and(|s| !s.is_empty())
    }

    /// Records that step `step` (with these checks) of scenario `id` was seen; returns whether
    /// anything changed.
    pub fn saw_step<'a>(
        &mut self,
        id: &str,
        step: usize,
        last_step: bool,
        checks: impl IntoIterator<Item = &'a str>,
    ) -> bool {
        let mut changed = self.steps_seen.entry(id.into()).or_default().insert(step);
        let seen = self.checks_seen.entry(id.into()).or_default();
        for c in checks {
            changed |= seen.insert(c.to_owned());
        }
        if last_step {
            changed |= self.completed.insert(id.into());
        }
        changed
    }
}

/// The user's s3lab data folder.
pub fn data_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(home) = non_empty("S3LAB_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(xdg) = non_empty("XDG_DATA_HOME") {
        return Some(PathBuf::from(xdg).join("s3lab"));
    }
    non_empty("HOME").map(|h| PathBuf::from(h).join(".local/share/s3lab"))
}

/// Where progress is kept, read and written.
#[derive(Debug, Clone)]
pub struct Store {
    path: Option<PathBuf>,
    /// `false` after the file could not be read: it is then never overwritten.
    writable: bool,
}

impl Store {
    /// A store in `dir` (no folder: nothing is saved).
    pub fn new(dir: Option<PathBuf>) -> Store {
        Store {
            path: dir.map(|d| d.join(FILE_NAME)),
            writable: true,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads the progress. A missing file is a fresh start; a file that cannot be read is an
    /// error, and the store stops writing.
    pub fn load(&mut self) -> Result<Progress, TuiError> {
        let Some(path) = &self.path else {
            return Ok(Progress::default());
        };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                self.writable = false;
                TuiError::Progress {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => {
                self.writable = false;
                Err(TuiError::Progress {
                    path: path.clone(),
                    reason: e.to_string(),
                })
            }
        }
    }

    /// Writes the progress atomically (a temporary file, then a rename).
    pub fn save(&self, progress: &Progress) -> Result<(), TuiError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.writable {
            return Ok(());
        }
        let fail = |reason: String| TuiError::Progress {
            path: path.clone(),
            reason,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let json = serde_json::to_vec_pretty(progress).map_err(|e| fail(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(|e| fail(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_and_never_overwrites_a_bad_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::new(Some(dir.path().join("nested")));
        let mut p = store.load()?;
        assert!(p.saw_step("sse-s3", 0, false, ["a"]));
        assert!(!p.saw_step("sse-s3", 0, false, ["a"]));
        assert!(p.saw_step("sse-s3", 6, true, ["b"]));
        store.save(&p)?;
        assert_eq!(store.load()?, p);
        assert_eq!(p.checks_seen_count(), 2);
        assert!(p.is_completed("sse-s3"));

        let bad = dir.path().join("bad");
        std::fs::create_dir_all(&bad)?;
        std::fs::write(bad.join(FILE_NAME), "{not json")?;
        let mut store = Store::new(Some(bad.clone()));
        assert!(store.load().is_err());
        store.save(&p)?;
        assert_eq!(std::fs::read_to_string(bad.join(FILE_NAME))?, "{not json");
        Ok(())
    }
}
