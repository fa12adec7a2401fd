//! The shipped policies, read back from the index: each seed document's task count, owners,
//! deadlines and targets as the text states them. Every expected value below is taken from
//! the document itself (see docs/seeds.md), so a manifest that drifts from its text fails here.

use assert_cmd::Command;
use chrono::NaiveDate;
use govtrack::index::snapshot::{self, Need};
use govtrack::model::Bounds;
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use tempfile::TempDir;

const XM_2023: &str = "xiamen-2023-urban-village"; // seed 000
const DG_2016: &str = "dongguan-2016-community"; // seed 001
const GH_2024: &str = "guanghan-2024-chuangtese"; // seed 002
const GD_2020: &str = "guangdong-2020-grassroots"; // seed 003
const XM_2015: &str = "xiamen-2015-proposal-260"; // seed 004

/// The index built from this repository's workspace by `govtrack load`.
struct Index {
    _dir: TempDir,
    conn: Connection,
}

impl Index {
    fn load() -> Index {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("i.sqlite");
        let out = Command::cargo_bin("govtrack")
            .unwrap()
            .arg("--workspace")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")))
            .arg("--db")
            .arg(&db)
            .arg("load")
            .env_remove("GOVTRACK_DB")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "load failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let conn = Connection::open(&db).unwrap();
        Index { _dir: dir, conn }
    }

    fn count(&self, sql: &str, args: impl rusqlite::Params) -> i64 {
        self.conn.query_row(sql, args, |r| r.get(0)).unwrap()
    }

    fn tasks(&self, policy: &str) -> i64 {
        self.count("SELECT count(*) FROM tasks WHERE policy = ?1", [policy])
    }

    /// The distinct due dates of a task's instances, in order; `None` for an ongoing task.
    fn dues(&self, policy: &str, task: &str) -> Vec<Option<String>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT d.due FROM instances i LEFT JOIN dues d ON d.instance = i.id
                 WHERE i.policy = ?1 AND i.task = ?2 ORDER BY d.due",
            )
            .unwrap();
        stmt.query_map([policy, task], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// The one due date of a single-deadline task (all its instances share it).
    fn due(&self, policy: &str, task: &str) -> String {
        let dues = self.dues(policy, task);
        assert_eq!(dues.len(), 1, "{policy}/{task} has due dates {dues:?}");
        dues[0]
            .clone()
            .unwrap_or_else(|| panic!("{policy}/{task} is ongoing"))
    }

    fn instances(&self, policy: &str, task: &str) -> i64 {
        self.count(
            "SELECT count(DISTINCT unit) FROM instances WHERE policy = ?1 AND task = ?2",
            [policy, task],
        )
    }

    /// Lead or supporting units of a task, in the document's order.
    fn owners(&self, policy: &str, task: &str, role: &str) -> Vec<String> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT unit FROM owners WHERE policy = ?1 AND task = ?2 AND role = ?3
                 ORDER BY pos",
            )
            .unwrap();
        stmt.query_map([policy, task, role], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn target(&self, policy: &str, id: &str) -> Target {
        self.conn
            .query_row(
                "SELECT metric, per_metric, scale, measure, deadline, min, max, task
                 FROM targets WHERE policy = ?1 AND id = ?2",
                [policy, id],
                |r| {
                    Ok(Target {
                        metric: r.get(0)?,
                        per_metric: r.get(1)?,
                        scale: r.get(2)?,
                        measure: r.get(3)?,
                        deadline: r.get(4)?,
                        min: r.get(5)?,
                        max: r.get(6)?,
                        task: r.get(7)?,
                    })
                },
            )
            .optional()
            .unwrap()
            .unwrap_or_else(|| panic!("no target {policy}/{id}"))
    }

    /// The units a target applies to, as reports read them: each unit's kind and bounds.
    fn target_units(&self, policy: &str, id: &str) -> Vec<(Option<String>, Bounds)> {
        let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        let s = snapshot::load(&self.conn, as_of, Need::TARGETS).unwrap();
        let t = s
            .targets
            .iter()
            .find(|t| t.policy == policy && t.id == id)
            .unwrap_or_else(|| panic!("no target {policy}/{id}"));
        t.units
            .iter()
            .map(|(p, b)| (s.registry.units()[*p].kind.clone(), *b))
            .collect()
    }

    fn issued(&self, policy: &str) -> String {
        self.conn
            .query_row("SELECT issued FROM policies WHERE id = ?1", [policy], |r| {
                r.get(0)
            })
            .unwrap()
    }
}

