//! Progress files: status events and observations, in CSV or TOML.
//!
//! A CSV file says what it holds by its header (a `status` column: events; a `metric`
//! column: observations). Every row is checked against the known units, metrics and task
//! instances; a file with any bad row is rejected whole.

use super::{day, toml_error};
use crate::diag::{Diagnostic, Source};
use crate::model::{POPULATION, Progress};
use crate::registry::{Registry, Unresolved};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::ops::Range;
use toml::Spanned;

/// The questions checking a progress row asks of what is defined. The catalogue in memory
/// answers them without fail; the index answers each with a query, so that checking one
/// file reads only what that file refers to.
pub trait Lookup {
    type Error;
    /// The id of the unit a reference names, by id or by a Chinese name only it has.
    fn unit(&self, reference: &str) -> Result<Result<String, Unresolved>, Self::Error>;
    fn has_metric(&self, id: &str) -> Result<bool, Self::Error>;
    /// Whether the policy has a task with any instance.
    fn has_policy(&self, policy: &str) -> Result<bool, Self::Error>;
    /// Whether the task has any instance.
    fn has_task(&self, policy: &str, task: &str) -> Result<bool, Self::Error>;
    fn has_instance(&self, policy: &str, task: &str, unit: &str) -> Result<bool, Self::Error>;
    /// The units carrying out a task, as (id, name) in the registry's order.
    fn task_units(&self, policy: &str, task: &str) -> Result<Vec<(String, String)>, Self::Error>;
}

/// What progress rows are checked against, held in memory.
pub struct Catalog {
    pub registry: Registry,
    /// (policy, task) → the units it has an instance in.
    pub tasks: HashMap<(String, String), Vec<String>>,
}

impl Catalog {
    fn units_of(&self, policy: &str, task: &str) -> Option<&Vec<String>> {
        self.tasks.get(&(policy.to_string(), task.to_string()))
    }
}

impl Lookup for Catalog {
    type Error = Infallible;

    fn unit(&self, reference: &str) -> Result<Result<String, Unresolved>, Infallible> {
        Ok(self.registry.resolve(reference).map(|u| u.id.clone()))
    }

    fn has_metric(&self, id: &str) -> Result<bool, Infallible> {
        Ok(self.registry.metric(id).is_some())
    }

    fn has_policy(&self, policy: &str) -> Result<bool, Infallible> {
        Ok(self.tasks.keys().any(|(p, _)| p == policy))
    }

    fn has_task(&self, policy: &str, task: &str) -> Result<bool, Infallible> {
        Ok(self.units_of(policy, task).is_some())
    }

    fn has_instance(&self, policy: &str, task: &str, unit: &str) -> Result<bool, Infallible> {
        Ok(self
            .units_of(policy, task)
            .is_some_and(|units| units.iter().any(|u| u == unit)))
    }

