//! Every computed figure, in one place, exactly as FORMAT.md's "Figures"
//! section defines them: progress, expected, metric status, score, milestone
//! status, last update, health with its reasons, and the review checklist.
//!
//! Pure functions of a record, the as-of date and the settings. Anything
//! dated after the as-of date is ignored, as if not yet written.

use serde::Serialize;

use crate::model::{Date, Engagement, Metric, Milestone, Refund, ReviewDecision, Status, Text};
use crate::rules::engagement::Settings;

/// Rounds half away from zero to `places` decimals, as the reports print.
pub fn round_to(x: f64, places: i32) -> f64 {
    // From 2^52 up every f64 is a whole number: nothing to round, and
    // scaling first could overflow to infinity.
    if x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let scale = 10f64.powi(places);
    // `+ 0.0` turns a negative zero (-0.00001 rounded) into 0: JSON and
    // pages would print it as "-0".
    (x * scale).round() / scale + 0.0
}

/// `(x - from) / (to - from)`: how far `x` lies on the way from `from` to
/// `to`. Near f64's limits (a baseline of -1e308 and a target of 1e308)
/// the differences overflow; halving all three first keeps them finite,
/// and the plain quotient is kept wherever both differences are finite, so ordinary
/// figures do not change by a bit.
pub fn position(x: f64, from: f64, to: f64) -> f64 {
    let (along, whole) = (x - from, to - from);
    // `+ 0.0`: no way made at all is 0, not -0 (0 / -10 is -0).
    if (along.is_finite() && whole.is_finite())
        || !(x.is_finite() && from.is_finite() && to.is_finite())
    {
        return along / whole + 0.0;
    }
    (x / 2.0 - from / 2.0) / (to / 2.0 - from / 2.0) + 0.0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricStatus {
    NotMeasured,
    Achieved,
    OnTrack,
    AtRisk,
    OffTrack,
}

impl MetricStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricStatus::NotMeasured => "not-measured",
            MetricStatus::Achieved => "achieved",
            MetricStatus::OnTrack => "on-track",
            MetricStatus::AtRisk => "at-risk",
            MetricStatus::OffTrack => "off-track",
        }
    }
}

/// A metric's figures as of a date.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricFigures {
    /// The latest measurement on or before the as-of date, with its date.
    pub current: Option<(Date, f64)>,
    pub progress: Option<f64>,
    pub expected: f64,
    pub status: MetricStatus,
    pub weight: f64,
}

/// The fraction of the engagement's time elapsed, clamped to 0..1.
pub fn expected(start: Option<Date>, end: Option<Date>, as_of: Date) -> f64 {
    let (Some(start), Some(end)) = (start, end) else {
        return 0.0;
    };
    let length = end.days_since(start);
    if length <= 0 {
        return if as_of >= start { 1.0 } else { 0.0 };
    }
    (as_of.days_since(start) as f64 / length as f64).clamp(0.0, 1.0)
}

/// What happened to an engagement since `--since REV`, one line of the
/// "what changed" list a consultant pastes into the client update.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub date: Date,
    pub what: Changed<'a>,
}

#[derive(Clone, Debug)]
pub enum Changed<'a> {
    MilestoneDone(&'a Milestone),
    DueMoved {
        milestone: &'a Milestone,
        from: Date,
        to: Date,
    },
    Measured {
        metric: &'a Metric,
        value: f64,
    },
    Corrected {
        metric: &'a Metric,
        of: Date,
        value: f64,
    },
    Rebaselined {
        metric: &'a Metric,
        change: &'a crate::model::Rebaseline,
    },
    Win(&'a crate::model::Win),
    ConcernRaised(&'a crate::model::Concern),
    ConcernAnswered(&'a crate::model::Concern),
}

impl Changed<'_> {
    /// Order of kinds on the same day: the story of a day reads in this order.
    fn rank(&self) -> u8 {
        match self {
            Changed::MilestoneDone(_) => 0,
            Changed::Measured { .. } => 1,
            Changed::Corrected { .. } => 2,
            Changed::Win(_) => 3,
            Changed::DueMoved { .. } => 4,
            Changed::Rebaselined { .. } => 5,
            Changed::ConcernRaised(_) => 6,
            Changed::ConcernAnswered(_) => 7,
        }
    }
}

/// Everything that changed between `then` (the engagement at REV; `None`
/// when it did not exist) and `now`, on or before `as_of`, in date order.
/// `moves` are the due-date moves found in the history, by milestone id.
pub fn changes<'a>(
    now: &'a Engagement,
    then: Option<&Engagement>,
    moves: &std::collections::HashMap<String, Vec<crate::history::DueMove>>,
    as_of: Date,
) -> Vec<Change<'a>> {
    let mut out = Vec::new();
    let known = |d: Option<Date>| d.filter(|d| *d <= as_of);
    for milestone in &now.milestones {
        let old = then.and_then(|t| t.milestones.iter().find(|m| m.id == milestone.id));
        if let Some(done) = known(milestone.done)
            && old.is_none_or(|m| known(m.done).is_none())
        {
            out.push(Change {
                date: done,
                what: Changed::MilestoneDone(milestone),
            });
        }
        for step in moves.get(milestone.id.as_str()).into_iter().flatten() {
            out.push(Change {
                date: step.on.min(as_of),
                what: Changed::DueMoved {
                    milestone,
                    from: step.from,
                    to: step.to,
                },
            });
        }
    }
    let old_metrics = then
        .and_then(|t| t.success.as_ref())
        .map_or(&[][..], |s| s.metrics.as_slice());
    for metric in now
        .success
        .as_ref()
        .map_or(&[][..], |s| s.metrics.as_slice())
    {
        let old_metric = old_metrics.iter().find(|m| m.id == metric.id);
        for change in &metric.rebaselined {
            let known_then = old_metric.is_some_and(|m| {
                m.rebaselined
                    .iter()
                    .any(|r| r.date == change.date && r.reason == change.reason)
            });
            if change.date <= as_of && !known_then {
                out.push(Change {
                    date: change.date,
                    what: Changed::Rebaselined { metric, change },
                });
            }
        }
        let mut old: Vec<&crate::model::Measurement> = old_metric
            .map(|m| m.measurements.iter().collect())
            .unwrap_or_default();
        for measurement in &metric.measurements {
            let was_there = old.iter().position(|m| {
                m.date == measurement.date
                    && m.value == measurement.value
                    && m.corrects == measurement.corrects
            });
            if let Some(at) = was_there {
                old.swap_remove(at);
                continue;
            }
            if measurement.date > as_of {
                continue;
            }
            let what = match measurement.corrects {
                Some(of) => Changed::Corrected {
                    metric,
                    of,
                    value: measurement.value,
                },
                None => Changed::Measured {
                    metric,
                    value: measurement.value,
                },
            };
            out.push(Change {
                date: measurement.date,
                what,
            });
        }
    }
    let old_wins = then.map_or(&[][..], |t| t.wins.as_slice());
    for win in &now.wins {
        if win.date <= as_of
            && !old_wins
                .iter()
                .any(|w| w.date == win.date && w.title == win.title)
        {
            out.push(Change {
                date: win.date,
                what: Changed::Win(win),
            });
        }
    }
    let old_concerns = then.map_or(&[][..], |t| t.concerns.as_slice());
    for concern in &now.concerns {
        if concern.date > as_of {
            continue;
        }
        let old = old_concerns
            .iter()
            .find(|c| c.date == concern.date && c.concern == concern.concern);
        if old.is_none() {
            out.push(Change {
                date: concern.date,
                what: Changed::ConcernRaised(concern),
            });
        }
        let answered_now = concern.response.is_some();
        let answered_then = old.is_some_and(|c| c.response.is_some());
        if answered_now && !answered_then {
            out.push(Change {
                date: known(concern.resolved).unwrap_or(concern.date),
                what: Changed::ConcernAnswered(concern),
            });
        }
    }
    // Stable: same-day changes of a kind keep file order.
    out.sort_by_key(|c| (c.date, c.what.rank()));
    out
}

