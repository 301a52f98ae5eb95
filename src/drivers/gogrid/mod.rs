//! GoGrid-style REST clouds (API v1.x): servers, images, RAM sizes and datacenters over signed
//! `GET`/`POST` calls (see `docs.md` beside this file for capabilities, credentials and quirks).
//!
//! **The unified server id is the server's name.** A GoGrid server has no `id` while it is
//! being provisioned and `grid/server/add` answers without one, but its name (unique per
//! account, at most 20 characters) is accepted by `get`, `power` and `delete` from the first
//! moment. So a client can follow a server from the 202 of its create onward. The native id is
//! kept in `extra.gogrid_id` once GoGrid has assigned it.
//!
//! Files: `client.rs` (signing and wire calls), `mapping.rs` (native ↔ unified, state table),
//! `error.rs` (native errors → [`DriverError`]), `paging.rs` (native pages behind the shared
//! offset cursor), `config.rs`. The one constructor is [`GoGridConfig`]'s
//! [`DriverSettings::build`](crate::drivers::DriverSettings::build), listed in
//! [`crate::drivers::DRIVERS`].

mod client;
mod config;
mod error;
mod mapping;
mod paging;
#[cfg(test)]
mod tests;

pub use client::sign as signature;
pub(crate) use config::GoGridSettings;
pub use config::{GoGridConfig, SimulatorConfig};
/// `Retry-After` parsing, shared with the other HTTP drivers.
pub(crate) use error::parse_retry_after;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use self::client::{Client, Verb};
use self::mapping::{NativeImage, NativeIp, NativeOption, NativeServer};
use self::paging::{NativePage, collect, list_page, paging_params};
use crate::config::Secret;
use crate::driver::{
    self, Capabilities, Driver, DriverError, DriverResult, ErrorKind, ImageFilter, ListRequest,
    Page, ServerFilter,
};
use crate::drivers::{BuildError, Built, DriverSettings, seconds};
use crate::model::{
    CreateServerRequest, CreateVolumeRequest, Extra, Image, Region, Server, ServerState, Size,
    Tags, Volume,
};

/// Native page size when the driver searches a list for one item (a server by name, a free IP).
const SCAN_PAGE_SIZE: usize = 100;
/// GoGrid's limit on server names (`grid/server/add`).
const MAX_NAME_LEN: usize = 20;

/// Driver for one GoGrid account.
#[derive(Debug)]
pub struct GoGridDriver {
    provider: String,
    client: Client,
    default_region: Option<String>,
}

impl GoGridDriver {
    /// A driver for `provider` talking to the API described by `settings`; fails when the
    /// endpoint is not an http(s) URL. Outside this crate a driver is built from a provider
    /// file through [`DriverSettings::build`], the driver table's constructor.
    pub(crate) fn new(provider: String, settings: GoGridSettings) -> DriverResult<GoGridDriver> {
        let client = Client::new(&settings).map_err(|e| e.with_provider(provider.clone()))?;
        Ok(GoGridDriver {
            provider,
            client,
            default_region: settings.default_region,
        })
    }

    fn unsupported<T>(&self, what: &str) -> DriverResult<T> {
        Err(DriverError::unsupported(what))
    }

    // --- servers -------------------------------------------------------------------------------

    async fn fetch_servers(&self, page: usize, size: usize) -> DriverResult<NativePage<Server>> {
        let env = self
            .client
            .call::<NativeServer>(Verb::Get, "grid/server/list", &paging_params(page, size))
            .await?;
        let total = env.total();
        let items = env
            .list
            .into_iter()
            .map(|s| mapping::map_server(s, &self.provider))
            .collect();
        Ok(NativePage { items, total })
    }

