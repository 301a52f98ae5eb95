use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Problem, ServerAction};

/// A long-running change the gateway follows to its end.
///
/// The resource it changes is referenced by `provider`, `resource_kind` and `resource_id`; a front
/// end renders its own link to it (REST: `resource_path`), nothing below it builds one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Operation {
    /// Operation id (a UUID); `GET /v1/operations/{id}` reads it.
    pub id: String,
    /// What was requested.
    pub kind: OperationKind,
    /// Where it stands.
    pub status: OperationStatus,
    /// The provider the change is made at.
    pub provider: String,
    /// The kind of resource changed.
    pub resource_kind: ResourceKind,
    /// The id of the resource changed.
    pub resource_id: String,
    /// When the operation was accepted (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When the status last changed (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Why it failed, when `status` is `failed`.
    #[serde(default)]
    pub problem: Option<Problem>,
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Create a server.
    CreateServer,
    /// Power a server on.
    StartServer,
    /// Power a server off.
    StopServer,
    /// Restart a server.
    RebootServer,
    /// Terminate a server.
    DeleteServer,
    /// Create a volume.
    CreateVolume,
    /// Delete a volume.
    DeleteVolume,
    /// Attach a volume to a server.
    AttachVolume,
    /// Detach a volume.
    DetachVolume,
}

impl OperationKind {
    /// The operation kind of a server action.
    pub fn for_action(action: ServerAction) -> OperationKind {
        match action {
            ServerAction::Start => OperationKind::StartServer,
            ServerAction::Stop => OperationKind::StopServer,
            ServerAction::Reboot => OperationKind::RebootServer,
            ServerAction::Delete => OperationKind::DeleteServer,
        }
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    /// Accepted, not yet seen in progress at the provider.
    Pending,
    /// The provider is working on it.
    Running,
    /// Finished as requested.
    Succeeded,
    /// Finished without reaching the requested state; see `problem`.
    Failed,
}

impl OperationStatus {
    /// Whether the operation has ended.
    pub fn is_final(self) -> bool {
        matches!(self, OperationStatus::Succeeded | OperationStatus::Failed)
    }
}

/// The kind of resource an operation changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A server.
    Server,
    /// A volume.
    Volume,
}

impl ResourceKind {
    /// The API collection of this kind of resource (`servers`, `volumes`).
    pub fn collection(self) -> &'static str {
        match self {
            ResourceKind::Server => "servers",
            ResourceKind::Volume => "volumes",
        }
    }
}
