//! The rules that compare an engagement with its version at `--since REV`:
//! goalposts, measurements and milestones may change only in the open.

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::history::DueMove;
use crate::model::{Engagement, Measurement, Metric};
use crate::rules::{self, engagement::Context};
use crate::yaml::Step::{Index as I, Key as K};

/// What the comparison knows besides the two versions.
pub struct Compared<'a> {
    /// The revision as the user wrote it (`HEAD~3`, `v1.2`).
    pub rev: &'a str,
    /// Each moved milestone's due-date changes since REV, oldest first.
    pub moves: &'a HashMap<String, Vec<DueMove>>,
}

/// Runs every history rule on one engagement.
pub fn check(
    now: &Engagement,
    then: &Engagement,
    compared: &Compared<'_>,
    ctx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
) {
    goalposts(now, then, compared, ctx, out);
    measurements(now, then, compared, ctx, out);
    milestones(now, then, compared, ctx, out);
}

fn metrics(e: &Engagement) -> &[Metric] {
    e.success.as_ref().map_or(&[], |s| s.metrics.as_slice())
}

fn goalposts(
    now: &Engagement,
    then: &Engagement,
    compared: &Compared<'_>,
    ctx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
) {
    for (i, metric) in metrics(now).iter().enumerate() {
        let Some(old) = metrics(then).iter().find(|m| m.id == metric.id) else {
            continue;
        };
        let agreed = |old_value: fn(&crate::model::Rebaseline) -> Option<f64>, was: f64| {
            metric
                .rebaselined
                .iter()
                .any(|r| r.date <= ctx.as_of && old_value(r) == Some(was))
        };
        let fields: [(&'static str, f64, f64, bool); 2] = [
            (
                "baseline",
                old.baseline,
                metric.baseline,
                agreed(|r| r.old_baseline, old.baseline),
            ),
            (
                "target",
                old.target,
                metric.target,
                agreed(|r| r.old_target, old.target),
            ),
        ];
        for (field, was, is, explained) in fields {
            if was == is || explained {
                continue;
            }
            let old_value = |r: &crate::model::Rebaseline| match field {
                "baseline" => r.old_baseline,
                _ => r.old_target,
            };
            // An entry that nearly records it: say what is wrong with it.
            let too_late = metric
                .rebaselined
                .iter()
                .find(|r| r.date > ctx.as_of && old_value(r) == Some(was));
            let other_value = metric
                .rebaselined
                .iter()
                .filter(|r| r.date <= ctx.as_of)
                .find_map(|r| old_value(r).map(|v| (r.date, v)));
            let (why, help) = match (too_late, other_value) {
                (Some(entry), _) => (
                    format!(
                        "its `rebaselined:` entry is dated {}, after the as-of date {}, so it does not count yet",
                        entry.date, ctx.as_of
                    ),
                    format!(
                        "date the entry the day the client agreed the change (on or before {}), or put the {field} back to {was}",
                        ctx.as_of
                    ),
                ),
                (None, Some((date, recorded))) => (
                    format!(
                        "its `rebaselined:` entry of {date} records `old_{field}: {recorded}`, not {was}"
                    ),
                    format!(
                        "write `old_{field}: {was}` in that entry if the client agreed the change from {was}, or put the {field} back to {was}"
                    ),
                ),
                (None, None) => (
                    "no `rebaselined:` entry records it".to_owned(),
                    format!(
                        "put the {field} back to {was}, or, if the client agreed the change, add to this metric `rebaselined: [{{ date: YYYY-MM-DD, reason: ..., agreed_by: [...], old_{field}: {was} }}]`"
                    ),
                ),
            };
            out.push(
                ctx.at(
                    rules::GOALPOST_MOVED,
                    &[K("success"), K("metrics"), I(i), K(field)],
                    format!(
                        "the {field} of metric `{}` changed from {was} to {is} since {}, and {why}",
                        metric.id, compared.rev
                    ),
                )
                .help(help),
            );
        }
    }
}

fn measurements(
    now: &Engagement,
    then: &Engagement,
    compared: &Compared<'_>,
    ctx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let rev = compared.rev;
    for old in metrics(then) {
        if old.measurements.is_empty() {
            continue;
        }
        let Some((i, metric)) = metrics(now)
            .iter()
            .enumerate()
            .find(|(_, m)| m.id == old.id)
        else {
            out.push(
                ctx.at_key(
                    rules::HISTORY_REWRITTEN,
                    &[K("success"), K("metrics")],
                    format!(
                        "metric `{}` and its {} at {rev} were removed",
                        old.id,
                        count(old.measurements.len())
                    ),
                )
                .help(format!(
                    "restore metric `{}` with its measurements; measurements are append-only",
                    old.id
                )),
            );
            continue;
        };
        let at = |j: usize, field: &'static str| {
            [
                K("success"),
                K("metrics"),
                I(i),
                K("measurements"),
                I(j),
                K(field),
            ]
        };
        // Each measurement of REV must still be there, as it was.
        let mut kept = vec![false; metric.measurements.len()];
        let mut missing = Vec::new();
        for (position, measurement) in old.measurements.iter().enumerate() {
            match metric
                .measurements
                .iter()
                .enumerate()
                .find(|(j, m)| !kept[*j] && same(m, measurement))
            {
                Some((j, _)) => kept[j] = true,
                None => missing.push((position, measurement)),
            }
        }
        for (position, measurement) in missing {
            let free = |j: usize| !kept[j];
            let same_date = metric.measurements.iter().enumerate().find(|(j, m)| {
                free(*j) && m.date == measurement.date && m.corrects == measurement.corrects
            });
            let same_place = metric
                .measurements
                .get(position)
                .filter(|m| free(position) && m.value == measurement.value);
            let help = match measurement.corrects {
                // A correction is not corrected in turn: the original is.
                Some(of) => format!(
                    "restore `{{ date: {}, value: {}, corrects: {of} }}`; to correct the {of} measurement again, add a new measurement with `corrects: {of}`",
                    measurement.date, measurement.value
                ),
                None => format!(
                    "restore `{{ date: {}, value: {} }}`; to correct it, add a new measurement with `corrects: {}`",
                    measurement.date, measurement.value, measurement.date
                ),
            };
            let diagnostic = if let Some((j, m)) = same_date {
                kept[j] = true;
                let what = match measurement.corrects {
                    Some(of) => format!("correction of {of}"),
                    None => "measurement".to_owned(),
                };
                ctx.at(
                    rules::HISTORY_REWRITTEN,
                    &at(j, "value"),
                    format!(
                        "the {} {what} of metric `{}` was {} at {rev} and is now {}",
                        measurement.date, metric.id, measurement.value, m.value
                    ),
                )
            } else if let Some(m) = same_place {
                kept[position] = true;
                ctx.at(
                    rules::HISTORY_REWRITTEN,
                    &at(position, "date"),
                    format!(
                        "a measurement of metric `{}` was dated {} at {rev} and is now dated {}",
                        metric.id, measurement.date, m.date
                    ),
                )
            } else {
                ctx.at_key(
                    rules::HISTORY_REWRITTEN,
                    &[K("success"), K("metrics"), I(i), K("measurements")],
                    format!(
                        "the {} measurement of metric `{}` ({}) was removed since {rev}",
                        measurement.date, metric.id, measurement.value
                    ),
                )
            };
            out.push(diagnostic.help(help));
        }
    }
}

