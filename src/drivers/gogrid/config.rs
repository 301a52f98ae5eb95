use std::time::Duration;

use serde::Deserialize;

use crate::config::Secret;

/// `driver = "gogrid"` provider file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoGridConfig {
    /// Base URL of the API, ending in `/api` (e.g. `https://api.gogrid.com/api`). Required unless
    /// `simulate = true`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Run the GoGrid simulator in-process on a loopback port and point the driver at it.
    #[serde(default)]
    pub simulate: bool,
    /// Default datacenter for new servers (a region id such as `US-West-1`); the provider picks
    /// one otherwise.
    #[serde(default)]
    pub region: Option<String>,
    /// API key. Required unless `simulate = true`.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Shared secret the requests are signed with. Required unless `simulate = true`.
    #[serde(default)]
    pub shared_secret: Option<Secret>,
    /// API version sent as `v`.
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Timeout of one HTTP request to the provider, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Settings of the in-process simulator (only with `simulate = true`).
    #[serde(default)]
    pub simulator: SimulatorConfig,
}

/// `[simulator]` table of a simulated GoGrid provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Seconds a new server stays without an id (provisioning).
    #[serde(default)]
    pub provision_delay_secs: f64,
    /// Seconds a power transition (Starting, Stopping, Restarting) takes.
    #[serde(default = "default_power_delay_secs")]
    pub power_delay_secs: f64,
    /// Public IPs per datacenter (3 datacenters), so how many servers each can hold.
    #[serde(default = "default_public_ips_per_datacenter")]
    pub public_ips_per_datacenter: usize,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            provision_delay_secs: 0.0,
            power_delay_secs: default_power_delay_secs(),
            public_ips_per_datacenter: default_public_ips_per_datacenter(),
        }
    }
}

fn default_api_version() -> String {
    "1.9".to_owned()
}

fn default_timeout_secs() -> u64 {
    30
}

fn default_power_delay_secs() -> f64 {
    1.0
}

fn default_public_ips_per_datacenter() -> usize {
    crate::sim::gogrid::DEFAULT_PUBLIC_IPS_PER_DATACENTER
}

/// What the driver needs to talk to one GoGrid account: a validated [`GoGridConfig`].
#[derive(Debug, Clone)]
pub struct GoGridSettings {
    /// Base URL ending in `/api`, without a trailing slash.
    pub endpoint: String,
    /// API key.
    pub api_key: Secret,
    /// Shared secret.
    pub shared_secret: Secret,
    /// API version sent as `v`.
    pub api_version: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Default datacenter for creates.
    pub default_region: Option<String>,
}

impl GoGridConfig {
    /// Checks what deserialization cannot: required fields and ranges. Returns the field and
    /// what is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.simulate {
            if self.endpoint.is_some() {
                return Err((
                    "endpoint",
                    "leave it out with simulate = true: the simulator's address is used".into(),
                ));
            }
        } else {
            for (field, missing) in [
                ("endpoint", self.endpoint.is_none()),
                ("api_key", self.api_key.is_none()),
                ("shared_secret", self.shared_secret.is_none()),
            ] {
                if missing {
                    return Err((field, "required unless simulate = true".into()));
                }
            }
        }
        if let Some(endpoint) = &self.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err((
                "endpoint",
                "must be an http:// or https:// URL ending in /api".into(),
            ));
        }
        if self.timeout_secs == 0 {
            return Err(("timeout_secs", "must be at least 1".into()));
        }
        crate::drivers::check_simulator_delays(
            self.simulator.provision_delay_secs,
            self.simulator.power_delay_secs,
        )?;
        let max_ips = crate::sim::gogrid::MAX_PUBLIC_IPS_PER_DATACENTER;
        if self.simulator.public_ips_per_datacenter > max_ips {
            return Err((
                "simulator.public_ips_per_datacenter",
                format!("must be at most {max_ips}"),
            ));
        }
        Ok(())
    }
}
