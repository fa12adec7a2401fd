//! Monthly returns (月报) as districts send them: a CSV or Excel `.xlsx` table, read into
//! observations.
//!
//! Two layouts, told apart by the header row. LONG has a column each for the unit, the
//! metric, the date and the value (单位, 指标, 日期, 数值, optionally 备注). WIDE has a
//! column for the unit and one for the date, and one column per metric, headed by the
//! metric's id or Chinese name (社区工作者, 常住人口). The header is the first row with a
//! unit column, so title rows above it (思明区2024年6月社区情况月报) are passed over.
//!
//! Every problem is located by the row number Excel shows and the column's header and
//! letter, and checked against the same catalogue as progress files; a file with any
//! problem yields nothing.

use crate::diag::Diagnostic;
use crate::judge::deadline::Deadline;
use crate::parse::progress::Catalog;
use crate::registry::{Registry, Unresolved};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// One cell as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// An Excel date cell; the time of day, if any, is dropped.
    Date(NaiveDate),
    /// An Excel time-span cell (`[h]:mm`).
    Duration,
    /// An Excel error value such as `#N/A`, or a date Excel cannot show.
    Error(String),
    /// A formula whose value was not saved with the file.
    Formula(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => trim(t).is_empty(),
            _ => false,
        }
    }

    /// The cell as text, for headers, units, metrics and sources.
    fn text(&self) -> Option<String> {
        match self {
            Cell::Text(t) => Some(trim(t).to_string()),
            Cell::Number(x) => Some(x.to_string()),
            Cell::Date(d) => Some(d.to_string()),
            Cell::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
            _ => None,
        }
    }
}

/// A table read from a return: rows with the numbers Excel shows (1-based), each holding
/// its cells from column A.
pub struct Grid {
    /// The path as shown to people.
    pub path: String,
    /// The worksheet read, for an Excel file.
    pub sheet: Option<String>,
    pub rows: Vec<(usize, Vec<Cell>)>,
    /// Read from a CSV file: a row with too many fields gets a CSV hint.
    pub csv: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Columns for unit, metric, date and value.
    Long,
    /// Columns for unit and date, and one per metric.
    Wide,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Long => "long",
            Layout::Wide => "wide",
        }
    }
}

/// What the command line adds to the file.
pub struct Options<'a> {
    /// The day for rows without a date (or for a file without a date column).
    pub date: Option<NaiveDate>,
    /// The file's name, for the default source `import NAME row N`.
    pub file_name: &'a str,
}

/// One value taken from a return, with ids resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub row: usize,
    pub metric: String,
    pub unit: String,
    pub date: NaiveDate,
    pub value: f64,
    pub source: String,
}

/// A return read and checked whole.
#[derive(Debug)]
pub struct Return {
    pub layout: Layout,
    pub header_row: usize,
    pub observations: Vec<Observation>,
    /// WIDE layout: metric cells left empty (not reported), skipped.
    pub empty_cells: usize,
}

/// The most cells a return may have, counting a row from column A to its last cell: four
/// times a province's long return (26,000 communities, 10 metrics, 5 columns), and about
/// 128 MiB in memory.
pub const MAX_CELLS: usize = 4_000_000;

/// The most an .xlsx return may unpack to: a return of 4 million cells is some 200 MiB of
/// worksheet XML.
pub const MAX_UNPACKED_BYTES: u64 = 512 << 20;

/// The header names each field is recognised by, the canonical one first.
const UNIT: &[&str] = &["unit", "单位", "单位名称", "社区", "村(社区)"];
const METRIC: &[&str] = &["metric", "指标", "指标名称"];
const DATE: &[&str] = &["date", "日期", "统计日期", "时间", "报送日期"];
const VALUE: &[&str] = &["value", "数值", "值", "数量"];
const SOURCE: &[&str] = &["source", "来源", "备注"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Unit,
    Metric,
    Date,
    Value,
    Source,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Unit,
        Field::Metric,
        Field::Date,
        Field::Value,
        Field::Source,
    ];

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Unit => UNIT,
            Field::Metric => METRIC,
            Field::Date => DATE,
            Field::Value => VALUE,
            Field::Source => SOURCE,
        }
    }

    /// `日期 (date)`: the Chinese header people write, and the English one.
    fn label(self) -> String {
        let a = self.aliases();
        format!("{} ({})", a[1], a[0])
    }

    /// `数值, 值, 数量 or value`: every header the field is known by.
    fn names(self) -> String {
        let a = self.aliases();
        format!("{} or {}", a[1..].join(", "), a[0])
    }

    fn of(header: &str) -> Option<Field> {
        let h = normalize(header);
        Field::ALL
            .into_iter()
            .find(|f| f.aliases().iter().any(|a| normalize(a) == h))
    }
}

/// What a column of the header holds.
#[derive(Debug, Clone, PartialEq)]
enum Col {
    /// No header text.
    None,
    Field(Field),
    /// A metric's own column (WIDE); its id.
    Metric(String),
    Unknown,
}

