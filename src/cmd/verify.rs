//! `govtrack verify`: checks the whole workspace, and the index against it, without
//! writing anything: not the files, not the index. Meant for before committing manifests.
//!
//! Every file is parsed and every reference resolved against the manifests as they are on
//! disk, so progress that refers to a task or a unit no longer defined is listed, file and
//! line, and never deleted. The index is read only: it must pass SQLite's own check, and
//! for every file it holds at the file's present content it must hold as many rows as the
//! file has. An index that is merely behind the files is not a problem (the next command
//! brings it up to date) and is said so. An index up to date with the files is compared,
//! table by table, with one built afresh from them in a temporary folder: SQLite keeps no
//! checksums, and a flipped bit in a figure would otherwise give a wrong report unseen.

use super::print;
use crate::cli::Cli;
use crate::diag::{BadInput, Diagnostic};
use crate::i18n::Lang;
use crate::index::Index;
use crate::index::contents::{Contents, contents, differences};
use crate::index::schema;
use crate::parse::defs::{Definitions, parse_definitions};
use crate::parse::progress::{Catalog, parse_progress};
use crate::workspace::{FileEntry, Workspace, source_from_bytes, too_large};
use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

/// What the files say, per file: its content hash and, for progress, the rows it gives.
struct OnDisk {
    hash: Vec<u8>,
    definitions: bool,
    rows: Option<(i64, i64)>,
}

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let ws = Workspace::locate(cli.workspace.as_deref())?;
    let lang = Lang::resolve(cli.lang);
    let db = ws.db_path(cli.db.as_deref());
    std::thread::scope(|scope| verify(scope, &ws, &db, lang))
}

