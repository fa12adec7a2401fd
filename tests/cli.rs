//! The commands end to end on a small workspace whose answers are worked out by hand:
//! 湖里区 has not finished task 1 (due 2024-05-31); 思明区 has 1,895 community workers for
//! 1,073,315 residents, ⌈18 × 1,073,315 ÷ 10,000⌉ − 1,895 = 37 short of 18 per 10,000; 湖里区
//! has 310 for 100,000, 10 over the maximum of 30 per 10,000.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A fresh copy of a fixture workspace, with its index inside it.
struct Ws {
    dir: TempDir,
}

impl Ws {
    fn new() -> Ws {
        let dir = common::workspace("basic");
        Ws { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn db(&self) -> PathBuf {
        self.path(".govtrack/index.sqlite")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("govtrack").unwrap();
        c.arg("--workspace").arg(self.dir.path()).args(args);
        common::english(&mut c)
            .env_remove("GOVTRACK_DB")
            .env("NO_COLOR", "1");
        c
    }

    fn stdout(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The stderr of a command that must exit 2.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        stderr
    }

    fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.stdout(&all, code)).unwrap()
    }

    /// The row of task `task` in 湖里区's own report as of `as_of`.
    fn huli_task(&self, task: &str, as_of: &str) -> Value {
        let report = self.json(&["status", "--district", "湖里区", "--as-of", as_of], 0);
        report["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task"] == task)
            .unwrap()
            .clone()
    }
}

#[test]
fn overdue_names_the_unit_the_owners_and_the_days() {
    let ws = Ws::new();
    let rows = ws.json(&["overdue", "--as-of", "2024-06-30"], 1);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let r = &rows[0];
    assert_eq!(r["policy"], "plan");
    assert_eq!(r["task"], "t1");
    assert_eq!(r["title"], "健全自治组织");
    assert_eq!(r["unit"], "湖里区");
    assert_eq!(r["lead"], serde_json::json!(["湖里区"]));
    assert_eq!(
        r["support"],
        serde_json::json!(["厦门市民政局基层政权建设和社区治理处"])
    );
    assert_eq!(r["deadline"], "2024-05-31");
    assert_eq!(r["days_overdue"], 30);
    assert_eq!(r["progress"], "in_progress");
}

#[test]
fn overdue_is_judged_at_the_as_of_date_most_late_first() {
    let ws = Ws::new();
    let rows = ws.json(&["overdue", "--as-of", "2024-07-20"], 1);
    let got: Vec<(String, String, i64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["task"].as_str().unwrap().to_string(),
                r["unit"].as_str().unwrap().to_string(),
                r["days_overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    // 思明区's half-year report arrived 2024-07-12, after its 2024-06-30 deadline: done late,
    // not overdue. 湖里区's arrived 2024-06-29.
    assert_eq!(
        got,
        [
            ("t1".into(), "湖里区".into(), 50),
            ("t2".into(), "厦门市".into(), 5)
        ]
    );
    // Before anything was due, nothing is late and the exit status is 0.
    let out = ws.stdout(&["overdue", "--as-of", "2024-05-01"], 0);
    assert_eq!(out, "nothing is overdue as of 2024-05-01\n");
    assert_eq!(
        ws.json(&["overdue", "--as-of", "2024-05-01"], 0),
        serde_json::json!([])
    );
}

#[test]
fn a_month_before_a_task_was_done_shows_it_as_it_stood_then() {
    let ws = Ws::new();
    // 湖里区 finishes task 1 (due 2024-05-31) on 2024-07-10, after its deadline.
    std::fs::write(
        ws.path("progress/later.csv"),
        "policy,task,unit,date,status,note,evidence\nplan,t1,湖里区,2024-07-10,done,补选完成,\n",
    )
    .unwrap();
    let t1 = |args: &[&str], code| -> Vec<String> {
        ws.json(args, code)
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["task"] == "t1")
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    r["unit"], r["status"], r["progress"], r["note"]
                )
            })
            .collect()
    };
    // At the end of June it was still in progress, as its report of April said.
    assert_eq!(
        t1(&["overdue", "--as-of", "2024-06-30"], 1),
        ["\"湖里区\" \"overdue\" \"in_progress\" \"正在补选\""]
    );
    // By the end of July it is done, 40 days late.
    assert!(t1(&["overdue", "--as-of", "2024-07-31"], 1).is_empty());
    let task = ws.huli_task("t1", "2024-07-31");
    assert_eq!(
        (&task["status"], &task["days_late"]),
        (&"done_late".into(), &40.into())
    );
}

