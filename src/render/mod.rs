//! Output: aligned tables for people, JSON and CSV for programs.
//!
//! Tables handle Chinese widths (comfy-table measures display width) and are coloured
//! only on a terminal with NO_COLOR unset. JSON keys and CSV columns are stable.

use crate::i18n::Lang;
use crate::judge::task::Light;
use anyhow::Result;
use clap::ValueEnum;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde::Serialize;
use std::io::{IsTerminal, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// An Excel workbook: needs --out FILE.
    Xlsx,
}

/// Whether output gets colour: it goes to stdout (`out` is no file), stdout is a terminal,
/// and NO_COLOR is unset or empty.
pub fn colour(out: Option<&std::path::Path>) -> bool {
    out.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A row that can be shown in every format.
pub trait Row: Serialize + Sync {
    /// CSV header: the same keys as the JSON objects.
    const KEYS: &'static [&'static str];
    fn record(&self) -> Vec<String>;
    /// Human column headers and cells for the table, which may show fewer columns.
    fn table_header(lang: Lang) -> Vec<&'static str>;
    fn table_cells(&self, lang: Lang) -> Vec<String>;
    /// Excel column headers for people, one per key, in the order of `KEYS`.
    fn xlsx_header(lang: Lang) -> Vec<&'static str>;
    /// Excel cells in the order of `KEYS`: numbers as numbers, dates as dates, lights and
    /// states as words in `lang`.
    fn xlsx_cells(&self, lang: Lang) -> Vec<xlsx::XlsxValue>;
    fn light(&self) -> Option<Light> {
        None
    }
}

/// An aligned table of `rows`: with `colour` (a terminal, see [`colour`]) comfy-table's,
/// wrapped to the window and with coloured lights; elsewhere the same layout written as it
/// is made (see [`mod@table`]).
pub fn table<R: Row>(rows: &[R], lang: Lang, colour: bool, out: &mut dyn Write) -> Result<()> {
    if !colour {
        let cells_of =
            |rows: &[R]| -> Vec<Vec<String>> { rows.iter().map(|r| r.table_cells(lang)).collect() };
        let (mut cells, second) = crate::halves::in_halves(rows, cells_of);
        cells.extend(second.into_iter().flatten());
        if table::write(&R::table_header(lang), &cells, out)? {
            return Ok(());
        }
    }
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(R::table_header(lang));
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
        t.add_row(r.table_cells(lang).into_iter().enumerate().map(|(i, c)| {
            let cell = Cell::new(c);
            match fg {
                Some(fg) if colour && i == 0 => cell.fg(fg),
                _ => cell,
            }
        }));
    }
    Ok(writeln!(out, "{t}")?)
}

/// Pretty JSON, written as it is made: a province's report is tens of megabytes.
pub fn json<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    Ok(out.write_all(b"\n")?)
}

/// A cell Excel would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return
/// first) gets a leading `'`, which Excel shows as text. Plain numbers such as `-10` are
/// left alone: they are not formulas and must stay numbers.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

