//! The one keymap: what each key does where. Input handling, the footer's key bar and the help
//! screen are all generated from [`KEYMAP`], so what the screen says is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the learner is, as far as keys are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The scenario list.
    List,
    /// The step view of a scenario (or its waiting or error screen).
    Steps,
    /// The playground's form.
    Playground,
    /// The list of labs.
    LabList,
    /// An open lab: its text, checks and hints.
    Lab,
    /// Typing into a playground field.
    Editing,
    /// Typing a header search.
    Search,
    /// The help screen.
    Help,
}

impl Context {
    /// The heading of this context on the help screen.
    pub fn title(self) -> &'static str {
        match self {
            Context::List => "Scenario list",
            Context::Steps => "Step view",
            Context::Playground => "Playground",
            Context::LabList => "Lab list",
            Context::Lab => "A lab",
            Context::Editing => "Typing in a field",
            Context::Search => "Searching headers",
            Context::Help => "This help",
        }
    }

    /// Contexts in the order the help screen lists them.
    pub const ALL: [Context; 8] = [
        Context::List,
        Context::Steps,
        Context::Playground,
        Context::LabList,
        Context::Lab,
        Context::Editing,
        Context::Search,
        Context::Help,
    ];

    /// Whether typed characters are text here (so letters are not commands).
    pub fn is_text(self) -> bool {
        matches!(self, Context::Editing | Context::Search)
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Enter: open, edit, confirm, send.
    Open,
    /// Esc: back, cancel, close.
    Back,
    NextStep,
    PrevStep,
    NextPane,
    PrevPane,
    /// ← / → in the playground: the previous or next value of a choice.
    PrevValue,
    NextValue,
    Search,
    Focus,
    Theme,
    Playground,
    Send,
    /// The Labs tab.
    Labs,
    /// Check the open lab now.
    Check,
    /// Reveal the open lab's next hint.
    Hint,
    /// Backspace while typing.
    DeleteChar,
}

/// A key as the keymap names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
}

impl Key {
    /// The key of a crossterm key event, if the keymap can name it.
    pub fn of(event: &KeyEvent) -> Option<Key> {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        Some(match event.code {
            KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => Key::BackTab,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            _ => return None,
        })
    }
}

/// One line of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the footer and help write the keys.
    pub label: &'static str,
    pub action: Action,
    pub contexts: &'static [Context],
    /// A word or two for the footer.
    pub short: &'static str,
    /// A sentence for the help screen.
    pub help: &'static str,
    /// Whether the footer shows it (when there is room, in table order).
    pub footer: bool,
}

use Context::*;

const BROWSE: &[Context] = &[List, Steps, Playground, LabList, Lab, Help];
const ANYWHERE_BUT_TEXT: &[Context] = &[List, Steps, Playground, LabList, Lab, Help];

