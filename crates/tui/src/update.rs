//! Messages and the update function: everything that can happen, and what it does to the model.
//! Work the model cannot do itself (running a scenario first, sending a request, saving progress,
//! quitting) is returned as [`Effect`]s for the runtime.

use ratatui::layout::{Position, Rect};
use ratatui::widgets::Block;
use s3lab_transcript::{Event, Note, Transcript};

use s3lab_labs::CheckReport;

use crate::components::list;
use crate::keymap::{Action, Context};
use crate::labs::{LabCmd, LabInfo, LabPane, LabsLoad};
use crate::model::{LabStatus, Load, Model, Pane, Screen};
use crate::playground::{hint, Field, Outgoing};
use crate::text::sentence;
use crate::view;

/// Everything that can happen.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key the keymap understood.
    Action(Action),
    /// A character typed into a field or a search.
    Type(char),
    /// A mouse click at a screen position.
    Click {
        column: u16,
        row: u16,
    },
    /// The mouse wheel over a screen position.
    Wheel {
        column: u16,
        row: u16,
        down: bool,
    },
    Resize(u16, u16),
    /// The lab started running a scenario.
    ScenarioRunning(String),
    /// A scenario's transcript, or why it could not run.
    ScenarioLoaded {
        id: String,
        result: Result<Transcript, String>,
    },
    /// The playground's lab is up, or is not.
    LabReady,
    LabFailed(String),
    /// The playground's answer: one step, or why nothing was sent.
    Answer(Result<Transcript, String>),
    /// The labs and the learner's progress in them, or why they cannot be shown.
    LabsLoaded(Result<Vec<LabInfo>, String>),
    /// A check of this lab started.
    LabChecking(usize),
    /// A check of this lab finished; `done` is the lab's progress after it.
    LabChecked {
        number: usize,
        report: CheckReport,
        done: bool,
    },
    /// The hints of this lab revealed so far.
    LabHints {
        number: usize,
        hints: Vec<String>,
    },
    /// A lab command failed (the progress file could not be written, …).
    LabError(String),
}

/// Work for the runtime.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Run this scenario next (the learner is waiting for it).
    RunFirst(String),
    Send(Box<Outgoing>),
    SaveProgress,
    /// Work for the labs' worker.
    Lab(LabCmd),
    Quit,
}

/// Where the learner is, for the keymap.
pub fn context(model: &Model) -> Context {
    if model.help.is_some() {
        Context::Help
    } else if model.search.typing {
        Context::Search
    } else {
        match model.screen {
            Screen::List => Context::List,
            Screen::Steps => Context::Steps,
            Screen::Playground if model.playground.editing.is_some() => Context::Editing,
            Screen::Playground => Context::Playground,
            Screen::Labs if model.labs.open => Context::Lab,
            Screen::Labs => Context::LabList,
        }
    }
}

/// Applies `msg` to the model.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Action(action) => act(model, action, &mut fx),
        Msg::Type(c) => match context(model) {
            Context::Editing => {
                if let Some(text) = &mut model.playground.editing {
                    text.push(c);
                }
            }
            Context::Search => {
                model.search.query.push(c);
                model.scroll[Pane::Request.index()] = 0;
                model.scroll[Pane::Response.index()] = 0;
            }
            _ => {}
        },
        Msg::Click { column, row } => click(model, column, row, &mut fx),
        Msg::Wheel { column, row, down } => wheel(model, column, row, down),
        Msg::Resize(w, h) => model.size = (w, h),
        Msg::ScenarioRunning(id) => {
            if let Some(e) = model.entries.iter_mut().find(|e| e.scenario.id == id) {
                e.load = Load::Running;
            }
        }
        Msg::ScenarioLoaded { id, result } => {
            if let Some(e) = model.entries.iter_mut().find(|e| e.scenario.id == id) {
                e.load = match result {
                    Ok(t) => Load::Ready(t),
                    Err(why) => Load::Failed(why),
                };
            }
            let open = model.open_entry().map(|e| e.scenario.id);
            if model.screen == Screen::Steps && open == Some(id.as_str()) {
                saw_step(model, &mut fx);
            }
        }
        Msg::LabReady => model.playground.lab = LabStatus::Ready,
        Msg::LabFailed(why) => model.playground.lab = LabStatus::Failed(why),
        Msg::Answer(result) => answer(model, result),
        Msg::LabsLoaded(result) => {
            model.labs.load = match result {
                Ok(labs) => LabsLoad::Ready(labs),
                Err(why) => LabsLoad::Failed(why),
            };
        }
        Msg::LabChecking(number) => {
            if let Some(lab) = model.labs.lab_mut(number) {
                lab.checking = true;
            }
        }
        Msg::LabChecked {
            number,
            report,
            done,
        } => {
            if let Some(lab) = model.labs.lab_mut(number) {
                lab.checking = false;
                lab.checks_run += 1;
                lab.report = Some(report);
                lab.done = done;
            }
        }
        Msg::LabHints { number, hints } => {
            if let Some(lab) = model.labs.lab_mut(number) {
                lab.hints = hints;
            }
            // The newest hint is at the bottom of the Hints pane: show it.
            model.labs.scroll[LabPane::Hints.index()] = u16::MAX;
            let max = view::lab_max_scroll(model, LabPane::Hints);
            model.labs.scroll[LabPane::Hints.index()] = max;
        }
        Msg::LabError(why) => model.status = Some(sentence(&why)),
    }
    fx
}

