//! Helpers for the CLI tests: build a records repository, run the real
//! `commonthread` binary on it, and read its JSON diagnostics.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde::Deserialize;
use tempfile::TempDir;

/// Every test computes its figures as of this day.
pub const AS_OF: &str = "2026-11-16";

/// A valid, active engagement that triggers no diagnostic at all as of
/// 2026-11-16 (checked by `baseline_engagement_is_clean`). The rule tests
/// edit one line of it at a time. Line numbers the tests rely on:
///
/// ```text
///  1 ---                          35 milestones:
///  2 title:                       36   - id: A
///  3 status: active               37     title:
///  4 owner:                       38     due: 2026-04-01
///  5 start: 2026-03-02            39     done: 2026-03-28
///  6 end: 2026-12-31              40     outcome:
///  9 qualification:               41     result:
/// 12     - claim:                 42   - id: B
/// 14       status: verified       43     title:
/// 16     - flag:                  44     due: 2026-12-15
/// 17       resolution:            45     outcome:
/// 18   decision: reframe          46 updates:
/// 22 success:                     47   cadence_days: 14
/// 23   agreed: 2026-03-05         48   log:
/// 24   agreed_by:                 49     - date: 2026-03-15
/// 25   metrics:                   52       milestone: A
/// 26     - id: days-to-close      53     - date: 2026-11-10
/// 29       baseline: 45           55 wins:
/// 30       target: 14             56   - date: 2026-07-10
/// 31       weight: 2              58     metric: days-to-close
/// 32       measurements:          59     celebrated:
/// 33         - { date: 2026-05-01 60 concerns:
/// 34         - { date: 2026-11-01 61   - date: 2026-05-20
///                                 64     response:
///                                 65     resolved: 2026-05-27
///                                 66 internal_notes:
///                                 67 ---
/// ```
pub const BASELINE: &str = include_str!("../fixtures/clean/acme-logistics/2026-sales-cycle.md");

/// A valid prospect engagement with exactly one warning as of 2026-11-16:
/// `milestone-overdue` at `acme-logistics/witness.md:10:10`. The bad-input
/// tests put it beside the bad file to show that the run went on.
pub const WITNESS: &str = include_str!("../fixtures/witness/acme-logistics/witness.md");

pub const CLIENT_YAML: &str = include_str!("../fixtures/clean/acme-logistics/client.yaml");

/// Where the rule tests write the engagement under test.
pub const ENGAGEMENT: &str = "acme-logistics/2026-sales-cycle.md";
pub const WITNESS_FILE: &str = "acme-logistics/witness.md";

/// A fixture repository under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(path.is_dir(), "no fixture {}", path.display());
    path
}

/// The binary, with an environment that cannot leak into the results and a
/// time limit so that a hang fails the test instead of stalling the suite.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("commonthread").expect("the commonthread binary is built");
    cmd.env_remove("SOURCE_DATE_EPOCH")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .timeout(Duration::from_secs(20));
    cmd
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: std::process::Output) -> Run {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !stderr.contains("panicked"),
            "the binary panicked:\n{stderr}"
        );
        Run {
            code: output.status.code().unwrap_or_else(|| {
                panic!("the binary was killed by a signal (or timed out):\n{stderr}")
            }),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr,
        }
    }
}

/// Runs a prepared command.
pub fn run_cmd(cmd: &mut Command) -> Run {
    Run::from(cmd.output().expect("the binary runs"))
}

/// `commonthread check DIR --as-of 2026-11-16 ARGS...`
pub fn check(dir: &Path, args: &[&str]) -> Run {
    run_cmd(
        bin()
            .arg("check")
            .arg(dir)
            .args(["--as-of", AS_OF])
            .args(args),
    )
}

/// One diagnostic, exactly as the JSON contract (INTERFACE.md) spells it;
/// an extra or missing key fails the parse.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Diag {
    pub rule: String,
    pub severity: String,
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub path: Option<String>,
    pub message: String,
    pub help: String,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub files: u64,
    pub clients: u64,
    pub engagements: u64,
    pub errors: u64,
    pub warnings: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonReport {
    diagnostics: Vec<Diag>,
    summary: Summary,
}

/// A `--format json` run, parsed.
#[derive(Debug)]
pub struct Report {
    pub code: i32,
    pub diags: Vec<Diag>,
    pub summary: Summary,
}

