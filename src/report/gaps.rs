//! Target gaps: every target judged for every unit it applies to — where it stands, what
//! exactly is missing, and whether the current pace meets the deadline.

use super::Filter;
use crate::i18n::Lang;
use crate::index::snapshot::{Snapshot, TargetInfo};
use crate::judge::rollup::{Figure, History, Values, figure, values_at};
use crate::judge::target::{Judgement, TargetStatus, judge_ratio, judge_value};
use crate::judge::task::Light;
use crate::judge::trend::{Pace, trend};
use crate::model::{Bounds, Measure};
use chrono::{Months, NaiveDate};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;

/// One target judged for one unit, or for a whole scope (totals, coverage, and the summary
/// of a target that applies to each of many units).
#[derive(Debug, Clone, Serialize)]
pub struct GapRow {
    /// Shared by the rows of one target: a province's `gaps` has 236,000 rows.
    pub policy: Arc<str>,
    pub target: Arc<str>,
    pub title: Arc<str>,
    pub unit: String,
    pub unit_id: String,
    pub metric: Arc<str>,
    pub measure: &'static str,
    /// A roll-up of the rows of this target for the units in view.
    pub summary: bool,
    pub actual: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// In the numerator's unit: positive = that many more needed, negative = too many.
    /// For a summary or coverage: the total shortfall, or the units short.
    pub gap: Option<f64>,
    pub gap_text: String,
    pub status: TargetStatus,
    /// Red: missed; yellow: not met yet, or no data; green: met.
    pub light: Light,
    pub deadline: Option<Arc<str>>,
    /// Unmet and the deadline has passed (or the target is a standing norm).
    pub missed: bool,
    /// The oldest observation the reported figure (the numerator) rests on.
    pub data_date: Option<String>,
    /// The data is older than the workspace's `stale_after_months`.
    pub stale: bool,
    /// Some unit below did not report: a sum is a lower bound, so it is never "met".
    pub partial: bool,
    /// For sums: the units directly below that reported, "4 of 6".
    pub reported: Option<String>,
    /// For summaries and coverage: units short of the bound, of how many.
    pub units_short: Option<usize>,
    pub units_total: Option<usize>,
    pub trend: Option<Pace>,
    /// The value at the deadline at the current pace.
    pub projected: Option<f64>,
    /// When the current pace reaches the bound.
    pub reaches_on: Option<String>,
}

/// Rounds away float noise (7.700000000000003) for JSON and CSV, and turns -0 into 0.
fn tidy(v: f64) -> f64 {
    (v * 1e6).round() / 1e6 + 0.0
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        // Every digit, however large; never "-0".
        format!("{:.0}", v.round() + 0.0)
    } else {
        format!("{v:.2}")
    }
}

/// What the metric is called in `lang`, and its unit of count for Chinese phrases (名, 个).
fn noun(s: &Snapshot, t: &TargetInfo, lang: Lang) -> (String, String) {
    match s.registry.metric(&t.metric) {
        Some(m) => match lang {
            Lang::En => (m.en.clone(), String::new()),
            Lang::Zh => (m.name.clone(), m.unit.clone()),
        },
        None => (t.metric.clone(), String::new()),
    }
}

/// The phrase a person acts on: "needs 37 more community workers", 需增加37名社区工作者.
fn gap_phrase(s: &Snapshot, t: &TargetInfo, bounds: Bounds, j: &Judgement, lang: Lang) -> String {
    let percent = s.registry.metric(&t.metric).is_some_and(|m| m.unit == "%") && t.per.is_none();
    let (noun, unit) = noun(s, t, lang);
    let zh = lang == Lang::Zh;
    // "At most 0 villages lacking X": what is over is what remains to be done.
    let none_allowed = t.per.is_none() && bounds.max == Some(0.0);
    match (j.status, j.gap) {
        (TargetStatus::NoData, _) => lang.pick("no data", "无数据").to_string(),
        (_, Some(g)) if percent && g > 0.0 && zh => format!("差{}个百分点", fmt_num(g)),
        (_, Some(g)) if percent && g > 0.0 => format!("{} percentage points short", fmt_num(g)),
        (_, Some(g)) if percent && g < 0.0 && zh => format!("超出{}个百分点", fmt_num(-g)),
        (_, Some(g)) if percent && g < 0.0 => format!("{} percentage points over", fmt_num(-g)),
        (_, Some(g)) if g > 0.0 && zh => format!("需增加{}{unit}{noun}", fmt_num(g)),
        (_, Some(g)) if g > 0.0 => format!("needs {} more {noun}", fmt_num(g)),
        (_, Some(g)) if g < 0.0 && none_allowed && zh => {
            format!("尚有{}{unit}{noun}", fmt_num(-g))
        }
        (_, Some(g)) if g < 0.0 && none_allowed => format!("{} {noun} remain", fmt_num(-g)),
        (_, Some(g)) if g < 0.0 && zh => format!("超出上限{}{unit}{noun}", fmt_num(-g)),
        (_, Some(g)) if g < 0.0 => format!("{} {noun} over the maximum", fmt_num(-g)),
        _ => String::new(),
    }
}

