//! What one OCCI server offers, read from its query interface (`/-/`, falling back to
//! `/.well-known/org/ogf/occi/-/`): collection locations, templates, actions, version and the
//! rendering to speak. Read once per provider and again after the refresh interval.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::sync::Mutex;

use super::client::{Answer, Client};
use super::config::Rendering;
use crate::driver::{Capabilities, DriverError, DriverResult, ErrorKind};
use crate::occi::{
    Category, CategoryClass, CategoryId, JsonDialect, MediaType, QueryInterface, ids, json_dialect,
    parse_query_interface,
};

/// The query interface paths, in the order tried (GFD.185 §3.4.1, GFD.223 §3.4).
const QUERY_PATHS: [&str; 2] = ["-/", ".well-known/org/ogf/occi/-/"];

/// One reading of a server's query interface.
#[derive(Debug, Clone)]
pub(crate) struct Discovery {
    /// Every category.
    pub(crate) qi: QueryInterface,
    /// Whether the server showed `OCCI/1.2` in its `Server` header.
    pub(crate) occi_12: bool,
    /// The rendering used for reads and writes.
    pub(crate) media_type: MediaType,
    /// The server's `Server` header.
    pub(crate) server: Option<String>,
}

/// The attribute names a server uses for core attributes: 1.1-final names, or the draft names
/// (`title`, `source`, `target`) of occi-py's era.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CoreNames {
    pub(crate) title: &'static str,
    pub(crate) source: &'static str,
    pub(crate) target: &'static str,
}

impl Discovery {
    /// The path of `kind`'s collection, as rendered (absolute or relative).
    pub(crate) fn location(&self, kind: &CategoryId) -> Option<&str> {
        self.qi.kind(kind).and_then(|k| k.location.as_deref())
    }

    /// Whether compute offers `action`: listed by the compute kind, or — where the kind lists
    /// no actions at all — defined in the query interface.
    pub(crate) fn compute_offers(&self, action: &CategoryId) -> bool {
        match self.qi.kind(&ids::infra("compute")) {
            Some(kind) if !kind.actions.is_empty() => kind.actions.contains(action),
            Some(_) => self.qi.get(action).is_some(),
            None => false,
        }
    }

    /// Templates (mixins) related to the infrastructure mixin `base` (`os_tpl`, `resource_tpl`).
    pub(crate) fn templates(&self, base: &str) -> Vec<&Category> {
        let base = ids::infra(base);
        self.qi
            .of_class(CategoryClass::Mixin)
            .filter(|c| c.id != base && c.is_related_to(&base))
            .collect()
    }

    /// Availability-zone mixins: related to any `…#availability_zone` (rOCCI, EGI).
    pub(crate) fn zones(&self) -> Vec<&Category> {
        self.qi
            .of_class(CategoryClass::Mixin)
            .filter(|m| m.id.term != "availability_zone")
            .filter(|m| m.related().any(|r| r.term == "availability_zone"))
            .collect()
    }

    /// The mixin carrying an SSH public key, and the attribute to put it in: the OGF
    /// `…/credentials#ssh_key` first, then OpenStack's `…/credentials#public_key`.
    pub(crate) fn ssh_key_mixin(&self) -> Option<(CategoryId, String)> {
        self.contextualization(
            &["ssh_key", "public_key"],
            "publickey",
            "occi.credentials.ssh.publickey",
        )
    }

    /// The mixin carrying user data, and its attribute: OGF `…/compute#user_data` first.
    pub(crate) fn user_data_mixin(&self) -> Option<(CategoryId, String)> {
        self.contextualization(&["user_data"], "user", "occi.compute.userdata")
    }

    fn contextualization(
        &self,
        terms: &[&str],
        attr_hint: &str,
        fallback: &str,
    ) -> Option<(CategoryId, String)> {
        let mut candidates: Vec<&Category> = self
            .qi
            .of_class(CategoryClass::Mixin)
            .filter(|m| terms.contains(&m.id.term.as_str()))
            .collect();
        candidates.sort_by_key(|m| {
            (
                !m.id.scheme.starts_with("http://schemas.ogf.org/"),
                terms.iter().position(|t| *t == m.id.term),
            )
        });
        let mixin = candidates.first()?;
        // Take the attribute name the server defines (a real ooi site spells it
        // `occi.crendentials.ssh.publickey`).
        let attr = mixin
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .find(|n| n.contains(attr_hint) && !n.ends_with(".name"))
            .unwrap_or(fallback);
        Some((mixin.id.clone(), attr.to_owned()))
    }

