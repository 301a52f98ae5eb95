//! AWS EC2 through aws-sdk-ec2: servers = instances, images = AMIs, sizes = instance types,
//! regions = regions with their availability zones, volumes = EBS (see `docs.md` beside this
//! file for capabilities, credentials and quirks).
//!
//! Ids are EC2's own (`i-…`, `ami-…`, `vol-…`, instance type names, region names). A server's
//! and a volume's `name` is its `Name` tag. Files: `client.rs` (SDK setup and wire calls),
//! `mapping.rs` (state tables, native → unified), `error.rs` (EC2 error codes → kinds),
//! `paging.rs` (NextToken behind the driver cursor), `config.rs`. The one constructor is
//! [`AwsConfig`]'s [`DriverSettings::build`], listed in [`crate::drivers::DRIVERS`].

mod client;
mod config;
mod error;
mod mapping;
mod paging;
#[cfg(test)]
mod tests;

pub use config::AwsConfig;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Instance, InstanceStateChange};
use futures::future::try_join_all;

use self::client::{Client, Launch, NewVolume, StateChange, ec2_filter};
use self::mapping::{NAME_TAG, is_ec2_id};
use crate::driver::{
    self, Capabilities, Driver, DriverError, DriverResult, ErrorKind, ImageFilter, ListRequest,
    Page, ServerFilter,
};
use crate::drivers::{BuildError, Built, DriverSettings};
use crate::model::{
    CreateServerRequest, CreateVolumeRequest, Extra, Image, Region, Server, Size, Tags, Volume,
    VolumeState,
};

/// EC2's limit on tag values (the `Name` tag holds the server's name).
const MAX_TAG_VALUE_LEN: usize = 256;

/// Driver for one AWS account in one region.
#[derive(Debug)]
pub struct AwsDriver {
    provider: String,
    client: Client,
    instance_types: Vec<String>,
    default_zone: Option<String>,
    volume_type: String,
}

impl AwsDriver {
    /// A driver for `provider` set up from its provider file; fails when no region can be found.
    /// Credentials are resolved lazily, at the first call.
    async fn new(provider: String, config: &AwsConfig) -> Result<AwsDriver, String> {
        let client = Client::new(config).await?;
        Ok(AwsDriver {
            provider,
            client,
            instance_types: config.instance_types.clone(),
            default_zone: config.zone.clone(),
            volume_type: config.volume_type.clone(),
        })
    }

    /// The region this driver serves.
    pub fn region(&self) -> &str {
        self.client.region()
    }

    fn server(&self, instance: &Instance) -> Server {
        mapping::map_server(instance, &self.provider, self.client.region())
    }

    // --- servers -------------------------------------------------------------------------------

    /// The filters a server list passes down to EC2; `None` when the unified state has no EC2
    /// counterpart (`rebooting`, `error`, `unknown`), so nothing can match.
    fn server_filters(filter: &ServerFilter) -> Option<Vec<aws_sdk_ec2::types::Filter>> {
        let mut filters = Vec::new();
        if let Some(state) = filter.state {
            let native = mapping::native_server_states(state);
            if native.is_empty() {
                return None;
            }
            filters.push(ec2_filter("instance-state-name", native));
        }
        if let Some(name) = &filter.name {
            filters.push(ec2_filter(&format!("tag:{NAME_TAG}"), [name.clone()]));
        }
        Some(filters)
    }

    async fn servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        // A cursor is checked even when nothing can match, so a bad one is always an error.
        paging::decode_cursor(req.cursor.as_deref())?;
        let Some(filters) = Self::server_filters(filter) else {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        let page = paging::page(req, paging::INSTANCES, |token, max| {
            self.client.instances(filters.clone(), token, max)
        })
        .await?;
        Ok(paging::map_items(page, |i| Some(self.server(i))))
    }

    async fn find_server(&self, id: &str) -> DriverResult<Server> {
        if !is_ec2_id(id, "i-") {
            return Err(DriverError::not_found("server", id));
        }
        Ok(self.server(&self.client.instance(id).await?))
    }