#[test]
fn events_of_one_day_count_in_the_order_they_were_written() {
    let ws = Ws::new();
    let header = "policy,task,unit,date,status,note,evidence\n";
    // 湖里区's task 1 (due 2024-05-31) is reported twice on one day: the file whose path
    // sorts later, and within a file the later line, has the last word.
    let write =
        |rel: &str, rows: &str| std::fs::write(ws.path(rel), format!("{header}{rows}")).unwrap();
    let overdue = |ws: &Ws| -> Vec<String> {
        ws.json(&["overdue", "--as-of", "2024-06-30"], 1)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r["progress"], r["note"]))
            .collect()
    };
    write("progress/a.csv", "plan,t1,湖里区,2024-06-03,done,a,\n");
    write(
        "progress/b.csv",
        "plan,t1,湖里区,2024-06-03,in_progress,b,\n",
    );
    assert_eq!(overdue(&ws), ["\"in_progress\" \"b\""]);
    write(
        "progress/b.csv",
        "plan,t1,湖里区,2024-06-03,done,b1,\nplan,t1,湖里区,2024-06-03,not_started,b2,\n",
    );
    assert_eq!(overdue(&ws), ["\"not_started\" \"b2\""]);
    std::fs::remove_file(ws.path("progress/b.csv")).unwrap();
    assert_eq!(
        ws.json(&["overdue", "--as-of", "2024-06-30"], 0),
        serde_json::json!([])
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let ws = Ws::new();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("govtrack"))
        .arg("--workspace")
        .arg(ws.dir.path())
        .args(["overdue", "--as-of", "2024-06-30", "--format", "json"])
        .env_remove("GOVTRACK_DB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before reading anything, as `| head -c0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn overdue_filters_by_owner_district_and_policy() {
    let ws = Ws::new();
    let by_owner = ws.json(
        &[
            "overdue",
            "--as-of",
            "2024-07-20",
            "--owner",
            "厦门市民政局",
        ],
        1,
    );
    assert_eq!(by_owner.as_array().unwrap().len(), 1);
    assert_eq!(by_owner[0]["task"], "t2");
    // The supporting division owns task 1 in every district.
    let support = ws.json(
        &["overdue", "--as-of", "2024-07-20", "--owner", "xm-jczq"],
        1,
    );
    assert_eq!(support[0]["unit"], "湖里区");
    let district = ws.json(
        &["overdue", "--as-of", "2024-07-20", "--district", "思明区"],
        0,
    );
    assert_eq!(district, serde_json::json!([]));
    let err = ws.refused(&["overdue", "--policy", "nope"]);
    assert!(
        err.contains("unknown policy `nope`; the policies are: plan"),
        "{err}"
    );
    let err = ws.refused(&["overdue", "--district", "西城区"]);
    assert!(err.contains("unknown unit `西城区`"), "{err}");
}

#[test]
fn overdue_as_a_table_and_as_csv() {
    let ws = Ws::new();
    let table = ws.stdout(&["overdue", "--as-of", "2024-06-30"], 1);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[2].contains("湖里区") && lines[2].contains("30 days overdue"),
        "{table}"
    );
    assert!(!table.contains("\x1b["), "no colour when not on a terminal");
    let csv = ws.stdout(&["overdue", "--as-of", "2024-06-30", "--format", "csv"], 1);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "policy,task,number,title,unit,unit_id,lead,support,deadline,recurring,light,status,days_overdue,days_left,done_on,days_late,progress,note"
    );
    assert_eq!(
        lines.next().unwrap(),
        "plan,t1,1,健全自治组织,湖里区,xm-huli,湖里区,厦门市民政局基层政权建设和社区治理处,2024-05-31,false,red,overdue,30,,,,in_progress,正在补选"
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn gaps_are_in_workers_to_hire_or_too_many() {
    let ws = Ws::new();
    let rows = ws.json(&["gaps", "--as-of", "2024-06-30"], 0);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "two districts and the summary over both");
    let summary = &rows[2];
    assert_eq!(summary["summary"], true);
    assert_eq!(summary["unit"], "厦门市");
    assert_eq!(summary["units_short"], 2);
    assert_eq!(summary["gap"], 37.0);
    assert_eq!(
        summary["gap_text"],
        "2 of 2 units fall short; needs 37 more community workers in total; 10 community workers over in total"
    );
    let siming = &rows[0];
    assert_eq!(siming["unit"], "思明区");
    assert_eq!(siming["metric"], "community_workers");
    assert_eq!(siming["gap"], 37.0);
    assert_eq!(siming["gap_text"], "needs 37 more community workers");
    assert_eq!(siming["status"], "unmet");
    assert_eq!(siming["min"], 18.0);
    assert_eq!(siming["max"], 30.0);
    assert_eq!(siming["missed"], false, "the deadline is the end of 2025");
    assert!((siming["actual"].as_f64().unwrap() - 17.6556).abs() < 1e-3);
    let huli = &rows[1];
    assert_eq!(huli["gap"], -10.0);
    assert_eq!(huli["actual"], 31.0);
    assert_eq!(huli["gap_text"], "10 community workers over the maximum");
    // Before any return arrived there is no data, which is not compliance.
    let early = ws.json(&["gaps", "--as-of", "2024-01-31"], 0);
    assert_eq!(early[0]["status"], "no_data");
    assert_eq!(early[0]["gap"], Value::Null);
    // After the deadline the same gap is a finding.
    let late = ws.json(&["gaps", "--as-of", "2026-01-01"], 0);
    assert_eq!(late[0]["missed"], true);
    assert_eq!(late[0]["light"], "red");
}

