//! The quarterly relationship audit: for one quarter, per client and
//! engagement, what was active, milestones done and missed, each metric's
//! value at the start and the end of the quarter, wins, updates sent against
//! the promised cadence, concerns raised and answered, reviews done and due,
//! next offers and refunds. One computation feeds the HTML, JSON and CSV.

use serde::Serialize;

use crate::figures;
use crate::model::{Date, Engagement, Refund, Status, Text};
use crate::rules::engagement::Settings;

/// A calendar quarter, such as 2026-Q3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quarter {
    pub year: i16,
    pub number: u8,
}

impl Quarter {
    /// Parses `YYYY-Qn`.
    pub fn parse(text: &str) -> Result<Quarter, String> {
        let bad = || format!("`{text}` is not a quarter: write it as YYYY-Qn, such as 2026-Q3");
        let (year, quarter) = text.split_once('-').ok_or_else(bad)?;
        let number = quarter.strip_prefix(['Q', 'q']).ok_or_else(bad)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        let number: u8 = number.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&number) || year < 1000 {
            return Err(bad());
        }
        Ok(Quarter { year, number })
    }

    pub fn first_day(self) -> Date {
        Date::from_ymd(self.year, (self.number as i8 - 1) * 3 + 1, 1)
            .expect("a quarter starts on a real day")
    }

    pub fn last_day(self) -> Date {
        // Counted within the year: the day before next year's first would
        // not exist after 9999-Q4, the last quarter dates can hold.
        let (month, day) = match self.number {
            1 => (3, 31),
            2 => (6, 30),
            3 => (9, 30),
            _ => (12, 31),
        };
        Date::from_ymd(self.year, month, day).expect("a quarter ends on a real day")
    }

    pub fn contains(self, date: Date) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

#[derive(Debug, Serialize)]
pub struct Audit {
    pub quarter: String,
    pub start: String,
    pub end: String,
    /// The day the figures are taken: the quarter's last day, or the as-of
    /// date while the quarter is still running.
    pub as_of: String,
    pub practice: Option<String>,
    pub totals: Totals,
    pub clients: Vec<ClientAudit>,
    /// From the records' git history, when there is one: what moved in the
    /// quarter between its first and last commits.
    pub history: Option<AuditHistory>,
    /// `--client`: the only clients audited (left out when all were).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_clients: Vec<String>,
}

/// The history rules between the last commit before the quarter began and
/// the last commit in it.
#[derive(Debug, Serialize)]
pub struct AuditHistory {
    pub from_commit: String,
    pub from_date: String,
    pub to_commit: String,
    pub to_date: String,
    pub findings: Vec<Finding>,
}

