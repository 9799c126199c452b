//! The JSON Schemas printed by `commonthread schema`, checked by an
//! independent validator (the jsonschema crate) against every sample
//! record, and against records that must fail.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn schema(kind: &str) -> jsonschema::Validator {
    let output = Command::cargo_bin("commonthread")
        .unwrap()
        .args(["schema", kind])
        .output()
        .unwrap();
    assert!(output.status.success());
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    jsonschema::validator_for(&schema).expect("a valid draft-07 schema")
}

/// YAML as editors' validators see it: YAML 1.2 values as JSON.
fn yaml_to_json(text: &str) -> Value {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

fn front_matter(text: &str) -> &str {
    let rest = text.strip_prefix("---\n").expect("front matter");
    &rest[..rest.find("\n---").expect("closed front matter") + 1]
}

fn sample_files(name_filter: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-engagements");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && name_filter(&e.file_name().to_string_lossy()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_sample_engagement_matches_the_engagement_schema() {
    let validator = schema("engagement");
    let files = sample_files(|name| name.ends_with(".md") && name != "README.md");
    assert!(files.len() >= 8);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let instance = yaml_to_json(front_matter(&text));
        assert_eq!(
            errors(&validator, &instance),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn every_client_yaml_and_the_settings_match_their_schemas() {
    let clients = schema("client");
    let files = sample_files(|name| name == "client.yaml");
    assert!(files.len() >= 4);
    for file in files {
        let instance = yaml_to_json(&std::fs::read_to_string(&file).unwrap());
        assert_eq!(
            errors(&clients, &instance),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
    let config = schema("config");
    for file in sample_files(|name| name == "commonthread.yaml") {
        let instance = yaml_to_json(&std::fs::read_to_string(&file).unwrap());
        assert_eq!(
            errors(&config, &instance),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn the_schema_rejects_what_check_rejects() {
    let validator = schema("engagement");
    for (yaml, why) in [
        ("title: T\nowner: O\n", "status is required"),
        ("title: T\nstatus: yes\nowner: O\n", "yes is no status word"),
        (
            "title: T\nstatus: active\nowner: O\nmielstones: []\n",
            "unknown field",
        ),
        (
            "title: T\nstatus: active\nowner: O\nstart: 20260101\n",
            "a date is text",
        ),
        (
            "title: T\nstatus: active\nowner: O\nmilestones:\n  - { id: A, title: A }\n",
            "a milestone needs due",
        ),
        (
            "title: T\nstatus: active\nowner: O\nreview: { date: 2026-01-01, decision: maybe }\n",
            "unknown review decision",
        ),
        (
            "title: T\nstatus: active\nowner: O\nsuccess:\n  metrics:\n    - { id: m, name: M, baseline: 1, target: 2, weight: 0 }\n",
            "a weight must be above 0",
        ),
        (
            "title: T\nstatus: active\nowner: O\nsuccess:\n  metrics:\n    - { id: Days to close, name: M, baseline: 1, target: 2 }\n",
            "a metric id is a slug",
        ),
    ] {
        assert!(!validator.is_valid(&yaml_to_json(yaml)), "{why}: {yaml}");
    }
    assert!(validator.is_valid(&yaml_to_json(
        "title: T\nstatus: prospect\nowner: O\nwins:\n"
    )));
}

#[test]
fn the_schema_knows_what_one_field_requires_of_another() {
    let validator = schema("engagement");
    for (yaml, why) in [
        (
            "title: T\nstatus: active\nowner: O\n",
            "an active engagement needs start",
        ),
        ("title: T\nstatus: ended\nowner: O\n", "an ended one too"),
        (
            "title: T\nstatus: prospect\nowner: O\nreview: { date: 2026-01-01, decision: end, refund: partial }\n",
            "a partial refund needs its reason",
        ),
    ] {
        assert!(!validator.is_valid(&yaml_to_json(yaml)), "{why}: {yaml}");
    }
    for yaml in [
        "title: T\nstatus: prospect\nowner: O\n",
        "title: T\nstatus: declined\nowner: O\n",
        "title: T\nstatus: active\nowner: O\nstart: 2026-01-01\n",
        "title: T\nstatus: prospect\nowner: O\nreview: { date: 2026-01-01, decision: end, refund: full, refund_reason: Missed }\n",
        "title: T\nstatus: prospect\nowner: O\nreview: { date: 2026-01-01, decision: end }\n",
    ] {
        assert_eq!(
            errors(&validator, &yaml_to_json(yaml)),
            Vec::<String>::new(),
            "{yaml}"
        );
    }
}

#[test]
fn the_settings_schema_takes_levels_for_warning_rules_only() {
    let validator = schema("config");
    assert!(validator.is_valid(&yaml_to_json(
        "rules:\n  update-overdue: off\n  win-not-celebrated: error\n"
    )));
    for yaml in [
        "rules:\n  review-missing: warning\n",
        "rules:\n  no-such-rule: off\n",
    ] {
        assert!(!validator.is_valid(&yaml_to_json(yaml)), "{yaml}");
    }
}
