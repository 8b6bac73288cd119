//! The lab set: `labs/info.toml`, one folder per lab, and the reference solutions.
//!
//! ```toml
//! format_version = 1
//! welcome_message = "..."
//! final_message = "..."
//!
//! [[labs]]
//! name = "in_transit"          # unique; also what the progress file records
//! dir = "01_in_transit"        # NN_ is the lab's number, in order
//! title = "Encryption in transit"
//! kind = "command"             # command | code | investigation
//! chapter = "in-transit"       # the book chapter, book/src/<chapter>.md
//! ```
//!
//! Each `labs/NN_topic/` holds `README.md`, `check.toml` ([`crate::spec`]), `hints.toml`
//! (`hints = ["...", "..."]`, revealed one at a time) and, optionally, `starter/`: the files
//! copied into the learner's work folder. Reference solutions are in `labs/solutions/NN_topic/`:
//! files laid over the work folder, and for command labs a `solution.sh` run there.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{LabError, Result};
use crate::spec::CheckSpec;

/// The formats of `info.toml` and `check.toml` this runner reads.
pub const INFO_FORMAT_VERSION: u32 = 1;

/// What kind of work a lab asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabKind {
    /// The AWS CLI, curl or `s3lab` against the lab's server; the checker probes the server.
    Command,
    /// A small Rust crate with `// TODO` parts; its tests are the check.
    Code,
    /// An answer file, verified against the lab's state.
    Investigation,
}

