//! The command line, as clap types only. What each command does lives in
//! `lib.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::Format;
use crate::model::Date;

/// More threads than this only cost memory and time: the work is split
/// into a few units per core, and each thread has its own stack and queue.
const MAX_JOBS: i64 = 256;

#[derive(Debug, Parser)]
#[command(
    name = "commonthread",
    version,
    about = "Validate client engagement records and render the reports a consultancy sends its clients"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every record and print the diagnostics (exit 0 clean, 1 problems, 2 could not run).
    Check(CheckArgs),
    /// Validate, then render every report into OUT (refuses to render when there are errors).
    Build(BuildArgs),
    /// Build, serve the reports on 127.0.0.1, and rebuild as records and templates change.
    Serve(ServeArgs),
    /// The quarterly relationship audit, as HTML, JSON and CSV in OUT/audit/.
    Audit(AuditArgs),
    /// Start a records repository: settings, one example client, a CI workflow, a .gitignore.
    Init(InitArgs),
    /// Scaffold a client or an engagement to fill in.
    #[command(subcommand)]
    New(NewCommand),
    /// Print the JSON Schema (draft-07) of a record kind, for editors and other validators.
    Schema(SchemaArgs),
    /// Say what a rule means, why it exists and how to fix what it finds.
    Explain(ExplainArgs),
}

/// Options every command that reads records takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Treat warnings as errors for the exit code.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Only these clients (repeatable).
    #[arg(long = "client", value_name = "SLUG")]
    pub clients: Vec<String>,
    /// Compute figures as of this date (default: SOURCE_DATE_EPOCH when set, else today).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Print nothing but the diagnostics.
    #[arg(short, long)]
    pub quiet: bool,
    /// Say more about what is being done (counts and timings, on stderr).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// A folder of templates overriding the built-in ones file by file
    /// (`check` compiles them, to catch a broken template early).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Worker threads, at most 256 (default: one per core). Output is the same for any count.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The records folder.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Compare every record with its version at REV (a commit, tag or
    /// branch of the records' git repository): goalposts moved, history
    /// rewritten, milestones slipped or undone.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The records folder.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Where to write the reports. Replaced whole on every build; only an
    /// empty folder or one commonthread wrote, with nothing added at its
    /// top, is replaced.
    #[arg(long, short, value_name = "OUT", default_value = "public")]
    pub out: PathBuf,
    /// `internal` writes everything; `client` only the client-facing pages.
    #[arg(long, value_enum, default_value = "internal")]
    pub audience: crate::pages::Audience,
    /// Compare every record with its version at REV (a commit, tag or
    /// branch of the records' git repository): goalposts moved, history
    /// rewritten, milestones slipped or undone; the reports add
    /// what changed since REV.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The records folder.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Where the reports are written (as for build).
    #[arg(long, short, value_name = "OUT", default_value = "public")]
    pub out: PathBuf,
    /// The port on 127.0.0.1 (default: a free one, printed at start).
    #[arg(long, short, default_value_t = 0)]
    pub port: u16,
    /// A folder of templates overriding the built-in ones file by file.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Compute figures as of this date (default: SOURCE_DATE_EPOCH when set, else today).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Only these clients (repeatable).
    #[arg(long = "client", value_name = "SLUG")]
    pub clients: Vec<String>,
    /// Worker threads, at most 256 (default: one per core).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS))]
    pub jobs: Option<u16>,
    /// Print only the address and the diagnostics, not a line per rebuild.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The records folder.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The quarter, such as 2026-Q3.
    #[arg(long, value_name = "YYYY-Qn")]
    pub quarter: String,
    /// The output folder; the audit goes to OUT/audit/.
    #[arg(long, short, value_name = "OUT", default_value = "public")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to start the repository (created if absent).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// A client folder with its client.yaml.
    Client(NewClientArgs),
    /// An engagement file in a client's folder.
    Engagement(NewEngagementArgs),
}

#[derive(Debug, Args)]
pub struct NewClientArgs {
    /// The client's slug, which names its folder (such as `acme-logistics`).
    pub slug: String,
    /// The client's name as it appears in reports.
    #[arg(long)]
    pub name: String,
    /// The records folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct NewEngagementArgs {
    /// The client's slug (its folder).
    pub client: String,
    /// The engagement's slug, which names its file (such as `2026-sales-cycle`).
    pub slug: String,
    /// The engagement's title as the client knows it.
    #[arg(long)]
    pub title: String,
    /// Who answers for it on our side (else "Your Name", to fill in).
    #[arg(long)]
    pub owner: Option<String>,
    /// The records folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which record's schema to print.
    #[arg(value_enum, default_value = "engagement")]
    pub kind: SchemaKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// Engagement front matter.
    Engagement,
    /// A client folder's client.yaml.
    Client,
    /// The practice's commonthread.yaml.
    Config,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule's name, such as `milestone-overdue`; without it, every rule
    /// is listed with when it fires.
    pub rule: Option<String>,
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).ok_or_else(|| format!("`{text}` is not a real date written YYYY-MM-DD"))
}
