//! The practice's weekly workflow through the real binary: init, new,
//! schema and explain, including the mistakes people make.

use std::path::Path;

use assert_cmd::Command;

fn commonthread() -> Command {
    let mut command = Command::cargo_bin("commonthread").expect("the binary is built");
    // A fixed "today" (2026-11-16 00:00 UTC) for the dates scaffolds write.
    command
        .env("SOURCE_DATE_EPOCH", "1794787200")
        .env("NO_COLOR", "1");
    command.timeout(std::time::Duration::from_secs(60));
    command
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = commonthread().args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn check_json(dir: &Path) -> (i32, serde_json::Value) {
    let (code, stdout, _) = run(&["check", dir.to_str().unwrap(), "--format", "json"]);
    (code, serde_json::from_str(&stdout).unwrap())
}

fn rules_found(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn init_starts_a_repository_that_passes_check_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("records");
    let (code, _, stderr) = run(&["init", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for file in [
        "commonthread.yaml",
        ".gitignore",
        ".github/workflows/reports.yml",
        "example-client/client.yaml",
        "example-client/first-engagement.md",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let (code, report) = check_json(&dir);
    assert_eq!(code, 0);
    assert_eq!(
        report["diagnostics"].as_array().unwrap().len(),
        0,
        "{report}"
    );
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/reports.yml")).unwrap();
    assert!(workflow.contains("commonthread check --format github"));
    assert!(workflow.contains("commonthread build"));
    assert!(workflow.contains("upload-artifact"));
    // And it builds.
    let out = tmp.path().join("public");
    let (code, _, stderr) = run(&[
        "build",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        out.join("example-client/first-engagement/scorecard.html")
            .is_file()
    );
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(".gitignore"), "mine\n").unwrap();
    let (code, _, stderr) = run(&["init", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("refusing to overwrite") && stderr.contains(".gitignore"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
        "mine\n"
    );
    assert!(!tmp.path().join("commonthread.yaml").exists());
}

#[test]
fn new_client_and_engagement_scaffold_files_that_pass_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    assert_eq!(
        run(&[
            "new",
            "client",
            "acme-logistics",
            "--name",
            "Acme & \"Sons\": Logistics",
            "--dir",
            dir
        ])
        .0,
        0
    );
    assert_eq!(
        run(&[
            "new",
            "engagement",
            "acme-logistics",
            "2026-sales-cycle",
            "--title",
            "Sales: the #1 \"cycle\"",
            "--dir",
            dir
        ])
        .0,
        0
    );
    let (code, report) = check_json(tmp.path());
    assert_eq!(code, 0, "{report}");
    // A fresh prospect has not been qualified yet, and says so.
    assert_eq!(rules_found(&report), ["not-qualified"]);
    let text =
        std::fs::read_to_string(tmp.path().join("acme-logistics/2026-sales-cycle.md")).unwrap();
    for section in [
        "qualification:",
        "success:",
        "milestones:",
        "updates:",
        "wins:",
        "concerns:",
        "# review:",
        "internal_notes:",
    ] {
        assert!(text.contains(section), "{section} missing");
    }
    // The title survives YAML quoting exactly.
    let out = tmp.path().join("out");
    assert_eq!(run(&["build", dir, "--out", out.to_str().unwrap()]).0, 0);
    let page = std::fs::read_to_string(out.join("acme-logistics/index.html")).unwrap();
    assert!(
        page.contains("Sales: the #1 &quot;cycle&quot;")
            || page.contains(r#">Sales: the #1 "cycle"</h2>"#),
        "title not kept"
    );
    assert!(
        page.contains("Acme &amp; &quot;Sons&quot;: Logistics"),
        "name not kept"
    );
}

#[test]
fn a_scaffold_taken_active_as_it_is_puts_no_starter_text_on_the_client_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let new = |args: &[&str]| {
        let mut all = vec!["new"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--dir", dir]);
        let (code, _, stderr) = run(&all);
        assert_eq!(code, 0, "{stderr}");
        stderr
    };
    new(&["client", "acme", "--name", "Acme"]);
    let said = new(&["engagement", "acme", "pilot", "--title", "Pilot"]);
    // Without `--owner` the placeholder is named at once.
    assert!(said.contains("`owner:` says \"Your Name\""), "{said}");
    new(&[
        "engagement",
        "acme",
        "renewal",
        "--title",
        "Renewal",
        "--owner",
        "Dana Whitfield",
    ]);
    // Taken straight to active, as a hurried user would.
    for slug in ["pilot", "renewal"] {
        let path = tmp.path().join(format!("acme/{slug}.md"));
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("status: prospect", "status: active")
            .replace("  decision:             #", "  decision: accept      #");
        std::fs::write(&path, text).unwrap();
    }
    let out = tmp.path().join("out");
    let (code, _, stderr) = run(&[
        "build",
        dir,
        "--out",
        out.to_str().unwrap(),
        "--audience",
        "client",
        "--as-of",
        "2026-11-16",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(out.join("acme/index.html")).unwrap();
    for starter in [
        "First step",
        "What the client will have once this step is done",
        "Notes about the engagement",
        "client since",
    ] {
        assert!(!page.contains(starter), "{starter:?} on the client page");
    }
    assert!(page.contains("Dana Whitfield"));
}

#[test]
fn new_refuses_bad_slugs_existing_files_and_unknown_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    for bad in ["Acme", "acme_logistics", "-acme", "audit", "a b", ""] {
        let (code, _, stderr) = run(&["new", "client", "--name", "X", "--dir", dir, "--", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(
            stderr.contains("slug") || stderr.contains("reserved"),
            "{bad}: {stderr}"
        );
    }
    assert_eq!(
        run(&["new", "client", "acme", "--name", "Acme", "--dir", dir]).0,
        0
    );
    let (code, _, stderr) = run(&[
        "new",
        "client",
        "acme",
        "--name",
        "Acme again",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert!(
        std::fs::read_to_string(tmp.path().join("acme/client.yaml"))
            .unwrap()
            .contains("\"Acme\"")
    );

    let (code, _, stderr) = run(&[
        "new",
        "engagement",
        "globex",
        "deal",
        "--title",
        "T",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no client `globex`") && stderr.contains("new client globex"),
        "{stderr}"
    );
    // A typo of a client that exists is taken for one.
    let (code, _, stderr) = run(&[
        "new",
        "engagement",
        "acm",
        "deal",
        "--title",
        "T",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `acme`?"), "{stderr}");
    let (code, _, stderr) = run(&[
        "new",
        "engagement",
        "acme",
        "Deal",
        "--title",
        "T",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 2, "{stderr}");
    std::fs::create_dir_all(tmp.path().join("acme/archive")).unwrap();
    std::fs::write(tmp.path().join("acme/archive/deal.md"), "kept").unwrap();
    let (code, _, stderr) = run(&[
        "new",
        "engagement",
        "acme",
        "deal",
        "--title",
        "T",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already has an engagement `deal`"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("acme/archive/deal.md")).unwrap(),
        "kept"
    );
}

#[test]
fn schema_prints_draft_07_for_each_record_kind() {
    for (kind, title) in [
        ("engagement", "commonthread engagement"),
        ("client", "commonthread client"),
        ("config", "commonthread settings"),
    ] {
        let (code, stdout, _) = run(&["schema", kind]);
        assert_eq!(code, 0);
        let schema: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["title"], title);
        assert_eq!(schema["additionalProperties"], false);
    }
    let (_, default, _) = run(&["schema"]);
    assert!(default.contains("\"milestones\""));
    assert_eq!(run(&["schema", "budget"]).0, 2);
}

#[test]
fn explain_knows_every_rule_and_suggests_the_closest() {
    for rule in commonthread::rules::RULES {
        let (code, stdout, _) = run(&["explain", rule.name]);
        assert_eq!(code, 0, "{}", rule.name);
        assert!(stdout.starts_with(&format!("{}: ", rule.name)), "{stdout}");
        assert!(stdout.contains(rule.why) && stdout.contains(rule.fix));
    }
    let (code, _, stderr) = run(&["explain", "milestone-overdeu"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("did you mean `milestone-overdue`?"),
        "{stderr}"
    );
    // Nothing near: the rules are listed, every one of them.
    let (code, _, stderr) = run(&["explain", "nope"]);
    assert_eq!(code, 2);
    for rule in commonthread::rules::RULES {
        assert!(
            stderr.contains(rule.name),
            "{} missing: {stderr}",
            rule.name
        );
    }
    // Without a rule (the help of a misspelt level points here): every rule
    // on a line of its own, with when it fires.
    let (code, stdout, _) = run(&["explain"]);
    assert_eq!(code, 0);
    for rule in commonthread::rules::RULES {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim_start().starts_with(rule.name) && line.ends_with(rule.when)),
            "{} missing: {stdout}",
            rule.name
        );
    }
}

/// A repository big enough for a progress bar: 150 clients, 600 engagements.
fn large_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for c in 0..150 {
        let client = tmp.path().join(format!("client-{c:03}"));
        std::fs::create_dir_all(&client).unwrap();
        std::fs::write(client.join("client.yaml"), format!("name: Client {c}\n")).unwrap();
        for e in 0..4 {
            let text = format!(
                "---\ntitle: Engagement {e}\nstatus: prospect\nowner: O\nqualification: {{ decision: accept }}\n---\n"
            );
            std::fs::write(client.join(format!("e{e}.md")), text).unwrap();
        }
    }
    tmp
}

/// Runs `commonthread ARGS` on a pseudo-terminal (util-linux `script`) and
/// returns what the terminal showed.
fn on_a_terminal(args: &str, ci: bool) -> String {
    let binary = assert_cmd::cargo::cargo_bin!("commonthread");
    let mut command = std::process::Command::new("script");
    command.args(["-qec", &format!("{} {args}", binary.display()), "/dev/null"]);
    if ci {
        command.env("CI", "true");
    } else {
        command.env_remove("CI");
    }
    let output = command
        .output()
        .expect("util-linux `script` runs the binary on a terminal");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn long_runs_show_progress_on_a_terminal_and_stay_quiet_in_ci_and_with_quiet() {
    let repo = large_repo();
    let dir = repo.path().to_str().unwrap();
    let args = format!("check {dir} --format json --as-of 2026-11-16 > /dev/null");
    assert!(
        on_a_terminal(&args, false).contains("checking"),
        "no progress shown on a terminal"
    );
    assert_eq!(on_a_terminal(&args, true), "", "progress shown in CI");
    assert_eq!(
        on_a_terminal(&format!("check {dir} -q --format json > /dev/null"), false),
        "",
        "progress shown with --quiet"
    );
    // Not on a terminal (a pipe, as in every other test): nothing either.
    let (code, _, stderr) = run(&["check", dir, "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, "");
}

#[test]
fn new_and_init_refuse_what_would_break_the_next_check_or_build() {
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("records");
    let dir = records.to_str().unwrap();
    assert_eq!(run(&["init", dir]).0, 0);

    // An empty owner would be a `missing-field` error at the next check.
    let (code, _, stderr) = run(&[
        "new",
        "engagement",
        "example-client",
        "deal",
        "--title",
        "T",
        "--owner",
        " ",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--owner"), "{stderr}");
    assert!(!records.join("example-client/deal.md").exists());

    // Inside a client's folder, a new client would be a client's client.
    let inside = records.join("example-client");
    let (code, _, stderr) = run(&[
        "new",
        "client",
        "acme",
        "--name",
        "Acme",
        "--dir",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is a client's folder"), "{stderr}");

    // The build's own output folder is no client.
    let out = records.join("public");
    let (code, _, stderr) = run(&["build", dir, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&["new", "client", "public", "--name", "P", "--dir", dir]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("where `build` writes"), "{stderr}");

    // A near miss of an existing client is created, with a word about it.
    let (code, _, stderr) = run(&[
        "new",
        "client",
        "exmaple-client",
        "--name",
        "E",
        "--dir",
        dir,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: client `example-client` already exists"),
        "{stderr}"
    );

    // A records folder inside another one would be read as its client.
    let nested = records.join("example-client/more");
    let (code, _, stderr) = run(&["init", nested.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is inside the records folder"), "{stderr}");
    assert!(!nested.exists());

    // An engagement slug's example is an engagement's.
    let (_, _, stderr) = run(&[
        "new",
        "engagement",
        "example-client",
        "Deal_2026",
        "--title",
        "T",
        "--dir",
        dir,
    ]);
    assert!(stderr.contains("such as `2026-sales-cycle`"), "{stderr}");
}
