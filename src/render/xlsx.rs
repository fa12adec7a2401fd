//! Excel workbooks for people who keep working in Excel.
//!
//! Cells are typed: numbers are numbers and dates are Excel dates (shown yyyy-mm-dd), so a
//! leader can sort, filter and sum them. The header row is bold, frozen and filtered;
//! columns are sized to their content, a Chinese character counting two; a light is written
//! as its word on a red, yellow or green fill, so a black-and-white printout still reads.
//! The bytes are returned; writing them is the caller's business.

use super::Row;
use crate::i18n::Lang;
use crate::judge::task::Light;
use crate::report::digest::Digest;
use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet};
use std::borrow::Cow;

/// One cell of a row, typed for Excel.
#[derive(Debug, Clone, PartialEq)]
pub enum XlsxValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl XlsxValue {
    /// Text, or an empty cell for an empty string.
    pub fn text(s: impl Into<String>) -> XlsxValue {
        let s = s.into();
        if s.is_empty() {
            XlsxValue::Empty
        } else {
            XlsxValue::Text(s)
        }
    }

    pub fn number(v: Option<f64>) -> XlsxValue {
        v.map_or(XlsxValue::Empty, XlsxValue::Number)
    }

    pub fn count(v: Option<i64>) -> XlsxValue {
        v.map_or(XlsxValue::Empty, |v| XlsxValue::Number(v as f64))
    }

    /// A YYYY-MM-DD date as a date; anything else is kept as text, never lost.
    pub fn date(v: Option<&str>) -> XlsxValue {
        match v {
            None => XlsxValue::Empty,
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(XlsxValue::Date)
                .unwrap_or_else(|_| XlsxValue::text(s)),
        }
    }

    pub fn yes_no(v: bool, lang: Lang) -> XlsxValue {
        XlsxValue::Text(
            if v {
                lang.pick("yes", "是")
            } else {
                lang.pick("no", "否")
            }
            .into(),
        )
    }

    /// How many columns the cell needs as displayed.
    fn width(&self) -> usize {
        match self {
            XlsxValue::Text(s) => display_width(s),
            XlsxValue::Number(v) => super::num(Some(*v)).len(),
            XlsxValue::Date(_) => 10,
            XlsxValue::Empty => 0,
        }
    }
}

/// The most a cell holds, in UTF-16 code units as Excel counts them.
const CELL_LIMIT: usize = 32_767;

/// Text cut to what a cell holds, ending in "…" where it was cut: a note pasted whole from
/// a document must not cost the whole workbook, and the cron job's Excel digest with it.
fn clipped(s: &str) -> Cow<'_, str> {
    if s.len() <= CELL_LIMIT || s.encode_utf16().count() <= CELL_LIMIT {
        return Cow::Borrowed(s);
    }
    let mut units = 0;
    let end = s
        .char_indices()
        .find(|&(_, c)| {
            units += c.len_utf16();
            units > CELL_LIMIT - 1
        })
        .map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!("{}…", &s[..end]))
}

/// A column never grows wider than this; longer text wraps.
const MAX_WIDTH: usize = 60;

/// Display width: CJK and full-width characters take two columns; of several lines, the
/// longest counts.
pub fn display_width(s: &str) -> usize {
    s.lines()
        .map(|l| l.chars().map(|c| if wide(c) { 2 } else { 1 }).sum())
        .max()
        .unwrap_or(0)
}

fn wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// A name Excel accepts for a sheet: no `[ ] : * ? / \`, no apostrophe at either end, not
/// the reserved `History`, at most 31 characters (UTF-16 units), not empty.
pub fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let mut out = String::new();
    let mut units = 0;
    for c in cleaned.trim().trim_matches('\'').chars() {
        units += c.len_utf16();
        if units > 31 {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end().trim_end_matches('\'').to_string();
    if out.is_empty() {
        "Sheet1".to_string()
    } else if out.eq_ignore_ascii_case("history") {
        format!("{out}_")
    } else {
        out
    }
}

/// The formats a workbook's sheets share.
struct Formats {
    header: Format,
    label: Format,
    text: Format,
    wrap: Format,
    date: Format,
    integer: Format,
    decimal: Format,
    red: Format,
    yellow: Format,
    green: Format,
}

impl Formats {
    fn new() -> Formats {
        // Excel's own colour-scale red, yellow and green: black text stays legible on them.
        let fill = |rgb: u32| {
            Format::new()
                .set_background_color(Color::RGB(rgb))
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(0xBFBFBF))
        };
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xD9D9D9))
                .set_border_bottom(FormatBorder::Thin),
            label: Format::new().set_bold(),
            text: Format::new(),
            wrap: Format::new().set_text_wrap(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            integer: Format::new().set_num_format("0"),
            decimal: Format::new().set_num_format("0.0#"),
            red: fill(0xF8696B),
            yellow: fill(0xFFEB84),
            green: fill(0x63BE7B),
        }
    }

    fn light(&self, light: Light) -> &Format {
        match light {
            Light::Red => &self.red,
            Light::Yellow => &self.yellow,
            Light::Green => &self.green,
        }
    }
}