    fn task_units(&self, policy: &str, task: &str) -> Result<Vec<(String, String)>, Infallible> {
        Ok(self
            .units_of(policy, task)
            .into_iter()
            .flatten()
            .map(|u| (u.clone(), self.registry.name(u).to_string()))
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub line: usize,
    pub policy: String,
    pub task: String,
    pub unit: String,
    pub date: NaiveDate,
    pub status: Progress,
    pub note: String,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub line: usize,
    pub metric: String,
    pub unit: String,
    pub date: NaiveDate,
    pub value: f64,
    pub source: String,
}

#[derive(Debug, Default)]
pub struct ProgressRows {
    pub events: Vec<EventRow>,
    pub observations: Vec<ObservationRow>,
}

pub const EVENT_COLUMNS: [&str; 7] = [
    "policy", "task", "unit", "date", "status", "note", "evidence",
];
pub const OBSERVATION_COLUMNS: [&str; 5] = ["metric", "unit", "date", "value", "source"];

/// Where a value sits in its file.
#[derive(Clone)]
enum Loc {
    Span(Range<usize>),
    Csv { line: usize, index: usize },
}

impl Loc {
    fn error(&self, src: &Source, message: impl Into<String>) -> Diagnostic {
        match self {
            Loc::Span(span) => src.error(span.clone(), message),
            Loc::Csv { line, index } => src.csv_error(*line, *index, message),
        }
    }
}

/// One row's fields by column name, with their places.
struct Row {
    line: usize,
    at: Loc,
    /// (column, text, place), a handful per row: a list is cheaper than a map here.
    cells: Vec<(&'static str, String, Loc)>,
}

impl Row {
    fn get(&self, name: &str) -> (&str, Loc) {
        match self.cells.iter().find(|(c, _, _)| *c == name) {
            Some((_, text, loc)) => (text.trim(), loc.clone()),
            None => ("", self.at.clone()),
        }
    }
}

/// Reads one progress file (`.csv` or `.toml`) and checks every row. Without a catalogue
/// (the definitions have errors of their own) only the rows' own form is checked, so one
/// run still reports every problem it can.
pub fn parse_progress(
    src: &Source,
    catalog: Option<&Catalog>,
) -> Result<ProgressRows, Vec<Diagnostic>> {
    let Ok(checked) = read(src, catalog);
    checked
}

/// As [`parse_progress`], checking every row's references with `lookup`, which may fail
/// (the index, when SQLite does).
pub fn check_progress<L: Lookup>(
    src: &Source,
    lookup: &L,
) -> Result<Result<ProgressRows, Vec<Diagnostic>>, L::Error> {
    read(src, Some(lookup))
}

fn read<L: Lookup>(
    src: &Source,
    lookup: Option<&L>,
) -> Result<Result<ProgressRows, Vec<Diagnostic>>, L::Error> {
    let mut errors = Vec::new();
    let mut rows = ProgressRows::default();
    let tables = if src.path.ends_with(".toml") {
        toml_rows(src, &mut errors)
    } else {
        csv_rows(src, &mut errors)
    };
    for (is_event, row) in tables {
        if is_event {
            if let Some(e) = event(src, &row, lookup, &mut errors)? {
                rows.events.push(e);
            }
        } else if let Some(o) = observation(src, &row, lookup, &mut errors)? {
            rows.observations.push(o);
        }
    }
    Ok(if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    })
}

fn csv_rows(src: &Source, errors: &mut Vec<Diagnostic>) -> Vec<(bool, Row)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(src.text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Vec::new(),
        Some(Err(e)) => {
            errors.push(Diagnostic::file(
                &src.path,
                1,
                format!("cannot read the CSV header: {e}"),
            ));
            return Vec::new();
        }
        Some(Ok(h)) => h,
    };
    let columns: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
    let is_event = columns.iter().any(|c| c == "status");
    let (known, required): (&[&str], &[&str]) = if is_event {
        (&EVENT_COLUMNS, &["policy", "task", "date", "status"])
    } else if columns.iter().any(|c| c == "metric") {
        (&OBSERVATION_COLUMNS, &["metric", "unit", "date", "value"])
    } else {
        errors.push(
            src.csv_error(
                1,
                0,
                "not a progress file: the header has neither `status` nor `metric`",
            )
            .help(format!(
                "events: {}; observations: {}",
                EVENT_COLUMNS.join(","),
                OBSERVATION_COLUMNS.join(",")
            )),
        );
        return Vec::new();
    };
    let mut bad_header = false;
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            errors.push(
                src.csv_error(1, i, format!("column {} has no header", i + 1))
                    .help(format!(
                        "delete the column (a comma at the end of the header makes one), or \
                         head it with one of: {}",
                        known.join(",")
                    )),
            );
            bad_header = true;
        } else if !known.contains(&c.as_str()) {
            errors.push(
                src.csv_error(1, i, format!("unknown column `{c}`"))
                    .help(format!("the columns are: {}", known.join(","))),
            );
            bad_header = true;
        } else if columns[..i].contains(c) {
            errors.push(src.csv_error(1, i, format!("column `{c}` appears twice")));
            bad_header = true;
        }
    }
    for r in required {
        if !columns.iter().any(|c| c == r) {
            errors.push(
                src.csv_error(1, columns.len(), format!("missing column `{r}`"))
                    .help(format!("the columns are: {}", known.join(","))),
            );
            bad_header = true;
        }
    }
    if bad_header {
        return Vec::new();
    }
    let names: Vec<&'static str> = columns
        .iter()
        .filter_map(|c| known.iter().find(|k| **k == c.as_str()).copied())
        .collect();
    let mut out = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| record_line(src, p.byte() as usize));
                errors.push(Diagnostic::file(&src.path, line, format!("bad CSV: {e}")));
                continue;
            }
        };
        let line = rec
            .position()
            .map_or(0, |p| record_line(src, p.byte() as usize));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        // A quote never closed swallows the rest of the file into one field, which then
        // ends the file exactly as written (a closed one would be followed by its quote).
        let last = rec.len().saturating_sub(1);
        if rec
            .get(last)
            .is_some_and(|f| f.contains('\n') && src.text.ends_with(f))
        {
            errors.push(
                src.csv_error(line, last, "this quote is never closed")
                    .label("the rest of the file was read as one field")
                    .help("close the quote, or remove it: quotes are needed only around a field with a comma"),
            );
            continue;
        }
        if rec.len() != columns.len() {
            errors.push(field_count_error(src, line, rec.len(), columns.len()));
            continue;
        }
        let cells = names
            .iter()
            .zip(rec.iter())
            .enumerate()
            .map(|(index, (c, v))| (*c, v.to_string(), Loc::Csv { line, index }))
            .collect();
        out.push((
            is_event,
            Row {
                line,
                at: Loc::Csv { line, index: 0 },
                cells,
            },
        ));
    }
    out
}

