//! The newest and the oldest figure of each (metric, unit), kept key by key as progress
//! files change, are those an index built afresh from the same files holds.

mod common;

use govtrack::index::Index;
use govtrack::workspace::Workspace;
use std::path::Path;

/// Every row of `latest` and of `earliest`, in key order.
fn ends(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = Vec::new();
    for table in ["latest", "earliest"] {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT metric, unit, date, value FROM {table} ORDER BY metric, unit"
            ))
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{table} {} {} {} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?
                ))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

#[test]
fn figures_kept_key_by_key_match_a_fresh_index() {
    let dir = common::workspace("tree");
    let ws = Workspace::locate(Some(dir.path())).unwrap();
    let kept = dir.path().join("kept.sqlite");
    let (mut index, _) = Index::open(&kept).unwrap();
    index.refresh(&ws).unwrap();
    let header = "metric,unit,date,value,source\n";
    let steps: [(&str, Option<&str>); 5] = [
        // Older figures than any before: each key's oldest changes, its newest does not.
        (
            "progress/old.csv",
            Some("workers,c1,2023-01-31,11,\nworkers,c2,2023-01-31,5,\n"),
        ),
        // Newer ones, and two on one day: the one loaded last counts.
        (
            "progress/new.csv",
            Some("workers,c1,2024-09-30,21,\nworkers,c1,2024-09-30,22,\n"),
        ),
        // Figures moved earlier still, two on one day.
        (
            "progress/old.csv",
            Some("workers,c1,2022-01-31,9,\nworkers,c1,2022-01-31,8,\n"),
        ),
        ("progress/old.csv", None),
        ("progress/new.csv", None),
    ];
    for (n, (rel, rows)) in steps.into_iter().enumerate() {
        match rows {
            Some(rows) => std::fs::write(dir.path().join(rel), format!("{header}{rows}")).unwrap(),
            None => std::fs::remove_file(dir.path().join(rel)).unwrap(),
        }
        let report = index.refresh(&ws).unwrap();
        assert_eq!(report.loaded.len() + report.removed.len(), 1, "step {n}");
        let fresh = dir.path().join(format!("fresh{n}.sqlite"));
        Index::open(&fresh).unwrap().0.refresh(&ws).unwrap();
        let (kept_ends, fresh_ends) = (ends(&kept), ends(&fresh));
        assert_eq!(kept_ends, fresh_ends, "step {n}");
        assert!(!fresh_ends.is_empty());
    }
    let at_start = ends(&kept);
    assert!(
        at_start.contains(&"earliest workers c1 2024-01-31 15".to_string()),
        "{at_start:#?}"
    );
}