/// A sheet being written row by row, remembering how wide each column must be.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    f: &'a Formats,
    widths: Vec<usize>,
    row: u32,
}

impl<'a> Sheet<'a> {
    fn new(wb: &'a mut Workbook, f: &'a Formats, name: &str) -> Result<Sheet<'a>> {
        let ws = wb.add_worksheet();
        let name = sheet_name(name);
        ws.set_name(&name)
            .with_context(|| format!("naming the sheet `{name}`"))?;
        Ok(Sheet {
            ws,
            f,
            widths: Vec::new(),
            row: 0,
        })
    }

    fn grow(&mut self, col: u16, width: usize) {
        let col = usize::from(col);
        if self.widths.len() <= col {
            self.widths.resize(col + 1, 0);
        }
        self.widths[col] = self.widths[col].max(width);
    }

    /// Writes one cell; `fill` is the format of a light cell.
    fn cell(&mut self, col: u16, v: &XlsxValue, fill: Option<&Format>) -> Result<()> {
        let (row, f) = (self.row, self.f);
        let width = v.width();
        self.grow(col, width);
        match v {
            XlsxValue::Text(s) => {
                let format = fill.unwrap_or(if width > MAX_WIDTH { &f.wrap } else { &f.text });
                self.ws
                    .write_string_with_format(row, col, clipped(s), format)?;
            }
            XlsxValue::Number(n) => {
                let format = if (n - n.round()).abs() < 1e-9 {
                    &f.integer
                } else {
                    &f.decimal
                };
                self.ws.write_number_with_format(row, col, *n, format)?;
            }
            XlsxValue::Date(d) => match excel_date(*d) {
                Some(x) => {
                    self.ws.write_datetime_with_format(row, col, &x, &f.date)?;
                }
                // Outside Excel's calendar (1900–9999): keep it readable as text.
                None => {
                    self.ws.write_string(row, col, d.to_string())?;
                }
            },
            XlsxValue::Empty => {
                if let Some(fill) = fill {
                    self.ws.write_blank(row, col, fill)?;
                }
            }
        }
        Ok(())
    }

    /// A bold label and its value, for the summary block above a table.
    fn pair(&mut self, label: &str, v: &XlsxValue, fill: Option<&Format>) -> Result<()> {
        let (row, f) = (self.row, self.f);
        self.grow(0, display_width(label));
        self.ws
            .write_string_with_format(row, 0, clipped(label), fill.unwrap_or(&f.label))?;
        self.cell(1, v, None)?;
        self.row += 1;
        Ok(())
    }

    /// A table starting at the current row: a bold header, frozen with everything above it
    /// and filtered, then one row per item with its light cell filled.
    fn table<I>(&mut self, header: &[&str], light_col: Option<usize>, rows: I) -> Result<()>
    where
        I: IntoIterator<Item = (Vec<XlsxValue>, Option<Light>)>,
    {
        let top = self.row;
        for (c, h) in header.iter().enumerate() {
            let c = col(c)?;
            // Room for the filter's drop-down button.
            self.grow(c, display_width(h) + 2);
            self.ws
                .write_string_with_format(top, c, *h, &self.f.header)?;
        }
        self.row += 1;
        self.ws.set_freeze_panes(self.row, 0)?;
        for (cells, light) in rows {
            for (c, v) in cells.iter().enumerate() {
                let fill = match light {
                    Some(l) if light_col == Some(c) => Some(self.f.light(l)),
                    _ => None,
                };
                self.cell(col(c)?, v, fill)?;
            }
            self.row += 1;
        }
        let last_col = col(header.len().max(1) - 1)?;
        self.ws
            .autofilter(top, 0, self.row.saturating_sub(1).max(top), last_col)?;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        for (c, w) in self.widths.iter().enumerate() {
            let w = (*w).clamp(4, MAX_WIDTH) + 2;
            self.ws.set_column_width(col(c)?, w as f64)?;
        }
        Ok(())
    }
}

fn col(c: usize) -> Result<u16> {
    u16::try_from(c).context("too many columns for a worksheet")
}

fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok()?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

