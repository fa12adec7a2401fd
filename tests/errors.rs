//! Bad input, one fixture per kind of problem (in the style of hledger's tests/errors).
//!
//! `tests/fixtures/errors/base/` is a small valid workspace. Each other folder there holds
//! only the files that differ from it: a test copies base into a temporary folder, copies
//! the kind's files over it, runs `govtrack load` and checks the diagnostic: exit status 2,
//! the exact `FILE:LINE:COL`, the words of the message, and for many a `help:` line.
//!
//! The places below were worked out by hand from the fixture files (lines and columns
//! count characters from 1; a TOML string's place is its opening quote).

mod common;

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    common::fixtures().join("errors")
}

/// Copies the files of fixture `kind` over the workspace in `dir`.
fn overlay(dir: &Path, kind: &str) {
    let from = fixtures().join(kind);
    assert!(from.is_dir(), "no fixture folder {}", from.display());
    common::copy_tree(&from, dir);
}

/// Puts back base's version of `rel`.
fn restore(dir: &Path, rel: &str) {
    fs::copy(fixtures().join("base").join(rel), dir.join(rel)).unwrap();
}

/// A temporary workspace: base, with the files of `kind` (if any) copied over it.
fn workspace(kind: Option<&str>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&fixtures().join("base"), dir.path());
    if let Some(kind) = kind {
        overlay(dir.path(), kind);
    }
    dir
}

/// `govtrack --workspace DIR --db DIR/idx.sqlite ARGS...`, isolated from the environment.
fn govtrack(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    cmd.arg("--workspace")
        .arg(dir)
        .arg("--db")
        .arg(dir.join("idx.sqlite"))
        .args(args)
        .env_remove("GOVTRACK_DB")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    run_with(govtrack(dir, args))
}

fn run_with(mut cmd: Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run govtrack: {e}"));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Checks that `r` is a rejection of bad input: status 2, nothing on stdout, no panic, and
/// the closing summary line.
fn assert_bad_input(what: &str, r: &Run) {
    assert!(
        !r.stderr.contains("panicked"),
        "{what}: govtrack panicked\n{}",
        r.stderr
    );
    assert_eq!(
        r.code,
        Some(2),
        "{what}: exit status (None: killed, e.g. after the timeout)\nstdout:\n{}\nstderr:\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "{what}: bad input must print nothing on stdout\n{}",
        r.stdout
    );
    assert!(
        r.stderr
            .trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("govtrack: ")
                && l.ends_with(" in the workspace; nothing was changed")),
        "{what}: missing the summary line\n{}",
        r.stderr
    );
}

/// Runs `load` on base + `kind`, checks that it is rejected as bad input; returns stderr.
fn load_fails(kind: &str) -> String {
    let ws = workspace(Some(kind));
    let r = run(ws.path(), &["load"]);
    assert_bad_input(kind, &r);
    r.stderr
}

/// The rendered diagnostic whose title is `error: PLACE: ...`, up to the next one.
fn diagnostic<'a>(stderr: &'a str, place: &str) -> &'a str {
    let title = format!("error: {place}: ");
    let start = stderr
        .find(&title)
        .unwrap_or_else(|| panic!("no diagnostic at {place}\n{stderr}"));
    let rest = &stderr[start + title.len()..];
    let end = ["\nerror: ", "\ngovtrack: "]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &stderr[start..start + title.len() + end]
}

/// The diagnostic at `place`, checking that its title line holds every one of `words`.
fn error_at<'a>(stderr: &'a str, place: &str, words: &[&str]) -> &'a str {
    let d = diagnostic(stderr, place);
    let title = d.lines().next().unwrap();
    for w in words {
        assert!(
            title.contains(w),
            "the message at {place} lacks {w:?}\n{stderr}"
        );
    }
    d
}

/// Checks that the diagnostic has a `help:` line containing `text`.
fn assert_help(d: &str, text: &str) {
    assert!(
        d.lines()
            .any(|l| l.trim_start().starts_with("help: ") && l.contains(text)),
        "no `help:` line with {text:?} in\n{d}"
    );
}

/// Checks that the diagnostic shows the offending line and a caret under `marked`, which
/// must sit at the diagnostic's column of that line.
fn assert_snippet(d: &str, line: &str, marked: &str) {
    let lines: Vec<&str> = d.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(&format!("| {line}")))
        .unwrap_or_else(|| panic!("the line {line:?} is not shown in\n{d}"));
    let source = lines[at];
    let caret = lines.get(at + 1).copied().unwrap_or_default();
    let col0 = source.chars().count() - line.chars().count();
    let offset = line
        .find(marked)
        .unwrap_or_else(|| panic!("{marked:?} is not in {line:?}"));
    // Carets are as wide as the text they mark (CJK characters take two columns).
    let width = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    let expected = format!(
        "{}{}",
        " ".repeat(width(&line[..offset])),
        "^".repeat(width(marked).max(1))
    );
    let caret_part: String = caret.chars().skip(col0).collect();
    assert!(
        caret_part.starts_with(&expected),
        "the caret does not mark {marked:?}:\n{source}\n{caret}"
    );
}

/// Checks the closing line's count of problems.
fn assert_problems(stderr: &str, n: usize) {
    let line = format!(
        "govtrack: {n} problem{} in the workspace; nothing was changed",
        if n == 1 { "" } else { "s" }
    );
    assert!(stderr.contains(&line), "expected {n} problem(s)\n{stderr}");
}

// ---------------------------------------------------------------------------------------
// The base workspace itself is valid.

#[test]
fn base_workspace_loads() {
    let ws = workspace(None);
    let r = run(ws.path(), &["load"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "index holds 1 policies, 2 tasks (3 instances), 2 status events, 5 observations"
        ),
        "{}",
        r.stdout
    );
}

