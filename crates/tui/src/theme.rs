//! Themes: dark, light and high-contrast.
//!
//! Colour is never the only carrier of meaning: every coloured thing also has a mark (`»` for an
//! SSE header, `Δ` for a changed one, `✓`/`✗` for checks, a labelled line above each region of a
//! blob, `▶` on the focused pane). A theme only chooses how loud those things are.

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Serialize};

/// The themes, in the order `t` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    HighContrast,
}

impl ThemeName {
    pub const ALL: [ThemeName; 3] = [ThemeName::Dark, ThemeName::Light, ThemeName::HighContrast];

    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::HighContrast => "high-contrast",
        }
    }

    pub fn parse(name: &str) -> Option<ThemeName> {
        ThemeName::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn next(self) -> ThemeName {
        match self {
            ThemeName::Dark => ThemeName::Light,
            ThemeName::Light => ThemeName::HighContrast,
            ThemeName::HighContrast => ThemeName::Dark,
        }
    }

    pub fn theme(self) -> Theme {
        match self {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::HighContrast => Theme::high_contrast(),
        }
    }
}

/// The styles the components draw with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub key: Style,
    /// S3's server-side-encryption headers (also marked `»`).
    pub sse: Style,
    /// Headers that changed since the previous exchange (also marked `Δ`).
    pub changed: Style,
    pub ok: Style,
    pub fail: Style,
    pub warn: Style,
    pub code: Style,
    /// Regions of a blob at rest (each also has a labelled line).
    pub region_header: Style,
    pub region_nonce: Style,
    pub region_ciphertext: Style,
    pub region_tag: Style,
    pub region_plain: Style,
    /// Where a key lives, in the key hierarchy.
    pub key_aws: Style,
    pub key_kms: Style,
    pub key_customer: Style,
    pub key_client: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        let base = Style::new().fg(Color::Gray).bg(Color::Black);
        Theme {
            base,
            dim: base.fg(Color::DarkGray),
            title: base.fg(Color::White).add_modifier(Modifier::BOLD),
            border: base.fg(Color::DarkGray),
            border_focused: base.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().fg(Color::Black).bg(Color::Cyan),
            key: base.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            sse: base.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            changed: base.fg(Color::Magenta),
            ok: base.fg(Color::Green).add_modifier(Modifier::BOLD),
            fail: base.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: base.fg(Color::Yellow),
            code: base.fg(Color::LightBlue),
            region_header: base.fg(Color::Blue),
            region_nonce: base.fg(Color::Yellow),
            region_ciphertext: base.fg(Color::LightRed),
            region_tag: base.fg(Color::Green),
            region_plain: base.fg(Color::White).add_modifier(Modifier::UNDERLINED),
            key_aws: base.fg(Color::LightYellow),
            key_kms: base.fg(Color::LightMagenta),
            key_customer: base.fg(Color::LightCyan),
            key_client: base.fg(Color::LightGreen),
        }
    }

    pub fn light() -> Theme {
        let base = Style::new().fg(Color::Black).bg(Color::White);
        Theme {
            base,
            dim: base.fg(Color::DarkGray),
            title: base.fg(Color::Black).add_modifier(Modifier::BOLD),
            border: base.fg(Color::Gray),
            border_focused: base.fg(Color::Blue).add_modifier(Modifier::BOLD),
            selected: Style::new().fg(Color::White).bg(Color::Blue),
            key: base.fg(Color::Blue).add_modifier(Modifier::BOLD),
            sse: base.fg(Color::Rgb(150, 75, 0)).add_modifier(Modifier::BOLD),
            changed: base.fg(Color::Magenta),
            ok: base.fg(Color::Rgb(0, 110, 0)).add_modifier(Modifier::BOLD),
            fail: base.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: base.fg(Color::Rgb(150, 75, 0)),
            code: base.fg(Color::Blue),
            region_header: base.fg(Color::Blue),
            region_nonce: base.fg(Color::Rgb(150, 75, 0)),
            region_ciphertext: base.fg(Color::Red),
            region_tag: base.fg(Color::Rgb(0, 110, 0)),
            region_plain: base.fg(Color::Black).add_modifier(Modifier::UNDERLINED),
            key_aws: base.fg(Color::Rgb(150, 75, 0)),
            key_kms: base.fg(Color::Magenta),
            key_customer: base.fg(Color::Blue),
            key_client: base.fg(Color::Rgb(0, 110, 0)),
        }
    }

    /// Black and white with yellow and cyan accents, everything that matters in bold.
    pub fn high_contrast() -> Theme {
        let base = Style::new().fg(Color::White).bg(Color::Black);
        let loud = base.add_modifier(Modifier::BOLD);
        Theme {
            base,
            dim: base,
            title: loud.add_modifier(Modifier::UNDERLINED),
            border: base,
            border_focused: loud.fg(Color::Yellow),
            selected: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            key: loud.fg(Color::Yellow),
            sse: loud.fg(Color::Yellow).add_modifier(Modifier::UNDERLINED),
            changed: loud.fg(Color::Cyan),
            ok: loud.fg(Color::Cyan),
            fail: loud.fg(Color::Yellow).add_modifier(Modifier::REVERSED),
            warn: loud.fg(Color::Yellow),
            code: loud.fg(Color::Cyan),
            region_header: base,
            region_nonce: loud.fg(Color::Cyan),
            region_ciphertext: loud.fg(Color::Yellow),
            region_tag: loud.fg(Color::Cyan).add_modifier(Modifier::UNDERLINED),
            region_plain: loud.add_modifier(Modifier::UNDERLINED),
            key_aws: loud.fg(Color::Yellow),
            key_kms: loud.fg(Color::Cyan),
            key_customer: loud,
            key_client: loud.fg(Color::Yellow),
        }
    }
}
