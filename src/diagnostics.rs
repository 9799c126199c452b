//! Diagnostics as data: every problem found is a value pushed into a list,
//! never an early return. One reporter renders the list as rustc-like text,
//! JSON or GitHub annotations.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::rules::{Rule, RuleKind};
use crate::yaml::Pos;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem at one place.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// Relative to the records folder, `/` separated.
    pub file: String,
    pub pos: Pos,
    /// Where in the record, such as `milestones[1].due`; none for a problem
    /// with the file as a whole.
    pub path: Option<String>,
    pub message: String,
    pub help: String,
    /// The file's line at `pos`, kept for the snippet in human output.
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn new(
        rule: &'static Rule,
        file: &str,
        pos: Pos,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            rule,
            severity: match rule.kind {
                RuleKind::Error => Severity::Error,
                RuleKind::Warning => Severity::Warning,
            },
            file: file.to_owned(),
            pos,
            path: None,
            message: message.into(),
            help: rule.fix.to_owned(),
            source_line: None,
        }
    }

    pub fn path(mut self, path: impl Into<String>) -> Diagnostic {
        let path = path.into();
        self.path = (!path.is_empty()).then_some(path);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = help.into();
        self
    }

    /// Keeps the line the diagnostic points at, for the snippet.
    pub fn with_source(mut self, text: &str) -> Diagnostic {
        self.attach_source(text);
        self
    }

    /// Keeps the line of `text` the diagnostic points at, unless it has one.
    pub fn attach_source(&mut self, text: &str) {
        if self.source_line.is_none() && self.pos.line >= 1 {
            self.source_line = text
                .split('\n')
                .nth(self.pos.line as usize - 1)
                .map(|line| line.trim_end_matches('\r').to_owned());
        }
    }

    /// Attaches to each diagnostic of one file its source line, indexing the
    /// file's lines once (a file with thousands of findings stays linear).
    pub fn attach_sources(diagnostics: &mut [Diagnostic], text: &str) {
        if diagnostics
            .iter()
            .all(|d| d.source_line.is_some() || d.pos.line == 0)
        {
            return;
        }
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        for d in diagnostics
            .iter_mut()
            .filter(|d| d.source_line.is_none() && d.pos.line >= 1)
        {
            let index = d.pos.line as usize - 1;
            if let Some(&start) = starts.get(index) {
                let end = starts.get(index + 1).map_or(text.len(), |next| next - 1);
                d.source_line = Some(
                    text[start..end.max(start)]
                        .trim_end_matches('\r')
                        .to_owned(),
                );
            }
        }
    }

    /// Output order: by file, then position, then rule.
    pub fn sort_key(&self) -> (&str, u32, u32, &'static str, &str) {
        (
            &self.file,
            self.pos.line,
            self.pos.column,
            self.rule.name,
            &self.message,
        )
    }
}

/// Counts for the summary line and the JSON summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub clients: usize,
    pub engagements: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn count(&mut self, diagnostics: &[Diagnostic]) {
        self.errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        self.warnings = diagnostics.len() - self.errors;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

/// Renders every diagnostic and the summary in the chosen format.
pub fn report(
    format: Format,
    diagnostics: &[Diagnostic],
    summary: &Summary,
    color: bool,
) -> String {
    match format {
        Format::Human => human(diagnostics, summary, color),
        Format::Json => json(diagnostics, summary),
        Format::Github => github(diagnostics),
    }
}

fn human(diagnostics: &[Diagnostic], summary: &Summary, color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Level, Origin, Renderer, Snippet};

    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(d.message.as_str()).id(d.rule.name);
        let file = shown_path(&d.file);
        let located = match &d.source_line {
            Some(line) if d.pos.column >= 1 => {
                let start = byte_offset(line, d.pos.column as usize - 1);
                let width = d.pos.len.max(1) as usize;
                let end = byte_offset(line, d.pos.column as usize - 1 + width).max(start);
                let end = if end == start {
                    (start + 1).min(line.len())
                } else {
                    end
                };
                let mut snippet = Snippet::source(line.as_str())
                    .line_start(d.pos.line as usize)
                    .path(file.as_ref());
                if start < end || line.is_empty() {
                    snippet = snippet.annotation(AnnotationKind::Primary.span(start..end));
                }
                title.element(snippet)
            }
            _ => title.element(
                Origin::path(file.as_ref())
                    .line(d.pos.line.max(1) as usize)
                    .char_column(d.pos.column.max(1) as usize),
            ),
        };
        let report = [located.element(Level::HELP.message(d.help.as_str()))];
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    let _ = writeln!(out, "{}", summary_line(summary));
    out
}

/// The byte offset of the `chars`-th character of `line` (clamped to its end).
fn byte_offset(line: &str, chars: usize) -> usize {
    line.char_indices()
        .nth(chars)
        .map_or(line.len(), |(at, _)| at)
}

pub fn summary_line(summary: &Summary) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "checked {} ({}, {}): {}, {}",
        plural(summary.files, "file", "files"),
        plural(summary.clients, "client", "clients"),
        plural(summary.engagements, "engagement", "engagements"),
        plural(summary.errors, "error", "errors"),
        plural(summary.warnings, "warning", "warnings"),
    )
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'static str,
    severity: Severity,
    file: &'a str,
    line: u32,
    column: u32,
    path: Option<&'a str>,
    message: &'a str,
    help: &'a str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: &'a Summary,
}

