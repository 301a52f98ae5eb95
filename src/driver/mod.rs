//! The `Driver` trait every backend implements, what it declares it can do, and its errors.

mod capabilities;
mod error;
mod page;
pub mod paging;
pub mod transport;

pub use capabilities::{Capabilities, DriverOp};
pub use error::{DriverError, ErrorKind, Retry, Sent};
pub use page::{ImageFilter, ListRequest, Page, ServerFilter};

use async_trait::async_trait;

use crate::model::{CreateServerRequest, CreateVolumeRequest, Image, Region, Server, Size, Volume};

/// The result of a driver call.
pub type DriverResult<T> = Result<T, DriverError>;

/// One account at one cloud, reached through that cloud's own API.
///
/// Every method either does what it says at the provider or fails with a [`DriverError`]
/// whose kind tells the caller why. A backend that cannot do an operation says so in
/// [`Driver::capabilities`] and answers [`ErrorKind::Unsupported`]; nothing is faked.
/// The gateway checks capabilities before it calls, and applies the power-action rules of
/// [`crate::model::ServerState::admits`] itself, so a driver may assume the action makes sense
/// in the state it last reported.
#[async_trait]
pub trait Driver: Send + Sync + 'static {
    /// What this backend really supports.
    fn capabilities(&self) -> Capabilities;

    /// A page of servers, at most `req.limit` of them, matching `filter`, starting at
    /// `req.cursor` (a cursor this driver returned earlier). Servers being provisioned are
    /// included.
    async fn list_servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>>;

    /// One server; `not_found` when it does not exist (or no longer exists).
    async fn get_server(&self, id: &str) -> DriverResult<Server>;

    /// Asks the provider to create a server and returns it as first seen (usually `pending`).
    /// `idempotency_token`, when given, is passed to providers that deduplicate creates.
    /// Options the backend lacks (see capabilities) fail with `unsupported`, never ignored.
    async fn create_server(
        &self,
        req: &CreateServerRequest,
        idempotency_token: Option<&str>,
    ) -> DriverResult<Server>;

    /// Asks the provider to power the server on; returns it as seen right after.
    async fn start_server(&self, id: &str) -> DriverResult<Server>;

    /// Asks the provider to power the server off; returns it as seen right after.
    async fn stop_server(&self, id: &str) -> DriverResult<Server>;

    /// Asks the provider to restart the server; returns it as seen right after.
    async fn reboot_server(&self, id: &str) -> DriverResult<Server>;

    /// Asks the provider to terminate the server; returns it as last seen. A missing server is
    /// `not_found`.
    async fn delete_server(&self, id: &str) -> DriverResult<Server>;

    /// A page of images matching `filter`.
    async fn list_images(
        &self,
        req: &ListRequest,
        filter: &ImageFilter,
    ) -> DriverResult<Page<Image>>;

    /// One image; `not_found` when it does not exist.
    async fn get_image(&self, id: &str) -> DriverResult<Image>;

    /// A page of sizes (hardware profiles).
    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>>;

    /// A page of regions with their zones.
    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>>;

    /// A page of volumes.
    async fn list_volumes(&self, req: &ListRequest) -> DriverResult<Page<Volume>>;

    /// One volume; `not_found` when it does not exist.
    async fn get_volume(&self, id: &str) -> DriverResult<Volume>;

    /// Asks the provider to create a volume; returns it as first seen.
    async fn create_volume(
        &self,
        req: &CreateVolumeRequest,
        idempotency_token: Option<&str>,
    ) -> DriverResult<Volume>;

    /// Asks the provider to delete a volume; a missing volume is `not_found`.
    async fn delete_volume(&self, id: &str) -> DriverResult<Volume>;

    /// Attaches a volume to a server at `device` (or one the driver picks).
    async fn attach_volume(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume>;

    /// Detaches a volume from whatever server holds it.
    async fn detach_volume(&self, volume_id: &str) -> DriverResult<Volume>;
}
