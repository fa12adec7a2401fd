//! Crash safety: govtrack is killed with SIGKILL at seeded random moments while it loads
//! the index, records a row and imports a return. After every kill the workspace files are
//! as they were or hold exactly the new row or return (no torn line, no half-written
//! file, no leftover that govtrack would read), the index passes SQLite's integrity check,
//! and the next command reports exactly what a fresh index built from the same files
//! reports.
//!
//! Each kill lands at a seeded delay up to a horizon that follows the command's run time,
//! so most land while it runs, in every part of it. The counts of kills that landed before
//! and after the write (or the commit) are printed, and a fair share of them must have
//! caught the process running, so the test cannot pass by killing processes that had
//! already ended. `GOVTRACK_CRASH_SEED` replays another seed.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const SEED: u64 = 0x6372_6173_6821_7369;
const LOAD_TRIALS: usize = 80;
const RECORD_TRIALS: usize = 150;
const IMPORT_TRIALS: usize = 120;

/// xorshift64*: spreads the kills over a command's run, the same way every time.
struct Rng(u64);

impl Rng {
    fn new(stream: u64) -> Rng {
        let seed = std::env::var("GOVTRACK_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(SEED);
        Rng((seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A delay from 0 up to `horizon`.
    fn delay(&mut self, horizon: &Horizon) -> Duration {
        horizon
            .0
            .mul_f64((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// How late a kill may land. A command's run time varies with the machine and with the
/// tests running beside this one, so the horizon follows it: a kill that finds the command
/// ended shortens it, one that catches it running lengthens it a little. That settles
/// where about a quarter of the commands end first, with the horizon some 40% past a
/// typical run, so the kills cover all of it.
struct Horizon(Duration);

impl Horizon {
    /// Starts some 40% past one run of the command.
    fn new(run: Duration) -> Horizon {
        Horizon(run.mul_f64(1.4))
    }

    fn after(&mut self, killed: bool) {
        self.0 = self.0.mul_f64(if killed { 1.02 } else { 0.95 });
    }
}

/// govtrack on `ws`, in English, with the index in its default place unless `db` is given.
fn govtrack(ws: &Path, db: Option<&Path>) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("govtrack"));
    c.arg("--workspace").arg(ws);
    if let Some(db) = db {
        c.arg("--db").arg(db);
    }
    c.env_remove("GOVTRACK_DB")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .env("NO_COLOR", "1");
    c
}

/// Runs a command to its end and insists that it succeeded; returns how long it took.
fn timed(mut cmd: Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

/// Starts `cmd`, kills it after `delay` and reaps it. True when the kill caught it
/// running; a command that ended first must have succeeded.
fn kill_after(mut cmd: Command, delay: Duration, what: &str) -> bool {
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    if status.signal() == Some(9) {
        return true;
    }
    assert!(
        status.success(),
        "{what} failed on its own ({status}): {}",
        std::fs::read_to_string(err.path()).unwrap()
    );
    false
}

/// Every file of the workspace but the index, by path relative to it.
fn files(ws: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if rel == ".govtrack" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &rel, out);
            } else {
                out.insert(rel, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(ws, "", &mut out);
    out
}

/// Whether a file is one govtrack passes over: its name, or a folder on its path, starts
/// with a dot.
fn hidden(rel: &str) -> bool {
    rel.split('/').any(|part| part.starts_with('.'))
}

/// What a kill left of the one file the command writes.
#[derive(Debug, PartialEq)]
enum Left {
    /// As it was before.
    Before,
    /// Exactly what the command was to write.
    Written,
}

/// Checks that every file is as `before`, except `target`, which may instead hold exactly
/// `new` (or be absent if it was). Added files must be ones govtrack passes over; their
/// number is returned with what `target` holds.
fn compare(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
    target: &str,
    new: &[u8],
    trial: &str,
) -> (Left, usize) {
    for (rel, bytes) in before {
        if rel != target {
            assert!(after.get(rel) == Some(bytes), "{trial}: {rel} changed");
        }
    }
    let mut litter = 0;
    for rel in after.keys() {
        if !before.contains_key(rel) && rel != target {
            assert!(
                hidden(rel),
                "{trial}: {rel} appeared and govtrack would read it"
            );
            litter += 1;
        }
    }
    let left = match after.get(target) {
        t if t == before.get(target) => Left::Before,
        Some(t) if t == new => Left::Written,
        Some(t) => panic!(
            "{trial}: {target} is neither as before nor as written:\n{}",
            String::from_utf8_lossy(t)
        ),
        None => panic!("{trial}: {target} disappeared"),
    };
    (left, litter)
}

/// Runs SQLite's integrity check on the index, if a kill left one, and returns the files
/// it says it holds, with their sizes (none when no load ever committed).
fn sound_index(db: &Path, trial: &str) -> BTreeMap<String, i64> {
    if !db.exists() {
        return BTreeMap::new();
    }
    let read = || -> rusqlite::Result<(Vec<String>, BTreeMap<String, i64>)> {
        let conn = rusqlite::Connection::open(db)?;
        let check = conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let has_files: bool = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'files'",
            [],
            |r| r.get(0),
        )?;
        let files = if has_files {
            conn.prepare("SELECT path, size FROM files")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        } else {
            BTreeMap::new()
        };
        Ok((check, files))
    };
    let (check, files) = read().unwrap_or_else(|e| panic!("{trial}: the index is damaged: {e}"));
    assert_eq!(check, ["ok"], "{trial}: the index is damaged");
    files
}

/// What the reports say as of `as_of`: what `load` finds in the index, then `overdue` and
/// `gaps` as JSON, each with its exit status. The first is the command after a kill.
fn reports(ws: &Path, db: Option<&Path>, as_of: &str, trial: &str) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for args in [
        vec!["load"],
        vec!["overdue", "--as-of", as_of, "--format", "json"],
        vec!["gaps", "--as-of", as_of, "--format", "json"],
    ] {
        let o = govtrack(ws, db).args(&args).output().unwrap();
        let stdout = String::from_utf8(o.stdout).unwrap();
        let code = o.status.code().unwrap_or(-1);
        assert!(
            code == 0 || (code == 1 && args[0] == "overdue"),
            "{trial}: {args:?} exited {code}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // `load` also says what it reloaded, which differs from a fresh index.
        let text = match args[0] {
            "load" => stdout
                .rsplit_once("index holds")
                .map(|(_, counts)| counts.to_string())
                .unwrap_or_else(|| panic!("{trial}: load said {stdout}")),
            _ => stdout,
        };
        out.push((code, text));
    }
    out
}

/// After a kill: the index is sound, and the next command reports what the files say.
fn next_command_is_right(ws: &Path, db: &Path, as_of: &str, trial: &str) {
    sound_index(db, trial);
    assert_eq!(
        reports(ws, None, as_of, trial),
        fresh_reports(ws, as_of, trial),
        "{trial}: the next command does not report what the files say"
    );
}

/// The reports from a fresh index built from the files as they are now.
fn fresh_reports(ws: &Path, as_of: &str, trial: &str) -> Vec<(i32, String)> {
    let dir = TempDir::new().unwrap();
    reports(ws, Some(&dir.path().join("fresh.sqlite")), as_of, trial)
}

/// The kills of one kind of command, by where they landed.
#[derive(Default, Debug)]
struct Tally {
    /// Killed before it wrote (or committed) anything.
    before: usize,
    /// Killed after the write (or commit), before it ended.
    after: usize,
    /// It had ended before the kill.
    ended: usize,
    /// Killed where there was nothing to write (an import of a file already imported).
    idle: usize,
    /// Temporary files left behind, which govtrack passes over.
    litter: usize,
}

impl Tally {
    fn count(&mut self, killed: bool, wrote: bool) {
        match (killed, wrote) {
            (false, _) => self.ended += 1,
            (true, false) => self.before += 1,
            (true, true) => self.after += 1,
        }
    }

    /// Most kills must catch the command running, and some before its write.
    fn assert_meaningful(&self, what: &str, trials: usize) {
        println!("{what}: {trials} trials, {self:?}");
        let killed = self.before + self.after + self.idle;
        assert!(
            killed * 5 >= trials * 2,
            "{what}: only {killed} of {trials} kills caught the command running"
        );
        assert!(self.before > 0, "{what}: no kill landed before the write");
    }
}

/// The workload generator's workspace is big enough that a cold load takes a while. Each
/// trial starts a load from nothing, after a definition file changed, or after a month of
/// progress files appeared or went, and kills it.
#[test]
fn killing_a_load_leaves_a_sound_index_and_the_files_untouched() {
    let dir = TempDir::new().unwrap();
    let ws = dir.path().join("ws");
    common::generate(&ws, "0.002");
    let db = ws.join(".govtrack/index.sqlite");
    let policy = ws.join("policies/p01.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let month = ws.join("progress/obs/2024-12");
    let hidden_month = ws.join("progress/obs/.2024-12");
    let as_of = "2024-06-30";

    // Three ways into a load; each leaves the workspace as it found it or toggles a change.
    let cold = || std::fs::remove_dir_all(ws.join(".govtrack")).unwrap_or(());
    let edit = || {
        let now = std::fs::read_to_string(&policy).unwrap();
        let next = if now == text {
            format!("{text}\n# 修订\n")
        } else {
            text.clone()
        };
        std::fs::write(&policy, next).unwrap();
    };
    let toggle = || {
        if month.exists() {
            std::fs::rename(&month, &hidden_month).unwrap();
        } else {
            std::fs::rename(&hidden_month, &month).unwrap();
        }
    };
    let load = || {
        let mut c = govtrack(&ws, None);
        c.arg("load");
        c
    };
    let ways: [&dyn Fn(); 3] = [&cold, &edit, &toggle];
    let mut horizons = ways.map(|prepare| {
        prepare();
        Horizon::new(timed(load()))
    });

    // The reports for each state of the month's files: shown or hidden.
    let mut expected = BTreeMap::new();
    for _ in 0..2 {
        toggle();
        expected.insert(month.exists(), fresh_reports(&ws, as_of, "reference"));
    }

    let mut rng = Rng::new(1);
    let mut tally = Tally::default();
    for n in 0..LOAD_TRIALS {
        let way = rng.below(ways.len());
        ways[way]();
        let before = files(&ws);
        let delay = rng.delay(&horizons[way]);
        let trial = format!("load trial {n} (way {way}, kill after {delay:?})");
        let killed = kill_after(load(), delay, &trial);
        horizons[way].after(killed);

        assert!(files(&ws) == before, "{trial}: a workspace file changed");
        let indexed = sound_index(&db, &trial);
        let on_disk: BTreeMap<String, i64> = before
            .iter()
            .filter(|(rel, _)| {
                !hidden(rel)
                    && ((rel.starts_with("policies/") && rel.ends_with(".toml"))
                        || (rel.starts_with("progress/")
                            && (rel.ends_with(".csv") || rel.ends_with(".toml"))))
            })
            .map(|(rel, bytes)| (rel.clone(), bytes.len() as i64))
            .collect();
        tally.count(killed, indexed == on_disk);
        assert_eq!(
            reports(&ws, None, as_of, &trial),
            expected[&month.exists()],
            "{trial}: the next command does not report what the files say"
        );
    }
    tally.assert_meaningful("load", LOAD_TRIALS);
}

/// `record` on the small fixture: a status event or an observation per trial, sometimes
/// into a file it must create.
#[test]
fn killing_record_leaves_the_row_whole_or_absent() {
    let dir = common::workspace("basic");
    let ws = dir.path();
    let db = ws.join(".govtrack/index.sqlite");
    let as_of = "2024-12-31";
    let record = |args: &[String]| {
        let mut c = govtrack(ws, None);
        c.arg("record").args(args);
        c
    };
    let mut horizon = Horizon::new(timed(record(
        &[
            "status",
            "plan/t1",
            "--unit",
            "xm-huli",
            "--status",
            "in_progress",
            "--date",
            "2023-01-01",
        ]
        .map(String::from),
    )));

    let units = ["湖里区", "思明区", "xm-huli", "xm-siming"];
    let mut rng = Rng::new(2);
    let mut tally = Tally::default();
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for n in 0..RECORD_TRIALS {
        // A day of its own, so no two rows tie for the latest figure of a unit.
        let date = (day + chrono::Days::new(n as u64)).to_string();
        let unit = units[rng.below(units.len())];
        let (file, header, args, line) = if rng.below(2) == 0 {
            let task = ["t1", "report"][rng.below(2)];
            let status = ["done", "in_progress"][rng.below(2)];
            let note = format!("第{n}次");
            (
                "progress/events.csv",
                "policy,task,unit,date,status,note,evidence\n",
                [
                    "status",
                    &format!("plan/{task}"),
                    "--unit",
                    unit,
                    "--status",
                    status,
                    "--date",
                    &date,
                    "--note",
                    &note,
                ]
                .map(String::from)
                .to_vec(),
                format!("plan,{task},{unit},{date},{status},{note},\n"),
            )
        } else {
            let value = (100 + rng.below(3000)).to_string();
            let source = format!("核实{n}");
            (
                "progress/observations.csv",
                "metric,unit,date,value,source\n",
                [
                    "value",
                    "community_workers",
                    "--unit",
                    unit,
                    "--value",
                    &value,
                    "--date",
                    &date,
                    "--source",
                    &source,
                ]
                .map(String::from)
                .to_vec(),
                format!("community_workers,{unit},{date},{value},{source}\n"),
            )
        };
        if rng.below(10) == 0 {
            std::fs::remove_file(ws.join(file)).unwrap_or(());
        }
        let before = files(ws);
        let mut new = before
            .get(file)
            .cloned()
            .unwrap_or_else(|| header.as_bytes().to_vec());
        new.extend_from_slice(line.as_bytes());
        let delay = rng.delay(&horizon);
        let trial = format!(
            "record trial {n} ({}, kill after {delay:?})",
            args.join(" ")
        );
        let killed = kill_after(record(&args), delay, &trial);
        horizon.after(killed);

        let (left, litter) = compare(&before, &files(ws), file, &new, &trial);
        tally.count(killed, left == Left::Written);
        tally.litter += litter;
        next_command_is_right(ws, &db, as_of, &trial);
    }
    tally.assert_meaningful("record", RECORD_TRIALS);
    assert!(tally.after > 0, "no kill landed after the row was written");
}

/// A monthly return as CSV: `variant` decides the layout and the figures, `name` the
/// month, so that each return replaces its earlier versions and none ties with another.
fn monthly_return(name: usize, variant: usize) -> String {
    let date = ["2024-07-31", "2024-08-31", "2024-09-30"][name];
    let (siming, huli) = (1800 + 7 * variant + name, 250 + 11 * variant);
    match variant {
        0 => format!("单位,指标,日期,数值,备注\n思明区,社区工作者,{date},{siming},月报\n"),
        1 => format!(
            "思明区、湖里区社区工作者月报\nunit,metric,date,value,source\nxm-siming,community_workers,{date},{siming},\n湖里区,community_workers,{date},{huli},电话核实\n"
        ),
        _ => {
            format!("单位,统计日期,社区工作者(名)\n思明区,{date},{siming}\n湖里区,{date},{huli}\n")
        }
    }
}

/// `import` on the small fixture: three returns, each in three versions, imported in a
/// seeded order, so a trial may add a file, replace one, or find it already imported.
#[test]
fn killing_import_leaves_the_old_file_or_the_whole_new_one() {
    let dir = common::workspace("basic");
    let ws = dir.path();
    let db = ws.join(".govtrack/index.sqlite");
    let as_of = "2024-12-31";
    let names = ["2024-07", "2024-08", "2024-09"];
    let returns = ws.join("returns");
    std::fs::create_dir_all(&returns).unwrap();
    let import = |path: &Path| {
        let mut c = govtrack(ws, None);
        c.arg("import").arg(path);
        c
    };

    // What a return becomes when nothing interrupts the import, and how long that takes.
    let scratch = common::workspace("basic");
    let mut written: BTreeMap<(usize, usize), Vec<u8>> = BTreeMap::new();
    let mut runs = Vec::new();
    for (name, stem) in names.iter().enumerate() {
        for variant in 0..3 {
            let path = scratch.path().join(format!("{stem}.csv"));
            std::fs::write(&path, monthly_return(name, variant)).unwrap();
            let mut c = govtrack(scratch.path(), None);
            c.arg("import").arg(&path);
            runs.push(timed(c));
            let out = scratch.path().join(format!("progress/imports/{stem}.csv"));
            written.insert((name, variant), std::fs::read(out).unwrap());
        }
    }
    let mut horizon = Horizon::new(*runs.iter().min().unwrap());

    let mut rng = Rng::new(3);
    let mut tally = Tally::default();
    for n in 0..IMPORT_TRIALS {
        let (name, variant) = (rng.below(names.len()), rng.below(3));
        let target = format!("progress/imports/{}.csv", names[name]);
        if rng.below(10) == 0 {
            std::fs::remove_file(ws.join(&target)).unwrap_or(());
        }
        let file: PathBuf = returns.join(format!("{}.csv", names[name]));
        std::fs::write(&file, monthly_return(name, variant)).unwrap();
        let before = files(ws);
        let new = &written[&(name, variant)];
        let delay = rng.delay(&horizon);
        let trial =
            format!("import trial {n} (return {name} version {variant}, kill after {delay:?})");
        let killed = kill_after(import(&file), delay, &trial);
        horizon.after(killed);

        let (left, litter) = compare(&before, &files(ws), &target, new, &trial);
        if before.get(&target) == Some(new) {
            if killed {
                tally.idle += 1;
            } else {
                tally.ended += 1;
            }
        } else {
            tally.count(killed, left == Left::Written);
        }
        tally.litter += litter;
        next_command_is_right(ws, &db, as_of, &trial);
    }
    tally.assert_meaningful("import", IMPORT_TRIALS);
    assert!(
        tally.after > 0,
        "no kill landed after the return was written"
    );
}