/// A refresh that reloads only changed progress files checks their rows against the index,
/// reference by reference; each kind of bad progress file gets exactly the diagnostics
/// `verify` gives it, which checks against the manifests read into memory.
#[test]
fn a_changed_progress_file_gets_the_diagnostics_of_verify() {
    let mut kinds = 0;
    for entry in fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        let parts: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if dir.ends_with("base") || parts != ["progress"] {
            continue;
        }
        let kind = dir.file_name().unwrap().to_str().unwrap();
        let verified = run(workspace(Some(kind)).path(), &["verify"]);
        assert_bad_input(kind, &verified);
        let ws = workspace(None);
        let r = run(ws.path(), &["load"]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        overlay(ws.path(), kind);
        let r = run(ws.path(), &["load"]);
        assert_bad_input(kind, &r);
        assert_eq!(r.stderr, verified.stderr, "{kind}");
        kinds += 1;
    }
    assert!(kinds >= 15, "only {kinds} kinds of bad progress file");
}

// ---------------------------------------------------------------------------------------
// Definition files: TOML syntax and shape.

#[test]
fn malformed_toml() {
    // `title = "出台社区工作者管理办法` has no closing quote: the error is where the quote is
    // missing, at the end of line 30 (9 + 11 characters, so column 21).
    let e = load_fails("malformed-toml");
    let d = error_at(
        &e,
        "policies/plan.toml:30:21",
        &["invalid basic string", "`\"`"],
    );
    assert_help(d, "docs/manifest.md");
    assert_problems(&e, 1);
}

#[test]
fn unknown_field() {
    let e = load_fails("unknown-field");
    let d = error_at(
        &e,
        "policies/plan.toml:25:1",
        &["unknown field `deadlnie`", "`deadline`"],
    );
    assert_snippet(d, "deadlnie = \"2024-05\"", "deadlnie");
    assert_help(d, "docs/manifest.md");
    assert_problems(&e, 1);
}

#[test]
fn wrong_type() {
    let e = load_fails("wrong-type");
    let d = error_at(
        &e,
        "policies/plan.toml:41:7",
        &["invalid type", "\"eighteen\""],
    );
    assert_snippet(d, "min = \"eighteen\"", "\"eighteen\"");
    assert_problems(&e, 1);
}

#[test]
fn duplicate_key() {
    // Task t2 sets `title` on line 30 and again on line 34.
    let e = load_fails("duplicate-key");
    let d = error_at(&e, "policies/plan.toml:34:1", &["duplicate key `title`"]);
    assert_snippet(d, "title = \"出台社区工作者管理暂行办法\"", "title");
    assert!(d.contains("first set at line 30"), "{d}");
    assert_help(d, "delete one of the two");
    assert_problems(&e, 1);
}

#[test]
fn manifest_not_utf8() {
    // The policy's title on line 3 is GBK-encoded: `title = "` is 9 characters.
    let e = load_fails("manifest-not-utf8");
    let d = error_at(
        &e,
        "policies/plan.toml:3:10",
        &["the file is not UTF-8 text"],
    );
    assert_help(d, "iconv -f GBK -t UTF-8");
    assert!(!d.contains("Excel"), "{d}");
    assert_problems(&e, 1);
}

/// Runs `load` on base with `rel` written as `text`; returns stderr of the rejection.
fn load_fails_with(rel: &str, text: &str) -> String {
    let ws = workspace(None);
    fs::write(ws.path().join(rel), text).unwrap();
    let mut cmd = govtrack(ws.path(), &["load"]);
    cmd.timeout(Duration::from_secs(10));
    let r = run_with(cmd);
    assert_bad_input(rel, &r);
    assert_problems(&r.stderr, 1);
    r.stderr
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    const DEEP: usize = 10_000;
    // TOML allows 80 levels; the 81st bracket is the place.
    let arrays = format!("x = {}{}\n", "[".repeat(DEEP), "]".repeat(DEEP));
    let e = load_fails_with("policies/deep.toml", &arrays);
    let d = error_at(&e, "policies/deep.toml:1:85", &["nested too deeply"]);
    assert_help(d, "docs/manifest.md");
    // Unclosed, and in a progress file.
    let e = load_fails_with(
        "progress/deep.toml",
        &format!("[[events]]\nnote = {}\n", "[".repeat(DEEP)),
    );
    let d = error_at(&e, "progress/deep.toml:2:88", &["nested too deeply"]);
    assert_help(d, "[[events]] and [[observations]]");
    // Inline tables: `{a=` is three characters.
    let tables = format!("x = {}1{}\n", "{a=".repeat(DEEP), "}".repeat(DEEP));
    let e = load_fails_with("policies/deep.toml", &tables);
    error_at(&e, "policies/deep.toml:1:245", &["nested too deeply"]);
    // Dotted keys, as a key and as a table header.
    let dotted = vec!["a"; DEEP].join(".");
    let e = load_fails_with("policies/deep.toml", &format!("{dotted} = 1\n"));
    error_at(&e, "policies/deep.toml:1:1", &["nested too deeply"]);
    let e = load_fails_with("policies/deep.toml", &format!("[{dotted}]\n"));
    error_at(&e, "policies/deep.toml:1:1", &["nested too deeply"]);
    // A header of brackets only is no table name at all.
    let header = format!("{}a{}\n", "[".repeat(DEEP), "]".repeat(DEEP));
    let e = load_fails_with("policies/deep.toml", &header);
    error_at(
        &e,
        "policies/deep.toml:1:3",
        &["unquoted keys cannot be empty"],
    );
}

#[test]
fn invalid_id() {
    let e = load_fails("invalid-id");
    let d = error_at(&e, "policies/plan.toml:28:6", &["`T2` is not a valid id"]);
    assert_help(d, "a-z, 0-9");
    assert_problems(&e, 1);
}

// ---------------------------------------------------------------------------------------
// Definition files: ids and references.

