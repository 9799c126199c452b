//! The rule table (one source of truth for the validator, `explain` and the
//! docs) and the checks that apply the rules to loaded records.

pub mod engagement;
pub mod history;
pub mod notes;
pub mod repository;

/// Whether a rule finds records that are wrong (errors, level fixed) or
/// records that fall short of good practice (warnings, level configurable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Error,
    Warning,
}

/// One rule: its stable name, its kind, and the words `explain` prints.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub kind: RuleKind,
    /// When the rule fires (FORMAT.md's wording).
    pub when: &'static str,
    /// Why the rule exists.
    pub why: &'static str,
    /// How to fix what it finds.
    pub fix: &'static str,
}

macro_rules! rule {
    ($ident:ident, $name:literal, $kind:ident, when: $when:literal, why: $why:literal, fix: $fix:literal) => {
        pub const $ident: &Rule = &Rule {
            name: $name,
            kind: RuleKind::$kind,
            when: $when,
            why: $why,
            fix: $fix,
        };
    };
}

rule!(UNREADABLE_FILE, "unreadable-file", Error,
    when: "a file that cannot be read, or is not UTF-8",
    why: "A record nobody can read cannot be checked or reported, and the client's report would silently miss it.",
    fix: "Make the file readable and save it as UTF-8 (any editor's \"Save with encoding\" does it), or move it out of the records folder.");
rule!(YAML_SYNTAX, "yaml-syntax", Error,
    when: "front matter, client.yaml or commonthread.yaml is not valid YAML, or repeats a key",
    why: "Broken YAML cannot be read at all, and a repeated key silently loses one of its two values.",
    fix: "Fix the YAML at the position shown: check the indentation, quote text that holds `: ` or `#`, and keep each key once.");
rule!(FRONT_MATTER_MISSING, "front-matter-missing", Error,
    when: "an engagement file does not start with a `---` block that is closed by a `---` line",
    why: "The front matter holds everything the reports are made of; without it the file is not an engagement.",
    fix: "Start the file with a line `---`, then the YAML fields, then a line `---`, then the Markdown notes.");
rule!(UNKNOWN_FIELD, "unknown-field", Error,
    when: "a field the format does not know",
    why: "A misspelt field is silently ignored by every report; failing loudly catches `mielstones:` before the client does.",
    fix: "Correct the field name (the message suggests the closest one) or remove the field; private notes go in `internal_notes:`.");
rule!(INVALID_VALUE, "invalid-value", Error,
    when: "wrong type, an unknown status word, a bad date, a weight <= 0",
    why: "Figures computed from a wrong value would be wrong in front of the client.",
    fix: "Write the value as the message says: dates as YYYY-MM-DD, numbers without units, status words from the listed ones.");
rule!(MISSING_FIELD, "missing-field", Error,
    when: "a required field is absent",
    why: "Every report needs these fields; without them a page would have holes.",
    fix: "Add the field named in the message, with a value.");
rule!(INVALID_SLUG, "invalid-slug", Error,
    when: "a client folder or engagement file name is not a slug",
    why: "Report paths are built from folder and file names; a slug keeps every link working on every system.",
    fix: "Rename the folder or file to lowercase letters, digits and dashes (`acme-logistics`, `2026-sales-cycle.md`); `audit` is reserved.");
rule!(DUPLICATE_ID, "duplicate-id", Error,
    when: "two engagements, milestones or metrics share an id",
    why: "Ids tie updates to milestones, wins to metrics and reports to files; two of the same make each of those ambiguous.",
    fix: "Give the second one its own id (or file name), and update anything that refers to it.");
rule!(UNKNOWN_REFERENCE, "unknown-reference", Error,
    when: "a win names no metric, an update names no milestone",
    why: "A reference to nothing is a typo that would hide a win or an update from its metric or milestone.",
    fix: "Use one of the engagement's metric or milestone ids (the message lists them), or remove the reference.");
rule!(DATE_ORDER, "date-order", Error,
    when: "end before start, a done date before start, resolved before raised",
    why: "Dates in the wrong order are a typo, and they would make every duration in the report wrong.",
    fix: "Correct whichever of the two dates is wrong.");
rule!(NO_CLIENT, "no-client", Error,
    when: "an engagement file under no client folder",
    why: "Every engagement belongs to a client; without one there is no report to put it in.",
    fix: "Move the file into a client folder (one that holds `client.yaml`), or add a `client.yaml` to its folder.");
rule!(TARGET_EQUALS_BASELINE, "target-equals-baseline", Error,
    when: "a metric whose target is its baseline",
    why: "Success agreed as a number needs somewhere to go; progress cannot be measured between two equal values.",
    fix: "Agree a target that differs from the baseline with the client.");
