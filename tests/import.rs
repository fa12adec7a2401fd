//! `govtrack import` end to end on a copy of the basic fixture workspace (units 厦门市 xm,
//! 思明区 xm-siming with 1,073,315 residents, 湖里区 xm-huli with 100,000; metric
//! community_workers 社区工作者, at least 18 per 10,000 residents). Returns are built here:
//! CSV as text, Excel files with rust_xlsxwriter. Each refused return must exit 2 and leave
//! nothing under progress/imports.

mod common;

use assert_cmd::Command;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A fresh copy of the basic workspace; commands run inside it, so returns are named by
/// paths relative to it (`returns/2024-06-思明区.xlsx`), as a person would type them.
struct Ws {
    dir: TempDir,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ws {
    fn new() -> Ws {
        let dir = common::workspace("basic");
        std::fs::create_dir_all(dir.path().join("returns")).unwrap();
        Ws { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::cargo_bin("govtrack").unwrap();
        let out = common::english(&mut cmd)
            .current_dir(self.dir.path())
            .arg("--workspace")
            .arg(self.dir.path())
            .args(args)
            .env_remove("GOVTRACK_DB")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Runs and insists on the exit status; returns stdout.
    fn ok(&self, args: &[&str], code: i32) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code,
            Some(code),
            "{args:?}\nstdout: {}\nstderr: {}",
            r.stdout,
            r.stderr
        );
        r.stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all, 0)).unwrap()
    }

    /// The row of `gaps` for one unit.
    fn gap(&self, as_of: &str, unit: &str) -> Value {
        common::unit_row(&self.json(&["gaps", "--as-of", as_of]), unit)
    }

    /// How many observations the index holds, from `govtrack load`.
    fn observations(&self) -> usize {
        let out = self.ok(&["load"], 0);
        let before = out
            .trim_end()
            .strip_suffix(" observations")
            .unwrap_or_else(|| panic!("{out}"));
        before.rsplit(' ').next().unwrap().parse().unwrap()
    }

    fn write(&self, rel: &str, text: &str) -> String {
        std::fs::write(self.path(rel), text).unwrap();
        rel.to_string()
    }

    fn imports(&self) -> Vec<String> {
        match std::fs::read_dir(self.path("progress/imports")) {
            Err(_) => Vec::new(),
            Ok(dir) => dir
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
        }
    }

    /// Imports `rel` expecting refusal: exit 2, every phrase in stderr, nothing written.
    fn refused(&self, args: &[&str], says: &[&str]) -> String {
        let mut all = vec!["import"];
        all.extend(args);
        let r = self.run(&all);
        assert_eq!(
            r.code,
            Some(2),
            "{all:?}\nstdout: {}\nstderr: {}",
            r.stdout,
            r.stderr
        );
        for s in says {
            assert!(
                r.stderr.contains(s),
                "{all:?}: wanted {s:?} in\n{}",
                r.stderr
            );
        }
        assert_eq!(r.stdout, "", "{all:?}");
        assert_eq!(self.imports(), Vec::<String>::new(), "{all:?} wrote a file");
        r.stderr
    }
}

/// A cell of a test workbook.
enum X {
    S(&'static str),
    N(f64),
    /// An Excel date cell.
    D(u16, u8, u8),
    /// A formula and the value saved with it ("" for none).
    F(&'static str, &'static str),
    Blank,
}

fn xlsx(path: &Path, sheet: &str, rows: &[Vec<X>]) {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    // A formula given no result is saved without one, as some programs write them.
    ws.set_formula_result_default("");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                X::S(s) => {
                    ws.write_string(r, c, *s).unwrap();
                }
                X::N(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                X::D(y, m, d) => {
                    let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    ws.write_datetime_with_format(r, c, &day, &date).unwrap();
                }
                X::F(f, result) => {
                    ws.write_formula(r, c, Formula::new(*f).set_result(*result))
                        .unwrap();
                }
                X::Blank => {}
            }
        }
    }
    book.save(path).unwrap();
}

