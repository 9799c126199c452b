//! `serve`: build, serve OUT on 127.0.0.1, watch the records and the
//! templates, rebuild only what a change touches, and reload the open page.
//!
//! A saved engagement rebuilds its client alone (its report, scorecards and
//! reviews), then the portfolio and engagements.json from every client's
//! kept summary. Adding, removing or renaming a record, or changing the
//! settings or a template, rebuilds everything; moving or renaming a folder
//! does too. Each rebuilt client's folder in OUT keeps only what was just
//! written, and a full rebuild removes the folders of clients that are
//! gone, so OUT holds what `build` would write (and `audit/`). While the
//! records have errors, every page shows them instead, and the terminal
//! prints them.
//!
//! The pages on disk stay script-free; only what the server sends gets a
//! small script that waits for the next rebuild and reloads.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::diagnostics::{self, Diagnostic, Format, Severity};
use crate::output::{self, InPlace, Sink};
use crate::pages::{self, Audience, ClientSummary};
use crate::render::Renderer;
use crate::validate::{self, Options, Repository};

pub struct ServeOptions {
    pub validate: Options,
    pub out: PathBuf,
    pub templates: Option<PathBuf>,
    pub port: u16,
    pub quiet: bool,
}

/// What the HTTP side shares with the rebuilding side.
struct Shared {
    out: PathBuf,
    /// Bumped after every rebuild; open pages wait for it to change.
    version: Mutex<u64>,
    changed: Condvar,
    /// While the records have errors: the page shown instead of any report.
    error_page: Mutex<Option<String>>,
}

/// The rebuilding side's memory of every client, so one client can be
/// rebuilt alone.
struct Site {
    options: ServeOptions,
    repo: Repository,
    renderer: Renderer,
    summaries: Vec<Option<ClientSummary>>,
    client_diagnostics: Vec<Vec<Diagnostic>>,
    orphan_diagnostics: Vec<Diagnostic>,
    /// Records folder-relative file → client index.
    client_of: HashMap<String, usize>,
    /// The templates folder in use (`--templates`, or commonthread.yaml's).
    templates: Option<PathBuf>,
}

/// `--templates`, else the folder commonthread.yaml names.
fn templates_of(options: &ServeOptions, repo: &Repository) -> Option<PathBuf> {
    options.templates.clone().or_else(|| {
        repo.config
            .templates
            .as_ref()
            .map(|t| options.validate.root.join(t.as_str()))
    })
}

/// Runs until the process is stopped. Returns only when it cannot start.
pub fn run(options: ServeOptions) -> Result<(), String> {
    output::check_target(&options.out, &options.validate.root)?;
    {
        // Not while a build is assembling there.
        let _lock = output::lock_out(&options.out);
        for folder in output::remove_leftovers_beside(&options.out) {
            eprintln!(
                "warning: a previous output left beside OUT at `{}` could not be removed; remove it by hand",
                folder.display()
            );
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        out: absolute(&options.out),
        version: Mutex::new(0),
        changed: Condvar::new(),
        error_page: Mutex::new(None),
    });
    let quiet = options.quiet;
    let mut site = Site::open(options)?;

    // Watch before the first build, so nothing saved meanwhile is missed.
    let (sender, events) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(sender)
        .map_err(|e| format!("cannot watch for changes: {e}"))?;
    use notify::Watcher as _;
    let root = site.options.validate.root.clone();
    watcher
        .watch(&root, notify::RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch `{}`: {e}", root.display()))?;
    // Templates inside the records folder are watched with it.
    if let Some(templates) = site
        .templates
        .clone()
        .filter(|t| !absolute(t).starts_with(absolute(&root)))
    {
        watcher
            .watch(&templates, notify::RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch `{}`: {e}", templates.display()))?;
    }

    let started = Instant::now();
    site.rebuild_all()?;
    site.publish(&shared, started, "built everything");
    let http = Arc::clone(&shared);
    std::thread::spawn(move || serve_http(&listener, &http));
    let mut terminal = std::io::stdout().lock();
    let _ = writeln!(
        terminal,
        "serving http://{address}/ from {} (Ctrl-C to stop)",
        shared.out.display()
    );
    let _ = terminal.flush();
    drop(terminal);

    while let Ok(first) = events.recv() {
        let received = Instant::now();
        let mut batch = vec![first];
        // Editors save in several steps; take them as one change.
        while let Ok(more) = events.recv_timeout(Duration::from_millis(25)) {
            batch.push(more);
        }
        let change = site.classify(batch.into_iter().filter_map(Result::ok));
        let done = match change {
            Change::Nothing => continue,
            Change::Clients(clients) => site
                .rebuild_clients(&clients)
                .map(|()| format!("rebuilt {}", plural(clients.len(), "client"))),
            Change::Everything => site
                .reopen()
                .and_then(|()| site.rebuild_all())
                .map(|()| "rebuilt everything".to_owned()),
        };
        match done {
            Ok(what) => site.publish(&shared, received, &what),
            Err(message) => {
                if !quiet {
                    eprintln!("error: {message}");
                }
                // A template with a mistake, say: the open pages show it
                // until it is fixed, as they do errors in the records.
                shared.show(Some(error_page(
                    "The reports cannot be built",
                    "Fix what it says and save: this page turns back into the report by itself.",
                    &message,
                )));
            }
        }
    }
    Ok(())
}

/// A sink that remembers what it wrote, so what it did not can go.
struct Recording {
    into: InPlace,
    written: Mutex<BTreeSet<PathBuf>>,
}

impl Sink for Recording {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        self.into.write(path, bytes)?;
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(self.into.0.join(path));
        Ok(())
    }
}

/// Removes every file under `folder` that is not in `written`, then the
/// folders left empty.
fn prune(out: &Path, folder: &Path, written: &BTreeSet<PathBuf>) {
    let mut folders = Vec::new();
    for entry in walkdir::WalkDir::new(folder)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        let path = entry.path();
        if entry.file_type().is_dir() {
            folders.push(path.to_path_buf());
        } else if !written.contains(path) && path.starts_with(out) {
            let _ = std::fs::remove_file(path);
        }
    }
    // Deepest first; a folder that still holds something stays.
    for dir in folders.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
}

