//! The user guide in `docs/` must not drift from the code.
//!
//! `docs/rules.md` carries the rule table: the block between
//! `<!-- rules:start -->` and `<!-- rules:end -->` is generated from
//! `commonthread::rules::RULES` (plus `POINTS_AT` below, which says where each
//! rule's diagnostic points). When the table changes, this test fails until
//! the block is regenerated with
//!
//! ```sh
//! UPDATE_DOCS=1 cargo test --test docs
//! ```
//!
//! The other tests check that the hand-written pages name every field,
//! command, option, status word, health kind and checklist item the code has.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::CommandFactory;
use commonthread::figures::{MetricStatus, MilestoneStatus, ReasonKind};
use commonthread::rules::{RULES, Rule, RuleKind};
use commonthread::schema::{RecordKind, schema};

const START: &str = "<!-- rules:start -->";
const END: &str = "<!-- rules:end -->";

/// Where each rule's diagnostic points (file, line and column), in words.
/// Every rule in the table must have exactly one entry.
const POINTS_AT: &[(&str, &str)] = &[
    (
        "unreadable-file",
        "line 1, column 1 of the file (or of the folder that cannot be read); for a file that is not UTF-8, its first byte that is not.",
    ),
    (
        "yaml-syntax",
        "where the YAML parser stopped; for a line of words with no `: ` where a field was due, that line; for a repeated key, the second occurrence of the key (in a list item, one finding for all its repeated keys, at the first of them); a value copied by an alias (`*name`) is where the alias is.",
    ),
    (
        "front-matter-missing",
        "line 1 of the engagement file; for front matter never closed, the line that would close it if it were `---` alone, when there is one.",
    ),
    ("unknown-field", "the unknown field's name."),
    (
        "invalid-value",
        "the wrong value itself; in `commonthread.yaml`, the rule name under `rules:`.",
    ),
    (
        "missing-field",
        "the key or list item that should hold the field (line 1 for a top-level field); a required field written with no value points at its key.",
    ),
    (
        "invalid-slug",
        "line 1 of the engagement file, or of `client.yaml` for a client folder.",
    ),
    (
        "duplicate-id",
        "the second occurrence: the second milestone's or metric's `id`, or line 1 of the second engagement file (or `client.yaml`).",
    ),
    (
        "unknown-reference",
        "the reference itself: the win's `metric` or the log entry's `milestone`.",
    ),
    (
        "date-order",
        "the later-meaning date: `end`, the milestone's `done`, or the concern's `resolved`.",
    ),
    ("no-client", "line 1 of the engagement file."),
    ("target-equals-baseline", "the metric's `target`."),
    (
        "review-missing",
        "the `review:` key when it is written with no value, else line 1.",
    ),
    (
        "refund-reason-missing",
        "the `refund_reason:` key when it is written with no value, else the `review:` key.",
    ),
    (
        "correction-without-original",
        "the measurement's `corrects` value.",
    ),
    (
        "goalpost-moved",
        "the metric's `baseline` or `target` value, whichever moved (one diagnostic each when both did).",
    ),
    (
        "history-rewritten",
        "the changed `value` or `date` of the measurement; for a removed measurement, the metric's `measurements` key; for a removed metric, the `success.metrics` key.",
    ),
    (
        "success-has-no-number",
        "the `success.metrics` list when it is written, else the `success:` key, else line 1.",
    ),
    (
        "success-not-agreed",
        "the `success.agreed:` key when it is written with no value, else the `success:` key.",
    ),
    (
        "milestone-without-outcome",
        "the milestone's `outcome:` key when it is written with no value, else the milestone's list item.",
    ),
    ("milestone-overdue", "the milestone's `due` date."),
    (
        "update-overdue",
        "the latest log entry's `date`; with no entry, the `updates:` key; with no `updates:`, line 1.",
    ),
    (
        "win-not-celebrated",
        "the win's `celebrated:` key when it is written with no value, else the win's list item.",
    ),
    (
        "concern-unanswered",
        "the concern's `response:` key when it is written with no value, else the concern's list item.",
    ),
    (
        "claim-unverified",
        "a claim's `status`; for a red flag, its `resolution:` key when it is written with no value, else the red flag's list item.",
    ),
    (
        "not-qualified",
        "the `qualification.decision:` key when it is written with no value (as `new engagement` leaves it), else the `qualification:` key, else line 1.",
    ),
    (
        "no-end-date",
        "the `end:` key when it is written with no value, else line 1.",
    ),
    (
        "review-due",
        "the `review:` key when it is written with no value, else line 1.",
    ),
    ("measurement-out-of-range", "the measurement's `date`."),
    ("milestone-after-end", "the milestone's `due` date."),
    ("metric-stale", "the metric's `id`."),
    ("milestone-slipped", "the milestone's `due` value."),
    (
        "done-undone",
        "the milestone's list item (its `- id:` line).",
    ),
    (
        "field-in-notes",
        "the field's line in the notes, or the `---` that starts a second front matter.",
    ),
];