const LONG_HELP: &str = "the long layout has the columns 单位, 指标, 日期, 数值 and optionally 备注 \
     (or unit, metric, date, value, source); one column per metric is the wide layout, \
     without 指标 and 数值";
const VALUE_HELP: &str = "write the value in digits, e.g. 1200 (no Chinese numerals, units or \
     thousands separators)";
const DATE_HELP: &str = "write the day as 2024-06-30, 2024/6/30 or 2024年6月30日, or the month \
     as 2024-06 or 2024年6月 for its last day, or make it an Excel date cell";

/// Whitespace as it appears in Chinese spreadsheets, including the ideographic space.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}'
}

fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// A header or name as compared: no spaces, ASCII parentheses, ASCII lower case.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|&c| !is_space(c))
        .map(|c| match c {
            '\u{FF08}' => '(',
            '\u{FF09}' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// `社区工作者(名)` → `社区工作者`: a header with its unit of measure after it.
fn without_unit_suffix(s: &str) -> Option<&str> {
    let s = trim(s);
    let open = s.rfind(['(', '\u{FF08}'])?;
    (s.ends_with([')', '\u{FF09}']) && open > 0).then(|| trim(&s[..open]))
}

/// The column letter Excel shows for a 0-based column index: A, B, …, Z, AA, …
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// Metrics by id and by Chinese name.
struct Metrics {
    by_key: HashMap<String, Vec<String>>,
    /// `community_workers (社区工作者), population (常住人口)`, sorted by id.
    known: String,
}

impl Metrics {
    fn new(registry: &Registry) -> Metrics {
        let mut all: Vec<_> = registry.metrics().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
        for m in &all {
            for key in [normalize(&m.id), normalize(&m.name)] {
                let ids = by_key.entry(key).or_default();
                if !ids.contains(&m.id) {
                    ids.push(m.id.clone());
                }
            }
        }
        let known = all
            .iter()
            .map(|m| format!("{} ({})", m.id, m.name))
            .collect::<Vec<_>>()
            .join(", ");
        Metrics { by_key, known }
    }

    /// The metrics a header or cell names: by id or name, else without a `(名)` suffix.
    fn find(&self, text: &str) -> Option<&[String]> {
        self.by_key
            .get(&normalize(text))
            .or_else(|| without_unit_suffix(text).and_then(|t| self.by_key.get(&normalize(t))))
            .map(Vec::as_slice)
    }
}

/// Collects problems with their places in the return.
struct Problems<'a> {
    path: &'a str,
    list: Vec<Diagnostic>,
}

impl Problems<'_> {
    /// `FILE:ROW:COL: row 17, column 数值 (D): message`.
    fn cell(&mut self, row: usize, col: usize, header: &str, message: String, help: String) {
        let letter = column_letter(col);
        let place = if header.is_empty() {
            format!("row {row}, column {letter}")
        } else {
            format!("row {row}, column {header} ({letter})")
        };
        let mut d = Diagnostic::file(self.path, row, format!("{place}: {message}"));
        d.col = col + 1;
        self.list
            .push(if help.is_empty() { d } else { d.help(help) });
    }

    fn row(&mut self, row: usize, col: usize, message: String, help: String) {
        let mut d = Diagnostic::file(self.path, row, format!("row {row}: {message}"));
        d.col = col + 1;
        self.list
            .push(if help.is_empty() { d } else { d.help(help) });
    }
}

