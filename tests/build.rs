//! `commonthread build` through the real binary: the pages and their
//! snapshots, safety of record text, audience, determinism, and the output
//! folder's safety.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

const AS_OF: &str = "2026-11-16";

/// The records, copied outside this project's git repository.
fn samples() -> TempDir {
    common::project_copy("sample-engagements")
}

fn commonthread() -> Command {
    let mut command = Command::cargo_bin("commonthread").expect("the binary is built");
    command.env_remove("SOURCE_DATE_EPOCH").env("NO_COLOR", "1");
    command.timeout(std::time::Duration::from_secs(60));
    command
}

/// Runs `build DIR --out OUT --as-of AS_OF` plus `extra`; returns the exit code.
fn build(dir: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let output = commonthread()
        .arg("build")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF])
        .args(extra)
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every file under `dir`, by relative path.
fn text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} was not written"))
            .clone(),
    )
    .unwrap()
}

/// `build` of the samples into `out` with the templates folder `templates`.
fn build_samples_with(templates: &Path, out: &Path) -> (i32, String, String) {
    let templates = templates.to_str().unwrap();
    build(samples().path(), out, &["--templates", templates])
}

/// `check` of the samples with the templates folder `templates`.
fn check_samples_with(templates: &Path) -> std::process::Output {
    commonthread()
        .arg("check")
        .arg(samples().path())
        .args(["--as-of", AS_OF, "--templates"])
        .arg(templates)
        .output()
        .unwrap()
}

/// A templates folder `templates` under `root`, holding `files`.
fn templates_folder(root: &Path, files: &[(&str, &str)]) -> PathBuf {
    let templates = root.join("templates");
    std::fs::create_dir(&templates).unwrap();
    for (name, text) in files {
        std::fs::write(templates.join(name), text).unwrap();
    }
    templates
}