#[test]
fn duplicate_task_id() {
    let e = load_fails("duplicate-task-id");
    let d = error_at(
        &e,
        "policies/plan.toml:28:6",
        &["task id `t1` is used twice in this policy"],
    );
    assert_snippet(d, "id = \"t1\"", "\"t1\"");
    assert_help(d, "give each its own");
    assert_problems(&e, 1);
}

#[test]
fn duplicate_unit_id() {
    let e = load_fails("duplicate-unit-id");
    let d = error_at(
        &e,
        "policies/units.toml:17:6",
        &["unit id `xm-siming` is used twice"],
    );
    // The label points back to the first definition (line 9).
    assert!(d.contains("first defined at policies/units.toml:9"), "{d}");
    assert_help(d, "its own id");
    assert_problems(&e, 1);
}

#[test]
fn duplicate_policy_id() {
    // plan.toml sorts before plan2.toml, so the copy is the duplicate.
    let e = load_fails("duplicate-policy-id");
    let d = error_at(
        &e,
        "policies/plan2.toml:2:6",
        &["policy id `plan` is used twice"],
    );
    assert!(d.contains("first defined in policies/plan.toml"), "{d}");
    assert_help(d, "its own id");
    assert_problems(&e, 1);
}

#[test]
fn unknown_unit() {
    let e = load_fails("unknown-unit");
    let d = error_at(&e, "policies/plan.toml:32:9", &["unknown unit `xm-simng`"]);
    assert_snippet(d, "lead = [\"xm-simng\"]", "\"xm-simng\"");
    assert_help(d, "[[units]]");
    assert_problems(&e, 1);
}

#[test]
fn ambiguous_unit_name() {
    // Two departments are both called 民政局; a task names its lead by that name.
    let e = load_fails("ambiguous-unit-name");
    let d = error_at(
        &e,
        "policies/plan.toml:32:9",
        &["`民政局` names several units"],
    );
    assert_snippet(d, "lead = [\"民政局\"]", "\"民政局\"");
    assert_help(d, "xm-siming-mzj, xm-huli-mzj");
    let d = error_at(
        &e,
        "policies/units.toml:38:8",
        &["unit name `民政局` is used twice"],
    );
    assert!(d.contains("also the name of `xm-siming-mzj`"), "{d}");
    assert_help(d, "names must be unique");
    assert_problems(&e, 2);
}

#[test]
fn unknown_metric() {
    let e = load_fails("unknown-metric");
    let d = error_at(
        &e,
        "policies/plan.toml:39:10",
        &["unknown metric `community_worker`"],
    );
    assert_help(d, "known: community_workers, population");
    assert_problems(&e, 1);
}

#[test]
fn unknown_parent() {
    let e = load_fails("unknown-parent");
    let d = error_at(
        &e,
        "policies/units.toml:20:10",
        &["unknown parent unit `xmm`"],
    );
    assert_snippet(d, "parent = \"xmm\"", "\"xmm\"");
    assert_help(d, "remove `parent` for a root");
    assert_problems(&e, 1);
}

#[test]
fn unit_cycle() {
    // 思明区's parent is 湖里区 and 湖里区's is 思明区. (With the districts cut off from 厦门市,
    // the district fan-outs are empty too; those are reported as well.)
    let e = load_fails("unit-cycle");
    let d = error_at(
        &e,
        "policies/units.toml:12:10",
        &["unit `xm-siming` is its own ancestor"],
    );
    assert!(d.contains("the parents form a cycle"), "{d}");
    assert_help(d, "must end at a root unit");
    error_at(
        &e,
        "policies/units.toml:20:10",
        &["unit `xm-huli` is its own ancestor"],
    );
}

#[test]
fn unit_cycle_through_the_jurisdiction() {
    // 厦门市's parent is 思明区, whose parent is 厦门市: the jurisdiction `xm` lies on the cycle.
    let ws = workspace(Some("unit-cycle-through-jurisdiction"));
    let mut cmd = govtrack(ws.path(), &["load"]);
    cmd.timeout(Duration::from_secs(5));
    let r = run_with(cmd);
    assert_bad_input("unit-cycle-through-jurisdiction", &r);
    error_at(
        &r.stderr,
        "policies/units.toml:5:10",
        &["unit `xm` is its own ancestor"],
    );
    error_at(
        &r.stderr,
        "policies/units.toml:13:10",
        &["unit `xm-siming` is its own ancestor"],
    );
}

