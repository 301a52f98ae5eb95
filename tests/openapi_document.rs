//! The committed OpenAPI document is what the code generates, and it is complete.

use serde_json::Value;

fn generated() -> Value {
    let text = cloudgw::api::openapi().to_pretty_json().unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

#[test]
fn committed_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let expected = cloudgw::api::openapi().to_pretty_json().unwrap_or_default() + "\n";
    assert!(
        committed == expected,
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi --output openapi/openapi.json`"
    );
}

#[test]
fn document_is_openapi_3_1_with_servers() {
    let doc = generated();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["servers"].as_array().is_some_and(|s| !s.is_empty()));
}

#[test]
fn every_operation_has_id_summary_tags_and_described_responses() {
    let doc = generated();
    let mut ids = std::collections::HashSet::new();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(paths.len() >= 20, "only {} paths", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().cloned().unwrap_or_default() {
            let where_ = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(!id.is_empty(), "{where_}: no operationId");
            assert!(is_verb_resource(&id), "{where_}: {id} is not verb_resource");
            assert!(
                ids.insert(id.clone()),
                "{where_}: duplicate operationId {id}"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{where_}: no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{where_}: no tags"
            );
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            assert!(!responses.is_empty(), "{where_}: no responses");
            assert!(
                responses.contains_key("500"),
                "{where_}: the problem answers are not documented"
            );
            for (status, response) in responses {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{where_} {status}: no description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/Problem",
                        "{where_} {status}: not a problem"
                    );
                }
            }
        }
    }
}

/// `^[a-z]+(_[a-z]+)+$`: a verb and a resource, snake_case.
fn is_verb_resource(id: &str) -> bool {
    let words: Vec<&str> = id.split('_').collect();
    words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
}

#[test]
fn verb_resource_rule_rejects_other_shapes() {
    assert!(is_verb_resource("list_servers"));
    assert!(is_verb_resource("list_all_servers"));
    for bad in [
        "listServers",
        "servers",
        "list_",
        "_list",
        "list__servers",
        "list_servers2",
    ] {
        assert!(!is_verb_resource(bad), "{bad}");
    }
}

/// Whether a property schema carries a description: on itself, or, for an optional value
/// (`oneOf: [X, null]`), on its non-null branch.
fn is_described(schema: &Value) -> bool {
    let has = |s: &Value| {
        s["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    has(schema)
        || schema["oneOf"]
            .as_array()
            .is_some_and(|branches| branches.iter().filter(|b| b["type"] != "null").all(has))
}

#[test]
fn every_schema_and_property_is_described() {
    let doc = generated();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(schemas.len() >= 20, "only {} schemas", schemas.len());
    for (name, schema) in schemas {
        assert!(is_described(&schema), "schema {name} has no description");
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (field, property) in properties {
            assert!(is_described(&property), "{name}.{field} has no description");
        }
    }
}

#[test]
fn every_parameter_is_described_and_headers_are_never_null() {
    let doc = generated();
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for (method, op) in item.as_object().cloned().unwrap_or_default() {
            for param in op["parameters"].as_array().cloned().unwrap_or_default() {
                let name = param["name"].as_str().unwrap_or_default();
                assert!(
                    is_described(&param),
                    "{method} {path}: parameter {name} has no description"
                );
                if param["in"] == "header" {
                    assert_eq!(
                        param["schema"]["type"], "string",
                        "{method} {path}: header {name} must be a plain string"
                    );
                }
            }
        }
    }
}

#[test]
fn request_bodies_are_described_with_an_example() {
    let doc = generated();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for (method, op) in item.as_object().cloned().unwrap_or_default() {
            let body = &op["requestBody"];
            if body.is_null() {
                continue;
            }
            bodies += 1;
            assert!(
                is_described(body),
                "{method} {path}: body has no description"
            );
            assert!(
                body["content"]["application/json"]["example"].is_object(),
                "{method} {path}: body has no example"
            );
        }
    }
    assert_eq!(bodies, 3, "create_server, create_volume, attach_volume");
}

#[test]
fn operations_are_tagged_by_resource_with_declared_tags() {
    let doc = generated();
    let declared: Vec<String> = doc["tags"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|t| is_described(t))
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for (method, op) in item.as_object().cloned().unwrap_or_default() {
            let tags = op["tags"].as_array().cloned().unwrap_or_default();
            assert_eq!(tags.len(), 1, "{method} {path}: one tag per operation");
            let tag = tags[0].as_str().unwrap_or_default();
            assert!(
                declared.iter().any(|d| d == tag),
                "{method} {path}: tag {tag} is not declared with a description"
            );
        }
    }
}

#[test]
fn stream_and_metrics_document_their_media_types() {
    let doc = generated();
    let events = &doc["paths"]["/v1/events"]["get"]["responses"]["200"]["content"];
    assert!(events["text/event-stream"].is_object(), "{events}");
    let metrics = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(
        metrics["text/plain; version=0.0.4; charset=utf-8"].is_object(),
        "{metrics}"
    );
}

#[test]
fn state_enums_are_listed() {
    let doc = generated();
    let states = &doc["components"]["schemas"]["ServerState"]["enum"];
    let expected = [
        "pending",
        "running",
        "stopping",
        "stopped",
        "rebooting",
        "terminating",
        "terminated",
        "error",
        "unknown",
    ];
    assert_eq!(states, &serde_json::json!(expected));
    let volume_states = &doc["components"]["schemas"]["VolumeState"]["enum"];
    let expected = [
        "creating",
        "available",
        "in_use",
        "deleting",
        "deleted",
        "error",
        "unknown",
    ];
    assert_eq!(volume_states, &serde_json::json!(expected));
    let statuses = &doc["components"]["schemas"]["OperationStatus"]["enum"];
    let expected = ["pending", "running", "succeeded", "failed"];
    assert_eq!(statuses, &serde_json::json!(expected));
}

#[test]
fn committed_3_0_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi-3.0.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let expected =
        serde_json::to_string_pretty(&cloudgw::api::openapi_3_0()).unwrap_or_default() + "\n";
    assert!(
        committed == expected,
        "openapi/openapi-3.0.json is stale: regenerate it with `cargo run -- openapi --spec-version 3.0 --output openapi/openapi-3.0.json`"
    );
}

/// Every place of the 3.0 document holds only 3.0 forms: no type lists, no null type.
#[test]
fn document_3_0_has_no_3_1_forms() {
    fn walk(value: &Value, at: &str) {
        match value {
            Value::Object(object) => {
                assert!(
                    !object.get("type").is_some_and(Value::is_array),
                    "{at}: type list"
                );
                assert!(
                    object.get("type") != Some(&Value::from("null")),
                    "{at}: null type"
                );
                for key in [
                    "propertyNames",
                    "prefixItems",
                    "const",
                    "$schema",
                    "contentMediaType",
                    "contentSchema",
                ] {
                    assert!(!object.contains_key(key), "{at}: {key}");
                }
                for (key, child) in object {
                    walk(child, &format!("{at}/{key}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, at)),
            _ => {}
        }
    }
    let doc = cloudgw::api::openapi_3_0();
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["info"]["license"].get("identifier").is_none());
    walk(&doc, "#");
    let original = generated();
    assert_eq!(
        doc["paths"].as_object().map(|p| p.len()),
        original["paths"].as_object().map(|p| p.len())
    );
}
