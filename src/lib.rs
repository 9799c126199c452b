//! commonthread: validate client engagement records and render the reports a
//! consultancy sends its clients.
//!
//! Data flows one way: discover → read → split → deserialize → validate
//! (every diagnostic collected) → figures → view models → render → write.
//! `check` stops after validate.

pub mod audit;
pub mod charts;
pub mod cli;
pub mod css;
pub mod diagnostics;
pub mod discover;
pub mod figures;
pub mod front_matter;
pub mod history;
pub mod load;
pub mod markdown;
pub mod model;
pub mod output;
pub mod pages;
pub mod render;
pub mod reuse;
pub mod rules;
pub mod scaffold;
pub mod schema;
pub mod serve;
pub mod structure;
pub mod suggest;
pub mod validate;
pub mod view;
pub mod yaml;

use std::io::{IsTerminal, Write};

use output::Sink;
use rayon::prelude::*;

use cli::{
    AuditArgs, BuildArgs, CheckArgs, Cli, Command, CommonArgs, ExplainArgs, InitArgs,
    NewClientArgs, NewCommand, NewEngagementArgs, SchemaArgs, SchemaKind, ServeArgs,
};
use diagnostics::{Format, Severity};
use model::Date;

/// Exit codes (FORMAT.md): clean, records have problems, could not run.
pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_CANNOT_RUN: u8 = 2;

/// Runs one command and returns its exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Build(args) => build(&args),
        Command::Audit(args) => audit(&args),
        Command::Serve(args) => serve(&args),
        Command::Init(args) => init(&args),
        Command::New(NewCommand::Client(args)) => new_client(&args),
        Command::New(NewCommand::Engagement(args)) => new_engagement(&args),
        Command::Schema(args) => schema(&args),
        Command::Explain(args) => explain(&args),
    }
}

fn check(args: &CheckArgs) -> u8 {
    let common = &args.common;
    let repo = match open_repository(common, &args.dir, Vec::new(), args.since.clone(), false) {
        Ok(repo) => repo,
        Err(code) => return code,
    };
    // A broken template is found now rather than at the next build.
    let own_templates = common.templates.is_some() || repo.config.templates.is_some();
    let renderer = if own_templates {
        match renderer(common, &repo, &args.dir) {
            Ok(renderer) => Some(renderer),
            Err(message) => return cannot_run(&message),
        }
    } else {
        None
    };
    let started = std::time::Instant::now();
    let bar = progress(
        common,
        repo.inventory.clients.len(),
        repo.inventory.engagements.len(),
        "checking",
    );
    let diagnostics = validate::check_all(&repo, &|| bar.inc(1));
    bar.finish_and_clear();
    let summary = repo.summary(&diagnostics);
    if common.verbose {
        say(&format!(
            "read and checked {} in {} ms",
            plural(summary.files, "file", "files"),
            started.elapsed().as_millis()
        ));
    }
    if let Err(code) = print_diagnostics(common, &diagnostics, &summary) {
        return code;
    }
    if let Some(renderer) = renderer
        && summary.errors == 0
        && let Err(message) = try_templates(&repo, &renderer)
    {
        return cannot_run(&format!("cannot render the reports: {message}"));
    }
    exit_code(common, &diagnostics)
}

/// Renders one client's pages (the first with an engagement) and a
/// portfolio of it, into nothing: a template's mistake that shows only when
/// a page is rendered (a field that does not exist) is found by `check`,
/// not at the next build.
fn try_templates(repo: &validate::Repository, renderer: &render::Renderer) -> Result<(), String> {
    let settings = pages::Settings {
        as_of: repo.as_of,
        audience: pages::Audience::Internal,
        commit: None,
        since: None,
        stamp: None,
    };
    let inventory = &repo.inventory;
    let client = inventory.engagements.iter().find_map(|e| e.client);
    let summaries = match client.or((!inventory.clients.is_empty()).then_some(0)) {
        Some(index) => {
            let unit = repo.load_client(index);
            vec![pages::render_client(
                repo,
                &unit,
                renderer,
                &settings,
                &output::Discard,
            )?]
        }
        None => Vec::new(),
    };
    pages::render_portfolio(
        repo,
        &settings,
        summaries.iter(),
        renderer,
        &output::Discard,
    )
}

/// The shared start of every command that reads records: the as-of date,
/// the worker threads, and what spans the repository.
fn open_repository(
    common: &CommonArgs,
    dir: &std::path::Path,
    skip: Vec<std::path::PathBuf>,
    since: Option<String>,
    provenance: bool,
) -> Result<validate::Repository, u8> {
    let as_of = as_of(common.as_of).map_err(|message| cannot_run(&message))?;
    if let Some(jobs) = common.jobs {
        // Only fails when a pool already exists, which cannot happen here.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global();
    }
    let options = validate::Options {
        root: dir.to_path_buf(),
        as_of,
        clients: common.clients.clone(),
        skip,
        since,
        provenance,
    };
    let repo = validate::open(&options).map_err(|fatal| cannot_run(&fatal.to_string()))?;
    if !common.quiet {
        if repo.inventory.clients.is_empty() && repo.inventory.engagements.is_empty() {
            say(&format!(
                "note: no records in `{}`: a client is a folder holding `client.yaml`, its engagements the `.md` files below it",
                dir.display()
            ));
        }
        for unread in &repo.inventory.not_read {
            say(&format!(
                "note: `{}` is {} and was not read (symbolic links are not followed; records are regular files)",
                unread.file, unread.what
            ));
        }
        for file in &repo.inventory.near_markdown_files {
            say(&format!(
                "note: `{file}` was not read: an engagement file's name ends in `.md`; rename it `{}` if it is one",
                discover::markdown_name_for(file)
            ));
        }
    }
    if common.verbose {
        say(&format!(
            "found {} and {} as of {as_of}; {}",
            plural(repo.inventory.clients.len(), "client", "clients"),
            plural(
                repo.inventory.engagements.len(),
                "engagement",
                "engagements"
            ),
            plural(
                rayon::current_num_threads(),
                "worker thread",
                "worker threads"
            )
        ));
    }
    Ok(repo)
}