/// The units missing a coverage target: the first ten by name, then how many more, so a
/// province's thousands of villages do not fill one cell.
fn names(units: &[String], lang: Lang) -> String {
    const SHOWN: usize = 10;
    let mut text = units
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("、");
    if units.len() > SHOWN {
        text += &match lang {
            Lang::En => format!(" and {} more", units.len() - SHOWN),
            Lang::Zh => format!("等{}个", units.len()),
        };
    }
    text
}

/// "(4 of 6 units reported)", (已报4/6个单位).
fn reported_note(lang: Lang, k: usize, n: usize) -> String {
    match lang {
        Lang::En => format!(" ({k} of {n} units reported)"),
        Lang::Zh => format!("(已报{k}/{n}个单位)"),
    }
}

/// A target judged for one unit from the figures of one date, rolled up the tree.
struct Reading {
    j: Judgement,
    oldest: Option<NaiveDate>,
    /// The date the figure describes: its newest observation.
    newest: Option<NaiveDate>,
    partial: bool,
    reported: Option<(usize, usize)>,
}

fn rolls_up(s: &Snapshot, metric: &str) -> bool {
    s.registry.metric(metric).is_some_and(|m| m.rollup)
}

/// `place`: the unit's place in the registry, found once for all the readings of a unit.
fn read(
    s: &Snapshot,
    t: &TargetInfo,
    place: Option<usize>,
    bounds: Bounds,
    values: &Values,
) -> Reading {
    let fig = |metric: &str| {
        place.and_then(|p| figure(&s.registry, values, metric, rolls_up(s, metric), p))
    };
    let num = fig(&t.metric);
    let den = t.per.as_ref().map(|(m, _)| fig(m));
    let j = match (&t.per, den) {
        (Some((_, scale)), Some(den)) => {
            judge_ratio(bounds, *scale, num.map(|f| f.value), den.map(|f| f.value))
        }
        _ => judge_value(bounds, num.map(|f| f.value)),
    };
    let figures: Vec<Figure> = num.into_iter().chain(den.flatten()).collect();
    let partial = figures.iter().any(|f| f.partial);
    let mut j = j;
    if partial && j.status == TargetStatus::Met {
        j.status = TargetStatus::NoData;
    }
    Reading {
        j,
        // Freshness is that of the reported figure; a population comes from a census.
        oldest: num.map(|f| f.oldest),
        newest: num.map(|f| f.newest),
        partial,
        reported: num
            .filter(|f| f.expected > 0)
            .map(|f| (f.reported, f.expected)),
    }
}

/// A target's actual value for one unit at each date its figure changed, from the history
/// of the metrics below it, leaving out sums to which not every unit had reported: the
/// points of a trend chart.
pub fn trend_points(
    s: &Snapshot,
    history: &History,
    policy: &str,
    target: &str,
    unit: &str,
) -> Vec<(NaiveDate, f64)> {
    let Some((t, bounds)) = s
        .targets
        .iter()
        .find(|t| t.policy == policy && t.id == target)
        .and_then(|t| {
            t.units
                .iter()
                .find(|(p, _)| s.registry.units()[*p].id == unit)
                .map(|(_, b)| (t, *b))
        })
    else {
        return Vec::new();
    };
    let mut dates: Vec<NaiveDate> = history
        .iter()
        .filter(|((m, _), _)| *m == t.metric)
        .flat_map(|(_, series)| series.iter().map(|o| o.date))
        .filter(|d| *d <= s.as_of)
        .collect();
    dates.sort();
    dates.dedup();
    let place = s.registry.place(unit);
    dates
        .into_iter()
        .filter_map(|d| {
            let r = read(s, t, place, bounds, &values_at(&s.registry, history, d));
            r.j.actual.filter(|_| !r.partial).map(|a| (d, a))
        })
        .collect()
}

