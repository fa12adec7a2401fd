//! `govtrack overdue`: what is late, for which unit, owned by whom, by how many days.

use super::{Ctx, emit, exit, leave, print};
use crate::cli::{Cli, ReportArgs};
use crate::i18n::Lang;
use crate::index::snapshot::Need;
use crate::render::Format;
use crate::report::overdue_rows;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<ExitCode> {
    let (ctx, s, f) = Ctx::open_scoped(cli, args, Need::OVERDUE)?;
    let overdue = overdue_rows(&s, &f, ctx.ws.due_soon_days);
    let rows = overdue.rows();
    if rows.is_empty() && args.format == Format::Table {
        print(&match ctx.lang {
            Lang::En => format!("nothing is overdue as of {}\n", s.as_of),
            Lang::Zh => format!("截至{},没有逾期任务\n", s.as_of),
        })?;
    } else {
        emit(&rows, args, ctx.lang, ctx.lang.pick("Overdue", "逾期任务"))?;
    }
    let findings = !rows.is_empty();
    leave(rows);
    leave((s, overdue));
    Ok(exit(findings))
}
