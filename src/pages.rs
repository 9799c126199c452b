//! From a checked client to its pages: figures → view models → rendered
//! HTML, written straight into the staging folder. Each client is rendered
//! on its own worker and leaves behind only what the portfolio and
//! engagements.json need, so memory does not grow with the repository.

use crate::charts::date_long;
use crate::figures::{self, EngagementFigures};
use crate::model::Date;
use crate::output::Sink;
use crate::render::Renderer;
use crate::validate::{ClientUnit, EngagementRecord, Repository, Then};
use crate::view::{self, PageInfo};
use rayon::prelude::*;

/// Who the output is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Audience {
    /// Everything: portfolio, client reports, scorecards, reviews, engagements.json.
    Internal,
    /// Only the client-facing pages: milestone reports and scorecards.
    Client,
}

pub struct Settings<'a> {
    pub as_of: Date,
    pub audience: Audience,
    /// The records' commit (None outside git).
    pub commit: Option<&'a crate::history::Provenance>,
    /// With `--since`: the revision the "what changed" lists start from.
    pub since: Option<view::SinceLabel>,
    /// When set, client pages print this placeholder where the commit goes
    /// and `reuse::Recording` puts the commit in its place, noting where:
    /// the next build after a commit can then change those bytes instead
    /// of rendering the pages again.
    pub stamp: Option<crate::reuse::Stamp>,
}

/// What a rendered client leaves for the pages that span every client.
#[derive(Debug, Default)]
pub struct ClientSummary {
    pub rows: Vec<view::PortfolioRow>,
    pub link: Option<view::ClientLink>,
    pub pages: usize,
    /// The client's element of engagements.json's `clients` list, indented
    /// in place (empty for the client audience).
    pub json_part: String,
    /// The client's `reuse::Checked` line for the manifest (empty when not
    /// kept).
    pub checked: String,
    pub slug: String,
    /// What the pages were made from and their fingerprints, for the next
    /// build's reuse (None when not recorded).
    pub reuse: Option<crate::reuse::ClientPages>,
}

/// A page's header and footer facts; `client` is the client whose records
/// the page shows (None for a page across clients).
fn page_info(
    repo: &Repository,
    settings: &Settings<'_>,
    title: String,
    client: Option<(usize, &str)>,
    internal: bool,
    depth: usize,
) -> PageInfo {
    let commit = settings.commit.map(|c| match (client, &settings.stamp) {
        (Some(_), Some(stamp)) => stamp.placeholder().to_owned(),
        _ => c.short().to_owned(),
    });
    let uncommitted = settings.commit.is_some_and(|c| match client {
        Some((index, _)) => c.uncommitted_for(index),
        None => c.uncommitted,
    });
    PageInfo {
        practice: repo.config.practice.as_ref().map(|p| p.to_string()),
        title,
        client_name: client.map(|(_, name)| name.to_owned()),
        as_of: settings.as_of.to_string(),
        as_of_words: date_long(settings.as_of),
        internal,
        root: "../".repeat(depth),
        commit,
        uncommitted,
        only_clients: repo.only_clients.clone(),
    }
}

