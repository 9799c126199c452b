//! The rules that look at one engagement at a time, once its shape is right.
//! Each finding points at the value it is about (see `Node::locate`).

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::model::{ClaimStatus, Date, Engagement, Refund, Status, Text};
use crate::rules::{self, Rule};
use crate::yaml::{Node, Step};

/// Practice-wide numbers the rules need (from commonthread.yaml).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub cadence_days: u32,
    pub due_soon_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cadence_days: 14,
            due_soon_days: 14,
        }
    }
}

/// An engagement with what the rules need to place and date their findings.
pub struct Context<'a> {
    pub file: &'a str,
    pub tree: &'a Node,
    pub as_of: Date,
    pub settings: Settings,
}

impl Context<'_> {
    /// A finding about a whole section, placed at its key.
    pub(crate) fn at_key(
        &self,
        rule: &'static Rule,
        steps: &[Step<'_>],
        message: String,
    ) -> Diagnostic {
        Diagnostic::new(rule, self.file, self.tree.locate_key(steps), message)
            .path(crate::yaml::format_path(steps))
    }

    pub(crate) fn at(
        &self,
        rule: &'static Rule,
        steps: &[Step<'_>],
        message: String,
    ) -> Diagnostic {
        Diagnostic::new(rule, self.file, self.tree.locate(steps), message)
            .path(crate::yaml::format_path(steps))
    }
}

use Step::{Index as I, Key as K};

/// A metric or milestone id, or any other text that must not be blank.
fn blank(text: Option<&Text>) -> bool {
    text.is_none_or(|t| t.as_str().trim().is_empty())
}

/// `milestone-without-outcome` for the milestones the record lost to an
/// error of their own (a `due` that is no date): the outcome is another
/// problem, to be reported in the same run. Read from the tree, as the
/// typed record no longer has them.
pub fn dropped_milestones(
    root: &Node,
    dropped: &[Vec<crate::yaml::OwnedStep>],
    file: &str,
    out: &mut Vec<Diagnostic>,
) {
    use crate::yaml::{NodeKind, OwnedStep};
    for item in dropped {
        let [OwnedStep::Key(list), OwnedStep::Index(i)] = item.as_slice() else {
            continue;
        };
        if list != "milestones" {
            continue;
        }
        let Some(milestone) = root.get("milestones").and_then(|m| m.value.item(*i)) else {
            continue;
        };
        if !matches!(milestone.kind, NodeKind::Map(_)) {
            continue;
        }
        let outcome = milestone
            .get("outcome")
            .and_then(|entry| entry.value.scalar_text());
        if outcome.is_some_and(|text| !text.trim().is_empty()) {
            continue;
        }
        let id = milestone
            .get("id")
            .and_then(|entry| entry.value.scalar_text())
            .filter(|id| !id.trim().is_empty());
        let steps = [K("milestones"), I(*i), K("outcome")];
        out.push(
            Diagnostic::new(
                rules::MILESTONE_WITHOUT_OUTCOME,
                file,
                root.locate(&steps),
                match id {
                    Some(id) => format!(
                        "milestone {id} does not say what the client will have once it is done"
                    ),
                    None => "this milestone does not say what the client will have once it is done"
                        .to_owned(),
                },
            )
            .path(crate::yaml::format_path(&steps))
            .help("add `outcome:`: what the client has once this step is done"),
        );
    }
}

/// Runs every single-engagement rule.
pub fn check(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    required_by_status(e, ctx, out);
    ids(e, ctx, out);
    references(e, ctx, out);
    date_order(e, ctx, out);
    metrics(e, ctx, out);
    review(e, ctx, out);
    milestones(e, ctx, out);
    updates(e, ctx, out);
    wins_and_concerns(e, ctx, out);
    qualification(e, ctx, out);
}

fn required_by_status(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let needs_start = !matches!(e.status, Status::Prospect | Status::Declined);
    if needs_start && e.start.is_none() {
        out.push(
            ctx.at(
                rules::MISSING_FIELD,
                &[K("start")],
                format!(
                    "{} {} engagement needs a `start` date",
                    if matches!(e.status, Status::Active | Status::Ended) {
                        "an"
                    } else {
                        "a"
                    },
                    e.status.as_str()
                ),
            )
            .help("add `start: YYYY-MM-DD`, the first day of the work"),
        );
    }
    if matches!(e.status, Status::Active | Status::Paused) && e.end.is_none() {
        out.push(
            ctx.at(
                rules::NO_END_DATE,
                &[K("end")],
                format!(
                    "this {} engagement has no agreed end date",
                    e.status.as_str()
                ),
            )
            .help("agree an end date with the client and record it in `end:`"),
        );
    }
}

/// Milestone and metric ids: unique, and metric ids are slugs.
fn ids(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, milestone) in e.milestones.iter().enumerate() {
        if let Some(first) = seen.insert(milestone.id.as_str(), i) {
            out.push(
                ctx.at(
                    rules::DUPLICATE_ID,
                    &[K("milestones"), I(i), K("id")],
                    format!(
                        "milestone id `{}` is already used by the {} milestone",
                        milestone.id,
                        crate::yaml::ordinal(first + 1)
                    ),
                )
                .help("give each milestone its own id (A, B, C, ...)"),
            );
            seen.insert(milestone.id.as_str(), first);
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, metric) in metrics_of(e).iter().enumerate() {
        let id = metric.id.as_str();
        if let Some(first) = seen.insert(id, i) {
            out.push(
                ctx.at(
                    rules::DUPLICATE_ID,
                    &[K("success"), K("metrics"), I(i), K("id")],
                    format!(
                        "metric id `{id}` is already used by the {} metric",
                        crate::yaml::ordinal(first + 1)
                    ),
                )
                .help("give each metric its own id"),
            );
            seen.insert(id, first);
        }
    }
}

fn metrics_of(e: &Engagement) -> &[crate::model::Metric] {
    e.success.as_ref().map_or(&[], |s| s.metrics.as_slice())
}

fn references(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let metric_ids: Vec<&str> = metrics_of(e).iter().map(|m| m.id.as_str()).collect();
    for (i, win) in e.wins.iter().enumerate() {
        if let Some(metric) = &win.metric
            && !metric_ids.contains(&metric.as_str())
        {
            out.push(
                ctx.at(
                    rules::UNKNOWN_REFERENCE,
                    &[K("wins"), I(i), K("metric")],
                    format!("win names metric `{metric}`, which this engagement does not have"),
                )
                .help(known_ids_help("metric", metric.as_str(), &metric_ids)),
            );
        }
    }
    let milestone_ids: Vec<&str> = e.milestones.iter().map(|m| m.id.as_str()).collect();
    if let Some(updates) = &e.updates {
        for (i, entry) in updates.log.iter().enumerate() {
            if let Some(milestone) = &entry.milestone
                && !milestone_ids.contains(&milestone.as_str())
            {
                out.push(
                        ctx.at(rules::UNKNOWN_REFERENCE, &[K("updates"), K("log"), I(i), K("milestone")], format!("update names milestone `{milestone}`, which this engagement does not have"))
                            .help(known_ids_help("milestone", milestone.as_str(), &milestone_ids)),
                    );
            }
        }
    }
}

fn known_ids_help(what: &str, given: &str, ids: &[&str]) -> String {
    if ids.is_empty() {
        return format!(
            "this engagement has no {what}s yet; remove the reference or add the {what}"
        );
    }
    // Each id once, in file order, though two items may share one.
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    let listed: Vec<&str> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    // A help line, not an inventory.
    const SHOWN: usize = 20;
    let listed = if listed.len() > SHOWN {
        format!(
            "{} and {} more",
            listed[..SHOWN].join(", "),
            listed.len() - SHOWN
        )
    } else {
        listed.join(", ")
    };
    match crate::suggest::closest(given, ids.iter().copied()) {
        Some(near) => format!("did you mean `{near}`? the {what} ids are: {listed}"),
        None => format!("use one of the {what} ids: {listed}"),
    }
}

fn date_order(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if let (Some(start), Some(end)) = (e.start, e.end)
        && end < start
    {
        out.push(
            ctx.at(
                rules::DATE_ORDER,
                &[K("end")],
                format!("the end date {end} is before the start date {start}"),
            )
            .help("correct whichever of `start:` and `end:` is wrong"),
        );
    }
    if let Some(start) = e.start {
        for (i, milestone) in e.milestones.iter().enumerate() {
            if let Some(done) = milestone.done
                && done < start
            {
                out.push(
                        ctx.at(rules::DATE_ORDER, &[K("milestones"), I(i), K("done")], format!("milestone {} is marked done on {done}, before the engagement started on {start}", milestone.id))
                            .help("correct the `done:` date, or the engagement's `start:`"),
                    );
            }
        }
    }
    for (i, concern) in e.concerns.iter().enumerate() {
        if let Some(resolved) = concern.resolved
            && resolved < concern.date
        {
            out.push(
                ctx.at(
                    rules::DATE_ORDER,
                    &[K("concerns"), I(i), K("resolved")],
                    format!(
                        "this concern is resolved on {resolved}, before it was raised on {}",
                        concern.date
                    ),
                )
                .help("correct the `resolved:` date or the concern's `date:`"),
            );
        }
    }
}

fn metrics(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let metrics = metrics_of(e);
    let needs_number = matches!(
        e.status,
        Status::Active | Status::Paused | Status::Completed | Status::Ended
    );
    if needs_number && metrics.is_empty() {
        out.push(
            ctx.at(rules::SUCCESS_HAS_NO_NUMBER, &[K("success"), K("metrics")], format!("this {} engagement has no metric: success is not agreed as a number", e.status.as_str()))
                .help("agree at least one metric with the client under `success.metrics`: id, name, baseline, target"),
        );
    }
    if !metrics.is_empty() && e.success.as_ref().is_some_and(|s| s.agreed.is_none()) {
        out.push(
            ctx.at(rules::SUCCESS_NOT_AGREED, &[K("success"), K("agreed")], "the metrics have no `success.agreed` date".to_owned())
                .help("record the day both sides agreed what success is in `success.agreed` (and who, in `agreed_by`)"),
        );
    }
    for (i, metric) in metrics.iter().enumerate() {
        let at = |field: &'static str| [K("success"), K("metrics"), I(i), K(field)];
        if metric.target == metric.baseline {
            out.push(
                ctx.at(
                    rules::TARGET_EQUALS_BASELINE,
                    &at("target"),
                    format!(
                        "metric `{}` has target {} equal to its baseline",
                        metric.id, metric.target
                    ),
                )
                .help("agree a target that differs from the baseline"),
            );
        }
        for (j, measurement) in metric.measurements.iter().enumerate() {
            if let Some(corrected) = measurement.corrects {
                let original = metric
                    .measurements
                    .iter()
                    .enumerate()
                    .any(|(k, m)| k != j && m.date == corrected && m.corrects.is_none());
                if !original {
                    let dates: Vec<String> = metric
                        .measurements
                        .iter()
                        .filter(|m| m.corrects.is_none())
                        .map(|m| m.date.to_string())
                        .collect();
                    out.push(
                        ctx.at(
                            rules::CORRECTION_WITHOUT_ORIGINAL,
                            &[
                                K("success"),
                                K("metrics"),
                                I(i),
                                K("measurements"),
                                I(j),
                                K("corrects"),
                            ],
                            format!(
                                "this measurement corrects {corrected}, but metric `{}` has no measurement of that date",
                                metric.id
                            ),
                        )
                        .help(if dates.is_empty() {
                            "remove `corrects:`: there is no earlier measurement to correct".to_owned()
                        } else {
                            format!("use the date of the measurement being corrected: {}", dates.join(", "))
                        }),
                    );
                }
            }
            let before_start = e.start.is_some_and(|start| measurement.date < start);
            if before_start || measurement.date > ctx.as_of {
                let why = if before_start {
                    format!(
                        "before the engagement started ({})",
                        e.start.map(|d| d.to_string()).unwrap_or_default()
                    )
                } else {
                    format!("after the as-of date {}", ctx.as_of)
                };
                out.push(
                    ctx.at(
                        rules::MEASUREMENT_OUT_OF_RANGE,
                        &[
                            K("success"),
                            K("metrics"),
                            I(i),
                            K("measurements"),
                            I(j),
                            K("date"),
                        ],
                        format!(
                            "measurement of `{}` dated {} is {why}",
                            metric.id, measurement.date
                        ),
                    )
                    .help(if before_start {
                        "correct the date; a figure from before the start belongs in `baseline:`"
                    } else {
                        "correct the date, or record the figure once it has been measured"
                    }),
                );
            }
        }
        if e.status == Status::Active {
            let latest = crate::figures::current(metric, ctx.as_of).map(|(date, _)| date);
            let stale = match (latest, e.start) {
                (Some(latest), _) => (ctx.as_of.days_since(latest) > 60).then(|| {
                    format!(
                        "metric `{}` was last measured on {latest}, {} days ago",
                        metric.id,
                        ctx.as_of.days_since(latest)
                    )
                }),
                (None, Some(start)) => (ctx.as_of.days_since(start) > 30).then(|| {
                    format!(
                        "metric `{}` has no measurement {} days after the start",
                        metric.id,
                        ctx.as_of.days_since(start)
                    )
                }),
                (None, None) => None,
            };
            if let Some(message) = stale {
                out.push(
                    ctx.at(rules::METRIC_STALE, &at("id"), message)
                        .help("measure the metric and add the value under its `measurements:`"),
                );
            }
        }
    }
}

fn review(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // Errors check what is written, whatever its date: a completed
    // engagement's record holds its review, even one dated after the as-of
    // date (or auditing a past quarter would fail on every engagement
    // completed since). The warning is about time: a review dated after the
    // as-of date is not held yet, and it points at that date.
    if e.review.is_none() && matches!(e.status, Status::Completed | Status::Ended) {
        out.push(
            ctx.at(rules::REVIEW_MISSING, &[K("review")], format!("this {} engagement has no review", e.status.as_str()))
                .help("add a `review:` with its `date:` and `decision:` (continue, next or end): is this the end?"),
        );
    }
    let later = e.review.as_ref().filter(|r| r.date > ctx.as_of);
    let (path, not_yet): (&[Step], String) = match later {
        Some(r) => (
            &[K("review"), K("date")],
            format!(
                " (the one recorded is dated {}, after the as-of date {})",
                r.date, ctx.as_of
            ),
        ),
        None => (&[K("review")], String::new()),
    };
    let held = e.review.is_some() && later.is_none();
    if !held && e.status == Status::Active && e.end.is_some_and(|end| end < ctx.as_of) {
        let end = e.end.map(|d| d.to_string()).unwrap_or_default();
        out.push(
            ctx.at(rules::REVIEW_DUE, path, format!("the engagement passed its end date {end} and has no review{not_yet}"))
                .help("hold the \"is this the end?\" review and record it under `review:`, or agree a later `end:`"),
        );
    }
    // What a review says is checked whatever its date, as a broken reference
    // is: it is written, and wrong.
    if let Some(review) = &e.review
        && review.refund != Refund::None
        && blank(review.refund_reason.as_ref())
    {
        let kind = if review.refund == Refund::Full {
            "full"
        } else {
            "partial"
        };
        out.push(
            ctx.at(
                rules::REFUND_REASON_MISSING,
                &[K("review"), K("refund_reason")],
                format!("a {kind} refund is recorded without a reason"),
            )
            .help("add `refund_reason:` saying what was not delivered"),
        );
    }
}

fn milestones(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (i, milestone) in e.milestones.iter().enumerate() {
        if blank(milestone.outcome.as_ref()) {
            out.push(
                ctx.at(
                    rules::MILESTONE_WITHOUT_OUTCOME,
                    &[K("milestones"), I(i), K("outcome")],
                    format!(
                        "milestone {} does not say what the client will have once it is done",
                        milestone.id
                    ),
                )
                .help("add `outcome:`: what the client has once this step is done"),
            );
        }
        let overdue = crate::figures::milestone(milestone, ctx.as_of, ctx.settings.due_soon_days)
            .status
            == crate::figures::MilestoneStatus::Overdue;
        if e.status.is_open() && overdue {
            out.push(
                ctx.at(
                    rules::MILESTONE_OVERDUE,
                    &[K("milestones"), I(i), K("due")],
                    format!(
                        "milestone {} was due {} and is not done",
                        milestone.id, milestone.due
                    ),
                )
                .help("record `done:` or agree a new `due:` date with the client"),
            );
        }
        if let Some(end) = e.end
            && milestone.due > end
        {
            out.push(
                    ctx.at(rules::MILESTONE_AFTER_END, &[K("milestones"), I(i), K("due")], format!("milestone {} is due {}, after the engagement ends on {end}", milestone.id, milestone.due))
                        .help("bring the milestone inside the engagement, or agree a later `end:` with the client"),
                );
        }
    }
}

fn updates(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if e.status != Status::Active {
        return;
    }
    let cadence = crate::figures::cadence_days(e, ctx.settings);
    let latest = crate::figures::latest_log_entry(e, ctx.as_of);
    let Some(last) = crate::figures::last_update(e, ctx.as_of) else {
        return;
    };
    let steps: Vec<Step<'_>> = match latest {
        Some(i) => vec![K("updates"), K("log"), I(i), K("date")],
        None => vec![K("updates")],
    };

    let silent = ctx.as_of.days_since(last);
    if silent > i64::from(cadence) {
        let message = if latest.is_some() {
            format!(
                "the last update was on {last}, {silent} days ago; the promised cadence is {cadence} days"
            )
        } else {
            format!(
                "no update logged since the start on {last}, {silent} days ago; the promised cadence is {cadence} days"
            )
        };
        out.push(
            // The latest entry's date, else the `updates` key, else line 1.
            if latest.is_some() {
                ctx.at(rules::UPDATE_OVERDUE, &steps, message)
            } else {
                ctx.at_key(rules::UPDATE_OVERDUE, &steps, message)
            }
            .help("send the client an update and log it under `updates.log`"),
        );
    }
}

