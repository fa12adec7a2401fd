//! The index: a SQLite database derived from the workspace files.
//!
//! Every command first brings it up to date. Files whose size, modification time and
//! status change time are unchanged are trusted, unless those times were too close to the
//! refresh that recorded them (see [`settled`]); others are hashed, and only those whose
//! content changed are read again. Definitions refer to each other, so when any definition
//! file changes they are all re-read (they are small); progress files, the bulk, are
//! reloaded one by one, and progress whose meaning changed with the definitions is too.
//! A refresh is one transaction: it succeeds whole or the previous index stays as it was.

pub mod contents;
mod lookup;
pub mod schema;
pub mod snapshot;

use crate::diag::{BadInput, Diagnostic, Source};
use crate::model::{POPULATION, Scope};
use crate::parse::defs::{Definitions, parse_definitions};
use crate::parse::progress::{
    Catalog, EventRow, ObservationRow, ProgressRows, check_progress, parse_progress,
};
use crate::workspace::{FileEntry, Workspace, read_whole, source_from_bytes, too_large};
use anyhow::{Context, Result};
use lookup::Lookups;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a command waits for another that holds the index.
const WAIT: Duration = Duration::from_secs(60);

/// A file's modification time comes from a clock that moves in steps: a few milliseconds
/// on Linux, one or two seconds on some file systems, and a network file system's clock
/// may run apart from ours. A file written within this long of a refresh may be written
/// again without its time changing.
const SLACK_NS: i64 = 2_000_000_000;

/// Whether a file whose size and times are as recorded can be trusted to be as it was
/// read: only when the later of its times (`changed_ns`) was already past when the refresh
/// that recorded it (`listed_ns`, or none known) listed the files. A file written in the
/// same step of the clock as that refresh read it could have been written again since,
/// at the same size, without its times changing; it is hashed again.
fn settled(changed_ns: i64, listed_ns: Option<i64>) -> bool {
    listed_ns.is_some_and(|listed| changed_ns < listed - SLACK_NS)
}

/// What a refresh compares to tell whether a file may have changed: its size, its
/// modification time, and its status change time, which no one sets by hand.
fn stamp(f: &FileEntry) -> (i64, i64, i64) {
    (f.size, f.mtime_ns, f.ctime_ns)
}

const DEFINITIONS: &str = "definitions";
const PROGRESS: &str = "progress";

pub struct Index {
    conn: Connection,
}

/// What a refresh did, for `govtrack load`.
#[derive(Debug, Default)]
pub struct Refresh {
    pub loaded: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Unchanged progress files read again because the definitions they refer to changed.
    pub reread: Vec<String>,
    /// The index was made anew from the files, and why.
    pub rebuilt: Option<Rebuilt>,
}

/// Why an index was rebuilt from the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuilt {
    /// It was made by another version of govtrack.
    OtherVersion,
    /// It was damaged (cut short by a full disk or a copy, or overwritten), as this says.
    Damaged(String),
}

/// The file beside the index that SQLite names after it (`-wal`, `-shm`).
pub fn beside(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Why the file at `path` is a damaged index that SQLite might read without noticing, or
/// might refuse every time: cut short, it no longer holds whole pages, and SQLite would
/// read the missing end of a page as zeros, which can pass for empty fields; a header with
/// values SQLite never writes makes it refuse the file, or only read it. A file that is
/// not an SQLite database at all is damage in the index's own place (`ours`); elsewhere
/// (`--db`) it is an error, and the file is left alone: it may be one of the user's,
/// named by mistake.
fn torn(path: &Path, ours: bool) -> Result<Option<String>> {
    use std::io::Read;
    const MAGIC: &[u8] = b"SQLite format 3\0";
    let mut head = Vec::with_capacity(100);
    let len = match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        opened => {
            let file =
                opened.with_context(|| format!("cannot open the index {}", path.display()))?;
            let len = file.metadata()?.len();
            file.take(100).read_to_end(&mut head)?;
            len
        }
    };
    if len == 0 {
        return Ok(None);
    }
    let n = head.len().min(MAGIC.len());
    if head[..n] != MAGIC[..n] {
        if ours {
            return Ok(Some("it is not an SQLite database".into()));
        }
        anyhow::bail!(
            "{} is not a govtrack index (not an SQLite database): name another file with --db \
             or GOVTRACK_DB, or move this one away; govtrack leaves it as it is",
            path.display()
        );
    }
    if head.len() < 100 {
        return Ok(Some(format!("cut short to {len} bytes")));
    }
    let page = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536,
        p => u64::from(p),
    };
    if !page.is_power_of_two() || page < 512 {
        return Ok(Some(format!(
            "its header names a page size of {page} bytes"
        )));
    }
    // The file format's read and write versions (1 or 2), and its fixed payload fractions.
    if !matches!((head[18], head[19]), (1 | 2, 1 | 2)) || head[21..24] != [64, 32, 32] {
        return Ok(Some("its header holds values SQLite never writes".into()));
    }
    Ok((len % page != 0)
        .then(|| format!("its {len} bytes are not a whole number of {page}-byte pages")))
}

/// How the index was found damaged, if that is what `e` says: by SQLite, or by a value
/// of a kind govtrack never writes (text that is not UTF-8, a number where it wrote text,
/// a date it cannot read).
pub fn damage(e: &anyhow::Error) -> Option<&'static str> {
    use rusqlite::Error::{
        FromSqlConversionFailure, IntegralValueOutOfRange, InvalidColumnType, SqliteFailure,
        Utf8Error,
    };
    e.chain()
        .find_map(|c| match c.downcast_ref::<rusqlite::Error>()? {
            SqliteFailure(f, _) => match f.code {
                rusqlite::ErrorCode::DatabaseCorrupt => Some("SQLite finds it malformed"),
                rusqlite::ErrorCode::NotADatabase => Some("SQLite cannot read its header"),
                _ => None,
            },
            Utf8Error(..)
            | InvalidColumnType(..)
            | FromSqlConversionFailure(..)
            | IntegralValueOutOfRange(..) => Some("it holds values govtrack never writes"),
            _ => None,
        })
}