/// The trend of one unit's actual value towards the bound it misses: from the baseline, or
/// the figures on the first day the metric was observed, to the figures now.
fn pace(
    s: &Snapshot,
    t: &TargetInfo,
    place: Option<usize>,
    bounds: Bounds,
    now: &Reading,
) -> Option<crate::judge::trend::Trend> {
    let actual = now.j.actual.filter(|_| !now.partial)?;
    let goal = match (bounds.min, bounds.max) {
        (Some(min), _) if actual < min => min,
        (_, Some(max)) if actual > max => max,
        (Some(min), _) => min,
        (_, Some(max)) => max,
        _ => return None,
    };
    let now_point = (now.newest?, actual);
    let start = match t.baseline {
        Some(b) => (b.date, b.value),
        None => {
            let day = s.start_of.get(&(t.policy.clone(), t.id.clone()))?;
            let r = read(s, t, place, bounds, s.at_start.get(day)?);
            (r.newest?, r.j.actual.filter(|_| !r.partial)?)
        }
    };
    trend(
        start,
        now_point,
        goal,
        t.deadline,
        t.growth,
        now.j.status == TargetStatus::Met,
    )
}

/// What judging one target yields for the units in view, before any words: the rows of
/// `gaps` are phrased from these, and the lights of `status` counted from them.
enum Verdict<'a> {
    /// A target on each of its units: one unit's reading.
    Unit {
        unit: &'a str,
        place: Option<usize>,
        bounds: Bounds,
        reading: Reading,
    },
    /// Every unit in view of a target on each of its units has been read.
    UnitsDone,
    /// A total, judged once for the unit whose scope it sums.
    Total {
        unit: &'a str,
        j: Judgement,
        partial: bool,
        reported: usize,
        oldest: Option<NaiveDate>,
    },
    /// A coverage, judged once for the jurisdiction: the units that fall short.
    Coverage {
        unit: &'a str,
        j: Judgement,
        short: Vec<&'a str>,
    },
}

/// Red: missed (unmet and the deadline has passed); yellow: not met yet, or no data;
/// green: met.
fn light(status: TargetStatus, overdue: bool) -> Light {
    match status {
        TargetStatus::Met => Light::Green,
        TargetStatus::Unmet if overdue => Light::Red,
        _ => Light::Yellow,
    }
}

/// Whether a target's deadline has passed; a standing norm (no deadline) always applies.
fn past_deadline(s: &Snapshot, t: &TargetInfo) -> bool {
    t.deadline.is_none_or(|d| d < s.as_of)
}

/// The policy's jurisdiction: the scope of its totals and coverage.
fn jurisdiction<'a>(s: &'a Snapshot, t: &TargetInfo) -> &'a str {
    s.policies
        .iter()
        .find(|p| p.id == t.policy)
        .map_or("", |p| p.jurisdiction.as_str())
}

