use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::Secret;
use crate::sim::occi::Profile;

/// `driver = "occi"` provider file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcciConfig {
    /// Base URL of the OCCI endpoint: the query interface is `<endpoint>/-/` (e.g.
    /// `https://carach5.ics.muni.cz:11443` or `https://ooi.example.org:8787/occi1.2`).
    /// Required unless `simulate = true`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Run the OCCI simulator in-process on a loopback port and point the driver at it.
    #[serde(default)]
    pub simulate: bool,
    /// The id of the one region this endpoint is (default `default`).
    #[serde(default)]
    pub region: Option<String>,
    /// How the driver authenticates; none when left out.
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    /// PEM file of CA certificates trusted for the endpoint, in addition to the system's
    /// (grid sites often use IGTF CAs that systems do not ship).
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
    /// Which rendering the driver speaks (default `auto`).
    #[serde(default)]
    pub rendering: Rendering,
    /// Extra headers sent with every request (e.g. `X-Project-Id` for ooi behind a proxy that
    /// does not set it). Values are treated as secrets: never logged.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Seconds a discovered query interface (`/-/`) is used before it is read again.
    #[serde(default = "default_discovery_refresh_secs")]
    pub discovery_refresh_secs: u64,
    /// How many entities a list reads at once (a list returns locations only, so each item
    /// costs one GET).
    #[serde(default = "default_list_concurrency")]
    pub list_concurrency: usize,
    /// Timeout of one HTTP request to the provider, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Settings of the in-process simulator (only with `simulate = true`).
    #[serde(default)]
    pub simulator: SimulatorConfig,
}

/// `[auth]` of an OCCI provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum AuthConfig {
    /// HTTP basic auth (rOCCI-server with an OpenNebula back end).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// A static token: an OpenStack Keystone token for ooi (`X-Auth-Token`), or an OIDC access
    /// token sent as `Authorization: Bearer` with `header = "Authorization"`.
    Token {
        /// The token.
        token: Secret,
        /// The header it is sent in.
        #[serde(default)]
        header: TokenHeader,
    },
    /// An X.509 client certificate (a user certificate or an RFC 3820 VOMS proxy).
    X509 {
        /// PEM file with the certificate and its chain; it may also hold the key (a VOMS proxy
        /// file does).
        certificate: PathBuf,
        /// PEM file with the private key, when it is not in `certificate`.
        #[serde(default)]
        key: Option<PathBuf>,
    },
}

/// The header a token is sent in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum TokenHeader {
    /// `X-Auth-Token: <token>` (Keystone, ooi).
    #[default]
    #[serde(rename = "X-Auth-Token")]
    XAuthToken,
    /// `Authorization: Bearer <token>`.
    #[serde(rename = "Authorization")]
    Authorization,
}

/// The rendering the driver reads and writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rendering {
    /// GFD.226 JSON when the server speaks OCCI 1.2 and its query interface has the GFD.226
    /// shape; `text/plain` otherwise.
    #[default]
    Auto,
    /// `text/plain` bodies (the OCCI 1.1 default; `text` is accepted as a short name).
    #[serde(alias = "text")]
    TextPlain,
    /// `text/occi`: everything in headers (for servers that do not read text/plain bodies,
    /// such as ooi on Python 3).
    TextOcci,
    /// GFD.226 `application/occi+json`; discovery fails when the server does not offer it.
    Json,
}

/// `[simulator]` table of a simulated OCCI provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Which real server the simulator answers like: `rocci`, `ooi` or `pyssf`.
    #[serde(default = "default_profile")]
    pub profile: Profile,
    /// Seconds a new compute stays `inactive` before it is `active`.
    #[serde(default)]
    pub provision_delay_secs: f64,
    /// Seconds start/stop/restart take to take effect.
    #[serde(default = "default_power_delay_secs")]
    pub power_delay_secs: f64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            profile: default_profile(),
            provision_delay_secs: 0.0,
            power_delay_secs: default_power_delay_secs(),
        }
    }
}

fn default_profile() -> Profile {
    Profile::Rocci
}

fn default_power_delay_secs() -> f64 {
    1.0
}

fn default_discovery_refresh_secs() -> u64 {
    300
}

fn default_list_concurrency() -> usize {
    8
}

fn default_timeout_secs() -> u64 {
    30
}

impl OcciConfig {
    /// Checks what deserialization cannot: required fields, combinations and ranges. Returns
    /// the field and what is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.simulate {
            if self.endpoint.is_some() {
                return Err((
                    "endpoint",
                    "leave it out with simulate = true: the simulator's address is used".into(),
                ));
            }
            if matches!(self.auth, Some(AuthConfig::X509 { .. })) {
                return Err((
                    "auth.type",
                    "the simulator serves plain HTTP: use basic or token auth, or none".into(),
                ));
            }
        } else if self.endpoint.is_none() {
            return Err(("endpoint", "required unless simulate = true".into()));
        }
        if let Some(endpoint) = &self.endpoint {
            let url = reqwest::Url::parse(endpoint);
            if !url.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
                return Err(("endpoint", "must be an http:// or https:// URL".into()));
            }
        }
        if self.timeout_secs == 0 {
            return Err(("timeout_secs", "must be at least 1".into()));
        }
        if self.discovery_refresh_secs == 0 {
            return Err(("discovery_refresh_secs", "must be at least 1".into()));
        }
        if !(1..=64).contains(&self.list_concurrency) {
            return Err(("list_concurrency", "must be between 1 and 64".into()));
        }
        for name in self.headers.keys() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(("headers", format!("{name:?} is not a valid header name")));
            }
        }
        crate::drivers::check_simulator_delays(
            self.simulator.provision_delay_secs,
            self.simulator.power_delay_secs,
        )
    }
}
