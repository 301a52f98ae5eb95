//! Every file under `tests/fixtures/occi` through the protocol module. A walker visits each
//! file and checks it by its kind ([`Fixture`]); a file it cannot classify fails the test, so a
//! new fixture is never skipped silently. Specific quirks get their own assertions below.

use std::path::{Path, PathBuf};

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::*;

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

// --- HTTP exchanges ----------------------------------------------------------------------------

/// One HTTP message of a transcript or cassette.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpMessage {
    /// `GET /compute/1 HTTP/1.1` or `HTTP/1.0 200 OK`.
    pub(crate) start: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl HttpMessage {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                map.append(n, v);
            }
        }
        map
    }

    /// The rendering: from Content-Type, text/plain when missing (the 1.1 default).
    pub(crate) fn media_type(&self) -> Option<MediaType> {
        match self.header("content-type") {
            Some(ct) => MediaType::from_content_type(ct),
            None => Some(MediaType::TextPlain),
        }
    }

    pub(crate) fn status(&self) -> u16 {
        self.start
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// (method, target) of a request line.
    pub(crate) fn request_target(&self) -> (String, String) {
        let mut parts = self.start.split_whitespace();
        let method = parts.next().unwrap_or("").to_ascii_uppercase();
        let target = parts.next().unwrap_or("").to_owned();
        (method, target)
    }
}

/// One request/answer pair.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) request: HttpMessage,
    pub(crate) response: HttpMessage,
}

/// Splits a `captured/*.http` transcript (README format: `### request`, start line, headers,
/// blank line, body, `### response`, …).
pub(crate) fn parse_transcript(text: &str) -> Exchange {
    let (req, resp) = text
        .split_once("### response\n")
        .expect("a ### response section");
    let req = req
        .strip_prefix("### request\n")
        .expect("starts with ### request");
    Exchange {
        request: parse_http_message(req.trim_end_matches('\n')),
        response: parse_http_message(resp),
    }
}

fn parse_http_message(text: &str) -> HttpMessage {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text, ""),
    };
    let mut lines = head.lines();
    let start = lines.next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpMessage {
        start,
        headers,
        body: body.to_owned(),
    }
}

