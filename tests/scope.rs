//! A report of one district or one policy reads only that part of the index. Whatever it
//! leaves unread must not change an answer: for every unit and every policy of the shipped
//! policies and of the tree fixture, the rows of a scoped read equal the rows of a read of
//! everything, filtered the same way.

mod common;

use chrono::NaiveDate;
use govtrack::i18n::Lang;
use govtrack::index::Index;
use govtrack::index::snapshot::{self, Need, Snapshot, TaskNeed};
use govtrack::model::{Filter, Level};
use govtrack::report::{gap_rows, overdue_rows, summaries, task_rows, unit_summaries};
use govtrack::workspace::Workspace;
use rusqlite::Connection;
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
        serde_json::to_value(overdue_rows(s, f, WINDOW).rows()).unwrap(),
        serde_json::to_value(gap_rows(s, f, STALE, Lang::En)).unwrap(),
    ]
}

/// A read as a report with filter `f` makes it: for a district, with only the units that
/// district names.
fn scoped(index: &Index, as_of: NaiveDate, need: Need, f: &Filter) -> Snapshot {
    let mut s = snapshot::open_for(index.conn(), as_of, need, f.district.as_deref()).unwrap();
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
        assert_eq!(
            serde_json::to_value(overdue.rows()).unwrap(),
            expected[1],
            "{f:?}"
        );
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

/// Rows of a read as a report makes it, inside a read transaction on the index, sharing
/// the reading with a second connection, `other`.
fn read_beside(
    index: &Index,
    other: Option<Connection>,
    as_of: NaiveDate,
    need: Need,
) -> [serde_json::Value; 3] {
    let tx = index.conn().unchecked_transaction().unwrap();
    let mut s = snapshot::open_for(&tx, as_of, need, None).unwrap();
    s.read_beside(&tx, move || Ok(other), need, &Filter::default())
        .unwrap();
    rows(&s, &Filter::default())
}

/// What a read with `need` answers: every report's rows after a full read, `overdue`'s
/// after a read of the tasks alone, `gaps`' after one of the targets alone.
fn answers(rows: [serde_json::Value; 3], need: Need) -> Vec<serde_json::Value> {
    match (need.tasks, need.targets) {
        (TaskNeed::None, _) => vec![rows[2].clone()],
        (_, false) => vec![rows[1].clone()],
        _ => rows.to_vec(),
    }
}

#[test]
fn reading_shared_with_a_second_connection_gives_the_rows_of_one_read() {
    let dir = shipped();
    let index = index(dir.path());
    let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let whole = snapshot::load(index.conn(), as_of, Need::ALL).unwrap();
    let expected = rows(&whole, &Filter::default());
    for (i, what) in [(1, "overdue tasks"), (2, "targets")] {
        assert_ne!(
            expected[i],
            serde_json::json!([]),
            "the shipped policies have {what}"
        );
    }
    // The targets are read beside the tasks; for `overdue` the later half of the instances
    // and the events beside the first half, for `gaps` the figures beside the targets' units.
    for need in [Need::ALL, Need::OVERDUE, Need::TARGETS] {
        let other = index.reader()().unwrap();
        assert!(other.is_some(), "an index in a file can be read twice");
        assert_eq!(
            answers(read_beside(&index, other, as_of, need), need),
            answers(expected.clone(), need)
        );
    }

    // A second connection that sees another state of the index is not used: here an index
    // of the same policies with other figures and no events.
    let changed = shipped();
    let csv = changed.path().join("examples/progress/observations.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let first_figure = text.lines().nth(1).unwrap().to_string();
    let mut fields: Vec<&str> = first_figure.split(',').collect();
    fields[3] = "0";
    std::fs::write(&csv, text.replacen(&first_figure, &fields.join(","), 1)).unwrap();
    let events = changed.path().join("examples/progress/events.csv");
    let header = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&events, header + "\n").unwrap();
    let stranger = self::index(changed.path());
    let theirs = rows(
        &snapshot::load(stranger.conn(), as_of, Need::ALL).unwrap(),
        &Filter::default(),
    );
    assert_ne!(
        theirs[1], expected[1],
        "the other index has other overdue tasks"
    );
    assert_ne!(
        theirs[2], expected[2],
        "the other index judges its targets differently"
    );
    for need in [Need::ALL, Need::OVERDUE, Need::TARGETS] {
        let other = stranger.reader()().unwrap();
        assert_eq!(
            answers(read_beside(&index, other, as_of, need), need),
            answers(expected.clone(), need)
        );
    }
}

#[test]
fn an_index_with_instances_of_a_task_it_does_not_define_is_refused() {
    let dir = shipped();
    let index = index(dir.path());
    let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    // Damaged from outside: the last instance (read in the later half when the reading is
    // shared) names a task no manifest defines.
    index
        .conn()
        .execute(
            "INSERT INTO instances(id, policy, task, unit, due, recurring)
             SELECT max(id) + 1, 'nowhere', 't9', 'xm-siming', '2024-01-01', 0 FROM instances",
            [],
        )
        .unwrap();
    let refused = |read: anyhow::Result<()>| {
        let message = format!("{:#}", read.expect_err("a damaged index is refused"));
        assert!(
            message.contains("task t9 of nowhere") && message.contains("delete the index"),
            "{message}"
        );
    };
    refused(snapshot::load(index.conn(), as_of, Need::ALL).map(drop));
    let tx = index.conn().unchecked_transaction().unwrap();
    let mut s = snapshot::open_for(&tx, as_of, Need::OVERDUE, None).unwrap();
    let other = index.reader()().unwrap();
    refused(s.read_beside(&tx, move || Ok(other), Need::OVERDUE, &Filter::default()));
}

#[test]
fn a_refresh_that_changes_the_index_marks_a_new_generation_and_one_that_does_not_keeps_it() {
    let dir = shipped();
    let ws = Workspace::locate(Some(dir.path())).unwrap();
    let mut index = index(dir.path());
    let first = snapshot::generation(index.conn()).unwrap();
    assert!(first.is_some());
    index.refresh(&ws).unwrap();
    assert_eq!(snapshot::generation(index.conn()).unwrap(), first);
    let csv = dir.path().join("examples/progress/observations.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(
        &csv,
        text + "population,xm-siming,2024-01-31,1061000,a correction\n",
    )
    .unwrap();
    index.refresh(&ws).unwrap();
    let second = snapshot::generation(index.conn()).unwrap();
    assert!(second.is_some() && second != first);
}

#[test]
fn a_target_applies_to_the_units_its_rule_names_in_every_scope() {
    let dir = common::workspace("tree");
    let plan = dir.path().join("policies/plan.toml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    // Rural communities only, with a bound of their own; and one named community. A task
    // led by 二区 puts it in the registry a report of 一区 reads, beside 一区.
    text += r#"
[[tasks]]
id = "t2"
title = "二区试点"
unit = "d2"
lead = ["d2"]
deadline = "2025"

[[targets]]
id = "rural-orgs"
title = "农村社区社会组织"
metric = "orgs"
each = "community"
unit_kind = "rural"
min = 5
deadline = "2025"

[targets.thresholds]
rural = { min = 4 }

[[targets]]
id = "one"
title = "乙一社区社会组织"
metric = "orgs"
unit = "c3"
min = 5
deadline = "2025"
"#;
    std::fs::write(&plan, text).unwrap();
    let index = index(dir.path());
    let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let units = |district: Option<&str>, target: &str| {
        let f = Filter {
            district: district.map(Into::into),
            ..Filter::default()
        };
        let s = scoped(&index, as_of, Need::TARGETS, &f);
        let t = s.targets.iter().find(|t| t.id == target).unwrap();
        t.units
            .iter()
            .map(|(p, b)| (s.registry.units()[*p].id.clone(), b.min))
            .collect::<Vec<_>>()
    };
    let rural = |ids: &[&str]| -> Vec<(String, Option<f64>)> {
        ids.iter().map(|u| (u.to_string(), Some(4.0))).collect()
    };
    assert_eq!(units(None, "rural-orgs"), rural(&["c2", "c4"]));
    assert_eq!(units(Some("d1"), "rural-orgs"), rural(&["c2"]));
    assert_eq!(units(Some("d2"), "rural-orgs"), rural(&["c4"]));
    assert_eq!(units(None, "one"), [("c3".to_string(), Some(5.0))]);
    assert_eq!(units(Some("d1"), "one"), [("c3".to_string(), Some(5.0))]);
    assert_eq!(units(Some("d2"), "one"), []);
    let band = |district| units(district, "band");
    assert_eq!(
        band(None),
        [
            ("d1".to_string(), Some(18.0)),
            ("d2".to_string(), Some(18.0))
        ]
    );
    assert_eq!(band(Some("d1")), [("d1".to_string(), Some(18.0))]);
    // Every community of the tree, in the registry's order, each with its kind's bound.
    let orgs: Vec<(String, Option<f64>)> = units(None, "orgs");
    assert_eq!(
        orgs,
        [("c1", 10.0), ("c2", 5.0), ("c3", 10.0), ("c4", 5.0)]
            .map(|(u, min)| (u.to_string(), Some(min)))
    );
}
