//! The OpenAPI document rewritten as OpenAPI 3.0.3, for client generators that read only 3.0
//! (progenitor, through the `openapiv3` crate). The 3.1 document stays the reference; this is a
//! mechanical translation of the few 3.1 forms cloudgw's document uses:
//!
//! - `type: [T, "null"]` becomes `type: T, nullable: true`;
//! - `oneOf: [X, {type: null}]` becomes `X` with `nullable: true` (a `$ref` X as
//!   `allOf: [X]`, since 3.0 ignores siblings of `$ref`);
//! - `info.license.identifier` (3.1 only) is dropped;
//! - `contentMediaType` / `contentSchema` (JSON Schema 2020-12, describing the JSON inside a
//!   server-sent event's `data` string) are dropped; the description still says it.
//!
//! Anything else 3.1-only that appears later fails the test that parses the result as 3.0.

use serde_json::{Map, Value};

/// The 3.0.3 form of the 3.1 document `doc`.
pub fn downgrade(mut doc: Value) -> Value {
    doc["openapi"] = Value::from("3.0.3");
    if let Some(license) = doc["info"]["license"].as_object_mut() {
        license.remove("identifier");
    }
    rewrite(&mut doc);
    doc
}

fn rewrite(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.remove("contentMediaType");
            object.remove("contentSchema");
            nullable_type(object);
            nullable_one_of(object);
            for child in object.values_mut() {
                rewrite(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite),
        _ => {}
    }
}

fn is_null_schema(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("null")
}

/// `type: [T, "null"]` → `type: T, nullable: true`.
fn nullable_type(object: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = object.get("type") else {
        return;
    };
    let others: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    let nullable = others.len() < types.len();
    if let [single] = others.as_slice() {
        object.insert("type".into(), single.clone());
        if nullable {
            object.insert("nullable".into(), Value::Bool(true));
        }
    }
}

/// `oneOf: [X, {type: null}]` → X, nullable.
fn nullable_one_of(object: &mut Map<String, Value>) {
    let Some(Value::Array(branches)) = object.get("oneOf") else {
        return;
    };
    if !branches.iter().any(is_null_schema) {
        return;
    }
    let others: Vec<Value> = branches
        .iter()
        .filter(|b| !is_null_schema(b))
        .cloned()
        .collect();
    object.remove("oneOf");
    object.insert("nullable".into(), Value::Bool(true));
    match others.as_slice() {
        [Value::Object(single)] => {
            let mut single = single.clone();
            if let Some(reference) = single.remove("$ref") {
                let mut target = Map::new();
                target.insert("$ref".into(), reference);
                object.insert("allOf".into(), Value::Array(vec![Value::Object(target)]));
            }
            for (key, value) in single {
                object.entry(key).or_insert(value);
            }
        }
        _ => {
            object.insert("oneOf".into(), Value::Array(others));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_forms_become_3_0_nullable() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
            "a": {"type": ["string", "null"], "description": "d"},
            "b": {"oneOf": [{"$ref": "#/x", "description": "why"}, {"type": "null"}]},
            "c": {"oneOf": [{"type": "object", "additionalProperties": {"type": "string"}}, {"type": "null"}]},
            "d": {"type": "string"}
        });
        let out = downgrade(doc);
        assert_eq!(out["openapi"], "3.0.3");
        assert_eq!(out["info"]["license"], json!({"name": "Apache-2.0"}));
        assert_eq!(
            out["a"],
            json!({"type": "string", "nullable": true, "description": "d"})
        );
        assert_eq!(
            out["b"],
            json!({"allOf": [{"$ref": "#/x"}], "nullable": true, "description": "why"})
        );
        assert_eq!(
            out["c"],
            json!({"type": "object", "additionalProperties": {"type": "string"}, "nullable": true})
        );
        assert_eq!(out["d"], json!({"type": "string"}));
    }
}
