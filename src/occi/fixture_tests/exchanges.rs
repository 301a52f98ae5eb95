//! Recorded HTTP exchanges (captured transcripts and VCR cassettes) read into requests and
//! answers, and each checked through the protocol module by what it holds.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::*;

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

pub(super) fn parse_http_message(text: &str) -> HttpMessage {
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
pub(super) fn parse_cassette(text: &str) -> Vec<Exchange> {
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
pub(super) fn yaml_to_json(yaml: serde_yaml_ng::Value) -> Value {
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

pub(super) fn message<'a>(
    m: &'a HttpMessage,
    headers: &'a HeaderMap,
    media_type: MediaType,
) -> Message<'a> {
    Message {
        media_type,
        headers,
        body: &m.body,
    }
}

/// Whether a message carries OCCI text lines (body or headers).
pub(super) fn has_occi_text(m: &HttpMessage) -> bool {
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
pub(super) fn check_exchange(name: &str, ex: &Exchange) -> &'static str {
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
pub(super) fn created_location(
    m: &HttpMessage,
    headers: &HeaderMap,
    mt: MediaType,
) -> Option<String> {
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

/// The answer of a captured exchange, parsed by `f`.
pub(crate) fn captured<T>(rel: &str, f: impl Fn(&Message<'_>) -> Result<T, ParseError>) -> T {
    let ex = parse_transcript(&read(rel));
    let headers = ex.response.header_map();
    let mt = ex.response.media_type().expect("an OCCI media type");
    f(&message(&ex.response, &headers, mt)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub(super) fn captured_request<T>(
    rel: &str,
    f: impl Fn(&Message<'_>) -> Result<T, ParseError>,
) -> T {
    let ex = parse_transcript(&read(rel));
    let headers = ex.request.header_map();
    let mt = ex.request.media_type().expect("an OCCI media type");
    f(&message(&ex.request, &headers, mt)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}
