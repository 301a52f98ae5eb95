//! Every file under `tests/fixtures/occi` through the protocol module. A walker visits each
//! file and checks it by its kind ([`Fixture`]); a file it cannot classify fails the test, so a
//! new fixture is never skipped silently. Recorded exchanges are read in `exchanges.rs`; specific
//! quirks get their own assertions in `quirks.rs`.

use std::path::{Path, PathBuf};

use http::HeaderMap;
use serde_json::Value;

use super::*;

mod exchanges;
mod quirks;

pub(crate) use exchanges::captured;
use exchanges::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/occi");

fn fixture_path(rel: &str) -> PathBuf {
    Path::new(FIXTURES).join(rel)
}

pub(crate) fn read(rel: &str) -> String {
    let path = fixture_path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn text_message(body: &str) -> (HeaderMap, String) {
    (HeaderMap::new(), body.to_owned())
}

pub(crate) fn parse_text_entity(body: &str) -> Entity {
    let (headers, body) = text_message(body);
    parse_entity(&Message {
        media_type: MediaType::TextPlain,
        headers: &headers,
        body: &body,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn parse_text_qi(body: &str) -> QueryInterface {
    let (headers, body) = text_message(body);
    parse_query_interface(&Message {
        media_type: MediaType::TextPlain,
        headers: &headers,
        body: &body,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn json_message<T>(body: &str, f: impl Fn(&Message<'_>) -> Result<T, ParseError>) -> T {
    let headers = HeaderMap::new();
    f(&Message {
        media_type: MediaType::OcciJson,
        headers: &headers,
        body,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Checks one fixture file by its kind; panics on a file it does not know.
fn check_file(rel: &str) -> &'static str {
    let text = read(rel);
    let file = rel.rsplit('/').next().unwrap_or(rel);
    if rel == "README.md" {
        return "readme";
    }
    if rel.starts_with("captured/") && rel.ends_with(".http") {
        return check_exchange(rel, &parse_transcript(&text));
    }
    if rel.ends_with(".yml") {
        let exchanges = parse_cassette(&text);
        assert!(!exchanges.is_empty(), "{rel}");
        for (i, ex) in exchanges.iter().enumerate() {
            check_exchange(&format!("{rel}#{i}"), ex);
        }
        return "cassette";
    }
    if rel.starts_with("json-schema/") {
        let schema: Value = serde_json::from_str(&text).expect("JSON");
        assert!(schema.get("$schema").is_some(), "{rel}");
        return "schema";
    }
    if rel.starts_with("crtp/") {
        let templates: Vec<Value> = serde_json::from_str(&text).expect("JSON array");
        for t in &templates {
            let id = t["identifier"].as_str().and_then(CategoryId::parse);
            assert!(id.is_some(), "{rel}: {t}");
            assert!(t["occi.compute.cores"].as_f64().is_some(), "{rel}: {t}");
        }
        return "crtp";
    }
    match file {
        "occi_model_rocci_server.txt" | "occi_categories.txt" | "model.txt" => {
            let qi = parse_text_qi(&text);
            assert!(qi.categories.len() >= 2, "{rel}");
            "query interface"
        }
        "categories.txt" => {
            let qi = parse_text_qi(&text);
            assert!(qi.of_class(CategoryClass::Mixin).count() >= 4, "{rel}");
            "categories"
        }
        "action_instance.txt" => {
            let (headers, body) = text_message(&text);
            let a = parse_action(&Message {
                media_type: MediaType::TextPlain,
                headers: &headers,
                body: &body,
            })
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(a.attributes.text("method").as_deref(), Some("suspend"));
            "action"
        }
        f if f.starts_with("occi_link_") && f != "occi_link_resource_instance.txt" => {
            let lines = text::lines_of(&Message {
                media_type: MediaType::TextPlain,
                headers: &HeaderMap::new(),
                body: &text,
            });
            let links: Vec<_> = lines
                .iter()
                .filter(|l| l.kind == text::LineKind::Link)
                .collect();
            assert!(!links.is_empty(), "{rel}");
            // Inline links alone are read through an entity with a placeholder kind.
            let body = format!(
                "Category: resource; scheme=\"{}\"; class=\"kind\"\n{text}",
                ids::CORE
            );
            let e = parse_text_entity(&body);
            assert_eq!(e.links.len(), links.len(), "{rel}");
            "links"
        }
        f if f.ends_with(".txt") || f.ends_with(".plain") => {
            let e = parse_text_entity(&text);
            assert!(!e.attributes.is_empty() || !e.links.is_empty(), "{rel}");
            "entity"
        }
        "model.json" | "model.alt.json" => {
            assert_eq!(json_dialect(&text), Some(JsonDialect::Gfd226), "{rel}");
            let qi = json_message(&text, parse_query_interface);
            assert!(qi.kind(&ids::infra("compute")).is_some(), "{rel}");
            "query interface"
        }
        "categories.json" => {
            let v: Value = serde_json::from_str(&text).expect("JSON");
            let ids: Vec<_> = v["mixins"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().and_then(CategoryId::parse))
                .collect();
            assert_eq!(ids.len(), 4, "{rel}");
            "categories"
        }
        "action_instance.json" => {
            let a = json_message(&text, parse_action);
            assert_eq!(a.action, ids::compute_action("suspend"));
            "action"
        }
        "legacy-json-collection.json" => {
            assert_eq!(json_dialect(&text), Some(JsonDialect::PreStandard), "{rel}");
            let qi = json_message(&text, parse_query_interface);
            assert!(qi.kind(&ids::infra("compute")).is_some(), "{rel}");
            let c = json_message(&text, parse_collection);
            assert_eq!(c.entities.len(), 2, "{rel}");
            "legacy collection"
        }
        f if f.ends_with(".json") => {
            let e = json_message(&text, parse_entity);
            assert!(!e.attributes.is_empty(), "{rel}");
            "entity"
        }
        _ => panic!("unclassified OCCI fixture {rel}: add a check for it"),
    }
}

#[test]
fn every_fixture_file_parses() {
    let mut files = Vec::new();
    walk(Path::new(FIXTURES), &mut files);
    files.sort();
    assert!(files.len() >= 136, "only {} fixture files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(FIXTURES)
            .expect("under FIXTURES")
            .to_string_lossy()
            .replace('\\', "/");
        let outcome = std::panic::catch_unwind(|| check_file(&rel));
        if let Err(panic) = outcome {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{rel}: {msg}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
