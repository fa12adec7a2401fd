//! `govtrack verify` checks everything and changes nothing: not the files, not the index.

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

fn govtrack(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    common::english(&mut cmd)
        .arg("--workspace")
        .arg(dir)
        .args(args)
        .env_remove("GOVTRACK_DB")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn run(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = govtrack(dir, args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(
        out.status.code(),
        Some(code),
        "govtrack {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

/// Every file below `dir` (the index included) with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn index(dir: &Path) -> std::path::PathBuf {
    dir.join(".govtrack/index.sqlite")
}

#[test]
fn a_sound_workspace_passes_and_nothing_is_written() {
    let ws = common::workspace("basic");
    let (out, _) = run(ws.path(), &["verify"], 0);
    assert!(
        out.contains("verified 3 definition files and 2 progress files"),
        "{out}"
    );
    assert!(out.contains("no index yet"), "{out}");
    assert!(
        !ws.path().join(".govtrack").exists(),
        "verify made an index"
    );

    run(ws.path(), &["load"], 0);
    let before = contents(ws.path());
    let (out, _) = run(ws.path(), &["verify"], 0);
    assert!(out.contains("the index matches the files"), "{out}");
    assert_unchanged(&before, &contents(ws.path()));
}

/// Names the files that differ, not their bytes.
fn assert_unchanged(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) {
    let differ: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(differ.is_empty(), "verify changed {differ:?}");
}

#[test]
fn an_index_behind_the_files_is_no_problem() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    let events = ws.path().join("progress/events.csv");
    let mut text = fs::read_to_string(&events).unwrap();
    text += "plan,t2,,2024-06-01,in_progress,,\n";
    fs::write(&events, text).unwrap();
    let (out, _) = run(ws.path(), &["verify"], 0);
    assert!(out.contains("the index is behind 1 files"), "{out}");
}

#[test]
fn progress_about_a_task_no_longer_defined_is_listed_kept_and_refused() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    let plan = ws.path().join("policies/plan.toml");
    let text = fs::read_to_string(&plan).unwrap();
    // The task is renamed, and the target that names it follows; the events do not.
    fs::write(&plan, text.replace("\"t1\"", "\"t1-renamed\"")).unwrap();
    let before = contents(ws.path());
    let (_, err) = run(ws.path(), &["verify"], 2);
    // Both events of t1, by file and line, with the column of the task.
    assert!(
        err.contains("progress/events.csv:2:6: policy `plan` has no task `t1`"),
        "{err}"
    );
    assert!(
        err.contains("progress/events.csv:3:6: policy `plan` has no task `t1`"),
        "{err}"
    );
    assert!(err.contains("2 problems"), "{err}");
    assert_unchanged(&before, &contents(ws.path()));

    // A refresh refuses the manifest that strands them, and keeps the index as it was.
    let (_, err) = run(ws.path(), &["load"], 2);
    assert!(
        err.contains("progress/events.csv:2:6: policy `plan` has no task `t1`"),
        "{err}"
    );
    assert_unchanged(&before, &contents(ws.path()));
}

#[test]
fn an_index_that_does_not_hold_a_files_rows_is_reported() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    let conn = rusqlite::Connection::open(index(ws.path())).unwrap();
    conn.execute(
        "DELETE FROM observations WHERE file =
             (SELECT id FROM files WHERE path = 'progress/observations.csv') AND unit = 'xm-huli'",
        [],
    )
    .unwrap();
    drop(conn);
    // The files are as the index lists them, so an index is built afresh beside reading
    // them, in vain: it is stopped and removed.
    let temp = tempfile::TempDir::new().unwrap();
    let out = verify_in(ws.path(), temp.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the index does not match progress/observations.csv: the file has 0 events and 2 \
             observations, the index holds 0 and 1"
        ),
        "{err}"
    );
    assert!(err.contains("help: delete the index"), "{err}");
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 0);
}

#[test]
fn a_temporary_folder_that_cannot_be_made_is_named() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    let before = contents(ws.path());
    let out = verify_in(ws.path(), &ws.path().join("no such folder"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot make a temporary folder to build an index afresh in (see TMPDIR)"),
        "{err}"
    );
    assert_unchanged(&before, &contents(ws.path()));
}

/// `govtrack verify` of the workspace at `dir`, building its index afresh in `tmp`.
fn verify_in(dir: &Path, tmp: &Path) -> std::process::Output {
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    common::english(&mut cmd)
        .arg("--workspace")
        .arg(dir)
        .arg("verify")
        .env_remove("GOVTRACK_DB")
        .env("TMPDIR", tmp)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn a_damaged_index_is_reported() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    for side in ["-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{side}", index(ws.path()).display()));
    }
    fs::write(index(ws.path()), b"not a database at all, but a few words").unwrap();
    let (_, err) = run(ws.path(), &["verify"], 2);
    assert!(err.contains("the index is damaged"), "{err}");
}

