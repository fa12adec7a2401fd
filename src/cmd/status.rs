//! `govtrack status`: one row per unit, or with --district everything for that unit.

use super::{Ctx, filter, print};
use crate::cli::{Cli, ReportArgs};
use crate::judge::task::Light;
use crate::render::{self, Format};
use crate::report::{GapRow, TaskRow, gap_rows, task_rows, unit_summaries};
use anyhow::Result;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Serialize)]
struct UnitStatus<'a> {
    unit: &'a str,
    unit_id: &'a str,
    as_of: String,
    tasks: &'a [TaskRow],
    targets: &'a [GapRow],
}

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<ExitCode> {
    let ctx = Ctx::open(cli)?;
    let s = ctx.snapshot(args.as_of)?;
    let f = filter(&s, args)?;
    let mut tasks = task_rows(&s, &f, ctx.ws.due_soon_days);
    let gaps = gap_rows(&s, &f, ctx.ws.stale_after_months);
    let Some(unit_id) = &f.district else {
        print(&render::rows(&unit_summaries(&tasks, &gaps), args.format)?)?;
        return Ok(ExitCode::SUCCESS);
    };
    // Most urgent first: red by days late, then yellow by days left, then the rest.
    tasks.sort_by_key(|t| {
        (
            t.light,
            -t.days_overdue.unwrap_or(0),
            t.days_left.unwrap_or(i64::MAX),
        )
    });
    let unit = s.registry.name(unit_id);
    match args.format {
        Format::Json => print(&render::json(&UnitStatus {
            unit,
            unit_id,
            as_of: s.as_of.to_string(),
            tasks: &tasks,
            targets: &gaps,
        })?)?,
        Format::Csv => print(&render::csv(&tasks)?)?,
        Format::Table => {
            let count = |l: Light| {
                tasks.iter().filter(|t| t.light == l).count()
                    + gaps.iter().filter(|g| g.light == l).count()
            };
            let mut out = format!(
                "{unit} ({unit_id}) as of {}: {} red, {} yellow, {} green\n\nTasks\n",
                s.as_of,
                count(Light::Red),
                count(Light::Yellow),
                count(Light::Green)
            );
            out += &render::table(&tasks);
            out += "\nTargets\n";
            out += &render::table(&gaps);
            print(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
