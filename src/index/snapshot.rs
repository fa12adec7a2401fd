//! Reading the index back as plain values for judging. Only progress at or before the
//! as-of date is read, so any past report can be reproduced.

use crate::judge::rollup::{History, Values};
use crate::model::{
    Bounds, Growth, Level, Measure, Metric, Observation, Progress, StatusEvent, Unit,
};
use crate::registry::Registry;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::Connection;
use std::collections::HashMap;

pub struct PolicyInfo {
    pub id: String,
    pub title: String,
    pub jurisdiction: String,
}

pub struct TaskInfo {
    pub policy: String,
    pub id: String,
    pub number: String,
    pub title: String,
    pub lead: Vec<String>,
    pub support: Vec<String>,
    pub recurring: bool,
}

pub struct InstanceInfo {
    pub policy: String,
    pub task: String,
    pub unit: String,
    /// Due dates in order; empty for an ongoing task.
    pub dues: Vec<NaiveDate>,
}

pub struct TargetInfo {
    pub policy: String,
    pub id: String,
    pub title: String,
    pub metric: String,
    pub per: Option<(String, f64)>,
    pub measure: Measure,
    pub growth: Growth,
    pub deadline: Option<NaiveDate>,
    pub baseline: Option<Observation>,
    pub bounds: Bounds,
    /// The units in scope with the bounds for their kind.
    pub units: Vec<(String, Bounds)>,
}

/// A stage of a policy's implementation (实施步骤), for the timeline.
pub struct PhaseInfo {
    pub policy: String,
    pub name: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

pub type EventKey = (String, String, String);

/// Everything the reports judge, as of one date.
pub struct Snapshot {
    pub as_of: NaiveDate,
    pub registry: Registry,
    pub policies: Vec<PolicyInfo>,
    pub phases: Vec<PhaseInfo>,
    pub tasks: Vec<TaskInfo>,
    pub instances: Vec<InstanceInfo>,
    pub events: HashMap<EventKey, Vec<StatusEvent>>,
    pub targets: Vec<TargetInfo>,
    /// The figures as they stood at `as_of`, for the metrics targets judge.
    pub now: Values,
    /// Where each target's trend starts, (policy, target) → date, and the figures as they
    /// stood on each such date.
    pub start_of: HashMap<(String, String), NaiveDate>,
    pub at_start: HashMap<NaiveDate, Values>,
}

/// A `YYYY-MM-DD` date as the index stores it; read per row, so without a format parser.
fn date(s: &str) -> rusqlite::Result<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let parsed = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| Some((num(0..4)?, num(5..7)?, num(8..10)?)))
        .flatten()
        .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y as i32, m, d));
    parsed.ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("not a date: {s}").into(),
        )
    })
}