fn doc_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name)
}

fn read_doc(name: &str) -> String {
    let path = doc_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn points_at(rule: &Rule) -> &'static str {
    POINTS_AT
        .iter()
        .find(|(name, _)| *name == rule.name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| {
            panic!(
                "rule `{}` has no entry in POINTS_AT in tests/docs.rs: say where its diagnostic points",
                rule.name
            )
        })
}

fn kind_word(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Error => "error",
        RuleKind::Warning => "warning",
    }
}

fn sentence(text: &str) -> String {
    if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// The block between the markers, exactly as it must read.
fn generated_block() -> String {
    let mut out = String::new();
    out.push('\n');
    out.push_str(
        "<!-- Generated from the rule table in src/rules/mod.rs and POINTS_AT in tests/docs.rs.\n     Do not edit by hand: change those, then run `UPDATE_DOCS=1 cargo test --test docs`. -->\n\n",
    );
    out.push_str("| rule | kind | when it fires |\n|---|---|---|\n");
    for rule in RULES {
        out.push_str(&format!(
            "| [`{name}`](#{name}) | {kind} | {when} |\n",
            name = rule.name,
            kind = kind_word(rule.kind),
            when = rule.when,
        ));
    }
    for (kind, heading, intro) in [
        (
            RuleKind::Error,
            "## Errors",
            "An error means the records are wrong. `check` exits 1, and `build` and `audit` write nothing until it is fixed. The level of an error rule cannot be changed.",
        ),
        (
            RuleKind::Warning,
            "## Warnings",
            "A warning means the records fall short of good practice. It does not stop `build` or `audit`, and `check` exits 0 unless you pass `--deny-warnings`. Each warning rule's level can be set in `commonthread.yaml` (see \"Changing a warning's level\" below).",
        ),
    ] {
        out.push('\n');
        out.push_str(heading);
        out.push_str("\n\n");
        out.push_str(intro);
        out.push('\n');
        for rule in RULES.iter().filter(|r| r.kind == kind) {
            let level = match rule.kind {
                RuleKind::Error => "Error (its level cannot be changed).",
                RuleKind::Warning => "Warning (level can be set to `error`, `warning` or `off`).",
            };
            out.push_str(&format!(
                "\n### `{name}`\n\n{level}\n\n- **When:** {when}\n- **Why:** {why}\n- **Fix:** {fix}\n- **Points at:** {points}\n",
                name = rule.name,
                when = sentence(rule.when),
                why = rule.why,
                fix = rule.fix,
                points = points_at(rule),
            ));
        }
    }
    out.push('\n');
    out
}

/// The text before the start marker, the block, and the text from the end
/// marker on.
fn split_rules_md(text: &str) -> (&str, &str, &str) {
    let start = text
        .find(START)
        .expect("docs/rules.md has no `<!-- rules:start -->` marker");
    let block_start = start + START.len();
    let end = text[block_start..]
        .find(END)
        .map(|at| block_start + at)
        .expect("docs/rules.md has no `<!-- rules:end -->` marker after the start marker");
    assert_eq!(
        text.matches(START).count(),
        1,
        "docs/rules.md has more than one start marker"
    );
    assert_eq!(
        text.matches(END).count(),
        1,
        "docs/rules.md has more than one end marker"
    );
    (&text[..block_start], &text[block_start..end], &text[end..])
}

/// docs/rules.md as the tests see it. With `UPDATE_DOCS=1`, the generated
/// block is rewritten first (once per test run, whichever test gets here
/// first), so every test reads the updated file.
fn rules_md() -> String {
    static UPDATED: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut updated = UPDATED.lock().unwrap_or_else(|p| p.into_inner());
    let text = read_doc("rules.md");
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    if *updated || !update {
        return text;
    }
    *updated = true;
    let (before, block, after) = split_rules_md(&text);
    let expected = generated_block();
    if block == expected {
        return text;
    }
    let rewritten = format!("{before}{expected}{after}");
    std::fs::write(doc_path("rules.md"), &rewritten).expect("cannot write docs/rules.md");
    eprintln!("docs/rules.md: rewrote the generated rules block");
    rewritten
}

#[test]
fn the_rules_block_is_generated_from_the_rule_table() {
    let text = rules_md();
    let (_, block, _) = split_rules_md(&text);
    let expected = generated_block();
    if block == expected {
        return;
    }
    let first_difference = block
        .lines()
        .zip(expected.lines())
        .enumerate()
        .find(|(_, (found, wanted))| found != wanted)
        .map(|(i, (found, wanted))| {
            format!(
                "block line {}:\n  in docs/rules.md: {found}\n  from the table:   {wanted}",
                i + 1
            )
        })
        .unwrap_or_else(|| {
            format!(
                "the block has {} lines; the table gives {}",
                block.lines().count(),
                expected.lines().count()
            )
        });
    panic!(
        "docs/rules.md is out of date with the rule table in src/rules/mod.rs.\n{first_difference}\nRun `UPDATE_DOCS=1 cargo test --test docs` to rewrite the block between the markers."
    );
}

/// The lines under a `### ` heading, up to the next heading or marker.
fn section<'t>(text: &'t str, heading: &str) -> Vec<&'t str> {
    let lines: Vec<&str> = text.lines().collect();
    let at: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| **line == heading)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "docs/rules.md must have the heading {heading:?} exactly once (found {})",
        at.len()
    );
    lines[at[0] + 1..]
        .iter()
        .take_while(|line| !line.starts_with('#') && !line.starts_with("<!--"))
        .copied()
        .collect()
}

