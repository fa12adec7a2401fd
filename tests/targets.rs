//! Target judgement on a small tree, against a table worked out by hand.
//!
//! 市 has 一区 (甲街道: 甲一社区 urban 10,000 residents, 甲二社区 rural 5,000; 乙街道: 乙一社区
//! urban 20,000) and 二区 (二区丙社区 rural 8,000). At 2024-06-30 the communities report 20, 8,
//! 30 and 16 community workers:
//!
//! | unit | workers | residents | per 10,000 | needed for 18 | gap |
//! |------|---------|-----------|------------|---------------|-----|
//! | 一区 | 20+8+30 = 58 | 35,000 | 16.57 | ⌈63.0⌉ = 63 | 5 more |
//! | 二区 | 16 | 8,000 | 20.00 | ⌈14.4⌉ = 15 | met |
//! | 市 (total) | 74 | | | 100 | 26 more |
//!
//! Organisations (rural ≥ 5, urban ≥ 10): 甲一 12 met, 甲二 3 (2 short), 乙一 7 (3 short, and
//! reported 2023-10-31: stale), 丙 no data → 2 of 4 short, 5 in total, 1 without data.
//! Posts (coverage, ≥ 1 each): 1, 0, 2, 1 → 75 %, 甲二社区 lacks one.
//! Certified social workers (≥ 10 by 2024-12-31), from 4 on 2024-01-01 to 7, 6, 5 on
//! 2024-07-01: required pace 6 a year, observed 6.02, 4.01, 2.01 → ratios 1.00, 0.67, 0.33:
//! on track, needs acceleration, off track; 丙 went from 8 to 12: achieved.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

struct Ws(TempDir);

impl Ws {
    fn new() -> Ws {
        Ws(common::workspace("tree"))
    }

    fn raw(&self, args: &[&str]) -> String {
        let mut cmd = Command::cargo_bin("govtrack").unwrap();
        let out = common::english(&mut cmd)
            .arg("--workspace")
            .arg(self.0.path())
            .args(args)
            .env_remove("GOVTRACK_DB")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn gaps(&self, as_of: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["gaps", "--as-of", as_of, "--format", "json"];
        args.extend(extra);
        serde_json::from_str::<Value>(&self.raw(&args))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

fn row<'a>(rows: &'a [Value], target: &str, unit: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["target"] == target && r["unit"] == unit && r["summary"] == false)
        .unwrap_or_else(|| panic!("no row {target} {unit}"))
}

fn summary<'a>(rows: &'a [Value], target: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["target"] == target && r["summary"] == true)
        .unwrap_or_else(|| panic!("no summary for {target}"))
}

