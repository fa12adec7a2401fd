//! The indexes are chosen from the queries' plans. Every statement a report runs is
//! recorded and its plan (EXPLAIN QUERY PLAN) checked: no report reads the history
//! (observations, latest, events) from end to end, a report of one district reads nothing
//! of the rest of the province, and `record` reads only what its row names.

mod common;

use chrono::NaiveDate;
use govtrack::diag::Source;
use govtrack::index::snapshot::{self, Need};
use govtrack::index::{Index, check_rows};
use govtrack::model::Filter;
use govtrack::workspace::Workspace;
use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use std::sync::{Arc, Mutex};

/// The history: millions of rows at a province's scale, never read whole.
const HISTORY: [&str; 5] = ["observations", "o", "latest", "l", "earliest"];

/// What a report of one district reads only in part: the history, and the task instances,
/// their standing, events, due dates and units of the rest of the province.
const OTHER_AREAS: [&str; 15] = [
    "earliest",
    "standing",
    "s",
    "observations",
    "latest",
    "events",
    "e",
    "dues",
    "d",
    "x",
    "instances",
    "i",
    "units",
    "u",
    "o",
];

/// The statements `conn` runs from now on, as they are run.
fn recorded(conn: &mut Connection) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT,
        Some(move |e: TraceEvent<'_>| {
            if let TraceEvent::Stmt(stmt, _) = e
                && let Some(sql) = stmt.expanded_sql()
            {
                sink.lock().unwrap().push(sql);
            }
        }),
    )
    .unwrap();
    seen
}

/// The statements run while `read` runs on a connection to the index at `db`.
fn statements(db: &std::path::Path, read: impl FnOnce(&Connection)) -> Vec<String> {
    let mut conn = Connection::open(db).unwrap();
    let seen = recorded(&mut conn);
    read(&conn);
    let out = seen.lock().unwrap().clone();
    assert!(!out.is_empty(), "no statement was recorded");
    out
}

/// The plan of `sql`, one step a line.
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The steps that pass over the whole of one of `tables`: a SCAN (of the table or of an
/// index), a SEARCH with no constraint ("SEARCH latest USING PRIMARY KEY" reads every row),
/// or an automatic index, which SQLite builds by reading the whole table.
fn whole_reads(steps: &[String], tables: &[&str]) -> Vec<String> {
    steps
        .iter()
        .filter(|s| {
            let mut words = s.split_whitespace();
            let (kind, table) = (words.next(), words.next());
            table.is_some_and(|t| tables.contains(&t))
                && (kind == Some("SCAN")
                    || s.contains("AUTOMATIC")
                    || (kind == Some("SEARCH") && !s.contains('(')))
        })
        .cloned()
        .collect()
}

fn check(db: &std::path::Path, what: &str, sqls: &[String], tables: &[&str]) {
    let conn = Connection::open(db).unwrap();
    for sql in sqls {
        let steps = plan(&conn, sql);
        let scans = whole_reads(&steps, tables);
        assert!(
            scans.is_empty(),
            "{what}: {sql}\nreads a whole table: {scans:?}\nplan: {steps:#?}"
        );
    }
}

/// The tree fixture, indexed; the folder goes when it is dropped.
fn indexed() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = common::workspace("tree");
    let ws = Workspace::locate(Some(dir.path())).unwrap();
    let db = dir.path().join("index.sqlite");
    Index::open(&db).unwrap().0.refresh(&ws).unwrap();
    (dir, db)
}