#[test]
fn every_rule_has_its_section_with_its_words_verbatim() {
    let text = rules_md();
    for rule in RULES {
        let heading = format!("### `{}`", rule.name);
        let body = section(&text, &heading).join("\n");
        for (what, words) in [("when", rule.when), ("why", rule.why), ("fix", rule.fix)] {
            assert!(
                body.contains(words),
                "docs/rules.md, section {heading}: the `{what}` text of the rule table is missing:\n  {words}"
            );
        }
        let kind = match rule.kind {
            RuleKind::Error => "Error",
            RuleKind::Warning => "Warning",
        };
        assert!(
            body.lines().any(|line| line.starts_with(kind)),
            "docs/rules.md, section {heading}: does not say it is an {kind}"
        );
    }
}

#[test]
fn rules_md_names_no_rule_the_table_lacks() {
    let text = rules_md();
    let known: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
    for line in text.lines() {
        // Rule headings, and the first cell of any table row naming a rule.
        let named = if let Some(rest) = line.strip_prefix("### `") {
            rest.split('`').next()
        } else if let Some(rest) = line.strip_prefix("| [`") {
            rest.split('`').next()
        } else if let Some(rest) = line.strip_prefix("| `") {
            rest.split('`').next()
        } else {
            None
        };
        if let Some(name) = named {
            assert!(
                known.contains(name),
                "docs/rules.md names `{name}`, which is not in the rule table: {line}"
            );
        }
    }
}

#[test]
fn points_at_covers_exactly_the_rules() {
    let known: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
    let described: Vec<&str> = POINTS_AT.iter().map(|(name, _)| *name).collect();
    let unique: BTreeSet<&str> = described.iter().copied().collect();
    assert_eq!(
        unique.len(),
        described.len(),
        "POINTS_AT names a rule twice"
    );
    assert_eq!(
        unique, known,
        "POINTS_AT in tests/docs.rs must describe exactly the rules in the table"
    );
}