/// Renders one client's milestone report, scorecards and reviews into
/// `staging`, and its part of engagements.json.
pub fn render_client(
    repo: &Repository,
    unit: &ClientUnit,
    renderer: &Renderer,
    settings: &Settings<'_>,
    staging: &dyn Sink,
) -> Result<ClientSummary, String> {
    let Some(client) = &unit.client else {
        // client.yaml could not be read; that is an error reported already.
        return Ok(ClientSummary::default());
    };
    let as_of = settings.as_of;
    let slug = &repo.inventory.clients[unit.index].slug;
    let name = client.record.name.to_string();
    let figures: Vec<EngagementFigures> = unit
        .engagements
        .iter()
        .map(|e| figures::engagement(&e.record, as_of, repo.settings, &e.tree))
        .collect();
    let mut pages = 0;
    // "Recorded since" REV, per engagement (None without --since).
    let changes: Vec<Option<view::ChangesView>> = unit
        .engagements
        .iter()
        .map(|e| {
            let since = settings.since.as_ref()?;
            let history = e.history.as_ref()?;
            let then = match &history.then {
                Then::Same | Then::Unreadable => return None,
                Then::Was(then) => Some(then.as_ref()),
                Then::New => None,
            };
            let found = figures::changes(&e.record, then, &history.moves, as_of);
            view::changes_view(since, &found)
        })
        .collect();

    let mut order: Vec<usize> = (0..unit.engagements.len()).collect();
    order.sort_by(|&a, &b| newest_first(&unit.engagements[a], &unit.engagements[b]));
    let sections = order
        .iter()
        .map(|&i| {
            let e = &unit.engagements[i];
            view::engagement_section(
                &e.slug,
                &e.record,
                &e.body,
                &figures[i],
                as_of,
                changes[i].clone(),
            )
        })
        .collect();
    let report = view::client_report(
        page_info(
            repo,
            settings,
            format!("{name}: milestone report"),
            Some((unit.index, &name)),
            false,
            1,
        ),
        &client.record,
        sections,
    );
    staging.write(
        &format!("{slug}/index.html"),
        renderer.render("client.html", &report)?.as_bytes(),
    )?;
    pages += 1;

    let client_notes_html = view::md(client.record.notes.as_ref());
    for ((e, f), changes) in unit.engagements.iter().zip(&figures).zip(changes) {
        let scorecard = view::scorecard(
            page_info(
                repo,
                settings,
                format!("{}: success scorecard", e.record.title),
                Some((unit.index, &name)),
                false,
                2,
            ),
            &name,
            &e.record,
            f,
            as_of,
            changes,
        );
        staging.write(
            &format!("{slug}/{}/scorecard.html", e.slug),
            renderer.render("scorecard.html", &scorecard)?.as_bytes(),
        )?;
        pages += 1;
        if settings.audience == Audience::Internal {
            let currency = repo.config.currency.as_ref().map(|c| c.as_str());
            let review = view::review(
                page_info(
                    repo,
                    settings,
                    format!("Is this the end? {}", e.record.title),
                    Some((unit.index, &name)),
                    true,
                    2,
                ),
                &name,
                client_notes_html.clone(),
                &e.record,
                f,
                as_of,
                currency,
            );
            staging.write(
                &format!("{slug}/{}/review.html", e.slug),
                renderer.render("review.html", &review)?.as_bytes(),
            )?;
            pages += 1;
        }
    }
    summary_of(repo, unit, settings, &figures, pages)
}

/// What a client whose pages were taken from the previous output (see
/// `reuse`) leaves for the portfolio and engagements.json: the figures
/// again, without views or rendering.
pub fn summarize_client(
    repo: &Repository,
    unit: &ClientUnit,
    settings: &Settings<'_>,
    pages: usize,
) -> Result<ClientSummary, String> {
    if unit.client.is_none() {
        return Ok(ClientSummary::default());
    }
    let figures: Vec<EngagementFigures> = unit
        .engagements
        .iter()
        .map(|e| figures::engagement(&e.record, settings.as_of, repo.settings, &e.tree))
        .collect();
    summary_of(repo, unit, settings, &figures, pages)
}

fn summary_of(
    repo: &Repository,
    unit: &ClientUnit,
    settings: &Settings<'_>,
    figures: &[EngagementFigures],
    pages: usize,
) -> Result<ClientSummary, String> {
    let slug = &repo.inventory.clients[unit.index].slug;
    if settings.audience == Audience::Client {
        return Ok(ClientSummary {
            pages,
            slug: slug.clone(),
            ..ClientSummary::default()
        });
    }
    let name = unit
        .client
        .as_ref()
        .map(|c| c.record.name.to_string())
        .unwrap_or_default();
    let rows = unit
        .engagements
        .iter()
        .zip(figures)
        .map(|(e, f)| {
            let warnings = unit.diagnostics.iter().filter(|d| d.file == e.file).count();
            view::portfolio_row(slug, &name, &e.slug, &e.record, f, warnings)
        })
        .collect();
    let json_part = json_part(repo, unit, figures, &name)?;
    Ok(ClientSummary {
        json_part,
        slug: slug.clone(),
        rows,
        link: Some(view::ClientLink {
            name,
            href: format!("{slug}/index.html"),
            engagements: unit.engagements.len(),
        }),
        pages,
        checked: String::new(),
        reuse: None,
    })
}

/// The paths of the pages `render_client` writes for `unit`.
pub fn client_page_paths(repo: &Repository, unit: &ClientUnit, audience: Audience) -> Vec<String> {
    let slug = &repo.inventory.clients[unit.index].slug;
    let mut paths = vec![format!("{slug}/index.html")];
    for e in &unit.engagements {
        paths.push(format!("{slug}/{}/scorecard.html", e.slug));
        if audience == Audience::Internal {
            paths.push(format!("{slug}/{}/review.html", e.slug));
        }
    }
    paths
}

