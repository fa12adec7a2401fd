//! One file per subcommand; each only wires the stages together.

pub mod check;
pub mod gaps;
pub mod import;
pub mod load;
pub mod overdue;
pub mod record;
pub mod report;
pub mod status;
pub mod verify;

use crate::cli::{Cli, Command, ReportArgs};
use crate::halves;
use crate::i18n::Lang;
use crate::index::snapshot::{self, Need, Snapshot};
use crate::index::{Index, Rebuilt, Refresh};
use crate::registry::{Registry, Unresolved};
use crate::report::Filter;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// An open workspace with its index brought up to date.
pub struct Ctx {
    pub ws: Workspace,
    pub lang: Lang,
    pub index: Index,
    pub refresh: Refresh,
}

impl Ctx {
    pub fn open(cli: &Cli) -> Result<Ctx> {
        let ws = Workspace::locate(cli.workspace.as_deref())?;
        let (db, mut index, rebuilt) = open_index(cli, &ws)?;
        let mut refresh = index.refresh_with(&ws, &mut progress_bar())?;
        refresh.rebuilt = said(rebuilt, &db);
        Ok(Ctx {
            ws,
            lang: Lang::resolve(cli.lang),
            index,
            refresh,
        })
    }

    /// Runs `read` in one read transaction: a report reads the index in many queries, and
    /// all of them see the same state even when another process commits meanwhile.
    pub fn read<T>(&self, read: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        let tx = self.index.conn().unchecked_transaction()?;
        let out = read(&tx)?;
        tx.finish()?;
        Ok(out)
    }

    /// Opens the workspace for a report and reads what it judges, as [`Ctx::open`] and
    /// [`Ctx::scoped`] do one after the other. Here the reading starts at once, on
    /// connections of its own, beside the refresh, which at a province's scale spends some
    /// 20 ms checking 4,000 files for changes. It is kept when the refresh leaves the index
    /// as the reading saw it (the same generation); otherwise it is stopped and made again.
    pub fn open_scoped(
        cli: &Cli,
        args: &ReportArgs,
        need: Need,
    ) -> Result<(Ctx, Snapshot, Filter)> {
        let ws = Workspace::locate(cli.workspace.as_deref())?;
        let (db, mut index, rebuilt) = open_index(cli, &ws)?;
        let stop = Arc::new(AtomicBool::new(false));
        let first = index.reader_stopped_by(Some(Arc::clone(&stop)));
        let second = index.reader_stopped_by(Some(Arc::clone(&stop)));
        let seen: OnceLock<Option<String>> = OnceLock::new();
        let (refresh, early) = std::thread::scope(|threads| {
            let early = halves::start(threads, || -> Option<(Snapshot, Filter)> {
                let conn = first().ok()??;
                let tx = conn.unchecked_transaction().ok()?;
                seen.set(snapshot::generation(&tx).ok()?).ok()?;
                scoped_on(&tx, second, args, need).ok()
            });
            let refresh = index.refresh_with(&ws, &mut progress_bar());
            let now = refresh
                .as_ref()
                .ok()
                .and_then(|_| snapshot::generation(index.conn()).ok());
            let keep = now.is_some() && seen.get() == now.as_ref();
            if !keep {
                stop.store(true, Ordering::Relaxed);
            }
            let early = early.and_then(halves::finish).filter(|_| keep);
            (refresh, early)
        });
        let mut refresh = refresh?;
        refresh.rebuilt = said(rebuilt, &db);
        let ctx = Ctx {
            ws,
            lang: Lang::resolve(cli.lang),
            index,
            refresh,
        };
        let (s, f) = match early {
            Some(read) => read,
            None => ctx.scoped(args, need)?,
        };
        Ok((ctx, s, f))
    }

    /// What a report with these arguments judges, and its filter: only the policy and the
    /// district asked for are read, and for a district only the units it names.
    pub fn scoped(&self, args: &ReportArgs, need: Need) -> Result<(Snapshot, Filter)> {
        self.read(|conn| scoped_on(conn, self.index.reader(), args, need))
    }
}

/// The index of `ws`, in its own place or where the user named it.
fn open_index(cli: &Cli, ws: &Workspace) -> Result<(PathBuf, Index, Option<Rebuilt>)> {
    let db = ws.db_path(cli.db.as_deref());
    let (index, rebuilt) = match cli.db {
        Some(_) => Index::open_named(&db)?,
        None => Index::open(&db)?,
    };
    Ok((db, index, rebuilt))
}

/// Says on stderr that a damaged index was rebuilt: the run is right, but whoever reads a
/// cron job's mail should know that something damaged a file on this machine.
fn said(rebuilt: Option<Rebuilt>, db: &Path) -> Option<Rebuilt> {
    if let Some(Rebuilt::Damaged(why)) = &rebuilt {
        eprintln!(
            "govtrack: the index {} was damaged ({why}); it was rebuilt from the files",
            db.display()
        );
    }
    rebuilt
}

/// What [`Ctx::scoped`] reads, on `conn` and a second connection from `beside`.
fn scoped_on(
    conn: &rusqlite::Connection,
    beside: impl FnOnce() -> Result<Option<rusqlite::Connection>> + Send,
    args: &ReportArgs,
    need: Need,
) -> Result<(Snapshot, Filter)> {
    let as_of = args.as_of.unwrap_or_else(today);
    let district = args
        .district
        .as_deref()
        .map(|d| unit_id(conn, d))
        .transpose()?;
    let mut s = snapshot::open_for(conn, as_of, need, district.as_deref())
        .context("cannot read the index")?;
    let f = filter(conn, &s, args, district)?;
    s.read_beside(conn, beside, need, &f)?;
    Ok((s, f))
}