const LONG_CSV: &str = "\u{feff}单位,指标,日期,数值,备注\r\n\
                        思明区,社区工作者,2024-07-31,1900,思明区民政局月报\r\n\
                        湖里区,community_workers,2024年7月,250,\r\n";

#[test]
fn a_long_csv_with_chinese_headers_is_imported_and_gaps_see_it() {
    let ws = Ws::new();
    let before = ws.gap("2024-07-31", "思明区");
    assert_eq!(before["gap_text"], "needs 37 more community workers");
    let file = ws.write("returns/2024-07.csv", LONG_CSV);
    let out = ws.ok(&["import", &file], 0);
    assert_eq!(
        out,
        "imported 2 observations from returns/2024-07.csv into progress/imports/2024-07.csv\n\
         \x20 read:    long layout\n\
         \x20 units:   思明区, 湖里区\n\
         \x20 dates:   2024-07-31\n\
         \x20 metrics: 社区工作者\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("progress/imports/2024-07.csv")).unwrap(),
        "metric,unit,date,value,source\n\
         community_workers,xm-siming,2024-07-31,1900,思明区民政局月报\n\
         community_workers,xm-huli,2024-07-31,250,import 2024-07.csv row 3\n"
    );
    // ⌈18 × 1,073,315 ÷ 10,000⌉ = 1,932 workers needed; 1,900 reported.
    let siming = ws.gap("2024-07-31", "思明区");
    assert_eq!(siming["gap_text"], "needs 32 more community workers");
    assert_eq!(siming["data_date"], "2024-07-31");
    // 250 for 100,000 residents: 25 per 10,000, within 18–30.
    let huli = ws.gap("2024-07-31", "湖里区");
    assert_eq!(huli["actual"], 25.0);
    assert_eq!(huli["status"], "met");
    // The month before is judged on the figures of that month.
    assert_eq!(
        ws.gap("2024-06-30", "思明区")["gap_text"],
        "needs 37 more community workers"
    );
}

/// 思明区 and 湖里区's June return in the wide layout, under a title row, with Excel date
/// cells, numbers, a formula with its saved value and two cells left empty.
fn wide_june(path: &Path) {
    use X::*;
    xlsx(
        path,
        "月报",
        &[
            vec![S("思明区、湖里区2024年6月社区情况月报(示意数据)")],
            vec![S("单位"), S("统计日期"), S("社区工作者(名)"), S("常住人口")],
            vec![S("思明区"), D(2024, 6, 30), N(1900.0), N(1080000.0)],
            vec![S("湖里区"), D(2024, 6, 30), N(320.0), Blank],
            vec![S("xm"), D(2024, 6, 30), F("=C3+C4", "2220"), Blank],
        ],
    );
}

#[test]
fn a_wide_xlsx_with_date_cells_and_numbers_is_imported() {
    let ws = Ws::new();
    wide_june(&ws.path("returns/2024-06-月报.xlsx"));
    let out = ws.ok(&["import", "returns/2024-06-月报.xlsx"], 0);
    assert_eq!(
        out,
        "imported 4 observations from returns/2024-06-月报.xlsx into progress/imports/2024-06-月报.csv\n\
         \x20 read:    sheet 月报, wide layout, header in row 2\n\
         \x20 units:   思明区, 湖里区, 厦门市\n\
         \x20 dates:   2024-06-30\n\
         \x20 metrics: 社区工作者, 常住人口\n\
         \x20 skipped: 2 empty cells (not reported)\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("progress/imports/2024-06-月报.csv")).unwrap(),
        "metric,unit,date,value,source\n\
         community_workers,xm-siming,2024-06-30,1900,import 2024-06-月报.xlsx row 3\n\
         population,xm-siming,2024-06-30,1080000,import 2024-06-月报.xlsx row 3\n\
         community_workers,xm-huli,2024-06-30,320,import 2024-06-月报.xlsx row 4\n\
         community_workers,xm,2024-06-30,2220,import 2024-06-月报.xlsx row 5\n"
    );
    // The new population counts too. Of the two worker counts of 2024-06-30, the one
    // written last counts: in progress/observations.csv, whose path sorts after
    // progress/imports/, 1,895. ⌈18 × 1,080,000 ÷ 10,000⌉ − 1,895 = 49.
    assert_eq!(
        ws.gap("2024-06-30", "思明区")["gap_text"],
        "needs 49 more community workers"
    );
    // An index built afresh from the same files says the same.
    std::fs::remove_dir_all(ws.path(".govtrack")).unwrap();
    assert_eq!(
        ws.gap("2024-06-30", "思明区")["gap_text"],
        "needs 49 more community workers"
    );
}