struct Known {
    id: i64,
    kind: String,
    /// Size, modification and status change times, as recorded ([`stamp`]).
    stamp: (i64, i64, i64),
    hash: Vec<u8>,
}

impl Index {
    /// Opens (creating if needed) the index at `path`. A schema from another version of
    /// govtrack is dropped, and a damaged index deleted, and either is rebuilt from the
    /// files; the answer says which happened.
    pub fn open(path: &Path) -> Result<(Index, Option<Rebuilt>)> {
        Index::open_at(path, true)
    }

    /// [`Index::open`] for an index the user named (`--db`, `GOVTRACK_DB`): a file there
    /// that is not an SQLite database is refused and left alone, not rebuilt.
    pub fn open_named(path: &Path) -> Result<(Index, Option<Rebuilt>)> {
        Index::open_at(path, false)
    }

    fn open_at(path: &Path, ours: bool) -> Result<(Index, Option<Rebuilt>)> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        if let Some(why) = torn(path, ours)? {
            return Index::open_anew(path, why);
        }
        match Index::open_as_is(path) {
            Err(e) => match damage(&e) {
                Some(why) => Index::open_anew(path, why.to_string()),
                None => Err(e),
            },
            opened => opened,
        }
    }

    /// Deletes the damaged index at `path`, with its write-ahead log, and makes a new one:
    /// it holds nothing the files do not.
    fn open_anew(path: &Path, why: String) -> Result<(Index, Option<Rebuilt>)> {
        for file in [
            path.to_path_buf(),
            beside(path, "-wal"),
            beside(path, "-shm"),
        ] {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| {
                        format!(
                            "the index is damaged ({why}) and {} cannot be deleted",
                            file.display()
                        )
                    });
                }
                _ => {}
            }
        }
        let (index, _) = Index::open_as_is(path)?;
        Ok((index, Some(Rebuilt::Damaged(why))))
    }

    fn open_as_is(path: &Path) -> Result<(Index, Option<Rebuilt>)> {
        let mut conn = Connection::open(path)
            .with_context(|| format!("cannot open the index {}", path.display()))?;
        // A cron run and a person at the same time wait for each other, never fail.
        conn.busy_timeout(WAIT)?;
        write_ahead(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A bulk load touches far more pages than the default cache of about 8 MB holds;
        // 32 MB keeps the hot ones in memory; SQLite sorts within a budget of the same size.
        conn.pragma_update(None, "cache_size", -32768)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let has_meta: bool = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )?;
        let version: Option<i64> = if has_meta {
            tx.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|v| v.parse().ok())
        } else {
            None
        };
        let rebuilt = version != Some(schema::VERSION);
        if rebuilt {
            let tables: Vec<String> = tx
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for t in tables {
                tx.execute_batch(&format!("DROP TABLE \"{t}\";"))?;
            }
            tx.execute_batch(
                &schema::TABLES.replace("{PROGRESS_INDEXES}", schema::PROGRESS_INDEXES),
            )?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('schema', ?1)",
                [schema::VERSION.to_string()],
            )?;
            new_generation(&tx)?;
        }
        tx.commit()?;
        let rebuilt = (rebuilt && version.is_some()).then_some(Rebuilt::OtherVersion);
        Ok((Index { conn }, rebuilt))
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, to trace what a refresh asks of it (as the tests of plans do).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Opens a second connection to the index, for reading only, when called: a report
    /// reads two parts of it at once (see [`snapshot::Snapshot::read_beside`]). `None` for
    /// an index in memory.
    pub fn reader(&self) -> impl FnOnce() -> Result<Option<Connection>> + Send + use<> {
        self.reader_stopped_by(None)
    }

    /// Like [`Index::reader`], for a connection on which every statement fails once `stop`
    /// is set: a reading found to be in vain ends at once instead of running its course.
    pub fn reader_stopped_by(
        &self,
        stop: Option<Arc<AtomicBool>>,
    ) -> impl FnOnce() -> Result<Option<Connection>> + Send + use<> {
        let path = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        move || {
            let Some(path) = path else { return Ok(None) };
            let mut conn = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(WAIT)?;
            if let Some(stop) = stop {
                conn.progress_handler(1000, Some(move || stop.load(Ordering::Relaxed)))?;
            }
            Ok(Some(conn))
        }
    }

    /// Brings the index up to date with the workspace. On bad input nothing is changed
    /// and every problem is returned in a [`BadInput`].
    pub fn refresh(&mut self, ws: &Workspace) -> Result<Refresh> {
        self.refresh_with(ws, &mut |_, _, _| {})
    }

    /// As [`Index::refresh`], calling `progress(done, total, file)` as each changed progress
    /// file is loaded, so a terminal can show how far a long load has come.
    pub fn refresh_with(
        &mut self,
        ws: &Workspace,
        progress_of: &mut dyn FnMut(usize, usize, &str),
    ) -> Result<Refresh> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The files are listed only once the index is ours: a list made before waiting for
        // another process's refresh could predate files that refresh loaded, and committing
        // it would take them out of the index again.
        let listed_ns = now_ns();
        let defs_on_disk = ws.definition_files()?;
        let progress_on_disk = ws.progress_files()?;
        let last_listed: Option<i64> = tx
            .query_row("SELECT value FROM meta WHERE key = 'listed_ns'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|v| v.parse().ok());
        let mut known: HashMap<String, Known> = HashMap::new();
        {
            let mut stmt =
                tx.prepare("SELECT path, id, size, mtime_ns, ctime_ns, hash, kind FROM files")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Known {
                        id: r.get(1)?,
                        stamp: (r.get(2)?, r.get(3)?, r.get(4)?),
                        hash: r.get(5)?,
                        kind: r.get(6)?,
                    },
                ))
            })?;
            for row in rows {
                let (path, k) = row?;
                known.insert(path, k);
            }
        }
        let mut report = Refresh::default();
        let mut errors: Vec<Diagnostic> = Vec::new();

        let defs = classify(
            ws,
            &tx,
            &defs_on_disk,
            &mut known,
            last_listed,
            &mut errors,
            true,
        )?;
        // Progress files are the bulk: only their hashes are kept here, and each is read
        // again when it is loaded, so memory holds one file at a time.
        let progress = classify(
            ws,
            &tx,
            &progress_on_disk,
            &mut known,
            last_listed,
            &mut errors,
            false,
        )?;
        // What is left in `known` is no longer on disk.
        let removed: Vec<(String, Known)> = known.into_iter().collect();
        let defs_removed = removed.iter().any(|(_, k)| k.kind == DEFINITIONS);
        let defs_changed = !defs.changed.is_empty() || defs_removed;

        // The (metric, unit) keys whose newest observation may have changed; a bulk load
        // rebuilds them all.
        let mut touched: HashSet<(String, String)> = HashSet::new();
        let mut bulk = false;
        for (path, k) in &removed {
            delete_rows_of(&tx, k.id, &mut touched)?;
            tx.execute("DELETE FROM files WHERE id = ?1", [k.id])?;
            report.removed.push(path.clone());
        }

        // How progress rows resolved against the definitions about to be replaced.
        let before = if defs_changed {
            Some(Resolution::read(&tx)?)
        } else {
            None
        };
        if defs_changed {
            let mut sources = Vec::new();
            for f in &defs_on_disk {
                let bytes = match defs.changed.iter().find(|c| c.entry.rel == f.rel) {
                    Some(c) => c.bytes.clone().unwrap_or_default(),
                    None => {
                        let bytes = read_whole(&ws.abs(&f.rel))
                            .with_context(|| format!("cannot read {}", f.rel))?;
                        keep_hash_of(&tx, &f.rel, &bytes)?;
                        bytes
                    }
                };
                match source_from_bytes(&f.rel, bytes) {
                    Ok(s) => sources.push(s),
                    Err(d) => errors.push(d),
                }
            }
            match parse_definitions(&sources) {
                Ok(d) => {
                    let file_ids = upsert_files(&tx, DEFINITIONS, &defs.changed)?;
                    write_definitions(&tx, &d, &file_ids)?;
                    // The instances were numbered afresh.
                    tx.execute(
                        "UPDATE events SET instance = (SELECT id FROM instances i
                         WHERE i.policy = events.policy AND i.task = events.task
                           AND i.unit = events.unit)",
                        [],
                    )?;
                }
                Err(mut e) => errors.append(&mut e),
            }
            report
                .loaded
                .extend(defs.changed.iter().map(|c| c.entry.rel.clone()));
        }
        report.unchanged += defs.unchanged + progress.unchanged;

        if !errors.is_empty() {
            // The definitions are broken: still check the changed progress files' own form,
            // so that one run reports every problem it can.
            for c in &progress.changed {
                let bytes = read_whole(&ws.abs(&c.entry.rel))
                    .with_context(|| format!("cannot read {}", c.entry.rel))?;
                if let Err(mut e) = source_from_bytes(&c.entry.rel, bytes)
                    .map_err(|d| vec![d])
                    .and_then(|src| parse_progress(&src, None))
                {
                    errors.append(&mut e);
                }
            }
        } else if !progress.changed.is_empty() || defs_changed {
            // Rows are checked against the index as it now stands, one reference at a time:
            // a changed file costs what it refers to, not the whole registry.
            let lookups = Lookups::new(&tx);
            let ids = upsert_files(&tx, PROGRESS, &progress.changed)?;
            // Loading most of the workspace: inserting into indexed tables costs several
            // times a plain insert, so the rows go, the indexes are dropped, and they are
            // built once at the end. Otherwise each file's rows are compared with those
            // the index holds, and only the rows that differ are written.
            bulk =
                progress.changed.len() * 2 > progress_on_disk.len() && progress.changed.len() > 10;
            if bulk {
                for c in &progress.changed {
                    delete_rows_of(&tx, ids[&c.entry.rel], &mut touched)?;
                }
                tx.execute_batch(schema::DROP_PROGRESS_INDEXES)?;
            }
            for (n, c) in progress.changed.iter().enumerate() {
                progress_of(n, progress.changed.len(), &c.entry.rel);
                let id = ids[&c.entry.rel];
                let bytes = read_whole(&ws.abs(&c.entry.rel))
                    .with_context(|| format!("cannot read {}", c.entry.rel))?;
                keep_hash_of(&tx, &c.entry.rel, &bytes)?;
                let checked = match source_from_bytes(&c.entry.rel, bytes) {
                    Ok(src) => check_progress(&src, &lookups)?,
                    Err(d) => Err(vec![d]),
                };
                match checked {
                    Ok(rows) => {
                        if bulk {
                            // `latest` and `earliest` are rebuilt whole after a bulk load.
                            insert_progress(&tx, id, &rows)?;
                            count_rows(&tx, id, &rows)?;
                        } else {
                            replace_rows(&tx, id, &rows, &mut touched)?;
                        }
                    }
                    Err(mut e) => errors.append(&mut e),
                }
                report.loaded.push(c.entry.rel.clone());
            }
            if bulk {
                tx.execute_batch(schema::PROGRESS_INDEXES)?;
            }
            if let Some(before) = &before {
                // Unchanged progress whose rows the new definitions may resolve otherwise
                // is read again, so that the index holds what a fresh one would.
                for (id, rel) in progress_to_reread(&tx, before)? {
                    if progress.changed.iter().any(|c| c.entry.rel == rel) {
                        continue;
                    }
                    let bytes =
                        read_whole(&ws.abs(&rel)).with_context(|| format!("cannot read {rel}"))?;
                    keep_hash_of(&tx, &rel, &bytes)?;
                    let checked = match source_from_bytes(&rel, bytes) {
                        Ok(src) => check_progress(&src, &lookups)?,
                        Err(d) => Err(vec![d]),
                    };
                    match checked {
                        Ok(rows) => {
                            replace_rows(&tx, id, &rows, &mut touched)?;
                            report.reread.push(rel);
                        }
                        Err(mut e) => errors.append(&mut e),
                    }
                }
            }
        }

        if errors.is_empty() {
            update_ends(
                &tx,
                &touched,
                if bulk {
                    Ends::All
                } else if defs_changed {
                    Ends::Populations
                } else {
                    Ends::Touched
                },
            )?;
            // New definitions number the instances afresh.
            update_standing(&tx, bulk || defs_changed)?;
            if !report.loaded.is_empty() || !report.removed.is_empty() {
                new_generation(&tx)?;
            }
            // When this refresh listed the files, for the next one to know which it can
            // trust; written only when that changes what the next one trusts.
            let unsettled = defs_on_disk
                .iter()
                .chain(&progress_on_disk)
                .any(|f| !settled(f.mtime_ns.max(f.ctime_ns), Some(listed_ns)));
            if defs.rehashed + progress.rehashed > 0 || unsettled {
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('listed_ns', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [listed_ns.to_string()],
                )?;
            }
        } else {
            tx.rollback()?;
            errors.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
            errors.dedup();
            return Err(BadInput(errors).into());
        }
        tx.commit()?;
        report.loaded.sort();
        Ok(report)
    }
}

