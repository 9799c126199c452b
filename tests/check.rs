//! `commonthread check`, run as a real binary on fixture repositories.
//!
//! Groups, in file order:
//! 1. the baseline engagement, then every rule of FORMAT.md's two tables:
//!    a test that triggers it at its exact place and one with the nearest
//!    valid variant that does not;
//! 2. rule levels, `--deny-warnings`, the as-of date;
//! 3. output formats (human, JSON, GitHub);
//! 4. exit codes and `--client`;
//! 5. bad input: each bad file beside a valid file with one warning (the
//!    "witness"), to show the run goes on;
//! 6. the bundled samples;
//! 7. bugs found (ignored until fixed).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const E: &str = ENGAGEMENT;
const ERR: &str = "error";
const WARN: &str = "warning";

// ---------------------------------------------------------------------------
// 1. The baseline and every rule
// ---------------------------------------------------------------------------

#[test]
fn baseline_engagement_is_clean() {
    // The line numbers every rule test relies on.
    assert_eq!(line(BASELINE, 3), "status: active");
    assert_eq!(line(BASELINE, 26), "    - id: days-to-close");
    assert_eq!(line(BASELINE, 44), "    due: 2026-12-15");
    assert_eq!(line(BASELINE, 53), "    - date: 2026-11-10");
    assert_eq!(line(BASELINE, 67), "---");
    let r = check_engagement(BASELINE);
    r.assert_code(0);
    r.assert_rules(&[]);
    assert_eq!(
        r.summary,
        Summary {
            files: 2,
            clients: 1,
            engagements: 1,
            errors: 0,
            warnings: 0
        }
    );
}

#[test]
fn clean_fixture_is_clean() {
    let r = check_json(&fixture("clean"), &[]);
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- unreadable-file -------------------------------------------------------

#[test]
fn unreadable_file_fires_at_the_first_byte_that_is_not_utf8() {
    // "title: Sal" then a Latin-1 "é" (0xE9), which is not UTF-8.
    let mut bytes = BASELINE.as_bytes().to_vec();
    let title = BASELINE.find("title: Sales").expect("the title line") + "title: Sal".len();
    bytes[title] = 0xE9;
    let dir = repo_bytes(&[
        ("acme-logistics/client.yaml", CLIENT_YAML.as_bytes()),
        (E, &bytes),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["unreadable-file"]);
    let d = r.one("unreadable-file", E);
    at(d, ERR, E, 2, 11, None);
    says(d, &["utf-8"]);
}

#[test]
fn unreadable_file_not_fired_by_valid_utf8_accents() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "title: Sales cycle redesign",
            "title: Café résumé — Straße 東京",
        )],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- yaml-syntax -------------------------------------------------------------

#[test]
fn yaml_syntax_fires_at_the_second_occurrence_of_a_key() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "current_state: Deals take one to two months to close.",
            "owner: Priya Raman",
        )],
    ));
    r.assert_code(1);
    r.assert_rules(&["yaml-syntax"]);
    let d = r.one("yaml-syntax", E);
    at(d, ERR, E, 20, 1, Some("owner"));
    says(d, &["`owner`", "twice"]);
}

#[test]
fn yaml_syntax_fires_in_client_yaml_and_commonthread_yaml() {
    let dir = repo(&[
        (
            "commonthread.yaml",
            "practice: Northwind\npractice: Southwind\n",
        ),
        (
            "acme-logistics/client.yaml",
            "name: Acme\nindustry: Freight\nname: Acme Logistics\n",
        ),
        (E, BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["yaml-syntax", "yaml-syntax"]);
    at(
        r.one("yaml-syntax", "acme-logistics/client.yaml"),
        ERR,
        "acme-logistics/client.yaml",
        3,
        1,
        Some("name"),
    );
    at(
        r.one("yaml-syntax", "commonthread.yaml"),
        ERR,
        "commonthread.yaml",
        2,
        1,
        Some("practice"),
    );
}

#[test]
fn yaml_syntax_not_fired_by_a_tab_after_a_keys_colon() {
    // YAML 1.2 separates a key from its value with spaces or tabs; a
    // paste from a spreadsheet brings tabs.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status:\tactive"),
            ("    due: 2026-12-15", "    due:\t2026-12-15"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

#[test]
fn duplicate_id_through_an_alias_is_at_the_alias() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("  - id: A\n", "  - &first\n    id: A\n"),
            ("updates:\n", "  - *first\nupdates:\n"),
        ],
    ));
    let d = r.one("duplicate-id", E);
    at(d, ERR, E, 47, 5, Some("milestones[2].id"));
}

#[test]
fn yaml_syntax_for_a_repeated_key_is_all_that_is_said_of_it() {
    // The first `log:` is kept, empty: without more, `update-overdue`
    // would say no update was logged, though the file logs one.
    let r = check_engagement(&edit(BASELINE, &[("updates:\n", "updates:\n  log: []\n")]));
    r.assert_code(1);
    r.assert_rules(&["yaml-syntax"]);
    let d = r.one("yaml-syntax", E);
    assert_eq!(d.path.as_deref(), Some("updates.log"), "{}", r.listing());
}

#[test]
fn yaml_syntax_for_a_list_item_without_its_dash_says_so() {
    let r = check_engagement(&edit(BASELINE, &[("  - id: B\n", "    id: B\n")]));
    let d = r.one("yaml-syntax", E);
    at(d, ERR, E, 42, 5, Some("milestones[0].id"));
    assert_eq!(
        d.message,
        "`id` is given twice in this item, and so are `title`, `due`, `outcome` after it"
    );
    assert!(d.help.contains("begin its line with `- `"), "{}", d.help);
    // A second metric without its dash: the win naming it is not called
    // unknown, with the first metric's id offered instead.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            (
                "        - { date: 2026-11-01, value: 12, note: After the new approval flow }\n",
                "        - { date: 2026-11-01, value: 12, note: After the new approval flow }\n      id: win-rate\n      name: Win rate\n      baseline: 20\n      target: 30\n",
            ),
            ("    metric: days-to-close", "    metric: win-rate"),
        ],
    ));
    r.assert_rules(&["yaml-syntax"]);
}

#[test]
fn yaml_syntax_not_fired_by_quoted_colons_or_a_key_reused_in_another_mapping() {
    // `title` is both a top-level key and a milestone key in the baseline.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            (
                "title: Sales cycle redesign",
                "title: \"Sales: cycle redesign # 2\"",
            ),
            (
                "current_state: Deals take one to two months to close.",
                "current_state: 'owner: not a key here'",
            ),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- front-matter-missing ----------------------------------------------------

#[test]
fn front_matter_missing_fires_when_the_opening_fence_is_absent() {
    let text = BASELINE
        .strip_prefix("---\n")
        .expect("baseline starts with a fence");
    let r = check_engagement(text);
    r.assert_code(1);
    r.assert_rules(&["front-matter-missing"]);
    let d = r.one("front-matter-missing", E);
    at(d, ERR, E, 1, 1, None);
    says(d, &["does not start with", "---"]);
}

#[test]
fn front_matter_missing_fires_when_the_closing_fence_is_absent() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("---\nFree Markdown notes", "Free Markdown notes")],
    ));
    r.assert_code(1);
    r.assert_rules(&["front-matter-missing"]);
    let d = r.one("front-matter-missing", E);
    at(d, ERR, E, 1, 1, None);
    says(d, &["never closed"]);
    assert!(d.help.contains("add a `---` line"), "{d:?}");
}

#[test]
fn front_matter_missing_not_fired_by_rules_in_the_markdown_body() {
    let text = format!("{BASELINE}\n---\n\nA second part.\n\n---\ntitle: body text\n---\n");
    let r = check_engagement(&text);
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- unknown-field -------------------------------------------------------------

#[test]
fn two_swapped_letters_in_a_field_name_get_a_suggestion() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("title: Sales cycle redesign", "titel: Sales cycle redesign"),
            ("owner: Dana Whitfield", "ownre: Dana Whitfield"),
        ],
    ));
    r.assert_code(1);
    for (typo, meant) in [("titel", "title"), ("ownre", "owner")] {
        let d = r
            .diags
            .iter()
            .find(|d| d.rule == "unknown-field" && d.message.contains(typo))
            .unwrap_or_else(|| panic!("no unknown-field for {typo}: {:?}", r.diags));
        assert!(
            d.help.contains(&format!("did you mean `{meant}`?")),
            "{d:?}"
        );
    }
}

#[test]
fn unknown_field_fires_at_the_key_with_a_suggestion() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    result: Three", "    reslt: Three"),
            ("internal_notes: Keep", "internal_note: Keep"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["unknown-field", "unknown-field"]);
    let nested = &r.diags[0];
    at(nested, ERR, E, 41, 5, Some("milestones[0].reslt"));
    says(nested, &["`reslt`"]);
    assert!(nested.help.contains("did you mean `result`?"), "{nested:?}");
    let top = &r.diags[1];
    at(top, ERR, E, 66, 1, Some("internal_note"));
    assert!(
        top.help.contains("did you mean `internal_notes`?"),
        "{top:?}"
    );
}

#[test]
fn unknown_field_that_misspells_a_section_leaves_it_out_unsaid() {
    // `mielstones:` holds the milestones the log names: the log's
    // references to them are not unknown, only the key is wrong.
    let r = check_engagement(&edit(BASELINE, &[("milestones:", "mielstones:")]));
    r.assert_code(1);
    r.assert_rules(&["unknown-field"]);
    at(&r.diags[0], ERR, E, 35, 1, Some("mielstones"));
    // With the right key given too, the misspelt one is only extra.
    let r = check_engagement(&edit(
        BASELINE,
        &[("updates:\n", "mielstones: []\nupdates:\n")],
    ));
    r.assert_rules(&["unknown-field"]);
}

#[test]
fn unknown_field_not_fired_by_any_documented_field() {
    // A completed engagement with every review field FORMAT.md lists.
    let text = edit(
        BASELINE,
        &[
            ("status: active", "status: completed"),
            (
                "internal_notes: Keep an eye on the approval flow.\n",
                "internal_notes: Keep an eye on the approval flow.\n\
                 review:\n  date: 2026-11-01\n  went_wrong: Reports were late in May.\n  \
                 went_right: Deals close in 12 days.\n  new_problems: The approval desk is busy.\n  \
                 after_the_book: Their sales lead owns the flow.\n  next_offer: Sales onboarding\n  \
                 decision: next\n  refund: partial\n  refund_reason: Milestone B slipped.\n  referrals: 2\n",
            ),
        ],
    );
    let r = check_engagement(&text);
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- invalid-value -------------------------------------------------------------

#[test]
fn invalid_value_fires_at_an_unknown_status_word() {
    let r = check_engagement(&edit(BASELINE, &[("status: active", "status: actve")]));
    r.assert_code(1);
    r.assert_rules(&["invalid-value"]);
    let d = r.one("invalid-value", E);
    at(d, ERR, E, 3, 9, Some("status"));
    says(d, &["`actve`", "status"]);
    assert!(d.help.contains("did you mean `active`?"), "{d:?}");
}

#[test]
fn invalid_value_fires_at_a_weight_of_zero() {
    let r = check_engagement(&edit(BASELINE, &[("      weight: 2", "      weight: 0")]));
    r.assert_code(1);
    r.assert_rules(&["invalid-value"]);
    let d = r.one("invalid-value", E);
    at(d, ERR, E, 31, 15, Some("success.metrics[0].weight"));
    says(d, &["weight"]);
}

#[test]
fn invalid_value_fires_at_a_bad_date_and_a_number_with_its_unit() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("start: 2026-03-02", "start: 2026-03-32"),
            ("      baseline: 45", "      baseline: 45 days"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value", "invalid-value"]);
    at(&r.diags[0], ERR, E, 5, 8, Some("start"));
    says(&r.diags[0], &["2026-03-32"]);
    at(
        &r.diags[1],
        ERR,
        E,
        29,
        17,
        Some("success.metrics[0].baseline"),
    );
}

#[test]
fn a_milestone_with_a_bad_due_date_still_gets_its_other_findings() {
    // B's `due` is no date, so B is left out of the figures; its missing
    // outcome is another problem, reported in the same run.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    due: 2026-12-15", "    due: 2026-02-30"),
            ("    outcome: Deals are approved in one step.\n", ""),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["milestone-without-outcome", "invalid-value"]);
    at(&r.diags[0], WARN, E, 42, 5, Some("milestones[1].outcome"));
    says(&r.diags[0], &["milestone B"]);
    at(&r.diags[1], ERR, E, 44, 10, Some("milestones[1].due"));
}

