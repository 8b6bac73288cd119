//! Text helpers: word wrapping of styled lines, truncation, pretty XML, and humane sentences.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The display width of `s`.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The display width of a line.
pub fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|s| width(&s.content)).sum()
}

/// `s` cut to `max` columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// How far wrapped lines are indented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hang {
    /// Always this many columns.
    Fixed(usize),
    /// The line's own leading spaces, plus this many columns.
    Leading(usize),
}

impl Default for Hang {
    fn default() -> Self {
        Hang::Leading(0)
    }
}

/// Word-wraps styled lines to `max` columns. Continuation lines are indented as `hang` says (kept
/// below half of `max`); words longer than a line are cut. Lines that fit are kept as they are.
pub fn wrap(lines: Vec<Line<'static>>, max: usize, hang: Hang) -> Vec<Line<'static>> {
    let max = max.max(1);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line_width(&line) <= max {
            out.push(line);
            continue;
        }
        let hang = match hang {
            Hang::Fixed(n) => n,
            Hang::Leading(n) => {
                let text = line.to_string();
                text.len() - text.trim_start_matches(' ').len() + n
            }
        }
        .min(max / 2);
        let line_style = line.style;
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
            .collect();
        // Words: runs of non-spaces with the spaces that follow them.
        let mut words: Vec<&[(char, Style)]> = Vec::new();
        let mut start = 0;
        for i in 1..=cells.len() {
            let boundary = i == cells.len() || (cells[i - 1].0 == ' ' && cells[i].0 != ' ');
            if boundary {
                words.push(&cells[start..i]);
                start = i;
            }
        }
        let mut current: Vec<(char, Style)> = Vec::new();
        let mut cur_w = 0;
        // Where the text of the current line starts: a line is never broken before it.
        let mut start_w = cells.iter().take_while(|(c, _)| *c == ' ').count();
        let flush = |current: &mut Vec<(char, Style)>, out: &mut Vec<Line<'static>>| {
            while current.last().is_some_and(|(c, _)| *c == ' ') {
                current.pop();
            }
            let mut l = spans_of(current);
            l.style = line_style;
            out.push(l);
            current.clear();
        };
        for word in words {
            let word_w: usize = word
                .iter()
                .filter(|(c, _)| *c != ' ')
                .map(|(c, _)| c.width().unwrap_or(0))
                .sum();
            let limit = max;
            if cur_w + word_w > limit && cur_w > start_w {
                flush(&mut current, &mut out);
                current.extend(std::iter::repeat_n((' ', Style::default()), hang));
                cur_w = hang;
                start_w = hang;
            }
            for &(c, st) in word {
                let cw = c.width().unwrap_or(0);
                if cur_w + cw > limit {
                    if c == ' ' {
                        continue;
                    }
                    flush(&mut current, &mut out);
                    start_w = hang;
                    current.extend(std::iter::repeat_n((' ', Style::default()), hang));
                    cur_w = hang;
                }
                current.push((c, st));
                cur_w += cw;
            }
        }
        if !current.is_empty() {
            flush(&mut current, &mut out);
        }
    }
    out
}

/// Cells back to spans, merging runs of one style.
fn spans_of(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style: Option<Style> = None;
    for &(c, st) in cells {
        if style != Some(st) {
            if let Some(s) = style {
                spans.push(Span::styled(std::mem::take(&mut text), s));
            }
            style = Some(st);
        }
        text.push(c);
    }
    if let Some(s) = style {
        spans.push(Span::styled(text, s));
    }
    Line::from(spans)
}

/// A sentence for a person: first letter capital, a full stop at the end.
pub fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    let mut out = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// `text` with `code spans` styled as code (the backticks kept, so the meaning survives without
/// colour).
pub fn with_code(text: &str, base: Style, code: Style) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        if i % 2 == 1 {
            spans.push(Span::styled(format!("`{part}`"), code));
        } else {
            spans.push(Span::styled(part.to_owned(), base));
        }
    }
    Line::from(spans)
}

/// XML pretty-printed, one element per line, indented by two spaces; text that is not XML is
/// returned as its lines.
pub fn pretty_xml(xml: &str) -> Vec<String> {
    let trimmed = xml.trim();
    if !trimmed.starts_with('<') {
        return trimmed.lines().map(str::to_owned).collect();
    }
    // Tokens: tags and text between them.
    let mut tokens: Vec<&str> = Vec::new();
    let mut rest = trimmed;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    tokens.push(&rest[..=end]);
                    rest = &rest[end + 1..];
                }
                None => {
                    tokens.push(rest);
                    rest = "";
                }
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = rest[..end].trim();
            if !text.is_empty() {
                tokens.push(text);
            }
            rest = &rest[end..];
        }
    }
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let pad = "  ".repeat(depth);
        if t.starts_with("<?") || t.starts_with("<!") || t.ends_with("/>") {
            out.push(format!("{pad}{t}"));
        } else if t.starts_with("</") {
            depth = depth.saturating_sub(1);
            out.push(format!("{}{t}", "  ".repeat(depth)));
        } else if t.starts_with('<') {
            // <a>text</a> on one line.
            let text = tokens.get(i + 1).filter(|n| !n.starts_with('<'));
            let close = tokens.get(i + 2).filter(|n| n.starts_with("</"));
            match (text, close) {
                (Some(text), Some(close)) => {
                    out.push(format!("{pad}{t}{text}{close}"));
                    i += 2;
                }
                _ if tokens.get(i + 1).is_some_and(|n| n.starts_with("</")) => {
                    out.push(format!("{pad}{t}{}", tokens[i + 1]));
                    i += 1;
                }
                _ => {
                    out.push(format!("{pad}{t}"));
                    depth += 1;
                }
            }
        } else {
            out.push(format!("{pad}{t}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_indented() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a</Key><Empty></Empty></Error>";
        assert_eq!(
            pretty_xml(xml),
            vec![
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<Error>",
                "  <Code>NoSuchKey</Code>",
                "  <Message>The specified key does not exist.</Message>",
                "  <Key>a</Key>",
                "  <Empty></Empty>",
                "</Error>",
            ]
        );
    }

    #[test]
    fn wrap_keeps_words_and_styles() {
        let line = Line::from(vec![
            Span::raw("hello "),
            Span::styled("wide", Style::new().bold()),
            Span::raw(" world"),
        ]);
        let out = wrap(vec![line], 11, Hang::Fixed(2));
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["hello wide", "  world"]);
        let cut = wrap(vec![Line::raw("abcdefghij")], 4, Hang::Fixed(0));
        let text: Vec<String> = cut.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn sentences_and_truncation() {
        assert_eq!(
            sentence("this scenario is not written yet"),
            "This scenario is not written yet."
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
