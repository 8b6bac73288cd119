//! What can go wrong outside a check. A goal that is not met is never an error: it is a
//! [`crate::GoalOutcome`] with what was observed.

use std::path::PathBuf;

/// Errors of the registry, the learner's folders, the progress file and the lab servers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// A file of the lab set or of the learner's folder could not be read or written.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `labs/info.toml`, a `check.toml` or a `hints.toml` is not what the runner expects.
    #[error("{} is not a valid lab file: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
    /// The progress file cannot be read; it is left as it is.
    #[error("the progress file {} cannot be read ({message}); it was left untouched — move it away to start afresh", .path.display())]
    State { path: PathBuf, message: String },
    /// The progress file was written by a newer s3lab.
    #[error("the progress file {} has format version {found}, newer than this s3lab understands ({supported}); it was left untouched", .path.display())]
    StateTooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// No lab has that number or name.
    #[error("there is no lab {0:?} (`s3lab lab list` shows them)")]
    NoSuchLab(String),
    /// The solution is shown only once the lab's check passed.
    #[error("lab {number} is not done yet: its solution is shown once `s3lab lab check {number}` passes")]
    NotDone { number: usize },
    /// Where the labs are could not be found.
    #[error("cannot find the labs folder (looked for {}); set S3LAB_LABS to the `labs` folder of an s3lab checkout", .0.display())]
    NoLabsFolder(PathBuf),
    /// No data folder for the learner.
    #[error("cannot tell where to keep your lab work: set S3LAB_HOME (or HOME)")]
    NoHome,
    /// The lab's server could not start or be seeded.
    #[error("the lab's server: {0}")]
    Server(String),
    /// The lab's server is already running (reset would pull its data away).
    #[error("lab {number}'s server is running ({url}); stop it (Ctrl-C in its terminal) first")]
    ServerRunning { number: usize, url: String },
}

impl LabError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        LabError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        LabError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = LabError> = std::result::Result<T, E>;
