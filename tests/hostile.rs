//! Hostile input beyond the check suite: huge, deep and strange records,
//! files that vanish, and output folders that are not ours. Each case is
//! bounded in time, names the rule or the refusal, and shows that the other
//! files of the repository were still checked (or the pages still built),
//! or that every file it did not write is still there byte for byte.
//!
//! Every hostile case of issue #6 ("Trust") and of the `check` issue, and
//! the test that covers it (60 cases):
//!
//! | #  | hostile input | test | file |
//! |----|---------------|------|------|
//! | 1  | 1 GB sparse engagement file | `a_one_gigabyte_sparse_file_is_refused_unread` | hostile.rs |
//! | 2  | 30 MB engagement file | `bad_input_30_mb_file_is_refused_quickly` | check.rs |
//! | 3  | 10 MB single-line scalar | `a_ten_megabyte_single_line_scalar_is_read` | hostile.rs |
//! | 4  | FIFO as an engagement and as commonthread.yaml | `bad_input_fifo_does_not_hang` | check.rs |
//! | 5  | file, client.yaml, commonthread.yaml and folder vanishing between listing and reading (deterministic) | `files_that_vanish_after_listing_are_named` | hostile.rs |
//! | 6  | a file created and deleted again and again while `check` runs (the real race) | `a_file_that_keeps_vanishing_never_crashes_a_check` | hostile.rs |
//! | 7  | file and folder names that are not UTF-8 | `names_that_are_not_utf8_are_named_not_lost` | hostile.rs |
//! | 8  | unreadable engagement file and unreadable subfolder | `bad_input_unreadable_file_and_folder` | check.rs |
//! | 9  | unreadable records folder | `an_unreadable_records_folder_is_exit_2` | hostile.rs |
//! | 10 | records folder that does not exist | `exit_2_for_a_folder_that_does_not_exist` | check.rs |
//! | 11 | records folder that is a file | `exit_2_for_a_dir_that_is_a_file` | check.rs |
//! | 12 | folder named `x.md` | `bad_input_folder_named_like_an_engagement` | check.rs |
//! | 13 | invalid UTF-8 content | `bad_input_invalid_utf8` | check.rs |
//! | 14 | empty file | `bad_input_empty_file` | check.rs |
//! | 15 | file without front matter | `bad_input_file_without_front_matter` | check.rs |
//! | 16 | unclosed front matter | `bad_input_unclosed_front_matter` | check.rs |
//! | 17 | YAML alias bomb | `bad_input_alias_bomb_is_refused_quickly` | check.rs |
//! | 18 | 20,000 nested flow sequences | `bad_input_20000_nested_flow_sequences` | check.rs |
//! | 19 | 20,000 nested flow mappings | `bad_input_20000_nested_flow_mappings` | check.rs |
//! | 20 | 20,000 nested block sequences | `bad_input_20000_nested_block_sequences` | check.rs |
//! | 21 | 5,000 nested block mappings | `bad_input_deeply_nested_block_mappings` | check.rs |
//! | 22 | 100,000 keys | `front_matter_with_100000_keys_reports_every_one_quickly` | hostile.rs |
//! | 23 | duplicate keys | `bad_input_duplicate_keys` | check.rs |
//! | 24 | tab indentation | `bad_input_tab_indentation` | check.rs |
//! | 25 | `title:` without value | `bad_input_title_without_value` | check.rs |
//! | 26 | `title: null` | `bad_input_title_null` | check.rs |
//! | 27 | `title: ""` | `bad_input_title_empty_string` | check.rs |
//! | 28 | `status: yes` (YAML 1.1 boolean) | `bad_input_status_yes_is_a_string_not_a_status` | check.rs |
//! | 29 | impossible date (2026-02-30) | `bad_input_impossible_date` | check.rs |
//! | 30 | CRLF line endings and a byte-order mark | `bad_input_crlf_and_bom_are_accepted` | check.rs |
//! | 31 | `---` rules in the Markdown body | `bad_input_rules_in_the_markdown_body_are_accepted` | check.rs |
//! | 32 | symbolic links to files and folders outside | `bad_input_symlinks_are_not_followed` | check.rs |
//! | 33 | hidden folders (`.git`, ...) | `bad_input_hidden_folders_are_not_read` | check.rs |
//! | 34 | README.md anywhere | `bad_input_readme_files_are_ignored_anywhere` | check.rs |
//! | 35 | Markdown under no client folder | `bad_input_markdown_under_no_client_folder` | check.rs |
//! | 36 | client folder name that is not a slug | `bad_input_client_folder_that_is_not_a_slug` | check.rs |
//! | 37 | engagement file name that is not a slug | `bad_input_engagement_file_name_that_is_not_a_slug` | check.rs |
//! | 38 | reserved slug `audit` | `bad_input_reserved_slug_audit` | check.rs |
//! | 39 | one engagement slug in two subfolders | `bad_input_duplicate_engagement_slug_in_two_subfolders` | check.rs |
//! | 40 | slugs that differ only by letter case | `a_slug_that_differs_only_by_case_is_no_slug` | hostile.rs |
//! | 41 | control and right-to-left override characters | `control_and_right_to_left_characters_are_shown_inert` | hostile.rs |
//! | 42 | 50,000 nested blockquotes and a 2,000-deep list | `a_body_of_50000_nested_blockquotes_and_deep_lists_still_renders` | hostile.rs |
//! | 43 | `<script>`, raw HTML, event handlers, `javascript:` links in every text field | `hostile_record_text_comes_out_inert` | build.rs |
//! | 44 | `javascript:`, `data:`, `vbscript:` in links, images, autolinks, reference links, obfuscated by case, entities, tabs and newlines | `javascript_and_data_urls_never_become_links_or_images` | hostile.rs |
//! | 45 | arbitrary bytes (the fuzz corpora and the crashes fuzzing found) | `check_engagement_seed_corpus`, `markdown_seed_corpus` | fuzz_regressions.rs |
//! | 46 | OUT = DIR, OUT = a parent of DIR, OUT = `/`, OUT = a file | `out_may_not_be_the_records_or_hold_them_or_be_a_file` | build.rs |
//! | 47 | OUT inside DIR | `out_inside_the_records_is_written_and_not_read_back` | build.rs |
//! | 48 | OUT = `/` (no staging folder at `/`), for `build` and `audit` | `out_slash_and_a_home_folder_are_refused_untouched` | hostile.rs |
//! | 49 | OUT = a home folder full of the user's files | `out_slash_and_a_home_folder_are_refused_untouched` | hostile.rs |
//! | 50 | OUT = a foreign non-empty folder | `a_foreign_non_empty_out_is_refused_and_kept` | build.rs |
//! | 51 | OUT = a foreign folder, for `serve` | `serve_refuses_a_foreign_output_folder` | serve.rs |
//! | 52 | marker spoofing: the exact marker copied into DIR, a client folder or a backup of the records; a wrong, truncated, 1 GB, linked or folder marker beside user files; OUT reaching a link through `..` | `a_copied_marker_never_lets_a_build_replace_what_it_did_not_write` | hostile.rs |
//! | 53 | a marked OUT holding a link to a folder outside (read by `build`, written by `audit`) | `a_link_inside_a_marked_out_is_never_followed` | hostile.rs |
//! | 54 | user folders named like a killed build's leftovers beside OUT | `only_out_changes_when_build_and_audit_succeed` | hostile.rs |
//! | 55 | kill -9 midway through a build | `a_build_killed_midway_leaves_the_previous_out_complete` | build.rs |
//! | 56 | a build that fails midway | `a_build_that_fails_midway_leaves_the_previous_out_as_it_was` | build.rs |
//! | 57 | records with errors: OUT kept as it was | `records_with_errors_are_not_rendered_and_out_is_kept` | build.rs |
//! | 58 | nothing outside OUT is written by a successful `build` or `audit` (OUT beside DIR and inside it) | `only_out_changes_when_build_and_audit_succeed` | hostile.rs |
//! | 59 | baselines, targets and measurements near f64's limits (±1.7e308) | `numbers_near_the_limits_of_f64_give_true_figures_and_valid_pages` | hostile.rs |
//! | 60 | a previous OUT that cannot be removed (a read-only folder inside) | `a_previous_out_that_cannot_be_removed_is_named` | hostile.rs |

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;