/// Judges `targets` for the filter's view, in report order: for a target on each of its
/// units, one [`Verdict::Unit`] per unit in view and then [`Verdict::UnitsDone`]; totals and
/// coverage once per scope.
fn judge_targets<'a>(
    s: &'a Snapshot,
    f: &Filter,
    targets: &'a [TargetInfo],
    mut visit: impl FnMut(&'a TargetInfo, Verdict<'a>),
) {
    let within: Option<HashSet<&str>> = f.district.as_ref().map(|d| s.registry.subtree(d));
    let in_view = |unit: &str| {
        within.as_ref().is_none_or(|w| w.contains(unit))
            && f.owner.as_ref().is_none_or(|o| o == unit)
    };
    let id = |place: usize| s.registry.units()[place].id.as_str();
    for t in targets {
        if f.policy.as_ref().is_some_and(|p| *p != t.policy) {
            continue;
        }
        let jurisdiction = jurisdiction(s, t);
        match t.measure {
            Measure::Each => {
                for &(place, bounds) in t.units.iter().filter(|(p, _)| in_view(id(*p))) {
                    let reading = read(s, t, Some(place), bounds, &s.now);
                    visit(
                        t,
                        Verdict::Unit {
                            unit: id(place),
                            place: Some(place),
                            bounds,
                            reading,
                        },
                    );
                }
                visit(t, Verdict::UnitsDone);
            }
            Measure::Total => {
                let unit = match t.units.as_slice() {
                    [(only, _)] => id(*only),
                    _ => jurisdiction,
                };
                if !in_view(unit) {
                    continue;
                }
                let readings: Vec<Reading> = t
                    .units
                    .iter()
                    .map(|&(place, bounds)| read(s, t, Some(place), bounds, &s.now))
                    .collect();
                let reported = readings.iter().filter(|r| r.j.actual.is_some()).count();
                let values: Vec<f64> = readings.iter().filter_map(|r| r.j.actual).collect();
                // A total needs every unit's figure; the ones given are a lower bound.
                let num = (!values.is_empty()).then(|| values.iter().sum());
                let mut j = judge_value(t.bounds, num);
                let partial = reported < t.units.len() || readings.iter().any(|r| r.partial);
                if partial && j.status == TargetStatus::Met {
                    j.status = TargetStatus::NoData;
                }
                let oldest = readings.iter().filter_map(|r| r.oldest).min();
                visit(
                    t,
                    Verdict::Total {
                        unit,
                        j,
                        partial,
                        reported,
                        oldest,
                    },
                );
            }
            Measure::Coverage => {
                if !in_view(jurisdiction) {
                    continue;
                }
                let mut short = Vec::new();
                let mut no_data = 0;
                for &(place, bounds) in &t.units {
                    let r = read(s, t, Some(place), bounds, &s.now);
                    if r.j.status != TargetStatus::Met {
                        no_data += usize::from(r.j.status == TargetStatus::NoData);
                        short.push(id(place));
                    }
                }
                let n = t.units.len();
                let j = if no_data == n {
                    Judgement {
                        actual: None,
                        status: TargetStatus::NoData,
                        gap: None,
                    }
                } else {
                    Judgement {
                        actual: Some((n - short.len()) as f64 / n as f64 * 100.0),
                        status: if short.is_empty() {
                            TargetStatus::Met
                        } else {
                            TargetStatus::Unmet
                        },
                        gap: Some(short.len() as f64),
                    }
                };
                visit(
                    t,
                    Verdict::Coverage {
                        unit: jurisdiction,
                        j,
                        short,
                    },
                );
            }
        }
    }
}

/// Where each of `targets` stands for each unit in view, in the order of the rows of
/// [`gap_rows`] that are not summaries: the unit's id, the status and the light, without
/// the words and trends that make most of a row's cost.
pub fn standings(
    s: &Snapshot,
    f: &Filter,
    targets: &[TargetInfo],
    mut visit: impl FnMut(&str, TargetStatus, Light),
) {
    judge_targets(s, f, targets, |t, v| {
        let overdue = past_deadline(s, t);
        match v {
            Verdict::Unit { unit, reading, .. } => {
                visit(unit, reading.j.status, light(reading.j.status, overdue));
            }
            Verdict::UnitsDone => {}
            Verdict::Total { unit, j, .. } | Verdict::Coverage { unit, j, .. } => {
                visit(unit, j.status, light(j.status, overdue));
            }
        }
    });
}

struct Row<'a> {
    s: &'a Snapshot,
    t: &'a TargetInfo,
    lang: Lang,
    overdue: bool,
    stale_before: NaiveDate,
    /// The target's policy, id, title, metric and deadline, shared by its rows.
    policy: Arc<str>,
    target: Arc<str>,
    title: Arc<str>,
    metric: Arc<str>,
    deadline: Option<Arc<str>>,
}

