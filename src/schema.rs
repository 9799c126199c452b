//! JSON Schemas (draft-07) of the three record kinds, generated from the
//! types in `model.rs`. The same documents drive the structural check and
//! are printed by `commonthread schema`, so the two cannot drift apart.

use std::sync::OnceLock;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// Which record a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Engagement,
    Client,
    Config,
}

/// The schema of one record kind, generated once per process.
pub fn schema(kind: RecordKind) -> &'static Value {
    static ENGAGEMENT: OnceLock<Value> = OnceLock::new();
    static CLIENT: OnceLock<Value> = OnceLock::new();
    static CONFIG: OnceLock<Value> = OnceLock::new();
    match kind {
        RecordKind::Engagement => ENGAGEMENT.get_or_init(|| {
            let mut value = generate::<crate::model::Engagement>();
            require_across_fields(&mut value);
            value
        }),
        RecordKind::Client => CLIENT.get_or_init(generate::<crate::model::Client>),
        RecordKind::Config => CONFIG.get_or_init(|| {
            let mut value = generate::<crate::model::Config>();
            name_the_warning_rules(&mut value);
            value
        }),
    }
}

fn generate<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    allow_null_for_optional_fields(&mut value);
    value
}

/// What FORMAT.md requires of one field given another, for editors: `start`
/// unless the status is prospect or declined, and `refund_reason` with a
/// partial or full refund. (`check` says so with its own rules; the
/// structural check does not read `if`.)
fn require_across_fields(engagement: &mut Value) {
    if let Some(root) = engagement.as_object_mut() {
        root.insert(
            "if".into(),
            serde_json::json!({
                "properties": { "status": { "enum": ["active", "paused", "completed", "ended"] } },
                "required": ["status"]
            }),
        );
        root.insert("then".into(), serde_json::json!({ "required": ["start"] }));
    }
    if let Some(review) = engagement
        .pointer_mut("/definitions/Review")
        .and_then(Value::as_object_mut)
    {
        review.insert(
            "if".into(),
            serde_json::json!({
                "properties": { "refund": { "enum": ["partial", "full"] } },
                "required": ["refund"]
            }),
        );
        review.insert(
            "then".into(),
            serde_json::json!({ "required": ["refund_reason"] }),
        );
    }
}

/// Only warning rules take a level under `rules:` (naming an error rule, or
/// no rule, is `invalid-value` in `check`): the schema lists their names.
fn name_the_warning_rules(config: &mut Value) {
    let names: Vec<&str> = crate::rules::RULES
        .iter()
        .filter(|rule| rule.kind == crate::rules::RuleKind::Warning)
        .map(|rule| rule.name)
        .collect();
    let rules = config.pointer_mut("/properties/rules").and_then(|rules| {
        // Optional, so wrapped as `anyOf: [the map, null]`.
        match rules.get("anyOf").is_some() {
            true => rules.pointer_mut("/anyOf/0"),
            false => Some(rules),
        }
    });
    if let Some(rules) = rules.and_then(Value::as_object_mut) {
        rules.insert("propertyNames".into(), serde_json::json!({ "enum": names }));
    }
}

/// `wins:` with nothing after it is how people leave a section to fill in
/// later; treat a null optional field as absent, and say so in the schema so
/// editors agree with the check.
fn allow_null_for_optional_fields(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let required: Vec<String> = object
                .get("required")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if !required.contains(name) && !accepts_null(property) {
                        let inner = std::mem::take(property);
                        *property = serde_json::json!({ "anyOf": [inner, { "type": "null" }] });
                    }
                }
            }
            for child in object.values_mut() {
                allow_null_for_optional_fields(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(allow_null_for_optional_fields),
        _ => {}
    }
}

fn accepts_null(schema: &Value) -> bool {
    let type_has_null = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    type_has_null
        || schema
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(accepts_null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump() {
        println!(
            "{}",
            serde_json::to_string_pretty(schema(RecordKind::Engagement)).unwrap()
        );
    }
}