impl LabKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LabKind::Command => "command",
            LabKind::Code => "code",
            LabKind::Investigation => "investigation",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoFile {
    format_version: u32,
    welcome_message: String,
    final_message: String,
    labs: Vec<InfoEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoEntry {
    name: String,
    dir: String,
    title: String,
    kind: LabKind,
    chapter: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HintsFile {
    hints: Vec<String>,
}

/// One lab, with everything the runner needs from its folder.
#[derive(Debug, Clone)]
pub struct Lab {
    /// 1-based, the order of `info.toml` (and the `NN_` of its folder).
    pub number: usize,
    pub name: String,
    /// The folder name, `NN_topic`.
    pub dir: String,
    pub title: String,
    pub kind: LabKind,
    /// The book chapter's id: `book/src/<chapter>.md`.
    pub chapter: String,
    /// `labs/NN_topic`.
    pub path: PathBuf,
    /// `labs/solutions/NN_topic`.
    pub solution_path: PathBuf,
    pub spec: CheckSpec,
    pub hints: Vec<String>,
}

impl Lab {
    /// The README's text, as the learner reads it.
    pub fn readme(&self) -> Result<String> {
        let path = self.path.join("README.md");
        std::fs::read_to_string(&path).map_err(|e| LabError::io("could not read", path, e))
    }

    /// The starter files' folder (it may not exist: some labs start from nothing).
    pub fn starter_path(&self) -> PathBuf {
        self.path.join("starter")
    }

    /// Whether checking needs the lab's server.
    pub fn needs_server(&self) -> bool {
        self.spec.server.is_some()
    }
}

/// The whole lab set.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
    pub welcome_message: String,
    pub final_message: String,
    labs: Vec<Lab>,
}

impl Registry {
    /// Reads `root/info.toml` and every lab folder it lists.
    pub fn load(root: &Path) -> Result<Registry> {
        let info_path = root.join("info.toml");
        let text = std::fs::read_to_string(&info_path)
            .map_err(|e| LabError::io("could not read", &info_path, e))?;
        let info: InfoFile =
            toml::from_str(&text).map_err(|e| LabError::invalid(&info_path, e.to_string()))?;
        if info.format_version != INFO_FORMAT_VERSION {
            return Err(LabError::invalid(
                &info_path,
                format!(
                    "format_version {} is not {INFO_FORMAT_VERSION}, the one this s3lab reads",
                    info.format_version
                ),
            ));
        }
        let mut labs = Vec::with_capacity(info.labs.len());
        for (i, entry) in info.labs.into_iter().enumerate() {
            let number = i + 1;
            if labs.iter().any(|l: &Lab| l.name == entry.name) {
                return Err(LabError::invalid(
                    &info_path,
                    format!("the name {:?} is used twice", entry.name),
                ));
            }
            let expected_prefix = format!("{number:02}_");
            if !entry.dir.starts_with(&expected_prefix) {
                return Err(LabError::invalid(
                    &info_path,
                    format!(
                        "lab {number} ({}) has the folder {:?}, which should start with {expected_prefix:?}",
                        entry.name, entry.dir
                    ),
                ));
            }
            let path = root.join(&entry.dir);
            let spec_path = path.join("check.toml");
            let spec_text = std::fs::read_to_string(&spec_path)
                .map_err(|e| LabError::io("could not read", &spec_path, e))?;
            let spec: CheckSpec = toml::from_str(&spec_text)
                .map_err(|e| LabError::invalid(&spec_path, e.to_string()))?;
            if spec.format_version != INFO_FORMAT_VERSION {
                return Err(LabError::invalid(
                    &spec_path,
                    format!(
                        "format_version {} is not {INFO_FORMAT_VERSION}",
                        spec.format_version
                    ),
                ));
            }
            if spec.goals.is_empty() {
                return Err(LabError::invalid(
                    &spec_path,
                    "a lab needs at least one goal",
                ));
            }
            let hints_path = path.join("hints.toml");
            let hints_text = std::fs::read_to_string(&hints_path)
                .map_err(|e| LabError::io("could not read", &hints_path, e))?;
            let hints: HintsFile = toml::from_str(&hints_text)
                .map_err(|e| LabError::invalid(&hints_path, e.to_string()))?;
            labs.push(Lab {
                number,
                name: entry.name,
                solution_path: root.join("solutions").join(&entry.dir),
                dir: entry.dir,
                title: entry.title,
                kind: entry.kind,
                chapter: entry.chapter,
                path,
                spec,
                hints: hints.hints,
            });
        }
        Ok(Registry {
            root: root.to_path_buf(),
            welcome_message: info.welcome_message,
            final_message: info.final_message,
            labs,
        })
    }

    /// The `labs` folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn labs(&self) -> &[Lab] {
        &self.labs
    }

    /// A lab by number (`3`), name (`enforce_policy`) or folder (`03_enforce_policy`).
    pub fn find(&self, selector: &str) -> Result<&Lab> {
        let s = selector.trim().trim_end_matches('/');
        let by_number = s
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| self.labs.get(i));
        by_number
            .or_else(|| self.labs.iter().find(|l| l.name == s || l.dir == s))
            .ok_or_else(|| LabError::NoSuchLab(selector.to_owned()))
    }

    /// Folders under the labs folder that `info.toml` does not list (the authoring check).
    pub fn unlisted_folders(&self) -> Result<Vec<String>> {
        let mut extra = Vec::new();
        let entries = std::fs::read_dir(&self.root)
            .map_err(|e| LabError::io("could not list", &self.root, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| LabError::io("could not list", &self.root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && name != "solutions" && !self.labs.iter().any(|l| l.dir == name) {
                extra.push(name);
            }
        }
        extra.sort();
        Ok(extra)
    }
}

/// Where the lab set is: `S3LAB_LABS`, else the `labs` folder of the checkout this s3lab was
/// built from, else `./labs`.
pub fn locate_labs(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("S3LAB_LABS").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs");
    if built_from.join("info.toml").is_file() {
        return Ok(built_from.canonicalize().unwrap_or(built_from));
    }
    let here = PathBuf::from("labs");
    if here.join("info.toml").is_file() {
        return Ok(here.canonicalize().unwrap_or(here));
    }
    Err(LabError::NoLabsFolder(built_from))
}