const CLIENT: &str = "name: Acme Logistics\n";
/// A valid prospect with exactly one warning (not-qualified), to prove the run went on.
const WITNESS: &str = "---\ntitle: Witness\nstatus: prospect\nowner: O\n---\n";

fn commonthread() -> Command {
    let mut command = Command::cargo_bin("commonthread").unwrap();
    command
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .timeout(Duration::from_secs(60));
    command
}

/// Whether `setpriv` can run a command as the user nobody here (root
/// ignores file permissions, so those tests run as nobody).
fn can_run_as_nobody() -> bool {
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `commonthread()`, run as the user nobody.
fn commonthread_as_nobody() -> Command {
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("commonthread"))
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .timeout(Duration::from_secs(60));
    command
}

fn repo_with(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("acme")).unwrap();
    std::fs::write(tmp.path().join("acme/client.yaml"), CLIENT).unwrap();
    std::fs::write(tmp.path().join("acme/witness.md"), WITNESS).unwrap();
    let path = tmp.path().join("acme").join(name);
    std::fs::write(path, bytes).unwrap();
    tmp
}

/// `build DIR --out DIR/public`, which must succeed; the output folder.
fn build_into_public(dir: &Path) -> PathBuf {
    let out = dir.join("public");
    let output = commonthread()
        .arg("build")
        .arg(dir)
        .args(["--as-of", "2026-11-16", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// `check` of a file built to be slow to read: it must take well under
/// half a minute, whatever it holds.
fn check_quickly(dir: &Path) -> (i32, Vec<(String, String)>) {
    let started = std::time::Instant::now();
    let result = check(dir);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    result
}

/// `check --format json`: (exit code, [(rule, file)]).
fn check(dir: &Path) -> (i32, Vec<(String, String)>) {
    let output = commonthread()
        .arg("check")
        .arg(dir)
        .args(["--as-of", "2026-11-16", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let found = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["file"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (output.status.code().unwrap_or(-1), found)
}

fn witness_checked(found: &[(String, String)]) -> bool {
    found.contains(&("not-qualified".to_owned(), "acme/witness.md".to_owned()))
}

#[test]
fn a_one_gigabyte_sparse_file_is_refused_unread() {
    let tmp = repo_with("huge.md", b"");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(tmp.path().join("acme/huge.md"))
        .unwrap();
    file.set_len(1 << 30).unwrap();
    let started = std::time::Instant::now();
    let (code, found) = check(tmp.path());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    assert!(
        found.contains(&("unreadable-file".to_owned(), "acme/huge.md".to_owned())),
        "{found:?}"
    );
    assert!(witness_checked(&found));
}

#[test]
fn a_ten_megabyte_single_line_scalar_is_read() {
    let text = format!(
        "---\ntitle: T\nstatus: prospect\nowner: O\nqualification: {{ decision: accept }}\ncurrent_state: {}\n---\n",
        "x".repeat(10 * 1024 * 1024)
    );
    let tmp = repo_with("long.md", text.as_bytes());
    let (code, found) = check(tmp.path());
    assert_eq!(code, 0, "{found:?}");
    assert!(
        !found.iter().any(|(_, file)| file == "acme/long.md"),
        "{found:?}"
    );
    assert!(witness_checked(&found));
}

#[test]
fn thousands_of_broken_list_items_are_left_out_quickly() {
    // A status that is no status word, 20,000 milestones without `due:`
    // (each reported and left out) and 20,000 overdue ones: the rules run
    // under every status on what is left, and say nothing of the list.
    let mut text = String::from(
        "---\ntitle: T\nstatus: activ\nowner: O\nstart: 2026-01-01\nend: 2026-12-31\nmilestones:\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!("  - {{ id: M{i}, title: t }}\n"));
    }
    for i in 0..20_000 {
        text.push_str(&format!("  - {{ id: N{i}, title: t, due: 2026-02-01 }}\n"));
    }
    text.push_str("---\n");
    let tmp = repo_with("milestones.md", text.as_bytes());
    let (code, found) = check_quickly(tmp.path());
    assert_eq!(code, 1);
    let count = |rule: &str| found.iter().filter(|(r, _)| r == rule).count();
    assert_eq!(count("missing-field"), 20_000);
    assert_eq!(count("invalid-value"), 1);
    assert_eq!(count("milestone-overdue"), 0);
    assert!(witness_checked(&found));
}

#[test]
fn thousands_of_wrong_done_dates_are_left_out_quickly() {
    // Each `done:` is reported and left out, and each milestone's overdue
    // finding is then unsaid: a lookup per finding, not a scan of all.
    let mut text = String::from(
        "---\ntitle: T\nstatus: active\nowner: O\nstart: 2026-01-01\nend: 2026-12-31\nqualification: { decision: accept }\nmilestones:\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!(
            "  - {{ id: M{i}, title: t, due: 2026-02-01, done: 2026-02-31, outcome: x }}\n"
        ));
    }
    text.push_str("---\n");
    let tmp = repo_with("milestones.md", text.as_bytes());
    let (code, found) = check_quickly(tmp.path());
    assert_eq!(code, 1);
    let count = |rule: &str| found.iter().filter(|(r, _)| r == rule).count();
    assert_eq!(count("invalid-value"), 20_000);
    assert_eq!(count("milestone-overdue"), 0);
    assert!(witness_checked(&found));
}

#[test]
fn front_matter_with_100000_keys_reports_every_one_quickly() {
    let mut text = String::from("---\ntitle: T\nstatus: prospect\nowner: O\n");
    for i in 0..100_000 {
        text.push_str(&format!("key{i}: v\n"));
    }
    text.push_str("---\n");
    let tmp = repo_with("keys.md", text.as_bytes());
    let (code, found) = check_quickly(tmp.path());
    assert_eq!(code, 1);
    assert_eq!(
        found
            .iter()
            .filter(|(rule, _)| rule == "unknown-field")
            .count(),
        100_000
    );
    assert!(witness_checked(&found));
}

#[test]
fn a_body_of_50000_nested_blockquotes_and_deep_lists_still_renders() {
    let mut body = "> ".repeat(50_000);
    body.push_str("deep\n\n");
    for depth in 0..2_000 {
        body.push_str(&"  ".repeat(depth));
        body.push_str("- item\n");
    }
    let text = format!(
        "---\ntitle: Deep notes\nstatus: prospect\nowner: O\nqualification: {{ decision: accept }}\n---\n{body}"
    );
    let tmp = repo_with("deep.md", text.as_bytes());
    let out = build_into_public(tmp.path());
    let page = std::fs::read_to_string(out.join("acme/index.html")).unwrap();
    assert!(page.contains("Deep notes") && page.contains("deep"));
}

#[test]
fn control_and_right_to_left_characters_are_shown_inert() {
    let text = "---\ntitle: \"Invoice \\u202Egpj.exe\\u202C and a bell \\u0007\"\nstatus: prospect\nowner: \"O\\u0000K\"\nqualification: { decision: accept }\n---\n";
    let tmp = repo_with("odd.md", text.as_bytes());
    let out = build_into_public(tmp.path());
    let page = std::fs::read_to_string(out.join("acme/index.html")).unwrap();
    assert!(
        page.contains("Invoice gpj.exe and a bell"),
        "the text itself is kept"
    );
    assert!(
        !page.contains('\u{0007}') && !page.contains('\u{0000}'),
        "control characters reached the page"
    );
    assert!(
        !page.contains('\u{202E}'),
        "a right-to-left override reached the page"
    );
    // A folder named with a right-to-left override is no slug.
    let rtl = repo_with("ok.md", WITNESS.as_bytes());
    std::fs::create_dir_all(rtl.path().join("evil\u{202E}txt")).unwrap();
    std::fs::write(rtl.path().join("evil\u{202E}txt/client.yaml"), CLIENT).unwrap();
    let (code, found) = check(rtl.path());
    assert_eq!(code, 1);
    assert!(
        found
            .iter()
            .any(|(rule, file)| rule == "invalid-slug" && file.starts_with("evil")),
        "{found:?}"
    );
    assert!(witness_checked(&found));
}

/// Differences of such numbers overflow to infinity; the figures must not
/// (progress was null, the status off-track, and the charts drew `NaN`).
#[test]
fn numbers_near_the_limits_of_f64_give_true_figures_and_valid_pages() {
    let text = "---\ntitle: Extremes\nstatus: active\nowner: O\nstart: 2026-03-01\nend: 2026-12-31\n\
        qualification: { decision: accept }\nsuccess:\n  agreed: 2026-03-02\n  metrics:\n\
        \x20   - { id: wide, name: Wide, baseline: -1.7e308, target: 1.7e308, measurements: [ { date: 2026-11-01, value: 1.0e308 } ] }\n\
        updates:\n  log:\n    - { date: 2026-11-10, summary: Sent }\n---\n";
    let tmp = repo_with("wide.md", text.as_bytes());
    let out = build_into_public(tmp.path());
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("engagements.json")).unwrap()).unwrap();
    let engagement = &json["clients"][0]["engagements"][0];
    assert_eq!(
        engagement["metrics"][0]["progress"],
        serde_json::json!(0.7941)
    );
    assert_eq!(engagement["metrics"][0]["status"], "on-track");
    assert_eq!(engagement["score"], serde_json::json!(79.4));
    for page in ["index.html", "acme/index.html", "acme/wide/scorecard.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(!html.contains("NaN"), "{page} holds NaN");
        for infinity in ["=\"inf", "=\"-inf", "inf%", ",inf", ",-inf"] {
            assert!(!html.contains(infinity), "{page} holds an infinity");
        }
        assert!(
            !html.contains("18,446,744"),
            "{page} printed a number as u64's largest"
        );
    }
    let scorecard = std::fs::read_to_string(out.join("acme/wide/scorecard.html")).unwrap();
    assert!(
        scorecard.contains("baseline -1.7e308, target 1.7e308"),
        "numbers as magnitudes"
    );
}

#[test]
fn a_slug_that_differs_only_by_case_is_no_slug() {
    // On a case-insensitive file system `Acme` and `acme` would be one
    // folder: slugs are lowercase, so the other spelling is refused.
    let tmp = repo_with("deal.md", WITNESS.as_bytes());
    std::fs::create_dir_all(tmp.path().join("Acme")).unwrap();
    std::fs::write(tmp.path().join("Acme/client.yaml"), CLIENT).unwrap();
    std::fs::write(tmp.path().join("acme/Deal.md"), WITNESS).unwrap();
    let (code, found) = check(tmp.path());
    assert_eq!(code, 1);
    assert!(
        found.contains(&("invalid-slug".to_owned(), "Acme/client.yaml".to_owned())),
        "{found:?}"
    );
    assert!(
        found.contains(&("invalid-slug".to_owned(), "acme/Deal.md".to_owned())),
        "{found:?}"
    );
    assert!(witness_checked(&found));
}

// ---------------------------------------------------------------------------
// Shared by the cases below
// ---------------------------------------------------------------------------

const AS_OF: &str = "2026-11-16";

/// Runs a prepared command: (exit code, stdout, stderr). Fails on a panic,
/// a signal or the time limit.
fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("the command runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal, or timed out:\n{stderr}"));
    (code, stdout, stderr)
}