fn write_repo(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn built_samples() -> (TempDir, BTreeMap<String, Vec<u8>>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let (code, stdout, stderr) = build(samples().path(), &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let files = common::read_tree(&out);
    (tmp, files)
}

#[test]
fn a_finished_engagements_scorecard_measures_against_the_end_and_names_the_client() {
    let (_tmp, files) = built_samples();
    let done = text(
        &files,
        "prairie-plains-bank/2026-loan-turnaround/scorecard.html",
    );
    assert!(done.contains("100% expected by the end."), "{done}");
    assert!(!done.contains("expected by today"), "{done}");
    assert!(done.contains(r#"<span class="for">for Prairie Plains Bank</span>"#));
    let running = text(
        &files,
        "maple-street-dental/2026-no-show-reduction/scorecard.html",
    );
    assert!(running.contains("expected by today"), "{running}");
    // A declined engagement owes no refund.
    let declined = text(
        &files,
        "copperline-fitness/2026-membership-growth/review.html",
    );
    assert!(
        declined.contains("not applicable: the work was declined"),
        "{declined}"
    );
    // The client's own pages use the client's words for the pipeline's.
    let report = text(&files, "copperline-fitness/index.html");
    assert!(report.contains(">Not going ahead</span>"), "{report}");
    assert!(!report.contains(">Declined</span>"), "{report}");
    let proposed = text(&files, "root-cellar-coop/2027-second-store/scorecard.html");
    assert!(proposed.contains(">Proposed</span>"), "{proposed}");
    let portfolio = text(&files, "index.html");
    assert!(portfolio.contains(">Declined</span>") && portfolio.contains(">Prospect</span>"));
}

#[test]
fn samples_build_every_page_at_its_contract_path() {
    let (_tmp, files) = built_samples();
    for path in [
        "index.html",
        "engagements.json",
        "tallyhouse/index.html",
        "tallyhouse/2026-trial-conversion/scorecard.html",
        "tallyhouse/2026-trial-conversion/review.html",
        "tidewater-freight/2025-dispatch-audit/scorecard.html",
    ] {
        assert!(
            files.contains_key(path),
            "{path} missing; have {:?}",
            files.keys().collect::<Vec<_>>()
        );
    }
    // Every engagement has a scorecard and a review; every client a report.
    let scorecards = files
        .keys()
        .filter(|p| p.ends_with("/scorecard.html"))
        .count();
    let reviews = files.keys().filter(|p| p.ends_with("/review.html")).count();
    assert_eq!((scorecards, reviews), (11, 11));
}

#[test]
fn page_snapshots() {
    let (_tmp, files) = built_samples();
    for (name, path) in [
        ("portfolio", "index.html"),
        ("client_report", "tallyhouse/index.html"),
        (
            "scorecard",
            "tallyhouse/2026-trial-conversion/scorecard.html",
        ),
        ("review", "tallyhouse/2025-churn-review/review.html"),
        ("engagements_json", "engagements.json"),
    ] {
        insta::assert_snapshot!(name, text(&files, path));
    }
}

#[test]
fn engagements_json_has_the_contract_figures() {
    let (_tmp, files) = built_samples();
    let json: serde_json::Value = serde_json::from_str(&text(&files, "engagements.json")).unwrap();
    assert_eq!(json["as_of"], AS_OF);
    assert_eq!(json["practice"], "Northwind Advisory");
    let clients = json["clients"].as_array().unwrap();
    let slugs: Vec<&str> = clients
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    let mut sorted = slugs.clone();
    sorted.sort_unstable();
    assert_eq!(slugs, sorted, "clients in slug order");
    let tally = clients.iter().find(|c| c["slug"] == "tallyhouse").unwrap();
    let trial = tally["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == "2026-trial-conversion")
        .unwrap();
    // Worked by hand (see the sample's comments): expected 196/298, the
    // conversion metric at (10.6-9)/(18-9), the score weighted 2:1.
    assert_eq!(trial["health"], "red");
    assert_eq!(trial["health_reasons"][0]["kind"], "metric-off-track");
    let conversion = &trial["metrics"][0];
    assert_eq!(conversion["progress"], 0.1778);
    assert_eq!(conversion["expected"], 0.6577);
    assert_eq!(conversion["status"], "off-track");
    assert_eq!(trial["score"], 36.9);
    // Statuses without health carry null.
    let churn = tally["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == "2025-churn-review")
        .unwrap();
    assert!(churn["health"].is_null());
    for key in [
        "slug",
        "title",
        "status",
        "health",
        "health_reasons",
        "score",
        "metrics",
        "milestones",
        "review_checklist",
    ] {
        assert!(churn.get(key).is_some(), "{key}");
    }
    assert!(churn["review_checklist"][0]["done"].is_boolean());
}

#[test]
fn engagements_json_leaves_out_a_done_date_after_the_as_of_date() {
    // Milestone B of maple-street-dental's engagement is done on 2026-07-02;
    // a week before, it is overdue and its done date not yet written.
    let records = samples();
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    commonthread()
        .arg("build")
        .arg(records.path())
        .arg("--out")
        .arg(&out)
        .args(["--as-of", "2026-06-25", "-q"])
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("engagements.json")).unwrap())
            .unwrap();
    let maple = json["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "maple-street-dental")
        .unwrap();
    let no_show = maple["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == "2026-no-show-reduction")
        .unwrap();
    let b = &no_show["milestones"][1];
    assert_eq!(b["id"], "B");
    assert_eq!(b["status"], "overdue", "{b}");
    assert!(b["done"].is_null(), "{b}");
    // The milestone report counts the days as REPORTS.md does.
    let report = std::fs::read_to_string(out.join("maple-street-dental/index.html")).unwrap();
    assert!(report.contains("day 80 of 298"), "{report}");
}

#[test]
fn every_link_points_to_a_file_that_exists() {
    let (_tmp, files) = built_samples();
    let mut checked = 0;
    for (path, bytes) in &files {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes.clone()).unwrap();
        for href in html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            let href = href.replace("&#x2F;", "/");
            if href.starts_with("http") || href.starts_with("mailto:") || href.starts_with('#') {
                continue;
            }
            let base = Path::new(path).parent().unwrap();
            let target = normalize(&base.join(href.split('#').next().unwrap()));
            assert!(
                files.contains_key(&target),
                "{path} links to {href} ({target}), which was not written"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} links checked");
}

fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[test]
fn pages_are_self_contained() {
    let (_tmp, files) = built_samples();
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8_lossy(bytes);
        assert!(!html.contains("<script"), "{path}");
        assert!(!html.contains("<link"), "{path}");
        assert!(!html.contains("<img"), "{path}");
        assert!(!html.contains("src=\""), "{path}");
        assert!(!html.contains("@import"), "{path}");
        assert!(html.contains("<style>"), "{path}");
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_eq!(build(samples().path(), &a, &[]).0, 0);
    assert_eq!(build(samples().path(), &b, &[]).0, 0);
    let (first, second) = (common::read_tree(&a), common::read_tree(&b));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(second[path] == *bytes, "{path} differs between two builds");
    }
}

#[test]
fn one_thread_and_many_give_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, many) = (tmp.path().join("one"), tmp.path().join("many"));
    assert_eq!(build(samples().path(), &one, &["--jobs", "1"]).0, 0);
    assert_eq!(build(samples().path(), &many, &["--jobs", "4"]).0, 0);
    assert!(
        common::read_tree(&one) == common::read_tree(&many),
        "--jobs 1 and --jobs 4 differ"
    );
    assert_eq!(build(samples().path(), &one, &["--jobs", "0"]).0, 2);
}

/// A rebuild links the pages that did not change (same inode, same bytes)
/// and writes the ones that did; with nothing changed, it leaves OUT alone.
#[cfg(unix)]
#[test]
fn a_rebuild_reuses_unchanged_pages_and_rewrites_changed_ones() {
    use std::os::unix::fs::MetadataExt;
    let records = samples();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    assert_eq!(build(records.path(), &out, &[]).0, 0);
    let inode = |path: &str| std::fs::metadata(out.join(path)).unwrap().ino();
    let unchanged = "maple-street-dental/index.html";
    let changed = "tidewater-freight/2026-detention-recovery/scorecard.html";
    let (kept, rewritten) = (inode(unchanged), inode(changed));
    // Nothing changed: OUT is left as it is, not replaced by a copy of itself.
    let folder = std::fs::metadata(&out).unwrap().ino();
    assert_eq!(build(records.path(), &out, &[]).0, 0);
    assert_eq!(
        std::fs::metadata(&out).unwrap().ino(),
        folder,
        "a rebuild with nothing changed replaced OUT"
    );
    let record = records
        .path()
        .join("tidewater-freight/2026-detention-recovery.md");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replacen("title: ", "title: Renamed ", 1)).unwrap();
    assert_eq!(build(records.path(), &out, &[]).0, 0);
    assert_eq!(
        inode(unchanged),
        kept,
        "an unchanged page was written again"
    );
    assert_ne!(
        inode(changed),
        rewritten,
        "a changed page was not rewritten"
    );
    let page = std::fs::read_to_string(out.join(changed)).unwrap();
    assert!(page.contains("Renamed "), "the rewritten page is stale");
    // Nothing of the old OUT is left beside the new one.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "public")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A rebuild takes unchanged clients' pages from the previous OUT without
/// rendering them (and, when their files' bytes did not change, their
/// diagnostics and portfolio rows without reading them), yet prints and
/// writes byte for byte what a build into an empty folder does, whatever
/// changed in between: nothing, a page edited by hand or removed, a record,
/// engagements.json or the manifest edited, the as-of date, a template, the
/// audience. (Only for the internal audience: a client-audience OUT holds
/// client pages only.)
#[test]
fn a_rebuild_matches_a_fresh_build_whatever_changed() {
    let records = samples();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let mut fresh_builds = 0;
    // Returns how many of the six clients' pages were linked, not rendered.
    let mut same_as_fresh = |args: &[&str], what: &str| -> String {
        let run = |out: &Path| {
            let output = commonthread()
                .arg("build")
                .arg(records.path())
                .arg("--out")
                .arg(out)
                .args(args)
                .arg("-v")
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(0), "{what}: {output:?}");
            let said = String::from_utf8_lossy(&output.stderr).into_owned();
            let (_, tail) = said.split_once(" ms (").expect("-v says how long");
            let (reused, tail) = tail.split_once(" unchanged").unwrap();
            let (_, unread) = tail.split_once("; ").unwrap();
            let unread = unread.split_once(" of them not even read").unwrap().0;
            // Reported as "6 of 6 clients" or, when some were read all the
            // same, "6 of 6 clients (4 unread)".
            let reused = if reused.split(' ').next() == Some(unread) {
                reused.to_owned()
            } else {
                format!("{reused} ({unread} unread)")
            };
            (reused, String::from_utf8(output.stdout).unwrap())
        };
        let (reused, printed) = run(&out);
        fresh_builds += 1;
        let fresh = tmp.path().join(format!("fresh-{fresh_builds}"));
        let (none, printed_fresh) = run(&fresh);
        assert_eq!(none, "0 of 6 clients", "{what}: nothing to reuse");
        assert_eq!(printed, printed_fresh, "{what}: the diagnostics differ");
        assert!(printed.contains("milestone-overdue"), "{what}: {printed}");
        common::assert_same_tree(&out, &fresh, what);
        reused
    };
    let as_of = ["--as-of", AS_OF];
    assert_eq!(same_as_fresh(&as_of, "the first build"), "0 of 6 clients");
    assert_eq!(same_as_fresh(&as_of, "nothing changed"), "6 of 6 clients");

    let report = out.join("maple-street-dental/index.html");
    std::fs::write(&report, "edited by hand").unwrap();
    std::fs::remove_file(out.join("tidewater-freight/2026-detention-recovery/scorecard.html"))
        .unwrap();
    assert_eq!(
        same_as_fresh(&as_of, "a page edited by hand and one removed"),
        "4 of 6 clients"
    );
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("milestone report")
    );

    let record = records
        .path()
        .join("tidewater-freight/2026-detention-recovery.md");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replacen("title: ", "title: Renamed ", 1)).unwrap();
    assert_eq!(same_as_fresh(&as_of, "a record changed"), "5 of 6 clients");
    assert_eq!(
        same_as_fresh(&as_of, "nothing changed again"),
        "6 of 6 clients"
    );

    // A record changed in a way that adds a warning: its client is read.
    assert!(text.contains("due: 2026-11-25"));
    std::fs::write(
        &record,
        text.replacen("title: ", "title: Renamed ", 1).replacen(
            "due: 2026-11-25",
            "due: 2026-11-02",
            1,
        ),
    )
    .unwrap();
    let json = ["--as-of", AS_OF, "--format", "json"];
    assert_eq!(same_as_fresh(&json, "a warning added"), "5 of 6 clients");
    let printed = std::fs::read_to_string(out.join("engagements.json")).unwrap();
    assert!(printed.contains("2026-11-02"));
    std::fs::write(&record, text.replacen("title: ", "title: Renamed ", 1)).unwrap();
    assert_eq!(same_as_fresh(&json, "the warning gone"), "5 of 6 clients");
    assert_eq!(same_as_fresh(&as_of, "in human words"), "6 of 6 clients");

    // Saved with Windows line endings and a byte-order mark: read once,
    // then recognised as unchanged like any other file.
    let windows = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    std::fs::write(&record, &windows).unwrap();
    assert_eq!(same_as_fresh(&as_of, "CRLF and a BOM"), "5 of 6 clients");
    assert_eq!(same_as_fresh(&as_of, "CRLF again"), "6 of 6 clients");
    std::fs::write(&record, text.replacen("title: ", "title: Renamed ", 1)).unwrap();

    // An engagement added to a client, then removed: that client is read.
    let added = records.path().join("tidewater-freight/2026-second-lane.md");
    std::fs::write(&added, &text).unwrap();
    assert_eq!(
        same_as_fresh(&as_of, "an engagement added"),
        "5 of 6 clients"
    );
    std::fs::remove_file(&added).unwrap();
    assert_eq!(
        same_as_fresh(&as_of, "an engagement removed"),
        "5 of 6 clients"
    );

    // What the previous build left beside the pages, edited by hand.
    let engagements_json = out.join("engagements.json");
    let edited = std::fs::read_to_string(&engagements_json)
        .unwrap()
        .replace("Maple Street", "Maple Straat");
    std::fs::write(&engagements_json, edited).unwrap();
    assert_eq!(
        same_as_fresh(&as_of, "engagements.json edited by hand"),
        "6 of 6 clients (5 unread)"
    );
    let manifest = out.join(".commonthread-pages");
    let edited =
        std::fs::read_to_string(&manifest)
            .unwrap()
            .replacen("\"warnings\":0", "\"warnings\":7", 1);
    std::fs::write(&manifest, edited).unwrap();
    assert_eq!(
        same_as_fresh(&as_of, "the manifest edited by hand"),
        "6 of 6 clients (5 unread)"
    );

    let later = ["--as-of", "2026-11-20"];
    assert_eq!(
        same_as_fresh(&later, "another as-of date"),
        "0 of 6 clients"
    );

    let templates = templates_folder(
        tmp.path(),
        &[("style.css", "body { color: rebeccapurple; }")],
    );
    let with_templates = ["--as-of", AS_OF, "--templates", templates.to_str().unwrap()];
    assert_eq!(
        same_as_fresh(&with_templates, "a stylesheet of one's own"),
        "0 of 6 clients"
    );
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("rebeccapurple")
    );

    let client = ["--as-of", AS_OF, "--audience", "client"];
    assert_eq!(
        same_as_fresh(&client, "the client audience"),
        "0 of 6 clients"
    );
    // A client-audience OUT holds client pages only: no manifest, no reuse.
    assert_eq!(
        same_as_fresh(&client, "the client audience again"),
        "0 of 6 clients"
    );
    assert_eq!(
        same_as_fresh(&as_of, "back to everything"),
        "0 of 6 clients"
    );
}

