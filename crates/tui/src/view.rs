//! The view: a pure function from the model to a frame. The layout is computed by [`areas`], which
//! the mouse handling uses too, so a click lands where the learner sees things.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use crate::components::{
    self, footer, form, header, help, labs, list, notice, tabs, PaneContent, StepCtx,
};
use crate::keymap::Context;
use crate::labs::LabPane;
use crate::model::{Load, Model, Pane, Screen};
use crate::text::{truncate, wrap, Hang};
use crate::theme::Theme;
use crate::update::context;

/// The smallest terminal the layout is made for.
pub const MIN_SIZE: (u16, u16) = (40, 12);

/// Where everything is on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
    pub list: Option<Rect>,
    pub details: Option<Rect>,
    /// Whether the list shows a summary line under each scenario.
    pub summaries: bool,
    pub tabs: Option<Rect>,
    pub panes: Vec<(Pane, Rect)>,
    pub form: Option<Rect>,
    pub form_two_columns: bool,
    /// An open lab's pane tabs and panes.
    pub lab_tabs: Option<Rect>,
    pub lab_panes: Vec<(LabPane, Rect)>,
}

/// Whether the terminal is big enough for side-by-side panes.
pub fn is_wide(area: Rect) -> bool {
    area.width >= 120 && area.height >= 30
}

fn split_h(area: Rect, left: u16) -> (Rect, Rect) {
    let left = left.min(area.width);
    (
        Rect::new(area.x, area.y, left, area.height),
        Rect::new(area.x + left, area.y, area.width - left, area.height),
    )
}

fn split_v(area: Rect, top: u16) -> (Rect, Rect) {
    let top = top.min(area.height);
    (
        Rect::new(area.x, area.y, area.width, top),
        Rect::new(area.x, area.y + top, area.width, area.height - top),
    )
}

/// The main area: Request and Response side by side when there is room, else one pane.
fn main_panes(shown: Pane, pair: bool, area: Rect) -> Vec<(Pane, Rect)> {
    if pair && matches!(shown, Pane::Request | Pane::Response) {
        let (l, r) = split_h(area, area.width / 2);
        vec![(Pane::Request, l), (Pane::Response, r)]
    } else {
        vec![(shown, area)]
    }
}

/// The layout of the model's screen in `area`.
pub fn areas(model: &Model, area: Rect) -> Areas {
    let (header, rest) = split_v(area, 2);
    let (body, footer) = split_v(rest, rest.height.saturating_sub(1));
    let mut a = Areas {
        header,
        body,
        footer,
        ..Areas::default()
    };
    let wide = is_wide(area);
    let shown = if model.pane == Pane::Note {
        model.detail
    } else {
        model.pane
    };
    match model.screen {
        Screen::Labs if model.labs.open => {
            let (tabs_r, rest) = split_v(body, 1);
            a.lab_tabs = Some(tabs_r);
            let pane = model.labs.pane;
            if model.focus_mode {
                a.lab_panes = vec![(pane, rest)];
            } else if wide {
                let (text, right) = split_h(rest, rest.width * 55 / 100);
                let (checks, hints) = split_v(right, right.height * 3 / 5);
                a.lab_panes = vec![
                    (LabPane::Text, text),
                    (LabPane::Checks, checks),
                    (LabPane::Hints, hints),
                ];
            } else {
                let checks_h = (rest.height * 2 / 5).max(6);
                let (main, checks) = split_v(rest, rest.height.saturating_sub(checks_h));
                let shown = if pane == LabPane::Checks {
                    model.labs.detail
                } else {
                    pane
                };
                a.lab_panes = vec![(shown, main), (LabPane::Checks, checks)];
            }
        }
        Screen::List | Screen::Labs => {
            if wide {
                let (l, r) = split_h(body, body.width * 58 / 100);
                a.list = Some(l);
                a.details = Some(r);
                a.summaries = true;
            } else {
                let details_h = (body.height / 2).clamp(4, 9);
                let (l, r) = split_v(body, body.height.saturating_sub(details_h));
                a.list = Some(l);
                a.details = Some(r);
            }
        }
        Screen::Steps => {
            let ready = model
                .open_entry()
                .is_some_and(|e| matches!(e.load, Load::Ready(_)));
            if !ready {
                return a;
            }
            let (tabs_r, rest) = split_v(body, 1);
            a.tabs = Some(tabs_r);
            if model.focus_mode {
                a.panes = vec![(model.pane, rest)];
            } else if wide {
                let note_w = (rest.width * 34 / 100).clamp(40, 60);
                let (note, main) = split_h(rest, note_w);
                a.panes.push((Pane::Note, note));
                a.panes.extend(main_panes(shown, true, main));
            } else {
                let note_h = (rest.height * 2 / 5).max(5);
                let (main, note) = split_v(rest, rest.height.saturating_sub(note_h));
                a.panes.extend(main_panes(shown, false, main));
                a.panes.push((Pane::Note, note));
            }
        }
        Screen::Playground => {
            if model.focus_mode {
                let (tabs_r, rest) = split_v(body, 1);
                a.tabs = Some(tabs_r);
                a.panes = vec![(model.pane, rest)];
            } else if wide {
                let (left, right) = split_h(body, 48);
                let (form_r, note) = split_v(left, form::height(false));
                a.form = Some(form_r);
                let (tabs_r, main) = split_v(right, 1);
                a.tabs = Some(tabs_r);
                a.panes.push((Pane::Note, note));
                a.panes.extend(main_panes(shown, true, main));
            } else {
                let (form_r, rest) = split_v(body, form::height(true));
                a.form = Some(form_r);
                a.form_two_columns = true;
                let (tabs_r, main) = split_v(rest, 1);
                a.tabs = Some(tabs_r);
                a.panes = vec![(model.pane, main)];
            }
        }
    }
    a
}