/// A goalpost moved, history rewritten, a milestone slipped or undone.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: &'static str,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl AuditHistory {
    pub fn new(
        from: (String, Date),
        to: (String, Date),
        found: Vec<crate::diagnostics::Diagnostic>,
    ) -> AuditHistory {
        let findings = found
            .into_iter()
            .map(|d| Finding {
                rule: d.rule.name,
                severity: match d.severity {
                    crate::diagnostics::Severity::Error => "error",
                    crate::diagnostics::Severity::Warning => "warning",
                },
                file: d.file,
                line: d.pos.line,
                column: d.pos.column,
                message: d.message,
            })
            .collect();
        AuditHistory {
            from_commit: from.0,
            from_date: from.1.to_string(),
            to_commit: to.0,
            to_date: to.1.to_string(),
            findings,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub engagements: usize,
    pub milestones_done: usize,
    pub milestones_missed: usize,
    pub wins: usize,
    pub updates_sent: usize,
    pub updates_expected: usize,
    pub concerns_raised: usize,
    pub concerns_answered: usize,
    pub reviews_done: usize,
    pub reviews_due: usize,
    pub refunds: usize,
}

#[derive(Debug, Serialize)]
pub struct ClientAudit {
    pub slug: String,
    pub name: String,
    pub engagements: Vec<EngagementAudit>,
}

#[derive(Debug, Serialize)]
pub struct EngagementAudit {
    pub slug: String,
    pub title: String,
    pub status: &'static str,
    pub milestones_done: Vec<MilestoneEvent>,
    pub milestones_missed: Vec<MilestoneEvent>,
    pub metrics: Vec<MetricMovement>,
    pub wins: Vec<WinEvent>,
    pub updates: UpdatesAudit,
    pub concerns_raised: usize,
    pub concerns_answered: usize,
    pub review_done: Option<String>,
    pub review_due: bool,
    pub next_offer: Option<String>,
    pub refund: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct MilestoneEvent {
    pub id: String,
    pub title: String,
    pub due: String,
    pub done: Option<String>,
    /// Done: days after the due date; missed: days overdue at the quarter's end.
    pub days_late: i64,
}

#[derive(Debug, Serialize)]
pub struct MetricMovement {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    /// The latest measurement before the quarter, else the baseline.
    #[serde(serialize_with = "crate::view::plain_option")]
    pub start_value: Option<f64>,
    /// No measurement before the quarter: `start_value` is the baseline.
    pub start_is_baseline: bool,
    #[serde(serialize_with = "crate::view::plain_option")]
    pub end_value: Option<f64>,
    #[serde(serialize_with = "crate::view::plain_option")]
    pub change: Option<f64>,
    pub end_status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct WinEvent {
    pub date: String,
    pub title: String,
    pub celebrated: bool,
}

#[derive(Debug, Serialize)]
pub struct UpdatesAudit {
    pub cadence_days: u32,
    pub sent: usize,
    /// Updates the cadence promised over the days the engagement was active in the quarter.
    pub expected: usize,
    /// The longest silence in the quarter, in days.
    pub longest_gap_days: i64,
}

/// Whether an engagement ran during the quarter (up to the audit day).
fn active_in(e: &Engagement, first: Date, last: Date) -> bool {
    if matches!(e.status, Status::Prospect | Status::Declined) {
        return false;
    }
    let Some(start) = e.start else { return false };
    // A completed or ended engagement stops at its end date or at its
    // review, whichever is later: a review held after the end (the usual
    // case) belongs to the quarter it was held in, with its refund and
    // next offer, and the quarters before it owe it.
    let stop = match e.status {
        Status::Completed | Status::Ended => {
            let review = e.review.as_ref().map(|r| r.date).filter(|d| *d <= last);
            e.end.max(review)
        }
        _ => None,
    };
    start <= last && stop.is_none_or(|stop| stop >= first)
}

pub struct AuditInput<'a> {
    pub client_slug: &'a str,
    pub client_name: &'a str,
    pub slug: &'a str,
    pub engagement: &'a Engagement,
}

/// The audit of `quarter`, with figures taken as of `as_of` when it falls
/// inside the quarter. `inputs` come in client order.
pub fn audit(
    quarter: Quarter,
    as_of: Date,
    practice: Option<&str>,
    settings: Settings,
    inputs: &[AuditInput<'_>],
) -> Audit {
    let first = quarter.first_day();
    let last = quarter.last_day().min(as_of);
    let mut clients: Vec<ClientAudit> = Vec::new();
    for input in inputs {
        let e = input.engagement;
        if !active_in(e, first, last) {
            continue;
        }
        let audit = engagement(input.slug, e, first, last, as_of, settings);
        match clients.last_mut() {
            Some(client) if client.slug == input.client_slug => client.engagements.push(audit),
            _ => clients.push(ClientAudit {
                slug: input.client_slug.to_owned(),
                name: input.client_name.to_owned(),
                engagements: vec![audit],
            }),
        }
    }
    combine(quarter, as_of, practice, clients)
}

/// One audit from every client's, clients and engagements in slug order,
/// with the totals.
pub fn combine(
    quarter: Quarter,
    as_of: Date,
    practice: Option<&str>,
    mut clients: Vec<ClientAudit>,
) -> Audit {
    clients.sort_by(|a, b| a.slug.cmp(&b.slug));
    let mut totals = Totals::default();
    for client in &mut clients {
        client.engagements.sort_by(|a, b| a.slug.cmp(&b.slug));
        for audit in &client.engagements {
            totals.engagements += 1;
            totals.milestones_done += audit.milestones_done.len();
            totals.milestones_missed += audit.milestones_missed.len();
            totals.wins += audit.wins.len();
            totals.updates_sent += audit.updates.sent;
            totals.updates_expected += audit.updates.expected;
            totals.concerns_raised += audit.concerns_raised;
            totals.concerns_answered += audit.concerns_answered;
            totals.reviews_done += usize::from(audit.review_done.is_some());
            totals.reviews_due += usize::from(audit.review_due);
            totals.refunds += usize::from(audit.refund.is_some());
        }
    }
    Audit {
        quarter: quarter.to_string(),
        start: quarter.first_day().to_string(),
        end: quarter.last_day().to_string(),
        as_of: quarter.last_day().min(as_of).to_string(),
        practice: practice.map(str::to_owned),
        totals,
        clients,
        history: None,
        only_clients: Vec::new(),
    }
}

fn engagement(
    slug: &str,
    e: &Engagement,
    first: Date,
    last: Date,
    as_of: Date,
    settings: Settings,
) -> EngagementAudit {
    let in_quarter = |d: Date| first <= d && d <= last;
    let mut milestones_done = Vec::new();
    let mut milestones_missed = Vec::new();
    for m in &e.milestones {
        let done = m.done.filter(|d| *d <= last);
        match done {
            Some(done) if in_quarter(done) => milestones_done.push(MilestoneEvent {
                id: m.id.to_string(),
                title: figures::plain(&m.title),
                due: m.due.to_string(),
                done: Some(done.to_string()),
                days_late: done.days_since(m.due).max(0),
            }),
            // Missed: due in the quarter and still not done at its end. One
            // due on the as-of date is due today, as the pages say, not missed.
            None if in_quarter(m.due) && m.due < as_of => milestones_missed.push(MilestoneEvent {
                id: m.id.to_string(),
                title: figures::plain(&m.title),
                due: m.due.to_string(),
                done: None,
                days_late: last.days_since(m.due).max(0),
            }),
            _ => {}
        }
    }
    let defs = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    let metrics = defs
        .iter()
        .map(|m| {
            // Before its first measurement a metric stands at its baseline.
            let start_value = figures::current(m, first.plus_days(-1)).map(|(_, v)| v);
            let start_is_baseline = start_value.is_none();
            let start_value = start_value.or(Some(m.baseline));
            let end_value = figures::current(m, last).map(|(_, v)| v);
            let end_figures = figures::metric(m, e.start, e.end, last);
            MetricMovement {
                id: m.id.to_string(),
                name: figures::plain(&m.name),
                unit: m.unit.as_ref().map(Text::to_string),
                start_value,
                start_is_baseline,
                end_value,
                change: start_value
                    .zip(end_value)
                    .map(|(a, b)| figures::round_to(b - a, 4)),
                end_status: end_figures.status.as_str(),
            }
        })
        .collect();
    let wins = e
        .wins
        .iter()
        .filter(|w| in_quarter(w.date))
        .map(|w| WinEvent {
            date: w.date.to_string(),
            title: figures::plain(&w.title),
            celebrated: w
                .celebrated
                .as_ref()
                .is_some_and(|c| !c.as_str().trim().is_empty()),
        })
        .collect();
    let concerns: Vec<_> = e.concerns.iter().filter(|c| in_quarter(c.date)).collect();
    let answered = concerns
        .iter()
        .filter(|c| {
            c.response
                .as_ref()
                .is_some_and(|r| !r.as_str().trim().is_empty())
        })
        .count();
    let review = e.review.as_ref().filter(|r| in_quarter(r.date));
    // Due once the engagement is past its end (FORMAT.md's `review-due`)
    // on the audit day, with no review held by then. A completed or ended
    // one without an end date is taken as over.
    let review_due = e.review.as_ref().is_none_or(|r| r.date > last)
        && match e.end {
            Some(end) => end < last,
            None => matches!(e.status, Status::Completed | Status::Ended),
        };
    EngagementAudit {
        slug: slug.to_owned(),
        title: figures::plain(&e.title),
        status: e.status.as_str(),
        milestones_done,
        milestones_missed,
        metrics,
        wins,
        updates: updates(e, first, last, settings),
        concerns_raised: concerns.len(),
        concerns_answered: answered,
        review_done: review.map(|r| r.date.to_string()),
        review_due,
        next_offer: review
            .and_then(|r| r.next_offer.as_ref())
            .map(figures::plain),
        refund: review.and_then(|r| match r.refund {
            Refund::None => None,
            Refund::Partial => Some("partial"),
            Refund::Full => Some("full"),
        }),
    }
}

/// Updates sent in the quarter against what the cadence promised over the
/// days the engagement ran in it.
fn updates(e: &Engagement, first: Date, last: Date, settings: Settings) -> UpdatesAudit {
    let cadence = figures::cadence_days(e, settings);
    let from = e.start.map_or(first, |s| s.max(first));
    let until = match e.status {
        Status::Completed | Status::Ended => e.end.map_or(last, |end| end.min(last)),
        _ => last,
    };
    let mut dates: Vec<Date> = e
        .updates
        .as_ref()
        .map(|u| {
            u.log
                .iter()
                .map(|l| l.date)
                .filter(|d| first <= *d && *d <= last)
                .collect()
        })
        .unwrap_or_default();
    dates.sort_unstable();
    let days = until.days_since(from).max(0);
    let expected =
        if e.status == Status::Active || matches!(e.status, Status::Completed | Status::Ended) {
            usize::try_from(days / i64::from(cadence.max(1))).unwrap_or(0)
        } else {
            0
        };
    // Silences: from the last update before the quarter (or the start) to
    // each update, and from the last one to the end of the period.
    let before = e
        .updates
        .as_ref()
        .and_then(|u| u.log.iter().map(|l| l.date).filter(|d| *d < first).max())
        .or(e.start)
        .map_or(from, |d| d.min(from));
    let mut previous = before;
    let mut longest = 0;
    // An engagement that ended before the quarter (listed for a review held
    // in it) had no silence in it: its last one is the last quarter's.
    let end_of_period = Some(until).filter(|until| *until >= first);
    for date in dates.iter().copied().chain(end_of_period) {
        longest = longest.max(date.days_since(previous));
        previous = previous.max(date);
    }
    UpdatesAudit {
        cadence_days: cadence,
        sent: dates.len(),
        expected,
        longest_gap_days: longest,
    }
}

/// The audit as CSV: one row per engagement, for spreadsheets. Cells that a
/// spreadsheet would run as a formula are prefixed with `'`.
pub fn to_csv(audit: &Audit) -> String {
    let mut out = String::new();
    let header = [
        "quarter",
        "client",
        "client_name",
        "engagement",
        "title",
        "status",
        "milestones_done",
        "milestones_missed",
        "metric_movement",
        "wins",
        "updates_sent",
        "updates_expected",
        "longest_gap_days",
        "concerns_raised",
        "concerns_answered",
        "review_done",
        "review_due",
        "next_offer",
        "refund",
    ];
    push_row(&mut out, header.iter().map(|h| (*h).to_owned()));
    for client in &audit.clients {
        for e in &client.engagements {
            let movement: Vec<String> = e
                .metrics
                .iter()
                .map(|m| {
                    let show = |v: Option<f64>| {
                        v.map_or_else(|| "-".to_owned(), |v| crate::charts::format_number(v, ""))
                    };
                    format!(
                        "{}: {} -> {}",
                        m.name,
                        show(m.start_value),
                        show(m.end_value)
                    )
                })
                .collect();
            push_row(
                &mut out,
                [
                    audit.quarter.clone(),
                    client.slug.clone(),
                    client.name.clone(),
                    e.slug.clone(),
                    e.title.clone(),
                    e.status.to_owned(),
                    e.milestones_done.len().to_string(),
                    e.milestones_missed.len().to_string(),
                    movement.join("; "),
                    e.wins.len().to_string(),
                    e.updates.sent.to_string(),
                    e.updates.expected.to_string(),
                    e.updates.longest_gap_days.to_string(),
                    e.concerns_raised.to_string(),
                    e.concerns_answered.to_string(),
                    e.review_done.clone().unwrap_or_default(),
                    if e.review_due { "yes" } else { "no" }.to_owned(),
                    e.next_offer.clone().unwrap_or_default(),
                    e.refund.unwrap_or("").to_owned(),
                ]
                .into_iter(),
            );
        }
    }
    out
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|cell| csv_cell(&cell)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_and_span_their_months() {
        let q = Quarter::parse("2026-Q3").unwrap();
        assert_eq!(
            (q.first_day().to_string(), q.last_day().to_string()),
            ("2026-07-01".into(), "2026-09-30".into())
        );
        let q = Quarter::parse("2026-q4").unwrap();
        assert_eq!(q.last_day().to_string(), "2026-12-31");
        assert_eq!(
            Quarter::parse("2024-Q1").unwrap().last_day().to_string(),
            "2024-03-31"
        );
        // The last quarter a date can be in ends on the last date there is.
        let last = Quarter::parse("9999-Q4").unwrap();
        assert_eq!(last.last_day().to_string(), "9999-12-31");
        assert!(last.contains(last.last_day()));
        for bad in [
            "2026-Q5", "2026-Q0", "2026Q3", "26-Q3", "2026-3", "Q3-2026", "2026-Q", "",
        ] {
            assert!(Quarter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-5"), "'-5");
    }
}