const CLIENT: &str = "name: Acme Logistics\nnotes: CANARY-client-notes\n";

/// An engagement with `{X}` in every text field and `{I}` in every internal one.
const TEMPLATE: &str = r#"---
title: "{X}"
status: active
owner: "{X}"
start: 2026-03-02
end: 2026-12-31
value: { amount: 48000, currency: "{I}" }
tags: ["{X}"]
qualification:
  story: "{I}"
  claims:
    - { claim: "{I}", evidence: "{I}", status: verified }
  red_flags:
    - { flag: "{I}", resolution: "{I}" }
  decision: accept
  decided: 2026-02-20
current_state: "{X}"
desired_outcome: "{X}"
success:
  agreed: 2026-03-05
  agreed_by: ["{X}"]
  metrics:
    - id: days-to-close
      name: "{X}"
      unit: "{X}"
      baseline: 45
      target: 14
      measurements:
        - { date: 2026-05-01, value: 30, note: "{X}" }
        - { date: 2026-11-01, value: 20, note: "{X}" }
milestones:
  - { id: "A", title: "{X}", due: 2026-04-01, done: 2026-03-28, outcome: "{X}", result: "{X}" }
  - { id: "B", title: "{X}", due: 2026-12-15, outcome: "{X}" }
updates:
  log:
    - { date: 2026-11-10, summary: "{X}", channel: "{X}", milestone: "B" }