/// What the panes show, if anything.
pub fn step_ctx<'a>(model: &'a Model, theme: &'a Theme) -> Option<StepCtx<'a>> {
    let (transcript, step) = model.shown()?;
    let scenario = match model.screen {
        Screen::Steps => model.open_entry().map(|e| e.scenario),
        _ => None,
    };
    Some(StepCtx {
        transcript,
        step,
        scenario,
        theme,
        search: model.search.query.to_lowercase(),
    })
}

/// A pane's content, wrapped to its area: (left lines, right lines, inner rect).
fn laid_out(
    pane: Pane,
    ctx: &StepCtx<'_>,
    rect: Rect,
) -> (PaneContent, Vec<Line<'static>>, Vec<Line<'static>>, Rect) {
    let mut content = components::pane_content(pane, ctx, rect.width);
    let inner = Block::bordered().inner(rect);
    let (left, right) = match content.beside.take() {
        Some((right, left_w)) => {
            let right_w = inner.width.saturating_sub(left_w + 2);
            (
                wrap(
                    std::mem::take(&mut content.lines),
                    usize::from(left_w),
                    content.hang,
                ),
                wrap(right, usize::from(right_w), content.hang),
            )
        }
        None => (
            wrap(
                std::mem::take(&mut content.lines),
                usize::from(inner.width),
                content.hang,
            ),
            Vec::new(),
        ),
    };
    (content, left, right, inner)
}

/// How far `pane` can scroll at the model's terminal size (0 when not on screen).
pub fn max_scroll(model: &Model, pane: Pane) -> u16 {
    let theme = model.theme.theme();
    let Some(ctx) = step_ctx(model, &theme) else {
        return 0;
    };
    let area = Rect::new(0, 0, model.size.0, model.size.1);
    let Some((_, rect)) = areas(model, area)
        .panes
        .into_iter()
        .find(|(p, _)| *p == pane)
    else {
        return 0;
    };
    let (_, left, right, inner) = laid_out(pane, &ctx, rect);
    let len = left.len().max(right.len());
    u16::try_from(len.saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX)
}

/// An open lab's pane, wrapped to its area: (lines, inner rect).
fn lab_laid_out(model: &Model, pane: LabPane, rect: Rect) -> (Vec<Line<'static>>, Rect) {
    let t = model.theme.theme();
    let inner = Block::bordered().inner(rect);
    let Some(lab) = model.labs.open_lab() else {
        return (Vec::new(), inner);
    };
    let w = usize::from(inner.width);
    let lines = labs::pane_lines(lab, pane, w, &t);
    // The components wrap their own lines (each kind with its own indent); this only cuts what
    // is still too long.
    (wrap(lines, w, Hang::Fixed(0)), inner)
}

fn lab_rect(model: &Model, pane: LabPane) -> Option<Rect> {
    let area = Rect::new(0, 0, model.size.0, model.size.1);
    areas(model, area)
        .lab_panes
        .into_iter()
        .find(|(p, _)| *p == pane)
        .map(|(_, r)| r)
}

/// How far an open lab's `pane` can scroll at the model's terminal size.
pub fn lab_max_scroll(model: &Model, pane: LabPane) -> u16 {
    let Some(rect) = lab_rect(model, pane) else {
        return 0;
    };
    let (lines, inner) = lab_laid_out(model, pane, rect);
    u16::try_from(lines.len().saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX)
}

/// How many rows a page is for an open lab's `pane`.
pub fn lab_page(model: &Model, pane: LabPane) -> u16 {
    lab_rect(model, pane).map_or(10, |r| r.height.saturating_sub(3).max(1))
}

