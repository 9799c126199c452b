//! `commonthread audit` on a fixture whose answers were worked out by hand
//! (see the comments), through the real binary.

#[allow(dead_code)]
mod common;

use std::path::Path;

use tempfile::TempDir;

use assert_cmd::Command;

/// The records, copied outside this project's git repository.
fn fixture() -> TempDir {
    common::project_copy("tests/fixtures/audit")
}

fn audit(dir: &Path, out: &Path, quarter: &str, as_of: &str) -> (i32, String) {
    let output = Command::cargo_bin("commonthread")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["audit"])
        .arg(dir)
        .args(["--quarter", quarter, "--as-of", as_of, "--out"])
        .arg(out)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn q3() -> (tempfile::TempDir, serde_json::Value, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let (code, stderr) = audit(fixture().path(), &out, "2026-Q3", "2026-11-16");
    assert_eq!(code, 0, "{stderr}");
    let json =
        serde_json::from_str(&std::fs::read_to_string(out.join("audit/2026-Q3.json")).unwrap())
            .unwrap();
    let csv = std::fs::read_to_string(out.join("audit/2026-Q3.csv")).unwrap();
    let html = std::fs::read_to_string(out.join("audit/2026-Q3.html")).unwrap();
    (tmp, json, csv, html)
}

#[test]
fn the_quarter_and_who_was_active() {
    let (_tmp, json, _, _) = q3();
    assert_eq!(
        (
            json["quarter"].as_str(),
            json["start"].as_str(),
            json["end"].as_str()
        ),
        (Some("2026-Q3"), Some("2026-07-01"), Some("2026-09-30"))
    );
    // `old` ended in May and `maybe` is a prospect: only two were active.
    let slugs: Vec<&str> = json["clients"][0]["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["deal", "wrapped"]);
}

#[test]
fn milestones_metrics_wins_updates_and_concerns_of_an_active_engagement() {
    let (_tmp, json, _, _) = q3();
    let deal = &json["clients"][0]["engagements"][0];
    // B done 15 Jul (due 10 Jul: 5 days late), D done 28 Sep (early);
    // C due 15 Aug and not done: missed, 46 days overdue on 30 Sep.
    let done: Vec<(&str, i64)> = deal["milestones_done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["days_late"].as_i64().unwrap()))
        .collect();
    assert_eq!(done, [("B", 5), ("D", 0)]);
    let missed: Vec<(&str, i64)> = deal["milestones_missed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["days_late"].as_i64().unwrap()))
        .collect();
    assert_eq!(missed, [("C", 46)]);
    // 120 on 15 Jun is the value at the start; 170 on 30 Sep at the end.
    // Expected on 30 Sep: 121/213 = 0.568; progress 0.70: on track.
    let metric = &deal["metrics"][0];
    assert_eq!(
        (
            metric["start_value"].as_f64(),
            metric["end_value"].as_f64(),
            metric["change"].as_f64()
        ),
        (Some(120.0), Some(170.0), Some(50.0))
    );
    // Written as in the records and engagements.json: 120, not 120.0.
    assert!(metric["start_value"].is_i64(), "{metric}");
    assert_eq!(metric["end_status"], "on-track");
    // Wins on 1 Aug (celebrated) and 15 Sep (not); 30 Jun is Q2.
    let wins: Vec<bool> = deal["wins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["celebrated"].as_bool().unwrap())
        .collect();
    assert_eq!(wins, [true, false]);
    // Updates 1 Jul, 20 Jul, 25 Aug, 10 Sep: 4 sent; 91 days / 14 = 6
    // promised; longest silence 20 Jul to 25 Aug = 36 days.
    assert_eq!(deal["updates"]["sent"], 4);
    assert_eq!(deal["updates"]["expected"], 6);
    assert_eq!(deal["updates"]["longest_gap_days"], 36);
    // Concerns on 5 Jul (answered) and 1 Sep (not); 1 Oct is Q4.
    assert_eq!(
        (
            deal["concerns_raised"].as_i64(),
            deal["concerns_answered"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert!(deal["review_done"].is_null());
    assert_eq!(deal["review_due"], false);
}

#[test]
fn reviews_next_offers_and_refunds_of_a_completed_engagement() {
    let (_tmp, json, _, _) = q3();
    let wrapped = &json["clients"][0]["engagements"][1];
    assert_eq!(wrapped["review_done"], "2026-09-05");
    assert_eq!(wrapped["next_offer"], "Phase two");
    assert_eq!(wrapped["refund"], "partial");
    // Updates 9 Jul and 30 Aug in Q3; 1 Jul to its end on 31 Aug is 61
    // days / 14 = 4 promised; longest silence 9 Jul to 30 Aug = 52 days.
    assert_eq!(
        (
            wrapped["updates"]["sent"].as_i64(),
            wrapped["updates"]["expected"].as_i64()
        ),
        (Some(2), Some(4))
    );
    assert_eq!(wrapped["updates"]["longest_gap_days"], 52);
}

#[test]
fn totals_add_up() {
    let (_tmp, json, _, _) = q3();
    let totals = &json["totals"];
    let expected = [
        ("engagements", 2),
        ("milestones_done", 2),
        ("milestones_missed", 1),
        ("wins", 2),
        ("updates_sent", 6),
        ("updates_expected", 10),
        ("concerns_raised", 2),
        ("concerns_answered", 1),
        ("reviews_done", 1),
        ("reviews_due", 0),
        ("refunds", 1),
    ];
    for (key, value) in expected {
        assert_eq!(totals[key], value, "{key}");
    }
}

#[test]
fn csv_has_a_row_per_engagement_and_html_says_the_same() {
    let (_tmp, _, csv, html) = q3();
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].starts_with("quarter,client,client_name,engagement,"));
    assert_eq!(
        rows[1],
        "2026-Q3,acme,Acme Logistics,deal,Sales cycle redesign,active,2,1,Deals closed a month: 120 -> 170,2,4,6,36,2,1,,no,,"
    );
    assert!(
        rows[2].contains(",2026-09-05,no,Phase two,partial"),
        "{}",
        rows[2]
    );
    assert!(html.contains("Internal:</strong> do not share with the client"));
    assert!(html.contains("Relationship audit 2026-Q3"));
    assert!(
        html.contains("C (due 15 August 2026, not done)"),
        "missed milestone not shown"
    );
}

#[test]
fn a_running_quarter_is_audited_as_of_today_and_a_future_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let (code, stderr) = audit(fixture().path(), &out, "2026-Q3", "2026-08-20");
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("audit/2026-Q3.json")).unwrap())
            .unwrap();
    assert_eq!(json["as_of"], "2026-08-20");
    // D (done 28 Sep) and the 10 Sep update have not happened yet.
    assert_eq!(json["totals"]["milestones_done"], 1);
    let (code, stderr) = audit(fixture().path(), &out, "2027-Q1", "2026-11-16");
    assert_eq!(code, 2);
    assert!(stderr.contains("has not begun"), "{stderr}");
}

#[test]
fn the_last_quarter_a_date_can_be_in_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let (code, stderr) = audit(fixture().path(), &out, "9999-Q4", "9999-12-31");
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("audit/9999-Q4.html").exists());
}

