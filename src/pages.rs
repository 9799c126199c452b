//! From validated records to every output file: figures → view models →
//! rendered pages and engagements.json. Pages are rendered in parallel and
//! returned in path order, so output never depends on scheduling.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::charts::date_long;
use crate::figures::{self, EngagementFigures};
use crate::model::Date;
use crate::output::OutputFile;
use crate::render::Renderer;
use crate::validate::{EngagementRecord, Records};
use crate::view::{self, PageInfo};

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
    pub commit: Option<&'a str>,
}

/// Every file of the site, sorted by path.
pub fn build(
    records: &Records,
    renderer: &Renderer,
    settings: &Settings<'_>,
) -> Result<Vec<OutputFile>, String> {
    let as_of = settings.as_of;
    let figures: Vec<EngagementFigures> = records
        .engagements
        .par_iter()
        .map(|e| figures::engagement(&e.record, as_of, records.settings, &e.tree))
        .collect();

    // Engagements by client, newest first on the client's report.
    let mut by_client: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, e) in records.engagements.iter().enumerate() {
        by_client.entry(e.client).or_default().push(i);
    }
    let practice = records.config.practice.as_ref().map(|p| p.to_string());
    let page = |title: String, client_name: Option<&str>, internal: bool, depth: usize| PageInfo {
        practice: practice.clone(),
        title,
        client_name: client_name.map(str::to_owned),
        as_of: as_of.to_string(),
        as_of_words: date_long(as_of),
        internal,
        root: "../".repeat(depth),
        commit: settings.commit.map(str::to_owned),
    };

    let mut jobs: Vec<Job> = Vec::new();
    for client_index in 0..records.inventory.clients.len() {
        // A client whose client.yaml could not be read has no page.
        if records
            .clients
            .get(client_index)
            .is_none_or(Option::is_none)
        {
            continue;
        }
        let mut members = by_client.get(&client_index).cloned().unwrap_or_default();
        members.sort_by(|&a, &b| newest_first(&records.engagements[a], &records.engagements[b]));
        jobs.push(Job::Client {
            client_index,
            members,
        });
        for &i in &by_client.get(&client_index).cloned().unwrap_or_default() {
            jobs.push(Job::Scorecard(i));
            if settings.audience == Audience::Internal {
                jobs.push(Job::Review(i));
            }
        }
    }

    let client_name = |index: usize| -> &str {
        records.clients[index]
            .as_ref()
            .map_or("", |c| c.record.name.as_str())
    };
    let mut files: Vec<OutputFile> = jobs
        .par_iter()
        .map(|job| -> Result<OutputFile, String> {
            match job {
                Job::Client {
                    client_index,
                    members,
                } => {
                    let client = &records.clients[*client_index]
                        .as_ref()
                        .expect("only readable clients get a page")
                        .record;
                    let slug = &records.inventory.clients[*client_index].slug;
                    let sections = members
                        .iter()
                        .map(|&i| {
                            let e = &records.engagements[i];
                            view::engagement_section(
                                &e.slug,
                                &e.record,
                                &e.body,
                                &figures[i],
                                as_of,
                            )
                        })
                        .collect();
                    let name = client.name.to_string();
                    let view = view::client_report(
                        page(format!("{name}: milestone report"), Some(&name), false, 1),
                        client,
                        sections,
                    );
                    Ok(html_file(
                        format!("{slug}/index.html"),
                        renderer.render("client.html", &view)?,
                    ))
                }
                Job::Scorecard(i) => {
                    let e = &records.engagements[*i];
                    let client_slug = &records.inventory.clients[e.client].slug;
                    let name = client_name(e.client);
                    let view = view::scorecard(
                        page(
                            format!("{}: success scorecard", e.record.title),
                            Some(name),
                            false,
                            2,
                        ),
                        name,
                        &e.record,
                        &figures[*i],
                        as_of,
                    );
                    Ok(html_file(
                        format!("{client_slug}/{}/scorecard.html", e.slug),
                        renderer.render("scorecard.html", &view)?,
                    ))
                }
                Job::Review(i) => {
                    let e = &records.engagements[*i];
                    let client_slug = &records.inventory.clients[e.client].slug;
                    let name = client_name(e.client);
                    let currency = records.config.currency.as_ref().map(|c| c.as_str());
                    let view = view::review(
                        page(
                            format!("Is this the end? {}", e.record.title),
                            Some(name),
                            true,
                            2,
                        ),
                        name,
                        &e.record,
                        &figures[*i],
                        as_of,
                        currency,
                    );
                    Ok(html_file(
                        format!("{client_slug}/{}/review.html", e.slug),
                        renderer.render("review.html", &view)?,
                    ))
                }
            }
        })
        .collect::<Result<_, _>>()?;

    if settings.audience == Audience::Internal {
        let warnings = warnings_by_file(records);
        let readable = |e: &&EngagementRecord| records.clients[e.client].is_some();
        let inputs: Vec<view::PortfolioInput<'_>> = records
            .engagements
            .iter()
            .enumerate()
            .filter(|(_, e)| readable(e))
            .map(|(i, e)| view::PortfolioInput {
                client_slug: &records.inventory.clients[e.client].slug,
                client_name: client_name(e.client),
                slug: &e.slug,
                engagement: &e.record,
                figures: &figures[i],
                warnings: warnings.get(e.file.as_str()).copied().unwrap_or(0),
            })
            .collect();
        let clients = records
            .inventory
            .clients
            .iter()
            .enumerate()
            .filter(|(i, _)| records.clients[*i].is_some())
            .map(|(i, c)| view::ClientLink {
                name: client_name(i).to_owned(),
                href: format!("{}/index.html", c.slug),
                engagements: by_client.get(&i).map_or(0, Vec::len),
            })
            .collect();
        let view = view::portfolio(
            page("Portfolio".to_owned(), None, true, 0),
            &inputs,
            clients,
        );
        files.push(html_file(
            "index.html".to_owned(),
            renderer.render("portfolio.html", &view)?,
        ));
        files.push(engagements_json(records, &figures, as_of));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// One page to render.
enum Job {
    Client {
        client_index: usize,
        members: Vec<usize>,
    },
    Scorecard(usize),
    Review(usize),
}

fn html_file(path: String, html: String) -> OutputFile {
    OutputFile {
        path,
        bytes: html.into_bytes(),
    }
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

fn warnings_by_file(records: &Records) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for d in &records.diagnostics {
        *counts.entry(d.file.as_str()).or_insert(0) += 1;
    }
    counts
}

fn engagements_json(records: &Records, figures: &[EngagementFigures], as_of: Date) -> OutputFile {
    let mut clients: Vec<view::ClientJson> = Vec::new();
    for (client_index, client) in records.inventory.clients.iter().enumerate() {
        let Some(Some(record)) = records.clients.get(client_index) else {
            continue;
        };
        let mut engagements: Vec<view::EngagementJson> = records
            .engagements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.client == client_index)
            .map(|(i, e)| view::engagement_json(&e.slug, &e.record, &figures[i]))
            .collect();
        engagements.sort_by(|a, b| a.slug.cmp(&b.slug));
        clients.push(view::ClientJson {
            slug: client.slug.clone(),
            name: record.record.name.to_string(),
            engagements,
        });
    }
    clients.sort_by(|a, b| a.slug.cmp(&b.slug));
    let document = view::EngagementsJson {
        as_of: as_of.to_string(),
        practice: records.config.practice.as_ref().map(|p| p.to_string()),
        clients,
    };
    let mut text = serde_json::to_string_pretty(&document).expect("figures always serialize");
    text.push('\n');
    OutputFile {
        path: "engagements.json".to_owned(),
        bytes: text.into_bytes(),
    }
}
