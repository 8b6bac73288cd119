//! The Labs tab: the self-paced labs of `s3lab lab`, with their text, live checks and hints.
//!
//! The model side ([`LabsTab`], [`LabInfo`]) is plain data that [`crate::update`] changes and the
//! view draws. Everything that touches the learner's folder goes through `s3lab_labs` in
//! [`worker`], on its own thread: it loads the labs, runs checks (again whenever the open lab's
//! work folder or server folder changes, like `s3lab lab watch`), and reveals hints.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use s3lab_labs::{fingerprint, CheckReport, Fingerprint, Lab, Labs};

use crate::update::Msg;

/// The panes of an open lab, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabPane {
    /// The lab's README.
    Text,
    /// The goals, each with ✓, ✗ or ?, from the latest check.
    Checks,
    /// The hints revealed so far.
    Hints,
}

impl LabPane {
    pub const ALL: [LabPane; 3] = [LabPane::Text, LabPane::Checks, LabPane::Hints];

    pub fn title(self) -> &'static str {
        match self {
            LabPane::Text => "Lab",
            LabPane::Checks => "Checks",
            LabPane::Hints => "Hints",
        }
    }

    pub fn index(self) -> usize {
        LabPane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> LabPane {
        LabPane::ALL[(self.index() + 1) % LabPane::ALL.len()]
    }

    pub fn prev(self) -> LabPane {
        LabPane::ALL[(self.index() + LabPane::ALL.len() - 1) % LabPane::ALL.len()]
    }
}

/// One lab as the tab shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabInfo {
    /// 1-based, as `s3lab lab start N` takes it.
    pub number: usize,
    pub name: String,
    pub title: String,
    /// `command`, `code` or `investigation`.
    pub kind: &'static str,
    /// The book chapter (`book/src/<chapter>.md`).
    pub chapter: String,
    pub readme: String,
    pub needs_server: bool,
    pub done: bool,
    pub hints_total: usize,
    /// The hints revealed so far, in order.
    pub hints: Vec<String>,
    /// The latest check, if any ran since the tab opened this lab.
    pub report: Option<CheckReport>,
    /// How many checks ran since the tab started.
    pub checks_run: usize,
    pub checking: bool,
}

impl LabInfo {
    /// The lab and the learner's progress in it.
    pub fn read(labs: &Labs, lab: &Lab) -> Result<LabInfo, String> {
        let progress = labs.progress().map_err(|e| e.to_string())?;
        let hints = labs.hints_shown(lab).map_err(|e| e.to_string())?;
        Ok(LabInfo {
            number: lab.number,
            name: lab.name.clone(),
            title: lab.title.clone(),
            kind: lab.kind.as_str(),
            chapter: lab.chapter.clone(),
            readme: lab.readme().map_err(|e| e.to_string())?,
            needs_server: lab.needs_server(),
            done: progress.is_done(&lab.name),
            hints_total: lab.hints.len(),
            hints: hints.into_iter().map(str::to_owned).collect(),
            report: None,
            checks_run: 0,
            checking: false,
        })
    }
}

/// Where the labs are.
#[derive(Debug, Clone, PartialEq)]
pub enum LabsLoad {
    Loading,
    Ready(Vec<LabInfo>),
    /// No lab folder, or a learner's folder that cannot be read: the reason.
    Failed(String),
}

/// The Labs tab's state.
#[derive(Debug, Clone)]
pub struct LabsTab {
    pub load: LabsLoad,
    /// The selected row of the lab list (an index into the labs).
    pub selected: usize,
    /// Whether the selected lab is open (its panes), or the list is shown.
    pub open: bool,
    pub pane: LabPane,
    /// The last pane other than Checks that had focus (the narrow layout shows it above Checks).
    pub detail: LabPane,
    pub scroll: [u16; 3],
}

impl Default for LabsTab {
    fn default() -> Self {
        LabsTab {
            load: LabsLoad::Loading,
            selected: 0,
            open: false,
            pane: LabPane::Text,
            detail: LabPane::Text,
            scroll: [0; 3],
        }
    }
}

impl LabsTab {
    pub fn labs(&self) -> &[LabInfo] {
        match &self.load {
            LabsLoad::Ready(v) => v,
            _ => &[],
        }
    }

    pub fn selected_lab(&self) -> Option<&LabInfo> {
        self.labs().get(self.selected)
    }

    /// The open lab, if one is.
    pub fn open_lab(&self) -> Option<&LabInfo> {
        self.open.then(|| self.selected_lab()).flatten()
    }

