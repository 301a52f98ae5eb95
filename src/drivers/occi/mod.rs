//! OCCI 1.1/1.2 endpoints (OpenNebula/rOCCI-server, OpenStack ooi, EGI FedCloud sites, pyssf):
//! servers = compute, volumes = storage, attachments = storagelink, images = os_tpl mixins,
//! sizes = resource_tpl mixins (see `docs.md` beside this file for capabilities, credentials
//! and quirks).
//!
//! Everything the driver addresses comes from the query interface ([`discovery`]): collection
//! locations, templates, actions, the server's OCCI version and the rendering to use. Nothing
//! is hard-coded but the OCCI category identifiers. The wire format is [`crate::occi`]'s.
//!
//! Files: `client.rs` (HTTP, credentials, location resolution), `discovery.rs`, `mapping.rs`
//! (entities ↔ unified, state tables), `error.rs` (status → [`DriverError`]), `config.rs`.
//! Paging over locations lives here, once, for every list.

mod client;
mod config;
mod discovery;
mod error;
mod mapping;
#[cfg(test)]
mod tests;

pub use client::{Auth, OcciSettings};
pub use config::{AuthConfig, OcciConfig, Rendering, SimulatorConfig, TokenHeader};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use futures::future::join_all;
use reqwest::Method;

use self::client::{Answer, Client};
use self::discovery::{Discovery, DiscoveryCache};
use crate::driver::{
    self, Capabilities, Driver, DriverError, DriverOp, DriverResult, ErrorKind, ImageFilter,
    ListRequest, Page, ServerFilter,
};
use crate::model::{
    Attachment, CreateServerRequest, CreateVolumeRequest, Extra, Image, Region, Server,
    ServerState, Size, Volume, VolumeState,
};
use crate::occi::{
    ActionInvocation, AttributeValue, Attributes, CategoryId, Entity, attr, ids, parse_collection,
    parse_entity, render_action, render_entity,
};

/// Region id when the provider file names none.
const DEFAULT_REGION: &str = "default";

/// How the driver behaves beyond reaching the endpoint.
#[derive(Debug, Clone)]
pub struct OcciOptions {
    /// The rendering preference.
    pub rendering: Rendering,
    /// How long a discovery is used.
    pub discovery_refresh: Duration,
    /// Entity GETs in flight at once during a list.
    pub list_concurrency: usize,
    /// The region id of this endpoint.
    pub region: Option<String>,
}

/// Driver for one OCCI endpoint.
#[derive(Debug)]
pub struct OcciDriver {
    provider: String,
    region: String,
    client: Client,
    rendering: Rendering,
    cache: DiscoveryCache,
    list_concurrency: usize,
    capabilities: std::sync::RwLock<Capabilities>,
}

impl OcciDriver {
    /// A driver for `provider` at the endpoint of `settings`; fails on a bad endpoint,
    /// certificate, key or header. Nothing is sent until [`OcciDriver::discover`] or a call.
    pub fn new(
        provider: String,
        settings: &OcciSettings,
        options: OcciOptions,
    ) -> DriverResult<OcciDriver> {
        let client = Client::new(settings).map_err(|e| e.with_provider(provider.clone()))?;
        Ok(OcciDriver {
            provider,
            region: options.region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            client,
            rendering: options.rendering,
            cache: DiscoveryCache::new(options.discovery_refresh),
            list_concurrency: options.list_concurrency.max(1),
            capabilities: std::sync::RwLock::new(assumed_capabilities()),
        })
    }

    /// Reads the query interface now (the registry does at start, so capabilities reflect the
    /// server before the first call).
    pub async fn discover(&self) -> DriverResult<()> {
        self.discovery()
            .await
            .map(|_| ())
            .map_err(|e| e.with_provider(self.provider.clone()))
    }

    async fn discovery(&self) -> DriverResult<Arc<Discovery>> {
        let d = self
            .cache
            .get(|| discovery::discover(&self.client, self.rendering))
            .await?;
        if let Ok(mut caps) = self.capabilities.write() {
            *caps = capabilities_of(&d);
        }
        Ok(d)
    }

    /// Runs `call`, labelling its error with this provider and `op`.
    async fn labelled<T>(
        &self,
        op: DriverOp,
        call: impl Future<Output = DriverResult<T>>,
    ) -> DriverResult<T> {
        driver::labelled(&self.provider, op, call).await
    }

