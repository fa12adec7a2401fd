//! Reports as rows: task lights, overdue items, target gaps and per-unit summaries.
//!
//! Pure: a [`Snapshot`] and a [`Filter`] in, rows out. Rendering (table, JSON, CSV) is
//! separate, and so is reading the index.

pub mod digest;
mod gaps;

pub use gaps::{GapRow, gap_rows, trend_points};

use crate::index::snapshot::{InstanceInfo, Snapshot, TargetInfo, TaskInfo};
use crate::judge::target::TargetStatus;
use crate::judge::task::{Light, Occurrence, State, judge_instance};
use crate::model::EACH_OWNER;
pub use crate::model::Filter;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One occurrence of one task instance. What all occurrences of a task share is shared,
/// not copied: a province's `overdue` has tens of thousands of rows.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub policy: Arc<str>,
    pub task: Arc<str>,
    pub number: Arc<str>,
    pub title: Arc<str>,
    pub unit: Arc<str>,
    pub unit_id: Arc<str>,
    pub lead: Arc<[String]>,
    pub support: Arc<[String]>,
    pub deadline: Option<NaiveDate>,
    /// One occurrence of a recurring obligation (each half-year report).
    pub recurring: bool,
    pub light: Light,
    pub status: &'static str,
    pub days_overdue: Option<i64>,
    pub days_left: Option<i64>,
    pub done_on: Option<NaiveDate>,
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

/// The names of a task's lead and supporting units (牵头, 配合).
type Owners = (Arc<[String]>, Arc<[String]>);

fn names(s: &Snapshot, ids: &[String], instance_unit: &str) -> Arc<[String]> {
    ids.iter()
        .map(|id| {
            let id = if id == EACH_OWNER { instance_unit } else { id };
            s.registry.name(id).to_string()
        })
        .collect()
}

/// Every task occurrence that matters at the as-of date: all of a single task, and for a
/// recurring one those already due plus the next one. Each half of the instances is made
/// on its own thread.
pub fn task_rows(s: &Snapshot, f: &Filter, window_days: i64) -> Vec<TaskRow> {
    let rows_of = |instances: &[InstanceInfo]| task_rows_of(s, f, window_days, instances, |_| true);
    let (mut rows, second) = crate::halves::in_halves(&s.instances, rows_of);
    rows.extend(second.into_iter().flatten());
    rows
}