/// Reads a return's rows into observations, checking every cell against the catalogue.
pub fn parse_return(
    grid: &Grid,
    catalog: &Catalog,
    opts: &Options,
) -> Result<Return, Vec<Diagnostic>> {
    let mut p = Problems {
        path: &grid.path,
        list: Vec::new(),
    };
    let rows: Vec<&(usize, Vec<Cell>)> = grid
        .rows
        .iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_blank()))
        .collect();
    let Some(first) = rows.first() else {
        p.row(
            1,
            0,
            "the file is empty: nothing to import".into(),
            String::new(),
        );
        return Err(p.list);
    };
    // The header is the first row naming a unit column, within the first few rows.
    let Some(h) = rows.iter().take(10).position(|(_, cells)| {
        cells
            .iter()
            .any(|c| c.text().and_then(|t| Field::of(&t)) == Some(Field::Unit))
    }) else {
        p.row(
            first.0,
            0,
            format!(
                "missing column {}: no header row names the unit",
                Field::Unit.label()
            ),
            format!(
                "head the column of units {}; title rows above the header are passed over",
                Field::Unit.names()
            ),
        );
        return Err(p.list);
    };
    let (header_row, header_cells) = (rows[h].0, &rows[h].1);
    let metrics = Metrics::new(&catalog.registry);
    let headers: Vec<String> = header_cells
        .iter()
        .map(|c| c.text().unwrap_or_default())
        .collect();
    let cols: Vec<Col> = headers
        .iter()
        .map(|t| {
            if t.is_empty() {
                Col::None
            } else if let Some(f) = Field::of(t) {
                Col::Field(f)
            } else {
                match metrics.find(t) {
                    Some([id]) => Col::Metric(id.clone()),
                    _ => Col::Unknown,
                }
            }
        })
        .collect();
    let layout = if cols.contains(&Col::Field(Field::Metric)) {
        Layout::Long
    } else {
        Layout::Wide
    };
    let width = headers.len();

    // The header itself.
    for (i, col) in cols.iter().enumerate() {
        let text = &headers[i];
        if let Some(j) = cols[..i].iter().position(|c| c == col)
            && *col != Col::None
            && *col != Col::Unknown
        {
            p.cell(
                header_row,
                i,
                "",
                format!(
                    "column `{text}` repeats column `{}` ({})",
                    headers[j],
                    column_letter(j)
                ),
                "keep one of the two columns".into(),
            );
            continue;
        }
        match (col, layout) {
            (Col::Unknown, Layout::Long) => p.cell(
                header_row,
                i,
                "",
                format!("unknown column `{text}`"),
                LONG_HELP.into(),
            ),
            (Col::Metric(_), Layout::Long) => p.cell(
                header_row,
                i,
                "",
                format!(
                    "unknown column `{text}`: a metric's own column belongs to the wide layout"
                ),
                LONG_HELP.into(),
            ),
            (Col::Unknown, Layout::Wide) => {
                let ambiguous = metrics.find(text).filter(|ids| ids.len() > 1);
                match ambiguous {
                    Some(ids) => p.cell(
                        header_row,
                        i,
                        "",
                        format!("column `{text}` names several metrics"),
                        format!("head the column with one of their ids: {}", ids.join(", ")),
                    ),
                    None => p.cell(
                        header_row,
                        i,
                        "",
                        format!(
                            "unknown column `{text}`: not a metric; known metrics: {}",
                            metrics.known
                        ),
                        "head each value column with a metric's id or Chinese name, or use the \
                         long layout: 单位, 指标, 日期, 数值"
                            .into(),
                    ),
                }
            }
            (Col::Field(Field::Value), Layout::Wide) => p.cell(
                header_row,
                i,
                "",
                format!("column `{text}` needs a column {}", Field::Metric.label()),
                LONG_HELP.into(),
            ),
            _ => {}
        }
    }
    let missing = |f: Field| !cols.contains(&Col::Field(f));
    let mut need = Vec::new();
    if layout == Layout::Long && missing(Field::Value) {
        need.push((Field::Value, String::new()));
    }
    if missing(Field::Date) && opts.date.is_none() {
        need.push((
            Field::Date,
            "or give the day for the whole file with --date 2024-06-30".to_string(),
        ));
    }
    for (f, or) in need {
        p.row(
            header_row,
            width,
            format!("missing column {}", f.label()),
            format!(
                "add a column headed {}{}{or}",
                f.names(),
                if or.is_empty() { "" } else { "; " }
            ),
        );
    }
    // (Unknown columns were reported above: a mistyped metric is not also "no metric".)
    if layout == Layout::Wide
        && !cols
            .iter()
            .any(|c| matches!(c, Col::Metric(_) | Col::Unknown))
    {
        p.row(
            header_row,
            width,
            "no value columns: the header names no metric".into(),
            format!(
                "add a column per metric headed by its id or name (known metrics: {}), or use \
                 the long layout: 单位, 指标, 日期, 数值",
                metrics.known
            ),
        );
    }
    if !p.list.is_empty() {
        return Err(p.list);
    }

    let at = |f: Field| cols.iter().position(|c| *c == Col::Field(f));
    let (unit_col, date_col, metric_col, value_col, source_col) = (
        at(Field::Unit).expect("the header row has a unit column"),
        at(Field::Date),
        at(Field::Metric),
        at(Field::Value),
        at(Field::Source),
    );
    let empty = Cell::Empty;
    let mut out = Vec::new();
    let mut empty_cells = 0;
    let mut seen: HashMap<(String, String, NaiveDate), usize> = HashMap::new();
    for &&(row, ref cells) in &rows[h + 1..] {
        let get = |i: usize| cells.get(i).unwrap_or(&empty);
        let before = p.list.len();
        for (i, c) in cells.iter().enumerate() {
            if c.is_blank() || cols.get(i).is_some_and(|c| *c != Col::None) {
                continue;
            }
            if grid.csv && i >= width {
                let fields = cells.iter().rposition(|c| !c.is_blank()).unwrap_or(i) + 1;
                p.row(
                    row,
                    i,
                    format!("this row has {fields} fields but the header has {width}"),
                    "a comma inside a value splits it: write 1200, not 1,200, and quote text \
                     with commas: \"a,b\""
                        .into(),
                );
                break;
            }
            p.cell(
                row,
                i,
                "",
                format!("`{}` is in a column without a header", show(c)),
                "give the column a header, or delete what is in it".into(),
            );
        }
        let unit = {
            let c = get(unit_col);
            if c.is_blank() {
                p.cell(
                    row,
                    unit_col,
                    &headers[unit_col],
                    "the unit is missing".into(),
                    "write the unit's Chinese name or id".into(),
                );
                None
            } else {
                unit_of(c, &catalog.registry)
                    .map_err(|(m, help)| p.cell(row, unit_col, &headers[unit_col], m, help))
                    .ok()
            }
        };
        let date = match date_col.map(|i| (i, get(i))) {
            Some((_, c)) if c.is_blank() && opts.date.is_some() => opts.date,
            None => opts.date,
            Some((i, c)) if c.is_blank() => {
                p.cell(
                    row,
                    i,
                    &headers[i],
                    "the date is missing".into(),
                    format!("{DATE_HELP}; or give the day for the whole file with --date"),
                );
                None
            }
            Some((i, c)) => date_of(c)
                .map_err(|(m, help)| p.cell(row, i, &headers[i], m, help))
                .ok(),
        };
        let source = source_col
            .and_then(|i| get(i).text())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("import {} row {row}", opts.file_name));
        // (metric, value, the column a duplicate is reported at)
        let mut values: Vec<(Option<String>, Option<f64>, usize)> = Vec::new();
        match layout {
            Layout::Long => {
                let (mi, vi) = (
                    metric_col.expect("long layout"),
                    value_col.expect("checked above"),
                );
                let mc = get(mi);
                let metric = if mc.is_blank() {
                    p.cell(
                        row,
                        mi,
                        &headers[mi],
                        "the metric is missing".into(),
                        format!("known metrics: {}", metrics.known),
                    );
                    None
                } else {
                    let text = mc.text().unwrap_or_else(|| show(mc));
                    match metrics.find(&text) {
                        Some([id]) => Some(id.clone()),
                        Some(ids) => {
                            p.cell(
                                row,
                                mi,
                                &headers[mi],
                                format!("`{text}` names several metrics"),
                                format!("use one of their ids: {}", ids.join(", ")),
                            );
                            None
                        }
                        None => {
                            p.cell(
                                row,
                                mi,
                                &headers[mi],
                                format!("unknown metric `{text}`"),
                                format!("known metrics: {}", metrics.known),
                            );
                            None
                        }
                    }
                };
                let vc = get(vi);
                let value = if vc.is_blank() {
                    p.cell(
                        row,
                        vi,
                        &headers[vi],
                        "the value is missing".into(),
                        "write the figure, 0 if there is none".into(),
                    );
                    None
                } else {
                    value_of(vc)
                        .map_err(|(m, help)| p.cell(row, vi, &headers[vi], m, help))
                        .ok()
                };
                values.push((metric, value, vi));
            }
            Layout::Wide => {
                for (i, c) in cols.iter().enumerate() {
                    let Col::Metric(id) = c else { continue };
                    let vc = get(i);
                    if vc.is_blank() {
                        empty_cells += 1;
                        continue;
                    }
                    let value = value_of(vc)
                        .map_err(|(m, help)| p.cell(row, i, &headers[i], m, help))
                        .ok();
                    values.push((Some(id.clone()), value, i));
                }
            }
        }
        if p.list.len() > before {
            continue;
        }
        let (Some(unit), Some(date)) = (unit, date) else {
            continue;
        };
        for (metric, value, col) in values {
            let (Some(metric), Some(value)) = (metric, value) else {
                continue;
            };
            let key = (metric.clone(), unit.clone(), date);
            if let Some(&first) = seen.get(&key) {
                p.cell(
                    row,
                    col,
                    &headers[col],
                    format!(
                        "duplicate row, first at row {first}: {} of {} on {date} is given twice",
                        catalog
                            .registry
                            .metric(&metric)
                            .map_or(metric.as_str(), |m| m.name.as_str()),
                        catalog.registry.name(&unit)
                    ),
                    "keep one row per unit, metric and date".into(),
                );
                continue;
            }
            seen.insert(key, row);
            out.push(Observation {
                row,
                metric,
                unit: unit.clone(),
                date,
                value,
                source: source.clone(),
            });
        }
    }
    if !p.list.is_empty() {
        p.list.sort_by_key(|d| (d.line, d.col));
        return Err(p.list);
    }
    if out.is_empty() {
        p.row(
            header_row,
            0,
            if rows.len() == h + 1 {
                "no rows below the header: nothing to import".into()
            } else {
                "every value cell is empty: nothing to import".into()
            },
            String::new(),
        );
        return Err(p.list);
    }
    Ok(Return {
        layout,
        header_row,
        observations: out,
        empty_cells,
    })
}