/// A value changed inside the index's pages, as a flipped bit on the disk would change it,
/// leaves every page well formed and every count right: only an index built afresh tells.
#[test]
fn a_value_changed_inside_the_index_is_found_by_building_it_afresh() {
    for (change, table) in [
        (
            "UPDATE latest SET value = 1995 WHERE unit = 'xm-siming' AND value = 1895",
            "the index does not hold what the files say: these tables differ from an index \
             built afresh from them: latest (as many rows, 4, but not the same)",
        ),
        (
            "UPDATE standing SET status = 'done' WHERE status = 'in_progress'",
            "standing (as many rows, 4, but not the same)",
        ),
        (
            "UPDATE units SET name = '思明' WHERE name = '思明区'",
            "units (as many rows",
        ),
        // A comment in the schema: SQLite's check passes, and every query.
        (
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET sql = replace(sql, '''definitions'' or', '''definitionz'' or')
             WHERE name = 'files'",
            "sqlite_schema (as many rows",
        ),
        // A column's name in the schema: queries fail.
        (
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET sql = replace(sql, 'observations INTEGER', 'observationz INTEGER')
             WHERE name = 'files'",
            "the index is damaged: no such column: f.observations",
        ),
        // A population figure, which comes with the manifests and was not counted before.
        (
            "DELETE FROM observations WHERE metric = 'population' AND unit = 'xm-huli'",
            "observations (3 rows, 4 afresh)",
        ),
    ] {
        let ws = common::workspace("basic");
        run(ws.path(), &["load"], 0);
        let conn = rusqlite::Connection::open(index(ws.path())).unwrap();
        conn.execute_batch(change).unwrap();
        assert_eq!(conn.changes(), 1, "{change}");
        drop(conn);
        let before = contents(ws.path());
        let temp = tempfile::TempDir::new().unwrap();
        let out = verify_in(ws.path(), temp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{change}: {err}");
        assert!(
            err.contains("index.sqlite:1:1: the index ") && err.contains(table),
            "{change}: {err}"
        );
        assert!(err.contains("help: delete the index"), "{err}");
        assert_unchanged(&before, &contents(ws.path()));
        let left: Vec<_> = fs::read_dir(temp.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "{change}: the index built afresh was left: {left:?}"
        );
    }
}

/// A name changed in an index of a table, not in the table: the pages are well formed
/// (SQLite's quick check passes), but a lookup by name would miss the unit.
#[test]
fn an_index_entry_that_is_not_its_rows_is_found() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    let db = index(ws.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (root, size): (i64, i64) = conn
        .query_row(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size)
             FROM sqlite_schema WHERE name = 'units_name'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let (root, size) = (root as usize, size as usize);
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    let mut bytes = fs::read(&db).unwrap();
    let page = &mut bytes[(root - 1) * size..root * size];
    let name = "思明区".as_bytes();
    let at = page
        .windows(name.len())
        .position(|w| w == name)
        .expect("the name in its index");
    // 区 (E5 8C BA) becomes 匹 (E5 8C B9), which sorts where it stands.
    page[at + name.len() - 1] = 0xB9;
    fs::write(&db, bytes).unwrap();
    let quick: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(quick, "ok");

    let before = contents(ws.path());
    let (_, err) = run(ws.path(), &["verify"], 2);
    assert!(
        err.contains("index.sqlite:1:1: the index is damaged: row ")
            && err.contains(" missing from index units_name"),
        "{err}"
    );
    assert_unchanged(&before, &contents(ws.path()));
}

#[test]
fn a_moved_workspace_keeps_its_index_which_holds_no_absolute_path() {
    let ws = common::workspace("basic");
    run(ws.path(), &["load"], 0);
    let moved = tempfile::TempDir::new().unwrap();
    let to = moved.path().join("elsewhere");
    fs::rename(ws.path(), &to).unwrap();
    let (out, _) = run(&to, &["verify"], 0);
    assert!(out.contains("the index matches the files"), "{out}");
    let (out, _) = run(&to, &["load"], 0);
    assert!(
        out.starts_with("0 changed, 0 removed, 5 unchanged"),
        "{out}"
    );

    // No text in any table names a place on this machine.
    let conn = rusqlite::Connection::open(index(&to)).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut texts = 0;
    for t in &tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                if let Ok(s) = r.get_ref(i).unwrap().as_str() {
                    texts += 1;
                    assert!(!s.starts_with('/') && !s.contains(".tmp"), "{t}: {s}");
                }
            }
        }
    }
    assert!(texts > 50, "only {texts} texts read");
}
