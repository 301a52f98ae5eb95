use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Extra, Tags};

/// A virtual machine at one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Server {
    /// The id the gateway uses for this server at its provider (see the driver's docs for what
    /// native value it is).
    pub id: String,
    /// The provider (configured account) this server belongs to.
    pub provider: String,
    /// Human-readable name.
    pub name: String,
    /// Unified state; the native state is kept in `extra.native_state`.
    pub state: ServerState,
    /// The image the server was created from, when the provider says.
    pub image_id: Option<String>,
    /// The hardware profile (size) of the server, when the provider says.
    pub size_id: Option<String>,
    /// Region or datacenter.
    pub region: Option<String>,
    /// Availability zone inside the region, where the provider has zones.
    pub zone: Option<String>,
    /// Public IP addresses.
    pub public_ips: Vec<String>,
    /// Private IP addresses.
    pub private_ips: Vec<String>,
    /// When the server was created (RFC 3339), when the provider says.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<OffsetDateTime>,
    /// Tags (key → value); empty where the provider has no tags.
    #[schema(value_type = super::TagsSchema)]
    pub tags: Tags,
    /// The actions valid in the current state that this provider supports.
    pub actions: Vec<ServerAction>,
    /// Provider-specific fields.
    #[schema(value_type = Object)]
    pub extra: Extra,
}

/// The unified server state. Each driver maps its native states here with one explicit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// Being created or provisioned, or powering on.
    Pending,
    /// Running.
    Running,
    /// Powering off.
    Stopping,
    /// Powered off; can be started again.
    Stopped,
    /// Restarting.
    Rebooting,
    /// Being deleted.
    Terminating,
    /// Deleted; it will disappear from lists.
    Terminated,
    /// The provider reports a failure.
    Error,
    /// The provider reported a state the driver does not know.
    Unknown,
}

/// An action that can be requested on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerAction {
    /// Power on.
    Start,
    /// Power off.
    Stop,
    /// Restart.
    Reboot,
    /// Terminate and delete.
    Delete,
}

impl ServerState {
    /// The state a server settles in once `action` has finished.
    pub fn after(action: ServerAction) -> ServerState {
        match action {
            ServerAction::Start | ServerAction::Reboot => ServerState::Running,
            ServerAction::Stop => ServerState::Stopped,
            ServerAction::Delete => ServerState::Terminated,
        }
    }

    /// Whether the provider will not move the server out of this state by itself.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            ServerState::Running
                | ServerState::Stopped
                | ServerState::Terminated
                | ServerState::Error
        )
    }

    /// What requesting `action` in this state means: the one table of power-action rules.
    pub fn admits(self, action: ServerAction) -> ActionAdmission {
        use ActionAdmission::{Allowed, AlreadyDone, Conflict};
        use ServerState as S;
        match (action, self) {
            (_, S::Terminated | S::Terminating) => match action {
                ServerAction::Delete => AlreadyDone,
                _ => Conflict,
            },
            (ServerAction::Delete, _) => Allowed,
            (ServerAction::Start, S::Running | S::Pending | S::Rebooting) => AlreadyDone,
            (ServerAction::Start, S::Stopped | S::Error | S::Unknown) => Allowed,
            (ServerAction::Start, S::Stopping) => Conflict,
            (ServerAction::Stop, S::Stopped | S::Stopping) => AlreadyDone,
            (ServerAction::Stop, S::Running | S::Error | S::Unknown) => Allowed,
            (ServerAction::Stop, S::Pending | S::Rebooting) => Conflict,
            (ServerAction::Reboot, S::Running | S::Unknown | S::Error) => Allowed,
            (ServerAction::Reboot, S::Rebooting) => AlreadyDone,
            (ServerAction::Reboot, S::Pending | S::Stopping | S::Stopped) => Conflict,
        }
    }

    /// The actions that make sense in this state (before checking the provider's capabilities).
    pub fn valid_actions(self) -> Vec<ServerAction> {
        [
            ServerAction::Start,
            ServerAction::Stop,
            ServerAction::Reboot,
            ServerAction::Delete,
        ]
        .into_iter()
        .filter(|a| self.admits(*a) == ActionAdmission::Allowed)
        .collect()
    }
}