    /// A server by name: `grid/server/get?name=`, then — since GoGrid answers "No object found"
    /// for a server still being provisioned — a scan of `grid/server/list` (as Deltacloud did).
    async fn find_server(&self, name: &str) -> DriverResult<Server> {
        let params = [("name", name.to_owned())];
        match self
            .client
            .call::<NativeServer>(Verb::Get, "grid/server/get", &params)
            .await
        {
            Ok(env) => {
                if let Some(server) = env.list.into_iter().find(|s| s.name == name) {
                    return Ok(mapping::map_server(server, &self.provider));
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let found = collect(
            0,
            1,
            SCAN_PAGE_SIZE,
            |page, size| self.fetch_servers(page, size),
            |s: &Server| s.name == name,
        )
        .await?;
        found
            .items
            .into_iter()
            .next()
            .ok_or_else(|| DriverError::not_found("server", name))
    }

    /// The server in a mutation's answer, or as read back when the answer holds none.
    async fn answered_server(&self, list: Vec<NativeServer>, name: &str) -> DriverResult<Server> {
        match list.into_iter().find(|s| s.name == name) {
            Some(server) => Ok(mapping::map_server(server, &self.provider)),
            None => self.find_server(name).await,
        }
    }

    async fn power(&self, name: &str, power: &str) -> DriverResult<Server> {
        let params = [("name", name.to_owned()), ("power", power.to_owned())];
        let env = self
            .client
            .call::<NativeServer>(Verb::Post, "grid/server/power", &params)
            .await?;
        self.answered_server(env.list, name).await
    }

    /// Deletes by name. GoGrid answers with the server as it was (e.g. still "On"); the delete
    /// has been accepted, so the unified state is `terminating` (the native one stays in extra).
    async fn delete(&self, name: &str) -> DriverResult<Server> {
        let params = [("name", name.to_owned())];
        let env = self
            .client
            .call::<NativeServer>(Verb::Post, "grid/server/delete", &params)
            .await?;
        let mut server = match env.list.into_iter().find(|s| s.name == name) {
            Some(server) => mapping::map_server(server, &self.provider),
            None => self.bare_server(name),
        };
        server.state = ServerState::Terminating;
        server.actions = server.state.valid_actions();
        Ok(server)
    }

    fn bare_server(&self, name: &str) -> Server {
        Server {
            id: name.to_owned(),
            provider: self.provider.clone(),
            name: name.to_owned(),
            state: ServerState::Unknown,
            image_id: None,
            size_id: None,
            region: None,
            zone: None,
            public_ips: Vec::new(),
            private_ips: Vec::new(),
            created_at: None,
            tags: Tags::new(),
            actions: Vec::new(),
            extra: Extra::new(),
        }
    }

    async fn create(&self, req: &CreateServerRequest) -> DriverResult<Server> {
        check_create_request(req)?;
        let region = req.region.as_deref().or(self.default_region.as_deref());
        let ip = self.free_public_ip(region).await?;
        let params = [
            ("name", req.name.clone()),
            ("image", req.image_id.clone()),
            ("server.ram", req.size_id.clone()),
            ("ip", ip),
        ];
        let env = self
            .client
            .call::<NativeServer>(Verb::Post, "grid/server/add", &params)
            .await?;
        self.answered_server(env.list, &req.name).await
    }

    /// A free public IP (in `region` when given): its datacenter decides where GoGrid places the
    /// server. The filters are sent as libcloud sent them and re-checked here, and the region is
    /// matched by name here (the `datacenter` parameter's id/name form is not documented).
    async fn free_public_ip(&self, region: Option<&str>) -> DriverResult<String> {
        let found = collect(
            0,
            1,
            SCAN_PAGE_SIZE,
            |page, size| self.fetch_free_ips(page, size),
            |ip: &NativeIp| mapping::is_free_public_ip(ip, region),
        )
        .await?;
        match found.items.into_iter().next() {
            Some(ip) => Ok(ip.ip),
            None => Err(self.no_free_ip(region).await),
        }
    }

    async fn fetch_free_ips(&self, page: usize, size: usize) -> DriverResult<NativePage<NativeIp>> {
        let mut params = paging_params(page, size);
        params.push(("ip.state", "Unassigned".to_owned()));
        params.push(("ip.type", "Public".to_owned()));
        let env = self
            .client
            .call::<NativeIp>(Verb::Get, "grid/ip/list", &params)
            .await?;
        Ok(NativePage {
            total: env.total(),
            items: env.list,
        })
    }

    /// Why no IP was found: an unknown region is the caller's mistake (`invalid_request`); a
    /// known one without a free IP is the account's state (`invalid_state`: retrying will not
    /// help until an IP is released or added).
    async fn no_free_ip(&self, region: Option<&str>) -> DriverError {
        let Some(region) = region else {
            return DriverError::new(
                ErrorKind::InvalidState,
                "the GoGrid account has no free public IP in any datacenter",
            );
        };
        match self.regions().await {
            Ok(regions) if !regions.iter().any(|r| r.id == region) => {
                let known: Vec<&str> = regions.iter().map(|r| r.id.as_str()).collect();
                DriverError::new(
                    ErrorKind::InvalidRequest,
                    format!("unknown region {region:?}; GoGrid datacenters: {known:?}"),
                )
            }
            Ok(_) => DriverError::new(
                ErrorKind::InvalidState,
                format!("the GoGrid account has no free public IP in {region}"),
            ),
            Err(e) => e,
        }
    }

    // --- images --------------------------------------------------------------------------------

    async fn fetch_images(&self, page: usize, size: usize) -> DriverResult<NativePage<Image>> {
        let env = self
            .client
            .call::<NativeImage>(Verb::Get, "grid/image/list", &paging_params(page, size))
            .await?;
        let total = env.total();
        let items = env
            .list
            .into_iter()
            .map(|i| mapping::map_image(i, &self.provider))
            .collect();
        Ok(NativePage { items, total })
    }

    /// `grid/image/get?id=` (API 1.3+); older API versions lack it, so the list is scanned.
    async fn find_image(&self, id: &str) -> DriverResult<Image> {
        if !api_at_least(self.client.api_version(), 1, 3) {
            let found = collect(
                0,
                1,
                SCAN_PAGE_SIZE,
                |page, size| self.fetch_images(page, size),
                |i: &Image| i.id == id,
            )
            .await?;
            return found
                .items
                .into_iter()
                .next()
                .ok_or_else(|| DriverError::not_found("image", id));
        }
        let env = self
            .client
            .call::<NativeImage>(Verb::Get, "grid/image/get", &[("id", id.to_owned())])
            .await?;
        env.list
            .into_iter()
            .map(|i| mapping::map_image(i, &self.provider))
            .find(|i| i.id == id)
            .ok_or_else(|| DriverError::not_found("image", id))
    }

    // --- lookups -------------------------------------------------------------------------------

    async fn lookup(&self, name: &str) -> DriverResult<Vec<NativeOption>> {
        let params = [("lookup", name.to_owned())];
        let env = self
            .client
            .call::<NativeOption>(Verb::Get, "common/lookup/list", &params)
            .await?;
        Ok(env.list)
    }

    async fn sizes(&self) -> DriverResult<Vec<Size>> {
        let options = self.lookup("server.ram").await?;
        Ok(options
            .into_iter()
            .filter_map(|o| mapping::map_size(o, &self.provider))
            .collect())
    }

    /// Datacenters from `lookup=ip.datacenter` (what the real recordings used): where IPs, and
    /// so servers, can be.
    async fn regions(&self) -> DriverResult<Vec<Region>> {
        let options = self.lookup("ip.datacenter").await?;
        Ok(options
            .into_iter()
            .filter_map(|o| mapping::map_region(o, &self.provider))
            .collect())
    }
}

/// Rejects what GoGrid cannot do (never silently ignored) and names it cannot take.
fn check_create_request(req: &CreateServerRequest) -> DriverResult<()> {
    let unsupported = [
        (
            req.zone.is_some(),
            "zone (GoGrid has no availability zones)",
        ),
        (
            req.key_name.is_some(),
            "key_name (GoGrid sets a root password)",
        ),
        (req.user_data.is_some(), "user_data"),
        (req.tags.as_ref().is_some_and(|t| !t.is_empty()), "tags"),
    ];
    if let Some((_, what)) = unsupported.iter().find(|(given, _)| *given) {
        return Err(DriverError::unsupported(what));
    }
    let len = req.name.chars().count();
    if req.name.trim().is_empty() || len > MAX_NAME_LEN {
        return Err(DriverError::new(
            ErrorKind::InvalidRequest,
            format!("a GoGrid server name must have 1 to {MAX_NAME_LEN} characters (got {len})"),
        ));
    }
    Ok(())
}

/// Whether API version `v` ("1.9") is at least major.minor; an unreadable version counts as new.
fn api_at_least(v: &str, major: u32, minor: u32) -> bool {
    let mut parts = v.trim().split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b))) => (a, b) >= (major, minor),
        (Some(Ok(a)), None) => a > major,
        _ => true,
    }
}

