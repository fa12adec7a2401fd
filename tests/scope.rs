//! A report of one district or one policy reads only that part of the index. Whatever it
//! leaves unread must not change an answer: for every unit and every policy of the shipped
//! policies and of the tree fixture, the rows of a scoped read equal the rows of a read of
//! everything, filtered the same way.

mod common;

use chrono::NaiveDate;
use govtrack::i18n::Lang;
use govtrack::index::Index;
use govtrack::index::snapshot::{self, Need, Snapshot};
use govtrack::model::{Filter, Level};
use govtrack::report::{gap_rows, overdue_rows, summaries, task_rows, unit_summaries};
use govtrack::workspace::Workspace;
use std::path::Path;
use tempfile::TempDir;

const WINDOW: i64 = 14;
const STALE: u32 = 6;

/// The shipped policies with the example progress, as a workspace of their own.
fn shipped() -> TempDir {
    let dir = TempDir::new().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::copy_tree(&root.join("policies"), &dir.path().join("policies"));
    common::copy_tree(
        &root.join("examples/progress"),
        &dir.path().join("examples/progress"),
    );
    std::fs::copy(root.join("govtrack.toml"), dir.path().join("govtrack.toml")).unwrap();
    dir
}

fn index(dir: &Path) -> Index {
    let ws = Workspace::locate(Some(dir)).unwrap();
    let (mut index, _) = Index::open(&dir.join("index.sqlite")).unwrap();
    index.refresh(&ws).unwrap();
    index
}

/// Every report's rows under `f`, as JSON.
fn rows(s: &Snapshot, f: &Filter) -> [serde_json::Value; 3] {
    [
        serde_json::to_value(task_rows(s, f, WINDOW)).unwrap(),
        serde_json::to_value(overdue_rows(s, f, WINDOW)).unwrap(),
        serde_json::to_value(gap_rows(s, f, STALE, Lang::En)).unwrap(),
    ]
}

/// A read as a report with filter `f` makes it: for a district, with only the units that
/// district names.
fn scoped(index: &Index, as_of: NaiveDate, need: Need, f: &Filter) -> Snapshot {
    let mut s = match &f.district {
        Some(d) => snapshot::open_within(index.conn(), as_of, d),
        None => snapshot::open(index.conn(), as_of),
    }
    .unwrap();
    s.read(index.conn(), need, f).unwrap();
    s
}

/// Compares scoped and whole reads for every area and every policy; returns how many
/// filters had rows, so a test can tell it compared something.
fn compare(dir: &Path, as_of: &str) -> usize {
    let index = index(dir);
    let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
    let whole = snapshot::load(index.conn(), as_of, Need::ALL).unwrap();
    let mut filters: Vec<Filter> = whole
        .registry
        .units()
        .iter()
        .filter(|u| u.level != Level::Department)
        .map(|u| Filter {
            district: Some(u.id.clone()),
            ..Filter::default()
        })
        .collect();
    filters.extend(whole.policies.iter().map(|p| Filter {
        policy: Some(p.id.clone()),
        ..Filter::default()
    }));
    // The summary of every unit reads no trends and makes no rows: its lights and counts
    // are those of a full read's rows.
    let all = Filter::default();
    let tasks = task_rows(&whole, &all, WINDOW);
    let expected = unit_summaries(&tasks, &gap_rows(&whole, &all, STALE, Lang::En));
    let summary = scoped(&index, as_of, Need::SUMMARY, &all);
    assert_eq!(
        serde_json::to_value(summaries(&summary, &all, WINDOW)).unwrap(),
        serde_json::to_value(expected).unwrap(),
        "as of {as_of}"
    );
    let mut with_rows = 0;
    for f in &filters {
        let expected = rows(&whole, f);
        let all = rows(&scoped(&index, as_of, Need::ALL, f), f);
        assert_eq!(all, expected, "{f:?} as of {as_of}");
        // `overdue` reads only the instances due before the as-of date.
        let overdue = overdue_rows(&scoped(&index, as_of, Need::OVERDUE, f), f, WINDOW);
        assert_eq!(serde_json::to_value(overdue).unwrap(), expected[1], "{f:?}");
        with_rows += usize::from(expected.iter().any(|r| r != &serde_json::json!([])));
    }
    with_rows
}

#[test]
fn the_shipped_policies_read_by_district_or_policy_give_the_same_rows() {
    let dir = shipped();
    for as_of in ["2024-06-30", "2019-01-31"] {
        let n = compare(dir.path(), as_of);
        assert!(n > 20, "only {n} filters had rows as of {as_of}");
    }
}

#[test]
fn the_tree_fixture_read_by_district_or_policy_gives_the_same_rows() {
    let dir = common::workspace("tree");
    for as_of in ["2024-06-30", "2024-01-31"] {
        let n = compare(dir.path(), as_of);
        assert!(n > 3, "only {n} filters had rows as of {as_of}");
    }
}
