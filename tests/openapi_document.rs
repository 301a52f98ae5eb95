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
            assert!(
                id.contains('_') && id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{where_}: {id} is not verb_resource"
            );
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
}