/// Now on the system clock, as the file system stamps files, in nanoseconds since 1970.
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Marks a new state of what the index holds, so that two connections can tell whether
/// they see the same one ([`snapshot::generation`]). Random rather than counted: an index
/// rebuilt from scratch never repeats an earlier mark.
fn new_generation(tx: &Transaction) -> Result<()> {
    tx.execute(
        "INSERT INTO meta(key, value) VALUES ('generation', hex(randomblob(16)))
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [],
    )?;
    Ok(())
}

/// Puts the index in WAL mode, so that readers never wait for a writer. Two processes
/// making a new index at once may both read it and then both want to write its header;
/// SQLite refuses one of them at once rather than let them wait for each other, so that
/// one tries again, for as long as it would wait for a lock.
fn write_ahead(conn: &Connection) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return Ok(done?),
        }
    }
}

struct Changed {
    entry: FileEntry,
    /// Kept for definition files only.
    bytes: Option<Vec<u8>>,
    hash: Vec<u8>,
}

struct Classified {
    changed: Vec<Changed>,
    unchanged: usize,
    /// Files of the recorded size and times hashed again, their times not [`settled`].
    rehashed: usize,
}

/// Splits files into unchanged (same size and settled times, or same content) and changed.
fn classify(
    ws: &Workspace,
    tx: &Transaction,
    on_disk: &[FileEntry],
    known: &mut HashMap<String, Known>,
    last_listed: Option<i64>,
    errors: &mut Vec<Diagnostic>,
    keep_bytes: bool,
) -> Result<Classified> {
    let mut out = Classified {
        changed: Vec::new(),
        unchanged: 0,
        rehashed: 0,
    };
    for f in on_disk {
        let k = known.remove(&f.rel);
        if let Some(k) = &k
            && k.stamp == stamp(f)
        {
            if settled(f.mtime_ns.max(f.ctime_ns), last_listed) {
                out.unchanged += 1;
                continue;
            }
            out.rehashed += 1;
        }
        // A file too large to read is refused by its size, before it fills the memory.
        if let Some(d) = too_large(&f.rel, f.size as u64) {
            errors.push(d);
            continue;
        }
        let bytes = match read_whole(&ws.abs(&f.rel)) {
            Ok(b) => b,
            Err(e) => {
                errors.push(Diagnostic::file(
                    &f.rel,
                    1,
                    format!("cannot read the file: {e}"),
                ));
                continue;
            }
        };
        let hash = blake3::hash(&bytes).as_bytes().to_vec();
        match k {
            Some(k) if k.hash == hash => {
                if k.stamp != stamp(f) {
                    tx.execute(
                        "UPDATE files SET size = ?1, mtime_ns = ?2, ctime_ns = ?3 WHERE id = ?4",
                        params![f.size, f.mtime_ns, f.ctime_ns, k.id],
                    )?;
                }
                out.unchanged += 1;
            }
            _ => out.changed.push(Changed {
                entry: f.clone(),
                bytes: keep_bytes.then_some(bytes),
                hash,
            }),
        }
    }
    Ok(out)
}

