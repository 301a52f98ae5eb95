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
//! `error.rs` (native errors → [`DriverError`]), `config.rs`. Paging lives here, once, for every
//! list.

mod client;
mod config;
mod error;
mod mapping;
#[cfg(test)]
mod tests;

pub use client::sign as signature;
pub use config::{GoGridConfig, GoGridSettings, SimulatorConfig};
/// `Retry-After` parsing, shared with the other HTTP drivers.
pub(crate) use error::parse_retry_after;

use std::future::Future;

use async_trait::async_trait;

use self::client::{Client, Verb};
use self::mapping::{NativeImage, NativeIp, NativeOption, NativeServer};
use crate::driver::{
    self, Capabilities, Driver, DriverError, DriverOp, DriverResult, ErrorKind, ImageFilter,
    ListRequest, Page, ServerFilter,
};
use crate::model::{
    CreateServerRequest, CreateVolumeRequest, Extra, Image, Region, Server, ServerState, Size,
    Tags, Volume,
};

/// Native page size when the driver searches a list for one item (a server by name, a free IP).
const SCAN_PAGE_SIZE: usize = 100;
/// GoGrid's limit on server names (`grid/server/add`).
const MAX_NAME_LEN: usize = 20;
/// The largest offset a cursor may carry; anything bigger is not a cursor this driver made.
const MAX_CURSOR_OFFSET: usize = u32::MAX as usize;

/// Driver for one GoGrid account.
#[derive(Debug)]
pub struct GoGridDriver {
    provider: String,
    client: Client,
    default_region: Option<String>,
}

impl GoGridDriver {
    /// A driver for `provider` talking to the API described by `settings`; fails when the
    /// endpoint is not an http(s) URL.
    pub fn new(provider: String, settings: GoGridSettings) -> DriverResult<GoGridDriver> {
        let client = Client::new(&settings).map_err(|e| e.with_provider(provider.clone()))?;
        Ok(GoGridDriver {
            provider,
            client,
            default_region: settings.default_region,
        })
    }

    /// Runs `call`, labelling its error with this provider and `op`.
    async fn labelled<T>(
        &self,
        op: DriverOp,
        call: impl Future<Output = DriverResult<T>>,
    ) -> DriverResult<T> {
        driver::labelled(&self.provider, op, call).await
    }