/// The property names of a record kind's schema.
fn fields(kind: RecordKind) -> Vec<String> {
    schema(kind)["properties"]
        .as_object()
        .expect("a record schema has properties")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn format_md_mentions_every_field() {
    let text = read_doc("format.md");
    for (kind, file) in [
        (RecordKind::Engagement, "engagement front matter"),
        (RecordKind::Client, "client.yaml"),
        (RecordKind::Config, "commonthread.yaml"),
    ] {
        let fields = fields(kind);
        assert!(!fields.is_empty());
        for field in fields {
            assert!(
                text.contains(&format!("`{field}`")),
                "docs/format.md does not mention the {file} field `{field}`"
            );
        }
    }
}

#[test]
fn commands_md_mentions_every_command_and_option() {
    let text = read_doc("commands.md");
    let mut cli = commonthread::cli::Cli::command();
    cli.build();
    let mut stack: Vec<(String, &clap::Command)> = vec![(String::new(), &cli)];
    while let Some((prefix, command)) = stack.pop() {
        for sub in command.get_subcommands() {
            let name = format!("{prefix}{}", sub.get_name());
            if sub.get_name() == "help" {
                continue;
            }
            assert!(
                text.contains(&format!("commonthread {name}")),
                "docs/commands.md does not show `commonthread {name}`"
            );
            for arg in sub.get_arguments() {
                if let Some(long) = arg.get_long() {
                    if long == "help" || long == "version" {
                        continue;
                    }
                    assert!(
                        text.contains(&format!("`--{long}")),
                        "docs/commands.md does not mention `--{long}` (of `commonthread {name}`)"
                    );
                }
            }
            stack.push((format!("{name} "), sub));
        }
    }
}

#[test]
fn figures_md_names_every_status_health_kind_and_checklist_item() {
    let text = read_doc("figures.md");
    let metric_statuses = [
        MetricStatus::NotMeasured,
        MetricStatus::Achieved,
        MetricStatus::OnTrack,
        MetricStatus::AtRisk,
        MetricStatus::OffTrack,
    ];
    for status in metric_statuses {
        // A new status fails to compile here until it is added above (and documented).
        match status {
            MetricStatus::NotMeasured
            | MetricStatus::Achieved
            | MetricStatus::OnTrack
            | MetricStatus::AtRisk
            | MetricStatus::OffTrack => {}
        }
        assert!(
            text.contains(&format!("`{}`", status.as_str())),
            "docs/figures.md does not name the metric status `{}`",
            status.as_str()
        );
    }
    let milestone_statuses = [
        MilestoneStatus::Done,
        MilestoneStatus::Overdue,
        MilestoneStatus::DueSoon,
        MilestoneStatus::Upcoming,
    ];
    for status in milestone_statuses {
        match status {
            MilestoneStatus::Done
            | MilestoneStatus::Overdue
            | MilestoneStatus::DueSoon
            | MilestoneStatus::Upcoming => {}
        }
        assert!(
            text.contains(&format!("`{}`", status.as_str())),
            "docs/figures.md does not name the milestone status `{}`",
            status.as_str()
        );
    }
    let kinds = [
        ReasonKind::MetricOffTrack,
        ReasonKind::MilestoneOverdueLong,
        ReasonKind::UpdateOverdueLong,
        ReasonKind::ConcernUnansweredLong,
        ReasonKind::MetricAtRisk,
        ReasonKind::MilestoneOverdue,
        ReasonKind::UpdateOverdue,
        ReasonKind::ConcernUnanswered,
    ];
    for kind in kinds {
        match kind {
            ReasonKind::MetricOffTrack
            | ReasonKind::MilestoneOverdueLong
            | ReasonKind::UpdateOverdueLong
            | ReasonKind::ConcernUnansweredLong
            | ReasonKind::MetricAtRisk
            | ReasonKind::MilestoneOverdue
            | ReasonKind::UpdateOverdue
            | ReasonKind::ConcernUnanswered => {}
        }
        let row = format!("| `{}` | {} |", kind.as_str(), kind.colour().as_str());
        assert!(
            text.contains(&row),
            "docs/figures.md's health table has no row starting {row:?}"
        );
    }
    // The checklist items, as the code produces them for a bare engagement.
    let engagement: commonthread::model::Engagement =
        serde_yaml::from_str("title: T\nstatus: active\nowner: O\n").expect("a minimal engagement");
    let as_of = commonthread::model::Date::parse("2026-07-15").expect("a date");
    let items = commonthread::figures::review_checklist(&engagement, &[], as_of);
    assert!(!items.is_empty());
    for item in items {
        assert!(
            text.contains(&format!("`{}`", item.item)),
            "docs/figures.md does not name the review checklist item `{}`",
            item.item
        );
        assert!(
            text.contains(item.question),
            "docs/figures.md does not quote the checklist question {:?}",
            item.question
        );
    }
}

#[test]
fn every_doc_is_listed_in_the_index_and_relative_links_resolve() {
    let dir = doc_path("");
    let index = read_doc("README.md");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("docs/ exists")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    names.sort();
    for name in &names {
        if name != "README.md" {
            assert!(
                index.contains(&format!("]({name})")),
                "docs/README.md does not link {name}"
            );
        }
        let text = read_doc(name);
        // Markdown links `](target)` to files, not web addresses or anchors.
        for piece in text.split("](").skip(1) {
            let Some(target) = piece.split(')').next() else {
                continue;
            };
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() { name.as_str() } else { file };
            assert!(
                dir.join(file).exists(),
                "docs/{name} links {target}, which does not exist"
            );
            if !anchor.is_empty() && file.ends_with(".md") {
                assert!(
                    anchors(&read_doc(file)).contains(anchor),
                    "docs/{name} links {target}, but docs/{file} has no heading with that anchor"
                );
            }
        }
    }
}

#[test]
fn ci_md_quotes_the_workflow_init_writes() {
    let text = read_doc("ci.md");
    let block = format!("```yaml\n{}```", commonthread::scaffold::WORKFLOW);
    assert!(
        text.contains(&block),
        "docs/ci.md must quote the workflow `init` writes (src/scaffold.rs WORKFLOW) verbatim, in a ```yaml block"
    );
}

/// The anchors GitHub gives a page's headings: lowercase, spaces to dashes,
/// punctuation other than dashes and underscores dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut found = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#').trim();
        let anchor: String = heading
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        found.insert(anchor);
    }
    found
}