#[test]
fn a_wide_csv_without_a_date_column_takes_the_day_from_the_command_line() {
    let ws = Ws::new();
    let file = ws.write("returns/6月.csv", "社区,社区工作者\n思明区,1950\n湖里区,\n");
    ws.refused(&[&file], &["row 1: missing column 日期 (date)", "--date"]);
    let out = ws.ok(&["import", &file, "--date", "2024-06"], 0);
    assert!(out.starts_with("imported 1 observation from"), "{out}");
    assert!(
        out.contains("skipped: 1 empty cell (not reported)"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("progress/imports/6月.csv")).unwrap(),
        "metric,unit,date,value,source\ncommunity_workers,xm-siming,2024-06-30,1950,import 6月.csv row 2\n"
    );
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let ws = Ws::new();
    assert_eq!(
        ws.observations(),
        4,
        "two observations and two census figures"
    );
    wide_june(&ws.path("returns/2024-06-月报.xlsx"));
    ws.ok(&["import", "returns/2024-06-月报.xlsx"], 0);
    let stored = ws.path("progress/imports/2024-06-月报.csv");
    let bytes = std::fs::read(&stored).unwrap();
    let mtime = std::fs::metadata(&stored).unwrap().modified().unwrap();
    assert_eq!(ws.observations(), 8);

    let out = ws.ok(&["import", "returns/2024-06-月报.xlsx"], 0);
    assert_eq!(
        out,
        "already imported: nothing changed (progress/imports/2024-06-月报.csv holds the same 4 observations from 2024-06-月报.xlsx)\n"
    );
    assert_eq!(std::fs::read(&stored).unwrap(), bytes);
    assert_eq!(
        std::fs::metadata(&stored).unwrap().modified().unwrap(),
        mtime
    );
    assert_eq!(ws.observations(), 8);
    assert_eq!(ws.imports(), ["2024-06-月报.csv"]);
}