    fn unsupported<T>(&self, op: DriverOp, what: &str) -> DriverResult<T> {
        Err(DriverError::unsupported(what)
            .with_provider(self.provider.clone())
            .with_operation(op))
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

// --- paging ------------------------------------------------------------------------------------

/// `num_items` and `page` (0-based) of a native list call.
fn paging_params(page: usize, size: usize) -> Vec<(&'static str, String)> {
    vec![("num_items", size.to_string()), ("page", page.to_string())]
}

/// One native page: the items answered for (page, num_items) and the list's total, when said.
struct NativePage<T> {
    items: Vec<T>,
    total: Option<usize>,
}

/// What [`collect`] gathered, and the native offset of the first unconsumed item (`None` when
/// the list has ended).
struct Collected<T> {
    items: Vec<T>,
    next: Option<usize>,
}

/// The driver cursor: the native offset of the next item, as `o:<offset>`.
fn encode_cursor(offset: usize) -> String {
    format!("o:{offset}")
}

fn decode_cursor(cursor: Option<&str>) -> DriverResult<usize> {
    let Some(cursor) = cursor else { return Ok(0) };
    cursor
        .strip_prefix("o:")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= MAX_CURSOR_OFFSET)
        .ok_or_else(|| DriverError::new(ErrorKind::InvalidRequest, "malformed cursor"))
}

/// Collects up to `limit` items passing `keep`, starting at native offset `start`, reading
/// native pages of `page_size` (page = offset / page_size, skipping offset % page_size). Keeps
/// reading pages until `limit` items are kept or the list ends, so a filter never shortens a page
/// early, and never skips or repeats an item across calls.
async fn collect<T, F, Fut>(
    start: usize,
    limit: usize,
    page_size: usize,
    mut fetch: F,
    keep: impl Fn(&T) -> bool,
) -> DriverResult<Collected<T>>
where
    F: FnMut(usize, usize) -> Fut,
    Fut: Future<Output = DriverResult<NativePage<T>>>,
{
    let (limit, page_size) = (limit.max(1), page_size.max(1));
    let mut offset = start;
    let mut items = Vec::new();
    loop {
        let page = offset / page_size;
        let batch = fetch(page, page_size).await?;
        let len = batch.items.len();
        // A provider that ignored paging sent the whole list: index it from 0.
        let whole = len > page_size;
        let base = if whole { 0 } else { page * page_size };
        let end = base.saturating_add(len);
        if end <= offset {
            return Ok(Collected { items, next: None });
        }
        for (pos, item) in (base..end).zip(batch.items) {
            if pos < offset {
                continue;
            }
            if items.len() == limit {
                return Ok(Collected {
                    items,
                    next: Some(pos),
                });
            }
            offset = pos + 1;
            if keep(&item) {
                items.push(item);
            }
        }
        let ended = whole || batch.total.map_or(len < page_size, |total| end >= total);
        if ended {
            return Ok(Collected { items, next: None });
        }
        if items.len() == limit {
            return Ok(Collected {
                items,
                next: Some(end),
            });
        }
    }
}

/// A page for `req` over a native list read through `fetch`.
async fn list_page<T, F, Fut>(
    req: &ListRequest,
    fetch: F,
    keep: impl Fn(&T) -> bool,
) -> DriverResult<Page<T>>
where
    F: FnMut(usize, usize) -> Fut,
    Fut: Future<Output = DriverResult<NativePage<T>>>,
{
    let limit = req.limit.max(1);
    let start = decode_cursor(req.cursor.as_deref())?;
    let found = collect(start, limit, limit, fetch, keep).await?;
    Ok(Page {
        items: found.items,
        next_cursor: found.next.map(encode_cursor),
    })
}

/// A page of a list held in memory (lookups), through the same paging as native lists.
async fn memory_page<T: Clone>(req: &ListRequest, all: &[T]) -> DriverResult<Page<T>> {
    let slice = |page: usize, size: usize| {
        let items = all
            .iter()
            .skip(page.saturating_mul(size))
            .take(size)
            .cloned()
            .collect();
        std::future::ready(Ok(NativePage {
            items,
            total: Some(all.len()),
        }))
    };
    list_page(req, slice, |_| true).await
}

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
        let page = list_page(
            req,
            |page, size| self.fetch_servers(page, size),
            |s| filter.matches(s),
        );
        self.labelled(DriverOp::ListServers, page).await
    }

    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::GetServer, self.find_server(id))
            .await
    }

    /// GoGrid has no idempotency token: `_idempotency_token` is ignored (the gateway's own
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
        self.labelled(DriverOp::StartServer, self.power(id, "start"))
            .await
    }

    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::StopServer, self.power(id, "stop"))
            .await
    }

    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.labelled(DriverOp::RebootServer, self.power(id, "restart"))
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
        let page = list_page(
            req,
            |page, size| self.fetch_images(page, size),
            |i| mapping::image_matches(filter, i),
        );
        self.labelled(DriverOp::ListImages, page).await
    }

    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        self.labelled(DriverOp::GetImage, self.find_image(id)).await
    }

    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        let page = async { memory_page(req, &self.sizes().await?).await };
        self.labelled(DriverOp::ListSizes, page).await
    }

    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        let page = async { memory_page(req, &self.regions().await?).await };
        self.labelled(DriverOp::ListRegions, page).await
    }

    async fn list_volumes(&self, _: &ListRequest) -> DriverResult<Page<Volume>> {
        self.unsupported(DriverOp::ListVolumes, NO_VOLUMES)
    }

    async fn get_volume(&self, _: &str) -> DriverResult<Volume> {
        self.unsupported(DriverOp::GetVolume, NO_VOLUMES)
    }

    async fn create_volume(
        &self,
        _: &CreateVolumeRequest,
        _: Option<&str>,
    ) -> DriverResult<Volume> {
        self.unsupported(DriverOp::CreateVolume, NO_VOLUMES)
    }

    async fn delete_volume(&self, _: &str) -> DriverResult<Volume> {
        self.unsupported(DriverOp::DeleteVolume, NO_VOLUMES)
    }

    async fn attach_volume(&self, _: &str, _: &str, _: Option<&str>) -> DriverResult<Volume> {
        self.unsupported(DriverOp::AttachVolume, NO_VOLUMES)
    }

    async fn detach_volume(&self, _: &str) -> DriverResult<Volume> {
        self.unsupported(DriverOp::DetachVolume, NO_VOLUMES)
    }
}

/// GoGrid's API has no block storage (its "Cloud Storage" was a CIFS/rsync mount).
const NO_VOLUMES: &str = "block volumes (GoGrid has no block storage API)";