#[test]
fn quarter_mistakes_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["2026-Q5", "Q3-2026", "2026-3", "2026Q3", "last"] {
        let (code, stderr) = audit(fixture().path(), &tmp.path().join("out"), bad, "2026-11-16");
        assert_eq!(code, 2, "{bad}");
        assert!(stderr.contains("YYYY-Qn"), "{bad}: {stderr}");
    }
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn audits_and_builds_share_the_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let build = |out: &Path| {
        Command::cargo_bin("commonthread")
            .unwrap()
            .arg("build")
            .arg(fixture().path())
            .args(["--as-of", "2026-11-16", "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    assert!(build(&out).status.success());
    assert_eq!(audit(fixture().path(), &out, "2026-Q3", "2026-11-16").0, 0);
    assert!(
        out.join("index.html").exists(),
        "the audit removed the build"
    );
    assert!(build(&out).status.success());
    assert!(
        out.join("audit/2026-Q3.html").exists(),
        "the build removed the audit"
    );
    // A foreign folder is refused, as for build.
    let foreign = tmp.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "x").unwrap();
    assert_eq!(
        audit(fixture().path(), &foreign, "2026-Q3", "2026-11-16").0,
        2
    );
}

/// The audit's JSON for `quarter` of the fixture with `extra` engagement
/// files added to `acme`.
fn audit_with(extra: &[(&str, &str)], quarter: &str, as_of: &str) -> serde_json::Value {
    let records = fixture();
    for (name, text) in extra {
        std::fs::write(records.path().join("acme").join(name), text).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let (code, stderr) = audit(records.path(), &out, quarter, as_of);
    assert_eq!(code, 0, "{stderr}");
    let json = std::fs::read_to_string(out.join(format!("audit/{quarter}.json"))).unwrap();
    serde_json::from_str(&json).unwrap()
}

fn engagement<'j>(json: &'j serde_json::Value, slug: &str) -> Option<&'j serde_json::Value> {
    json["clients"][0]["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == slug)
}

const REVIEWED_AFTER_ITS_END: &str = "---
title: Stock count
status: completed
owner: Dana Whitfield
start: 2026-01-05
end: 2026-06-30
qualification: { decision: accept }
success:
  agreed: 2026-01-10
  metrics:
    - { id: days, name: Days to count, baseline: 10, target: 2, measurements: [{ date: 2026-06-01, value: 4 }] }
review:
  date: 2026-07-08
  went_wrong: The last store counted late.
  next_offer: Cycle counting
  decision: next
  refund: partial
  refund_reason: One store was never counted.
---
";

#[test]
fn a_review_held_after_the_end_counts_in_the_quarter_it_was_held() {
    let extra = [("stock.md", REVIEWED_AFTER_ITS_END)];
    // Ended on Q2's last day: not yet past its end then, so no review due.
    let q2 = audit_with(&extra, "2026-Q2", "2026-11-16");
    let stock = engagement(&q2, "stock").expect("ran in Q2");
    assert_eq!(stock["review_due"], false, "{stock}");
    assert!(stock["review_done"].is_null());
    // Reviewed on 8 Jul: Q3 has the review, its refund and its next offer.
    let q3 = audit_with(&extra, "2026-Q3", "2026-11-16");
    let stock = engagement(&q3, "stock").expect("its review was held in Q3");
    assert_eq!(stock["review_done"], "2026-07-08");
    assert_eq!(stock["refund"], "partial");
    assert_eq!(stock["next_offer"], "Cycle counting");
    assert_eq!(q3["totals"]["refunds"], 2);
    // Nothing else of it happened in Q3: its last silence (from the start
    // on 5 Jan to its end on 30 Jun, no update logged) was Q2's.
    assert_eq!(stock["updates"]["expected"], 0);
    assert_eq!(stock["updates"]["longest_gap_days"], 0, "{stock}");
    assert_eq!(stock["milestones_missed"].as_array().unwrap().len(), 0);
    // Q4 has nothing of it.
    let q4 = audit_with(&extra, "2026-Q4", "2026-11-16");
    assert!(engagement(&q4, "stock").is_none());
}

#[test]
fn a_review_is_due_only_once_the_engagement_is_past_its_end() {
    // `wrapped` ran 10 Jan to 31 Aug and is completed today: in Q1 it was
    // months from its end, so no review was due then.
    let q1 = audit_with(&[], "2026-Q1", "2026-11-16");
    let wrapped = engagement(&q1, "wrapped").unwrap();
    assert_eq!(wrapped["review_due"], false, "{wrapped}");
    assert_eq!(q1["totals"]["reviews_due"], 0);
}

#[test]
fn a_milestone_due_on_the_as_of_date_is_due_today_not_missed() {
    // `deal`'s C is due 15 Aug and not done.
    let on_the_day = audit_with(&[], "2026-Q3", "2026-08-15");
    let deal = engagement(&on_the_day, "deal").unwrap();
    assert_eq!(
        deal["milestones_missed"].as_array().unwrap().len(),
        0,
        "{deal}"
    );
    let next_day = audit_with(&[], "2026-Q3", "2026-08-16");
    let deal = engagement(&next_day, "deal").unwrap();
    assert_eq!(deal["milestones_missed"][0]["id"], "C");
    assert_eq!(deal["milestones_missed"][0]["days_late"], 1);
}

#[test]
fn a_metric_first_measured_in_the_quarter_moves_from_its_baseline() {
    let (_tmp, json, csv, html) = q3();
    // `wrapped`'s margin: baseline 30, first measured 33 on 20 Aug.
    let metric = &engagement(&json, "wrapped").unwrap()["metrics"][0];
    assert_eq!(
        (
            metric["start_value"].as_f64(),
            metric["start_is_baseline"].as_bool(),
            metric["end_value"].as_f64(),
            metric["change"].as_f64()
        ),
        (Some(30.0), Some(true), Some(33.0), Some(3.0))
    );
    // `deal`'s was measured before the quarter.
    let metric = &engagement(&json, "deal").unwrap()["metrics"][0];
    assert_eq!(metric["start_is_baseline"], false);
    assert!(
        csv.contains("Gross margin: 30% -> 33%") || csv.contains("Gross margin: 30 -> 33"),
        "{csv}"
    );
    assert!(
        html.contains("30% (baseline)"),
        "the page says where the start comes from"
    );
}

#[test]
fn a_build_for_the_client_leaves_the_internal_audits_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let records = fixture();
    let build = |audience: &str| {
        Command::cargo_bin("commonthread")
            .unwrap()
            .arg("build")
            .arg(records.path())
            .args(["--as-of", "2026-11-16", "--audience", audience, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    assert!(build("internal").status.success());
    assert_eq!(audit(records.path(), &out, "2026-Q3", "2026-11-16").0, 0);
    assert!(build("client").status.success());
    assert!(out.join("acme/index.html").exists());
    assert!(
        !out.join("audit").exists(),
        "an internal audit went out with the client's pages"
    );
}