/// Files are hashed when the refresh starts and read again when they are loaded; one
/// replaced in between would leave the index with the rows of one version and the hash of
/// another, and a later return to the hashed version would pass for unchanged. So the hash
/// kept is that of the bytes loaded.
fn keep_hash_of(tx: &Transaction, rel: &str, bytes: &[u8]) -> Result<()> {
    tx.prepare_cached("UPDATE files SET hash = ?1 WHERE path = ?2 AND hash != ?1")?
        .execute(params![blake3::hash(bytes).as_bytes().as_slice(), rel])?;
    Ok(())
}

fn upsert_files(tx: &Transaction, kind: &str, changed: &[Changed]) -> Result<HashMap<String, i64>> {
    let mut ids = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO files(path, kind, size, mtime_ns, ctime_ns, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(path) DO UPDATE SET kind = excluded.kind, size = excluded.size,
             mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, hash = excluded.hash
         RETURNING id",
    )?;
    for c in changed {
        let e = &c.entry;
        let id: i64 = stmt.query_row(
            params![e.rel, kind, e.size, e.mtime_ns, e.ctime_ns, c.hash],
            |r| r.get(0),
        )?;
        ids.insert(c.entry.rel.clone(), id);
    }
    Ok(ids)
}

fn delete_rows_of(
    tx: &Transaction,
    file: i64,
    touched: &mut HashSet<(String, String)>,
) -> Result<()> {
    let mut keys =
        tx.prepare_cached("SELECT DISTINCT metric, unit FROM observations WHERE file = ?1")?;
    for key in keys.query_map([file], |r| Ok((r.get(0)?, r.get(1)?)))? {
        touched.insert(key?);
    }
    tx.execute("DELETE FROM events WHERE file = ?1", [file])?;
    tx.execute("DELETE FROM observations WHERE file = ?1", [file])?;
    Ok(())
}

