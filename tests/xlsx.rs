//! Excel output read back as Excel sees it: sheet names, headers in the reader's language,
//! typed cells (dates as dates, days and gaps as numbers), Chinese text intact, and the
//! header frozen and filtered. On the `basic` workspace at 2024-06-30: 湖里区's task 1 was
//! due 2024-05-31 and is 30 days overdue; 思明区 is 37 community workers short of 18 per
//! 10,000 residents; task 2 (出台服务清单) is due in 15 days.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::NaiveDate;
use govtrack::i18n::Lang;
use govtrack::index::Index;
use govtrack::index::snapshot::{self, Snapshot};
use govtrack::render::Row;
use govtrack::render::xlsx::{digest_xlsx, rows_xlsx};
use govtrack::report::digest::{Digest, DigestOptions, Timeline, TimelinePhase, digest};
use govtrack::report::{
    Filter, GapRow, TaskRow, gap_rows, overdue_rows, task_rows, unit_summaries,
};
use govtrack::workspace::Workspace;
use std::io::Read;
use tempfile::TempDir;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()
}

/// The fixture's snapshot at 2024-06-30, with its workspace settings.
fn load(fixture: &str) -> (TempDir, Workspace, Snapshot) {
    let dir = common::workspace(fixture);
    let ws = Workspace::locate(Some(dir.path())).unwrap();
    let (mut index, _) = Index::open(&dir.path().join(".govtrack/index.sqlite")).unwrap();
    index.refresh(&ws).unwrap();
    let s = snapshot::load(index.conn(), as_of(), snapshot::Need::ALL).unwrap();
    (dir, ws, s)
}

fn basic_digest(lang: Lang) -> Digest {
    let (_dir, ws, s) = load("basic");
    digest(
        &s,
        &DigestOptions {
            due_soon_days: ws.due_soon_days,
            stale_after_months: ws.stale_after_months,
            lang,
            trend: None,
        },
    )
}

/// A workbook written to a file and opened by calamine, as a user's Excel file would be.
struct Book {
    _dir: TempDir,
    bytes: Vec<u8>,
    xlsx: Xlsx<std::io::BufReader<std::fs::File>>,
}

impl Book {
    fn new(bytes: Vec<u8>) -> Book {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("out.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let xlsx = open_workbook(&path).unwrap();
        Book {
            _dir: dir,
            bytes,
            xlsx,
        }
    }

    fn names(&self) -> Vec<String> {
        self.xlsx.sheet_names()
    }

    fn grid(&mut self, sheet: &str) -> Vec<Vec<Data>> {
        let range = self.xlsx.worksheet_range(sheet).unwrap();
        assert_eq!(range.start(), Some((0, 0)), "{sheet} does not start at A1");
        range.rows().map(<[Data]>::to_vec).collect()
    }

    /// The XML of the `n`th worksheet (1-based) or another part of the package.
    fn part(&self, name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&self.bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
        xml
    }

    fn sheet_xml(&self, n: usize) -> String {
        self.part(&format!("xl/worksheets/sheet{n}.xml"))
    }

    /// The fill of a cell (`<fill>…</fill>` of styles.xml), through its style index.
    fn fill(&self, sheet: usize, cell: &str) -> String {
        let xml = self.sheet_xml(sheet);
        let c = xml
            .split(&format!(r#"<c r="{cell}""#))
            .nth(1)
            .unwrap_or_else(|| panic!("no cell {cell}"));
        let c = &c[..c.find('>').unwrap()];
        let style: usize = attr(c, "s").map_or(0, |s| s.parse().unwrap());
        let styles = self.part("xl/styles.xml");
        let xfs = styles.split("<cellXfs").nth(1).unwrap();
        let xf = xfs.split("<xf ").nth(style + 1).unwrap();
        let fill: usize = attr(xf, "fillId").unwrap().parse().unwrap();
        let fills = styles.split("<fills").nth(1).unwrap();
        let fills = &fills[..fills.find("</fills>").unwrap()];
        fills.split("<fill>").nth(fill + 1).unwrap().to_string()
    }
}

/// The value of the XML attribute `name` in `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(&tag[start..end])
}

fn text(cells: &[Data]) -> Vec<String> {
    cells.iter().map(ToString::to_string).collect()
}

/// The cell under the header `name`.
fn at<'a>(header: &[Data], row: &'a [Data], name: &str) -> &'a Data {
    let c = header
        .iter()
        .position(|h| matches!(h, Data::String(s) if s == name))
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[c]
}