#[test]
fn a_corrected_return_under_the_same_name_replaces_the_first() {
    let ws = Ws::new();
    let file = ws.write("returns/2024-07.csv", LONG_CSV);
    ws.ok(&["import", &file], 0);
    assert_eq!(ws.observations(), 6);
    ws.write("returns/2024-07.csv", &LONG_CSV.replace("1900", "1920"));
    let out = ws.ok(&["import", &file], 0);
    assert!(
        out.starts_with(
            "replaced progress/imports/2024-07.csv (2 observations before): imported 2 observations from returns/2024-07.csv\n"
        ),
        "{out}"
    );
    assert!(!out.contains("no longer imported"), "{out}");
    let text = std::fs::read_to_string(ws.path("progress/imports/2024-07.csv")).unwrap();
    assert!(text.contains("xm-siming,2024-07-31,1920,"), "{text}");
    assert!(!text.contains(",1900,"), "{text}");
    assert_eq!(ws.observations(), 6, "replaced, not added");
    assert_eq!(
        ws.gap("2024-07-31", "思明区")["gap_text"],
        "needs 12 more community workers"
    );

    // A corrected return that is itself wrong leaves the last good import as it was.
    let good = std::fs::read(ws.path("progress/imports/2024-07.csv")).unwrap();
    ws.write("returns/2024-07.csv", &LONG_CSV.replace("1900", "一九二零"));
    let r = ws.run(&["import", &file]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("`一九二零` is not a number"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(ws.path("progress/imports/2024-07.csv")).unwrap(),
        good
    );
    assert_eq!(ws.observations(), 6);
}

#[test]
fn a_replacement_that_drops_a_unit_says_so() {
    let ws = Ws::new();
    let file = ws.write("returns/月报.csv", LONG_CSV);
    ws.ok(&["import", &file], 0);
    ws.write(
        "returns/月报.csv",
        "单位,指标,日期,数值\n湖里区,社区工作者,2024-07-31,260\n",
    );
    let out = ws.ok(&["import", &file], 0);
    assert!(
        out.contains("no longer imported: 思明区 2024-07-31; if that was another return"),
        "{out}"
    );
}

#[test]
fn another_file_with_other_figures_for_the_same_day_is_warned_about() {
    let ws = Ws::new();
    let r = ws.run(&["import", &ws.write("returns/a.csv", LONG_CSV)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let r = ws.run(&[
        "import",
        &ws.write("returns/b.csv", &LONG_CSV.replace("1900", "1901")),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: progress/imports/a.csv gives another value for 1 of these"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_cell_that_is_not_a_number_is_named_by_file_row_and_column() {
    use X::*;
    let ws = Ws::new();
    // 19 monthly rows under the header; the 16th (row 17 in Excel) says 一千二.
    let mut rows = vec![vec![S("单位"), S("指标"), S("日期"), S("数值")]];
    for i in 0..19u8 {
        let (y, m) = if i < 12 {
            (2023, i + 1)
        } else {
            (2024, i - 11)
        };
        let value = if i == 15 {
            S("一千二")
        } else {
            N(1800.0 + f64::from(i))
        };
        rows.push(vec![S("思明区"), S("社区工作者"), D(y, m, 28), value]);
    }
    xlsx(&ws.path("returns/2024-06-思明区.xlsx"), "Sheet1", &rows);
    let err = ws.refused(
        &["returns/2024-06-思明区.xlsx"],
        &[
            "error: returns/2024-06-思明区.xlsx:17:4: row 17, column 数值 (D): `一千二` is not a number",
            "help: write the value in digits",
            "govtrack: error: 1 problem in returns/2024-06-思明区.xlsx; nothing was imported",
        ],
    );
    assert_eq!(err.matches("error: returns/").count(), 1, "{err}");
    assert_eq!(ws.observations(), 4);
}

#[test]
fn a_thousands_separator_is_refused_with_a_hint() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,\"1,900\"\n",
    );
    ws.refused(
        &[&file],
        &[
            "returns/r.csv:2:4: row 2, column 数值 (D): `1,900` has a thousands separator",
            "help: write 1900: digits only, no separators",
        ],
    );
    // Unquoted, the comma splits the row.
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,1,900\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:2:5: row 2: this row has 5 fields but the header has 4"],
    );
}

#[test]
fn an_impossible_date_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-02-30,1900\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:2:3: row 2, column 日期 (C): `2024-02-30` is not a real day: 2024-02 has 29 days"],
    );
}

#[test]
fn an_unknown_unit_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,1900\n西城区,社区工作者,2024-06-30,300\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:3:1: row 3, column 单位 (A): unknown unit `西城区`"],
    );
}

#[test]
fn an_unknown_metric_column_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,日期,社区工作者,志愿者\n思明区,2024-06-30,1900,35\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:1:4: row 1, column D: unknown column `志愿者`: not a metric; known metrics: community_workers (社区工作者), population (常住人口)"],
    );
}

#[test]
fn an_unknown_metric_in_the_long_layout_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,志愿者,2024-06-30,35\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:2:2: row 2, column 指标 (B): unknown metric `志愿者`"],
    );
}

#[test]
fn an_unknown_column_in_the_long_layout_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值,负责人\n思明区,社区工作者,2024-06-30,1900,林\n",
    );
    ws.refused(
        &[&file],
        &[
            "returns/r.csv:1:5: row 1, column E: unknown column `负责人`",
            "help: the long layout has the columns 单位, 指标, 日期, 数值",
        ],
    );
}

