//! `govtrack status`: one row per unit, or with --district everything for that unit.

use super::{Ctx, emit, leave, output};
use crate::cli::{Cli, ReportArgs};
use crate::i18n::Lang;
use crate::index::snapshot::Need;
use crate::judge::task::Light;
use crate::render::{self, Format};
use crate::report::{GapRow, TaskRow, gap_rows, summaries, task_rows};
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
    // One unit's rows show trends; the summary of every unit does not.
    let need = if args.district.is_some() {
        Need::ALL
    } else {
        Need::SUMMARY
    };
    let (ctx, s, f) = Ctx::open_scoped(cli, args, need)?;
    let Some(unit_id) = &f.district else {
        emit(
            &summaries(&s, &f, ctx.ws.due_soon_days),
            args,
            ctx.lang,
            ctx.lang.pick("Status", "各单位情况"),
        )?;
        leave(s);
        return Ok(ExitCode::SUCCESS);
    };
    let mut tasks = task_rows(&s, &f, ctx.ws.due_soon_days);
    let gaps = gap_rows(&s, &f, ctx.ws.stale_after_months, ctx.lang);
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
        Format::Json => output(args.out.as_deref(), |out| {
            let status = UnitStatus {
                unit,
                unit_id,
                as_of: s.as_of.to_string(),
                tasks: &tasks,
                targets: &gaps,
            };
            render::json(&status, out)
        })?,
        Format::Csv => emit(&tasks, args, ctx.lang, unit)?,
        Format::Xlsx => {
            let Some(path) = &args.out else {
                anyhow::bail!("an Excel workbook is written to a file: add --out FILE.xlsx");
            };
            let bytes = crate::render::xlsx::unit_status_xlsx(&tasks, &gaps, ctx.lang)?;
            crate::workspace::write_atomically(path, &bytes)?;
        }
        Format::Table => {
            let count = |l: Light| {
                tasks.iter().filter(|t| t.light == l).count()
                    + gaps.iter().filter(|g| g.light == l).count()
            };
            let (red, yellow, green) =
                (count(Light::Red), count(Light::Yellow), count(Light::Green));
            let heading = match ctx.lang {
                Lang::En => format!(
                    "{unit} ({unit_id}) as of {}: {red} red, {yellow} yellow, {green} green\n\nTasks\n",
                    s.as_of
                ),
                Lang::Zh => format!(
                    "{unit}({unit_id})截至{}:红灯{red}项,黄灯{yellow}项,绿灯{green}项\n\n任务\n",
                    s.as_of
                ),
            };
            let colour = render::colour(args.out.as_deref());
            output(args.out.as_deref(), |out| {
                out.write_all(heading.as_bytes())?;
                render::table(&tasks, ctx.lang, colour, out)?;
                out.write_all(ctx.lang.pick("\nTargets\n", "\n目标\n").as_bytes())?;
                render::table(&gaps, ctx.lang, colour, out)
            })?;
        }
    }
    leave((s, tasks, gaps));
    Ok(ExitCode::SUCCESS)
}