fn wins_and_concerns(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (i, win) in e.wins.iter().enumerate() {
        if win.date <= ctx.as_of && blank(win.celebrated.as_ref()) {
            out.push(
                ctx.at(
                    rules::WIN_NOT_CELEBRATED,
                    &[K("wins"), I(i), K("celebrated")],
                    format!(
                        "the win \"{}\" has not been celebrated",
                        one_line(win.title.as_str())
                    ),
                )
                .help("celebrate it with the client and record how in `celebrated:`"),
            );
        }
    }
    for (i, concern) in e.concerns.iter().enumerate() {
        if concern.date <= ctx.as_of && blank(concern.response.as_ref()) {
            out.push(
                ctx.at(
                    rules::CONCERN_UNANSWERED,
                    &[K("concerns"), I(i), K("response")],
                    format!("the concern raised on {} has no response", concern.date),
                )
                .help("answer the concern and record how in `response:`"),
            );
        }
    }
}

fn qualification(e: &Engagement, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let decided = e
        .qualification
        .as_ref()
        .is_some_and(|q| q.decision.is_some());
    if matches!(e.status, Status::Prospect | Status::Active) && !decided {
        out.push(
            ctx.at(rules::NOT_QUALIFIED, &[K("qualification"), K("decision")], format!("this {} engagement has no qualification decision", e.status.as_str()))
                .help("record `qualification.decision` (accept, reframe or decline) and the day in `decided:`"),
        );
    }
    let Some(q) = e
        .qualification
        .as_ref()
        .filter(|_| e.status == Status::Active)
    else {
        return;
    };
    for (i, claim) in q.claims.iter().enumerate() {
        if claim.status != ClaimStatus::Verified {
            let state = if claim.status == ClaimStatus::Contradicted {
                "contradicted"
            } else {
                "unverified"
            };
            out.push(
                ctx.at(
                    rules::CLAIM_UNVERIFIED,
                    &[K("qualification"), K("claims"), I(i), K("status")],
                    format!(
                        "the claim \"{}\" is {state}",
                        one_line(claim.claim.as_str())
                    ),
                )
                .help("verify the claim and record the `evidence:`, or reframe the goal around it"),
            );
        }
    }
    for (i, flag) in q.red_flags.iter().enumerate() {
        if blank(flag.resolution.as_ref()) {
            out.push(
                ctx.at(
                    rules::CLAIM_UNVERIFIED,
                    &[K("qualification"), K("red_flags"), I(i), K("resolution")],
                    format!(
                        "the red flag \"{}\" is not resolved",
                        one_line(flag.flag.as_str())
                    ),
                )
                .help("record how the red flag was resolved in `resolution:`"),
            );
        }
    }
}

/// The first line of a text, shortened for a message.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 60 {
        let cut: String = line.chars().take(57).collect();
        format!("{cut}...")
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::known_ids_help;

    #[test]
    fn the_known_ids_are_listed_once_and_briefly() {
        assert_eq!(
            known_ids_help("milestone", "Z", &["A", "B", "A"]),
            "use one of the milestone ids: A, B"
        );
        assert_eq!(
            known_ids_help("milestone", "b", &["A", "B"]),
            "did you mean `B`? the milestone ids are: A, B"
        );
        let many: Vec<String> = (0..50).map(|i| format!("M{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let help = known_ids_help("milestone", "Q", &many);
        assert!(help.ends_with("M19 and 30 more"), "{help}");
    }
}
