//! Reading the index back as plain values for judging. Only progress at or before the
//! as-of date is read, so any past report can be reproduced.

use crate::halves::{finish, start};
use crate::judge::rollup::{History, Values};
use crate::model::{
    Bounds, Filter, Growth, Level, Measure, Metric, Observation, Progress, StatusEvent, Unit,
};
use crate::registry::Registry;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::sync::Arc;

pub struct PolicyInfo {
    pub id: String,
    pub title: String,
    pub jurisdiction: String,
}

pub struct TaskInfo {
    pub policy: Arc<str>,
    pub id: Arc<str>,
    pub number: Arc<str>,
    pub title: Arc<str>,
    pub lead: Vec<String>,
    pub support: Vec<String>,
    pub recurring: bool,
}

pub struct InstanceInfo {
    /// The task's place in [`Snapshot::tasks`].
    pub task: usize,
    pub unit: String,
    /// Due dates in order; empty for an ongoing task.
    pub dues: Vec<NaiveDate>,
    /// Its status events up to the as-of date that judge it, by date and then by where
    /// they were written: all of a recurring task's, and of a single task's at least the
    /// newest, which alone decides it.
    pub events: Vec<StatusEvent>,
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
    /// Only for a target on one unit: a baseline is one figure.
    pub baseline: Option<Observation>,
    pub bounds: Bounds,
    /// The units in scope, by their place in the snapshot's registry, with the bounds for
    /// their kind, in registry order; for a report of one district only those within it.
    pub units: Vec<(usize, Bounds)>,
}

/// A stage of a policy's implementation (实施步骤), for the timeline.
pub struct PhaseInfo {
    pub policy: String,
    pub name: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// Everything the reports judge, as of one date.
pub struct Snapshot {
    pub as_of: NaiveDate,
    pub registry: Registry,
    pub policies: Vec<PolicyInfo>,
    pub phases: Vec<PhaseInfo>,
    pub tasks: Vec<TaskInfo>,
    pub instances: Vec<InstanceInfo>,
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
/// `latest` table when `at` is past every observation of the metric (this month's report),
/// from `earliest` when `at` is the first day the metric was observed (where a trend
/// starts), else from the observations themselves. With `roots`, only for those units and
/// the units below them.
pub fn values(
    conn: &Connection,
    registry: &Registry,
    metrics: &[String],
    at: NaiveDate,
    roots: Option<&[String]>,
) -> Result<Values> {
    let within = if roots.is_some() {
        "AND unit IN scope"
    } else {
        ""
    };
    let with = if roots.is_some() { SUBTREES } else { "" };
    // Two probes of the index on (metric, date).
    let mut ends = conn.prepare(
        "SELECT (SELECT min(date) FROM observations WHERE metric = ?1),
                (SELECT max(date) FROM observations WHERE metric = ?1)",
    )?;
    let mut current = conn.prepare(&format!(
        "{with} SELECT unit, date, value FROM latest WHERE metric = :metric {within}"
    ))?;
    let mut first = conn.prepare(&format!(
        "{with} SELECT unit, date, value FROM earliest WHERE metric = :metric AND date <= :at {within}"
    ))?;
    // Each unit's newest date up to `at` from the index on (metric, unit, date) alone, then
    // the figure written last on that date, as `latest` keeps it.
    let mut past = conn.prepare(&format!(
        "{with} SELECT k.unit, k.date,
                (SELECT o.value FROM observations o JOIN files f ON f.id = o.file
                 WHERE o.metric = :metric AND o.unit = k.unit AND o.date = k.date
                 ORDER BY f.path DESC, o.line DESC LIMIT 1)
         FROM (SELECT unit, max(date) AS date FROM observations
               WHERE metric = :metric AND date <= :at {within} GROUP BY unit) k"
    ))?;
    let roots = roots.map(serde_json::to_string).transpose()?;
    let at = at.to_string();
    let mut out = Values::new();
    for m in metrics {
        let (oldest, newest): (Option<String>, Option<String>) =
            ends.query_row([m], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":metric", m)];
        let (stmt, dated) = match (&oldest, &newest) {
            (Some(oldest), _) if *oldest > at => continue,
            (_, newest) if newest.as_ref().is_none_or(|d| *d <= at) => (&mut current, false),
            (Some(oldest), _) if *oldest == at => (&mut first, true),
            _ => (&mut past, true),
        };
        if dated {
            params.push((":at", &at));
        }
        if let Some(roots) = &roots {
            params.push((":roots", roots));
        }
        let figures = out.metric_mut(registry, m);
        let mut rows = stmt.query(params.as_slice())?;
        while let Some(r) = rows.next()? {
            // A unit no longer defined has no place; its figures are not judged.
            let Some(slot) = registry
                .place(r.get_ref(0)?.as_str()?)
                .and_then(|place| figures.get_mut(place))
            else {
                continue;
            };
            *slot = Some(Observation {
                date: date(r.get_ref(1)?.as_str()?)?,
                value: r.get(2)?,
            });
        }
    }
    Ok(out)
}

/// The units of `:roots` (a JSON array of ids) and every unit below them, as `scope`.
const SUBTREES: &str = "WITH RECURSIVE scope(id) AS (
    SELECT value FROM json_each(:roots) UNION SELECT u.id FROM units u JOIN scope ON u.parent = scope.id)";