#[test]
fn invalid_value_fires_at_a_metric_id_that_is_not_a_slug() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    - id: days-to-close", "    - id: Days to close"),
            ("    metric: days-to-close", "    metric: Days to close"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value"]);
    let d = r.one("invalid-value", E);
    at(d, ERR, E, 26, 11, Some("success.metrics[0].id"));
    says(d, &["slug"]);
}

#[test]
fn invalid_value_not_fired_by_another_status_word_or_a_fractional_weight() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: paused"),
            ("      weight: 2", "      weight: 0.5"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- missing-field ---------------------------------------------------------------

#[test]
fn missing_field_top_level_is_on_line_one() {
    let r = check_engagement(&comment_out(BASELINE, 4, 4));
    r.assert_code(1);
    r.assert_rules(&["missing-field"]);
    let d = r.one("missing-field", E);
    at(d, ERR, E, 1, 1, Some("owner"));
    says(d, &["`owner`", "missing"]);
}

#[test]
fn missing_field_in_a_list_item_is_on_the_item() {
    let r = check_engagement(&comment_out(BASELINE, 43, 43));
    r.assert_code(1);
    r.assert_rules(&["missing-field"]);
    at(
        r.one("missing-field", E),
        ERR,
        E,
        42,
        5,
        Some("milestones[1].title"),
    );
    // Said as people count: the JSON path keeps its notation.
    says(
        r.one("missing-field", E),
        &["required field `title` is missing from the 2nd milestone"],
    );
}

#[test]
fn missing_field_start_of_an_active_engagement() {
    let r = check_engagement(&comment_out(BASELINE, 5, 5));
    r.assert_code(1);
    r.assert_rules(&["missing-field"]);
    let d = r.one("missing-field", E);
    at(d, ERR, E, 1, 1, Some("start"));
    says(d, &["start"]);
}

#[test]
fn missing_field_not_fired_by_a_prospect_without_start() {
    let r = check_engagement(&edit(
        &comment_out(BASELINE, 5, 5),
        &[("status: active", "status: prospect")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- invalid-slug ----------------------------------------------------------------

#[test]
fn invalid_slug_fires_on_the_engagement_file() {
    let file = "acme-logistics/2026_Sales_Cycle.md";
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (file, BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["invalid-slug"]);
    let d = r.one("invalid-slug", file);
    at(d, ERR, file, 1, 1, None);
    says(d, &["2026_Sales_Cycle", "slug"]);
    assert!(d.help.contains("2026-sales-cycle"), "{d:?}");
}

#[test]
fn invalid_slug_not_fired_by_slugs_close_to_reserved_or_odd() {
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        ("acme-logistics/audit-2026.md", BASELINE),
        ("acme-logistics/0--x-.md", BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- duplicate-id ----------------------------------------------------------------

#[test]
fn duplicate_id_fires_at_the_second_milestone_id() {
    let r = check_engagement(&edit(BASELINE, &[("  - id: B", "  - id: A")]));
    r.assert_code(1);
    r.assert_rules(&["duplicate-id"]);
    let d = r.one("duplicate-id", E);
    at(d, ERR, E, 42, 9, Some("milestones[1].id"));
    says(d, &["`A`"]);
}

const SECOND_METRIC: &str = "    - id: days-to-close\n      name: Win rate\n      baseline: 20\n      target: 30\n      measurements: [{ date: 2026-11-01, value: 25 }]\n";

#[test]
fn duplicate_id_fires_at_the_second_metric_id() {
    let text = edit(
        BASELINE,
        &[(
            "note: After the new approval flow }\n",
            &format!("note: After the new approval flow }}\n{SECOND_METRIC}"),
        )],
    );
    let r = check_engagement(&text);
    r.assert_code(1);
    r.assert_rules(&["duplicate-id"]);
    at(
        r.one("duplicate-id", E),
        ERR,
        E,
        35,
        11,
        Some("success.metrics[1].id"),
    );
}

#[test]
fn duplicate_id_not_fired_by_distinct_ids() {
    let second = SECOND_METRIC.replace("id: days-to-close", "id: win-rate");
    let text = edit(
        BASELINE,
        &[(
            "note: After the new approval flow }\n",
            &format!("note: After the new approval flow }}\n{second}"),
        )],
    );
    // The same milestone ids and engagement slug in another client are fine too.
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (E, &text),
        ("globex/client.yaml", "name: Globex\n"),
        ("globex/2026-sales-cycle.md", BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- unknown-reference -----------------------------------------------------------

#[test]
fn unknown_reference_fires_at_the_win_metric_and_the_update_milestone() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    metric: days-to-close", "    metric: days-to-clse"),
            ("      milestone: A", "      milestone: C"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["unknown-reference", "unknown-reference"]);
    let update = &r.diags[0];
    at(update, ERR, E, 52, 18, Some("updates.log[0].milestone"));
    says(update, &["`C`"]);
    let win = &r.diags[1];
    at(win, ERR, E, 58, 13, Some("wins[0].metric"));
    says(win, &["`days-to-clse`"]);
    assert!(
        win.help.contains("did you mean `days-to-close`?"),
        "{win:?}"
    );
}

#[test]
fn unknown_reference_not_fired_by_existing_ids_or_no_reference() {
    let text = comment_out(
        &edit(BASELINE, &[("      milestone: A", "      milestone: B")]),
        58,
        58,
    );
    let r = check_engagement(&text);
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- date-order ------------------------------------------------------------------

#[test]
fn date_order_fires_at_end_before_start() {
    let r = check_engagement(&edit(BASELINE, &[("end: 2026-12-31", "end: 2026-03-01")]));
    r.assert_code(1);
    // Past its end and with milestones after it, the warnings follow suit.
    r.assert_rules(&[
        "review-due",
        "date-order",
        "milestone-after-end",
        "milestone-after-end",
    ]);
    let d = r.one("date-order", E);
    at(d, ERR, E, 6, 6, Some("end"));
    says(d, &["2026-03-01", "2026-03-02"]);
}

#[test]
fn date_order_fires_at_done_before_start() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    done: 2026-03-28", "    done: 2026-03-01")],
    ));
    r.assert_code(1);
    r.assert_rules(&["date-order"]);
    at(
        r.one("date-order", E),
        ERR,
        E,
        39,
        11,
        Some("milestones[0].done"),
    );
}

#[test]
fn date_order_fires_at_resolved_before_raised() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    resolved: 2026-05-27", "    resolved: 2026-05-19")],
    ));
    r.assert_code(1);
    r.assert_rules(&["date-order"]);
    at(
        r.one("date-order", E),
        ERR,
        E,
        65,
        15,
        Some("concerns[0].resolved"),
    );
}

#[test]
fn date_order_not_fired_by_same_day_dates() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    done: 2026-03-28", "    done: 2026-03-02"),
            ("    resolved: 2026-05-27", "    resolved: 2026-05-20"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- no-client -------------------------------------------------------------------

#[test]
fn no_client_fires_on_a_file_outside_every_client() {
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        ("stray.md", BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["no-client"]);
    let d = r.one("no-client", "stray.md");
    at(d, ERR, "stray.md", 1, 1, None);
    says(d, &["no client"]);
}

#[test]
fn no_client_not_fired_by_a_file_deep_in_a_client_folder() {
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        ("acme-logistics/archive/2025/2026-sales-cycle.md", BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(0);
    r.assert_rules(&[]);
    assert_eq!(r.summary.engagements, 1);
}

// --- target-equals-baseline ------------------------------------------------------

#[test]
fn target_equals_baseline_fires_at_the_target() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("      target: 14", "      target: 45.0")],
    ));
    r.assert_code(1);
    r.assert_rules(&["target-equals-baseline"]);
    let d = r.one("target-equals-baseline", E);
    at(d, ERR, E, 30, 15, Some("success.metrics[0].target"));
    says(d, &["days-to-close"]);
}

#[test]
fn target_equals_baseline_not_fired_by_a_target_close_to_it() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("      target: 14", "      target: 44.5")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- review-missing --------------------------------------------------------------

#[test]
fn review_missing_fires_on_line_one_when_review_is_absent() {
    let r = check_engagement(&edit(BASELINE, &[("status: active", "status: completed")]));
    r.assert_code(1);
    r.assert_rules(&["review-missing"]);
    let d = r.one("review-missing", E);
    at(d, ERR, E, 1, 1, Some("review"));
    says(d, &["completed", "review"]);
}

#[test]
fn review_missing_fires_at_an_empty_review_key() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: ended"),
            (
                "internal_notes: Keep an eye on the approval flow.",
                "review:",
            ),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["review-missing"]);
    at(r.one("review-missing", E), ERR, E, 66, 1, Some("review"));
}

#[test]
fn review_missing_not_fired_by_a_minimal_review() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: completed"),
            (
                "internal_notes: Keep an eye on the approval flow.",
                "review: { date: 2026-11-01, decision: end }",
            ),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

#[test]
fn review_missing_not_fired_by_a_review_dated_after_the_as_of_date() {
    // An error checks what is written: the completed engagement has its
    // review, though it is dated after 2026-11-16.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: completed"),
            (
                "internal_notes: Keep an eye on the approval flow.",
                "review:\n  date: 2026-11-20\n  decision: end",
            ),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- refund-reason-missing -------------------------------------------------------

#[test]
fn refund_reason_missing_fires_at_the_review_key() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: completed"),
            (
                "internal_notes: Keep an eye on the approval flow.",
                "review:\n  date: 2026-11-01\n  decision: end\n  refund: full",
            ),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["refund-reason-missing"]);
    let d = r.one("refund-reason-missing", E);
    at(d, ERR, E, 66, 1, Some("review.refund_reason"));
    says(d, &["full", "reason"]);
}

#[test]
fn refund_reason_missing_fires_beside_review_due() {
    // Past its end with its review dated later: the review is due, and
    // what is written in it is still wrong.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("end: 2026-12-31", "end: 2026-11-15"),
            (
                "internal_notes: Keep an eye on the approval flow.",
                "review:\n  date: 2026-11-20\n  decision: end\n  refund: full",
            ),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["milestone-after-end", "refund-reason-missing", "review-due"]);
    at(r.one("review-due", E), WARN, E, 67, 9, Some("review.date"));
    at(
        r.one("refund-reason-missing", E),
        ERR,
        E,
        66,
        1,
        Some("review.refund_reason"),
    );
}

#[test]
fn refund_reason_missing_fires_for_a_blank_reason() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: completed"),
            (
                "internal_notes: Keep an eye on the approval flow.",
                "review: { date: 2026-11-01, decision: end, refund: partial, refund_reason: \"  \" }",
            ),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["refund-reason-missing"]);
    says(r.one("refund-reason-missing", E), &["partial"]);
}

#[test]
fn refund_reason_missing_not_fired_by_no_refund_or_a_reasoned_one() {
    for review in [
        "review: { date: 2026-11-01, decision: end, refund: none }",
        "review: { date: 2026-11-01, decision: end, refund: partial, refund_reason: B slipped }",
    ] {
        let r = check_engagement(&edit(
            BASELINE,
            &[
                ("status: active", "status: completed"),
                ("internal_notes: Keep an eye on the approval flow.", review),
            ],
        ));
        r.assert_code(0);
        r.assert_rules(&[]);
    }
}