fn light_col<R: Row>() -> Option<usize> {
    R::KEYS.iter().position(|k| *k == "light")
}

fn typed<R: Row>(rows: &[R], lang: Lang) -> impl Iterator<Item = (Vec<XlsxValue>, Option<Light>)> {
    rows.iter().map(move |r| (r.xlsx_cells(lang), r.light()))
}

/// A workbook with one sheet of `rows`, named `sheet` (made acceptable to Excel).
pub fn rows_xlsx<R: Row>(rows: &[R], sheet: &str, lang: Lang) -> Result<Vec<u8>> {
    // A sheet holds 1,048,576 rows, the header's among them.
    const ROWS: usize = 1_048_575;
    if rows.len() > ROWS {
        anyhow::bail!(
            "the report has {} rows, more than the {ROWS} an Excel sheet holds under its \
             header: write it as CSV (--format csv), or narrow it with --district or --policy",
            rows.len()
        );
    }
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut s = Sheet::new(&mut wb, &f, sheet)?;
    s.table(&R::xlsx_header(lang), light_col::<R>(), typed(rows, lang))?;
    s.finish()?;
    Ok(wb.save_to_buffer()?)
}

/// One unit's status as a workbook: its task instances and its targets, a sheet each.
pub fn unit_status_xlsx(
    tasks: &[crate::report::TaskRow],
    gaps: &[crate::report::GapRow],
    lang: Lang,
) -> Result<Vec<u8>> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut s = Sheet::new(&mut wb, &f, lang.pick("Tasks", "任务"))?;
    s.table(
        &crate::report::TaskRow::xlsx_header(lang),
        light_col::<crate::report::TaskRow>(),
        typed(tasks, lang),
    )?;
    s.finish()?;
    let mut s = Sheet::new(&mut wb, &f, lang.pick("Targets", "目标"))?;
    s.table(
        &crate::report::GapRow::xlsx_header(lang),
        light_col::<crate::report::GapRow>(),
        typed(gaps, lang),
    )?;
    s.finish()?;
    Ok(wb.save_to_buffer()?)
}

