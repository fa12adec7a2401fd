//! The monthly digest, `check --out`, `--lang`, and CSV that is safe to open in Excel.
//!
//! The Markdown digest of the basic fixture at 2024-07-20 is compared with files under
//! tests/expected/; after a deliberate change, regenerate them with UPDATE_EXPECTED=1.

mod common;

use assert_cmd::Command;
use std::path::Path;
use tempfile::TempDir;

fn run(dir: &Path, args: &[&str], code: i32) -> String {
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    let out = common::english(&mut cmd)
        .arg("--workspace")
        .arg(dir)
        .args(args)
        .env_remove("GOVTRACK_DB")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn expect(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(name);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_EXPECTED=1", path.display()));
    assert_eq!(got, want, "{name} differs: review, then UPDATE_EXPECTED=1");
}

#[test]
fn the_markdown_digest_in_english_and_chinese() {
    let ws = common::workspace("basic");
    let en = run(ws.path(), &["report", "--as-of", "2024-07-20"], 0);
    expect("digest-basic-en.md", &en);
    let zh = run(
        ws.path(),
        &["--lang", "zh", "report", "--month", "2024-07"],
        0,
    );
    expect("digest-basic-zh.md", &zh);
    // The order a leader reads: counts, units, overdue by lead, due soon, gaps, reports.
    let at = |s: &str| en.find(s).unwrap_or_else(|| panic!("{s} missing:\n{en}"));
    assert!(at("**") < at("## Units needing attention"));
    assert!(at("## Units needing attention") < at("## Overdue, by lead unit"));
    assert!(at("## Overdue, by lead unit") < at("## Due within 30 days"));
    assert!(at("## Due within 30 days") < at("## Target gaps"));
    assert!(at("## Target gaps") < at("## Recurring reports not received"));
    assert!(
        zh.contains("逾期天数") && zh.contains("牵头单位") && zh.contains("红灯"),
        "{zh}"
    );
}

#[test]
fn the_digest_as_json_for_programs() {
    let ws = common::workspace("basic");
    let json: serde_json::Value = serde_json::from_str(&run(
        ws.path(),
        &["report", "--as-of", "2024-07-20", "--format", "json"],
        0,
    ))
    .unwrap();
    assert_eq!(json["as_of"], "2024-07-20");
    assert_eq!(json["overdue"][0]["lead"], "湖里区");
    assert_eq!(json["overdue"][0]["tasks"][0]["days_overdue"], 50);
    assert_eq!(
        json["gaps"][0]["gap_text"],
        "needs 37 more community workers"
    );
}

#[test]
fn the_trend_charted_is_the_target_asked_for_and_an_unknown_one_is_an_error() {
    let report = |fixture: &str, trend: &str| {
        let ws = common::workspace(fixture);
        let mut cmd = Command::cargo_bin("govtrack").unwrap();
        let out = common::english(&mut cmd)
            .arg("--workspace")
            .arg(ws.path())
            .args(["report", "--as-of", "2024-06-30", "--format", "json"])
            .args(["--trend", trend])
            .env_remove("GOVTRACK_DB")
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.code(), json, stderr)
    };
    // Left to itself the digest charts plan/orgs, the target furthest behind its pace.
    let (code, json, stderr) = report("digest/full", "plan/workers");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json["trend"]["target"], "workers");
    assert_eq!(json["trend"]["unit"], "海沧区");
    assert_eq!(stderr, "");

    let (code, json, stderr) = report("basic", "plan/workers");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(json["trend"].is_null());
    assert!(
        stderr.contains("`plan/workers` has no trend in any unit as of 2024-06-30"),
        "{stderr}"
    );

    let (code, json, stderr) = report("digest/full", "plan/nope");
    assert_eq!((code, json), (Some(2), serde_json::Value::Null), "{stderr}");
    assert!(
        stderr.contains(
            "unknown target `plan/nope` for --trend; the targets are: plan/workers, plan/orgs"
        ),
        "{stderr}"
    );
}

