//! The index's tables. The index is derived from the workspace files and can be rebuilt
//! at any time, so a change of schema simply bumps `VERSION` and rebuilds.

pub const VERSION: i64 = 16;

/// The indexes of the progress tables, dropped and rebuilt around a bulk load. The date
/// index serves "the figures as they stood on a date" early in the history (trend starts).
pub const PROGRESS_INDEXES: &str = "
CREATE INDEX events_file ON events(file);
CREATE INDEX events_instance ON events(instance, date);
CREATE INDEX observations_file ON observations(file);
CREATE INDEX observations_key ON observations(metric, unit, date);
CREATE INDEX observations_date ON observations(metric, date);
";

pub const DROP_PROGRESS_INDEXES: &str = "
DROP INDEX events_file;
DROP INDEX events_instance;
DROP INDEX observations_file;
DROP INDEX observations_key;
DROP INDEX observations_date;
";

pub const TABLES: &str = r#"
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,            -- 'definitions' or 'progress'
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    hash BLOB NOT NULL,
    -- Rows a file gave (a definitions file, its populations), so a summary need not count
    -- millions of rows.
    events INTEGER NOT NULL DEFAULT 0,
    observations INTEGER NOT NULL DEFAULT 0
);
-- Keyed by their place in the registry, so that the registry is read in order without
-- sorting a province's 27,000 units.
CREATE TABLE units(
    ord INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, level TEXT NOT NULL,
    kind TEXT, parent TEXT
);
-- A district's subtree, walked down from it by a report of that district.
CREATE INDEX units_parent ON units(parent);
-- Progress and the command line refer to units by name as well as by id.
CREATE INDEX units_name ON units(name);
CREATE TABLE metrics(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, en TEXT NOT NULL, unit TEXT NOT NULL,
    rollup INTEGER NOT NULL
);
CREATE TABLE policies(
    id TEXT PRIMARY KEY, ord INTEGER NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
    number TEXT NOT NULL, issuer TEXT NOT NULL, issued TEXT NOT NULL,
    jurisdiction TEXT NOT NULL, period_start TEXT, period_end TEXT, source TEXT NOT NULL
);
CREATE TABLE phases(
    policy TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL,
    start TEXT, end TEXT, PRIMARY KEY(policy, id)
);
CREATE TABLE sections(
    policy TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, number TEXT NOT NULL,
    title TEXT NOT NULL, PRIMARY KEY(policy, id)
);
CREATE TABLE tasks(
    policy TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, section TEXT,
    number TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, phase TEXT,
    recurring INTEGER NOT NULL, PRIMARY KEY(policy, id)
);
-- 牵头/配合: role 'lead' or 'support', in the document's order; unit 'each' = the instance's unit.
CREATE TABLE owners(
    policy TEXT NOT NULL, task TEXT NOT NULL, role TEXT NOT NULL, pos INTEGER NOT NULL,
    unit TEXT NOT NULL
);
-- One row per task instance (a task and a unit carrying it out), numbered in the order
-- reports list them: by policy, task, then the unit's place in the registry. `due` is its
-- first due date and `recurring` its task's, so that `overdue` passes over what is not
-- late without reading the due dates.
CREATE TABLE instances(
    id INTEGER PRIMARY KEY, policy TEXT NOT NULL, task TEXT NOT NULL, unit TEXT NOT NULL,
    due TEXT, recurring INTEGER NOT NULL
);
CREATE UNIQUE INDEX instances_key ON instances(policy, task, unit);
CREATE INDEX instances_unit ON instances(unit);
-- The few recurring instances, whose due dates and events a report reads.
CREATE INDEX instances_recurring ON instances(id) WHERE recurring;
-- The due dates of each instance: one for a deadline, one per period for a recurring task,
-- none for an ongoing task.
CREATE TABLE dues(
    instance INTEGER NOT NULL, due TEXT NOT NULL, PRIMARY KEY(instance, due)
) WITHOUT ROWID;
-- The units a target applies to are kept as the policy states them, not unit by unit (a
-- province's "every community" is 26,000 units): each unit of `levels` (comma-separated)
-- under the policy's jurisdiction, of `kind` when given; or, without levels, the one unit
-- `unit`. `units` counts them, and `unit` names the only one when there is one.
CREATE TABLE targets(
    policy TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, task TEXT,
    title TEXT NOT NULL, metric TEXT NOT NULL, per_metric TEXT, scale REAL,
    measure TEXT NOT NULL, growth TEXT NOT NULL, deadline TEXT, min REAL, max REAL,
    baseline_value REAL, baseline_date TEXT,
    levels TEXT, kind TEXT, units INTEGER NOT NULL, unit TEXT,
    PRIMARY KEY(policy, id)
);
-- Bounds that replace a target's own for its units of one kind.
CREATE TABLE target_thresholds(
    policy TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, min REAL, max REAL,
    PRIMARY KEY(policy, target, kind)
);
-- `instance` is the id of the instance the event is about, found when the event is loaded
-- and again whenever the definitions (and so the ids) change; NULL while it refers to
-- nothing defined.
CREATE TABLE events(
    file INTEGER NOT NULL, line INTEGER NOT NULL, policy TEXT NOT NULL, task TEXT NOT NULL,
    unit TEXT NOT NULL, instance INTEGER, date TEXT NOT NULL, status TEXT NOT NULL,
    note TEXT NOT NULL, evidence TEXT NOT NULL
);
-- The newest status event of each instance (of its newest day, the last written): all a
-- report as of that day or later needs of a single task's history. A refresh writes it
-- afresh for the instances in `stale`, which these triggers fill whatever changes events.
CREATE TABLE standing(
    instance INTEGER PRIMARY KEY, date TEXT NOT NULL, status TEXT NOT NULL,
    note TEXT NOT NULL, evidence TEXT NOT NULL
);
-- The instances whose history goes on past a report's as-of date.
CREATE INDEX standing_date ON standing(date);
CREATE TABLE stale(instance INTEGER PRIMARY KEY);
CREATE TRIGGER events_added AFTER INSERT ON events WHEN NEW.instance IS NOT NULL BEGIN
    INSERT OR IGNORE INTO stale VALUES (NEW.instance);
END;
CREATE TRIGGER events_removed AFTER DELETE ON events WHEN OLD.instance IS NOT NULL BEGIN
    INSERT OR IGNORE INTO stale VALUES (OLD.instance);
END;
CREATE TRIGGER events_changed AFTER UPDATE ON events BEGIN
    INSERT OR IGNORE INTO stale SELECT OLD.instance WHERE OLD.instance IS NOT NULL;
    INSERT OR IGNORE INTO stale SELECT NEW.instance WHERE NEW.instance IS NOT NULL;
END;
CREATE TABLE observations(
    file INTEGER NOT NULL, line INTEGER NOT NULL, metric TEXT NOT NULL, unit TEXT NOT NULL,
    date TEXT NOT NULL, value REAL NOT NULL, source TEXT NOT NULL
);
-- The newest observation of each (metric, unit): what a report of the current month reads
-- instead of the whole history. Kept up to date key by key as files change.
CREATE TABLE latest(
    metric TEXT NOT NULL, unit TEXT NOT NULL, date TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY(metric, unit)
) WITHOUT ROWID;
-- The oldest observation of each (metric, unit), kept likewise: the figures on the first
-- day a metric was observed, where a target's trend starts.
CREATE TABLE earliest(
    metric TEXT NOT NULL, unit TEXT NOT NULL, date TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY(metric, unit)
) WITHOUT ROWID;
{PROGRESS_INDEXES}
"#;

/// Tables holding what the definition files say; replaced whole when any of them changes.
pub const DEFINITION_TABLES: [&str; 11] = [
    "units",
    "metrics",
    "policies",
    "phases",
    "sections",
    "tasks",
    "owners",
    "instances",
    "dues",
    "targets",
    "target_thresholds",
];