/// The digest as a workbook, one sheet per section, in the digest's language: the summary
/// (as-of date, counts of lights, units worst first), overdue tasks by lead unit, tasks
/// due soon, target gaps, recurring reports not received, and the policies' phases.
pub fn digest_xlsx(d: &Digest) -> Result<Vec<u8>> {
    use crate::report::{GapRow, TaskRow, UnitSummary};
    let lang = d.lang;
    let f = Formats::new();
    let mut wb = Workbook::new();

    let mut s = Sheet::new(&mut wb, &f, lang.pick("Summary", "概况"))?;
    s.pair(
        lang.pick("As of", "截至日期"),
        &XlsxValue::Date(d.as_of),
        None,
    )?;
    for (light, n) in [
        (Light::Red, d.counts.red),
        (Light::Yellow, d.counts.yellow),
        (Light::Green, d.counts.green),
    ] {
        s.pair(
            lang.light(light),
            &XlsxValue::Number(n as f64),
            Some(f.light(light)),
        )?;
    }
    s.pair(
        lang.pick("Due-soon window (days)", "即将到期提醒天数"),
        &XlsxValue::Number(d.due_soon_days as f64),
        None,
    )?;
    s.row += 1;
    s.table(
        &UnitSummary::xlsx_header(lang),
        light_col::<UnitSummary>(),
        typed(&d.units, lang),
    )?;
    s.finish()?;

    // The lead the group is filed under (the first lead), then the task's own columns.
    let mut s = Sheet::new(&mut wb, &f, lang.pick("Overdue", "逾期任务"))?;
    let mut header = vec![lang.pick("Lead unit (group)", "主牵头单位")];
    header.extend(TaskRow::xlsx_header(lang));
    let rows = d.overdue.iter().flat_map(|g| {
        g.tasks.iter().map(|t| {
            let mut cells = vec![XlsxValue::text(g.lead.as_str())];
            cells.extend(t.xlsx_cells(lang));
            (cells, t.light())
        })
    });
    s.table(&header, light_col::<TaskRow>().map(|c| c + 1), rows)?;
    s.finish()?;

    let mut s = Sheet::new(&mut wb, &f, lang.pick("Due soon", "即将到期"))?;
    s.table(
        &TaskRow::xlsx_header(lang),
        light_col::<TaskRow>(),
        typed(&d.due_soon, lang),
    )?;
    s.finish()?;

    let mut s = Sheet::new(&mut wb, &f, lang.pick("Gaps", "目标差距"))?;
    s.table(
        &GapRow::xlsx_header(lang),
        light_col::<GapRow>(),
        typed(&d.gaps, lang),
    )?;
    s.finish()?;

    let mut s = Sheet::new(
        &mut wb,
        &f,
        lang.pick("Recurring missed", "未报送的定期报告"),
    )?;
    s.table(
        &TaskRow::xlsx_header(lang),
        light_col::<TaskRow>(),
        typed(&d.recurring_missed, lang),
    )?;
    s.finish()?;

    let mut s = Sheet::new(&mut wb, &f, lang.pick("Phases", "实施步骤"))?;
    let header = match lang {
        Lang::En => vec!["Policy", "Policy title", "Phase", "Start", "End"],
        Lang::Zh => vec!["文件", "文件名称", "实施步骤", "开始日期", "结束日期"],
    };
    let rows = d.timelines.iter().flat_map(|t| {
        t.phases.iter().map(|p| {
            let date = |d: Option<NaiveDate>| d.map_or(XlsxValue::Empty, XlsxValue::Date);
            let cells = vec![
                XlsxValue::text(t.policy.as_str()),
                XlsxValue::text(t.title.as_str()),
                XlsxValue::text(p.name.as_str()),
                date(p.start),
                date(p.end),
            ];
            (cells, None)
        })
    });
    s.table(&header, None, rows)?;
    s.finish()?;

    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{GapRow, TaskRow, UnitSummary};

    #[test]
    fn chinese_counts_twice_as_wide() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("湖里区"), 6);
        assert_eq!(display_width("逾期30天(合计)、"), 16);
        assert_eq!(display_width("short\nlonger line"), 11);
    }

    #[test]
    fn sheet_names_are_made_acceptable_to_excel() {
        assert_eq!(sheet_name("逾期任务"), "逾期任务");
        assert_eq!(sheet_name("a/b:c*d?[e]\\f"), "a_b_c_d__e__f");
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name("history"), "history_");
        let long = sheet_name(&"区".repeat(40));
        assert_eq!(long.chars().count(), 31);
        // A character outside the BMP takes two of the 31 units.
        assert_eq!(sheet_name(&"𠀀".repeat(20)).chars().count(), 15);
    }

    #[test]
    fn text_longer_than_a_cell_holds_is_cut_with_a_mark() {
        let fits = "字".repeat(CELL_LIMIT);
        assert!(matches!(clipped(&fits), Cow::Borrowed(_)));
        let cut = clipped(&"字".repeat(CELL_LIMIT + 1)).into_owned();
        assert_eq!(cut, format!("{}…", "字".repeat(CELL_LIMIT - 1)));
        // Excel counts UTF-16 units: a character outside the BMP takes two, and is never
        // split.
        let cut = clipped(&format!("a{}", "😀".repeat(20_000))).into_owned();
        assert_eq!(cut, format!("a{}…", "😀".repeat(16_382)));
        assert!(cut.encode_utf16().count() <= CELL_LIMIT);
    }

    #[test]
    fn more_rows_than_a_sheet_holds_say_what_to_do() {
        let one = UnitSummary::default();
        let rows = vec![&one; 1_048_576];
        let e = rows_xlsx(&rows, "units", Lang::En).unwrap_err().to_string();
        assert!(
            e.contains("1048576 rows") && e.contains("--format csv"),
            "{e}"
        );
    }

    #[test]
    fn dates_parse_and_other_text_is_kept() {
        assert_eq!(
            XlsxValue::date(Some("2024-05-31")),
            XlsxValue::Date(NaiveDate::from_ymd_opt(2024, 5, 31).unwrap())
        );
        assert_eq!(
            XlsxValue::date(Some("2024年5月")),
            XlsxValue::Text("2024年5月".into())
        );
        assert_eq!(XlsxValue::date(None), XlsxValue::Empty);
        assert_eq!(XlsxValue::text(""), XlsxValue::Empty);
        assert_eq!(XlsxValue::count(Some(30)), XlsxValue::Number(30.0));
    }

    #[test]
    fn every_key_has_a_header_in_both_languages() {
        for lang in [Lang::En, Lang::Zh] {
            assert_eq!(TaskRow::xlsx_header(lang).len(), TaskRow::KEYS.len());
            assert_eq!(GapRow::xlsx_header(lang).len(), GapRow::KEYS.len());
            assert_eq!(
                UnitSummary::xlsx_header(lang).len(),
                UnitSummary::KEYS.len()
            );
            let cells = UnitSummary::default().xlsx_cells(lang);
            assert_eq!(cells.len(), UnitSummary::KEYS.len());
        }
    }
}