wins:
  - { date: 2026-07-10, title: "{X}", metric: days-to-close, celebrated: "{X}" }
concerns:
  - { date: 2026-05-20, concern: "{X}", raised_by: "{X}", response: "{X}", resolved: 2026-05-27 }
review:
  date: 2026-11-01
  went_wrong: "{I}"
  went_right: "{I}"
  new_problems: "{I}"
  after_the_book: "{I}"
  next_offer: "{I}"
  decision: continue
  refund: partial
  refund_reason: "{I}"
internal_notes: "{I}"
---
{X}
"#;

/// Record text that looks like template syntax is text: the templates
/// never evaluate what the records say.
#[test]
fn template_syntax_in_record_text_is_printed_as_it_is() {
    let payload =
        "{{ page.title }} {% if true %}yes{% endif %} {# note #} {{ <status status={1} /> }}";
    let engagement = TEMPLATE.replace("{X}", payload).replace("{I}", payload);
    let repo = write_repo(&[
        ("acme-logistics/client.yaml", CLIENT),
        ("acme-logistics/deal.md", &engagement),
    ]);
    let out = repo.path().join("public");
    let (code, stdout, stderr) = build(repo.path(), &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // As escaping writes it: `<`, `>`, `"` and `/` become entities, braces stay.
    let escaped = payload
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('/', "&#x2F;");
    for page in [
        "acme-logistics/index.html",
        "acme-logistics/deal/scorecard.html",
        "acme-logistics/deal/review.html",
    ] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(
            html.contains(&escaped),
            "{page} does not show the text as it is"
        );
        assert!(
            !html.contains(">yes<") && !html.contains(" yes "),
            "{page} evaluated the text"
        );
    }
}

/// FORMAT.md: every text field is Markdown, titles and names included.
/// Inside the page's own links a link's text is kept, not a second link;
/// the browser tab's title is the text as written.
#[test]
fn titles_and_names_are_inline_markdown() {
    let engagement = TEMPLATE
        .replacen("{X}", "Sales *cycle* [redesign](https://acme.example)", 1)
        .replace("owner: \"{X}\"", "owner: \"Dana **Whitfield**\"")
        .replace("{X}", "text")
        .replace("{I}", "internal");
    let repo = write_repo(&[
        ("acme-logistics/client.yaml", "name: Acme *Logistics*\n"),
        ("acme-logistics/deal.md", &engagement),
    ]);
    let out = repo.path().join("public");
    let (code, stdout, stderr) = build(repo.path(), &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report = std::fs::read_to_string(out.join("acme-logistics/index.html")).unwrap();
    assert!(report.contains("Acme <em>Logistics</em>"), "{report}");
    assert!(
        report.contains("Dana <strong>Whitfield</strong>"),
        "{report}"
    );
    assert!(
        report.contains(
            r#"Sales <em>cycle</em> <a href="https:&#x2F;&#x2F;acme.example">redesign</a></h2>"#
        ) || report
            .contains(r#"Sales <em>cycle</em> <a href="https://acme.example">redesign</a></h2>"#),
        "{report}"
    );
    // In a link of the page's own, the title's link is text.
    assert!(
        report.contains("Success scorecard for Sales <em>cycle</em> redesign"),
        "{report}"
    );
    let portfolio = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        !portfolio.contains("<a href=\"https"),
        "a link inside a link"
    );
    let scorecard =
        std::fs::read_to_string(out.join("acme-logistics/deal/scorecard.html")).unwrap();
    // The browser tab and a PDF's header show text, not markup.
    assert!(
        scorecard.contains("<title>Sales cycle redesign: success scorecard"),
        "{scorecard}"
    );
    assert!(
        report.contains("<title>Acme Logistics: milestone report"),
        "{report}"
    );
}

/// Footnotes render, and two texts on one page that use the same label
/// do not give the page two elements with one `id`.
#[test]
fn footnotes_render_and_no_page_repeats_an_id() {
    // In YAML's double quotes `\n` is a line break; the body is as written.
    let field = r"Claim.[^1]\n\n[^1]: FIELD-SOURCE";
    let body = "Body claim.[^1]\n\n[^1]: BODY-SOURCE\n";
    let engagement = |title: &str| {
        TEMPLATE
            .replace("---\n{X}\n", "---\n{BODY}")
            .replacen("{X}", title, 1)
            .replace(
                "current_state: \"{X}\"",
                &format!("current_state: \"{field}\""),
            )
            .replace(
                "desired_outcome: \"{X}\"",
                &format!("desired_outcome: \"{field}\""),
            )
            .replace("went_right: \"{I}\"", &format!("went_right: \"{field}\""))
            .replace("{X}", "visible text")
            .replace("{I}", "internal text")
            .replace("{BODY}", body)
    };
    let repo = write_repo(&[
        ("acme-logistics/client.yaml", CLIENT),
        ("acme-logistics/deal.md", &engagement("First deal")),
        ("acme-logistics/pilot.md", &engagement("Second deal")),
    ]);
    let out = repo.path().join("public");
    let (code, stdout, stderr) = build(repo.path(), &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let client_page = std::fs::read_to_string(out.join("acme-logistics/index.html")).unwrap();
    assert!(
        client_page.contains("BODY-SOURCE"),
        "the body's footnote is shown"
    );
    assert!(client_page.contains("<sup class=\"footnote-reference\">1</sup>"));
    assert!(
        client_page.contains("FIELD-SOURCE"),
        "a field's footnote is shown"
    );
    assert!(
        !client_page.contains("[^1]"),
        "a footnote label is left as text"
    );
    for (path, bytes) in common::read_tree(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for tag in tags(&html) {
            for (name, value) in attributes(tag) {
                if name == "id" {
                    assert!(seen.insert(value.clone()), "{path} repeats id=\"{value}\"");
                }
            }
        }
    }
}

#[test]
fn hostile_record_text_comes_out_inert() {
    let hostile = [
        "<script>alert(1)</script>",
        "\\\"><img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "<a href='javascript:alert(1)'>y</a>",
        "![p](https://tracker.example/p.png)",
    ];
    let payload = hostile.join(" ");
    let engagement = TEMPLATE.replace("{X}", &payload).replace("{I}", &payload);
    let repo = write_repo(&[
        ("acme-logistics/client.yaml", CLIENT),
        ("acme-logistics/deal.md", &engagement),
    ]);
    let out = repo.path().join("public");
    let (code, stdout, stderr) = build(repo.path(), &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let files = common::read_tree(&out);
    let mut pages = 0;
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        pages += 1;
        let html = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        assert!(!html.contains("<script"), "{path} has a script tag");
        assert!(!html.contains("<img"), "{path} has an image");
        for tag in tags(&html) {
            for (name, value) in attributes(tag) {
                assert!(
                    !name.starts_with("on"),
                    "{path} has an event handler `{name}` in <{tag}>"
                );
                if matches!(
                    name.as_str(),
                    "href" | "src" | "xlink:href" | "action" | "formaction"
                ) {
                    let scheme_unsafe = ["javascript", "data", "vbscript"]
                        .iter()
                        .any(|s| value.trim_start().starts_with(s));
                    assert!(!scheme_unsafe, "{path} has an unsafe URL in <{tag}>");
                }
            }
        }
        // The text is still there, shown as text.
        assert!(
            html.contains("&lt;script&gt;"),
            "{path} lost the record text"
        );
    }
    assert_eq!(pages, 4);
}

/// The real tags of a page: `<` followed by a letter, up to the next `>`.
fn tags(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let end = rest.find('>').unwrap_or(rest.len());
            found.push(&rest[..end]);
        }
    }
    found
}

