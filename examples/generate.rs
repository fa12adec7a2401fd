//! A synthetic province-scale workspace, for timing govtrack on a whole province.
//!
//! ```sh
//! cargo run --release --example generate -- --out DIR [--scale F]
//! ```
//!
//! At scale 1 the workspace has the shape of Guangdong: one province, 21 cities, about
//! 120 districts, 1,600 towns and streets and 26,000 communities (with their census
//! populations), a department per city; 10 metrics; 50 policies of 40 tasks each, fanned
//! out to districts or to towns and streets; status events for about half of the task
//! instances; and a monthly observation of every metric for every community over 36
//! months (2022-01 to 2024-12), one file per district per month. `--scale F` (0 < F ≤ 1)
//! scales the number of districts, towns and communities; the province, its 21 cities and
//! the 50 policies of 40 tasks stay. The same scale always gives the same files.
//!
//! Eight policies are the province's and fan out over all of it; the other 42 are the
//! cities' (two each) and fan out over one city. That makes about 100,000 task instances
//! at scale 1, where fifty province-wide policies would make over half a million.
//!
//! DIR must be new, empty, or the output of an earlier run, which is then replaced.
//!
//! It also writes `bench/tasks.json`, every task instance as one line in Taskwarrior's
//! import format, so `task import DIR/bench/tasks.json` loads the same work.
//!
//! Every name, figure and document in the workspace is invented (模拟).

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const SEED: u64 = 0x676f_7674_7261_636b;
const CITIES: usize = 21;
const DISTRICTS: f64 = 120.0;
const TOWNS: f64 = 1600.0;
const COMMUNITIES: f64 = 26000.0;
const POLICIES: usize = 50;
/// The first policies are the province's, fanned out over all of it; the others are the
/// cities' (two each), fanned out over one city. All fifty at province level would make
/// over half a million task instances at scale 1; this mix makes about 100,000.
const PROVINCIAL_POLICIES: usize = 8;
const TASKS: usize = 40;
const MONTHS: usize = 36;
/// The last day any progress is reported for: the end of the observations.
const HORIZON: (i32, u32, u32) = (2024, 12, 31);
/// Written into the output folder so a later run may replace what this one wrote.
const MARKER: &str = ".govtrack-generate";

// ------------------------------------------------------------------------------------
// Deterministic randomness: splitmix64, seeded.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// A float in `[0, 1)`.
    fn float(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.float() < p
    }
}