pub fn csv<R: Row>(rows: &[R], out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(&mut *out);
    w.write_record(R::KEYS)?;
    w.flush()?;
    drop(w);
    let records = |rows: &[R], out: &mut dyn Write| -> Result<()> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        for r in rows {
            for cell in r.record() {
                w.write_field(neutralise(&cell).as_bytes())?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        Ok(w.flush()?)
    };
    if rows.len() < crate::halves::MANY {
        return records(rows, out);
    }
    let second = write_in_halves(rows, out, records, |rows| {
        let mut bytes = Vec::new();
        records(rows, &mut bytes)?;
        Ok(bytes)
    })?;
    Ok(out.write_all(&second)?)
}

/// Rows as a JSON array, the same bytes as [`json`] writes.
pub fn json_rows<R: Serialize + Sync>(rows: &[R], out: &mut dyn Write) -> Result<()> {
    use serde::ser::{SerializeSeq, Serializer};
    if rows.len() < crate::halves::MANY {
        return json(rows, out);
    }
    // The first half's array is left open: the second half's elements follow.
    let first = |rows: &[R], out: &mut dyn Write| -> Result<()> {
        let mut json = serde_json::Serializer::pretty(out);
        let mut elements = json.serialize_seq(Some(rows.len()))?;
        for r in rows {
            elements.serialize_element(r)?;
        }
        Ok(())
    };
    let second = write_in_halves(rows, out, first, |rows| {
        Ok(serde_json::to_vec_pretty(rows)?)
    })?;
    // An array, "[\n  {..},\n  {..}\n]": its elements are indented as the first half's.
    out.write_all(b",\n")?;
    out.write_all(&second[2..])?;
    Ok(out.write_all(b"\n")?)
}

/// Writes the first half of `rows` to `out` as it is made while the second is made into
/// memory on a thread of its own; returns the second, to be written after the first. A
/// province's `overdue` is 50,000 rows and 30 MB.
fn write_in_halves<R: Sync>(
    rows: &[R],
    out: &mut dyn Write,
    first: impl FnOnce(&[R], &mut dyn Write) -> Result<()>,
    second: impl Fn(&[R]) -> Result<Vec<u8>> + Sync,
) -> Result<Vec<u8>> {
    use crate::halves::{finish, start};
    let (a, b) = rows.split_at(rows.len() / 2);
    std::thread::scope(|scope| {
        let later = start(scope, || second(b));
        let wrote = first(a, out);
        let later = match later {
            Some(later) => finish(later),
            None => second(b),
        };
        wrote.and(later)
    })
}

pub fn rows<R: Row>(
    rows: &[R],
    format: Format,
    lang: Lang,
    colour: bool,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Table => table(rows, lang, colour, out),
        Format::Json => json_rows(rows, out),
        Format::Csv => csv(rows, out),
        Format::Xlsx => {
            anyhow::bail!("an Excel workbook is written to a file: add --out FILE.xlsx")
        }
    }
}

pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A number as people write it: 37, 17.66.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(v) if (v - v.round()).abs() < 1e-9 => format!("{:.0}", v.round() + 0.0),
        Some(v) => format!("{v:.2}"),
    }
}
pub mod html;
pub mod markdown;
pub mod rows;
pub mod table;
pub mod xlsx;

#[cfg(test)]
mod tests {
    use super::{Row, csv, json_rows, neutralise, num};
    use crate::report::UnitSummary;

    #[test]
    fn numbers_are_written_as_people_write_them_at_any_size() {
        let shown: Vec<String> = [37.0, 17.6612, -0.0, -0.000_000_000_1, 1e20, -3.5]
            .map(|v| num(Some(v)))
            .to_vec();
        assert_eq!(
            shown,
            ["37", "17.66", "0", "0", "100000000000000000000", "-3.50"]
        );
        assert_eq!(num(None), "");
    }

    fn summaries(n: usize) -> Vec<UnitSummary> {
        (0..n)
            .map(|i| UnitSummary {
                unit: format!("单位{i}, \"甲\""),
                unit_id: format!("u{i}"),
                tasks: i,
                overdue: i % 7,
                ..UnitSummary::default()
            })
            .collect()
    }

    #[test]
    fn rows_written_in_halves_are_the_bytes_of_rows_written_whole() {
        for n in [0, 1, 1_999, 2_000, 2_001, 5_001] {
            let rows = summaries(n);
            let mut json = Vec::new();
            json_rows(&rows, &mut json).unwrap();
            let whole = serde_json::to_string_pretty(&rows).unwrap() + "\n";
            assert_eq!(String::from_utf8(json).unwrap(), whole, "{n} rows as JSON");

            let mut halves = Vec::new();
            csv(&rows, &mut halves).unwrap();
            let mut w = ::csv::Writer::from_writer(Vec::new());
            w.write_record(UnitSummary::KEYS).unwrap();
            for r in &rows {
                w.write_record(r.record().iter().map(|c| neutralise(c).into_owned()))
                    .unwrap();
            }
            let whole = w.into_inner().unwrap();
            assert_eq!(
                String::from_utf8(halves).unwrap(),
                String::from_utf8(whole).unwrap(),
                "{n} rows as CSV"
            );
        }
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1+1"), "'+1+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("-10"), "-10");
        assert_eq!(neutralise("17.5"), "17.5");
        assert_eq!(neutralise("思明区"), "思明区");
        assert_eq!(neutralise(""), "");
    }
}
