//! One recorded server's exchanges replayed, in order, against a simulator in the matching
//! profile: captured ids are mapped to the simulator's as entities are created, and entities the
//! recorded server already had are created first ("materialised") from the recorded rendering.

use std::collections::HashMap;
use std::net::SocketAddr;

use cloudgw::occi::{self, Entity};
use cloudgw::sim::occi::{Profile, RunningSimulator, SimAuth, SimOptions, spawn};

use super::compare::{compare_entities, compare_query_interfaces};
use super::{Exchange, entity_of, header_in, recorded_locations};

/// The simulator's answer.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Replays one server's exchanges against one simulator, mapping ids.
pub struct Replay {
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
    pub renderings: HashMap<String, Entity>,
    pub compared: usize,
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
pub fn collection_and_id(location: &str) -> Option<(String, String)> {
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
    pub async fn start(
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
    pub async fn replay(&mut self, ex: &Exchange) -> Vec<String> {
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