fn assert_date(cell: &Data, y: u16, m: u8, d: u8) {
    match cell {
        Data::DateTime(x) => {
            assert!(x.is_datetime(), "{cell:?}");
            let (yy, mm, dd, h, mi, s, _) = x.to_ymd_hms_milli();
            assert_eq!((yy, mm, dd, h, mi, s), (y, m, d, 0, 0, 0), "{cell:?}");
        }
        other => panic!("expected a date cell, got {other:?}"),
    }
}

fn assert_number(cell: &Data, expected: f64) {
    let v = match cell {
        Data::Float(v) => *v,
        Data::Int(v) => *v as f64,
        other => panic!("expected a number cell, got {other:?}"),
    };
    assert!((v - expected).abs() < 1e-9, "{v} != {expected}");
}

/// The pane of a sheet's XML: the header frozen, the first row below it at the top.
fn assert_frozen_below(xml: &str, rows: u32) {
    let pane = xml
        .split("<pane ")
        .nth(1)
        .and_then(|p| p.split("/>").next())
        .unwrap_or_else(|| panic!("no pane in {xml}"));
    assert!(pane.contains(r#"state="frozen""#), "{pane}");
    assert!(pane.contains(&format!(r#"ySplit="{rows}""#)), "{pane}");
    assert!(
        pane.contains(&format!(r#"topLeftCell="A{}""#, rows + 1)),
        "{pane}"
    );
    assert!(!pane.contains("xSplit"), "no column is frozen: {pane}");
}

/// Column widths as written, by 1-based column.
fn widths(xml: &str) -> Vec<(usize, f64)> {
    xml.split("<col ")
        .skip(1)
        .flat_map(|c| {
            let c = format!(" {}", &c[..c.find('>').unwrap()]);
            let min = attr(&c, "min").unwrap().parse().unwrap();
            let max: usize = attr(&c, "max").unwrap().parse().unwrap();
            let width: f64 = attr(&c, "width").unwrap().parse().unwrap();
            (min..=max).map(move |n| (n, width))
        })
        .collect()
}

#[test]
fn overdue_rows_in_chinese_have_typed_cells() {
    let (_dir, ws, s) = load("basic");
    let overdue = overdue_rows(&s, &Filter::default(), ws.due_soon_days);
    let rows = overdue.rows();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let mut book = Book::new(rows_xlsx(&rows, "逾期任务", Lang::Zh).unwrap());
    assert_eq!(book.names(), ["逾期任务"]);
    let grid = book.grid("逾期任务");
    assert_eq!(grid.len(), 2, "{grid:?}");
    let (header, row) = (&grid[0], &grid[1]);
    assert_eq!(
        text(header),
        [
            "文件",
            "任务",
            "序号",
            "任务名称",
            "单位",
            "单位代码",
            "牵头单位",
            "配合单位",
            "完成时限",
            "定期报告",
            "亮灯",
            "状态",
            "逾期天数",
            "剩余天数",
            "完成日期",
            "逾期完成天数",
            "进展",
            "备注",
        ]
    );
    assert_eq!(header.len(), TaskRow::KEYS.len());
    assert_eq!(at(header, row, "单位"), &Data::String("湖里区".into()));
    assert_eq!(
        at(header, row, "任务名称"),
        &Data::String("健全自治组织".into())
    );
    assert_eq!(
        at(header, row, "配合单位"),
        &Data::String("厦门市民政局基层政权建设和社区治理处".into())
    );
    assert_eq!(at(header, row, "备注"), &Data::String("正在补选".into()));
    assert_date(at(header, row, "完成时限"), 2024, 5, 31);
    assert_number(at(header, row, "逾期天数"), 30.0);
    assert_eq!(at(header, row, "剩余天数"), &Data::Empty);
    assert_eq!(at(header, row, "亮灯"), &Data::String("红灯".into()));
    assert_eq!(at(header, row, "状态"), &Data::String("逾期".into()));
    assert_eq!(at(header, row, "进展"), &Data::String("推进中".into()));
    assert_eq!(at(header, row, "定期报告"), &Data::String("否".into()));

    let xml = book.sheet_xml(1);
    assert_frozen_below(&xml, 1);
    assert!(xml.contains(r#"<autoFilter ref="A1:R2"/>"#), "{xml}");
    // The header is bold; dates show as yyyy-mm-dd; the red light (K2) has a red fill and
    // its neighbour none.
    let styles = book.part("xl/styles.xml");
    assert!(styles.contains("<b/>"), "{styles}");
    assert!(styles.contains(r#"formatCode="yyyy-mm-dd""#), "{styles}");
    let fill = book.fill(1, "K2");
    assert!(fill.contains(r#"rgb="FFF8696B""#), "{fill}");
    let fill = book.fill(1, "L2");
    assert!(fill.contains(r#"patternType="none""#), "{fill}");
    // Columns are as wide as their text, Chinese counting double: 18 characters of
    // 配合单位 need 36, the policy id `plan` much less.
    let w = widths(&xml);
    let support = w.iter().find(|(c, _)| *c == 8).unwrap().1;
    let policy = w.iter().find(|(c, _)| *c == 1).unwrap().1;
    assert!((36.0..=62.0).contains(&support), "{w:?}");
    assert!(policy < 12.0, "{w:?}");
}

#[test]
fn a_note_longer_than_a_cell_holds_is_cut_not_the_workbook_lost() {
    let (_dir, ws, s) = load("basic");
    let overdue = overdue_rows(&s, &Filter::default(), ws.due_soon_days);
    let mut row = overdue.rows()[0].clone();
    row.note = "备注".repeat(20_000);
    let mut book = Book::new(rows_xlsx(&[row], "逾期任务", Lang::Zh).unwrap());
    let grid = book.grid("逾期任务");
    let note = at(&grid[0], &grid[1], "备注").to_string();
    assert_eq!(note.chars().count(), 32_767);
    assert!(
        note.starts_with("备注备注") && note.ends_with('…'),
        "{note:.20}"
    );
}

#[test]
fn rows_in_english_have_english_headers_and_words() {
    let (_dir, ws, s) = load("basic");
    let overdue = overdue_rows(&s, &Filter::default(), ws.due_soon_days);
    let rows = overdue.rows();
    let mut book = Book::new(rows_xlsx(&rows, "Overdue", Lang::En).unwrap());
    assert_eq!(book.names(), ["Overdue"]);
    let grid = book.grid("Overdue");
    let (header, row) = (&grid[0], &grid[1]);
    assert_eq!(
        text(&header[..4]),
        ["Policy", "Task", "No.", "Title"],
        "{header:?}"
    );
    assert_eq!(at(header, row, "Light"), &Data::String("red".into()));
    assert_eq!(at(header, row, "Status"), &Data::String("overdue".into()));
    assert_eq!(
        at(header, row, "Progress"),
        &Data::String("in progress".into())
    );
    assert_date(at(header, row, "Deadline"), 2024, 5, 31);
    assert_number(at(header, row, "Days overdue"), 30.0);
    // Names stay as written, in Chinese.
    assert_eq!(at(header, row, "Unit"), &Data::String("湖里区".into()));
}

#[test]
fn gap_rows_carry_the_gap_as_a_number() {
    let (_dir, ws, s) = load("basic");
    let rows = gap_rows(&s, &Filter::default(), ws.stale_after_months, Lang::Zh);
    let mut book = Book::new(rows_xlsx(&rows, "目标差距", Lang::Zh).unwrap());
    let grid = book.grid("目标差距");
    let header = &grid[0];
    assert_eq!(header.len(), GapRow::KEYS.len());
    assert_eq!(
        text(&header[8..13]),
        ["实际", "下限", "上限", "差距", "差距说明"]
    );
    let siming: Vec<&Vec<Data>> = grid[1..]
        .iter()
        .filter(|r| at(header, r, "单位") == &Data::String("思明区".into()))
        .filter(|r| at(header, r, "指标") == &Data::String("community_workers".into()))
        .collect();
    assert_eq!(siming.len(), 1, "{grid:?}");
    let row = siming[0];
    assert_number(at(header, row, "差距"), 37.0);
    assert_number(at(header, row, "下限"), 18.0);
    assert_number(at(header, row, "上限"), 30.0);
    // 1,895 per 1,073,315 residents is 17.655581 per 10,000 (rounded to 6 places).
    assert_number(at(header, row, "实际"), 17.655581);
    assert_eq!(
        at(header, row, "差距说明"),
        &Data::String("需增加37名社区工作者".into())
    );
    assert_eq!(at(header, row, "状态"), &Data::String("未达标".into()));
    assert_date(at(header, row, "数据日期"), 2024, 6, 30);
    assert_date(at(header, row, "完成时限"), 2025, 12, 31);
    assert_frozen_below(&book.sheet_xml(1), 1);
}

#[test]
fn the_tree_workspace_writes_unit_summaries() {
    let (_dir, ws, s) = load("tree");
    let tasks = task_rows(&s, &Filter::default(), ws.due_soon_days);
    let gaps = gap_rows(&s, &Filter::default(), ws.stale_after_months, Lang::Zh);
    let units = unit_summaries(&tasks, &gaps);
    assert!(!units.is_empty());
    let mut book = Book::new(rows_xlsx(&units, "各单位", Lang::Zh).unwrap());
    let grid = book.grid("各单位");
    assert_eq!(grid.len(), units.len() + 1);
    assert_eq!(text(&grid[0][..4]), ["单位", "单位代码", "亮灯", "任务数"]);
    for (row, u) in grid[1..].iter().zip(&units) {
        assert_eq!(row[0], Data::String(u.unit.clone()));
        assert_number(&row[3], u.tasks as f64);
    }
}

#[test]
fn sheet_names_are_made_acceptable_to_excel() {
    let (_dir, ws, s) = load("basic");
    let overdue = overdue_rows(&s, &Filter::default(), ws.due_soon_days);
    let rows = overdue.rows();
    let name = "逾期/任务:[2024?]*".to_string() + &"长".repeat(40);
    let book = Book::new(rows_xlsx(&rows, &name, Lang::Zh).unwrap());
    let names = book.names();
    assert_eq!(names.len(), 1);
    assert!(names[0].starts_with("逾期_任务__2024___长长"), "{names:?}");
    assert_eq!(names[0].encode_utf16().count(), 31, "{names:?}");
}

#[test]
fn the_digest_in_chinese_has_a_sheet_per_section() {
    let mut d = basic_digest(Lang::Zh);
    d.timelines.push(Timeline {
        policy: "plan".into(),
        title: "城中村治理工作方案".into(),
        phases: vec![TimelinePhase {
            name: "动员部署".into(),
            start: NaiveDate::from_ymd_opt(2023, 6, 1),
            end: NaiveDate::from_ymd_opt(2024, 2, 29),
        }],
    });
    let mut book = Book::new(digest_xlsx(&d).unwrap());
    assert_eq!(
        book.names(),
        [
            "概况",
            "逾期任务",
            "即将到期",
            "目标差距",
            "未报送的定期报告",
            "实施步骤"
        ]
    );

    let summary = book.grid("概况");
    assert_eq!(summary[0][0], Data::String("截至日期".into()));
    assert_date(&summary[0][1], 2024, 6, 30);
    assert_eq!(text(&summary[1][..1]), ["红灯"]);
    assert_number(&summary[1][1], d.counts.red as f64);
    assert!(d.counts.red >= 1);
    assert_eq!(text(&summary[2][..1]), ["黄灯"]);
    assert_number(&summary[2][1], d.counts.yellow as f64);
    assert_eq!(text(&summary[3][..1]), ["绿灯"]);
    assert_number(&summary[3][1], d.counts.green as f64);
    // Then the units, worst first, below their own header.
    let units_at = summary
        .iter()
        .position(|r| r[0] == Data::String("单位".into()))
        .unwrap();
    assert_eq!(text(&summary[units_at][..3]), ["单位", "单位代码", "亮灯"]);
    assert_eq!(summary.len(), units_at + 1 + d.units.len());
    assert_eq!(
        summary[units_at + 1][0],
        Data::String(d.units[0].unit.clone())
    );
    assert_eq!(summary[units_at + 1][2], Data::String("红灯".into()));
    assert_frozen_below(&book.sheet_xml(1), units_at as u32 + 1);

    let overdue = book.grid("逾期任务");
    assert_eq!(text(&overdue[0][..3]), ["主牵头单位", "文件", "任务"]);
    assert_eq!(overdue.len(), 2, "{overdue:?}");
    let (h, r) = (&overdue[0], &overdue[1]);
    assert_eq!(r[0], Data::String("湖里区".into()));
    assert_number(at(h, r, "逾期天数"), 30.0);
    assert_date(at(h, r, "完成时限"), 2024, 5, 31);

    let soon = book.grid("即将到期");
    assert_eq!(text(&soon[0][..4]), ["文件", "任务", "序号", "任务名称"]);
    assert_eq!(soon.len(), d.due_soon.len() + 1);
    // Soonest first: the half-year report due today, then task 2 in 15 days.
    assert_number(at(&soon[0], &soon[1], "剩余天数"), 0.0);
    let t2 = soon[1..]
        .iter()
        .find(|r| at(&soon[0], r, "任务名称") == &Data::String("出台服务清单".into()))
        .unwrap();
    assert_number(at(&soon[0], t2, "剩余天数"), 15.0);
    assert_date(at(&soon[0], t2, "完成时限"), 2024, 7, 15);
    assert_eq!(at(&soon[0], t2, "亮灯"), &Data::String("黄灯".into()));

    let gaps = book.grid("目标差距");
    assert_eq!(text(&gaps[0][..3]), ["文件", "目标", "目标名称"]);
    let biggest = gaps[1..]
        .iter()
        .find(|r| at(&gaps[0], r, "单位") == &Data::String("思明区".into()))
        .unwrap();
    assert_number(at(&gaps[0], biggest, "差距"), 37.0);

    let missed = book.grid("未报送的定期报告");
    assert_eq!(text(&missed[0][..3]), ["文件", "任务", "序号"]);
    assert_eq!(missed.len(), d.recurring_missed.len() + 1);

    let phases = book.grid("实施步骤");
    assert_eq!(
        text(&phases[0]),
        ["文件", "文件名称", "实施步骤", "开始日期", "结束日期"]
    );
    assert_eq!(
        text(&phases[1][..3]),
        ["plan", "城中村治理工作方案", "动员部署"]
    );
    assert_date(&phases[1][3], 2023, 6, 1);
    assert_date(&phases[1][4], 2024, 2, 29);

    for n in 2..=6 {
        assert_frozen_below(&book.sheet_xml(n), 1);
    }
}

#[test]
fn the_digest_in_english_names_its_sheets_in_english() {
    let d = basic_digest(Lang::En);
    let mut book = Book::new(digest_xlsx(&d).unwrap());
    assert_eq!(
        book.names(),
        [
            "Summary",
            "Overdue",
            "Due soon",
            "Gaps",
            "Recurring missed",
            "Phases"
        ]
    );
    let summary = book.grid("Summary");
    assert_eq!(summary[0][0], Data::String("As of".into()));
    assert_date(&summary[0][1], 2024, 6, 30);
    assert_eq!(text(&summary[1][..1]), ["red"]);
    let first_rows = [
        ("Overdue", ["Lead unit (group)", "Policy", "Task"]),
        ("Due soon", ["Policy", "Task", "No."]),
        ("Gaps", ["Policy", "Target", "Title"]),
        ("Recurring missed", ["Policy", "Task", "No."]),
        ("Phases", ["Policy", "Policy title", "Phase"]),
    ];
    for (sheet, first) in first_rows {
        let grid = book.grid(sheet);
        assert_eq!(text(&grid[0][..3]), first, "{sheet}");
    }
    // No phases in this workspace: the sheet is its header alone.
    assert_eq!(book.grid("Phases").len(), 1);
}
