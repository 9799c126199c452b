//! `init` and `new`: files a consultant fills in, which pass `check` as
//! written. Nothing is ever overwritten: every target is checked before the
//! first byte is written.

use std::path::{Path, PathBuf};

use crate::model::Date;
use crate::rules::repository::is_slug;

/// A file to create, relative to the records folder.
pub struct NewFile {
    pub path: PathBuf,
    pub text: String,
}

/// Writes every file, or none when any already exists.
pub fn create_all(root: &Path, files: &[NewFile]) -> Result<Vec<PathBuf>, String> {
    let existing: Vec<String> = files
        .iter()
        .map(|f| root.join(&f.path))
        .filter(|p| p.exists() || p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(format!(
            "refusing to overwrite what exists: {}; nothing was written",
            existing.join(", ")
        ));
    }
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        }
        // create_new: never replace a file that appeared since the check.
        use std::io::Write;
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        handle
            .write_all(file.text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Checks a slug given on the command line, with a suggestion.
pub fn check_slug(kind: &str, slug: &str) -> Result<(), String> {
    if crate::rules::repository::RESERVED_SLUGS.contains(&slug) {
        return Err(format!(
            "`{slug}` is reserved for the audit pages; choose another {kind} slug"
        ));
    }
    if !is_slug(slug) {
        return Err(format!(
            "`{slug}` is not a valid {kind} slug: use lowercase letters, digits and dashes, starting with a letter or digit (such as `{}`)",
            if kind == "engagement" {
                "2026-sales-cycle"
            } else {
                "acme-logistics"
            }
        ));
    }
    Ok(())
}

/// A YAML double-quoted string holding `text` exactly (JSON strings are
/// valid YAML 1.2 double-quoted scalars).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

/// A new client's file. `since:` is left blank: the day the file is made
/// is seldom the day they became a client, and the page shows it.
pub fn client_yaml(name: &str) -> String {
    format!(
        "# A client of the practice. The folder's name is the client's slug.\n\
         name: {name}\n\
         since:                    # client since, YYYY-MM-DD (shown on their report)\n\
         industry:                 # optional, such as Freight\n\
         contacts:                 # the people we work with\n\
         #  - name: Priya Raman\n\
         #    role: VP Sales\n\
         #    email: priya@example.com\n\
         notes:                    # internal Markdown notes, never shown to the client\n",
        name = quoted(name),
    )
}

/// The owner a new engagement gets without `--owner`.
pub const OWNER_PLACEHOLDER: &str = "Your Name";

pub fn engagement_md(title: &str, owner: &str, start: Date) -> String {
    let end = start.plus_days(91);
    let first_due = start.plus_days(21);
    format!(
        r#"---
# One engagement. Every text is Markdown. Run `commonthread check` after editing.
title: {title}
status: prospect        # prospect | active | paused | completed | ended | declined
owner: {owner}          # who answers for it on our side
start: {start}      # first day of the work (required once active)
end: {end}        # the agreed end date
tags: []

qualification:          # due diligence before taking the work (internal)
  story:                # their story, in their words
  claims:
  #  - claim: Revenue grew 40% in two years
  #    evidence: Reviewed the FY2025 books
  #    status: unverified   # verified | unverified | contradicted
  red_flags:
  #  - flag: Growth came from one large account
  #    resolution: Reframed the goal to diversifying the pipeline
  decision:             # accept | reframe | decline
  decided:              # YYYY-MM-DD

current_state:          # where the client is today
desired_outcome:        # where they want to be

success:                # success agreed as numbers
  agreed:               # the day both sides agreed, YYYY-MM-DD
  agreed_by: []
  metrics:
  #  - id: days-to-close        # a slug, unique in this engagement
  #    name: Median days to close
  #    unit: days
  #    baseline: 45
  #    target: 14
  #    measurements:
  #      - {{ date: YYYY-MM-DD, value: 30 }}

milestones:             # the path A, B, C, D
#  - id: A
#    title: Map the current sales cycle
#    due: {first_due}
#    outcome: What the client will have once this step is done.

updates:
  cadence_days: 14      # how often we promised an update
  log:
  #  - date: YYYY-MM-DD
  #    summary: Shared the process map; agreed milestone B.
  #    milestone: A

wins:
#  - date: YYYY-MM-DD
#    title: A deal closed in 5 days
#    metric: days-to-close
#    celebrated: How we celebrated it with them

concerns:
#  - date: YYYY-MM-DD
#    concern: Weekly reports arrive late.
#    response: How we answered it
#    resolved: YYYY-MM-DD

# review:               # "Is this the end?", required once completed or ended
#   date: YYYY-MM-DD
#   went_wrong:
#   went_right:
#   new_problems:       # what new problems the solution creates
#   after_the_book:     # what happens when they put the book down
#   next_offer:
#   decision: next      # continue | next | end
#   refund: none        # none | partial | full (partial and full need refund_reason)

internal_notes:         # for the practice's eyes only
# Below the closing `---`: notes in Markdown, shown in the client's report.
---
"#,
        title = quoted(title),
        owner = quoted(owner),
    )
}

pub fn config_yaml(practice: &str) -> String {
    format!(
        "# Practice-wide settings for commonthread.\n\
         practice: {practice}   # shown in every report header\n\
         cadence_days: 14        # default promised days between updates\n\
         due_soon_days: 14       # a milestone due within this many days is \"due soon\"\n\
         currency: USD           # default currency for `value`\n\
         rules:                  # per-rule level for warning rules: error | warning | off\n\
         #  win-not-celebrated: error\n\
         #  update-overdue: off\n",
        practice = quoted(practice),
    )
}

pub const GITIGNORE: &str = "# Reports written by `commonthread build`, and the folders it assembles\n# them in (left behind only by a build that was killed; the next removes them)\n/public/\n/.public.commonthread-*/\n";

pub const WORKFLOW: &str = r#"# Checks the records and builds the client reports on every push.
name: reports
on:
  push:
  pull_request:
jobs:
  reports:
    runs-on: ubuntu-latest
    env:
      # Where CI installs commonthread from: your copy of its source repository.
      COMMONTHREAD_SOURCE: https://github.com/your-org/commonthread
    steps:
      - uses: actions/checkout@v4
        with:
          # The whole history, not only the last commit: `--since REV` compares with it.
          fetch-depth: 0
      - name: Install commonthread
        run: cargo install --locked --git "$COMMONTHREAD_SOURCE" commonthread
      - name: Compute the figures as of the commit's day
        run: echo "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)" >> "$GITHUB_ENV"
      - name: Check the records
        run: commonthread check --format github
      - name: Build the reports
        run: commonthread build --out public
      - uses: actions/upload-artifact@v4
        with:
          name: reports
          path: public/
"#;

/// Everything `init` writes.
pub fn init_files(today: Date) -> Vec<NewFile> {
    vec![
        NewFile { path: "commonthread.yaml".into(), text: config_yaml("Your Practice") },
        NewFile { path: ".gitignore".into(), text: GITIGNORE.into() },
        NewFile { path: ".github/workflows/reports.yml".into(), text: WORKFLOW.into() },
        NewFile { path: "example-client/client.yaml".into(), text: client_yaml("Example Client") },
        NewFile {
            path: "example-client/first-engagement.md".into(),
            // The example shows a first milestone and notes in place.
            text: engagement_md("First engagement", OWNER_PLACEHOLDER, today)
                .replace(
                    "  decision:             # accept | reframe | decline\n  decided:              # YYYY-MM-DD",
                    &format!("  decision: accept      # accept | reframe | decline\n  decided: {today}"),
                )
                .replace(
                    "milestones:             # the path A, B, C, D\n#  - id: A\n#    title: Map the current sales cycle\n#    due: ",
                    "milestones:             # the path A, B, C, D\n  - id: A\n    title: First step\n    due: ",
                )
                .replace(
                    "\n#    outcome: What the client will have",
                    "\n    outcome: What the client will have",
                )
                + "Notes about the engagement, in Markdown. They appear in the client's report.\n",
        },
    ]
}