// No method labels its errors with provider and operation: the outermost layer of the stack
// (`crate::layers`) does that for every driver.
#[async_trait]
impl Driver for GoGridDriver {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            list_servers: true,
            get_server: true,
            create_server: true,
            create_server_in_region: true,
            start_server: true,
            stop_server: true,
            reboot_server: true,
            delete_server: true,
            list_images: true,
            list_images_by_owner: true,
            get_image: true,
            list_sizes: true,
            list_regions: true,
            ..Capabilities::default()
        }
    }

    async fn list_servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        list_page(
            req,
            |page, size| self.fetch_servers(page, size),
            |s| filter.matches(s),
        )
        .await
    }

    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.find_server(id).await
    }

    /// GoGrid has no idempotency token: `_idempotency_token` is ignored (the gateway's own
    /// Idempotency-Key store answers repeats).
    async fn create_server(
        &self,
        req: &CreateServerRequest,
        _idempotency_token: Option<&str>,
    ) -> DriverResult<Server> {
        self.create(req).await
    }

    async fn start_server(&self, id: &str) -> DriverResult<Server> {
        self.power(id, "start").await
    }

    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.power(id, "stop").await
    }

    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.power(id, "restart").await
    }

    async fn delete_server(&self, id: &str) -> DriverResult<Server> {
        self.delete(id).await
    }

    async fn list_images(
        &self,
        req: &ListRequest,
        filter: &ImageFilter,
    ) -> DriverResult<Page<Image>> {
        list_page(
            req,
            |page, size| self.fetch_images(page, size),
            |i| mapping::image_matches(filter, i),
        )
        .await
    }

    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        self.find_image(id).await
    }

    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        driver::paging::memory_page(req, self.sizes().await?)
    }

    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        driver::paging::memory_page(req, self.regions().await?)
    }

    async fn list_volumes(&self, _: &ListRequest) -> DriverResult<Page<Volume>> {
        self.unsupported(NO_VOLUMES)
    }

    async fn get_volume(&self, _: &str) -> DriverResult<Volume> {
        self.unsupported(NO_VOLUMES)
    }

    async fn create_volume(
        &self,
        _: &CreateVolumeRequest,
        _: Option<&str>,
    ) -> DriverResult<Volume> {
        self.unsupported(NO_VOLUMES)
    }

    async fn delete_volume(&self, _: &str) -> DriverResult<Volume> {
        self.unsupported(NO_VOLUMES)
    }

    async fn attach_volume(&self, _: &str, _: &str, _: Option<&str>) -> DriverResult<Volume> {
        self.unsupported(NO_VOLUMES)
    }

    async fn detach_volume(&self, _: &str) -> DriverResult<Volume> {
        self.unsupported(NO_VOLUMES)
    }
}

