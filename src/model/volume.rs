use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Extra, Tags};

/// A block storage volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Volume {
    /// The provider's native volume id.
    pub id: String,
    /// The provider (configured account) this volume belongs to.
    pub provider: String,
    /// Human-readable name.
    pub name: String,
    /// Size in GiB.
    pub size_gib: u64,
    /// Unified state; the native state is kept in `extra.native_state`.
    pub state: VolumeState,
    /// Availability zone, where the provider has zones.
    pub zone: Option<String>,
    /// Servers the volume is attached to.
    pub attachments: Vec<Attachment>,
    /// When the volume was created (RFC 3339), when the provider says.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<OffsetDateTime>,
    /// Tags (key → value).
    #[schema(value_type = super::TagsSchema)]
    pub tags: Tags,
    /// Provider-specific fields.
    #[schema(value_type = Object)]
    pub extra: Extra,
}

/// The unified volume state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VolumeState {
    /// Being created.
    Creating,
    /// Ready and not attached.
    Available,
    /// Attached to a server.
    InUse,
    /// Being deleted.
    Deleting,
    /// Deleted.
    Deleted,
    /// The provider reports a failure.
    Error,
    /// The provider reported a state the driver does not know.
    Unknown,
}

impl VolumeState {
    /// The wire name (`available`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeState::Creating => "creating",
            VolumeState::Available => "available",
            VolumeState::InUse => "in_use",
            VolumeState::Deleting => "deleting",
            VolumeState::Deleted => "deleted",
            VolumeState::Error => "error",
            VolumeState::Unknown => "unknown",
        }
    }
}

/// A volume's attachment to a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    /// The server the volume is attached to.
    pub server_id: String,
    /// The device name on the server, when known.
    pub device: Option<String>,
}

/// Body of `POST /v1/providers/{provider}/volumes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVolumeRequest {
    /// Name of the new volume.
    #[schema(min_length = 1)]
    pub name: String,
    /// Size in GiB (at least 1).
    #[schema(minimum = 1)]
    pub size_gib: u64,
    /// Availability zone, where the provider has zones.
    #[serde(default)]
    pub zone: Option<String>,
    /// Tags to set at creation time.
    #[serde(default)]
    #[schema(value_type = Option<super::TagsSchema>)]
    pub tags: Option<Tags>,
}

/// Body of `POST /v1/providers/{provider}/volumes/{id}/attach`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachVolumeRequest {
    /// The server to attach the volume to.
    #[schema(min_length = 1)]
    pub server_id: String,
    /// Device name on the server; the driver picks one when absent.
    #[serde(default)]
    pub device: Option<String>,
}