#[test]
fn unit_below_a_cycle_is_not_its_own_ancestor() {
    // As unit-cycle, plus 嘉莲街道 under 思明区. Its parents lead into the cycle, but it is
    // not on it: it must not be called its own ancestor.
    let e = load_fails("unit-below-cycle");
    error_at(
        &e,
        "policies/units.toml:12:10",
        &["unit `xm-siming` is its own ancestor"],
    );
    error_at(
        &e,
        "policies/units.toml:20:10",
        &["unit `xm-huli` is its own ancestor"],
    );
    assert!(
        !e.contains("unit `xm-siming-jialian` is its own ancestor"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Definition files: scopes and owners.

#[test]
fn unknown_level() {
    let e = load_fails("unknown-level");
    let d = error_at(&e, "policies/plan.toml:22:8", &["unknown level `distrct`"]);
    assert_snippet(d, "each = \"distrct\"", "\"distrct\"");
    assert_help(d, "district");
}

#[test]
fn empty_fan_out() {
    let e = load_fails("empty-fan-out");
    let d = error_at(
        &e,
        "policies/plan.toml:22:8",
        &["no unit of this level lies under `xm`"],
    );
    assert!(d.contains("the fan-out would be empty"), "{d}");
    assert_help(d, "levels in the registry: city, district, department");
}

#[test]
fn bad_fan_out_is_reported_once() {
    for (kind, place) in [
        ("unknown-level", "policies/plan.toml:22:8"),
        ("empty-fan-out", "policies/plan.toml:22:8"),
    ] {
        let e = load_fails(kind);
        diagnostic(&e, place);
        assert!(
            !e.contains("needs a fan-out scope"),
            "{kind}: a follow-on error\n{e}"
        );
        assert_problems(&e, 1);
    }
}

#[test]
fn no_lead() {
    let e = load_fails("no-lead");
    let d = error_at(
        &e,
        "policies/plan.toml:28:6",
        &["task `t2` has no lead unit"],
    );
    assert_help(d, "lead = [");
    assert_problems(&e, 1);
}

#[test]
fn each_owner_without_fan_out() {
    let e = load_fails("each-owner-without-fan-out");
    let d = error_at(
        &e,
        "policies/plan.toml:32:9",
        &["the owner `each` needs a fan-out scope"],
    );
    assert_snippet(d, "lead = [\"each\"]", "\"each\"");
    assert_help(d, "each = \"district\"");
    assert_problems(&e, 1);
}

// ---------------------------------------------------------------------------------------
// Definition files: dates, bounds and figures.

#[test]
fn impossible_date() {
    let e = load_fails("impossible-date");
    let d = error_at(
        &e,
        "policies/plan.toml:34:12",
        &["`2024-02-30` is not a real day", "2024-02 has 29 days"],
    );
    assert_snippet(d, "deadline = \"2024-02-30\"", "\"2024-02-30\"");
    assert_help(d, "2024-05-31");
    assert_problems(&e, 1);
}

#[test]
fn dates_out_of_range() {
    // TOML dates are checked by the TOML reader, one file each; dates written as strings
    // by govtrack, all in one run.
    let e = load_fails("date-out-of-range");
    error_at(
        &e,
        "policies/year.toml:7:19",
        &["invalid date", "four-digit year"],
    );
    error_at(
        &e,
        "policies/month.toml:7:19",
        &["invalid date", "month between 01 and 12"],
    );
    error_at(
        &e,
        "policies/leap.toml:7:19",
        &["invalid date", "day between 01 and 28"],
    );
    let d = error_at(
        &e,
        "policies/plan.toml:25:12",
        &["`99999-05` is not a date", "four digits"],
    );
    assert_snippet(d, "deadline = \"99999-05\"", "\"99999-05\"");
    error_at(
        &e,
        "policies/plan.toml:34:12",
        &["`2023-02-29` is not a real day", "2023-02 has 28 days"],
    );
    let d = error_at(
        &e,
        "policies/plan.toml:44:12",
        &["the year 1800 is out of range (1900–2200)"],
    );
    assert_help(d, "\"2025\"");
    assert_problems(&e, 6);
}

#[test]
fn deadline_before_issue() {
    let e = load_fails("deadline-before-issue");
    let d = error_at(
        &e,
        "policies/plan.toml:34:12",
        &[
            "deadline 2023-05-31 is before the policy was issued",
            "2023-06-01",
        ],
    );
    assert_help(d, "check the year");
    assert_problems(&e, 1);
}

#[test]
fn min_above_max() {
    // Reported at `max`, line 42.
    let e = load_fails("min-above-max");
    let d = error_at(&e, "policies/plan.toml:42:7", &["min 30 is above max 18"]);
    assert!(d.contains("no value can meet this target"), "{d}");
    assert_help(d, "swap them");
    assert_problems(&e, 1);
}

#[test]
fn not_a_finite_number() {
    // TOML allows inf and nan; no figure of a target can be either.
    let e = load_fails("not-a-finite-number");
    let d = error_at(
        &e,
        "policies/plan.toml:40:40",
        &["the scale must be a positive number"],
    );
    assert_snippet(d, "per = { metric = \"population\", scale = inf }", "inf");
    let d = error_at(
        &e,
        "policies/plan.toml:45:22",
        &["the baseline must be a finite number"],
    );
    assert_snippet(d, "baseline = { value = nan, date = 2023-06-01 }", "nan");
    assert_problems(&e, 2);
}

#[test]
fn negative_population() {
    let e = load_fails("negative-population");
    let d = error_at(
        &e,
        "policies/units.toml:13:14",
        &["a population cannot be negative"],
    );
    assert_snippet(d, "population = -1073315", "-1073315");
    assert_help(d, "常住人口");
    assert_problems(&e, 1);
}

#[test]
fn population_without_date() {
    let e = load_fails("population-without-date");
    let d = error_at(
        &e,
        "policies/units.toml:21:14",
        &["a population needs its date"],
    );
    assert_help(d, "population_date = YYYY-MM-DD");
    assert_problems(&e, 1);
}

#[test]
fn population_date_without_population() {
    let e = load_fails("population-date-without-population");
    error_at(
        &e,
        "policies/units.toml:21:19",
        &["population_date without a population"],
    );
    assert_problems(&e, 1);
}

#[test]
fn recurring_without_period() {
    let e = load_fails("recurring-without-period");
    let d = error_at(
        &e,
        "policies/plan.toml:33:9",
        &["a recurring task needs the policy's period"],
    );
    assert_snippet(
        d,
        "every = [\"06-30\", \"12-31\"]",
        "[\"06-30\", \"12-31\"]",
    );
    assert_help(d, "period = { start = ..., end = ... }");
    assert_problems(&e, 1);
}

#[test]
fn deadline_and_every() {
    let e = load_fails("deadline-and-every");
    let d = error_at(
        &e,
        "policies/plan.toml:33:9",
        &["either a `deadline` or `every`, not both"],
    );
    assert_help(d, "recurring");
    assert_problems(&e, 1);
}

#[test]
fn every_names_no_day() {
    let e = load_fails("every-names-no-day");
    let d = error_at(
        &e,
        "policies/plan.toml:33:9",
        &["`every` names no day", "never fall due"],
    );
    assert_snippet(d, "every = []", "[]");
    assert_help(d, "every = [\"06-30\", \"12-31\"]");
    assert_problems(&e, 1);
}

#[test]
fn recurring_task_never_due() {
    let e = load_fails("never-due");
    let d = error_at(
        &e,
        "policies/plan.toml:33:9",
        &["never falls due", "between 2025-07-01 and 2025-12-31"],
    );
    assert_help(d, "`starts`");
    assert_problems(&e, 1);
}

#[test]
fn control_character_in_a_title() {
    let e = load_fails("control-character-in-title");
    let d = error_at(
        &e,
        "policies/plan.toml:21:9",
        &["control character U+0007", "a report cannot show"],
    );
    assert_snippet(
        d,
        "title = \"各区建立\\u0007社区工作者台账\"",
        "\"各区建立\\u0007社区工作者台账\"",
    );
    assert_problems(&e, 1);
}

#[test]
fn control_character_in_a_unit_name() {
    let e = load_fails("control-character-in-unit-name");
    error_at(
        &e,
        "policies/units.toml:3:8",
        &["control character U+001B", "a report cannot show"],
    );
}

#[test]
fn unknown_section() {
    let e = load_fails("unknown-section");
    let d = error_at(&e, "policies/plan.toml:20:11", &["unknown section `mian`"]);
    assert_snippet(d, "section = \"mian\"", "\"mian\"");
    assert_problems(&e, 1);
}

#[test]
fn unknown_phase() {
    let e = load_fails("unknown-phase");
    let d = error_at(&e, "policies/plan.toml:33:9", &["unknown phase `implment`"]);
    assert_snippet(d, "phase = \"implment\"", "\"implment\"");
    assert_problems(&e, 1);
}

// ---------------------------------------------------------------------------------------
// Progress files.

#[test]
fn csv_unknown_column() {
    let e = load_fails("csv-unknown-column");
    let d = error_at(
        &e,
        "progress/events.csv:1:35",
        &["unknown column `evidnce`"],
    );
    assert_snippet(d, "policy,task,unit,date,status,note,evidnce", "evidnce");
    assert_help(d, "policy,task,unit,date,status,note,evidence");
    assert_problems(&e, 1);
}

#[test]
fn csv_column_without_header() {
    // A comma at the end of every line, as spreadsheets write for a formatted column.
    let e = load_fails("csv-column-without-header");
    let d = error_at(
        &e,
        "progress/observations.csv:1:31",
        &["column 6 has no header"],
    );
    assert_help(d, "a comma at the end of the header");
    assert_problems(&e, 1);
}

#[test]
fn csv_missing_column() {
    // The header `metric,unit,value,source` (24 characters) lacks `date`: the caret goes
    // just past its end.
    let e = load_fails("csv-missing-column");
    let d = error_at(
        &e,
        "progress/observations.csv:1:25",
        &["missing column `date`"],
    );
    assert_help(d, "metric,unit,date,value,source");
    assert_problems(&e, 1);
}

#[test]
fn csv_not_a_progress_file() {
    let e = load_fails("csv-not-a-progress-file");
    let d = error_at(
        &e,
        "progress/observations.csv:1:1",
        &["not a progress file", "neither `status` nor `metric`"],
    );
    assert_help(d, "observations: metric,unit,date,value,source");
    assert_problems(&e, 1);
}

#[test]
fn csv_bad_status() {
    let e = load_fails("csv-bad-status");
    let d = error_at(
        &e,
        "progress/events.csv:3:21",
        &["unknown status `finished`"],
    );
    assert_snippet(d, "plan,t2,,2024-03-01,finished,起草中,", "finished");
    assert_help(d, "not_started, in_progress or done");
    assert_problems(&e, 1);
}

#[test]
fn csv_unknown_task() {
    let e = load_fails("csv-unknown-task");
    let d = error_at(
        &e,
        "progress/events.csv:3:6",
        &["policy `plan` has no task `t3`"],
    );
    assert_help(d, "task's id");
    assert_problems(&e, 1);
}

#[test]
fn csv_unknown_policy() {
    let e = load_fails("csv-unknown-policy");
    let d = error_at(&e, "progress/events.csv:3:1", &["unknown policy `pln`"]);
    assert_help(d, "[policy]");
    assert_problems(&e, 1);
}

#[test]
fn csv_unknown_unit() {
    // 湖里 is not a unit's name (湖里区 is).
    let e = load_fails("csv-unknown-unit");
    let d = error_at(
        &e,
        "progress/observations.csv:3:19",
        &["unknown unit `湖里`"],
    );
    assert_snippet(
        d,
        "community_workers,湖里,2024-06-30,1500,湖里区民政局月报",
        "湖里",
    );
    assert_help(d, "unit id or name");
    assert_problems(&e, 1);
}

#[test]
fn csv_unit_not_an_instance() {
    let e = load_fails("csv-unit-not-an-instance");
    let d = error_at(
        &e,
        "progress/events.csv:2:9",
        &["task `plan/t1` has no instance for `xm-mzj`"],
    );
    assert_help(d, "思明区");
    assert_help(d, "湖里区");
    assert_problems(&e, 1);
}

#[test]
fn csv_missing_unit_for_fan_out_task() {
    // `plan,t1,,...`: the empty unit field starts at column 9.
    let e = load_fails("csv-missing-unit-for-fan-out-task");
    let d = error_at(
        &e,
        "progress/events.csv:2:9",
        &["task `t1` is carried out by 2 units: name one"],
    );
    assert_help(d, "fill the unit column");
    assert_problems(&e, 1);
}

#[test]
fn csv_not_a_number() {
    // Columns count characters: `community_workers,xm-huli,2024-06-30,` is 37 of them.
    let e = load_fails("csv-not-a-number");
    let d = error_at(
        &e,
        "progress/observations.csv:3:38",
        &["`一千二` is not a number"],
    );
    assert_snippet(
        d,
        "community_workers,xm-huli,2024-06-30,一千二,湖里区民政局月报",
        "一千二",
    );
    assert_help(d, "in digits");
    assert_problems(&e, 1);
}

#[test]
fn csv_bad_date() {
    let e = load_fails("csv-bad-date");
    let d = error_at(
        &e,
        "progress/events.csv:3:10",
        &["`2024-13-01`", "there is no month 13"],
    );
    assert_help(d, "YYYY-MM-DD");
    assert_problems(&e, 1);
}

#[test]
fn csv_dates_out_of_range() {
    let e = load_fails("csv-date-out-of-range");
    let d = error_at(
        &e,
        "progress/events.csv:2:19",
        &["`2024-00-20`", "there is no month 0"],
    );
    assert_help(d, "YYYY-MM-DD");
    let d = error_at(
        &e,
        "progress/observations.csv:2:29",
        &["`99999-06-30` is not a date", "four digits"],
    );
    assert_snippet(
        d,
        "community_workers,xm-siming,99999-06-30,1890,思明区民政局月报",
        "99999-06-30",
    );
    error_at(
        &e,
        "progress/observations.csv:3:27",
        &["`2023-02-29` is not a real day", "2023-02 has 28 days"],
    );
    assert_problems(&e, 3);
}

#[test]
fn csv_wrong_field_count() {
    // `起草中,征求意见,` has an unquoted comma: 8 fields for 7 columns. The place is the
    // first field past the header's count: the empty one after the last comma, column 42.
    let e = load_fails("csv-wrong-field-count");
    let d = error_at(
        &e,
        "progress/events.csv:3:42",
        &["this row has 8 fields but the header has 7"],
    );
    assert_help(d, "quote a field that contains a comma");
    assert_problems(&e, 1);
}

#[test]
fn csv_too_few_fields() {
    // `plan,t2,,2024-03-01` stops after 4 of 7 fields: the place is just past its end.
    let e = load_fails("csv-too-few-fields");
    let d = error_at(
        &e,
        "progress/events.csv:3:20",
        &["this row has 4 fields but the header has 7"],
    );
    assert_help(d, "two commas in a row");
    assert_problems(&e, 1);
}

#[test]
fn csv_unclosed_quote() {
    // The source on line 2 opens a quote that is never closed: line 3 would be lost in it.
    let e = load_fails("csv-unclosed-quote");
    let d = error_at(
        &e,
        "progress/observations.csv:2:45",
        &["this quote is never closed"],
    );
    assert!(
        d.contains("the rest of the file was read as one field"),
        "{d}"
    );
    assert_help(d, "close the quote");
    assert_problems(&e, 1);
}

#[test]
fn csv_formula_cells_are_not_numbers() {
    let e = load_fails("csv-formula");
    let d = error_at(
        &e,
        "progress/observations.csv:2:40",
        &["`=1+1` is not a number"],
    );
    assert_snippet(
        d,
        "community_workers,xm-siming,2024-06-30,=1+1,思明区民政局月报",
        "=1+1",
    );
    assert_help(d, "spreadsheet formula");
    let d = error_at(
        &e,
        "progress/observations.csv:3:38",
        &["`+cmd|' /C calc'!A0` is not a number"],
    );
    assert_help(d, "spreadsheet formula");
    assert_problems(&e, 2);
}

#[test]
fn a_formula_in_a_note_is_kept_as_text_and_neutralised_in_csv() {
    let ws = workspace(None);
    let events = ws.path().join("progress/events.csv");
    let text = fs::read_to_string(&events)
        .unwrap()
        .replace("起草中", "=1+1");
    fs::write(&events, text).unwrap();
    // t2 was due on 2024-06-30 and is still in progress, with its note.
    let args = ["overdue", "--as-of", "2024-07-01", "--format"];
    let json = run(ws.path(), &[&args[..], &["json"]].concat());
    assert_eq!(json.code, Some(1), "{}", json.stderr);
    assert!(
        json.stdout.contains("\"note\": \"=1+1\""),
        "{}",
        json.stdout
    );
    let csv = run(ws.path(), &[&args[..], &["csv"]].concat());
    assert_eq!(csv.code, Some(1), "{}", csv.stderr);
    let row = csv.stdout.lines().find(|l| l.starts_with("plan,t2,"));
    assert!(
        row.is_some_and(|r| r.ends_with(",in_progress,'=1+1")),
        "{}",
        csv.stdout
    );
}

#[test]
fn negative_population_observed() {
    // `population,xm-huli,2024-06-30,` is 30 characters.
    let e = load_fails("negative-population-observed");
    let d = error_at(
        &e,
        "progress/observations.csv:4:31",
        &["a population cannot be negative"],
    );
    assert_snippet(
        d,
        "population,xm-huli,2024-06-30,-1036974,湖里区统计局",
        "-1036974",
    );
    assert_help(d, "常住人口");
    assert_problems(&e, 1);
}

#[test]
fn progress_not_utf8() {
    // The note on line 3 is GBK-encoded.
    let e = load_fails("progress-not-utf8");
    assert!(
        e.contains("error: progress/events.csv:3:"),
        "the line of the first bad byte\n{e}"
    );
    let d = diagnostic(&e, "progress/events.csv:3:33");
    assert!(d.contains("the file is not UTF-8 text"), "{d}");
    assert_help(d, "GBK");
    assert_problems(&e, 1);
}

#[test]
fn progress_not_utf8_points_at_the_first_bad_byte() {
    // `plan,t2,,2024-03-01,in_progress,` is 32 characters; the GBK note starts at column 33.
    let e = load_fails("progress-not-utf8");
    error_at(
        &e,
        "progress/events.csv:3:33",
        &["the file is not UTF-8 text"],
    );
}

#[test]
fn progress_toml_unknown_field() {
    let e = load_fails("progress-toml-unknown-field");
    let d = error_at(&e, "progress/more.toml:6:8", &["unknown field `noet`"]);
    assert_help(d, "policy, task, unit, date, status, note, evidence");
    assert_problems(&e, 1);
}

// ---------------------------------------------------------------------------------------
// Large files.

/// Pads a workspace file past the 64 MiB that govtrack reads (with zeros, quickly).
fn past_the_limit(dir: &Path, rel: &str) {
    fs::File::options()
        .write(true)
        .open(dir.join(rel))
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
}

#[test]
fn files_over_the_size_limit_are_refused() {
    let ws = workspace(None);
    past_the_limit(ws.path(), "policies/plan.toml");
    past_the_limit(ws.path(), "progress/observations.csv");
    let r = run(ws.path(), &["load"]);
    assert_bad_input("too large", &r);
    let d = error_at(
        &r.stderr,
        "policies/plan.toml:1:1",
        &["the file is 64.0 MiB; govtrack reads files of up to 64 MiB"],
    );
    assert_help(d, "the registry one per city");
    // The progress file is checked on its own although the definitions failed.
    let d = error_at(
        &r.stderr,
        "progress/observations.csv:1:1",
        &["the file is 64.0 MiB"],
    );
    assert_help(d, "one per month or per return");
    assert_problems(&r.stderr, 2);
    check_index_untouched_by(
        "too large",
        |dir| past_the_limit(dir, "progress/events.csv"),
        "progress/events.csv",
    );
}

#[test]
fn a_large_valid_progress_file_loads() {
    // 50,000 rows, 3.4 MB: a large district's history, well under the limit.
    let ws = workspace(None);
    let mut text = String::from("metric,unit,date,value,source\n");
    let start = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    for i in 0..50_000 {
        let unit = if i % 2 == 0 { "xm-siming" } else { "xm-huli" };
        let date = start + chrono::Days::new(i / 2);
        text += &format!(
            "community_workers,{unit},{date},{},思明区民政局月报\n",
            1000 + i % 500
        );
    }
    fs::write(ws.path().join("progress/history.csv"), text).unwrap();
    let r = run(ws.path(), &["load"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("50005 observations"), "{}", r.stdout);
}

#[test]
fn a_problem_on_a_very_long_line_is_shown_cut_short() {
    // One line of a million characters, its string never closed.
    let long = format!("title = \"{}\n", "很".repeat(1_000_000));
    let e = load_fails_with("policies/long.toml", &long);
    error_at(
        &e,
        "policies/long.toml:1:1000010",
        &["invalid basic string"],
    );
    assert!(e.len() < 4_000, "{} bytes of diagnostics", e.len());
}

// ---------------------------------------------------------------------------------------
// The workspace configuration.

#[test]
fn config_path_escapes() {
    let e = load_fails("config-path-escapes");
    let d = error_at(
        &e,
        "govtrack.toml:2:13",
        &["`../elsewhere` leaves the workspace"],
    );
    assert_snippet(d, "progress = \"../elsewhere\"", "../elsewhere");
    assert_help(d, "may not use ..");
    assert_problems(&e, 1);
}

// ---------------------------------------------------------------------------------------
// Several problems at once.

#[test]
fn multiple_errors() {
    // A negative population in units.toml and an impossible deadline in plan.toml: one run
    // reports both, in file order.
    let e = load_fails("multiple-errors");
    error_at(
        &e,
        "policies/units.toml:13:14",
        &["a population cannot be negative"],
    );
    error_at(
        &e,
        "policies/plan.toml:34:12",
        &["`2024-02-30` is not a real day"],
    );
    let plan = e.find("error: policies/plan.toml:").unwrap();
    let units = e.find("error: policies/units.toml:").unwrap();
    assert!(plan < units, "diagnostics are sorted by file\n{e}");
    assert_problems(&e, 2);
}

#[test]
fn multiple_errors_in_definitions_and_progress() {
    let ws = workspace(Some("impossible-date"));
    overlay(ws.path(), "csv-bad-status");
    let r = run(ws.path(), &["load"]);
    assert_bad_input("impossible-date + csv-bad-status", &r);
    error_at(
        &r.stderr,
        "policies/plan.toml:34:12",
        &["`2024-02-30` is not a real day"],
    );
    error_at(
        &r.stderr,
        "progress/events.csv:3:21",
        &["unknown status `finished`"],
    );
    assert_problems(&r.stderr, 2);
}

// ---------------------------------------------------------------------------------------
// Bad input changes nothing.

/// Loads base, breaks it with `kind`, and checks that the index still holds base.
fn check_index_untouched(kind: &str, broken: &str) {
    check_index_untouched_by(kind, |dir| overlay(dir, kind), broken);
}

/// Loads base, breaks it with `break_it`, and checks that the index still holds base.
fn check_index_untouched_by(kind: &str, break_it: impl Fn(&Path), broken: &str) {
    let ws = workspace(None);
    let dir = ws.path();
    let overdue = ["overdue", "--as-of", "2024-06-30", "--format", "json"];
    let r = run(dir, &["load"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let before = run(dir, &overdue);
    // 湖里区 has not done t1 (due 2024-05-31): a finding, so status 1.
    assert_eq!(before.code, Some(1), "{}", before.stderr);
    assert!(
        before.stdout.contains("\"unit_id\": \"xm-huli\""),
        "{}",
        before.stdout
    );

    break_it(dir);
    let r = run(dir, &["load"]);
    assert_bad_input(kind, &r);
    // The files are still bad: every command refuses them, none reports from old data.
    let r = run(dir, &overdue);
    assert_bad_input(&format!("{kind}, then overdue"), &r);

    restore(dir, broken);
    // The failed runs recorded nothing: the restored file is the one already indexed.
    let r = run(dir, &["load"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.starts_with("0 changed, 0 removed, 5 unchanged;"),
        "{}",
        r.stdout
    );
    let after = run(dir, &overdue);
    assert_eq!(after.code, before.code, "{}", after.stderr);
    assert_eq!(after.stdout, before.stdout);
}

#[test]
fn bad_definitions_leave_the_index_untouched() {
    check_index_untouched("impossible-date", "policies/plan.toml");
}

#[test]
fn unreadable_definitions_leave_the_index_untouched() {
    check_index_untouched("duplicate-key", "policies/plan.toml");
    check_index_untouched("manifest-not-utf8", "policies/plan.toml");
}

#[test]
fn bad_progress_leaves_the_index_untouched() {
    check_index_untouched("csv-bad-status", "progress/events.csv");
    check_index_untouched("csv-unclosed-quote", "progress/observations.csv");
    check_index_untouched("csv-formula", "progress/observations.csv");
}

// ---------------------------------------------------------------------------------------
// Windows line endings and a byte-order mark are accepted.

/// Rewrites a workspace file with CRLF line endings and a UTF-8 BOM.
fn to_crlf_with_bom(dir: &Path, rel: &str) {
    rewrite(dir, rel, true, true);
}

/// Rewrites a workspace file with CRLF line endings, a UTF-8 BOM, or both.
fn rewrite(dir: &Path, rel: &str, crlf: bool, bom: bool) {
    let path = dir.join(rel);
    let mut text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains('\r'));
    if crlf {
        text = text.replace('\n', "\r\n");
    }
    if bom {
        text.insert(0, '\u{feff}');
    }
    fs::write(&path, text).unwrap();
}

/// Base with a settings file and a progress file in TOML, so that every kind of file is
/// rewritten.
fn workspace_of_every_kind() -> TempDir {
    let ws = workspace(None);
    fs::write(
        ws.path().join("govtrack.toml"),
        "progress = \"progress\"\ndue_soon_days = 30\n",
    )
    .unwrap();
    fs::write(
        ws.path().join("progress/more.toml"),
        "[[events]]\npolicy = \"plan\"\ntask = \"t2\"\ndate = 2024-04-01\n\
         status = \"in_progress\"\nnote = \"征求意见\"\n",
    )
    .unwrap();
    ws
}

#[test]
fn crlf_and_bom_are_accepted() {
    let plain = workspace_of_every_kind();
    let reports: [&[&str]; 4] = [
        &["status", "--district", "xm"],
        &["status"],
        &["overdue"],
        &["gaps"],
    ];
    let report = |dir: &Path, args: &[&str]| {
        let all = [args, &["--as-of", "2024-06-30", "--format", "json"]].concat();
        let r = run(dir, &all);
        assert!(r.code == Some(0) || r.code == Some(1), "{}", r.stderr);
        r.stdout
    };
    let expected: Vec<String> = reports.iter().map(|a| report(plain.path(), a)).collect();
    assert!(
        expected[0].contains("\"note\": \"征求意见\""),
        "{}",
        expected[0]
    );
    for (crlf, bom) in [(true, true), (true, false), (false, true)] {
        let windows = workspace_of_every_kind();
        for rel in [
            "govtrack.toml",
            "policies/plan.toml",
            "policies/units.toml",
            "policies/metrics.toml",
            "progress/events.csv",
            "progress/observations.csv",
            "progress/more.toml",
        ] {
            rewrite(windows.path(), rel, crlf, bom);
        }
        let r = run(windows.path(), &["load"]);
        assert_eq!(r.code, Some(0), "crlf {crlf}, bom {bom}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{}", r.stderr);
        // The same data is read: notes carry no stray \r, observations all arrive.
        for (args, want) in reports.iter().zip(&expected) {
            assert_eq!(
                &report(windows.path(), args),
                want,
                "{args:?} with crlf {crlf}, bom {bom}"
            );
        }
    }
}

/// Runs `load` on base + `kind` with `rel` rewritten to CRLF + BOM, and checks that the
/// problem is reported at `place`, showing `line` without a stray `\r` or BOM.
fn check_crlf_place(kind: &str, rel: &str, place: &str, line: &str) {
    let ws = workspace(Some(kind));
    to_crlf_with_bom(ws.path(), rel);
    let r = run(ws.path(), &["load"]);
    assert_bad_input(kind, &r);
    let d = diagnostic(&r.stderr, place);
    assert!(!d.contains('\r'), "{kind}: a \\r in the output\n{d:?}");
    assert!(
        !d.contains('\u{feff}'),
        "{kind}: a BOM in the output\n{d:?}"
    );
    assert!(d.contains(&format!("| {line}\n")), "{kind}\n{d}");
    assert_problems(&r.stderr, 1);
}

#[test]
fn crlf_and_bom_do_not_shift_places() {
    check_crlf_place(
        "impossible-date",
        "policies/plan.toml",
        "policies/plan.toml:34:12",
        "deadline = \"2024-02-30\"",
    );
    // The CSV header: the BOM must not count as a character of line 1.
    check_crlf_place(
        "csv-unknown-column",
        "progress/events.csv",
        "progress/events.csv:1:35",
        "policy,task,unit,date,status,note,evidnce",
    );
}

#[test]
fn crlf_does_not_shift_csv_row_places() {
    check_crlf_place(
        "csv-not-a-number",
        "progress/observations.csv",
        "progress/observations.csv:3:38",
        "community_workers,xm-huli,2024-06-30,一千二,湖里区民政局月报",
    );
    check_crlf_place(
        "csv-bad-status",
        "progress/events.csv",
        "progress/events.csv:3:21",
        "plan,t2,,2024-03-01,finished,起草中,",
    );
}

#[test]
fn crlf_problems_at_the_end_of_a_line() {
    // The missing quote is found at the line's `\r`; the missing column just past the
    // header's text. Both once made govtrack panic.
    check_crlf_place(
        "malformed-toml",
        "policies/plan.toml",
        "policies/plan.toml:30:21",
        "title = \"出台社区工作者管理办法",
    );
    check_crlf_place(
        "csv-missing-column",
        "progress/observations.csv",
        "progress/observations.csv:1:25",
        "metric,unit,value,source",
    );
}
