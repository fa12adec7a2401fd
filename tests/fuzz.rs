//! Random and mutated input for every parser: manifests, progress files and returns
//! (CSV and Excel). Whatever they are given, the parsers answer Ok or a list of problems,
//! each naming a line and column and able to be shown; they never panic. What `import`
//! reads from a return must make a valid progress file.
//!
//! The mutations start from the real files: the shipped policies, the example progress and
//! every fixture workspace, including the broken ones. They delete, insert, duplicate and
//! swap characters and lines, truncate, and insert tokens that matter to TOML and CSV.
//!
//! The seed is fixed, so every run tries the same cases and a failure in CI can be
//! reproduced; set PROPTEST_CASES (and PROPTEST_RNG_SEED) to search further.

mod common;

use govtrack::diag::{Diagnostic, Source};
use govtrack::parse::defs::{Definitions, parse_definitions};
use govtrack::parse::progress::{Catalog, parse_progress};
use govtrack::parse::returns::{self, Grid, Options};
use govtrack::workspace::source_from_bytes;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

fn config(cases: u32) -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(0x676f_7674_7261_636b);
    }
    c
}

// ---------------------------------------------------------------------------------------
// The corpus: workspaces as text.

struct Workspace {
    /// Definition files (path, text), sorted by path as the index reads them.
    defs: Vec<(String, String)>,
    progress: Vec<(String, String)>,
    /// What progress is checked against, when the definitions are valid.
    catalog: Option<Catalog>,
}

impl Workspace {
    fn sources(&self) -> Vec<Source> {
        self.defs
            .iter()
            .map(|(p, t)| Source::new(p.clone(), t.clone()))
            .collect()
    }
}

/// The files below `dir` with one of `exts`, as (path relative to `root`, text).
fn files(root: &Path, dir: &str, exts: &[&str], out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return;
    };
    for e in entries {
        let e = e.unwrap();
        let rel = format!("{dir}/{}", e.file_name().to_string_lossy());
        if e.file_type().unwrap().is_dir() {
            files(root, &rel, exts, out);
        } else if exts.iter().any(|x| rel.ends_with(x)) {
            let bytes = std::fs::read(e.path()).unwrap();
            out.push((rel, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
}

fn catalog(d: &Definitions) -> Catalog {
    let mut tasks = HashMap::new();
    for p in &d.policies {
        for t in &p.tasks {
            tasks.insert((p.id.clone(), t.id.clone()), t.instance_units.clone());
        }
    }
    Catalog {
        registry: d.registry(),
        tasks,
    }
}

fn load(root: &Path, policies: &str, progress: &str) -> Workspace {
    let mut defs = Vec::new();
    files(root, policies, &[".toml"], &mut defs);
    defs.sort();
    let mut prog = Vec::new();
    files(root, progress, &[".csv", ".toml"], &mut prog);
    prog.sort();
    let mut ws = Workspace {
        defs,
        progress: prog,
        catalog: None,
    };
    ws.catalog = parse_definitions(&ws.sources()).ok().map(|d| catalog(&d));
    ws
}

/// The shipped policies with the example progress, and every fixture workspace (an error
/// kind's files copied over the errors' base, as its test does).
static CORPUS: LazyLock<Vec<Workspace>> = LazyLock::new(|| {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = common::fixtures();
    let mut out = vec![load(repo, "policies", "examples/progress")];
    for name in [
        "basic",
        "tree",
        "digest/full",
        "digest/hostile",
        "errors/base",
    ] {
        out.push(load(&fixtures.join(name), "policies", "progress"));
    }
    let errors = fixtures.join("errors");
    let mut kinds: Vec<_> = std::fs::read_dir(&errors)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|k| k != "base")
        .collect();
    kinds.sort();
    for kind in kinds {
        let dir = tempfile::tempdir().unwrap();
        common::copy_tree(&errors.join("base"), dir.path());
        common::copy_tree(&errors.join(&kind), dir.path());
        out.push(load(dir.path(), "policies", "progress"));
    }
    assert!(out[0].catalog.is_some(), "the shipped policies are valid");
    out
});

/// The catalogue of the basic fixture: 厦门市, 思明区, 湖里区; community_workers.
fn basic_catalog() -> &'static Catalog {
    CORPUS[1].catalog.as_ref().unwrap()
}

/// Every progress file of the corpus, with its workspace's catalogue.
fn progress_files() -> Vec<(&'static str, &'static str, Option<&'static Catalog>)> {
    CORPUS
        .iter()
        .flat_map(|w| {
            w.progress
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str(), w.catalog.as_ref()))
        })
        .collect()
}

