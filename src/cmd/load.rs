//! `govtrack load`: refresh the index explicitly and say what changed.

use super::{Ctx, print};
use crate::cli::Cli;
use crate::index::Rebuilt;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let ctx = Ctx::open(cli)?;
    let r = &ctx.refresh;
    let mut out = String::new();
    // A damaged index was said on stderr, as for every command.
    if r.rebuilt == Some(Rebuilt::OtherVersion) {
        out += "the index was made by another version of govtrack: rebuilt from the files\n";
    }
    for f in &r.loaded {
        out += &format!("loaded   {f}\n");
    }
    for f in &r.reread {
        out += &format!("re-read  {f} (the definitions it refers to changed)\n");
    }
    for f in &r.removed {
        out += &format!("removed  {f}\n");
    }
    let counts: (i64, i64, i64, i64, i64) = ctx.index.conn().query_row(
        "SELECT (SELECT count(*) FROM policies), (SELECT count(*) FROM tasks),
                (SELECT count(*) FROM instances),
                (SELECT coalesce(sum(events), 0) FROM files),
                (SELECT coalesce(sum(observations), 0) FROM files)",
        [],
        |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?)),
    )?;
    out += &format!(
        "{} changed, {} removed, {} unchanged; index holds {} policies, {} tasks ({} instances), {} status events, {} observations\n",
        r.loaded.len(),
        r.removed.len(),
        r.unchanged,
        counts.0,
        counts.1,
        counts.2,
        counts.3,
        counts.4
    );
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
