//! One driver call as a value: the operation with its (owned) arguments, and its answer.
//!
//! Layers see calls as [`Call`] and answers as [`Reply`], so a layer is written once for every
//! operation (see [`super::Around`]) and can key, retry, share or refuse a call by what it is.

use crate::driver::{
    Capabilities, Driver, DriverError, DriverOp, DriverResult, ErrorKind, ImageFilter, ListRequest,
    Page, ServerFilter,
};
use crate::model::{CreateServerRequest, CreateVolumeRequest, Image, Region, Server, Size, Volume};

/// A driver call: one variant per [`Driver`] method, holding its arguments.
#[derive(Debug, Clone)]
pub enum Call {
    /// [`Driver::list_servers`].
    ListServers(ListRequest, ServerFilter),
    /// [`Driver::get_server`].
    GetServer(String),
    /// [`Driver::create_server`] with its idempotency token.
    CreateServer(Box<CreateServerRequest>, Option<String>),
    /// [`Driver::start_server`].
    StartServer(String),
    /// [`Driver::stop_server`].
    StopServer(String),
    /// [`Driver::reboot_server`].
    RebootServer(String),
    /// [`Driver::delete_server`].
    DeleteServer(String),
    /// [`Driver::list_images`].
    ListImages(ListRequest, ImageFilter),
    /// [`Driver::get_image`].
    GetImage(String),
    /// [`Driver::list_sizes`].
    ListSizes(ListRequest),
    /// [`Driver::list_regions`].
    ListRegions(ListRequest),
    /// [`Driver::list_volumes`].
    ListVolumes(ListRequest),
    /// [`Driver::get_volume`].
    GetVolume(String),
    /// [`Driver::create_volume`] with its idempotency token.
    CreateVolume(Box<CreateVolumeRequest>, Option<String>),
    /// [`Driver::delete_volume`].
    DeleteVolume(String),
    /// [`Driver::attach_volume`]: volume, server, device.
    AttachVolume(String, String, Option<String>),
    /// [`Driver::detach_volume`].
    DetachVolume(String),
}

impl Call {
    /// The operation, for labels and capability names.
    pub fn op(&self) -> DriverOp {
        match self {
            Call::ListServers(..) => DriverOp::ListServers,
            Call::GetServer(_) => DriverOp::GetServer,
            Call::CreateServer(..) => DriverOp::CreateServer,
            Call::StartServer(_) => DriverOp::StartServer,
            Call::StopServer(_) => DriverOp::StopServer,
            Call::RebootServer(_) => DriverOp::RebootServer,
            Call::DeleteServer(_) => DriverOp::DeleteServer,
            Call::ListImages(..) => DriverOp::ListImages,
            Call::GetImage(_) => DriverOp::GetImage,
            Call::ListSizes(_) => DriverOp::ListSizes,
            Call::ListRegions(_) => DriverOp::ListRegions,
            Call::ListVolumes(_) => DriverOp::ListVolumes,
            Call::GetVolume(_) => DriverOp::GetVolume,
            Call::CreateVolume(..) => DriverOp::CreateVolume,
            Call::DeleteVolume(_) => DriverOp::DeleteVolume,
            Call::AttachVolume(..) => DriverOp::AttachVolume,
            Call::DetachVolume(_) => DriverOp::DetachVolume,
        }
    }

    /// For reads, a key equal for two calls exactly when they ask the same (operation and
    /// every argument); `None` for mutations, which are never shared.
    pub fn read_key(&self) -> Option<String> {
        // The Debug rendering names the variant and every argument field by field (maps in
        // the arguments are ordered), which is what "the same call" means here.
        self.op().is_read().then(|| format!("{self:?}"))
    }

    /// Whether sending this call again after `err` cannot do anything twice: reads always;
    /// any call that never reached the provider; power actions and deletes (asking twice
    /// for the same end state is harmless, and the gateway's state rules run before); creates
    /// only with a client token, and only when `caps` say the provider deduplicates that
    /// create on it (`create_*_idempotent_with_client_token`). Attach and detach are repeated
    /// only when they were not sent.
    pub fn may_repeat_after(&self, err: &DriverError, caps: &Capabilities) -> bool {
        if self.op().is_read() || err.was_not_sent() {
            return true;
        }
        match self {
            Call::StartServer(_)
            | Call::StopServer(_)
            | Call::RebootServer(_)
            | Call::DeleteServer(_)
            | Call::DeleteVolume(_) => true,
            Call::CreateServer(_, token) => {
                caps.create_server_idempotent_with_client_token && token.is_some()
            }
            Call::CreateVolume(_, token) => {
                caps.create_volume_idempotent_with_client_token && token.is_some()
            }
            _ => false,
        }
    }

