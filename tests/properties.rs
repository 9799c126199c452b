//! Properties of the figures that must hold for any numbers and dates, and
//! of the output for any order the file system lists files in.

use commonthread::figures::{self, Health, LineOf, MetricFigures, MetricStatus};
use commonthread::model::{Date, Engagement};
use commonthread::rules::engagement::Settings;
use proptest::prelude::*;

fn date(offset: i64) -> Date {
    Date::parse("2026-01-01").unwrap().plus_days(offset)
}

fn finite() -> impl Strategy<Value = f64> {
    -1.0e6f64..1.0e6
}

proptest! {
    #[test]
    fn progress_moves_with_the_current_value_toward_the_target(baseline in finite(), target in finite(), a in finite(), b in finite()) {
        prop_assume!((target - baseline).abs() > 1e-9);
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let (p_low, p_high) = (figures::progress(baseline, target, low), figures::progress(baseline, target, high));
        if target > baseline {
            prop_assert!(p_low <= p_high);
        } else {
            prop_assert!(p_low >= p_high);
        }
        prop_assert!((figures::progress(baseline, target, baseline)).abs() < 1e-12);
        prop_assert!((figures::progress(baseline, target, target) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn status_thresholds_are_ordered(expected in 0.0f64..=1.0, a in -2.0f64..2.0, b in -2.0f64..2.0) {
        // More progress never gives a worse status.
        let rank = |s: MetricStatus| match s {
            MetricStatus::OffTrack => 0,
            MetricStatus::AtRisk => 1,
            MetricStatus::OnTrack => 2,
            MetricStatus::Achieved => 3,
            MetricStatus::NotMeasured => unreachable!(),
        };
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(rank(figures::metric_status(Some(low), expected)) <= rank(figures::metric_status(Some(high), expected)));
        prop_assert_eq!(figures::metric_status(None, expected), MetricStatus::NotMeasured);
    }

    #[test]
    fn expected_stays_between_zero_and_one(start in 0i64..800, length in 0i64..800, as_of in -100i64..2000) {
        let value = figures::expected(Some(date(start)), Some(date(start + length)), date(as_of));
        prop_assert!((0.0..=1.0).contains(&value));
    }

    #[test]
    fn score_stays_within_0_and_100(metrics in prop::collection::vec((prop::option::of(-5.0f64..5.0), 0.01f64..10.0), 0..8)) {
        let figures: Vec<MetricFigures> = metrics
            .iter()
            .map(|(progress, weight)| MetricFigures {
                current: None,
                progress: *progress,
                expected: 0.5,
                status: figures::metric_status(*progress, 0.5),
                weight: *weight,
            })
            .collect();
        match figures::score(&figures) {
            None => prop_assert!(metrics.iter().all(|(p, _)| p.is_none())),
            Some(score) => prop_assert!((0.0..=100.0).contains(&score), "{}", score),
        }
    }

    #[test]
    fn health_agrees_with_its_reasons(
        cadence in 1u32..30,
        last_update in 0i64..200,
        due in 0i64..200,
        concern in prop::option::of(0i64..200),
        measured in 0.0f64..200.0,
        as_of in 100i64..260,
    ) {
        let mut yaml = format!(
            "title: T\nstatus: active\nowner: O\nstart: {}\nend: {}\nsuccess:\n  metrics:\n    - {{ id: m, name: M, baseline: 0, target: 100, measurements: [{{ date: {}, value: {measured} }}] }}\nmilestones:\n  - {{ id: A, title: A, due: {} }}\nupdates:\n  cadence_days: {cadence}\n  log:\n    - {{ date: {}, summary: s }}\n",
            date(0), date(300), date(1), date(due), date(last_update)
        );
        if let Some(raised) = concern {
            yaml.push_str(&format!("concerns:\n  - {{ date: {}, concern: c }}\n", date(raised)));
        }
        let e = engagement(&yaml);
        let f = figures::engagement(&e, date(as_of), Settings::default(), &NoLines);
        let (health, reasons) = f.health.expect("active engagements have a health");
        let worst = reasons.iter().map(|r| r.kind.colour()).max().unwrap_or(Health::Green);
        prop_assert_eq!(health, worst);
        // Red reasons come before amber ones.
        let colours: Vec<Health> = reasons.iter().map(|r| r.kind.colour()).collect();
        let mut sorted = colours.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        prop_assert_eq!(colours, sorted);
    }
}

struct NoLines;
impl LineOf for NoLines {
    fn metric(&self, _: usize) -> u32 {
        1
    }
    fn milestone(&self, _: usize) -> u32 {
        2
    }
    fn concern(&self, _: usize) -> u32 {
        3
    }
    fn cadence(&self, _: Option<usize>) -> u32 {
        4
    }
}

fn engagement(yaml: &str) -> Engagement {
    serde_yaml::from_str(yaml).expect("a valid engagement")
}

/// Two copies of the samples whose files were created in opposite orders
/// (so directory listings differ) build to the same bytes.
#[test]
fn output_does_not_depend_on_the_order_files_are_listed_in() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-engagements");
    let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&samples)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let tmp = tempfile::tempdir().unwrap();
    let copy = |name: &str, order: &[std::path::PathBuf]| {
        let root = tmp.path().join(name);
        for file in order {
            let target = root.join(file.strip_prefix(&samples).unwrap());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(file, target).unwrap();
        }
        root
    };
    let forward = copy("forward", &files);
    files.reverse();
    let backward = copy("backward", &files);
    let build = |dir: &std::path::Path, out: &std::path::Path| {
        let status = assert_cmd::Command::cargo_bin("commonthread")
            .unwrap()
            .arg("build")
            .arg(dir)
            .args(["--as-of", "2026-11-16", "-q", "--out"])
            .arg(out)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
        let mut pages = std::collections::BTreeMap::new();
        for entry in walkdir::WalkDir::new(out)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            pages.insert(
                entry.path().strip_prefix(out).unwrap().to_path_buf(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
        pages
    };
    let a = build(&forward, &tmp.path().join("out-a"));
    let b = build(&backward, &tmp.path().join("out-b"));
    assert_eq!(a.len(), b.len());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{} differs", path.display());
    }
}

/// An engagement with `{T}` in its text fields (each a YAML double-quoted
/// scalar written by serde_json, which escapes whatever needs it) and
/// `{B}` as its Markdown body.
const ANY_TEXT: &str = r#"---
title: {T}
status: active
owner: {T}
start: 2026-03-01
end: 2026-12-31
current_state: {T}
desired_outcome: {T}
success:
  agreed: 2026-03-02
  agreed_by: [{T}]
  metrics:
    - id: days-to-close
      name: {T}
      baseline: 45
      target: 14
      measurements:
        - { date: 2026-05-01, value: 30, note: {T} }
milestones:
  - { id: "A", title: {T}, due: 2026-04-01, done: 2026-03-28, outcome: {T}, result: {T} }
  - { id: "B", title: {T}, due: 2026-12-15, outcome: {T} }
updates:
  log:
    - { date: 2026-11-10, summary: {T}, channel: {T}, milestone: "B" }
wins:
  - { date: 2026-07-10, title: {T}, metric: days-to-close, celebrated: {T} }
concerns:
  - { date: 2026-05-20, concern: {T}, raised_by: {T}, response: {T} }
---
{B}
"#;

/// Text worth throwing at a renderer: anything at all, and runs of the
/// characters that mean something to HTML, Markdown, YAML and templates.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>&\"'/{}%#*_`\\[\\]()!|\\\\:= a-zA-Z0-9\n\t\u{0}\u{7}\u{85}\u{202E}\u{2028}é😀-]{0,60}",
    ]
}