/// A progress bar for a long load, drawn only on a terminal (never under cron) and only
/// when there is more than a handful of files to read.
fn progress_bar() -> impl FnMut(usize, usize, &str) {
    let mut bar: Option<indicatif::ProgressBar> = None;
    move |done, total, file| {
        if total < 20 || !std::io::stderr().is_terminal() {
            return;
        }
        let b = bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template("indexing {bar:30} {pos}/{len} {msg}")
                    .expect("a valid template"),
            );
            b
        });
        b.set_position(done as u64 + 1);
        b.set_message(file.to_string());
        if done + 1 == total {
            b.finish_and_clear();
        }
    }
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// A unit named on the command line, by id or Chinese name.
fn resolve_unit(registry: &Registry, reference: &str) -> Result<String> {
    match registry.resolve(reference) {
        Ok(u) => Ok(u.id.clone()),
        Err(Unresolved::Ambiguous(ids)) => {
            bail!(
                "`{reference}` names several units; use one of their ids: {}",
                ids.join(", ")
            )
        }
        Err(Unresolved::Unknown) => {
            let close: Vec<&str> = registry
                .units()
                .iter()
                .filter(|u| u.name.contains(reference) || reference.contains(u.name.as_str()))
                .map(|u| u.name.as_str())
                .take(5)
                .collect();
            if close.is_empty() {
                bail!("unknown unit `{reference}`: no unit has this id or name")
            }
            bail!(
                "unknown unit `{reference}`; did you mean {}?",
                close.join("、")
            )
        }
    }
}

/// A unit named on the command line, found through the index; when the name is unknown or
/// shared, the whole registry is read to say so.
fn unit_id(conn: &rusqlite::Connection, reference: &str) -> Result<String> {
    match snapshot::unit_id(conn, reference)? {
        Some(id) => Ok(id),
        None => resolve_unit(&snapshot::registry(conn)?, reference),
    }
}

fn filter(
    conn: &rusqlite::Connection,
    s: &Snapshot,
    args: &ReportArgs,
    district: Option<String>,
) -> Result<Filter> {
    if let Some(p) = &args.policy
        && !s.policies.iter().any(|x| x.id == *p)
    {
        let ids: Vec<&str> = s.policies.iter().map(|x| x.id.as_str()).collect();
        bail!("unknown policy `{p}`; the policies are: {}", ids.join(", "));
    }
    Ok(Filter {
        policy: args.policy.clone(),
        owner: args
            .owner
            .as_deref()
            .map(|o| unit_id(conn, o))
            .transpose()?,
        district,
    })
}

/// Writes a report's rows as asked: to a file with --out (an xlsx workbook needs one,
/// with `sheet` as its sheet's name), else to stdout; CSV may start with the byte-order
/// mark Excel needs to read Chinese.
pub fn emit<R: crate::render::Row>(
    rows: &[R],
    args: &ReportArgs,
    lang: Lang,
    sheet: &str,
) -> Result<()> {
    use crate::render::Format;
    if args.format == Format::Xlsx {
        let Some(path) = &args.out else {
            bail!("an Excel workbook is written to a file: add --out FILE.xlsx")
        };
        let bytes = crate::render::xlsx::rows_xlsx(rows, sheet, lang)?;
        return crate::workspace::write_atomically(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()));
    }
    output(args.out.as_deref(), |out| {
        if args.format == Format::Csv && args.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let colour = crate::render::colour(args.out.as_deref());
        crate::render::rows(rows, args.format, lang, colour, out)
    })
}

/// Writes what `write` makes: to `path` (replaced whole, never half-written) when given,
/// else to stdout as it is made, since a province's report runs to tens of megabytes.
pub fn output(path: Option<&Path>, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    match path {
        Some(path) => {
            let mut bytes = Vec::new();
            write(&mut bytes)?;
            crate::workspace::write_atomically(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, Stdout::default());
            write(&mut out)?;
            Ok(out.flush()?)
        }
    }
}

/// Writes to stdout.
pub fn print(text: impl AsRef<[u8]>) -> Result<()> {
    output(None, |out| Ok(out.write_all(text.as_ref())?))
}

/// Stdout that quietly drops what is left once its reader has gone: a closed pipe
/// (`| head`) is not an error.
#[derive(Default)]
struct Stdout {
    closed: bool,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.closed {
            match std::io::stdout().lock().write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.closed = true,
                other => return other,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().lock().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

/// Leaves what a report read and judged to the operating system, which reclaims it at
/// exit: freeing a province's hundreds of thousands of small allocations one by one takes
/// some 20 ms after the output is written.
pub fn leave<T>(data: T) {
    std::mem::forget(data);
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Load => load::run(&cli),
        Command::Overdue(args) => overdue::run(&cli, args),
        Command::Status(args) => status::run(&cli, args),
        Command::Gaps(args) => gaps::run(&cli, args),
        Command::Record(r) => record::run(&cli, r),
        Command::Check(args) => check::run(&cli, args),
        Command::Import(args) => import::run(&cli, args),
        Command::Report(args) => report::run(&cli, args),
        Command::Verify => verify::run(&cli),
    }
}

pub fn exit(findings: bool) -> ExitCode {
    if findings {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