/// The diagnostics of a `--format json` report (one JSON document on stdout).
fn diagnostics(stdout: &str, stderr: &str) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not the JSON report ({e}):\n{stdout}\n{stderr}"));
    report["diagnostics"].as_array().unwrap().clone()
}

/// The one diagnostic of `rule` about `file`.
fn one<'a>(found: &'a [serde_json::Value], rule: &str, file: &str) -> &'a serde_json::Value {
    let matching: Vec<&serde_json::Value> = found
        .iter()
        .filter(|d| d["rule"] == rule && d["file"] == file)
        .collect();
    assert_eq!(matching.len(), 1, "one `{rule}` in {file}: {found:#?}");
    matching[0]
}

fn message(d: &serde_json::Value) -> String {
    d["message"].as_str().unwrap().to_owned()
}

fn write(root: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// What a path holds, to compare a tree before and after a run.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Folder,
    File {
        len: u64,
        modified: std::time::SystemTime,
        hash: u64,
    },
    Link(PathBuf),
    Other,
}

/// Every path under `root` (links not followed), with its size,
/// modification time and a hash of its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    use std::hash::{Hash, Hasher};
    let mut found = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.unwrap();
        let path = entry.path().to_path_buf();
        let kind = entry.file_type();
        let value = if kind.is_dir() {
            Entry::Folder
        } else if kind.is_symlink() {
            Entry::Link(std::fs::read_link(&path).unwrap())
        } else if kind.is_file() {
            let meta = entry.metadata().unwrap();
            // Sparse giants are hashed by their size only.
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            if meta.len() < 64 * 1024 * 1024 {
                std::fs::read(&path).unwrap().hash(&mut hasher);
            }
            Entry::File {
                len: meta.len(),
                modified: meta.modified().unwrap(),
                hash: hasher.finish(),
            }
        } else {
            Entry::Other
        };
        found.insert(path, value);
    }
    found
}