#[test]
fn a_missed_half_year_report_is_listed_on_its_own() {
    let ws = common::workspace("basic");
    // Without 思明区's report of 2024-07-12, the 2024-06-30 report is 20 days late.
    let events = ws.path().join("progress/events.csv");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(
        &events,
        text.replace("plan,report,xm-siming,2024-07-12,done,晚报,\n", ""),
    )
    .unwrap();
    let md = run(ws.path(), &["report", "--as-of", "2024-07-20"], 0);
    let section = &md[md.find("## Recurring reports not received").unwrap()..];
    assert!(
        section.contains("| plan | 报送半年总结 | 思明区 | 2024-06-30 | 20 |"),
        "{section}"
    );
}

#[test]
fn a_digest_that_cannot_be_written_fails_the_check_after_its_summary() {
    let ws = common::workspace("basic");
    let out = TempDir::new().unwrap();
    // A folder where the workbook should go: that one file cannot be written.
    std::fs::create_dir(out.path().join("govtrack-digest-2024-07-20.xlsx")).unwrap();
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    let run = common::english(&mut cmd)
        .arg("--workspace")
        .arg(ws.path())
        .args(["check", "--as-of", "2024-07-20", "--out"])
        .arg(out.path())
        .env_remove("GOVTRACK_DB")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert_eq!(run.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("govtrack check as of 2024-07-20: needs attention"),
        "{stdout}"
    );
    for written in ["md", "html"] {
        let path = out
            .path()
            .join(format!("govtrack-digest-2024-07-20.{written}"));
        assert!(path.is_file());
        assert!(
            stdout.contains(&format!("digest: {}", path.display())),
            "{stdout}"
        );
    }
    assert!(!stdout.contains(".xlsx"), "{stdout}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("govtrack-digest-2024-07-20.xlsx"),
        "{stderr}"
    );
}

