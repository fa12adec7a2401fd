//! Parse and validate: workspace files → definitions and progress, with every problem
//! located at `file:line:column`.

pub mod defs;
pub mod progress;
pub mod returns;

use crate::diag::{Diagnostic, Source};
use crate::judge::deadline::Deadline;
use chrono::NaiveDate;
use toml::Spanned;

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
