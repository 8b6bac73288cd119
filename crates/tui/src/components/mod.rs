//! The components: one module each. A pane component turns the step it is shown into styled
//! lines ([`PaneContent`]); the screen components draw straight into the frame. None of them
//! changes anything.

pub mod at_rest;
pub mod audit;
pub mod exchange;
pub mod footer;
pub mod form;
pub mod header;
pub mod help;
pub mod keys;
pub mod labs;
pub mod list;
pub mod note;
pub mod notice;
pub mod tabs;
pub mod wire;

use ratatui::text::Line;
use s3lab_scenarios::Scenario;
use s3lab_transcript::{Event, Transcript};

use crate::model::Pane;
use crate::text::Hang;
use crate::theme::Theme;

/// What a pane shows of one step.
pub struct StepCtx<'a> {
    pub transcript: &'a Transcript,
    pub step: usize,
    /// The scenario, when the transcript is one (not the playground's).
    pub scenario: Option<&'static Scenario>,
    pub theme: &'a Theme,
    /// The header search, lowercase (empty: no search).
    pub search: String,
}

impl StepCtx<'_> {
    /// The events of the shown step.
    pub fn events(&self) -> &[Event] {
        self.transcript
            .steps
            .get(self.step)
            .map(|s| s.events.as_slice())
            .unwrap_or(&[])
    }
}

/// The lines of a pane, with a note for its title, and an optional second column (the metadata
/// beside a hex view) that scrolls with the first.
#[derive(Default)]
pub struct PaneContent {
    pub lines: Vec<Line<'static>>,
    /// The second column and its width, when the pane is wide enough for it.
    pub beside: Option<(Vec<Line<'static>>, u16)>,
    /// Added to the pane's title: `filter "sse": 2 of 9 headers`.
    pub title_note: Option<String>,
    /// How far wrapped lines are indented.
    pub hang: Hang,
    /// Whether the step has anything for this pane (the tab bar dims empty panes).
    pub empty: bool,
}

/// The content of `pane` for the step in `ctx`, laid out for `width` columns.
pub fn pane_content(pane: Pane, ctx: &StepCtx<'_>, width: u16) -> PaneContent {
    match pane {
        Pane::Request => exchange::request(ctx, width),
        Pane::Response => exchange::response(ctx, width),
        Pane::Keys => keys::content(ctx, width),
        Pane::AtRest => at_rest::content(ctx, width),
        Pane::Wire => wire::content(ctx),
        Pane::Audit => audit::content(ctx),
        Pane::Note => note::content(ctx),
    }
}

/// Whether `pane` has anything to show for the step (cheaper than building it).
pub fn pane_has_content(pane: Pane, ctx: &StepCtx<'_>) -> bool {
    let has = |f: fn(&Event) -> bool| ctx.events().iter().any(f);
    match pane {
        Pane::Request | Pane::Response => has(|e| matches!(e, Event::Exchange(_))),
        Pane::Keys => keys::mode_of(ctx).is_some(),
        Pane::AtRest => has(|e| matches!(e, Event::AtRest(_))),
        Pane::Wire => has(|e| matches!(e, Event::WireTap(_))),
        Pane::Audit => has(|e| matches!(e, Event::KmsCall(_))),
        Pane::Note => true,
    }
}