/// GoGrid's API has no block storage (its "Cloud Storage" was a CIFS/rsync mount).
const NO_VOLUMES: &str = "block volumes (GoGrid has no block storage API)";

/// The constructor the driver table calls: a driver for the file's endpoint and credentials, or
/// for an in-process simulator with generated credentials (`simulate = true`).
#[async_trait]
impl DriverSettings for GoGridConfig {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        GoGridConfig::validate(self)
    }

    async fn build(&self, provider: &str) -> Result<Built, BuildError> {
        let (endpoint, api_key, shared_secret, simulator) =
            match (&self.endpoint, &self.api_key, &self.shared_secret) {
                (Some(endpoint), Some(key), Some(secret)) if !self.simulate => {
                    (endpoint.clone(), key.clone(), secret.clone(), None)
                }
                // validate() leaves only simulate = true here.
                _ => {
                    let (endpoint, key, secret, running) = start_simulator(self).await?;
                    (endpoint, key, secret, Some(running))
                }
            };
        let settings = GoGridSettings {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            api_key,
            shared_secret,
            api_version: self.api_version.clone(),
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            default_region: self.region.clone(),
        };
        let driver = GoGridDriver::new(provider.to_owned(), settings)
            .map_err(|e| BuildError::Setup(e.to_string()))?;
        Ok(Built {
            driver: Arc::new(driver),
            region: self.region.clone(),
            simulator,
        })
    }
}

/// Starts the GoGrid simulator on a loopback port with fresh credentials; its endpoint and the
/// credentials the driver signs with.
async fn start_simulator(
    config: &GoGridConfig,
) -> Result<(String, Secret, Secret, crate::sim::RunningSimulator), BuildError> {
    let key = uuid::Uuid::new_v4().simple().to_string();
    let secret = uuid::Uuid::new_v4().simple().to_string();
    // The rest from `new`, so a simulator option added later keeps its default here.
    let options = crate::sim::gogrid::SimOptions {
        clock_skew: Duration::from_secs(600),
        provision_delay: seconds(config.simulator.provision_delay_secs),
        power_delay: seconds(config.simulator.power_delay_secs),
        public_ips_per_datacenter: config.simulator.public_ips_per_datacenter,
        ..crate::sim::gogrid::SimOptions::new(key.clone(), secret.clone())
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let running = crate::sim::gogrid::spawn(options, loopback)
        .await
        .map_err(BuildError::Simulator)?;
    Ok((
        running.endpoint(),
        Secret::new(key),
        Secret::new(secret),
        running,
    ))
}