/// The paths added, removed or changed between two snapshots.
fn changed(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = before
        .iter()
        .filter(|(path, entry)| after.get(*path) != Some(entry))
        .map(|(path, _)| path.clone())
        .collect();
    paths.extend(
        after
            .keys()
            .filter(|path| !before.contains_key(*path))
            .cloned(),
    );
    paths.sort();
    paths
}

/// A small valid records repository: two clients, one warning each.
fn small_records(root: &Path) {
    write(root, "acme/client.yaml", CLIENT);
    write(root, "acme/witness.md", WITNESS);
    write(root, "globex/client.yaml", "name: Globex\n");
    write(root, "globex/deal.md", WITNESS);
}

/// The marker text exactly as a build writes it, read from a real build.
fn genuine_marker() -> String {
    let tmp = tempfile::tempdir().unwrap();
    small_records(&tmp.path().join("records"));
    let out = tmp.path().join("public");
    let (code, _, stderr) = run(commonthread()
        .arg("build")
        .arg(tmp.path().join("records"))
        .args(["--as-of", AS_OF, "-q", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    std::fs::read_to_string(out.join(commonthread::output::MARKER)).unwrap()
}

/// `build` or `audit` of `dir` into `out`.
fn write_out(command: &str, dir: &Path, out: &Path) -> (i32, String, String) {
    let mut cmd = commonthread();
    cmd.arg(command)
        .arg(dir)
        .args(["--as-of", AS_OF, "-q", "--out"])
        .arg(out);
    if command == "audit" {
        cmd.args(["--quarter", "2026-Q3"]);
    }
    run(&mut cmd)
}

/// Whether strace can run a program here (installed, and ptrace allowed).
fn strace_works() -> bool {
    std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------
// Files that vanish, names that cannot be read, folders that cannot be opened
// ---------------------------------------------------------------------------

/// Deterministic: strace makes the system answer "no such file" when the
/// binary opens these paths, exactly as if each had been deleted after the
/// walk listed it. No hook in the binary is needed.
#[test]
fn files_that_vanish_after_listing_are_named() {
    if !strace_works() {
        eprintln!("skipped: strace is not installed or may not trace here");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    small_records(&dir);
    write(&dir, "commonthread.yaml", "practice: Northwind\n");
    write(&dir, "acme/gone.md", WITNESS);
    write(&dir, "acme/archive/old.md", WITNESS);
    let vanishing = [
        "acme/gone.md",
        "acme/archive",
        "globex/client.yaml",
        "commonthread.yaml",
    ];
    let strace = |command: &str, extra: &[&OsStr]| {
        let mut cmd = Command::new("strace");
        cmd.args(["-f", "-qq", "-o", "/dev/null"]);
        for path in vanishing {
            cmd.arg("-P").arg(dir.join(path));
        }
        cmd.args([
            "-e",
            "trace=openat",
            "-e",
            "inject=openat:error=ENOENT",
            "--",
        ])
        .arg(assert_cmd::cargo::cargo_bin("commonthread"))
        .arg(command)
        .arg(&dir)
        .args(["--as-of", AS_OF])
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .timeout(Duration::from_secs(60));
        run(&mut cmd)
    };
    let (code, stdout, stderr) = strace("check", &["--format".as_ref(), "json".as_ref()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let found = diagnostics(&stdout, &stderr);
    for file in vanishing {
        let text = message(one(&found, "unreadable-file", file));
        assert!(
            text.contains(&format!("cannot read `{file}`")) && text.contains("vanished"),
            "{file}: {text}"
        );
    }
    assert_eq!(found.len(), vanishing.len() + 2, "{found:#?}");
    // The rest was still checked, globex's engagement included.
    one(&found, "not-qualified", "acme/witness.md");
    one(&found, "not-qualified", "globex/deal.md");
    // A build stops at the error and writes nothing.
    let out = dir.join("public");
    let (code, stdout, stderr) = strace("build", &["--out".as_ref(), out.as_os_str()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("vanished"), "{stdout}");
    assert!(!out.exists());
}

/// The real race, bounded in runs and time: a file is created (whole, by a
/// rename) and deleted again and again while `check` runs. Each run exits
/// 0 or 1, never panics, checks the witness, and names the file when it
/// vanished under it.
#[test]
fn a_file_that_keeps_vanishing_never_crashes_a_check() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    small_records(&dir);
    let stop = Arc::new(AtomicBool::new(false));
    let flicker = {
        let stop = Arc::clone(&stop);
        let dir = dir.clone();
        std::thread::spawn(move || {
            let file = dir.join("acme/flicker.md");
            let hidden = dir.join("acme/.flicker.md.new");
            while !stop.load(Ordering::Relaxed) {
                std::fs::write(&hidden, WITNESS).unwrap();
                std::fs::rename(&hidden, &file).unwrap();
                std::thread::sleep(Duration::from_micros(300));
                std::fs::remove_file(&file).unwrap();
                std::thread::sleep(Duration::from_micros(300));
            }
        })
    };
    let started = Instant::now();
    let (mut runs, mut vanished, mut read) = (0, 0, 0);
    while runs < 40 && started.elapsed() < Duration::from_secs(20) {
        runs += 1;
        let (code, stdout, stderr) = run(commonthread()
            .arg("check")
            .arg(&dir)
            .args(["--as-of", AS_OF, "--format", "json"]));
        let found = diagnostics(&stdout, &stderr);
        one(&found, "not-qualified", "acme/witness.md");
        one(&found, "not-qualified", "globex/deal.md");
        let about: Vec<&serde_json::Value> = found
            .iter()
            .filter(|d| d["file"] == "acme/flicker.md")
            .collect();
        match about.as_slice() {
            [] => {}
            [d] if d["rule"] == "not-qualified" => read += 1,
            [d] if d["rule"] == "unreadable-file" => {
                let text = message(d);
                assert!(
                    text.contains("cannot read `acme/flicker.md`") && text.contains("vanished"),
                    "{text}"
                );
                vanished += 1;
            }
            other => panic!("unexpected diagnostics for the vanishing file: {other:#?}"),
        }
        let errors = found.iter().any(|d| d["severity"] == "error");
        assert_eq!(code, i32::from(errors), "{stdout}{stderr}");
    }
    stop.store(true, Ordering::Relaxed);
    flicker.join().unwrap();
    eprintln!("{runs} runs: the file vanished under {vanished}, was read in {read}");
}

/// A name that is not UTF-8 cannot be found again by its shown name: it is
/// reported as such, never as a file that vanished.
#[test]
fn names_that_are_not_utf8_are_named_not_lost() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = repo_with("ok.md", WITNESS.as_bytes());
    let file = tmp
        .path()
        .join("acme")
        .join(OsStr::from_bytes(b"caf\xE9.md"));
    if std::fs::write(&file, WITNESS).is_err() {
        eprintln!("skipped: this file system refuses names that are not UTF-8");
        return;
    }
    let client = tmp.path().join(OsStr::from_bytes(b"gl\xF6be"));
    std::fs::create_dir(&client).unwrap();
    std::fs::write(client.join("client.yaml"), CLIENT).unwrap();
    std::fs::write(client.join("deal.md"), WITNESS).unwrap();
    let (code, stdout, stderr) = run(commonthread()
        .arg("check")
        .arg(tmp.path())
        .args(["--as-of", AS_OF, "--format", "json"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let found = diagnostics(&stdout, &stderr);
    for shown in [
        "acme/caf\u{FFFD}.md",
        "gl\u{FFFD}be/client.yaml",
        "gl\u{FFFD}be/deal.md",
    ] {
        let text = message(one(&found, "unreadable-file", shown));
        assert!(text.contains("not UTF-8"), "{shown}: {text}");
    }
    assert!(
        found.iter().all(|d| !message(d).contains("vanished")),
        "{found:#?}"
    );
    one(&found, "not-qualified", "acme/witness.md");
    one(&found, "not-qualified", "acme/ok.md");
    assert_eq!(found.len(), 5, "{found:#?}");
}

#[test]
fn an_unreadable_records_folder_is_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("records");
    small_records(&dir);
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let as_nobody = std::fs::read_dir(&dir).is_ok();
    let mut cmd = if as_nobody {
        // Root reads anything: run as nobody, if this system allows it.
        if !can_run_as_nobody() {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            eprintln!(
                "skipped: chmod 000 does not stop this user, and setpriv cannot drop privileges"
            );
            return;
        }
        commonthread_as_nobody()
    } else {
        commonthread()
    };
    let (code, stdout, stderr) = run(cmd.arg("check").arg(&dir).args(["--as-of", AS_OF]));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("cannot read the records folder") && stderr.contains("ermission denied"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
}

// ---------------------------------------------------------------------------
// The output folder: what may be replaced, and nothing else is touched
// ---------------------------------------------------------------------------

/// A marker file (`.commonthread-output`) says "commonthread wrote this
/// folder and replaces it on every build". Copied beside records or a
/// user's files, with the exact text or not, it never makes them ours:
/// every attempt is refused with exit 2 and the whole tree stays as it was.
#[test]
fn a_copied_marker_never_lets_a_build_replace_what_it_did_not_write() {
    use commonthread::output::MARKER;
    let marker = genuine_marker();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let records = root.join("records");
    small_records(&records);
    // The exact marker inside the records folder and inside a client folder.
    write(&records, MARKER, &marker);
    write(&records, &format!("acme/{MARKER}"), &marker);
    // A backup of the records that someone copied a marker into.
    write(root, "backup/acme/client.yaml", CLIENT);
    write(root, "backup/acme/witness.md", WITNESS);
    write(root, &format!("backup/{MARKER}"), &marker);
    // User folders with a marker that is not the real one.
    write(root, "wrong/thesis.docx", "five years of work");
    write(root, &format!("wrong/{MARKER}"), "spoofed\n");
    write(root, "truncated/photo.jpg", "pixels");
    write(root, &format!("truncated/{MARKER}"), marker.trim_end());
    write(root, "linked/letter.txt", "dear");
    std::os::unix::fs::symlink(
        records.join("acme").join(MARKER),
        root.join("linked").join(MARKER),
    )
    .unwrap();
    write(root, "folder-marker/diary.txt", "dear diary");
    std::fs::create_dir(root.join("folder-marker").join(MARKER)).unwrap();
    write(root, "giant/video.mp4", "frames");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(root.join("giant").join(MARKER))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    // A link to an empty folder, reached through `new/..` while `new` is absent.
    std::fs::create_dir(root.join("empty")).unwrap();
    std::os::unix::fs::symlink(root.join("empty"), root.join("link")).unwrap();

    let before = snapshot(root);
    let cases: [(PathBuf, &str); 10] = [
        (records.clone(), "holds the records folder"),
        (records.join("acme"), "holds `client.yaml`"),
        (
            PathBuf::from(format!("{}/", records.join("acme").display())),
            "holds `client.yaml`",
        ),
        (root.join("backup"), "holds `acme/client.yaml`"),
        (root.join("wrong"), "not written by commonthread"),
        (root.join("truncated"), "not written by commonthread"),
        (root.join("linked"), "not written by commonthread"),
        (root.join("folder-marker"), "not written by commonthread"),
        (root.join("giant"), "not written by commonthread"),
        (root.join("link/new/.."), "symbolic link"),
    ];
    let started = Instant::now();
    for (out, why) in &cases {
        for command in ["build", "audit"] {
            let (code, stdout, stderr) = write_out(command, &records, out);
            assert_eq!(
                code,
                2,
                "{command} --out {}: {stdout}{stderr}",
                out.display()
            );
            assert!(
                stderr.contains("refusing") && stderr.contains(why),
                "{command} --out {}: expected `{why}`:\n{stderr}",
                out.display()
            );
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    let after = snapshot(root);
    assert!(
        changed(&before, &after).is_empty(),
        "a refused run touched: {:#?}",
        changed(&before, &after)
    );
    // The marker in the client folder does not hide its records either.
    let (code, found) = check(&records);
    assert_eq!(code, 0, "{found:?}");
    assert!(witness_checked(&found), "{found:?}");
    assert!(
        found.contains(&("not-qualified".to_owned(), "globex/deal.md".to_owned())),
        "{found:?}"
    );
}

/// A marked OUT may hold a symbolic link (planted, or committed with an
/// OUT inside the records): `build` refuses such an OUT rather than copy
/// what it points at into the new pages, and `audit` does not write
/// through it.
#[test]
fn a_link_inside_a_marked_out_is_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let records = root.join("records");
    small_records(&records);
    write(root, "secret/credentials.txt", "TOKEN=hunter2");
    write(root, "secret/2026-Q3.html", "my own page");
    let out = root.join("public");
    let plant = || {
        std::os::unix::fs::symlink(root.join("secret"), out.join("audit")).unwrap();
    };
    assert_eq!(write_out("build", &records, &out).0, 0);
    plant();
    let before = snapshot(&root.join("secret"));
    let out_before = snapshot(&out);
    // `build` refuses an OUT holding what it did not write, a link
    // included: nothing is copied from where it points, nothing replaced.
    let (code, stdout, stderr) = write_out("build", &records, &out);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("`audit`"), "{stderr}");
    assert!(changed(&out_before, &snapshot(&out)).is_empty());
    // `audit` does not write through it either.
    let (code, stdout, stderr) = write_out("audit", &records, &out);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("symbolic link") || stderr.contains("`audit`"),
        "{stderr}"
    );
    assert!(changed(&before, &snapshot(&root.join("secret"))).is_empty());
    assert_eq!(
        std::fs::read_to_string(root.join("secret/2026-Q3.html")).unwrap(),
        "my own page"
    );
}

#[test]
fn out_slash_and_a_home_folder_are_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("records");
    small_records(&records);
    // `/`: refused before anything is created there.
    let staged_at_root = || -> Vec<String> {
        std::fs::read_dir("/")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("commonthread-"))
            .collect()
    };
    let already = staged_at_root();
    for command in ["build", "audit"] {
        let (code, stdout, stderr) = write_out(command, &records, Path::new("/"));
        assert_eq!(code, 2, "{command}: {stdout}{stderr}");
        assert!(
            stderr.contains("refusing to write to `/`"),
            "{command}: {stderr}"
        );
        assert_eq!(staged_at_root(), already, "{command} staged at `/`");
    }
    // A home folder: the user's files and hidden folders, no marker.
    let home = tmp.path().join("home/dana");
    write(&home, ".bashrc", "export EDITOR=vi\n");
    write(&home, ".ssh/id_ed25519", "PRIVATE KEY");
    write(&home, "Documents/thesis.docx", "five years of work");
    write(&home, "notes.md", "# my notes\n");
    let before = snapshot(tmp.path());
    for out in [home.clone(), home.join("."), home.join("Documents/..")] {
        for command in ["build", "audit"] {
            let (code, stdout, stderr) = write_out(command, &records, &out);
            assert_eq!(
                code,
                2,
                "{command} --out {}: {stdout}{stderr}",
                out.display()
            );
            assert!(
                stderr.contains("not empty and was not written by commonthread"),
                "{stderr}"
            );
        }
    }
    assert!(changed(&before, &snapshot(tmp.path())).is_empty());
}

/// A successful `build`, `audit`, rebuild and re-audit change nothing but
/// OUT: every other path of the temporary tree (the records, the user's
/// files beside OUT, even folders named like a killed build's leftovers)
/// keeps its size, modification time and bytes, and no staging folder is
/// left beside OUT. Folders are compared by presence (their own mtime
/// changes when OUT is swapped in).
#[test]
fn only_out_changes_when_build_and_audit_succeed() {
    for inside in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let records = root.join("records");
        small_records(&records);
        write(&records, "commonthread.yaml", "practice: Northwind\n");
        write(&records, "README.md", "# Our records\n");
        write(&records, "acme/contract.pdf", "signed");
        let out = if inside {
            records.join("public")
        } else {
            root.join("site/public")
        };
        let beside = out.parent().unwrap().to_path_buf();
        write(&beside, "notes.txt", "mine");
        // A user's folders with a killed build's leftover names, unmarked.
        write(&beside, ".public.commonthread-old-7/holiday.jpg", "sun");
        write(&beside, ".public.commonthread-new-8/draft.txt", "words");
        for command in ["build", "audit", "build", "audit"] {
            let before = snapshot(root);
            let (code, stdout, stderr) = write_out(command, &records, &out);
            assert_eq!(code, 0, "{command}: {stdout}{stderr}");
            let after = snapshot(root);
            let outside: Vec<PathBuf> = changed(&before, &after)
                .into_iter()
                .filter(|path| !path.starts_with(&out))
                .collect();
            assert!(
                outside.is_empty(),
                "{command} (OUT inside the records: {inside}) changed {outside:#?}"
            );
            assert!(out.join("index.html").is_file() || command == "audit");
            // No staging folder of ours is left beside OUT; the user's stay.
            let mut left: Vec<String> = std::fs::read_dir(&beside)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".commonthread-"))
                .collect();
            left.sort();
            assert_eq!(
                left,
                [".public.commonthread-new-8", ".public.commonthread-old-7"],
                "{command}"
            );
        }
        assert!(out.join("audit/2026-Q3.html").is_file());
    }
}

// ---------------------------------------------------------------------------
// Links and images with unsafe schemes
// ---------------------------------------------------------------------------

/// Record Markdown whose links and images use `javascript:`, `data:` and
/// `vbscript:`, in every spelling a browser would still run.
const UNSAFE_URLS: &[&str] = &[
    "[a](javascript:alert(1))",
    "[b](JaVaScRiPt:alert(1))",
    "[c](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[d](DATA:text/html,x)",
    "[e](java&#x09;script:alert(1))",
    "[f](jav&#x0A;ascript:alert(1))",
    "[g](&#x20;javascript:alert(1))",
    "[h](javascript&colon;alert(1))",
    "[i](&#106;avascript:alert(1))",
    "[j](<javascript:alert(1)>)",
    "[k](vbscript:msgbox(1))",
    "[l](data&colon;text/html,x)",
    "<javascript:alert(1)>",
    "<data:text/html,x>",
    "![m](data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E)",
    "![n](javascript:alert(1))",
    "[![o](data:image/png;base64,AAAA)](javascript:alert(1))",
    "[safe](https://example.com/safe)",
];

#[test]
fn javascript_and_data_urls_never_become_links_or_images() {
    let inline = UNSAFE_URLS.join(" ").replace('"', "\\\"");
    let mut body = UNSAFE_URLS.join("\n\n");
    body.push_str(
        "\n\n[p][ref] and [q][img]\n\n[ref]: javascript:alert(1)\n[img]: data:text/html,x\n",
    );
    let engagement = format!(
        r#"---
title: "{inline}"
status: active
owner: "{inline}"
start: 2026-03-02
end: 2026-12-31
qualification:
  story: "{inline}"
  decision: accept
current_state: "{inline}"
desired_outcome: "{inline}"
success:
  agreed: 2026-03-05
  metrics:
    - {{ id: m, name: "{inline}", baseline: 1, target: 2, measurements: [{{ date: 2026-11-01, value: 2, note: "{inline}" }}] }}
milestones:
  - {{ id: A, title: "{inline}", due: 2026-12-01, outcome: "{inline}" }}
updates:
  log:
    - {{ date: 2026-11-10, summary: "{inline}" }}
wins:
  - {{ date: 2026-11-01, title: "{inline}", celebrated: "{inline}" }}
concerns:
  - {{ date: 2026-11-02, concern: "{inline}", response: "{inline}" }}
review:
  date: 2026-11-05
  went_wrong: "{inline}"
  went_right: "{inline}"
  new_problems: "{inline}"
  after_the_book: "{inline}"
  next_offer: "{inline}"
  decision: continue
internal_notes: "{inline}"
---
{body}"#
    );
    let client = format!(
        "name: Acme\ncontacts:\n  - {{ name: \"{inline}\", role: \"{inline}\", email: \"javascript:alert(1)\" }}\nnotes: \"{inline}\"\n"
    );
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("records");
    write(&records, "acme/client.yaml", &client);
    write(&records, "acme/deal.md", &engagement);
    write(&records, "acme/witness.md", WITNESS);
    let out = tmp.path().join("public");
    let (code, stdout, stderr) = write_out("build", &records, &out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mut pages = 0;
    let mut safe_links = 0;
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        if entry.path().extension() != Some(OsStr::new("html")) {
            continue;
        }
        pages += 1;
        let shown = entry.path().display();
        let html = std::fs::read_to_string(entry.path()).unwrap();
        assert!(
            !html.to_ascii_lowercase().contains("<img"),
            "{shown}: an image"
        );
        for tag in tags(&html) {
            for (name, value) in attributes(tag) {
                assert!(!name.starts_with("on"), "{shown}: `{name}` in <{tag}>");
                if matches!(
                    name.as_str(),
                    "href" | "src" | "xlink:href" | "action" | "formaction" | "srcset" | "poster"
                ) {
                    let url = as_a_browser_reads(&value);
                    assert!(
                        !["javascript:", "data:", "vbscript:"]
                            .iter()
                            .any(|scheme| url.starts_with(scheme)),
                        "{shown}: unsafe URL in <{tag}>"
                    );
                    safe_links += usize::from(url == "https://example.com/safe");
                }
            }
        }
    }
    // The portfolio, the client report, and a scorecard and a review for
    // each of the two engagements.
    assert_eq!(pages, 6);
    assert!(safe_links > 0, "the safe link should stay a link");
}

/// The real tags of a page: `<` then a letter, up to the next `>`.
fn tags(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            found.push(&rest[..rest.find('>').unwrap_or(rest.len())]);
        }
    }
    found
}

/// A tag's attributes as (lowercase name, raw value), honouring quotes.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut chars = tag.chars().skip_while(|c| !c.is_whitespace()).peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == '/').is_some() {}
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=' && *c != '/') {
            name.push(c.to_ascii_lowercase());
        }
        if name.is_empty() {
            return found;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            match chars.next_if(|c| *c == '"' || *c == '\'') {
                Some(quote) => value.extend(chars.by_ref().take_while(|c| *c != quote)),
                None => {
                    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                        value.push(c);
                    }
                }
            }
        }
        found.push((name, value));
    }
}