impl<'a> Row<'a> {
    fn new(s: &'a Snapshot, t: &'a TargetInfo, lang: Lang, stale_before: NaiveDate) -> Row<'a> {
        Row {
            s,
            t,
            lang,
            overdue: past_deadline(s, t),
            stale_before,
            policy: t.policy.as_str().into(),
            target: t.id.as_str().into(),
            title: t.title.as_str().into(),
            metric: t.metric.as_str().into(),
            deadline: t.deadline.map(|d| d.to_string().into()),
        }
    }

    fn make(&self, unit: &str, bounds: Bounds, j: Judgement, gap_text: String) -> GapRow {
        let (s, t) = (self.s, self.t);
        GapRow {
            policy: self.policy.clone(),
            target: self.target.clone(),
            title: self.title.clone(),
            unit: s.registry.name(unit).to_string(),
            unit_id: unit.to_string(),
            metric: self.metric.clone(),
            measure: t.measure.as_str(),
            summary: false,
            actual: j.actual.map(tidy),
            min: bounds.min,
            max: bounds.max,
            gap: j.gap.map(tidy),
            gap_text,
            status: j.status,
            light: light(j.status, self.overdue),
            deadline: self.deadline.clone(),
            missed: j.status == TargetStatus::Unmet && self.overdue,
            data_date: None,
            stale: false,
            partial: false,
            reported: None,
            units_short: None,
            units_total: None,
            trend: None,
            projected: None,
            reaches_on: None,
        }
    }

    /// The row of one unit, with freshness, completeness and trend.
    fn unit(&self, unit: &str, place: Option<usize>, bounds: Bounds, r: &Reading) -> GapRow {
        let lang = self.lang;
        let mut text = gap_phrase(self.s, self.t, bounds, &r.j, lang);
        if let Some((k, n)) = r.reported.filter(|_| r.partial) {
            text += &reported_note(lang, k, n);
        }
        let stale = r.oldest.is_some_and(|d| d < self.stale_before);
        if stale {
            let date = r.oldest.map(|d| d.to_string()).unwrap_or_default();
            text += &match lang {
                Lang::En => format!(" (data from {date})"),
                Lang::Zh => format!("(数据日期{date})"),
            };
        }
        let trend = pace(self.s, self.t, place, bounds, r);
        let mut row = self.make(unit, bounds, r.j, text.trim().to_string());
        row.data_date = r.oldest.map(|d| d.to_string());
        row.stale = stale;
        row.partial = r.partial;
        row.reported = r.reported.map(|(k, n)| format!("{k} of {n}"));
        row.trend = trend.and_then(|t| t.pace);
        row.projected = trend.and_then(|t| t.projected).map(tidy);
        row.reaches_on = trend.and_then(|t| t.reaches_on).map(|d| d.to_string());
        row
    }
}

/// Every target judged per unit in scope, with a summary row for a target that applies to
/// each of several units; totals and coverage are judged once per scope.
pub fn gap_rows(s: &Snapshot, f: &Filter, stale_after_months: u32, lang: Lang) -> Vec<GapRow> {
    let stale_before = s
        .as_of
        .checked_sub_months(Months::new(stale_after_months))
        .unwrap_or(s.as_of);
    let rows_of = |targets: &[TargetInfo]| gap_rows_of(s, f, targets, stale_before, lang);
    let Some(at) = halfway(&s.targets) else {
        return rows_of(&s.targets);
    };
    let (mut rows, second) = crate::halves::in_two(&s.targets, at, rows_of);
    rows.extend(second);
    rows
}

/// Where targets split into two parts of about as many units each, to be judged at once:
/// a province's targets are a few, with tens of thousands of units between them. `None`
/// when they have too few units to be worth it.
pub fn halfway(targets: &[TargetInfo]) -> Option<usize> {
    let units: Vec<usize> = targets.iter().map(|t| t.units.len()).collect();
    let total: usize = units.iter().sum();
    if total < crate::halves::MANY {
        return None;
    }
    let mut before = 0;
    let at = units.iter().position(|n| {
        before += n;
        before * 2 >= total
    });
    Some(at.map_or(units.len(), |i| i + 1))
}