// --- success-has-no-number -------------------------------------------------------

/// The baseline without its `success` section (and the win's metric).
fn without_success() -> String {
    comment_out(&comment_out(BASELINE, 22, 34), 58, 58)
}

#[test]
fn success_has_no_number_fires_on_line_one() {
    let r = check_engagement(&without_success());
    r.assert_code(0);
    r.assert_rules(&["success-has-no-number"]);
    let d = r.one("success-has-no-number", E);
    at(d, WARN, E, 1, 1, Some("success.metrics"));
    says(d, &["metric"]);
}

#[test]
fn success_has_no_number_not_fired_for_a_prospect() {
    let r = check_engagement(&edit(
        &without_success(),
        &[("status: active", "status: prospect")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- success-not-agreed ----------------------------------------------------------

#[test]
fn success_not_agreed_fires_at_the_success_key() {
    let r = check_engagement(&comment_out(BASELINE, 23, 23));
    r.assert_code(0);
    r.assert_rules(&["success-not-agreed"]);
    at(
        r.one("success-not-agreed", E),
        WARN,
        E,
        22,
        1,
        Some("success.agreed"),
    );
}

#[test]
fn success_not_agreed_not_fired_without_agreed_by() {
    let r = check_engagement(&comment_out(BASELINE, 24, 24));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- milestone-without-outcome ---------------------------------------------------

#[test]
fn milestone_without_outcome_fires_at_the_milestone() {
    let r = check_engagement(&comment_out(BASELINE, 45, 45));
    r.assert_code(0);
    r.assert_rules(&["milestone-without-outcome"]);
    let d = r.one("milestone-without-outcome", E);
    at(d, WARN, E, 42, 5, Some("milestones[1].outcome"));
    says(d, &["milestone B"]);
}

#[test]
fn milestone_without_outcome_not_fired_by_a_block_outcome() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "    outcome: Deals are approved in one step.",
            "    outcome: |\n      Deals are approved\n      in one step.",
        )],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- milestone-overdue -----------------------------------------------------------

#[test]
fn milestone_overdue_fires_at_the_due_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    due: 2026-12-15", "    due: 2026-11-15")],
    ));
    r.assert_code(0);
    r.assert_rules(&["milestone-overdue"]);
    let d = r.one("milestone-overdue", E);
    at(d, WARN, E, 44, 10, Some("milestones[1].due"));
    says(d, &["milestone B", "2026-11-15"]);
}

#[test]
fn milestone_overdue_fires_when_done_is_after_the_as_of_date() {
    // FORMAT.md: a `done` date after the as-of date is ignored.
    let r = check_engagement(&edit(
        BASELINE,
        &[("    done: 2026-03-28", "    done: 2026-11-20")],
    ));
    r.assert_code(0);
    r.assert_rules(&["milestone-overdue"]);
    at(
        r.one("milestone-overdue", E),
        WARN,
        E,
        38,
        10,
        Some("milestones[0].due"),
    );
}

#[test]
fn milestone_overdue_not_fired_when_due_on_the_as_of_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    due: 2026-12-15", "    due: 2026-11-16")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- update-overdue --------------------------------------------------------------

#[test]
fn update_overdue_fires_at_the_latest_log_entry() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    - date: 2026-11-10", "    - date: 2026-11-01")],
    ));
    r.assert_code(0);
    r.assert_rules(&["update-overdue"]);
    let d = r.one("update-overdue", E);
    at(d, WARN, E, 53, 13, Some("updates.log[1].date"));
    says(d, &["2026-11-01", "15 days", "14 days"]);
}

#[test]
fn update_overdue_ignores_log_entries_after_the_as_of_date() {
    // The entry of 2026-11-20 is not written yet; the latest is 2026-03-15.
    let r = check_engagement(&edit(
        BASELINE,
        &[("    - date: 2026-11-10", "    - date: 2026-11-20")],
    ));
    r.assert_code(0);
    r.assert_rules(&["update-overdue"]);
    at(
        r.one("update-overdue", E),
        WARN,
        E,
        49,
        13,
        Some("updates.log[0].date"),
    );
}

#[test]
fn update_overdue_without_updates_is_on_line_one() {
    let r = check_engagement(&comment_out(BASELINE, 46, 54));
    r.assert_code(0);
    r.assert_rules(&["update-overdue"]);
    let d = r.one("update-overdue", E);
    at(d, WARN, E, 1, 1, Some("updates"));
    says(d, &["since the start", "2026-03-02"]);
}

#[test]
fn update_overdue_not_fired_on_the_last_day_of_the_cadence() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    - date: 2026-11-10", "    - date: 2026-11-02")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

#[test]
fn update_overdue_not_fired_within_the_engagements_own_cadence() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    - date: 2026-11-10", "    - date: 2026-11-01"),
            ("  cadence_days: 14", "  cadence_days: 30"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- win-not-celebrated ----------------------------------------------------------

#[test]
fn win_not_celebrated_fires_at_the_win() {
    let r = check_engagement(&comment_out(BASELINE, 59, 59));
    r.assert_code(0);
    r.assert_rules(&["win-not-celebrated"]);
    let d = r.one("win-not-celebrated", E);
    at(d, WARN, E, 56, 5, Some("wins[0].celebrated"));
    says(d, &["Company record"]);
}

#[test]
fn win_not_celebrated_not_fired_by_a_win_after_the_as_of_date() {
    let r = check_engagement(&edit(
        &comment_out(BASELINE, 59, 59),
        &[("  - date: 2026-07-10", "  - date: 2026-11-20")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- concern-unanswered ----------------------------------------------------------

#[test]
fn concern_unanswered_fires_at_the_concern() {
    let r = check_engagement(&comment_out(BASELINE, 64, 64));
    r.assert_code(0);
    r.assert_rules(&["concern-unanswered"]);
    let d = r.one("concern-unanswered", E);
    at(d, WARN, E, 61, 5, Some("concerns[0].response"));
    says(d, &["2026-05-20"]);
}

#[test]
fn concern_unanswered_not_fired_by_a_concern_after_the_as_of_date() {
    let r = check_engagement(&edit(
        &comment_out(BASELINE, 64, 65),
        &[("  - date: 2026-05-20", "  - date: 2026-11-20")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- claim-unverified ------------------------------------------------------------

#[test]
fn claim_unverified_fires_at_the_claim_status() {
    for (word, says_what) in [
        ("unverified", "unverified"),
        ("contradicted", "contradicted"),
    ] {
        let r = check_engagement(&edit(
            BASELINE,
            &[("      status: verified", &format!("      status: {word}"))],
        ));
        r.assert_code(0);
        r.assert_rules(&["claim-unverified"]);
        let d = r.one("claim-unverified", E);
        at(d, WARN, E, 14, 15, Some("qualification.claims[0].status"));
        says(d, &["Revenue grew 40%", says_what]);
    }
}

#[test]
fn claim_unverified_fires_at_an_unresolved_red_flag() {
    let r = check_engagement(&comment_out(BASELINE, 17, 17));
    r.assert_code(0);
    r.assert_rules(&["claim-unverified"]);
    let d = r.one("claim-unverified", E);
    at(
        d,
        WARN,
        E,
        16,
        7,
        Some("qualification.red_flags[0].resolution"),
    );
    says(d, &["red flag"]);
}

#[test]
fn claim_unverified_not_fired_for_a_paused_engagement() {
    let r = check_engagement(&edit(
        &comment_out(BASELINE, 17, 17),
        &[
            ("status: active", "status: paused"),
            ("      status: verified", "      status: contradicted"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- not-qualified ---------------------------------------------------------------

#[test]
fn not_qualified_fires_at_the_qualification_key() {
    let r = check_engagement(&comment_out(BASELINE, 18, 18));
    r.assert_code(0);
    r.assert_rules(&["not-qualified"]);
    let d = r.one("not-qualified", E);
    at(d, WARN, E, 9, 1, Some("qualification.decision"));
    says(d, &["qualification decision"]);
}

#[test]
fn not_qualified_without_qualification_is_on_line_one() {
    let r = check_engagement(&comment_out(BASELINE, 9, 19));
    r.assert_code(0);
    r.assert_rules(&["not-qualified"]);
    at(
        r.one("not-qualified", E),
        WARN,
        E,
        1,
        1,
        Some("qualification.decision"),
    );
}

#[test]
fn not_qualified_not_fired_for_a_paused_engagement() {
    let r = check_engagement(&edit(
        &comment_out(BASELINE, 18, 18),
        &[("status: active", "status: paused")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- no-end-date -----------------------------------------------------------------

#[test]
fn no_end_date_fires_on_line_one() {
    let r = check_engagement(&comment_out(BASELINE, 6, 6));
    r.assert_code(0);
    r.assert_rules(&["no-end-date"]);
    let d = r.one("no-end-date", E);
    at(d, WARN, E, 1, 1, Some("end"));
    says(d, &["end date"]);
}

#[test]
fn no_end_date_not_fired_for_a_prospect() {
    let r = check_engagement(&edit(
        &comment_out(BASELINE, 6, 6),
        &[("status: active", "status: prospect")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- review-due ------------------------------------------------------------------

#[test]
fn review_due_fires_on_line_one_the_day_after_the_end() {
    let r = check_engagement(&edit(BASELINE, &[("end: 2026-12-31", "end: 2026-11-15")]));
    r.assert_code(0);
    r.assert_rules(&["review-due", "milestone-after-end"]);
    let d = r.one("review-due", E);
    at(d, WARN, E, 1, 1, Some("review"));
    says(d, &["2026-11-15"]);
}

#[test]
fn review_due_not_fired_on_the_end_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("end: 2026-12-31", "end: 2026-11-16"),
            ("    due: 2026-12-15", "    due: 2026-11-16"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- measurement-out-of-range ----------------------------------------------------

#[test]
fn measurement_out_of_range_fires_before_the_start() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "{ date: 2026-05-01, value: 30 }",
            "{ date: 2026-03-01, value: 30 }",
        )],
    ));
    r.assert_code(0);
    r.assert_rules(&["measurement-out-of-range"]);
    let d = r.one("measurement-out-of-range", E);
    at(
        d,
        WARN,
        E,
        33,
        19,
        Some("success.metrics[0].measurements[0].date"),
    );
    says(d, &["before"]);
    assert!(d.help.contains("`baseline:`"), "{d:?}");
}

#[test]
fn measurement_out_of_range_fires_after_the_as_of_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "{ date: 2026-11-01, value: 12",
            "{ date: 2026-11-20, value: 12",
        )],
    ));
    r.assert_code(0);
    // The latest measurement as of today is now the May one: stale too.
    r.assert_rules(&["metric-stale", "measurement-out-of-range"]);
    let d = r.one("measurement-out-of-range", E);
    at(
        d,
        WARN,
        E,
        34,
        19,
        Some("success.metrics[0].measurements[1].date"),
    );
    says(d, &["after", "2026-11-16"]);
    assert!(!d.help.contains("baseline"), "{d:?}");
}

#[test]
fn measurement_out_of_range_not_fired_on_the_start_or_as_of_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            (
                "{ date: 2026-05-01, value: 30 }",
                "{ date: 2026-03-02, value: 30 }",
            ),
            (
                "{ date: 2026-11-01, value: 12",
                "{ date: 2026-11-16, value: 12",
            ),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

#[test]
fn columns_count_characters_not_bytes() {
    // "Größe €" is 7 characters and 11 bytes, before the date on that line.
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "{ date: 2026-11-01, value: 12, note: After the new approval flow }",
            "{ note: \"Größe €\", date: 2026-11-20, value: 12 }",
        )],
    ));
    let d = r.one("measurement-out-of-range", E);
    at(
        d,
        WARN,
        E,
        34,
        36,
        Some("success.metrics[0].measurements[1].date"),
    );
}

// --- milestone-after-end ---------------------------------------------------------

#[test]
fn milestone_after_end_fires_at_the_due_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    due: 2026-12-15", "    due: 2027-01-15")],
    ));
    r.assert_code(0);
    r.assert_rules(&["milestone-after-end"]);
    let d = r.one("milestone-after-end", E);
    at(d, WARN, E, 44, 10, Some("milestones[1].due"));
    says(d, &["2027-01-15", "2026-12-31"]);
}

#[test]
fn milestone_after_end_not_fired_on_the_end_date() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("    due: 2026-12-15", "    due: 2026-12-31")],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// --- metric-stale ----------------------------------------------------------------

#[test]
fn metric_stale_fires_at_the_metric_id_after_61_days() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "{ date: 2026-11-01, value: 12",
            "{ date: 2026-09-16, value: 12",
        )],
    ));
    r.assert_code(0);
    r.assert_rules(&["metric-stale"]);
    let d = r.one("metric-stale", E);
    at(d, WARN, E, 26, 11, Some("success.metrics[0].id"));
    says(d, &["2026-09-16", "61 days"]);
}