/// A tag's attributes as (lowercase name, value), honouring quotes.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut chars = tag.chars().peekable();
    // Skip the tag name.
    while chars.peek().is_some_and(|c| !c.is_whitespace()) {
        chars.next();
    }
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == '/' {
                break;
            }
            name.push(c.to_ascii_lowercase());
            chars.next();
        }
        if name.is_empty() {
            return found;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            match chars.peek().copied() {
                Some(quote @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == quote {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        found.push((name, value));
    }
}

#[test]
fn internal_fields_never_reach_client_pages() {
    let engagement = TEMPLATE
        .replace("{X}", "visible text")
        .replace("{I}", "CANARY-internal");
    let repo = write_repo(&[
        ("acme-logistics/client.yaml", CLIENT),
        ("acme-logistics/deal.md", &engagement),
    ]);
    let out = repo.path().join("public");
    assert_eq!(build(repo.path(), &out, &[]).0, 0);
    let files = common::read_tree(&out);
    for client_page in [
        "acme-logistics/index.html",
        "acme-logistics/deal/scorecard.html",
    ] {
        let html = text(&files, client_page);
        assert!(
            !html.contains("CANARY"),
            "{client_page} shows an internal field"
        );
        assert!(
            !html.contains("Internal:"),
            "{client_page} is client-facing"
        );
        assert!(html.contains("visible text"));
    }
    // The internal pages do show them (so the canary is really in the records).
    let review = text(&files, "acme-logistics/deal/review.html");
    assert!(review.contains("CANARY-internal"));
    assert!(review.contains("<p>CANARY-client-notes</p>"), "{review}");
    assert!(review.contains("Internal:</strong> do not share with the client"));
    assert!(text(&files, "index.html").contains("Internal:</strong> do not share with the client"));
}

#[test]
fn client_audience_writes_only_client_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let (code, _, stderr) = build(samples().path(), &out, &["--audience", "client"]);
    assert_eq!(code, 0, "{stderr}");
    let files = common::read_tree(&out);
    assert!(!files.contains_key("index.html"));
    assert!(!files.contains_key("engagements.json"));
    assert!(!files.keys().any(|p| p.ends_with("review.html")));
    // Only pages for the client: no leftovers of the build itself.
    assert!(
        files
            .keys()
            .all(|p| p.ends_with(".html") || p == ".commonthread-output"),
        "{:?}",
        files.keys().collect::<Vec<_>>()
    );
    assert!(files.contains_key("tallyhouse/index.html"));
    assert!(files.contains_key("tallyhouse/2026-trial-conversion/scorecard.html"));
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8_lossy(bytes);
        assert!(
            !html.contains("review.html"),
            "{path} links to an internal page"
        );
    }
}

#[test]
fn records_with_errors_are_not_rendered_and_out_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    assert_eq!(build(samples().path(), &out, &[]).0, 0);
    let before = common::read_tree(&out);
    let repo = write_repo(&[
        ("acme/client.yaml", "name: Acme\n"),
        (
            "acme/deal.md",
            "---\ntitle: T\nstatus: bogus\nowner: D\n---\n",
        ),
    ]);
    let (code, stdout, stderr) = build(repo.path(), &out, &[]);
    assert_eq!(code, 1);
    assert!(stdout.contains("error[invalid-value]"), "{stdout}");
    assert!(stderr.contains("not building the reports"), "{stderr}");
    assert_eq!(common::read_tree(&out), before);
}

#[test]
fn a_build_that_fails_midway_leaves_the_previous_out_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    assert_eq!(build(samples().path(), &out, &[]).0, 0);
    let before = common::read_tree(&out);
    // A template that fails while rendering the scorecards, after others rendered.
    let templates = templates_folder(
        tmp.path(),
        &[(
            "scorecard.html",
            "{% extends \"base.html\" %}{% block content %}{{ no_such_field.x }}{% endblock content %}",
        )],
    );
    let (code, _, stderr) = build_samples_with(&templates, &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("scorecard.html"), "{stderr}");
    assert_eq!(common::read_tree(&out), before);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "staging folders left behind: {leftovers:?}"
    );
}

#[test]
fn templates_override_the_built_in_ones_file_by_file() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = templates_folder(
        tmp.path(),
        &[
            (
                "scorecard.html",
                "{% extends \"base.html\" %}{% block content %}<p>Custom {{ title }}</p>{% endblock content %}",
            ),
            ("style.css", "body { color: rebeccapurple; }"),
        ],
    );
    let out = tmp.path().join("public");
    let (code, _, stderr) = build_samples_with(&templates, &out);
    assert_eq!(code, 0, "{stderr}");
    let files = common::read_tree(&out);
    let scorecard = text(&files, "tallyhouse/2026-trial-conversion/scorecard.html");
    assert!(
        scorecard.contains("<p>Custom Trial-to-paid conversion</p>"),
        "{scorecard}"
    );
    assert!(scorecard.contains("rebeccapurple"));
    // Not overridden: still the built-in client report, with the new style.
    let report = text(&files, "tallyhouse/index.html");
    assert!(report.contains("milestone report") && report.contains("rebeccapurple"));
}