    /// Makes the call on `driver`.
    pub async fn dispatch(&self, driver: &dyn Driver) -> DriverResult<Reply> {
        Ok(match self {
            Call::ListServers(req, filter) => {
                Reply::Servers(driver.list_servers(req, filter).await?)
            }
            Call::GetServer(id) => Reply::Server(driver.get_server(id).await?),
            Call::CreateServer(req, token) => {
                Reply::Server(driver.create_server(req, token.as_deref()).await?)
            }
            Call::StartServer(id) => Reply::Server(driver.start_server(id).await?),
            Call::StopServer(id) => Reply::Server(driver.stop_server(id).await?),
            Call::RebootServer(id) => Reply::Server(driver.reboot_server(id).await?),
            Call::DeleteServer(id) => Reply::Server(driver.delete_server(id).await?),
            Call::ListImages(req, filter) => Reply::Images(driver.list_images(req, filter).await?),
            Call::GetImage(id) => Reply::Image(driver.get_image(id).await?),
            Call::ListSizes(req) => Reply::Sizes(driver.list_sizes(req).await?),
            Call::ListRegions(req) => Reply::Regions(driver.list_regions(req).await?),
            Call::ListVolumes(req) => Reply::Volumes(driver.list_volumes(req).await?),
            Call::GetVolume(id) => Reply::Volume(driver.get_volume(id).await?),
            Call::CreateVolume(req, token) => {
                Reply::Volume(driver.create_volume(req, token.as_deref()).await?)
            }
            Call::DeleteVolume(id) => Reply::Volume(driver.delete_volume(id).await?),
            Call::AttachVolume(volume, server, device) => Reply::Volume(
                driver
                    .attach_volume(volume, server, device.as_deref())
                    .await?,
            ),
            Call::DetachVolume(id) => Reply::Volume(driver.detach_volume(id).await?),
        })
    }
}

/// The answer of a [`Call`].
#[derive(Debug, Clone)]
pub enum Reply {
    /// A server.
    Server(Server),
    /// A page of servers.
    Servers(Page<Server>),
    /// An image.
    Image(Image),
    /// A page of images.
    Images(Page<Image>),
    /// A page of sizes.
    Sizes(Page<Size>),
    /// A page of regions.
    Regions(Page<Region>),
    /// A volume.
    Volume(Volume),
    /// A page of volumes.
    Volumes(Page<Volume>),
}

/// A typed answer taken back out of a [`Reply`].
pub trait FromReply: Sized {
    /// The answer, or an error when a layer answered a different kind of value (a bug in
    /// that layer, reported rather than panicking).
    fn from_reply(reply: Reply) -> DriverResult<Self>;
}

macro_rules! from_reply {
    ($($variant:ident => $ty:ty),* $(,)?) => {$(
        impl FromReply for $ty {
            fn from_reply(reply: Reply) -> DriverResult<Self> {
                match reply {
                    Reply::$variant(value) => Ok(value),
                    other => Err(mismatch(&other)),
                }
            }
        }
    )*};
}

from_reply! {
    Server => Server,
    Servers => Page<Server>,
    Image => Image,
    Images => Page<Image>,
    Sizes => Page<Size>,
    Regions => Page<Region>,
    Volume => Volume,
    Volumes => Page<Volume>,
}

fn mismatch(reply: &Reply) -> DriverError {
    let got = match reply {
        Reply::Server(_) => "a server",
        Reply::Servers(_) => "servers",
        Reply::Image(_) => "an image",
        Reply::Images(_) => "images",
        Reply::Sizes(_) => "sizes",
        Reply::Regions(_) => "regions",
        Reply::Volume(_) => "a volume",
        Reply::Volumes(_) => "volumes",
    };
    DriverError::new(
        ErrorKind::BadResponse,
        format!("a gateway layer answered {got} to another call; this is a bug"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(limit: usize, name: Option<&str>) -> Call {
        Call::ListServers(
            ListRequest {
                limit,
                cursor: None,
            },
            ServerFilter {
                state: None,
                name: name.map(str::to_owned),
            },
        )
    }

    #[test]
    fn reads_with_equal_arguments_share_a_key_and_mutations_have_none() {
        assert_eq!(
            list(10, Some("a")).read_key(),
            list(10, Some("a")).read_key()
        );
        assert_ne!(
            list(10, Some("a")).read_key(),
            list(10, Some("b")).read_key()
        );
        assert_ne!(list(10, None).read_key(), list(11, None).read_key());
        assert_ne!(
            Call::GetServer("1".into()).read_key(),
            Call::GetVolume("1".into()).read_key()
        );
        assert_eq!(Call::StartServer("1".into()).read_key(), None);
    }

    #[test]
    fn only_safe_calls_may_be_repeated_after_a_timeout() {
        let timeout = DriverError::new(ErrorKind::Timeout, "late");
        let refused =
            DriverError::new(ErrorKind::Unavailable, "refused").with_sent(crate::driver::Sent::No);
        let create = |token: Option<&str>| {
            Call::CreateVolume(
                Box::new(CreateVolumeRequest {
                    name: "v".into(),
                    size_gib: 1,
                    zone: None,
                    tags: Default::default(),
                }),
                token.map(str::to_owned),
            )
        };
        // The provider deduplicates volume creates on a client token (EC2), or it does not.
        let deduplicates = Capabilities {
            create_volume_idempotent_with_client_token: true,
            ..Capabilities::default()
        };
        let ignores = Capabilities::default();
        assert!(list(1, None).may_repeat_after(&timeout, &ignores));
        assert!(Call::StopServer("1".into()).may_repeat_after(&timeout, &ignores));
        assert!(Call::DeleteVolume("1".into()).may_repeat_after(&timeout, &ignores));
        assert!(create(Some("tok")).may_repeat_after(&timeout, &deduplicates));
        assert!(
            !create(Some("tok")).may_repeat_after(&timeout, &ignores),
            "a token the provider ignores does not make a create safe"
        );
        assert!(!create(None).may_repeat_after(&timeout, &deduplicates));
        assert!(create(None).may_repeat_after(&refused, &ignores));
        let attach = Call::AttachVolume("v".into(), "s".into(), None);
        assert!(!attach.may_repeat_after(&timeout, &deduplicates));
        assert!(attach.may_repeat_after(&refused, &ignores));
    }
}