/// An attribute value as a browser resolves it: character references
/// decoded, tabs and newlines dropped, leading spaces and controls trimmed,
/// lowercase.
fn as_a_browser_reads(value: &str) -> String {
    let mut decoded = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').unwrap_or(0);
        let entity = rest[1..end.max(1)].to_ascii_lowercase();
        let character = match entity.as_str() {
            "amp" => Some('&'),
            "colon" => Some(':'),
            "tab" => Some('\t'),
            "newline" => Some('\n'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match character {
            Some(c) if end > 0 => {
                decoded.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .trim_start_matches(|c: char| c <= ' ')
        .to_ascii_lowercase()
}

#[test]
fn the_url_reader_sees_what_a_browser_sees() {
    assert_eq!(
        as_a_browser_reads("&#x20;Java&#x09;Script&colon;x"),
        "javascript:x"
    );
    assert_eq!(as_a_browser_reads("&#100;ata:x &amp; y"), "data:x & y");
    assert_eq!(as_a_browser_reads("a &b c;"), "a &b c;");
    let found = attributes("a href=\"x\" title='y z' data-k=v");
    assert_eq!(
        found,
        [
            ("href".to_owned(), "x".to_owned()),
            ("title".to_owned(), "y z".to_owned()),
            ("data-k".to_owned(), "v".to_owned())
        ]
    );
}

/// A previous output that cannot be removed after the swap (a client
/// folder in it made read-only) stays beside OUT under a hidden name: the
/// build still succeeds, and says where it is, then and on the next build.
#[test]
fn a_previous_out_that_cannot_be_removed_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("records");
    small_records(&records);
    let site = tmp.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Root removes files from a read-only folder: run as nobody then, in a
    // folder of nobody's, if this system allows it.
    let as_root = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&site).unwrap().uid() == 0
    };
    let build = || {
        let mut cmd = if as_root {
            commonthread_as_nobody()
        } else {
            commonthread()
        };
        run(cmd
            .arg("build")
            .arg(&records)
            .arg("--out")
            .arg(site.join("out"))
            .args(["--as-of", AS_OF]))
    };
    if as_root {
        if !can_run_as_nobody() {
            eprintln!("skipped: running as root, and setpriv cannot drop privileges");
            return;
        }
        std::os::unix::fs::chown(&site, Some(65534), Some(65534)).unwrap();
    }
    let (code, _, stderr) = build();
    assert_eq!(code, 0, "{stderr}");
    let acme = site.join("out/acme");
    std::fs::set_permissions(&acme, std::fs::Permissions::from_mode(0o555)).unwrap();
    // A change, so that the next build replaces OUT.
    write(
        &records,
        "acme/witness.md",
        WITNESS.replace("Witness", "Witness two"),
    );
    let (code, _, stderr) = build();
    let left: Vec<PathBuf> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name() != Some(OsStr::new("out")))
        .collect();
    for folder in &left {
        let _ =
            std::fs::set_permissions(folder.join("acme"), std::fs::Permissions::from_mode(0o755));
    }
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(left.len(), 1, "{left:?}");
    let shown = format!("`{}` could not be removed", left[0].display());
    assert!(stderr.contains(&shown), "{stderr}");
    assert!(stderr.contains("remove it by hand"), "{stderr}");
    let page = std::fs::read_to_string(site.join("out/acme/index.html")).unwrap();
    assert!(page.contains("Witness two"));
    // Still there for the next build, which says so again and then clears
    // it, now that it can.
    std::fs::set_permissions(left[0].join("acme"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let (code, _, stderr) = build();
    std::fs::set_permissions(left[0].join("acme"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&shown), "{stderr}");
    let (code, _, stderr) = build();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("could not be removed"), "{stderr}");
    assert!(!left[0].exists());
}
