//! Output: aligned tables for people, JSON and CSV for programs.
//!
//! Tables handle Chinese widths (comfy-table measures display width) and are coloured
//! only on a terminal with NO_COLOR unset. JSON keys and CSV columns are stable.

use crate::judge::task::Light;
use anyhow::Result;
use clap::ValueEnum;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde::Serialize;
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Whether stdout gets colour: a terminal, and NO_COLOR unset or empty.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A row that can be shown in every format.
pub trait Row: Serialize {
    /// CSV header: the same keys as the JSON objects.
    const KEYS: &'static [&'static str];
    fn record(&self) -> Vec<String>;
    /// Human column headers and cells for the table, which may show fewer columns.
    fn table_header() -> Vec<&'static str>;
    fn table_cells(&self) -> Vec<String>;
    fn light(&self) -> Option<Light> {
        None
    }
}

pub fn table<R: Row>(rows: &[R]) -> String {
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(R::table_header());
    let colour = colour();
    if !colour {
        t.force_no_tty();
    }
    for r in rows {
        let fg = match r.light() {
            Some(Light::Red) => Some(Color::Red),
            Some(Light::Yellow) => Some(Color::Yellow),
            Some(Light::Green) => Some(Color::Green),
            None => None,
        };
        t.add_row(r.table_cells().into_iter().enumerate().map(|(i, c)| {
            let cell = Cell::new(c);
            match fg {
                Some(fg) if colour && i == 0 => cell.fg(fg),
                _ => cell,
            }
        }));
    }
    format!("{t}\n")
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

pub fn csv<R: Row>(rows: &[R]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(R::KEYS)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

pub fn rows<R: Row>(rows: &[R], format: Format) -> Result<String> {
    match format {
        Format::Table => Ok(table(rows)),
        Format::Json => json(rows),
        Format::Csv => csv(rows),
    }
}

pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A number as people write it: 37, 17.66.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(v) if (v - v.round()).abs() < 1e-9 => format!("{}", v.round() as i64),
        Some(v) => format!("{v:.2}"),
    }
}

/// The light as a word a printed page keeps: 红/黄/绿 carries no colour on paper.
pub fn light_word(l: Light) -> &'static str {
    match l {
        Light::Red => "red",
        Light::Yellow => "yellow",
        Light::Green => "green",
    }
}
pub mod rows;