/// Which of an open lab's panes (or pane tabs) is at a screen position.
pub fn lab_pane_at(model: &Model, column: u16, row: u16) -> Option<LabPane> {
    let area = Rect::new(0, 0, model.size.0, model.size.1);
    let a = areas(model, area);
    let pos = ratatui::layout::Position::new(column, row);
    if let Some(tr) = a.lab_tabs {
        if tr.contains(pos) {
            return tabs::hits(tr, model.labs.pane)
                .into_iter()
                .find(|(_, r)| r.contains(pos))
                .map(|(p, _)| p);
        }
    }
    a.lab_panes
        .into_iter()
        .find(|(_, r)| r.contains(pos))
        .map(|(p, _)| p)
}

/// A pane's frame: its title (`▶` when focused, and a note), and a bottom line that says how
/// much more there is. Returns the frame and the scroll, kept within what there is.
fn pane_block(
    title: &str,
    note: Option<&str>,
    focused: bool,
    (len, height, scroll): (usize, usize, usize),
    rect: Rect,
    t: &Theme,
) -> (Block<'static>, u16) {
    let max = len.saturating_sub(height);
    let scroll = scroll.min(max);
    let mut title = format!(" {}{title} ", if focused { "▶ " } else { "" });
    if let Some(note) = note {
        title.push_str(&format!("· {note} "));
    }
    let title = truncate(&title, usize::from(rect.width.saturating_sub(2)));
    let mut block = Block::bordered()
        .title(Line::styled(title, if focused { t.title } else { t.dim }))
        .border_style(if focused { t.border_focused } else { t.border })
        .style(t.base);
    if max > 0 {
        let more = if scroll < max {
            format!(" ↓ more · {}/{} ", scroll + height, len)
        } else {
            format!(" end · {len} lines ")
        };
        block = block.title_bottom(Line::styled(more, t.dim).right_aligned());
    }
    (block, u16::try_from(scroll).unwrap_or(u16::MAX))
}

fn render_lab(model: &Model, t: &Theme, a: &Areas, frame: &mut Frame<'_>) {
    if let Some(tr) = a.lab_tabs {
        tabs::render(model.labs.pane, &|_| true, t, tr, frame);
    }
    for (pane, rect) in &a.lab_panes {
        let (lines, inner) = lab_laid_out(model, *pane, *rect);
        let note = match pane {
            LabPane::Text => model
                .labs
                .open_lab()
                .map(|l| format!("{} · a {} lab", l.number, l.kind)),
            _ => None,
        };
        let (block, scroll) = pane_block(
            pane.title(),
            note.as_deref(),
            model.labs.pane == *pane,
            (
                lines.len(),
                usize::from(inner.height),
                usize::from(model.labs.scroll[pane.index()]),
            ),
            *rect,
            t,
        );
        frame.render_widget(block, *rect);
        frame.render_widget(
            Paragraph::new(lines).scroll((scroll, 0)).style(t.base),
            inner,
        );
    }
}

/// How many rows a page is for `pane`.
pub fn page(model: &Model, pane: Pane) -> u16 {
    let area = Rect::new(0, 0, model.size.0, model.size.1);
    areas(model, area)
        .panes
        .into_iter()
        .find(|(p, _)| *p == pane)
        .map_or(10, |(_, r)| r.height.saturating_sub(3).max(1))
}

fn render_pane(
    model: &Model,
    ctx: &StepCtx<'_>,
    pane: Pane,
    rect: Rect,
    t: &Theme,
    frame: &mut Frame<'_>,
) {
    let (content, left, right, inner) = laid_out(pane, ctx, rect);
    let len = left.len().max(right.len());
    let (block, scroll) = pane_block(
        pane.title(),
        content.title_note.as_deref(),
        model.pane == pane,
        (
            len,
            usize::from(inner.height),
            usize::from(model.scroll_of(pane)),
        ),
        rect,
        t,
    );
    frame.render_widget(block, rect);
    match content.beside {
        _ if !right.is_empty() => {
            let left_w = left
                .iter()
                .map(crate::text::line_width)
                .max()
                .unwrap_or(0)
                .min(usize::from(inner.width));
            let left_w = u16::try_from(left_w).unwrap_or(0);
            let (l, r) = split_h(inner, left_w + 2);
            frame.render_widget(Paragraph::new(left).scroll((scroll, 0)).style(t.base), l);
            frame.render_widget(Paragraph::new(right).scroll((scroll, 0)).style(t.base), r);
        }
        _ => frame.render_widget(
            Paragraph::new(left).scroll((scroll, 0)).style(t.base),
            inner,
        ),
    }
}