    async fn create(&self, req: &CreateServerRequest, token: Option<&str>) -> DriverResult<Server> {
        check_name(&req.name)?;
        check_tags(req.tags.as_ref())?;
        if let Some(region) = req.region.as_deref().filter(|r| *r != self.region()) {
            return Err(DriverError::new(
                ErrorKind::InvalidRequest,
                format!(
                    "this provider serves region {}, not {region}: configure one provider per region",
                    self.region()
                ),
            ));
        }
        let launch = Launch {
            name: &req.name,
            image_id: &req.image_id,
            instance_type: &req.size_id,
            zone: req.zone.as_deref(),
            key_name: req.key_name.as_deref(),
            user_data: req.user_data.as_deref(),
            tags: req.tags.as_ref(),
            client_token: token,
        };
        let instance = self.client.run_instance(launch).await?;
        Ok(self.server(&instance))
    }

    /// Start, stop or terminate; the server as read back, with the state EC2 reported for the
    /// change when the read-back still shows the state from before it (EC2 is eventually
    /// consistent).
    async fn change(&self, id: &str, change: StateChange) -> DriverResult<Server> {
        if !is_ec2_id(id, "i-") {
            return Err(DriverError::not_found("server", id));
        }
        let reported = self.client.change_state(id, change).await?;
        let server = self.find_server(id).await?;
        Ok(with_reported_state(server, reported.as_ref()))
    }

    async fn reboot(&self, id: &str) -> DriverResult<Server> {
        if !is_ec2_id(id, "i-") {
            return Err(DriverError::not_found("server", id));
        }
        self.client.reboot(id).await?;
        self.find_server(id).await
    }

    // --- images --------------------------------------------------------------------------------

    async fn images(&self, req: &ListRequest, filter: &ImageFilter) -> DriverResult<Page<Image>> {
        let owners: Vec<String> = filter.owner.iter().cloned().collect();
        let filters: Vec<_> = filter
            .name
            .iter()
            .map(|name| filter_contains("name", name))
            .collect();
        let page = paging::page(req, paging::IMAGES, |token, max| {
            self.client
                .images(owners.clone(), filters.clone(), token, max)
        })
        .await?;
        Ok(paging::map_items(page, |i| {
            Some(mapping::map_image(i, &self.provider))
        }))
    }

    async fn find_image(&self, id: &str) -> DriverResult<Image> {
        if !is_ec2_id(id, "ami-") {
            return Err(DriverError::not_found("image", id));
        }
        let image = self.client.image(id).await?;
        Ok(mapping::map_image(&image, &self.provider))
    }

    // --- sizes and regions ---------------------------------------------------------------------

