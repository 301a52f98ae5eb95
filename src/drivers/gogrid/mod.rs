//! GoGrid-style REST clouds (API v1.x). STUB: being written; every call answers unsupported.

mod config;

pub use config::{GoGridConfig, GoGridSettings, SimulatorConfig};

use async_trait::async_trait;

use crate::driver::{
    Capabilities, Driver, DriverError, DriverResult, ImageFilter, ListRequest, Page, ServerFilter,
};
use crate::model::{CreateServerRequest, CreateVolumeRequest, Image, Region, Server, Size, Volume};

/// Driver for one GoGrid account.
#[derive(Debug)]
pub struct GoGridDriver {
    #[allow(dead_code)]
    provider: String,
    #[allow(dead_code)]
    settings: GoGridSettings,
}

impl GoGridDriver {
    /// A driver for `provider` talking to the API described by `settings`.
    pub fn new(provider: String, settings: GoGridSettings) -> DriverResult<GoGridDriver> {
        Ok(GoGridDriver { provider, settings })
    }
}

#[async_trait]
impl Driver for GoGridDriver {
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    async fn list_servers(&self, _: &ListRequest, _: &ServerFilter) -> DriverResult<Page<Server>> {
        Err(DriverError::unsupported("list_servers"))
    }
    async fn get_server(&self, _: &str) -> DriverResult<Server> {
        Err(DriverError::unsupported("get_server"))
    }
    async fn create_server(
        &self,
        _: &CreateServerRequest,
        _: Option<&str>,
    ) -> DriverResult<Server> {
        Err(DriverError::unsupported("create_server"))
    }
    async fn start_server(&self, _: &str) -> DriverResult<Server> {
        Err(DriverError::unsupported("start_server"))
    }
    async fn stop_server(&self, _: &str) -> DriverResult<Server> {
        Err(DriverError::unsupported("stop_server"))
    }
    async fn reboot_server(&self, _: &str) -> DriverResult<Server> {
        Err(DriverError::unsupported("reboot_server"))
    }
    async fn delete_server(&self, _: &str) -> DriverResult<Server> {
        Err(DriverError::unsupported("delete_server"))
    }
    async fn list_images(&self, _: &ListRequest, _: &ImageFilter) -> DriverResult<Page<Image>> {
        Err(DriverError::unsupported("list_images"))
    }
    async fn get_image(&self, _: &str) -> DriverResult<Image> {
        Err(DriverError::unsupported("get_image"))
    }
    async fn list_sizes(&self, _: &ListRequest) -> DriverResult<Page<Size>> {
        Err(DriverError::unsupported("list_sizes"))
    }
    async fn list_regions(&self, _: &ListRequest) -> DriverResult<Page<Region>> {
        Err(DriverError::unsupported("list_regions"))
    }
    async fn list_volumes(&self, _: &ListRequest) -> DriverResult<Page<Volume>> {
        Err(DriverError::unsupported("list_volumes"))
    }
    async fn get_volume(&self, _: &str) -> DriverResult<Volume> {
        Err(DriverError::unsupported("get_volume"))
    }
    async fn create_volume(
        &self,
        _: &CreateVolumeRequest,
        _: Option<&str>,
    ) -> DriverResult<Volume> {
        Err(DriverError::unsupported("create_volume"))
    }
    async fn delete_volume(&self, _: &str) -> DriverResult<Volume> {
        Err(DriverError::unsupported("delete_volume"))
    }
    async fn attach_volume(&self, _: &str, _: &str, _: Option<&str>) -> DriverResult<Volume> {
        Err(DriverError::unsupported("attach_volume"))
    }
    async fn detach_volume(&self, _: &str) -> DriverResult<Volume> {
        Err(DriverError::unsupported("detach_volume"))
    }
}
