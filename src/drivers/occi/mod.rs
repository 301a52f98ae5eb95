//! OCCI 1.1/1.2 endpoints (OpenNebula/rOCCI-server, OpenStack ooi, EGI FedCloud sites, pyssf):
//! servers = compute, volumes = storage, attachments = storagelink, images = os_tpl mixins,
//! sizes = resource_tpl mixins (see `docs.md` beside this file for capabilities, credentials
//! and quirks).
//!
//! Everything the driver addresses comes from the query interface ([`discovery`]): collection
//! locations, templates, actions, the server's OCCI version and the rendering to use. Nothing
//! is hard-coded but the OCCI category identifiers. The wire format is [`crate::occi`]'s.
//!
//! Files: `client.rs` (HTTP, credentials, locations and entities read and written),
//! `discovery.rs` (the query interface and the capabilities it shows), `mapping.rs` (entities ↔
//! unified, const state tables), `error.rs` (status → [`DriverError`]), `paging.rs` (member
//! paths behind the cursor), `volumes.rs` (storage and storage links), `config.rs`. The one
//! constructor is [`OcciConfig`]'s [`DriverSettings::build`], listed in
//! [`crate::drivers::DRIVERS`].

mod client;
mod config;
mod discovery;
mod error;
mod mapping;
mod paging;
#[cfg(test)]
mod tests;
mod volumes;

pub use client::{Auth, OcciSettings};
pub use config::{AuthConfig, OcciConfig, Rendering, SimulatorConfig, TokenHeader};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use self::client::Client;
use self::discovery::{Discovery, DiscoveryCache};
use crate::config::Secret;
use crate::driver::{
    self, Capabilities, Driver, DriverError, DriverResult, ErrorKind, ImageFilter, ListRequest,
    Page, ServerFilter,
};
use crate::drivers::{BuildError, Built, DriverSettings, seconds};
use crate::model::{
    CreateServerRequest, CreateVolumeRequest, Extra, Image, Region, Server, ServerState, Size,
    Volume,
};
use crate::occi::{
    ActionInvocation, Attributes, CategoryId, Entity, ids, render_action, render_entity,
};
use crate::sim::RunningSimulator;

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
    /// The gateway builds through [`DriverSettings::build`]; this is for a driver pointed at a
    /// server already running (tests).
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
            capabilities: std::sync::RwLock::new(discovery::assumed_capabilities()),
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
            *caps = discovery::capabilities_of(&d);
        }
        Ok(d)
    }

    // --- servers -------------------------------------------------------------------------------

    async fn read_server(&self, d: &Discovery, path: &str) -> DriverResult<Server> {
        let entity = self.client.entity(d, path).await?;
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
        let path = self.client.entity_path(&d, "compute", id)?;
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
        let paths = self.client.member_paths(&d, "compute").await?;
        let unfiltered = filter.state.is_none() && filter.name.is_none();
        paging::page(
            req,
            paths,
            unfiltered,
            self.list_concurrency,
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
            entity.mixins.push(mapping::zone_mixin(&d, zone)?);
        }
        entity
            .attributes
            .set(d.core_names().title, req.name.as_str());
        if let Some(key) = &req.key_name {
            let (mixin, name) = d.ssh_key_mixin().ok_or_else(|| {
                DriverError::unsupported("key_name (the OCCI server has no ssh_key mixin)")
            })?;
            if !mapping::looks_like_public_key(key) {
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
        let collection = self.client.collection(&d, "compute")?;
        let answer = self
            .client
            .post(&d, &collection, &render_entity(&entity, d.media_type))
            .await?;
        let path = self.client.created_path(&answer, &collection)?;
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
        let path = self.client.entity_path(&d, "compute", id)?;
        let entity = self
            .client
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
        self.client
            .post(&d, &url, &render_action(&invocation, d.media_type))
            .await?;
        self.read_server(&d, &path).await
    }

    async fn delete(&self, id: &str) -> DriverResult<Server> {
        let d = self.discovery().await?;
        let path = self.client.entity_path(&d, "compute", id)?;
        let mut server = self
            .read_server(&d, &path)
            .await
            .map_err(|e| not_found_as(e, "server", id))?;
        self.client
            .delete(&d, &path)
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
}

/// A 404/410 of the provider as `not_found` naming the gateway's resource.
fn not_found_as(err: DriverError, kind: &str, id: &str) -> DriverError {
    if err.kind() == ErrorKind::NotFound {
        DriverError::not_found(kind, id)
    } else {
        err
    }
}

#[async_trait]
impl Driver for OcciDriver {
    fn capabilities(&self) -> Capabilities {
        self.capabilities
            .read()
            .map(|c| *c)
            .unwrap_or_else(|_| discovery::assumed_capabilities())
    }

    async fn list_servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        self.servers_page(req, filter).await
    }

    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.find_server(id).await
    }

    /// OCCI has no idempotency token: `_idempotency_token` is not sent (the gateway's own
    /// Idempotency-Key store answers repeats).
    async fn create_server(
        &self,
        req: &CreateServerRequest,
        _idempotency_token: Option<&str>,
    ) -> DriverResult<Server> {
        self.create(req).await
    }

    async fn start_server(&self, id: &str) -> DriverResult<Server> {
        self.act(id, "start", None).await
    }

    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.act(id, "stop", Some("graceful")).await
    }

    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.act(id, "restart", Some("warm")).await
    }

    async fn delete_server(&self, id: &str) -> DriverResult<Server> {
        self.delete(id).await
    }

    async fn list_images(
        &self,
        req: &ListRequest,
        filter: &ImageFilter,
    ) -> DriverResult<Page<Image>> {
        if filter.owner.is_some() {
            return Err(DriverError::unsupported(
                "the owner filter (OCCI templates have no owner)",
            ));
        }
        let mut images = self.images().await?;
        if let Some(name) = &filter.name {
            images.retain(|i| i.name.contains(name.as_str()));
        }
        driver::paging::memory_page(req, images)
    }

    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        self.images()
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(|| DriverError::not_found("image", id))
    }

    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        driver::paging::memory_page(req, self.sizes().await?)
    }

    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        driver::paging::memory_page(req, self.regions().await?)
    }

    async fn list_volumes(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        self.volumes_page(req).await
    }

    async fn get_volume(&self, id: &str) -> DriverResult<Volume> {
        self.find_volume(id).await.map(|(_, _, v, _)| v)
    }

    async fn create_volume(
        &self,
        req: &CreateVolumeRequest,
        _idempotency_token: Option<&str>,
    ) -> DriverResult<Volume> {
        self.create_storage(req).await
    }

    async fn delete_volume(&self, id: &str) -> DriverResult<Volume> {
        self.delete_storage(id).await
    }

    async fn attach_volume(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume> {
        self.attach(volume_id, server_id, device).await
    }

    async fn detach_volume(&self, volume_id: &str) -> DriverResult<Volume> {
        self.detach(volume_id).await
    }
}