impl Report {
    pub fn parse(run: Run) -> Report {
        let parsed: JsonReport = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not the JSON report ({e}):\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            )
        });
        // The counts must agree with the list.
        let errors = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == "error")
            .count() as u64;
        let warnings = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == "warning")
            .count() as u64;
        assert_eq!(
            (parsed.summary.errors, parsed.summary.warnings),
            (errors, warnings),
            "summary counts disagree with the diagnostics:\n{}",
            run.stdout
        );
        assert_eq!(
            errors + warnings,
            parsed.diagnostics.len() as u64,
            "a severity is neither error nor warning:\n{}",
            run.stdout
        );
        Report {
            code: run.code,
            diags: parsed.diagnostics,
            summary: parsed.summary,
        }
    }

    /// The rule names, in output order.
    pub fn rules(&self) -> Vec<&str> {
        self.diags.iter().map(|d| d.rule.as_str()).collect()
    }

    /// The one diagnostic of `rule` in `file`; fails when there are none or several.
    pub fn one(&self, rule: &str, file: &str) -> &Diag {
        let found: Vec<&Diag> = self
            .diags
            .iter()
            .filter(|d| d.rule == rule && d.file == file)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one `{rule}` in {file}; got:\n{}",
            self.listing()
        );
        found[0]
    }

    /// Fails when any diagnostic of `rule` was reported.
    pub fn none_of(&self, rule: &str) {
        assert!(
            self.diags.iter().all(|d| d.rule != rule),
            "`{rule}` should not be reported; got:\n{}",
            self.listing()
        );
    }

    /// Fails unless the rules reported are exactly these, in this order.
    pub fn assert_rules(&self, expected: &[&str]) {
        assert_eq!(self.rules(), expected, "got:\n{}", self.listing());
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            code,
            "exit code; diagnostics:\n{}",
            self.listing()
        );
    }

    /// The witness engagement was checked: its one warning is there.
    pub fn assert_witness_checked(&self) {
        let d = self.one("milestone-overdue", WITNESS_FILE);
        at(
            d,
            "warning",
            WITNESS_FILE,
            10,
            10,
            Some("milestones[0].due"),
        );
    }

    pub fn listing(&self) -> String {
        let mut out = String::new();
        for d in &self.diags {
            let _ = writeln!(
                out,
                "  {} {} {}:{}:{} path={:?} | {} | help: {}",
                d.severity, d.rule, d.file, d.line, d.column, d.path, d.message, d.help
            );
        }
        out
    }
}

/// Asserts where a diagnostic is and how severe it is.
pub fn at(d: &Diag, severity: &str, file: &str, line: u64, column: u64, path: Option<&str>) {
    assert_eq!(
        (
            d.severity.as_str(),
            d.file.as_str(),
            d.line,
            d.column,
            d.path.as_deref()
        ),
        (severity, file, line, column, path),
        "{} at the wrong place or severity: {d:?}",
        d.rule
    );
    assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
    assert!(!d.help.trim().is_empty(), "empty help: {d:?}");
}

/// Asserts that a message says what it should, case-insensitively.
pub fn says(d: &Diag, words: &[&str]) {
    let text = d.message.to_lowercase();
    for word in words {
        assert!(
            text.contains(&word.to_lowercase()),
            "message of {} should mention {word:?}: {:?}",
            d.rule,
            d.message
        );
    }
}

/// `check DIR --as-of 2026-11-16 --format json ARGS...`, parsed.
pub fn check_json(dir: &Path, args: &[&str]) -> Report {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    Report::parse(check(dir, &all))
}

/// Writes a records repository into a fresh temporary folder.
pub fn repo(files: &[(&str, &str)]) -> TempDir {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    repo_bytes(&bytes)
}

pub fn repo_bytes(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, bytes) in files {
        write(dir.path(), path, bytes);
    }
    dir
}

pub fn write(root: &Path, path: &str, bytes: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the folder");
    std::fs::write(&path, bytes).expect("write the file");
}

/// A copy of a fixture in a temporary folder, to add to it.
pub fn fixture_copy(name: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_tree(&fixture(name), dir.path());
    dir
}

/// A copy of a folder of this project (relative to its root) in a
/// temporary folder outside its git repository, so pages built from it
/// carry no commit id (provenance is tested with repositories of its own).
#[allow(dead_code)] // used by build.rs and audit.rs, not by check.rs
pub fn project_copy(relative: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(relative),
        dir.path(),
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the folder");
    for entry in std::fs::read_dir(from).expect("read the fixture") {
        let entry = entry.expect("a fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy the fixture file");
        }
    }
}

/// A repository with the client and one engagement file holding `text`.
pub fn engagement_repo(text: &str) -> TempDir {
    repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (ENGAGEMENT, text),
    ])
}

/// Checks one engagement (beside its client.yaml), as JSON.
pub fn check_engagement(text: &str) -> Report {
    let dir = engagement_repo(text);
    check_json(dir.path(), &[])
}

/// `text` with each `old` (which must occur exactly once) replaced by `new`.
pub fn edit(text: &str, replacements: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (old, new) in replacements {
        assert_eq!(
            out.matches(old).count(),
            1,
            "{old:?} must occur exactly once in the text being edited"
        );
        out = out.replacen(old, new, 1);
    }
    out
}

/// `text` with lines `first..=last` (1-based) turned into YAML comments, so
/// every other line keeps its number.
pub fn comment_out(text: &str, first: usize, last: usize) -> String {
    let mut out = String::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        if (first..=last).contains(&number) {
            assert!(
                !line.starts_with("---"),
                "line {number} is a fence, not a field"
            );
            out.push_str("# (removed) ");
        }
        out.push_str(line);
    }
    out
}

/// The 1-based line `number` of `text`.
pub fn line(text: &str, number: usize) -> &str {
    text.lines().nth(number - 1).expect("the line exists")
}

/// Every file under `dir`, by `/`-separated path, with its bytes.
#[allow(dead_code)] // used by build.rs and history.rs, not by check.rs
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// Fails unless `rebuilt` and `fresh` hold the same files, byte for byte.
#[allow(dead_code)] // used by build.rs and history.rs, not by check.rs
pub fn assert_same_tree(rebuilt: &Path, fresh: &Path, what: &str) {
    let (rebuilt, fresh) = (read_tree(rebuilt), read_tree(fresh));
    assert_eq!(
        rebuilt.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (path, bytes) in &rebuilt {
        assert!(
            bytes == &fresh[path],
            "{what}: {path} differs from a fresh build"
        );
    }
}