/// Every key binding, in the order the footer offers them.
pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: &[Key::Char('?')],
        label: "?",
        action: Action::Help,
        contexts: &[List, Steps, Playground, LabList, Lab],
        short: "help",
        help: "open this help (every key, and what the marks mean)",
        footer: true,
    },
    Binding {
        keys: &[Key::Esc, Key::Char('?'), Key::Char('q')],
        label: "Esc ? q",
        action: Action::Back,
        contexts: &[Help],
        short: "close help",
        help: "close this help",
        footer: true,
    },
    Binding {
        keys: &[Key::Enter],
        label: "Enter",
        action: Action::Open,
        contexts: &[List],
        short: "open",
        help: "open the selected scenario (or the playground, or the labs)",
        footer: true,
    },
    Binding {
        keys: &[Key::Enter],
        label: "Enter",
        action: Action::Open,
        contexts: &[LabList],
        short: "open",
        help: "open the selected lab: its text, live checks and hints",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('c')],
        label: "c",
        action: Action::Check,
        contexts: &[Lab],
        short: "check now",
        help: "check the lab now (it is checked again by itself whenever your files or the \
               lab's server change)",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('h')],
        label: "h",
        action: Action::Hint,
        contexts: &[Lab],
        short: "next hint",
        help: "reveal the next hint (hints are saved with your lab progress)",
        footer: true,
    },
    Binding {
        keys: &[Key::Tab, Key::Right, Key::Char('l')],
        label: "Tab → l",
        action: Action::NextPane,
        contexts: &[Lab],
        short: "next pane",
        help: "the next pane: Lab, Checks, Hints",
        footer: true,
    },
    Binding {
        keys: &[Key::BackTab, Key::Left],
        label: "S-Tab ←",
        action: Action::PrevPane,
        contexts: &[Lab],
        short: "previous pane",
        help: "the previous pane",
        footer: false,
    },
    Binding {
        keys: &[Key::Char('n'), Key::Char(' ')],
        label: "n Space",
        action: Action::NextStep,
        contexts: &[Steps],
        short: "next step",
        help: "the next step of the scenario",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('p')],
        label: "p",
        action: Action::PrevStep,
        contexts: &[Steps],
        short: "previous step",
        help: "the previous step",
        footer: true,
    },
    Binding {
        keys: &[Key::Tab, Key::Right, Key::Char('l')],
        label: "Tab → l",
        action: Action::NextPane,
        contexts: &[Steps],
        short: "next pane",
        help: "the next pane: Request, Response, Keys, At rest, Wire, Audit, Note",
        footer: true,
    },
    Binding {
        keys: &[Key::BackTab, Key::Left, Key::Char('h')],
        label: "S-Tab ← h",
        action: Action::PrevPane,
        contexts: &[Steps],
        short: "previous pane",
        help: "the previous pane",
        footer: false,
    },
    Binding {
        keys: &[Key::Tab],
        label: "Tab",
        action: Action::NextPane,
        contexts: &[Playground],
        short: "next pane",
        help: "the next pane of the answer",
        footer: true,
    },
    Binding {
        keys: &[Key::BackTab],
        label: "S-Tab",
        action: Action::PrevPane,
        contexts: &[Playground],
        short: "previous pane",
        help: "the previous pane of the answer",
        footer: false,
    },
    Binding {
        keys: &[Key::Up, Key::Char('k')],
        label: "↑ k",
        action: Action::Up,
        contexts: &[List, Playground, LabList],
        short: "up",
        help: "select the row above",
        footer: false,
    },
    Binding {
        keys: &[Key::Down, Key::Char('j')],
        label: "↓ j",
        action: Action::Down,
        contexts: &[List, Playground, LabList],
        short: "down",
        help: "select the row below",
        footer: false,
    },
    Binding {
        keys: &[Key::Up, Key::Char('k')],
        label: "↑ k",
        action: Action::Up,
        contexts: &[Steps, Lab, Help],
        short: "scroll up",
        help: "scroll the focused pane up",
        footer: false,
    },
    Binding {
        keys: &[Key::Down, Key::Char('j')],
        label: "↓ j",
        action: Action::Down,
        contexts: &[Steps, Lab, Help],
        short: "scroll down",
        help: "scroll the focused pane down",
        footer: false,
    },
    Binding {
        keys: &[Key::Left, Key::Char('h')],
        label: "← h",
        action: Action::PrevValue,
        contexts: &[Playground],
        short: "change",
        help: "the previous value of the selected choice",
        footer: false,
    },
    Binding {
        keys: &[Key::Right, Key::Char('l')],
        label: "→ l",
        action: Action::NextValue,
        contexts: &[Playground],
        short: "change",
        help: "the next value of the selected choice",
        footer: true,
    },
    Binding {
        keys: &[Key::Enter],
        label: "Enter",
        action: Action::Open,
        contexts: &[Playground],
        short: "edit/send",
        help: "edit the selected text field, or send when [Send] is selected",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('s')],
        label: "s",
        action: Action::Send,
        contexts: &[Playground],
        short: "send",
        help: "send the request to the lab",
        footer: true,
    },
    Binding {
        keys: &[Key::PageUp],
        label: "PgUp",
        action: Action::PageUp,
        contexts: BROWSE,
        short: "page up",
        help: "scroll a page up",
        footer: false,
    },
    Binding {
        keys: &[Key::PageDown],
        label: "PgDn",
        action: Action::PageDown,
        contexts: BROWSE,
        short: "page down",
        help: "scroll a page down",
        footer: false,
    },
    Binding {
        keys: &[Key::Home, Key::Char('g')],
        label: "Home g",
        action: Action::Top,
        contexts: &[List, Steps, LabList, Lab, Help],
        short: "top",
        help: "to the top",
        footer: false,
    },
    Binding {
        keys: &[Key::End, Key::Char('G')],
        label: "End G",
        action: Action::Bottom,
        contexts: &[List, Steps, LabList, Lab, Help],
        short: "bottom",
        help: "to the bottom",
        footer: false,
    },
    Binding {
        keys: &[Key::Char('/')],
        label: "/",
        action: Action::Search,
        contexts: &[Steps, Playground],
        short: "search headers",
        help: "search the request and response headers (keeps the matching ones)",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('f')],
        label: "f",
        action: Action::Focus,
        contexts: &[Steps, Playground, Lab],
        short: "focus",
        help: "focus mode: the focused pane fills the screen (for projectors); f again to leave",
        footer: true,
    },
    Binding {
        keys: &[Key::Esc],
        label: "Esc",
        action: Action::Back,
        contexts: &[Steps, Playground],
        short: "back",
        help: "leave focus mode or a search, else back to the list",
        footer: true,
    },
    Binding {
        keys: &[Key::Esc],
        label: "Esc",
        action: Action::Back,
        contexts: &[LabList, Lab],
        short: "back",
        help: "leave focus mode, else back: from a lab to the lab list, from there to the \
               scenarios",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('L')],
        label: "L",
        action: Action::Labs,
        contexts: &[List, Steps, Playground],
        short: "labs",
        help: "the labs: exercises you do yourself with the AWS CLI or code, checked live",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('e')],
        label: "e",
        action: Action::Playground,
        contexts: &[List, Steps],
        short: "playground",
        help: "the playground: build a request of your own and send it to the lab",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('t')],
        label: "t",
        action: Action::Theme,
        contexts: ANYWHERE_BUT_TEXT,
        short: "theme",
        help: "next theme: dark, light, high-contrast",
        footer: true,
    },
    Binding {
        keys: &[Key::Char('q')],
        label: "q",
        action: Action::Quit,
        contexts: &[List, Steps, Playground, LabList, Lab],
        short: "quit",
        help: "quit (progress is saved)",
        footer: true,
    },
    Binding {
        keys: &[Key::Ctrl('c')],
        label: "Ctrl-C",
        action: Action::Quit,
        contexts: &[List, Steps, Playground, LabList, Lab, Editing, Search, Help],
        short: "quit",
        help: "quit, from anywhere",
        footer: false,
    },
    Binding {
        keys: &[Key::Enter],
        label: "Enter",
        action: Action::Open,
        contexts: &[Editing, Search],
        short: "done",
        help: "keep what you typed",
        footer: true,
    },
    Binding {
        keys: &[Key::Esc],
        label: "Esc",
        action: Action::Back,
        contexts: &[Editing, Search],
        short: "cancel",
        help: "cancel: the field or search as it was",
        footer: true,
    },
    Binding {
        keys: &[Key::Backspace],
        label: "Backspace",
        action: Action::DeleteChar,
        contexts: &[Editing, Search],
        short: "delete",
        help: "delete the last character",
        footer: true,
    },
];