fn obs_row(r: &rusqlite::Row) -> rusqlite::Result<((String, String), Observation)> {
    Ok((
        (r.get(0)?, r.get(1)?),
        Observation {
            date: date(&r.get::<_, String>(2)?)?,
            value: r.get(3)?,
        },
    ))
}

/// Every observation of `metrics` for `units` up to `at`, oldest first and, on one day, in
/// the order written: the history one chart needs.
pub fn history(
    conn: &Connection,
    metrics: &[&str],
    units: &std::collections::HashSet<String>,
    at: NaiveDate,
) -> Result<History> {
    let mut stmt = conn.prepare(
        "SELECT o.metric, o.unit, o.date, o.value FROM observations o JOIN files f ON f.id = o.file
         WHERE o.metric = ?1 AND o.unit IN (SELECT value FROM json_each(?2)) AND o.date <= ?3
         ORDER BY o.unit, o.date, f.path, o.line",
    )?;
    let units = serde_json::to_string(units)?;
    let mut out = History::new();
    for m in metrics {
        for row in stmt.query_map(rusqlite::params![m, units, at.to_string()], obs_row)? {
            let (key, o) = row?;
            out.entry(key).or_default().push(o);
        }
    }
    Ok(out)
}

pub fn registry(conn: &Connection) -> Result<Registry> {
    registry_of(
        conn,
        "SELECT id, name, level, kind, parent FROM units ORDER BY ord",
        &[],
    )
}

/// The units a report of `district` names: those within it, those above it, and the lead
/// and supporting units of tasks; not the rest of the province, which reading the units in
/// their order would pass over (`CROSS JOIN` keeps SQLite from that plan).
fn registry_within(conn: &Connection, district: &str) -> Result<Registry> {
    registry_of(
        conn,
        "WITH RECURSIVE
             down(id) AS (SELECT :district UNION SELECT u.id FROM units u JOIN down ON u.parent = down.id),
             up(id) AS (SELECT :district UNION SELECT u.parent FROM units u JOIN up ON u.id = up.id
                        WHERE u.parent IS NOT NULL),
             named(id) AS (SELECT id FROM down UNION SELECT id FROM up UNION SELECT unit FROM owners)
         SELECT u.id, u.name, u.level, u.kind, u.parent FROM named CROSS JOIN units u
         ON u.id = named.id ORDER BY u.ord",
        &[(":district", &district)],
    )
}