fn answer(model: &mut Model, result: Result<Transcript, String>) {
    let p = &mut model.playground;
    p.sending = false;
    match result {
        Ok(t) => {
            for mut step in t.steps {
                let exchange = step.events.iter().find_map(|e| match e {
                    Event::Exchange(x) => Some(x.clone()),
                    _ => None,
                });
                p.hint = exchange.as_ref().and_then(|x| hint(&p.form, x));
                let text = match (&p.hint, &exchange) {
                    (Some(h), _) => format!("Hint: {h}"),
                    (None, Some(_)) => "S3 answered without an error. Keys shows the key \
                                        hierarchy, At rest the bytes on disk (after a PutObject \
                                        or GetObject), Wire what an eavesdropper saw, Audit the \
                                        KMS calls it caused."
                        .to_owned(),
                    (None, None) => "Nothing was sent.".to_owned(),
                };
                step.events.insert(0, Event::Note(Note::new(text)));
                p.history.steps.push(step);
            }
        }
        Err(why) => {
            p.hint = Some(sentence(&why));
            let mut step = s3lab_transcript::Step::new("not sent");
            step.push(Note::new(format!(
                "The request could not be sent: {}",
                sentence(&why)
            )));
            p.history.steps.push(step);
        }
    }
    model.scroll = [0; 7];
}

/// Records the shown step as seen, and asks to save when that changed anything.
fn saw_step(model: &mut Model, fx: &mut Vec<Effect>) {
    let Some(e) = model.entries.get(model.open) else {
        return;
    };
    let Some(t) = e.transcript() else {
        return;
    };
    let Some(step) = t.steps.get(model.step) else {
        return;
    };
    let checks: Vec<&str> = step
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Check(c) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    let last = model.step + 1 == t.steps.len();
    let id = e.scenario.id;
    if model.progress.saw_step(id, model.step, last, checks) {
        fx.push(Effect::SaveProgress);
    }
}

fn open_selected(model: &mut Model, fx: &mut Vec<Effect>) {
    if model.selected > model.entries.len() {
        open_labs(model);
        return;
    }
    if model.selected == model.entries.len() {
        open_playground(model);
        return;
    }
    model.open = model.selected;
    model.screen = Screen::Steps;
    model.step = 0;
    model.scroll = [0; 7];
    model.focus_mode = false;
    model.search = Default::default();
    if let Some(e) = model.entries.get(model.open) {
        if e.load == Load::Queued {
            fx.push(Effect::RunFirst(e.scenario.id.to_owned()));
        }
    }
    saw_step(model, fx);
}

fn open_playground(model: &mut Model) {
    model.screen = Screen::Playground;
    model.selected = model.entries.len();
    model.scroll = [0; 7];
    model.focus_mode = false;
    model.search = Default::default();
}

fn open_labs(model: &mut Model) {
    model.screen = Screen::Labs;
    model.selected = model.entries.len() + 1;
    model.focus_mode = false;
    model.search = Default::default();
}

fn open_lab(model: &mut Model, fx: &mut Vec<Effect>) {
    let Some(number) = model.labs.selected_lab().map(|l| l.number) else {
        return;
    };
    let labs = &mut model.labs;
    labs.open = true;
    labs.pane = LabPane::Text;
    labs.detail = LabPane::Text;
    labs.scroll = [0; 3];
    model.focus_mode = false;
    fx.push(Effect::Lab(LabCmd::Watch(Some(number))));
}