#[test]
fn metric_stale_fires_when_never_measured_30_days_after_start() {
    let r = check_engagement(&comment_out(BASELINE, 32, 34));
    r.assert_code(0);
    r.assert_rules(&["metric-stale"]);
    let d = r.one("metric-stale", E);
    at(d, WARN, E, 26, 11, Some("success.metrics[0].id"));
    says(d, &["no measurement"]);
}

#[test]
fn metric_stale_not_fired_at_60_days_or_for_a_paused_engagement() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "{ date: 2026-11-01, value: 12",
            "{ date: 2026-09-17, value: 12",
        )],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
    let r = check_engagement(&edit(
        BASELINE,
        &[
            (
                "{ date: 2026-11-01, value: 12",
                "{ date: 2026-06-01, value: 12",
            ),
            ("status: active", "status: paused"),
        ],
    ));
    r.assert_code(0);
    r.assert_rules(&[]);
}

// ---------------------------------------------------------------------------
// 2. Rule levels, --deny-warnings, the as-of date
// ---------------------------------------------------------------------------

/// The baseline with its last update 15 days before the as-of date.
fn update_overdue_engagement() -> String {
    edit(
        BASELINE,
        &[("    - date: 2026-11-10", "    - date: 2026-11-01")],
    )
}

#[test]
fn level_off_silences_a_warning() {
    let text = update_overdue_engagement();
    let without = check_engagement(&text);
    without.assert_rules(&["update-overdue"]);
    let dir = repo(&[
        ("commonthread.yaml", "rules:\n  update-overdue: off\n"),
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (E, &text),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(0);
    r.assert_rules(&[]);
}

#[test]
fn level_error_turns_a_warning_into_an_error_and_exit_1() {
    let dir = fixture_copy("witness");
    let r = check_json(dir.path(), &[]);
    r.assert_code(0);
    write(
        dir.path(),
        "commonthread.yaml",
        b"rules:\n  milestone-overdue: error\n  update-overdue: warning\n",
    );
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["milestone-overdue"]);
    at(
        r.one("milestone-overdue", WITNESS_FILE),
        ERR,
        WITNESS_FILE,
        10,
        10,
        Some("milestones[0].due"),
    );
    assert_eq!((r.summary.errors, r.summary.warnings), (1, 0));
}

#[test]
fn naming_an_error_rule_under_rules_is_invalid_value_and_changes_nothing() {
    let dir = repo(&[
        (
            "commonthread.yaml",
            "practice: Northwind\nrules:\n  unknown-field: off\n",
        ),
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (
            E,
            &edit(BASELINE, &[("    result: Three", "    reslt: Three")]),
        ),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    let d = r.one("invalid-value", "commonthread.yaml");
    at(
        d,
        ERR,
        "commonthread.yaml",
        3,
        3,
        Some("rules.unknown-field"),
    );
    says(d, &["unknown-field", "error rule"]);
    // The error rule still fires, as an error.
    at(
        r.one("unknown-field", E),
        ERR,
        E,
        41,
        5,
        Some("milestones[0].reslt"),
    );
}

#[test]
fn naming_an_unknown_rule_under_rules_is_invalid_value_with_a_suggestion() {
    let dir = repo(&[
        ("commonthread.yaml", "rules:\n  update-overdeu: off\n"),
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (E, &update_overdue_engagement()),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["update-overdue", "invalid-value"]);
    let d = r.one("invalid-value", "commonthread.yaml");
    at(
        d,
        ERR,
        "commonthread.yaml",
        2,
        3,
        Some("rules.update-overdeu"),
    );
    says(d, &["update-overdeu"]);
    assert!(d.help.contains("did you mean `update-overdue`?"), "{d:?}");
    // The misspelt name silenced nothing.
    assert_eq!(r.one("update-overdue", E).severity, WARN);
}

#[test]
fn an_unknown_level_word_is_invalid_value_at_the_value() {
    let dir = fixture_copy("witness");
    write(
        dir.path(),
        "commonthread.yaml",
        b"rules:\n  milestone-overdue: loud\n",
    );
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    let d = r.one("invalid-value", "commonthread.yaml");
    at(
        d,
        ERR,
        "commonthread.yaml",
        2,
        22,
        Some("rules.milestone-overdue"),
    );
    says(d, &["loud"]);
    r.assert_witness_checked();
}

#[test]
fn cadence_days_from_commonthread_yaml_is_the_default_cadence() {
    // No cadence in the engagement; last update 15 days ago.
    let text = comment_out(&update_overdue_engagement(), 47, 47);
    let r = check_engagement(&text);
    r.assert_rules(&["update-overdue"]);
    says(r.one("update-overdue", E), &["14 days"]);
    let dir = repo(&[
        ("commonthread.yaml", "cadence_days: 30\n"),
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (E, &text),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(0);
    r.assert_rules(&[]);
}

#[test]
fn deny_warnings_makes_warnings_exit_1() {
    let witness = fixture("witness");
    assert_eq!(check(&witness, &[]).code, 0);
    let r = check_json(&witness, &["--deny-warnings"]);
    r.assert_code(1);
    r.assert_witness_checked();
    // Without warnings there is nothing to deny.
    assert_eq!(check(&fixture("clean"), &["--deny-warnings"]).code, 0);
}

/// 2026-09-30T00:00:00Z and 2026-11-16T00:00:00Z.
const EPOCH_SEPT_30: &str = "1790726400";
const EPOCH_NOV_16: &str = "1794787200";

/// `check --format json` on the witness without `--as-of`.
fn witness_with_epoch(epoch: &str, extra: &[&str]) -> Report {
    Report::parse(run_cmd(
        bin()
            .env("SOURCE_DATE_EPOCH", epoch)
            .arg("check")
            .arg(fixture("witness"))
            .args(["--format", "json"])
            .args(extra),
    ))
}

#[test]
fn source_date_epoch_sets_the_as_of_date() {
    // Milestone A is due 2026-10-01.
    let before = witness_with_epoch(EPOCH_SEPT_30, &[]);
    before.assert_code(0);
    before.assert_rules(&[]);
    let after = witness_with_epoch(EPOCH_NOV_16, &[]);
    after.assert_code(0);
    after.assert_witness_checked();
    // Late in the day is still the same day (UTC).
    let late = witness_with_epoch("1790812799", &[]);
    late.assert_rules(&[]);
}

#[test]
fn as_of_wins_over_source_date_epoch() {
    let r = witness_with_epoch(EPOCH_SEPT_30, &["--as-of", AS_OF]);
    r.assert_witness_checked();
    let r = witness_with_epoch(EPOCH_NOV_16, &["--as-of", "2026-09-30"]);
    r.assert_rules(&[]);
}

#[test]
fn a_source_date_epoch_that_is_not_a_number_exits_2() {
    let run = run_cmd(
        bin()
            .env("SOURCE_DATE_EPOCH", "yesterday")
            .arg("check")
            .arg(fixture("witness")),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("SOURCE_DATE_EPOCH"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // What `$(git log -1 --format=%ct)` gives in a repository with no commit.
    let run = run_cmd(
        bin()
            .env("SOURCE_DATE_EPOCH", "")
            .arg("check")
            .arg(fixture("witness")),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("set but empty"), "{}", run.stderr);
    assert!(run.stderr.contains("--as-of"), "{}", run.stderr);
}

#[test]
fn a_source_date_epoch_outside_the_calendar_exits_2_and_its_edges_work() {
    // `--as-of` takes 0001-01-01 to 9999-12-31: so does the epoch, to the
    // last second of each end, and no further (never a year 0 or -1).
    for epoch in ["-62135596800", "253402214400", "253402300799"] {
        let run = run_cmd(
            bin()
                .env("SOURCE_DATE_EPOCH", epoch)
                .arg("check")
                .arg(fixture("witness")),
        );
        assert!(matches!(run.code, 0 | 1), "{epoch}: {run:?}");
    }
    for epoch in [
        "-62135596801",
        "253402300800",
        "99999999999999",
        "-99999999999999",
        "9223372036854775807",
    ] {
        let run = run_cmd(
            bin()
                .env("SOURCE_DATE_EPOCH", epoch)
                .arg("check")
                .arg(fixture("witness")),
        );
        assert_eq!(run.code, 2, "{epoch}: {run:?}");
        assert!(
            run.stderr.contains("between 0001-01-01 and 9999-12-31"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_impossible_as_of_date_exits_2() {
    for bad in ["2026-02-30", "16/11/2026", "2026-11-16T00:00"] {
        let run = run_cmd(
            bin()
                .arg("check")
                .arg(fixture("witness"))
                .args(["--as-of", bad]),
        );
        assert_eq!(run.code, 2, "--as-of {bad}: {run:?}");
        assert!(run.stderr.contains(bad), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

// ---------------------------------------------------------------------------
// 3. Output formats
// ---------------------------------------------------------------------------

#[test]
fn human_output_is_rustc_like_and_plain_when_not_a_terminal() {
    let run = check(&fixture("witness"), &["--format", "human"]);
    assert_eq!(run.code, 0);
    let out = &run.stdout;
    assert!(
        !out.contains('\u{1b}'),
        "ANSI escapes in piped output:\n{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "warning[milestone-overdue]: milestone A was due 2026-10-01 and is not done"
    );
    assert_eq!(lines[1].trim_start(), "--> acme-logistics/witness.md:10:10");
    let source = lines
        .iter()
        .position(|l| l.starts_with("10 |"))
        .unwrap_or_else(|| panic!("no source line:\n{out}"));
    assert_eq!(lines[source], "10 |     due: 2026-10-01");
    // The caret sits under the value and is as wide as it.
    let caret = lines[source + 1];
    let value_at = lines[source].find("2026-10-01").unwrap();
    assert_eq!(caret.find('^'), Some(value_at), "{out}");
    assert_eq!(caret.matches('^').count(), "2026-10-01".len(), "{out}");
    assert!(
        lines.iter().any(|l| l.trim_start()
            == "= help: record `done:` or agree a new `due:` date with the client"),
        "{out}"
    );
    assert_eq!(
        lines.last().copied(),
        Some("checked 2 files (1 client, 1 engagement): 0 errors, 1 warning")
    );
}

#[test]
fn human_output_names_errors_and_file_level_problems() {
    let run = check(&fixture("multi-client"), &["--format", "human"]);
    assert_eq!(run.code, 1);
    let out = &run.stdout;
    assert!(
        out.contains("error[invalid-value]: `actve` is not a valid status\n"),
        "{out}"
    );
    assert!(out.contains("--> globex/pricing-review.md:3:9\n"), "{out}");
    assert!(out.contains("3 | status: actve\n"), "{out}");
    assert!(
        out.contains("error[no-client]: `drafts/idea.md` is under no client folder\n"),
        "{out}"
    );
    assert!(out.contains("--> drafts/idea.md:1:1\n"), "{out}");
    assert!(
        out.ends_with("checked 5 files (2 clients, 3 engagements): 2 errors, 1 warning\n"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "{out}");
}

/// Runs `check` on a pseudo-terminal (util-linux `script`), so that colour
/// would be on; `None` when `script` cannot be used here.
fn check_on_a_terminal(dir: &Path, env: &[(&str, &str)]) -> Option<String> {
    let usable = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        return None;
    }
    let exe = assert_cmd::cargo::cargo_bin("commonthread");
    let command = format!(
        "'{}' check '{}' --as-of {AS_OF}",
        exe.display(),
        dir.display()
    );
    let mut script = assert_cmd::Command::new("script");
    script
        .env_remove("NO_COLOR")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("TERM", "xterm")
        .timeout(Duration::from_secs(20))
        .args(["-qec", &command, "/dev/null"]);
    for (name, value) in env {
        script.env(name, value);
    }
    let output = script.output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    let witness = fixture("witness");
    let Some(coloured) = check_on_a_terminal(&witness, &[]) else {
        eprintln!("skipped: util-linux `script` is not available to make a terminal");
        return;
    };
    if !coloured.contains("milestone-overdue") {
        eprintln!("skipped: `script` could not run the check on a pseudo-terminal here");
        return;
    }
    // The control: on a terminal, colour is on.
    assert!(
        coloured.contains("\u{1b}["),
        "no colour on a terminal:\n{coloured}"
    );
    let plain = check_on_a_terminal(&witness, &[("NO_COLOR", "1")]).expect("script worked once");
    assert!(
        !plain.contains('\u{1b}'),
        "colour despite NO_COLOR:\n{plain}"
    );
    // A terminal that says it shows no colour gets none either.
    let dumb = check_on_a_terminal(&witness, &[("TERM", "dumb")]).expect("script worked once");
    assert!(!dumb.contains('\u{1b}'), "colour on TERM=dumb:\n{dumb}");
    assert!(dumb.contains("warning[milestone-overdue]"), "{dumb}");
    assert!(
        plain.contains("warning[milestone-overdue]: milestone A was due 2026-10-01"),
        "{plain}"
    );
}

#[test]
fn diagnostics_that_cannot_be_written_are_exit_2_not_a_clean_run() {
    // A full disk: the findings are lost, so the run cannot pass.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full here");
        return;
    };
    for format in ["human", "json", "github"] {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("commonthread"))
            .arg("check")
            .arg(fixture("witness"))
            .args(["--as-of", AS_OF, "--format", format])
            .env_remove("SOURCE_DATE_EPOCH")
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
    }
}

#[test]
fn json_output_has_the_exact_contract_shape() {
    let run = check(&fixture("multi-client"), &["--format", "json"]);
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    let expected = serde_json::json!({
        "diagnostics": [
            {
                "rule": "milestone-overdue", "severity": "warning",
                "file": "acme-logistics/witness.md", "line": 10, "column": 10,
                "path": "milestones[0].due",
                "message": "milestone A was due 2026-10-01 and is not done",
                "help": "record `done:` or agree a new `due:` date with the client"
            },
            {
                "rule": "no-client", "severity": "error",
                "file": "drafts/idea.md", "line": 1, "column": 1,
                "path": null,
                "message": "`drafts/idea.md` is under no client folder",
                "help": "move it into a client folder (one that holds `client.yaml`), or add a `client.yaml` beside it"
            },
            {
                "rule": "invalid-value", "severity": "error",
                "file": "globex/pricing-review.md", "line": 3, "column": 9,
                "path": "status",
                "message": "`actve` is not a valid status",
                "help": "did you mean `active`? status is one of: prospect, active, paused, completed, ended, declined"
            }
        ],
        "summary": { "files": 5, "clients": 2, "engagements": 3, "errors": 2, "warnings": 1 }
    });
    assert_eq!(value, expected, "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn json_output_of_a_clean_repository() {
    let run = check(&fixture("clean"), &["--format", "json"]);
    assert_eq!(run.code, 0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(
        value,
        serde_json::json!({
            "diagnostics": [],
            "summary": { "files": 2, "clients": 1, "engagements": 1, "errors": 0, "warnings": 0 }
        })
    );
}

#[test]
fn github_output_is_one_annotation_per_diagnostic() {
    let run = check(&fixture("multi-client"), &["--format", "github"]);
    assert_eq!(run.code, 1);
    // INTERFACE.md: `::error file=F,line=L,col=C,title=RULE::MESSAGE` (or
    // `::warning`), one line per diagnostic and nothing else.
    assert_eq!(
        run.stdout,
        "::warning file=acme-logistics/witness.md,line=10,col=10,title=milestone-overdue::milestone A was due 2026-10-01 and is not done\n\
         ::error file=drafts/idea.md,line=1,col=1,title=no-client::`drafts/idea.md` is under no client folder\n\
         ::error file=globex/pricing-review.md,line=3,col=9,title=invalid-value::`actve` is not a valid status\n",
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn github_output_escapes_commas_and_colons_in_file_names() {
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        ("acme-logistics/a,b:c.md", BASELINE),
    ]);
    let run = check(dir.path(), &["--format", "github"]);
    assert_eq!(run.code, 1);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "::error file=acme-logistics/a%2Cb%3Ac.md,line=1,col=1,title=invalid-slug::"
        ),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------
// 4. Exit codes and --client
// ---------------------------------------------------------------------------

#[test]
fn exit_0_for_a_clean_repository_and_for_warnings_only() {
    assert_eq!(check(&fixture("clean"), &[]).code, 0);
    let r = check_json(&fixture("witness"), &[]);
    r.assert_code(0);
    assert_eq!((r.summary.errors, r.summary.warnings), (0, 1));
}

#[test]
fn exit_1_when_there_are_errors() {
    let r = check_json(&fixture("multi-client"), &[]);
    r.assert_code(1);
    assert_eq!(r.summary.errors, 2);
}

#[test]
fn exit_2_for_a_folder_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-records");
    let run = check(&missing, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("no-such-records"), "{}", run.stderr);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn exit_2_for_a_dir_that_is_a_file() {
    let dir = repo(&[("records.md", BASELINE)]);
    let run = check(&dir.path().join("records.md"), &["--format", "json"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not a folder"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn exit_2_for_an_unknown_client() {
    let run = check(&fixture("multi-client"), &["--client", "globx"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("no client `globx`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `globex`?"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let run = check(
        &fixture("multi-client"),
        &["--client", "acme-logistics", "--client", "x"],
    );
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn client_restricts_the_run_to_those_clients() {
    let repo = fixture("multi-client");
    let acme = check_json(&repo, &["--client", "acme-logistics"]);
    acme.assert_code(0);
    acme.assert_rules(&["milestone-overdue"]);
    acme.assert_witness_checked();
    assert_eq!(
        acme.summary,
        Summary {
            files: 2,
            clients: 1,
            engagements: 1,
            errors: 0,
            warnings: 1
        }
    );
    let globex = check_json(&repo, &["--client", "globex"]);
    globex.assert_code(1);
    globex.assert_rules(&["invalid-value"]);
    assert_eq!(
        globex.one("invalid-value", "globex/pricing-review.md").line,
        3
    );
    // Both clients: everything but the file under no client.
    let both = check_json(&repo, &["--client", "globex", "--client", "acme-logistics"]);
    both.assert_rules(&["milestone-overdue", "invalid-value"]);
}

#[test]
fn dir_defaults_to_the_current_folder() {
    let run = run_cmd(
        bin()
            .current_dir(fixture("witness"))
            .args(["check", "--as-of", AS_OF, "--format", "json"]),
    );
    let r = Report::parse(run);
    r.assert_code(0);
    r.assert_witness_checked();
}

// ---------------------------------------------------------------------------
// 5. Bad input: each beside the witness, which must still be checked
// ---------------------------------------------------------------------------

/// Checks a repository as JSON, and as human text to show no format panics
/// on it; both must agree on the exit code.
fn check_both(dir: &Path) -> Report {
    let r = check_json(dir, &[]);
    let human = check(dir, &["--format", "human"]);
    assert_eq!(
        human.code, r.code,
        "human and JSON disagree:\n{}",
        human.stdout
    );
    assert!(human.stdout.ends_with(" warning\n") || human.stdout.ends_with(" warnings\n"));
    r
}

#[test]
fn bad_input_invalid_utf8() {
    let dir = fixture_copy("witness");
    write(
        dir.path(),
        "acme-logistics/latin1.md",
        b"---\ntitle: Pricing review\nowner: Ren\xE9e Dubois\nstatus: prospect\n---\n",
    );
    let r = check_both(dir.path());
    r.assert_code(1);
    let d = r.one("unreadable-file", "acme-logistics/latin1.md");
    at(d, ERR, "acme-logistics/latin1.md", 3, 11, None);
    says(d, &["not UTF-8"]);
    assert!(d.help.contains("UTF-8"), "{d:?}");
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_empty_file() {
    let r = check_both(&fixture("empty-file"));
    r.assert_code(1);
    let f = "acme-logistics/empty.md";
    let d = r.one("front-matter-missing", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["is empty"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_unclosed_front_matter() {
    let r = check_both(&fixture("unclosed-front-matter"));
    r.assert_code(1);
    let f = "acme-logistics/unclosed.md";
    let d = r.one("front-matter-missing", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["never closed"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn a_fence_that_is_almost_one_is_pointed_at() {
    // Closed with YAML's `...`, and opened with a comment after `---`.
    let closed_with_dots = BASELINE.replacen("---\nFree Markdown", "...\nFree Markdown", 1);
    let r = check_engagement(&closed_with_dots);
    r.assert_code(1);
    r.assert_rules(&["front-matter-missing"]);
    at(&r.diags[0], ERR, E, 67, 1, None);
    says(&r.diags[0], &["never closed", "if it were `---` alone"]);
    let opened_with_a_comment = BASELINE.replacen("---\n", "--- # Acme\n", 1);
    let r = check_engagement(&opened_with_a_comment);
    r.assert_rules(&["front-matter-missing"]);
    at(&r.diags[0], ERR, E, 1, 1, None);
    says(&r.diags[0], &["first line must be `---` alone"]);
}

#[test]
fn bad_input_file_without_front_matter() {
    let r = check_both(&fixture("no-front-matter"));
    r.assert_code(1);
    let f = "acme-logistics/notes-only.md";
    let d = r.one("front-matter-missing", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["does not start with a `---` line"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_alias_bomb_is_refused_quickly() {
    let started = Instant::now();
    let r = check_both(&fixture("alias-bomb"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    r.assert_code(1);
    let f = "acme-logistics/bomb.md";
    let d = r.one("yaml-syntax", f);
    // lol4's first alias is the one that takes the copies past the limit.
    at(d, ERR, f, 9, 12, None);
    says(d, &["alias"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

/// Writes `text` as the front matter of `acme-logistics/deep.md` beside the
/// witness and checks it.
fn check_deep(front_matter: &str) -> Report {
    let dir = fixture_copy("witness");
    let text = format!("---\n{front_matter}\n---\n");
    write(dir.path(), "acme-logistics/deep.md", text.as_bytes());
    let r = check_both(dir.path());
    r.assert_code(1);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
    r
}

#[test]
fn bad_input_20000_nested_flow_sequences() {
    let r = check_deep(&format!(
        "title: {}{}",
        "[".repeat(20_000),
        "]".repeat(20_000)
    ));
    let d = r.one("yaml-syntax", "acme-logistics/deep.md");
    assert_eq!((d.line, d.path.as_deref()), (2, None), "{d:?}");
    says(d, &["nested"]);
}

#[test]
fn bad_input_20000_nested_flow_mappings() {
    let r = check_deep(&format!(
        "title: {}x{}",
        "{a: ".repeat(20_000),
        "}".repeat(20_000)
    ));
    let d = r.one("yaml-syntax", "acme-logistics/deep.md");
    assert_eq!((d.line, d.path.as_deref()), (2, None), "{d:?}");
    says(d, &["nested"]);
}

#[test]
fn bad_input_20000_nested_block_sequences() {
    // `- - - x` nests block sequences on one line.
    let r = check_deep(&format!("title:\n{}x", "- ".repeat(20_000)));
    let d = r.one("yaml-syntax", "acme-logistics/deep.md");
    assert_eq!((d.line, d.path.as_deref()), (3, None), "{d:?}");
    says(d, &["nested"]);
}

#[test]
fn bad_input_deeply_nested_block_mappings() {
    // Each level of a block mapping needs one more space of indentation, so
    // 20,000 levels would take 200 MB, past the size limit; 5,000 levels
    // (12.5 MB) is the deepest that fits under 16 MiB.
    let mut yaml = String::new();
    for depth in 0..5_000 {
        yaml.push_str(&" ".repeat(depth));
        yaml.push_str("k:\n");
    }
    yaml.push_str(&" ".repeat(5_000));
    yaml.push('x');
    let r = check_deep(&yaml);
    let d = r.one("yaml-syntax", "acme-logistics/deep.md");
    assert_eq!(d.path, None, "{d:?}");
    assert!((2..=100).contains(&d.line), "{d:?}");
    says(d, &["nested"]);
}

#[test]
fn bad_input_30_mb_file_is_refused_quickly() {
    let dir = fixture_copy("witness");
    let mut text = String::from("---\ntitle: Huge\nstatus: prospect\nowner: D\n---\n");
    let filler = "All work and no play makes a very large engagement file.\n";
    while text.len() < 30 * 1024 * 1024 {
        text.push_str(filler);
    }
    write(dir.path(), "acme-logistics/huge.md", text.as_bytes());
    let started = Instant::now();
    let r = check_both(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    r.assert_code(1);
    let f = "acme-logistics/huge.md";
    let d = r.one("unreadable-file", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["30 MiB", "16 MiB"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_folder_named_like_an_engagement() {
    let dir = fixture_copy("witness");
    std::fs::create_dir_all(dir.path().join("acme-logistics/x.md")).unwrap();
    let r = check_both(dir.path());
    r.assert_code(1);
    let f = "acme-logistics/x.md";
    let d = r.one("unreadable-file", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["is a folder"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

/// Whether `setpriv` can run a command as nobody (65534).
fn can_drop_privileges() -> bool {
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `check DIR --as-of 2026-11-16 ARGS...` run as nobody (65534).
fn check_as_nobody(dir: &Path, args: &[&str]) -> Run {
    let exe = assert_cmd::cargo::cargo_bin("commonthread");
    run_cmd(
        assert_cmd::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(exe)
            .arg("check")
            .arg(dir)
            .args(["--as-of", AS_OF])
            .args(args)
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("NO_COLOR")
            .timeout(Duration::from_secs(20)),
    )
}

/// Makes every folder and file under `root` readable by everyone.
fn open_to_all(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if root.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(mode)).unwrap();
    if root.is_dir() {
        for entry in std::fs::read_dir(root).unwrap() {
            open_to_all(&entry.unwrap().path());
        }
    }
}

/// Runs `check --format json` on `dir` as a user the permissions apply to:
/// this user when chmod 000 keeps it out of `probe`, else nobody (65534)
/// through `setpriv`; `None` (with the reason printed) when neither works.
fn check_without_privileges(dir: &Path, probe: &Path) -> Option<Report> {
    if std::fs::File::open(probe).is_err() {
        return Some(check_json(dir, &[]));
    }
    if !can_drop_privileges() {
        eprintln!(
            "skipped: running as a user that chmod 000 does not stop (root?), and `setpriv` is not available to drop privileges"
        );
        return None;
    }
    let run = check_as_nobody(dir, &["--format", "json"]);
    Some(Report::parse(run))
}

#[test]
fn bad_input_unreadable_file_and_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fixture_copy("witness");
    write(dir.path(), "acme-logistics/secret.md", WITNESS.as_bytes());
    write(
        dir.path(),
        "acme-logistics/locked/inside.md",
        WITNESS.as_bytes(),
    );
    open_to_all(dir.path());
    let secret = dir.path().join("acme-logistics/secret.md");
    let locked = dir.path().join("acme-logistics/locked");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let result = check_without_privileges(dir.path(), &secret);
    // Put the permissions back so the temporary folder can be removed.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let Some(r) = result else {
        return;
    };
    r.assert_code(1);
    let f = "acme-logistics/secret.md";
    let d = r.one("unreadable-file", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["cannot read", "permission denied"]);
    let f = "acme-logistics/locked";
    let d = r.one("unreadable-file", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["permission denied"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 3, "{}", r.listing());
}

#[test]
fn bad_input_duplicate_keys() {
    let r = check_both(&fixture("duplicate-keys"));
    r.assert_code(1);
    let f = "acme-logistics/twice.md";
    let found: Vec<&Diag> = r.diags.iter().filter(|d| d.file == f).collect();
    assert_eq!(found.len(), 2, "{}", r.listing());
    assert_eq!(found[0].rule, "yaml-syntax");
    at(found[0], ERR, f, 7, 3, Some("qualification.decision"));
    says(found[0], &["`decision`", "twice"]);
    assert_eq!(found[1].rule, "yaml-syntax");
    at(found[1], ERR, f, 8, 1, Some("title"));
    says(found[1], &["`title`", "twice"]);
    r.assert_witness_checked();
}

fn check_untitled(fixture_name: &str) {
    let r = check_both(&fixture(fixture_name));
    r.assert_code(1);
    let f = "acme-logistics/untitled.md";
    let d = r.one("missing-field", f);
    at(d, ERR, f, 2, 1, Some("title"));
    says(d, &["`title`"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_title_without_value() {
    check_untitled("title-no-value");
}

#[test]
fn bad_input_title_null() {
    check_untitled("title-null");
}

#[test]
fn bad_input_title_empty_string() {
    check_untitled("title-empty-string");
}

#[test]
fn bad_input_status_yes_is_a_string_not_a_status() {
    let r = check_both(&fixture("status-yes"));
    r.assert_code(1);
    let f = "acme-logistics/yes.md";
    let d = r.one("invalid-value", f);
    at(d, ERR, f, 3, 9, Some("status"));
    says(d, &["`yes`", "status"]);
    assert!(
        d.help
            .contains("prospect, active, paused, completed, ended, declined"),
        "{d:?}"
    );
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_impossible_date() {
    let r = check_both(&fixture("impossible-date"));
    r.assert_code(1);
    let f = "acme-logistics/leap.md";
    let d = r.one("invalid-value", f);
    at(d, ERR, f, 10, 10, Some("milestones[0].due"));
    says(d, &["2026-02-30", "not a real date"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_tab_indentation() {
    let r = check_both(&fixture("tab-indent"));
    r.assert_code(1);
    let f = "acme-logistics/tabs.md";
    let d = r.one("yaml-syntax", f);
    // Line 6 starts with a tab: the error points at it, and says to indent
    // with spaces.
    assert_eq!(
        (d.severity.as_str(), d.line, d.column, d.path.as_deref()),
        (ERR, 6, 1, None),
        "{d:?}"
    );
    says(d, &["tab"]);
    assert!(d.help.contains("indent with spaces"), "{d:?}");
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn a_missing_space_after_a_colon_is_pointed_at() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("owner: Dana Whitfield", "owner:Dana Whitfield")],
    ));
    r.assert_code(1);
    r.assert_rules(&["yaml-syntax"]);
    // YAML stumbles on line 5; the slip is on line 4, at the colon.
    at(&r.diags[0], ERR, E, 4, 6, None);
    says(&r.diags[0], &["`owner:`", "no space after its colon"]);
    assert!(r.diags[0].help.contains("`owner: ...`"), "{:?}", r.diags[0]);
}

#[test]
fn an_unclosed_flow_list_is_pointed_at() {
    let r = check_engagement(&edit(
        BASELINE,
        &[("tags: [sales, process]", "tags: [sales, process")],
    ));
    r.assert_code(1);
    r.assert_rules(&["yaml-syntax"]);
    at(&r.diags[0], ERR, E, 8, 7, None);
    says(&r.diags[0], &["`[`", "never closed"]);
    assert!(r.diags[0].help.contains("`]`"), "{:?}", r.diags[0]);
}

#[test]
fn a_folder_with_no_records_passes_with_a_note_that_it_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes/todo.txt", b"not a record");
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("note: no records in"), "{}", run.stderr);
    assert!(run.stdout.contains("checked 0 files"), "{}", run.stdout);
    let quiet = check(dir.path(), &["-q"]);
    assert_eq!(quiet.code, 0);
    assert!(!quiet.stderr.contains("note:"), "{}", quiet.stderr);
}

#[test]
fn a_broken_list_item_leaves_the_rest_of_the_record_checked() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            // Milestone A loses its due date: it is reported and left out.
            ("    due: 2026-04-01\n", ""),
            // Found by the rules on the rest of the record, in the same run.
            ("      weight: 2", "      weight: 0"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value", "missing-field"]);
    at(
        &r.diags[0],
        ERR,
        E,
        31,
        15,
        Some("success.metrics[0].weight"),
    );
    says(&r.diags[0], &["weight 0"]);
    at(&r.diags[1], ERR, E, 36, 5, Some("milestones[0].due"));
    // Not said, though the record without milestone A would make the
    // rules say it: the update naming A names an unknown milestone.
    r.none_of("unknown-reference");
}

#[test]
fn every_wrong_value_in_the_metrics_is_reported_in_one_run() {
    // A beginner's first metrics: each line below is its own mistake, and
    // the first two sit in one metric, the last two in another.
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    - id: days-to-close\n", "    - id: Days To Close\n"),
            ("      baseline: 45", "      baseline: 45 days"),
            (
                "      measurements:\n        - { date: 2026-05-01, value: 30 }",
                "      measurements:\n        - { date: 2026-05-01, value: 30 }\n    - id: win-rate\n      name: Win rate\n      baseline: 20\n      target: 30\n      weight: 0\n      measurements:\n        - { date: 2026-09-31, value: 25 }",
            ),
        ],
    ));
    r.assert_code(1);
    let found: Vec<(&str, u64, &str)> = r
        .diags
        .iter()
        .filter(|d| d.severity == "error")
        .map(|d| {
            (
                d.rule.as_str(),
                d.line,
                d.path.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("invalid-value", 26, "success.metrics[0].id"),
            ("invalid-value", 29, "success.metrics[0].baseline"),
            ("invalid-value", 38, "success.metrics[1].weight"),
            (
                "invalid-value",
                40,
                "success.metrics[1].measurements[0].date"
            ),
        ],
        "{}",
        r.listing()
    );
    says(&r.diags[0], &["`Days To Close` is not a slug"]);
    // The win names `days-to-close`, the id the writer meant: the metric
    // is left out, and nothing is said of the reference to it.
    r.none_of("unknown-reference");
}

#[test]
fn a_section_with_a_required_field_wrong_is_left_out_and_the_rest_checked() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            // `value` without its amount, and a win naming no metric.
            (
                "value: { amount: 48000, currency: USD }",
                "value: { currency: USD }",
            ),
            ("    metric: days-to-close", "    metric: days-to-clos"),
            ("      weight: 2", "      weight: 0"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["missing-field", "invalid-value", "unknown-reference"]);
    at(&r.diags[0], ERR, E, 7, 1, Some("value.amount"));
    at(
        &r.diags[1],
        ERR,
        E,
        31,
        15,
        Some("success.metrics[0].weight"),
    );
    at(&r.diags[2], ERR, E, 58, 13, Some("wins[0].metric"));
}

#[test]
fn a_broken_review_is_left_out_without_a_review_missing_error() {
    let completed = edit(
        BASELINE,
        &[
            ("status: active", "status: completed"),
            (
                "internal_notes:",
                "review:\n  date: 2026-11-01\n  decision: perhaps\n  refund: some\ninternal_notes:",
            ),
            ("    outcome: Deals are approved in one step.\n", ""),
        ],
    );
    let r = check_engagement(&completed);
    r.assert_code(1);
    // Both wrong values, and the milestone's missing outcome, in one run;
    // no `review-missing`, though the record is read without the review.
    r.assert_rules(&[
        "milestone-without-outcome",
        "invalid-value",
        "invalid-value",
    ]);
    at(&r.diags[1], ERR, E, 67, 13, Some("review.decision"));
    at(&r.diags[2], ERR, E, 68, 11, Some("review.refund"));
    r.none_of("review-missing");
}

#[test]
fn a_list_of_the_wrong_type_is_left_out_and_the_rest_checked() {
    let milestones = BASELINE.find("milestones:\n").unwrap();
    let updates = BASELINE.find("updates:\n").unwrap();
    let as_mapping = format!(
        "{}milestones:\n  A: {{ title: Map, due: 2026-04-01 }}\n{}",
        &BASELINE[..milestones],
        &BASELINE[updates..]
    );
    let r = check_engagement(&edit(
        &as_mapping,
        &[("    metric: days-to-close", "    metric: days-to-clos")],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value", "unknown-reference"]);
    at(&r.diags[0], ERR, E, 36, 3, Some("milestones"));
    says(&r.diags[0], &["expected a list"]);
    // The update naming milestone A is not said to name an unknown one.
    at(&r.diags[1], ERR, E, 49, 13, Some("wins[0].metric"));
}

#[test]
fn a_wrong_done_date_does_not_make_its_milestone_overdue() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    done: 2026-03-28", "    done: 2026-03-32"),
            ("  cadence_days: 14", "  cadence_days: fortnightly"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value", "invalid-value"]);
    at(&r.diags[0], ERR, E, 39, 11, Some("milestones[0].done"));
    at(&r.diags[1], ERR, E, 47, 17, Some("updates.cadence_days"));
    // Milestone A is due 2026-04-01 and its `done` was left out; the
    // log's latest entry is six days old, within any promised cadence.
    r.none_of("milestone-overdue");
    r.none_of("update-overdue");
}

#[test]
fn an_item_beside_one_left_out_is_still_checked_at_its_own_index() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            // Milestone A (item 0) is left out; B (item 1) has no outcome
            // and is due before the as-of date.
            ("    due: 2026-04-01\n", ""),
            ("    due: 2026-12-15", "    due: 2026-11-01"),
            ("    outcome: Deals are approved in one step.\n", ""),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&[
        "missing-field",
        "milestone-without-outcome",
        "milestone-overdue",
    ]);
    at(&r.diags[0], ERR, E, 36, 5, Some("milestones[0].due"));
    // The rules saw B as the first milestone left; the paths name it as
    // the file does.
    at(&r.diags[1], WARN, E, 41, 5, Some("milestones[1].outcome"));
    at(&r.diags[2], WARN, E, 43, 10, Some("milestones[1].due"));
    says(&r.diags[2], &["milestone B"]);
}

#[test]
fn the_rules_say_nothing_of_a_list_that_lost_items() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("    - date: 2026-03-15", "    - date: 2026-03-32"),
            ("    - date: 2026-11-10", "    - date: 2026-11-31"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value", "invalid-value"]);
    at(&r.diags[0], ERR, E, 49, 13, Some("updates.log[0].date"));
    at(&r.diags[1], ERR, E, 53, 13, Some("updates.log[1].date"));
    // With both entries left out no update is left, yet "no update since
    // the start" would be untrue.
    r.none_of("update-overdue");
}

#[test]
fn a_misspelt_status_leaves_the_findings_that_hold_whatever_the_status() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("status: active", "status: actve"),
            ("      weight: 2", "      weight: 0"),
            // An active engagement must record its qualification decision,
            // a completed one need not: with the status unknown, unsaid.
            ("  decision: reframe\n", ""),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value", "invalid-value"]);
    at(&r.diags[0], ERR, E, 3, 9, Some("status"));
    says(&r.diags[0], &["actve"]);
    // A line up: the decision's line is gone.
    at(
        &r.diags[1],
        ERR,
        E,
        30,
        15,
        Some("success.metrics[0].weight"),
    );
    r.none_of("not-qualified");
}

#[test]
fn a_missing_title_or_owner_leaves_the_rest_of_the_record_checked() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("title: Sales cycle redesign\n", ""),
            ("owner: Dana Whitfield", "owner:"),
            ("      weight: 2", "      weight: 0"),
        ],
    ));
    r.assert_code(1);
    r.assert_rules(&["missing-field", "missing-field", "invalid-value"]);
    at(&r.diags[0], ERR, E, 1, 1, Some("title"));
    at(&r.diags[1], ERR, E, 3, 1, Some("owner"));
    at(
        &r.diags[2],
        ERR,
        E,
        30,
        15,
        Some("success.metrics[0].weight"),
    );
}

#[test]
fn a_metric_that_lost_a_measurement_is_not_called_stale() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "{ date: 2026-11-01, value: 12",
            "{ date: 2026-11-31, value: 12",
        )],
    ));
    r.assert_code(1);
    r.assert_rules(&["invalid-value"]);
    at(
        &r.diags[0],
        ERR,
        E,
        34,
        19,
        Some("success.metrics[0].measurements[1].date"),
    );
}

#[test]
fn a_number_written_wrong_gets_help_that_fits_its_field() {
    let r = check_engagement(&edit(
        BASELINE,
        &[
            ("amount: 48000", "amount: lots"),
            ("cadence_days: 14", "cadence_days: 2.5"),
            (
                "{ date: 2026-05-01, value: 30 }",
                "{ date: 2026-05-01, value: 30 days }",
            ),
        ],
    ));
    let help_at = |path: &str| {
        r.diags
            .iter()
            .find(|d| d.path.as_deref() == Some(path))
            .unwrap_or_else(|| panic!("nothing at {path}: {}", r.listing()))
            .help
            .clone()
    };
    let amount = help_at("value.amount");
    assert!(
        amount.contains("number alone") && !amount.contains("unit:"),
        "{amount}"
    );
    assert!(help_at("updates.cadence_days").contains("whole number"));
    assert!(help_at("success.metrics[0].measurements[0].value").contains("`unit:`"));
}

#[test]
fn a_tab_after_the_line_the_parser_stopped_on_is_pointed_at() {
    let r = check_engagement(&edit(
        BASELINE,
        &[(
            "    title: Map the current sales cycle",
            "\ttitle: Map the current sales cycle",
        )],
    ));
    r.assert_code(1);
    let d = r
        .diags
        .iter()
        .find(|d| d.rule == "yaml-syntax")
        .unwrap_or_else(|| panic!("{}", r.listing()));
    assert_eq!(
        line(BASELINE, d.line as usize),
        "    title: Map the current sales cycle"
    );
    assert_eq!(d.column, 1, "{d:?}");
    assert!(d.help.contains("indent with spaces"), "{d:?}");
}

#[test]
fn bad_input_fifo_does_not_hang() {
    let dir = fixture_copy("witness");
    for name in ["acme-logistics/x.md", "commonthread.yaml"] {
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join(name))
            .status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: `mkfifo` is not available");
            return;
        }
    }
    let started = Instant::now();
    let r = check_both(dir.path());
    assert!(started.elapsed() < Duration::from_secs(20));
    r.assert_code(1);
    let f = "acme-logistics/x.md";
    let d = r.one("unreadable-file", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["not a regular file"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_crlf_and_bom_are_accepted() {
    let dir = fixture_copy("witness");
    let crlf = |text: &str| format!("\u{feff}{}", text.replace('\n', "\r\n"));
    write(
        dir.path(),
        "acme-logistics/client.yaml",
        crlf(CLIENT_YAML).as_bytes(),
    );
    write(dir.path(), E, crlf(BASELINE).as_bytes());
    write(dir.path(), WITNESS_FILE, crlf(WITNESS).as_bytes());
    write(
        dir.path(),
        "commonthread.yaml",
        crlf("practice: Northwind\ncadence_days: 14\n").as_bytes(),
    );
    let r = check_both(dir.path());
    r.assert_code(0);
    // Positions are the same as without CR and BOM.
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 1, "{}", r.listing());
    let human = check(dir.path(), &["--format", "human"]);
    assert!(
        human.stdout.contains("10 |     due: 2026-10-01\n"),
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains('\r'), "{:?}", human.stdout);
}

#[test]
fn bad_input_rules_in_the_markdown_body_are_accepted() {
    let r = check_both(&fixture("body-rule"));
    r.assert_code(0);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 1, "{}", r.listing());
    assert_eq!(r.summary.engagements, 2);
}

#[test]
fn bad_input_symlinks_are_not_followed() {
    let dir = fixture_copy("witness");
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "broken.md", b"---\ntitle: [never closed\n");
    write(
        outside.path(),
        "folder/broken.md",
        b"---\ntitle: [never closed\n",
    );
    std::os::unix::fs::symlink(
        outside.path().join("broken.md"),
        dir.path().join("acme-logistics/linked.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("folder"),
        dir.path().join("acme-logistics/linked-folder"),
    )
    .unwrap();
    let r = check_both(dir.path());
    r.assert_code(0);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 1, "{}", r.listing());
    assert_eq!(r.summary.engagements, 1);
}

#[test]
fn links_and_folders_named_as_records_are_said_to_be_left_unread() {
    let dir = fixture_copy("witness");
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "client.yaml", b"name: Globex\n");
    write(outside.path(), "commonthread.yaml", b"rules: {}\n");
    write(outside.path(), "deal.md", b"---\ntitle: T\n---\n");
    std::fs::create_dir_all(dir.path().join("globex")).unwrap();
    let link = |from: &str, to: &str| {
        std::os::unix::fs::symlink(outside.path().join(from), dir.path().join(to)).unwrap()
    };
    link("client.yaml", "globex/client.yaml");
    link("commonthread.yaml", "commonthread.yaml");
    link("deal.md", "acme-logistics/deal.md");
    write(dir.path(), "globex/plan.md", b"---\ntitle: T\n---\n");
    let run = check(dir.path(), &[]);
    for file in [
        "globex/client.yaml",
        "commonthread.yaml",
        "acme-logistics/deal.md",
    ] {
        assert!(
            run.stderr.contains(&format!(
                "note: `{file}` is a symbolic link and was not read"
            )),
            "{file}: {}",
            run.stderr
        );
    }
    // The engagement beside the linked client file is under no client
    // folder, and the help says why rather than "add a client.yaml".
    let r = check_json(dir.path(), &[]);
    let d = r
        .diags
        .iter()
        .find(|d| d.rule == "no-client")
        .unwrap_or_else(|| panic!("{}", r.listing()));
    assert_eq!(d.file, "globex/plan.md");
    assert!(
        d.help.contains("`globex/client.yaml` is a symbolic link"),
        "{d:?}"
    );
    // Quiet means quiet.
    let quiet = check(dir.path(), &["-q"]);
    assert_eq!(quiet.code, 1, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("note:"), "{}", quiet.stderr);
}

#[test]
fn an_engagement_saved_as_md_in_capitals_or_markdown_is_said_to_be_left_unread() {
    let dir = fixture_copy("witness");
    let engagement = std::fs::read_dir(dir.path().join("acme-logistics"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let text = std::fs::read(&engagement).unwrap();
    write(dir.path(), "acme-logistics/renewal.MD", &text);
    write(dir.path(), "acme-logistics/pilot.markdown", &text);
    // Outside a client folder such a file is documentation: nothing said.
    write(dir.path(), "CHANGES.markdown", b"# Changes\n");
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (file, name) in [
        ("acme-logistics/renewal.MD", "renewal.md"),
        ("acme-logistics/pilot.markdown", "pilot.md"),
    ] {
        assert!(
            run.stderr.contains(&format!(
                "note: `{file}` was not read: an engagement file's name ends in `.md`; rename it `{name}` if it is one"
            )),
            "{file}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("CHANGES"), "{}", run.stderr);
}

#[test]
fn field_in_notes_fires_at_internal_fields_and_a_pasted_front_matter_in_the_notes() {
    // The notes of the clean engagement, with internal notes written below
    // the closing `---` by mistake.
    let leaked = BASELINE.replace(
        "\n---\n",
        "\n---\ninternal_notes: The board chair is pushing this.\n",
    );
    assert_ne!(leaked, BASELINE);
    let r = check_engagement(&leaked);
    r.assert_code(0);
    r.assert_rules(&["field-in-notes"]);
    let line = 1 + BASELINE.split("\n---\n").next().unwrap().lines().count() as u64 + 1;
    at(&r.diags[0], WARN, E, line, 1, None);
    says(&r.diags[0], &["`internal_notes:`", "client's report"]);
    // The whole file pasted twice: one finding, at the second `---`.
    let twice = format!("{BASELINE}{BASELINE}");
    let r = check_engagement(&twice);
    r.assert_rules(&["field-in-notes"]);
    assert_eq!(r.diags.len(), 1, "{}", r.listing());
    says(&r.diags[0], &["a second front matter"]);
    // Prose that merely starts like a field is left alone.
    let prose = BASELINE.replace(
        "\n---\n",
        "\n---\nValue: the team's speed.\nreviewed: twice\n",
    );
    check_engagement(&prose).assert_rules(&[]);
}

#[test]
fn bad_input_hidden_folders_are_not_read() {
    let r = check_both(&fixture("hidden-folders"));
    r.assert_code(0);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 1, "{}", r.listing());
    assert_eq!((r.summary.clients, r.summary.engagements), (1, 1));
}

#[test]
fn bad_input_readme_files_are_ignored_anywhere() {
    let r = check_both(&fixture("readme-anywhere"));
    r.assert_code(0);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 1, "{}", r.listing());
    assert_eq!(r.summary.engagements, 1);
}

#[test]
fn bad_input_client_yaml_at_the_records_root_is_explained() {
    let dir = repo(&[
        ("client.yaml", "name: Acme Logistics\n"),
        ("2026-sales-cycle.md", BASELINE),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    let d = r.one("no-client", "2026-sales-cycle.md");
    says(d, &["under no client folder"]);
    assert!(
        d.help
            .contains("the records folder itself is no client folder"),
        "{}",
        r.listing()
    );
}

#[test]
fn bad_input_a_client_folder_checked_by_mistake_is_explained() {
    let dir = repo(&[
        ("commonthread.yaml", "practice: Northwind Advisory\n"),
        ("acme-logistics/client.yaml", "name: Acme Logistics\n"),
        ("acme-logistics/2026-sales-cycle.md", BASELINE),
    ]);
    // `cd acme-logistics && commonthread check`, one folder too deep.
    let r = check_json(&dir.path().join("acme-logistics"), &[]);
    r.assert_code(1);
    let d = r.one("no-client", "2026-sales-cycle.md");
    assert!(
        d.help.contains(
            "run `commonthread check` there, or give it as the folder (`commonthread check ..`)"
        ),
        "{}",
        r.listing()
    );
}

#[test]
fn bad_input_only_readme_md_spelt_so_is_skipped() {
    // `readme.md` is a valid engagement slug: it is read as one, and its
    // error says how to have it skipped.
    let dir = repo(&[
        ("acme-logistics/client.yaml", "name: Acme Logistics\n"),
        ("acme-logistics/2026-sales-cycle.md", BASELINE),
        ("acme-logistics/readme.md", "# Notes for the team\n"),
        ("acme-logistics/README.md", "# Notes for the team\n"),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    r.assert_rules(&["front-matter-missing"]);
    let d = r.one("front-matter-missing", "acme-logistics/readme.md");
    at(d, ERR, "acme-logistics/readme.md", 1, 1, None);
    assert!(d.help.contains("`README.md`"), "{}", r.listing());
    assert_eq!(r.summary.engagements, 2);
}

#[test]
fn bad_input_markdown_under_no_client_folder() {
    let r = check_both(&fixture("no-client"));
    r.assert_code(1);
    for f in ["drafts/idea.md", "stray.md"] {
        let d = r.one("no-client", f);
        at(d, ERR, f, 1, 1, None);
        says(d, &[f, "no client folder"]);
    }
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 3, "{}", r.listing());
}

#[test]
fn a_client_file_named_client_yml_is_named_in_the_help() {
    let dir = repo(&[
        ("globex/client.yml", "name: Globex\n"),
        ("globex/pricing.md", WITNESS),
        ("stray/notes.md", WITNESS),
        ("acme-logistics/client.yaml", CLIENT_YAML),
    ]);
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    let d = r.one("no-client", "globex/pricing.md");
    assert!(
        d.help.contains("`globex/client.yml`") && d.help.contains("rename it `client.yaml`"),
        "{d:?}"
    );
    // A folder with no such file gets the usual help.
    let d = r.one("no-client", "stray/notes.md");
    assert!(d.help.contains("add a `client.yaml`"), "{d:?}");
}

#[test]
fn check_given_a_file_says_to_give_the_folder() {
    let dir = repo(&[
        ("acme-logistics/client.yaml", CLIENT_YAML),
        (WITNESS_FILE, WITNESS),
    ]);
    let run = check(&dir.path().join(WITNESS_FILE), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("is a file, not a folder: give the records folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_input_client_folder_that_is_not_a_slug() {
    let r = check_both(&fixture("invalid-client-slug"));
    r.assert_code(1);
    let f = "Acme_Logistics/client.yaml";
    let d = r.one("invalid-slug", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["`Acme_Logistics`", "not a slug"]);
    assert!(d.help.contains("`acme-logistics`"), "{d:?}");
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_engagement_file_name_that_is_not_a_slug() {
    let r = check_both(&fixture("invalid-file-slug"));
    r.assert_code(1);
    let f = "acme-logistics/My File.md";
    let d = r.one("invalid-slug", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["`My File`", "not a slug"]);
    assert!(d.help.contains("`my-file.md`"), "{d:?}");
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

#[test]
fn bad_input_reserved_slug_audit() {
    let r = check_both(&fixture("reserved-slug"));
    r.assert_code(1);
    let f = "acme-logistics/audit.md";
    let d = r.one("invalid-slug", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["`audit`", "reserved"]);
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
    // A client folder named audit is refused too.
    let dir = fixture_copy("witness");
    write(dir.path(), "audit/client.yaml", b"name: Audit Partners\n");
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    says(r.one("invalid-slug", "audit/client.yaml"), &["reserved"]);
    r.assert_witness_checked();
}

#[test]
fn bad_input_duplicate_engagement_slug_in_two_subfolders() {
    let r = check_both(&fixture("duplicate-engagement-slug"));
    r.assert_code(1);
    // The second in path order: 2025/ comes before archive/.
    let f = "acme-logistics/archive/kickoff.md";
    let d = r.one("duplicate-id", f);
    at(d, ERR, f, 1, 1, None);
    says(d, &["`kickoff`", "acme-logistics/2025/kickoff.md"]);
    // The same slug under another client is not a duplicate.
    r.assert_witness_checked();
    assert_eq!(r.diags.len(), 2, "{}", r.listing());
}

// ---------------------------------------------------------------------------
// 6. The bundled samples
// ---------------------------------------------------------------------------

#[test]
fn bundled_samples_pass() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-engagements");
    let run = check(&samples, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = check_json(&samples, &[]);
    r.assert_code(0);
    assert_eq!(r.summary.errors, 0, "{}", r.listing());
    assert!(r.summary.engagements >= 6, "{:?}", r.summary);
}

// ---------------------------------------------------------------------------
// 7. Bugs found (ignored until the tool is fixed)
// ---------------------------------------------------------------------------

#[test]

fn regression_empty_front_matter_reports_missing_fields() {
    let dir = fixture_copy("witness");
    write(
        dir.path(),
        "acme-logistics/blank.md",
        b"---\n---\nNotes only.\n",
    );
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    let f = "acme-logistics/blank.md";
    let found: Vec<(&str, u64, u64, Option<&str>)> = r
        .diags
        .iter()
        .filter(|d| d.file == f)
        .map(|d| (d.rule.as_str(), d.line, d.column, d.path.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("missing-field", 1, 1, Some("owner")),
            ("missing-field", 1, 1, Some("status")),
            ("missing-field", 1, 1, Some("title")),
        ],
        "{}",
        r.listing()
    );
    r.assert_witness_checked();
}

#[test]

fn regression_empty_client_yaml_reports_missing_name() {
    let dir = fixture_copy("witness");
    write(dir.path(), "globex/client.yaml", b"");
    write(dir.path(), "initech/client.yaml", b"# to be filled in\n");
    let r = check_json(dir.path(), &[]);
    r.assert_code(1);
    for f in ["globex/client.yaml", "initech/client.yaml"] {
        let d = r.one("missing-field", f);
        at(d, ERR, f, 1, 1, Some("name"));
    }
    r.assert_witness_checked();
}

#[test]

fn regression_update_overdue_without_log_is_at_the_updates_key() {
    // FORMAT.md: update-overdue is at the latest log entry, else the
    // `updates` key, else line 1. Here the key is on line 46.
    let r = check_engagement(&comment_out(BASELINE, 48, 54));
    r.assert_rules(&["update-overdue"]);
    at(r.one("update-overdue", E), WARN, E, 46, 1, Some("updates"));
}

#[test]

fn regression_symlinked_client_yaml_is_not_followed() {
    let dir = fixture_copy("witness");
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "client.yaml",
        b"name: Elsewhere\nsecret_field: 1\n",
    );
    std::fs::create_dir_all(dir.path().join("globex")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("client.yaml"),
        dir.path().join("globex/client.yaml"),
    )
    .unwrap();
    let r = check_json(dir.path(), &[]);
    // FORMAT.md: "Symbolic links are not followed": what the link points at
    // is never read, so its unknown field cannot be reported.
    r.none_of("unknown-field");
    assert_eq!(r.summary.clients, 1, "{}", r.listing());
    r.assert_witness_checked();
}

#[test]

fn regression_unreadable_records_folder_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fixture_copy("witness");
    let records = dir.path();
    open_to_all(records);
    std::fs::set_permissions(records, std::fs::Permissions::from_mode(0o000)).unwrap();
    let run = if std::fs::read_dir(records).is_err() {
        check(records, &[])
    } else if can_drop_privileges() {
        check_as_nobody(records, &[])
    } else {
        std::fs::set_permissions(records, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipped: running as root and `setpriv` is not available to drop privileges");
        return;
    };
    std::fs::set_permissions(records, std::fs::Permissions::from_mode(0o755)).unwrap();
    // FORMAT.md: exit 2 when the tool could not run (unreadable folder).
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// FORMAT.md: "check reports every problem in every file in one run, never
/// only the first". A misspelt field and a bad optional date are reported
/// and left out, and the other rules still run on the rest of the file.
#[test]
fn a_shape_error_does_not_hide_the_other_problems_of_the_file() {
    let text = common::edit(
        common::BASELINE,
        &[
            ("end: 2026-12-31", "end: 2026-13-01"),
            ("due: 2026-12-15", "due: 2026-11-01\n    ouctome: typo"),
        ],
    );
    let report = common::check_engagement(&text);
    let rules: Vec<&str> = report.diags.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(report.code, 1);
    assert!(rules.contains(&"unknown-field"), "{rules:?}");
    assert!(rules.contains(&"invalid-value"), "{rules:?}");
    // The rest of the record is still checked: B is overdue.
    assert!(rules.contains(&"milestone-overdue"), "{rules:?}");
    // The bad `end` is reported once, as invalid, not again as missing.
    assert!(!rules.contains(&"no-end-date"), "{rules:?}");
}