/// A cell as quoted in a message.
fn show(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Duration => "a time span".into(),
        Cell::Error(e) => e.clone(),
        Cell::Formula(f) => format!("={f}"),
        other => other.text().unwrap_or_default(),
    }
}

type CellError = (String, String);

/// The problem with a cell that is not plain data, if it is one.
fn not_data(c: &Cell) -> Option<CellError> {
    match c {
        Cell::Error(e) => Some((
            format!("the cell holds `{e}`"),
            "correct the formula or type the value".into(),
        )),
        Cell::Formula(f) => Some((
            format!("the formula `={f}` has no saved value"),
            "open the file in Excel and save it again, or type the value".into(),
        )),
        Cell::Duration => Some((
            "the cell holds a time span".into(),
            "type the value as text or a number".into(),
        )),
        _ => None,
    }
}

fn unit_of(c: &Cell, registry: &Registry) -> Result<String, CellError> {
    if let Some(e) = not_data(c) {
        return Err(e);
    }
    let text = c.text().unwrap_or_default();
    match registry.resolve(&text) {
        Ok(u) => Ok(u.id.clone()),
        Err(Unresolved::Ambiguous(ids)) => Err((
            format!("`{text}` names several units"),
            format!("use one of their ids: {}", ids.join(", ")),
        )),
        Err(Unresolved::Unknown) => {
            let close: Vec<&str> = registry
                .units()
                .iter()
                .filter(|u| u.name.contains(text.as_str()) || text.contains(u.name.as_str()))
                .map(|u| u.name.as_str())
                .take(5)
                .collect();
            Err((
                format!("unknown unit `{text}`"),
                if close.is_empty() {
                    "use a unit id or name from the registry; delete total rows (合计) and notes \
                     below the table"
                        .into()
                } else {
                    format!("did you mean {}?", close.join("、"))
                },
            ))
        }
    }
}