fn lab_scroll_by(model: &mut Model, pane: LabPane, delta: i32) {
    let max = i32::from(view::lab_max_scroll(model, pane));
    let now = i32::from(model.labs.scroll[pane.index()]).min(max);
    let next = (now + delta).clamp(0, max);
    model.labs.scroll[pane.index()] = u16::try_from(next).unwrap_or(0);
}

fn set_lab_pane(model: &mut Model, pane: LabPane) {
    model.labs.pane = pane;
    if pane != LabPane::Checks {
        model.labs.detail = pane;
    }
}

fn scroll_by(model: &mut Model, pane: Pane, delta: i32) {
    let max = i32::from(view::max_scroll(model, pane));
    let now = i32::from(model.scroll_of(pane)).min(max);
    let next = (now + delta).clamp(0, max);
    model.scroll[pane.index()] = u16::try_from(next).unwrap_or(0);
}

fn set_pane(model: &mut Model, pane: Pane) {
    model.pane = pane;
    if pane != Pane::Note {
        model.detail = pane;
    }
}

fn back(model: &mut Model) {
    if model.focus_mode {
        model.focus_mode = false;
    } else if !model.search.query.is_empty() {
        model.search = Default::default();
    } else {
        if model.screen == Screen::Steps {
            model.selected = model.open;
        }
        model.screen = Screen::List;
    }
}

fn help_scroll(model: &mut Model, delta: i32) {
    let t = model.theme.theme();
    let area = crate::components::help::area(Rect::new(0, 0, model.size.0, model.size.1));
    let max = crate::components::help::height(&t, area)
        .saturating_sub(usize::from(area.height.saturating_sub(2)));
    let max = i32::try_from(max).unwrap_or(i32::MAX);
    if let Some(s) = &mut model.help {
        let next = (i32::from(*s) + delta).clamp(0, max);
        *s = u16::try_from(next).unwrap_or(0);
    }
}