    async fn sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        let filters: Vec<_> = if self.instance_types.is_empty() {
            Vec::new()
        } else {
            vec![ec2_filter("instance-type", self.instance_types.clone())]
        };
        let page = paging::page(req, paging::INSTANCE_TYPES, |token, max| {
            self.client.instance_types(filters.clone(), token, max)
        })
        .await?;
        Ok(paging::map_items(page, |t| {
            mapping::map_size(t, &self.provider)
        }))
    }

    /// Regions paged in memory (EC2 does not page them); zones are read only for the regions on
    /// the page, concurrently.
    async fn regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        let all = self.client.regions().await?;
        let page = driver::paging::memory_page(req, all)?;
        let zones = try_join_all(
            page.items
                .iter()
                .map(|r| self.client.zones(r.region_name().unwrap_or_default())),
        )
        .await?;
        Ok(Page {
            items: page
                .items
                .iter()
                .zip(zones)
                .map(|(region, zones)| mapping::map_region(region, &zones, &self.provider))
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    // --- volumes -------------------------------------------------------------------------------

    async fn volumes(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        let page = paging::page(req, paging::VOLUMES, |token, max| {
            self.client.volumes(token, max)
        })
        .await?;
        Ok(paging::map_items(page, |v| {
            Some(mapping::map_volume(v, &self.provider))
        }))
    }

    async fn find_volume(&self, id: &str) -> DriverResult<Volume> {
        if !is_ec2_id(id, "vol-") {
            return Err(DriverError::not_found("volume", id));
        }
        let volume = self.client.volume(id).await?;
        Ok(mapping::map_volume(&volume, &self.provider))
    }

    /// The zone of a new volume: the request's, the provider file's, or the region's first
    /// available zone.
    async fn volume_zone(&self, asked: Option<&str>) -> DriverResult<String> {
        if let Some(zone) = asked.or(self.default_zone.as_deref()) {
            return Ok(zone.to_owned());
        }
        let zones = self.client.zones(self.region()).await?;
        zones
            .iter()
            .filter(|z| z.state().is_none_or(|s| s.as_str() == "available"))
            .find_map(|z| z.zone_name())
            .map(str::to_owned)
            .ok_or_else(|| {
                DriverError::new(
                    ErrorKind::InvalidState,
                    format!("region {} has no available zone", self.region()),
                )
            })
    }

    async fn new_volume(
        &self,
        req: &CreateVolumeRequest,
        token: Option<&str>,
    ) -> DriverResult<Volume> {
        check_name(&req.name)?;
        check_tags(req.tags.as_ref())?;
        let size_gib = i32::try_from(req.size_gib).map_err(|_| {
            DriverError::new(
                ErrorKind::InvalidRequest,
                "size_gib is larger than EBS allows",
            )
        })?;
        let zone = self.volume_zone(req.zone.as_deref()).await?;
        let spec = NewVolume {
            name: &req.name,
            size_gib,
            zone: &zone,
            volume_type: &self.volume_type,
            tags: req.tags.as_ref(),
            client_token: token,
        };
        let id = self.client.create_volume(spec).await?;
        match self.find_volume(&id).await {
            Ok(volume) => Ok(volume),
            // Not visible yet (eventual consistency): answer what was asked for.
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Volume {
                id,
                provider: self.provider.clone(),
                name: req.name.clone(),
                size_gib: req.size_gib,
                state: VolumeState::Creating,
                zone: Some(zone),
                attachments: Vec::new(),
                created_at: None,
                tags: req.tags.clone().unwrap_or_default(),
                extra: Extra::new(),
            }),
            Err(e) => Err(e),
        }
    }

    async fn remove_volume(&self, id: &str) -> DriverResult<Volume> {
        let volume = self.find_volume(id).await?;
        self.client.delete_volume(id).await?;
        Ok(Volume {
            state: VolumeState::Deleting,
            ..volume
        })
    }

    async fn attach(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume> {
        if !is_ec2_id(volume_id, "vol-") {
            return Err(DriverError::not_found("volume", volume_id));
        }
        if !is_ec2_id(server_id, "i-") {
            return Err(DriverError::not_found("server", server_id));
        }
        let device = match device {
            Some(device) => device.to_owned(),
            None => {
                let instance = self.client.instance(server_id).await?;
                mapping::free_device(&mapping::used_devices(&instance)).ok_or_else(|| {
                    DriverError::new(
                        ErrorKind::InvalidState,
                        format!("server {server_id} has no free device name in /dev/sdf…/dev/sdp"),
                    )
                })?
            }
        };
        self.client
            .attach_volume(volume_id, server_id, &device)
            .await?;
        self.find_volume(volume_id).await
    }

    async fn detach(&self, volume_id: &str) -> DriverResult<Volume> {
        let volume = self.find_volume(volume_id).await?;
        let Some(attachment) = volume.attachments.first() else {
            return Err(DriverError::new(
                ErrorKind::InvalidState,
                format!("volume {volume_id} is not attached"),
            ));
        };
        self.client
            .detach_volume(
                volume_id,
                &attachment.server_id,
                attachment.device.as_deref(),
            )
            .await?;
        self.find_volume(volume_id).await
    }
}

/// The server with EC2's reported state when the read-back still shows the state from before the
/// change.
fn with_reported_state(mut server: Server, reported: Option<&InstanceStateChange>) -> Server {
    let name_of = |s: Option<&aws_sdk_ec2::types::InstanceState>| {
        s.and_then(|s| s.name()).map(|n| n.as_str().to_owned())
    };
    let Some(change) = reported else {
        return server;
    };
    let (before, after) = (
        name_of(change.previous_state()),
        name_of(change.current_state()),
    );
    let seen = server
        .extra
        .get("native_state")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    if let Some(after) = after.filter(|_| seen.is_some() && seen == before) {
        server.state = mapping::server_state(&after);
        server.actions = server.state.valid_actions();
        server.extra.insert("native_state".into(), after.into());
    }
    server
}

/// `name` contains `text`: an EC2 wildcard filter with `*`, `?` and `\` in the text escaped.
fn filter_contains(name: &str, text: &str) -> aws_sdk_ec2::types::Filter {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    ec2_filter(name, [format!("*{escaped}*")])
}

fn check_name(name: &str) -> DriverResult<()> {
    let len = name.chars().count();
    if name.trim().is_empty() || len > MAX_TAG_VALUE_LEN {
        return Err(DriverError::new(
            ErrorKind::InvalidRequest,
            format!(
                "an EC2 name (the Name tag) must have 1 to {MAX_TAG_VALUE_LEN} characters (got {len})"
            ),
        ));
    }
    Ok(())
}

/// `Name` is the resource's name, not a tag the request may set; `aws:` keys are reserved.
fn check_tags(tags: Option<&Tags>) -> DriverResult<()> {
    let bad = tags
        .into_iter()
        .flatten()
        .find(|(k, _)| k.as_str() == NAME_TAG || k.starts_with("aws:"));
    match bad {
        Some((key, _)) => Err(DriverError::new(
            ErrorKind::InvalidRequest,
            format!(
                "tag {key:?} cannot be set: use `name` for the Name tag; aws: keys are reserved"
            ),
        )),
        None => Ok(()),
    }
}

#[async_trait]
impl Driver for AwsDriver {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            list_servers: true,
            get_server: true,
            create_server: true,
            create_server_in_region: true,
            create_server_in_zone: true,
            create_server_with_key_name: true,
            create_server_with_user_data: true,
            create_server_with_tags: true,
            // RunInstances and CreateVolume take a `ClientToken` (client.rs) and answer a
            // repeat with the same token with the first resource.
            create_server_idempotent_with_client_token: true,
            start_server: true,
            stop_server: true,
            reboot_server: true,
            delete_server: true,
            list_images: true,
            list_images_by_owner: true,
            get_image: true,
            list_sizes: true,
            list_regions: true,
            list_volumes: true,
            get_volume: true,
            create_volume: true,
            create_volume_with_tags: true,
            create_volume_idempotent_with_client_token: true,
            delete_volume: true,
            attach_volume: true,
            detach_volume: true,
        }
    }

    async fn list_servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        self.servers(req, filter).await
    }

    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.find_server(id).await
    }

    /// `idempotency_token` (the request's Idempotency-Key) goes to EC2 as `ClientToken`.
    async fn create_server(
        &self,
        req: &CreateServerRequest,
        idempotency_token: Option<&str>,
    ) -> DriverResult<Server> {
        self.create(req, idempotency_token).await
    }

    async fn start_server(&self, id: &str) -> DriverResult<Server> {
        self.change(id, StateChange::Start).await
    }

    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.change(id, StateChange::Stop).await
    }

    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.reboot(id).await
    }

    async fn delete_server(&self, id: &str) -> DriverResult<Server> {
        self.change(id, StateChange::Terminate).await
    }

    async fn list_images(
        &self,
        req: &ListRequest,
        filter: &ImageFilter,
    ) -> DriverResult<Page<Image>> {
        self.images(req, filter).await
    }

    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        self.find_image(id).await
    }

    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        self.sizes(req).await
    }

    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        self.regions(req).await
    }

    async fn list_volumes(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        self.volumes(req).await
    }

    async fn get_volume(&self, id: &str) -> DriverResult<Volume> {
        self.find_volume(id).await
    }

    /// `idempotency_token` goes to EC2 as `ClientToken`.
    async fn create_volume(
        &self,
        req: &CreateVolumeRequest,
        idempotency_token: Option<&str>,
    ) -> DriverResult<Volume> {
        self.new_volume(req, idempotency_token).await
    }

    async fn delete_volume(&self, id: &str) -> DriverResult<Volume> {
        self.remove_volume(id).await
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

/// The constructor the driver table calls: a driver for the region the file (or the standard
/// chain) names, talking to EC2 or the file's endpoint (moto, LocalStack).
#[async_trait]
impl DriverSettings for AwsConfig {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        AwsConfig::validate(self)
    }

    async fn build(&self, provider: &str) -> Result<Built, BuildError> {
        let driver = AwsDriver::new(provider.to_owned(), self)
            .await
            .map_err(BuildError::Setup)?;
        Ok(Built {
            region: Some(driver.region().to_owned()),
            driver: Arc::new(driver),
            simulator: None,
        })
    }
}