/// The registry of the units `sql` selects (id, name, level, kind, parent), in order.
fn registry_of(
    conn: &Connection,
    sql: &str,
    params: &[(&str, &dyn rusqlite::ToSql)],
) -> Result<Registry> {
    let mut stmt = conn.prepare(sql)?;
    let units = stmt
        .query_map(params, |r| {
            Ok(Unit {
                id: r.get(0)?,
                name: r.get(1)?,
                level: Level::parse(r.get_ref(2)?.as_str()?).unwrap_or(Level::Department),
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

/// Which task instances a report judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskNeed {
    None,
    /// Only instances with a due date before the as-of date: all `overdue` can show.
    Overdue,
    All,
}

/// Which parts of the index a report judges: `overdue` needs no targets, `gaps` no tasks,
/// and the summary of every unit no trends.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    pub tasks: TaskNeed,
    pub targets: bool,
    /// Where each target's trend starts: the figures of one more date.
    pub trends: bool,
}

impl Need {
    pub const ALL: Need = Need {
        tasks: TaskNeed::All,
        targets: true,
        trends: true,
    };
    pub const OVERDUE: Need = Need {
        tasks: TaskNeed::Overdue,
        targets: false,
        trends: false,
    };
    pub const TARGETS: Need = Need {
        tasks: TaskNeed::None,
        targets: true,
        trends: true,
    };
    pub const SUMMARY: Need = Need {
        tasks: TaskNeed::All,
        targets: true,
        trends: false,
    };
}

/// The registry, the policies and their phases: enough to resolve a report's filter
/// before [`Snapshot::read`] reads what the report judges.
pub fn open(conn: &Connection, as_of: NaiveDate) -> Result<Snapshot> {
    open_with(conn, as_of, registry(conn)?)
}

/// Like [`open`] for a report of `district` (a unit id), with only the units it names.
pub fn open_within(conn: &Connection, as_of: NaiveDate, district: &str) -> Result<Snapshot> {
    open_with(conn, as_of, registry_within(conn, district)?)
}

/// Like [`open`] for a report with these needs, of `district` when given: with only the
/// units a district names, and for a report of tasks alone (`overdue`) only the units the
/// tasks name, since its rows show no others.
pub fn open_for(
    conn: &Connection,
    as_of: NaiveDate,
    need: Need,
    district: Option<&str>,
) -> Result<Snapshot> {
    match district {
        Some(d) => open_within(conn, as_of, d),
        None if !need.targets => open_with(conn, as_of, registry_of_tasks(conn)?),
        None => open(conn, as_of),
    }
}

/// The units task instances are assigned to and the lead and supporting units of tasks.
/// The instances' units are found one seek of the index on `instances(unit)` each, not by
/// reading 100,000 instances.
fn registry_of_tasks(conn: &Connection) -> Result<Registry> {
    registry_of(
        conn,
        "WITH RECURSIVE assigned(unit) AS (
             SELECT min(unit) FROM instances
             UNION ALL
             SELECT (SELECT min(unit) FROM instances WHERE unit > assigned.unit)
             FROM assigned WHERE assigned.unit IS NOT NULL)
         SELECT u.id, u.name, u.level, u.kind, u.parent FROM units u
         WHERE u.id IN (SELECT unit FROM assigned) OR u.id IN (SELECT unit FROM owners)
         ORDER BY u.ord",
        &[],
    )
}

/// The id of the unit `reference` names, by id or else by a name no other unit has; `None`
/// when it names no unit or several.
pub fn unit_id(conn: &Connection, reference: &str) -> Result<Option<String>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM units WHERE id = ?1
         UNION ALL SELECT id FROM units WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM units WHERE id = ?1)
         LIMIT 2",
    )?;
    let ids = stmt
        .query_map([reference], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(match <[String; 1]>::try_from(ids) {
        Ok([id]) => Some(id),
        Err(_) => None,
    })
}

fn open_with(conn: &Connection, as_of: NaiveDate, registry: Registry) -> Result<Snapshot> {
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
    Ok(Snapshot::new(as_of, registry, policies, phases))
}

/// Everything as of `as_of`, for the whole workspace.
pub fn load(conn: &Connection, as_of: NaiveDate, need: Need) -> Result<Snapshot> {
    let mut s = open(conn, as_of).context("cannot read the index")?;
    s.read(conn, need, &Filter::default())?;
    Ok(s)
}

impl Snapshot {
    /// A snapshot of these units, policies and phases, before anything else is read.
    pub fn new(
        as_of: NaiveDate,
        registry: Registry,
        policies: Vec<PolicyInfo>,
        phases: Vec<PhaseInfo>,
    ) -> Snapshot {
        Snapshot {
            as_of,
            registry,
            policies,
            phases,
            tasks: Vec::new(),
            instances: Vec::new(),
            targets: Vec::new(),
            now: Values::new(),
            start_of: HashMap::new(),
            at_start: HashMap::new(),
        }
    }

    /// Reads what a report judges, only for the policy and the district `f` names: a
    /// district's report reads its own subtree, not the province.
    pub fn read(&mut self, conn: &Connection, need: Need, f: &Filter) -> Result<()> {
        self.read_beside(conn, || Ok(None), need, f)
    }