    /// Core attribute names: draft names when the core kinds define them instead of `occi.core.*`.
    pub(crate) fn core_names(&self) -> CoreNames {
        let defines = |kind: &str, name: &str| {
            self.qi
                .kind(&CategoryId::new(ids::CORE, kind))
                .is_some_and(|k| k.attribute(name).is_some())
        };
        let draft_title = defines("entity", "title") || defines("resource", "title");
        let draft_link = defines("link", "source");
        CoreNames {
            title: if draft_title {
                "title"
            } else {
                "occi.core.title"
            },
            source: if draft_link {
                "source"
            } else {
                "occi.core.source"
            },
            target: if draft_link {
                "target"
            } else {
                "occi.core.target"
            },
        }
    }

    /// Whether compute memory is rendered in MB rather than GiB: ooi does (its flavours and
    /// instances carry Nova's MB).
    pub(crate) fn memory_in_mib(&self) -> bool {
        self.server.as_deref().is_some_and(|s| s.contains("ooi/"))
    }

    /// The Accept header for reads.
    pub(crate) fn accept(&self) -> &'static str {
        self.media_type.as_str()
    }
}

/// Reads the query interface through `client`, picking the rendering per `preference`.
pub(crate) async fn discover(client: &Client, preference: Rendering) -> DriverResult<Discovery> {
    let text = match preference {
        Rendering::TextOcci => MediaType::TextOcci,
        _ => MediaType::TextPlain,
    };
    let first = match preference {
        Rendering::Json => MediaType::OcciJson,
        _ => text,
    };
    let answer = query_interface(client, first).await?;
    let server = answer.header("server").map(str::to_owned);
    let occi_12 = server.as_deref().is_some_and(|s| s.contains("OCCI/1.2"));
    client.claim_occi_12(occi_12);
    let (qi, media_type) = match preference {
        Rendering::Json => (json_query_interface(&answer, occi_12)?, MediaType::OcciJson),
        Rendering::TextPlain | Rendering::TextOcci => (parse(&answer)?, text),
        Rendering::Auto if occi_12 => {
            let json = query_interface(client, MediaType::OcciJson).await;
            match json.and_then(|a| json_query_interface(&a, occi_12)) {
                Ok(qi) => (qi, MediaType::OcciJson),
                Err(e) => {
                    tracing::debug!(error = %e, "OCCI 1.2 server without GFD.226 JSON: using text");
                    (parse(&answer)?, text)
                }
            }
        }
        Rendering::Auto => (parse(&answer)?, text),
    };
    if qi.kind(&ids::infra("compute")).is_none() {
        return Err(DriverError::new(
            ErrorKind::BadResponse,
            "the OCCI query interface defines no compute kind",
        ));
    }
    Ok(Discovery {
        qi,
        occi_12,
        media_type,
        server,
    })
}

async fn query_interface(client: &Client, media_type: MediaType) -> DriverResult<Answer> {
    let mut last = None;
    for path in QUERY_PATHS {
        let url = client.endpoint_url(path)?;
        match client
            .send(Method::GET, url, media_type.as_str(), None)
            .await
        {
            Ok(answer) => return Ok(answer),
            Err(e) if e.kind() == ErrorKind::NotFound => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| DriverError::new(ErrorKind::NotFound, "no query interface")))
}

fn parse(answer: &Answer) -> DriverResult<QueryInterface> {
    parse_query_interface(&answer.message()).map_err(|e| {
        DriverError::new(
            ErrorKind::BadResponse,
            format!("the OCCI query interface cannot be read: {e}"),
        )
    })
}

/// The JSON query interface, trusted only from a 1.2 server with the GFD.226 shape (older
/// servers used a pre-standard JSON under the same media type).
fn json_query_interface(answer: &Answer, occi_12: bool) -> DriverResult<QueryInterface> {
    let unusable = |why: &str| {
        DriverError::new(
            ErrorKind::Unsupported,
            format!(
                "the OCCI server offers no GFD.226 JSON rendering: {why}; use rendering = \"auto\" or \"text\""
            ),
        )
    };
    if !occi_12 {
        return Err(unusable("it does not say OCCI/1.2"));
    }
    if answer.message().media_type != MediaType::OcciJson {
        return Err(unusable("it answered another media type"));
    }
    if json_dialect(&answer.body) != Some(JsonDialect::Gfd226) {
        return Err(unusable("its JSON is the pre-standard one"));
    }
    parse(answer)
}