/// Any text in every field of a record either builds, into pages that are
/// UTF-8 with no hidden control characters and no script, or is refused as
/// a problem with the records (exit 1). Never a crash, never exit 2.
#[test]
fn any_record_text_builds_into_inert_pages_or_is_refused() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-engagements");
    let client = std::fs::read_to_string(samples.join("tallyhouse/client.yaml")).unwrap();
    let config = std::fs::read_to_string(samples.join("commonthread.yaml")).unwrap();
    let built = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(24));
    runner
        .run(&(any_text(), any_text()), |(text, body)| {
            let tmp = tempfile::tempdir().unwrap();
            let records = tmp.path().join("records");
            std::fs::create_dir_all(records.join("tallyhouse")).unwrap();
            std::fs::write(records.join("commonthread.yaml"), &config).unwrap();
            std::fs::write(records.join("tallyhouse/client.yaml"), &client).unwrap();
            let scalar = serde_json::to_string(&text).unwrap();
            let engagement = ANY_TEXT.replace("{T}", &scalar).replace("{B}", &body);
            std::fs::write(records.join("tallyhouse/2026-anything.md"), engagement).unwrap();
            let out = tmp.path().join("out");
            let run = assert_cmd::Command::cargo_bin("commonthread")
                .unwrap()
                .arg("build")
                .arg(&records)
                .args(["--as-of", "2026-11-16", "-q", "--out"])
                .arg(&out)
                .output()
                .unwrap();
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            );
            prop_assert!(!said.contains("panicked"), "{said}");
            match run.status.code() {
                Some(0) => {
                    built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Some(1) => return Ok(()),
                other => prop_assert!(false, "exit {other:?} for {text:?} / {body:?}: {said}"),
            }
            for entry in walkdir::WalkDir::new(&out)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
            {
                let page = std::fs::read(entry.path()).unwrap();
                let page = String::from_utf8(page);
                prop_assert!(page.is_ok(), "{} is not UTF-8", entry.path().display());
                let page = page.unwrap();
                let hidden = page.chars().find(|&c| {
                    (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
                        || ('\u{202A}'..='\u{202E}').contains(&c)
                });
                prop_assert!(
                    hidden.is_none(),
                    "{} holds {hidden:?}",
                    entry.path().display()
                );
                prop_assert!(
                    !page.to_ascii_lowercase().contains("<script"),
                    "{} holds a script",
                    entry.path().display()
                );
            }
            Ok(())
        })
        .unwrap();
    // Most text is a record like any other: the property is about pages.
    let built = built.into_inner();
    assert!(built >= 12, "only {built} of 24 cases built");
}
