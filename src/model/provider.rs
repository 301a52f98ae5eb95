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
    /// The provider's circuit breaker: `open` while calls are refused at once after repeated
    /// failures, `half_open` when the next call is let through as a probe.
    pub breaker: BreakerState,
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
    /// The provider's last answer asked the gateway to slow down (HTTP 429).
    RateLimited,
}

/// The state of a provider's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// After repeated failures calls are refused at once (`provider_unavailable`, with
    /// `Retry-After`) until the cool-down ends.
    Open,
    /// The cool-down ended: the next call is a probe that closes or reopens the breaker.
    HalfOpen,
}
