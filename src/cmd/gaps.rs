//! `govtrack gaps`: each target per unit, with the shortfall in what people act on.

use super::{Ctx, emit, leave};
use crate::cli::{Cli, ReportArgs};
use crate::index::snapshot::Need;
use crate::report::gap_rows;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<ExitCode> {
    let (ctx, s, f) = Ctx::open_scoped(cli, args, Need::TARGETS)?;
    let rows = gap_rows(&s, &f, ctx.ws.stale_after_months, ctx.lang);
    emit(&rows, args, ctx.lang, ctx.lang.pick("Gaps", "目标差距"))?;
    leave((s, rows));
    Ok(ExitCode::SUCCESS)
}