/// How long the start waits for an OCCI server's query interface before going on with the
/// assumed capabilities (the driver reads it again on its first call).
const START_DISCOVERY: Duration = Duration::from_secs(10);

/// The constructor the driver table calls: a driver for the file's endpoint, or for an
/// in-process simulator (`simulate = true`); the query interface is read once at start.
#[async_trait]
impl DriverSettings for OcciConfig {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        OcciConfig::validate(self)
    }

    async fn build(&self, provider: &str) -> Result<Built, BuildError> {
        let (endpoint, sim_auth, simulator) = if self.simulate {
            let (endpoint, auth, running) = start_simulator(self).await?;
            (Some(endpoint), auth, Some(running))
        } else {
            (None, None, None)
        };
        let mut settings = OcciSettings::from_config(self, endpoint).map_err(BuildError::Setup)?;
        if let Some(auth) = sim_auth {
            settings.auth = auth;
        }
        let region = self
            .region
            .clone()
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let options = OcciOptions {
            rendering: self.rendering,
            discovery_refresh: Duration::from_secs(self.discovery_refresh_secs),
            list_concurrency: self.list_concurrency,
            region: Some(region.clone()),
        };
        let driver = OcciDriver::new(provider.to_owned(), &settings, options)
            .map_err(|e| BuildError::Setup(e.to_string()))?;
        match tokio::time::timeout(START_DISCOVERY, driver.discover()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(provider, error = %e,
                "OCCI discovery failed at start; assuming the standard kinds and actions until it succeeds"),
            Err(_) => tracing::warn!(
                provider,
                "OCCI discovery timed out at start; assuming the standard kinds and actions until it succeeds"
            ),
        }
        Ok(Built {
            driver: Arc::new(driver),
            region: Some(region),
            simulator,
        })
    }
}

/// Starts the OCCI simulator for a `simulate = true` provider: with the provider's `[auth]`
/// (basic or token) when it has one, else with generated credentials in the profile's usual
/// style (a token for ooi, basic auth for the others); the driver's auth when generated.
async fn start_simulator(
    config: &OcciConfig,
) -> Result<(String, Option<Auth>, RunningSimulator), BuildError> {
    use crate::sim::occi::{Profile, SimAuth, SimOptions};
    let generated = uuid::Uuid::new_v4().simple().to_string();
    let (sim_auth, driver_auth) = match &config.auth {
        Some(AuthConfig::Basic { username, password }) => (
            SimAuth::Basic {
                username: username.clone(),
                password: password.expose().to_owned(),
            },
            None,
        ),
        Some(AuthConfig::Token { token, .. }) => (SimAuth::Token(token.expose().to_owned()), None),
        // validate() refuses x509 with simulate.
        Some(AuthConfig::X509 { .. }) | None => match config.simulator.profile {
            Profile::Ooi => (
                SimAuth::Token(generated.clone()),
                Some(Auth::Token {
                    token: Secret::new(generated),
                    header: TokenHeader::XAuthToken,
                }),
            ),
            _ => (
                SimAuth::Basic {
                    username: "cloudgw".into(),
                    password: generated.clone(),
                },
                Some(Auth::Basic {
                    username: "cloudgw".into(),
                    password: Secret::new(generated),
                }),
            ),
        },
    };
    // The rest from `new`, so a simulator option added later keeps its default here.
    let options = SimOptions {
        auth: sim_auth,
        provision_delay: seconds(config.simulator.provision_delay_secs),
        power_delay: seconds(config.simulator.power_delay_secs),
        ..SimOptions::new(config.simulator.profile)
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let running = crate::sim::occi::spawn(options, loopback)
        .await
        .map_err(BuildError::Simulator)?;
    Ok((running.endpoint(), driver_auth, running))
}
