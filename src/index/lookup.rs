//! Progress rows checked against the index itself. Each question a row asks is one query
//! on an indexed column, so a refresh of one file reads what that file refers to instead
//! of the whole registry and every task instance (a province has 27,000 units and 100,000
//! instances). The answers about units, metrics and tasks are kept for the rest of the
//! refresh: a file names the same few hundred of them row after row.

use crate::parse::progress::Lookup;
use crate::registry::Unresolved;
use rusqlite::{Connection, params};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;

/// (policy, task)
type TaskKey = (String, String);

/// Answers the questions of a refresh's progress rows from the index, each once.
pub struct Lookups<'a> {
    conn: &'a Connection,
    units: RefCell<HashMap<String, Result<String, Unresolved>>>,
    metrics: RefCell<HashMap<String, bool>>,
    tasks: RefCell<HashMap<TaskKey, bool>>,
    /// (id, name) of each unit carrying out the task.
    task_units: RefCell<HashMap<TaskKey, Vec<(String, String)>>>,
}

impl<'a> Lookups<'a> {
    /// Lookups in the index as `conn` sees it: within a refresh, the definitions it wrote.
    pub fn new(conn: &'a Connection) -> Lookups<'a> {
        Lookups {
            conn,
            units: RefCell::default(),
            metrics: RefCell::default(),
            tasks: RefCell::default(),
            task_units: RefCell::default(),
        }
    }

    /// The answer of `sql`, a `SELECT EXISTS(...)`.
    fn exists(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached(sql)?
            .query_row(params, |r| r.get(0))
    }
}

/// The answer kept for `key`, or `ask`'s, kept for next time.
fn remembered<Q, V>(
    answers: &RefCell<HashMap<Q::Owned, V>>,
    key: &Q,
    ask: impl FnOnce() -> rusqlite::Result<V>,
) -> rusqlite::Result<V>
where
    Q: ToOwned + Hash + Eq + ?Sized,
    Q::Owned: Hash + Eq + Borrow<Q>,
    V: Clone,
{
    if let Some(v) = answers.borrow().get(key) {
        return Ok(v.clone());
    }
    let v = ask()?;
    answers.borrow_mut().insert(key.to_owned(), v.clone());
    Ok(v)
}

impl Lookup for Lookups<'_> {
    type Error = rusqlite::Error;

    fn unit(&self, reference: &str) -> rusqlite::Result<Result<String, Unresolved>> {
        remembered(&self.units, reference, || {
            if self.exists(
                "SELECT EXISTS(SELECT 1 FROM units WHERE id = ?1)",
                [reference],
            )? {
                return Ok(Ok(reference.to_string()));
            }
            let mut ids: Vec<String> = self
                .conn
                .prepare_cached("SELECT id FROM units WHERE name = ?1 ORDER BY ord")?
                .query_map([reference], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(match ids.len() {
                0 => Err(Unresolved::Unknown),
                1 => Ok(ids.remove(0)),
                _ => Err(Unresolved::Ambiguous(ids)),
            })
        })
    }

    fn has_metric(&self, id: &str) -> rusqlite::Result<bool> {
        remembered(&self.metrics, id, || {
            self.exists("SELECT EXISTS(SELECT 1 FROM metrics WHERE id = ?1)", [id])
        })
    }

    fn has_policy(&self, policy: &str) -> rusqlite::Result<bool> {
        self.exists(
            "SELECT EXISTS(SELECT 1 FROM instances WHERE policy = ?1)",
            [policy],
        )
    }

    fn has_task(&self, policy: &str, task: &str) -> rusqlite::Result<bool> {
        remembered(&self.tasks, &(policy.into(), task.into()), || {
            self.exists(
                "SELECT EXISTS(SELECT 1 FROM instances WHERE policy = ?1 AND task = ?2)",
                [policy, task],
            )
        })
    }

    fn has_instance(&self, policy: &str, task: &str, unit: &str) -> rusqlite::Result<bool> {
        self.exists(
            "SELECT EXISTS(SELECT 1 FROM instances WHERE policy = ?1 AND task = ?2 AND unit = ?3)",
            params![policy, task, unit],
        )
    }

    fn task_units(&self, policy: &str, task: &str) -> rusqlite::Result<Vec<(String, String)>> {
        remembered(&self.task_units, &(policy.into(), task.into()), || {
            self.conn
                .prepare_cached(
                    "SELECT i.unit, coalesce(u.name, i.unit) FROM instances i
                     LEFT JOIN units u ON u.id = i.unit
                     WHERE i.policy = ?1 AND i.task = ?2 ORDER BY i.id",
                )?
                .query_map([policy, task], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
    }
}