/// One point of a metric as known on the as-of date: a measurement, with
/// the value of its latest correction when it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading<'a> {
    pub date: Date,
    pub value: f64,
    /// Its place in the file (ties on a date go to the later one).
    pub index: usize,
    pub note: Option<&'a crate::model::Text>,
    /// The value first recorded and the day of the correction, when corrected.
    pub corrected: Option<(f64, Date)>,
}

/// A metric's measurements on or before `as_of`, in date order (file order
/// on a tie), corrections applied: a measurement with `corrects: DATE`
/// replaces the value of the measurement of that date from its own date
/// on, and is not a point of its own.
pub fn readings(metric: &Metric, as_of: Date) -> Vec<Reading<'_>> {
    let mut points: Vec<Reading<'_>> = metric
        .measurements
        .iter()
        .enumerate()
        .filter(|(_, m)| m.corrects.is_none() && m.date <= as_of)
        .map(|(index, m)| Reading {
            date: m.date,
            value: m.value,
            index,
            note: m.note.as_ref(),
            corrected: None,
        })
        .collect();
    let mut corrections: Vec<(usize, &crate::model::Measurement)> = metric
        .measurements
        .iter()
        .enumerate()
        .filter(|(_, m)| m.corrects.is_some() && m.date <= as_of)
        .collect();
    corrections.sort_by_key(|(i, m)| (m.date, *i));
    for (_, correction) in corrections {
        for point in points
            .iter_mut()
            .filter(|p| Some(p.date) == correction.corrects)
        {
            let first = point.corrected.map_or(point.value, |(was, _)| was);
            point.corrected = Some((first, correction.date));
            point.value = correction.value;
            if correction.note.is_some() {
                point.note = correction.note.as_ref();
            }
        }
    }
    points.sort_by_key(|p| (p.date, p.index));
    points
}

/// The latest reading on or before `as_of`; on a tie, the later in the file.
pub fn current(metric: &Metric, as_of: Date) -> Option<(Date, f64)> {
    readings(metric, as_of).last().map(|p| (p.date, p.value))
}

pub fn progress(baseline: f64, target: f64, current: f64) -> f64 {
    position(current, baseline, target)
}

pub fn metric_status(progress: Option<f64>, expected: f64) -> MetricStatus {
    match progress {
        None => MetricStatus::NotMeasured,
        Some(p) if p >= 1.0 => MetricStatus::Achieved,
        Some(p) if p >= expected - 0.10 => MetricStatus::OnTrack,
        Some(p) if p >= expected - 0.25 => MetricStatus::AtRisk,
        Some(_) => MetricStatus::OffTrack,
    }
}

pub fn metric(
    metric: &Metric,
    start: Option<Date>,
    end: Option<Date>,
    as_of: Date,
) -> MetricFigures {
    let current = current(metric, as_of);
    let progress = current.map(|(_, value)| progress(metric.baseline, metric.target, value));
    let expected = expected(start, end, as_of);
    MetricFigures {
        current,
        progress,
        expected,
        status: metric_status(progress, expected),
        weight: metric.weight.unwrap_or(1.0),
    }
}