/// The rows of these targets.
fn gap_rows_of(
    s: &Snapshot,
    f: &Filter,
    targets: &[TargetInfo],
    stale_before: NaiveDate,
    lang: Lang,
) -> Vec<GapRow> {
    let mut out = Vec::new();
    // The rows of the target being judged, and how it phrases them.
    let mut current: Option<Row> = None;
    let mut units: Vec<GapRow> = Vec::new();
    judge_targets(s, f, targets, |t, v| {
        if current.as_ref().is_none_or(|r| !std::ptr::eq(r.t, t)) {
            current = Some(Row::new(s, t, lang, stale_before));
        }
        let Some(rows) = &current else { return };
        match v {
            Verdict::Unit {
                unit,
                place,
                bounds,
                reading,
            } => units.push(rows.unit(unit, place, bounds, &reading)),
            Verdict::UnitsDone => {
                let summary = (t.units.len() > 1 && units.len() > 1).then(|| {
                    let label = f.district.as_deref().unwrap_or(jurisdiction(s, t));
                    summarize(s, t, rows, label, &units)
                });
                out.append(&mut units);
                out.extend(summary);
            }
            Verdict::Total {
                unit,
                j,
                partial,
                reported,
                oldest,
            } => {
                let mut text = gap_phrase(s, t, t.bounds, &j, lang);
                if partial && j.actual.is_some() {
                    text += &reported_note(lang, reported, t.units.len());
                }
                let mut row = rows.make(unit, t.bounds, j, text);
                row.partial = partial;
                row.reported = Some(format!("{reported} of {}", t.units.len()));
                row.data_date = oldest.map(|d| d.to_string());
                out.push(row);
            }
            Verdict::Coverage { unit, j, short } => {
                let n = t.units.len();
                let short: Vec<String> = short
                    .iter()
                    .map(|u| s.registry.name(u).to_string())
                    .collect();
                let text = match (j.status, lang) {
                    (TargetStatus::NoData, _) => lang.pick("no data", "无数据").to_string(),
                    (TargetStatus::Met, _) => String::new(),
                    (TargetStatus::Unmet, Lang::En) => {
                        format!(
                            "{} of {n} units fall short: {}",
                            short.len(),
                            names(&short, lang)
                        )
                    }
                    (TargetStatus::Unmet, Lang::Zh) => {
                        format!("{}/{n}个单位未达标:{}", short.len(), names(&short, lang))
                    }
                };
                let bounds = Bounds {
                    min: Some(100.0),
                    max: None,
                };
                let mut row = rows.make(unit, bounds, j, text);
                row.units_short = Some(short.len());
                row.units_total = Some(n);
                out.push(row);
            }
        }
    });
    out
}