/// The newest observation of each (metric, unit) of `metrics` at or before `at`: from the
/// `latest` table when `at` is past every observation (this month's report), else from the
/// observations themselves.
pub fn values(conn: &Connection, metrics: &[String], at: NaiveDate) -> Result<Values> {
    let newest: Option<String> =
        conn.query_row("SELECT max(date) FROM latest", [], |r| r.get(0))?;
    let current = newest.is_none_or(|d| d.as_str() <= at.to_string().as_str());
    // SQLite returns the row holding the maximum for bare columns next to max().
    let sql = if current {
        "SELECT metric, unit, date, value FROM latest WHERE metric = ?1"
    } else {
        "SELECT metric, unit, max(date), value FROM observations
         WHERE metric = ?1 AND date <= ?2 GROUP BY unit"
    };
    let mut stmt = conn.prepare(sql)?;
    let mut out = Values::new();
    for m in metrics {
        let rows = if current {
            stmt.query_map([m], obs_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        } else {
            stmt.query_map(rusqlite::params![m, at.to_string()], obs_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        out.extend(rows);
    }
    Ok(out)
}

fn obs_row(r: &rusqlite::Row) -> rusqlite::Result<((String, String), Observation)> {
    Ok((
        (r.get(0)?, r.get(1)?),
        Observation {
            date: date(&r.get::<_, String>(2)?)?,
            value: r.get(3)?,
        },
    ))
}

/// Every observation of `metrics` for `units` up to `at`, oldest first: the history one
/// chart needs.
pub fn history(
    conn: &Connection,
    metrics: &[&str],
    units: &std::collections::HashSet<String>,
    at: NaiveDate,
) -> Result<History> {
    let mut stmt = conn.prepare(
        "SELECT metric, unit, date, value FROM observations WHERE metric = ?1 AND date <= ?2
         ORDER BY unit, date",
    )?;
    let mut out = History::new();
    for m in metrics {
        for row in stmt.query_map(rusqlite::params![m, at.to_string()], obs_row)? {
            let (key, o) = row?;
            if units.contains(&key.1) {
                out.entry(key).or_default().push(o);
            }
        }
    }
    Ok(out)
}

pub fn registry(conn: &Connection) -> Result<Registry> {
    let mut stmt = conn.prepare("SELECT id, name, level, kind, parent FROM units ORDER BY ord")?;
    let units = stmt
        .query_map([], |r| {
            let level: String = r.get(2)?;
            Ok(Unit {
                id: r.get(0)?,
                name: r.get(1)?,
                level: Level::parse(&level).unwrap_or(Level::Department),
                kind: r.get(3)?,
                parent: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare("SELECT id, name, en, unit, rollup FROM metrics ORDER BY id")?;
    let metrics = stmt
        .query_map([], |r| {
            Ok(Metric {
                id: r.get(0)?,
                name: r.get(1)?,
                en: r.get(2)?,
                unit: r.get(3)?,
                rollup: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Registry::new(units, metrics))
}

/// Which parts of the index a report judges: `overdue` needs no targets, `gaps` no tasks.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    pub tasks: bool,
    pub targets: bool,
}

impl Need {
    pub const ALL: Need = Need {
        tasks: true,
        targets: true,
    };
}

type Tasks = (
    Vec<TaskInfo>,
    Vec<InstanceInfo>,
    HashMap<EventKey, Vec<StatusEvent>>,
);

type Targets = (
    Vec<TargetInfo>,
    Values,
    HashMap<(String, String), NaiveDate>,
    HashMap<NaiveDate, Values>,
);

pub fn load(conn: &Connection, as_of: NaiveDate, need: Need) -> Result<Snapshot> {
    let registry = registry(conn)?;
    let policies = conn
        .prepare("SELECT id, title, jurisdiction FROM policies ORDER BY ord")?
        .query_map([], |r| {
            Ok(PolicyInfo {
                id: r.get(0)?,
                title: r.get(1)?,
                jurisdiction: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;

    let phases = conn
        .prepare(
            "SELECT ph.policy, ph.name, ph.start, ph.end FROM phases ph
             JOIN policies p ON p.id = ph.policy ORDER BY p.ord, ph.ord",
        )?
        .query_map([], |r| {
            let start: Option<String> = r.get(2)?;
            let end: Option<String> = r.get(3)?;
            Ok(PhaseInfo {
                policy: r.get(0)?,
                name: r.get(1)?,
                start: start.as_deref().map(date).transpose()?,
                end: end.as_deref().map(date).transpose()?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;

    let (tasks, instances, events) = if need.tasks {
        load_tasks(conn, as_of)?
    } else {
        Default::default()
    };
    let (targets, now, start_of, at_start) = if need.targets {
        load_targets(conn, as_of)?
    } else {
        Default::default()
    };
    Ok::<_, anyhow::Error>(Snapshot {
        as_of,
        registry,
        policies,
        phases,
        tasks,
        instances,
        events,
        targets,
        now,
        start_of,
        at_start,
    })
    .context("cannot read the index")
}

fn load_tasks(conn: &Connection, as_of: NaiveDate) -> Result<Tasks> {
    let mut owners: HashMap<(String, String), (Vec<String>, Vec<String>)> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT policy, task, role, unit FROM owners ORDER BY policy, task, role, pos")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (p, t, role, u) = row?;
        let entry = owners.entry((p, t)).or_default();
        if role == "lead" {
            entry.0.push(u);
        } else {
            entry.1.push(u);
        }
    }
    let tasks = conn
        .prepare(
            "SELECT t.policy, t.id, t.number, t.title, t.recurring FROM tasks t
             JOIN policies p ON p.id = t.policy ORDER BY p.ord, t.ord",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?
        .map(|row| {
            row.map(|(policy, id, number, title, recurring)| {
                let (lead, support) = owners
                    .remove(&(policy.clone(), id.clone()))
                    .unwrap_or_default();
                TaskInfo {
                    policy,
                    id,
                    number,
                    title,
                    lead,
                    support,
                    recurring,
                }
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;

    let mut instances: Vec<InstanceInfo> = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT i.policy, i.task, i.unit, i.due FROM instances i
         JOIN policies p ON p.id = i.policy JOIN tasks t ON t.policy = i.policy AND t.id = i.task
         JOIN units u ON u.id = i.unit
         ORDER BY p.ord, t.ord, u.ord, i.due",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    for row in rows {
        let (policy, task, unit, due) = row?;
        let due = due.as_deref().map(date).transpose()?;
        match instances.last_mut() {
            Some(last) if last.policy == policy && last.task == task && last.unit == unit => {
                last.dues.extend(due);
            }
            _ => instances.push(InstanceInfo {
                policy,
                task,
                unit,
                dues: due.into_iter().collect(),
            }),
        }
    }

    let mut events: HashMap<EventKey, Vec<StatusEvent>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT e.policy, e.task, e.unit, e.date, e.status, e.note, e.evidence
         FROM events e JOIN files f ON f.id = e.file
         WHERE e.date <= ?1 ORDER BY e.date, f.path, e.line",
    )?;
    let rows = stmt.query_map([as_of.to_string()], |r| {
        let status: String = r.get(4)?;
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            StatusEvent {
                date: date(&r.get::<_, String>(3)?)?,
                status: Progress::parse(&status).unwrap_or(Progress::InProgress),
                note: r.get(5)?,
                evidence: r.get(6)?,
            },
        ))
    })?;
    for row in rows {
        let (key, ev) = row?;
        events.entry(key).or_default().push(ev);
    }

    Ok((tasks, instances, events))
}

fn load_targets(conn: &Connection, as_of: NaiveDate) -> Result<Targets> {
    let mut bounds_of: HashMap<(String, String), Vec<(String, Bounds)>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT tu.policy, tu.target, tu.unit, tu.min, tu.max FROM target_units tu
         JOIN units u ON u.id = tu.unit ORDER BY u.ord",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            (
                r.get(2)?,
                Bounds {
                    min: r.get(3)?,
                    max: r.get(4)?,
                },
            ),
        ))
    })?;
    for row in rows {
        let (key, ub) = row?;
        bounds_of.entry(key).or_default().push(ub);
    }
    let targets = conn
        .prepare(
            "SELECT t.policy, t.id, t.title, t.metric, t.per_metric, t.scale, t.measure,
                    t.deadline, t.min, t.max, t.growth, t.baseline_value, t.baseline_date
             FROM targets t JOIN policies p ON p.id = t.policy ORDER BY p.ord, t.ord",
        )?
        .query_map([], |r| {
            let policy: String = r.get(0)?;
            let id: String = r.get(1)?;
            let per_metric: Option<String> = r.get(4)?;
            let scale: Option<f64> = r.get(5)?;
            let measure: String = r.get(6)?;
            let deadline: Option<String> = r.get(7)?;
            let growth: String = r.get(10)?;
            let baseline_value: Option<f64> = r.get(11)?;
            let baseline_date: Option<String> = r.get(12)?;
            let baseline = match (baseline_value, baseline_date) {
                (Some(value), Some(d)) => Some(Observation {
                    date: date(&d)?,
                    value,
                }),
                _ => None,
            };
            Ok(TargetInfo {
                units: bounds_of
                    .remove(&(policy.clone(), id.clone()))
                    .unwrap_or_default(),
                policy,
                id,
                title: r.get(2)?,
                metric: r.get(3)?,
                per: per_metric.map(|m| (m, scale.unwrap_or(1.0))),
                measure: Measure::parse(&measure).unwrap_or(Measure::Each),
                growth: Growth::parse(&growth).unwrap_or(Growth::Linear),
                deadline: deadline.as_deref().map(date).transpose()?,
                baseline,
                bounds: Bounds {
                    min: r.get(8)?,
                    max: r.get(9)?,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;

    let metrics: Vec<String> = targets
        .iter()
        .flat_map(|t| std::iter::once(t.metric.clone()).chain(t.per.iter().map(|p| p.0.clone())))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let now = values(conn, &metrics, as_of)?;

    // A trend starts at the target's baseline, or else on the first day its metric was
    // observed; the figures of that day are read once per distinct date.
    let mut start_of = HashMap::new();
    let mut at_start: HashMap<NaiveDate, Values> = HashMap::new();
    let mut first =
        conn.prepare("SELECT min(date) FROM observations WHERE metric = ?1 AND date <= ?2")?;
    for t in &targets {
        // A baseline is itself the start: no figures to read.
        let start = match t.baseline {
            Some(_) if t.units.len() == 1 => None,
            _ => first
                .query_row(rusqlite::params![t.metric, as_of.to_string()], |r| {
                    r.get::<_, Option<String>>(0)
                })?
                .as_deref()
                .map(date)
                .transpose()?,
        };
        let Some(start) = start.filter(|d| *d < as_of) else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = at_start.entry(start) {
            e.insert(values(conn, &metrics, start)?);
        }
        start_of.insert((t.policy.clone(), t.id.clone()), start);
    }

    Ok((targets, now, start_of, at_start))
}