/// Replaces everything the definition files say.
fn write_definitions(
    tx: &Transaction,
    d: &Definitions,
    file_ids: &HashMap<String, i64>,
) -> Result<()> {
    for t in schema::DEFINITION_TABLES {
        tx.execute_batch(&format!("DELETE FROM {t};"))?;
    }
    tx.execute(
        "DELETE FROM observations WHERE file IN (SELECT id FROM files WHERE kind = ?1)",
        [DEFINITIONS],
    )?;
    let file_id = |path: &str| -> Result<i64> {
        if let Some(id) = file_ids.get(path) {
            return Ok(*id);
        }
        Ok(tx.query_row("SELECT id FROM files WHERE path = ?1", [path], |r| r.get(0))?)
    };
    let mut unit = tx.prepare_cached(
        "INSERT INTO units(id, ord, name, level, kind, parent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut obs = tx.prepare_cached(
        "INSERT INTO observations(file, line, metric, unit, date, value, source)
         VALUES (?1, 0, 'population', ?2, ?3, ?4, ?5)",
    )?;
    // The populations each file gave, kept with the file as a progress file's rows are.
    let mut populations: HashMap<i64, i64> = HashMap::new();
    for (i, u) in d.units.iter().enumerate() {
        unit.execute(params![
            u.unit.id,
            i as i64,
            u.unit.name,
            u.unit.level.as_str(),
            u.unit.kind,
            u.unit.parent
        ])?;
        if let Some(p) = &u.population {
            let file = file_id(&u.path)?;
            obs.execute(params![
                file,
                u.unit.id,
                p.date.to_string(),
                p.value,
                u.population_source
            ])?;
            *populations.entry(file).or_insert(0) += 1;
        }
    }
    tx.execute(
        "UPDATE files SET observations = 0 WHERE kind = ?1",
        [DEFINITIONS],
    )?;
    for (file, n) in populations {
        tx.execute(
            "UPDATE files SET observations = ?1 WHERE id = ?2",
            [n, file],
        )?;
    }
    let registry = d.registry();
    // Instances are written in the registry's order, which reports keep.
    let in_order = |ids: &'_ [String]| -> Vec<String> {
        let mut ids = ids.to_vec();
        ids.sort_by_key(|u| registry.place(u).unwrap_or(usize::MAX));
        ids.dedup();
        ids
    };
    let mut metric = tx.prepare_cached(
        "INSERT INTO metrics(id, name, en, unit, rollup) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (m, _) in &d.metrics {
        metric.execute(params![m.id, m.name, m.en, m.unit, m.rollup])?;
    }
    for (pi, p) in d.policies.iter().enumerate() {
        tx.execute(
            "INSERT INTO policies(id, ord, path, title, number, issuer, issued, jurisdiction,
                 period_start, period_end, source) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
            params![
                p.id,
                pi as i64,
                p.path,
                p.title,
                p.number,
                p.issuer,
                p.issued.to_string(),
                p.jurisdiction,
                p.period.map(|x| x.0.to_string()),
                p.period.map(|x| x.1.to_string()),
                p.source
            ],
        )?;
        for (i, ph) in p.phases.iter().enumerate() {
            tx.execute(
                "INSERT INTO phases(policy, id, ord, name, start, end) VALUES (?1,?2,?3,?4,?5,?6)",
                params![
                    p.id,
                    ph.id,
                    i as i64,
                    ph.name,
                    ph.start.map(|d| d.to_string()),
                    ph.end.map(|d| d.to_string())
                ],
            )?;
        }
        for (i, s) in p.sections.iter().enumerate() {
            tx.execute(
                "INSERT INTO sections(policy, id, ord, number, title) VALUES (?1,?2,?3,?4,?5)",
                params![p.id, s.id, i as i64, s.number, s.title],
            )?;
        }
        let mut task = tx.prepare_cached(
            "INSERT INTO tasks(policy, id, ord, section, number, title, text, phase, recurring)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
        )?;
        let mut owner = tx.prepare_cached(
            "INSERT INTO owners(policy, task, role, pos, unit) VALUES (?1,?2,?3,?4,?5)",
        )?;
        let mut inst = tx.prepare_cached(
            "INSERT INTO instances(policy, task, unit, due, recurring) VALUES (?1,?2,?3,?4,?5)",
        )?;
        let mut due = tx.prepare_cached("INSERT INTO dues(instance, due) VALUES (?1,?2)")?;
        for (ti, t) in p.tasks.iter().enumerate() {
            let recurring = matches!(t.schedule, crate::model::Schedule::Every { .. });
            task.execute(params![
                p.id, t.id, ti as i64, t.section, t.number, t.title, t.text, t.phase, recurring
            ])?;
            for (role, list) in [("lead", &t.lead), ("support", &t.support)] {
                for (pos, u) in list.iter().enumerate() {
                    owner.execute(params![p.id, t.id, role, pos as i64, u])?;
                }
            }
            let dues: Vec<String> = crate::judge::deadline::due_dates(&t.schedule)
                .iter()
                .map(ToString::to_string)
                .collect();
            let first = dues.iter().min();
            for u in in_order(&t.instance_units) {
                inst.execute(params![p.id, t.id, u, first, recurring])?;
                let id = tx.last_insert_rowid();
                for d in &dues {
                    due.execute(params![id, d])?;
                }
            }
        }
        let mut target = tx.prepare_cached(
            "INSERT INTO targets(policy, id, ord, task, title, metric, per_metric, scale, measure,
                 growth, deadline, min, max, baseline_value, baseline_date, levels, kind, units,
                 unit)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)",
        )?;
        let mut threshold = tx.prepare_cached(
            "INSERT INTO target_thresholds(policy, target, kind, min, max) VALUES (?1,?2,?3,?4,?5)",
        )?;
        for (ti, t) in p.targets.iter().enumerate() {
            let (levels, kind) = match &t.scope {
                Scope::Unit(_) => (None, None),
                Scope::Each { levels, kind } => (
                    Some(
                        levels
                            .iter()
                            .map(|l| l.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    kind.as_deref(),
                ),
            };
            let only = match t.units.as_slice() {
                [only] => Some(only),
                _ => None,
            };
            target.execute(params![
                p.id,
                t.id,
                ti as i64,
                t.task,
                t.title,
                t.metric,
                t.per.as_ref().map(|x| x.0.clone()),
                t.per.as_ref().map(|x| x.1),
                t.measure.as_str(),
                t.growth.as_str(),
                t.deadline.map(|d| d.to_string()),
                t.bounds.min,
                t.bounds.max,
                t.baseline.map(|b| b.value),
                t.baseline.map(|b| b.date.to_string()),
                levels,
                kind,
                t.units.len() as i64,
                only
            ])?;
            for (kind, bounds) in &t.thresholds {
                threshold.execute(params![p.id, t.id, kind, bounds.min, bounds.max])?;
            }
        }
    }
    Ok(())
}