/// Removes a file, or a folder and all it holds, never following a link.
fn remove_stale(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// One client after a rebuild: its index, its diagnostics, its pages' summary.
type Rebuilt = (
    usize,
    Vec<Diagnostic>,
    Result<Option<ClientSummary>, String>,
);

/// What a batch of file events asks for.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Nothing,
    Clients(BTreeSet<usize>),
    Everything,
}

impl Site {
    fn open(options: ServeOptions) -> Result<Site, String> {
        let repo = validate::open(&options.validate).map_err(|f| f.to_string())?;
        let templates = templates_of(&options, &repo);
        let renderer = Renderer::new(templates.as_deref())?;
        // Even with --quiet, as for build: the pages are not what was meant.
        crate::warn_of_unused_templates(&renderer);
        let mut site = Site {
            options,
            repo,
            renderer,
            templates,
            summaries: Vec::new(),
            client_diagnostics: Vec::new(),
            orphan_diagnostics: Vec::new(),
            client_of: HashMap::new(),
        };
        site.index_files();
        Ok(site)
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.repo = validate::open(&self.options.validate).map_err(|f| f.to_string())?;
        self.templates = templates_of(&self.options, &self.repo);
        self.renderer = Renderer::new(self.templates.as_deref())?;
        crate::warn_of_unused_templates(&self.renderer);
        self.index_files();
        Ok(())
    }