/// The interactions of a VCR cassette.
fn parse_cassette(text: &str) -> Vec<Exchange> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("cassette YAML");
    let doc = yaml_to_json(yaml);
    let headers = |v: &Value| -> Vec<(String, String)> {
        v.as_object()
            .into_iter()
            .flatten()
            .flat_map(|(name, values)| {
                let values: Vec<String> = match values {
                    Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .collect(),
                    other => vec![other.as_str().unwrap_or_default().to_owned()],
                };
                values.into_iter().map(move |v| (name.clone(), v))
            })
            .collect()
    };
    doc["http_interactions"]
        .as_array()
        .expect("http_interactions")
        .iter()
        .map(|i| {
            let req = &i["request"];
            let resp = &i["response"];
            let uri = req["uri"].as_str().unwrap_or_default();
            let path = reqwest::Url::parse(uri)
                .map(|u| match u.query() {
                    Some(q) => format!("{}?{q}", u.path()),
                    None => u.path().to_owned(),
                })
                .unwrap_or_else(|_| uri.to_owned());
            Exchange {
                request: HttpMessage {
                    start: format!(
                        "{} {path} HTTP/1.1",
                        req["method"].as_str().unwrap_or_default()
                    ),
                    headers: headers(&req["headers"]),
                    body: req["body"]["string"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                },
                response: HttpMessage {
                    start: format!("HTTP/1.1 {} OK", resp["status"]["code"]),
                    headers: headers(&resp["headers"]),
                    body: resp["body"]["string"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                },
            }
        })
        .collect()
}

/// YAML → JSON, dropping tags (Ruby's VCR writes `! '…'` non-specific tags on strings).
fn yaml_to_json(yaml: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => items.into_iter().map(yaml_to_json).collect(),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), yaml_to_json(v)))
                .collect(),
        ),
        // `!binary` holds base64 (VCR's choice for non-ASCII bodies).
        Y::Tagged(tagged) if tagged.tag == "binary" => {
            use base64::Engine;
            let text: String = tagged
                .value
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 in !binary");
            Value::String(String::from_utf8(bytes).expect("UTF-8 body"))
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

fn message<'a>(m: &'a HttpMessage, headers: &'a HeaderMap, media_type: MediaType) -> Message<'a> {
    Message {
        media_type,
        headers,
        body: &m.body,
    }
}

/// Whether a message carries OCCI text lines (body or headers).
fn has_occi_text(m: &HttpMessage) -> bool {
    let names = ["category", "link", "x-occi-attribute", "x-occi-location"];
    m.headers
        .iter()
        .any(|(n, _)| names.contains(&n.to_ascii_lowercase().as_str()))
        || m.body.lines().any(|l| {
            l.split_once(':')
                .is_some_and(|(n, _)| names.contains(&n.trim().to_ascii_lowercase().as_str()))
        })
}

/// Checks one exchange by what its request asks for; returns what was checked (for the count).
fn check_exchange(name: &str, ex: &Exchange) -> &'static str {
    let (method, target) = ex.request.request_target();
    let status = ex.response.status();
    // Requests: everything a client sends must parse.
    let req_headers = ex.request.header_map();
    if let Some(mt) = ex
        .request
        .media_type()
        .filter(|_| has_occi_text(&ex.request) || ex.request.body.trim_start().starts_with('{'))
    {
        let msg = message(&ex.request, &req_headers, mt);
        if target.contains("action=") {
            let action = parse_action(&msg).unwrap_or_else(|e| panic!("{name}: action: {e}"));
            assert!(
                target.contains(&format!("action={}", action.action.term)) || status == 400,
                "{name}: action {} vs {target}",
                action.action
            );
        } else if method == "POST" || method == "PUT" {
            let entity = parse_entity(&msg).unwrap_or_else(|e| panic!("{name}: request: {e}"));
            assert!(!entity.kind.term.is_empty(), "{name}");
        }
    }
    // Expected failures: the file name carries the status.
    let expected = name.rsplit('.').nth(1).and_then(|s| s.parse::<u16>().ok());
    if let Some(code) = expected {
        assert_eq!(status, code, "{name}");
        return "error";
    }
    assert!((200..300).contains(&status), "{name}: status {status}");
    let headers = ex.response.header_map();
    let Some(mt) = ex.response.media_type() else {
        // An answer without OCCI content (`OK` with text/html etc.).
        return "status";
    };
    let msg = message(&ex.response, &headers, mt);
    if ex.response.body.trim().is_empty() && !has_occi_text(&ex.response) {
        // VCR recorded no body (HEAD, or a body it did not keep): only the status is known.
        return "status";
    }
    let is_query = target.ends_with("/-/") || target.contains("/.well-known/");
    if method == "GET" && is_query && status == 200 {
        let qi = parse_query_interface(&msg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            qi.kind(&ids::infra("compute")).is_some(),
            "{name}: no compute kind"
        );
        return "query interface";
    }
    if method == "GET" && target.ends_with('/') {
        let c = parse_collection(&msg).unwrap_or_else(|e| panic!("{name}: {e}"));
        if status == 200 {
            assert!(
                !c.locations.is_empty() || !c.entities.is_empty(),
                "{name}: empty collection with 200"
            );
        }
        return "collection";
    }
    if method == "GET" && status == 200 {
        let e = parse_entity(&msg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !e.attributes.is_empty() || !e.links.is_empty(),
            "{name}: entity without attributes"
        );
        return "entity";
    }
    if method == "POST" && target.ends_with('/') && (status == 200 || status == 201) {
        let location = created_location(&ex.response, &headers, mt);
        assert!(
            location.is_some(),
            "{name}: no location in the create answer"
        );
        return "create";
    }
    "status"
}