    /// Like [`Snapshot::read`], sharing the reading with a second connection to the same
    /// index, from `beside`, in a thread of its own: the targets beside the tasks, which
    /// take about as long at a province's scale; for a report of tasks alone the later
    /// half of the instances, and the events, beside the first half; for one of targets
    /// alone the figures beside the targets.
    /// The second connection is used only when it sees the index as `conn` does (the same
    /// [`generation`]). On any error there, or where no thread can be started, its part is
    /// read on `conn`, where a real problem shows as it would have.
    pub fn read_beside(
        &mut self,
        conn: &Connection,
        beside: impl FnOnce() -> Result<Option<Connection>> + Send,
        need: Need,
        f: &Filter,
    ) -> Result<()> {
        let as_of = self.as_of;
        let tasks = need.tasks != TaskNeed::None;
        let registry = &self.registry;
        let read = || -> Result<(Option<TasksRead>, Option<Targets>)> {
            // A district's parts are small: a second connection would cost more than it saves.
            if f.district.is_some() || !(tasks || need.targets) {
                let tasks_read = tasks
                    .then(|| read_tasks(conn, as_of, need.tasks, f, None, || None))
                    .transpose()?;
                let targets = need
                    .targets
                    .then(|| read_targets(conn, registry, as_of, f, need.trends, |_| None))
                    .transpose()?;
                return Ok((tasks_read, targets));
            }
            let seen = generation(conn)?;
            let scope = Scope::new(f, as_of);
            let second = |read: &(dyn Fn(&Connection) -> Result<Beside> + Sync)| {
                on_second(beside, &seen, read)
            };
            if !need.targets {
                // The instances in two halves, the later with the events on the second
                // connection.
                let split = middle_id(conn)?;
                let tasks_read = std::thread::scope(|threads| {
                    let later = split.and_then(|at| {
                        start(threads, move || {
                            second(&|tx| {
                                let scan =
                                    scan_instances(tx, as_of, need.tasks, &scope, Ids::After(at))?;
                                Ok(Beside::Tasks(scan, read_events(tx, &scope)?))
                            })
                        })
                    });
                    read_tasks(conn, as_of, need.tasks, f, split, || {
                        match later.map(finish) {
                            Some(Some(Beside::Tasks(scan, events))) => Some((scan, events)),
                            _ => None,
                        }
                    })
                })?;
                return Ok((Some(tasks_read), None));
            }
            if !tasks {
                let targets = std::thread::scope(|threads| {
                    let figures = start(threads, || {
                        second(&|tx| {
                            let metrics = metrics_judged(tx, f)?;
                            let now = values(tx, registry, &metrics, as_of, None)?;
                            Ok(Beside::Figures(metrics, now))
                        })
                    });
                    let figures = |metrics: &[String]| match figures.map(finish) {
                        Some(Some(Beside::Figures(m, now))) if m == metrics => Some(now),
                        _ => None,
                    };
                    read_targets(conn, registry, as_of, f, need.trends, figures)
                })?;
                return Ok((None, Some(targets)));
            }
            let (tasks_read, targets) = std::thread::scope(|threads| {
                let targets = start(threads, || {
                    second(&|tx| {
                        read_targets(tx, registry, as_of, f, need.trends, |_| None)
                            .map(Beside::Targets)
                    })
                });
                let tasks_read = read_tasks(conn, as_of, need.tasks, f, None, || None);
                (tasks_read, targets.map(finish))
            });
            let targets = match targets {
                Some(Some(Beside::Targets(targets))) => targets,
                _ => read_targets(conn, registry, as_of, f, need.trends, |_| None)?,
            };
            Ok((Some(tasks_read?), Some(targets)))
        };
        let (tasks_read, targets) = read().context("cannot read the index")?;
        if let Some((tasks, instances)) = tasks_read {
            (self.tasks, self.instances) = (tasks, instances);
        }
        if let Some(targets) = targets {
            self.set(targets);
        }
        Ok(())
    }

    fn set(&mut self, t: Targets) {
        self.targets = t.targets;
        self.now = t.now;
        self.start_of = t.start_of;
        self.at_start = t.at_start;
    }
}

/// What a report's tasks are read into.
type TasksRead = (Vec<TaskInfo>, Vec<InstanceInfo>);

/// What a second connection reads beside the first.
enum Beside {
    Targets(Targets),
    /// The later instances and the events.
    Tasks(Scan, Vec<EventRow>),
    /// The metrics the targets judge, and their figures now.
    Figures(Vec<String>, Values),
}

/// What `read` reads on a second connection, from `beside`, when that sees the index in
/// the state `seen`; `None` when it sees another or anything fails.
fn on_second<T>(
    beside: impl FnOnce() -> Result<Option<Connection>>,
    seen: &Option<String>,
    read: impl FnOnce(&Connection) -> Result<T>,
) -> Option<T> {
    let other = beside().ok()??;
    let tx = other.unchecked_transaction().ok()?;
    if generation(&tx).ok()? != *seen {
        return None;
    }
    read(&tx).ok()
}

