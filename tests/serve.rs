//! `commonthread serve` end to end: start it on a temporary repository,
//! fetch a page over HTTP, change a record and see the page change, break
//! a record and see the diagnostics, fix it and see the report come back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, out: &Path) -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
        .args(["serve", "--as-of", "2026-11-16", "--out"])
        .arg(out)
        .arg(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    // Owned by a Server from here on, so it is killed and waited for on any panic.
    let mut server = Server {
        child,
        address: String::new(),
    };
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve prints its address");
        if let Some(rest) = line.strip_prefix("serving http://") {
            let address = rest.split('/').next().unwrap().to_owned();
            // Keep draining the output so the server never blocks on it.
            std::thread::spawn(move || while receiver.recv().is_ok() {});
            server.address = address;
            return server;
        }
    }
}

fn get(server: &Server, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.address
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// Fetches `path` until `done` says yes (the watcher takes a moment).
fn eventually(server: &Server, path: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = get(server, path);
        if done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the page did not change in time; last seen:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const CLIENT: &str = "name: Acme Logistics\n";
const DEAL: &str = "---\ntitle: Sales cycle redesign\nstatus: prospect\nowner: Dana\nqualification: { decision: accept }\nmilestones:\n  - { id: A, title: Map the cycle, due: 2026-12-01, outcome: A map }\n---\nNotes.\n";

#[test]
fn serve_follows_edits_shows_errors_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("records");
    std::fs::create_dir_all(dir.join("acme")).unwrap();
    std::fs::write(dir.join("acme/client.yaml"), CLIENT).unwrap();
    let deal = dir.join("acme/deal.md");
    std::fs::write(&deal, DEAL).unwrap();
    let server = start(&dir, &tmp.path().join("public"));

    let (status, page) = get(&server, "/acme/index.html");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(page.contains("Sales cycle redesign"));
    assert!(
        page.contains("/__commonthread/reload.js"),
        "served pages reload themselves"
    );
    let on_disk = std::fs::read_to_string(tmp.path().join("public/acme/index.html")).unwrap();
    assert!(
        !on_disk.contains("<script"),
        "the page on disk stays script-free"
    );
    assert_eq!(
        get(&server, "/acme/%2e%2e/%2e%2e/etc/passwd").0,
        "HTTP/1.1 400 Bad Request"
    );
    assert_eq!(get(&server, "/nope.html").0, "HTTP/1.1 404 Not Found");
    let (_, version) = get(&server, "/__commonthread/version");

    // An edit shows up.
    std::fs::write(
        &deal,
        DEAL.replace("Sales cycle redesign", "Sales cycle, redesigned"),
    )
    .unwrap();
    eventually(&server, "/acme/index.html", |page| {
        page.contains("Sales cycle, redesigned")
    });
    let (_, newer) = get(&server, "/__commonthread/version");
    assert_ne!(version, newer, "open pages are told to reload");

    // A broken edit shows the diagnostics instead of crashing.
    std::fs::write(&deal, DEAL.replace("status: prospect", "status: pending")).unwrap();
    let broken = eventually(&server, "/acme/deal/scorecard.html", |page| {
        page.contains("The records have errors")
    });
    assert!(
        broken.contains("invalid-value") && broken.contains("acme/deal.md:3:9"),
        "{broken}"
    );
    // What stops the reports comes first: an error before the warnings,
    // even those of earlier lines.
    std::fs::write(
        &deal,
        DEAL.replace("qualification: { decision: accept }\n", "")
            .replace("due: 2026-12-01", "due: 2026-12-32"),
    )
    .unwrap();
    let broken = eventually(&server, "/acme/deal/scorecard.html", |page| {
        page.contains("2026-12-32")
    });
    let first_error = broken.find("error[").expect("the error");
    let first_warning = broken.find("warning[").expect("a warning too");
    assert!(first_error < first_warning, "{broken}");

    // Fixing it brings the report back.
    std::fs::write(&deal, DEAL.replace("Sales cycle redesign", "Fixed again")).unwrap();
    eventually(&server, "/acme/deal/scorecard.html", |page| {
        page.contains("Fixed again") && !page.contains("The records have errors")
    });

    // A new engagement is picked up, with the portfolio.
    std::fs::write(
        dir.join("acme/second.md"),
        DEAL.replace("Sales cycle redesign", "Second engagement"),
    )
    .unwrap();
    eventually(&server, "/index.html", |page| {
        page.contains("Second engagement")
    });
    assert_eq!(
        get(&server, "/acme/second/scorecard.html").0,
        "HTTP/1.1 200 OK"
    );
}

#[test]
fn serve_shows_a_broken_template_in_the_open_pages_until_it_is_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("records");
    std::fs::create_dir_all(dir.join("acme")).unwrap();
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("commonthread.yaml"), "templates: templates\n").unwrap();
    std::fs::write(dir.join("acme/client.yaml"), CLIENT).unwrap();
    std::fs::write(dir.join("acme/deal.md"), DEAL).unwrap();
    let server = start(&dir, &tmp.path().join("public"));
    let (_, page) = get(&server, "/acme/deal/scorecard.html");
    assert!(page.contains("Sales cycle redesign"), "{page}");

    // A mistake in a template: every page says where it is.
    let scorecard = dir.join("templates/scorecard.html");
    std::fs::write(
        &scorecard,
        "{% extends \"base.html\" %}{% block content %}\n<p>{{ titel }}</p>{% endblock content %}",
    )
    .unwrap();
    let broken = eventually(&server, "/acme/deal/scorecard.html", |page| {
        page.contains("The reports cannot be built")
    });
    assert!(
        broken.contains("`titel` is not defined") && broken.contains("scorecard.html:2:7"),
        "{broken}"
    );

    // Fixed, the page is the template's.
    std::fs::write(
        &scorecard,
        "{% extends \"base.html\" %}{% block content %}\n<p>Custom: {{ title }}</p>{% endblock content %}",
    )
    .unwrap();
    eventually(&server, "/acme/deal/scorecard.html", |page| {
        page.contains("Custom: Sales cycle redesign")
    });
}

