//! Hostile input beyond the check suite: huge, deep and strange records.
//! Each case is bounded in time, names the rule, and shows that the other
//! files of the repository were still checked (or the pages still built).

use std::path::Path;
use std::time::Duration;

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

fn repo_with(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("acme")).unwrap();
    std::fs::write(tmp.path().join("acme/client.yaml"), CLIENT).unwrap();
    std::fs::write(tmp.path().join("acme/witness.md"), WITNESS).unwrap();
    let path = tmp.path().join("acme").join(name);
    std::fs::write(path, bytes).unwrap();
    tmp
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
fn front_matter_with_100000_keys_reports_every_one_quickly() {
    let mut text = String::from("---\ntitle: T\nstatus: prospect\nowner: O\n");
    for i in 0..100_000 {
        text.push_str(&format!("key{i}: v\n"));
    }
    text.push_str("---\n");
    let tmp = repo_with("keys.md", text.as_bytes());
    let started = std::time::Instant::now();
    let (code, found) = check(tmp.path());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
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
    let out = tmp.path().join("public");
    let output = commonthread()
        .arg("build")
        .arg(tmp.path())
        .args(["--as-of", "2026-11-16", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = std::fs::read_to_string(out.join("acme/index.html")).unwrap();
    assert!(page.contains("Deep notes") && page.contains("deep"));
}

#[test]
fn control_and_right_to_left_characters_are_shown_inert() {
    let text = "---\ntitle: \"Invoice \\u202Egpj.exe\\u202C and a bell \\u0007\"\nstatus: prospect\nowner: \"O\\u0000K\"\nqualification: { decision: accept }\n---\n";
    let tmp = repo_with("odd.md", text.as_bytes());
    let out = tmp.path().join("public");
    let output = commonthread()
        .arg("build")
        .arg(tmp.path())
        .args(["--as-of", "2026-11-16", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
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