impl ServerState {
    /// The wire name (`running`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Pending => "pending",
            ServerState::Running => "running",
            ServerState::Stopping => "stopping",
            ServerState::Stopped => "stopped",
            ServerState::Rebooting => "rebooting",
            ServerState::Terminating => "terminating",
            ServerState::Terminated => "terminated",
            ServerState::Error => "error",
            ServerState::Unknown => "unknown",
        }
    }
}

impl ServerAction {
    /// The wire name (`start`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerAction::Start => "start",
            ServerAction::Stop => "stop",
            ServerAction::Reboot => "reboot",
            ServerAction::Delete => "delete",
        }
    }
}

/// The answer of [`ServerState::admits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionAdmission {
    /// The action changes the server.
    Allowed,
    /// The server is already where the action would take it: succeed at once.
    AlreadyDone,
    /// The action cannot be taken in this state (409 invalid_state).
    Conflict,
}

/// Body of `POST /v1/providers/{provider}/servers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServerRequest {
    /// Name of the new server (providers may limit it further: GoGrid to 20 characters).
    #[schema(min_length = 1)]
    pub name: String,
    /// Image id from `GET /v1/providers/{provider}/images`.
    #[schema(min_length = 1)]
    pub image_id: String,
    /// Size id from `GET /v1/providers/{provider}/sizes`.
    #[schema(min_length = 1)]
    pub size_id: String,
    /// Region id from `GET /v1/providers/{provider}/regions`; the provider's default otherwise.
    #[serde(default)]
    pub region: Option<String>,
    /// Availability zone, where the provider has zones.
    #[serde(default)]
    pub zone: Option<String>,
    /// Name of an SSH key pair known to the provider.
    #[serde(default)]
    pub key_name: Option<String>,
    /// User data (cloud-init) as plain text; the driver encodes it as the provider needs.
    #[serde(default)]
    pub user_data: Option<String>,
    /// Tags to set at creation time.
    #[serde(default)]
    #[schema(value_type = Option<super::TagsSchema>)]
    pub tags: Option<super::Tags>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_on_running_is_already_done_and_on_terminated_conflicts() {
        assert_eq!(
            ServerState::Running.admits(ServerAction::Start),
            ActionAdmission::AlreadyDone
        );
        assert_eq!(
            ServerState::Terminated.admits(ServerAction::Start),
            ActionAdmission::Conflict
        );
        assert_eq!(
            ServerState::Stopped.admits(ServerAction::Start),
            ActionAdmission::Allowed
        );
    }

    #[test]
    fn stop_on_stopped_is_already_done_and_reboot_on_stopped_conflicts() {
        assert_eq!(
            ServerState::Stopped.admits(ServerAction::Stop),
            ActionAdmission::AlreadyDone
        );
        assert_eq!(
            ServerState::Stopped.admits(ServerAction::Reboot),
            ActionAdmission::Conflict
        );
    }

    #[test]
    fn names_are_the_wire_names() {
        use ServerState as S;
        let states = [
            S::Pending,
            S::Running,
            S::Stopping,
            S::Stopped,
            S::Rebooting,
        ];
        let more = [S::Terminating, S::Terminated, S::Error, S::Unknown];
        for state in states.into_iter().chain(more) {
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::json!(state.as_str()))
            );
        }
        for action in [
            ServerAction::Start,
            ServerAction::Stop,
            ServerAction::Reboot,
            ServerAction::Delete,
        ] {
            assert_eq!(
                serde_json::to_value(action).ok(),
                Some(serde_json::json!(action.as_str()))
            );
        }
    }

    #[test]
    fn running_server_offers_stop_reboot_delete() {
        assert_eq!(
            ServerState::Running.valid_actions(),
            vec![
                ServerAction::Stop,
                ServerAction::Reboot,
                ServerAction::Delete
            ]
        );
        assert_eq!(
            ServerState::Terminated.valid_actions(),
            Vec::<ServerAction>::new()
        );
    }
}
