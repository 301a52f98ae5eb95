//! The API fuzzed from its own OpenAPI document by schemathesis (from `.venv`), against the
//! default gateway (`providers/`), over every operation, with five checks: not_a_server_error,
//! status_code_conformance, content_type_conformance, response_schema_conformance and
//! negative_data_rejection. Fixed seed, bounded examples; zero failures.
//!
//! `501 unsupported` is the documented answer for an operation or option a provider's backend
//! does not have, so `tests/schemathesis.toml` lets not_a_server_error accept 501 (and no other
//! 5xx); this test then proves each 501 of the run honest: an `unsupported` problem naming a
//! provider whose capabilities really lack that operation or option.

mod served;

use std::process::Command;

use serde_json::Value;
use served::{Served, repo, run, venv_tool};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,negative_data_rejection";
const SEED: &str = "20261123";
const MAX_EXAMPLES: &str = "30";

/// The capability a 501 problem's detail names, e.g. `list_volumes` or, for a create option,
/// `create_server_in_zone`.
fn capability_named(detail: &str, provider: &str) -> Option<String> {
    if let Some(op) = detail.strip_suffix(" is not supported by this provider") {
        return Some(op.to_owned());
    }
    let field = detail
        .strip_prefix(&format!("provider {provider} does not support `"))?
        .strip_suffix("` on this request")?;
    Some(
        match field {
            "region" => "create_server_in_region",
            "zone" => "create_server_in_zone",
            "key_name" => "create_server_with_key_name",
            "user_data" => "create_server_with_user_data",
            "tags" => "create_server_with_tags",
            "owner" => "list_images_by_owner",
            _ => return None,
        }
        .to_owned(),
    )
}

fn providers(base: &str) -> Vec<Value> {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let body: Value = reqwest::get(format!("{base}/v1/providers"))
            .await
            .unwrap_or_else(|e| panic!("GET /v1/providers: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET /v1/providers: {e}"));
        body["items"].as_array().cloned().unwrap_or_default()
    })
}

/// Every 501 in the recorded exchanges is justified by a false capability; returns how many.
fn assert_every_501_is_a_missing_capability(har: &Value, providers: &[Value]) -> usize {
    let entries = har["log"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!entries.is_empty(), "the HAR report holds no exchanges");
    let mut count = 0;
    for entry in &entries {
        if entry["response"]["status"] != 501 {
            continue;
        }
        count += 1;
        let request = format!(
            "{} {}",
            entry["request"]["method"].as_str().unwrap_or_default(),
            entry["request"]["url"].as_str().unwrap_or_default()
        );
        let text = entry["response"]["content"]["text"]
            .as_str()
            .unwrap_or_default();
        let problem: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{request}: 501 without a problem body ({e}): {text}"));
        assert_eq!(problem["code"], "unsupported", "{request}: {problem}");
        let provider = problem["provider"].as_str().unwrap_or_default();
        let caps = providers
            .iter()
            .find(|p| p["id"] == provider)
            .map(|p| &p["capabilities"])
            .unwrap_or_else(|| panic!("{request}: 501 names no configured provider: {problem}"));
        let detail = problem["detail"].as_str().unwrap_or_default();
        let capability = capability_named(detail, provider)
            .unwrap_or_else(|| panic!("{request}: 501 names no capability: {problem}"));
        assert_eq!(
            caps[&capability], false,
            "{request}: 501 although {provider} has capability {capability}"
        );
    }
    count
}

#[test]
fn capability_is_read_from_both_kinds_of_unsupported_detail() {
    assert_eq!(
        capability_named("list_volumes is not supported by this provider", "g").as_deref(),
        Some("list_volumes")
    );
    assert_eq!(
        capability_named("provider g does not support `zone` on this request", "g").as_deref(),
        Some("create_server_in_zone")
    );
    assert_eq!(capability_named("the gateway failed", "g"), None);
}

#[test]
fn schemathesis_finds_no_failures_over_every_operation() {
    // Event streams end after a second here, so each fuzzed GET /v1/events answers quickly.
    let gateway = Served::start(&["--event-stream-max-secs", "1"]);
    let report = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let har_path = report.path().join("exchanges.har");
    let text = run(
        "schemathesis",
        Command::new(venv_tool("schemathesis"))
            .arg("--config-file")
            .arg(repo().join("tests/schemathesis.toml"))
            .arg("run")
            .arg(repo().join("openapi/openapi.json"))
            .args(["--url", &gateway.base])
            .args(["--checks", CHECKS])
            .args(["--seed", SEED, "--max-examples", MAX_EXAMPLES])
            .args(["--request-timeout", "10", "--report", "har"])
            .arg("--report-har-path")
            .arg(&har_path)
            .env("NO_COLOR", "1")
            .current_dir(report.path()),
    );
    let operations = serde_json::from_str::<Value>(
        &std::fs::read_to_string(repo().join("openapi/openapi.json")).unwrap_or_default(),
    )
    .map(|doc| {
        doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .values()
                    .map(|item| item.as_object().map_or(0, |ops| ops.len()))
                    .sum::<usize>()
            })
            .unwrap_or_default()
    })
    .unwrap_or_default();
    assert!(
        text.contains(&format!("Tested: {operations}")),
        "schemathesis did not test all {operations} operations:\n{text}"
    );
    let har: Value = serde_json::from_str(&std::fs::read_to_string(&har_path).unwrap_or_default())
        .unwrap_or_else(|e| panic!("HAR report: {e}"));
    let unsupported = assert_every_501_is_a_missing_capability(&har, &providers(&gateway.base));
    println!("schemathesis: no failures; {unsupported} honest 501 answers\n{text}");
}