    pub fn lab_mut(&mut self, number: usize) -> Option<&mut LabInfo> {
        match &mut self.load {
            LabsLoad::Ready(v) => v.iter_mut().find(|l| l.number == number),
            _ => None,
        }
    }

    pub fn done(&self) -> usize {
        self.labs().iter().filter(|l| l.done).count()
    }
}

/// What the tab asks of the lab worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabCmd {
    /// The lab now open (checked at once, then again on every change), or none.
    Watch(Option<usize>),
    /// Check this lab now.
    Check(usize),
    /// Reveal the next hint of this lab.
    Hint(usize),
}

/// How often the worker looks for changes in the open lab's folders.
const POLL: Duration = Duration::from_secs(2);

/// Sends the labs' list, then carries out the tab's commands until the channel closes. `labs`
/// is the lab set and the learner's folder (`Labs::from_env` for the real TUI), or why there are
/// none.
pub fn worker(labs: Result<Labs, String>, tx: Sender<Msg>, commands: Receiver<LabCmd>) {
    let labs = match labs {
        Ok(l) => l,
        Err(why) => {
            let _ = tx.send(Msg::LabsLoaded(Err(why)));
            return;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Msg::LabsLoaded(Err(format!(
                "the labs could not start their checker: {e}"
            ))));
            return;
        }
    };
    let all: Result<Vec<LabInfo>, String> = labs
        .registry()
        .labs()
        .iter()
        .map(|lab| LabInfo::read(&labs, lab))
        .collect();
    if tx.send(Msg::LabsLoaded(all)).is_err() {
        return;
    }
    let mut watching: Option<(usize, Watched)> = None;
    loop {
        let cmd = match commands.recv_timeout(POLL) {
            Ok(cmd) => Some(cmd),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let check = match cmd {
            Some(LabCmd::Watch(None)) => {
                watching = None;
                None
            }
            Some(LabCmd::Watch(Some(n)) | LabCmd::Check(n)) => Some(n),
            Some(LabCmd::Hint(n)) => {
                if let Some(lab) = find(&labs, n) {
                    let msg = match labs.next_hint(lab) {
                        Ok(_) => match LabInfo::read(&labs, lab) {
                            Ok(info) => Msg::LabHints {
                                number: n,
                                hints: info.hints,
                            },
                            Err(e) => Msg::LabError(e),
                        },
                        Err(e) => Msg::LabError(e.to_string()),
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                None
            }
            // A poll: has anything changed in the open lab's folders since its last check?
            None => match &watching {
                Some((n, before)) => {
                    let changed = find(&labs, *n).is_some_and(|lab| {
                        let (work, server) = split_dirs(&labs, lab);
                        fingerprint(&work) != before.work || fingerprint(&server) != before.server
                    });
                    changed.then_some(*n)
                }
                None => None,
            },
        };
        let Some(n) = check else {
            continue;
        };
        let Some(lab) = find(&labs, n) else {
            continue;
        };
        if tx.send(Msg::LabChecking(n)).is_err() {
            return;
        }
        // The learner's folder as the check sees it: a file written while it runs is a change.
        let (work, server) = split_dirs(&labs, lab);
        let work_before = fingerprint(&work);
        let msg = match runtime.block_on(labs.check(lab)) {
            Ok(outcome) => Msg::LabChecked {
                number: n,
                report: outcome.report,
                done: labs
                    .progress()
                    .map(|p| p.is_done(&lab.name))
                    .unwrap_or(false),
            },
            Err(e) => Msg::LabError(e.to_string()),
        };
        if tx.send(msg).is_err() {
            return;
        }
        // What the check itself caused in the server's folder (the KMS records of its own
        // look-ups) is not a change.
        std::thread::sleep(Duration::from_millis(300));
        watching = Some((
            n,
            Watched {
                work: work_before,
                server: fingerprint(&server),
            },
        ));
    }
}

/// The open lab's folders as of its last check.
struct Watched {
    work: Fingerprint,
    server: Fingerprint,
}

/// The lab's work folder, and the rest of what is watched (its server's folder).
fn split_dirs(labs: &Labs, lab: &Lab) -> (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>) {
    let mut dirs = labs.watched_dirs(lab);
    let rest = dirs.split_off(1.min(dirs.len()));
    (dirs, rest)
}

fn find(labs: &Labs, number: usize) -> Option<&Lab> {
    labs.registry().labs().iter().find(|l| l.number == number)
}