fn value_of(c: &Cell) -> Result<f64, CellError> {
    if let Some(e) = not_data(c) {
        return Err(e);
    }
    match c {
        Cell::Number(x) if *x < 0.0 => Err(negative(&x.to_string())),
        Cell::Number(x) if x.is_finite() => Ok(*x),
        Cell::Number(x) => Err((format!("`{x}` is not a number"), VALUE_HELP.into())),
        Cell::Text(t) => value_text(trim(t)),
        Cell::Date(d) => Err((
            format!("`{d}` is a date, not a number"),
            "format the cell as a number".into(),
        )),
        other => Err((
            format!("`{}` is not a number", show(other)),
            VALUE_HELP.into(),
        )),
    }
}

fn negative(text: &str) -> CellError {
    (
        format!("`{text}` is negative"),
        "a count or measure cannot be below zero: correct the figure".into(),
    )
}

/// Digits with at most one decimal point: `1200`, `12.5`.
fn plain_number(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `1,200`, `1,200`, `1 200`: a number with thousands separators.
fn grouped_number(s: &str) -> bool {
    let bare: String = s
        .chars()
        .filter(|&c| !matches!(c, ',' | '\u{FF0C}' | '\'') && !is_space(c))
        .collect();
    bare.len() < s.len() && s.starts_with(|c: char| c.is_ascii_digit()) && plain_number(&bare)
}

fn value_text(t: &str) -> Result<f64, CellError> {
    if plain_number(t) {
        return match t.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err((
                format!("`{t}` is too large a number"),
                "check the figure: it has more digits than any count".into(),
            )),
        };
    }
    if let Some(rest) = t.strip_prefix(['-', '\u{2212}', '\u{FF0D}'])
        && (plain_number(trim(rest)) || grouped_number(trim(rest)))
    {
        return Err(negative(t));
    }
    if grouped_number(t) {
        let bare: String = t
            .chars()
            .filter(|&c| !matches!(c, ',' | '\u{FF0C}' | '\'') && !is_space(c))
            .collect();
        return Err((
            format!("`{t}` has a thousands separator"),
            format!("write {bare}: digits only, no separators"),
        ));
    }
    if !t.is_empty()
        && t.chars()
            .all(|c| ('\u{FF10}'..='\u{FF19}').contains(&c) || c == '\u{FF0E}')
    {
        let half: String = t
            .chars()
            .map(|c| match c {
                '\u{FF0E}' => '.',
                c => char::from_u32(c as u32 - 0xFF10 + '0' as u32).unwrap_or(c),
            })
            .collect();
        return Err((
            format!("`{t}` is written in full-width digits"),
            format!("write {half} with ordinary digits"),
        ));
    }
    let help = if t.starts_with(['=', '+', '@']) {
        "this looks like a spreadsheet formula: write its result in digits instead"
    } else {
        VALUE_HELP
    };
    Err((format!("`{t}` is not a number"), help.into()))
}

