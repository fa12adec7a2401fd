//! Parse and validate: workspace files → definitions and progress, with every problem
//! located at `file:line:column`.

pub mod defs;
pub mod progress;

use crate::diag::{Diagnostic, Source};
use crate::judge::deadline::Deadline;
use chrono::NaiveDate;
use toml::Spanned;

/// A deadline written as a TOML date (2024-05-31), a string ("2024-05", "2025") or a
/// bare year (2025); returns the due date.
pub fn deadline_of(src: &Source, v: &Spanned<toml::Value>) -> Result<NaiveDate, Diagnostic> {
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(y) => y.to_string(),
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
        other => {
            return Err(src
                .error(
                    v.span(),
                    format!("expected a date, found {}", other.type_str()),
                )
                .help("write \"2024-05\" (end of May 2024), 2024-05-31, or \"2025\""));
        }
    };
    Deadline::parse(&text).map(Deadline::due).map_err(|m| {
        src.error(v.span(), m)
            .help("write \"2024-05\" (end of May 2024), 2024-05-31, or \"2025\"")
    })
}

/// An exact day: a TOML date or a "YYYY-MM-DD" string.
pub fn date_of(src: &Source, v: &Spanned<toml::Value>) -> Result<NaiveDate, Diagnostic> {
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
        other => {
            return Err(src
                .error(
                    v.span(),
                    format!("expected a date, found {}", other.type_str()),
                )
                .help("write the day as YYYY-MM-DD"));
        }
    };
    day(&text).map_err(|m| src.error(v.span(), m).help("write the day as YYYY-MM-DD"))
}

/// A "YYYY-MM-DD" day, checked to exist.
pub fn day(text: &str) -> Result<NaiveDate, String> {
    match Deadline::parse(text)? {
        Deadline::Day(d) => Ok(d),
        _ => Err(format!("`{text}` is not a day: write YYYY-MM-DD")),
    }
}