/// A row with more or fewer fields than the header, at the first field past the shorter.
fn field_count_error(src: &Source, line: usize, fields: usize, columns: usize) -> Diagnostic {
    let message = format!("this row has {fields} fields but the header has {columns}");
    if fields > columns {
        src.csv_error(line, columns, message)
            .help("quote a field that contains a comma: \"a,b\"")
    } else {
        src.csv_error(line, fields, message)
            .help("give every column a field, an empty one for a blank (two commas in a row: a,,b)")
    }
}

/// The line a CSV record starts on. With CRLF endings the reader's own line count is one
/// short and its offset can sit on the previous line's `\n`, so skip line endings first.
fn record_line(src: &Source, offset: usize) -> usize {
    let skipped = src.text.as_bytes()[offset.min(src.text.len())..]
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    src.line_of(offset + skipped)
}

type TomlTable = BTreeMap<String, Spanned<toml::Value>>;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlProgress {
    #[serde(default)]
    events: Vec<Spanned<TomlTable>>,
    #[serde(default)]
    observations: Vec<Spanned<TomlTable>>,
}

fn toml_rows(src: &Source, errors: &mut Vec<Diagnostic>) -> Vec<(bool, Row)> {
    let parsed: TomlProgress = match toml::from_str(&src.text) {
        Ok(p) => p,
        Err(e) => {
            errors.push(toml_error(
                src,
                &e,
                "a progress file holds [[events]] and [[observations]] tables",
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (is_event, tables, known) in [
        (true, &parsed.events, &EVENT_COLUMNS[..]),
        (false, &parsed.observations, &OBSERVATION_COLUMNS[..]),
    ] {
        for t in tables {
            let at = Loc::Span(t.span());
            let line = src.error(t.span(), "").line;
            let mut cells = Vec::new();
            for (k, v) in t.get_ref() {
                if !known.contains(&k.as_str()) {
                    errors.push(
                        src.error(v.span(), format!("unknown field `{k}`"))
                            .help(format!("the fields are: {}", known.join(", "))),
                    );
                    continue;
                }
                let text = match v.get_ref() {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Datetime(d) => d.to_string(),
                    other => {
                        errors.push(src.error(
                            v.span(),
                            format!(
                                "`{k}` must be text, a number or a date, not {}",
                                other.type_str()
                            ),
                        ));
                        continue;
                    }
                };
                if let Some(name) = known.iter().find(|n| **n == k.as_str()) {
                    cells.push((*name, text, Loc::Span(v.span())));
                }
            }
            out.push((
                is_event,
                Row {
                    line,
                    at: at.clone(),
                    cells,
                },
            ));
        }
    }
    out
}

fn required<'a>(
    src: &Source,
    row: &'a Row,
    name: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<(&'a str, Loc)> {
    let (text, loc) = row.get(name);
    if text.is_empty() {
        errors.push(loc.error(src, format!("`{name}` is missing")));
        return None;
    }
    Some((text, loc))
}

fn date_cell(src: &Source, row: &Row, errors: &mut Vec<Diagnostic>) -> Option<NaiveDate> {
    let (text, loc) = required(src, row, "date", errors)?;
    day(text)
        .map_err(|m| errors.push(loc.error(src, m).help("write the day as YYYY-MM-DD")))
        .ok()
}

fn unit_cell<L: Lookup>(
    src: &Source,
    reference: &str,
    loc: &Loc,
    lookup: &L,
    errors: &mut Vec<Diagnostic>,
) -> Result<Option<String>, L::Error> {
    Ok(match lookup.unit(reference)? {
        Ok(id) => Some(id),
        Err(Unresolved::Unknown) => {
            errors.push(
                loc.error(src, format!("unknown unit `{reference}`"))
                    .help("use a unit id or name from the registry"),
            );
            None
        }
        Err(Unresolved::Ambiguous(ids)) => {
            errors.push(
                loc.error(src, format!("`{reference}` names several units"))
                    .help(format!("use one of their ids: {}", ids.join(", "))),
            );
            None
        }
    })
}

fn event<L: Lookup>(
    src: &Source,
    row: &Row,
    lookup: Option<&L>,
    errors: &mut Vec<Diagnostic>,
) -> Result<Option<EventRow>, L::Error> {
    let before = errors.len();
    let policy = required(src, row, "policy", errors);
    let task = required(src, row, "task", errors);
    let date = date_cell(src, row, errors);
    let status = required(src, row, "status", errors).and_then(|(s, loc)| {
        Progress::parse(s).or_else(|| {
            errors.push(
                loc.error(src, format!("unknown status `{s}`"))
                    .help("use not_started, in_progress or done"),
            );
            None
        })
    });
    let (Some((policy, ploc)), Some((task, tloc)), Some(lookup)) = (policy, task, lookup) else {
        return Ok(None);
    };
    if !lookup.has_task(policy, task)? {
        errors.push(if lookup.has_policy(policy)? {
            tloc.error(src, format!("policy `{policy}` has no task `{task}`"))
                .help("use the task's id from the manifest (e.g. t01, city-1)")
        } else {
            ploc.error(src, format!("unknown policy `{policy}`"))
                .help("use the id in the manifest's [policy] table")
        });
        return Ok(None);
    }
    let (uref, uloc) = row.get("unit");
    let unit = if uref.is_empty() {
        match lookup.task_units(policy, task)?.as_slice() {
            [(only, _)] => Some(only.clone()),
            units => {
                errors.push(
                    uloc.error(
                        src,
                        format!(
                            "task `{task}` is carried out by {} units: name one",
                            units.len()
                        ),
                    )
                    .help(
                        "fill the unit column with the district, town or street the event is for",
                    ),
                );
                None
            }
        }
    } else {
        match unit_cell(src, uref, &uloc, lookup, errors)? {
            Some(u) if lookup.has_instance(policy, task, &u)? => Some(u),
            Some(_) => {
                let names: Vec<String> = lookup
                    .task_units(policy, task)?
                    .into_iter()
                    .map(|(_, name)| name)
                    .collect();
                errors.push(
                    uloc.error(
                        src,
                        format!("task `{policy}/{task}` has no instance for `{uref}`"),
                    )
                    .help(format!("its units are: {}", names.join("、"))),
                );
                None
            }
            None => None,
        }
    };
    if errors.len() > before {
        return Ok(None);
    }
    let (Some(unit), Some(date), Some(status)) = (unit, date, status) else {
        return Ok(None);
    };
    Ok(Some(EventRow {
        line: row.line,
        policy: policy.to_string(),
        task: task.to_string(),
        unit,
        date,
        status,
        note: row.get("note").0.to_string(),
        evidence: row.get("evidence").0.to_string(),
    }))
}

fn observation<L: Lookup>(
    src: &Source,
    row: &Row,
    lookup: Option<&L>,
    errors: &mut Vec<Diagnostic>,
) -> Result<Option<ObservationRow>, L::Error> {
    let before = errors.len();
    let metric = required(src, row, "metric", errors);
    let unit = required(src, row, "unit", errors);
    let date = date_cell(src, row, errors);
    let value = required(src, row, "value", errors).and_then(|(v, loc)| match v.parse::<f64>() {
        Ok(x) if x < 0.0 && metric.as_ref().is_some_and(|(m, _)| *m == POPULATION) => {
            errors.push(
                loc.error(src, "a population cannot be negative")
                    .help("write the resident population (常住人口) as a count of people"),
            );
            None
        }
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            let help = if v.starts_with(['=', '+', '-', '@']) {
                "this looks like a spreadsheet formula: write its result in digits instead"
            } else {
                "write the value in digits, e.g. 1200 (no thousands separators, no units)"
            };
            errors.push(loc.error(src, format!("`{v}` is not a number")).help(help));
            None
        }
    });
    let Some(lookup) = lookup else {
        return Ok(None);
    };
    let metric = match metric {
        Some((m, _)) if lookup.has_metric(m)? => Some(m.to_string()),
        Some((m, loc)) => {
            errors.push(
                loc.error(src, format!("unknown metric `{m}`"))
                    .help("define it in a [[metrics]] table, or correct the id"),
            );
            None
        }
        None => None,
    };
    let unit = match unit {
        Some((u, loc)) => unit_cell(src, u, &loc, lookup, errors)?,
        None => None,
    };
    if errors.len() > before {
        return Ok(None);
    }
    let (Some(metric), Some(unit), Some(date), Some(value)) = (metric, unit, date, value) else {
        return Ok(None);
    };
    Ok(Some(ObservationRow {
        line: row.line,
        metric,
        unit,
        date,
        value,
        source: row.get("source").0.to_string(),
    }))
}