/// What a template receives, as commonthread itself reports it: a template
/// naming a variable that does not exist stops the run with a message
/// listing every variable the template has.
fn variables_given_to(template: &str) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    let text = if template == "portfolio-rows.html" || template == "audit.html" {
        "{{ no_such_variable }}".to_owned()
    } else {
        "{% extends \"base.html\" %}{% block content %}{{ no_such_variable }}{% endblock content %}"
            .to_owned()
    };
    std::fs::write(templates.join(template), text).unwrap();
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-engagements");
    let mut command = assert_cmd::Command::cargo_bin("commonthread").unwrap();
    if template == "audit.html" {
        command.args(["audit", "--quarter", "2026-Q3"]);
    } else {
        command.arg("build");
    }
    let output = command
        .arg(&samples)
        .args(["--as-of", "2026-11-16", "-q", "--templates"])
        .arg(&templates)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let listed = stderr
        .split("Available variables: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{template}: no list of variables in\n{stderr}"));
    let line = listed.lines().next().unwrap_or_default();
    let mut names: Vec<String> = line.split(", ").map(|n| n.trim().to_owned()).collect();
    names.sort();
    names
}

#[test]
fn templates_md_lists_exactly_what_each_template_receives() {
    let doc = read_doc("templates.md");
    for template in [
        "client.html",
        "scorecard.html",
        "review.html",
        "portfolio.html",
        "portfolio-rows.html",
        "audit.html",
    ] {
        let marker = format!("`{template}` receives: ");
        let line = doc
            .lines()
            .find_map(|l| l.strip_prefix(marker.as_str()))
            .unwrap_or_else(|| panic!("docs/templates.md has no line starting {marker:?}"));
        let mut documented: Vec<String> = line
            .trim_end_matches('.')
            .split(", ")
            .map(|n| n.trim_matches('`').to_owned())
            .collect();
        documented.sort();
        assert_eq!(
            documented,
            variables_given_to(template),
            "docs/templates.md and what `{template}` receives differ"
        );
    }
}
