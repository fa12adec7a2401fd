//! `govtrack overdue`: what is late, for which unit, owned by whom, by how many days.

use super::{Ctx, exit, filter, print};
use crate::cli::{Cli, ReportArgs};
use crate::render::{self, Format};
use crate::report::overdue_rows;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<ExitCode> {
    let ctx = Ctx::open(cli)?;
    let s = ctx.snapshot(args.as_of)?;
    let rows = overdue_rows(&s, &filter(&s, args)?, ctx.ws.due_soon_days);
    if rows.is_empty() && args.format == Format::Table {
        print(&format!("nothing is overdue as of {}\n", s.as_of))?;
    } else {
        print(&render::rows(&rows, args.format)?)?;
    }
    Ok(exit(!rows.is_empty()))
}
