//! Diagnostics for bad input: `file:line:column`, the offending line, a caret, and what
//! to do. Every error in user files is collected as a [`Diagnostic`] so that one run
//! reports all of them; [`BadInput`] carries them to `main`, which exits with status 2.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt;
use std::ops::Range;

/// A text file being read, able to turn byte offsets into lines and columns.
pub struct Source {
    /// The path as shown to people: relative to the workspace.
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(path: impl Into<String>, text: String) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// A diagnostic pointing at the bytes `span` of this file.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let start = span.start.min(self.text.len());
        let line_idx = match self.line_starts.binary_search(&start) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_idx];
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        // A span may start on the line's ending (a parser reporting a missing quote at the
        // `\r` of CRLF) or inside a character: mark the nearest place in the shown text.
        let from = char_boundary(line_text, start - line_start, false);
        let to = char_boundary(line_text, span.end.saturating_sub(line_start), true).max(from);
        Diagnostic {
            path: self.path.clone(),
            line: line_idx + 1,
            col: line_text[..from].chars().count() + 1,
            line_text: line_text.to_string(),
            span: from..to,
            message: message.into(),
            label: String::new(),
            help: None,
        }
    }

    /// A diagnostic pointing at field `index` (0-based) of the CSV record on `line`.
    pub fn csv_error(&self, line: usize, index: usize, message: impl Into<String>) -> Diagnostic {
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let rest = &self.text[start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        let fields = csv_field_spans(rest[..line_len].trim_end_matches('\r'));
        let span = fields.get(index).cloned().unwrap_or(line_len..line_len);
        self.error(start + span.start..start + span.end, message)
    }
}

/// `at` moved to the start (or, `forward`, the end) of its character, and to the end of
/// `s` at most.
fn char_boundary(s: &str, at: usize, forward: bool) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        if forward {
            at += 1;
        } else {
            at -= 1;
        }
    }
    at
}

/// Byte ranges of the fields of one CSV line, honouring double quotes.
fn csv_field_spans(line: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                spans.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    spans.push(start..line.len());
    spans
}

/// One problem in a user's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub line_text: String,
    /// Byte range within `line_text`.
    pub span: Range<usize>,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem with a whole file (unreadable, not UTF-8) rather than a place in it.
    pub fn file(path: impl Into<String>, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line,
            col: 1,
            line_text: String::new(),
            span: 0..0,
            message: message.into(),
            label: String::new(),
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Renders with the offending line and a caret; `styled` adds colour.
    pub fn render(&self, styled: bool) -> String {
        let title = format!("{}:{}:{}: {}", self.path, self.line, self.col, self.message);
        let first = if self.line_text.is_empty() {
            Group::with_title(Level::ERROR.primary_title(&title))
        } else {
            // A caret needs at least one character; point at the line's end if empty.
            let span = if self.span.is_empty() {
                let end = self.line_text[self.span.start..]
                    .chars()
                    .next()
                    .map_or(self.span.start, |c| self.span.start + c.len_utf8());
                self.span.start..end
            } else {
                self.span.clone()
            };
            Level::ERROR.primary_title(&title).element(
                Snippet::source(&self.line_text)
                    .line_start(self.line)
                    .path(&self.path)
                    .annotation(AnnotationKind::Primary.span(span).label(&self.label)),
            )
        };
        let mut report = vec![first];
        if let Some(help) = &self.help {
            report.push(Group::with_title(Level::HELP.secondary_title(help)));
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&report).to_string()
    }
}

/// Bad input found in the workspace: every problem of the run, in file order.
#[derive(Debug)]
pub struct BadInput(pub Vec<Diagnostic>);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the workspace; nothing was changed",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for BadInput {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = Source::new("a.toml", "x = 1\nname = \"思明区\" # 注\n".to_string());
        let at = src.text.find("思明区").unwrap();
        let d = src.error(at..at + "思明区".len(), "bad");
        assert_eq!((d.line, d.col), (2, 9));
        assert_eq!(d.line_text, "name = \"思明区\" # 注");
        assert_eq!(&d.line_text[d.span.clone()], "思明区");
    }

    #[test]
    fn csv_fields_are_located_past_quoted_commas() {
        let src = Source::new(
            "p.csv",
            "metric,unit,date,value\r\nx,\"a,b\",2024-01-01,一千二\r\n".to_string(),
        );
        let d = src.csv_error(2, 3, "not a number");
        assert_eq!((d.line, d.col), (2, 20));
        assert_eq!(&d.line_text[d.span.clone()], "一千二");
    }

    #[test]
    fn a_span_on_a_crlf_line_ending_points_past_the_text() {
        let src = Source::new("a.toml", "a = 1\r\ntitle = \"思明\r\nb = 2\r\n".to_string());
        let cr = src.text.find("\r\nb").unwrap();
        for at in [cr, cr + 1] {
            let d = src.error(at..at + 1, "missing quote");
            assert_eq!((d.line, d.col), (2, 12), "at {at}");
            assert_eq!(d.span, 15..15);
            assert!(d.render(false).contains("a.toml:2:12: missing quote"));
        }
    }

    #[test]
    fn a_span_inside_a_character_marks_the_whole_character() {
        let src = Source::new("a.toml", "name = \"思明\"\n".to_string());
        let d = src.error(9..10, "bad");
        assert_eq!((d.line, d.col), (1, 9));
        assert_eq!(&d.line_text[d.span.clone()], "思");
    }

    #[test]
    fn rendering_names_the_place_and_shows_the_line() {
        let src = Source::new("a.toml", "deadline = \"2024-02-30\"\n".to_string());
        let d = src
            .error(11..23, "not a real day")
            .label("2024-02 has 29 days")
            .help("write the last day of the month");
        let out = d.render(false);
        assert!(out.contains("a.toml:1:12: not a real day"), "{out}");
        assert!(out.contains("deadline = \"2024-02-30\""), "{out}");
        assert!(out.contains("^^^^^^^^^^^^"), "{out}");
        assert!(
            out.contains("help: write the last day of the month"),
            "{out}"
        );
    }
}