/// A discovery kept for `refresh`, read again on the first use after that. Concurrent callers
/// share one reading; a failed refresh keeps using the previous reading (and logs).
#[derive(Debug)]
pub(crate) struct DiscoveryCache {
    refresh: Duration,
    current: std::sync::RwLock<Option<(Instant, Arc<Discovery>)>>,
    reading: Mutex<()>,
}

impl DiscoveryCache {
    pub(crate) fn new(refresh: Duration) -> DiscoveryCache {
        DiscoveryCache {
            refresh,
            current: std::sync::RwLock::new(None),
            reading: Mutex::new(()),
        }
    }

    fn fresh(&self) -> Option<Arc<Discovery>> {
        let guard = self.current.read().ok()?;
        let (at, discovery) = guard.as_ref()?;
        (at.elapsed() < self.refresh).then(|| discovery.clone())
    }

    /// The last reading, however old.
    pub(crate) fn last(&self) -> Option<Arc<Discovery>> {
        let guard = self.current.read().ok()?;
        guard.as_ref().map(|(_, d)| d.clone())
    }

    /// A fresh discovery, reading it with `read` when the kept one is too old.
    pub(crate) async fn get<F, Fut>(&self, read: F) -> DriverResult<Arc<Discovery>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = DriverResult<Discovery>>,
    {
        if let Some(d) = self.fresh() {
            return Ok(d);
        }
        let _reading = self.reading.lock().await;
        if let Some(d) = self.fresh() {
            return Ok(d);
        }
        match read().await {
            Ok(d) => {
                let d = Arc::new(d);
                if let Ok(mut guard) = self.current.write() {
                    *guard = Some((Instant::now(), d.clone()));
                }
                Ok(d)
            }
            Err(e) => match self.last() {
                Some(stale) if e.is_temporary() => {
                    tracing::warn!(error = %e, "OCCI discovery refresh failed; using the previous one");
                    Ok(stale)
                }
                _ => Err(e),
            },
        }
    }
}

/// What an OCCI server can be assumed to offer before its query interface was read: the
/// standard infrastructure kinds and actions. Calls still check the discovery.
pub(crate) fn assumed_capabilities() -> Capabilities {
    Capabilities {
        list_servers: true,
        get_server: true,
        create_server: true,
        start_server: true,
        stop_server: true,
        reboot_server: true,
        delete_server: true,
        list_images: true,
        list_images_by_owner: false,
        get_image: true,
        list_sizes: true,
        list_regions: true,
        list_volumes: true,
        get_volume: true,
        create_volume: true,
        delete_volume: true,
        attach_volume: true,
        detach_volume: true,
        ..Capabilities::default()
    }
}

/// What the discovered server offers.
pub(crate) fn capabilities_of(d: &Discovery) -> Capabilities {
    let has = |kind: &str| d.location(&ids::infra(kind)).is_some();
    let offers = |term: &str| d.compute_offers(&ids::compute_action(term));
    let storage = has("storage");
    let links = storage && has("storagelink");
    Capabilities {
        list_servers: true,
        get_server: true,
        create_server: has("compute"),
        create_server_in_region: false,
        create_server_in_zone: !d.zones().is_empty(),
        create_server_with_key_name: d.ssh_key_mixin().is_some(),
        create_server_with_user_data: d.user_data_mixin().is_some(),
        create_server_with_tags: false,
        // OCCI has no client token: a repeated create makes a second entity.
        create_server_idempotent_with_client_token: false,
        start_server: offers("start"),
        stop_server: offers("stop"),
        reboot_server: offers("restart"),
        delete_server: true,
        list_images: true,
        list_images_by_owner: false,
        get_image: true,
        list_sizes: true,
        list_regions: true,
        list_volumes: storage,
        get_volume: storage,
        create_volume: storage,
        create_volume_with_tags: false,
        create_volume_idempotent_with_client_token: false,
        delete_volume: storage,
        attach_volume: links,
        detach_volume: links,
    }
}
