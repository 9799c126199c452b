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
        RecordKind::Engagement => ENGAGEMENT.get_or_init(generate::<crate::model::Engagement>),
        RecordKind::Client => CLIENT.get_or_init(generate::<crate::model::Client>),
        RecordKind::Config => CONFIG.get_or_init(generate::<crate::model::Config>),
    }
}

fn generate<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    allow_null_for_optional_fields(&mut value);
    value
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