fn date_of(c: &Cell) -> Result<NaiveDate, CellError> {
    if let Some(e) = not_data(c) {
        return Err(e);
    }
    match c {
        // The same years as a date written out (Excel's own run from 1900 to 9999).
        Cell::Date(d) => date_text(&d.to_string()),
        Cell::Text(t) => date_text(trim(t)),
        Cell::Number(x) => Err((format!("`{x}` is a number, not a date"), DATE_HELP.into())),
        other => Err((format!("`{}` is not a date", show(other)), DATE_HELP.into())),
    }
}

/// A day or a month as returns write them: 2024-06-30, 2024/6/30, 2024.6.30,
/// 2024年6月30日, and 2024-06, 2024/6, 2024年6月 for the month's last day. A time of day
/// after the date (`2024-06-30 00:00:00`) is dropped.
pub fn date_text(t: &str) -> Result<NaiveDate, CellError> {
    let bad = || (format!("`{t}` is not a date"), DATE_HELP.to_string());
    let s = match t.split_once(' ') {
        Some((d, time))
            if !trim(time).is_empty()
                && trim(time).chars().all(|c| c.is_ascii_digit() || c == ':') =>
        {
            d
        }
        _ => t,
    };
    let separators = ['-', '/', '.'].iter().filter(|c| s.contains(**c)).count();
    if s.contains('年') != s.contains('月') || separators > 1 {
        return Err(bad());
    }
    // 2024年6月30日, 2024/6/30 and 2024.6.30 become 2024-6-30 for the one date reader.
    let s = trim(s);
    let dashed = match s.split_once('年') {
        Some((y, rest)) => {
            let day = rest
                .strip_suffix('日')
                .or_else(|| rest.strip_suffix('号'))
                .unwrap_or(rest);
            format!("{y}-{}", day.replacen('月', "-", 1).trim_end_matches('-'))
        }
        None => s.replace(['/', '.'], "-"),
    };
    let dashed = dashed.as_str();
    if !dashed.contains('-') || dashed.contains(['日', '号', '年', '月']) {
        return Err(bad());
    }
    match Deadline::parse(dashed) {
        Ok(d) => Ok(d.due()),
        Err(m) => Err((
            m.replace(&format!("`{dashed}`"), &format!("`{t}`")),
            DATE_HELP.into(),
        )),
    }
}