fn verify<'s>(
    scope: &'s Scope<'s, '_>,
    ws: &'s Workspace,
    db: &'s Path,
    lang: Lang,
) -> Result<ExitCode> {
    // SQLite's check reads every page of a province's index, 1.4 GB: on a core of its own
    // while the files are read on this one.
    let checked = scope.spawn(|| db.exists().then(|| sqlite_check(db)));
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut disk: HashMap<String, OnDisk> = HashMap::new();

    let def_files = ws.definition_files()?;
    let progress_files = ws.progress_files()?;
    // An index that looks up to date is likely to be compared with one built afresh: the
    // building starts now, beside the reading of the files, and stops if it is not needed.
    let early = (db.exists() && looks_current(db, def_files.iter().chain(&progress_files)))
        .then(|| Afresh::start(scope, ws))
        .flatten();

    let mut sources = Vec::new();
    for f in &def_files {
        match read(ws, &f.rel) {
            Ok(bytes) => {
                disk.insert(
                    f.rel.clone(),
                    OnDisk {
                        hash: blake3::hash(&bytes).as_bytes().to_vec(),
                        definitions: true,
                        rows: None,
                    },
                );
                match source_from_bytes(&f.rel, bytes) {
                    Ok(s) => sources.push(s),
                    Err(d) => problems.push(d),
                }
            }
            Err(d) => problems.push(d),
        }
    }
    let defs = parse_definitions(&sources)
        .map_err(|mut e| problems.append(&mut e))
        .ok();
    let catalog = defs.as_ref().map(catalog);

    for f in &progress_files {
        let bytes = match read(ws, &f.rel) {
            Ok(b) => b,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let hash = blake3::hash(&bytes).as_bytes().to_vec();
        let rows = source_from_bytes(&f.rel, bytes)
            .map_err(|d| vec![d])
            .and_then(|src| parse_progress(&src, catalog.as_ref()));
        let rows = match rows {
            // Without sound manifests no row can be checked, and none is counted.
            Ok(_) if catalog.is_none() => None,
            Ok(r) => Some((r.events.len() as i64, r.observations.len() as i64)),
            Err(mut e) => {
                problems.append(&mut e);
                None
            }
        };
        disk.insert(
            f.rel.clone(),
            OnDisk {
                hash,
                definitions: false,
                rows,
            },
        );
    }

    let checked = checked
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
    let mut behind = match checked {
        Some(check) => check_index(db, &check?, &disk, defs.as_ref(), &mut problems)
            .or_else(|e| unreadable(db, e, &mut problems))?,
        None => None,
    };
    if behind == Some(0) && problems.is_empty() {
        let compared = compare_afresh(scope, ws, db, &disk, early)
            .context("cannot build an index afresh to compare the index with")?;
        match compared {
            Compared::Same => {}
            Compared::FilesChanged(n) => behind = Some(n),
            Compared::Differs(tables) => problems.push(differs(db, &tables)),
            Compared::Unreadable(e) => {
                unreadable(db, e, &mut problems)?;
            }
        }
    } else {
        drop(early);
    }

    if !problems.is_empty() {
        problems.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        problems.dedup();
        return Err(BadInput(problems).into());
    }
    let (d, p) = (def_files.len(), progress_files.len());
    let mut out = match lang {
        Lang::En => format!(
            "verified {d} definition files and {p} progress files: every file parses and every reference resolves\n"
        ),
        Lang::Zh => format!("已检查{d}个定义文件和{p}个进度文件:全部可解析,引用全部有效\n"),
    };
    out += &match (behind, lang) {
        (None, Lang::En) => "no index yet: the next command builds it from the files\n".into(),
        (None, Lang::Zh) => "尚无索引:下一条命令将根据文件建立\n".into(),
        (Some(0), Lang::En) => "the index matches the files\n".into(),
        (Some(0), Lang::Zh) => "索引与文件一致\n".into(),
        (Some(n), Lang::En) => format!(
            "the index is behind {n} files (new, changed or removed); the next command brings it up to date\n"
        ),
        (Some(n), Lang::Zh) => {
            format!("索引落后于{n}个文件(新增、修改或删除),下一条命令将自动更新\n")
        }
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn read(ws: &Workspace, rel: &str) -> Result<Vec<u8>, Diagnostic> {
    let size = std::fs::metadata(ws.abs(rel)).map_or(0, |m| m.len());
    if let Some(d) = too_large(rel, size) {
        return Err(d);
    }
    crate::workspace::read_whole(&ws.abs(rel))
        .map_err(|e| Diagnostic::file(rel, 1, format!("cannot read the file: {e}")))
}

/// The units and task instances the manifests on disk define, for checking progress.
fn catalog(d: &Definitions) -> Catalog {
    let registry = d.registry();
    let mut tasks: HashMap<(String, String), Vec<String>> = HashMap::new();
    for p in &d.policies {
        for t in &p.tasks {
            let mut units = t.instance_units.clone();
            units.sort_by_key(|u| registry.place(u));
            units.dedup();
            tasks.insert((p.id.clone(), t.id.clone()), units);
        }
    }
    Catalog { registry, tasks }
}

fn damaged(db: &Path, what: String) -> Diagnostic {
    Diagnostic::file(db.display().to_string(), 1, what)
        .help("delete the index: it is rebuilt from the files, which hold everything")
}

/// An index that passed SQLite's check and is marked as of this version, but cannot be read
/// as this version writes it (a flipped bit in its schema), is damaged: said as a problem.
/// Any other error is returned.
fn unreadable(
    db: &Path,
    e: anyhow::Error,
    problems: &mut Vec<Diagnostic>,
) -> Result<Option<usize>> {
    match e.downcast_ref::<rusqlite::Error>() {
        Some(sql) => {
            problems.push(damaged(db, format!("the index is damaged: {sql}")));
            Ok(Some(0))
        }
        None => Err(e),
    }
}

/// SQLite's own check of the index: every page well formed, and every index of a table
/// holding exactly the table's rows (reports read through them). "ok", or what it found.
fn sqlite_check(db: &Path) -> Result<String> {
    Ok(open_read_only(db)?
        .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
        .unwrap_or_else(|e| e.to_string()))
}

/// Checks the index read-only, given SQLite's `check` of it. Returns how many files it is
/// behind (new, changed or removed since it was brought up to date), or `None` when it was
/// made by another version of govtrack (the next command rebuilds it).
fn check_index(
    db: &Path,
    check: &str,
    disk: &HashMap<String, OnDisk>,
    defs: Option<&Definitions>,
    problems: &mut Vec<Diagnostic>,
) -> Result<Option<usize>> {
    let damaged = |what: String| damaged(db, what);
    let conn = open_read_only(db)?;
    if check != "ok" {
        problems.push(damaged(format!("the index is damaged: {check}")));
        return Ok(Some(0));
    }
    let version: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
            r.get(0)
        })
        .optional()
        .unwrap_or(None);
    if version != Some(schema::VERSION.to_string()) {
        return Ok(None);
    }

    let mut behind = 0;
    let mut defs_current = true;
    let mut seen = std::collections::HashSet::new();
    let mut stmt = conn.prepare(
        "SELECT f.path, f.kind, f.hash, f.events, f.observations,
                (SELECT count(*) FROM events e WHERE e.file = f.id),
                (SELECT count(*) FROM observations o WHERE o.file = f.id)
         FROM files f",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let path: String = r.get(0)?;
        let Some(on_disk) = disk.get(&path) else {
            behind += 1;
            defs_current &= r.get_ref(1)?.as_str()? != "definitions";
            continue;
        };
        seen.insert(path.clone());
        if r.get::<_, Vec<u8>>(2)? != on_disk.hash {
            behind += 1;
            defs_current &= r.get_ref(1)?.as_str()? != "definitions";
            continue;
        }
        let (noted, held): ((i64, i64), (i64, i64)) =
            ((r.get(3)?, r.get(4)?), (r.get(5)?, r.get(6)?));
        if let Some(file) = on_disk.rows
            && (noted != file || held != file)
        {
            problems.push(damaged(format!(
                "the index does not match {path}: the file has {} events and {} observations, \
                 the index holds {} and {}",
                file.0, file.1, held.0, held.1
            )));
        }
    }
    for (path, f) in disk {
        if !seen.contains(path) {
            behind += 1;
            defs_current &= !f.definitions;
        }
    }

    // With every manifest as the index last read it, the index holds what they define.
    if let Some(d) = defs.filter(|_| defs_current) {
        let count = |table: &str| -> Result<i64> {
            Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        };
        let tasks = d.policies.iter().map(|p| p.tasks.len()).sum::<usize>();
        for (table, want) in [
            ("units", d.units.len()),
            ("policies", d.policies.len()),
            ("tasks", tasks),
        ] {
            let held = count(table)?;
            if held != want as i64 {
                problems.push(damaged(format!(
                    "the index does not match the manifests: they define {want} {table}, the index holds {held}"
                )));
            }
        }
    }
    Ok(Some(behind))
}

enum Compared {
    /// The index holds what one built afresh holds.
    Same,
    /// Files changed while the index was built afresh: this many are not as first read.
    FilesChanged(usize),
    /// These tables differ, with the rows of each in the index and in the fresh one.
    Differs(Vec<(String, Option<u64>, Option<u64>)>),
    /// The index could not be read whole.
    Unreadable(anyhow::Error),
}

/// What an index built afresh holds, and each file's hash in it.
type Built = (Contents, HashMap<String, Vec<u8>>);

/// An index being built afresh from the files on a thread of its own, in a temporary
/// folder (`TMPDIR`). Dropped unfinished, it stops at SQLite's next step and its folder is
/// removed.
struct Afresh<'s> {
    stop: Arc<AtomicBool>,
    building: Option<ScopedJoinHandle<'s, Result<Built>>>,
    _dir: tempfile::TempDir,
}

