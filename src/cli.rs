//! The command line: one definition per flag, help text that lists the environment and
//! exit codes.

use crate::i18n::Lang;
use crate::judge::deadline::Deadline;
use crate::render::Format;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit status:
  0  nothing needs attention
  1  findings: overdue tasks, or unmet targets whose deadline has passed (overdue, check)
  2  error: bad input (reported as FILE:LINE:COLUMN), bad arguments, or a failure

Environment:
  GOVTRACK_DB  where the index lives (same as --db); default .govtrack/index.sqlite in the
               workspace. The index is rebuilt from the files whenever needed.
  NO_COLOR     when set and not empty, tables are never coloured
  LANG         zh_* (e.g. zh_CN.UTF-8) gives Chinese labels unless --lang says otherwise
  TMPDIR       where verify builds an index afresh to compare with (default /tmp)";

#[derive(Parser)]
#[command(
    name = "govtrack",
    version,
    about = "Tracks policy tasks, deadlines and targets: what is late, for which unit, and by how much.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// The workspace folder (default: the nearest folder upward with a govtrack.toml,
    /// else the current folder)
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The index database (default: .govtrack/index.sqlite in the workspace)
    #[arg(long, global = true, env = "GOVTRACK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Language of tables, summaries and reports (default: zh when LANG is zh_*, else en);
    /// JSON keys and CSV headers stay English
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Bring the index up to date with the files and say what changed
    Load,
    /// List overdue task instances, most days late first (exit 1 if any)
    Overdue(ReportArgs),
    /// One row per unit; with --district, every task and target of that unit
    Status(ReportArgs),
    /// Each target per unit: actual, bounds, and what is missing
    Gaps(ReportArgs),
    /// Append a status event or an observation to the progress files
    #[command(subcommand)]
    Record(Record),
    /// Take a monthly return (CSV or Excel .xlsx) into the progress files
    ///
    /// A file with any bad cell is refused whole, with every problem named by row and
    /// column; importing the same file again changes nothing.
    Import(ImportArgs),
    /// For cron: judge everything, print a summary if anything needs attention, exit 0/1/2
    Check(CheckArgs),
    /// Check every file and the index against them, changing nothing: every file parses,
    /// every reference resolves (progress about a task or unit no longer defined is listed),
    /// the index holds what an index built afresh from them holds (in TMPDIR, removed
    /// after). Exit 0 when all is well, 2 with the problems
    Verify,
    /// The monthly digest: counts, worst units, overdue by lead unit, due soon, target gaps,
    /// recurring reports missed, phases
    Report(DigestArgs),
}

/// The formats of the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DigestFormat {
    Md,
    Html,
    Xlsx,
    Json,
}

impl DigestFormat {
    pub fn extension(self) -> &'static str {
        match self {
            DigestFormat::Md => "md",
            DigestFormat::Html => "html",
            DigestFormat::Xlsx => "xlsx",
            DigestFormat::Json => "json",
        }
    }

    /// The format a file name asks for by its extension.
    pub fn from_path(path: &std::path::Path) -> Option<DigestFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        [
            DigestFormat::Md,
            DigestFormat::Html,
            DigestFormat::Xlsx,
            DigestFormat::Json,
        ]
        .into_iter()
        .find(|f| f.extension() == ext)
    }
}

#[derive(Args)]
pub struct DigestArgs {
    /// Judge as of this date (YYYY-MM-DD, or YYYY-MM for the month's end); default today
    #[arg(long, value_name = "DATE", value_parser = as_of, conflicts_with = "month")]
    pub as_of: Option<NaiveDate>,
    /// The month of the digest, judged at its last day (same as --as-of YYYY-MM)
    #[arg(long, value_name = "YYYY-MM", value_parser = month)]
    pub month: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = DigestFormat::Md)]
    pub format: DigestFormat,
    /// Write to this file (atomically) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The target whose trend is charted, as POLICY/TARGET (default: the unit furthest
    /// behind its pace)
    #[arg(long, value_name = "POLICY/TARGET")]
    pub trend: Option<String>,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The return: a .csv (UTF-8) or .xlsx file, anywhere
    pub file: PathBuf,
    /// The worksheet to read (default: the first)
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The day for rows without a date, or for a file without a date column
    /// (YYYY-MM-DD, or YYYY-MM for the month's end)
    #[arg(long, value_name = "DATE", value_parser = as_of)]
    pub date: Option<NaiveDate>,
}

#[derive(Args, Clone)]
pub struct ReportArgs {
    /// Judge as of this date (YYYY-MM-DD, or YYYY-MM for the month's end); default today
    #[arg(long, value_name = "DATE", value_parser = as_of)]
    pub as_of: Option<NaiveDate>,
    /// Only this policy (its id)
    #[arg(long, value_name = "ID")]
    pub policy: Option<String>,
    /// Only tasks this unit leads or supports (id or Chinese name)
    #[arg(long, value_name = "UNIT")]
    pub owner: Option<String>,
    /// Only this unit and the units below it (id or Chinese name, e.g. 思明区)
    #[arg(long, value_name = "UNIT")]
    pub district: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// With --format csv: start with the UTF-8 byte-order mark Excel needs to read Chinese
    #[arg(long)]
    pub bom: bool,
    /// Write to this file (atomically) instead of standard output; required for xlsx
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Judge as of this date (YYYY-MM-DD, or YYYY-MM for the month's end); default today
    #[arg(long, value_name = "DATE", value_parser = as_of)]
    pub as_of: Option<NaiveDate>,
    /// Also write the digest: into a folder (every format, named by date), or to a file
    /// whose extension gives the format
    #[arg(long, value_name = "DIR|FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Record {
    /// A task's status: `govtrack record status POLICY/TASK --status done --unit 思明区`
    Status {
        /// The task as POLICY/TASK, e.g. xiamen-2023-urban-village/t10
        task: String,
        /// not_started, in_progress or done
        #[arg(long)]
        status: String,
        /// The instance's unit, for a task carried out by each district or town
        #[arg(long)]
        unit: Option<String>,
        /// The day it happened (default today)
        #[arg(long, value_parser = day)]
        date: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        note: String,
        /// A document number or link that proves it (办结材料)
        #[arg(long, default_value = "")]
        evidence: String,
    },
    /// A metric's value: `govtrack record value community_workers --unit 思明区 --value 1890`
    Value {
        metric: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        value: String,
        /// The day the value refers to (default today)
        #[arg(long, value_parser = day)]
        date: Option<NaiveDate>,
        /// Where the figure comes from
        #[arg(long, default_value = "")]
        source: String,
    },
}

fn month(s: &str) -> Result<NaiveDate, String> {
    match Deadline::parse(s)? {
        d @ Deadline::Month { .. } => Ok(d.due()),
        _ => Err(format!("`{s}` is not a month: write YYYY-MM")),
    }
}

fn as_of(s: &str) -> Result<NaiveDate, String> {
    Deadline::parse(s).map(Deadline::due)
}

fn day(s: &str) -> Result<NaiveDate, String> {
    crate::parse::day(s)
}