    // --- locations -----------------------------------------------------------------------------

    /// The path of `kind`'s collection, with a trailing slash.
    fn collection(&self, d: &Discovery, kind: &str) -> DriverResult<String> {
        let location = d.location(&ids::infra(kind)).ok_or_else(|| {
            DriverError::unsupported(format!("{kind} (the OCCI server has no {kind} collection)"))
        })?;
        let mut path = self.client.path_of(location)?;
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(path)
    }

    /// The path of the `kind` entity with gateway id `id`.
    fn entity_path(&self, d: &Discovery, kind: &str, id: &str) -> DriverResult<String> {
        let valid = !id.is_empty()
            && id.len() <= 512
            && !matches!(id, "." | "..")
            && !id.contains(['/', '?', '#', '\\'])
            && !id.chars().any(char::is_control);
        if !valid {
            return Err(DriverError::not_found(kind, id));
        }
        let encoded = percent_encoding::utf8_percent_encode(id, SEGMENT).to_string();
        Ok(format!("{}{encoded}", self.collection(d, kind)?))
    }

    async fn get(&self, d: &Discovery, path: &str) -> DriverResult<Answer> {
        let url = self.client.resolve(path)?;
        self.client.send(Method::GET, url, d.accept(), None).await
    }

    async fn entity(&self, d: &Discovery, path: &str) -> DriverResult<Entity> {
        let answer = self.get(d, path).await?;
        parse_entity(&answer.message()).map_err(|e| {
            error::bad_response(format!("the OCCI server rendered {path} unreadably: {e}"))
        })
    }