/// A progress bar over clients for long runs: only on a terminal, never in
/// CI or with `--quiet`, and only when there is enough to wait for.
fn progress(
    common: &CommonArgs,
    clients: usize,
    engagements: usize,
    verb: &str,
) -> indicatif::ProgressBar {
    let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if common.quiet || !interactive || engagements < 500 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(clients as u64);
    let style =
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} clients, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(verb.to_owned());
    bar
}

/// The templates: `--templates`, else commonthread.yaml's `templates:`,
/// over the built-in ones.
fn renderer(
    common: &CommonArgs,
    repo: &validate::Repository,
    dir: &std::path::Path,
) -> Result<render::Renderer, String> {
    let templates = common
        .templates
        .clone()
        .or_else(|| repo.config.templates.as_ref().map(|t| dir.join(t.as_str())));
    let renderer = render::Renderer::new(templates.as_deref())?;
    // Even with --quiet: a misspelt name silently changes the pages.
    warn_of_unused_templates(&renderer);
    Ok(renderer)
}

/// A file in the templates folder that replaces nothing is most likely a
/// misspelt name: say so, since the built-in template is used instead.
/// Then what in the templates used would break a page's promises.
fn warn_of_unused_templates(renderer: &render::Renderer) {
    for unused in renderer.unused_templates() {
        let hint = match unused.meant {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!(
                "the files a templates folder can replace are {}",
                render::BUILT_IN
                    .iter()
                    .map(|(name, _)| *name)
                    .chain(["style.css"])
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        say(&format!(
            "warning: `{}` replaces no built-in template and is not used: {hint}",
            unused.path.display()
        ));
    }
    // And what in the files that are used breaks a page's promises.
    for risk in renderer.template_risks() {
        say(risk);
    }
}

/// Previous outputs that stay beside OUT, hidden by their dot, holding a
/// whole set of pages: the user should know, even with `--quiet`.
fn warn_of_left_behind(folders: &[std::path::PathBuf]) {
    for folder in folders {
        say(&format!(
            "warning: a previous output moved aside to `{}` could not be removed (a read-only folder inside, or files in use?); remove it by hand, as it holds a whole set of pages",
            folder.display()
        ));
    }
}

fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn build(args: &BuildArgs) -> u8 {
    use std::sync::atomic::{AtomicBool, Ordering};
    let common = &args.common;
    // Refuse a bad OUT before any work, so nothing is read or written in vain.
    if let Err(message) = output::check_target(&args.out, &args.dir) {
        return cannot_run(&message);
    }
    let repo = match open_repository(
        common,
        &args.dir,
        vec![args.out.clone()],
        args.since.clone(),
        true,
    ) {
        Ok(repo) => repo,
        Err(code) => return code,
    };
    let renderer = match renderer(common, &repo, &args.dir) {
        Ok(renderer) => renderer,
        Err(message) => return cannot_run(&message),
    };
    let staging = match output::Staging::create(&args.out) {
        Ok(staging) => staging,
        Err(message) => return cannot_run(&message),
    };
    let mut settings = pages::Settings {
        as_of: repo.as_of,
        audience: args.audience,
        commit: repo.provenance.as_ref(),
        since: repo.since.as_ref().map(|since| view::SinceLabel {
            rev: since.rev.clone(),
            date: since.date,
        }),
        stamp: None,
    };
    let started = std::time::Instant::now();
    // Each client is loaded, checked, rendered into the staging folder and
    // dropped. Once any error is seen the build will be refused, so later
    // clients are only checked.
    let errors_seen = AtomicBool::new(has_errors(&repo.diagnostics));
    let bar = progress(
        common,
        repo.inventory.clients.len(),
        repo.inventory.engagements.len(),
        "building",
    );
    // Pages of clients whose inputs did not change since the last build
    // into OUT are linked from it rather than rendered (see `reuse`).
    let build_inputs = build_inputs(&repo, &renderer, &settings);
    // Client pages name the commit where the built-in templates print it,
    // so that a build at another commit can restamp them (see `reuse::Stamp`).
    if build_inputs.is_some() && renderer.built_in_templates() {
        settings.stamp = settings.commit.map(|c| reuse::Stamp::new(c.short()));
    }
    let settings = settings;
    let previous = staging
        .previous_output()
        .zip(build_inputs)
        .and_then(|(previous, inputs)| Some((previous, reuse::Manifest::read(previous, inputs)?)));
    // Restamping is all or nothing: the last build's commit is this one's or not.
    let restamped = match (&settings.stamp, previous.as_ref()) {
        (Some(stamp), Some((_, manifest))) => manifest
            .stamp
            .as_deref()
            .is_some_and(|old| old != stamp.commit()),
        _ => false,
    };
    let clients_reused = std::sync::atomic::AtomicUsize::new(0);
    let clients_unread = std::sync::atomic::AtomicUsize::new(0);
    let json_parts = match output::Spill::create(staging.scratch(JSON_PARTS)) {
        Ok(spill) => spill,
        Err(message) => return cannot_run(&message),
    };
    let checked_parts = match output::Spill::create(staging.scratch(CHECKED_PARTS)) {
        Ok(spill) => spill,
        Err(message) => return cannot_run(&message),
    };
    // The JSON part and the manifest's `checked` line wait on disk, not in
    // memory, for the other clients.
    let spill = |index: usize, mut summary: pages::ClientSummary| {
        let part = std::mem::take(&mut summary.json_part);
        if !part.is_empty() {
            json_parts.put(index, part.as_bytes())?;
        }
        let checked = std::mem::take(&mut summary.checked);
        if !checked.is_empty() {
            checked_parts.put(index, checked.as_bytes())?;
        }
        Ok(summary)
    };
    let outcomes: Vec<(
        Vec<diagnostics::Diagnostic>,
        Result<pages::ClientSummary, String>,
    )> = (0..repo.inventory.clients.len())
        .into_par_iter()
        .map(|index| {
            // A client whose files did not change is not read as records.
            if let Some(((old, manifest), inputs)) = previous.as_ref().zip(build_inputs)
                && let Some((found, summary)) = reuse_unread(
                    &repo,
                    index,
                    &staging,
                    old,
                    manifest,
                    inputs,
                    settings.stamp.as_ref(),
                )
            {
                clients_reused.fetch_add(1, Ordering::Relaxed);
                clients_unread.fetch_add(1, Ordering::Relaxed);
                bar.inc(1);
                return (found, spill(index, summary));
            }
            let unit = repo.load_client(index);
            if unit.has_errors() {
                errors_seen.store(true, Ordering::Relaxed);
            }
            let rendered = if errors_seen.load(Ordering::Relaxed) {
                Ok(pages::ClientSummary::default())
            } else {
                let (summary, linked) = client_pages(
                    &repo,
                    &unit,
                    &renderer,
                    &settings,
                    &staging,
                    build_inputs,
                    previous.as_ref(),
                );
                if linked {
                    clients_reused.fetch_add(1, Ordering::Relaxed);
                }
                summary.and_then(|summary| spill(index, summary))
            };
            bar.inc(1);
            (unit.diagnostics, rendered)
        })
        .collect();
    bar.finish_and_clear();
    let clients_done = started.elapsed();
    let mut diagnostics = repo.diagnostics.clone();
    diagnostics.extend(repo.check_orphans());
    let mut summaries = Vec::with_capacity(outcomes.len());
    let mut render_error = None;
    for (found, rendered) in outcomes {
        diagnostics.extend(found);
        match rendered {
            Ok(summary) => summaries.push(summary),
            Err(message) => render_error = render_error.or(Some(message)),
        }
    }
    validate::sort(&mut diagnostics);
    let summary = repo.summary(&diagnostics);
    if let Err(code) = print_diagnostics(common, &diagnostics, &summary) {
        return code;
    }
    if summary.errors > 0 {
        say(&format!(
            "error: not building the reports: the records have {} (see above); `{}` is unchanged",
            plural(summary.errors, "error", "errors"),
            args.out.display()
        ));
        return EXIT_PROBLEMS;
    }
    if let Some(message) = render_error {
        return cannot_run(&format!("cannot render the reports: {message}"));
    }
    let summaries_len = summaries.len();
    let mut pages_written: usize = summaries.iter().map(|s| s.pages).sum();
    if args.audience == pages::Audience::Internal {
        // engagements.json and the manifest on one core while the
        // portfolio renders on the others: neither needs the other.
        let (rows, links) = pages::take_portfolio_rows(&mut summaries);
        let (written, portfolio) = rayon::join(
            || {
                join_json_parts(&repo, &staging, json_parts).and_then(|json| {
                    write_manifest(
                        &staging,
                        build_inputs,
                        &settings,
                        &summaries,
                        checked_parts,
                        &json,
                    )
                })
            },
            || pages::render_portfolio_of(&repo, &settings, rows, links, &renderer, &staging),
        );
        if let Err(message) = written.and(portfolio) {
            return cannot_run(&format!("cannot render the reports: {message}"));
        }
        pages_written += 1;
    } else if let Err(message) = json_parts.discard().and_then(|()| checked_parts.discard()) {
        return cannot_run(&message);
    }
    // Quarterly audits written earlier stay: `build` does not remake them.
    // They are internal, so a build for the client leaves them out.
    let audits = match args.audience {
        pages::Audience::Internal => output::carry_over(&args.out, "audit"),
        pages::Audience::Client => Vec::new(),
    };
    for file in audits {
        if let Err(message) = staging.write(&file.path, &file.bytes) {
            return cannot_run(&message);
        }
    }
    let assembled = started.elapsed();
    let replaced = match staging.commit() {
        Ok(committed) => {
            warn_of_left_behind(&committed.left_behind);
            committed.replaced
        }
        Err(message) => return cannot_run(&message),
    };
    if common.verbose {
        say(&format!(
            "checked, rendered and wrote in {} ms ({} of {} unchanged since the last build: their pages were {}, not rendered; {} of them not even read, their files' bytes being the same)",
            started.elapsed().as_millis(),
            clients_reused.load(Ordering::Relaxed),
            plural(summaries_len, "client", "clients"),
            if restamped && clients_reused.into_inner() > 0 {
                "copied with the new commit in their footers"
            } else {
                "linked"
            },
            clients_unread.into_inner(),
        ));
        // Where the time went, for a build that seems slow.
        say(&format!(
            "clients {} ms, portfolio and engagements.json {} ms, {} {} ms",
            clients_done.as_millis(),
            (assembled - clients_done).as_millis(),
            if replaced {
                "swapping in the new output"
            } else {
                "seeing that OUT already held it (left as it was)"
            },
            (started.elapsed() - assembled).as_millis(),
        ));
    }
    if !common.quiet {
        let start = if args.audience == pages::Audience::Internal {
            "index.html"
        } else {
            "<client>/index.html"
        };
        say(&format!(
            "wrote {} to {}; open {}",
            plural(pages_written, "page", "pages"),
            args.out.display(),
            args.out.join(start).display()
        ));
    }
    exit_code(common, &diagnostics)
}

/// Everything every page depends on besides its client's own files: the
/// program, the templates, the configuration, the as-of date, the audience
/// and the commit (whether there is one, when the built-in templates print
/// it: pages at another commit are then restamped, see `reuse::Stamp`).
/// None (nothing reused, nothing recorded) with `--since`, whose sections
/// come from git history; for the client audience, whose OUT holds nothing
/// but client pages (the manifest names every client); or when the program
/// cannot be identified.
fn build_inputs(
    repo: &validate::Repository,
    renderer: &render::Renderer,
    settings: &pages::Settings<'_>,
) -> Option<u128> {
    if settings.since.is_some() || settings.audience != pages::Audience::Internal {
        return None;
    }
    let commit = match settings.commit {
        None => String::new(),
        Some(_) if renderer.built_in_templates() => "stamped".to_owned(),
        Some(c) => c.commit.clone(),
    };
    Some(
        reuse::Fingerprint::new()
            .number(reuse::program_identity()?)
            .number(renderer.sources_fingerprint())
            .number(repo.config_hash)
            .text(&settings.as_of.to_string())
            .text(&format!("{:?}", settings.audience))
            .text(&commit)
            .finish(),
    )
}

/// One client's pages: linked from the previous output when nothing they
/// are made of changed, rendered otherwise (then recorded for the next
/// build). Also says whether they were linked.
fn client_pages(
    repo: &validate::Repository,
    unit: &validate::ClientUnit,
    renderer: &render::Renderer,
    settings: &pages::Settings<'_>,
    staging: &output::Staging,
    build_inputs: Option<u128>,
    previous: Option<&(&std::path::Path, reuse::Manifest)>,
) -> (Result<pages::ClientSummary, String>, bool) {
    let inputs = build_inputs.and_then(|b| pages::client_inputs(b, repo, unit));
    if let (Some((old, manifest)), Some(inputs)) = (previous, inputs)
        && let Some(summary) = reuse_client(repo, unit, staging, old, manifest, inputs, settings)
    {
        return (summary, true);
    }
    let recording = reuse::Recording::new(staging, settings.stamp.as_ref());
    let rendered =
        pages::render_client(repo, unit, renderer, settings, &recording).map(|mut summary| {
            summary.reuse = inputs.map(|inputs| reuse::ClientPages {
                inputs,
                pages: recording.into_pages(),
            });
            summary
        });
    (
        rendered.map(|summary| keep_check(repo, unit, summary)),
        false,
    )
}

/// Puts what checking the client found in the summary's manifest entry,
/// when every engagement file became a record (then the next build can
/// tell from the files' bytes alone that nothing changed).
fn keep_check(
    repo: &validate::Repository,
    unit: &validate::ClientUnit,
    mut summary: pages::ClientSummary,
) -> pages::ClientSummary {
    let complete = unit.engagements.len() == repo.members[unit.index].len() && !unit.has_errors();
    if summary.reuse.is_some() && complete {
        summary.checked =
            reuse::Checked::line(&unit.diagnostics, &summary.rows, summary.link.as_ref())
                .unwrap_or_default();
    }
    summary
}

/// A client's diagnostics and summary from the previous build's manifest,
/// its pages linked from the previous output, when its files hold the bytes
/// they held then and its pages are intact; None means "read it".
fn reuse_unread(
    repo: &validate::Repository,
    index: usize,
    staging: &output::Staging,
    previous: &std::path::Path,
    manifest: &reuse::Manifest,
    build_inputs: u128,
    stamp: Option<&reuse::Stamp>,
) -> Option<(Vec<diagnostics::Diagnostic>, pages::ClientSummary)> {
    let slug = &repo.inventory.clients[index].slug;
    let inputs = pages::client_inputs_unread(build_inputs, repo, index)?;
    let recorded = manifest.recorded(slug, inputs)?;
    let line = manifest.checked(slug)?;
    let (found, checked) = reuse::Checked::parse(&line)?;
    let json_part = String::from_utf8(manifest.json_part(slug, previous)?).ok()?;
    let recorded = take_pages(staging, previous, manifest, recorded, stamp)?;
    // `Checked::parse` has put each row's sort key back in it.
    let rows = checked.rows.into_iter().map(|(row, _)| row).collect();
    Some((
        found,
        pages::ClientSummary {
            rows,
            link: checked.link,
            pages: recorded.pages.len(),
            json_part,
            checked: String::from_utf8(line).ok()?,
            slug: slug.clone(),
            reuse: Some(recorded),
        },
    ))
}

/// The recorded pages, taken from the previous output into the new one
/// when every one of them is intact: linked as they are, or, when the
/// commit they name is not this build's, copied with this one in its place.
/// None (and nothing left in the new output) when one cannot be taken.
fn take_pages(
    staging: &output::Staging,
    previous: &std::path::Path,
    manifest: &reuse::Manifest,
    recorded: &reuse::ClientPages,
    stamp: Option<&reuse::Stamp>,
) -> Option<reuse::ClientPages> {
    let restamp = match (stamp, &manifest.stamp) {
        (Some(stamp), Some(old)) if old != stamp.commit() => Some((stamp, old.as_str())),
        _ => None,
    };
    let Some((stamp, old)) = restamp else {
        let intact = recorded
            .pages
            .iter()
            .all(|page| manifest.intact(page, previous));
        return (intact && link_pages(staging, recorded)).then(|| recorded.clone());
    };
    let mut taken = reuse::ClientPages {
        inputs: recorded.inputs,
        pages: Vec::with_capacity(recorded.pages.len()),
    };
    for page in &recorded.pages {
        let restamped = page.stamp_at.and_then(|at| {
            let bytes = stamp.restamp(page.read_intact(previous)?, at, old)?;
            staging.write_new(&page.path, &bytes).ok()?;
            Some(reuse::Page {
                path: page.path.clone(),
                len: bytes.len() as u64,
                fingerprint: reuse::of(&bytes),
                stamp_at: Some(at),
            })
        });
        match restamped {
            Some(page) => taken.pages.push(page),
            None => {
                for page in &taken.pages {
                    staging.forget(&page.path);
                }
                return None;
            }
        }
    }
    Some(taken)
}

/// Links the recorded pages from the previous output into the new one;
/// false (and nothing linked) when one cannot be.
fn link_pages(staging: &output::Staging, recorded: &reuse::ClientPages) -> bool {
    for (done, page) in recorded.pages.iter().enumerate() {
        if staging.link_previous(&page.path).is_err() {
            // Unlinked again, never written through: the links share their
            // files with the previous output, which must stay as it is.
            for page in &recorded.pages[..done] {
                staging.forget(&page.path);
            }
            return false;
        }
    }
    true
}

/// Links a client's pages from the previous output when its inputs are
/// unchanged and the pages intact; None means "render it".
fn reuse_client(
    repo: &validate::Repository,
    unit: &validate::ClientUnit,
    staging: &output::Staging,
    previous: &std::path::Path,
    manifest: &reuse::Manifest,
    inputs: u128,
    settings: &pages::Settings<'_>,
) -> Option<Result<pages::ClientSummary, String>> {
    let slug = &repo.inventory.clients[unit.index].slug;
    let recorded = manifest.recorded(slug, inputs)?;
    // The manifest must name exactly the pages this build would write.
    let mut expected = pages::client_page_paths(repo, unit, settings.audience);
    let mut listed: Vec<String> = recorded.pages.iter().map(|p| p.path.clone()).collect();
    expected.sort_unstable();
    listed.sort_unstable();
    if expected != listed {
        return None;
    }
    let recorded = take_pages(
        staging,
        previous,
        manifest,
        recorded,
        settings.stamp.as_ref(),
    )?;
    Some(
        pages::summarize_client(repo, unit, settings, recorded.pages.len()).map(|mut summary| {
            summary.reuse = Some(recorded);
            keep_check(repo, unit, summary)
        }),
    )
}

/// Where each client's part of engagements.json waits during a build.
const JSON_PARTS: &str = ".engagements-json-parts";

/// Where each client's `checked` line waits during a build.
const CHECKED_PARTS: &str = ".commonthread-checked-parts";

/// The manifest for the next build (none when nothing is to be reused).
fn write_manifest(
    staging: &output::Staging,
    build_inputs: Option<u128>,
    settings: &pages::Settings<'_>,
    summaries: &[pages::ClientSummary],
    checked: output::Spill,
    json: &[Option<reuse::JsonPart>],
) -> Result<(), String> {
    let Some(inputs) = build_inputs else {
        return checked.discard();
    };
    let file = std::fs::File::create(staging.scratch(reuse::MANIFEST))
        .map_err(|e| format!("cannot write {}: {e}", reuse::MANIFEST))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut checked = checked.into_reader()?;
    // Summaries are in client order, one per client.
    let clients = summaries.iter().enumerate().filter_map(|(index, summary)| {
        let pages = summary.reuse.as_ref()?;
        Some(checked.get(index).map(|line| reuse::Record {
            slug: &summary.slug,
            pages,
            checked: line,
            json: json.get(index).copied().flatten(),
        }))
    });
    let stamp = settings.stamp.as_ref().map(reuse::Stamp::commit);
    reuse::Manifest::write(&mut writer, inputs, stamp, clients)?;
    std::io::Write::flush(&mut writer)
        .map_err(|e| format!("cannot write {}: {e}", reuse::MANIFEST))?;
    drop(writer);
    checked.finish()?;
    staging.adopt_own(reuse::MANIFEST)
}

/// engagements.json from the clients' parts, clients in slug order; says
/// where each client's part lies in it, by client.
fn join_json_parts(
    repo: &validate::Repository,
    staging: &output::Staging,
    parts: output::Spill,
) -> Result<Vec<Option<reuse::JsonPart>>, String> {
    let mut clients: Vec<(&str, usize)> = repo
        .inventory
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| (c.slug.as_str(), i))
        .collect();
    clients.sort_unstable();
    let file = std::fs::File::create(staging.scratch("engagements.json"))
        .map_err(|e| format!("cannot write engagements.json: {e}"))?;
    let mut writer = std::io::BufWriter::new(file);
    let practice = repo.config.practice.as_ref().map(|p| p.as_str());
    // A client whose client.yaml could not be read has no part (empty).
    let mut parts = parts.into_reader()?;
    let order: Vec<usize> = clients.iter().map(|&(_, index)| index).collect();
    let placed = pages::write_engagements_json(
        &mut writer,
        practice,
        repo.as_of,
        repo.provenance.as_ref(),
        &repo.only_clients,
        order.iter().map(|&index| parts.get(index)),
    )?;
    drop(writer);
    parts.finish()?;
    staging.adopt("engagements.json")?;
    let mut by_client = vec![None; repo.inventory.clients.len()];
    for (index, part) in order.into_iter().zip(placed) {
        by_client[index] = part;
    }
    Ok(by_client)
}

fn serve(args: &ServeArgs) -> u8 {
    let as_of = match as_of(args.as_of) {
        Ok(date) => date,
        Err(message) => return cannot_run(&message),
    };
    if let Some(jobs) = args.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global();
    }
    let options = serve::ServeOptions {
        validate: validate::Options {
            root: args.dir.clone(),
            as_of,
            clients: args.clients.clone(),
            skip: vec![args.out.clone()],
            since: None,
            // A preview of records being edited: no commit to speak of.
            provenance: false,
        },
        out: args.out.clone(),
        templates: args.templates.clone(),
        port: args.port,
        quiet: args.quiet,
    };
    match serve::run(options) {
        Ok(()) => EXIT_OK,
        Err(message) => cannot_run(&message),
    }
}

