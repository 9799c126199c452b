//! commonthread: validate client engagement records and render the reports a
//! consultancy sends its clients.
//!
//! Data flows one way: discover → read → split → deserialize → validate
//! (every diagnostic collected) → figures → view models → render → write.
//! `check` stops after validate.

pub mod cli;
pub mod diagnostics;
pub mod discover;
pub mod front_matter;
pub mod load;
pub mod model;
pub mod output;
pub mod rules;
pub mod schema;
pub mod structure;
pub mod suggest;
pub mod validate;
pub mod yaml;

use std::io::{IsTerminal, Write};

use cli::{CheckArgs, Cli, Command, CommonArgs, ExplainArgs, SchemaArgs, SchemaKind};
use diagnostics::{Format, Severity};
use model::Date;

/// Exit codes (FORMAT.md): clean, records have problems, could not run.
pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_CANNOT_RUN: u8 = 2;

/// Runs one command and returns its exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Schema(args) => schema(&args),
        Command::Explain(args) => explain(&args),
    }
}

fn check(args: &CheckArgs) -> u8 {
    let common = &args.common;
    let as_of = match as_of(common.as_of) {
        Ok(date) => date,
        Err(message) => return cannot_run(&message),
    };
    let options = validate::Options {
        root: args.dir.clone(),
        as_of,
        clients: common.clients.clone(),
        skip: Vec::new(),
    };
    let records = match validate::run(&options) {
        Ok(records) => records,
        Err(fatal) => return cannot_run(&fatal.to_string()),
    };
    print_diagnostics(common, &records);
    exit_code(common, &records.diagnostics)
}

/// Prints the diagnostics in the chosen format, on stdout.
fn print_diagnostics(common: &CommonArgs, records: &validate::Records) {
    let color = common.format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut text =
        diagnostics::report(common.format, &records.diagnostics, &records.summary, color);
    if common.quiet && common.format != Format::Json {
        // Quiet keeps the findings and drops the summary line.
        if let Some(cut) = text.trim_end_matches('\n').rfind('\n') {
            text.truncate(cut + 1);
        } else {
            text.clear();
        }
    }
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn exit_code(common: &CommonArgs, diagnostics: &[diagnostics::Diagnostic]) -> u8 {
    let errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    if errors || (common.deny_warnings && !diagnostics.is_empty()) {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn schema(args: &SchemaArgs) -> u8 {
    let kind = match args.kind {
        SchemaKind::Engagement => schema::RecordKind::Engagement,
        SchemaKind::Client => schema::RecordKind::Client,
        SchemaKind::Config => schema::RecordKind::Config,
    };
    let mut text =
        serde_json::to_string_pretty(schema::schema(kind)).expect("a schema always serializes");
    text.push('\n');
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    EXIT_OK
}

fn explain(args: &ExplainArgs) -> u8 {
    let Some(rule) = rules::find(&args.rule) else {
        let hint = match rules::closest(&args.rule) {
            Some(near) => format!("; did you mean `{near}`?"),
            None => {
                String::from("; run `commonthread explain --help` or see FORMAT.md for the list")
            }
        };
        return cannot_run(&format!("there is no rule `{}`{hint}", args.rule));
    };
    let kind = match rule.kind {
        rules::RuleKind::Error => "error (the records are wrong; its level cannot be changed)",
        rules::RuleKind::Warning => {
            "warning (set its level in commonthread.yaml under `rules:`: error, warning or off)"
        }
    };
    let text = format!(
        "{name}: {kind}\n\nWhen: {when}.\n\nWhy: {why}\n\nFix: {fix}\n",
        name = rule.name,
        when = rule.when,
        why = rule.why,
        fix = rule.fix
    );
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    EXIT_OK
}

fn cannot_run(message: &str) -> u8 {
    let _ = writeln!(std::io::stderr().lock(), "error: {message}");
    EXIT_CANNOT_RUN
}

/// The as-of date: `--as-of`, else SOURCE_DATE_EPOCH, else today here.
pub fn as_of(given: Option<Date>) -> Result<Date, String> {
    if let Some(date) = given {
        return Ok(date);
    }
    if let Some(epoch) = std::env::var_os("SOURCE_DATE_EPOCH") {
        let text = epoch.to_string_lossy();
        let seconds: i64 = text
            .trim()
            .parse()
            .map_err(|_| format!("SOURCE_DATE_EPOCH is `{text}`, not a number of seconds"))?;
        let timestamp = jiff::Timestamp::from_second(seconds)
            .map_err(|_| format!("SOURCE_DATE_EPOCH `{text}` is out of range"))?;
        return Ok(Date(timestamp.to_zoned(jiff::tz::TimeZone::UTC).date()));
    }
    Ok(Date(jiff::Zoned::now().date()))
}
