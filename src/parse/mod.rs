//! Parse and validate: workspace files → definitions and progress, with every problem
//! located at `file:line:column`.

pub mod defs;
pub mod progress;
pub mod returns;

use crate::diag::{Diagnostic, Source};
use crate::judge::deadline::Deadline;
use chrono::NaiveDate;
use toml::Spanned;

/// A TOML file that could not be read, with `help` unless the problem has its own. The
/// parser's words for a repeated key and for deep nesting are put plainly.
pub fn toml_error(src: &Source, e: &toml::de::Error, help: &str) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    match e.message().trim() {
        "duplicate key" => {
            let key = src
                .text
                .get(span.clone())
                .unwrap_or_default()
                .trim_matches(['"', '\'']);
            let d = src.error(span.clone(), format!("duplicate key `{key}`"));
            match first_setting(src, key, span.start) {
                Some(line) => d.label(format!("first set at line {line}")),
                None => d.label("set twice in the same table"),
            }
            .help("a key is set once per table: delete one of the two, or start a new table (e.g. another [[tasks]])")
        }
        "cannot recurse further; max recursion depth met" | "recursion limit" => src
            .error(span, "nested too deeply")
            .label("arrays, tables or dotted keys go more than 80 levels deep")
            .help(help),
        message => src.error(span, message).help(help),
    }
}

/// The line where `key` was first set above `at`: in the same table for a key, anywhere
/// before for a table header such as `[policy]`. A guess from the text, for the label.
fn first_setting(src: &Source, key: &str, at: usize) -> Option<usize> {
    let before = src.text.get(..at)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let header = before[line_start..].trim_start().starts_with('[');
    let lines: Vec<&str> = before[..line_start].lines().collect();
    for (i, line) in lines.iter().enumerate().rev() {
        let t = line.trim();
        if header {
            if t == format!("[{key}]") {
                return Some(i + 1);
            }
        } else if t.starts_with('[') {
            return None;
        } else if let Some((k, _)) = t.split_once('=')
            && k.trim().trim_matches(['"', '\'']) == key
        {
            return Some(i + 1);
        }
    }
    None
}

const DEADLINE_HELP: &str = "write \"2024-05\" (end of May 2024), 2024-05-31, or \"2025\"";
const DAY_HELP: &str = "write the day as YYYY-MM-DD";

/// The text of a date written as a TOML date or a string (and, for deadlines, a bare year).
fn date_text(
    src: &Source,
    v: &Spanned<toml::Value>,
    years: bool,
    help: &str,
) -> Result<String, Diagnostic> {
    match v.get_ref() {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(y) if years => Ok(y.to_string()),
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => Ok(dt.to_string()),
        other => Err(src
            .error(
                v.span(),
                format!("expected a date, found {}", other.type_str()),
            )
            .help(help)),
    }
}

/// A deadline written as a TOML date (2024-05-31), a string ("2024-05", "2025") or a
/// bare year (2025); returns the due date.
pub fn deadline_of(src: &Source, v: &Spanned<toml::Value>) -> Result<NaiveDate, Diagnostic> {
    let text = date_text(src, v, true, DEADLINE_HELP)?;
    Deadline::parse(&text)
        .map(Deadline::due)
        .map_err(|m| src.error(v.span(), m).help(DEADLINE_HELP))
}

/// An exact day: a TOML date or a "YYYY-MM-DD" string.
pub fn date_of(src: &Source, v: &Spanned<toml::Value>) -> Result<NaiveDate, Diagnostic> {
    let text = date_text(src, v, false, DAY_HELP)?;
    day(&text).map_err(|m| src.error(v.span(), m).help(DAY_HELP))
}

/// A "YYYY-MM-DD" day, checked to exist.
pub fn day(text: &str) -> Result<NaiveDate, String> {
    match Deadline::parse(text)? {
        Deadline::Day(d) => Ok(d),
        _ => Err(format!("`{text}` is not a day: write YYYY-MM-DD")),
    }
}
