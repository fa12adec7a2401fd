//! The domain: units, metrics, policies with their tasks and targets, and progress.
//!
//! These are plain values shared by every stage. They carry no storage or terminal
//! concerns, so the judging code can be tested with hand-built values.

use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;

/// The level of a unit in the administrative tree, or `Department` for a body
/// (局, 处, 中心) that owns tasks without being an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    District,
    County,
    Town,
    Street,
    Community,
    Village,
    Department,
}

impl Level {
    pub const ALL: [Level; 9] = [
        Level::Province,
        Level::City,
        Level::District,
        Level::County,
        Level::Town,
        Level::Street,
        Level::Community,
        Level::Village,
        Level::Department,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::District => "district",
            Level::County => "county",
            Level::Town => "town",
            Level::Street => "street",
            Level::Community => "community",
            Level::Village => "village",
            Level::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An administrative unit or a department (单位).
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub kind: Option<String>,
    pub parent: Option<String>,
}

/// Something counted or measured (指标): community workers, organisations, a rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub id: String,
    pub name: String,
    pub en: String,
    pub unit: String,
    /// Whether a parent's figure is the sum of its units' figures. Counts and populations
    /// sum; a percentage does not.
    pub rollup: bool,
}

/// The built-in metric every per-capita target divides by: 常住人口.
pub const POPULATION: &str = "population";

/// Where a task or target applies: one unit, or each unit of some levels under the
/// policy's jurisdiction (各区, 各镇(街道)), optionally of one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Unit(String),
    Each {
        levels: Vec<Level>,
        kind: Option<String>,
    },
}

/// The owner written `"each"` in a fan-out task: the unit of the instance itself.
pub const EACH_OWNER: &str = "each";

/// A task's place in time: one deadline, a recurring one, or none (ongoing).
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Ongoing,
    Once(NaiveDate),
    /// Month-days such as 06-30 and 12-31, due within `from..=until`.
    Every {
        days: Vec<(u32, u32)>,
        from: NaiveDate,
        until: NaiveDate,
    },
}

/// The status a progress event reports for a task instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    NotStarted,
    InProgress,
    Done,
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::NotStarted => "not_started",
            Progress::InProgress => "in_progress",
            Progress::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Progress> {
        match s {
            "not_started" => Some(Progress::NotStarted),
            "in_progress" => Some(Progress::InProgress),
            "done" => Some(Progress::Done),
            _ => None,
        }
    }
}

/// A dated status report for one task instance.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEvent {
    pub date: NaiveDate,
    pub status: Progress,
    pub note: String,
    pub evidence: String,
}

/// A dated value of a metric for a unit (a monthly return, a census figure).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub date: NaiveDate,
    pub value: f64,
}

/// Lower and upper bounds of a target; at least one is set.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// How a target's scope is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Every unit in scope is judged on its own.
    Each,
    /// The sum over the scope is judged.
    Total,
    /// The share of units in scope that meet the bounds is judged.
    Coverage,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Each => "each",
            Measure::Total => "total",
            Measure::Coverage => "coverage",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        match s {
            "each" => Some(Measure::Each),
            "total" => Some(Measure::Total),
            "coverage" => Some(Measure::Coverage),
            _ => None,
        }
    }
}

/// How a target's trend is projected to its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    Linear,
    Compound,
}

impl Growth {
    pub fn as_str(self) -> &'static str {
        match self {
            Growth::Linear => "linear",
            Growth::Compound => "compound",
        }
    }

    pub fn parse(s: &str) -> Option<Growth> {
        match s {
            "linear" => Some(Growth::Linear),
            "compound" => Some(Growth::Compound),
            _ => None,
        }
    }
}

/// Which rows a report shows. Units are ids, already resolved. The index reads only the
/// policy and subtree asked for; the reports apply the whole filter.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub policy: Option<String>,
    /// A lead or supporting unit (牵头或配合).
    pub owner: Option<String>,
    /// A unit and everything below it.
    pub district: Option<String>,
}