    /// The member paths of `kind`'s collection, sorted (the order cursors rely on).
    async fn member_paths(&self, d: &Discovery, kind: &str) -> DriverResult<Vec<String>> {
        let collection = self.collection(d, kind)?;
        let answer = self.get(d, &collection).await?;
        if answer.status == 204
            || answer.body.trim().is_empty() && !answer.headers.contains_key("x-occi-location")
        {
            return Ok(Vec::new());
        }
        let parsed = parse_collection(&answer.message()).map_err(|e| {
            error::bad_response(format!(
                "the OCCI server rendered {collection} unreadably: {e}"
            ))
        })?;
        let mut paths = Vec::new();
        for location in parsed.locations {
            paths.push(self.client.path_of(&location)?);
        }
        for entity in parsed.entities {
            // ooi's JSON list holds kind, id and title only: the location is collection + id.
            let id = entity.id();
            let location = match (entity.location, id) {
                (Some(l), _) => l,
                (None, Some(id)) if !id.contains('/') => format!("{collection}{id}"),
                (None, Some(id)) => id,
                (None, None) => continue,
            };
            paths.push(self.client.path_of(&location)?);
        }
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    /// Where a create answer says the new entity is: `Location`, else `X-OCCI-Location`
    /// (body or header), a uri-list, or a rendered entity's location or id.
    fn created_path(&self, answer: &Answer, collection: &str) -> DriverResult<String> {
        if let Some(location) = answer.header("location") {
            return self.client.path_of(location);
        }
        let msg = answer.message();
        if let Ok(parsed) = parse_collection(&msg) {
            if let Some(location) = parsed.locations.first() {
                return self.client.path_of(location);
            }
            let from_entity = parsed
                .entities
                .into_iter()
                .find_map(|e| entity_location(e, collection));
            if let Some(location) = from_entity {
                return self.client.path_of(&location);
            }
        }
        if let Some(location) = parse_entity(&msg)
            .ok()
            .and_then(|e| entity_location(e, collection))
        {
            return self.client.path_of(&location);
        }
        Err(error::bad_response(
            "the OCCI server accepted the create but did not say where the new entity is",
        ))
    }

    async fn post(
        &self,
        d: &Discovery,
        path: &str,
        body: &crate::occi::Rendered,
    ) -> DriverResult<Answer> {
        let url = self.client.resolve(path)?;
        self.client
            .send(Method::POST, url, d.accept(), Some(body))
            .await
    }

    // --- servers -------------------------------------------------------------------------------

    async fn read_server(&self, d: &Discovery, path: &str) -> DriverResult<Server> {
        let entity = self.entity(d, path).await?;
        Ok(mapping::map_server(
            &entity,
            path,
            d,
            &self.provider,
            &self.region,
        ))
    }

    async fn find_server(&self, id: &str) -> DriverResult<Server> {
        let d = self.discovery().await?;
        let path = self.entity_path(&d, "compute", id)?;
        self.read_server(&d, &path)
            .await
            .map_err(|e| not_found_as(e, "server", id))
    }

    async fn servers_page(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        let d = self.discovery().await?;
        let paths = self.member_paths(&d, "compute").await?;
        let unfiltered = filter.state.is_none() && filter.name.is_none();
        self.page(
            req,
            paths,
            unfiltered,
            |p| {
                let d = d.clone();
                async move { self.read_server(&d, &p).await }
            },
            |s| filter.matches(s),
        )
        .await
    }

    async fn create(&self, req: &CreateServerRequest) -> DriverResult<Server> {
        let d = self.discovery().await?;
        let mut entity = Entity::new(ids::infra("compute"));
        entity
            .mixins
            .push(self.template(&d, "os_tpl", "image", &req.image_id)?);
        entity
            .mixins
            .push(self.template(&d, "resource_tpl", "size", &req.size_id)?);
        self.check_region(req.region.as_deref())?;
        if req.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(DriverError::unsupported("tags (OCCI entities have none)"));
        }
        if let Some(zone) = &req.zone {
            entity.mixins.push(zone_mixin(&d, zone)?);
        }
        entity
            .attributes
            .set(d.core_names().title, req.name.as_str());
        if let Some(key) = &req.key_name {
            let (mixin, name) = d.ssh_key_mixin().ok_or_else(|| {
                DriverError::unsupported("key_name (the OCCI server has no ssh_key mixin)")
            })?;
            if !looks_like_public_key(key) {
                return Err(DriverError::new(
                    ErrorKind::InvalidRequest,
                    "OCCI has no key-pair registry: key_name must be the SSH public key itself \
                     (e.g. \"ssh-ed25519 AAAA… user@host\")",
                ));
            }
            entity.mixins.push(mixin);
            entity.attributes.set(name, key.as_str());
        }
        if let Some(user_data) = &req.user_data {
            let (mixin, name) = d.user_data_mixin().ok_or_else(|| {
                DriverError::unsupported("user_data (the OCCI server has no user_data mixin)")
            })?;
            entity.mixins.push(mixin);
            entity.attributes.set(name, STANDARD.encode(user_data));
        }
        let collection = self.collection(&d, "compute")?;
        let answer = self
            .post(&d, &collection, &render_entity(&entity, d.media_type))
            .await?;
        let path = self.created_path(&answer, &collection)?;
        match self.read_server(&d, &path).await {
            Ok(server) => Ok(server),
            // Just created and not readable yet: it is being provisioned.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let mut server =
                    mapping::map_server(&entity, &path, &d, &self.provider, &self.region);
                server.state = ServerState::Pending;
                Ok(server)
            }
            Err(e) => Err(e),
        }
    }

    fn template(
        &self,
        d: &Discovery,
        base: &str,
        what: &str,
        id: &str,
    ) -> DriverResult<CategoryId> {
        mapping::template_category(id)
            .filter(|c| d.templates(base).iter().any(|t| &t.id == c))
            .ok_or_else(|| {
                DriverError::new(
                    ErrorKind::InvalidRequest,
                    format!("unknown {what} {id:?}: use an id from the provider's {what} list"),
                )
            })
    }

    fn check_region(&self, region: Option<&str>) -> DriverResult<()> {
        match region {
            Some(r) if r != self.region => Err(DriverError::new(
                ErrorKind::InvalidRequest,
                format!(
                    "unknown region {r:?}: this OCCI endpoint is region {:?}",
                    self.region
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Invokes a compute action, if the server advertises it and the server offers it now.
    async fn act(&self, id: &str, term: &str, method: Option<&str>) -> DriverResult<Server> {
        let d = self.discovery().await?;
        let action = ids::compute_action(term);
        if !d.compute_offers(&action) {
            return Err(DriverError::unsupported(format!(
                "the {term} action (the OCCI server does not advertise it)"
            )));
        }
        let path = self.entity_path(&d, "compute", id)?;
        let entity = self
            .entity(&d, &path)
            .await
            .map_err(|e| not_found_as(e, "server", id))?;
        if !entity.actions.is_empty() && !entity.offers(&action) {
            let state = entity
                .attributes
                .text("occi.compute.state")
                .unwrap_or_default();
            return Err(DriverError::new(
                ErrorKind::InvalidState,
                format!(
                    "the OCCI server does not offer {term} for this server now (state {state:?})"
                ),
            ));
        }
        let mut attributes = Attributes::new();
        let takes_method =
            d.qi.get(&action)
                .is_some_and(|a| a.attribute("method").is_some());
        if let (Some(method), true) = (method, takes_method) {
            attributes.set("method", method);
        }
        let invocation = ActionInvocation { action, attributes };
        let url = format!("{path}?action={term}");
        self.post(&d, &url, &render_action(&invocation, d.media_type))
            .await?;
        self.read_server(&d, &path).await
    }

    async fn delete(&self, id: &str) -> DriverResult<Server> {
        let d = self.discovery().await?;
        let path = self.entity_path(&d, "compute", id)?;
        let mut server = self
            .read_server(&d, &path)
            .await
            .map_err(|e| not_found_as(e, "server", id))?;
        self.client
            .send(
                Method::DELETE,
                self.client.resolve(&path)?,
                d.accept(),
                None,
            )
            .await
            .map_err(|e| not_found_as(e, "server", id))?;
        server.state = ServerState::Terminating;
        Ok(server)
    }

    // --- templates and regions -----------------------------------------------------------------

    async fn images(&self) -> DriverResult<Vec<Image>> {
        let d = self.discovery().await?;
        Ok(d.templates("os_tpl")
            .into_iter()
            .map(|t| mapping::map_image(t, &self.provider))
            .collect())
    }

    async fn sizes(&self) -> DriverResult<Vec<Size>> {
        let d = self.discovery().await?;
        Ok(d.templates("resource_tpl")
            .into_iter()
            .map(|t| mapping::map_size(t, d.memory_in_mib(), &self.provider))
            .collect())
    }

    async fn regions(&self) -> DriverResult<Vec<Region>> {
        let d = self.discovery().await?;
        let mut extra = Extra::new();
        extra.insert("occi_server".into(), serde_json::json!(d.server));
        extra.insert(
            "occi_version".into(),
            serde_json::json!(if d.occi_12 { "1.2" } else { "1.1" }),
        );
        extra.insert("rendering".into(), serde_json::json!(d.media_type.as_str()));
        Ok(vec![Region {
            id: self.region.clone(),
            provider: self.provider.clone(),
            name: self.region.clone(),
            zones: d.zones().into_iter().map(|z| z.id.term.clone()).collect(),
            extra,
        }])
    }

    // --- volumes -------------------------------------------------------------------------------

    /// Every storage link: (link path, source path, target path, device).
    async fn storage_links(&self, d: &Discovery) -> DriverResult<Vec<StorageLink>> {
        if d.location(&ids::infra("storagelink")).is_none() {
            return Ok(Vec::new());
        }
        let paths = self.member_paths(d, "storagelink").await?;
        let mut links = Vec::new();
        for chunk in paths.chunks(self.list_concurrency) {
            let read = join_all(chunk.iter().map(|p| self.entity(d, p))).await;
            for (path, entity) in chunk.iter().zip(read) {
                let entity = match entity {
                    Ok(e) => e,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let (Some(source), Some(target)) = (entity.source(), entity.target()) else {
                    continue;
                };
                links.push(StorageLink {
                    path: path.clone(),
                    source: self.client.path_of(&source)?,
                    target: self.client.path_of(&target)?,
                    attachment: mapping::attachment(&source, &entity.attributes),
                });
            }
        }
        Ok(links)
    }

    async fn read_volume(
        &self,
        d: &Discovery,
        path: &str,
        links: &[StorageLink],
    ) -> DriverResult<Volume> {
        let entity = self.entity(d, path).await?;
        let attachments: Vec<Attachment> = links
            .iter()
            .filter(|l| l.target == path)
            .map(|l| l.attachment.clone())
            .collect();
        Ok(mapping::map_volume(
            &entity,
            path,
            attachments,
            &self.provider,
        ))
    }

    async fn find_volume(
        &self,
        id: &str,
    ) -> DriverResult<(Arc<Discovery>, String, Volume, Vec<StorageLink>)> {
        let d = self.discovery().await?;
        let path = self.entity_path(&d, "storage", id)?;
        let links = self.storage_links(&d).await?;
        let volume = self
            .read_volume(&d, &path, &links)
            .await
            .map_err(|e| not_found_as(e, "volume", id))?;
        let mine = links.into_iter().filter(|l| l.target == path).collect();
        Ok((d, path, volume, mine))
    }

    async fn volumes_page(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        let d = self.discovery().await?;
        let paths = self.member_paths(&d, "storage").await?;
        let links = Arc::new(self.storage_links(&d).await?);
        self.page(
            req,
            paths,
            true,
            |p| {
                let (d, links) = (d.clone(), links.clone());
                async move { self.read_volume(&d, &p, &links).await }
            },
            |_| true,
        )
        .await
    }

    async fn create_storage(&self, req: &CreateVolumeRequest) -> DriverResult<Volume> {
        let d = self.discovery().await?;
        if req.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(DriverError::unsupported("tags (OCCI entities have none)"));
        }
        let mut entity = Entity::new(ids::infra("storage"));
        if let Some(zone) = &req.zone {
            entity.mixins.push(zone_mixin(&d, zone)?);
        }
        entity
            .attributes
            .set(d.core_names().title, req.name.as_str());
        entity.attributes.set(
            "occi.storage.size",
            AttributeValue::int(i64::try_from(req.size_gib).unwrap_or(i64::MAX)),
        );
        let collection = self.collection(&d, "storage")?;
        let answer = self
            .post(&d, &collection, &render_entity(&entity, d.media_type))
            .await?;
        let path = self.created_path(&answer, &collection)?;
        match self.read_volume(&d, &path, &[]).await {
            Ok(volume) => Ok(volume),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let mut volume = mapping::map_volume(&entity, &path, Vec::new(), &self.provider);
                volume.state = VolumeState::Creating;
                Ok(volume)
            }
            Err(e) => Err(e),
        }
    }

    async fn delete_storage(&self, id: &str) -> DriverResult<Volume> {
        let (d, path, mut volume, _) = self.find_volume(id).await?;
        self.client
            .send(
                Method::DELETE,
                self.client.resolve(&path)?,
                d.accept(),
                None,
            )
            .await
            .map_err(|e| not_found_as(e, "volume", id))?;
        volume.state = VolumeState::Deleting;
        Ok(volume)
    }

    async fn attach(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume> {
        let (d, volume_path, volume, links) = self.find_volume(volume_id).await?;
        let collection = self.collection(&d, "storagelink")?;
        if let Some(link) = links.first() {
            let same = link.attachment.server_id == server_id;
            let message = if same {
                format!("volume {volume_id} is already attached to server {server_id}")
            } else {
                format!(
                    "volume {volume_id} is attached to server {}",
                    link.attachment.server_id
                )
            };
            return Err(DriverError::new(ErrorKind::InvalidState, message));
        }
        let server_path = self.entity_path(&d, "compute", server_id)?;
        self.entity(&d, &server_path)
            .await
            .map_err(|e| not_found_as(e, "server", server_id))?;
        let names = d.core_names();
        let mut link = Entity::new(ids::infra("storagelink"));
        link.attributes.set(names.source, server_path.as_str());
        link.attributes.set(names.target, volume_path.as_str());
        if let Some(device) = device {
            link.attributes.set("occi.storagelink.deviceid", device);
        }
        if d.media_type == crate::occi::MediaType::OcciJson {
            link.attributes
                .set(attr::TARGET_KIND, ids::infra("storage").type_id());
        }
        self.post(&d, &collection, &render_entity(&link, d.media_type))
            .await?;
        let links = self.storage_links(&d).await?;
        let mut volume = self
            .read_volume(&d, &volume_path, &links)
            .await
            .unwrap_or(volume);
        if volume.attachments.is_empty() {
            // Accepted but not visible yet.
            volume.attachments.push(Attachment {
                server_id: server_id.to_owned(),
                device: device.map(str::to_owned),
            });
        }
        Ok(volume)
    }

    async fn detach(&self, volume_id: &str) -> DriverResult<Volume> {
        let (d, volume_path, mut volume, links) = self.find_volume(volume_id).await?;
        if links.is_empty() {
            return Err(DriverError::new(
                ErrorKind::InvalidState,
                format!("volume {volume_id} is not attached"),
            ));
        }
        for link in &links {
            self.client
                .send(
                    Method::DELETE,
                    self.client.resolve(&link.path)?,
                    d.accept(),
                    None,
                )
                .await?;
        }
        let rest = self.storage_links(&d).await?;
        volume = self
            .read_volume(&d, &volume_path, &rest)
            .await
            .unwrap_or(volume);
        Ok(volume)
    }

    // --- paging --------------------------------------------------------------------------------

    /// A page over sorted member paths: reads members after the cursor (a member path) with
    /// bounded concurrency, keeps those passing `keep`, stops at `req.limit`. Members that
    /// vanish while the page is read are skipped.
    async fn page<T, F, Fut>(
        &self,
        req: &ListRequest,
        paths: Vec<String>,
        unfiltered: bool,
        read: F,
        keep: impl Fn(&T) -> bool,
    ) -> DriverResult<Page<T>>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = DriverResult<T>>,
    {
        let limit = req.limit.max(1);
        let after = decode_cursor(req.cursor.as_deref())?;
        let rest: Vec<String> = paths
            .into_iter()
            .filter(|p| after.as_deref().is_none_or(|a| p.as_str() > a))
            .collect();
        let mut items = Vec::new();
        let mut consumed = 0;
        while consumed < rest.len() && items.len() < limit {
            let want = if unfiltered {
                limit - items.len()
            } else {
                self.list_concurrency
            };
            let end = (consumed + want.min(self.list_concurrency)).min(rest.len());
            let read_all = join_all(rest[consumed..end].iter().map(|p| read(p.clone()))).await;
            for result in read_all {
                if items.len() == limit {
                    break;
                }
                consumed += 1;
                match result {
                    Ok(item) if keep(&item) => items.push(item),
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let next_cursor =
            (consumed < rest.len() && consumed > 0).then(|| encode_cursor(&rest[consumed - 1]));
        Ok(Page { items, next_cursor })
    }
}

/// A storage link as the driver uses it.
#[derive(Debug, Clone)]
struct StorageLink {
    path: String,
    #[allow(dead_code)]
    source: String,
    target: String,
    attachment: Attachment,
}

/// Characters escaped in an id placed in a path segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':')
    .remove(b'@');

/// An entity's location as rendered, else its id under `collection`.
fn entity_location(entity: Entity, collection: &str) -> Option<String> {
    let id = entity.id();
    entity
        .location
        .or_else(|| id.map(|id| member(collection, &id)))
}

fn member(collection: &str, id: &str) -> String {
    if id.starts_with('/') || id.contains("://") {
        id.to_owned()
    } else {
        format!("{collection}{id}")
    }
}

fn encode_cursor(path: &str) -> String {
    URL_SAFE_NO_PAD.encode(path)
}

fn decode_cursor(cursor: Option<&str>) -> DriverResult<Option<String>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|p| p.starts_with('/'))
        .map(Some)
        .ok_or_else(|| DriverError::new(ErrorKind::InvalidRequest, "malformed cursor"))
}

/// A 404/410 of the provider as `not_found` naming the gateway's resource.
fn not_found_as(err: DriverError, kind: &str, id: &str) -> DriverError {
    if err.kind() == ErrorKind::NotFound {
        DriverError::not_found(kind, id)
    } else {
        err
    }
}

fn zone_mixin(d: &Discovery, zone: &str) -> DriverResult<CategoryId> {
    let zones = d.zones();
    if zones.is_empty() {
        return Err(DriverError::unsupported(
            "zone (the OCCI server has no availability zones)",
        ));
    }
    zones
        .iter()
        .find(|z| z.id.term == zone || z.title.as_deref() == Some(zone))
        .map(|z| z.id.clone())
        .ok_or_else(|| {
            let known: Vec<&str> = zones.iter().map(|z| z.id.term.as_str()).collect();
            DriverError::new(
                ErrorKind::InvalidRequest,
                format!("unknown zone {zone:?}; zones: {known:?}"),
            )
        })
}

fn looks_like_public_key(key: &str) -> bool {
    let key = key.trim();
    ["ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-"]
        .iter()
        .any(|p| key.starts_with(p))
        && key.contains(' ')
}

/// What an OCCI server can be assumed to offer before its query interface was read: the
/// standard infrastructure kinds and actions. Calls still check the discovery.
fn assumed_capabilities() -> Capabilities {
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
fn capabilities_of(d: &Discovery) -> Capabilities {
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
        delete_volume: storage,
        attach_volume: links,
        detach_volume: links,
    }
}

#[async_trait]
impl Driver for OcciDriver {
    fn capabilities(&self) -> Capabilities {
        self.capabilities
            .read()
            .map(|c| *c)
            .unwrap_or_else(|_| assumed_capabilities())
    }

    async fn list_servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        self.labelled(DriverOp::ListServers, self.servers_page(req, filter))
            .await
    }

    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::GetServer, self.find_server(id))
            .await
    }

    /// OCCI has no idempotency token: `_idempotency_token` is not sent (the gateway's own
    /// Idempotency-Key store answers repeats).
    async fn create_server(
        &self,
        req: &CreateServerRequest,
        _idempotency_token: Option<&str>,
    ) -> DriverResult<Server> {
        self.labelled(DriverOp::CreateServer, self.create(req))
            .await
    }

    async fn start_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::StartServer, self.act(id, "start", None))
            .await
    }

    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::StopServer, self.act(id, "stop", Some("graceful")))
            .await
    }

    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(
            DriverOp::RebootServer,
            self.act(id, "restart", Some("warm")),
        )
        .await
    }

    async fn delete_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::DeleteServer, self.delete(id)).await
    }

    async fn list_images(
        &self,
        req: &ListRequest,
        filter: &ImageFilter,
    ) -> DriverResult<Page<Image>> {
        let page = async {
            if filter.owner.is_some() {
                return Err(DriverError::unsupported(
                    "the owner filter (OCCI templates have no owner)",
                ));
            }
            let mut images = self.images().await?;
            if let Some(name) = &filter.name {
                images.retain(|i| i.name.contains(name.as_str()));
            }
            memory_page(req, images)
        };
        self.labelled(DriverOp::ListImages, page).await
    }

    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        let find = async {
            self.images()
                .await?
                .into_iter()
                .find(|i| i.id == id)
                .ok_or_else(|| DriverError::not_found("image", id))
        };
        self.labelled(DriverOp::GetImage, find).await
    }

    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        let page = async { memory_page(req, self.sizes().await?) };
        self.labelled(DriverOp::ListSizes, page).await
    }

    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        let page = async { memory_page(req, self.regions().await?) };
        self.labelled(DriverOp::ListRegions, page).await
    }

    async fn list_volumes(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        self.labelled(DriverOp::ListVolumes, self.volumes_page(req))
            .await
    }

    async fn get_volume(&self, id: &str) -> DriverResult<Volume> {
        let find = async { self.find_volume(id).await.map(|(_, _, v, _)| v) };
        self.labelled(DriverOp::GetVolume, find).await
    }

    async fn create_volume(
        &self,
        req: &CreateVolumeRequest,
        _idempotency_token: Option<&str>,
    ) -> DriverResult<Volume> {
        self.labelled(DriverOp::CreateVolume, self.create_storage(req))
            .await
    }

    async fn delete_volume(&self, id: &str) -> DriverResult<Volume> {
        self.labelled(DriverOp::DeleteVolume, self.delete_storage(id))
            .await
    }

    async fn attach_volume(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume> {
        self.labelled(
            DriverOp::AttachVolume,
            self.attach(volume_id, server_id, device),
        )
        .await
    }

    async fn detach_volume(&self, volume_id: &str) -> DriverResult<Volume> {
        self.labelled(DriverOp::DetachVolume, self.detach(volume_id))
            .await
    }
}

/// A page of a list held in memory (templates, regions), by offset cursor `o:<n>`.
fn memory_page<T>(req: &ListRequest, all: Vec<T>) -> DriverResult<Page<T>> {
    let start = match req.cursor.as_deref() {
        None => 0,
        Some(c) => c
            .strip_prefix("o:")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= all.len())
            .ok_or_else(|| DriverError::new(ErrorKind::InvalidRequest, "malformed cursor"))?,
    };
    let limit = req.limit.max(1);
    let end = start.saturating_add(limit).min(all.len());
    let next_cursor = (end < all.len()).then(|| format!("o:{end}"));
    let items = all.into_iter().skip(start).take(limit).collect();
    Ok(Page { items, next_cursor })
}
