//! A refresh writes only what changed: the rows of a changed progress file are compared
//! with those the index holds, and the newest and oldest figure of each (metric, unit) are
//! kept key by key. After every edit the index holds exactly what an index built afresh
//! from the same files holds, in every table: what `govtrack verify` checks.

mod common;

use chrono::NaiveDate;
use govtrack::diag::BadInput;
use govtrack::index::Index;
use govtrack::index::contents::{contents, differences};
use govtrack::index::snapshot;
use govtrack::model::Observation;
use govtrack::workspace::Workspace;
use std::path::Path;

/// Every progress row, and every row of `latest`, `earliest` and `standing` (and of
/// `stale`, which a refresh leaves empty), as text in a fixed order.
fn held(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let queries = [
        "SELECT 'latest', metric, unit, date, value FROM latest",
        "SELECT 'earliest', metric, unit, date, value FROM earliest",
        "SELECT 'observation', f.path, o.line, o.metric, o.unit, o.date, o.value, o.source
         FROM observations o JOIN files f ON f.id = o.file",
        "SELECT 'event', f.path, e.line, e.policy, e.task, e.unit, e.instance, e.date,
                e.status, e.note, e.evidence
         FROM events e JOIN files f ON f.id = e.file",
        "SELECT 'standing', i.policy, i.task, i.unit, s.date, s.status, s.note, s.evidence
         FROM standing s JOIN instances i ON i.id = s.instance",
        "SELECT 'stale', instance FROM stale",
    ];
    let mut out = Vec::new();
    for sql in queries {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => "NULL".to_string(),
                            rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                            rusqlite::types::ValueRef::Real(v) => v.to_string(),
                            v => v.as_str()?.to_string(),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|cells| cells.join(" "))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out.sort();
    out
}

/// The tables of `kept` that do not hold what those of `fresh` hold.
fn tables_differing(kept: &Path, fresh: &Path) -> Vec<String> {
    let read = |db: &Path| contents(&rusqlite::Connection::open(db).unwrap()).unwrap();
    differences(&read(kept), &read(fresh))
        .into_iter()
        .map(|(table, ..)| table)
        .collect()
}

/// The figures of `workers` as they stood on `at`, by unit, as a report reads them: from
/// `latest`, `earliest` or the observations, depending on the date.
fn figures(db: &Path, at: &str) -> Vec<Option<Observation>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let registry = snapshot::registry(&conn).unwrap();
    let at = NaiveDate::parse_from_str(at, "%Y-%m-%d").unwrap();
    let values = snapshot::values(&conn, &registry, &["workers".into()], at, None).unwrap();
    values
        .metric("workers")
        .map(<[_]>::to_vec)
        .unwrap_or_default()
}