/// Which newest and oldest figures a refresh brings up to date, besides those of the keys
/// it touched.
#[derive(Clone, Copy, PartialEq)]
enum Ends {
    /// Only the touched keys.
    Touched,
    /// Every population too: the definitions, which carry them, were written afresh.
    Populations,
    /// All of them: a bulk load.
    All,
}

/// Brings `latest` and `earliest` up to date: key by key for what a refresh touched, or a
/// metric or the whole table at once when that is most of it anyway.
fn update_ends(tx: &Transaction, touched: &HashSet<(String, String)>, ends: Ends) -> Result<()> {
    const WHOLE: usize = 20_000;
    if ends == Ends::All || touched.len() > WHOLE {
        return rebuild_ends(tx, None);
    }
    if ends == Ends::Populations {
        rebuild_ends(tx, Some(POPULATION))?;
    }
    for (table, order) in [("latest", "DESC"), ("earliest", "ASC")] {
        let mut clear = tx.prepare_cached(&format!(
            "DELETE FROM {table} WHERE metric = ?1 AND unit = ?2"
        ))?;
        let mut fill = tx.prepare_cached(&format!(
            "INSERT INTO {table}(metric, unit, date, value)
             SELECT o.metric, o.unit, o.date, o.value FROM observations o
             JOIN files f ON f.id = o.file
             WHERE o.metric = ?1 AND o.unit = ?2
             ORDER BY o.date {order}, f.path DESC, o.line DESC LIMIT 1"
        ))?;
        for (metric, unit) in touched {
            if ends == Ends::Populations && metric == POPULATION {
                continue;
            }
            clear.execute(params![metric, unit])?;
            fill.execute(params![metric, unit])?;
        }
    }
    Ok(())
}

/// Writes `latest` and `earliest` afresh from the observations, of one metric or all.
fn rebuild_ends(tx: &Transaction, metric: Option<&str>) -> Result<()> {
    let only = if metric.is_some() {
        "WHERE metric = ?1"
    } else {
        ""
    };
    let params: &[&dyn rusqlite::ToSql] = match &metric {
        Some(m) => &[m],
        None => &[],
    };
    // Of several observations of one key on its newest (or oldest) day, the one written
    // last: in the file whose path sorts last, on its last line. Not the one loaded last,
    // which would make an index kept up to date differ from one built afresh.
    for (table, end) in [("latest", "max"), ("earliest", "min")] {
        tx.execute(&format!("DELETE FROM {table} {only}"), params)?;
        // The dates come from the index on (metric, unit, date) alone; a bare `value`
        // beside max(date) would instead fetch the row of every observation.
        tx.execute(
            &format!(
                "INSERT INTO {table}(metric, unit, date, value)
                 SELECT k.metric, k.unit, k.date,
                        (SELECT o.value FROM observations o JOIN files f ON f.id = o.file
                         WHERE o.metric = k.metric AND o.unit = k.unit AND o.date = k.date
                         ORDER BY f.path DESC, o.line DESC LIMIT 1)
                 FROM (SELECT metric, unit, {end}(date) AS date FROM observations {only}
                       GROUP BY metric, unit) k"
            ),
            params,
        )?;
    }
    Ok(())
}

/// Writes `standing` afresh for the instances whose events changed (`stale`), or for all
/// of them after a bulk load or new definitions.
fn update_standing(tx: &Transaction, whole: bool) -> Result<()> {
    const WHOLE: i64 = 20_000;
    let stale: i64 = tx.query_row("SELECT count(*) FROM stale", [], |r| r.get(0))?;
    if stale == 0 && !whole {
        return Ok(());
    }
    // The newest event is the last written of its newest day, as `latest` keeps the newest
    // figure: in the file whose path sorts last, on its last line.
    if whole || stale > WHOLE {
        tx.execute_batch(
            "DELETE FROM standing;
             INSERT INTO standing(instance, date, status, note, evidence)
             SELECT instance, date, status, note, evidence FROM (
                 SELECT e.instance, e.date, e.status, e.note, e.evidence,
                        row_number() OVER (PARTITION BY e.instance
                            ORDER BY e.date DESC, f.path DESC, e.line DESC) AS n
                 FROM events e JOIN files f ON f.id = e.file
                 WHERE e.instance IS NOT NULL)
             WHERE n = 1;",
        )?;
    } else {
        tx.execute_batch(
            "DELETE FROM standing WHERE instance IN stale;
             INSERT INTO standing(instance, date, status, note, evidence)
             SELECT s.instance, e.date, e.status, e.note, e.evidence FROM stale s
             JOIN events e ON e.rowid = (
                 SELECT n.rowid FROM events n JOIN files f ON f.id = n.file
                 WHERE n.instance = s.instance
                 ORDER BY n.date DESC, f.path DESC, n.line DESC LIMIT 1);",
        )?;
    }
    tx.execute("DELETE FROM stale", [])?;
    Ok(())
}