rule!(REVIEW_MISSING, "review-missing", Error,
    when: "a completed or ended engagement without a review",
    why: "Every engagement ends by asking \"is this the end?\": what went wrong, what went right, what comes next, and whether a refund is owed.",
    fix: "Add a `review:` section with at least `date:` and `decision:` (continue, next or end).");
rule!(REFUND_REASON_MISSING, "refund-reason-missing", Error,
    when: "a partial or full refund without a reason",
    why: "A refund is a promise kept; the client and the practice both need to know why it was owed.",
    fix: "Add `refund_reason:` to the review, saying what was not delivered.");
rule!(CORRECTION_WITHOUT_ORIGINAL, "correction-without-original", Error,
    when: "a measurement `corrects:` a date on which its metric has no other measurement",
    why: "A correction replaces the value of one earlier measurement; pointing at no measurement would silently add a point instead.",
    fix: "Set `corrects:` to the date of the measurement being corrected, or remove `corrects:` if this is a new measurement.");
rule!(GOALPOST_MOVED, "goalpost-moved", Error,
    when: "with --since REV: a metric's baseline or target differs from REV without a `rebaselined:` entry naming the old value",
    why: "Success agreed as a number only means something if nobody quietly moves the number; a change the client agreed to is recorded with who, when and why.",
    fix: "Put the value back, or, if the client agreed the change, add to the metric `rebaselined: [{ date: YYYY-MM-DD, reason: ..., agreed_by: [...], old_baseline: ..., old_target: ... }]`.");
rule!(HISTORY_REWRITTEN, "history-rewritten", Error,
    when: "with --since REV: a measurement that existed at REV was removed, or its date or value changed",
    why: "Measurements are the evidence; rewriting them after the fact breaks the client's trust in every number. They are append-only.",
    fix: "Restore the measurement as it was at REV; to correct it, add a new measurement with `corrects: DATE` (the date of the wrong one).");

rule!(SUCCESS_HAS_NO_NUMBER, "success-has-no-number", Warning,
    when: "an active, paused, completed or ended engagement with no metric",
    why: "Success that is not a number cannot be shown to have happened.",
    fix: "Agree at least one metric with the client under `success.metrics`: a baseline, a target, and measurements.");
rule!(SUCCESS_NOT_AGREED, "success-not-agreed", Warning,
    when: "metrics but no `success.agreed` date",
    why: "A target the client never agreed to is ours, not theirs.",
    fix: "Record the day both sides agreed the metrics in `success.agreed` (and who, in `agreed_by`).");
rule!(MILESTONE_WITHOUT_OUTCOME, "milestone-without-outcome", Warning,
    when: "a milestone that does not say what the client will have",
    why: "The client should never be surprised at a step: each one says what they will have once it is done.",
    fix: "Add `outcome:` to the milestone: what the client has once it is done.");
rule!(MILESTONE_OVERDUE, "milestone-overdue", Warning,
    when: "a prospect, active or paused engagement's milestone due before the as-of date and not done",
    why: "A missed date that nobody talks about erodes trust faster than the delay itself.",
    fix: "Record `done:` or agree a new `due:` date with the client.");
rule!(UPDATE_OVERDUE, "update-overdue", Warning,
    when: "an active engagement with no update within its cadence",
    why: "We promised the client an update every so many days; silence is a broken promise.",
    fix: "Send the client an update and log it under `updates.log`, or agree a different `cadence_days`.");
rule!(WIN_NOT_CELEBRATED, "win-not-celebrated", Warning,
    when: "a win without `celebrated`",
    why: "The client's wins are the point of the work; each one deserves to be marked with them.",
    fix: "Celebrate the win with the client and record how in `celebrated:`.");
rule!(CONCERN_UNANSWERED, "concern-unanswered", Warning,
    when: "a concern without a `response`",
    why: "A concern left unanswered reads as a concern deflected.",
    fix: "Answer the concern and record how in `response:`.");
rule!(CLAIM_UNVERIFIED, "claim-unverified", Warning,
    when: "an active engagement with an unverified or contradicted claim, or an unresolved red flag",
    why: "Work built on a claim nobody checked can aim at the wrong problem.",
    fix: "Verify the claim (record the `evidence:`), or reframe the goal and record the red flag's `resolution:`.");
rule!(NOT_QUALIFIED, "not-qualified", Warning,
    when: "a prospect or active engagement without a qualification decision",
    why: "Taking work without deciding whether we can win it for the client is how engagements fail.",
    fix: "Record `qualification.decision` (accept, reframe or decline) and the day in `decided:`.");
rule!(NO_END_DATE, "no-end-date", Warning,
    when: "an active or paused engagement without `end`",
    why: "An engagement without an agreed end date has no point at which to ask \"is this the end?\".",
    fix: "Agree an end date with the client and record it in `end:`.");