/// The rows of these instances' occurrences whose state `keep` accepts: rows are made only
/// for those, which at a province's scale is most of a report's work.
fn task_rows_of(
    s: &Snapshot,
    f: &Filter,
    window_days: i64,
    instances: &[InstanceInfo],
    keep: impl Fn(State) -> bool,
) -> Vec<TaskRow> {
    let mut out = Vec::new();
    // The lead and supporting units' names of a task, the same for all its instances
    // unless the instance's own unit leads (牵头: 各区).
    let mut owners: HashMap<usize, Owners> = HashMap::new();
    // A unit's name and id, shared by its rows.
    let mut units: HashMap<&str, (Arc<str>, Arc<str>)> = HashMap::new();
    for_each_occurrence(s, f, window_days, instances, |inst, task, occ| {
        if !keep(occ.state) {
            return;
        }
        let (days_overdue, days_left, done_on, days_late) = match occ.state {
            State::Overdue { days } => (Some(days), None, None, None),
            State::DueSoon { days_left } | State::OnSchedule { days_left } => {
                (None, Some(days_left), None, None)
            }
            State::Done { on, late_days } => (None, None, Some(on), Some(late_days)),
            State::Ongoing => (None, None, None, None),
        };
        let latest = inst.events.last();
        let each = |ids: &[String]| ids.iter().any(|o| o == EACH_OWNER);
        let (lead, support) = if each(&task.lead) || each(&task.support) {
            (
                names(s, &task.lead, &inst.unit),
                names(s, &task.support, &inst.unit),
            )
        } else {
            owners
                .entry(inst.task)
                .or_insert_with(|| {
                    (
                        names(s, &task.lead, &inst.unit),
                        names(s, &task.support, &inst.unit),
                    )
                })
                .clone()
        };
        let (unit, unit_id) = units
            .entry(&inst.unit)
            .or_insert_with(|| {
                (
                    s.registry.name(&inst.unit).into(),
                    inst.unit.as_str().into(),
                )
            })
            .clone();
        out.push(TaskRow {
            policy: task.policy.clone(),
            task: task.id.clone(),
            number: task.number.clone(),
            title: task.title.clone(),
            unit,
            unit_id,
            lead,
            support,
            deadline: occ.due,
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
    });
    out
}

/// Calls `visit` with every occurrence of `instances` that matters at the as-of date, in
/// report order: all of a single task, and for a recurring one those already due plus the
/// next one.
fn for_each_occurrence<'a>(
    s: &'a Snapshot,
    f: &Filter,
    window_days: i64,
    instances: &'a [InstanceInfo],
    mut visit: impl FnMut(&'a InstanceInfo, &'a TaskInfo, &Occurrence),
) {
    let within: Option<HashSet<&str>> = f.district.as_ref().map(|d| s.registry.subtree(d));
    for inst in instances {
        let task = &s.tasks[inst.task];
        if f.policy.as_ref().is_some_and(|p| **p != *task.policy) {
            continue;
        }
        if within
            .as_ref()
            .is_some_and(|w| !w.contains(inst.unit.as_str()))
        {
            continue;
        }
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
        let occurrences = judge_instance(
            &inst.dues,
            task.recurring,
            &inst.events,
            s.as_of,
            window_days,
        );
        let mut next_shown = false;
        for occ in &occurrences {
            if task.recurring && occ.due.is_some_and(|d| d > s.as_of) {
                if next_shown {
                    continue;
                }
                next_shown = true;
            }
            visit(inst, task, occ);
        }
    }
}

/// The overdue occurrences, made and sorted in two halves, each on its own thread. A
/// province's rows are too many to move about again: [`Overdue::rows`] merges the halves
/// by reference.
pub struct Overdue {
    first: Vec<TaskRow>,
    second: Vec<TaskRow>,
}

impl Overdue {
    /// The rows, most days late first and, on a tie, in the order of their instances.
    pub fn rows(&self) -> Vec<&TaskRow> {
        merged(&self.first, &self.second, most_late)
    }
}

fn most_late(r: &TaskRow) -> std::cmp::Reverse<Option<i64>> {
    std::cmp::Reverse(r.days_overdue)
}

pub fn overdue_rows(s: &Snapshot, f: &Filter, window_days: i64) -> Overdue {
    let sorted = |instances: &[InstanceInfo]| {
        let mut rows = task_rows_of(s, f, window_days, instances, |st| st.light() == Light::Red);
        rows.sort_by_key(most_late);
        rows
    };
    let (first, second) = crate::halves::in_halves(&s.instances, sorted);
    Overdue {
        first,
        second: second.unwrap_or_default(),
    }
}

/// Two lists sorted by `key` as one, an item of `first` before an equal one of `second`,
/// as a stable sort of the two together would place them.
fn merged<'a, T, K: Ord>(first: &'a [T], second: &'a [T], key: impl Fn(&T) -> K) -> Vec<&'a T> {
    let mut out = Vec::with_capacity(first.len() + second.len());
    let mut second = second.iter().peekable();
    for item in first {
        while let Some(earlier) = second.next_if(|other| key(other) < key(item)) {
            out.push(earlier);
        }
        out.push(item);
    }
    out.extend(second);
    out
}

/// The counts of each unit, in the order the units are first met.
#[derive(Default)]
struct Tally {
    out: Vec<UnitSummary>,
    at: foldhash::HashMap<String, usize>,
}

impl Tally {
    fn unit(&mut self, id: &str, name: impl FnOnce() -> String) -> &mut UnitSummary {
        let at = match self.at.get(id) {
            Some(&at) => at,
            None => {
                self.out.push(UnitSummary {
                    unit: name(),
                    unit_id: id.to_string(),
                    ..UnitSummary::default()
                });
                self.at.insert(id.to_string(), self.out.len() - 1);
                self.out.len() - 1
            }
        };
        &mut self.out[at]
    }

    fn task(&mut self, id: &str, name: impl FnOnce() -> String, status: &str, light: Light) {
        let u = self.unit(id, name);
        u.tasks += 1;
        match status {
            "done" => u.done += 1,
            "done_late" => u.done_late += 1,
            "overdue" => u.overdue += 1,
            "due_soon" => u.due_soon += 1,
            _ => u.on_schedule += 1,
        }
        u.light = Some(u.light.map_or(light, |l| l.min(light)));
    }

    fn target(
        &mut self,
        id: &str,
        name: impl FnOnce() -> String,
        status: TargetStatus,
        light: Light,
    ) {
        let u = self.unit(id, name);
        u.light = Some(u.light.map_or(light, |l| l.min(light)));
        match status {
            TargetStatus::Met => u.targets_met += 1,
            TargetStatus::Unmet => u.targets_unmet += 1,
            TargetStatus::NoData => u.targets_no_data += 1,
        }
    }

    /// Adds the counts of `later`, a tally of what comes after this one's.
    fn then(mut self, later: Tally) -> Tally {
        for v in later.out {
            let Some(&at) = self.at.get(&v.unit_id) else {
                self.at.insert(v.unit_id.clone(), self.out.len());
                self.out.push(v);
                continue;
            };
            let u = &mut self.out[at];
            u.light = match (u.light, v.light) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            u.tasks += v.tasks;
            u.done += v.done;
            u.done_late += v.done_late;
            u.overdue += v.overdue;
            u.due_soon += v.due_soon;
            u.on_schedule += v.on_schedule;
            u.targets_met += v.targets_met;
            u.targets_unmet += v.targets_unmet;
            u.targets_no_data += v.targets_no_data;
        }
        self
    }

    /// Worst first: by light, then most overdue, most targets unmet, most due soon.
    fn worst_first(mut self) -> Vec<UnitSummary> {
        self.out.sort_by_key(|u| {
            (
                u.light,
                std::cmp::Reverse(u.overdue),
                std::cmp::Reverse(u.targets_unmet),
                std::cmp::Reverse(u.due_soon),
            )
        });
        self.out
    }
}

/// One summary per unit that has task instances or targets, worst first, from rows
/// already made.
pub fn unit_summaries(tasks: &[TaskRow], gaps: &[GapRow]) -> Vec<UnitSummary> {
    let mut tally = Tally::default();
    for t in tasks {
        tally.task(&t.unit_id, || t.unit.to_string(), t.status, t.light);
    }
    for g in gaps.iter().filter(|g| !g.summary) {
        tally.target(&g.unit_id, || g.unit.clone(), g.status, g.light);
    }
    tally.worst_first()
}

/// The same summaries judged straight from the snapshot: the rows of every task and
/// target, with their words, are most of the work of a province's `status`, and a summary
/// needs none of them.
pub fn summaries(s: &Snapshot, f: &Filter, window_days: i64) -> Vec<UnitSummary> {
    let mut tally = Tally::default();
    let name = |id: &str| s.registry.name(id).to_string();
    for_each_occurrence(s, f, window_days, &s.instances, |inst, _, occ| {
        let state = occ.state;
        tally.task(
            &inst.unit,
            || name(&inst.unit),
            state.as_str(),
            state.light(),
        );
    });
    let count = |tally: &mut Tally, targets: &[TargetInfo]| {
        gaps::standings(s, f, targets, |unit, status, light| {
            tally.target(unit, || name(unit), status, light);
        });
    };
    let tally_of = |targets: &[TargetInfo]| {
        let mut tally = Tally::default();
        count(&mut tally, targets);
        tally
    };
    // A province's targets are counted in two parts at once, the second into a tally of
    // its own that follows the first's.
    let at = gaps::halfway(&s.targets).unwrap_or(s.targets.len());
    let (first, second) = s.targets.split_at(at);
    let later = std::thread::scope(|scope| {
        let later = crate::halves::start(scope, || tally_of(second));
        count(&mut tally, first);
        match later {
            Some(later) => crate::halves::finish(later),
            None => tally_of(second),
        }
    });
    tally.then(later).worst_first()
}

/// Whether anything needs attention: exit status 1.
pub fn has_findings(tasks: &[TaskRow], gaps: &[GapRow]) -> bool {
    tasks.iter().any(|t| t.light == Light::Red) || gaps.iter().any(|g| g.missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Level, Progress, StatusEvent, Unit};
    use crate::registry::Registry;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A province-sized list of instances: 5,000 of 3 tasks in 50 districts, due on many
    /// days, some done, some with notes.
    fn many() -> Snapshot {
        let units: Vec<Unit> = (0..50)
            .map(|i| Unit {
                id: format!("d{i}"),
                name: format!("{i}区"),
                level: Level::District,
                kind: None,
                parent: None,
            })
            .collect();
        let tasks = (0..3)
            .map(|t| TaskInfo {
                policy: "p".into(),
                id: format!("t{t}").into(),
                number: t.to_string().into(),
                title: format!("任务{t}").into(),
                lead: vec![EACH_OWNER.to_string()],
                support: vec!["d0".to_string()],
                recurring: t == 2,
            })
            .collect();
        let instances = (0..5_000u32)
            .map(|i| InstanceInfo {
                task: (i % 3) as usize,
                unit: format!("d{}", i % 50),
                dues: vec![day(2024, 1, 1) + chrono::Days::new(u64::from(i % 300))],
                events: (i % 4 == 0)
                    .then(|| StatusEvent {
                        date: day(2024, 3, 1),
                        status: if i % 8 == 0 {
                            Progress::Done
                        } else {
                            Progress::InProgress
                        },
                        note: format!("第{i}条"),
                        evidence: String::new(),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        let mut s = Snapshot::new(
            day(2024, 6, 30),
            Registry::new(units, vec![]),
            vec![],
            vec![],
        );
        s.tasks = tasks;
        s.instances = instances;
        s
    }

    #[test]
    fn rows_made_in_halves_are_the_rows_made_whole() {
        let s = many();
        let f = Filter::default();
        let whole = task_rows_of(&s, &f, 14, &s.instances, |_| true);
        assert!(whole.len() >= 5_000);
        let json = |rows: &[TaskRow]| serde_json::to_value(rows).unwrap();
        assert_eq!(json(&task_rows(&s, &f, 14)), json(&whole));

        let mut late = task_rows_of(&s, &f, 14, &s.instances, |st| st.light() == Light::Red);
        late.sort_by_key(|r| std::cmp::Reverse(r.days_overdue));
        assert!(late.len() > 1_000);
        let overdue = overdue_rows(&s, &f, 14);
        assert_eq!(serde_json::to_value(overdue.rows()).unwrap(), json(&late));
    }
}