    fn index_files(&mut self) {
        let inventory = &self.repo.inventory;
        self.client_of = inventory
            .engagements
            .iter()
            .filter_map(|e| Some((e.file.clone(), e.client?)))
            .chain(
                inventory
                    .clients
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.client_file(), i)),
            )
            .collect();
        self.summaries = (0..inventory.clients.len()).map(|_| None).collect();
        self.client_diagnostics = vec![Vec::new(); inventory.clients.len()];
    }

    fn settings(&self) -> pages::Settings<'static> {
        pages::Settings {
            as_of: self.repo.as_of,
            audience: Audience::Internal,
            commit: None,
            since: None,
            stamp: None,
        }
    }

    /// Sorts a batch of file events into what must be rebuilt.
    fn classify(&self, events: impl Iterator<Item = notify::Event>) -> Change {
        use notify::EventKind;
        let root = absolute(&self.options.validate.root);
        let root = root.canonicalize().unwrap_or(root);
        let out = absolute(&self.options.out);
        let out = out.canonicalize().unwrap_or(out);
        let templates = self
            .templates
            .as_ref()
            .map(|t| absolute(t).canonicalize().unwrap_or_else(|_| absolute(t)));
        let mut clients = BTreeSet::new();
        for event in events {
            if matches!(event.kind, EventKind::Access(_)) {
                continue;
            }
            for path in &event.paths {
                if path.starts_with(&out) {
                    continue;
                }
                if templates.as_ref().is_some_and(|t| path.starts_with(t)) {
                    return Change::Everything;
                }
                let Ok(relative) = path.strip_prefix(&root) else {
                    continue;
                };
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.iter().any(|p| p.starts_with('.')) {
                    continue;
                }
                let file = parts.join("/");
                let name = parts.last().map(String::as_str).unwrap_or_default();
                if file == crate::discover::CONFIG_FILE {
                    return Change::Everything;
                }
                let relevant = name.ends_with(".md") || name == crate::discover::CLIENT_FILE;
                if !relevant {
                    // A folder appearing, going or renamed may hold records
                    // (a move shows as a rename, not as a create or remove).
                    if matches!(
                        event.kind,
                        EventKind::Remove(_)
                            | EventKind::Create(notify::event::CreateKind::Folder)
                            | EventKind::Modify(notify::event::ModifyKind::Name(_))
                    ) {
                        return Change::Everything;
                    }
                    continue;
                }
                let modified_in_place = matches!(
                    event.kind,
                    EventKind::Modify(
                        notify::event::ModifyKind::Data(_)
                            | notify::event::ModifyKind::Any
                            | notify::event::ModifyKind::Metadata(_)
                    )
                );
                match self.client_of.get(&file) {
                    Some(&client) if modified_in_place || path.exists() => {
                        clients.insert(client);
                    }
                    // New, removed or renamed records change the inventory.
                    _ => return Change::Everything,
                }
            }
        }
        if clients.is_empty() {
            Change::Nothing
        } else {
            Change::Clients(clients)
        }
    }

    /// Every client, then the pages that span them; then whatever OUT
    /// holds for a client that is gone, as a build would not have it.
    fn rebuild_all(&mut self) -> Result<(), String> {
        let _lock = output::lock_out(&self.options.out);
        let all: BTreeSet<usize> = (0..self.repo.inventory.clients.len()).collect();
        self.orphan_diagnostics = self.repo.check_orphans();
        self.rebuild_clients_locked(&all, None)?;
        let out = absolute(&self.options.out);
        let kept: BTreeSet<&str> = self
            .repo
            .inventory
            .clients
            .iter()
            .map(|c| c.slug.as_str())
            .chain(["audit", "index.html", "engagements.json"])
            .collect();
        let Ok(entries) = std::fs::read_dir(&out) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Only folders: the top of OUT holds no other file of ours,
            // so a file there (a `CNAME`) is the user's.
            let folder = entry.file_type().is_ok_and(|t| t.is_dir());
            if folder && !name.starts_with('.') && !kept.contains(name.as_str()) {
                remove_stale(&entry.path());
            }
        }
        Ok(())
    }

    /// Reloads and re-renders `clients`, then the portfolio and engagements.json.
    fn rebuild_clients(&mut self, clients: &BTreeSet<usize>) -> Result<(), String> {
        self.rebuild_clients_locked(clients, output::lock_out(&self.options.out))
    }

    /// `rebuild_clients` under the lock on OUT's folder (or none when
    /// `rebuild_all` holds it already: a second `flock` from the same
    /// process on another descriptor would wait for itself).
    fn rebuild_clients_locked(
        &mut self,
        clients: &BTreeSet<usize>,
        _lock: Option<std::fs::File>,
    ) -> Result<(), String> {
        let out = absolute(&self.options.out);
        std::fs::create_dir_all(&out)
            .map_err(|e| format!("cannot create `{}`: {e}", out.display()))?;
        output::mark_as_ours(&out)?;
        let sink = Recording {
            into: InPlace(out.clone()),
            written: Mutex::new(BTreeSet::new()),
        };
        let settings = self.settings();
        let repo = &self.repo;
        let renderer = &self.renderer;
        let results: Vec<Rebuilt> = clients
            .par_iter()
            .map(|&index| {
                let unit = repo.load_client(index);
                let rendered = if unit.has_errors() {
                    Ok(None)
                } else {
                    pages::render_client(repo, &unit, renderer, &settings, &sink).map(Some)
                };
                (index, unit.diagnostics, rendered)
            })
            .collect();
        let written = std::mem::take(&mut *sink.written.lock().unwrap_or_else(|p| p.into_inner()));
        for (index, diagnostics, rendered) in results {
            self.client_diagnostics[index] = diagnostics;
            self.summaries[index] = rendered?;
            // A client rendered anew holds only what it wrote: an engagement
            // deleted or renamed leaves no page behind to be served or shipped.
            if self.summaries[index].is_some() {
                let slug = &self.repo.inventory.clients[index].slug;
                prune(&out, &out.join(slug), &written);
            }
        }
        if self.has_errors() {
            return Ok(());
        }
        let summaries: Vec<&ClientSummary> = self.summaries.iter().flatten().collect();
        pages::render_portfolio(
            &self.repo,
            &settings,
            summaries.iter().copied(),
            &self.renderer,
            &sink,
        )?;
        let mut order: Vec<&ClientSummary> = summaries;
        order.sort_by(|a, b| a.slug.cmp(&b.slug));
        let mut json = Vec::new();
        let practice = self.repo.config.practice.as_ref().map(|p| p.as_str());
        pages::write_engagements_json(
            &mut json,
            practice,
            self.repo.as_of,
            self.repo.provenance.as_ref(),
            &self.repo.only_clients,
            order
                .into_iter()
                .map(|s| Ok(s.json_part.as_bytes().to_vec())),
        )?;
        sink.write("engagements.json", &json)
    }

    fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self.repo.diagnostics.clone();
        all.extend(self.orphan_diagnostics.iter().cloned());
        all.extend(self.client_diagnostics.iter().flatten().cloned());
        validate::sort(&mut all);
        all
    }

    fn has_errors(&self) -> bool {
        self.repo
            .diagnostics
            .iter()
            .chain(&self.orphan_diagnostics)
            .chain(self.client_diagnostics.iter().flatten())
            .any(|d| d.severity == Severity::Error)
    }

    /// Tells the terminal and the open pages what the rebuild found.
    fn publish(&self, shared: &Shared, since: Instant, what: &str) {
        let diagnostics = self.diagnostics();
        let summary = self.repo.summary(&diagnostics);
        let text = diagnostics::report(Format::Human, &diagnostics, &summary, false);
        let errors = self.has_errors();
        if !self.options.quiet {
            let mut terminal = std::io::stdout().lock();
            if !diagnostics.is_empty() {
                let _ = terminal.write_all(text.as_bytes());
            }
            let outcome = if errors {
                "the reports show the errors until they are fixed"
            } else {
                "pages up to date"
            };
            let _ = writeln!(
                terminal,
                "{what} in {} ms: {outcome}",
                since.elapsed().as_millis()
            );
            let _ = terminal.flush();
        }
        shared.show(errors.then(|| {
            // What stops the reports first: the errors, then the warnings,
            // each in file order.
            let mut errors_first = diagnostics.clone();
            errors_first.sort_by_key(|d| d.severity != Severity::Error);
            error_page(
                "The records have errors",
                "Fix them and save: this page turns back into the report by itself.",
                &diagnostics::report(Format::Human, &errors_first, &summary, false),
            )
        }));
    }
}

