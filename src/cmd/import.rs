//! `govtrack import FILE`: take a monthly return (CSV or Excel `.xlsx`) into the progress
//! files, then bring the index up to date.
//!
//! The return is read whole and every cell checked against the index's catalogue before
//! anything is written; one bad cell and nothing of the file is taken. Its rows become one
//! progress file of their own, `<progress>/imports/<file stem>.csv`, written atomically.
//! Importing the same return again leaves that file as it is, and a corrected return
//! under the same name replaces it, so nothing is ever counted twice.

use super::{Ctx, print};
use crate::cli::{Cli, ImportArgs};
use crate::diag::{Diagnostic, Source};
use crate::index::catalog_of;
use crate::parse::progress::{ObservationRow, parse_progress};
use crate::parse::returns::{self, Observation, Options};
use crate::registry::Registry;
use crate::workspace::too_large;
use anyhow::{Context, Result, bail};
use rusqlite::params;
use std::fs;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// How many problems are shown before the rest are only counted.
const SHOWN: usize = 30;

pub fn run(cli: &Cli, args: &ImportArgs) -> Result<ExitCode> {
    let shown = args.file.display().to_string();
    let ext = args
        .file
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "xlsx" => {}
        "xls" | "xlsm" | "xlsb" | "et" | "ods" | "numbers" => bail!(
            "unsupported file type `.{ext}` ({shown}): save it as an Excel workbook (.xlsx) \
             or as CSV UTF-8 (.csv), and import that"
        ),
        "" => bail!(
            "unsupported file type: {shown} has no extension; import a .csv (UTF-8) or .xlsx file"
        ),
        _ => bail!("unsupported file type `.{ext}` ({shown}): import a .csv (UTF-8) or .xlsx file"),
    }
    if ext == "csv" && args.sheet.is_some() {
        bail!("--sheet is for Excel files; {shown} is a CSV file");
    }
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = args
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().trim_start_matches('.').to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "import".into());

    let size = fs::metadata(&args.file)
        .with_context(|| format!("cannot read {shown}"))?
        .len();
    if let Some(d) = too_large(&shown, size) {
        return refuse(&shown, vec![d.help("split it into several returns")]);
    }
    let bytes = fs::read(&args.file).with_context(|| format!("cannot read {shown}"))?;
    let grid = if ext == "csv" {
        returns::read_csv(&shown, bytes)
    } else {
        returns::read_xlsx(&shown, bytes, args.sheet.as_deref())
    };
    let grid = grid.or_else(|problems| refuse(&shown, problems))?;

    let mut ctx = Ctx::open(cli)?;
    let catalog = catalog_of(&mut ctx.index)?;
    let opts = Options {
        date: args.date,
        file_name: &name,
    };
    let ret = returns::parse_return(&grid, &catalog, &opts)
        .or_else(|problems| refuse(&shown, problems))?;
    let text = returns::canonical_csv(&ret.observations);
    let rel = format!(
        "{}/imports/{stem}.csv",
        ctx.ws.progress_dir.trim_end_matches('/')
    );
    // The same rules as any progress file: what is written is what the index will load.
    if let Err(problems) = parse_progress(&Source::new(rel.clone(), text.clone()), Some(&catalog)) {
        let first = problems.first().map_or("", |d| d.message.as_str());
        bail!("the rows read from {shown} do not make a valid progress file: {first}");
    }

    let path = ctx.ws.abs(&rel);
    let old = match fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {rel}")),
    };
    let n = ret.observations.len();
    if old.as_deref() == Some(text.as_bytes()) {
        print(format!(
            "already imported: nothing changed ({rel} holds the same {n} observation{} from {name})\n",
            plural(n)
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    // What the file held before, to say what a replacement dropped.
    let before: Option<Vec<ObservationRow>> = old.as_ref().map(|b| {
        let src = Source::new(rel.clone(), String::from_utf8_lossy(b).into_owned());
        parse_progress(&src, Some(&catalog))
            .map(|rows| rows.observations)
            .unwrap_or_default()
    });

    crate::workspace::write_atomically(&path, text.as_bytes())
        .with_context(|| format!("cannot write {rel}"))?;
    if let Err(e) = ctx.index.refresh(&ctx.ws) {
        // Leave the workspace as it was.
        match &old {
            Some(b) => crate::workspace::write_atomically(&path, b),
            None => fs::remove_file(&path),
        }
        .with_context(|| format!("cannot restore {rel} after a failed refresh"))?;
        return Err(e);
    }

    let registry = &catalog.registry;
    let mut out = match &before {
        None => format!(
            "imported {n} observation{} from {shown} into {rel}\n",
            plural(n)
        ),
        Some(rows) => format!(
            "replaced {rel} ({} observation{} before): imported {n} observation{} from {shown}\n",
            rows.len(),
            plural(rows.len()),
            plural(n)
        ),
    };
    let mut how = vec![format!("{} layout", ret.layout.as_str())];
    if let Some(sheet) = &grid.sheet {
        how.insert(0, format!("sheet {sheet}"));
    }
    if ret.header_row > 1 {
        how.push(format!("header in row {}", ret.header_row));
    }
    out += &format!("  read:    {}\n", how.join(", "));
    out += &summary(&ret.observations, registry);
    if ret.empty_cells > 0 {
        out += &format!(
            "  skipped: {} empty cell{} (not reported)\n",
            ret.empty_cells,
            plural(ret.empty_cells)
        );
    }
    if let Some(rows) = &before {
        let gone = dropped(rows, &ret.observations, registry);
        if !gone.is_empty() {
            out += &format!(
                "  no longer imported: {}; if that was another return with the same file name, \
                 rename this file and import both again\n",
                gone.join(", ")
            );
        }
    }
    print(&out)?;
    warn_conflicts(&ctx, &rel)?;
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Prints every problem (the first [`SHOWN`]) the way `main` prints bad input, and fails.
fn refuse<T>(shown: &str, problems: Vec<Diagnostic>) -> Result<T> {
    let styled = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let n = problems.len();
    let mut err = std::io::stderr().lock();
    for d in problems.iter().take(SHOWN) {
        let _ = writeln!(err, "{}", d.render(styled));
    }
    if n > SHOWN {
        let _ = writeln!(err, "… and {} more", n - SHOWN);
    }
    bail!("{n} problem{} in {shown}; nothing was imported", plural(n))
}

/// Units, dates and metrics of what was imported, in the order first met.
fn summary(obs: &[Observation], registry: &Registry) -> String {
    fn list(mut items: Vec<String>, most: usize) -> String {
        let n = items.len();
        if n > most {
            items.truncate(most);
            format!("{}, … ({n} in all)", items.join(", "))
        } else {
            items.join(", ")
        }
    }
    let mut units: Vec<String> = Vec::new();
    let mut metrics: Vec<String> = Vec::new();
    let mut dates: Vec<String> = Vec::new();
    for o in obs {
        let u = registry.name(&o.unit).to_string();
        if !units.contains(&u) {
            units.push(u);
        }
        let m = registry
            .metric(&o.metric)
            .map_or(o.metric.clone(), |m| m.name.clone());
        if !metrics.contains(&m) {
            metrics.push(m);
        }
        let d = o.date.to_string();
        if !dates.contains(&d) {
            dates.push(d);
        }
    }
    dates.sort();
    format!(
        "  units:   {}\n  dates:   {}\n  metrics: {}\n",
        list(units, 10),
        list(dates, 6),
        list(metrics, 10)
    )
}

/// The units and dates the file held before that the new return no longer has.
fn dropped(before: &[ObservationRow], now: &[Observation], registry: &Registry) -> Vec<String> {
    let mut gone: Vec<String> = Vec::new();
    for b in before {
        if now.iter().any(|o| o.unit == b.unit && o.date == b.date) {
            continue;
        }
        let s = format!("{} {}", registry.name(&b.unit), b.date);
        if !gone.contains(&s) {
            gone.push(s);
        }
    }
    gone
}

/// Warns when another file gives a different value for the same metric, unit and day:
/// reports would take one of them, and which one is not for the files to decide.
fn warn_conflicts(ctx: &Ctx, rel: &str) -> Result<()> {
    let mut stmt = ctx.index.conn().prepare(
        "SELECT f.path, count(*) FROM observations o
         JOIN files g ON g.id = o.file
         JOIN observations m ON m.metric = o.metric AND m.unit = o.unit AND m.date = o.date
             AND m.value != o.value
         JOIN files f ON f.id = m.file
         WHERE g.path = ?1 AND f.path != ?1
         GROUP BY f.path ORDER BY f.path",
    )?;
    let rows = stmt.query_map(params![rel], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (other, n) = row?;
        eprintln!(
            "warning: {other} gives another value for {n} of these (same metric, unit and date); \
             correct or delete the outdated one"
        );
    }
    Ok(())
}