#[test]
fn status_gives_one_row_per_unit_worst_first() {
    let ws = Ws::new();
    let rows = ws.json(&["status", "--as-of", "2024-06-30"], 0);
    let rows = rows.as_array().unwrap();
    let units: Vec<&str> = rows.iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["湖里区", "思明区", "厦门市"]);
    let huli = &rows[0];
    assert_eq!(huli["light"], "red");
    assert_eq!(huli["overdue"], 1);
    assert_eq!(huli["targets_unmet"], 1);
    // 湖里区: task 1 and its two half-year reports so far plus the next one.
    assert_eq!(huli["tasks"], 4);
    assert_eq!(huli["done"], 2);
    let city = &rows[2];
    assert_eq!(city["due_soon"], 1, "task 2 is due 2024-07-15");
    assert_eq!(city["light"], "yellow");
    let table = ws.stdout(&["status", "--as-of", "2024-06-30"], 0);
    assert!(table.lines().nth(2).unwrap().contains("湖里区"), "{table}");
}

#[test]
fn status_of_one_district_shows_its_tasks_and_targets() {
    let ws = Ws::new();
    let s = ws.json(
        &["status", "--district", "思明区", "--as-of", "2024-06-30"],
        0,
    );
    assert_eq!(s["unit"], "思明区");
    assert_eq!(s["as_of"], "2024-06-30");
    let tasks = s["tasks"].as_array().unwrap();
    let states: Vec<(&str, &str)> = tasks
        .iter()
        .map(|t| {
            (
                t["deadline"].as_str().unwrap_or("-"),
                t["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("2024-06-30", "due_soon"),
            ("2024-12-31", "on_schedule"),
            ("2024-05-31", "done"),
            ("2023-12-31", "done"),
        ]
    );
    assert_eq!(
        s["targets"][0]["gap_text"],
        "needs 37 more community workers"
    );
    let table = ws.stdout(
        &["status", "--district", "xm-siming", "--as-of", "2024-06-30"],
        0,
    );
    assert!(
        table.starts_with("思明区 (xm-siming) as of 2024-06-30: 0 red, 2 yellow, 3 green"),
        "{table}"
    );
    // With --out the same report goes to the file, and nothing to stdout: the JSON, and the
    // table for a person to print.
    let written = |name: &str, format: &[&str]| {
        let path = ws.path(name);
        let mut args = vec![
            "status",
            "--district",
            "思明区",
            "--as-of",
            "2024-06-30",
            "--out",
            path.to_str().unwrap(),
        ];
        args.extend(format);
        assert_eq!(ws.stdout(&args, 0), "");
        std::fs::read_to_string(&path).unwrap()
    };
    let file: Value = serde_json::from_str(&written("siming.json", &["--format", "json"])).unwrap();
    assert_eq!(file, s);
    assert_eq!(written("siming.txt", &[]), table);
}

#[test]
fn check_is_silent_when_all_is_well_and_exits_1_on_findings() {
    let ws = Ws::new();
    let out = ws.stdout(&["check", "--as-of", "2024-05-01"], 0);
    assert_eq!(out, "");
    let out = ws.stdout(&["check", "--as-of", "2024-06-30"], 1);
    assert!(
        out.starts_with("govtrack check as of 2024-06-30: needs attention"),
        "{out}"
    );
    assert!(
        out.contains("overdue: 1 task instances (most: 湖里区 1)"),
        "{out}"
    );
    assert!(out.contains("targets missed: 0"), "{out}");
    let out = ws.stdout(&["check", "--as-of", "2026-01-01"], 1);
    assert!(out.contains("思明区: 每万名常住人口不少于18名、不高于30名社区工作者 — needs 37 more community workers"), "{out}");
}

#[test]
fn record_appends_a_status_event_and_the_next_report_sees_it() {
    let ws = Ws::new();
    let out = ws.stdout(
        &[
            "record",
            "status",
            "plan/t1",
            "--unit",
            "湖里区",
            "--status",
            "done",
            "--date",
            "2024-06-15",
            "--note",
            "已补选,含\"两委\"",
        ],
        0,
    );
    assert!(out.starts_with("recorded in progress/events.csv"), "{out}");
    let text = std::fs::read_to_string(ws.path("progress/events.csv")).unwrap();
    assert!(
        text.ends_with("plan,t1,xm-huli,2024-06-15,done,\"已补选,含\"\"两委\"\"\",\n")
            || text.ends_with("plan,t1,湖里区,2024-06-15,done,\"已补选,含\"\"两委\"\"\",\n"),
        "{text}"
    );
    assert_eq!(
        ws.json(&["overdue", "--as-of", "2024-06-30"], 0),
        serde_json::json!([])
    );
    let t1 = ws.huli_task("t1", "2024-06-30");
    assert_eq!(t1["status"], "done_late");
    assert_eq!(t1["days_late"], 15);
}

#[test]
fn record_refuses_bad_rows_and_writes_nothing() {
    let ws = Ws::new();
    let before = std::fs::read(ws.path("progress/events.csv")).unwrap();
    for (args, says) in [
        (
            vec![
                "record",
                "status",
                "plan/t9",
                "--unit",
                "湖里区",
                "--status",
                "done",
            ],
            "policy `plan` has no task `t9`",
        ),
        (
            vec!["record", "status", "plan/t1", "--status", "done"],
            "name one",
        ),
        (
            vec![
                "record",
                "status",
                "plan/t1",
                "--unit",
                "湖里区",
                "--status",
                "finished",
            ],
            "unknown status `finished`",
        ),
        (
            vec!["record", "status", "t1", "--status", "done"],
            "POLICY/TASK",
        ),
    ] {
        let err = ws.refused(&args);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read(ws.path("progress/events.csv")).unwrap(),
        before
    );
    let err = ws.refused(&[
        "record",
        "value",
        "community_workers",
        "--unit",
        "湖里区",
        "--value",
        "一千二",
    ]);
    assert!(err.contains("`一千二` is not a number"), "{err}");
    assert!(
        !ws.path("progress/observations.csv").exists()
            || std::fs::read_to_string(ws.path("progress/observations.csv"))
                .unwrap()
                .lines()
                .count()
                == 3
    );
}

#[test]
fn record_value_creates_the_file_with_its_header_when_needed() {
    let ws = Ws::new();
    std::fs::remove_file(ws.path("progress/observations.csv")).unwrap();
    ws.stdout(
        &[
            "record",
            "value",
            "community_workers",
            "--unit",
            "湖里区",
            "--value",
            "250",
            "--date",
            "2024-06-30",
            "--source",
            "电话核实",
        ],
        0,
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("progress/observations.csv")).unwrap(),
        "metric,unit,date,value,source\ncommunity_workers,湖里区,2024-06-30,250,电话核实\n"
    );
    let rows = ws.json(
        &["gaps", "--as-of", "2024-06-30", "--district", "湖里区"],
        0,
    );
    assert_eq!(rows[0]["status"], "met");
    assert_eq!(rows[0]["actual"], 25.0);
}

#[test]
fn deleting_the_index_loses_nothing() {
    let ws = Ws::new();
    ws.stdout(
        &[
            "record",
            "status",
            "plan/t2",
            "--status",
            "done",
            "--date",
            "2024-07-01",
        ],
        0,
    );
    let reports = |ws: &Ws| {
        [
            ws.stdout(&["overdue", "--as-of", "2024-07-20", "--format", "json"], 1),
            ws.stdout(&["status", "--as-of", "2024-07-20", "--format", "json"], 0),
            ws.stdout(&["gaps", "--as-of", "2024-07-20", "--format", "json"], 0),
        ]
    };
    let before = reports(&ws);
    std::fs::remove_dir_all(ws.path(".govtrack")).unwrap();
    let load = ws.stdout(&["load"], 0);
    assert!(load.contains("5 changed, 0 removed, 0 unchanged"), "{load}");
    assert_eq!(reports(&ws), before);
    assert!(
        !before[0].contains("\"t2\""),
        "the recorded event is in the files"
    );
}

#[test]
fn a_unit_given_another_id_keeps_the_progress_that_names_it() {
    let ws = Ws::new();
    let events = ws.path("progress/events.csv");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(&events, text.replace("xm-huli", "湖里区")).unwrap();
    ws.stdout(&["load"], 0);
    // 湖里区's id changes; its figure and events are named by its name.
    for rel in ["policies/units.toml", "policies/plan.toml"] {
        let path = ws.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"xm-huli\"", "\"xm-hl\"")).unwrap();
    }
    let out = ws.stdout(&["load"], 0);
    for rel in ["progress/events.csv", "progress/observations.csv"] {
        assert!(
            out.contains(&format!(
                "re-read  {rel} (the definitions it refers to changed)"
            )),
            "{out}"
        );
    }
    let gaps = ws.json(&["gaps", "--as-of", "2024-06-30"], 0);
    let huli = gaps
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit_id"] == "xm-hl")
        .unwrap_or_else(|| panic!("{gaps:#}"));
    assert_eq!(huli["actual"], 31.0, "310 workers per 100,000 residents");
}