impl Shared {
    /// Shows `page` instead of every report (None: the reports again), and
    /// tells the open pages to reload.
    fn show(&self, page: Option<String>) {
        *self.error_page.lock().unwrap_or_else(|p| p.into_inner()) = page;
        let mut version = self.version.lock().unwrap_or_else(|p| p.into_inner());
        *version += 1;
        self.changed.notify_all();
    }
}

/// The page shown instead of the reports while they cannot be shown.
fn error_page(title: &str, lead: &str, report: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>{title}</title>\n<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2430}}h1{{color:#a3241c}}pre{{white-space:pre-wrap;background:#f5f7fa;padding:1rem;border-radius:8px;font-size:14px}}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>{lead}</p>\n<pre>{}</pre>\n</body>\n</html>\n",
        crate::charts::escape(report)
    )
}

const RELOAD_JS: &str = "(function(){var seen=null;function wait(){fetch('/__commonthread/version'+(seen===null?'':'?since='+seen),{cache:'no-store'}).then(function(r){return r.text()}).then(function(v){if(seen!==null&&v!==seen){location.reload();return}seen=v;wait()}).catch(function(){setTimeout(wait,1000)})}wait()})();\n";

fn serve_http(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(shared);
        std::thread::spawn(move || {
            let _ = handle(stream, &shared);
        });
    }
}

