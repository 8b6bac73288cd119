//! The model: everything the screen shows, and nothing else. [`crate::update::update`] changes it,
//! [`crate::view::render`] draws it.

use s3lab_scenarios::{Scenario, Transcript};

use crate::labs::LabsTab;
use crate::playground::{Field, Form};
use crate::progress::Progress;
use crate::theme::ThemeName;

/// Where a scenario's transcript is.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// Waiting for its turn in the background.
    Queued,
    /// Running in the lab now.
    Running,
    Ready(Transcript),
    /// It could not run: the reason, as the lab said it.
    Failed(String),
}

/// One scenario of the list.
#[derive(Debug, Clone)]
pub struct Entry {
    pub scenario: &'static Scenario,
    pub load: Load,
}

impl Entry {
    pub fn transcript(&self) -> Option<&Transcript> {
        match &self.load {
            Load::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    /// The step view of `Model::open` (or its waiting or error screen).
    Steps,
    Playground,
    /// The labs: their list, or one lab's text, checks and hints.
    Labs,
}

/// The panes of a step, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Request,
    Response,
    Keys,
    AtRest,
    Wire,
    Audit,
    Note,
}

impl Pane {
    pub const ALL: [Pane; 7] = [
        Pane::Request,
        Pane::Response,
        Pane::Keys,
        Pane::AtRest,
        Pane::Wire,
        Pane::Audit,
        Pane::Note,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Request => "Request",
            Pane::Response => "Response",
            Pane::Keys => "Keys",
            Pane::AtRest => "At rest",
            Pane::Wire => "Wire",
            Pane::Audit => "Audit",
            Pane::Note => "Note",
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// A header search: the text, and whether it is being typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    pub query: String,
    pub typing: bool,
    /// The query before typing started (Esc goes back to it).
    pub before: String,
}

/// Whether the playground's lab is up.
#[derive(Debug, Clone, PartialEq)]
pub enum LabStatus {
    Starting,
    Ready,
    Failed(String),
}

/// The playground: the form, and the answers so far (one step each).
#[derive(Debug, Clone)]
pub struct PlaygroundState {
    pub form: Form,
    pub field: Field,
    /// The text being typed into `field`, while editing.
    pub editing: Option<String>,
    pub lab: LabStatus,
    pub sending: bool,
    /// Every answer so far, one step each, the newest last.
    pub history: Transcript,
    /// The one-line hint of the newest answer, if it was a mistake.
    pub hint: Option<String>,
}

impl Default for PlaygroundState {
    fn default() -> Self {
        PlaygroundState {
            form: Form::default(),
            field: Field::Operation,
            editing: None,
            lab: LabStatus::Starting,
            sending: false,
            history: Transcript::new("playground", "Playground"),
            hint: None,
        }
    }
}

/// Everything on screen.
#[derive(Debug, Clone)]
pub struct Model {
    pub entries: Vec<Entry>,
    pub screen: Screen,
    /// The selected row of the list: a scenario index, or `entries.len()` for the playground.
    pub selected: usize,
    /// The scenario the step view shows.
    pub open: usize,
    pub step: usize,
    pub pane: Pane,
    /// The last pane other than Note that had focus (what the main area shows while Note has it).
    pub detail: Pane,
    /// Per pane, how far it is scrolled.
    pub scroll: [u16; 7],
    pub focus_mode: bool,
    /// The help screen, and how far it is scrolled.
    pub help: Option<u16>,
    pub search: Search,
    pub theme: ThemeName,
    pub progress: Progress,
    /// A message for the header's second line (a progress file that cannot be written, …).
    pub status: Option<String>,
    /// `Some(seed)` for a seeded lab, `None` for a live one.
    pub seed: Option<u64>,
    pub playground: PlaygroundState,
    pub labs: LabsTab,
    /// The terminal's size, for mouse hits and scrolling limits.
    pub size: (u16, u16),
    pub quit: bool,
}

impl Model {
    pub fn new(scenarios: &'static [Scenario], seed: Option<u64>, progress: Progress) -> Model {
        Model {
            entries: {
                // Grouped by topic, in teaching order (the sort is stable).
                let mut entries: Vec<Entry> = scenarios
                    .iter()
                    .map(|scenario| Entry {
                        scenario,
                        load: Load::Queued,
                    })
                    .collect();
                entries.sort_by_key(|e| e.scenario.topic);
                entries
            },
            screen: Screen::List,
            selected: 0,
            open: 0,
            step: 0,
            pane: Pane::Request,
            detail: Pane::Request,
            scroll: [0; 7],
            focus_mode: false,
            help: None,
            search: Search::default(),
            theme: progress.theme.unwrap_or_default(),
            progress,
            status: None,
            seed,
            playground: PlaygroundState::default(),
            labs: LabsTab::default(),
            size: (80, 24),
            quit: false,
        }
    }

    /// The entry of the open scenario.
    pub fn open_entry(&self) -> Option<&Entry> {
        self.entries.get(self.open)
    }

    /// The transcript and step the panes show: the open scenario's, or the playground's newest.
    pub fn shown(&self) -> Option<(&Transcript, usize)> {
        match self.screen {
            Screen::Steps => {
                let t = self.open_entry()?.transcript()?;
                (self.step < t.steps.len()).then_some((t, self.step))
            }
            Screen::Playground => {
                let t = &self.playground.history;
                t.steps.len().checked_sub(1).map(|last| (t, last))
            }
            Screen::List | Screen::Labs => None,
        }
    }

    /// How many scenarios have finished loading (ready or failed).
    pub fn loaded(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.load, Load::Ready(_) | Load::Failed(_)))
            .count()
    }

    pub fn scroll_of(&self, pane: Pane) -> u16 {
        self.scroll[pane.index()]
    }
}