fn has_errors(diagnostics: &[diagnostics::Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// What moved in the quarter by the records' git history: the last commit
/// before the quarter began against the last commit in it (none outside
/// git, or when the history does not reach back before the quarter).
fn audit_history(
    dir: &std::path::Path,
    quarter: audit::Quarter,
    as_of: model::Date,
) -> Option<audit::AuditHistory> {
    let git = history::open(dir)?;
    let (start, start_date) = git.last_commit_before(quarter.first_day())?;
    let last_day = quarter.last_day().min(as_of);
    let (end, end_date) = git.last_commit_before(last_day.plus_days(1))?;
    let short = |id: gix::ObjectId| id.to_string()[..12].to_owned();
    let mut since = git.between(&start.to_string(), Some(end)).ok()?;
    since.rev = short(start);
    let mut found = since.findings(last_day);
    validate::sort(&mut found);
    Some(audit::AuditHistory::new(
        (short(start), start_date),
        (short(end), end_date),
        found,
    ))
}

fn audit(args: &AuditArgs) -> u8 {
    let common = &args.common;
    let quarter = match audit::Quarter::parse(&args.quarter) {
        Ok(quarter) => quarter,
        Err(message) => return cannot_run(&message),
    };
    if let Err(message) = output::check_target(&args.out, &args.dir) {
        return cannot_run(&message);
    }
    let repo = match open_repository(common, &args.dir, vec![args.out.clone()], None, true) {
        Ok(repo) => repo,
        Err(code) => return code,
    };
    let as_of = repo.as_of;
    if quarter.first_day() > as_of {
        return cannot_run(&format!(
            "{quarter} has not begun as of {as_of}; pass `--as-of` to audit it later"
        ));
    }
    // Each client is audited on its own worker; only its audit stays.
    let units: Vec<(Vec<diagnostics::Diagnostic>, Vec<audit::ClientAudit>)> =
        (0..repo.inventory.clients.len())
            .into_par_iter()
            .map(|index| {
                let unit = repo.load_client(index);
                let audited = match &unit.client {
                    Some(client) => {
                        let inputs: Vec<audit::AuditInput<'_>> = unit
                            .engagements
                            .iter()
                            .map(|e| audit::AuditInput {
                                client_slug: &repo.inventory.clients[index].slug,
                                client_name: client.record.name.as_str(),
                                slug: &e.slug,
                                engagement: &e.record,
                            })
                            .collect();
                        audit::audit(quarter, as_of, None, repo.settings, &inputs).clients
                    }
                    None => Vec::new(),
                };
                (unit.diagnostics, audited)
            })
            .collect();
    let mut diagnostics = repo.diagnostics.clone();
    diagnostics.extend(repo.check_orphans());
    let mut clients = Vec::new();
    for (found, audited) in units {
        diagnostics.extend(found);
        clients.extend(audited);
    }
    validate::sort(&mut diagnostics);
    let summary = repo.summary(&diagnostics);
    if let Err(code) = print_diagnostics(common, &diagnostics, &summary) {
        return code;
    }
    if summary.errors > 0 {
        say(&format!(
            "error: not writing the audit: the records have {} (see above)",
            plural(summary.errors, "error", "errors")
        ));
        return EXIT_PROBLEMS;
    }
    let practice = repo.config.practice.as_ref().map(|p| p.as_str());
    let mut report = audit::combine(quarter, as_of, practice, clients);
    report.history = audit_history(&args.dir, quarter, as_of);
    report.only_clients = repo.only_clients.clone();
    if report.history.is_none()
        && !common.quiet
        && history::open(&args.dir).is_some_and(|git| git.is_shallow())
    {
        // CI's default checkout: the section is missing for want of
        // history, not because nothing moved.
        say(&format!(
            "note: the audit has no section on the history: this clone is shallow and does not reach back before {}; fetch the history (`git fetch --unshallow`; in GitHub Actions, `fetch-depth: 0`) to compare the quarter's commits",
            quarter.first_day()
        ));
    }
    let renderer = match renderer(common, &repo, &args.dir) {
        Ok(renderer) => renderer,
        Err(message) => return cannot_run(&message),
    };
    let page = view::PageInfo {
        practice: report.practice.clone(),
        title: format!("Relationship audit {quarter}"),
        client_name: None,
        as_of: report.as_of.clone(),
        as_of_words: charts::date_long(as_of.min(quarter.last_day())),
        internal: true,
        root: "../".into(),
        commit: repo.provenance.as_ref().map(|c| c.short().to_owned()),
        uncommitted: repo.provenance.as_ref().is_some_and(|c| c.uncommitted),
        only_clients: repo.only_clients.clone(),
    };
    #[derive(serde::Serialize)]
    struct AuditPage<'a> {
        page: view::PageInfo,
        audit: &'a audit::Audit,
    }
    let html = match renderer.render(
        "audit.html",
        &AuditPage {
            page,
            audit: &report,
        },
    ) {
        Ok(html) => html,
        Err(message) => return cannot_run(&format!("cannot render the audit: {message}")),
    };
    let mut json = serde_json::to_string_pretty(&report).expect("the audit always serializes");
    json.push('\n');
    let files = [
        output::OutputFile {
            path: format!("audit/{quarter}.csv"),
            bytes: audit::to_csv(&report).into_bytes(),
        },
        output::OutputFile {
            path: format!("audit/{quarter}.html"),
            bytes: html.into_bytes(),
        },
        output::OutputFile {
            path: format!("audit/{quarter}.json"),
            bytes: json.into_bytes(),
        },
    ];
    if let Err(message) = output::add_files(&args.out, &files) {
        return cannot_run(&message);
    }
    if !common.quiet {
        say(&format!(
            "wrote the {quarter} audit to {}",
            args.out.join("audit").display()
        ));
    }
    exit_code(common, &diagnostics)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Prints the diagnostics in the chosen format, on stdout. `Err` holds the
/// exit code when they could not be written (a full disk, a closed pipe):
/// a run whose findings are lost must not pass for a clean one.
fn print_diagnostics(
    common: &CommonArgs,
    diagnostics: &[diagnostics::Diagnostic],
    summary: &diagnostics::Summary,
) -> Result<(), u8> {
    // Colour on a terminal that shows it (not `TERM=dumb`), unless NO_COLOR.
    let color = common.format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|term| term != "dumb");
    let mut text = diagnostics::report(common.format, diagnostics, summary, color);
    if common.quiet && common.format != Format::Json {
        // Quiet keeps the findings and drops the summary line.
        if let Some(cut) = text.trim_end_matches('\n').rfind('\n') {
            text.truncate(cut + 1);
        } else {
            text.clear();
        }
    }
    print_out(&text)
}

/// Writes `text` to stdout; a failure is said on stderr (but for a pipe
/// closed by its reader, `| head`) and gives exit code 2.
fn print_out(text: &str) -> Result<(), u8> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(EXIT_CANNOT_RUN),
        Err(e) => Err(cannot_run(&format!("cannot write to standard output: {e}"))),
    }
}

