//! `govtrack check`: the cron entry point. Silent with exit 0 when nothing needs
//! attention; a short summary and exit 1 when something does.

use super::{Ctx, exit, print};
use crate::cli::{CheckArgs, Cli};
use crate::judge::target::TargetStatus;
use crate::judge::task::Light;
use crate::report::{Filter, gap_rows, has_findings, task_rows, unit_summaries};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &CheckArgs) -> Result<ExitCode> {
    let ctx = Ctx::open(cli)?;
    let s = ctx.snapshot(args.as_of)?;
    let all = Filter::default();
    let tasks = task_rows(&s, &all, ctx.ws.due_soon_days);
    let gaps = gap_rows(&s, &all, ctx.ws.stale_after_months);
    let findings = has_findings(&tasks, &gaps);
    if !findings {
        return Ok(exit(false));
    }
    let red = tasks.iter().filter(|t| t.light == Light::Red).count();
    let yellow = tasks.iter().filter(|t| t.light == Light::Yellow).count();
    let missed: Vec<_> = gaps.iter().filter(|g| g.missed).collect();
    let no_data = gaps
        .iter()
        .filter(|g| g.status == TargetStatus::NoData)
        .count();
    let mut out = format!("govtrack check as of {}: needs attention\n", s.as_of);
    let worst: Vec<String> = unit_summaries(&tasks, &gaps)
        .iter()
        .filter(|u| u.overdue > 0)
        .take(5)
        .map(|u| format!("{} {}", u.unit, u.overdue))
        .collect();
    out += &format!("  overdue: {red} task instances");
    if !worst.is_empty() {
        out += &format!(" (most: {})", worst.join(", "));
    }
    out += &format!("\n  due within {} days: {yellow}\n", ctx.ws.due_soon_days);
    out += &format!("  targets missed: {}\n", missed.len());
    for g in missed.iter().take(10) {
        out += &format!("    {}: {} — {}\n", g.unit, g.title, g.gap_text);
    }
    out += &format!("  targets without data: {no_data}\n");
    out += "details: govtrack overdue; govtrack gaps\n";
    print(&out)?;
    Ok(exit(true))
}
