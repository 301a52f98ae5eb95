//! Recorded OCCI exchanges (captured transcripts and VCR cassettes under `tests/fixtures/occi`)
//! as one type, [`Exchange`], read the way their formats are written (the fixtures' README);
//! [`replay`] sends them to the simulator with ids mapped, [`compare`] judges the answers by
//! shape. Used by `tests/sim_occi_fixtures.rs`.

pub mod compare;
pub mod replay;

use std::path::{Path, PathBuf};

use base64::Engine;
use cloudgw::occi::{self, Entity, MediaType, Message, QueryInterface};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/occi");

/// One recorded request and answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub name: String,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
}

impl Exchange {
    pub fn response_header(&self, name: &str) -> Option<&str> {
        header_in(&self.response_headers, name)
    }
}

pub fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(FIXTURES).join(rel)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn split_head(text: &str) -> (Vec<&str>, String) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    (head.lines().collect(), body.to_owned())
}

fn header_lines(lines: &[&str]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// A `captured/` transcript (format in the fixtures' README).
pub fn parse_transcript(name: &str, text: &str) -> Exchange {
    let rest = text.trim_start_matches("### request\n");
    let (request, response) = rest
        .split_once("### response\n")
        .unwrap_or_else(|| panic!("{name}: no response part"));
    let (req_lines, req_body) = split_head(request);
    let (resp_lines, resp_body) = split_head(response);
    let mut first = req_lines[0].split_whitespace();
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let status = resp_lines[0]
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{name}: bad status line"));
    Exchange {
        name: name.to_owned(),
        method,
        target,
        headers: header_lines(&req_lines[1..]),
        body: req_body,
        status,
        response_headers: header_lines(&resp_lines[1..]),
        response_body: resp_body,
    }
}

fn yaml_text(value: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::String(s) => s.clone(),
        Y::Tagged(t) if t.tag == "binary" => {
            let b64 = t
                .value
                .as_str()
                .unwrap_or_default()
                .replace(['\n', ' '], "");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        // `! '…'`: a non-specific tag around a plain string.
        Y::Tagged(t) => yaml_text(&t.value),
        _ => String::new(),
    }
}

fn yaml_headers(value: &serde_yaml_ng::Value) -> Vec<(String, String)> {
    value
        .as_mapping()
        .into_iter()
        .flatten()
        .flat_map(|(k, v)| {
            let name = k.as_str().unwrap_or_default().to_owned();
            v.as_sequence()
                .into_iter()
                .flatten()
                .map(move |x| (name.clone(), yaml_text(x)))
        })
        .collect()
}

/// The interactions of a VCR cassette with the basic-auth rOCCI-server (`rocci-test@…`); the
/// other server some cassettes also hold is left out.
pub fn parse_cassette(name: &str, text: &str) -> Vec<Exchange> {
    parse_cassette_of(name, text, "rocci-test")
}

/// The interactions of a VCR cassette whose URI contains `server`.
pub fn parse_cassette_of(name: &str, text: &str, server: &str) -> Vec<Exchange> {
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let interactions = doc["http_interactions"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    interactions
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            let req = &x["request"];
            let resp = &x["response"];
            let uri = yaml_text(&req["uri"]);
            if !uri.contains(server) {
                return None;
            }
            let after_host = uri.splitn(4, '/').nth(3).unwrap_or_default();
            Some(Exchange {
                name: format!("{name}#{i}"),
                method: yaml_text(&req["method"]).to_ascii_uppercase(),
                target: format!("/{after_host}"),
                headers: yaml_headers(&req["headers"]),
                body: yaml_text(&req["body"]["string"]),
                status: resp["status"]["code"].as_u64().unwrap_or_default() as u16,
                response_headers: yaml_headers(&resp["headers"]),
                response_body: yaml_text(&resp["body"]["string"]),
            })
        })
        .collect()
}

fn media_of(content_type: Option<&str>) -> Option<MediaType> {
    content_type.and_then(|ct| ct.split(',').find_map(MediaType::from_content_type))
}

fn to_header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    map
}

/// Reads an answer's headers and body with `parse`, in the rendering its `Content-Type` names.
fn parsed<T>(
    headers: &[(String, String)],
    body: &str,
    parse: impl Fn(&Message<'_>) -> Result<T, occi::ParseError>,
) -> Option<T> {
    let media = media_of(header_in(headers, "content-type")).unwrap_or(MediaType::TextPlain);
    let map = to_header_map(headers);
    let msg = Message {
        media_type: media,
        headers: &map,
        body,
    };
    parse(&msg).ok()
}

/// An answer's body and headers read as an entity, when they hold one.
pub fn entity_of(headers: &[(String, String)], body: &str) -> Option<Entity> {
    parsed(headers, body, occi::parse_entity)
}

pub fn query_interface_of(headers: &[(String, String)], body: &str) -> Option<QueryInterface> {
    parsed(headers, body, occi::parse_query_interface)
}

/// The member locations of a recorded collection answer.
pub fn recorded_locations(ex: &Exchange) -> Vec<String> {
    parsed(
        &ex.response_headers,
        &ex.response_body,
        occi::parse_collection,
    )
    .map(|c| {
        c.locations
            .into_iter()
            .chain(
                c.entities
                    .iter()
                    .filter_map(|e| e.location.clone().or_else(|| e.id())),
            )
            .collect()
    })
    .unwrap_or_default()
}

/// The files of a fixture directory in name order, each with its name as `<label>/<file>`.
pub fn files_in(rel: &str, label: &str) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let file = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            (format!("{label}/{file}"), read(f))
        })
        .collect()
}