#[test]
fn refresh_reloads_only_what_changed() {
    let ws = Ws::new();
    let first = ws.stdout(&["load"], 0);
    assert!(first.contains("5 changed"), "{first}");
    assert_eq!(
        ws.stdout(&["load"], 0).lines().next().unwrap(),
        "0 changed, 0 removed, 5 unchanged; index holds 1 policies, 4 tasks (6 instances), 6 status events, 4 observations"
    );
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(ws.path("progress/observations.csv"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"community_workers,xm-huli,2024-07-31,300,\n").unwrap();
    drop(f);
    let out = ws.stdout(&["load"], 0);
    assert_eq!(
        out.lines().next().unwrap(),
        "loaded   progress/observations.csv"
    );
    assert!(out.contains("1 changed, 0 removed, 4 unchanged"), "{out}");
    std::fs::remove_file(ws.path("progress/observations.csv")).unwrap();
    let out = ws.stdout(&["load"], 0);
    assert!(out.contains("removed  progress/observations.csv"), "{out}");
    assert!(
        out.contains("2 observations"),
        "only the populations remain: {out}"
    );
    // One population fewer in the registry, one figure fewer.
    let units = ws.path("policies/units.toml");
    let text = std::fs::read_to_string(&units).unwrap().replacen(
        "population = 100000\npopulation_date = 2020-11-01\n",
        "",
        1,
    );
    std::fs::write(&units, text).unwrap();
    let out = ws.stdout(&["load"], 0);
    assert!(out.contains(", 1 observations"), "{out}");
}

#[test]
fn a_table_goes_to_a_file_as_to_a_pipe_even_from_a_terminal() {
    // `script` runs govtrack on a terminal of its own, whose width is unknown.
    let ws = Ws::new();
    let piped = ws.stdout(&["overdue", "--as-of", "2024-06-30"], 1);
    let on_terminal = |out: &str| {
        let line = format!(
            "'{}' --workspace '{}' --lang en overdue --as-of 2024-06-30 {out}",
            assert_cmd::cargo::cargo_bin("govtrack").display(),
            ws.dir.path().display()
        );
        let run = std::process::Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env_remove("NO_COLOR")
            .output()
            .expect("script, from util-linux, runs a command on a terminal");
        assert_eq!(run.status.code(), Some(1), "{run:?}");
        String::from_utf8(run.stdout).unwrap()
    };
    assert!(on_terminal("").contains("\x1b["), "a terminal gets colours");
    let path = ws.path("overdue.txt");
    on_terminal(&format!("--out '{}'", path.display()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), piped);
}

/// Sets the modification time of the file at `path`.
fn set_modified(path: &Path, stamp: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(stamp)
        .unwrap();
}

/// Changes one figure of the fixture's observations (思明区's workers, 1895 → 1896) without
/// changing the file's size.
fn edit_at_the_same_size(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let edited = text.replace("xm-siming,2024-06-30,1895", "xm-siming,2024-06-30,1896");
    assert_eq!((edited.len(), edited != text), (text.len(), true));
    std::fs::write(path, &edited).unwrap();
}

#[test]
fn a_file_rewritten_without_its_size_or_time_changing_is_read_again() {
    // A file system's clock moves in steps of milliseconds or seconds: a script can write
    // a file again in the step of the refresh that read it, at the same size, and leave its
    // time as it was. A time in the future stays in that step however long the test takes.
    let ws = Ws::new();
    let path = ws.path("progress/observations.csv");
    let stamp = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    set_modified(&path, stamp);
    let gap = |ws: &Ws| {
        ws.json(
            &["status", "--district", "思明区", "--as-of", "2024-06-30"],
            0,
        )["targets"][0]["gap_text"]
            .clone()
    };
    assert_eq!(gap(&ws), "needs 37 more community workers");
    edit_at_the_same_size(&path);
    set_modified(&path, stamp);
    assert_eq!(gap(&ws), "needs 36 more community workers");
}

#[test]
fn a_file_whose_time_is_set_back_by_hand_is_read_again() {
    // Some copying and archiving tools put a file's modification time back to what it
    // was. The status change time, which the system sets at every write, still moves.
    let ws = Ws::new();
    let path = ws.path("progress/observations.csv");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    set_modified(&path, old);
    ws.stdout(&["load"], 0);
    edit_at_the_same_size(&path);
    set_modified(&path, old);
    let out = ws.stdout(&["load"], 0);
    assert!(out.contains("loaded   progress/observations.csv"), "{out}");
}

#[test]
fn a_changed_progress_file_is_checked_against_the_index_as_it_stands() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    // A task added to the manifest has its instances from the next refresh on.
    let plan = ws.path("policies/plan.toml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text += "\n[[tasks]]\nid = \"t4\"\nnumber = \"5\"\ntitle = \"公开服务事项\"\n\
             each = \"district\"\nlead = [\"each\"]\ndeadline = \"2024-09\"\n";
    std::fs::write(&plan, text).unwrap();
    ws.stdout(&["load"], 0);
    // Then only the events change: a row naming its unit by name is accepted and counts
    // for that unit's instance.
    let append = |row: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(ws.path("progress/events.csv"))
            .unwrap();
        std::io::Write::write_all(&mut f, row.as_bytes()).unwrap();
    };
    append("plan,t4,湖里区,2024-08-01,done,,\n");
    let out = ws.stdout(&["load"], 0);
    assert!(out.contains("1 changed, 0 removed, 4 unchanged"), "{out}");
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    let done: i64 = conn
        .query_row(
            "SELECT count(*) FROM events e JOIN instances i ON i.id = e.instance
             WHERE i.task = 't4' AND i.unit = 'xm-huli' AND e.status = 'done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(done, 1);
    // A unit the new task is not carried out by is refused, naming the units it is.
    append("plan,t4,厦门市,2024-08-02,done,,\n");
    let err = ws.refused(&["load"]);
    assert!(
        err.contains("progress/events.csv:9:9: task `plan/t4` has no instance for `厦门市`"),
        "{err}"
    );
    assert!(err.contains("its units are: 思明区、湖里区"), "{err}");
}

#[test]
fn a_bad_edit_leaves_the_previous_index_in_place() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    let plan = ws.path("policies/plan.toml");
    let good = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(
        &plan,
        good.replace("deadline = \"2024-05\"", "deadline = \"2024-02-30\""),
    )
    .unwrap();
    let err = ws.refused(&["overdue", "--as-of", "2024-06-30"]);
    assert!(
        err.contains(
            "policies/plan.toml:17:12: `2024-02-30` is not a real day: 2024-02 has 29 days"
        ),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    // The index still answers from the last good files.
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    let due: String = conn
        .query_row(
            "SELECT d.due FROM instances i JOIN dues d ON d.instance = i.id
             WHERE i.task = 't1' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(due, "2024-05-31");
}

#[test]
fn another_schema_version_is_rebuilt_from_the_files() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema'", [])
        .unwrap();
    conn.execute("DROP TABLE observations", []).unwrap();
    drop(conn);
    let out = ws.stdout(&["load"], 0);
    assert!(out.contains("5 changed"), "{out}");
    assert_eq!(
        ws.json(&["gaps", "--as-of", "2024-06-30"], 0)[0]["gap"],
        37.0
    );
}

/// The three reports as of 2024-06-30, as JSON, with each run's stderr.
fn reports_and_stderr(ws: &Ws) -> (Vec<String>, String) {
    let mut stderr = String::new();
    let reports = [("overdue", 1), ("status", 0), ("gaps", 0)]
        .map(|(report, code)| {
            let out = ws
                .cmd(&[report, "--as-of", "2024-06-30", "--format", "json"])
                .output()
                .unwrap();
            stderr += &String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(code), "{report}: {stderr}");
            String::from_utf8(out.stdout).unwrap()
        })
        .to_vec();
    (reports, stderr)
}