rule!(REVIEW_DUE, "review-due", Warning,
    when: "an active engagement past its end date with no review",
    why: "Past the agreed end, the client deserves the \"is this the end?\" conversation.",
    fix: "Hold the review and record it under `review:`, or agree a later `end:` with the client.");
rule!(MEASUREMENT_OUT_OF_RANGE, "measurement-out-of-range", Warning,
    when: "a measurement dated before start or after the as-of date",
    why: "A measurement before the work began is a baseline, and one after today is a typo; neither shows progress.",
    fix: "Correct the measurement's date, or move a pre-start figure into the metric's `baseline`.");
rule!(MILESTONE_AFTER_END, "milestone-after-end", Warning,
    when: "a milestone due after the engagement's end",
    why: "A step planned after the agreed end will not happen inside the engagement the client signed.",
    fix: "Bring the milestone's `due:` inside the engagement, or agree a later `end:`.");
rule!(METRIC_STALE, "metric-stale", Warning,
    when: "an active engagement's metric whose latest measurement is more than 60 days before the as-of date, or that has none more than 30 days after start",
    why: "Progress nobody measured recently is a guess, and the client's scorecard would show an old number as today's.",
    fix: "Measure the metric and add the value under its `measurements:`.");
rule!(MILESTONE_SLIPPED, "milestone-slipped", Warning,
    when: "with --since REV: a milestone's due date is later than at REV",
    why: "A date that moves quietly is a promise broken quietly; the client should hear it from us, with the old and the new date.",
    fix: "Tell the client about the new date (log it under `updates.log` with `milestone:`), or keep the original `due:` date. Telling the client does not silence the warning: it reports the move for as long as you compare with a revision from before it, so that the change stays in view.");
rule!(FIELD_IN_NOTES, "field-in-notes", Warning,
    when: "the Markdown notes hold a line that reads as an internal field (`internal_notes:`, `qualification:`, `review:`, `value:`), or a second front matter (three fields or more, a `title:` among them, after a `---` line)",
    why: "The notes below the front matter are printed on the client's report as they are: a field written there by mistake, or a front matter pasted twice, shows the client what is meant for the practice.",
    fix: "Move the field above the closing `---`, into the front matter, or remove the pasted copy.");
rule!(DONE_UNDONE, "done-undone", Warning,
    when: "with --since REV: a milestone done at REV is no longer done",
    why: "A step reported to the client as done and then quietly reopened changes what they were told they have.",
    fix: "Restore the milestone's `done:` date, or, if the step really reopened, tell the client and say why in `result:`. The warning stays for as long as you compare with a revision from before the change, so that it stays in view.");

/// Every rule, errors first, in FORMAT.md's order.
pub const RULES: &[&Rule] = &[
    UNREADABLE_FILE,
    YAML_SYNTAX,
    FRONT_MATTER_MISSING,
    UNKNOWN_FIELD,
    INVALID_VALUE,
    MISSING_FIELD,
    INVALID_SLUG,
    DUPLICATE_ID,
    UNKNOWN_REFERENCE,
    DATE_ORDER,
    NO_CLIENT,
    TARGET_EQUALS_BASELINE,
    REVIEW_MISSING,
    REFUND_REASON_MISSING,
    CORRECTION_WITHOUT_ORIGINAL,
    GOALPOST_MOVED,
    HISTORY_REWRITTEN,
    SUCCESS_HAS_NO_NUMBER,
    SUCCESS_NOT_AGREED,
    MILESTONE_WITHOUT_OUTCOME,
    MILESTONE_OVERDUE,
    UPDATE_OVERDUE,
    WIN_NOT_CELEBRATED,
    CONCERN_UNANSWERED,
    CLAIM_UNVERIFIED,
    NOT_QUALIFIED,
    NO_END_DATE,
    REVIEW_DUE,
    MEASUREMENT_OUT_OF_RANGE,
    MILESTONE_AFTER_END,
    METRIC_STALE,
    MILESTONE_SLIPPED,
    DONE_UNDONE,
    FIELD_IN_NOTES,
];

/// The rule of that name.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.name == name)
}

/// The closest rule name to a misspelt one, when one is close enough.
pub fn closest(name: &str) -> Option<&'static str> {
    crate::suggest::closest(name, RULES.iter().map(|rule| rule.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_kebab_case() {
        let names: BTreeSet<_> = RULES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), RULES.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
        }
    }

    #[test]
    fn seventeen_errors_and_seventeen_warnings() {
        let errors = RULES.iter().filter(|r| r.kind == RuleKind::Error).count();
        assert_eq!(errors, 17);
        assert_eq!(RULES.len() - errors, 17);
    }

    #[test]
    fn misspelt_names_find_the_rule() {
        assert_eq!(closest("milestone-overdeu"), Some("milestone-overdue"));
        assert_eq!(closest("zzzz"), None);
    }
}