/// How progress rows were resolved against the definitions a refresh replaces: a unit
/// named by its name, and an event that leaves out the unit of a task with one.
struct Resolution {
    /// Each unit's name, by id.
    names: HashMap<String, String>,
    /// The ids of the units of each name.
    named: HashMap<String, Vec<String>>,
    /// The units carrying out each task, in order.
    task_units: HashMap<(String, String), Vec<String>>,
}

impl Resolution {
    fn read(conn: &Connection) -> Result<Resolution> {
        let mut names = HashMap::new();
        let mut named: HashMap<String, Vec<String>> = HashMap::new();
        let mut stmt = conn.prepare("SELECT id, name FROM units")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, name): (String, String) = (r.get(0)?, r.get(1)?);
            named.entry(name.clone()).or_default().push(id.clone());
            names.insert(id, name);
        }
        Ok(Resolution {
            names,
            named,
            task_units: task_units(conn)?,
        })
    }

    /// The unit a reference means, as [`Lookups`] resolves it: the unit of that id, else
    /// the only unit of that name.
    fn unit(&self, reference: &str) -> Option<&str> {
        if let Some((id, _)) = self.names.get_key_value(reference) {
            return Some(id);
        }
        match self.named.get(reference).map(Vec::as_slice) {
            Some([only]) => Some(only),
            _ => None,
        }
    }
}

/// The units carrying out each task, in the order of their instances.
fn task_units(conn: &Connection) -> Result<HashMap<(String, String), Vec<String>>> {
    let mut tasks: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT policy, task, unit FROM instances ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        tasks
            .entry((r.get(0)?, r.get(1)?))
            .or_default()
            .push(r.get(2)?);
    }
    Ok(tasks)
}

/// The unchanged progress files whose rows the new definitions may resolve otherwise:
/// - rows on a unit, metric or task that is gone;
/// - rows on a unit whose name now means another unit, or none;
/// - events of a task whose units changed (an event may leave out the unit of a task
///   carried out by one).
///
/// The figures are found through `latest`, which holds every (metric, unit) key of the
/// files left unchanged, rather than by reading millions of observations.
fn progress_to_reread(tx: &Transaction, before: &Resolution) -> Result<Vec<(i64, String)>> {
    let now = Resolution::read(tx)?;
    // Units still defined that a row could have named by the name they had, which now
    // means another unit or none.
    let moved: HashSet<&str> = before
        .names
        .iter()
        .filter(|&(id, name)| {
            now.names.contains_key(id)
                && before.unit(name) == Some(id)
                && now.unit(name) != Some(id)
        })
        .map(|(id, _)| id.as_str())
        .collect();
    let tasks: HashSet<&(String, String)> = before
        .task_units
        .iter()
        .filter(|&(task, units)| now.task_units.get(task) != Some(units))
        .map(|(task, _)| task)
        .collect();

    let mut files: HashSet<i64> = HashSet::new();
    let mut stmt = tx.prepare("SELECT file, policy, task, unit, instance IS NULL FROM events")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = (r.get::<_, String>(1)?, r.get::<_, String>(2)?);
        let unit = r.get_ref(3)?.as_str()?;
        if r.get(4)? || tasks.contains(&key) || moved.contains(unit) {
            files.insert(r.get(0)?);
        }
    }
    let mut stmt = tx.prepare(
        // CROSS JOIN keeps the keys first: the other way round reads every observation.
        "SELECT DISTINCT o.file FROM latest k CROSS JOIN observations o
             ON o.metric = k.metric AND o.unit = k.unit
         WHERE k.metric NOT IN (SELECT id FROM metrics) OR k.unit NOT IN (SELECT id FROM units)",
    )?;
    for file in stmt.query_map([], |r| r.get(0))? {
        files.insert(file?);
    }
    let metrics: Vec<String> = tx
        .prepare("SELECT id FROM metrics")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut of_key =
        tx.prepare("SELECT DISTINCT file FROM observations WHERE metric = ?1 AND unit = ?2")?;
    for unit in &moved {
        for metric in &metrics {
            for file in of_key.query_map(params![metric, unit], |r| r.get(0))? {
                files.insert(file?);
            }
        }
    }
    let mut path = tx.prepare("SELECT path FROM files WHERE id = ?1 AND kind = ?2")?;
    let mut out: Vec<(i64, String)> = Vec::new();
    for id in files {
        if let Some(p) = path
            .query_row(params![id, PROGRESS], |r| r.get(0))
            .optional()?
        {
            out.push((id, p));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The registry and task instances as the index holds them now.
fn catalog(tx: &Transaction) -> Result<Catalog> {
    Ok(Catalog {
        registry: snapshot::registry(tx)?,
        tasks: task_units(tx)?,
    })
}

fn insert_progress(tx: &Transaction, file: i64, rows: &ProgressRows) -> Result<()> {
    for e in &rows.events {
        insert_event(tx, file, e)?;
    }
    for o in &rows.observations {
        insert_observation(tx, file, o)?;
    }
    Ok(())
}

fn insert_event(tx: &Transaction, file: i64, e: &EventRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO events(file, line, policy, task, unit, instance, date, status, note, evidence)
         VALUES (?1,?2,?3,?4,?5,
                 (SELECT id FROM instances WHERE policy = ?3 AND task = ?4 AND unit = ?5),
                 ?6,?7,?8,?9)",
    )?
    .execute(params![
        file,
        e.line as i64,
        e.policy,
        e.task,
        e.unit,
        e.date.to_string(),
        e.status.as_str(),
        e.note,
        e.evidence
    ])?;
    Ok(())
}

fn insert_observation(tx: &Transaction, file: i64, o: &ObservationRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO observations(file, line, metric, unit, date, value, source)
         VALUES (?1,?2,?3,?4,?5,?6,?7)",
    )?
    .execute(params![
        file,
        o.line as i64,
        o.metric,
        o.unit,
        o.date.to_string(),
        o.value,
        o.source
    ])?;
    Ok(())
}