#[test]
fn a_refresh_holds_what_a_fresh_index_holds_after_every_edit() {
    let dir = common::workspace("tree");
    let ws = Workspace::locate(Some(dir.path())).unwrap();
    let kept = dir.path().join("kept.sqlite");
    let (mut index, _) = Index::open(&kept).unwrap();
    index.refresh(&ws).unwrap();
    let obs = "metric,unit,date,value,source\n";
    let events = "policy,task,unit,date,status,note,evidence\n";
    let steps: [(&str, Option<String>); 17] = [
        // Older figures than any before: each key's oldest changes, its newest does not.
        (
            "progress/old.csv",
            Some(format!(
                "{obs}workers,c1,2023-01-31,11,\nworkers,c2,2023-01-31,5,\n"
            )),
        ),
        // Newer ones, and two on one day: the one written last counts.
        (
            "progress/new.csv",
            Some(format!(
                "{obs}workers,c1,2024-09-30,21,\nworkers,c1,2024-09-30,22,\n"
            )),
        ),
        // A row inserted at the top: the others keep their figures on new lines.
        (
            "progress/new.csv",
            Some(format!(
                "{obs}workers,c2,2024-09-30,9,\nworkers,c1,2024-09-30,21,\nworkers,c1,2024-09-30,22,\n"
            )),
        ),
        // A figure of a key and day the file already has, written above it: the one
        // below still counts, as in a fresh index.
        (
            "progress/new.csv",
            Some(format!(
                "{obs}workers,c1,2024-09-30,20,\nworkers,c2,2024-09-30,9,\nworkers,c1,2024-09-30,21,\nworkers,c1,2024-09-30,22,\nworkers,c3,2024-11-30,31,\n"
            )),
        ),
        // The same key and day in another file, whose path sorts first.
        (
            "progress/mid.csv",
            Some(format!("{obs}workers,c1,2024-09-30,23,\n")),
        ),
        ("progress/mid.csv", None),
        // The same row twice, then once: one of the two goes.
        (
            "progress/new.csv",
            Some(format!(
                "{obs}workers,c2,2024-09-30,9,\nworkers,c2,2024-09-30,9,\n"
            )),
        ),
        (
            "progress/new.csv",
            Some(format!("{obs}workers,c2,2024-09-30,9,\n")),
        ),
        // Figures moved earlier still, two on one day.
        (
            "progress/old.csv",
            Some(format!(
                "{obs}workers,c1,2022-01-31,9,\nworkers,c1,2022-01-31,8,\n"
            )),
        ),
        ("progress/old.csv", None),
        ("progress/new.csv", None),
        // Events are compared row by row too.
        (
            "progress/events.csv",
            Some(format!(
                "{events}p,t1,c,2024-03-01,in_progress,a,\np,t1,c,2024-04-01,done,b,\n"
            )),
        ),
        (
            "progress/events.csv",
            Some(format!(
                "{events}p,t1,c,2024-04-01,done,b,\np,t1,c,2024-03-01,in_progress,a2,\n"
            )),
        ),
        // The task's standing: of two events on its newest day, the one written last...
        (
            "progress/events.csv",
            Some(format!(
                "{events}p,t1,c,2024-04-01,done,b,\np,t1,c,2024-04-01,in_progress,c,\n"
            )),
        ),
        // ... which is still the last when the lines swap places,
        (
            "progress/events.csv",
            Some(format!(
                "{events}p,t1,c,2024-04-01,in_progress,c,\np,t1,c,2024-04-01,done,b,\n"
            )),
        ),
        // and is in the file whose path sorts last.
        (
            "progress/events2.csv",
            Some(format!("{events}p,t1,c,2024-04-01,in_progress,d,\n")),
        ),
        ("progress/events2.csv", None),
    ];
    for (n, (rel, text)) in steps.into_iter().enumerate() {
        match text {
            Some(text) => std::fs::write(dir.path().join(rel), text).unwrap(),
            None => std::fs::remove_file(dir.path().join(rel)).unwrap(),
        }
        let report = index.refresh(&ws).unwrap();
        assert_eq!(report.loaded.len() + report.removed.len(), 1, "step {n}");
        let fresh = dir.path().join(format!("fresh{n}.sqlite"));
        Index::open(&fresh).unwrap().0.refresh(&ws).unwrap();
        let (kept_rows, fresh_rows) = (held(&kept), held(&fresh));
        assert_eq!(kept_rows, fresh_rows, "step {n}");
        assert_eq!(
            tables_differing(&kept, &fresh),
            [] as [String; 0],
            "step {n}"
        );
        for at in [
            "2022-01-31",
            "2024-01-31",
            "2024-06-30",
            "2024-09-30",
            "2024-12-31",
        ] {
            assert_eq!(figures(&kept, at), figures(&fresh, at), "step {n}, {at}");
        }
        assert!(fresh_rows.iter().any(|r| r.starts_with("earliest")));
    }
    let rows = held(&kept);
    for row in [
        "earliest workers c1 2024-01-31 15",
        "standing p t1 c 2024-04-01 done b ",
    ] {
        assert!(rows.iter().any(|r| r == row), "{row}\n{rows:#?}");
    }
}

