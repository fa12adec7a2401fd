//! `govtrack report`: the monthly digest, for people (Markdown, HTML, Excel) and programs
//! (JSON).

use super::{Ctx, print, today};
use crate::cli::{Cli, DigestArgs, DigestFormat};
use crate::index::snapshot::{self, Need};
use crate::render::markdown::digest_md;
use crate::report::Filter;
use crate::report::digest::{Digest, DigestOptions, digest_with_chart};
use crate::workspace::write_atomically;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &DigestArgs) -> Result<ExitCode> {
    let ctx = Ctx::open(cli)?;
    let d = build(&ctx, args.as_of.or(args.month), args.trend.clone())?;
    if let (Some(key), None) = (&args.trend, &d.trend) {
        eprintln!(
            "govtrack: `{key}` has no trend in any unit as of {} (too few figures since its \
             trend starts): the digest has no trend chart",
            d.as_of
        );
    }
    let bytes = render(&d, args.format)?;
    match &args.out {
        Some(path) => {
            write_atomically(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None if args.format == DigestFormat::Xlsx => {
            anyhow::bail!("an Excel workbook is written to a file: add --out FILE.xlsx")
        }
        None => print(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn build(ctx: &Ctx, as_of: Option<NaiveDate>, trend: Option<String>) -> Result<Digest> {
    ctx.read(|conn| {
        let mut s =
            snapshot::open(conn, as_of.unwrap_or_else(today)).context("cannot read the index")?;
        s.read_beside(conn, ctx.index.reader(), Need::ALL, &Filter::default())?;
        if let Some(key) = &trend {
            let keys: Vec<String> = s
                .targets
                .iter()
                .map(|t| format!("{}/{}", t.policy, t.id))
                .collect();
            if !keys.contains(key) {
                anyhow::bail!(
                    "unknown target `{key}` for --trend; the targets are: {}",
                    keys.join(", ")
                );
            }
        }
        digest_with_chart(
            conn,
            &s,
            &DigestOptions {
                due_soon_days: ctx.ws.due_soon_days,
                stale_after_months: ctx.ws.stale_after_months,
                lang: ctx.lang,
                trend,
            },
        )
    })
}

pub fn render(d: &Digest, format: DigestFormat) -> Result<Vec<u8>> {
    Ok(match format {
        DigestFormat::Md => digest_md(d).into_bytes(),
        DigestFormat::Html => crate::render::html::digest_html(d).into_bytes(),
        DigestFormat::Xlsx => crate::render::xlsx::digest_xlsx(d)?,
        DigestFormat::Json => (serde_json::to_string_pretty(d)? + "\n").into_bytes(),
    })
}

/// Where `check --out` writes the digest: into a folder, every format, named by the as-of
/// date; or to one file whose extension names the format.
pub fn digest_files(d: &Digest, out: &Path) -> Result<Vec<(PathBuf, DigestFormat)>> {
    if out.is_dir() || out.as_os_str().to_string_lossy().ends_with('/') {
        return Ok([DigestFormat::Md, DigestFormat::Html, DigestFormat::Xlsx]
            .into_iter()
            .map(|f| {
                let name = format!("govtrack-digest-{}.{}", d.as_of, f.extension());
                (out.join(name), f)
            })
            .collect());
    }
    let format = DigestFormat::from_path(out).with_context(|| {
        format!(
            "cannot tell the digest's format from {}: name a folder, or a file ending in .md, .html, .xlsx or .json",
            out.display()
        )
    })?;
    Ok(vec![(out.to_path_buf(), format)])
}

/// Writes the digest to `files`. Returns what was written, and the first failure: one
/// format that cannot be written does not keep the others from being written.
pub fn write_digest(d: &Digest, files: Vec<(PathBuf, DigestFormat)>) -> (Vec<String>, Result<()>) {
    let mut written = Vec::new();
    let mut failed = Ok(());
    for (path, format) in files {
        let done = render(d, format).and_then(|bytes| {
            write_atomically(&path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))
        });
        match done {
            Ok(()) => written.push(path.display().to_string()),
            Err(e) if failed.is_ok() => failed = Err(e),
            Err(_) => {}
        }
    }
    (written, failed)
}