#[test]
fn a_missing_column_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期\n思明区,社区工作者,2024-06-30\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:1:4: row 1: missing column 数值 (value)"],
    );
    let file = ws.write(
        "returns/r.csv",
        "名称,指标,日期,数值\n思明区,社区工作者,2024-06-30,1\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:1:1: row 1: missing column 单位 (unit)"],
    );
}

#[test]
fn a_negative_value_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,-5\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:2:4: row 2, column 数值 (D): `-5` is negative"],
    );
}

#[test]
fn a_duplicate_row_is_refused() {
    let ws = Ws::new();
    // The same unit, metric and day, written differently.
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,1900\nxm-siming,community_workers,2024/6/30,1910\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:3:4: row 3, column 数值 (D): duplicate row, first at row 2"],
    );
}

#[test]
fn an_empty_value_in_the_long_layout_is_refused() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,\n",
    );
    ws.refused(
        &[&file],
        &["returns/r.csv:2:4: row 2, column 数值 (D): the value is missing"],
    );
}

#[test]
fn unsupported_file_types_are_refused() {
    let ws = Ws::new();
    for (file, says) in [
        ("returns/2024-06.xls", "unsupported file type `.xls`"),
        ("returns/2024-06.txt", "unsupported file type `.txt`"),
        ("returns/2024-06", "unsupported file type"),
    ] {
        ws.write(
            file,
            "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,1900\n",
        );
        ws.refused(&[file], &[says]);
    }
}

#[test]
fn a_csv_that_is_not_utf8_is_refused() {
    let ws = Ws::new();
    // "单位,数值" in GBK.
    std::fs::write(
        ws.path("returns/gbk.csv"),
        b"\xb5\xa5\xce\xbb,\xca\xfd\xd6\xb5\n",
    )
    .unwrap();
    ws.refused(
        &["returns/gbk.csv"],
        &[
            "returns/gbk.csv:1:1: row 1: the file is not UTF-8 text",
            "CSV UTF-8",
        ],
    );
}

#[test]
fn a_formula_without_a_saved_value_is_refused_and_a_missing_sheet_named() {
    use X::*;
    let ws = Ws::new();
    xlsx(
        &ws.path("returns/f.xlsx"),
        "月报",
        &[
            vec![S("单位"), S("日期"), S("社区工作者")],
            vec![S("思明区"), S("2024-06-30"), F("=1000+900", "")],
        ],
    );
    ws.refused(
        &["returns/f.xlsx"],
        &["returns/f.xlsx:2:3: row 2, column 社区工作者 (C): the formula `=1000+900` has no saved value"],
    );
    ws.refused(
        &["returns/f.xlsx", "--sheet", "Sheet1"],
        &["no worksheet `Sheet1`; the worksheets are: 月报"],
    );
}

#[test]
fn formulas_in_a_csv_are_not_numbers() {
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值\n思明区,社区工作者,2024-06-30,=1+1\n湖里区,社区工作者,2024-06-30,+cmd|' /C calc'!A0\n",
    );
    ws.refused(
        &[&file],
        &[
            "returns/r.csv:2:4: row 2, column 数值 (D): `=1+1` is not a number",
            "returns/r.csv:3:4: row 3, column 数值 (D): `+cmd|' /C calc'!A0` is not a number",
            "help: this looks like a spreadsheet formula",
            "2 problems in returns/r.csv; nothing was imported",
        ],
    );
}