/// Overwrites the bytes of the index at `at` with `bytes`.
fn scribble(db: &Path, at: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn an_index_cut_short_or_malformed_is_rebuilt_and_said() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    let (before, quiet) = reports_and_stderr(&ws);
    assert_eq!(quiet, "");

    // Cut short, as by a full disk or a copy: SQLite would read the missing end of the
    // last page as zeros without a word.
    let len = std::fs::metadata(ws.db()).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(ws.db())
        .unwrap();
    f.set_len(len - 1000).unwrap();
    drop(f);
    let (after, said) = reports_and_stderr(&ws);
    assert_eq!(after, before);
    assert_eq!(said.matches("was damaged").count(), 1, "{said}");
    assert!(
        said.contains("not a whole number of 4096-byte pages"),
        "{said}"
    );
    assert!(said.contains("rebuilt from the files"), "{said}");
    // The cron job's `check` says so as well.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(ws.db())
        .unwrap();
    f.set_len(std::fs::metadata(ws.db()).unwrap().len() - 10)
        .unwrap();
    drop(f);
    let check = ws
        .cmd(&["check", "--as-of", "2024-06-30"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{said}");
    assert!(said.contains("was damaged"), "{said}");

    // The first page's table of tables overwritten.
    scribble(&ws.db(), 100, &[0xff; 8]);
    let (after, said) = reports_and_stderr(&ws);
    assert_eq!(after, before);
    assert!(
        said.contains("damaged (SQLite finds it malformed)"),
        "{said}"
    );

    // A header SQLite would take for a later format's, and read only or not at all.
    scribble(&ws.db(), 18, &[3]);
    let (after, said) = reports_and_stderr(&ws);
    assert_eq!(after, before);
    assert!(
        said.contains("header holds values SQLite never writes"),
        "{said}"
    );

    // The first page zeroed: in the index's own place it is damage, not a stranger's file.
    scribble(&ws.db(), 0, &[0; 4096]);
    let (after, said) = reports_and_stderr(&ws);
    assert_eq!(after, before);
    assert!(
        said.contains("damaged (it is not an SQLite database)"),
        "{said}"
    );
    assert!(
        ws.stdout(&["verify"], 0)
            .contains("the index matches the files")
    );
}

#[test]
fn a_damaged_page_found_while_reading_names_the_remedy() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    let root: u32 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = 'latest'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    scribble(&ws.db(), u64::from(root - 1) * 4096, &[0xff; 16]);
    let stderr = ws.refused(&["gaps", "--as-of", "2024-06-30"]);
    assert!(stderr.contains("malformed"), "{stderr}");
    assert!(
        stderr.contains("the index is damaged: delete it")
            && stderr.contains("rebuilt from the files"),
        "{stderr}"
    );
}

#[test]
fn a_value_govtrack_never_writes_names_the_remedy() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    // A byte of a unit's name made into text that is not UTF-8.
    let bytes = std::fs::read(ws.db()).unwrap();
    let name = "湖里区".as_bytes();
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap();
    scribble(&ws.db(), at as u64, &[0xff]);
    let stderr = ws.refused(&["status", "--as-of", "2024-06-30"]);
    assert!(
        stderr.contains("the index is damaged: delete it"),
        "{stderr}"
    );
    std::fs::remove_file(ws.db()).unwrap();
    ws.stdout(&["status", "--as-of", "2024-06-30"], 0);
}