/// 100 × the weighted mean of clamped progress over measured metrics.
pub fn score(metrics: &[MetricFigures]) -> Option<f64> {
    let measured = || {
        metrics
            .iter()
            .filter_map(|m| m.progress.map(|p| (p.clamp(0.0, 1.0), m.weight)))
    };
    let weighted = |scale: f64| {
        measured().fold((0.0, 0.0), |(s, w), (p, weight)| {
            let weight = weight / scale;
            (s + p * weight, w + weight)
        })
    };
    let (mut sum, mut weights) = weighted(1.0);
    // Weights near f64's limits (1e308 overflows the sums, 5e-324 loses
    // its products): the same ratio from weights scaled to at most 1. Only
    // then, so that ordinary scores do not move by a bit.
    if !(weights.is_finite() && (100.0 * sum).is_finite()) || (weights > 0.0 && weights < 1e-290) {
        let largest = measured().map(|(_, w)| w).fold(0.0, f64::max);
        if largest > 0.0 && largest.is_finite() {
            (sum, weights) = weighted(largest);
        }
    }
    // Clamped: rounding in the sums can land a hair above 100.
    (weights > 0.0 && weights.is_finite()).then(|| (100.0 * sum / weights).clamp(0.0, 100.0))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MilestoneStatus {
    Done,
    Overdue,
    DueSoon,
    Upcoming,
}

impl MilestoneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneStatus::Done => "done",
            MilestoneStatus::Overdue => "overdue",
            MilestoneStatus::DueSoon => "due-soon",
            MilestoneStatus::Upcoming => "upcoming",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MilestoneFigures {
    pub status: MilestoneStatus,
    /// Done: days after the due date it was done (0 when on time).
    pub days_late: Option<i64>,
    /// Overdue: days past the due date.
    pub days_overdue: Option<i64>,
    /// Not done: days until the due date (negative when overdue).
    pub days_left: Option<i64>,
}

pub fn milestone(milestone: &Milestone, as_of: Date, due_soon_days: u32) -> MilestoneFigures {
    if let Some(done) = milestone.done.filter(|done| *done <= as_of) {
        return MilestoneFigures {
            status: MilestoneStatus::Done,
            days_late: Some(done.days_since(milestone.due).max(0)),
            days_overdue: None,
            days_left: None,
        };
    }
    let left = milestone.due.days_since(as_of);
    let status = if left < 0 {
        MilestoneStatus::Overdue
    } else if left <= i64::from(due_soon_days) {
        MilestoneStatus::DueSoon
    } else {
        MilestoneStatus::Upcoming
    };
    MilestoneFigures {
        status,
        days_late: None,
        days_overdue: (left < 0).then_some(-left),
        days_left: Some(left),
    }
}

/// The index of the latest log entry on or before `as_of`; on a tie, the
/// later one in the file.
pub fn latest_log_entry(e: &Engagement, as_of: Date) -> Option<usize> {
    e.updates.as_ref().and_then(|u| {
        u.log
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.date <= as_of)
            .max_by_key(|(i, entry)| (entry.date, *i))
            .map(|(i, _)| i)
    })
}

/// The latest log date on or before `as_of`, else the start date.
pub fn last_update(e: &Engagement, as_of: Date) -> Option<Date> {
    match (latest_log_entry(e, as_of), &e.updates) {
        (Some(i), Some(updates)) => Some(updates.log[i].date),
        _ => e.start,
    }
}

pub fn cadence_days(e: &Engagement, settings: Settings) -> u32 {
    e.updates
        .as_ref()
        .and_then(|u| u.cadence_days)
        .unwrap_or(settings.cadence_days)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    Green,
    Amber,
    Red,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Green => "green",
            Health::Amber => "amber",
            Health::Red => "red",
        }
    }
}

/// The kinds of FORMAT.md's health table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    MetricOffTrack,
    MilestoneOverdueLong,
    UpdateOverdueLong,
    ConcernUnansweredLong,
    MetricAtRisk,
    MilestoneOverdue,
    UpdateOverdue,
    ConcernUnanswered,
}

impl ReasonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::MetricOffTrack => "metric-off-track",
            ReasonKind::MilestoneOverdueLong => "milestone-overdue-long",
            ReasonKind::UpdateOverdueLong => "update-overdue-long",
            ReasonKind::ConcernUnansweredLong => "concern-unanswered-long",
            ReasonKind::MetricAtRisk => "metric-at-risk",
            ReasonKind::MilestoneOverdue => "milestone-overdue",
            ReasonKind::UpdateOverdue => "update-overdue",
            ReasonKind::ConcernUnanswered => "concern-unanswered",
        }
    }

    pub fn colour(self) -> Health {
        match self {
            ReasonKind::MetricOffTrack
            | ReasonKind::MilestoneOverdueLong
            | ReasonKind::UpdateOverdueLong
            | ReasonKind::ConcernUnansweredLong => Health::Red,
            _ => Health::Amber,
        }
    }
}

/// One finding behind a health colour, in words for the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub kind: ReasonKind,
    /// For data (engagements.json): dates as YYYY-MM-DD.
    pub detail: String,
    /// For pages: the same in words a person reads.
    pub words: String,
    /// Where the finding stands in the file, for ordering.
    pub line: u32,
}

/// Where each finding stands in the file: `Node::locate` over the record's
/// tree, or a fixed order where no tree is at hand.
pub trait LineOf {
    fn metric(&self, index: usize) -> u32;
    fn milestone(&self, index: usize) -> u32;
    fn concern(&self, index: usize) -> u32;
    fn cadence(&self, latest_log_entry: Option<usize>) -> u32;
}

