//! The monthly digest: one page a leader reads, forwards and prints.
//!
//! It leads with the counts of red, yellow and green items and the worst units; then the
//! overdue tasks grouped by lead unit; what falls due within the window; target gaps with
//! the shortfall; and the recurring reports not received. Each section puts the most urgent
//! first. Pure: built from a snapshot; the renderers (Markdown, HTML, xlsx) only lay it out.

use super::{
    Filter, GapRow, TaskRow, UnitSummary, gap_rows, task_rows, trend_points, unit_summaries,
};
use crate::i18n::Lang;
use crate::index::snapshot::{self, Snapshot};
use crate::judge::rollup::History;
use crate::judge::target::TargetStatus;
use crate::judge::task::Light;
use crate::judge::trend::Pace;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

/// Overdue tasks of one lead unit (牵头单位).
#[derive(Debug, Clone, Serialize)]
pub struct LeadGroup {
    pub lead: String,
    pub tasks: Vec<TaskRow>,
}

/// A policy's phases (实施步骤) for the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub policy: String,
    pub title: String,
    pub phases: Vec<TimelinePhase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelinePhase {
    pub name: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// One target's attainment across the units it applies to, for a bar chart.
#[derive(Debug, Clone, Serialize)]
pub struct Attainment {
    pub policy: String,
    pub target: String,
    pub title: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// (unit, actual) for every unit with data, in registry order.
    pub bars: Vec<(String, f64)>,
}

/// A target's history for one unit with its projection to the deadline.
#[derive(Debug, Clone, Serialize)]
pub struct TrendChart {
    pub policy: String,
    pub target: String,
    pub title: String,
    pub unit: String,
    pub unit_id: String,
    /// Filled by [`chart_points`] from the history of that unit.
    pub points: Vec<(NaiveDate, f64)>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub projected: Option<f64>,
    pub reaches_on: Option<NaiveDate>,
    pub pace: Option<Pace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub as_of: NaiveDate,
    #[serde(skip)]
    pub lang: Lang,
    pub due_soon_days: i64,
    pub counts: Counts,
    /// Every unit, worst first.
    pub units: Vec<UnitSummary>,
    /// Lead units with overdue tasks, the lead with the longest-overdue task first.
    pub overdue: Vec<LeadGroup>,
    /// Due within the window, soonest first.
    pub due_soon: Vec<TaskRow>,
    /// Targets not met (missed first, then not yet met, then without data), largest gap first.
    pub gaps: Vec<GapRow>,
    /// Occurrences of recurring obligations not received, longest overdue first.
    pub recurring_missed: Vec<TaskRow>,
    pub timelines: Vec<Timeline>,
    pub attainment: Vec<Attainment>,
    pub trend: Option<TrendChart>,
}

/// Options of the digest beyond the snapshot.
pub struct DigestOptions {
    pub due_soon_days: i64,
    pub stale_after_months: u32,
    pub lang: Lang,
    /// The target whose trend is charted, as POLICY/TARGET; default: the unit furthest
    /// behind its pace.
    pub trend: Option<String>,
}

/// The digest with its trend chart's points drawn from the history of the chart's unit and
/// the units below it: the one part of the digest that reads history, and only that unit's.
pub fn digest_with_chart(
    conn: &rusqlite::Connection,
    s: &Snapshot,
    o: &DigestOptions,
) -> anyhow::Result<Digest> {
    let mut d = digest(s, o);
    if let Some(chart) = &mut d.trend
        && let Some(t) = s
            .targets
            .iter()
            .find(|t| t.policy == chart.policy && t.id == chart.target)
    {
        let mut units: HashSet<String> = s
            .registry
            .descendants(&chart.unit_id)
            .iter()
            .map(|u| u.id.clone())
            .collect();
        units.insert(chart.unit_id.clone());
        let metrics: Vec<&str> = std::iter::once(t.metric.as_str())
            .chain(t.per.as_ref().map(|p| p.0.as_str()))
            .collect();
        let history: History = snapshot::history(conn, &metrics, &units, s.as_of)?;
        chart.points = trend_points(s, &history, &chart.policy, &chart.target, &chart.unit_id);
    }
    Ok(d)
}

pub fn digest(s: &Snapshot, o: &DigestOptions) -> Digest {
    let all = Filter::default();
    let tasks = task_rows(s, &all, o.due_soon_days);
    let gaps = gap_rows(s, &all, o.stale_after_months, o.lang);
    let unit_gaps: Vec<&GapRow> = gaps.iter().filter(|g| !g.summary).collect();

    let mut counts = Counts::default();
    for light in tasks
        .iter()
        .map(|t| t.light)
        .chain(unit_gaps.iter().map(|g| g.light))
    {
        match light {
            Light::Red => counts.red += 1,
            Light::Yellow => counts.yellow += 1,
            Light::Green => counts.green += 1,
        }
    }

    let mut overdue: Vec<LeadGroup> = Vec::new();
    let mut red: Vec<&TaskRow> = tasks.iter().filter(|t| t.light == Light::Red).collect();
    red.sort_by_key(|t| std::cmp::Reverse(t.days_overdue));
    for t in red {
        let lead = t.lead.first().cloned().unwrap_or_default();
        match overdue.iter_mut().find(|g| g.lead == lead) {
            Some(g) => g.tasks.push(t.clone()),
            None => overdue.push(LeadGroup {
                lead,
                tasks: vec![t.clone()],
            }),
        }
    }

    let mut due_soon: Vec<TaskRow> = tasks
        .iter()
        .filter(|t| t.light == Light::Yellow)
        .cloned()
        .collect();
    due_soon.sort_by_key(|t| t.days_left);

    let mut open: Vec<GapRow> = gaps
        .iter()
        .filter(|g| g.status != TargetStatus::Met)
        .cloned()
        .collect();
    open.sort_by(|a, b| {
        let rank = |g: &GapRow| (!g.missed, g.status == TargetStatus::NoData, g.summary);
        rank(a).cmp(&rank(b)).then(
            b.gap
                .unwrap_or(0.0)
                .abs()
                .total_cmp(&a.gap.unwrap_or(0.0).abs()),
        )
    });

    let mut recurring_missed: Vec<TaskRow> = tasks
        .iter()
        .filter(|t| t.recurring && t.light == Light::Red)
        .cloned()
        .collect();
    recurring_missed.sort_by_key(|t| std::cmp::Reverse(t.days_overdue));

    let timelines = s
        .policies
        .iter()
        .filter_map(|p| {
            let phases: Vec<TimelinePhase> = s
                .phases
                .iter()
                .filter(|ph| ph.policy == p.id)
                .map(|ph| TimelinePhase {
                    name: ph.name.clone(),
                    start: ph.start,
                    end: ph.end,
                })
                .collect();
            (!phases.is_empty()).then(|| Timeline {
                policy: p.id.clone(),
                title: p.title.clone(),
                phases,
            })
        })
        .collect();

    let mut attainment: Vec<Attainment> = Vec::new();
    for g in unit_gaps.iter().filter(|g| g.measure == "each") {
        let Some(actual) = g.actual else { continue };
        match attainment
            .iter_mut()
            .find(|a| *a.policy == *g.policy && *a.target == *g.target)
        {
            Some(a) => a.bars.push((g.unit.clone(), actual)),
            None => attainment.push(Attainment {
                policy: g.policy.to_string(),
                target: g.target.to_string(),
                title: g.title.to_string(),
                min: g.min,
                max: g.max,
                bars: vec![(g.unit.clone(), actual)],
            }),
        }
    }
    // A chart of one bar says nothing a table does not.
    attainment.retain(|a| a.bars.len() > 1);

    let chosen = match &o.trend {
        Some(key) => unit_gaps
            .iter()
            .find(|g| format!("{}/{}", g.policy, g.target) == *key && g.trend.is_some()),
        None => unit_gaps
            .iter()
            .filter(|g| matches!(g.trend, Some(Pace::OffTrack | Pace::NeedsAcceleration)))
            .max_by(|a, b| {
                a.gap
                    .unwrap_or(0.0)
                    .abs()
                    .total_cmp(&b.gap.unwrap_or(0.0).abs())
            }),
    };
    let trend = chosen.map(|g| TrendChart {
        policy: g.policy.to_string(),
        target: g.target.to_string(),
        title: g.title.to_string(),
        unit: g.unit.clone(),
        unit_id: g.unit_id.clone(),
        points: Vec::new(),
        min: g.min,
        max: g.max,
        deadline: g.deadline.as_deref().and_then(|d| d.parse().ok()),
        projected: g.projected,
        reaches_on: g.reaches_on.as_deref().and_then(|d| d.parse().ok()),
        pace: g.trend,
    });

    Digest {
        as_of: s.as_of,
        lang: o.lang,
        due_soon_days: o.due_soon_days,
        counts,
        units: unit_summaries(&tasks, &gaps),
        overdue,
        due_soon,
        gaps: open,
        recurring_missed,
        timelines,
        attainment,
        trend,
    }
}