impl<'s> Afresh<'s> {
    fn folder() -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("govtrack-verify-")
            .tempdir()
            .context("cannot make a temporary folder to build an index afresh in (see TMPDIR)")
    }

    /// Starts building, unless no temporary folder can be made: then the comparison, if it
    /// is needed, says why.
    fn start(scope: &'s Scope<'s, '_>, ws: &'s Workspace) -> Option<Afresh<'s>> {
        let dir = Afresh::folder().ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let path = dir.path().join("index.sqlite");
        let stopped = Arc::clone(&stop);
        let building = scope.spawn(move || build_afresh(ws, &path, Some(stopped)));
        Some(Afresh {
            stop,
            building: Some(building),
            _dir: dir,
        })
    }

    fn finish(mut self) -> Result<Built> {
        let building = self.building.take().expect("joined once");
        building
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

impl Drop for Afresh<'_> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(building) = self.building.take() {
            let _ = building.join();
        }
    }
}

/// Whether the index lists exactly these files, each with the size and times it has now:
/// then it is likely up to date. A guess, to start building early; whether it is up to
/// date is decided by the files' content.
fn looks_current<'f>(db: &Path, files: impl Iterator<Item = &'f FileEntry>) -> bool {
    let held = || -> rusqlite::Result<HashMap<String, (i64, i64, i64)>> {
        open_read_only(db)?
            .prepare("SELECT path, size, mtime_ns, ctime_ns FROM files")?
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
            .collect()
    };
    let Ok(held) = held() else { return false };
    let mut listed = 0;
    files
        .inspect(|_| listed += 1)
        .all(|f| held.get(&f.rel) == Some(&(f.size, f.mtime_ns, f.ctime_ns)))
        && listed == held.len()
}