#[test]
fn a_template_keeps_the_styles_of_classes_however_it_quotes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = templates_folder(
        tmp.path(),
        &[
            (
                "scorecard.html",
                "{% extends \"base.html\" %}{% block content %}<p\n\tclass='flag'>Custom</p><i CLASS = mark>x</i><!-- <b class=\"gone\"> -->{% endblock content %}",
            ),
            (
                "style.css",
                ".flag { color: teal; } .mark { color: navy; } .gone { color: red; }",
            ),
        ],
    );
    let out = tmp.path().join("public");
    let (code, _, stderr) = build_samples_with(&templates, &out);
    assert_eq!(code, 0, "{stderr}");
    let files = common::read_tree(&out);
    let scorecard = text(&files, "tallyhouse/2026-trial-conversion/scorecard.html");
    assert!(scorecard.contains(".flag{color:teal}"), "{scorecard}");
    assert!(scorecard.contains(".mark{color:navy}"), "{scorecard}");
    // Only in a comment: the browser builds no element with it.
    assert!(!scorecard.contains(".gone{"), "{scorecard}");
}

#[test]
fn a_foreign_non_empty_out_is_refused_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("thesis");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("chapter-1.docx"), "five years of work").unwrap();
    let (code, _, stderr) = build(samples().path(), &out, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("refusing to replace"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("chapter-1.docx")).unwrap(),
        "five years of work"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn out_may_not_be_the_records_or_hold_them_or_be_a_file() {
    let repo = write_repo(&[("acme/client.yaml", "name: Acme\n"), ("notes.txt", "mine")]);
    for out in [
        repo.path().to_path_buf(),
        repo.path().parent().unwrap().to_path_buf(),
        PathBuf::from("/"),
        repo.path().join("notes.txt"),
    ] {
        let (code, _, stderr) = build(repo.path(), &out, &[]);
        assert_eq!(code, 2, "{}: {stderr}", out.display());
        assert!(stderr.contains("refusing"), "{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(repo.path().join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(repo.path().join("acme/client.yaml").exists());
}

#[test]
fn out_inside_the_records_is_written_and_not_read_back() {
    let repo = write_repo(&[
        ("acme/client.yaml", "name: Acme\n"),
        (
            "acme/deal.md",
            "---\ntitle: T\nstatus: prospect\nowner: D\nqualification: { decision: accept }\n---\n",
        ),
    ]);
    let out = repo.path().join("public");
    for _ in 0..2 {
        let (code, stdout, stderr) = build(repo.path(), &out, &[]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            !stdout.contains("no-client"),
            "the output was read as records: {stdout}"
        );
    }
    assert!(out.join("acme/deal/scorecard.html").exists());
}

#[test]
fn the_attribute_reader_sees_what_a_browser_sees() {
    let found = attributes("img src=x onerror=alert(1) title='a onload=b' data-x=\"y\"");
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["src", "onerror", "title", "data-x"]);
    assert_eq!(found[2].1, "a onload=b");
    assert_eq!(
        tags("<p>a &lt;b&gt; <a href=x>c</a></p>"),
        ["p", "a href=x"]
    );
}

#[test]
fn check_compiles_the_templates_it_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = templates_folder(
        tmp.path(),
        &[(
            "scorecard.html",
            "{% extends \"base.html\" %}{% block content %}{{ title }}{% endblock content %}",
        )],
    );
    assert_eq!(check_samples_with(&templates).status.code(), Some(0));
    std::fs::write(
        templates.join("scorecard.html"),
        "{% extends \"base.html\" %}{% block content %}{{ title {% endblock content %}",
    )
    .unwrap();
    let broken = check_samples_with(&templates);
    assert_eq!(broken.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&broken.stderr);
    // The template, line and column of the mistake, said once.
    assert!(stderr.contains("--> scorecard.html:1:"), "{stderr}");
    assert!(!stderr.contains("error: error"), "{stderr}");
}

#[test]
fn a_tag_left_open_in_a_template_is_named_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    // A copied built-in template with one `{% endfor %}` lost in editing.
    let edited = "{% extends \"base.html\" %}\n{% block content %}\n<ul>{% if wins %}{% for win in wins %}<li>{{ win.text_html | safe }}</li>\n{% endif %}</ul>\n{% endblock content %}\n";
    let templates = templates_folder(tmp.path(), &[("scorecard.html", edited)]);
    let (code, _, stderr) = build_samples_with(&templates, &tmp.path().join("public"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--> scorecard.html:4:"), "{stderr}");
    assert!(
        stderr.contains("= help: `{% endif %}` cannot end the `{% for win in wins %}` at line 3, column 18, which is still open: end that one first with `{% endfor %}`"),
        "{stderr}"
    );
    assert!(!tmp.path().join("public").exists(), "nothing is written");
}

#[test]
fn check_renders_a_client_with_the_templates_it_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = templates_folder(
        tmp.path(),
        &[(
            "review.html",
            "{% extends \"base.html\" %}{% block content %}\n{{ checklist_count.done }}{% endblock content %}",
        )],
    );
    let check = check_samples_with(&templates);
    assert_eq!(check.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains("`checklist_count` is not defined"),
        "{stderr}"
    );
    assert!(stderr.contains("--> review.html:2:4"), "{stderr}");
    // The diagnostics of the records are printed all the same.
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("warning["),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn a_template_file_that_replaces_nothing_is_named_in_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    // A misspelt name, and the shared file of an older commonthread.
    let templates = templates_folder(
        tmp.path(),
        &[
            ("scorecards.html", "<p>{{ title }}</p>"),
            ("macros.html", "{% macro x() %}{% endmacro x %}"),
            ("README.md", "notes"),
        ],
    );
    let out = tmp.path().join("out");
    let (code, _, stderr) = build_samples_with(&templates, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("scorecards.html` replaces no built-in template and is not used: did you mean `scorecard.html`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("macros.html` replaces no built-in template and is not used: the files a templates folder can replace are base.html, components.html"),
        "{stderr}"
    );
    assert!(!stderr.contains("README"), "{stderr}");
    // --quiet drops the summary, not this: the pages are not what was meant.
    let quiet = tmp.path().join("quiet");
    let (code, _, stderr) = build(
        samples().path(),
        &quiet,
        &["--templates", templates.to_str().unwrap(), "-q"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("did you mean `scorecard.html`?"),
        "{stderr}"
    );
    // The pages are the built-in ones.
    let fresh = tmp.path().join("fresh");
    assert_eq!(build(samples().path(), &fresh, &[]).0, 0);
    let scorecard = "maple-street-dental/2026-no-show-reduction/scorecard.html";
    assert_eq!(
        std::fs::read(out.join(scorecard)).unwrap(),
        std::fs::read(fresh.join(scorecard)).unwrap()
    );
}

#[test]
fn a_template_naming_a_field_that_does_not_exist_is_an_error_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = templates_folder(
        tmp.path(),
        &[(
            "scorecard.html",
            "{% extends \"base.html\" %}{% block content %}\n<p>{{ title }}</p>\n<p>{{ titel }}</p>{% endblock content %}",
        )],
    );
    let out = tmp.path().join("out");
    let (code, _, stderr) = build_samples_with(&templates, &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`titel` is not defined"), "{stderr}");
    assert!(stderr.contains("--> scorecard.html:3:7"), "{stderr}");
    // What the template may use instead is listed.
    assert!(stderr.contains("title"), "{stderr}");
    assert!(!out.exists(), "a failed build writes nothing");
    // Given to a filter, as the built-in templates give every text, the
    // name is found all the same (Tera points at the filter).
    std::fs::write(
        templates.join("scorecard.html"),
        "{% extends \"base.html\" %}{% block content %}\n<p>{{ titel | label }}</p>{% endblock content %}",
    )
    .unwrap();
    let (code, _, stderr) = build_samples_with(&templates, &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--> scorecard.html:2:"), "{stderr}");
    assert!(
        stderr.contains("= help: `titel` is not defined: the variables of this page are `agreed`,"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `title`?"), "{stderr}");
}

/// A build killed with SIGKILL in the middle leaves the previous OUT
/// complete, and the next build clears what the killed one left beside it.
#[test]
fn a_build_killed_midway_leaves_the_previous_out_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    assert_eq!(build(samples().path(), &out, &[]).0, 0);
    let before = common::read_tree(&out);
    // A repository big enough to be mid-build when the kill comes.
    let big = tmp.path().join("big");
    for c in 0..300 {
        let client = big.join(format!("client-{c:03}"));
        std::fs::create_dir_all(&client).unwrap();
        std::fs::write(client.join("client.yaml"), format!("name: Client {c}\n")).unwrap();
        for e in 0..4 {
            let text = format!(
                "---\ntitle: Engagement {e}\nstatus: prospect\nowner: O\nqualification: {{ decision: accept }}\nmilestones:\n  - {{ id: A, title: A, due: 2026-12-01, outcome: x }}\n---\nNotes.\n"
            );
            std::fs::write(client.join(format!("e{e}.md")), text).unwrap();
        }
    }
    // What the build makes when it is not killed: once it has swapped
    // that in, it is only removing the previous OUT, and a kill then
    // leaves the new OUT complete.
    let complete = tmp.path().join("complete");
    assert_eq!(build(&big, &complete, &[]).0, 0);
    let complete = common::read_tree(&complete);
    let mut killed = 0;
    for delay in [50u64, 150, 300, 600] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
            .arg("build")
            .arg(&big)
            .args(["--as-of", AS_OF, "-q", "--out"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        let now = common::read_tree(&out);
        if finished || now == complete {
            break;
        }
        killed += 1;
        let differing: Vec<&String> = now
            .keys()
            .chain(before.keys())
            .filter(|path| now.get(*path) != before.get(*path))
            .collect();
        assert!(
            differing.is_empty(),
            "a kill after {delay} ms changed OUT: {differing:?}"
        );
    }
    assert!(killed > 0, "every build finished before it could be killed");
    // The next build clears the leftovers and completes.
    assert_eq!(build(samples().path(), &out, &[]).0, 0);
    let beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        beside
            .iter()
            .all(|n| !n.contains("commonthread-new") && !n.contains("commonthread-old")),
        "{beside:?}"
    );
}

/// A folder name the file system allows, but not with the suffix of the
/// folder assembled beside it: said so, nothing left behind.
#[test]
fn an_out_name_too_long_for_the_assembling_folder_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let records = samples();
    let out = tmp.path().join("z".repeat(240));
    let (code, _, stderr) = build(records.path(), &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("name is too long"), "{stderr}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// `--out .` (or an OUT holding the current folder) would be swapped away
/// from under the user's shell: refused, nothing written.
#[test]
fn a_build_refuses_to_replace_the_folder_it_runs_in() {
    let tmp = tempfile::tempdir().unwrap();
    let records = samples();
    let here = tmp.path().join("here");
    std::fs::create_dir(&here).unwrap();
    let output = commonthread()
        .current_dir(&here)
        .arg("build")
        .arg(records.path())
        .args(["--out", ".", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the folder you are in"), "{stderr}");
    assert_eq!(std::fs::read_dir(&here).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

/// Files the user put at the top of an OUT of ours would go with the rest
/// of it: the build refuses, names them, and changes nothing.
#[test]
fn a_build_refuses_to_remove_what_the_user_added_to_out() {
    let tmp = tempfile::tempdir().unwrap();
    let records = samples();
    let out = tmp.path().join("public");
    assert_eq!(build(records.path(), &out, &[]).0, 0);
    std::fs::write(out.join("CNAME"), "reports.example.com\n").unwrap();
    std::fs::create_dir(out.join(".git")).unwrap();
    std::fs::write(out.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
    let before = common::read_tree(&out);
    let (code, _, stderr) = build(records.path(), &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`.git`, `CNAME`"), "{stderr}");
    assert!(common::read_tree(&out) == before, "OUT changed");
    // Moved out, the build goes on.
    std::fs::remove_file(out.join("CNAME")).unwrap();
    std::fs::remove_dir_all(out.join(".git")).unwrap();
    assert_eq!(build(records.path(), &out, &[]).0, 0);
}

/// Two builds into one OUT: the second waits for the first instead of
/// removing the folder it is assembling, and OUT ends whole.
#[test]
fn a_build_into_an_out_being_written_waits_for_it() {
    use std::io::Read;
    let tmp = tempfile::tempdir().unwrap();
    let records = samples();
    let out = tmp.path().join("public");
    assert_eq!(build(records.path(), &out, &[]).0, 0);
    // Hold the lock a build holds while it writes beside OUT.
    let folder = std::fs::File::open(tmp.path()).unwrap();
    rustix::fs::flock(&folder, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
        .arg("build")
        .arg(records.path())
        .args(["--as-of", "2026-11-17", "-q", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let waiting = child.try_wait().unwrap().is_none();
    let beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    drop(folder);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(waiting, "the build did not wait: {stderr}");
    assert_eq!(
        beside,
        ["public"],
        "it made or removed something while waiting"
    );
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("waiting for another commonthread build"),
        "{stderr}"
    );
    // Two at once, on different as-of dates: both succeed and OUT is the
    // whole output of one of them.
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    assert_eq!(build(records.path(), &one, &[]).0, 0);
    let run = |as_of: &str| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
            .arg("build")
            .arg(records.path())
            .args(["--as-of", as_of, "-q", "--out"])
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (run(AS_OF), run("2026-11-17"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
        .arg("build")
        .arg(records.path())
        .args(["--as-of", "2026-11-17", "-q", "--out"])
        .arg(&two)
        .status()
        .unwrap();
    assert!(status.success());
    let now = common::read_tree(&out);
    assert!(
        now == common::read_tree(&one) || now == common::read_tree(&two),
        "OUT is neither build's output"
    );
}

/// Ctrl-C in the middle of a build: the folder being assembled beside OUT
/// goes, OUT stays as it was, and the exit code is a shell's for Ctrl-C.
#[test]
fn a_build_stopped_with_ctrl_c_leaves_nothing_beside_out() {
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("records");
    std::fs::create_dir_all(records.join("acme")).unwrap();
    std::fs::write(records.join("acme/client.yaml"), CLIENT).unwrap();
    let engagement = TEMPLATE
        .replace("{X}", "visible text")
        .replace("{I}", "internal text");
    for n in 0..1500 {
        std::fs::write(records.join(format!("acme/deal-{n}.md")), &engagement).unwrap();
    }
    let out = tmp.path().join("public");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
        .arg("build")
        .arg(&records)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "--jobs", "1", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let assembling = || {
        std::fs::read_dir(tmp.path()).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".public.commonthread-")
        })
    };
    // Wait until pages are being assembled, then stop it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !assembling() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before it could be stopped"
        );
        assert!(std::time::Instant::now() < deadline, "no build started");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(!assembling(), "a folder was left beside OUT");
    assert!(
        !out.exists(),
        "OUT appeared though the build never finished"
    );
}

/// `--client` builds the named clients only; the pages across clients say
/// so, rather than pass for the whole practice.
#[test]
fn a_build_for_some_clients_says_so_on_the_portfolio_and_in_the_json() {
    let records = samples();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("some");
    let (code, stdout, stderr) = build(
        records.path(),
        &out,
        &["--client", "tallyhouse", "--client", "maple-street-dental"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let portfolio = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        portfolio.contains("Some clients only:</strong> maple-street-dental, tallyhouse"),
        "{portfolio}"
    );
    assert!(!portfolio.contains("Every client and engagement"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("engagements.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["only_clients"],
        serde_json::json!(["maple-street-dental", "tallyhouse"])
    );
    assert_eq!(json["clients"].as_array().unwrap().len(), 2);
    // A client's own page needs no such note.
    let client = std::fs::read_to_string(out.join("tallyhouse/index.html")).unwrap();
    assert!(!client.contains("Some clients only"));
    // Without --client: neither the note nor the key.
    let out = tmp.path().join("all");
    let (code, _, stderr) = build(records.path(), &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let portfolio = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(portfolio.contains("Every client and engagement"));
    assert!(!portfolio.contains("Some clients only"));
    let json = std::fs::read_to_string(out.join("engagements.json")).unwrap();
    assert!(!json.contains("only_clients"));
}

/// A custom template can break a page's promises (no script needed, no
/// request to another host, its styles inlined): the build says so, file
/// and line, and still builds what it was asked to.
#[test]
fn templates_that_break_a_pages_promises_are_named_in_warnings() {
    let base = include_str!("../templates/base.html");
    let tmp = tempfile::tempdir().unwrap();
    // The built-in files, copied as they are: nothing to say.
    let copied = templates_folder(
        tmp.path(),
        &[
            ("base.html", base),
            ("style.css", include_str!("../templates/style.css")),
        ],
    );
    let (code, _, stderr) = build_samples_with(&copied, &tmp.path().join("copied"));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning: `"), "{stderr}");
    // A script from a CDN, a web font, a tracking pixel, and the
    // stylesheet printed without `| safe`.
    let risky = tmp.path().join("risky");
    std::fs::create_dir(&risky).unwrap();
    let bad_base = base
        .replace("{{ stylesheet | safe }}", "{{ stylesheet }}")
        .replace(
            "</body>",
            "<script src=\"https://cdn.example.com/x.js\"></script></body>",
        );
    std::fs::write(risky.join("base.html"), bad_base).unwrap();
    std::fs::write(
        risky.join("style.css"),
        "@import url(\"https://fonts.example.com/a.css\");\nbody{color:#111}\n.x{background:url( 'https://t.example.com/p.gif')}\n.y{background:url(data:image/png;base64,AA)}\n",
    )
    .unwrap();
    let (code, _, stderr) = build_samples_with(&risky, &tmp.path().join("out"));
    assert_eq!(code, 0, "{stderr}");
    let said = |what: &str| stderr.lines().filter(|l| l.contains(what)).count();
    assert_eq!(
        said("style.css` line 1: it loads something from another host"),
        1,
        "{stderr}"
    );
    assert_eq!(
        said("style.css` line 3: it loads something from another host"),
        1,
        "{stderr}"
    );
    assert_eq!(
        said("style.css` line 4"),
        0,
        "a data: URL is no request: {stderr}"
    );
    assert_eq!(said("embeds a script"), 1, "{stderr}");
    assert_eq!(
        said("does not print `{{ stylesheet | safe }}`"),
        1,
        "{stderr}"
    );
}
