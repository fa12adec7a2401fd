//! `govtrack record`: append one status event or observation to the workspace's
//! progress files, then bring the index up to date.
//!
//! The row is checked against the index before anything is written. The append holds an
//! exclusive lock on the file and is flushed to disk, so two people recording at once
//! never interleave or tear a line; a file not there yet appears whole, header and row.

use super::{Ctx, print, today};
use crate::cli::{Cli, Record};
use crate::diag::Source;
use crate::index::check_rows;
use crate::parse::progress::{EVENT_COLUMNS, OBSERVATION_COLUMNS};
use anyhow::{Context, Result, bail};
use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn run(cli: &Cli, record: &Record) -> Result<ExitCode> {
    let mut ctx = Ctx::open(cli)?;
    let (file, header, row): (&str, &[&str], Vec<String>) = match record {
        Record::Status {
            task,
            status,
            unit,
            date,
            note,
            evidence,
        } => {
            let Some((policy, task)) = task.split_once('/') else {
                bail!("name the task as POLICY/TASK, e.g. xiamen-2023-urban-village/t10");
            };
            (
                "events.csv",
                &EVENT_COLUMNS,
                vec![
                    policy.into(),
                    task.into(),
                    unit.clone().unwrap_or_default(),
                    date.unwrap_or_else(today).to_string(),
                    status.clone(),
                    note.clone(),
                    evidence.clone(),
                ],
            )
        }
        Record::Value {
            metric,
            unit,
            value,
            date,
            source,
        } => (
            "observations.csv",
            &OBSERVATION_COLUMNS,
            vec![
                metric.clone(),
                unit.clone(),
                date.unwrap_or_else(today).to_string(),
                value.clone(),
                source.clone(),
            ],
        ),
    };
    let line = csv_line(&row)?;
    let check = Source::new(
        "record",
        csv_line(&header.iter().map(|s| s.to_string()).collect::<Vec<_>>())? + &line,
    );
    if let Err(problems) = check_rows(ctx.index.conn(), &check)? {
        let msgs: Vec<String> = problems
            .iter()
            .map(|d| match &d.help {
                Some(h) => format!("{} ({h})", d.message),
                None => d.message.clone(),
            })
            .collect();
        bail!("nothing recorded: {}", msgs.join("; "));
    }

    let rel = format!("{}/{file}", ctx.ws.progress_dir.trim_end_matches('/'));
    append(&ctx.ws.abs(&rel), &check.text, &line).with_context(|| format!("cannot write {rel}"))?;

    ctx.index.refresh(&ctx.ws)?;
    print(format!("recorded in {rel}: {}", line))?;
    Ok(ExitCode::SUCCESS)
}

/// Appends `line` to the progress file at `path`. A file not there yet is created holding
/// `whole`, its header and the line, in one step, so that a crash leaves it absent or
/// whole; if another process creates it first, the line is appended to that.
fn append(path: &Path, whole: &str, line: &str) -> std::io::Result<()> {
    if !path.exists() {
        match crate::workspace::create_atomically(path, whole.as_bytes()) {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            done => return done,
        }
    }
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    f.lock()?;
    let len = f.metadata()?.len();
    let mut text = String::new();
    if len == 0 {
        text += &whole[..whole.len() - line.len()];
    } else {
        // Mend a last line without its newline before appending.
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))?;
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    text += line;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    f.unlock()
}

fn csv_line(fields: &[String]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields)?;
    Ok(String::from_utf8(w.into_inner()?)?)
}
