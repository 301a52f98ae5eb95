//! The one forwarding helper: a layer implements [`Around`] (a single hook that sees every
//! call as a [`Call`]), and [`Layered`] turns it into an `impl Driver` around the next driver.
//! No layer forwards the trait's methods by hand.

use std::sync::Arc;

use async_trait::async_trait;

use super::call::{Call, FromReply, Reply};
use crate::driver::{
    Capabilities, Driver, DriverResult, ImageFilter, ListRequest, Page, ServerFilter,
};
use crate::model::{CreateServerRequest, CreateVolumeRequest, Image, Region, Server, Size, Volume};

/// What a layer does around each call.
#[async_trait]
pub trait Around: Send + Sync + 'static {
    /// Handles `call`: pass it on with `next.run(call)` (any number of times, or not at all),
    /// and return the answer.
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply>;
}

/// The rest of the stack below a layer.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    inner: &'a Arc<dyn Driver>,
}

impl Next<'_> {
    /// Makes `call` on the next driver down.
    pub async fn run(self, call: &Call) -> DriverResult<Reply> {
        call.dispatch(self.inner.as_ref()).await
    }

    /// What the driver at the bottom of the stack supports (read through, as
    /// [`Driver::capabilities`] of every layer is).
    pub fn capabilities(self) -> Capabilities {
        self.inner.capabilities()
    }

    /// The next driver down, for a layer that must make the call from another task.
    pub fn driver(self) -> Arc<dyn Driver> {
        self.inner.clone()
    }
}

/// A layer `L` around the driver `inner`: itself a [`Driver`].
pub struct Layered<L> {
    inner: Arc<dyn Driver>,
    layer: L,
}

impl<L: Around> Layered<L> {
    /// Wraps `inner` in `layer`.
    pub fn wrap(inner: Arc<dyn Driver>, layer: L) -> Arc<dyn Driver> {
        Arc::new(Layered { inner, layer })
    }

    async fn forward<T: FromReply>(&self, call: Call) -> DriverResult<T> {
        let next = Next { inner: &self.inner };
        T::from_reply(self.layer.around(&call, next).await?)
    }
}

#[async_trait]
impl<L: Around> Driver for Layered<L> {
    fn capabilities(&self) -> Capabilities {
        // Read through every time: a driver that rediscovers its backend (OCCI) shows it.
        self.inner.capabilities()
    }

    async fn list_servers(
        &self,
        req: &ListRequest,
        filter: &ServerFilter,
    ) -> DriverResult<Page<Server>> {
        self.forward(Call::ListServers(req.clone(), filter.clone()))
            .await
    }

    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.forward(Call::GetServer(id.to_owned())).await
    }

    async fn create_server(
        &self,
        req: &CreateServerRequest,
        idempotency_token: Option<&str>,
    ) -> DriverResult<Server> {
        let token = idempotency_token.map(str::to_owned);
        self.forward(Call::CreateServer(Box::new(req.clone()), token))
            .await
    }

    async fn start_server(&self, id: &str) -> DriverResult<Server> {
        self.forward(Call::StartServer(id.to_owned())).await
    }

    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.forward(Call::StopServer(id.to_owned())).await
    }

    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.forward(Call::RebootServer(id.to_owned())).await
    }

    async fn delete_server(&self, id: &str) -> DriverResult<Server> {
        self.forward(Call::DeleteServer(id.to_owned())).await
    }

    async fn list_images(
        &self,
        req: &ListRequest,
        filter: &ImageFilter,
    ) -> DriverResult<Page<Image>> {
        self.forward(Call::ListImages(req.clone(), filter.clone()))
            .await
    }

    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        self.forward(Call::GetImage(id.to_owned())).await
    }

    async fn list_sizes(&self, req: &ListRequest) -> DriverResult<Page<Size>> {
        self.forward(Call::ListSizes(req.clone())).await
    }

    async fn list_regions(&self, req: &ListRequest) -> DriverResult<Page<Region>> {
        self.forward(Call::ListRegions(req.clone())).await
    }

    async fn list_volumes(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        self.forward(Call::ListVolumes(req.clone())).await
    }

    async fn get_volume(&self, id: &str) -> DriverResult<Volume> {
        self.forward(Call::GetVolume(id.to_owned())).await
    }

    async fn create_volume(
        &self,
        req: &CreateVolumeRequest,
        idempotency_token: Option<&str>,
    ) -> DriverResult<Volume> {
        let token = idempotency_token.map(str::to_owned);
        self.forward(Call::CreateVolume(Box::new(req.clone()), token))
            .await
    }

    async fn delete_volume(&self, id: &str) -> DriverResult<Volume> {
        self.forward(Call::DeleteVolume(id.to_owned())).await
    }

    async fn attach_volume(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume> {
        self.forward(Call::AttachVolume(
            volume_id.to_owned(),
            server_id.to_owned(),
            device.map(str::to_owned),
        ))
        .await
    }

    async fn detach_volume(&self, volume_id: &str) -> DriverResult<Volume> {
        self.forward(Call::DetachVolume(volume_id.to_owned())).await
    }
}