/// Everything a client's pages are made of besides what `build_inputs`
/// covers: its folder's name and its files' text.
pub fn client_inputs(build_inputs: u128, repo: &Repository, unit: &ClientUnit) -> Option<u128> {
    let client = unit.client.as_ref()?;
    inputs_of(
        build_inputs,
        repo,
        unit.index,
        client.source_hash,
        unit.engagements
            .iter()
            .map(|e| Some((e.file.as_str(), e.slug.as_str(), e.source_hash))),
    )
}

/// The one fingerprint both `client_inputs` and `client_inputs_unread`
/// take: the client's folder, whether its records are committed, its
/// client.yaml's text, and each engagement file's path, slug and text.
/// None when an engagement has none.
fn inputs_of<'a>(
    build_inputs: u128,
    repo: &Repository,
    index: usize,
    client_text: u128,
    engagements: impl Iterator<Item = Option<(&'a str, &'a str, u128)>>,
) -> Option<u128> {
    let uncommitted = repo
        .provenance
        .as_ref()
        .is_some_and(|p| p.uncommitted_for(index));
    let mut fingerprint = crate::reuse::Fingerprint::new()
        .number(build_inputs)
        .text(&repo.inventory.clients[index].slug)
        .number(u128::from(uncommitted))
        .number(client_text);
    for engagement in engagements {
        let (file, slug, text) = engagement?;
        fingerprint = fingerprint.text(file).text(slug).number(text);
    }
    Some(fingerprint.finish())
}

/// `client_inputs` from the files on disk, without reading them as
/// records: the same fingerprint when every engagement file became a record
/// (the only clients whose check is kept). None when a file cannot be read;
/// loading it then says why.
pub fn client_inputs_unread(build_inputs: u128, repo: &Repository, index: usize) -> Option<u128> {
    let read = |file: &str| -> Option<u128> {
        let text = crate::load::read_text(&repo.root, file).ok()?;
        Some(crate::reuse::of(text.as_bytes()))
    };
    let client = &repo.inventory.clients[index];
    inputs_of(
        build_inputs,
        repo,
        index,
        read(&client.client_file())?,
        repo.members[index].iter().map(|&i| {
            let e = &repo.inventory.engagements[i];
            Some((e.file.as_str(), e.slug.as_str(), read(&e.file)?))
        }),
    )
}

/// Newest first: the later start (or decision) date first; undated
/// prospects before everything; then by slug.
fn newest_first(a: &EngagementRecord, b: &EngagementRecord) -> std::cmp::Ordering {
    let when = |e: &EngagementRecord| {
        e.record
            .start
            .or_else(|| e.record.qualification.as_ref().and_then(|q| q.decided))
    };
    match (when(a), when(b)) {
        (None, None) => a.slug.cmp(&b.slug),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| a.slug.cmp(&b.slug)),
    }
}

fn json_part(
    repo: &Repository,
    unit: &ClientUnit,
    figures: &[EngagementFigures],
    name: &str,
) -> Result<String, String> {
    let mut engagements: Vec<view::EngagementJson> = unit
        .engagements
        .iter()
        .zip(figures)
        .map(|(e, f)| view::engagement_json(&e.slug, &e.record, f))
        .collect();
    engagements.sort_by(|a, b| a.slug.cmp(&b.slug));
    let client = view::ClientJson {
        slug: repo.inventory.clients[unit.index].slug.clone(),
        name: name.to_owned(),
        engagements,
    };
    let text = serde_json::to_string_pretty(&client).map_err(|e| e.to_string())?;
    // Indented as an element of the document's `clients` list.
    let mut indented = String::with_capacity(text.len() + text.len() / 8);
    for line in text.lines() {
        indented.push_str("    ");
        indented.push_str(line);
        indented.push('\n');
    }
    Ok(indented)
}

