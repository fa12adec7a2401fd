//! govtrack: tracks how local governments carry out policy documents.
//!
//! The flow: workspace files → [`parse`] and validate → [`index`] (SQLite, disposable)
//! → [`judge`] and [`report`] (pure) → [`render`] (table, JSON, CSV). One file per
//! subcommand in [`cmd`].

// Diagnostics are returned by value on the cold path of bad input; boxing them would only
// add noise to every parser.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod cmd;
pub mod diag;
pub mod halves;
pub mod i18n;
pub mod index;
pub mod judge;
pub mod model;
pub mod parse;
pub mod registry;
pub mod render;
pub mod report;
pub mod workspace;

use diag::BadInput;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Runs the command line; errors are printed once, here, and exit with status 2.
pub fn main() -> ExitCode {
    use clap::Parser;
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(bad) = e.downcast_ref::<BadInput>() {
                let styled = std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                for d in &bad.0 {
                    eprintln!("{}", d.render(styled));
                }
                eprintln!("govtrack: {bad}");
            } else {
                eprintln!("govtrack: error: {e:#}");
                if index::damage(&e).is_some() {
                    eprintln!(
                        "govtrack: the index is damaged: delete it (.govtrack/index.sqlite in \
                         the workspace, or the file --db names); it is rebuilt from the files, \
                         which hold everything"
                    );
                }
            }
            ExitCode::from(2)
        }
    }
}