#[test]
fn dates_and_figures_out_of_range_are_refused() {
    use X::*;
    let ws = Ws::new();
    let file = ws.write(
        "returns/r.csv",
        &format!(
            "单位,指标,日期,数值\n思明区,社区工作者,99999-06-30,1900\n湖里区,社区工作者,2023-02-29,300\n\
             xm,社区工作者,2024-06-30,1{}\n",
            "0".repeat(400)
        ),
    );
    ws.refused(
        &[&file],
        &[
            "returns/r.csv:2:3: row 2, column 日期 (C): `99999-06-30` is not a date",
            "returns/r.csv:3:3: row 3, column 日期 (C): `2023-02-29` is not a real day: 2023-02 has 28 days",
            "returns/r.csv:4:4: row 4, column 数值 (D): `10000",
            "is too large a number",
        ],
    );
    // An Excel date cell is held to the same years as a date written out.
    xlsx(
        &ws.path("returns/r.xlsx"),
        "Sheet1",
        &[
            vec![S("单位"), S("指标"), S("日期"), S("数值")],
            vec![S("思明区"), S("社区工作者"), D(9999, 12, 31), N(1900.0)],
        ],
    );
    ws.refused(
        &["returns/r.xlsx"],
        &["returns/r.xlsx:2:3: row 2, column 日期 (C): `9999-12-31`: the year 9999 is out of range (1900–2200)"],
    );
}

#[test]
fn a_cell_far_from_the_table_is_reported_not_allocated() {
    use rust_xlsxwriter::Workbook;
    let ws = Ws::new();
    // The last cell Excel has, XFD1048576: a worksheet range from A1 to it would be
    // 17 billion cells.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["单位", "日期", "社区工作者"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "思明区").unwrap();
    sheet.write_string(1, 1, "2024-06-30").unwrap();
    sheet.write_number(1, 2, 1900.0).unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save(ws.path("returns/far.xlsx")).unwrap();
    ws.refused(
        &["returns/far.xlsx"],
        &["returns/far.xlsx:1048576:16384: row 1048576, column XFD: `x` is in a column without a header"],
    );

    // Rows filled out from column A to a far cell count against the limit of cells.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "单位").unwrap();
    for r in 1..300 {
        sheet.write_string(r, 16_383, "x").unwrap();
    }
    book.save(ws.path("returns/wide.xlsx")).unwrap();
    ws.refused(
        &["returns/wide.xlsx"],
        &["returns/wide.xlsx:1:1: the worksheet `Sheet1` has more than 4 million cells"],
    );
}

#[test]
fn a_workbook_that_would_unpack_to_gigabytes_is_refused_unpacked() {
    use rust_xlsxwriter::Workbook;
    let ws = Ws::new();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "单位").unwrap();
    let mut bytes = book.save_to_buffer().unwrap();
    // A zip bomb's mark: a part that declares 2 GiB unpacked, in the archive's directory
    // (the size is 24 bytes into each directory entry, which starts with PK\1\2).
    let entry = bytes
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("a directory entry");
    bytes[entry + 24..entry + 28].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    std::fs::write(ws.path("returns/bomb.xlsx"), bytes).unwrap();
    ws.refused(
        &["returns/bomb.xlsx"],
        &["returns/bomb.xlsx:1:1: the workbook unpacks to 2048 MiB; govtrack reads workbooks of up to 512 MiB unpacked"],
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let ws = Ws::new();
    let file = ws.write("returns/big.csv", "单位,指标,日期,数值\n");
    std::fs::File::options()
        .write(true)
        .open(ws.path(&file))
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    ws.refused(
        &[&file],
        &[
            "returns/big.csv:1:1: the file is 64.0 MiB; govtrack reads files of up to 64 MiB",
            "help: split it into several returns",
        ],
    );
}

#[test]
fn a_quote_never_closed_is_refused_instead_of_swallowing_rows() {
    let ws = Ws::new();
    // Without the check, 湖里区's row was read as part of 思明区's note and lost.
    let file = ws.write(
        "returns/r.csv",
        "单位,指标,日期,数值,备注\n思明区,社区工作者,2024-06-30,1900,\"月报\n湖里区,社区工作者,2024-06-30,250,\n",
    );
    ws.refused(
        &[&file],
        &[
            "returns/r.csv:2:5: row 2, column E: this quote is never closed, so the rest of the file was read as one field",
            "help: close the quote",
        ],
    );
}