fn handle(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new((&stream).take(16 * 1024));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("/"),
    );
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            method,
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            b"only GET and HEAD\n",
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/__commonthread/reload.js" => respond(
            &mut stream,
            method,
            "200 OK",
            "text/javascript; charset=utf-8",
            RELOAD_JS.as_bytes(),
        ),
        "/__commonthread/version" => {
            let since: Option<u64> = query.strip_prefix("since=").and_then(|v| v.parse().ok());
            let version = wait_for_change(shared, since);
            respond(
                &mut stream,
                method,
                "200 OK",
                "text/plain; charset=utf-8",
                version.to_string().as_bytes(),
            )
        }
        _ => serve_file(&mut stream, method, path, shared),
    }
}

/// Waits (up to 25 s) until the version differs from `since`.
fn wait_for_change(shared: &Shared, since: Option<u64>) -> u64 {
    let version = shared.version.lock().unwrap_or_else(|p| p.into_inner());
    let Some(since) = since else { return *version };
    let (version, _) = shared
        .changed
        .wait_timeout_while(version, Duration::from_secs(25), |v| *v == since)
        .unwrap_or_else(|p| p.into_inner());
    *version
}

fn serve_file(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    shared: &Shared,
) -> std::io::Result<()> {
    let Some(relative) = safe_relative_path(path) else {
        return respond(
            stream,
            method,
            "400 Bad Request",
            "text/plain; charset=utf-8",
            b"bad path\n",
        );
    };
    let mut file = shared.out.join(&relative);
    // `/acme` is the folder `/acme/`: the page's relative links need the slash.
    if file.is_dir() && !path.ends_with('/') {
        return redirect(stream, &format!("{path}/"));
    }
    if file.is_dir() || path.ends_with('/') {
        file = file.join("index.html");
    }
    // A folder's address is a page too, also while its pages are not
    // written because the records have errors.
    let is_html = file.extension().is_some_and(|e| e == "html") || file.extension().is_none();
    if is_html {
        let error_page = shared
            .error_page
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(page) = error_page {
            return respond(
                stream,
                method,
                "200 OK",
                "text/html; charset=utf-8",
                with_reload(&page).as_bytes(),
            );
        }
    }
    match std::fs::read(&file) {
        Ok(bytes) if is_html => {
            let page = String::from_utf8_lossy(&bytes);
            respond(
                stream,
                method,
                "200 OK",
                "text/html; charset=utf-8",
                with_reload(&page).as_bytes(),
            )
        }
        Ok(bytes) => respond(stream, method, "200 OK", content_type(&file), &bytes),
        Err(_) => respond(
            stream,
            method,
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"not found\n",
        ),
    }
}

/// The page as the server sends it: allowed to load the reload script.
fn with_reload(page: &str) -> String {
    let page = page.replacen(
        "default-src 'none';",
        "default-src 'none'; script-src 'self'; connect-src 'self';",
        1,
    );
    let script = "<script src=\"/__commonthread/reload.js\"></script>\n";
    match page.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &page[..at], &page[at..]),
        None => format!("{page}{script}"),
    }
}

/// A URL path as a path under OUT, or `None` when it would leave OUT.
fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    let mut relative = PathBuf::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part if part.contains('\\') || part.contains('\0') || part.starts_with('.') => {
                return None;
            }
            part => relative.push(part),
        }
    }
    Some(relative)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn redirect(stream: &mut TcpStream, location: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()
}

fn respond(
    stream: &mut TcpStream,
    method: &str,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_out() {
        assert_eq!(
            safe_relative_path("/acme/index.html"),
            Some(PathBuf::from("acme/index.html"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        assert_eq!(
            safe_relative_path("/a%20b/x.html"),
            Some(PathBuf::from("a b/x.html"))
        );
        for bad in [
            "/../etc/passwd",
            "/acme/%2e%2e/%2e%2e/x",
            "/.commonthread-output",
            "/a\\b",
            "/%zz",
            "/a%00b",
        ] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn served_pages_may_load_only_the_reload_script() {
        let page = "<head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"></head><body><p>x</p></body>";
        let served = with_reload(page);
        assert!(served.contains(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'"
        ));
        assert!(served.ends_with("<script src=\"/__commonthread/reload.js\"></script>\n</body>"));
    }
}