/// Rewrites the file `rel` of the workspace at `dir` with `from` replaced by `to`.
fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_change_of_definitions_leaves_what_a_fresh_index_holds() {
    let dir = common::workspace("tree");
    let root = dir.path();
    // Progress naming units by name, a population figure newer than the registry's, and
    // an event that leaves out the unit of a task carried out by one.
    std::fs::write(
        root.join("progress/named.csv"),
        "metric,unit,date,value,source\n\
         workers,甲一社区,2024-09-30,25,\n\
         population,乙一社区,2023-12-31,21000,\n",
    )
    .unwrap();
    std::fs::write(
        root.join("progress/events.csv"),
        "policy,task,unit,date,status,note,evidence\np,t1,,2024-03-01,in_progress,a,\n",
    )
    .unwrap();
    // The task is carried out by 二区 alone.
    edit(
        root,
        "policies/plan.toml",
        "lead = [\"bureau\"]",
        "unit = \"d2\"\nlead = [\"bureau\"]",
    );
    let ws = Workspace::locate(Some(root)).unwrap();
    let kept = root.join("kept.sqlite");
    let (mut index, _) = Index::open(&kept).unwrap();
    index.refresh(&ws).unwrap();
    const UNITS: &str = "policies/units.toml";
    const PLAN: &str = "policies/plan.toml";
    type Step = (
        &'static str,
        &'static [(&'static str, &'static str, &'static str)],
        &'static [&'static str],
    );
    // What each step edits, and the progress files it has read again.
    let steps: [Step; 5] = [
        // A population changes: the registry's figures are written afresh, and the
        // newer figure of a progress file still counts.
        (
            "population",
            &[(UNITS, "population = 10000", "population = 11000")],
            &[],
        ),
        // Two communities swap names: 甲一社区 is now c2.
        (
            "names swapped",
            &[
                (UNITS, "name = \"甲一社区\"", "name = \"swap\""),
                (UNITS, "name = \"甲二社区\"", "name = \"甲一社区\""),
                (UNITS, "name = \"swap\"", "name = \"甲二社区\""),
            ],
            &["progress/named.csv"],
        ),
        // The district carrying out the task gets another id: the event without a unit
        // is now about it.
        (
            "id changed",
            &[
                (UNITS, "id = \"d2\"", "id = \"d2x\""),
                (UNITS, "parent = \"d2\"", "parent = \"d2x\""),
                (PLAN, "unit = \"d2\"", "unit = \"d2x\""),
            ],
            &["progress/events.csv"],
        ),
        // The task is given to every district, the one before among them: the event
        // without a unit is now ambiguous, so the refresh is refused, as a fresh load is.
        (
            "task of two units",
            &[(PLAN, "unit = \"d2x\"", "each = \"district\"")],
            &[],
        ),
        (
            "task of one unit again",
            &[(PLAN, "each = \"district\"", "unit = \"d2x\"")],
            &[],
        ),
    ];
    for (n, (what, edits, reread)) in steps.into_iter().enumerate() {
        for (rel, from, to) in edits {
            edit(root, rel, from, to);
        }
        let fresh = root.join(format!("fresh{n}.sqlite"));
        let fresh_load = Index::open(&fresh).unwrap().0.refresh(&ws);
        match index.refresh(&ws) {
            Ok(report) => {
                fresh_load.unwrap();
                for rel in reread {
                    assert!(report.reread.iter().any(|r| r == rel), "{what}: {report:?}");
                }
                assert_eq!(held(&kept), held(&fresh), "{what}");
                assert_eq!(tables_differing(&kept, &fresh), [] as [String; 0], "{what}");
            }
            Err(e) => {
                assert!(
                    fresh_load.is_err(),
                    "{what}: only a kept index refused: {e:#}"
                );
                let bad = e.downcast_ref::<BadInput>().expect("bad input");
                let at: Vec<_> = bad.0.iter().map(|d| (d.path.as_str(), d.line)).collect();
                assert_eq!(at, [("progress/events.csv", 2)], "{what}");
            }
        }
    }
    // The steps did what they say: the swapped name's figure is c2's, the event is about
    // the district's new id, and the registry's new population counts.
    let rows = held(&kept);
    for row in [
        "observation progress/named.csv 2 workers c2 2024-09-30 25 ",
        "latest population c1 2020-11-01 11000",
        "latest population c3 2023-12-31 21000",
    ] {
        assert!(rows.iter().any(|r| r == row), "{row}\n{rows:#?}");
    }
    assert!(
        rows.iter()
            .any(|r| r.starts_with("event progress/events.csv 2 p t1 d2x ")),
        "{rows:#?}"
    );
}