/// How many of the units fall short and by how much in total: "3 of 12 units fall short;
/// needs 12 more community social organisations in total".
fn summarize(s: &Snapshot, t: &TargetInfo, rows: &Row, label: &str, units: &[GapRow]) -> GapRow {
    let n = units.len();
    let short: Vec<&GapRow> = units
        .iter()
        .filter(|r| r.status == TargetStatus::Unmet)
        .collect();
    let no_data = units
        .iter()
        .filter(|r| r.status == TargetStatus::NoData)
        .count();
    // Folded from +0.0: an empty f64 sum is -0.0.
    let gaps = short.iter().filter_map(|r| r.gap);
    let need = gaps.clone().filter(|g| *g > 0.0).fold(0.0, |a, g| a + g);
    let excess = gaps.filter(|g| *g < 0.0).fold(0.0, |a, g| a - g);
    let status = if !short.is_empty() {
        TargetStatus::Unmet
    } else if no_data > 0 {
        TargetStatus::NoData
    } else {
        TargetStatus::Met
    };
    let (noun, unit) = noun(s, t, rows.lang);
    let counted = t.per.is_some() || s.registry.metric(&t.metric).is_some_and(|m| m.unit != "%");
    let mut parts = Vec::new();
    match rows.lang {
        Lang::En => {
            parts.push(format!("{} of {n} units fall short", short.len()));
            if counted && need > 0.0 {
                parts.push(format!("needs {} more {noun} in total", fmt_num(need)));
            }
            if counted && excess > 0.0 {
                parts.push(format!("{} {noun} over in total", fmt_num(excess)));
            }
            if no_data > 0 {
                parts.push(format!("{no_data} without data"));
            }
        }
        Lang::Zh => {
            parts.push(format!("{}/{n}个单位未达标", short.len()));
            if counted && need > 0.0 {
                parts.push(format!("合计需增加{}{unit}{noun}", fmt_num(need)));
            }
            if counted && excess > 0.0 {
                parts.push(format!("合计超出{}{unit}{noun}", fmt_num(excess)));
            }
            if no_data > 0 {
                parts.push(format!("{no_data}个无数据"));
            }
        }
    }
    let j = Judgement {
        actual: None,
        status,
        gap: Some(if need > 0.0 { need } else { -excess }),
    };
    let mut row = rows.make(label, t.bounds, j, parts.join(rows.lang.pick("; ", ";")));
    row.summary = true;
    row.units_short = Some(short.len());
    row.units_total = Some(n);
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::snapshot::PolicyInfo;
    use crate::model::{Growth, Level, Metric, Observation, Unit};
    use crate::registry::Registry;

    /// A city of 3,000 communities and five targets on each of them, one a total and one a
    /// coverage; most communities reported, some too few.
    fn many() -> Snapshot {
        let day = |m| NaiveDate::from_ymd_opt(2024, m, 30).unwrap();
        let mut units = vec![Unit {
            id: "city".into(),
            name: "市".into(),
            level: Level::City,
            kind: None,
            parent: None,
        }];
        units.extend((0..3_000).map(|i| Unit {
            id: format!("c{i}"),
            name: format!("{i}社区"),
            level: Level::Community,
            kind: None,
            parent: Some("city".into()),
        }));
        let metric = Metric {
            id: "orgs".into(),
            name: "社会组织".into(),
            en: "organisations".into(),
            unit: "个".into(),
            rollup: true,
        };
        let registry = Registry::new(units, vec![metric]);
        let mut now = Values::new();
        for (place, slot) in now.metric_mut(&registry, "orgs").iter_mut().enumerate() {
            *slot = (place % 11 != 0).then(|| Observation {
                date: day(if place % 5 == 0 { 1 } else { 6 }),
                value: (place % 9) as f64,
            });
        }
        let bounds = Bounds {
            min: Some(5.0),
            max: None,
        };
        // The communities' places in the registry, after the city's.
        let communities: Vec<(usize, Bounds)> = (1..=3_000).map(|p| (p, bounds)).collect();
        let targets = [
            Measure::Each,
            Measure::Each,
            Measure::Total,
            Measure::Coverage,
            Measure::Each,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, measure)| TargetInfo {
            policy: "p".into(),
            id: format!("t{i}"),
            title: format!("目标{i}"),
            metric: "orgs".into(),
            per: None,
            measure,
            growth: Growth::Linear,
            deadline: Some(day(3)),
            baseline: None,
            bounds: Bounds {
                min: Some(5.0 * 3_000.0),
                max: None,
            },
            units: communities[i * 100..].to_vec(),
        })
        .collect();
        let policy = PolicyInfo {
            id: "p".into(),
            title: "政策".into(),
            jurisdiction: "city".into(),
        };
        let mut s = Snapshot::new(day(6), registry, vec![policy], vec![]);
        s.targets = targets;
        s.now = now;
        s
    }

    #[test]
    fn summaries_counted_in_two_parts_are_those_of_the_rows() {
        let s = many();
        let f = Filter::default();
        assert!(halfway(&s.targets).is_some_and(|at| at < s.targets.len()));
        let expected = crate::report::unit_summaries(&[], &gap_rows(&s, &f, 3, Lang::Zh));
        assert_eq!(
            serde_json::to_value(crate::report::summaries(&s, &f, 14)).unwrap(),
            serde_json::to_value(expected).unwrap()
        );
    }

    #[test]
    fn rows_judged_in_two_parts_are_the_rows_judged_whole() {
        let s = many();
        let f = Filter::default();
        let stale_before = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let whole = gap_rows_of(&s, &f, &s.targets, stale_before, Lang::Zh);
        assert!(whole.len() > 8_000);
        let json = |rows: &[GapRow]| serde_json::to_value(rows).unwrap();
        assert_eq!(json(&gap_rows(&s, &f, 3, Lang::Zh)), json(&whole));
    }

    #[test]
    fn a_long_list_of_units_shows_ten_and_a_count() {
        let units: Vec<String> = (1..=12).map(|i| format!("村{i}")).collect();
        assert_eq!(
            names(&units, Lang::En),
            "村1、村2、村3、村4、村5、村6、村7、村8、村9、村10 and 2 more"
        );
        assert!(names(&units, Lang::Zh).ends_with("村10等12个"));
        assert_eq!(names(&units[..2], Lang::En), "村1、村2");
    }
}