/// The engagement's health and its reasons; `None` for statuses that have none.
pub fn health(
    e: &Engagement,
    metrics: &[MetricFigures],
    milestones: &[MilestoneFigures],
    as_of: Date,
    settings: Settings,
    lines: &dyn LineOf,
) -> Option<(Health, Vec<Reason>)> {
    if !e.status.is_open() {
        return None;
    }
    let mut reasons = Vec::new();
    let metric_defs = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    for (i, (def, figures)) in metric_defs.iter().zip(metrics).enumerate() {
        let kind = match figures.status {
            MetricStatus::OffTrack => ReasonKind::MetricOffTrack,
            MetricStatus::AtRisk => ReasonKind::MetricAtRisk,
            _ => continue,
        };
        let progress = figures.progress.unwrap_or_default();
        let detail = format!(
            "{}: {}% of the way, {}% expected by now",
            plain(&def.name),
            percent(progress),
            percent(figures.expected)
        );
        reasons.push(Reason {
            kind,
            words: format!(
                "\"{}\" is behind pace: {}% of the way, {}% expected by now",
                plain(&def.name),
                percent(progress),
                percent(figures.expected)
            ),
            detail,
            line: lines.metric(i),
        });
    }
    for (i, (def, figures)) in e.milestones.iter().zip(milestones).enumerate() {
        let Some(days) = figures.days_overdue else {
            continue;
        };
        let kind = if days > 14 {
            ReasonKind::MilestoneOverdueLong
        } else {
            ReasonKind::MilestoneOverdue
        };
        reasons.push(Reason {
            kind,
            detail: format!(
                "milestone {} was due {}, {} overdue",
                plain(&def.id),
                def.due,
                days_word(days)
            ),
            words: format!(
                "step {} was due {}, {} ago, and is not done",
                plain(&def.id),
                crate::model::date_long(def.due),
                days_word(days)
            ),
            line: lines.milestone(i),
        });
    }
    for (i, concern) in e.concerns.iter().enumerate() {
        if concern.date > as_of
            || concern
                .response
                .as_ref()
                .is_some_and(|r| !r.as_str().trim().is_empty())
        {
            continue;
        }
        let age = as_of.days_since(concern.date);
        let kind = if age > 14 {
            ReasonKind::ConcernUnansweredLong
        } else {
            ReasonKind::ConcernUnanswered
        };
        reasons.push(Reason {
            kind,
            detail: format!(
                "a concern raised {} has no response after {}",
                concern.date,
                days_word(age)
            ),
            words: format!(
                "a concern raised on {} has had no answer for {}",
                crate::model::date_long(concern.date),
                days_word(age)
            ),
            line: lines.concern(i),
        });
    }
    if e.status == Status::Active
        && let Some(last) = last_update(e, as_of)
    {
        let cadence = cadence_days(e, settings);
        let silent = as_of.days_since(last);
        let kind = if silent > 2 * i64::from(cadence) {
            Some(ReasonKind::UpdateOverdueLong)
        } else if silent > i64::from(cadence) {
            Some(ReasonKind::UpdateOverdue)
        } else {
            None
        };
        if let Some(kind) = kind {
            let latest = latest_log_entry(e, as_of);
            reasons.push(Reason {
                kind,
                detail: format!("last update {last}, cadence {cadence} days"),
                words: format!(
                    "last update {}, {} ago (we promised every {cadence} days)",
                    crate::model::date_long(last),
                    days_word(silent)
                ),
                line: lines.cadence(latest),
            });
        }
    }
    // Red before amber, then file order; the sort is stable for ties.
    reasons.sort_by_key(|r| (std::cmp::Reverse(r.kind.colour()), r.line));
    let health = reasons
        .iter()
        .map(|r| r.kind.colour())
        .max()
        .unwrap_or(Health::Green);
    Some((health, reasons))
}

/// All figures of one engagement, computed once and shared by every page
/// and by engagements.json.
#[derive(Clone, Debug, PartialEq)]
pub struct EngagementFigures {
    pub metrics: Vec<MetricFigures>,
    pub milestones: Vec<MilestoneFigures>,
    pub score: Option<f64>,
    pub health: Option<(Health, Vec<Reason>)>,
    pub last_update: Option<Date>,
    pub cadence_days: u32,
    pub expected: f64,
    pub checklist: Vec<ChecklistItem>,
}

pub fn engagement(
    e: &Engagement,
    as_of: Date,
    settings: Settings,
    lines: &dyn LineOf,
) -> EngagementFigures {
    let metric_defs = e.success.as_ref().map_or(&[][..], |s| s.metrics.as_slice());
    let metrics: Vec<MetricFigures> = metric_defs
        .iter()
        .map(|m| metric(m, e.start, e.end, as_of))
        .collect();
    let milestones: Vec<MilestoneFigures> = e
        .milestones
        .iter()
        .map(|m| milestone(m, as_of, settings.due_soon_days))
        .collect();
    let health = health(e, &metrics, &milestones, as_of, settings, lines);
    EngagementFigures {
        score: score(&metrics),
        checklist: review_checklist(e, &metrics, as_of),
        last_update: last_update(e, as_of),
        cadence_days: cadence_days(e, settings),
        expected: expected(e.start, e.end, as_of),
        metrics,
        milestones,
        health,
    }
}

/// Lines from the record's own YAML tree: the positions the rules use.
impl LineOf for crate::yaml::Node {
    fn metric(&self, index: usize) -> u32 {
        use crate::yaml::Step::{Index, Key};
        self.locate(&[Key("success"), Key("metrics"), Index(index), Key("id")])
            .line
    }
    fn milestone(&self, index: usize) -> u32 {
        use crate::yaml::Step::{Index, Key};
        self.locate(&[Key("milestones"), Index(index), Key("due")])
            .line
    }
    fn concern(&self, index: usize) -> u32 {
        use crate::yaml::Step::{Index, Key};
        self.locate(&[Key("concerns"), Index(index)]).line
    }
    fn cadence(&self, latest_log_entry: Option<usize>) -> u32 {
        use crate::yaml::Step::{Index, Key};
        match latest_log_entry {
            Some(i) => {
                self.locate(&[Key("updates"), Key("log"), Index(i), Key("date")])
                    .line
            }
            None => self.locate_key(&[Key("updates")]).line,
        }
    }
}

/// Text for a one-line detail (a table cell, a CSV cell, a checklist
/// line): its lines trimmed and joined with one space, so a title written
/// over two lines keeps its second, and its Markdown markup dropped
/// (`markdown::label_text`).
pub fn plain(text: &Text) -> String {
    crate::markdown::label_text(text.as_str())
}

