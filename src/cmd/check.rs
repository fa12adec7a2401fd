//! `govtrack check`: the cron entry point. Silent with exit 0 when nothing needs
//! attention; a short summary and exit 1 when something does. With `--out` it also writes
//! the month's digest, whatever the findings.

use super::report::{build, digest_files, write_digest};
use super::{Ctx, exit, print};
use crate::cli::{CheckArgs, Cli};
use crate::i18n::Lang;
use crate::judge::target::TargetStatus;
use crate::report::has_findings;
use anyhow::Result;
use std::fmt::Write;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &CheckArgs) -> Result<ExitCode> {
    let ctx = Ctx::open(cli)?;
    let d = build(&ctx, args.as_of, None)?;
    // A digest that cannot be written fails the run (exit 2), but only after the summary:
    // the cron mail still says what needs attention.
    let (written, failed) = match &args.out {
        Some(out) => write_digest(&d, digest_files(&d, out)?),
        None => (Vec::new(), Ok(())),
    };
    let tasks: Vec<_> = d.overdue.iter().flat_map(|g| &g.tasks).cloned().collect();
    if !has_findings(&tasks, &d.gaps) {
        return failed.map(|()| exit(false));
    }
    let red = tasks.len();
    let yellow = d.due_soon.len();
    let missed: Vec<_> = d.gaps.iter().filter(|g| g.missed && !g.summary).collect();
    let no_data = d
        .gaps
        .iter()
        .filter(|g| g.status == TargetStatus::NoData && !g.summary)
        .count();
    let worst: Vec<String> = d
        .units
        .iter()
        .filter(|u| u.overdue > 0)
        .take(5)
        .map(|u| format!("{} {}", u.unit, u.overdue))
        .collect();
    let l = ctx.lang;
    let mut out = String::new();
    let _ = match l {
        Lang::En => writeln!(out, "govtrack check as of {}: needs attention", d.as_of),
        Lang::Zh => writeln!(out, "govtrack 督查(截至{}):有需要关注的事项", d.as_of),
    };
    let _ = match l {
        Lang::En => write!(out, "  overdue: {red} task instances"),
        Lang::Zh => write!(out, "  逾期任务:{red}项"),
    };
    if !worst.is_empty() {
        let _ = match l {
            Lang::En => write!(out, " (most: {})", worst.join(", ")),
            Lang::Zh => write!(out, "(最多:{})", worst.join("、")),
        };
    }
    let _ = match l {
        Lang::En => writeln!(out, "\n  due within {} days: {yellow}", d.due_soon_days),
        Lang::Zh => writeln!(out, "\n  {}天内到期:{yellow}项", d.due_soon_days),
    };
    let _ = match l {
        Lang::En => writeln!(out, "  targets missed: {}", missed.len()),
        Lang::Zh => writeln!(out, "  逾期未达标的目标:{}项", missed.len()),
    };
    for g in missed.iter().take(10) {
        let _ = writeln!(out, "    {}: {} — {}", g.unit, g.title, g.gap_text);
    }
    let _ = match l {
        Lang::En => writeln!(out, "  targets without data: {no_data}"),
        Lang::Zh => writeln!(out, "  无数据的目标:{no_data}项"),
    };
    for w in &written {
        let _ = writeln!(out, "{}{w}", l.pick("digest: ", "月报:"));
    }
    out += l.pick(
        "details: govtrack overdue; govtrack gaps\n",
        "详情:govtrack overdue;govtrack gaps\n",
    );
    print(&out)?;
    failed.map(|()| exit(true))
}