/// Monthly returns as districts send them: long and wide, Chinese and English headers, a
/// title row, a BOM and CRLF.
const RETURNS: &[&str] = &[
    "\u{feff}单位,指标,日期,数值,备注\r\n思明区,社区工作者,2024-07-31,1900,思明区民政局月报\r\n\
     湖里区,community_workers,2024年7月,250,\r\n",
    "思明区、湖里区2024年6月社区情况月报\n单位,统计日期,社区工作者(名),常住人口\n\
     思明区,2024/6/30,1900,1080000\n湖里区,2024.6.30,320,\nxm,2024-06,2220,\n",
    "unit,metric,date,value,source\nxm-siming,community_workers,2024-06-30,1890,月报\n\
     xm-huli,population,2024-06-30 00:00:00,100000,\"普查,2020\"\n",
    "社区,社区工作者\n思明区,1950\n湖里区,\n",
];

// ---------------------------------------------------------------------------------------
// Mutations.

/// More digits than an f64 holds (1e320).
const BIG: &str = concat!(
    "1000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000000000000"
);

/// Tokens that matter to TOML, CSV and dates, inserted whole.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "[", "]", "[[", "]]", "{", "}", "=", "\"", "'", "\"\"\"", ",", ".", "\n", "\r\n", "\r",
    "#", "\\", "\\u", " ", "\t", "-", ":", "\u{feff}", "\0", "思明区", "😀", "é", "[[tasks]]",
    "[[units]]", "[policy]", "[[targets]]", "[[events]]", "[[observations]]", "id = \"t1\"",
    "id = \"xm\"", "each = \"district\"", "each = []", "lead = [\"each\"]",
    "parent = \"xm\"", "unit = \"xm\"", "deadline = \"2024-05\"", "every = [\"02-29\"]",
    "2024-02-30", "2023-02-29", "99999-01-01", "0000-01-01", "1900-01-01", "2200-12-31",
    "2024-13-01", "2024-06-30", "06-31", "1e309", "-1", "-0", "nan", "inf", "+5", "=1+1",
    "1,200", "一千二", "0x10", "18446744073709551616", "9223372036854775807", "min = 30",
    "max = 1", "scale = 0", "scale = inf", "value = nan", "population = -1",
    "population_date = 2020-11-01", "status,metric", "done", "in_progress", "xm-siming",
    "xm-huli", "community_workers", "population", "湖里区", "单位", "指标", "日期", "数值", "社区工作者(名)",
    "plan", "t1", "t2", ",,,,,,,", BIG,
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(Index, usize),
    Insert(Index, String),
    Replace(Index, char),
    SwapChars(Index, Index),
    DuplicateLine(Index),
    DeleteLine(Index),
    SwapLines(Index, Index),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
        1 => "\\PC{0,8}",
    ];
    prop_oneof![
        3 => (any::<Index>(), 1..40usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        4 => (any::<Index>(), token).prop_map(|(i, t)| Edit::Insert(i, t)),
        2 => (any::<Index>(), any::<char>()).prop_map(|(i, c)| Edit::Replace(i, c)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapChars(a, b)),
        2 => any::<Index>().prop_map(Edit::DuplicateLine),
        2 => any::<Index>().prop_map(Edit::DeleteLine),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..6)
}

