use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::driver::Capabilities;

/// A configured provider: one account at one cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Provider {
    /// Provider id: the stem of its file in the providers directory.
    pub id: String,
    /// Driver that talks to it (`gogrid`, `occi`, `aws`).
    pub driver: String,
    /// Default region, where the driver has one.
    pub region: Option<String>,
    /// Whether the gateway runs a simulator of this provider in-process.
    pub simulated: bool,
    /// What the backend really supports; anything false answers 501 `unsupported`.
    pub capabilities: Capabilities,
    /// Result of the last call the gateway made to the provider.
    pub health: ProviderHealth,
}

/// What the gateway last saw of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderHealth {
    /// No call has been made yet.
    Unknown,
    /// The last call reached the provider and was understood.
    Ok,
    /// The last call could not reach the provider or was not understood.
    Unavailable,
}