fn exit_code(common: &CommonArgs, diagnostics: &[diagnostics::Diagnostic]) -> u8 {
    let errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    if errors || (common.deny_warnings && !diagnostics.is_empty()) {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn today() -> Result<Date, u8> {
    as_of(None).map_err(|message| cannot_run(&message))
}

fn report_created(created: Result<Vec<std::path::PathBuf>, String>, next: &str) -> u8 {
    match created {
        Ok(paths) => {
            let mut err = std::io::stderr().lock();
            for path in paths {
                let _ = writeln!(err, "created {}", path.display());
            }
            let _ = writeln!(err, "{next}");
            EXIT_OK
        }
        Err(message) => cannot_run(&message),
    }
}

fn init(args: &InitArgs) -> u8 {
    let today = match today() {
        Ok(date) => date,
        Err(code) => return code,
    };
    if args.dir.exists() && !args.dir.is_dir() {
        return cannot_run(&format!("`{}` is a file, not a folder", args.dir.display()));
    }
    // A records folder inside another would be read as a client of it.
    let absolute = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
    if let Some(records) = absolute
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(discover::CONFIG_FILE).is_file())
    {
        return cannot_run(&format!(
            "`{}` is inside the records folder `{}` (it has {}): start a new one elsewhere, or add a client to it with `commonthread new client`",
            args.dir.display(),
            records.display(),
            discover::CONFIG_FILE
        ));
    }
    let created = scaffold::create_all(&args.dir, &scaffold::init_files(today));
    report_created(
        created,
        "next: write your practice's name in `practice:` in commonthread.yaml (it heads every report), then run `commonthread check` and `commonthread build`",
    )
}

fn new_client(args: &NewClientArgs) -> u8 {
    if let Err(message) = scaffold::check_slug("client", &args.slug) {
        return cannot_run(&message);
    }
    if args.name.trim().is_empty() {
        return cannot_run("give the client a name with `--name \"Acme Logistics\"`");
    }
    if !args.dir.is_dir() {
        return cannot_run(&format!(
            "the records folder `{}` does not exist",
            args.dir.display()
        ));
    }
    // Run inside a client's folder, this would make a client of a client.
    if args.dir.join(discover::CLIENT_FILE).is_file() {
        return cannot_run(&format!(
            "`{}` is a client's folder (it has {}): run this in the records folder, or name it with `--dir`",
            args.dir.display(),
            discover::CLIENT_FILE
        ));
    }
    if output::is_ours(&args.dir.join(&args.slug)) {
        return cannot_run(&format!(
            "`{}` is where `build` writes the reports: choose another client slug",
            args.slug
        ));
    }
    // A near miss of a client that exists is more likely a slip than a new
    // client: say so, and go on (the slug may be meant).
    let clients = client_folders(&args.dir);
    if let Some(near) = suggest::closest(&args.slug, clients.iter().map(String::as_str))
        && near != args.slug
    {
        eprintln!(
            "warning: client `{near}` already exists; if you meant it, remove `{}` and run `commonthread new engagement {near} SLUG --title \"...\"`",
            args.slug
        );
    }
    let file = scaffold::NewFile {
        path: std::path::Path::new(&args.slug).join(discover::CLIENT_FILE),
        text: scaffold::client_yaml(&args.name),
    };
    let next = format!(
        "next: `commonthread new engagement {} SLUG --title \"...\"`",
        args.slug
    );
    report_created(scaffold::create_all(&args.dir, &[file]), &next)
}

fn new_engagement(args: &NewEngagementArgs) -> u8 {
    if let Err(message) = scaffold::check_slug("engagement", &args.slug) {
        return cannot_run(&message);
    }
    if args.title.trim().is_empty() {
        return cannot_run("give the engagement a title with `--title \"Sales cycle redesign\"`");
    }
    if args
        .owner
        .as_deref()
        .is_some_and(|owner| owner.trim().is_empty())
    {
        return cannot_run(
            "give the engagement an owner with `--owner \"Dana Whitfield\"`, or leave the option out to fill it in later",
        );
    }
    let client_dir = args.dir.join(&args.client);
    if !client_dir.join(discover::CLIENT_FILE).is_file() {
        // A near client folder is likelier meant than a new one.
        let clients = client_folders(&args.dir);
        if let Some(near) = suggest::closest(&args.client, clients.iter().map(String::as_str)) {
            return cannot_run(&format!(
                "there is no client `{}` in `{}`; did you mean `{near}`?",
                args.client,
                args.dir.display(),
            ));
        }
        return cannot_run(&format!(
            "there is no client `{}` in `{}` (no `{}/client.yaml`); create it first with `commonthread new client {} --name \"...\"`",
            args.client,
            args.dir.display(),
            args.client,
            args.client
        ));
    }
    // Engagement slugs are unique within their client, at any depth.
    let taken = walkdir::WalkDir::new(&client_dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            e.file_type().is_file()
                && e.file_name().to_string_lossy() == format!("{}.md", args.slug)
        });
    if let Some(existing) = taken {
        return cannot_run(&format!(
            "client `{}` already has an engagement `{}` at `{}`",
            args.client,
            args.slug,
            existing.path().display()
        ));
    }
    let today = match today() {
        Ok(date) => date,
        Err(code) => return code,
    };
    let file = scaffold::NewFile {
        path: std::path::Path::new(&args.client).join(format!("{}.md", args.slug)),
        text: scaffold::engagement_md(
            &args.title,
            args.owner.as_deref().unwrap_or(scaffold::OWNER_PLACEHOLDER),
            today,
        ),
    };
    let next = if args.owner.is_some() {
        "next: fill it in, then run `commonthread check`"
    } else {
        "next: fill it in (`owner:` says \"Your Name\" until you write who answers for it; it shows on the client's report), then run `commonthread check`"
    };
    report_created(scaffold::create_all(&args.dir, &[file]), next)
}