/// Compares every table of the index with those of an index built afresh: the one `early`
/// has been building, or one built now, while the index is read on another thread.
fn compare_afresh<'s>(
    scope: &'s Scope<'s, '_>,
    ws: &'s Workspace,
    db: &'s Path,
    disk: &HashMap<String, OnDisk>,
    early: Option<Afresh<'s>>,
) -> Result<Compared> {
    let read_kept = || contents(&open_read_only(db)?);
    let (kept, fresh) = match early {
        Some(early) => (read_kept(), early.finish()),
        None => {
            let dir = Afresh::folder()?;
            let kept = scope.spawn(read_kept);
            let fresh = build_afresh(ws, &dir.path().join("index.sqlite"), None);
            let kept = kept.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (kept, fresh)
        }
    };
    let (fresh, hashes) = fresh?;
    let kept = match kept {
        Ok(kept) => kept,
        Err(e) => return Ok(Compared::Unreadable(e)),
    };
    let changed = disk
        .iter()
        .filter(|(path, f)| hashes.get(*path) != Some(&f.hash))
        .count()
        + hashes.keys().filter(|p| !disk.contains_key(*p)).count();
    if changed > 0 {
        return Ok(Compared::FilesChanged(changed));
    }
    let tables = differences(&kept, &fresh);
    Ok(if tables.is_empty() {
        Compared::Same
    } else {
        Compared::Differs(tables)
    })
}

/// Builds an index of the workspace at `path`; SQLite stops at its next step once `stop`
/// is set.
fn build_afresh(ws: &Workspace, path: &Path, stop: Option<Arc<AtomicBool>>) -> Result<Built> {
    let (mut index, _) = Index::open(path)
        .with_context(|| format!("cannot build an index afresh in {}", path.display()))?;
    if let Some(stop) = stop {
        index
            .conn_mut()
            .progress_handler(1000, Some(move || stop.load(Ordering::Relaxed)))?;
    }
    index.refresh_with(ws, &mut super::progress_bar())?;
    let conn = index.conn();
    let hashes = conn
        .prepare("SELECT path, hash FROM files")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((contents(conn)?, hashes))
}

fn differs(db: &Path, tables: &[(String, Option<u64>, Option<u64>)]) -> Diagnostic {
    let listed: Vec<String> = tables
        .iter()
        .map(|(t, kept, fresh)| match (kept, fresh) {
            (Some(k), Some(f)) if k == f => format!("{t} (as many rows, {k}, but not the same)"),
            (Some(k), Some(f)) => format!("{t} ({k} rows, {f} afresh)"),
            (None, _) => format!("{t} (missing)"),
            (_, None) => format!("{t} (not made afresh)"),
        })
        .collect();
    damaged(
        db,
        format!(
            "the index does not hold what the files say: these tables differ from an index built afresh from them: {}",
            listed.join("; ")
        ),
    )
}

/// Opens the index without writing a byte. Reading a database in WAL mode creates its
/// `-wal` and `-shm` files; when there is no `-wal` (no writer open, everything
/// checkpointed) the file alone is the whole index and is opened as immutable, which
/// creates nothing. Otherwise those files exist already and a read-only connection reads
/// what a writer has committed.
fn open_read_only(db: &Path) -> rusqlite::Result<Connection> {
    if crate::index::beside(db, "-wal").exists() {
        return Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY);
    }
    let path = db.to_string_lossy();
    let mut uri = String::from("file:");
    for c in path.chars() {
        match c {
            '%' => uri += "%25",
            '?' => uri += "%3f",
            '#' => uri += "%23",
            c => uri.push(c),
        }
    }
    uri += "?immutable=1";
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
}