fn act(model: &mut Model, action: Action, fx: &mut Vec<Effect>) {
    let ctx = context(model);
    // Everywhere.
    match action {
        Action::Quit => {
            model.quit = true;
            fx.push(Effect::Quit);
            return;
        }
        Action::Theme => {
            model.theme = model.theme.next();
            model.progress.theme = Some(model.theme);
            fx.push(Effect::SaveProgress);
            return;
        }
        Action::Help if ctx != Context::Help => {
            model.help = Some(0);
            return;
        }
        Action::Labs => {
            open_labs(model);
            return;
        }
        _ => {}
    }
    match ctx {
        Context::Help => match action {
            Action::Back | Action::Help => model.help = None,
            Action::Up => help_scroll(model, -1),
            Action::Down => help_scroll(model, 1),
            Action::PageUp => help_scroll(model, -10),
            Action::PageDown => help_scroll(model, 10),
            Action::Top => help_scroll(model, i32::MIN / 2),
            Action::Bottom => help_scroll(model, i32::MAX / 2),
            _ => {}
        },
        Context::Search => match action {
            Action::Open => model.search.typing = false,
            Action::Back => {
                model.search.query = std::mem::take(&mut model.search.before);
                model.search.typing = false;
            }
            Action::DeleteChar => {
                model.search.query.pop();
            }
            _ => {}
        },
        Context::Editing => match action {
            Action::Open => {
                if let Some(text) = model.playground.editing.take() {
                    let field = model.playground.field;
                    model.playground.form.set_text(field, text);
                }
            }
            Action::Back => model.playground.editing = None,
            Action::DeleteChar => {
                if let Some(text) = &mut model.playground.editing {
                    text.pop();
                }
            }
            _ => {}
        },
        Context::List => {
            // The scenarios, then the playground, then the labs.
            let last = model.entries.len() + 1;
            match action {
                Action::Up => model.selected = model.selected.saturating_sub(1),
                Action::Down => model.selected = (model.selected + 1).min(last),
                Action::PageUp => model.selected = model.selected.saturating_sub(5),
                Action::PageDown => model.selected = (model.selected + 5).min(last),
                Action::Top => model.selected = 0,
                Action::Bottom => model.selected = last,
                Action::Open => open_selected(model, fx),
                Action::Playground => open_playground(model),
                _ => {}
            }
        }
        Context::Steps => {
            let steps = model
                .open_entry()
                .and_then(|e| e.transcript())
                .map_or(0, |t| t.steps.len());
            let pane = model.pane;
            match action {
                Action::NextStep if model.step + 1 < steps => {
                    model.step += 1;
                    model.scroll = [0; 7];
                    saw_step(model, fx);
                }
                Action::PrevStep if model.step > 0 => {
                    model.step -= 1;
                    model.scroll = [0; 7];
                    saw_step(model, fx);
                }
                Action::NextPane => set_pane(model, pane.next()),
                Action::PrevPane => set_pane(model, pane.prev()),
                Action::Up => scroll_by(model, pane, -1),
                Action::Down => scroll_by(model, pane, 1),
                Action::PageUp => {
                    let page = i32::from(view::page(model, pane));
                    scroll_by(model, pane, -page);
                }
                Action::PageDown => {
                    let page = i32::from(view::page(model, pane));
                    scroll_by(model, pane, page);
                }
                Action::Top => model.scroll[pane.index()] = 0,
                Action::Bottom => scroll_by(model, pane, i32::MAX / 2),
                Action::Search => start_search(model),
                Action::Focus => model.focus_mode = !model.focus_mode,
                Action::Back => back(model),
                Action::Playground => open_playground(model),
                _ => {}
            }
        }
        Context::LabList => {
            let last = model.labs.labs().len().saturating_sub(1);
            let l = &mut model.labs;
            match action {
                Action::Up => l.selected = l.selected.saturating_sub(1),
                Action::Down => l.selected = (l.selected + 1).min(last),
                Action::PageUp => l.selected = l.selected.saturating_sub(5),
                Action::PageDown => l.selected = (l.selected + 5).min(last),
                Action::Top => l.selected = 0,
                Action::Bottom => l.selected = last,
                Action::Open => open_lab(model, fx),
                Action::Back => model.screen = Screen::List,
                _ => {}
            }
        }
        Context::Lab => {
            let pane = model.labs.pane;
            let number = model.labs.open_lab().map(|l| l.number);
            match action {
                Action::NextPane => set_lab_pane(model, pane.next()),
                Action::PrevPane => set_lab_pane(model, pane.prev()),
                Action::Up => lab_scroll_by(model, pane, -1),
                Action::Down => lab_scroll_by(model, pane, 1),
                Action::PageUp => {
                    let page = i32::from(view::lab_page(model, pane));
                    lab_scroll_by(model, pane, -page);
                }
                Action::PageDown => {
                    let page = i32::from(view::lab_page(model, pane));
                    lab_scroll_by(model, pane, page);
                }
                Action::Top => model.labs.scroll[pane.index()] = 0,
                Action::Bottom => lab_scroll_by(model, pane, i32::MAX / 2),
                Action::Focus => model.focus_mode = !model.focus_mode,
                Action::Check => fx.extend(number.map(|n| Effect::Lab(LabCmd::Check(n)))),
                Action::Hint => fx.extend(number.map(|n| Effect::Lab(LabCmd::Hint(n)))),
                Action::Back if model.focus_mode => model.focus_mode = false,
                Action::Back => {
                    model.labs.open = false;
                    fx.push(Effect::Lab(LabCmd::Watch(None)));
                }
                _ => {}
            }
        }
        Context::Playground => {
            let p = &mut model.playground;
            let i = Field::ALL.iter().position(|f| *f == p.field).unwrap_or(0);
            let pane = model.pane;
            match action {
                Action::Up => p.field = Field::ALL[i.saturating_sub(1)],
                Action::Down => p.field = Field::ALL[(i + 1).min(Field::ALL.len() - 1)],
                Action::PrevValue => p.form.cycle(p.field, false),
                Action::NextValue => p.form.cycle(p.field, true),
                Action::Open => {
                    if p.field == Field::Send {
                        send(model, fx);
                    } else if let Some(text) = p.form.text(p.field) {
                        p.editing = Some(text.to_owned());
                    } else {
                        p.form.cycle(p.field, true);
                    }
                }
                Action::Send => send(model, fx),
                Action::NextPane => set_pane(model, pane.next()),
                Action::PrevPane => set_pane(model, pane.prev()),
                Action::PageUp => {
                    let page = i32::from(view::page(model, pane));
                    scroll_by(model, pane, -page);
                }
                Action::PageDown => {
                    let page = i32::from(view::page(model, pane));
                    scroll_by(model, pane, page);
                }
                Action::Search => start_search(model),
                Action::Focus => model.focus_mode = !model.focus_mode,
                Action::Back => back(model),
                _ => {}
            }
        }
    }
}