#[derive(Debug)]
struct Target {
    metric: String,
    per_metric: Option<String>,
    scale: Option<f64>,
    measure: String,
    deadline: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    task: Option<String>,
}

fn day(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn every_seed_is_loaded_with_its_task_count_and_every_task_has_a_lead() {
    let ix = Index::load();
    // 000: 16 tasks in 4 工程 + the half-year report of 四(四).
    assert_eq!(ix.tasks(XM_2023), 17);
    // 001: 20 numbered tasks + one task for each of the 3 实施步骤.
    assert_eq!(ix.tasks(DG_2016), 23);
    // 002: 9 city tasks + 4 community packages + the hardware milestone of 四(二).
    assert_eq!(ix.tasks(GH_2024), 14);
    // 003: 19 measures.
    assert_eq!(ix.tasks(GD_2020), 19);
    // 004: the letter's commitments (41 city-wide, 3 handed to each district).
    assert_eq!(ix.tasks(XM_2015), 44);
    assert_eq!(
        ix.count("SELECT count(*) FROM policies", []),
        5,
        "exactly the five seed documents are shipped"
    );
    let leaderless = ix.count(
        "SELECT count(*) FROM tasks t WHERE NOT EXISTS (
             SELECT 1 FROM owners o
             WHERE o.policy = t.policy AND o.task = t.id AND o.role = 'lead')",
        [],
    );
    assert_eq!(leaderless, 0, "every task needs a 牵头单位");
}

#[test]
fn seed_000_xiamen_2023_band_and_half_year_reports() {
    let ix = Index::load();
    assert_eq!(ix.issued(XM_2023), "2023-06-01");
    let band = ix.target(XM_2023, "workers-per-10k");
    assert_eq!((band.min, band.max), (Some(18.0), Some(30.0)));
    assert_eq!(band.per_metric.as_deref(), Some("population"));
    assert_eq!(band.scale, Some(10000.0));
    assert_eq!(band.deadline, day("2025-12-31"));
    // 每半年(于每年6月30日和12月31日前), from the issue date to the end of 2025: six reports.
    let dues = ix.dues(XM_2023, "report");
    assert_eq!(dues.len(), 6, "{dues:?}");
    assert_eq!(dues.first().unwrap(), &day("2023-06-30"));
    assert_eq!(dues.last().unwrap(), &day("2025-12-31"));
    assert_eq!(ix.instances(XM_2023, "report"), 6, "one per district");
    assert_eq!(ix.due(XM_2023, "t10"), "2025-12-31");
}