#[test]
fn a_file_that_is_not_an_index_is_left_alone() {
    let ws = Ws::new();
    let notes = ws.path("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    let stderr = ws.refused(&["--db", notes.to_str().unwrap(), "status"]);
    assert!(
        stderr.contains("notes.txt is not a govtrack index (not an SQLite database)"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
}

#[test]
fn the_database_location_follows_flag_environment_and_default() {
    let ws = Ws::new();
    let elsewhere = TempDir::new().unwrap();
    let env_db = elsewhere.path().join("env.sqlite");
    ws.cmd(&["load"])
        .env("GOVTRACK_DB", &env_db)
        .assert()
        .success();
    assert!(env_db.exists());
    assert!(!ws.db().exists());
    let flag_db = elsewhere.path().join("sub/flag.sqlite");
    ws.cmd(&["--db", flag_db.to_str().unwrap(), "load"])
        .env("GOVTRACK_DB", &env_db)
        .assert()
        .success();
    assert!(flag_db.exists());
    ws.cmd(&["load"]).assert().success();
    assert!(ws.db().exists());
}

#[test]
fn the_workspace_is_found_upward_from_the_current_folder() {
    let ws = Ws::new();
    std::fs::write(ws.path("govtrack.toml"), "due_soon_days = 10\n").unwrap();
    let sub = ws.path("progress");
    let out = Command::cargo_bin("govtrack")
        .unwrap()
        .current_dir(&sub)
        .env_remove("GOVTRACK_DB")
        .args(["status", "--as-of", "2024-06-30", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let city = common::unit_row(&rows, "厦门市");
    assert_eq!(
        city["due_soon"], 0,
        "a 10-day window: task 2, due in 15 days, is not yellow"
    );
}

#[test]
fn help_documents_exit_codes_and_environment() {
    let out = Command::cargo_bin("govtrack")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Exit status:",
        "0  nothing needs attention",
        "2  error",
        "GOVTRACK_DB",
        "NO_COLOR",
    ] {
        assert!(help.contains(needle), "{needle} missing from --help");
    }
    let out = Command::cargo_bin("govtrack")
        .unwrap()
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_shipped_policies_and_example_month_load_and_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = TempDir::new().unwrap();
    let run = |args: &[&str]| {
        Command::cargo_bin("govtrack")
            .unwrap()
            .arg("--workspace")
            .arg(root)
            .arg("--db")
            .arg(db.path().join("i.sqlite"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["load"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["check", "--as-of", "2024-06-30"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "status",
        "--district",
        "思明区",
        "--as-of",
        "2024-06-30",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["tasks"].as_array().unwrap().len() >= 17);
}

#[test]
fn the_example_in_the_manifest_documentation_is_valid() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/manifest.md"))
            .unwrap();
    let start = doc.find("<!-- example:start -->\n```toml\n").unwrap();
    let end = doc.find("```\n<!-- example:end -->").unwrap();
    let example = &doc[start + "<!-- example:start -->\n```toml\n".len()..end];
    let dir = TempDir::new().unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/example.toml"), example).unwrap();
    let out = Command::cargo_bin("govtrack")
        .unwrap()
        .arg("--workspace")
        .arg(dir.path())
        .args(["status", "--as-of", "2024-01-15", "--format", "json"])
        .env_remove("GOVTRACK_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Two districts, each with task 10 and the half-year reports due so far plus the next.
    let siming = common::unit_row(&rows, "思明区");
    assert_eq!(siming["tasks"], 3);
    assert_eq!(
        siming["overdue"], 1,
        "the 2023-12-31 report was not received"
    );
    assert_eq!(siming["targets_no_data"], 1);
}

#[test]
fn progress_may_be_written_in_toml() {
    let ws = Ws::new();
    std::fs::write(
        ws.path("progress/june.toml"),
        r#"
[[events]]
policy = "plan"
task = "t1"
unit = "湖里区"
date = 2024-06-20
status = "done"
note = "补选完成"

[[observations]]
metric = "community_workers"
unit = "xm-siming"
date = 2024-07-01
value = 1932
"#,
    )
    .unwrap();
    // Task 1 is done in both districts now, and 思明区 (two observations on one day) is read
    // from whichever file; both give the same day, so check the event only.
    assert_eq!(
        ws.json(&["overdue", "--as-of", "2024-06-30"], 0),
        serde_json::json!([])
    );
    std::fs::write(ws.path("progress/june.toml"), "[[events]]\npolicy = \"plan\"\ntask = \"t1\"\nunit = \"湖里区\"\ndate = 2024-06-20\nstatus = \"finished\"\n").unwrap();
    let err = ws.refused(&["overdue"]);
    assert!(
        err.contains("progress/june.toml:6:10: unknown status `finished`"),
        "{err}"
    );
}

#[test]
fn people_recording_at_the_same_time_lose_nothing() {
    let ws = Ws::new();
    ws.stdout(&["load"], 0);
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("govtrack"));
            c.arg("--workspace")
                .arg(ws.dir.path())
                .env_remove("GOVTRACK_DB")
                .args([
                    "record",
                    "value",
                    "community_workers",
                    "--unit",
                    if i % 2 == 0 { "思明区" } else { "湖里区" },
                    "--value",
                    &(1000 + i).to_string(),
                    "--date",
                    &format!("2024-07-{:02}", i + 1),
                ]);
            c.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(ws.path("progress/observations.csv")).unwrap();
    let mut values: Vec<&str> = text
        .lines()
        .skip(3)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            "1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007"
        ]
    );
    let load = ws.stdout(&["load"], 0);
    assert!(load.contains("12 observations"), "{load}");
}

#[test]
fn every_report_has_every_format() {
    let ws = Ws::new();
    for report in ["overdue", "status", "gaps"] {
        let code = if report == "overdue" { 1 } else { 0 };
        let table = ws.stdout(&[report, "--as-of", "2024-06-30"], code);
        assert!(table.starts_with("| light"), "{report}: {table}");
        let csv = ws.stdout(&[report, "--as-of", "2024-06-30", "--format", "csv"], code);
        let header = csv.lines().next().unwrap();
        let json = ws.json(&[report, "--as-of", "2024-06-30"], code);
        let keys: Vec<&String> = json[0].as_object().unwrap().keys().collect();
        assert_eq!(
            header.split(',').count(),
            keys.len(),
            "{report}: CSV and JSON carry the same fields"
        );
        for k in keys {
            assert!(
                header.split(',').any(|h| h == k),
                "{report}: {k} missing from CSV"
            );
        }
    }
    let csv = ws.stdout(
        &[
            "status",
            "--district",
            "思明区",
            "--as-of",
            "2024-06-30",
            "--format",
            "csv",
        ],
        0,
    );
    assert!(csv.starts_with("policy,task,number,title,unit"), "{csv}");
    assert_eq!(csv.lines().count(), 5);
}
