//! The terminal UI of s3lab.
//!
//! `s3lab` with no arguments opens it: the curriculum's scenarios grouped by topic, each one step
//! by step in panes (Request, Response, Keys, At rest, Wire, Audit, Note), and a playground that
//! sends requests of your own to the embedded lab.
//!
//! It is built as The Elm Architecture: a [`Model`](model::Model), [`Msg`](update::Msg)s, an
//! [`update`](update::update) function and a pure [`render`](view::render), with one module per
//! component. It only reads transcripts (from `s3lab_scenarios`) and sends playground requests
//! through the lab runtime; it never touches storage. The Labs tab reads the labs and the
//! learner's progress in them through `s3lab_labs`, on a thread of its own ([`labs::worker`]).
//!
//! Every key lives in one table, [`keymap::KEYMAP`]: input, the footer's key bar and the help
//! screen all come from it.
//!
//! ```no_run
//! s3lab_tui::run(s3lab_tui::Options { seed: Some(42), theme: None })?;
//! # Ok::<(), s3lab_tui::TuiError>(())
//! ```

pub mod app;
pub mod components;
pub mod embedded;
pub mod keymap;
pub mod labs;
pub mod model;
pub mod playground;
pub mod progress;
mod runtime;
pub mod text;
pub mod theme;
pub mod update;
pub mod view;

use std::path::PathBuf;

pub use app::App;
pub use runtime::{run, Options};
pub use theme::ThemeName;

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// Standard output is a pipe or a file.
    #[error(
        "the terminal UI needs a terminal, and standard output is not one. \
         `s3lab run <scenario>` prints the same transcripts without it (`s3lab list` names them)"
    )]
    NotATerminal,
    #[error("the terminal could not be used: {0}")]
    Terminal(#[from] std::io::Error),
    /// A signal from outside stopped it. The terminal is restored and progress saved by then.
    #[error("stopped by {name}; the terminal is restored and progress is saved")]
    Stopped { signal: i32, name: &'static str },
    /// The progress file could not be read or written.
    #[error("progress file {}: {reason}", path.display())]
    Progress { path: PathBuf, reason: String },
}