#[test]
fn seed_001_dongguan_deadlines_owners_and_targets() {
    let ix = Index::load();
    assert_eq!(ix.issued(DG_2016), "2016-12-23"); // "201612月23"
    // Dates hidden in task text, with their lost characters restored.
    assert_eq!(ix.due(DG_2016, "t06"), "2017-04-30"); // "20174月底前"
    assert_eq!(ix.due(DG_2016, "t12"), "2017-02-28"); // "20172月底前"
    assert_eq!(ix.due(DG_2016, "t14"), "2017-03-31"); // "20173底前"
    assert_eq!(ix.due(DG_2016, "t15"), "2017-06-30"); // "20176底"
    assert_eq!(ix.due(DG_2016, "t09"), "2018-12-31"); // 到2018年底
    assert_eq!(ix.due(DG_2016, "t18"), "2020-12-31"); // "十三五"期间
    // Undated tasks are due at the end of the roll-out phase (2018年1月—2019年12月).
    assert_eq!(ix.due(DG_2016, "t01"), "2019-12-31");
    assert_eq!(ix.due(DG_2016, "t20"), "2019-12-31");
    // The numbered tasks are owned by city departments: one instance on 东莞市.
    assert_eq!(ix.instances(DG_2016, "t01"), 1);
    // 实施步骤 fan out to the 4 streets, 28 towns and the registered park.
    assert_eq!(ix.instances(DG_2016, "step1"), 33);
    assert_eq!(ix.due(DG_2016, "step1"), "2017-02-28"); // "20172底前报市民政局备案"
    assert_eq!(ix.due(DG_2016, "step2"), "2017-12-31");
    assert_eq!(ix.due(DG_2016, "step3"), "2019-12-31");
    assert_eq!(ix.owners(DG_2016, "step1", "lead"), ["each"]);
    // 列在分工项目首位的为牵头单位.
    assert_eq!(ix.owners(DG_2016, "t09", "lead"), ["dg-mzj"]);
    assert_eq!(
        ix.owners(DG_2016, "t09", "support"),
        ["dg-zgh", "dg-tsw", "dg-fl", "dg-czj"]
    );
    assert_eq!(ix.owners(DG_2016, "t11", "lead"), ["dg-fgj"]);
    assert_eq!(ix.owners(DG_2016, "t16", "lead"), ["dg-zfw"]);
    assert_eq!(
        ix.owners(DG_2016, "t16", "support"),
        ["dg-zjfy", "dg-gaj", "dg-sfj"]
    );

    let rate = ix.target(DG_2016, "rectify-rate");
    assert_eq!((rate.min, rate.max), (Some(90.0), None));
    let turnout = ix.target(DG_2016, "turnout");
    assert_eq!(turnout.min, Some(96.5));
    assert_eq!(turnout.deadline, day("2017-12-31"));
    let legal = ix.target(DG_2016, "legal-platforms");
    assert_eq!(legal.min, Some(100.0));
    assert_eq!(legal.scale, Some(100.0));
    assert_eq!(legal.deadline, day("2017-06-30"));
    // 每个农村社区5个以上、城市社区10个以上: the bound follows each community's kind.
    let orgs = ix.target(DG_2016, "orgs-per-community");
    assert_eq!(orgs.deadline, day("2018-12-31"));
    assert_eq!(orgs.task.as_deref(), Some("t09"));
    let units = ix.target_units(DG_2016, "orgs-per-community");
    for (kind, min) in [("rural", 5.0), ("urban", 10.0)] {
        let of_kind: Vec<Bounds> = units
            .iter()
            .filter(|(k, _)| k.as_deref() == Some(kind))
            .map(|(_, b)| *b)
            .collect();
        assert!(!of_kind.is_empty(), "no {kind} community in the target");
        for b in of_kind {
            let want = Bounds {
                min: Some(min),
                max: None,
            };
            assert_eq!(b, want, "{kind} communities need at least {min}");
        }
    }
    assert_eq!(units.len(), 6);
}

#[test]
fn seed_002_guanghan_deadlines() {
    let ix = Index::load();
    assert_eq!(ix.due(GH_2024, "city-1"), "2024-05-31"); // 完成时限:2024年5月
    assert_eq!(ix.due(GH_2024, "hardware"), "2024-10-30"); // 2024年10月30日前
    assert_eq!(ix.owners(GH_2024, "city-2", "lead"), ["gh-zzb", "gh-mzj"]);
    assert_eq!(ix.target(GH_2024, "brand-orgs").min, Some(3.0));
}