/// The splitmix64 finaliser: a well-spread hash of one word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A float in `[0, 1)` fixed by the key, so a value does not depend on writing order.
fn hash01(a: u64, b: u64, c: u64) -> f64 {
    let h = mix(mix(mix(SEED ^ a) ^ b.wrapping_mul(0x9e37_79b9)) ^ c.wrapping_mul(0x85eb_ca6b));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

// ------------------------------------------------------------------------------------
// The unit tree.

struct City {
    id: String,
    name: String,
    districts: Range<usize>,
}

struct District {
    id: String,
    name: String,
    urban: bool,
    /// How well staffed the district is: scales its figures, so some miss their targets.
    factor: f64,
    towns: Range<usize>,
}

struct Town {
    id: String,
    name: String,
    street: bool,
    communities: Range<usize>,
}

struct Community {
    id: String,
    name: String,
    urban: bool,
    population: u32,
    district: usize,
}

struct Tree {
    cities: Vec<City>,
    districts: Vec<District>,
    towns: Vec<Town>,
    communities: Vec<Community>,
}

/// The province's departments, which support the provincial policies' tasks.
const PROVINCE_DEPARTMENTS: [(&str, &str); 5] = [
    ("gd-jczq", "广东省民政厅基层政权建设和社区治理处"),
    ("gd-shzz", "广东省民政厅社会组织管理局"),
    ("gd-ylfw", "广东省民政厅养老服务处"),
    ("gd-shjz", "广东省民政厅社会救助处"),
    ("gd-etfl", "广东省民政厅儿童福利处"),
];

fn city_department(city: &City) -> String {
    format!("{}-mzj", city.id)
}

/// Splits `total` items over `parents` parents, at least one each, unevenly.
fn spread(total: usize, parents: usize, rng: &mut Rng) -> Vec<usize> {
    let total = total.max(parents);
    let extra = total - parents;
    let weights: Vec<f64> = (0..parents).map(|_| 0.4 + rng.float() * 1.2).collect();
    let sum: f64 = weights.iter().sum();
    let shares: Vec<f64> = weights.iter().map(|w| extra as f64 * w / sum).collect();
    let mut counts: Vec<usize> = shares.iter().map(|s| 1 + s.floor() as usize).collect();
    let mut left = total - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..parents).collect();
    order.sort_by(|&a, &b| {
        let fa = shares[a] - shares[a].floor();
        let fb = shares[b] - shares[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

fn build_tree(scale: f64, rng: &mut Rng) -> Tree {
    let n_districts = ((DISTRICTS * scale).round() as usize).max(CITIES);
    let n_towns = ((TOWNS * scale).round() as usize).max(n_districts);
    let n_communities = ((COMMUNITIES * scale).round() as usize).max(n_towns);
    let per_city = spread(n_districts, CITIES, rng);
    let per_district = spread(n_towns, n_districts, rng);
    let per_town = spread(n_communities, n_towns, rng);

    let mut tree = Tree {
        cities: Vec::new(),
        districts: Vec::new(),
        towns: Vec::new(),
        communities: Vec::new(),
    };
    for (c, &nd) in per_city.iter().enumerate() {
        let cid = format!("c{:02}", c + 1);
        let cname = format!("粤{:02}市", c + 1);
        let d0 = tree.districts.len();
        for d in 0..nd {
            let di = tree.districts.len();
            let did = format!("{cid}-d{:03}", d + 1);
            let dname = format!("{cname}{:03}区", d + 1);
            let urban = rng.chance(0.55);
            let factor = 0.78 + rng.float() * 0.42;
            let t0 = tree.towns.len();
            for t in 0..per_district[di] {
                let ti = tree.towns.len();
                // The first town of every city is a street, so every city has urban
                // communities for the targets on them.
                let street = (d == 0 && t == 0) || rng.chance(if urban { 0.7 } else { 0.2 });
                let tid = format!("{did}-t{:03}", t + 1);
                let tname = format!("{dname}{:03}{}", t + 1, if street { "街道" } else { "镇" });
                let v0 = tree.communities.len();
                for v in 0..per_town[ti] {
                    let urban = street || rng.chance(0.25);
                    let population = if urban {
                        rng.between(2000, 8000)
                    } else {
                        rng.between(1000, 6000)
                    } as u32;
                    tree.communities.push(Community {
                        id: format!("{tid}-v{:04}", v + 1),
                        name: format!("{tname}{:04}{}", v + 1, if urban { "社区" } else { "村" }),
                        urban,
                        population,
                        district: di,
                    });
                }
                tree.towns.push(Town {
                    id: tid,
                    name: tname,
                    street,
                    communities: v0..tree.communities.len(),
                });
            }
            tree.districts.push(District {
                id: did,
                name: dname,
                urban,
                factor,
                towns: t0..tree.towns.len(),
            });
        }
        tree.cities.push(City {
            id: cid,
            name: cname,
            districts: d0..tree.districts.len(),
        });
    }
    tree
}

impl Tree {
    fn towns_of_city(&self, c: usize) -> Range<usize> {
        let d = &self.cities[c].districts;
        self.districts[d.start].towns.start..self.districts[d.end - 1].towns.end
    }

    fn communities_of_towns(&self, t: Range<usize>) -> Range<usize> {
        self.towns[t.start].communities.start..self.towns[t.end - 1].communities.end
    }
}

// ------------------------------------------------------------------------------------
// Metrics and their invented figures.

enum Kind {
    /// Grows with the population: so many per 10,000 residents.
    PerTenThousand(f64),
    /// So many per community (urban, rural).
    PerCommunity(f64, f64),
    /// 0 until the month the community gets one, then 1.
    Coverage { spread: f64, before: f64 },
}

struct MetricDef {
    id: &'static str,
    name: &'static str,
    en: &'static str,
    unit: &'static str,
    kind: Kind,
}

const METRICS: [MetricDef; 10] = [
    MetricDef {
        id: "m01",
        name: "社区工作者",
        en: "community workers",
        unit: "名",
        kind: Kind::PerTenThousand(21.0),
    },
    MetricDef {
        id: "m02",
        name: "持证社会工作者",
        en: "certified social workers",
        unit: "名",
        kind: Kind::PerTenThousand(6.0),
    },
    MetricDef {
        id: "m03",
        name: "社区综合服务设施",
        en: "community service centres",
        unit: "个",
        kind: Kind::Coverage {
            spread: 72.0,
            before: 24.0,
        },
    },
    MetricDef {
        id: "m04",
        name: "社区社会组织",
        en: "community social organisations",
        unit: "个",
        kind: Kind::PerCommunity(11.0, 6.0),
    },
    MetricDef {
        id: "m05",
        name: "注册志愿者",
        en: "registered volunteers",
        unit: "名",
        kind: Kind::PerTenThousand(800.0),
    },
    MetricDef {
        id: "m06",
        name: "养老服务站点",
        en: "elderly care service points",
        unit: "个",
        kind: Kind::PerCommunity(2.0, 1.5),
    },
    MetricDef {
        id: "m07",
        name: "儿童之家",
        en: "children's homes",
        unit: "个",
        kind: Kind::Coverage {
            spread: 60.0,
            before: 6.0,
        },
    },
    MetricDef {
        id: "m08",
        name: "网格员",
        en: "grid workers",
        unit: "名",
        kind: Kind::PerTenThousand(15.0),
    },
    MetricDef {
        id: "m09",
        name: "居务监督委员会成员",
        en: "supervisory committee members",
        unit: "名",
        kind: Kind::PerCommunity(4.0, 3.5),
    },
    MetricDef {
        id: "m10",
        name: "社区服务项目",
        en: "community service projects",
        unit: "个",
        kind: Kind::PerCommunity(6.0, 3.0),
    },
];

/// The figure community `v` reports for metric `m` in month `k` (0 = 2022-01).
fn value(tree: &Tree, v: usize, m: usize, k: usize) -> u64 {
    let c = &tree.communities[v];
    let (v64, m64) = (v as u64, m as u64);
    let h1 = hash01(v64, m64, 1000);
    let x = match METRICS[m].kind {
        Kind::Coverage { spread, before } => {
            let from = (h1 * spread).floor() - before;
            return u64::from(k as f64 >= from);
        }
        Kind::PerTenThousand(rate) => {
            f64::from(c.population) * rate / 10_000.0
                * tree.districts[c.district].factor
                * (0.8 + 0.4 * h1)
        }
        Kind::PerCommunity(urban, rural) => {
            (if c.urban { urban } else { rural })
                * tree.districts[c.district].factor
                * (0.6 + 0.8 * h1)
        }
    };
    let growth = 0.04 + 0.24 * hash01(v64, m64, 2000);
    let noise = 1.0 + 0.04 * (hash01(v64, m64, k as u64) - 0.5);
    (x * (1.0 + growth * k as f64 / (MONTHS - 1) as f64) * noise)
        .round()
        .max(0.0) as u64
}

fn month_end(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap() - Duration::days(1)
}

// ------------------------------------------------------------------------------------
// Output with counts.

#[derive(Default)]
struct Counts {
    units: BTreeMap<&'static str, usize>,
    policies: usize,
    tasks: usize,
    targets: usize,
    instances: usize,
    instances_with_events: usize,
    events: usize,
    observations: usize,
    populations: usize,
    tw_tasks: usize,
    files: usize,
    bytes: u64,
}

/// A buffered file that counts what is written to it.
struct Sink {
    w: BufWriter<File>,
    bytes: u64,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

impl Counts {
    fn create(&mut self, path: &Path) -> Result<Sink> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        self.files += 1;
        Ok(Sink {
            w: BufWriter::with_capacity(1 << 16, f),
            bytes: 0,
        })
    }

    fn close(&mut self, mut sink: Sink) -> Result<()> {
        sink.flush()?;
        self.bytes += sink.bytes;
        Ok(())
    }
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ------------------------------------------------------------------------------------
// The workspace.

fn write_units(out: &Path, tree: &Tree, counts: &mut Counts) -> Result<()> {
    let mut w = counts.create(&out.join("policies/units.toml"))?;
    writeln!(w, "# 模拟数据:单位名称与人口均为虚构。\n")?;
    let mut unit = |w: &mut Sink,
                    id: &str,
                    name: &str,
                    level: &'static str,
                    kind: Option<&str>,
                    parent: Option<&str>,
                    population: Option<u32>|
     -> Result<()> {
        writeln!(
            w,
            "[[units]]\nid = {}\nname = {}\nlevel = {}",
            q(id),
            q(name),
            q(level)
        )?;
        if let Some(k) = kind {
            writeln!(w, "kind = {}", q(k))?;
        }
        if let Some(p) = parent {
            writeln!(w, "parent = {}", q(p))?;
        }
        if let Some(p) = population {
            writeln!(w, "population = {p}\npopulation_date = 2020-11-01")?;
        }
        writeln!(w)?;
        *counts.units.entry(level).or_default() += 1;
        Ok(())
    };
    unit(&mut w, "gd", "广东省", "province", None, None, None)?;
    for (id, name) in PROVINCE_DEPARTMENTS {
        unit(&mut w, id, name, "department", None, Some("gd"), None)?;
    }
    for city in &tree.cities {
        unit(&mut w, &city.id, &city.name, "city", None, Some("gd"), None)?;
        let dept = city_department(city);
        let dept_name = format!("{}民政局", city.name);
        unit(
            &mut w,
            &dept,
            &dept_name,
            "department",
            None,
            Some(&city.id),
            None,
        )?;
        for d in &tree.districts[city.districts.clone()] {
            let kind = if d.urban { "urban" } else { "rural" };
            unit(
                &mut w,
                &d.id,
                &d.name,
                "district",
                Some(kind),
                Some(&city.id),
                None,
            )?;
            for t in &tree.towns[d.towns.clone()] {
                let level = if t.street { "street" } else { "town" };
                unit(&mut w, &t.id, &t.name, level, None, Some(&d.id), None)?;
                for v in &tree.communities[t.communities.clone()] {
                    let kind = if v.urban { "urban" } else { "rural" };
                    let pop = Some(v.population);
                    unit(
                        &mut w,
                        &v.id,
                        &v.name,
                        "community",
                        Some(kind),
                        Some(&t.id),
                        pop,
                    )?;
                }
            }
        }
    }
    counts.populations = tree.communities.len();
    counts.close(w)
}

fn write_metrics(out: &Path, counts: &mut Counts) -> Result<()> {
    let mut w = counts.create(&out.join("policies/metrics.toml"))?;
    for m in &METRICS {
        writeln!(
            w,
            "[[metrics]]\nid = {}\nname = {}\nen = {}\nunit = {}\n",
            q(m.id),
            q(m.name),
            q(m.en),
            q(m.unit)
        )?;
    }
    counts.close(w)
}

const VERBS: [&str; 10] = [
    "推进", "健全", "完善", "加强", "落实", "开展", "建立", "规范", "提升", "深化",
];

const OBJECTS: [&str; 20] = [
    "社区工作者队伍建设",
    "城乡社区综合服务设施建设",
    "社区社会组织培育",
    "村(居)民自治章程修订",
    "社区协商议事机制",
    "网格化服务管理",
    "居务监督委员会规范化建设",
    "社区志愿服务",
    "养老服务站点布局",
    "儿童之家建设",
    "社区减负清单管理",
    "智慧社区平台建设",
    "社区服务项目化运营",
    "村(社区)换届后续工作",
    "党群服务中心标准化建设",
    "困难群众走访排查",
    "社区应急能力建设",
    "社区公共法律服务",
    "城中村治理",
    "社区“两委”成员培训",
];

const TOPICS: [&str; 10] = [
    "加强城乡社区治理",
    "推进社区工作者队伍建设",
    "培育发展社区社会组织",
    "完善基层群众自治",
    "提升社区综合服务能力",
    "推进智慧社区建设",
    "加强基层政权建设",
    "发展社区养老服务",
    "做好困难群众基本生活保障",
    "推进城乡社区协商",
];

const SECTIONS: [(&str, &str); 4] = [
    ("(一)", "组织体系建设"),
    ("(二)", "服务能力提升"),
    ("(三)", "治理机制完善"),
    ("(四)", "保障措施"),
];

#[derive(Clone, Copy)]
enum Schedule {
    Once(NaiveDate),
    Every,
    Ongoing,
}

struct Task {
    id: String,
    title: String,
    towns: bool,
    schedule: Schedule,
}

/// Half-year report days from the policy's start to the end of its period.
fn occurrences() -> Vec<NaiveDate> {
    let mut v = Vec::new();
    for y in 2022..=2025 {
        v.push(NaiveDate::from_ymd_opt(y, 6, 30).unwrap());
        v.push(NaiveDate::from_ymd_opt(y, 12, 31).unwrap());
    }
    v
}

/// One policy: which units it governs and how its tasks fan out.
struct Policy {
    id: String,
    /// `None` for the province, else the city's index.
    city: Option<usize>,
    jurisdiction: String,
    issuer: String,
    support: Vec<String>,
}

fn policy(p: usize, tree: &Tree) -> Policy {
    let id = format!("p{:02}", p + 1);
    if p < PROVINCIAL_POLICIES {
        Policy {
            id,
            city: None,
            jurisdiction: "gd".into(),
            issuer: "广东省民政厅".into(),
            support: PROVINCE_DEPARTMENTS
                .iter()
                .map(|(d, _)| d.to_string())
                .collect(),
        }
    } else {
        let c = (p - PROVINCIAL_POLICIES) % CITIES;
        let city = &tree.cities[c];
        Policy {
            id,
            city: Some(c),
            jurisdiction: city.id.clone(),
            issuer: format!("{}民政局", city.name),
            support: vec![city_department(city)],
        }
    }
}

fn write_policy(
    out: &Path,
    p: usize,
    pol: &Policy,
    tree: &Tree,
    counts: &mut Counts,
) -> Result<Vec<Task>> {
    let mut rng = Rng::new(mix(SEED ^ (p as u64 + 1)));
    let mut w = counts.create(&out.join(format!("policies/{}.toml", pol.id)))?;
    let topic = TOPICS[p % TOPICS.len()];
    let (prefix, number) = match pol.city {
        None => ("粤民发".to_string(), p + 1),
        Some(c) => (
            format!("粤{:02}民", c + 1),
            (p - PROVINCIAL_POLICIES) / CITIES + 1,
        ),
    };
    writeln!(
        w,
        "# 模拟数据:文件、任务与目标均为虚构。\n\n[policy]\nid = {}\ntitle = {}\nnumber = {}\nissuer = {}\nissued = 2022-01-01\njurisdiction = {}\nperiod = {{ start = 2022-01-01, end = 2025-12-31 }}\nsource = \"synthetic\"\n",
        q(&pol.id),
        q(&format!("关于{topic}的实施方案(模拟)")),
        q(&format!("{prefix}〔2022〕{number}号")),
        q(&pol.issuer),
        q(&pol.jurisdiction),
    )?;
    for (i, (num, title)) in SECTIONS.iter().enumerate() {
        writeln!(
            w,
            "[[sections]]\nid = \"s{}\"\nnumber = {}\ntitle = {}\n",
            i + 1,
            q(num),
            q(title)
        )?;
    }
    let mut tasks = Vec::new();
    for t in 1..=TASKS {
        let id = format!("t{t:02}");
        let object = OBJECTS[rng.below(OBJECTS.len() as u64) as usize];
        let towns = t % 10 == 0;
        let (title, schedule) = match t {
            5 | 25 => (format!("报送{object}半年进展情况"), Schedule::Every),
            15 | 35 => (format!("持续{object}"), Schedule::Ongoing),
            _ => {
                let verb = VERBS[rng.below(VERBS.len() as u64) as usize];
                // A month from 2022-03 to 2025-12.
                let mi = rng.below(46) as i32 + 2;
                let (y, m) = (2022 + mi / 12, (mi % 12) as u32 + 1);
                (format!("{verb}{object}"), Schedule::Once(month_end(y, m)))
            }
        };
        writeln!(
            w,
            "[[tasks]]\nid = {}\nsection = \"s{}\"\nnumber = \"{t}\"\ntitle = {}",
            q(&id),
            (t - 1) / 10 + 1,
            q(&title)
        )?;
        if towns {
            writeln!(w, "each = [\"town\", \"street\"]")?;
        } else {
            writeln!(w, "each = \"district\"")?;
        }
        let support = &pol.support[rng.below(pol.support.len() as u64) as usize];
        writeln!(w, "lead = [\"each\"]\nsupport = [{}]", q(support))?;
        let schedule = match schedule {
            Schedule::Once(end) => {
                // Deadlines as documents write them: mostly a month, some a year or a day.
                match rng.below(10) {
                    0 => {
                        writeln!(w, "deadline = \"{}\"", end.year())?;
                        Schedule::Once(month_end(end.year(), 12))
                    }
                    1 => {
                        let day = rng.between(1, i64::from(end.day())) as u32;
                        let d = end.with_day(day).unwrap();
                        writeln!(w, "deadline = \"{}\"", d.format("%Y-%m-%d"))?;
                        Schedule::Once(d)
                    }
                    _ => {
                        writeln!(w, "deadline = \"{}\"", end.format("%Y-%m"))?;
                        Schedule::Once(end)
                    }
                }
            }
            Schedule::Every => {
                writeln!(w, "every = [\"06-30\", \"12-31\"]")?;
                Schedule::Every
            }
            Schedule::Ongoing => Schedule::Ongoing,
        };
        writeln!(w)?;
        tasks.push(Task {
            id,
            title,
            towns,
            schedule,
        });
    }
    for j in 0..2 {
        write_target(&mut w, (2 * p + j) % 6, pol, tree)?;
        counts.targets += 1;
    }
    counts.policies += 1;
    counts.tasks += tasks.len();
    counts.close(w)?;
    Ok(tasks)
}

/// One of six kinds of target: a per-capita band, per-kind thresholds, coverage, a total.
fn write_target(w: &mut Sink, template: usize, pol: &Policy, tree: &Tree) -> Result<()> {
    let text = match template {
        0 => r#"id = "workers-per-10k"
    task = "t01"
    title = "每万名常住人口不少于18名、不高于30名社区工作者"
    metric = "m01"
    per = { metric = "population", scale = 10000 }
    min = 18
    max = 30
    each = "district"
    deadline = "2025"
"#
        .to_string(),
        1 => r#"id = "orgs-per-community"
    task = "t02"
    title = "城市社区不少于10个、农村社区不少于5个社区社会组织"
    metric = "m04"
    each = "community"
    deadline = "2024"

    [targets.thresholds]
    rural = { min = 5 }
    urban = { min = 10 }
"#
        .to_string(),
        2 => r#"id = "centres-coverage"
    task = "t03"
    title = "城乡社区综合服务设施全覆盖"
    metric = "m03"
    min = 1
    each = "community"
    measure = "coverage"
    deadline = "2023"
"#
        .to_string(),
        3 => {
            // 5 % above what the communities under the policy report at the end.
            let range = match pol.city {
                None => 0..tree.communities.len(),
                Some(c) => tree.communities_of_towns(tree.towns_of_city(c)),
            };
            let sum: u64 = range.map(|v| value(tree, v, 4, MONTHS - 1)).sum();
            let min = (sum as f64 * 1.05 / 100.0).ceil() as u64 * 100;
            format!(
                r#"id = "volunteers-total"
    task = "t04"
    title = "注册志愿者总数达到{min}名"
    metric = "m05"
    min = {min}
    each = "district"
    measure = "total"
    deadline = "2025"
"#
            )
        }
        4 => r#"id = "grid-per-10k"
    task = "t06"
    title = "每万名常住人口配备12至20名网格员"
    metric = "m08"
    per = { metric = "population", scale = 10000 }
    min = 12
    max = 20
    each = ["town", "street"]
    deadline = "2024-06"
"#
        .to_string(),
        _ => r#"id = "childrens-homes"
    task = "t07"
    title = "城市社区儿童之家全覆盖"
    metric = "m07"
    min = 1
    each = "community"
    unit_kind = "urban"
    measure = "coverage"
    deadline = "2025"
"#
        .to_string(),
    };
    writeln!(w, "[[targets]]\n{}", text.replace("\n    ", "\n"))?;
    Ok(())
}

/// Taskwarrior's date form.
fn tw(d: NaiveDate) -> String {
    d.format("%Y%m%dT000000Z").to_string()
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// Status events for about half of the instances of one policy's tasks, and the same
/// instances as Taskwarrior tasks.
fn write_progress(
    out: &Path,
    p: usize,
    pol: &Policy,
    tasks: &[Task],
    tree: &Tree,
    tw_out: &mut Sink,
    counts: &mut Counts,
) -> Result<()> {
    let mut rng = Rng::new(mix(SEED ^ 0xe0e0 ^ (p as u64 + 1)));
    let horizon = NaiveDate::from_ymd_opt(HORIZON.0, HORIZON.1, HORIZON.2).unwrap();
    let issued = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let days = |from: NaiveDate, to: NaiveDate| (to - from).num_days().max(0);
    let occurrences = occurrences();
    let (districts, towns) = match pol.city {
        None => (0..tree.districts.len(), 0..tree.towns.len()),
        Some(c) => (tree.cities[c].districts.clone(), tree.towns_of_city(c)),
    };
    let mut w = counts.create(&out.join(format!("progress/events/{}.csv", pol.id)))?;
    writeln!(w, "policy,task,unit,date,status,note,evidence")?;
    let mut events = 0;
    for task in tasks {
        let units: Vec<(&str, &str, &str)> = if task.towns {
            tree.towns[towns.clone()]
                .iter()
                .map(|t| {
                    let level = if t.street { "street" } else { "town" };
                    (t.id.as_str(), t.name.as_str(), level)
                })
                .collect()
        } else {
            tree.districts[districts.clone()]
                .iter()
                .map(|d| (d.id.as_str(), d.name.as_str(), "district"))
                .collect()
        };
        for (uid, uname, level) in units {
            counts.instances += 1;
            let mut ev: Vec<(NaiveDate, &str, String, String)> = Vec::new();
            let reports = rng.chance(0.5);
            let mut due = None;
            let mut done = None;
            let mut started = None;
            match task.schedule {
                Schedule::Once(deadline) => {
                    due = Some(deadline);
                    if reports {
                        let r = rng.float();
                        let late_room = days(deadline, horizon);
                        if r < 0.45 || (r < 0.65 && late_room < 2) {
                            // Done on time (or early, for a deadline after the horizon).
                            let last = deadline.min(horizon);
                            let first = (last - Duration::days(150)).max(issued);
                            let d = first + Duration::days(rng.between(0, days(first, last)));
                            done = Some(d);
                        } else if r < 0.65 {
                            let d = deadline + Duration::days(rng.between(1, late_room.min(180)));
                            done = Some(d);
                        } else {
                            let last = deadline.min(horizon);
                            let d = issued + Duration::days(rng.between(0, days(issued, last)));
                            started = Some(d);
                        }
                        if let Some(d) = done
                            && rng.chance(0.5)
                        {
                            let s = issued + Duration::days(rng.between(0, days(issued, d)));
                            started = Some(s);
                        }
                    }
                }
                Schedule::Every => {
                    let past = occurrences.iter().filter(|&&o| o <= horizon).count();
                    let settled = if reports {
                        rng.between(1, past as i64) as usize
                    } else {
                        0
                    };
                    for &o in &occurrences[..settled] {
                        let d = if rng.chance(0.8) {
                            o - Duration::days(rng.between(0, 20))
                        } else {
                            (o + Duration::days(rng.between(1, 45))).min(horizon)
                        };
                        ev.push((
                            d,
                            "done",
                            format!("报送{}半年进展情况", o.format("%Y年%m月")),
                            format!("{uname}报送件(模拟)"),
                        ));
                    }
                    due = occurrences.get(settled).copied();
                }
                Schedule::Ongoing => {
                    if reports {
                        let d = issued + Duration::days(rng.between(0, days(issued, horizon)));
                        started = Some(d);
                    }
                }
            }
            if let Some(s) = started {
                ev.push((s, "in_progress", "正在推进".into(), String::new()));
            }
            if let Some(d) = done {
                ev.push((d, "done", "已完成".into(), format!("{uname}工作总结(模拟)")));
            }
            if !ev.is_empty() {
                counts.instances_with_events += 1;
            }
            for (date, status, note, evidence) in &ev {
                writeln!(
                    w,
                    "{},{},{uid},{},{status},{note},{evidence}",
                    pol.id,
                    task.id,
                    date.format("%Y-%m-%d")
                )?;
                events += 1;
            }

            // The same instance for Taskwarrior.
            let mut obj = serde_json::Map::new();
            obj.insert("uuid".into(), uuid(&mut rng).into());
            obj.insert(
                "description".into(),
                format!("{}/{} {}({uname})", pol.id, task.id, task.title).into(),
            );
            obj.insert("project".into(), pol.id.clone().into());
            obj.insert("entry".into(), "20220101T000000Z".into());
            if let Some(d) = due {
                obj.insert("due".into(), tw(d).into());
            }
            if let Some(d) = done {
                obj.insert("status".into(), "completed".into());
                obj.insert("end".into(), tw(d).into());
            } else {
                obj.insert("status".into(), "pending".into());
                if let Some(s) = started {
                    obj.insert("start".into(), tw(s).into());
                }
            }
            // A hyphen in a tag reads as a minus in a Taskwarrior filter (+c01-d003).
            let mut tags = vec![level.to_string(), uid.replace('-', "_")];
            match task.schedule {
                Schedule::Every => tags.push("recurring".into()),
                Schedule::Ongoing => tags.push("ongoing".into()),
                Schedule::Once(_) => {}
            }
            obj.insert("tags".into(), tags.into());
            serde_json::to_writer(&mut *tw_out, &obj)?;
            writeln!(tw_out)?;
            counts.tw_tasks += 1;
        }
    }
    counts.events += events;
    counts.close(w)
}

/// Every metric of every community, every month: one file per district per month.
fn write_observations(out: &Path, tree: &Tree, counts: &mut Counts) -> Result<()> {
    for k in 0..MONTHS {
        let (y, m) = (2022 + (k / 12) as i32, (k % 12) as u32 + 1);
        let date = month_end(y, m).format("%Y-%m-%d").to_string();
        let dir = out.join(format!("progress/obs/{y}-{m:02}"));
        for d in &tree.districts {
            let mut w = counts.create(&dir.join(format!("{}.csv", d.id)))?;
            w.write_all(b"metric,unit,date,value,source\n")?;
            for v in tree.communities_of_towns(d.towns.clone()) {
                let id = &tree.communities[v].id;
                for (mi, metric) in METRICS.iter().enumerate() {
                    let x = value(tree, v, mi, k);
                    writeln!(w, "{},{id},{date},{x},模拟月报", metric.id)?;
                    counts.observations += 1;
                }
            }
            counts.close(w)?;
        }
    }
    Ok(())
}

/// Makes `out` ready: created if missing; if it holds files, only a previous run's
/// output (with its marker) may be replaced.
fn prepare(out: &Path) -> Result<()> {
    if out.exists() {
        let mut entries =
            fs::read_dir(out).with_context(|| format!("reading {}", out.display()))?;
        if entries.next().is_some() {
            if !out.join(MARKER).exists() {
                bail!(
                    "{} is not empty and was not written by this generator; give an empty or new folder",
                    out.display()
                );
            }
            for part in ["policies", "progress", "bench", ".govtrack"] {
                let p = out.join(part);
                if p.exists() {
                    fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
                }
            }
        }
    }
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    fs::write(
        out.join(MARKER),
        "written by `cargo run --example generate`; a later run may replace this folder's contents\n",
    )?;
    Ok(())
}

fn generate(out: &Path, scale: f64) -> Result<Counts> {
    prepare(out)?;
    let mut counts = Counts::default();
    let mut rng = Rng::new(SEED);
    let tree = build_tree(scale, &mut rng);

    let mut w = counts.create(&out.join("govtrack.toml"))?;
    writeln!(
        w,
        "# 模拟工作区(示意数据),由 cargo run --example generate 生成\npolicies = [\"policies\"]\nprogress = \"progress\""
    )?;
    counts.close(w)?;
    write_units(out, &tree, &mut counts)?;
    write_metrics(out, &mut counts)?;

    let mut tw_out = counts.create(&out.join("bench/tasks.json"))?;
    for p in 0..POLICIES {
        let pol = policy(p, &tree);
        let tasks = write_policy(out, p, &pol, &tree, &mut counts)?;
        write_progress(out, p, &pol, &tasks, &tree, &mut tw_out, &mut counts)?;
    }
    counts.close(tw_out)?;
    write_observations(out, &tree, &mut counts)?;
    Ok(counts)
}

fn thousands(n: impl ToString) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

const USAGE: &str = "usage: cargo run --release --example generate -- --out DIR [--scale F]\n\n  --out DIR    the workspace folder to write (new, empty, or written by an earlier run)\n  --scale F    0 < F <= 1 (default 1): the share of Guangdong's districts, towns and communities";

fn args() -> Result<(PathBuf, f64)> {
    let mut out = None;
    let mut scale = 1.0;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(it.next().context("--out needs a folder")?)),
            "--scale" => {
                let v = it.next().context("--scale needs a number")?;
                scale = v
                    .parse::<f64>()
                    .ok()
                    .filter(|f| *f > 0.0 && *f <= 1.0)
                    .with_context(|| format!("--scale must be a number in (0, 1], not `{v}`"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    Ok((
        out.with_context(|| format!("--out is required\n{USAGE}"))?,
        scale,
    ))
}

fn main() -> ExitCode {
    let (out, scale) = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("generate: {e:#}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let c = match generate(&out, scale) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("generate: {e:#}");
            return ExitCode::from(2);
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let units: usize = c.units.values().sum();
    let levels: Vec<String> = [
        "province",
        "city",
        "district",
        "town",
        "street",
        "community",
        "department",
    ]
    .iter()
    .map(|l| format!("{} {l}", thousands(c.units.get(l).copied().unwrap_or(0))))
    .collect();
    println!("wrote {} at scale {scale} in {secs:.1} s", out.display());
    println!("units: {} ({})", thousands(units), levels.join(", "));
    println!(
        "policies: {} ({PROVINCIAL_POLICIES} provincial, {} of cities); tasks: {}; targets: {}",
        c.policies,
        c.policies - PROVINCIAL_POLICIES,
        thousands(c.tasks),
        c.targets
    );
    println!(
        "task instances: {} ({} with status events); status events: {}",
        thousands(c.instances),
        thousands(c.instances_with_events),
        thousands(c.events)
    );
    println!(
        "observation rows: {} (and {} census populations in units.toml)",
        thousands(c.observations),
        thousands(c.populations)
    );
    println!(
        "bench/tasks.json: {} Taskwarrior tasks",
        thousands(c.tw_tasks)
    );
    println!(
        "files: {}; bytes: {} ({:.1} MiB)",
        thousands(c.files),
        thousands(c.bytes),
        c.bytes as f64 / (1024.0 * 1024.0)
    );
    // What `govtrack load` on the fresh workspace should say, word for word.
    println!(
        "expected: index holds {} policies, {} tasks ({} instances), {} status events, {} observations",
        c.policies,
        c.tasks,
        c.instances,
        c.events,
        c.observations + c.populations
    );
    ExitCode::SUCCESS
}