/// The client folders directly in `dir` (those with a client.yaml).
fn client_folders(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(discover::CLIENT_FILE).is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect()
}

fn schema(args: &SchemaArgs) -> u8 {
    let kind = match args.kind {
        SchemaKind::Engagement => schema::RecordKind::Engagement,
        SchemaKind::Client => schema::RecordKind::Client,
        SchemaKind::Config => schema::RecordKind::Config,
    };
    let mut text =
        serde_json::to_string_pretty(schema::schema(kind)).expect("a schema always serializes");
    text.push('\n');
    match print_out(&text) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn explain(args: &ExplainArgs) -> u8 {
    let Some(asked) = &args.rule else {
        return match print_out(&rule_list()) {
            Ok(()) => EXIT_OK,
            Err(code) => code,
        };
    };
    let Some(rule) = rules::find(asked) else {
        let hint = match rules::closest(asked) {
            Some(near) => format!("; did you mean `{near}`?"),
            None => {
                let names: Vec<&str> = rules::RULES.iter().map(|rule| rule.name).collect();
                format!("; the rules are: {}", names.join(", "))
            }
        };
        return cannot_run(&format!(
            "there is no rule `{asked}`{hint} (`commonthread explain` lists them all)"
        ));
    };
    let kind = match rule.kind {
        rules::RuleKind::Error => "error (the records are wrong; its level cannot be changed)",
        rules::RuleKind::Warning => {
            "warning (set its level in commonthread.yaml under `rules:`: error, warning or off)"
        }
    };
    let text = format!(
        "{name}: {kind}\n\nWhen: {when}.\n\nWhy: {why}\n\nFix: {fix}\n",
        name = rule.name,
        when = rule.when,
        why = rule.why,
        fix = rule.fix
    );
    match print_out(&text) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

/// Every rule, errors then warnings, each with when it fires.
fn rule_list() -> String {
    let mut text = String::new();
    for (kind, heading) in [
        (rules::RuleKind::Error, "Errors (the records are wrong):"),
        (
            rules::RuleKind::Warning,
            "Warnings (good practice; set their level in commonthread.yaml under `rules:`):",
        ),
    ] {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(heading);
        text.push('\n');
        let of_kind = rules::RULES.iter().filter(|rule| rule.kind == kind);
        let width = of_kind
            .clone()
            .map(|rule| rule.name.len())
            .max()
            .unwrap_or(0);
        for rule in of_kind {
            text.push_str(&format!("  {:width$}  {}\n", rule.name, rule.when));
        }
    }
    text.push_str(
        "\n`commonthread explain RULE` says why a rule exists and how to fix what it finds.\n",
    );
    text
}

fn cannot_run(message: &str) -> u8 {
    let _ = writeln!(std::io::stderr().lock(), "error: {message}");
    EXIT_CANNOT_RUN
}

/// The as-of date: `--as-of`, else SOURCE_DATE_EPOCH, else today here.
pub fn as_of(given: Option<Date>) -> Result<Date, String> {
    if let Some(date) = given {
        return Ok(date);
    }
    if let Some(epoch) = std::env::var_os("SOURCE_DATE_EPOCH") {
        let text = epoch.to_string_lossy();
        if text.trim().is_empty() {
            // `SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)` before any commit.
            return Err(
                "SOURCE_DATE_EPOCH is set but empty (did `git log` find no commit?); \
                 unset it to use today, or give the date with --as-of YYYY-MM-DD"
                    .into(),
            );
        }
        let seconds: i64 = text
            .trim()
            .parse()
            .map_err(|_| format!("SOURCE_DATE_EPOCH is `{text}`, not a number of seconds"))?;
        // The UTC day, counted in days: jiff's timestamps stop a day short
        // of 9999-12-31, which `--as-of` accepts. Dates are YYYY-MM-DD, so
        // years before 1 are out of range too.
        let out_of_range = || {
            format!(
                "SOURCE_DATE_EPOCH `{text}` is out of range: it must fall between 0001-01-01 and 9999-12-31"
            )
        };
        let day = jiff::Span::new()
            .try_days(seconds.div_euclid(86_400))
            .and_then(|days| jiff::civil::date(1970, 1, 1).checked_add(days))
            .ok()
            .filter(|day| day.year() >= 1)
            .ok_or_else(out_of_range)?;
        return Ok(Date(day));
    }
    Ok(Date(jiff::Zoned::now().date()))
}