/// Applies `edits` to `text`, character by character or line by line.
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len();
        let at = |i: &Index| if n == 0 { 0 } else { i.index(n) };
        match e {
            Edit::Delete(i, len) => {
                let from = at(i);
                chars.drain(from..(from + len).min(n));
            }
            Edit::Insert(i, t) => {
                let from = if n == 0 { 0 } else { i.index(n + 1) };
                chars.splice(from..from, t.chars());
            }
            Edit::Replace(i, c) if n > 0 => chars[at(i)] = *c,
            Edit::SwapChars(a, b) if n > 0 => chars.swap(at(a), at(b)),
            Edit::Truncate(i) => chars.truncate(at(i)),
            Edit::DuplicateLine(i) | Edit::DeleteLine(i) | Edit::SwapLines(i, _) => {
                let s: String = chars.iter().collect();
                let mut lines: Vec<&str> = s.split_inclusive('\n').collect();
                if lines.is_empty() {
                    continue;
                }
                let l = i.index(lines.len());
                match e {
                    Edit::DuplicateLine(_) => lines.insert(l, lines[l]),
                    Edit::DeleteLine(_) => {
                        lines.remove(l);
                    }
                    Edit::SwapLines(_, j) => {
                        let j = j.index(lines.len());
                        lines.swap(l, j);
                    }
                    _ => unreachable!(),
                }
                chars = lines.concat().chars().collect();
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// What every answer must be.

/// A problem names a line and column of its file, its caret lies within the line shown,
/// and it renders.
fn check(diags: &[Diagnostic], lines: Option<usize>) {
    assert!(!diags.is_empty(), "an Err without a problem");
    for d in diags {
        assert!(d.line >= 1 && d.col >= 1, "no place: {d:?}");
        if let Some(lines) = lines {
            assert!(d.line <= lines + 1, "line {} of {lines}: {d:?}", d.line);
        }
        let t = &d.line_text;
        assert!(
            d.span.start <= d.span.end
                && d.span.end <= t.len()
                && t.is_char_boundary(d.span.start)
                && t.is_char_boundary(d.span.end),
            "caret outside the line: {d:?}"
        );
        assert!(!d.render(false).is_empty());
        assert!(!d.render(true).is_empty());
    }
}

fn lines(text: &str) -> Option<usize> {
    Some(text.split('\n').count())
}

fn check_definitions(sources: &[Source]) {
    if let Err(diags) = parse_definitions(sources) {
        let most = sources.iter().map(|s| s.text.split('\n').count()).max();
        check(&diags, most);
    }
}

fn check_progress(src: &Source, catalog: Option<&Catalog>) {
    if let Err(diags) = parse_progress(src, catalog) {
        check(&diags, lines(&src.text));
    }
    if catalog.is_some()
        && let Err(diags) = parse_progress(src, None)
    {
        check(&diags, lines(&src.text));
    }
}

/// Reads a return as `import` does; what it yields must be a valid progress file.
fn check_return(grid: Result<Grid, Vec<Diagnostic>>, catalog: &Catalog) {
    let grid = match grid {
        Ok(g) => g,
        Err(diags) => return check(&diags, None),
    };
    let opts = Options {
        date: None,
        file_name: "r.csv",
    };
    match returns::parse_return(&grid, catalog, &opts) {
        Ok(ret) => {
            let text = returns::canonical_csv(&ret.observations);
            let src = Source::new("progress/imports/r.csv", text);
            let rows = parse_progress(&src, Some(catalog))
                .unwrap_or_else(|d| panic!("import wrote an invalid file: {d:?}\n{}", src.text));
            assert_eq!(rows.observations.len(), ret.observations.len());
        }
        Err(diags) => check(&diags, None),
    }
}

// ---------------------------------------------------------------------------------------
// Definitions.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_manifests(ws in any::<Index>(), file in any::<Index>(), edits in edits()) {
        let ws = ws.get(&CORPUS[..]);
        let mut sources = ws.sources();
        let i = file.index(sources.len());
        let text = mutate(&sources[i].text, &edits);
        sources[i] = Source::new(sources[i].path.clone(), text);
        check_definitions(&sources);
    }

    #[test]
    fn random_text_beside_valid_manifests(text in "(?s)\\PC{0,300}|[\\[\\]{}=\",.\n a-z0-9\"-]{0,300}") {
        let mut sources = CORPUS[1].sources();
        sources.push(Source::new("policies/random.toml", text));
        check_definitions(&sources);
    }

    #[test]
    fn random_bytes_as_a_manifest(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        match source_from_bytes("policies/random.toml", bytes) {
            Ok(src) => {
                let mut sources = CORPUS[1].sources();
                sources.push(src);
                check_definitions(&sources);
            }
            Err(d) => check(&[d], None),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Progress files.

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn mutated_progress(file in any::<Index>(), edits in edits()) {
        let all = progress_files();
        let (path, text, catalog) = *file.get(&all);
        check_progress(&Source::new(path, mutate(text, &edits)), catalog);
    }

    #[test]
    fn random_csv(text in "(?s)[,\"\r\n a-z0-9_.:=+-]{0,300}|\\PC{0,300}") {
        let with_header = format!("metric,unit,date,value,source\n{text}");
        for t in [text.as_str(), &with_header] {
            check_progress(&Source::new("progress/r.csv", t.to_string()), Some(basic_catalog()));
        }
    }

    #[test]
    fn random_bytes_as_progress(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for path in ["progress/r.csv", "progress/r.toml"] {
            match source_from_bytes(path, bytes.clone()) {
                Ok(src) => check_progress(&src, Some(basic_catalog())),
                Err(d) => check(&[d], None),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Returns.

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn mutated_csv_returns(r in any::<Index>(), edits in edits()) {
        let text = mutate(RETURNS[r.index(RETURNS.len())], &edits);
        check_return(returns::read_csv("r.csv", text.into_bytes()), basic_catalog());
    }

    #[test]
    fn random_csv_returns(
        header in prop::sample::select(HEADERS),
        rows in prop::collection::vec(return_row(), 0..6),
    ) {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        w.write_record(header).unwrap();
        for (row, spare) in &rows {
            let mut fields: Vec<&str> = header.iter().map(|h| row[role(h)].as_str()).collect();
            match spare {
                -1 => {
                    fields.pop();
                }
                1 => fields.push("1"),
                _ => {}
            }
            w.write_record(&fields).unwrap();
        }
        check_return(returns::read_csv("r.csv", w.into_inner().unwrap()), basic_catalog());
    }

    #[test]
    fn random_bytes_as_a_csv_return(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_return(returns::read_csv("r.csv", bytes), basic_catalog());
    }
}

/// A cell's text: mostly what a valid row holds in that place, sometimes anything.
fn cell_text(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(valid).prop_map(str::to_string),
        1 => prop::sample::select(TOKENS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ]
}

/// A row of a return, by what each column holds, and whether a field is added or lost.
fn return_row() -> impl Strategy<Value = (HashMap<&'static str, String>, i8)> {
    let units = &["思明区", "湖里区", "xm", "xm-huli", " 思明区 ", "厦门市"][..];
    let metrics = &["社区工作者", "community_workers", "population", "常住人口"][..];
    let dates = &[
        "2024-06-30",
        "2024/6/30",
        "2024年6月",
        "2024-06",
        "2024.6.30",
    ][..];
    let values = &[
        "0", "1900", "12.5", "1e3", "-5", "1,200", "NaN", "inf", "=1+1", BIG,
    ][..];
    (
        (
            cell_text(units),
            cell_text(metrics),
            cell_text(dates),
            cell_text(values),
        ),
        cell_text(values),
        -1i8..=1,
    )
        .prop_map(|((unit, metric, date, value), source, spare)| {
            let row = HashMap::from([
                ("unit", unit),
                ("metric", metric),
                ("date", date),
                ("value", value),
                ("source", source),
            ]);
            (row, spare)
        })
}

/// What a header names, as a key of [`return_row`].
fn role(header: &str) -> &'static str {
    match header {
        "单位" | "unit" => "unit",
        "指标" => "metric",
        "日期" | "date" => "date",
        "备注" => "source",
        _ => "value",
    }
}

/// A cell written into a test workbook.
#[derive(Debug, Clone)]
enum XCell {
    Text(String),
    Number(f64),
    Date(u16, u8, u8),
    Formula(String, String),
}

fn xcell() -> impl Strategy<Value = XCell> {
    prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(|t| XCell::Text(t.to_string())),
        2 => "\\PC{0,12}".prop_map(XCell::Text),
        2 => any::<f64>().prop_map(XCell::Number),
        2 => (0.0..5000.0f64).prop_map(XCell::Number),
        1 => (1900u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| XCell::Date(y, m, d)),
        1 => ("[A-C][1-4]\\+1", "|[0-9]{1,4}").prop_map(|(f, v)| XCell::Formula(f, v)),
    ]
}

/// A workbook of a header row and `cells` at (row, column) places near the table.
fn workbook(header: &[&str], cells: &[(u32, u16, XCell)]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_formula_result_default("");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, c, cell) in cells {
        match cell {
            XCell::Text(t) => {
                ws.write_string(*r, *c, t).ok();
            }
            XCell::Number(x) => {
                ws.write_number(*r, *c, *x).ok();
            }
            XCell::Date(y, m, d) => {
                let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                ws.write_datetime_with_format(*r, *c, &day, &date).ok();
            }
            XCell::Formula(f, v) => {
                ws.write_formula(*r, *c, Formula::new(f).set_result(v)).ok();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// Headers of the wide and long layouts.
const HEADERS: &[&[&str]] = &[
    &["单位", "日期", "社区工作者"],
    &["单位", "指标", "日期", "数值", "备注"],
    &["unit", "date", "community_workers", "population"],
];

static WORKBOOK: LazyLock<Vec<u8>> = LazyLock::new(|| {
    workbook(
        &["单位", "日期", "社区工作者"],
        &[
            (1, 0, XCell::Text("思明区".into())),
            (1, 1, XCell::Date(2024, 6, 30)),
            (1, 2, XCell::Number(1900.0)),
        ],
    )
});

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn random_workbooks(
        header in prop::sample::select(HEADERS),
        cells in prop::collection::vec((1u32..8, 0u16..6, xcell()), 0..24),
    ) {
        let bytes = workbook(header, &cells);
        check_return(returns::read_xlsx("r.xlsx", bytes, None), basic_catalog());
    }

    #[test]
    fn damaged_workbooks(flips in prop::collection::vec((any::<Index>(), any::<u8>()), 1..8)) {
        let mut bytes = WORKBOOK.clone();
        for (i, b) in &flips {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        check_return(returns::read_xlsx("r.xlsx", bytes, None), basic_catalog());
    }

    #[test]
    fn random_bytes_as_a_workbook(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_return(returns::read_xlsx("r.xlsx", bytes, None), basic_catalog());
    }
}

// ---------------------------------------------------------------------------------------
// Places.

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_span_of_any_text_is_placed(
        text in "(?s)[a\r\n,\"思😀]{0,40}",
        start in 0usize..60,
        len in 0usize..20,
        line in 0usize..12,
        index in 0usize..8,
    ) {
        let src = Source::new("a.csv", text.clone());
        check(&[src.error(start..start + len, "bad")], lines(&text));
        let backwards = (start + len)..start;
        check(&[src.error(backwards, "bad")], lines(&text));
        check(&[src.csv_error(line, index, "bad")], lines(&text));
    }
}