/// Joins the clients' parts (in slug order) into engagements.json, exactly
/// as one pretty-printed document would be.
pub fn write_engagements_json(
    out: &mut dyn std::io::Write,
    practice: Option<&str>,
    as_of: Date,
    commit: Option<&crate::history::Provenance>,
    only_clients: &[String],
    parts: impl Iterator<Item = Result<Vec<u8>, String>>,
) -> Result<Vec<Option<crate::reuse::JsonPart>>, String> {
    let fail = |e: std::io::Error| format!("cannot write engagements.json: {e}");
    let practice = serde_json::to_string(&practice).map_err(|e| e.to_string())?;
    let commit = match commit {
        Some(c) => format!(
            "{{ \"id\": \"{}\", \"uncommitted_changes\": {} }}",
            c.commit, c.uncommitted
        ),
        None => "null".to_owned(),
    };
    // Only with `--client`: the file then holds those clients only.
    let only = if only_clients.is_empty() {
        String::new()
    } else {
        let names = serde_json::to_string(only_clients).map_err(|e| e.to_string())?;
        format!("\n  \"only_clients\": {},", names.replace(',', ", "))
    };
    let head = format!(
        "{{\n  \"as_of\": \"{as_of}\",\n  \"practice\": {practice},\n  \"commit\": {commit},{only}\n  \"clients\": ["
    );
    out.write_all(head.as_bytes()).map_err(fail)?;
    let mut written = head.len() as u64;
    let mut placed = Vec::new();
    for part in parts {
        let part = part?;
        let part = part.strip_suffix(b"\n").unwrap_or(&part);
        if part.is_empty() {
            placed.push(None);
            continue;
        }
        let separator: &[u8] = if written == head.len() as u64 {
            b"\n"
        } else {
            b",\n"
        };
        out.write_all(separator).map_err(fail)?;
        out.write_all(part).map_err(fail)?;
        placed.push(Some(crate::reuse::JsonPart {
            offset: written + separator.len() as u64,
            len: part.len() as u64,
            fingerprint: crate::reuse::of(part),
        }));
        written += (separator.len() + part.len()) as u64;
    }
    let first = written == head.len() as u64;
    out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
        .map_err(fail)?;
    out.flush().map_err(fail)?;
    Ok(placed)
}

/// The portfolio page, from every client's rows.
pub fn render_portfolio<'s>(
    repo: &Repository,
    settings: &Settings<'_>,
    summaries: impl Iterator<Item = &'s ClientSummary>,
    renderer: &Renderer,
    staging: &dyn Sink,
) -> Result<(), String> {
    let mut rows = Vec::new();
    let mut links = Vec::new();
    for summary in summaries {
        rows.extend(summary.rows.iter().cloned());
        links.extend(summary.link.clone());
    }
    render_portfolio_of(repo, settings, rows, links, renderer, staging)
}

/// The portfolio's rows and client links, taken out of the summaries (a
/// build has no further use for them) for `render_portfolio_of`.
pub fn take_portfolio_rows(
    summaries: &mut [ClientSummary],
) -> (Vec<view::PortfolioRow>, Vec<view::ClientLink>) {
    let mut rows = Vec::with_capacity(summaries.iter().map(|s| s.rows.len()).sum());
    let mut links = Vec::with_capacity(summaries.len());
    for summary in summaries {
        rows.append(&mut summary.rows);
        links.extend(summary.link.take());
    }
    (rows, links)
}

/// The portfolio page from its rows and client links.
pub fn render_portfolio_of(
    repo: &Repository,
    settings: &Settings<'_>,
    rows: Vec<view::PortfolioRow>,
    links: Vec<view::ClientLink>,
    renderer: &Renderer,
    staging: &dyn Sink,
) -> Result<(), String> {
    let mut portfolio = view::portfolio(
        page_info(repo, settings, "Portfolio".to_owned(), None, true, 0),
        rows,
        links,
    );
    // The page is rendered around a marker, and the rows batch by batch
    // into its place: a template context holding every row of a large
    // practice (100,000 engagements) would take gigabytes.
    let rows = std::mem::take(&mut portfolio.rows);
    portfolio.rows_html = ROWS_MARKER.to_owned();
    let frame = renderer.render_part("portfolio.html", &portfolio)?;
    let Some(at) = frame.find(ROWS_MARKER) else {
        // A portfolio.html of the user's own that loops over `rows` itself.
        portfolio.rows = rows;
        portfolio.rows_html = String::new();
        return staging.write(
            "index.html",
            renderer.render("portfolio.html", &portfolio)?.as_bytes(),
        );
    };
    let mut page = String::with_capacity(frame.len() + rows.len() * 1200);
    page.push_str(&frame[..at]);
    // A few batches at a time on every core, appended in order: the same
    // page as one batch after another, with only those few held at once.
    let window = ROWS_PER_BATCH * 2 * rayon::current_num_threads().max(1);
    for group in rows.chunks(window) {
        let batches: Vec<Result<String, String>> = group
            .par_chunks(ROWS_PER_BATCH)
            .map(|batch| {
                renderer.render_part("portfolio-rows.html", &view::PortfolioRows { rows: batch })
            })
            .collect();
        for batch in batches {
            page.push_str(&batch?);
        }
    }
    page.push_str(&frame[at + ROWS_MARKER.len()..]);
    staging.write("index.html", renderer.finish(page).as_bytes())
}

/// Where the portfolio's rows go in the rendered page.
const ROWS_MARKER: &str = "<!--commonthread:portfolio-rows-->";
const ROWS_PER_BATCH: usize = 500;