/// Where a row the index holds sits: its rowid and the line it was read from.
type Held = Vec<(i64, i64)>;

/// Makes the rows the index holds for `file` those of `rows`. A row the file still has
/// stays where it is (renumbered if its line moved); only the rows that differ are deleted
/// or inserted. Correcting one figure in a file of a thousand rows then writes one row,
/// not a thousand scattered entries of each index on observations.
fn replace_rows(
    tx: &Transaction,
    file: i64,
    rows: &ProgressRows,
    touched: &mut HashSet<(String, String)>,
) -> Result<()> {
    count_rows(tx, file, rows)?;
    let mut held: HashMap<[String; 7], Held> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT rowid, line, policy, task, unit, date, status, note, evidence FROM events
         WHERE file = ?1",
    )?;
    let mut found = stmt.query([file])?;
    while let Some(r) = found.next()? {
        let key: [String; 7] = [
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
        ];
        held.entry(key).or_default().push((r.get(0)?, r.get(1)?));
    }
    drop(found);
    for e in &rows.events {
        let key = [
            e.policy.clone(),
            e.task.clone(),
            e.unit.clone(),
            e.date.to_string(),
            e.status.as_str().to_string(),
            e.note.clone(),
            e.evidence.clone(),
        ];
        if !keep_held(tx, "events", &mut held, &key, e.line)? {
            insert_event(tx, file, e)?;
        }
    }
    for (rowid, _) in held.into_values().flatten() {
        tx.prepare_cached("DELETE FROM events WHERE rowid = ?1")?
            .execute([rowid])?;
    }

    // An observation's value is compared by its bits: the same text parses the same.
    let mut held: HashMap<(String, String, String, u64, String), Held> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT rowid, line, metric, unit, date, value, source FROM observations WHERE file = ?1",
    )?;
    let mut found = stmt.query([file])?;
    while let Some(r) = found.next()? {
        let key = (
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get::<_, f64>(5)?.to_bits(),
            r.get(6)?,
        );
        held.entry(key).or_default().push((r.get(0)?, r.get(1)?));
    }
    drop(found);
    for o in &rows.observations {
        let key = (
            o.metric.clone(),
            o.unit.clone(),
            o.date.to_string(),
            o.value.to_bits(),
            o.source.clone(),
        );
        if !keep_held(tx, "observations", &mut held, &key, o.line)? {
            insert_observation(tx, file, o)?;
            touched.insert((o.metric.clone(), o.unit.clone()));
        }
    }
    for ((metric, unit, ..), gone) in held {
        for (rowid, _) in gone {
            tx.prepare_cached("DELETE FROM observations WHERE rowid = ?1")?
                .execute([rowid])?;
        }
        touched.insert((metric, unit));
    }
    Ok(())
}

/// Keeps the number of rows `file` gave, for summaries.
fn count_rows(tx: &Transaction, file: i64, rows: &ProgressRows) -> Result<()> {
    tx.prepare_cached("UPDATE files SET events = ?1, observations = ?2 WHERE id = ?3")?
        .execute(params![
            rows.events.len() as i64,
            rows.observations.len() as i64,
            file
        ])?;
    Ok(())
}

/// Keeps one of the rows of `table` held under `key` (the one on `line` if there is one,
/// else moved to it) and says so; false when none is held: the row is new.
fn keep_held<K: std::hash::Hash + Eq>(
    tx: &Transaction,
    table: &str,
    held: &mut HashMap<K, Held>,
    key: &K,
    line: usize,
) -> Result<bool> {
    let Some(rows) = held.get_mut(key) else {
        return Ok(false);
    };
    let line = line as i64;
    let at = rows.iter().position(|&(_, l)| l == line).unwrap_or(0);
    let (rowid, was) = rows.swap_remove(at);
    if rows.is_empty() {
        held.remove(key);
    }
    if was != line {
        tx.prepare_cached(&format!("UPDATE {table} SET line = ?1 WHERE rowid = ?2"))?
            .execute(params![line, rowid])?;
    }
    Ok(true)
}

/// Checks progress rows against the index as it stands, one indexed query for each unit,
/// metric and task they name: `record` checks its one row so before writing it, without
/// reading a province's registry and task instances whole.
pub fn check_rows(
    conn: &Connection,
    src: &Source,
) -> Result<Result<ProgressRows, Vec<Diagnostic>>> {
    let tx = conn.unchecked_transaction()?;
    let checked = check_progress(src, &Lookups::new(&tx))?;
    tx.finish()?;
    Ok(checked)
}

/// What `import` checks a return's many rows against, read whole once.
pub fn catalog_of(index: &mut Index) -> Result<Catalog> {
    let tx = index.conn.transaction()?;
    let c = catalog(&tx)?;
    tx.commit()?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::{Index, SLACK_NS, settled};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_reader_stopped_fails_its_statements_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let conn = index.reader_stopped_by(Some(Arc::clone(&stop)))()
            .unwrap()
            .unwrap();
        // Long enough to reach the handler many times over.
        let count =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                     SELECT count(*) FROM n";
        let rows: i64 = conn.query_row(count, [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 100_000);
        stop.store(true, Ordering::Relaxed);
        let err = conn
            .query_row(count, [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
    }

    #[test]
    fn a_time_is_trusted_only_once_well_past_when_the_files_were_listed() {
        let listed = 1_700_000_000_000_000_000;
        assert!(settled(listed - SLACK_NS - 1, Some(listed)));
        assert!(!settled(listed - SLACK_NS, Some(listed)));
        assert!(
            !settled(listed - 1, Some(listed)),
            "written as the refresh ran"
        );
        assert!(
            !settled(listed + 3_600_000_000_000, Some(listed)),
            "a time in the future"
        );
        assert!(!settled(0, None), "an index that never said when it listed");
    }
}