#[test]
fn seed_003_guangdong_measures_fan_out_to_the_21_cities() {
    let ix = Index::load();
    assert_eq!(ix.issued(GD_2020), "2020-07-08");
    // 东莞市 is one unit, defined once, under the province.
    let cities = ix.count(
        "SELECT count(*) FROM units WHERE level = 'city' AND parent = 'gd'",
        [],
    );
    assert_eq!(cities, 21);
    assert_eq!(
        ix.count(
            "SELECT count(*) FROM units WHERE id = 'dg' AND parent = 'gd'",
            []
        ),
        1
    );
    assert_eq!(ix.instances(GD_2020, "m09"), 21);
    assert_eq!(ix.due(GD_2020, "m09"), "2025-12-31"); // 力争到2025年
    // Measures without a date are ongoing.
    assert_eq!(ix.dues(GD_2020, "m01"), [None]);
    assert_eq!(ix.owners(GD_2020, "m01", "lead"), ["each"]);
    assert_eq!(ix.owners(GD_2020, "m01", "support"), ["gd-mzt"]);

    let total = ix.target(GD_2020, "sw-talent-total");
    assert_eq!(total.metric, "social_work_talent");
    assert_eq!(total.measure, "total");
    assert_eq!(total.min, Some(150000.0));
    assert_eq!(total.deadline, day("2025-12-31"));
    assert_eq!(ix.target_units(GD_2020, "sw-talent-total").len(), 21);
    let posts = ix.target(GD_2020, "sw-post-coverage");
    assert_eq!(
        posts.per_metric.as_deref(),
        Some("villages_and_communities")
    );
    assert_eq!((posts.scale, posts.min), (Some(100.0), Some(100.0)));
    assert_eq!(posts.deadline, day("2025-12-31"));
}

#[test]
fn seed_004_xiamen_reply_letter_commitments() {
    let ix = Index::load();
    assert_eq!(ix.issued(XM_2015), "2015-03-19"); // signed, not the 2016 publication date
    assert_eq!(ix.due(XM_2015, "duty-list"), "2015-12-31"); // 年内
    assert_eq!(ix.due(XM_2015, "center-phase2"), "2015-12-31"); // 今年
    assert_eq!(ix.due(XM_2015, "conferences"), "2015-06-30"); // 上半年
    assert_eq!(ix.due(XM_2015, "facilities"), "2017-12-31"); // 用2—3(年)时间
    assert_eq!(ix.dues(XM_2015, "smart-community"), [None]);
    // 配合市编办: 市编办 leads, the bureau supports.
    assert_eq!(ix.owners(XM_2015, "duty-list", "lead"), ["xm-bb"]);
    assert_eq!(ix.owners(XM_2015, "duty-list", "support"), ["xm-mzj"]);
    // 各区 / 每个区 fan out to the six districts.
    assert_eq!(ix.instances(XM_2015, "pilot-communities"), 6);
    assert_eq!(ix.owners(XM_2015, "pilot-communities", "lead"), ["each"]);

    let smart = ix.target(XM_2015, "smart-communities");
    assert_eq!((smart.min, smart.max), (Some(3.0), Some(5.0)));
    assert_eq!(
        ix.target_units(XM_2015, "smart-communities").len(),
        38,
        "every street and town of 2015"
    );
    let towns = ix.target(XM_2015, "evaluation-pilots");
    assert_eq!((towns.min, towns.max), (Some(1.0), Some(2.0)));
    assert_eq!(ix.target_units(XM_2015, "evaluation-pilots").len(), 6);
    assert_eq!(ix.target(XM_2015, "incubation-parks").min, Some(1.0));
    let rural = ix.target(XM_2015, "rural-stations");
    assert_eq!(rural.min, Some(80.0)); // 80多 → at least 80
    assert_eq!(rural.deadline, day("2017-12-31"));
    assert_eq!(ix.target(XM_2015, "urban-buildings").min, Some(49.0));
    assert_eq!(ix.target(XM_2015, "incubated-orgs").min, Some(30.0));
    assert_eq!(ix.target(XM_2015, "happiness-homes").min, Some(30.0));
    assert_eq!(ix.target(XM_2015, "day-care").min, Some(6.0));
    assert_eq!(ix.target(XM_2015, "purchase-pilots").min, Some(8.0));
    // No figure in 八 is a target: the 80多个典范社区 are past achievements.
    assert_eq!(
        ix.count(
            "SELECT count(*) FROM targets t JOIN tasks k ON k.policy = t.policy AND k.id = t.task
             WHERE t.policy = ?1 AND k.section = 'brand'",
            [XM_2015]
        ),
        0
    );
}