/// The action `event` asks for in `context`, if any. In a text context, plain characters are
/// text, never commands (the caller types them).
pub fn action_for(context: Context, event: &KeyEvent) -> Option<Action> {
    let key = Key::of(event)?;
    if context.is_text() && matches!(key, Key::Char(_)) {
        return None;
    }
    KEYMAP
        .iter()
        .find(|b| b.contexts.contains(&context) && b.keys.contains(&key))
        .map(|b| b.action)
}

/// The bindings of `context`, in table order.
pub fn bindings(context: Context) -> impl Iterator<Item = &'static Binding> {
    KEYMAP.iter().filter(move |b| b.contexts.contains(&context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_context() {
        for ctx in Context::ALL {
            let mut seen: Vec<Key> = Vec::new();
            for b in bindings(ctx) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} is bound twice in {ctx:?}");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn every_context_can_be_left() {
        for ctx in Context::ALL {
            assert!(
                bindings(ctx).any(|b| matches!(b.action, Action::Back | Action::Quit)),
                "{ctx:?}"
            );
        }
    }

    #[test]
    fn letters_are_text_while_typing() {
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action_for(Context::List, &q), Some(Action::Quit));
        assert_eq!(action_for(Context::Editing, &q), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(Context::Editing, &ctrl_c), Some(Action::Quit));
    }
}