#[test]
fn per_capita_ratios_are_recomputed_from_summed_figures() {
    let rows = Ws::new().gaps("2024-06-30", &[]);
    let d1 = row(&rows, "band", "一区");
    assert!((d1["actual"].as_f64().unwrap() - 58.0 / 35000.0 * 10000.0).abs() < 1e-6);
    assert_eq!(d1["gap"], 5.0);
    assert_eq!(d1["gap_text"], "needs 5 more community workers");
    assert_eq!(d1["reported"], "2 of 2", "both streets of 一区 reported");
    assert_eq!(d1["partial"], false);
    let d2 = row(&rows, "band", "二区");
    assert_eq!(d2["actual"], 20.0);
    assert_eq!(d2["status"], "met");
    let all = summary(&rows, "band");
    assert_eq!(all["unit"], "市");
    assert_eq!(
        (all["units_short"].clone(), all["units_total"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(
        all["gap_text"],
        "1 of 2 units fall short; needs 5 more community workers in total"
    );
}

#[test]
fn counts_per_unit_by_kind_report_how_many_fall_short_and_the_total() {
    let rows = Ws::new().gaps("2024-06-30", &[]);
    assert_eq!(
        row(&rows, "orgs", "甲一社区")["min"],
        10.0,
        "urban threshold"
    );
    assert_eq!(row(&rows, "orgs", "甲一社区")["status"], "met");
    assert_eq!(
        row(&rows, "orgs", "甲二社区")["min"],
        5.0,
        "rural threshold"
    );
    assert_eq!(row(&rows, "orgs", "甲二社区")["gap"], 2.0);
    assert_eq!(row(&rows, "orgs", "乙一社区")["gap"], 3.0);
    let all = summary(&rows, "orgs");
    assert_eq!(all["units_short"], 2);
    assert_eq!(all["gap"], 5.0);
    assert_eq!(
        all["gap_text"],
        "2 of 4 units fall short; needs 5 more community social organisations in total; 1 without data"
    );
}

#[test]
fn coverage_lists_the_units_missing() {
    let rows = Ws::new().gaps("2024-06-30", &[]);
    let cov = row(&rows, "posts", "市");
    assert_eq!(cov["actual"], 75.0);
    assert_eq!(cov["min"], 100.0);
    assert_eq!(cov["units_short"], 1);
    assert_eq!(cov["gap_text"], "1 of 4 units fall short: 甲二社区");
}

#[test]
fn totals_sum_over_the_scope() {
    let rows = Ws::new().gaps("2024-06-30", &[]);
    let total = row(&rows, "total", "市");
    assert_eq!(total["actual"], 74.0);
    assert_eq!(total["gap"], 26.0);
    assert_eq!(total["gap_text"], "needs 26 more community workers");
}

#[test]
fn rates_are_judged_in_percentage_points_and_do_not_sum() {
    let rows = Ws::new().gaps("2024-06-30", &[]);
    assert_eq!(
        row(&rows, "turnout", "甲二社区")["gap_text"],
        "1.50 percentage points short"
    );
    let ws = Ws::new();
    std::fs::write(
        ws.0.path().join("policies/district-turnout.toml"),
        "[policy]\nid = \"q\"\ntitle = \"区参选率\"\nissued = 2023-06-01\njurisdiction = \"c\"\n\n\
         [[targets]]\nid = \"turnout\"\ntitle = \"区参选率\"\nmetric = \"turnout\"\nmin = 96.5\neach = \"district\"\n",
    )
    .unwrap();
    let rows = ws.gaps("2024-06-30", &["--policy", "q"]);
    assert_eq!(
        row(&rows, "turnout", "一区")["status"],
        "no_data",
        "97 % and 95 % are not 192 %"
    );
}

#[test]
fn stale_and_missing_data_are_shown_and_never_met() {
    let rows = Ws::new().gaps("2024-06-30", &[]);
    let stale = row(&rows, "orgs", "乙一社区");
    assert_eq!(stale["stale"], true);
    assert_eq!(stale["data_date"], "2023-10-31");
    assert_eq!(
        stale["gap_text"],
        "needs 3 more community social organisations (data from 2023-10-31)"
    );
    assert_eq!(row(&rows, "orgs", "甲二社区")["stale"], false);
    let missing = row(&rows, "orgs", "二区丙社区");
    assert_eq!(missing["status"], "no_data");
    assert_eq!(missing["light"], "yellow");
    assert_eq!(missing["gap"], Value::Null);
    // A workspace may allow older data.
    let ws = Ws::new();
    std::fs::write(
        ws.0.path().join("govtrack.toml"),
        "stale_after_months = 12\n",
    )
    .unwrap();
    assert_eq!(
        row(&ws.gaps("2024-06-30", &[]), "orgs", "乙一社区")["stale"],
        false
    );
}

#[test]
fn a_sum_with_units_that_did_not_report_is_partial_and_never_met() {
    // On 2024-01-31 only 甲一社区 had reported workers.
    let rows = Ws::new().gaps("2024-01-31", &[]);
    let d1 = row(&rows, "band", "一区");
    assert_eq!(d1["partial"], true);
    assert_eq!(d1["reported"], "1 of 2");
    assert_eq!(d1["status"], "unmet");
    assert!(
        d1["gap_text"]
            .as_str()
            .unwrap()
            .ends_with("(1 of 2 units reported)"),
        "{d1}"
    );
    // A partial sum that happens to meet the bound is not compliance.
    let ws = Ws::new();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(ws.0.path().join("progress/returns.csv"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"workers,c3,2024-01-31,50,\n").unwrap();
    drop(f);
    let rows = ws.gaps("2024-01-31", &[]);
    let d1 = row(&rows, "band", "一区");
    assert_eq!(d1["partial"], true, "甲二社区 has not reported");
    assert_eq!(d1["status"], "no_data");
}

#[test]
fn a_past_month_is_reproduced_exactly_whatever_came_later() {
    let ws = Ws::new();
    let before = ws.raw(&["gaps", "--as-of", "2024-06-30", "--format", "csv"]);
    ws.raw(&[
        "record",
        "value",
        "workers",
        "--unit",
        "甲二社区",
        "--value",
        "40",
        "--date",
        "2024-07-31",
    ]);
    ws.raw(&[
        "record",
        "value",
        "orgs",
        "--unit",
        "二区丙社区",
        "--value",
        "9",
        "--date",
        "2024-08-31",
    ]);
    assert_eq!(
        ws.raw(&["gaps", "--as-of", "2024-06-30", "--format", "csv"]),
        before
    );
    let after = ws.gaps("2024-08-31", &[]);
    assert_eq!(row(&after, "band", "一区")["status"], "met");
    assert_eq!(row(&after, "orgs", "二区丙社区")["status"], "met");
}

#[test]
fn each_trend_class_with_its_projection() {
    let rows = Ws::new().gaps("2024-07-01", &[]);
    let t = |unit: &str| row(&rows, "trained", unit).clone();
    let on = t("甲一社区");
    assert_eq!(on["trend"], "on_track");
    assert!(
        (on["projected"].as_f64().unwrap() - 10.0).abs() < 0.05,
        "{on}"
    );
    assert_eq!(on["reaches_on"], "2024-12-30");
    let slow = t("甲二社区");
    assert_eq!(slow["trend"], "needs_acceleration");
    assert_eq!(slow["reaches_on"], "2025-06-30");
    let off = t("乙一社区");
    assert_eq!(off["trend"], "off_track");
    assert!(
        (off["projected"].as_f64().unwrap() - 6.0).abs() < 0.05,
        "{off}"
    );
    assert_eq!(t("二区丙社区")["trend"], "achieved");
    // One observation is no trend.
    let early = Ws::new().gaps("2024-06-30", &[]);
    assert_eq!(row(&early, "trained", "甲一社区")["trend"], Value::Null);
    let table = Ws::new().raw(&["gaps", "--as-of", "2024-07-01", "--policy", "p"]);
    assert!(
        table.contains("needs acceleration (reaches 2025-06)"),
        "{table}"
    );
}

#[test]
fn a_district_sees_its_own_units_and_their_summary() {
    let rows = Ws::new().gaps("2024-06-30", &["--district", "一区"]);
    let orgs: Vec<&str> = rows
        .iter()
        .filter(|r| r["target"] == "orgs" && r["summary"] == false)
        .map(|r| r["unit"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["甲一社区", "甲二社区", "乙一社区"]);
    let all = summary(&rows, "orgs");
    assert_eq!(all["unit"], "一区");
    assert_eq!(
        all["gap_text"],
        "2 of 3 units fall short; needs 5 more community social organisations in total"
    );
}

#[test]
fn an_excess_is_over_the_maximum_and_what_none_may_have_remains_at_any_size() {
    let ws = Ws::new();
    let dir = ws.0.path();
    let append = |rel: &str, text: &str| {
        let path = dir.join(rel);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, old + text).unwrap();
    };
    append(
        "policies/metrics.toml",
        "\n[[metrics]]\nid = \"unsafe\"\nname = \"危房\"\nen = \"unsafe houses\"\nunit = \"处\"\n",
    );
    append(
        "policies/plan.toml",
        "\n[[targets]]\nid = \"cap\"\ntitle = \"危房不超过5处\"\nmetric = \"unsafe\"\nmax = 5\neach = \"community\"\n\
         \n[[targets]]\nid = \"none\"\ntitle = \"消除危房\"\nmetric = \"unsafe\"\nmax = 0\neach = \"community\"\n",
    );
    append(
        "progress/houses.csv",
        "metric,unit,date,value,source\nunsafe,c1,2024-06-30,7,\nunsafe,c2,2024-06-30,1e17,\n\
         unsafe,c3,2024-06-30,1e20,\n",
    );
    let rows = ws.gaps("2024-06-30", &[]);
    let text = |target, unit| row(&rows, target, unit)["gap_text"].clone();
    assert_eq!(text("cap", "甲一社区"), "2 unsafe houses over the maximum");
    assert_eq!(
        text("cap", "甲二社区"),
        "100000000000000000 unsafe houses over the maximum"
    );
    assert_eq!(
        text("cap", "乙一社区"),
        "100000000000000000000 unsafe houses over the maximum"
    );
    assert_eq!(text("none", "甲一社区"), "7 unsafe houses remain");
    assert_eq!(
        text("none", "乙一社区"),
        "100000000000000000000 unsafe houses remain"
    );
}
