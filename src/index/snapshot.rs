//! Reading the index back as plain values for judging. Only progress at or before the
//! as-of date is read, so any past report can be reproduced.

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
    /// Every observation of each (metric, unit) at or before `as_of`, oldest first.
    pub history: HashMap<(String, String), Vec<Observation>>,
}

fn date(s: &str) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
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

pub fn load(conn: &Connection, as_of: NaiveDate) -> Result<Snapshot> {
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

    // Only the metrics targets judge are read: the rest of the history is not needed.
    let mut history: HashMap<(String, String), Vec<Observation>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT o.metric, o.unit, o.date, o.value FROM observations o
         WHERE o.date <= ?1 AND o.metric IN (
             SELECT metric FROM targets UNION SELECT per_metric FROM targets)
         ORDER BY o.metric, o.unit, o.date, o.file, o.line",
    )?;
    let rows = stmt.query_map([as_of.to_string()], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            Observation {
                date: date(&r.get::<_, String>(2)?)?,
                value: r.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (key, obs): ((String, String), Observation) = row?;
        let series = history.entry(key).or_default();
        // Two observations of one day: the one read last (later file, later line) stands.
        match series.last_mut() {
            Some(last) if last.date == obs.date => *last = obs,
            _ => series.push(obs),
        }
    }

    Ok::<_, anyhow::Error>(Snapshot {
        as_of,
        registry,
        policies,
        phases,
        tasks,
        instances,
        events,
        targets,
        history,
    })
    .context("cannot read the index")
}