/// Which state of the index a connection sees: it changes with every refresh that changes
/// what the index holds.
pub fn generation(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = 'generation'", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The targets in a report's scope and the figures they are judged on.
struct Targets {
    targets: Vec<TargetInfo>,
    now: Values,
    start_of: HashMap<(String, String), NaiveDate>,
    at_start: HashMap<NaiveDate, Values>,
}

/// The tasks and their instances in scope. With `split`, the instances after that id
/// and the events come from `later` when it has them, read on another connection
/// meanwhile; else they are read here.
fn read_tasks(
    conn: &Connection,
    as_of: NaiveDate,
    need: TaskNeed,
    f: &Filter,
    split: Option<i64>,
    later: impl FnOnce() -> Option<(Scan, Vec<EventRow>)>,
) -> Result<TasksRead> {
    let mut owners: HashMap<(String, String), (Vec<String>, Vec<String>)> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT policy, task, role, unit FROM owners ORDER BY policy, task, role, pos")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let entry = owners.entry((r.get(0)?, r.get(1)?)).or_default();
        let unit: String = r.get(3)?;
        if r.get_ref(2)?.as_str()? == "lead" {
            entry.0.push(unit);
        } else {
            entry.1.push(unit);
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
            row.map(
                |(policy, id, number, title, recurring): (_, _, String, String, _)| {
                    let (lead, support) = owners
                        .remove(&(policy.clone(), id.clone()))
                        .unwrap_or_default();
                    TaskInfo {
                        policy: policy.into(),
                        id: id.into(),
                        number: number.into(),
                        title: title.into(),
                        lead,
                        support,
                        recurring,
                    }
                },
            )
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut place: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for (i, t) in tasks.iter().enumerate() {
        place.entry(&*t.policy).or_default().insert(&*t.id, i);
    }

    let scope = Scope::new(f, as_of);
    let (first, later, events) = match split {
        None => (
            scan_instances(conn, as_of, need, &scope, Ids::All)?,
            None,
            None,
        ),
        Some(at) => {
            let first = scan_instances(conn, as_of, need, &scope, Ids::UpTo(at))?;
            match later() {
                Some((scan, events)) => (first, Some(scan), Some(events)),
                None => {
                    let scan = scan_instances(conn, as_of, need, &scope, Ids::After(at))?;
                    (first, Some(scan), None)
                }
            }
        }
    };
    let (ids, mut instances) = first.placed(later, |(policy, task)| {
        place
            .get(policy.as_str())
            .and_then(|p| p.get(task.as_str()))
            .copied()
    })?;
    let slot = Slots::new(&ids);

    // A recurring task's due dates, and the events of what `standing` does not settle.
    let (cond, with) = (scope.cond("i.policy", "i.unit"), scope.with());
    let sql = format!(
        "{with} SELECT instance, due FROM dues
         WHERE instance IN (SELECT id FROM instances i WHERE i.recurring {cond})"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(scope.params(&sql).as_slice())?;
    while let Some(r) = rows.next()? {
        if let Some(at) = slot.of(r.get(0)?) {
            instances[at].dues.push(date(r.get_ref(1)?.as_str()?)?);
        }
    }
    drop(rows);
    for inst in &mut instances {
        inst.dues.sort_unstable();
    }
    let events = match events {
        Some(events) => events,
        None => read_events(conn, &scope)?,
    };
    let mut read: Vec<_> = events
        .into_iter()
        .filter_map(|e| Some((slot.of(e.instance)?, e.event.date, e.written, e.event)))
        .collect();
    read.sort_unstable_by_key(|(at, date, written, _)| (*at, *date, *written));
    for (at, _, _, event) in read {
        instances[at].events.push(event);
    }
    drop(place);
    Ok((tasks, instances))
}

/// Which instances one scan reads, by id.
#[derive(Clone, Copy)]
enum Ids {
    All,
    UpTo(i64),
    After(i64),
}

/// The id at which a province's instances are read in two scans, one on each connection:
/// the middle of their ids. Each end is a query of its own, one seek each: asked for both
/// at once SQLite reads every id.
fn middle_id(conn: &Connection) -> Result<Option<i64>> {
    let (low, high): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT min(id) FROM instances), (SELECT max(id) FROM instances)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(low.zip(high).map(|(low, high)| low + (high - low) / 2))
}

/// Instances as one scan reads them, in id order. Their tasks are named by (policy, task)
/// in `keys`, to be found among the tasks read, since a scan may run beside that reading.
struct Scan {
    keys: Vec<(String, String)>,
    ids: Vec<i64>,
    /// `task` is a place in `keys`.
    instances: Vec<InstanceInfo>,
}

impl Scan {
    /// The ids and instances of this scan and then of `later`'s, with their tasks' places
    /// from `place`. The first scan's lists are kept and the later's moved onto them: a
    /// province's instances are many.
    fn placed(
        self,
        later: Option<Scan>,
        place: impl Fn(&(String, String)) -> Option<usize>,
    ) -> Result<(Vec<i64>, Vec<InstanceInfo>)> {
        let (mut ids, mut instances) = self.with_places(&place)?;
        if let Some(later) = later {
            let (more_ids, more) = later.with_places(&place)?;
            ids.extend(more_ids);
            instances.extend(more);
        }
        Ok((ids, instances))
    }

    /// An instance of a task the index does not define is an index damaged from outside,
    /// which no report can be trusted on.
    fn with_places(
        mut self,
        place: impl Fn(&(String, String)) -> Option<usize>,
    ) -> Result<(Vec<i64>, Vec<InstanceInfo>)> {
        let places = self
            .keys
            .iter()
            .map(|key| {
                place(key).with_context(|| {
                    format!(
                        "the index holds instances of task {} of {}, which it does not \
                         define: delete the index, and the next command builds it again",
                        key.1, key.0
                    )
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        for inst in &mut self.instances {
            inst.task = places[inst.task];
        }
        Ok((self.ids, self.instances))
    }
}

/// The instances in scope with `ids`, each with its standing as its events when that
/// settles it. Those of one task are together, so a task's key is made only when it
/// changes.
fn scan_instances(
    conn: &Connection,
    as_of: NaiveDate,
    need: TaskNeed,
    scope: &Scope,
    ids: Ids,
) -> Result<Scan> {
    let cond = scope.cond("i.policy", "i.unit");
    let with = scope.with();
    // A single task is judged by its newest event up to the as-of date, which `standing`
    // holds unless the task's history goes on past that date. `overdue` passes over what
    // cannot be late: what is not yet due, and a single task done by then.
    let late = if need == TaskNeed::Overdue {
        "AND i.due < :as_of
         AND NOT coalesce(NOT i.recurring AND s.date <= :as_of AND s.status = 'done', 0)"
    } else {
        ""
    };
    let (range, at) = match ids {
        Ids::All => ("", None),
        Ids::UpTo(at) => ("AND i.id <= :at", Some(at)),
        Ids::After(at) => ("AND i.id > :at", Some(at)),
    };
    let sql = format!(
        "{with} SELECT i.id, i.policy, i.task, i.unit, i.due, i.recurring,
                s.date, s.status, s.note, s.evidence
         FROM instances i LEFT JOIN standing s ON s.instance = i.id
         WHERE 1 {range} {cond} {late} ORDER BY i.id"
    );
    let mut params = scope.params(&sql);
    if let Some(at) = &at {
        params.push((":at", at));
    }
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params.as_slice())?;
    let mut scan = Scan {
        keys: Vec::new(),
        ids: Vec::new(),
        instances: Vec::new(),
    };
    while let Some(r) = rows.next()? {
        let (policy, task) = (r.get_ref(1)?.as_str()?, r.get_ref(2)?.as_str()?);
        if scan
            .keys
            .last()
            .is_none_or(|(p, t)| p != policy || t != task)
        {
            scan.keys.push((policy.to_owned(), task.to_owned()));
        }
        let recurring: bool = r.get(5)?;
        let (dues, newest) = if recurring {
            (None, None)
        } else {
            let day = |at| r.get_ref(at)?.as_str_or_null()?.map(date).transpose();
            (day(4)?, day(6)?)
        };
        let events = match newest {
            Some(on) if on <= as_of => vec![StatusEvent {
                date: on,
                status: Progress::parse(r.get_ref(7)?.as_str()?).unwrap_or(Progress::InProgress),
                note: r.get(8)?,
                evidence: r.get(9)?,
            }],
            _ => Vec::new(),
        };
        scan.ids.push(r.get(0)?);
        scan.instances.push(InstanceInfo {
            task: scan.keys.len() - 1,
            unit: r.get(3)?,
            dues: dues.into_iter().collect(),
            events,
        });
    }
    Ok(scan)
}

/// A status event as read, before it is placed with its instance.
struct EventRow {
    instance: i64,
    /// Where it was written: its file's place among the files by path, and its line.
    written: (Option<usize>, i64),
    event: StatusEvent,
}

/// The status events up to the as-of date that `standing` does not stand for: those of
/// the recurring tasks in scope, and of the single tasks whose history goes on past it.
fn read_events(conn: &Connection, scope: &Scope) -> Result<Vec<EventRow>> {
    let cond = scope.cond("i.policy", "i.unit");
    // Events go in the order they happened and, on one day, in the order they were
    // written: by file path, then line.
    let mut rank: HashMap<i64, usize> = HashMap::new();
    let mut stmt = conn.prepare("SELECT id FROM files ORDER BY path")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let n = rank.len();
        rank.insert(r.get(0)?, n);
    }
    drop(rows);
    let sql = format!(
        "{} SELECT instance, date, file, line, status, note, evidence FROM events
         WHERE date <= :as_of AND instance IN (
             SELECT i.id FROM instances i WHERE i.recurring {cond}
             UNION ALL
             SELECT i.id FROM standing s JOIN instances i ON i.id = s.instance
             WHERE s.date > :as_of {cond})",
        scope.with(),
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(scope.params(&sql).as_slice())?;
    let mut read = Vec::new();
    while let Some(r) = rows.next()? {
        read.push(EventRow {
            instance: r.get(0)?,
            written: (rank.get(&r.get(2)?).copied(), r.get(3)?),
            event: StatusEvent {
                date: date(r.get_ref(1)?.as_str()?)?,
                status: Progress::parse(r.get_ref(4)?.as_str()?).unwrap_or(Progress::InProgress),
                note: r.get(5)?,
                evidence: r.get(6)?,
            },
        });
    }
    Ok(read)
}

/// The metrics the targets of the filter's policy judge, numerators and denominators, in
/// order: for the whole province, those the targets read by [`read_targets`] judge.
fn metrics_judged(conn: &Connection, f: &Filter) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT metric FROM targets WHERE ?1 IS NULL OR policy = ?1
         UNION SELECT per_metric FROM targets
         WHERE per_metric IS NOT NULL AND (?1 IS NULL OR policy = ?1)
         ORDER BY 1",
    )?;
    let metrics = stmt.query_map([&f.policy], |r| r.get(0))?;
    Ok(metrics.collect::<rusqlite::Result<_>>()?)
}

/// The targets in scope and the figures they are judged on. The figures now come from
/// `figures_read` when it has them for these metrics, read on another connection
/// meanwhile; else they are read here.
fn read_targets(
    conn: &Connection,
    registry: &Registry,
    as_of: NaiveDate,
    f: &Filter,
    trends: bool,
    figures_read: impl FnOnce(&[String]) -> Option<Values>,
) -> Result<Targets> {
    let scope = Scope::new(f, as_of);
    let mut targets = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT t.policy, t.id, t.title, t.metric, t.per_metric, t.scale, t.measure,
                    t.deadline, t.min, t.max, t.growth, t.baseline_value, t.baseline_date,
                    p.jurisdiction, t.levels, t.kind, t.units, t.unit
             FROM targets t JOIN policies p ON p.id = t.policy
             WHERE ?1 IS NULL OR t.policy = ?1 ORDER BY p.ord, t.ord",
    )?;
    let mut rows = stmt.query([&f.policy])?;
    let mut thresholds: HashMap<(String, String), Vec<(String, Bounds)>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT policy, target, kind, min, max FROM target_thresholds")?;
    let mut found = stmt.query([])?;
    while let Some(r) = found.next()? {
        let bounds = Bounds {
            min: r.get(3)?,
            max: r.get(4)?,
        };
        thresholds
            .entry((r.get(0)?, r.get(1)?))
            .or_default()
            .push((r.get(2)?, bounds));
    }
    // The units of one rule, found once for all the targets that share it: a province's
    // policies set several targets for every community.
    let mut each_below: HashMap<(String, String, Option<String>), Vec<usize>> = HashMap::new();
    // The units below which figures are read: for a district's report its own subtree
    // and that of any total or coverage target within it.
    let mut roots: Vec<String> = f.district.iter().cloned().collect();
    while let Some(r) = rows.next()? {
        let policy: String = r.get(0)?;
        let id: String = r.get(1)?;
        let measure = Measure::parse(r.get_ref(6)?.as_str()?).unwrap_or(Measure::Each);
        let jurisdiction: String = r.get(13)?;
        let levels: Option<String> = r.get(14)?;
        let kind: Option<String> = r.get(15)?;
        let count: i64 = r.get(16)?;
        let only: Option<String> = r.get(17)?;
        let own = Bounds {
            min: r.get(8)?,
            max: r.get(9)?,
        };
        let by_kind = thresholds
            .get(&(policy.clone(), id.clone()))
            .map_or(&[][..], Vec::as_slice);
        let bounds_of = |u: &Unit| {
            by_kind
                .iter()
                .find(|(k, _)| u.kind.as_ref() == Some(k))
                .map_or(own, |(_, b)| *b)
        };
        // Every unit the target applies to that this registry holds, in registry order: for
        // a district's report, the district's own and those above it.
        let places: Vec<usize> = match levels {
            None => only.iter().filter_map(|u| registry.place(u)).collect(),
            Some(levels) => {
                let key = (jurisdiction.clone(), levels, kind);
                each_below
                    .entry(key)
                    .or_insert_with_key(|(j, levels, kind)| {
                        let levels: Vec<Level> =
                            levels.split(',').filter_map(Level::parse).collect();
                        registry.each_below(j, &levels, kind.as_deref())
                    })
                    .clone()
            }
        };
        let unit_at = |i: usize| (i, bounds_of(&registry.units()[i]));
        let units: Vec<(usize, Bounds)> = match (&f.district, measure) {
            (None, _) => places.into_iter().map(unit_at).collect(),
            (Some(district), Measure::Each) => places
                .into_iter()
                .filter(|&i| registry.is_within(&registry.units()[i].id, district))
                .map(unit_at)
                .collect(),
            // A total or a coverage is judged for its whole scope: in view only when
            // that scope lies within the district.
            (Some(district), _) => {
                let scope_unit = only.as_deref().filter(|_| count == 1);
                if !registry.is_within(scope_unit.unwrap_or(&jurisdiction), district) {
                    continue;
                }
                roots.extend(places.iter().map(|&i| registry.units()[i].id.clone()));
                places.into_iter().map(unit_at).collect()
            }
        };
        // A baseline is one figure: only for a target on one unit in all.
        let one_unit = count == 1 && units.len() == 1;
        let per_metric: Option<String> = r.get(4)?;
        let scale: Option<f64> = r.get(5)?;
        let deadline: Option<String> = r.get(7)?;
        let growth: String = r.get(10)?;
        let baseline_value: Option<f64> = r.get(11)?;
        let baseline_date: Option<String> = r.get(12)?;
        let baseline = match (baseline_value, baseline_date) {
            (Some(value), Some(d)) if one_unit => Some(Observation {
                date: date(&d)?,
                value,
            }),
            _ => None,
        };
        targets.push(TargetInfo {
            units,
            policy,
            id,
            title: r.get(2)?,
            metric: r.get(3)?,
            per: per_metric.map(|m| (m, scale.unwrap_or(1.0))),
            measure,
            growth: Growth::parse(&growth).unwrap_or(Growth::Linear),
            deadline: deadline.as_deref().map(date).transpose()?,
            baseline,
            bounds: own,
        });
    }
    drop(rows);

    let metrics: Vec<String> = targets
        .iter()
        .flat_map(|t| std::iter::once(t.metric.clone()).chain(t.per.iter().map(|p| p.0.clone())))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    roots.sort();
    roots.dedup();
    let roots = f.district.as_ref().map(|_| roots.as_slice());
    let now = match figures_read(&metrics) {
        Some(now) => now,
        None => values(conn, registry, &metrics, as_of, roots)?,
    };

    // A trend starts at the target's baseline, or else on the first day its metric was
    // observed; the figures of that day are read once per distinct date.
    let mut start_of = HashMap::new();
    let mut at_start: HashMap<NaiveDate, Values> = HashMap::new();
    let mut first =
        conn.prepare("SELECT min(date) FROM observations WHERE metric = ?1 AND date <= ?2")?;
    for t in targets.iter().filter(|_| trends) {
        // A baseline is itself the start: no figures to read.
        if t.baseline.is_some() || t.units.is_empty() {
            continue;
        }
        let start = first
            .query_row(rusqlite::params![t.metric, scope.as_of], |r| {
                r.get::<_, Option<String>>(0)
            })?
            .as_deref()
            .map(date)
            .transpose()?;
        let Some(start) = start.filter(|d| *d < as_of) else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = at_start.entry(start) {
            e.insert(values(conn, registry, &metrics, start, roots)?);
        }
        start_of.insert((t.policy.clone(), t.id.clone()), start);
    }
    Ok(Targets {
        targets,
        now,
        start_of,
        at_start,
    })
}

/// Where each instance read sits among those read, by its id: ids are dense, so a vector.
struct Slots(Vec<u32>);

impl Slots {
    /// `ids` ascending, as instances are read.
    fn new(ids: &[i64]) -> Slots {
        let len = ids.last().map_or(0, |&id| id.max(0) as usize + 1);
        let mut slots = vec![u32::MAX; len];
        for (at, &id) in ids.iter().enumerate() {
            slots[id as usize] = at as u32;
        }
        Slots(slots)
    }

    fn of(&self, id: i64) -> Option<usize> {
        let at = *self.0.get(usize::try_from(id).ok()?)?;
        (at != u32::MAX).then_some(at as usize)
    }
}

/// A report's policy and district as SQL conditions with named parameters.
struct Scope<'a> {
    policy: Option<&'a String>,
    roots: Option<String>,
    as_of: String,
}

impl<'a> Scope<'a> {
    fn new(f: &'a Filter, as_of: NaiveDate) -> Scope<'a> {
        Scope {
            policy: f.policy.as_ref(),
            roots: f
                .district
                .as_ref()
                .map(|d| serde_json::Value::from(vec![d.as_str()]).to_string()),
            as_of: as_of.to_string(),
        }
    }

    /// The `WITH` clause naming the district's subtree `scope`.
    fn with(&self) -> &'static str {
        if self.roots.is_some() { SUBTREES } else { "" }
    }

    /// `AND` conditions on the policy and unit columns.
    fn cond(&self, policy: &str, unit: &str) -> String {
        let mut c = String::new();
        if self.policy.is_some() {
            c += &format!(" AND {policy} = :policy");
        }
        if self.roots.is_some() {
            c += &format!(" AND {unit} IN scope");
        }
        c
    }

    /// The parameters that `sql` names.
    fn params(&self, sql: &str) -> Vec<(&'static str, &dyn rusqlite::ToSql)> {
        let mut p: Vec<(&'static str, &dyn rusqlite::ToSql)> = Vec::new();
        if let Some(policy) = self.policy.filter(|_| sql.contains(":policy")) {
            p.push((":policy", policy));
        }
        if let Some(roots) = &self.roots {
            p.push((":roots", roots));
        }
        if sql.contains(":as_of") {
            p.push((":as_of", &self.as_of));
        }
        p
    }
}