fn same(a: &Measurement, b: &Measurement) -> bool {
    a.date == b.date && a.value == b.value && a.corrects == b.corrects
}

fn count(n: usize) -> String {
    if n == 1 {
        "measurement".to_owned()
    } else {
        format!("{n} measurements")
    }
}

fn milestones(
    now: &Engagement,
    then: &Engagement,
    compared: &Compared<'_>,
    ctx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let rev = compared.rev;
    for (i, milestone) in now.milestones.iter().enumerate() {
        let Some(old) = then.milestones.iter().find(|m| m.id == milestone.id) else {
            continue;
        };
        if milestone.due > old.due {
            let times = compared
                .moves
                .get(milestone.id.as_str())
                .map_or(1, |moves| moves.len().max(1));
            let moved = if times == 1 {
                "once".to_owned()
            } else {
                format!("{times} times")
            };
            out.push(
                ctx.at(
                    rules::MILESTONE_SLIPPED,
                    &[K("milestones"), I(i), K("due")],
                    format!(
                        "milestone {} was due {} at {rev} and is now due {} ({} days later; its due date moved {moved} since)",
                        milestone.id,
                        old.due,
                        milestone.due,
                        milestone.due.days_since(old.due)
                    ),
                )
                .help(format!(
                    "tell the client about the new date (log it under `updates.log` with `milestone: {}`), or keep `due: {}`; this warning shows the move while you compare with {rev}",
                    milestone.id, old.due
                )),
            );
        }
        let done_then = old.done.is_some_and(|d| d <= ctx.as_of);
        let done_now = milestone.done.is_some_and(|d| d <= ctx.as_of);
        if done_then && !done_now {
            out.push(
                ctx.at(
                    rules::DONE_UNDONE,
                    &[K("milestones"), I(i)],
                    format!(
                        "milestone {} was done on {} at {rev} and is no longer done",
                        milestone.id,
                        old.done.map(|d| d.to_string()).unwrap_or_default()
                    ),
                )
                .help(format!(
                    "restore `done: {}`, or, if the step really reopened, tell the client and say why in `result:`; this warning shows the change while you compare with {rev}",
                    old.done.map(|d| d.to_string()).unwrap_or_default()
                )),
            );
        }
    }
    // A step done at REV and gone from the file is no longer done either
    // (its id renamed, or the milestone deleted).
    for old in &then.milestones {
        let Some(done) = old.done.filter(|d| *d <= ctx.as_of) else {
            continue;
        };
        if now.milestones.iter().any(|m| m.id == old.id) {
            continue;
        }
        out.push(
            ctx.at_key(
                rules::DONE_UNDONE,
                &[K("milestones")],
                format!(
                    "milestone {} was done on {done} at {rev} and is no longer in the file",
                    old.id
                ),
            )
            .help(format!(
                "restore milestone {} with `done: {done}`; if it was renamed, keep its id; if it was dropped, tell the client why; this warning shows the change while you compare with {rev}",
                old.id
            )),
        );
    }
}
