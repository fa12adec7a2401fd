//! Reports as rows: task lights, overdue items, target gaps and per-unit summaries.
//!
//! Pure: a [`Snapshot`] and a [`Filter`] in, rows out. Rendering (table, JSON, CSV) is
//! separate, and so is reading the index.

pub mod digest;
mod gaps;

pub use gaps::{GapRow, gap_rows, trend_points};

use crate::index::snapshot::Snapshot;
use crate::judge::target::TargetStatus;
use crate::judge::task::{Light, State, judge_instance};
use crate::model::EACH_OWNER;
use serde::Serialize;
use std::collections::HashMap;

/// Which rows a report shows. Units are ids, already resolved.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub policy: Option<String>,
    /// A lead or supporting unit (牵头或配合).
    pub owner: Option<String>,
    /// A unit and everything below it.
    pub district: Option<String>,
}

/// One occurrence of one task instance.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub policy: String,
    pub task: String,
    pub number: String,
    pub title: String,
    pub unit: String,
    pub unit_id: String,
    pub lead: Vec<String>,
    pub support: Vec<String>,
    pub deadline: Option<String>,
    /// One occurrence of a recurring obligation (each half-year report).
    pub recurring: bool,
    pub light: Light,
    pub status: &'static str,
    pub days_overdue: Option<i64>,
    pub days_left: Option<i64>,
    pub done_on: Option<String>,
    pub days_late: Option<i64>,
    /// The latest status reported and its note.
    pub progress: Option<&'static str>,
    pub note: String,
}

/// A unit's picture in `status`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct UnitSummary {
    pub unit: String,
    pub unit_id: String,
    pub light: Option<Light>,
    pub tasks: usize,
    pub done: usize,
    pub done_late: usize,
    pub overdue: usize,
    pub due_soon: usize,
    pub on_schedule: usize,
    pub targets_met: usize,
    pub targets_unmet: usize,
    pub targets_no_data: usize,
}

fn names(s: &Snapshot, ids: &[String], instance_unit: &str) -> Vec<String> {
    ids.iter()
        .map(|id| {
            let id = if id == EACH_OWNER { instance_unit } else { id };
            s.registry.name(id).to_string()
        })
        .collect()
}

/// Every task occurrence that matters at the as-of date: all of a single task, and for a
/// recurring one those already due plus the next one.
pub fn task_rows(s: &Snapshot, f: &Filter, window_days: i64) -> Vec<TaskRow> {
    task_rows_where(s, f, window_days, |_| true)
}

/// The occurrences whose state `keep` accepts; rows are built only for those, which at a
/// province's scale is most of a report's work.
fn task_rows_where(
    s: &Snapshot,
    f: &Filter,
    window_days: i64,
    keep: impl Fn(State) -> bool,
) -> Vec<TaskRow> {
    let tasks: HashMap<(&str, &str), usize> = s
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.policy.as_str(), t.id.as_str()), i))
        .collect();
    let mut out = Vec::new();
    for inst in &s.instances {
        if f.policy.as_ref().is_some_and(|p| *p != inst.policy) {
            continue;
        }
        if f.district
            .as_ref()
            .is_some_and(|d| !s.registry.is_within(&inst.unit, d))
        {
            continue;
        }
        let Some(&ti) = tasks.get(&(inst.policy.as_str(), inst.task.as_str())) else {
            continue;
        };
        let task = &s.tasks[ti];
        if let Some(owner) = &f.owner {
            let owns = task
                .lead
                .iter()
                .chain(&task.support)
                .any(|o| o == owner || (o == EACH_OWNER && inst.unit == *owner));
            if !owns {
                continue;
            }
        }
        let key = (inst.policy.clone(), inst.task.clone(), inst.unit.clone());
        let events = s.events.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let latest = events.last();
        let occurrences = judge_instance(&inst.dues, task.recurring, events, s.as_of, window_days);
        let mut next_shown = false;
        for occ in occurrences {
            if task.recurring && occ.due.is_some_and(|d| d > s.as_of) {
                if next_shown {
                    continue;
                }
                next_shown = true;
            }
            if !keep(occ.state) {
                continue;
            }
            let (days_overdue, days_left, done_on, days_late) = match occ.state {
                State::Overdue { days } => (Some(days), None, None, None),
                State::DueSoon { days_left } | State::OnSchedule { days_left } => {
                    (None, Some(days_left), None, None)
                }
                State::Done { on, late_days } => {
                    (None, None, Some(on.to_string()), Some(late_days))
                }
                State::Ongoing => (None, None, None, None),
            };
            out.push(TaskRow {
                policy: inst.policy.clone(),
                task: inst.task.clone(),
                number: task.number.clone(),
                title: task.title.clone(),
                unit: s.registry.name(&inst.unit).to_string(),
                unit_id: inst.unit.clone(),
                lead: names(s, &task.lead, &inst.unit),
                support: names(s, &task.support, &inst.unit),
                deadline: occ.due.map(|d| d.to_string()),
                recurring: task.recurring,
                light: occ.state.light(),
                status: occ.state.as_str(),
                days_overdue,
                days_left,
                done_on,
                days_late,
                progress: latest.map(|e| e.status.as_str()),
                note: latest.map(|e| e.note.clone()).unwrap_or_default(),
            });
        }
    }
    out
}

/// The overdue occurrences, most days late first.
pub fn overdue_rows(s: &Snapshot, f: &Filter, window_days: i64) -> Vec<TaskRow> {
    let mut rows = task_rows_where(s, f, window_days, |st| st.light() == Light::Red);
    rows.sort_by_key(|r| std::cmp::Reverse(r.days_overdue));
    rows
}

/// One summary per unit that has task instances or targets, worst first.
pub fn unit_summaries(tasks: &[TaskRow], gaps: &[GapRow]) -> Vec<UnitSummary> {
    let mut out: Vec<UnitSummary> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut slot = |out: &mut Vec<UnitSummary>, id: &str, name: &str| -> usize {
        if let Some(&i) = at.get(id) {
            return i;
        }
        *at.entry(id.to_string()).or_insert_with(|| {
            out.push(UnitSummary {
                unit: name.to_string(),
                unit_id: id.to_string(),
                ..UnitSummary::default()
            });
            out.len() - 1
        })
    };
    for t in tasks {
        let u = slot(&mut out, &t.unit_id, &t.unit);
        let u = &mut out[u];
        u.tasks += 1;
        match t.status {
            "done" => u.done += 1,
            "done_late" => u.done_late += 1,
            "overdue" => u.overdue += 1,
            "due_soon" => u.due_soon += 1,
            _ => u.on_schedule += 1,
        }
        u.light = Some(u.light.map_or(t.light, |l| l.min(t.light)));
    }
    for g in gaps.iter().filter(|g| !g.summary) {
        let u = slot(&mut out, &g.unit_id, &g.unit);
        let u = &mut out[u];
        u.light = Some(u.light.map_or(g.light, |l| l.min(g.light)));
        match g.status {
            TargetStatus::Met => u.targets_met += 1,
            TargetStatus::Unmet => u.targets_unmet += 1,
            TargetStatus::NoData => u.targets_no_data += 1,
        }
    }
    out.sort_by_key(|u| {
        (
            u.light,
            std::cmp::Reverse(u.overdue),
            std::cmp::Reverse(u.targets_unmet),
            std::cmp::Reverse(u.due_soon),
        )
    });
    out
}

/// Whether anything needs attention: exit status 1.
pub fn has_findings(tasks: &[TaskRow], gaps: &[GapRow]) -> bool {
    tasks.iter().any(|t| t.light == Light::Red) || gaps.iter().any(|g| g.missed)
}
