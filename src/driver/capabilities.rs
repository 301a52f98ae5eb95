use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{ServerAction, ServerState};

/// What a provider's backend really supports. Checked once, before any driver call: an
/// operation whose capability is false answers 501 `unsupported`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Capabilities {
    /// List servers.
    pub list_servers: bool,
    /// Read one server.
    pub get_server: bool,
    /// Create servers.
    pub create_server: bool,
    /// Create servers in a given region.
    pub create_server_in_region: bool,
    /// Create servers in a given availability zone.
    pub create_server_in_zone: bool,
    /// Create servers with an SSH key pair (`key_name`).
    pub create_server_with_key_name: bool,
    /// Create servers with user data (`user_data`).
    pub create_server_with_user_data: bool,
    /// Create servers with tags (`tags`).
    pub create_server_with_tags: bool,
    /// The provider deduplicates server creates on a client token (the `Idempotency-Key`, sent
    /// as EC2's `ClientToken`), so a create that timed out may be retried. Refuses nothing.
    pub create_server_idempotent_with_client_token: bool,
    /// Power servers on.
    pub start_server: bool,
    /// Power servers off.
    pub stop_server: bool,
    /// Restart servers.
    pub reboot_server: bool,
    /// Terminate servers.
    pub delete_server: bool,
    /// List images.
    pub list_images: bool,
    /// Filter the image list by owner (`owner`).
    pub list_images_by_owner: bool,
    /// Read one image.
    pub get_image: bool,
    /// List sizes.
    pub list_sizes: bool,
    /// List regions.
    pub list_regions: bool,
    /// List volumes.
    pub list_volumes: bool,
    /// Read one volume.
    pub get_volume: bool,
    /// Create volumes.
    pub create_volume: bool,
    /// Create volumes with tags (`tags`).
    pub create_volume_with_tags: bool,
    /// The provider deduplicates volume creates on a client token, as
    /// `create_server_idempotent_with_client_token` says for servers. Refuses nothing.
    pub create_volume_idempotent_with_client_token: bool,
    /// Delete volumes.
    pub delete_volume: bool,
    /// Attach volumes to servers.
    pub attach_volume: bool,
    /// Detach volumes.
    pub detach_volume: bool,
}

impl Capabilities {
    /// The actions valid in `state` (the power-action table of [`ServerState::admits`]) that
    /// this provider supports: what a server resource lists under `actions`.
    pub fn server_actions(&self, state: ServerState) -> Vec<ServerAction> {
        state
            .valid_actions()
            .into_iter()
            .filter(|a| DriverOp::for_action(*a).allowed_by(self))
            .collect()
    }
}

/// A driver operation: what capabilities are checked against, and the label errors and logs
/// carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriverOp {
    /// [`crate::driver::Driver::list_servers`].
    ListServers,
    /// [`crate::driver::Driver::get_server`].
    GetServer,
    /// [`crate::driver::Driver::create_server`].
    CreateServer,
    /// [`crate::driver::Driver::start_server`].
    StartServer,
    /// [`crate::driver::Driver::stop_server`].
    StopServer,
    /// [`crate::driver::Driver::reboot_server`].
    RebootServer,
    /// [`crate::driver::Driver::delete_server`].
    DeleteServer,
    /// [`crate::driver::Driver::list_images`].
    ListImages,
    /// [`crate::driver::Driver::get_image`].
    GetImage,
    /// [`crate::driver::Driver::list_sizes`].
    ListSizes,
    /// [`crate::driver::Driver::list_regions`].
    ListRegions,
    /// [`crate::driver::Driver::list_volumes`].
    ListVolumes,
    /// [`crate::driver::Driver::get_volume`].
    GetVolume,
    /// [`crate::driver::Driver::create_volume`].
    CreateVolume,
    /// [`crate::driver::Driver::delete_volume`].
    DeleteVolume,
    /// [`crate::driver::Driver::attach_volume`].
    AttachVolume,
    /// [`crate::driver::Driver::detach_volume`].
    DetachVolume,
}

impl DriverOp {
    /// The driver operation that carries out a server action.
    pub fn for_action(action: ServerAction) -> DriverOp {
        match action {
            ServerAction::Start => DriverOp::StartServer,
            ServerAction::Stop => DriverOp::StopServer,
            ServerAction::Reboot => DriverOp::RebootServer,
            ServerAction::Delete => DriverOp::DeleteServer,
        }
    }

    /// The operation's name (snake_case), as used in logs and problem details.
    pub fn name(self) -> &'static str {
        match self {
            DriverOp::ListServers => "list_servers",
            DriverOp::GetServer => "get_server",
            DriverOp::CreateServer => "create_server",
            DriverOp::StartServer => "start_server",
            DriverOp::StopServer => "stop_server",
            DriverOp::RebootServer => "reboot_server",
            DriverOp::DeleteServer => "delete_server",
            DriverOp::ListImages => "list_images",
            DriverOp::GetImage => "get_image",
            DriverOp::ListSizes => "list_sizes",
            DriverOp::ListRegions => "list_regions",
            DriverOp::ListVolumes => "list_volumes",
            DriverOp::GetVolume => "get_volume",
            DriverOp::CreateVolume => "create_volume",
            DriverOp::DeleteVolume => "delete_volume",
            DriverOp::AttachVolume => "attach_volume",
            DriverOp::DetachVolume => "detach_volume",
        }
    }

    /// Whether the operation only reads, so repeating it is harmless.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            DriverOp::ListServers
                | DriverOp::GetServer
                | DriverOp::ListImages
                | DriverOp::GetImage
                | DriverOp::ListSizes
                | DriverOp::ListRegions
                | DriverOp::ListVolumes
                | DriverOp::GetVolume
        )
    }

    /// Whether `caps` allows this operation.
    pub fn allowed_by(self, caps: &Capabilities) -> bool {
        match self {
            DriverOp::ListServers => caps.list_servers,
            DriverOp::GetServer => caps.get_server,
            DriverOp::CreateServer => caps.create_server,
            DriverOp::StartServer => caps.start_server,
            DriverOp::StopServer => caps.stop_server,
            DriverOp::RebootServer => caps.reboot_server,
            DriverOp::DeleteServer => caps.delete_server,
            DriverOp::ListImages => caps.list_images,
            DriverOp::GetImage => caps.get_image,
            DriverOp::ListSizes => caps.list_sizes,
            DriverOp::ListRegions => caps.list_regions,
            DriverOp::ListVolumes => caps.list_volumes,
            DriverOp::GetVolume => caps.get_volume,
            DriverOp::CreateVolume => caps.create_volume,
            DriverOp::DeleteVolume => caps.delete_volume,
            DriverOp::AttachVolume => caps.attach_volume,
            DriverOp::DetachVolume => caps.detach_volume,
        }
    }
}