/// The observations as a progress file: `metric,unit,date,value,source`, ids and
/// `YYYY-MM-DD` dates, in the order of the return.
pub fn canonical_csv(observations: &[Observation]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(crate::parse::progress::OBSERVATION_COLUMNS)
        .expect("writing to memory");
    for o in observations {
        w.write_record([
            o.metric.as_str(),
            o.unit.as_str(),
            &o.date.to_string(),
            &o.value.to_string(),
            o.source.as_str(),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
}

/// Reads a CSV return: UTF-8, with or without a byte-order mark.
pub fn read_csv(path: &str, mut bytes: Vec<u8>) -> Result<Grid, Vec<Diagnostic>> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(vec![
                Diagnostic::file(
                    path,
                    line,
                    format!("row {line}: the file is not UTF-8 text (GBK?)"),
                )
                .help(
                    "save it as CSV UTF-8: in Excel, Save As → CSV UTF-8 (逗号分隔)(*.csv); \
                     or import the .xlsx itself",
                ),
            ]);
        }
    };
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // The line a record starts on; the reader's offset can sit on the previous line's end.
    let line_of = |offset: usize| {
        let skip = text.as_bytes()[offset.min(text.len())..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        match line_starts.binary_search(&(offset + skip)) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut count = 0;
    for rec in reader.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| line_of(p.byte() as usize));
                count += rec.len();
                if count > MAX_CELLS {
                    return Err(vec![
                        Diagnostic::file(
                            path,
                            line,
                            format!(
                                "row {line}: the file has more than {} million fields",
                                MAX_CELLS / 1_000_000
                            ),
                        )
                        .help("a return holds one row per unit (and metric): split the file"),
                    ]);
                }
                // A quote never closed swallows the rest of the file into one field, which
                // then ends the file exactly as written (a closed one is followed by its
                // quote): the rows after it would be lost.
                let last = rec.len().saturating_sub(1);
                if rec
                    .get(last)
                    .is_some_and(|f| f.contains('\n') && text.ends_with(f))
                {
                    let mut d = Diagnostic::file(
                        path,
                        line,
                        format!(
                            "row {line}, column {}: this quote is never closed, so the rest of \
                             the file was read as one field",
                            column_letter(last)
                        ),
                    );
                    d.col = last + 1;
                    errors.push(d.help(
                        "close the quote, or remove it: quotes are needed only around a field \
                         with a comma",
                    ));
                    continue;
                }
                let cells = rec
                    .iter()
                    .map(|f| {
                        if trim(f).is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(trim(f).to_string())
                        }
                    })
                    .collect();
                rows.push((line, cells));
            }
            Err(e) => {
                let line = e.position().map_or(1, |p| line_of(p.byte() as usize));
                errors.push(Diagnostic::file(
                    path,
                    line,
                    format!("row {line}: bad CSV: {e}"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Grid {
        path: path.to_string(),
        sheet: None,
        rows,
        csv: true,
    })
}

/// A cell Excel shows as a date. calamine reads a serial below zero, or not a number, as the
/// first day Excel counts: in the 1900 system that is the day before 1900-01-01, refused
/// as no date, but in the 1904 system (older Mac workbooks) it is 1904-01-01, a real day
/// no one typed; such a serial is refused in both.
fn date_cell(dt: &calamine::ExcelDateTime) -> Cell {
    let serial = dt.as_f64();
    if serial.is_nan() || serial < 0.0 {
        return Cell::Error(format!(
            "{serial} (a date before the first day Excel counts)"
        ));
    }
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    match NaiveDate::from_ymd_opt(y.into(), m.into(), d.into()) {
        Some(day) => Cell::Date(day),
        None => Cell::Error(format!("{y}-{m:02}-{d:02}")),
    }
}

/// Reads a worksheet of an Excel `.xlsx` return: `sheet`, else the first worksheet.
/// Formulas give the value Excel saved with them.
pub fn read_xlsx(path: &str, bytes: Vec<u8>, sheet: Option<&str>) -> Result<Grid, Vec<Diagnostic>> {
    use calamine::{Data, Reader, SheetType, Xlsx, XlsxCellFormula};
    let whole = |message: String, help: &str| {
        let d = Diagnostic::file(path, 1, message);
        vec![if help.is_empty() { d } else { d.help(help) }]
    };
    // An .xlsx is a zip archive, and a few kilobytes can unpack to gigabytes: the sizes its
    // parts declare are added up before any is unpacked.
    if let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(&bytes)) {
        let unpacked: u64 = (0..zip.len())
            .filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.size()))
            .sum();
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(whole(
                format!(
                    "the workbook unpacks to {} MiB; govtrack reads workbooks of up to {} MiB unpacked",
                    unpacked >> 20,
                    MAX_UNPACKED_BYTES >> 20
                ),
                "save the return's own worksheet alone as a new workbook, or as CSV UTF-8",
            ));
        }
    }
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| {
        whole(
            format!("cannot read it as an Excel workbook: {e}"),
            "save it from Excel as an Excel workbook (.xlsx), or as CSV UTF-8",
        )
    })?;
    let sheets: Vec<String> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    let name = match sheet {
        Some(s) if sheets.iter().any(|x| x == s) => s.to_string(),
        Some(s) => {
            return Err(whole(
                format!(
                    "no worksheet `{s}`; the worksheets are: {}",
                    sheets.join(", ")
                ),
                "",
            ));
        }
        None => match sheets.first() {
            Some(s) => s.clone(),
            None => return Err(whole("the workbook has no worksheet".into(), "")),
        },
    };
    // Cells are read one by one: a worksheet's range spans from its first used cell to its
    // last, and a stray cell at XFD1048576 would make that billions of cells.
    let too_many = || {
        whole(
            format!(
                "the worksheet `{name}` has more than {} million cells",
                MAX_CELLS / 1_000_000
            ),
            "a return holds one row per unit (and metric): delete what is far below or to \
             the right of the table, or split the file",
        )
    };
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| whole(format!("cannot read the worksheet `{name}`: {e}"), ""))?;
    let mut cells: BTreeMap<u32, BTreeMap<u32, Cell>> = BTreeMap::new();
    let mut count = 0;
    loop {
        let next = reader
            .next_cell_with_formula()
            .map_err(|e| whole(format!("cannot read the worksheet `{name}`: {e}"), ""))?;
        let Some(XlsxCellFormula {
            pos: (r, c),
            value,
            formula,
        }) = next
        else {
            break;
        };
        let cell = match Data::from(value) {
            Data::Empty => None,
            Data::String(s) if trim(&s).is_empty() => None,
            Data::String(s) => Some(Cell::Text(trim(&s).to_string())),
            Data::Int(i) => Some(Cell::Number(i as f64)),
            Data::Float(f) => Some(Cell::Number(f)),
            Data::Bool(b) => Some(Cell::Bool(b)),
            Data::DateTime(dt) if dt.is_duration() => Some(Cell::Duration),
            Data::DateTime(dt) => Some(date_cell(&dt)),
            Data::DateTimeIso(s) => Some(match date_text(s.get(..10).unwrap_or(&s)) {
                Ok(d) => Cell::Date(d),
                Err(_) => Cell::Text(s),
            }),
            Data::DurationIso(_) => Some(Cell::Duration),
            Data::Error(e) => Some(Cell::Error(e.to_string())),
        };
        // A formula saved without its value is reported as one.
        let Some(cell) = cell.or_else(|| formula.filter(|f| !f.is_empty()).map(Cell::Formula))
        else {
            continue;
        };
        count += 1;
        if count > MAX_CELLS {
            return Err(too_many());
        }
        cells.entry(r).or_default().insert(c, cell);
    }
    // Rows are filled out from column A: bounded too, as a row is as wide as its last cell.
    let widths: usize = cells
        .values()
        .map(|row| row.keys().next_back().map_or(0, |&c| c as usize + 1))
        .sum();
    if widths > MAX_CELLS {
        return Err(too_many());
    }
    let rows = cells
        .into_iter()
        .map(|(r, row)| {
            let width = row.keys().next_back().map_or(0, |&c| c as usize + 1);
            let mut line = vec![Cell::Empty; width];
            for (c, cell) in row {
                line[c as usize] = cell;
            }
            (r as usize + 1, line)
        })
        .collect();
    Ok(Grid {
        path: path.to_string(),
        sheet: Some(name),
        rows,
        csv: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_serial_below_zero_is_no_date_in_either_system() {
        use calamine::{ExcelDateTime, ExcelDateTimeType::DateTime};
        let day = |y, m, d| Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(
            date_cell(&ExcelDateTime::new(0.0, DateTime, true)),
            day(1904, 1, 1)
        );
        assert_eq!(
            date_cell(&ExcelDateTime::new(45_473.0, DateTime, false)),
            day(2024, 6, 30)
        );
        assert_eq!(
            date_cell(&ExcelDateTime::new(44_011.0, DateTime, true)),
            day(2024, 6, 30)
        );
        for is_1904 in [false, true] {
            for serial in [-1.0, -1e308, f64::NAN] {
                let cell = date_cell(&ExcelDateTime::new(serial, DateTime, is_1904));
                assert!(
                    matches!(cell, Cell::Error(_)),
                    "{serial} {is_1904}: {cell:?}"
                );
            }
        }
    }

    #[test]
    fn column_letters_as_excel_shows_them() {
        let got: Vec<String> = [0, 3, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letter)
            .collect();
        assert_eq!(got, ["A", "D", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn dates_as_returns_write_them() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for (text, want) in [
            ("2024-06-30", d(2024, 6, 30)),
            ("2024/6/30", d(2024, 6, 30)),
            ("2024.06.30", d(2024, 6, 30)),
            ("2024-06", d(2024, 6, 30)),
            ("2024/02", d(2024, 2, 29)),
            ("2024年6月30日", d(2024, 6, 30)),
            ("2024年6月", d(2024, 6, 30)),
            ("2023年2月", d(2023, 2, 28)),
            ("2024-06-30 00:00:00", d(2024, 6, 30)),
        ] {
            assert_eq!(date_text(text), Ok(want), "{text}");
        }
        let err = date_text("2024-02-30").unwrap_err().0;
        assert_eq!(err, "`2024-02-30` is not a real day: 2024-02 has 29 days");
        for bad in [
            "2024",
            "24-06-30",
            "2024-13",
            "2024年6",
            "六月",
            "2024-06/30",
            "2024-6-",
        ] {
            assert!(date_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_digits_and_the_hints_say_what_is_wrong() {
        assert_eq!(value_text("1200"), Ok(1200.0));
        assert_eq!(value_text("12.5"), Ok(12.5));
        let msg = |t: &str| value_text(t).unwrap_err();
        assert_eq!(msg("一千二").0, "`一千二` is not a number");
        assert_eq!(msg("1,200").0, "`1,200` has a thousands separator");
        assert_eq!(msg("1,200").1, "write 1200: digits only, no separators");
        assert_eq!(
            msg("1\u{FF0C}200").0,
            "`1\u{FF0C}200` has a thousands separator"
        );
        assert_eq!(msg("1 200").0, "`1 200` has a thousands separator");
        assert_eq!(msg("-5").0, "`-5` is negative");
        assert_eq!(
            msg("\u{FF11}\u{FF12}\u{FF10}\u{FF10}").1,
            "write 1200 with ordinary digits"
        );
        assert_eq!(msg("\u{2212}5").0, "`\u{2212}5` is negative");
        for bad in ["12.", ".5", "1e3", "1200人", "+5", "1.2.3"] {
            assert!(value_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_match_aliases_and_metric_names_with_a_unit() {
        assert_eq!(Field::of(" 村(社区) "), Some(Field::Unit));
        assert_eq!(Field::of("村\u{FF08}社区\u{FF09}"), Some(Field::Unit));
        assert_eq!(Field::of("Unit"), Some(Field::Unit));
        assert_eq!(Field::of("数 值"), Some(Field::Value));
        assert_eq!(Field::of("社区工作者"), None);
        assert_eq!(without_unit_suffix("社区工作者(名)"), Some("社区工作者"));
        assert_eq!(
            without_unit_suffix("社区工作者\u{FF08}名\u{FF09}"),
            Some("社区工作者")
        );
        assert_eq!(without_unit_suffix("常住人口 (人)"), Some("常住人口"));
        assert_eq!(without_unit_suffix("(名)"), None);
    }
}