fn start_search(model: &mut Model) {
    model.search.before = model.search.query.clone();
    model.search.typing = true;
    if !matches!(model.pane, Pane::Request | Pane::Response) {
        set_pane(model, Pane::Request);
    }
}

fn send(model: &mut Model, fx: &mut Vec<Effect>) {
    let p = &mut model.playground;
    match &p.lab {
        LabStatus::Ready if !p.sending => {
            p.sending = true;
            fx.push(Effect::Send(Box::new(p.form.build())));
        }
        LabStatus::Ready => {}
        LabStatus::Starting => {
            model.status =
                Some("The playground's lab is still starting: send again in a moment.".into())
        }
        LabStatus::Failed(why) => {
            model.status = Some(format!(
                "The playground's lab did not start: {}",
                sentence(why)
            ))
        }
    }
}

fn click(model: &mut Model, column: u16, row: u16, fx: &mut Vec<Effect>) {
    model.status = None;
    if model.help.is_some() {
        model.help = None;
        return;
    }
    let area = Rect::new(0, 0, model.size.0, model.size.1);
    let a = view::areas(model, area);
    let pos = Position::new(column, row);
    // A click inside a list's frame: how many rows the list shows, and which of them was hit.
    let list_hit = a
        .list
        .map(|l| Block::bordered().inner(l))
        .filter(|inner| inner.contains(pos))
        .map(|inner| (usize::from(inner.height), usize::from(row - inner.y)));
    match model.screen {
        Screen::List => {
            let Some((height, line)) = list_hit else {
                return;
            };
            let rows = list::rows(model, a.summaries);
            let n = model.entries.len();
            let at = list::offset(&rows, model.selected, n, height) + line;
            if let Some(sel) = rows.get(at).and_then(|r| r.selection(n)) {
                if sel == model.selected {
                    open_selected(model, fx);
                } else {
                    model.selected = sel;
                }
            }
        }
        Screen::Labs if model.labs.open => {
            if let Some(pane) = view::lab_pane_at(model, column, row) {
                set_lab_pane(model, pane);
            }
        }
        Screen::Labs => {
            let Some((height, line)) = list_hit else {
                return;
            };
            let at = crate::components::labs::offset(model.labs.selected, height) + line;
            if at < model.labs.labs().len() {
                if at == model.labs.selected {
                    open_lab(model, fx);
                } else {
                    model.labs.selected = at;
                }
            }
        }
        Screen::Steps | Screen::Playground => {
            if let Some(f) = a.form {
                if f.contains(pos) {
                    let hit = crate::components::form::hits(f, a.form_two_columns)
                        .into_iter()
                        .find(|(_, r)| r.contains(pos));
                    if let Some((field, _)) = hit {
                        let p = &mut model.playground;
                        if p.field == field && field == Field::Send {
                            send(model, fx);
                        } else if p.field == field && !field.is_text() {
                            p.form.cycle(field, true);
                        } else {
                            p.field = field;
                        }
                    }
                    return;
                }
            }
            if let Some(pane) = view::pane_at(model, column, row) {
                set_pane(model, pane);
            }
        }
    }
}

fn wheel(model: &mut Model, column: u16, row: u16, down: bool) {
    let delta = if down { 3 } else { -3 };
    if model.help.is_some() {
        help_scroll(model, delta);
        return;
    }
    match model.screen {
        Screen::List => {
            let last = model.entries.len() + 1;
            model.selected = if down {
                (model.selected + 1).min(last)
            } else {
                model.selected.saturating_sub(1)
            };
        }
        Screen::Labs if model.labs.open => {
            if let Some(pane) = view::lab_pane_at(model, column, row) {
                lab_scroll_by(model, pane, delta);
            }
        }
        Screen::Labs => {
            let last = model.labs.labs().len().saturating_sub(1);
            let l = &mut model.labs;
            l.selected = if down {
                (l.selected + 1).min(last)
            } else {
                l.selected.saturating_sub(1)
            };
        }
        _ => {
            if let Some(pane) = view::pane_at(model, column, row) {
                scroll_by(model, pane, delta);
            }
        }
    }
}