fn json(diagnostics: &[Diagnostic], summary: &Summary) -> String {
    let report = JsonReport {
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                rule: d.rule.name,
                severity: d.severity,
                file: &d.file,
                line: d.pos.line,
                column: d.pos.column,
                path: d.path.as_deref(),
                message: &d.message,
                help: &d.help,
            })
            .collect(),
        summary,
    };
    let mut text = serde_json::to_string_pretty(&report).expect("diagnostics always serialize");
    text.push('\n');
    text
}

/// One annotation line per diagnostic and nothing else: CI reads each line as one.
fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            d.severity.as_str(),
            escape_property(&d.file),
            d.pos.line,
            d.pos.column,
            escape_property(d.rule.name),
            escape_data(&d.message),
        );
    }
    out
}

/// GitHub's workflow-command escaping for the message part. Record text
/// quoted in a message may hold terminal escapes or bidirectional
/// overrides: shown as visible symbols, as the human format does, so that
/// they cannot restyle or reorder the CI log.
fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            _ => out.push(visible(c)),
        }
    }
    out
}

/// A character as it may be printed to a terminal or a CI log: C0
/// controls as the Control Pictures block shows them, the other controls
/// and bidirectional overrides as U+FFFD; a tab stays a tab.
fn visible(c: char) -> char {
    match c {
        '\t' => c,
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
        _ => c,
    }
}

/// A file name as the human format prints it after `-->`: one line, inert.
fn shown_path(file: &str) -> std::borrow::Cow<'_, str> {
    if file.chars().all(|c| visible(c) == c && c != '\t') {
        std::borrow::Cow::Borrowed(file)
    } else {
        std::borrow::Cow::Owned(
            file.chars()
                .map(|c| if c == '\t' { '\u{2409}' } else { visible(c) })
                .collect(),
        )
    }
}

/// GitHub's escaping for `file=`, `title=` and the other properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    fn sample() -> Diagnostic {
        Diagnostic::new(
            rules::MILESTONE_OVERDUE,
            "acme/sales.md",
            Pos::new(3, 10, 10),
            "milestone B was due 2026-05-01 and is not done",
        )
        .path("milestones[1].due")
        .with_source("---\nmilestones:\n    due: 2026-05-01\n---\n")
    }

    #[test]
    fn human_output_points_a_caret_at_the_value() {
        let mut summary = Summary {
            files: 1,
            clients: 1,
            engagements: 1,
            ..Summary::default()
        };
        summary.count(&[sample()]);
        let text = report(Format::Human, &[sample()], &summary, false);
        assert!(
            text.contains(
                "warning[milestone-overdue]: milestone B was due 2026-05-01 and is not done"
            ),
            "{text}"
        );
        assert!(text.contains("--> acme/sales.md:3:10"), "{text}");
        assert!(text.contains("^^^^^^^^^^"), "{text}");
        assert!(text.contains("help: "), "{text}");
        assert!(
            text.ends_with("checked 1 file (1 client, 1 engagement): 0 errors, 1 warning\n"),
            "{text}"
        );
    }

    #[test]
    fn github_lines_escape_what_would_break_them() {
        let mut d = sample();
        d.message = "50% done\nreally".into();
        let text = report(Format::Github, &[d], &Summary::default(), false);
        assert!(text.starts_with("::warning file=acme/sales.md,line=3,col=10,title=milestone-overdue::50%25 done%0Areally"), "{text}");
    }

    #[test]
    fn human_file_names_stay_on_one_line() {
        let mut d = sample();
        d.file = "acme/new\nline\r.md".into();
        let text = report(Format::Human, &[d], &Summary::default(), false);
        assert!(
            text.contains("acme/new\u{240a}line\u{240d}.md:3:10"),
            "{text}"
        );
        assert!(!text.contains("new\nline"), "{text}");
    }

    #[test]
    fn github_lines_show_control_characters_inert() {
        let mut d = sample();
        d.message = "\u{1b}[31mred\u{0}\u{7}\u{7f}\u{85}\u{202e}x\ty".into();
        d.file = "acme/a\u{1b}b.md".into();
        let text = report(Format::Github, &[d], &Summary::default(), false);
        assert_eq!(
            text,
            "::warning file=acme/a\u{241b}b.md,line=3,col=10,title=milestone-overdue::\u{241b}[31mred\u{2400}\u{2407}\u{2421}\u{FFFD}\u{FFFD}x\ty\n"
        );
    }

    #[test]
    fn json_has_the_contract_shape() {
        let text = report(Format::Json, &[sample()], &Summary::default(), false);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let d = &value["diagnostics"][0];
        assert_eq!(d["rule"], "milestone-overdue");
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["line"], 3);
        assert_eq!(d["column"], 10);
        assert_eq!(d["path"], "milestones[1].due");
        for key in ["files", "clients", "engagements", "errors", "warnings"] {
            assert!(value["summary"][key].is_number(), "{key}");
        }
    }
}