/// Where a create answer says the new entity is: `Location`, else `X-OCCI-Location`, uri-list or
/// JSON resources — the order the driver uses.
fn created_location(m: &HttpMessage, headers: &HeaderMap, mt: MediaType) -> Option<String> {
    if let Some(l) = m.header("location") {
        return Some(l.to_owned());
    }
    let c = parse_collection(&message(m, headers, mt)).ok()?;
    c.locations.into_iter().next().or_else(|| {
        c.entities
            .into_iter()
            .find_map(|e| e.location.clone().or_else(|| e.id()))
    })
}

// --- the walker --------------------------------------------------------------------------------

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

// --- quirks, one by one ------------------------------------------------------------------------

/// The answer of a captured exchange, parsed by `f`.
pub(crate) fn captured<T>(rel: &str, f: impl Fn(&Message<'_>) -> Result<T, ParseError>) -> T {
    let ex = parse_transcript(&read(rel));
    let headers = ex.response.header_map();
    let mt = ex.response.media_type().expect("an OCCI media type");
    f(&message(&ex.response, &headers, mt)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn captured_request<T>(rel: &str, f: impl Fn(&Message<'_>) -> Result<T, ParseError>) -> T {
    let ex = parse_transcript(&read(rel));
    let headers = ex.request.header_map();
    let mt = ex.request.media_type().expect("an OCCI media type");
    f(&message(&ex.request, &headers, mt)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn rocci4_space_separated_inline_link_attributes_are_all_read() {
    let e = parse_text_entity(&read("rocci-core-1.1/occi_compute_rocci_server.txt"));
    let storage = e
        .links
        .iter()
        .find(|l| l.names(&ids::infra("storage")))
        .expect("a storage link");
    assert_eq!(
        storage.target,
        "/storage/e60aa2b8-0c86-5973-b93e-30c5c46d6eac"
    );
    assert_eq!(
        storage.self_location.as_deref(),
        Some("/storagelink/b2f7f1de-c60c-5b08-879c-81f52429c4ef")
    );
    assert_eq!(
        storage
            .attributes
            .text("occi.storagelink.deviceid")
            .as_deref(),
        Some("xvda")
    );
    assert_eq!(
        storage.attributes.text("occi.core.title").as_deref(),
        Some("monitoring")
    );
    assert_eq!(
        storage
            .attributes
            .text("org.opennebula.storagelink.driver")
            .as_deref(),
        Some("tap2:tapdisk:aio:")
    );
    assert_eq!(e.mixins.len(), 1, "the opennebula compute mixin");
}

#[test]
fn ooi_inline_link_url_is_the_link_and_the_target_comes_from_its_attribute() {
    for rel in [
        "captured/ooi-1.2.0/07-get-compute-with-links.text-plain.http",
        "captured/ooi-1.2.0/08-get-compute-with-links.text-occi.http",
        "captured/ooi-1.2.0/09-get-compute-with-links.occi-json.http",
    ] {
        let e = captured(rel, parse_entity);
        let storage: Vec<_> = e
            .links
            .iter()
            .filter(|l| l.names(&ids::infra("storagelink")))
            .collect();
        assert_eq!(storage.len(), 2, "{rel}");
        assert_eq!(
            storage[0].target, "http://127.0.0.1:18787/storage/62afb30cd2af4a9fae7d62a0f762ed00",
            "{rel}"
        );
        assert_eq!(
            storage[0].id().as_deref(),
            Some("71c68af8887a452288ac2898b966596f_62afb30cd2af4a9fae7d62a0f762ed00"),
            "{rel}"
        );
        assert_eq!(
            storage[0]
                .attributes
                .text("occi.storagelink.deviceid")
                .as_deref(),
            Some("/dev/vdb")
        );
        assert_eq!(e.actions.len(), 5, "{rel}: start stop restart suspend save");
        assert!(e.offers(&ids::compute_action("restart")), "{rel}");
        assert_eq!(
            e.attributes.number("occi.compute.memory"),
            Some(256.0),
            "{rel}: MB"
        );
        let ips: Vec<_> = e
            .links
            .iter()
            .filter_map(|l| l.attributes.text("occi.networkinterface.address"))
            .collect();
        assert_eq!(ips, ["192.168.253.1", "192.168.253.1"], "{rel}");
    }
}

#[test]
fn ooi_flavour_term_as_json_number_and_defaults_are_read() {
    let qi = captured(
        "captured/ooi-1.2.0/03-query-interface.occi-json.http",
        parse_query_interface,
    );
    let flavour = qi
        .get(&CategoryId::new(
            "http://schemas.openstack.org/template/resource#",
            "1",
        ))
        .expect("flavour 1");
    assert_eq!(flavour.title.as_deref(), Some("Flavor: foo"));
    assert!(flavour.is_related_to(&ids::infra("resource_tpl")));
    let cores = flavour
        .attribute("occi.compute.cores")
        .and_then(|a| a.default.clone());
    assert_eq!(cores.and_then(|v| v.as_f64()), Some(2.0));
    let sizes = qi.mixins_related_to(&ids::infra("resource_tpl")).count();
    let text_qi = captured(
        "captured/ooi-1.2.0/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    assert_eq!(
        text_qi
            .mixins_related_to(&ids::infra("resource_tpl"))
            .count(),
        sizes
    );
}

#[test]
fn pyssf_pre_standard_json_with_muttable_flags_is_recognised_and_read() {
    let ex = parse_transcript(&read(
        "captured/pyssf-0.4.7/03-query-interface.occi-json.http",
    ));
    assert_eq!(
        json_dialect(&ex.response.body),
        Some(JsonDialect::PreStandard)
    );
    let qi = captured(
        "captured/pyssf-0.4.7/03-query-interface.occi-json.http",
        parse_query_interface,
    );
    let compute = qi.kind(&ids::infra("compute")).expect("compute is a kind");
    let state = compute.attribute("occi.compute.state").expect("state");
    assert!(!state.mutable);
    assert!(
        compute
            .attribute("occi.compute.cores")
            .is_some_and(|a| a.mutable)
    );
    let stop = qi.get(&ids::compute_action("stop")).expect("stop");
    assert_eq!(stop.class, CategoryClass::Action);
    let e = captured(
        "captured/pyssf-0.4.7/16-get-compute-with-storagelink.occi-json.http",
        parse_entity,
    );
    assert_eq!(e.kind, ids::infra("compute"));
    assert_eq!(
        e.links[0].target,
        "/storage/1bc77c21-39f4-4415-8692-b80d0f247526"
    );
    let gfd = parse_transcript(&read(
        "captured/ooi-1.2.0/03-query-interface.occi-json.http",
    ));
    assert_eq!(json_dialect(&gfd.response.body), Some(JsonDialect::Gfd226));
}

#[test]
fn rocci4_nested_json_attributes_are_flattened() {
    let text = read("rocci-core-1.1/legacy-json-compute-with-links.json");
    let e = json_message(&text, parse_entity);
    assert_eq!(e.attributes.number("occi.compute.memory"), Some(256.0));
    assert_eq!(
        e.id().as_deref(),
        Some("34c88188-d31a-11e1-a11a-a4b197fffef4")
    );
    assert_eq!(
        e.links[0].target,
        "/storage/34c88188-d31a-11e1-a11a-a4b197fffef3"
    );
}

#[test]
fn numbers_rendered_as_strings_read_as_numbers() {
    let e = captured(
        "captured/pyssf-0.4.7/06-get-compute.text-plain.http",
        parse_entity,
    );
    assert!(matches!(
        e.attributes.get("occi.compute.cores"),
        Some(AttributeValue::String(_))
    ));
    assert_eq!(e.attributes.number("occi.compute.cores"), Some(2.0));
    // pyssf renders occi.core.id as a path.
    assert!(e.id().is_some_and(|id| id.starts_with("/compute/")));
}

#[test]
fn occi_py_draft_attribute_names_are_understood() {
    let link = captured_request(
        "captured/occi-py-0.6/08-create-storagelink.http",
        parse_entity,
    );
    assert_eq!(link.kind, ids::infra("storagelink"));
    assert_eq!(
        link.source().as_deref(),
        Some("/compute/3c913bb8-c2de-4158-83b9-b1bd27bba51b")
    );
    assert_eq!(
        link.target().as_deref(),
        Some("/storage/3be5bcba-705c-43ff-8fb0-7bd5775620ba")
    );
    let qi = captured(
        "captured/occi-py-0.6/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let core_link = qi
        .kind(&CategoryId::new(ids::CORE, "link"))
        .expect("link kind");
    let names: Vec<_> = core_link
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["source", "target"]);
}

#[test]
fn text_occi_comma_joined_and_any_header_casing() {
    let joined = captured(
        "captured/pyssf-0.4.7/02-query-interface.text-occi.http",
        parse_query_interface,
    );
    let lines = captured(
        "captured/pyssf-0.4.7/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    assert_eq!(
        joined, lines,
        "one comma-joined header = one line per category"
    );
    let e = captured(
        "captured/occi-py-0.6/11-get-compute-with-storagelink.text-occi.http",
        parse_entity,
    );
    assert_eq!(
        e.attributes.number("occi.compute.cores"),
        Some(2.0),
        "X-Occi-Attribute casing"
    );
    assert_eq!(e.attributes.len(), 5);
    assert_eq!(e.links.len(), 1);
    assert_eq!(e.actions, [ids::compute_action("stop")]);
    let plain = captured(
        "captured/occi-py-0.6/10-get-compute-with-storagelink.text-plain.http",
        parse_entity,
    );
    assert_eq!(e.attributes, plain.attributes);
    assert_eq!(e.links, plain.links);
}

#[test]
fn uri_list_comment_lines_are_skipped() {
    let c = captured(
        "captured/pyssf-0.4.7/20-list-compute.uri-list.http",
        parse_collection,
    );
    assert_eq!(c.locations.len(), 3);
    assert!(
        c.locations
            .iter()
            .all(|l| l.starts_with("http://127.0.0.1:18888/compute/"))
    );
    let text = captured(
        "captured/pyssf-0.4.7/18-list-compute.text-plain.http",
        parse_collection,
    );
    let occi = captured(
        "captured/pyssf-0.4.7/19-list-compute.text-occi.http",
        parse_collection,
    );
    assert_eq!(text.locations.len(), 3);
    assert_eq!(text, occi);
}

#[test]
fn empty_collection_answered_204_is_empty() {
    let c = captured(
        "captured/ooi-1.2.0/20-list-storagelink-empty.204.http",
        parse_collection,
    );
    assert!(c.locations.is_empty() && c.entities.is_empty());
}

#[test]
fn literal_backslash_n_between_lines_splits_them() {
    let e = parse_text_entity(&read("rocci-core-1.1/occi_resource_w_attributes.txt"));
    assert_eq!(e.kind, ids::infra("compute"));
    assert!(e.mixins.contains(&CategoryId::new(
        "http://opennebula.org/occi/infrastructure#",
        "compute"
    )));
    assert_eq!(e.mixins.len(), 3);
}

#[test]
fn quoted_titles_keep_separators() {
    let qi = parse_text_qi(&read("rocci-core-1.1/occi_categories.txt"));
    let first = &qi.categories[0];
    assert_eq!(first.title.as_deref(), Some("aA1!§$%&/()=?`´ß+*#-_.:,;<>"));
    assert_eq!(first.location.as_deref(), Some("/a1-A/"));
    assert_eq!(first.actions.len(), 2);
    assert_eq!(first.attributes.len(), 2);
}

#[test]
fn create_answers_of_every_style_yield_a_location() {
    let rows = [
        (
            "captured/pyssf-0.4.7/04-create-compute.text-occi.http",
            "http://127.0.0.1:18888/compute/",
        ),
        (
            "captured/occi-py-0.6/03-create-compute.text-occi.http",
            "http://127.0.0.1:18000/compute/",
        ),
        (
            "captured/ooi-1.2.0/10-create-compute.text-occi.http",
            "http://127.0.0.1:18787/compute/",
        ),
        ("captured/ooi-1.2.0/11-create-compute.occi-json.http", ""),
        (
            "captured/ooi-1.2.0/23-create-storagelink.text-occi.http",
            "http://127.0.0.1:18787/storagelink/",
        ),
    ];
    for (rel, prefix) in rows {
        let ex = parse_transcript(&read(rel));
        let headers = ex.response.header_map();
        let mt = ex.response.media_type().expect("media type");
        let location = created_location(&ex.response, &headers, mt).expect(rel);
        assert!(
            location.starts_with(prefix) && !location.is_empty(),
            "{rel}: {location}"
        );
    }
}

/// What the simulator renders must read back the same, in every rendering.
#[test]
fn renderings_round_trip() {
    let qi = captured(
        "captured/ooi-1.2.0/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let entity = captured(
        "captured/ooi-1.2.0/07-get-compute-with-links.text-plain.http",
        parse_entity,
    );
    let action = ActionInvocation {
        action: ids::compute_action("stop"),
        attributes: [("method", "graceful")].into_iter().collect(),
    };
    let collection = Collection {
        locations: vec!["/compute/1".into(), "http://h/compute/2".into()],
        entities: Vec::new(),
    };
    for mt in [
        MediaType::TextPlain,
        MediaType::TextOcci,
        MediaType::OcciJson,
    ] {
        let parse_back = |r: &Rendered| (r.header_map(), r.body.clone());
        let r = render_query_interface(&qi, mt);
        let (h, b) = parse_back(&r);
        let back = parse_query_interface(&Message {
            media_type: mt,
            headers: &h,
            body: &b,
        })
        .expect("qi");
        assert_eq!(back.categories.len(), qi.categories.len(), "{mt:?}");
        for (a, b) in qi.categories.iter().zip(&back.categories) {
            assert_eq!(
                (&a.id, a.class, &a.location),
                (&b.id, b.class, &b.location),
                "{mt:?}"
            );
            assert_eq!(
                a.related().collect::<Vec<_>>(),
                b.related().collect::<Vec<_>>(),
                "{mt:?}"
            );
        }
        let r = render_entity(&entity, mt);
        let (h, b) = parse_back(&r);
        let back = parse_entity(&Message {
            media_type: mt,
            headers: &h,
            body: &b,
        })
        .expect("entity");
        assert_eq!(back.kind, entity.kind, "{mt:?}");
        assert_eq!(back.mixins, entity.mixins, "{mt:?}");
        assert_eq!(back.actions, entity.actions, "{mt:?}");
        assert_eq!(
            back.attributes.text("occi.core.title"),
            entity.attributes.text("occi.core.title")
        );
        assert_eq!(
            back.attributes.number("occi.compute.cores"),
            Some(2.0),
            "{mt:?}"
        );
        let targets = |e: &Entity| {
            e.links
                .iter()
                .map(|l| (l.target.clone(), l.id()))
                .collect::<Vec<_>>()
        };
        assert_eq!(targets(&back), targets(&entity), "{mt:?}");
        let r = render_action(&action, mt);
        let (h, b) = parse_back(&r);
        assert_eq!(
            parse_action(&Message {
                media_type: mt,
                headers: &h,
                body: &b
            })
            .expect("action"),
            action
        );
        let r = render_collection(&collection, mt);
        let (h, b) = parse_back(&r);
        assert_eq!(
            parse_collection(&Message {
                media_type: mt,
                headers: &h,
                body: &b
            })
            .expect("collection")
            .locations,
            collection.locations,
            "{mt:?}"
        );
    }
}
