//! The app: the model, and its input seam. Terminal events become messages here (through the
//! keymap), and messages go through [`update`]; the runtime and the tests drive the app the same
//! way.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Frame;

use crate::keymap::action_for;
use crate::model::Model;
use crate::update::{context, update, Effect, Msg};
use crate::view;

/// The model, and the effects that updates asked for and nobody has carried out yet.
pub struct App {
    pub model: Model,
    effects: Vec<Effect>,
}

impl App {
    pub fn new(model: Model) -> App {
        App {
            model,
            effects: Vec::new(),
        }
    }

    /// The message a terminal event means, if any.
    pub fn message_for(&self, event: &Event) -> Option<Msg> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.key_message(key),
            Event::Mouse(m) => mouse_message(m),
            Event::Resize(w, h) => Some(Msg::Resize(*w, *h)),
            _ => None,
        }
    }

    fn key_message(&self, key: &KeyEvent) -> Option<Msg> {
        let ctx = context(&self.model);
        if let Some(action) = action_for(ctx, key) {
            return Some(Msg::Action(action));
        }
        match key.code {
            KeyCode::Char(c) if ctx.is_text() && !key.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(Msg::Type(c))
            }
            _ => None,
        }
    }

    /// Handles a terminal event; returns whether the screen may have changed.
    pub fn handle_event(&mut self, event: &Event) -> bool {
        match self.message_for(event) {
            Some(msg) => {
                self.dispatch(msg);
                true
            }
            None => false,
        }
    }

    /// A key press, as the tests send them.
    pub fn handle_key(&mut self, code: KeyCode, modifiers: KeyModifiers) -> bool {
        self.handle_event(&Event::Key(KeyEvent::new(code, modifiers)))
    }

    /// Applies a message.
    pub fn dispatch(&mut self, msg: Msg) {
        let fx = update(&mut self.model, msg);
        self.effects.extend(fx);
    }

    /// The effects asked for since the last call.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Draws the model (pure: [`view::render`]).
    pub fn render(&self, frame: &mut Frame<'_>) {
        view::render(&self.model, frame);
    }
}

fn mouse_message(m: &MouseEvent) -> Option<Msg> {
    let (column, row) = (m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Msg::Click { column, row }),
        MouseEventKind::ScrollDown => Some(Msg::Wheel {
            column,
            row,
            down: true,
        }),
        MouseEventKind::ScrollUp => Some(Msg::Wheel {
            column,
            row,
            down: false,
        }),
        _ => None,
    }
}