pub fn percent(fraction: f64) -> String {
    let rounded = round_to(fraction * 100.0, 0);
    if rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else if rounded.is_finite() {
        // Past the digits anyone reads (a value of 1e308 against a target
        // of 100): a magnitude, not i64's limit.
        let text = format!("{rounded:.2e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    } else if rounded > 0.0 {
        "more than 1e308".to_owned()
    } else {
        "less than -1e308".to_owned()
    }
}

pub fn days_word(days: i64) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}

/// The state of one "Is this the end?" question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    Done,
    Open,
    NotApplicable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    /// Stable id: went-wrong, went-right, new-problems, after-the-book,
    /// success-reached, wins-celebrated, concerns-answered, next-offer,
    /// end-date, refund.
    pub item: &'static str,
    pub question: &'static str,
    pub state: CheckState,
    /// Why it is in that state, in words.
    pub detail: String,
}

fn answered(text: Option<&Text>) -> bool {
    text.is_some_and(|t| !t.as_str().trim().is_empty())
}

/// The review checklist, in REPORTS.md's order.
pub fn review_checklist(
    e: &Engagement,
    metrics: &[MetricFigures],
    as_of: Date,
) -> Vec<ChecklistItem> {
    // A review dated after the as-of date is not held yet.
    let review = e.review.as_ref().filter(|r| r.date <= as_of);
    let text_item = |item, question, text: Option<&Text>| {
        let done = answered(text);
        ChecklistItem {
            item,
            question,
            state: if done {
                CheckState::Done
            } else {
                CheckState::Open
            },
            detail: if done {
                "answered in the review".into()
            } else {
                "Not answered yet".into()
            },
        }
    };
    let mut items = vec![
        text_item(
            "went-wrong",
            "What went wrong?",
            review.and_then(|r| r.went_wrong.as_ref()),
        ),
        text_item(
            "went-right",
            "What went right?",
            review.and_then(|r| r.went_right.as_ref()),
        ),
        text_item(
            "new-problems",
            "What new problems does the solution create?",
            review.and_then(|r| r.new_problems.as_ref()),
        ),
        text_item(
            "after-the-book",
            "What happens when they put the book down?",
            review.and_then(|r| r.after_the_book.as_ref()),
        ),
    ];

    let achieved = metrics
        .iter()
        .filter(|m| m.status == MetricStatus::Achieved)
        .count();
    let measured = metrics.iter().filter(|m| m.progress.is_some()).count();
    let success_reached = !metrics.is_empty() && achieved == metrics.len();
    items.push(ChecklistItem {
        item: "success-reached",
        question: "Did we reach the agreed success?",
        state: if !metrics.is_empty() && measured == metrics.len() {
            CheckState::Done
        } else {
            CheckState::Open
        },
        detail: if metrics.is_empty() {
            "no metric was agreed".into()
        } else if measured < metrics.len() {
            format!(
                "{} of {} metrics measured, {achieved} achieved",
                measured,
                metrics.len()
            )
        } else {
            // `done` says the question is answered; the answer comes first,
            // so that a tick is not read as a yes.
            let answer = if success_reached { "yes" } else { "no" };
            format!("{answer}: {achieved} of {} metrics achieved", metrics.len())
        },
    });

    let wins: Vec<_> = e.wins.iter().filter(|w| w.date <= as_of).collect();
    let uncelebrated = wins
        .iter()
        .filter(|w| !answered(w.celebrated.as_ref()))
        .count();
    items.push(match (wins.len(), uncelebrated) {
        (0, _) => ChecklistItem {
            item: "wins-celebrated",
            question: "Is every win celebrated?",
            state: CheckState::NotApplicable,
            detail: "not applicable: no win recorded yet".into(),
        },
        (n, 0) => ChecklistItem {
            item: "wins-celebrated",
            question: "Is every win celebrated?",
            state: CheckState::Done,
            detail: if n == 1 {
                "the win is celebrated".into()
            } else {
                format!("all {n} celebrated")
            },
        },
        (n, open) => ChecklistItem {
            item: "wins-celebrated",
            question: "Is every win celebrated?",
            state: CheckState::Open,
            detail: format!("{open} of {n} not celebrated yet"),
        },
    });

    let concerns: Vec<_> = e.concerns.iter().filter(|c| c.date <= as_of).collect();
    let unanswered = concerns
        .iter()
        .filter(|c| !answered(c.response.as_ref()))
        .count();
    items.push(match (concerns.len(), unanswered) {
        (0, _) => ChecklistItem {
            item: "concerns-answered",
            question: "Is every concern answered?",
            state: CheckState::NotApplicable,
            detail: "not applicable: no concern raised".into(),
        },
        (n, 0) => ChecklistItem {
            item: "concerns-answered",
            question: "Is every concern answered?",
            state: CheckState::Done,
            detail: if n == 1 {
                "the concern is answered".into()
            } else {
                format!("all {n} answered")
            },
        },
        (n, open) => ChecklistItem {
            item: "concerns-answered",
            question: "Is every concern answered?",
            state: CheckState::Open,
            detail: format!("{open} of {n} without a response"),
        },
    });

    let next_offer = review
        .and_then(|r| r.next_offer.as_ref())
        .filter(|t| answered(Some(t)));
    let (state, detail) = match (review.map(|r| r.decision), next_offer) {
        (None, Some(offer)) => (
            CheckState::Open,
            format!("next offer \"{}\", decision not recorded", plain(offer)),
        ),
        (None, None) => (
            CheckState::Open,
            "no next offer, decision not recorded".into(),
        ),
        (Some(ReviewDecision::Next), None) => (
            CheckState::Open,
            "decision is to offer what comes next, but no next offer is named".into(),
        ),
        (Some(ReviewDecision::Next), Some(offer)) => {
            (CheckState::Done, format!("next: {}", plain(offer)))
        }
        (Some(ReviewDecision::Continue), _) => {
            (CheckState::Done, "decision: continue the engagement".into())
        }
        (Some(ReviewDecision::End), _) => (CheckState::Done, "decision: end here".into()),
    };
    items.push(ChecklistItem {
        item: "next-offer",
        question: "What comes next?",
        state,
        detail,
    });

    items.push(match e.end {
        Some(end) => ChecklistItem {
            item: "end-date",
            question: "Is the end date defined?",
            state: CheckState::Done,
            detail: end.to_string(),
        },
        None => ChecklistItem {
            item: "end-date",
            question: "Is the end date defined?",
            state: CheckState::Open,
            detail: "no end date agreed".into(),
        },
    });

    // Work never taken on owes no refund (a prospect's, a declined one's).
    let never_sold = matches!(e.status, Status::Prospect | Status::Declined);
    items.push(if never_sold {
        ChecklistItem {
            item: "refund",
            question: "Refund decision",
            state: CheckState::NotApplicable,
            detail: if e.status == Status::Declined {
                "not applicable: the work was declined".into()
            } else {
                "not applicable: the work has not been taken on".into()
            },
        }
    } else if success_reached {
        ChecklistItem {
            item: "refund",
            question: "Refund decision",
            state: CheckState::NotApplicable,
            detail: "not applicable: success reached".into(),
        }
    } else {
        match review {
            None => ChecklistItem {
                item: "refund",
                question: "Refund decision",
                state: CheckState::Open,
                detail: "success not reached and no refund decision recorded".into(),
            },
            Some(r) => ChecklistItem {
                item: "refund",
                question: "Refund decision",
                state: CheckState::Done,
                detail: match r.refund {
                    Refund::None => "no refund".into(),
                    Refund::Partial => "partial refund".into(),
                    Refund::Full => "full refund".into(),
                },
            },
        }
    });
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Measurement;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn a_one_line_detail_keeps_every_line_of_the_text() {
        let title = Text("Pre-submission checklist\n  at every clinic \n\nby May\n".into());
        assert_eq!(
            plain(&title),
            "Pre-submission checklist at every clinic by May"
        );
        assert_eq!(plain(&Text("  one  ".into())), "one");
    }

    fn metric_with(baseline: f64, target: f64, measurements: &[(&str, f64)]) -> Metric {
        Metric {
            id: Text("m".into()),
            name: Text("M".into()),
            unit: None,
            baseline,
            target,
            weight: None,
            measurements: measurements
                .iter()
                .map(|(date, value)| Measurement {
                    date: d(date),
                    value: *value,
                    note: None,
                    corrects: None,
                })
                .collect(),
            rebaselined: Vec::new(),
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_to(1.064_55, 4), 1.0646);
        assert_eq!(round_to(-0.000_05, 4), -0.0001);
        assert_eq!(round_to(78.95, 1), 79.0);
        assert_eq!(round_to(2.5, 0), 3.0);
    }

    #[test]
    fn weights_near_the_limits_of_f64_weigh_as_their_ratio() {
        let metric = |progress: f64, weight: f64| MetricFigures {
            current: None,
            progress: Some(progress),
            expected: 0.0,
            status: MetricStatus::OnTrack,
            weight,
        };
        for weight in [1e308, 5e-324, 1.0] {
            let two = score(&[metric(0.5, weight), metric(0.7, weight)]).unwrap();
            assert!((two - 60.0).abs() < 1e-9, "{weight}: {two}");
            let one = score(&[metric(0.5, weight)]).unwrap();
            assert!((one - 50.0).abs() < 1e-9, "{weight}: {one}");
        }
    }

    #[test]
    fn a_huge_percentage_is_a_magnitude_not_the_integer_limit() {
        assert_eq!(percent(0.6368), "64");
        assert_eq!(percent(1e298), "1e300");
        assert_eq!(percent(-1e298), "-1e300");
        assert_eq!(percent(1e308), "more than 1e308");
    }

    #[test]
    fn no_progress_is_zero_not_negative_zero() {
        // Baseline 20, target 10, still at 20: 0 / -10.
        assert!(position(20.0, 20.0, 10.0).is_sign_positive());
        assert!(round_to(-0.000_01, 4).is_sign_positive());
        assert_eq!(serde_json::to_string(&round_to(-0.0, 4)).unwrap(), "0.0");
    }

    #[test]
    fn expected_is_the_elapsed_fraction() {
        let (start, end) = (Some(d("2026-01-01")), Some(d("2026-01-11")));
        assert_eq!(expected(start, end, d("2026-01-06")), 0.5);
        assert_eq!(expected(start, end, d("2025-12-01")), 0.0);
        assert_eq!(expected(start, end, d("2026-02-01")), 1.0);
        assert_eq!(expected(start, None, d("2026-01-06")), 0.0);
        assert_eq!(expected(None, end, d("2026-01-06")), 0.0);
    }

    #[test]
    fn expected_when_end_is_start() {
        let day = Some(d("2026-01-01"));
        assert_eq!(expected(day, day, d("2025-12-31")), 0.0);
        assert_eq!(expected(day, day, d("2026-01-01")), 1.0);
    }

    #[test]
    fn current_is_the_latest_on_or_before_as_of_whatever_the_file_order() {
        let m = metric_with(
            45.0,
            14.0,
            &[
                ("2026-07-01", 12.0),
                ("2026-05-01", 30.0),
                ("2026-07-01", 11.0),
                ("2026-08-01", 5.0),
            ],
        );
        assert_eq!(current(&m, d("2026-07-15")), Some((d("2026-07-01"), 11.0)));
        assert_eq!(current(&m, d("2026-06-01")), Some((d("2026-05-01"), 30.0)));
        assert_eq!(current(&m, d("2026-04-01")), None);
    }

    #[test]
    fn progress_stays_finite_near_the_limits_of_f64() {
        assert_eq!(progress(-1.5e308, 1.5e308, 0.0), 0.5);
        assert_eq!(progress(-1e308, 0.0, 1e308), 2.0);
        assert_eq!(progress(1.7e308, -1.7e308, 1.7e308), 0.0);
        assert_eq!(round_to(1.7e308, 2), 1.7e308);
        assert_eq!(round_to(-1.7e308, 4), -1.7e308);
    }

    #[test]
    fn progress_works_both_directions_and_is_not_clamped() {
        assert_eq!(progress(45.0, 14.0, 12.0), 33.0 / 31.0);
        assert_eq!(progress(10.0, 20.0, 15.0), 0.5);
        assert_eq!(progress(10.0, 20.0, 5.0), -0.5);
        assert_eq!(progress(10.0, 20.0, 30.0), 2.0);
    }

    #[test]
    fn status_thresholds_compare_unrounded_values() {
        assert_eq!(metric_status(None, 0.5), MetricStatus::NotMeasured);
        assert_eq!(metric_status(Some(1.0), 0.5), MetricStatus::Achieved);
        assert_eq!(metric_status(Some(0.999_999), 1.0), MetricStatus::OnTrack);
        // Exactly on expected - 0.10 is on track; a hair below is at risk.
        let expected = 0.6;
        assert_eq!(
            metric_status(Some(expected - 0.10), expected),
            MetricStatus::OnTrack
        );
        assert_eq!(
            metric_status(Some(expected - 0.10 - 1e-12), expected),
            MetricStatus::AtRisk
        );
        assert_eq!(
            metric_status(Some(expected - 0.25), expected),
            MetricStatus::AtRisk
        );
        assert_eq!(
            metric_status(Some(expected - 0.25 - 1e-12), expected),
            MetricStatus::OffTrack
        );
        assert_eq!(metric_status(Some(-0.5), 0.0), MetricStatus::OffTrack);
    }

    #[test]
    fn score_is_the_weighted_clamped_mean_of_measured_metrics() {
        let figures = |progress: Option<f64>, weight: f64| MetricFigures {
            current: None,
            progress,
            expected: 0.0,
            status: metric_status(progress, 0.0),
            weight,
        };
        assert_eq!(score(&[]), None);
        assert_eq!(score(&[figures(None, 1.0)]), None);
        assert_eq!(
            score(&[
                figures(Some(1.5), 2.0),
                figures(Some(-1.0), 1.0),
                figures(None, 5.0)
            ]),
            Some(100.0 * 2.0 / 3.0)
        );
        assert_eq!(score(&[figures(Some(0.5), 1.0)]), Some(50.0));
    }

    #[test]
    fn milestone_states_at_their_boundaries() {
        let m = |due: &str, done: Option<&str>| Milestone {
            id: Text("A".into()),
            title: Text("A".into()),
            due: d(due),
            done: done.map(d),
            outcome: None,
            result: None,
        };
        let as_of = d("2026-07-15");
        assert_eq!(
            milestone(&m("2026-07-01", Some("2026-07-04")), as_of, 14).days_late,
            Some(3)
        );
        assert_eq!(
            milestone(&m("2026-07-10", Some("2026-07-04")), as_of, 14).days_late,
            Some(0)
        );
        // A done date after as-of is not done yet.
        assert_eq!(
            milestone(&m("2026-07-10", Some("2026-07-20")), as_of, 14).status,
            MilestoneStatus::Overdue
        );
        // Due on the as-of date is due soon, not overdue.
        assert_eq!(
            milestone(&m("2026-07-15", None), as_of, 14).status,
            MilestoneStatus::DueSoon
        );
        assert_eq!(
            milestone(&m("2026-07-14", None), as_of, 14).status,
            MilestoneStatus::Overdue
        );
        assert_eq!(
            milestone(&m("2026-07-29", None), as_of, 14).status,
            MilestoneStatus::DueSoon
        );
        assert_eq!(
            milestone(&m("2026-07-30", None), as_of, 14).status,
            MilestoneStatus::Upcoming
        );
        assert_eq!(
            milestone(&m("2026-07-30", None), as_of, 15).status,
            MilestoneStatus::DueSoon
        );
    }

    /// File order as FORMAT.md's example lays a record out.
    struct TemplateOrder;
    impl LineOf for TemplateOrder {
        fn metric(&self, index: usize) -> u32 {
            100 + index as u32
        }
        fn milestone(&self, index: usize) -> u32 {
            200 + index as u32
        }
        fn concern(&self, index: usize) -> u32 {
            400 + index as u32
        }
        fn cadence(&self, _: Option<usize>) -> u32 {
            300
        }
    }

    fn engagement(yaml: &str) -> Engagement {
        let parsed = crate::yaml::parse(yaml, 0);
        serde_yaml::from_value(parsed.root.unwrap().to_value()).unwrap()
    }

    fn health_of(yaml: &str, as_of: &str) -> Option<(Health, Vec<(ReasonKind, String)>)> {
        let e = engagement(yaml);
        let figures = super::engagement(&e, d(as_of), Settings::default(), &TemplateOrder);
        figures
            .health
            .map(|(h, reasons)| (h, reasons.into_iter().map(|r| (r.kind, r.detail)).collect()))
    }

    const BASE: &str = "title: T\nstatus: active\nowner: O\nstart: 2026-01-01\nend: 2026-12-31\n";

    #[test]
    fn an_engagement_with_nothing_wrong_is_green() {
        let yaml = format!("{BASE}updates:\n  log:\n    - {{ date: 2026-07-10, summary: s }}\n");
        assert_eq!(
            health_of(&yaml, "2026-07-15"),
            Some((Health::Green, vec![]))
        );
    }

    #[test]
    fn closed_statuses_have_no_health() {
        for status in ["completed", "ended", "declined"] {
            let yaml = BASE.replace("active", status);
            assert_eq!(health_of(&yaml, "2026-07-15"), None, "{status}");
        }
        for status in ["prospect", "paused"] {
            let yaml = BASE.replace("active", status);
            assert!(health_of(&yaml, "2026-07-15").is_some(), "{status}");
        }
    }

    #[test]
    fn overdue_milestones_turn_amber_then_red_after_fourteen_days() {
        let yaml = format!(
            "{BASE}updates:\n  cadence_days: 90\n  log:\n    - {{ date: 2026-06-30, summary: s }}\nmilestones:\n  - {{ id: A, title: A, due: 2026-07-01 }}\n"
        );
        let kinds = |as_of| health_of(&yaml, as_of).unwrap();
        assert_eq!(kinds("2026-07-01").0, Health::Green);
        assert_eq!(kinds("2026-07-02").1[0].0, ReasonKind::MilestoneOverdue);
        assert_eq!(kinds("2026-07-15").1[0].0, ReasonKind::MilestoneOverdue);
        assert_eq!(kinds("2026-07-16").1[0].0, ReasonKind::MilestoneOverdueLong);
        assert_eq!(kinds("2026-07-16").0, Health::Red);
    }

    #[test]
    fn update_cadence_amber_past_cadence_red_past_twice() {
        let yaml = format!("{BASE}updates:\n  log:\n    - {{ date: 2026-07-01, summary: s }}\n");
        let at = |as_of| health_of(&yaml, as_of).unwrap();
        assert_eq!(at("2026-07-15").0, Health::Green);
        assert_eq!(
            at("2026-07-16").1,
            vec![(
                ReasonKind::UpdateOverdue,
                "last update 2026-07-01, cadence 14 days".into()
            )]
        );
        assert_eq!(at("2026-07-29").1[0].0, ReasonKind::UpdateOverdue);
        assert_eq!(at("2026-07-30").1[0].0, ReasonKind::UpdateOverdueLong);
        // Paused engagements are not held to the cadence.
        let paused = yaml.replace("active", "paused");
        assert_eq!(health_of(&paused, "2026-09-30").unwrap().0, Health::Green);
    }

    #[test]
    fn an_empty_log_counts_from_the_start() {
        assert_eq!(health_of(BASE, "2026-01-15").unwrap().0, Health::Green);
        assert_eq!(
            health_of(BASE, "2026-01-16").unwrap().1[0].1,
            "last update 2026-01-01, cadence 14 days"
        );
    }

    #[test]
    fn unanswered_concerns_amber_then_red() {
        let yaml = format!(
            "{BASE}updates:\n  cadence_days: 90\n  log:\n    - {{ date: 2026-06-30, summary: s }}\nconcerns:\n  - {{ date: 2026-07-01, concern: c }}\n  - {{ date: 2026-07-20, concern: future }}\n"
        );
        let at = |as_of| health_of(&yaml, as_of).unwrap();
        assert_eq!(at("2026-07-01").1[0].0, ReasonKind::ConcernUnanswered);
        assert_eq!(at("2026-07-15").1[0].0, ReasonKind::ConcernUnanswered);
        assert_eq!(at("2026-07-16").1[0].0, ReasonKind::ConcernUnansweredLong);
        // The concern dated after as-of is not yet written.
        assert_eq!(at("2026-07-16").1.len(), 1);
        let answered = yaml.replace("concern: c }", "concern: c, response: r }");
        assert_eq!(health_of(&answered, "2026-07-16").unwrap().0, Health::Green);
    }

    #[test]
    fn reasons_are_red_first_then_in_file_order() {
        let yaml = format!(
            "{BASE}success:\n  metrics:\n    - {{ id: a, name: Slow, baseline: 0, target: 100, measurements: [{{ date: 2026-07-01, value: 10 }}] }}\n    - {{ id: b, name: Close, baseline: 0, target: 100, measurements: [{{ date: 2026-07-01, value: 40 }}] }}\nmilestones:\n  - {{ id: A, title: A, due: 2026-07-10 }}\n"
        );
        // As of 2026-07-15 expected is 195/364 = 0.536: `a` at 0.10 is off
        // track (red), `b` at 0.40 is at risk (amber), A is 5 days overdue
        // (amber), and the empty log is 195 days old (red).
        let (health, reasons) = health_of(&yaml, "2026-07-15").unwrap();
        assert_eq!(health, Health::Red);
        let kinds: Vec<ReasonKind> = reasons.iter().map(|r| r.0).collect();
        assert_eq!(
            kinds,
            [
                ReasonKind::MetricOffTrack,
                ReasonKind::UpdateOverdueLong,
                ReasonKind::MetricAtRisk,
                ReasonKind::MilestoneOverdue
            ]
        );
        assert_eq!(reasons[0].1, "Slow: 10% of the way, 54% expected by now");
    }

    #[test]
    fn a_review_dated_after_as_of_is_not_held_yet() {
        let yaml = format!("{BASE}review:\n  date: 2026-10-01\n  went_wrong: x\n  decision: end\n");
        let e = engagement(&yaml);
        let before = review_checklist(&e, &[], d("2026-09-30"));
        assert_eq!(before[0].state, CheckState::Open);
        let after = review_checklist(&e, &[], d("2026-10-01"));
        assert_eq!(after[0].state, CheckState::Done);
    }

    #[test]
    fn checklist_items_follow_the_review() {
        let yaml =
            format!("{BASE}review:\n  date: 2026-10-01\n  went_wrong: x\n  decision: next\n");
        let e = engagement(&yaml);
        let items = review_checklist(&e, &[], d("2026-10-02"));
        let states: Vec<(&str, CheckState)> = items.iter().map(|i| (i.item, i.state)).collect();
        assert_eq!(
            states,
            [
                ("went-wrong", CheckState::Done),
                ("went-right", CheckState::Open),
                ("new-problems", CheckState::Open),
                ("after-the-book", CheckState::Open),
                ("success-reached", CheckState::Open),
                ("wins-celebrated", CheckState::NotApplicable),
                ("concerns-answered", CheckState::NotApplicable),
                ("next-offer", CheckState::Open),
                ("end-date", CheckState::Done),
                ("refund", CheckState::Done),
            ]
        );
    }
}
