//! View models: what each page and engagements.json show, as plain
//! serializable structs built from the records and their figures. Templates
//! see only these, never the record types.
//!
//! Text from records is handed over as plain strings, which Tera escapes.
//! Fields ending in `_html` hold Markdown already rendered safe by
//! `markdown.rs`, and `_svg` fields hold charts built by `charts.rs`; only
//! those are marked safe in the templates.
//!
//! Client-facing views (`ClientReport`, `Scorecard`) are built without
//! reading any internal field (FORMAT.md, "Audience").

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::charts::{self, date_long, format_number};
use crate::figures::{self, CheckState, EngagementFigures, Health, MetricStatus, MilestoneStatus};
use crate::markdown;
use crate::model::date_medium;
use crate::model::{Client, Date, Engagement, Status, Text};

/// What every page's header and footer need.
#[derive(Clone, Debug, Serialize)]
pub struct PageInfo {
    pub practice: Option<String>,
    pub title: String,
    pub client_name: Option<String>,
    pub as_of: String,
    pub as_of_words: String,
    pub internal: bool,
    /// Relative path from the page to OUT's root ("", "../", "../../").
    pub root: String,
    /// The records' commit, short.
    pub commit: Option<String>,
    /// A record the page shows (or any record, on a page across clients)
    /// differs from that commit.
    pub uncommitted: bool,
    /// `--client`: the only clients a page across clients shows (empty:
    /// every client), so that it does not pass for the whole practice.
    pub only_clients: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HealthView {
    pub colour: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub reasons: Vec<ReasonView>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReasonView {
    pub kind: Cow<'static, str>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusView {
    pub word: Cow<'static, str>,
    pub label: Cow<'static, str>,
}

pub fn status_view(status: Status) -> StatusView {
    StatusView {
        word: status.as_str().into(),
        label: status_label(status).into(),
    }
}

/// The status as the client reads it on their own pages: "Prospect" is the
/// practice's pipeline word, and "Declined" does not say who declined.
pub fn client_status_view(status: Status) -> StatusView {
    StatusView {
        word: status.as_str().into(),
        label: match status {
            Status::Prospect => "Proposed",
            Status::Declined => "Not going ahead",
            other => status_label(other),
        }
        .into(),
    }
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Prospect => "Prospect",
        Status::Active => "Active",
        Status::Paused => "Paused",
        Status::Completed => "Completed",
        Status::Ended => "Ended",
        Status::Declined => "Declined",
    }
}

fn health_view(figures: &EngagementFigures) -> Option<HealthView> {
    let (health, reasons) = figures.health.as_ref()?;
    Some(HealthView {
        colour: health.as_str().into(),
        label: match health {
            Health::Green => "Green",
            Health::Amber => "Amber",
            Health::Red => "Red",
        }
        .into(),
        reasons: reasons
            .iter()
            .map(|r| ReasonView {
                kind: r.kind.as_str().into(),
                detail: r.words.clone(),
            })
            .collect(),
    })
}

pub fn md(text: Option<&Text>) -> Option<String> {
    text.filter(|t| !t.as_str().trim().is_empty())
        .map(|t| markdown::to_html(t.as_str()))
}

fn md_inline(text: Option<&Text>) -> Option<String> {
    text.filter(|t| !t.as_str().trim().is_empty())
        .map(|t| markdown::inline_html(t.as_str()))
}

/// "2 March to 30 September 2026", "from 2 March 2026", or nothing.
fn date_range(start: Option<Date>, end: Option<Date>) -> Option<String> {
    match (start, end) {
        (Some(s), Some(e)) if s.0.year() == e.0.year() => Some(format!(
            "{} {} to {}",
            s.0.day(),
            charts::MONTHS[s.0.month() as usize - 1],
            date_long(e)
        )),
        (Some(s), Some(e)) => Some(format!("{} to {}", date_long(s), date_long(e))),
        (Some(s), None) => Some(format!("from {}", date_long(s))),
        (None, Some(e)) => Some(format!("until {}", date_long(e))),
        (None, None) => None,
    }
}

/// "day 135 of 212", while the engagement runs: the days since the start
/// of the days from start to end, as REPORTS.md counts them and as the
/// `expected` figure divides them (135 / 212). Left out on the first day
/// ("day 0") and after the end.
fn day_of(start: Option<Date>, end: Option<Date>, as_of: Date) -> Option<String> {
    let (start, end) = (start?, end?);
    let total = end.days_since(start);
    let day = as_of.days_since(start);
    (day >= 1 && day <= total).then(|| format!("day {day} of {total}"))
}

// ---------------------------------------------------------------------------
// Milestone report (client-facing)

#[derive(Clone, Debug, Serialize)]
pub struct ClientReport {
    pub page: PageInfo,
    pub client_name: String,
    pub industry: Option<String>,
    /// "client since 1 May 2024".
    pub since: Option<String>,
    pub contacts: Vec<ContactView>,
    pub engagements: Vec<EngagementSection>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContactView {
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EngagementSection {
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub status: StatusView,
    pub health: Option<HealthView>,
    pub owner: String,
    pub dates: Option<String>,
    pub day_of: Option<String>,
    pub current_state_html: Option<String>,
    pub desired_outcome_html: Option<String>,
    pub timeline_svg: Option<String>,
    pub milestones: Vec<MilestoneRow>,
    pub next_step: Option<String>,
    pub updates: Option<UpdatesView>,
    pub concerns: Vec<ConcernRow>,
    pub notes_html: Option<String>,
    pub scorecard_href: String,
    pub score: Option<String>,
    /// With `--since`: what changed since REV (absent when nothing did).
    pub changes: Option<ChangesView>,
}

/// "Recorded since" the day of REV: the list for the client update e-mail.
#[derive(Clone, Debug, Serialize)]
pub struct ChangesView {
    /// The revision as the user wrote it.
    pub rev: String,
    /// The day REV was committed, in words.
    pub date: String,
    pub rows: Vec<ChangeRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChangeRow {
    pub date: String,
    /// "Done", "Measured", "Win", ...
    pub kind: &'static str,
    /// For the badge colour: done, measured, corrected, win, moved, concern, answered.
    pub class: &'static str,
    pub text_html: String,
}

/// Which revision the "what changed" lists compare with.
#[derive(Clone, Debug)]
pub struct SinceLabel {
    pub rev: String,
    pub date: Date,
}

/// The "what changed" list of one engagement; `None` when nothing changed.
pub fn changes_view(since: &SinceLabel, changes: &[figures::Change<'_>]) -> Option<ChangesView> {
    use figures::Changed;
    if changes.is_empty() {
        return None;
    }
    let inline = |t: &Text| markdown::inline_html(t.as_str());
    let rows = changes
        .iter()
        .map(|c| {
            let (kind, class, text_html) = match &c.what {
                Changed::MilestoneDone(m) => (
                    "Done",
                    "done",
                    format!(
                        "Step {}: {}",
                        charts::escape(m.id.as_str()),
                        inline(&m.title)
                    ),
                ),
                Changed::DueMoved {
                    milestone,
                    from,
                    to,
                } => (
                    if to > from {
                        "Date moved"
                    } else {
                        "Date brought forward"
                    },
                    "moved",
                    format!(
                        "Step {}: {}, due {} instead of {}",
                        charts::escape(milestone.id.as_str()),
                        inline(&milestone.title),
                        date_long(*to),
                        date_long(*from)
                    ),
                ),
                Changed::Measured { metric, value } => (
                    "Measured",
                    "measured",
                    format!(
                        "{}: {}",
                        crate::markdown::label_html(metric.name.as_str(), true),
                        format_number(*value, unit_of(metric))
                    ),
                ),
                Changed::Corrected { metric, of, value } => (
                    "Corrected",
                    "corrected",
                    format!(
                        "{}: the measurement of {} corrected to {}",
                        crate::markdown::label_html(metric.name.as_str(), true),
                        date_long(*of),
                        format_number(*value, unit_of(metric))
                    ),
                ),
                Changed::Rebaselined { metric, change } => {
                    let unit = unit_of(metric);
                    let mut moved = Vec::new();
                    if let Some(was) = change.old_baseline {
                        moved.push(format!(
                            "baseline {} (was {})",
                            format_number(metric.baseline, unit),
                            format_number(was, unit)
                        ));
                    }
                    if let Some(was) = change.old_target {
                        moved.push(format!(
                            "target {} (was {})",
                            format_number(metric.target, unit),
                            format_number(was, unit)
                        ));
                    }
                    let who: Vec<String> = change
                        .agreed_by
                        .iter()
                        .map(|w| charts::escape(w.as_str()))
                        .collect();
                    (
                        "Agreed anew",
                        "moved",
                        format!(
                            "{}: {}, agreed by {}: {}",
                            crate::markdown::label_html(metric.name.as_str(), true),
                            moved.join(", "),
                            who.join(", "),
                            inline(&change.reason)
                        ),
                    )
                }
                Changed::Win(w) => ("Win", "win", inline(&w.title)),
                Changed::ConcernRaised(c) => ("Concern raised", "concern", inline(&c.concern)),
                Changed::ConcernAnswered(c) => {
                    // "Reports arrive late. Our answer: ...": the concern
                    // keeps its own full stop, or gets one.
                    let ends_a_sentence = c
                        .concern
                        .as_str()
                        .trim_end()
                        .ends_with(['.', '!', '?', '…', ':', ';']);
                    (
                        "Concern answered",
                        "answered",
                        format!(
                            "{}{} Our answer: {}",
                            inline(&c.concern),
                            if ends_a_sentence { "" } else { "." },
                            c.response.as_ref().map(inline).unwrap_or_default()
                        ),
                    )
                }
            };
            ChangeRow {
                date: date_long(c.date),
                kind,
                class,
                text_html,
            }
        })
        .collect();
    Some(ChangesView {
        rev: since.rev.clone(),
        date: date_long(since.date),
        rows,
    })
}

fn unit_of(metric: &crate::model::Metric) -> &str {
    metric.unit.as_ref().map(Text::as_str).unwrap_or_default()
}

#[derive(Clone, Debug, Serialize)]
pub struct MilestoneRow {
    pub id: String,
    pub title_html: String,
    pub outcome_html: Option<String>,
    pub result_html: Option<String>,
    pub due: String,
    pub done: Option<String>,
    pub status: &'static str,
    pub status_text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct UpdatesView {
    pub cadence_days: u32,
    pub count: usize,
    pub latest: Option<String>,
    pub overdue: bool,
    pub days_since: Option<i64>,
    pub log: Vec<UpdateRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UpdateRow {
    pub date: String,
    pub summary_html: String,
    pub channel: Option<String>,
    pub milestone: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConcernRow {
    pub date: String,
    pub concern_html: String,
    pub raised_by: Option<String>,
    pub response_html: Option<String>,
    pub resolved: Option<String>,
    pub open: bool,
}

fn milestone_rows(e: &Engagement, f: &EngagementFigures) -> Vec<MilestoneRow> {
    e.milestones
        .iter()
        .zip(&f.milestones)
        .map(|(m, mf)| {
            let status_text = match mf.status {
                MilestoneStatus::Done => match mf.days_late.unwrap_or(0) {
                    0 => "Done, on time".to_owned(),
                    late => format!("Done, {} late", figures::days_word(late)),
                },
                MilestoneStatus::Overdue => format!(
                    "Overdue by {}",
                    figures::days_word(mf.days_overdue.unwrap_or(0))
                ),
                MilestoneStatus::DueSoon => match mf.days_left.unwrap_or(0) {
                    0 => "Due today".to_owned(),
                    left => format!("Due in {}", figures::days_word(left)),
                },
                MilestoneStatus::Upcoming => "Upcoming".to_owned(),
            };
            MilestoneRow {
                id: m.id.to_string(),
                title_html: markdown::inline_html(m.title.as_str()),
                outcome_html: md_inline(m.outcome.as_ref()),
                result_html: md_inline(m.result.as_ref()),
                due: date_medium(m.due),
                done: m
                    .done
                    .filter(|_| mf.status == MilestoneStatus::Done)
                    .map(date_medium),
                status: mf.status.as_str(),
                status_text,
            }
        })
        .collect()
}

fn next_step(e: &Engagement, f: &EngagementFigures) -> Option<String> {
    e.milestones
        .iter()
        .zip(&f.milestones)
        .filter(|(_, mf)| mf.status != MilestoneStatus::Done)
        .min_by_key(|(m, _)| m.due)
        .map(|(m, _)| format!("{}, due {}", m.id, date_long(m.due)))
}

fn updates_view(e: &Engagement, f: &EngagementFigures, as_of: Date) -> Option<UpdatesView> {
    let log: Vec<UpdateRow> = e
        .updates
        .as_ref()
        .map(|u| {
            let mut entries: Vec<_> = u.log.iter().filter(|l| l.date <= as_of).collect();
            entries.sort_by_key(|e| std::cmp::Reverse(e.date));
            entries
                .into_iter()
                .map(|l| UpdateRow {
                    date: date_medium(l.date),
                    summary_html: markdown::inline_html(l.summary.as_str()),
                    channel: l.channel.as_ref().map(Text::to_string),
                    milestone: l.milestone.as_ref().map(Text::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    if log.is_empty() && e.status != Status::Active {
        return None;
    }
    let latest_logged = e
        .updates
        .as_ref()
        .and_then(|u| u.log.iter().map(|l| l.date).filter(|d| *d <= as_of).max());
    let days_since = f.last_update.map(|d| as_of.days_since(d));
    Some(UpdatesView {
        cadence_days: f.cadence_days,
        count: log.len(),
        latest: latest_logged.map(date_long),
        overdue: e.status == Status::Active
            && days_since.is_some_and(|d| d > i64::from(f.cadence_days)),
        days_since,
        log,
    })
}

fn concern_rows(e: &Engagement, as_of: Date) -> Vec<ConcernRow> {
    e.concerns
        .iter()
        .filter(|c| c.date <= as_of)
        .map(|c| {
            let response_html = md(c.response.as_ref());
            let resolved = c.resolved.filter(|d| *d <= as_of);
            ConcernRow {
                date: date_long(c.date),
                concern_html: markdown::to_html(c.concern.as_str()),
                raised_by: c.raised_by.as_ref().map(Text::to_string),
                open: response_html.is_none() || resolved.is_none(),
                response_html,
                resolved: resolved.map(date_long),
            }
        })
        .collect()
}

pub fn engagement_section(
    slug: &str,
    e: &Engagement,
    body: &str,
    f: &EngagementFigures,
    as_of: Date,
    changes: Option<ChangesView>,
) -> EngagementSection {
    EngagementSection {
        slug: slug.to_owned(),
        title: e.title.to_string(),
        tags: e.tags.iter().map(Text::to_string).collect(),
        status: client_status_view(e.status),
        health: health_view(f),
        owner: e.owner.to_string(),
        dates: date_range(e.start, e.end),
        day_of: day_of(e.start, e.end, as_of).filter(|_| e.status.is_open()),
        current_state_html: md(e.current_state.as_ref()),
        desired_outcome_html: md(e.desired_outcome.as_ref()),
        timeline_svg: charts::timeline(e, &f.milestones, as_of),
        milestones: milestone_rows(e, f),
        next_step: next_step(e, f).filter(|_| e.status.is_open()),
        updates: updates_view(e, f, as_of),
        concerns: concern_rows(e, as_of),
        notes_html: (!body.trim().is_empty()).then(|| markdown::to_html(body)),
        scorecard_href: format!("{slug}/scorecard.html"),
        score: f
            .score
            .map(|s| format!("{}", figures::round_to(s, 0) as i64)),
        changes,
    }
}

// ---------------------------------------------------------------------------
// Scorecard (client-facing)

#[derive(Clone, Debug, Serialize)]
pub struct Scorecard {
    pub page: PageInfo,
    pub title: String,
    pub client_name: String,
    pub status: StatusView,
    pub agreed: Option<String>,
    pub agreed_by: Vec<String>,
    pub desired_outcome_html: Option<String>,
    pub score: Option<String>,
    pub health: Option<HealthView>,
    pub metrics: Vec<MetricCard>,
    pub wins: Vec<WinRow>,
    pub report_href: String,
    /// With `--since`: what changed since REV (absent when nothing did).
    pub changes: Option<ChangesView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetricCard {
    /// The figures in words, as the review's table shows them too.
    #[serde(flatten)]
    pub summary: MetricSummary,
    pub chart_svg: Option<String>,
    /// Every measurement up to the as-of date, oldest first.
    pub measurements: Vec<MeasurementRow>,
}

/// A metric's figures without its chart and readings: what the review's
/// table needs, at a fraction of a full card's cost.
#[derive(Clone, Debug, Serialize)]
pub struct MetricSummary {
    pub id: String,
    pub name: String,
    pub weight: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub baseline: String,
    pub target: String,
    pub current: Option<String>,
    pub current_date: Option<String>,
    /// Progress as a whole percent, unclamped ("68").
    pub progress_percent: Option<String>,
    /// Bar width and expected marker, clamped to 0..100.
    pub bar_percent: f64,
    pub expected_percent: f64,
    /// "by today", or "by the end" once the end date has come or the work
    /// is over.
    pub expected_by: &'static str,
    pub expected_label: String,
    pub summary: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MeasurementRow {
    pub date: String,
    pub value: String,
    pub note_html: Option<String>,
    /// "corrected on 3 June 2026 (first recorded as 45 days)".
    pub corrected: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WinRow {
    pub date: String,
    pub title_html: String,
    pub metric: Option<String>,
    pub celebrated_html: Option<String>,
}

fn metric_status_label(status: MetricStatus) -> &'static str {
    match status {
        MetricStatus::NotMeasured => "Not measured yet",
        MetricStatus::Achieved => "Achieved",
        MetricStatus::OnTrack => "On track",
        MetricStatus::AtRisk => "At risk",
        MetricStatus::OffTrack => "Off track",
    }
}

fn metric_cards(e: &Engagement, f: &EngagementFigures, as_of: Date) -> Vec<MetricCard> {
    let defs = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    defs.iter()
        .zip(&f.metrics)
        .zip(metric_summaries(e, f))
        .map(|((m, mf), summary)| {
            let unit = m.unit.as_ref().map(Text::as_str).unwrap_or_default();
            MetricCard {
                summary,
                chart_svg: charts::metric_chart(m, mf, e.start, e.end, as_of, unit),
                measurements: figures::readings(m, as_of)
                    .into_iter()
                    .map(|x| MeasurementRow {
                        date: date_long(x.date),
                        value: format_number(x.value, unit),
                        note_html: md_inline(x.note),
                        corrected: x.corrected.map(|(was, on)| {
                            format!(
                                "corrected on {} (first recorded as {})",
                                date_long(on),
                                format_number(was, unit)
                            )
                        }),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn metric_summaries(e: &Engagement, f: &EngagementFigures) -> Vec<MetricSummary> {
    let defs = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    defs.iter()
        .zip(&f.metrics)
        .map(|(m, mf)| {
            let unit = m.unit.as_ref().map(Text::as_str).unwrap_or_default();
            let progress_percent = mf.progress.map(figures::percent);
            let expected_by = if mf.expected >= 1.0
                || matches!(
                    e.status,
                    crate::model::Status::Completed | crate::model::Status::Ended
                ) {
                "by the end"
            } else {
                "by today"
            };
            let expected_label =
                format!("{}% expected {expected_by}", figures::percent(mf.expected));
            let summary = match mf.progress {
                Some(p) => format!(
                    "{}% of the way from {} to {}",
                    figures::percent(p),
                    format_number(m.baseline, ""),
                    format_number(m.target, unit)
                ),
                None => format!(
                    "not measured yet; from {} to {}",
                    format_number(m.baseline, ""),
                    format_number(m.target, unit)
                ),
            };
            MetricSummary {
                id: m.id.to_string(),
                name: m.name.to_string(),
                // Always shown, 1 included, as REPORTS.md sketches it.
                weight: Some(format_number(mf.weight, "")),
                status: mf.status.as_str(),
                status_label: metric_status_label(mf.status),
                baseline: format_number(m.baseline, unit),
                target: format_number(m.target, unit),
                current: mf.current.map(|(_, v)| format_number(v, unit)),
                current_date: mf.current.map(|(d, _)| date_medium(d)),
                progress_percent,
                bar_percent: figures::round_to(
                    mf.progress.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0,
                    1,
                ),
                expected_percent: figures::round_to(mf.expected.clamp(0.0, 1.0) * 100.0, 1),
                expected_by,
                expected_label,
                summary,
            }
        })
        .collect()
}

fn win_rows(e: &Engagement, as_of: Date) -> Vec<WinRow> {
    let mut wins: Vec<_> = e.wins.iter().filter(|w| w.date <= as_of).collect();
    wins.sort_by_key(|w| std::cmp::Reverse(w.date));
    let names = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    wins.into_iter()
        .map(|w| WinRow {
            date: date_long(w.date),
            title_html: markdown::inline_html(w.title.as_str()),
            metric: w.metric.as_ref().map(|id| {
                names
                    .iter()
                    .find(|m| m.id == *id)
                    .map_or_else(|| id.to_string(), |m| m.name.to_string())
            }),
            celebrated_html: md_inline(w.celebrated.as_ref()),
        })
        .collect()
}

pub fn scorecard(
    page: PageInfo,
    client_name: &str,
    e: &Engagement,
    f: &EngagementFigures,
    as_of: Date,
    changes: Option<ChangesView>,
) -> Scorecard {
    let success = e.success.as_ref();
    Scorecard {
        page,
        title: e.title.to_string(),
        client_name: client_name.to_owned(),
        status: client_status_view(e.status),
        agreed: success.and_then(|s| s.agreed).map(date_long),
        agreed_by: success
            .map(|s| s.agreed_by.iter().map(Text::to_string).collect())
            .unwrap_or_default(),
        desired_outcome_html: md(e.desired_outcome.as_ref()),
        score: f
            .score
            .map(|s| format!("{}", figures::round_to(s, 0) as i64)),
        health: health_view(f),
        metrics: metric_cards(e, f, as_of),
        wins: win_rows(e, as_of),
        report_href: "../index.html".to_owned(),
        changes,
    }
}

pub fn client_report(
    page: PageInfo,
    client: &Client,
    sections: Vec<EngagementSection>,
) -> ClientReport {
    // client.yaml's `notes` are internal and never read here.
    ClientReport {
        page,
        client_name: client.name.to_string(),
        industry: client
            .industry
            .as_ref()
            .map(Text::to_string)
            .filter(|t| !t.trim().is_empty()),
        since: client.since.map(date_long),
        contacts: client
            .contacts
            .iter()
            .map(|c| ContactView {
                name: c.name.to_string(),
                role: c.role.as_ref().map(Text::to_string),
                email: c.email.as_ref().map(Text::to_string),
            })
            .collect(),
        engagements: sections,
    }
}

// ---------------------------------------------------------------------------
// Review checklist (internal)

#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub page: PageInfo,
    pub title: String,
    pub client_name: String,
    pub status: StatusView,
    pub review_date: Option<String>,
    pub checklist: Vec<ChecklistRow>,
    /// How many items are in each state, for the line above the checklist.
    pub checklist_counts: ChecklistCounts,
    pub went_wrong_html: Option<String>,
    pub went_right_html: Option<String>,
    pub new_problems_html: Option<String>,
    pub after_the_book_html: Option<String>,
    pub next_offer_html: Option<String>,
    pub decision: Option<&'static str>,
    pub refund: Option<&'static str>,
    pub refund_reason_html: Option<String>,
    pub referrals: Option<u32>,
    pub concerns: Vec<ConcernRow>,
    pub wins: Vec<WinRow>,
    pub metrics: Vec<MetricSummary>,
    pub qualification: Option<QualificationView>,
    pub value: Option<String>,
    pub internal_notes_html: Option<String>,
    /// client.yaml's `notes`: internal, so shown here and on no client page.
    pub client_notes_html: Option<String>,
    pub scorecard_href: String,
    pub report_href: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChecklistRow {
    pub item: &'static str,
    pub question: &'static str,
    pub state: &'static str,
    pub mark: &'static str,
    pub detail: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ChecklistCounts {
    pub done: usize,
    pub open: usize,
    pub not_applicable: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct QualificationView {
    pub story_html: Option<String>,
    pub claims: Vec<ClaimRow>,
    pub red_flags: Vec<RedFlagRow>,
    pub decision: Option<&'static str>,
    pub decided: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClaimRow {
    pub claim_html: String,
    pub evidence_html: Option<String>,
    pub status: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RedFlagRow {
    pub flag_html: String,
    pub resolution_html: Option<String>,
}

pub fn review(
    page: PageInfo,
    client_name: &str,
    client_notes_html: Option<String>,
    e: &Engagement,
    f: &EngagementFigures,
    as_of: Date,
    currency: Option<&str>,
) -> Review {
    use crate::model::{ClaimStatus, Decision, Refund, ReviewDecision};
    // A review dated after the as-of date is not held yet.
    let r = e.review.as_ref().filter(|r| r.date <= as_of);
    let mut checklist_counts = ChecklistCounts::default();
    for item in &f.checklist {
        *match item.state {
            CheckState::Done => &mut checklist_counts.done,
            CheckState::Open => &mut checklist_counts.open,
            CheckState::NotApplicable => &mut checklist_counts.not_applicable,
        } += 1;
    }
    let checklist = f
        .checklist
        .iter()
        .map(|item| ChecklistRow {
            item: item.item,
            question: item.question,
            state: match item.state {
                CheckState::Done => "done",
                CheckState::Open => "open",
                CheckState::NotApplicable => "not-applicable",
            },
            mark: match item.state {
                CheckState::Done => "Done",
                CheckState::Open => "Open",
                CheckState::NotApplicable => "N/A",
            },
            // A date is data (YYYY-MM-DD) in engagements.json, words on the page.
            detail: Date::parse(&item.detail).map_or_else(|| item.detail.clone(), date_long),
        })
        .collect();
    let qualification = e.qualification.as_ref().map(|q| QualificationView {
        story_html: md(q.story.as_ref()),
        claims: q
            .claims
            .iter()
            .map(|c| ClaimRow {
                claim_html: markdown::inline_html(c.claim.as_str()),
                evidence_html: md_inline(c.evidence.as_ref()),
                status: match c.status {
                    ClaimStatus::Verified => "verified",
                    ClaimStatus::Unverified => "unverified",
                    ClaimStatus::Contradicted => "contradicted",
                },
            })
            .collect(),
        red_flags: q
            .red_flags
            .iter()
            .map(|flag| RedFlagRow {
                flag_html: markdown::inline_html(flag.flag.as_str()),
                resolution_html: md_inline(flag.resolution.as_ref()),
            })
            .collect(),
        decision: q.decision.map(|d| match d {
            Decision::Accept => "accept",
            Decision::Reframe => "reframe",
            Decision::Decline => "decline",
        }),
        decided: q.decided.map(date_long),
    });
    let value = e.value.as_ref().map(|v| {
        let currency = v
            .currency
            .as_ref()
            .map(Text::as_str)
            .or(currency)
            .unwrap_or_default();
        format_number(v.amount, currency)
    });
    Review {
        page,
        title: e.title.to_string(),
        client_name: client_name.to_owned(),
        status: status_view(e.status),
        review_date: r.map(|r| date_long(r.date)),
        checklist,
        checklist_counts,
        went_wrong_html: md(r.and_then(|r| r.went_wrong.as_ref())),
        went_right_html: md(r.and_then(|r| r.went_right.as_ref())),
        new_problems_html: md(r.and_then(|r| r.new_problems.as_ref())),
        after_the_book_html: md(r.and_then(|r| r.after_the_book.as_ref())),
        next_offer_html: md_inline(r.and_then(|r| r.next_offer.as_ref())),
        decision: r.map(|r| match r.decision {
            ReviewDecision::Continue => "continue",
            ReviewDecision::Next => "next",
            ReviewDecision::End => "end",
        }),
        refund: r.map(|r| match r.refund {
            Refund::None => "none",
            Refund::Partial => "partial",
            Refund::Full => "full",
        }),
        refund_reason_html: md(r.and_then(|r| r.refund_reason.as_ref())),
        referrals: r.and_then(|r| r.referrals),
        concerns: concern_rows(e, as_of),
        wins: win_rows(e, as_of),
        metrics: metric_summaries(e, f),
        qualification,
        value,
        internal_notes_html: md(e.internal_notes.as_ref()),
        client_notes_html,
        scorecard_href: "scorecard.html".to_owned(),
        report_href: "../index.html".to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Portfolio (internal)

#[derive(Clone, Debug, Serialize)]
pub struct Portfolio {
    pub page: PageInfo,
    pub counts_by_status: Vec<Count>,
    pub counts_by_health: Vec<Count>,
    /// Empty when the rows are rendered apart, batch by batch, into
    /// `rows_html` (see `pages::render_portfolio`).
    pub rows: Vec<PortfolioRow>,
    pub has_rows: bool,
    /// The rows' HTML, or the marker where it goes.
    pub rows_html: String,
    pub clients: Vec<ClientLink>,
}

/// A batch of the portfolio's rows, for `portfolio-rows.html`.
#[derive(Clone, Debug, Serialize)]
pub struct PortfolioRows<'a> {
    pub rows: &'a [PortfolioRow],
}

#[derive(Clone, Debug, Serialize)]
pub struct Count {
    pub word: &'static str,
    pub label: &'static str,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientLink {
    pub name: String,
    pub href: String,
    pub engagements: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortfolioRow {
    pub client_name: String,
    pub client_href: String,
    pub title: String,
    pub scorecard_href: String,
    pub review_href: String,
    pub status: StatusView,
    pub health: Option<HealthView>,
    pub first_reason: Option<String>,
    pub score: Option<String>,
    pub next_milestone: Option<String>,
    pub last_update: Option<String>,
    pub warnings: usize,
    /// Sort key: red first, then amber, green, none.
    #[serde(skip)]
    pub rank: (u8, String, String),
}

/// One engagement's row in the portfolio.
pub fn portfolio_row(
    client_slug: &str,
    client_name: &str,
    slug: &str,
    e: &Engagement,
    f: &EngagementFigures,
    warnings: usize,
) -> PortfolioRow {
    let health = health_view(f);
    let rank = match f.health.as_ref().map(|(h, _)| *h) {
        Some(Health::Red) => 0,
        Some(Health::Amber) => 1,
        Some(Health::Green) => 2,
        None => 3,
    };
    PortfolioRow {
        client_name: client_name.to_owned(),
        client_href: format!("{client_slug}/index.html"),
        title: e.title.to_string(),
        scorecard_href: format!("{client_slug}/{slug}/scorecard.html"),
        review_href: format!("{client_slug}/{slug}/review.html"),
        status: status_view(e.status),
        first_reason: health
            .as_ref()
            .and_then(|h| h.reasons.first().map(|r| r.detail.clone())),
        health,
        score: f
            .score
            .map(|s| format!("{}", figures::round_to(s, 0) as i64)),
        next_milestone: next_step(e, f).filter(|_| e.status.is_open()),
        last_update: f.last_update.map(date_long),
        warnings,
        rank: (rank, client_slug.to_owned(), slug.to_owned()),
    }
}

/// The portfolio: counts by status and health, rows red first.
pub fn portfolio(
    page: PageInfo,
    mut rows: Vec<PortfolioRow>,
    mut clients: Vec<ClientLink>,
) -> Portfolio {
    let statuses = Status::ALL;
    let counts_by_status = statuses
        .iter()
        .map(|s| Count {
            word: s.as_str(),
            label: status_label(*s),
            count: rows.iter().filter(|r| r.status.word == s.as_str()).count(),
        })
        .collect();
    let counts_by_health = [
        (Health::Red, "Red"),
        (Health::Amber, "Amber"),
        (Health::Green, "Green"),
    ]
    .iter()
    .map(|(h, label)| Count {
        word: h.as_str(),
        label,
        count: rows
            .iter()
            .filter(|r| r.health.as_ref().is_some_and(|v| v.colour == h.as_str()))
            .count(),
    })
    .collect();
    rows.sort_by(|a, b| a.rank.cmp(&b.rank));
    clients.sort_by(|a, b| a.href.cmp(&b.href));
    Portfolio {
        page,
        counts_by_status,
        counts_by_health,
        has_rows: !rows.is_empty(),
        rows,
        rows_html: String::new(),
        clients,
    }
}

// ---------------------------------------------------------------------------
// engagements.json

#[derive(Debug, Serialize)]
pub struct EngagementsJson {
    pub as_of: String,
    pub practice: Option<String>,
    pub clients: Vec<ClientJson>,
}

#[derive(Debug, Serialize)]
pub struct ClientJson {
    pub slug: String,
    pub name: String,
    pub engagements: Vec<EngagementJson>,
}

#[derive(Debug, Serialize)]
pub struct EngagementJson {
    pub slug: String,
    pub title: String,
    pub status: &'static str,
    pub health: Option<&'static str>,
    pub health_reasons: Vec<ReasonJson>,
    pub score: Option<f64>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub expected: f64,
    pub last_update: Option<String>,
    pub cadence_days: u32,
    pub metrics: Vec<MetricJson>,
    pub milestones: Vec<MilestoneJson>,
    pub review_checklist: Vec<ChecklistJson>,
}

#[derive(Debug, Serialize)]
pub struct ReasonJson {
    pub kind: &'static str,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct MetricJson {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    pub weight: f64,
    #[serde(serialize_with = "plain_number")]
    pub baseline: f64,
    #[serde(serialize_with = "plain_number")]
    pub target: f64,
    #[serde(serialize_with = "plain_option")]
    pub current: Option<f64>,
    pub current_date: Option<String>,
    pub progress: Option<f64>,
    pub expected: f64,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct MilestoneJson {
    pub id: String,
    pub due: String,
    pub done: Option<String>,
    pub status: &'static str,
    pub days_late: Option<i64>,
    pub days_overdue: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ChecklistJson {
    pub item: &'static str,
    pub done: bool,
    pub state: CheckState,
    pub detail: String,
}

/// A number as written in the record: 45, not 45.0 (engagements.json and the
/// audit's JSON alike).
fn plain_number<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

pub(crate) fn plain_option<S: serde::Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => plain_number(v, serializer),
        None => serializer.serialize_none(),
    }
}

pub fn engagement_json(slug: &str, e: &Engagement, f: &EngagementFigures) -> EngagementJson {
    let defs = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    EngagementJson {
        slug: slug.to_owned(),
        title: e.title.to_string(),
        status: e.status.as_str(),
        health: f.health.as_ref().map(|(h, _)| h.as_str()),
        health_reasons: f
            .health
            .as_ref()
            .map(|(_, reasons)| {
                reasons
                    .iter()
                    .map(|r| ReasonJson {
                        kind: r.kind.as_str(),
                        detail: r.detail.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        score: f.score.map(|s| figures::round_to(s, 1)),
        start: e.start.map(|d| d.to_string()),
        end: e.end.map(|d| d.to_string()),
        expected: figures::round_to(f.expected, 4),
        last_update: f.last_update.map(|d| d.to_string()),
        cadence_days: f.cadence_days,
        metrics: defs
            .iter()
            .zip(&f.metrics)
            .map(|(m, mf)| MetricJson {
                id: m.id.to_string(),
                name: m.name.to_string(),
                unit: m.unit.as_ref().map(Text::to_string),
                weight: mf.weight,
                baseline: m.baseline,
                target: m.target,
                current: mf.current.map(|(_, v)| v),
                current_date: mf.current.map(|(d, _)| d.to_string()),
                progress: mf.progress.map(|p| figures::round_to(p, 4)),
                expected: figures::round_to(mf.expected, 4),
                status: mf.status.as_str(),
            })
            .collect(),
        milestones: e
            .milestones
            .iter()
            .zip(&f.milestones)
            .map(|(m, mf)| MilestoneJson {
                id: m.id.to_string(),
                due: m.due.to_string(),
                // A done date after the as-of date is not yet written.
                done: m
                    .done
                    .filter(|_| mf.status == MilestoneStatus::Done)
                    .map(|d| d.to_string()),
                status: mf.status.as_str(),
                days_late: mf.days_late,
                days_overdue: mf.days_overdue,
            })
            .collect(),
        review_checklist: f
            .checklist
            .iter()
            .map(|c| ChecklistJson {
                item: c.item,
                done: c.state == CheckState::Done,
                state: c.state,
                detail: c.detail.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn day_of_counts_as_the_report_sketch_does() {
        let (start, end) = (Some(d("2026-03-02")), Some(d("2026-09-30")));
        // REPORTS.md: 2 March to 30 September 2026, as of 15 July: day 135 of 212.
        assert_eq!(
            day_of(start, end, d("2026-07-15")).as_deref(),
            Some("day 135 of 212")
        );
        assert_eq!(
            day_of(start, end, d("2026-03-03")).as_deref(),
            Some("day 1 of 212")
        );
        assert_eq!(
            day_of(start, end, d("2026-09-30")).as_deref(),
            Some("day 212 of 212")
        );
        assert_eq!(day_of(start, end, d("2026-03-02")), None);
        assert_eq!(day_of(start, end, d("2026-10-01")), None);
        assert_eq!(day_of(start, None, d("2026-07-15")), None);
    }
}
