//! The OCCI simulator against real servers: the requests of the captured exchanges (pyssf 0.4.7,
//! ooi 1.2.0), of the rOCCI-api cassettes (text/plain and occi+json) and of GWDG's rOCCI 3
//! discovery (application/json) are replayed, in order, against the simulator in
//! the matching profile, and its answers are compared with the recorded ones by shape: status,
//! content type, `Server`, which location headers are present, and for renderings the kind,
//! the set of attribute names, the inline link kinds and the implemented actions (query
//! interface: kinds, actions and templates). Ids differ, so captured ids are mapped to the
//! simulator's as entities are created; entities the recorded server already had are created
//! in the simulator first ("materialised") from the recorded rendering.
//!
//! Exchanges whose behaviour the simulator deliberately does not reproduce are listed in
//! [`NOT_REPRODUCED`] with the reason; the test fails if one of them starts to match (the list
//! must stay true) or if anything else differs.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use cloudgw::occi::{self, CategoryClass, CategoryId, Entity, MediaType, Message, QueryInterface};
use cloudgw::sim::occi::{Catalog, Profile, RunningSimulator, SimAuth, SimOptions, spawn};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/occi");

/// Recorded exchanges the simulator answers differently on purpose.
const NOT_REPRODUCED: &[(&str, &str)] = &[
    (
        "pyssf-0.4.7/03-query-interface.occi-json.http",
        "pyssf's own pre-standard JSON is not rendered: the pyssf profile speaks OCCI 1.1 text only (406)",
    ),
    (
        "pyssf-0.4.7/16-get-compute-with-storagelink.occi-json.http",
        "pyssf's own pre-standard JSON is not rendered: the pyssf profile speaks OCCI 1.1 text only (406)",
    ),
    (
        "pyssf-0.4.7/06-get-compute.text-plain.http",
        "pyssf's dummy backend leaves a new compute inactive until `start`; the simulator provisions it to active (after provision_delay) like the clouds the gateway manages",
    ),
    (
        "pyssf-0.4.7/07-get-compute.text-occi.http",
        "pyssf's dummy backend leaves a new compute inactive until `start` (see 06)",
    ),
    (
        "pyssf-0.4.7/08-action-start.http",
        "the compute is already active in the simulator (see 06), so `start` does not apply (400)",
    ),
    (
        "pyssf-0.4.7/17-create-compute-inline-storagelink.http",
        "pyssf attaches a storage that is attached to another compute again; the simulator refuses (400, pyssf's not-applicable answer)",
    ),
    (
        "text-plain/describes_network_resources.yml#8",
        "the simulated networks carry the ipnetwork mixin's occi.network.address; this OpenNebula network had none",
    ),
    (
        "text-plain/describes_network_resources.yml#9",
        "the simulated networks carry the ipnetwork mixin's occi.network.address; this OpenNebula network had none",
    ),
    (
        "text-plain/describes_network_resources.yml#10",
        "the simulated networks carry the ipnetwork mixin's occi.network.address; this OpenNebula network had none",
    ),
    (
        "ooi-1.2.0/20-list-storagelink-empty.204.http",
        "recorded for another project (X-Project-Id) that had no links; the simulator keeps one account, whose links 19 listed",
    ),
    (
        "ooi-1.2.0/23-create-storagelink.text-occi.http",
        "ooi's fake Nova attaches an already attached volume again; the simulator refuses (409) as a real cloud does",
    ),
    (
        "ooi-1.2.0/24-create-storagelink.occi-json.400.http",
        "ooi 1.2.0 fails to read GFD.226 link sources/targets given as paths (a bug); the simulator reads them",
    ),
    (
        "text-plain/triggers_an_action_with_return_mixin.yml#2",
        "the `save` action (image snapshot) is not simulated (400)",
    ),
];

/// One recorded request and answer.
#[derive(Debug, Clone)]
struct Exchange {
    name: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
    status: u16,
    response_headers: Vec<(String, String)>,
    response_body: String,
}

impl Exchange {
    fn response_header(&self, name: &str) -> Option<&str> {
        header_in(&self.response_headers, name)
    }
}

fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(FIXTURES).join(rel)
}

fn read(path: &Path) -> String {
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
fn parse_transcript(name: &str, text: &str) -> Exchange {
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
fn parse_cassette(name: &str, text: &str) -> Vec<Exchange> {
    parse_cassette_of(name, text, "rocci-test")
}

/// The interactions of a VCR cassette whose URI contains `server`.
fn parse_cassette_of(name: &str, text: &str, server: &str) -> Vec<Exchange> {
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
fn entity_of(headers: &[(String, String)], body: &str) -> Option<Entity> {
    parsed(headers, body, occi::parse_entity)
}

fn query_interface_of(headers: &[(String, String)], body: &str) -> Option<QueryInterface> {
    parsed(headers, body, occi::parse_query_interface)
}

/// The member locations of a recorded collection answer.
fn recorded_locations(ex: &Exchange) -> Vec<String> {
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

/// The simulator's answer.
#[derive(Debug)]
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Replays one server's exchanges against one simulator, mapping ids.
struct Replay {
    profile: Profile,
    sim: RunningSimulator,
    client: reqwest::Client,
    /// Captured base URLs (`http://127.0.0.1:18787`) to leave out of locations.
    captured_bases: Vec<String>,
    /// Captured id → simulator id.
    ids: HashMap<String, String>,
    /// Headers every request of the recorded session carried (ooi: `X-Project-Id`).
    session_headers: Vec<(String, String)>,
    /// The first recorded rendering of each captured id in the session, so an entity is
    /// materialised as it was even when a list names it first.
    renderings: HashMap<String, Entity>,
    compared: usize,
}

/// Replaces `/from` by `/to` where `from` is a whole path segment (ids such as `4` must not
/// touch `uuid_monitoring_4`).
fn replace_path_id(text: &str, from: &str, to: &str) -> String {
    let needle = format!("/{from}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let whole = after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'));
        out.push_str(&rest[..i]);
        if whole {
            out.push('/');
            out.push_str(to);
        } else {
            out.push_str(&needle);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The collection and id of a path (`/compute/1` → ("compute", "1")); links below `/storage/`
/// or `/link/` keep their two-segment collection.
fn collection_and_id(location: &str) -> Option<(String, String)> {
    let path = match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    };
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    let (collection, id) = path.rsplit_once('/')?;
    let collection = collection.trim_start_matches('/');
    let known = [
        "compute",
        "storage",
        "storagelink",
        "storage/link",
        "link/storagelink",
        "networklink",
        "network",
    ];
    (known.contains(&collection) && !id.is_empty()).then(|| (collection.to_owned(), id.to_owned()))
}

impl Replay {
    async fn start(
        profile: Profile,
        auth: SimAuth,
        captured_bases: &[&str],
        session_headers: &[(&str, &str)],
    ) -> Replay {
        let options = SimOptions {
            auth,
            power_delay: std::time::Duration::ZERO,
            ..SimOptions::new(profile)
        };
        let sim = spawn(options, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Replay {
            profile,
            sim,
            client: reqwest::Client::new(),
            captured_bases: captured_bases.iter().map(|b| (*b).to_owned()).collect(),
            ids: HashMap::new(),
            session_headers: session_headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            renderings: HashMap::new(),
            compared: 0,
        }
    }

    /// Captured text with captured bases and ids replaced by the simulator's.
    fn to_sim(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for base in &self.captured_bases {
            out = out.replace(base, &self.sim.endpoint());
        }
        let mut pairs: Vec<(&String, &String)> = self.ids.iter().collect();
        pairs.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        for (captured, sim) in pairs {
            out = replace_path_id(&out, captured, sim);
        }
        out
    }

    /// Simulator text with the simulator's ids put back to the captured ones.
    fn to_captured(&self, text: &str, base: &str) -> String {
        let mut out = text.replace(&self.sim.endpoint(), base);
        let mut pairs: Vec<(&String, &String)> = self.ids.iter().collect();
        pairs.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        for (captured, sim) in pairs {
            out = replace_path_id(&out, sim, captured);
        }
        out
    }

    async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Got {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self
            .client
            .request(method, format!("{}{target}", self.sim.endpoint()));
        for (n, v) in headers {
            if ["host", "content-length", "user-agent"].contains(&n.to_ascii_lowercase().as_str()) {
                continue;
            }
            req = req.header(n.as_str(), self.to_sim(v));
        }
        let answer = req
            .body(self.to_sim(body))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        Got {
            status,
            headers,
            body: answer.text().await.unwrap_or_default(),
        }
    }

    /// The location of a create answer.
    fn created_location(headers: &[(String, String)], body: &str) -> Option<String> {
        header_in(headers, "location")
            .map(str::to_owned)
            .or_else(|| header_in(headers, "x-occi-location").map(str::to_owned))
            .or_else(|| {
                body.lines()
                    .find_map(|l| l.strip_prefix("X-OCCI-Location:"))
                    .map(|l| l.trim().to_owned())
            })
            .or_else(|| {
                entity_of(headers, body).and_then(|e| e.location.clone().or_else(|| e.id()))
            })
    }

    /// Creates in the simulator what a recorded exchange refers to that the recorded server
    /// already had: the entity at the request path (with a compute's storage links, in the
    /// recorded state), or the members of a recorded collection.
    async fn materialise_for(&mut self, ex: &Exchange, path: &str) {
        let recorded = entity_of(&ex.response_headers, &ex.response_body);
        let Some((collection, id)) = collection_and_id(path) else {
            for location in recorded_locations(ex) {
                if let Some((c, id)) = collection_and_id(&location) {
                    self.materialise(&c, &id, None).await;
                }
            }
            return;
        };
        let fresh = self.materialise(&collection, &id, recorded.as_ref()).await;
        if collection == "compute"
            && let Some(r) = &recorded
        {
            self.materialise_links(&id, r).await;
        }
        let action = ex.target.split("action=").nth(1);
        if fresh && let Some(action) = action {
            // The recorded entity was in a state where the action applied.
            let before = match action {
                "start" => Some(("stop", occi::ids::COMPUTE_ACTION)),
                "online" => Some(("offline", occi::ids::STORAGE_ACTION)),
                _ => None,
            };
            if let Some((term, scheme)) = before {
                self.act(&collection, &id, term, scheme).await;
            }
        }
    }

    /// Creates one entity unless it is mapped already; returns whether it created one.
    async fn materialise(&mut self, collection: &str, id: &str, recorded: Option<&Entity>) -> bool {
        if self.ids.contains_key(id) {
            return false;
        }
        let known = self.renderings.get(id).cloned();
        let recorded = recorded.or(known.as_ref());
        let sim_id = match collection {
            "compute" => self.create_compute(recorded).await,
            "storage" => self.create_storage().await,
            "network" => {
                // The simulator's networks are fixed: recorded ones take turns mapping to them.
                let networks = cloudgw::sim::occi::catalog(self.profile).networks;
                let mapped = networks
                    .iter()
                    .filter(|n| self.ids.values().any(|v| v == n.id))
                    .count();
                networks[mapped % networks.len()].id.to_owned()
            }
            "storagelink" | "storage/link" | "link/storagelink" => {
                // The recorded ends, else ooi's `<server>_<volume>` naming.
                let ends = recorded
                    .and_then(|e| Some((e.source()?, e.target()?)))
                    .and_then(|(s, t)| Some((collection_and_id(&s)?.1, collection_and_id(&t)?.1)))
                    .or_else(|| {
                        id.split_once('_')
                            .map(|(a, b)| (a.to_owned(), b.to_owned()))
                    });
                let Some((compute, storage)) = ends else {
                    return false;
                };
                Box::pin(self.materialise("compute", &compute, None)).await;
                Box::pin(self.materialise("storage", &storage, None)).await;
                self.create_link(&compute, &storage).await
            }
            _ => return false,
        };
        self.ids.insert(id.to_owned(), sim_id);
        true
    }

    /// Creates the storage links of a recorded compute rendering that the simulator lacks.
    async fn materialise_links(&mut self, compute: &str, recorded: &Entity) {
        for link in &recorded.links {
            let Some((_, storage)) = collection_and_id(&link.target) else {
                continue;
            };
            // pyssf's ids are paths: the map holds last segments.
            let link_id = link
                .id()
                .as_deref()
                .and_then(occi::last_segment)
                .unwrap_or_default()
                .to_owned();
            if !link.rel.iter().any(|r| r.term == "storage") || self.ids.contains_key(&link_id) {
                continue;
            }
            self.materialise("storage", &storage, None).await;
            let sim_link = self.create_link(compute, &storage).await;
            self.ids.insert(link_id, sim_link);
        }
    }

    async fn act(&self, collection: &str, id: &str, term: &str, scheme: &str) {
        let category = format!("{term}; scheme=\"{scheme}\"; class=\"action\"");
        let path = format!("/{collection}/{}?action={term}", self.ids[id]);
        let got = self
            .send("POST", &path, &self.text_headers(category, ""), "")
            .await;
        assert!(got.status < 300, "{path}: {got:?}");
    }

    fn sim_id_of(got: &Got) -> String {
        let location = Replay::created_location(&got.headers, &got.body)
            .unwrap_or_else(|| panic!("no location in {got:?}"));
        occi::last_segment(&location).unwrap_or_default().to_owned()
    }

    fn text_headers(&self, category: String, attributes: &str) -> Vec<(String, String)> {
        let mut headers = self.session_headers.clone();
        headers.push(("Content-Type".to_owned(), "text/occi".to_owned()));
        headers.push(("Category".to_owned(), category));
        if !attributes.is_empty() {
            headers.push(("X-OCCI-Attribute".to_owned(), attributes.to_owned()));
        }
        headers
    }

    /// A compute with the recorded rendering's templates (where the catalog has them), in its
    /// recorded state.
    async fn create_compute(&self, recorded: Option<&Entity>) -> String {
        let catalog = cloudgw::sim::occi::catalog(self.profile);
        let recorded_term = |scheme: &str| {
            recorded.and_then(|e| {
                e.mixins
                    .iter()
                    .find(|m| m.scheme == scheme)
                    .map(|m| m.term.clone())
            })
        };
        let os = recorded_term(catalog.os_scheme)
            .filter(|t| catalog.os_template(t).is_some())
            .unwrap_or_else(|| catalog.os_templates[0].term.to_owned());
        let size = recorded_term(catalog.resource_scheme)
            .filter(|t| catalog.resource_template(t).is_some())
            .unwrap_or_else(|| catalog.resource_templates[0].term.to_owned());
        let category = format!(
            "compute; scheme=\"{}\"; class=\"kind\", {os}; scheme=\"{}\"; class=\"mixin\", {size}; scheme=\"{}\"; class=\"mixin\"",
            occi::ids::INFRA,
            catalog.os_scheme,
            catalog.resource_scheme,
        );
        let got = self
            .send(
                "POST",
                "/compute/",
                &self.text_headers(category, "occi.core.title=\"recorded\""),
                "",
            )
            .await;
        assert!(got.status < 300, "{got:?}");
        let sim_id = Replay::sim_id_of(&got);
        let state = recorded.and_then(|e| e.attributes.text("occi.compute.state"));
        let to = match state.as_deref() {
            Some("inactive") => Some("stop"),
            Some("suspended") => Some("suspend"),
            _ => None,
        };
        if let Some(term) = to {
            let category = format!(
                "{term}; scheme=\"{}\"; class=\"action\"",
                occi::ids::COMPUTE_ACTION
            );
            let path = format!("/compute/{sim_id}?action={term}");
            let got = self
                .send("POST", &path, &self.text_headers(category, ""), "")
                .await;
            assert!(got.status < 300, "{path}: {got:?}");
        }
        sim_id
    }

    async fn create_storage(&self) -> String {
        let category = format!("storage; scheme=\"{}\"; class=\"kind\"", occi::ids::INFRA);
        let got = self
            .send(
                "POST",
                "/storage/",
                &self.text_headers(category, "occi.storage.size=1"),
                "",
            )
            .await;
        assert!(got.status < 300, "{got:?}");
        Replay::sim_id_of(&got)
    }

    async fn create_link(&self, compute: &str, storage: &str) -> String {
        let category = format!(
            "storagelink; scheme=\"{}\"; class=\"kind\"",
            occi::ids::INFRA
        );
        let attrs = format!(
            "occi.core.source=\"/compute/{}\", occi.core.target=\"/storage/{}\"",
            self.ids[compute], self.ids[storage]
        );
        let got = self
            .send(
                "POST",
                &self.link_collection(),
                &self.text_headers(category, &attrs),
                "",
            )
            .await;
        assert!(got.status < 300, "{got:?}");
        Replay::sim_id_of(&got)
    }

    fn link_collection(&self) -> String {
        match self.profile {
            Profile::Rocci => "/link/storagelink/",
            Profile::Ooi => "/storagelink/",
            Profile::Pyssf => "/storage/link/",
        }
        .to_owned()
    }

    /// Replays one exchange; returns the differences.
    async fn replay(&mut self, ex: &Exchange) -> Vec<String> {
        let path = ex.target.split('?').next().unwrap_or(&ex.target).to_owned();
        let is_create = ex.method == "POST" && path.ends_with('/') && !path.ends_with("/-/");
        if ex.status < 300 && !is_create && path != "/-/" {
            self.materialise_for(ex, &path).await;
        }
        let got = self
            .send(&ex.method, &self.to_sim(&ex.target), &ex.headers, &ex.body)
            .await;
        if is_create && got.status < 300 && ex.status < 300 {
            let recorded = Replay::created_location(&ex.response_headers, &ex.response_body);
            if let Some(recorded) = recorded.as_deref().and_then(occi::last_segment) {
                self.ids
                    .insert(recorded.to_owned(), Replay::sim_id_of(&got));
            }
        }
        self.compared += 1;
        self.compare(ex, &got)
    }

    fn compare(&self, ex: &Exchange, got: &Got) -> Vec<String> {
        let mut diffs = Vec::new();
        let mut differ = |what: &str, want: String, have: String| {
            if want != have {
                diffs.push(format!("{what}: recorded {want}, simulator {have}"));
            }
        };
        if ex.status != got.status {
            differ(
                "status",
                ex.status.to_string(),
                format!("{} ({})", got.status, got.body.trim()),
            );
        }
        let essence = |h: &[(String, String)]| {
            header_in(h, "content-type").map(|c| {
                c.split([';', ','])
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
        };
        if let Some(want) = essence(&ex.response_headers) {
            differ(
                "content type",
                want,
                essence(&got.headers).unwrap_or_default(),
            );
        }
        if let Some(server) = ex.response_header("server") {
            let have = header_in(&got.headers, "server").unwrap_or_default();
            if !have.starts_with(server) {
                differ("Server", server.to_owned(), have.to_owned());
            }
        }
        for name in ["location", "www-authenticate"] {
            differ(
                &format!("{name} present"),
                ex.response_header(name).is_some().to_string(),
                header_in(&got.headers, name).is_some().to_string(),
            );
        }
        let says_location = |h: &[(String, String)], b: &str| {
            header_in(h, "x-occi-location").is_some() || b.contains("X-OCCI-Location:")
        };
        differ(
            "X-OCCI-Location present",
            says_location(&ex.response_headers, &ex.response_body).to_string(),
            says_location(&got.headers, &got.body).to_string(),
        );
        if ex.status >= 400 && got.status == ex.status {
            let base = self.captured_bases.first().cloned().unwrap_or_default();
            differ(
                "error body",
                ex.response_body.trim().to_owned(),
                self.to_captured(got.body.trim(), &base),
            );
        } else if ex.target.starts_with("/-/") {
            diffs.extend(compare_query_interfaces(ex, got));
        } else if ex.status < 300
            && ex.method == "GET"
            && collection_and_id(&ex.target).is_some()
            && let Some(catalog) = Some(cloudgw::sim::occi::catalog(self.profile))
        {
            // Create and action answers are compared by status, type and locations only.
            diffs.extend(compare_entities(ex, got, catalog));
        }
        diffs
    }
}

/// The compute and storage actions the simulator implements.
fn implemented_action(id: &CategoryId) -> bool {
    let compute = ["start", "stop", "restart", "suspend"];
    let storage = ["online", "offline"];
    (id.scheme == occi::ids::COMPUTE_ACTION && compute.contains(&id.term.as_str()))
        || (id.scheme == occi::ids::STORAGE_ACTION && storage.contains(&id.term.as_str()))
}

fn compare_entities(ex: &Exchange, got: &Got, catalog: &Catalog) -> Vec<String> {
    let Some(want) = entity_of(&ex.response_headers, &ex.response_body) else {
        return Vec::new();
    };
    let Some(have) = entity_of(&got.headers, &got.body) else {
        return vec![format!("no entity in the simulator's answer: {}", got.body)];
    };
    let mut diffs = Vec::new();
    let names = |e: &Entity| -> BTreeSet<String> {
        e.attributes
            .iter()
            .map(|(n, _)| n.to_owned())
            // OGF attributes only: `org.opennebula.*` and the like belong to the backend.
            // `occi.core.summary` is optional free text, rendered by some rOCCI backends only.
            .filter(|n| n.starts_with("occi.") && n != "occi.compute.state.message")
            .filter(|n| n != "occi.core.summary")
            .collect()
    };
    let link_kinds = |e: &Entity| -> BTreeSet<String> {
        e.links
            .iter()
            .filter_map(|l| l.kind().map(|k| k.term.clone()))
            .collect()
    };
    let actions = |e: &Entity| -> BTreeSet<String> {
        e.actions
            .iter()
            .filter(|a| implemented_action(a))
            .map(|a| a.term.clone())
            .collect()
    };
    // pyssf's dummy backend has no networking; the simulator gives every compute interfaces,
    // so a recorded rendering's link kinds must be among the simulator's.
    if !link_kinds(&want).is_subset(&link_kinds(&have)) {
        diffs.push(format!(
            "inline link kinds: recorded {:?}, simulator {:?}",
            link_kinds(&want),
            link_kinds(&have)
        ));
    }
    let templates = |e: &Entity| -> BTreeSet<String> {
        e.mixins
            .iter()
            .filter(|m| m.scheme == catalog.os_scheme || m.scheme == catalog.resource_scheme)
            .map(CategoryId::type_id)
            .collect()
    };
    // rOCCI-server 1.x rendered no action links at all; where one is rendered, the
    // implemented ones must match.
    if !want.actions.is_empty() && actions(&want) != actions(&have) {
        diffs.push(format!(
            "implemented actions: recorded {:?}, simulator {:?}",
            actions(&want),
            actions(&have)
        ));
    }
    // rOCCI-server 1.x rendered no template mixins on a compute.
    if !templates(&want).is_empty() && templates(&want) != templates(&have) {
        diffs.push(format!(
            "template mixins: recorded {:?}, simulator {:?}",
            templates(&want),
            templates(&have)
        ));
    }
    for (what, w, h) in [
        (
            "kind",
            BTreeSet::from([want.kind.type_id()]),
            BTreeSet::from([have.kind.type_id()]),
        ),
        ("attribute names", names(&want), names(&have)),
    ] {
        if w != h {
            diffs.push(format!("{what}: recorded {w:?}, simulator {h:?}"));
        }
    }
    diffs
}

fn compare_query_interfaces(ex: &Exchange, got: &Got) -> Vec<String> {
    let Some(want) = query_interface_of(&ex.response_headers, &ex.response_body) else {
        return Vec::new();
    };
    let Some(have) = query_interface_of(&got.headers, &got.body) else {
        return vec![format!(
            "no query interface in the simulator's answer: {}",
            got.body
        )];
    };
    let infra = |qi: &QueryInterface, class: CategoryClass| -> BTreeSet<String> {
        qi.of_class(class)
            .filter(|c| c.id.scheme.starts_with("http://schemas.ogf.org/occi/"))
            .filter(|c| class != CategoryClass::Action || implemented_action(&c.id))
            .map(|c| c.id.type_id())
            .collect()
    };
    let templates = |qi: &QueryInterface| -> BTreeSet<String> {
        ["os_tpl", "resource_tpl"]
            .iter()
            .flat_map(|t| {
                let base = occi::ids::infra(t);
                qi.mixins_related_to(&base)
                    .map(|m| m.id.type_id())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut diffs = Vec::new();
    // Every template the recorded server offered is offered (the rOCCI cassettes were recorded
    // at different times with different images; pyssf's example backend had none, and the
    // simulator offers some so servers can be created).
    if !templates(&want).is_subset(&templates(&have)) {
        diffs.push(format!(
            "templates: recorded {:?}, simulator {:?}",
            templates(&want),
            templates(&have)
        ));
    }
    let want_kinds = infra(&want, CategoryClass::Kind);
    let have_kinds = infra(&have, CategoryClass::Kind);
    // Kinds the recorded servers had that the simulator does not serve.
    let not_simulated = [
        "http://schemas.ogf.org/occi/infrastructure#ipreservation",
        "http://schemas.ogf.org/occi/infrastructure/compute#console",
    ];
    let want_kinds: BTreeSet<String> = want_kinds
        .into_iter()
        .filter(|k| !not_simulated.contains(&k.as_str()))
        .collect();
    for (what, w, h) in [
        ("OGF kinds", want_kinds, have_kinds),
        (
            "implemented actions",
            infra(&want, CategoryClass::Action),
            infra(&have, CategoryClass::Action),
        ),
    ] {
        if w != h {
            diffs.push(format!("{what}: recorded {w:?}, simulator {h:?}"));
        }
    }
    diffs
}

/// Replays `exchanges` and asserts each matches, except the listed ones, which must differ.
async fn check(mut replay: Replay, exchanges: Vec<Exchange>, at_least: usize) {
    for ex in exchanges
        .iter()
        .filter(|ex| ex.method == "GET" && ex.status == 200)
    {
        if let Some((_, id)) = collection_and_id(&ex.target)
            && let Some(entity) = entity_of(&ex.response_headers, &ex.response_body)
        {
            replay.renderings.entry(id).or_insert(entity);
        }
    }
    let mut failures = Vec::new();
    let mut known = 0;
    for ex in &exchanges {
        let diffs = replay.replay(ex).await;
        let reason = NOT_REPRODUCED
            .iter()
            .find(|(name, _)| ex.name.ends_with(name))
            .map(|(_, r)| *r);
        match (reason, diffs.is_empty()) {
            (None, true) => {}
            (None, false) => failures.push(format!("{}:\n  {}", ex.name, diffs.join("\n  "))),
            (Some(_), false) => known += 1,
            (Some(reason), true) => failures.push(format!(
                "{} is listed as not reproduced ({reason}) but now matches: update NOT_REPRODUCED",
                ex.name
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        replay.compared - known >= at_least,
        "only {} exchanges were compared",
        replay.compared - known
    );
}

/// The files of a fixture directory in name order, each with its name as `<label>/<file>`.
fn files_in(rel: &str, label: &str) -> Vec<(String, String)> {
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

fn transcripts(dir: &str) -> Vec<Exchange> {
    files_in(&format!("captured/{dir}"), dir)
        .iter()
        .map(|(name, text)| parse_transcript(name, text))
        .collect()
}

#[tokio::test]
async fn simulator_answers_like_pyssf() {
    let replay = Replay::start(
        Profile::Pyssf,
        SimAuth::None,
        &["http://127.0.0.1:18888"],
        &[],
    )
    .await;
    check(replay, transcripts("pyssf-0.4.7"), 18).await;
}

#[tokio::test]
async fn simulator_answers_like_ooi() {
    let replay = Replay::start(
        Profile::Ooi,
        SimAuth::ProjectHeader,
        &["http://127.0.0.1:18787"],
        &[("X-Project-Id", "50f3aa5437f6461990e7663ca92f039b")],
    )
    .await;
    check(replay, transcripts("ooi-1.2.0"), 24).await;
}

#[tokio::test]
async fn simulator_answers_like_rocci_server() {
    let replay = Replay::start(
        Profile::Rocci,
        SimAuth::None,
        &["https://localhost:3300"],
        &[],
    )
    .await;
    let exchanges = files_in("rocci-api-1.1-cassettes/text-plain", "text-plain")
        .iter()
        .flat_map(|(name, text)| parse_cassette(name, text))
        .collect();
    check(replay, exchanges, 20).await;
}

/// The rOCCI-api cassettes recorded in `application/occi+json`: rOCCI-server 1.x spoke the
/// pre-standard JSON (nested attributes), the simulator GFD.226; answers are compared by shape
/// as above, both read with the protocol module's parsers.
#[tokio::test]
async fn simulator_answers_like_rocci_server_in_json() {
    let replay = Replay::start(
        Profile::Rocci,
        SimAuth::None,
        &["https://localhost:3300"],
        &[],
    )
    .await;
    // The same rOCCI-server test deployment as the text cassettes, recorded under its site's
    // scheme names; the simulator's catalogue has the text cassettes' `localhost` ones.
    let schemes = [
        (
            "http://occi.crebain2.ics.muni.cz/occi/",
            "http://localhost/occi/",
        ),
        (
            "http://sitespecific.cesnet.cz/occi/",
            "http://sitespecific.localhost/occi/",
        ),
    ];
    let rename = |text: &str| {
        schemes
            .iter()
            .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
    };
    let exchanges = files_in("rocci-api-1.1-cassettes/occi-json", "occi-json")
        .iter()
        .flat_map(|(name, text)| parse_cassette(name, text))
        .map(|mut ex| {
            ex.body = rename(&ex.body);
            ex.response_body = rename(&ex.response_body);
            for (_, v) in ex.headers.iter_mut().chain(ex.response_headers.iter_mut()) {
                *v = rename(v);
            }
            ex
        })
        .collect();
    check(replay, exchanges, 20).await;
}

/// GWDG's public rOCCI 3.x endpoint (January 2013) answering `/-/` in its pre-standard
/// `application/json`: everything but the templates must match. Its `Server` was Ubuntu's
/// Apache (the simulator answers as the cassettes' Debian one), so that header is not compared;
/// its `HEAD /` and `GET /` (rOCCI 3's own listing of everything) are not OCCI 1.1 and not
/// simulated.
#[tokio::test]
async fn simulator_answers_like_gwdg_rocci_in_json() {
    let mut replay =
        Replay::start(Profile::Rocci, SimAuth::None, &["http://141.5.99.69"], &[]).await;
    let name = "rocci-3.x-gwdg-cassettes/discovery-application-json.yml";
    let exchanges: Vec<Exchange> = parse_cassette_of(name, &read(&fixture(name)), "141.5.99.69")
        .into_iter()
        .filter(|ex| ex.method == "GET" && ex.target == "/-/")
        .map(|mut ex| {
            ex.response_headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("server"));
            // Asked for `application/json`, the simulator names GFD.226's media type (the
            // driver reads both alike).
            for (n, v) in &mut ex.response_headers {
                if n.eq_ignore_ascii_case("content-type") {
                    *v = v.replace("application/json", "application/occi+json");
                }
            }
            ex
        })
        .collect();
    assert_eq!(exchanges.len(), 2, "{exchanges:?}");
    for ex in &exchanges {
        // Status, content type, headers, OGF kinds and implemented actions match; only the
        // templates differ: GWDG's demo offered placeholders (`my_os`, scheme
        // `http://my.occi.service/`), the simulator its own catalogue.
        let diffs = replay.replay(ex).await;
        assert_eq!(diffs.len(), 1, "{}: {diffs:?}", ex.name);
        assert!(
            diffs[0].starts_with("templates:") && diffs[0].contains("os_tpl#my_os"),
            "{}: {diffs:?}",
            ex.name
        );
    }
}