#[test]
fn reports_read_large_tables_through_indexes() {
    let (_dir, db) = indexed();
    let now = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let past = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();

    // This month's report and a past month's, of everything.
    for as_of in [now, past] {
        let sqls = statements(&db, |c| {
            snapshot::load(c, as_of, Need::ALL).unwrap();
        });
        check(&db, "the whole workspace", &sqls, &HISTORY);
        // The instances are read in one pass with their standing; the due dates and events
        // of what the standing does not settle are found through indexes.
        let settling: Vec<String> = sqls
            .iter()
            .filter(|s| s.contains("FROM dues") || s.contains("FROM events"))
            .cloned()
            .collect();
        assert_eq!(settling.len(), 2, "{sqls:#?}");
        let conn = Connection::open(&db).unwrap();
        for sql in &settling {
            // The partial index of the recurring instances holds those alone.
            let steps: Vec<String> = plan(&conn, sql)
                .into_iter()
                .filter(|s| !s.contains("INDEX instances_recurring"))
                .collect();
            let scans = whole_reads(
                &steps,
                &["instances", "i", "standing", "s", "dues", "events"],
            );
            assert!(scans.is_empty(), "{sql}\nreads a whole table: {scans:?}");
        }
    }

    // What is overdue in the whole workspace: not the registry of every unit either.
    let sqls = statements(&db, |c| {
        let mut s = snapshot::open_for(c, now, Need::OVERDUE, None).unwrap();
        s.read(c, Need::OVERDUE, &Filter::default()).unwrap();
    });
    check(&db, "overdue", &sqls, &["units", "u"]);

    // Read with a second connection, as `overdue` is: no statement on the first scans the
    // instances from end to end, neither the read of the first half of them (a range of
    // ids) nor the search for where the halves meet; only the partial index of the
    // recurring ones is read through.
    let sqls = statements(&db, |c| {
        let tx = c.unchecked_transaction().unwrap();
        let mut s = snapshot::open_for(&tx, now, Need::OVERDUE, None).unwrap();
        let other = Connection::open(&db).unwrap();
        s.read_beside(
            &tx,
            move || Ok(Some(other)),
            Need::OVERDUE,
            &Filter::default(),
        )
        .unwrap();
    });
    let conn = Connection::open(&db).unwrap();
    assert!(sqls.iter().any(|sql| sql.contains("i.id <= ")), "{sqls:#?}");
    for sql in &sqls {
        let steps = plan(&conn, sql);
        let scans: Vec<&String> = steps
            .iter()
            .filter(|s| s.starts_with("SCAN instances") || s.starts_with("SCAN i "))
            .filter(|s| !s.contains("INDEX instances_recurring"))
            .collect();
        assert!(scans.is_empty(), "{sql}\nscans the instances: {steps:#?}");
    }

    // One district: not even the units or the instances are read whole.
    let district = Filter {
        district: Some("d1".into()),
        ..Filter::default()
    };
    for (as_of, need) in [(now, Need::ALL), (past, Need::ALL), (now, Need::OVERDUE)] {
        let sqls = statements(&db, |c| {
            let id = snapshot::unit_id(c, "一区").unwrap().unwrap();
            let mut s = snapshot::open_within(c, as_of, &id).unwrap();
            s.read(c, need, &district).unwrap();
        });
        // From finding the district by its name on, nothing of the rest is read.
        check(&db, "one district", &sqls, &OTHER_AREAS);
    }
}

#[test]
fn record_checks_its_row_through_indexes() {
    let (_dir, db) = indexed();
    for (row, ok) in [
        ("p,t1,市,2024-06-30,done,,", true),
        ("p,t1,一区,2024-06-30,done,,", false),
        ("p,t9,一区,2024-06-30,done,,", false),
    ] {
        let src = Source::new(
            "record",
            format!("policy,task,unit,date,status,note,evidence\n{row}\n"),
        );
        let mut checked = None;
        let sqls = statements(&db, |c| checked = Some(check_rows(c, &src).unwrap()));
        assert_eq!(checked.unwrap().is_ok(), ok, "{row}");
        check(&db, row, &sqls, &["units", "u", "instances", "i"]);
    }
}

#[test]
fn a_change_of_definitions_reads_no_history_whole() {
    let (dir, db) = indexed();
    // A population and a name change: progress naming the unit is read again, and the
    // populations' newest and oldest figures are written afresh.
    let units = dir.path().join("policies/units.toml");
    let text = std::fs::read_to_string(&units).unwrap();
    let text = text
        .replace("population = 10000", "population = 11000")
        .replace("name = \"甲一社区\"", "name = \"甲一新社区\"");
    std::fs::write(&units, text).unwrap();
    let ws = Workspace::locate(Some(dir.path())).unwrap();
    let (mut index, _) = Index::open(&db).unwrap();
    let seen = recorded(index.conn_mut());
    let report = index.refresh(&ws).unwrap();
    assert_eq!(report.loaded, ["policies/units.toml"]);
    drop(index);
    let sqls = seen.lock().unwrap().clone();
    assert!(
        sqls.iter().any(|s| s.contains("INSERT INTO latest")),
        "{sqls:#?}"
    );
    check(
        &db,
        "a change of definitions",
        &sqls,
        &["observations", "o", "earliest"],
    );
}