#[test]
fn serve_refuses_a_foreign_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    let output = Command::new(assert_cmd::cargo::cargo_bin!("commonthread"))
        .args(["serve", "--out"])
        .arg(&out)
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(out.join("keep.txt")).unwrap(), "x");
}

/// Waits until `done` holds of the file system (the watcher takes a moment).
fn eventually_on_disk(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_leaves_no_page_of_a_deleted_or_moved_record_and_follows_folder_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("records");
    let out = tmp.path().join("public");
    for client in ["acme", "globex"] {
        std::fs::create_dir_all(dir.join(client)).unwrap();
        std::fs::write(dir.join(client).join("client.yaml"), CLIENT).unwrap();
    }
    std::fs::write(dir.join("acme/deal.md"), DEAL).unwrap();
    std::fs::write(dir.join("acme/second.md"), DEAL.replace("Sales", "Second")).unwrap();
    std::fs::write(dir.join("globex/deal.md"), DEAL).unwrap();
    let server = start(&dir, &out);
    assert_eq!(
        get(&server, "/acme/second/scorecard.html").0,
        "HTTP/1.1 200 OK"
    );

    // A folder's address without its slash is sent to the folder.
    let (status, _) = get(&server, "/acme");
    assert_eq!(status, "HTTP/1.1 301 Moved Permanently");

    // A deleted engagement's pages go, as a build would not write them.
    std::fs::remove_file(dir.join("acme/second.md")).unwrap();
    eventually_on_disk("removing acme/second", || !out.join("acme/second").exists());
    assert_eq!(
        get(&server, "/acme/second/scorecard.html").0,
        "HTTP/1.1 404 Not Found"
    );
    assert!(out.join("acme/deal/scorecard.html").is_file());

    // A client folder renamed (a move): the new name's pages, not the old.
    std::fs::rename(dir.join("globex"), dir.join("globex-corp")).unwrap();
    eventually_on_disk("the renamed client's pages", || {
        out.join("globex-corp/index.html").is_file() && !out.join("globex").exists()
    });

    // With an error in the records, a folder's address shows it too.
    std::fs::write(
        dir.join("acme/deal.md"),
        DEAL.replace("status: prospect", "status: pending"),
    )
    .unwrap();
    let page = eventually(&server, "/acme/", |page| {
        page.contains("The records have errors")
    });
    assert!(page.contains("/__commonthread/reload.js"), "{page}");
}
