//! Several processes at once on one workspace, with the index in its default place: a cron
//! job checks and reports, and someone at the desk reloads the index, while two people
//! record and monthly returns are imported. No record is lost or duplicated, no process
//! fails or says the database is locked, and every report matches some moment: what it
//! counts lies between what had finished before it started and what had started before it
//! ended, and never goes back.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, SystemTime};
use tempfile::TempDir;

const AS_OF: &str = "2024-06-30";
/// Task instances each person marks done.
const RECORDS: usize = 20;
/// Returns imported one after another, each into a progress file of its own: files that
/// appear while others are reading the workspace.
const RETURNS: usize = 10;
/// Observations in each return.
const ROWS: usize = 2;

fn govtrack(ws: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("govtrack"));
    c.arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("GOVTRACK_DB")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .env("NO_COLOR", "1");
    c
}

/// Runs a command, insists on its exit status and on a stderr that does not speak of a
/// locked or busy database; returns its stdout.
fn run(mut cmd: Command, code: i32) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&stderr);
    assert_eq!(status.code(), Some(code), "{cmd:?}: {stderr}");
    assert!(
        !stderr.contains("locked") && !stderr.contains("busy"),
        "{cmd:?}: {stderr}"
    );
    String::from_utf8(stdout).unwrap()
}

