//! The learner's data folder: `S3LAB_HOME`, else `$XDG_DATA_HOME/s3lab`, else
//! `~/.local/share/s3lab`.
//!
//! ```text
//! $S3LAB_HOME/
//!   progress.toml          the progress file (crate::state)
//!   work/NN_topic/         the learner's files for a lab: its starter files, answers, key files
//!   server/NN_topic/       the lab's server data (as `s3lab serve --data-dir`), ready.json inside
//!   target/                one Cargo target folder shared by every code lab
//! ```

use std::path::{Path, PathBuf};

use crate::error::{LabError, Result};
use crate::registry::Lab;

/// The file in a lab's server folder that says its seed state was made.
pub const SEEDED_MARKER: &str = "seeded.json";

/// The learner's data folder.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
    target_dir: PathBuf,
}

impl Home {
    /// From the environment: `S3LAB_HOME`, `XDG_DATA_HOME`, `HOME`. The code labs' Cargo target
    /// folder is `S3LAB_LABS_TARGET_DIR` when set (tests share one), else `$S3LAB_HOME/target`.
    pub fn from_env() -> Result<Home> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let root = if let Some(h) = var("S3LAB_HOME") {
            PathBuf::from(h)
        } else if let Some(x) = var("XDG_DATA_HOME") {
            PathBuf::from(x).join("s3lab")
        } else if let Some(h) = var("HOME") {
            PathBuf::from(h).join(".local/share/s3lab")
        } else {
            return Err(LabError::NoHome);
        };
        let root = std::path::absolute(&root).unwrap_or(root);
        let mut home = Home::at(root);
        if let Some(t) = var("S3LAB_LABS_TARGET_DIR") {
            home.target_dir = PathBuf::from(t);
        }
        Ok(home)
    }

    /// A data folder at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Home {
        let root = root.into();
        Home {
            target_dir: root.join("target"),
            root,
        }
    }

    /// Uses `dir` as the code labs' Cargo target folder.
    pub fn with_target_dir(mut self, dir: impl Into<PathBuf>) -> Home {
        self.target_dir = dir.into();
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn progress_path(&self) -> PathBuf {
        self.root.join("progress.toml")
    }

    /// Where the learner works on `lab`.
    pub fn work_dir(&self, lab: &Lab) -> PathBuf {
        self.root.join("work").join(&lab.dir)
    }

    /// The data folder of `lab`'s server.
    pub fn server_dir(&self, lab: &Lab) -> PathBuf {
        self.root.join("server").join(&lab.dir)
    }

    /// The ready file of `lab`'s server.
    pub fn ready_path(&self, lab: &Lab) -> PathBuf {
        self.server_dir(lab).join("ready.json")
    }

    pub fn cargo_target_dir(&self) -> &Path {
        &self.target_dir
    }

    /// Creates the work folder from the lab's starter files, unless it exists. Returns whether it
    /// was created.
    pub fn prepare_work(&self, lab: &Lab) -> Result<bool> {
        let work = self.work_dir(lab);
        if work.is_dir() {
            return Ok(false);
        }
        let starter = lab.starter_path();
        if starter.is_dir() {
            copy_tree(&starter, &work)?;
        } else {
            std::fs::create_dir_all(&work)
                .map_err(|e| LabError::io("could not create", &work, e))?;
        }
        Ok(true)
    }

    /// Lays the reference solution's files over the work folder (`solution.sh` included, to run).
    pub fn apply_solution(&self, lab: &Lab) -> Result<()> {
        self.prepare_work(lab)?;
        if lab.solution_path.is_dir() {
            copy_tree(&lab.solution_path, &self.work_dir(lab))?;
        }
        Ok(())
    }

    /// Deletes the lab's work folder and server data. The caller has asked the learner first,
    /// and has made sure the server is stopped.
    pub fn discard(&self, lab: &Lab) -> Result<()> {
        for dir in [self.work_dir(lab), self.server_dir(lab)] {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(LabError::io("could not remove", dir, e)),
            }
        }
        Ok(())
    }

    /// Whether there is anything of `lab` to discard.
    pub fn has_data(&self, lab: &Lab) -> bool {
        self.work_dir(lab).exists() || self.server_dir(lab).exists()
    }
}

/// Copies a folder's files into `to` (created as needed), replacing files of the same name.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| LabError::io("could not create", to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| LabError::io("could not list", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LabError::io("could not list", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| LabError::io("could not read", &src, e))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| LabError::io("could not copy", &src, e))?;
        }
    }
    Ok(())
}