fn render_footer(model: &Model, t: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let ctx = context(model);
    if ctx == Context::Search {
        let (l, r) = split_h(area, area.width / 2);
        let prompt = Line::from(vec![
            Span::styled(" search headers: /", t.key),
            Span::styled(format!("{}▏", model.search.query), t.base),
        ]);
        frame.render_widget(Paragraph::new(prompt).style(t.base), l);
        footer::render(ctx, t, r, frame);
    } else {
        footer::render(ctx, t, area, frame);
    }
}

/// Draws the model. Reads nothing but the model and the frame's size.
pub fn render(model: &Model, frame: &mut Frame<'_>) {
    let t = model.theme.theme();
    let area = frame.area();
    frame.render_widget(Block::new().style(t.base), area);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!(
            "The terminal is {}x{}: s3lab needs at least {}x{}. Make it bigger, or press q to quit.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        let lines = wrap(
            vec![Line::styled(msg, t.warn)],
            usize::from(area.width),
            Hang::Fixed(0),
        );
        frame.render_widget(Paragraph::new(lines).style(t.base), area);
        return;
    }
    let a = areas(model, area);
    header::render(model, &t, a.header, frame);
    match model.screen {
        Screen::List => {
            if let Some(r) = a.list {
                list::render_list(model, &t, a.summaries, r, frame);
            }
            if let Some(r) = a.details {
                list::render_details(model, &t, r, frame);
            }
        }
        Screen::Steps => {
            if let Some(e) = model.open_entry() {
                match &e.load {
                    Load::Queued | Load::Running => notice::waiting(e.scenario, &t, a.body, frame),
                    Load::Failed(why) => notice::failed(e.scenario, why, &t, a.body, frame),
                    Load::Ready(_) => render_steps(model, &t, &a, frame),
                }
            }
        }
        Screen::Playground => {
            if let Some(r) = a.form {
                let focused = model.playground.editing.is_some() || !model.focus_mode;
                form::render(&model.playground, focused, a.form_two_columns, &t, r, frame);
            }
            render_steps(model, &t, &a, frame);
        }
        Screen::Labs if model.labs.open => render_lab(model, &t, &a, frame),
        Screen::Labs => {
            if let Some(r) = a.list {
                labs::render_list(&model.labs, &t, r, frame);
            }
            if let Some(r) = a.details {
                labs::render_details(&model.labs, &t, r, frame);
            }
        }
    }
    render_footer(model, &t, a.footer, frame);
    if let Some(scroll) = model.help {
        help::render(scroll, &t, area, frame);
    }
}

fn render_steps(model: &Model, t: &Theme, a: &Areas, frame: &mut Frame<'_>) {
    let Some(ctx) = step_ctx(model, t) else {
        // The playground before its first answer.
        let Some(first) = a.panes.first() else {
            return;
        };
        let area = a.panes.iter().fold(first.1, |acc, (_, r)| acc.union(*r));
        if let Some(tr) = a.tabs {
            tabs::render(model.pane, &|_| false, t, tr, frame);
        }
        let lines = vec![
            Line::styled("Nothing sent yet.", t.title),
            Line::default(),
            Line::styled(
                "Choose an operation and its options in the form (↑↓ to move, ←→ to change, Enter \
                 to type), then press s to send it. The answer appears here in the same panes as \
                 the scenarios: Request, Response, Keys, At rest, Wire, Audit and Note.",
                t.base,
            ),
            Line::default(),
            Line::styled(
                "Try: SSE-C over HTTP, reader with SSE-KMS, a GET of a key that does not exist.",
                t.dim,
            ),
        ];
        let block = Block::bordered()
            .title(Line::styled(" Answer ", t.dim))
            .border_style(t.border)
            .style(t.base);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(wrap(lines, usize::from(inner.width), Hang::Fixed(0))).style(t.base),
            inner,
        );
        return;
    };
    if let Some(tr) = a.tabs {
        let has = |p: Pane| components::pane_has_content(p, &ctx);
        tabs::render(model.pane, &has, t, tr, frame);
    }
    for (pane, rect) in &a.panes {
        render_pane(model, &ctx, *pane, *rect, t, frame);
    }
}

/// Which pane of the current layout is at a screen position.
pub fn pane_at(model: &Model, column: u16, row: u16) -> Option<Pane> {
    let area = Rect::new(0, 0, model.size.0, model.size.1);
    let a = areas(model, area);
    let pos = ratatui::layout::Position::new(column, row);
    if let Some(tr) = a.tabs {
        if tr.contains(pos) {
            return tabs::hits(tr, model.pane)
                .into_iter()
                .find(|(_, r)| r.contains(pos))
                .map(|(p, _)| p);
        }
    }
    a.panes
        .into_iter()
        .find(|(_, r)| r.contains(pos))
        .map(|(p, _)| p)
}