/// The status events and observations `load` finds in the index.
fn counts(load: &str) -> (usize, usize) {
    let number = |word: &str| -> usize {
        let before = &load[..load.rfind(word).unwrap_or_else(|| panic!("{load}"))];
        before
            .trim_end()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (number(" status events"), number(" observations"))
}

/// The number of overdue task instances `check` reports.
fn check_overdue(out: &str) -> usize {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("overdue: "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no overdue line in {out}"))
        .parse()
        .unwrap()
}

/// Work that has started and work that has finished, counted in what a report counts.
#[derive(Default)]
struct Progress {
    started: AtomicUsize,
    finished: AtomicUsize,
}

impl Progress {
    fn run(&self, amount: usize, work: impl FnOnce()) {
        self.started.fetch_add(amount, SeqCst);
        work();
        self.finished.fetch_add(amount, SeqCst);
    }
}

/// The counts the reports give: task instances done (by `check` and by `overdue`), events
/// recorded and observations imported (by `load`).
const SERIES: [&str; 3] = ["instances done", "events recorded", "observations imported"];

/// Counts a worker out when it ends, even by a failed assertion, so the watchers stop too.
struct Leaving<'a>(&'a AtomicUsize);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

/// What one report found, with the bounds it must lie in.
struct Seen {
    report: &'static str,
    /// Which of [`SERIES`].
    series: usize,
    value: usize,
    least: usize,
    most: usize,
}

/// The reports the watchers take.
#[derive(Clone, Copy)]
enum Report {
    Check,
    Overdue,
    Load,
}

/// Runs one report and says what it found, between what had finished before it started
/// and what had started before it ended.
fn take(
    ws: &Path,
    report: Report,
    overdue0: usize,
    (events0, observations0): (usize, usize),
    records: &Progress,
    imported: &Progress,
) -> Vec<Seen> {
    let (done_before, imported_before) = (
        records.finished.load(SeqCst),
        imported.finished.load(SeqCst),
    );
    let (name, values) = match report {
        Report::Check => {
            let out = run(govtrack(ws, &["check", "--as-of", AS_OF]), 1);
            ("check", vec![(0, overdue0 - check_overdue(&out))])
        }
        Report::Overdue => {
            let out = run(
                govtrack(ws, &["overdue", "--as-of", AS_OF, "--format", "json"]),
                1,
            );
            let rows: Value = serde_json::from_str(&out).unwrap();
            (
                "overdue",
                vec![(0, overdue0 - rows.as_array().unwrap().len())],
            )
        }
        Report::Load => {
            let out = run(govtrack(ws, &["load"]), 0);
            // Files are only ever added here.
            assert!(
                !out.lines().any(|l| l.starts_with("removed ")),
                "load took out a file: {out}"
            );
            let (events, observations) = counts(&out);
            (
                "load",
                vec![(1, events - events0), (2, observations - observations0)],
            )
        }
    };
    let (records_started, imported_started) =
        (records.started.load(SeqCst), imported.started.load(SeqCst));
    values
        .into_iter()
        .map(|(series, value)| {
            let (least, most) = if series == 2 {
                (imported_before, imported_started)
            } else {
                (done_before, records_started)
            };
            Seen {
                report: name,
                series,
                value,
                least,
                most,
            }
        })
        .collect()
}

#[test]
fn a_cron_check_while_two_people_record_and_returns_are_imported() {
    let dir = TempDir::new().unwrap();
    let ws = dir.path().join("ws");
    common::generate(&ws, "0.002");

    // What the workspace says before anyone starts, from an index kept elsewhere, so that
    // the processes below also race to create the workspace's own index.
    let before = {
        let db = dir.path().join("before.sqlite");
        let with_db = |args: &[&str], code| {
            let mut c = govtrack(&ws, &["--db", db.to_str().unwrap()]);
            c.args(args);
            run(c, code)
        };
        let overdue: Value = serde_json::from_str(&with_db(
            &["overdue", "--as-of", AS_OF, "--format", "json"],
            1,
        ))
        .unwrap();
        (overdue, counts(&with_db(&["load"], 0)))
    };
    let (overdue, (events0, observations0)) = before;
    let overdue = overdue.as_array().unwrap();
    let overdue0 = overdue.len();
    // Overdue instances of one-off tasks, spread over the list: marking one done takes
    // exactly one off the count.
    let one_off: Vec<&Value> = overdue.iter().filter(|r| r["recurring"] == false).collect();
    let step = one_off.len() / (2 * RECORDS);
    let todo: Vec<Vec<String>> = (0..2)
        .map(|person| {
            (0..RECORDS)
                .map(|k| {
                    let r = one_off[(person * RECORDS + k) * step];
                    let s = |key: &str| r[key].as_str().unwrap().to_string();
                    format!(
                        "{},{},{},2024-06-15,done,person {person} item {k},",
                        s("policy"),
                        s("task"),
                        s("unit_id")
                    )
                })
                .collect()
        })
        .collect();

    // Returns for communities of as many cities, for a month after the generated data.
    let returns: Vec<PathBuf> = (1..=RETURNS)
        .map(|city| {
            let source = std::fs::read_to_string(
                ws.join(format!("progress/obs/2024-12/c{city:02}-d001.csv")),
            )
            .unwrap();
            let mut text = String::from("unit,metric,date,value,source\n");
            for line in source.lines().skip(1).take(ROWS) {
                let f: Vec<&str> = line.split(',').collect();
                text += &format!("{},{},2025-01-31,{},月报\n", f[1], f[0], f[3]);
            }
            let path = dir.path().join(format!("2025-01-c{city:02}.csv"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();

    let records = &Progress::default();
    let imported = &Progress::default();
    let working = &AtomicUsize::new(3);
    let start = &Barrier::new(5);
    let ws = &ws;
    let watched = std::thread::scope(|s| {
        for lines in &todo {
            s.spawn(move || {
                let _leaving = Leaving(working);
                start.wait();
                for line in lines {
                    let f: Vec<&str> = line.split(',').collect();
                    let task = format!("{}/{}", f[0], f[1]);
                    records.run(1, || {
                        run(
                            govtrack(
                                ws,
                                &[
                                    "record", "status", &task, "--unit", f[2], "--status", "done",
                                    "--date", f[3], "--note", f[5],
                                ],
                            ),
                            0,
                        );
                    });
                }
            });
        }
        s.spawn(|| {
            let _leaving = Leaving(working);
            start.wait();
            for path in &returns {
                imported.run(ROWS, || {
                    run(govtrack(ws, &["import", path.to_str().unwrap()]), 0);
                });
            }
        });
        // The cron job, and someone at the desk reloading the index, take turns at their
        // reports until everyone is done, then once more.
        let watch = |reports: &'static [Report]| {
            s.spawn(move || {
                start.wait();
                let mut rounds = Vec::new();
                loop {
                    let last = working.load(SeqCst) == 0;
                    for report in reports {
                        rounds.push(take(
                            ws,
                            *report,
                            overdue0,
                            (events0, observations0),
                            records,
                            imported,
                        ));
                    }
                    if last {
                        return rounds;
                    }
                }
            })
        };
        let watchers = [
            watch(&[Report::Check, Report::Overdue]),
            watch(&[Report::Load]),
        ];
        watchers.map(|w| w.join().unwrap())
    });
    let mut highest = [0; SERIES.len()];
    for (watcher, seen) in watched.iter().enumerate() {
        println!("watcher {watcher}: {} reports", seen.len());
        // Each watcher's reports in the order they ran: no count ever goes back.
        let mut last = [0; SERIES.len()];
        for (n, round) in seen.iter().enumerate() {
            for s in round {
                let what = format!(
                    "watcher {watcher}, report {n}, {}: {}",
                    s.report, SERIES[s.series]
                );
                assert!(
                    s.least <= s.value && s.value <= s.most,
                    "{what}: {} is not between {} finished before the report and {} started before it ended",
                    s.value,
                    s.least,
                    s.most
                );
                assert!(
                    s.value >= last[s.series],
                    "{what}: {} after {} in an earlier report",
                    s.value,
                    last[s.series]
                );
                last[s.series] = s.value;
                highest[s.series] = highest[s.series].max(s.value);
            }
        }
    }
    // The last round started after everyone was done: it sees all of it.
    assert_eq!(highest, [2 * RECORDS, 2 * RECORDS, RETURNS * ROWS]);

    let events = std::fs::read_to_string(ws.join("progress/events.csv")).unwrap();
    let mut lines: Vec<&str> = events.lines().collect();
    assert_eq!(
        lines.remove(0),
        "policy,task,unit,date,status,note,evidence"
    );
    lines.sort_unstable();
    let mut want: Vec<&str> = todo.iter().flatten().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(lines, want, "each record exactly once, whole");
    for path in &returns {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(ws.join("progress/imports").join(name)).unwrap();
        assert_eq!(text.lines().count(), 1 + ROWS, "{name}");
    }
}

/// Processes that find no index and create it at the same moment all get in: none is
/// told the database is locked. Each round starts several on a fresh index.
#[test]
fn people_creating_the_index_at_once_all_get_in() {
    let dir = common::workspace("basic");
    let ws = dir.path();
    for round in 0..10 {
        std::fs::remove_dir_all(ws.join(".govtrack")).unwrap_or(());
        let start = Barrier::new(6);
        let outputs: Vec<String> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..6)
                .map(|_| {
                    s.spawn(|| {
                        let cmd = govtrack(ws, &["status", "--as-of", AS_OF, "--format", "json"]);
                        start.wait();
                        run(cmd, 0)
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert!(
            outputs.iter().all(|o| *o == outputs[0]),
            "round {round}: the same report differs"
        );
    }
}

/// A refresh hashes a changed file, then reads it again to load it. If the file is
/// replaced in between, the index must not keep the hash of one version with the rows of
/// the other, or a later return to the hashed version would pass for unchanged.
#[test]
fn a_file_replaced_while_the_index_loads_it_is_read_again_later() {
    let dir = common::workspace("basic");
    let ws = govtrack::workspace::Workspace::locate(Some(dir.path())).unwrap();
    let (mut index, _) = govtrack::index::Index::open(&ws.db_path(None)).unwrap();
    index.refresh(&ws).unwrap();
    let rel = "progress/observations.csv";
    let path = dir.path().join(rel);
    let original = std::fs::read_to_string(&path).unwrap();
    let version = |workers: u32| original.replace(",1895,", &format!(",{workers},"));
    // Written a while ago, so that writing it again later gives it another time.
    let write = |workers: u32, when: SystemTime| {
        std::fs::write(&path, version(workers)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    };
    write(1001, SystemTime::now() - Duration::from_secs(60));
    index
        .refresh_with(&ws, &mut |_, _, file| {
            if file == rel {
                write(1002, SystemTime::now() - Duration::from_secs(30));
            }
        })
        .unwrap();
    write(1001, SystemTime::now());
    index.refresh(&ws).unwrap();
    let workers: f64 = index
        .conn()
        .query_row(
            "SELECT value FROM observations WHERE metric = 'community_workers' AND unit = 'xm-siming'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(workers, 1001.0, "the index holds what the file held before");
}

#[test]
fn a_report_waits_for_a_line_being_recorded_rather_than_read_half_of_it() {
    use std::io::Write;
    let dir = common::workspace("basic");
    let overdue = |out: &str| -> Vec<String> {
        let rows: Value = serde_json::from_str(out).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r["task"], r["unit"]))
            .collect()
    };
    let args = ["overdue", "--as-of", AS_OF, "--format", "json"];
    let before = overdue(&run(govtrack(dir.path(), &args), 1));
    assert_eq!(
        before,
        ["\"t1\" \"湖里区\""],
        "one task instance is overdue"
    );

    // `record` holds this lock while it appends a line; here the line stops inside a
    // character, as a reader could see it when the line crosses a page.
    let line = "plan,t1,湖里区,2024-06-01,done,按期补选,\n".as_bytes();
    let mut file = std::fs::File::options()
        .append(true)
        .open(dir.path().join("progress/events.csv"))
        .unwrap();
    file.lock().unwrap();
    let cut = "plan,t1,湖".len() - 1;
    file.write_all(&line[..cut]).unwrap();
    file.sync_all().unwrap();
    let spawn = |args: &[&str]| {
        govtrack(dir.path(), args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let report = spawn(&args);
    let verify = spawn(&["verify"]);
    std::thread::sleep(Duration::from_millis(500));
    file.write_all(&line[cut..]).unwrap();
    file.sync_all().unwrap();
    file.unlock().unwrap();

    let out = report.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let after = overdue(&String::from_utf8(out.stdout).unwrap());
    assert!(
        after.is_empty(),
        "the recorded line was read whole: {after:?}"
    );
    let verified = verify.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{said}");
    assert!(said.contains("every file parses"), "{said}");
}