#[test]
fn check_writes_the_digest_into_a_folder_or_a_file() {
    let ws = common::workspace("basic");
    let out = TempDir::new().unwrap();
    let folder = out.path().join("reports/");
    let summary = run(
        ws.path(),
        &[
            "check",
            "--as-of",
            "2024-07-20",
            "--out",
            folder.to_str().unwrap(),
        ],
        1,
    );
    let md = folder.join("govtrack-digest-2024-07-20.md");
    assert!(md.is_file(), "{summary}");
    assert!(
        summary.contains(&format!("digest: {}", md.display())),
        "{summary}"
    );
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("# govtrack digest as of 2024-07-20")
    );
    // All is well on 2024-05-01: nothing printed, exit 0, and the digest is still written.
    let file = out.path().join("may.md");
    let quiet = run(
        ws.path(),
        &[
            "check",
            "--as-of",
            "2024-05-01",
            "--out",
            file.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(quiet, "");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("Nothing is overdue.")
    );
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    let bad = common::english(&mut cmd)
        .arg("--workspace")
        .arg(ws.path())
        .args([
            "check",
            "--out",
            out.path().join("digest.pdf").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot tell the digest's format"));
}

#[test]
fn tables_and_summaries_speak_chinese_when_asked() {
    let ws = common::workspace("basic");
    let table = run(
        ws.path(),
        &["--lang", "zh", "overdue", "--as-of", "2024-06-30"],
        1,
    );
    let header = table.lines().next().unwrap();
    for word in ["亮灯", "牵头单位", "配合单位", "完成时限", "状态"] {
        assert!(header.contains(word), "{header}");
    }
    assert!(
        table.contains("红灯") && table.contains("逾期30天"),
        "{table}"
    );
    let gaps = run(
        ws.path(),
        &["--lang", "zh", "gaps", "--as-of", "2024-06-30"],
        0,
    );
    assert!(gaps.contains("需增加37名社区工作者"), "{gaps}");
    assert!(gaps.contains("超出上限10名社区工作者"), "{gaps}");
    let check = run(
        ws.path(),
        &["--lang", "zh", "check", "--as-of", "2024-06-30"],
        1,
    );
    assert!(
        check.starts_with("govtrack 督查(截至2024-06-30):有需要关注的事项"),
        "{check}"
    );
    // JSON keys stay English whatever the language.
    let json = run(
        ws.path(),
        &[
            "--lang",
            "zh",
            "gaps",
            "--as-of",
            "2024-06-30",
            "--format",
            "json",
        ],
        0,
    );
    assert!(
        json.contains("\"gap_text\": \"需增加37名社区工作者\""),
        "{json}"
    );
    // LANG=zh_CN chooses Chinese without the flag.
    let out = Command::cargo_bin("govtrack")
        .unwrap()
        .arg("--workspace")
        .arg(ws.path())
        .args(["overdue", "--as-of", "2024-05-01"])
        .env("LANG", "zh_CN.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "截至2024-05-01,没有逾期任务\n"
    );
}

#[test]
fn csv_is_safe_to_open_in_excel() {
    let ws = common::workspace("basic");
    let events = ws.path().join("progress/events.csv");
    let mut text = std::fs::read_to_string(&events).unwrap();
    text = text.replace("正在补选", "=HYPERLINK(\"http://x\";\"点我\")");
    std::fs::write(&events, text).unwrap();
    let csv = run(
        ws.path(),
        &["overdue", "--as-of", "2024-06-30", "--format", "csv"],
        1,
    );
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.ends_with(",\"'=HYPERLINK(\"\"http://x\"\";\"\"点我\"\")\""),
        "{row}"
    );
    // Negative numbers are numbers, not formulas.
    let gaps = run(
        ws.path(),
        &["gaps", "--as-of", "2024-06-30", "--format", "csv"],
        0,
    );
    assert!(gaps.lines().any(|l| l.contains(",-10,")), "{gaps}");
    assert!(!gaps.starts_with('\u{feff}'));
    let bom = run(
        ws.path(),
        &["gaps", "--as-of", "2024-06-30", "--format", "csv", "--bom"],
        0,
    );
    assert!(bom.starts_with("\u{feff}policy,target,"), "{bom}");
    assert_eq!(&bom["\u{feff}".len()..], gaps);
}

#[test]
fn reports_and_the_digest_as_excel_workbooks() {
    use calamine::{Reader, Xlsx, open_workbook};
    let ws = common::workspace("basic");
    let out = TempDir::new().unwrap();
    let file = out.path().join("overdue.xlsx");
    run(
        ws.path(),
        &[
            "--lang",
            "zh",
            "overdue",
            "--as-of",
            "2024-06-30",
            "--format",
            "xlsx",
            "--out",
            file.to_str().unwrap(),
        ],
        1,
    );
    let mut book: Xlsx<_> = open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["逾期任务"]);
    let range = book.worksheet_range("逾期任务").unwrap();
    assert_eq!(range.height(), 2, "a header and 湖里区's task 1");
    let status = out.path().join("siming.xlsx");
    run(
        ws.path(),
        &[
            "status",
            "--district",
            "思明区",
            "--as-of",
            "2024-06-30",
            "--format",
            "xlsx",
            "--out",
            status.to_str().unwrap(),
        ],
        0,
    );
    let book: Xlsx<_> = open_workbook(&status).unwrap();
    assert_eq!(book.sheet_names(), ["Tasks", "Targets"]);
    // A workbook never goes to a terminal.
    let mut cmd = Command::cargo_bin("govtrack").unwrap();
    let bad = common::english(&mut cmd)
        .arg("--workspace")
        .arg(ws.path())
        .args(["gaps", "--format", "xlsx"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("add --out FILE.xlsx"));
    // check --out into a folder writes every digest format.
    let folder = out.path().join("digests");
    std::fs::create_dir(&folder).unwrap();
    run(
        ws.path(),
        &[
            "check",
            "--as-of",
            "2024-07-20",
            "--out",
            folder.to_str().unwrap(),
        ],
        1,
    );
    let book: Xlsx<_> = open_workbook(folder.join("govtrack-digest-2024-07-20.xlsx")).unwrap();
    assert_eq!(book.sheet_names()[0], "Summary");
}
