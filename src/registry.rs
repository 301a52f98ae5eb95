//! The configured providers, each with its driver wrapped in its layer stack
//! ([`crate::layers::stack`]): errors come out labelled with provider and operation, and the
//! provider's health and breaker are recorded by the layers.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{DriverConfig, ProviderConfig, Secret};
use crate::driver::{Capabilities, Driver, DriverError, DriverOp, DriverResult};
use crate::drivers::aws::{AwsConfig, AwsDriver};
use crate::drivers::gogrid::{GoGridConfig, GoGridDriver, GoGridSettings};
use crate::drivers::occi::{Auth as OcciAuth, OcciConfig, OcciDriver, OcciOptions, OcciSettings};
use crate::layers::{self, Labels, LayerSettings};
use crate::model::{Provider, Server};
use crate::sim;
use crate::sim::RunningSimulator;

/// One configured provider.
pub struct ProviderEntry {
    id: String,
    driver_name: &'static str,
    region: Option<String>,
    simulated: bool,
    /// The driver itself, kept to rebuild the stack with other settings.
    bare: Arc<dyn Driver>,
    /// The driver inside its layers: what every call goes through.
    driver: Arc<dyn Driver>,
    labels: Labels,
}

impl std::fmt::Debug for ProviderEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderEntry")
            .field("id", &self.id)
            .field("driver", &self.driver_name)
            .finish_non_exhaustive()
    }
}

impl ProviderEntry {
    /// A provider entry around an already built driver, with the default layer settings.
    pub fn new(
        id: impl Into<String>,
        driver_name: &'static str,
        region: Option<String>,
        simulated: bool,
        driver: Arc<dyn Driver>,
    ) -> ProviderEntry {
        let id = id.into();
        let settings = LayerSettings::default();
        let labels = Labels::new(&id, driver_name, &settings);
        ProviderEntry {
            driver: layers::stack(driver.clone(), &settings, labels.clone()),
            id,
            driver_name,
            region,
            simulated,
            bare: driver,
            labels,
        }
    }

    /// Rebuilds the layer stack with `settings` (the provider file's `[layers]`).
    pub fn with_layers(mut self, settings: &LayerSettings) -> ProviderEntry {
        self.labels = Labels::new(&self.id, self.driver_name, settings);
        self.driver = layers::stack(self.bare.clone(), settings, self.labels.clone());
        self
    }

    /// The provider id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The driver inside its layer stack. Errors it returns are labelled with this provider
    /// and the operation; capabilities are not checked here (the caller checks them once).
    pub fn driver(&self) -> &dyn Driver {
        self.driver.as_ref()
    }

    /// The layered driver as a shared handle (for a caller that moves it into a task).
    pub fn shared_driver(&self) -> Arc<dyn Driver> {
        self.driver.clone()
    }

    /// What the backend supports, read live from the driver (an OCCI endpoint rediscovered
    /// since the start shows its new capabilities).
    pub fn capabilities(&self) -> Capabilities {
        self.driver.capabilities()
    }

    /// Whether the provider can be expected to serve a call now (what `/readyz` counts): its
    /// breaker is not open and it has not failed within the last breaker cool-down.
    pub fn usable(&self) -> bool {
        self.labels.status.usable()
    }

    /// The provider as the API shows it.
    pub fn info(&self) -> Provider {
        Provider {
            id: self.id.clone(),
            driver: self.driver_name.to_owned(),
            region: self.region.clone(),
            simulated: self.simulated,
            capabilities: self.capabilities(),
            health: self.labels.status.health(),
            breaker: self.labels.status.breaker_state(),
        }
    }

    /// Runs one driver call once: answers `unsupported` without calling when the capability
    /// is false. Retries, labelling, health and metrics are the layers' work.
    // MERGE: kept for the REST handlers until the `service` branch replaces them; it has no
    // retry of its own.
    pub async fn call<T, F, Fut>(&self, op: DriverOp, mut call: F) -> DriverResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = DriverResult<T>>,
    {
        if !op.allowed_by(&self.capabilities()) {
            return Err(DriverError::unsupported(op.name())
                .with_provider(&self.id)
                .with_operation(op));
        }
        call().await
    }

    /// Fills what the gateway derives for every driver: the actions valid in the server's
    /// state that this provider supports.
    pub fn finish_server(&self, mut server: Server) -> Server {
        let caps = self.capabilities();
        server.actions = server
            .state
            .valid_actions()
            .into_iter()
            .filter(|a| crate::ops::action_op(*a).allowed_by(&caps))
            .collect();
        server.provider.clone_from(&self.id);
        server
    }
}

/// The configured providers by id, and the in-process simulators they run against.
#[derive(Debug, Default)]
pub struct Registry {
    providers: BTreeMap<String, Arc<ProviderEntry>>,
    /// Kept running for as long as the registry lives.
    simulators: Vec<RunningSimulator>,
}

/// Why the registry could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A provider file is valid TOML but not usable (a required field is missing, …).
    #[error("{path}: {message}")]
    Provider {
        /// The provider file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An in-process simulator could not start.
    #[error("provider {provider}: cannot start its simulator: {source}")]
    Simulator {
        /// The provider id.
        provider: String,
        /// Why.
        source: std::io::Error,
    },
}

impl Registry {
    /// Builds every provider's driver, starting in-process simulators where asked.
    pub async fn start(configs: Vec<ProviderConfig>) -> Result<Registry, RegistryError> {
        let mut registry = Registry::default();
        for config in configs {
            let (entry, simulator) = build(&config).await?;
            let entry = entry.with_layers(&config.layers);
            registry
                .providers
                .insert(config.id.clone(), Arc::new(entry));
            registry.simulators.extend(simulator);
        }
        Ok(registry)
    }

    /// A registry of already built providers (for tests and embedding).
    pub fn from_entries(entries: impl IntoIterator<Item = ProviderEntry>) -> Registry {
        let providers = entries
            .into_iter()
            .map(|e| (e.id.clone(), Arc::new(e)))
            .collect();
        Registry {
            providers,
            simulators: Vec::new(),
        }
    }

    /// One provider.
    pub fn get(&self, id: &str) -> Option<&Arc<ProviderEntry>> {
        self.providers.get(id)
    }

    /// All providers, ordered by id.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ProviderEntry>> {
        self.providers.values()
    }
}

async fn build(
    config: &ProviderConfig,
) -> Result<(ProviderEntry, Option<RunningSimulator>), RegistryError> {
    match &config.driver {
        DriverConfig::Aws(aws) => build_aws(config, aws).await,
        DriverConfig::Gogrid(gg) => build_gogrid(config, gg).await,
        DriverConfig::Occi(oc) => build_occi(config, oc).await,
    }
}

async fn build_aws(
    config: &ProviderConfig,
    aws: &AwsConfig,
) -> Result<(ProviderEntry, Option<RunningSimulator>), RegistryError> {
    let invalid = |message: String| RegistryError::Provider {
        path: config.path.display().to_string(),
        message,
    };
    aws.validate()
        .map_err(|(field, message)| invalid(format!("field `{field}`: {message}")))?;
    let driver = AwsDriver::new(config.id.clone(), aws)
        .await
        .map_err(|e| invalid(format!("cannot set up the driver: {e}")))?;
    let region = Some(driver.region().to_owned());
    let entry = ProviderEntry::new(&config.id, "aws", region, false, Arc::new(driver));
    Ok((entry, None))
}

async fn build_gogrid(
    config: &ProviderConfig,
    gg: &GoGridConfig,
) -> Result<(ProviderEntry, Option<RunningSimulator>), RegistryError> {
    let invalid = |message: String| RegistryError::Provider {
        path: config.path.display().to_string(),
        message,
    };
    gg.validate()
        .map_err(|(field, message)| invalid(format!("field `{field}`: {message}")))?;
    let (endpoint, api_key, shared_secret, simulator) =
        match (&gg.endpoint, &gg.api_key, &gg.shared_secret) {
            (Some(endpoint), Some(key), Some(secret)) if !gg.simulate => {
                (endpoint.clone(), key.clone(), secret.clone(), None)
            }
            _ => {
                let (endpoint, key, secret, running) =
                    start_gogrid_simulator(&config.id, gg).await?;
                (endpoint, key, secret, Some(running))
            }
        };
    let settings = GoGridSettings {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        api_key,
        shared_secret,
        api_version: gg.api_version.clone(),
        timeout: Duration::from_secs(gg.timeout_secs.max(1)),
        default_region: gg.region.clone(),
    };
    let driver = GoGridDriver::new(config.id.clone(), settings)
        .map_err(|e| invalid(format!("cannot set up the driver: {e}")))?;
    let entry = ProviderEntry::new(
        &config.id,
        "gogrid",
        gg.region.clone(),
        gg.simulate,
        Arc::new(driver),
    );
    Ok((entry, simulator))
}

async fn start_gogrid_simulator(
    provider: &str,
    gg: &GoGridConfig,
) -> Result<(String, Secret, Secret, RunningSimulator), RegistryError> {
    let key = uuid::Uuid::new_v4().simple().to_string();
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let options = sim::gogrid::SimOptions {
        api_key: key.clone(),
        shared_secret: secret.clone(),
        clock_skew: Duration::from_secs(600),
        provision_delay: seconds(gg.simulator.provision_delay_secs),
        power_delay: seconds(gg.simulator.power_delay_secs),
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let running = sim::gogrid::spawn(options, loopback)
        .await
        .map_err(|source| RegistryError::Simulator {
            provider: provider.to_owned(),
            source,
        })?;
    Ok((
        running.endpoint(),
        Secret::new(key),
        Secret::new(secret),
        running,
    ))
}

/// How long the start waits for an OCCI server's query interface before going on with the
/// assumed capabilities (the driver reads it again on its first call).
const OCCI_START_DISCOVERY: Duration = Duration::from_secs(10);

async fn build_occi(
    config: &ProviderConfig,
    oc: &OcciConfig,
) -> Result<(ProviderEntry, Option<RunningSimulator>), RegistryError> {
    let invalid = |message: String| RegistryError::Provider {
        path: config.path.display().to_string(),
        message,
    };
    oc.validate()
        .map_err(|(field, message)| invalid(format!("field `{field}`: {message}")))?;
    let (endpoint, sim_auth, simulator) = if oc.simulate {
        let (endpoint, auth, running) = start_occi_simulator(&config.id, oc).await?;
        (Some(endpoint), auth, Some(running))
    } else {
        (None, None, None)
    };
    let mut settings = OcciSettings::from_config(oc, endpoint).map_err(invalid)?;
    if let Some(auth) = sim_auth {
        settings.auth = auth;
    }
    let region = oc.region.clone().unwrap_or_else(|| "default".to_owned());
    let options = OcciOptions {
        rendering: oc.rendering,
        discovery_refresh: Duration::from_secs(oc.discovery_refresh_secs),
        list_concurrency: oc.list_concurrency,
        region: Some(region.clone()),
    };
    let driver = OcciDriver::new(config.id.clone(), &settings, options)
        .map_err(|e| invalid(format!("cannot set up the driver: {e}")))?;
    match tokio::time::timeout(OCCI_START_DISCOVERY, driver.discover()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(provider = %config.id, error = %e,
            "OCCI discovery failed at start; assuming the standard kinds and actions until it succeeds"),
        Err(_) => tracing::warn!(provider = %config.id,
            "OCCI discovery timed out at start; assuming the standard kinds and actions until it succeeds"),
    }
    let entry = ProviderEntry::new(
        &config.id,
        "occi",
        Some(region),
        oc.simulate,
        Arc::new(driver),
    );
    Ok((entry, simulator))
}

/// Starts the OCCI simulator for a `simulate = true` provider: with the provider's `[auth]`
/// (basic or token) when it has one, else with generated credentials in the profile's usual
/// style (a token for ooi, basic auth for the others).
async fn start_occi_simulator(
    provider: &str,
    oc: &OcciConfig,
) -> Result<(String, Option<OcciAuth>, RunningSimulator), RegistryError> {
    use crate::drivers::occi::{AuthConfig, TokenHeader};
    let generated = uuid::Uuid::new_v4().simple().to_string();
    let (sim_auth, driver_auth) = match &oc.auth {
        Some(AuthConfig::Basic { username, password }) => (
            sim::occi::SimAuth::Basic {
                username: username.clone(),
                password: password.expose().to_owned(),
            },
            None,
        ),
        Some(AuthConfig::Token { token, .. }) => {
            (sim::occi::SimAuth::Token(token.expose().to_owned()), None)
        }
        // validate() refuses x509 with simulate.
        Some(AuthConfig::X509 { .. }) | None => match oc.simulator.profile {
            sim::occi::Profile::Ooi => (
                sim::occi::SimAuth::Token(generated.clone()),
                Some(OcciAuth::Token {
                    token: Secret::new(generated),
                    header: TokenHeader::XAuthToken,
                }),
            ),
            _ => (
                sim::occi::SimAuth::Basic {
                    username: "cloudgw".into(),
                    password: generated.clone(),
                },
                Some(OcciAuth::Basic {
                    username: "cloudgw".into(),
                    password: Secret::new(generated),
                }),
            ),
        },
    };
    let options = sim::occi::SimOptions {
        profile: oc.simulator.profile,
        auth: sim_auth,
        provision_delay: seconds(oc.simulator.provision_delay_secs),
        power_delay: seconds(oc.simulator.power_delay_secs),
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let running = sim::occi::spawn(options, loopback)
        .await
        .map_err(|source| RegistryError::Simulator {
            provider: provider.to_owned(),
            source,
        })?;
    Ok((running.endpoint(), driver_auth, running))
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{ErrorKind, ListRequest, ServerFilter};
    use crate::layers::fake::{Fake, Step};
    use crate::model::{BreakerState, ProviderHealth};

    fn entry(fake: Fake) -> (ProviderEntry, Arc<Fake>) {
        let fake = Arc::new(fake);
        (
            ProviderEntry::new("p", "fake", None, false, fake.clone()),
            fake,
        )
    }

    #[tokio::test]
    async fn unsupported_operation_is_answered_without_calling() {
        let (entry, fake) = entry(Fake::new(Step::Answer));
        let req = ListRequest {
            limit: 1,
            cursor: None,
        };
        let err = entry
            .call(DriverOp::ListVolumes, || entry.driver().list_volumes(&req))
            .await
            .err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Unsupported));
        assert_eq!(fake.calls(), 0);
        let filter = ServerFilter::default();
        let listed = entry
            .call(DriverOp::ListServers, || {
                entry.driver().list_servers(&req, &filter)
            })
            .await;
        assert!(listed.is_ok(), "{listed:?}");
        assert_eq!(fake.calls(), 1);
    }

    #[tokio::test]
    async fn calls_are_made_once_by_call_and_retried_by_the_stack_only() {
        let (entry, fake) = entry(Fake::new(Step::fail(ErrorKind::NotFound)));
        let err = entry
            .call(DriverOp::GetServer, || entry.driver().get_server("s1"))
            .await
            .err();
        assert_eq!(fake.calls(), 1);
        let err = err.map(|e| (e.kind(), e.provider().map(str::to_owned)));
        assert_eq!(err, Some((ErrorKind::NotFound, Some("p".to_owned()))));
    }

    #[tokio::test]
    async fn info_reads_capabilities_health_and_breaker_live() {
        let (entry, fake) = entry(Fake::new(Step::Answer));
        let before = entry.info();
        assert!(!before.capabilities.start_server);
        assert_eq!(
            (before.health, before.breaker),
            (ProviderHealth::Unknown, BreakerState::Closed)
        );
        fake.set_capabilities(Capabilities {
            start_server: true,
            ..fake.capabilities()
        });
        assert!(entry.driver().get_server("s1").await.is_ok());
        let after = entry.info();
        assert!(after.capabilities.start_server, "rediscovery shows at once");
        assert_eq!(after.health, ProviderHealth::Ok);
    }

    #[tokio::test]
    async fn provider_file_settings_rebuild_the_stack() {
        let (entry, fake) = entry(Fake::new(Step::fail(ErrorKind::Unavailable)));
        let entry = entry.with_layers(&LayerSettings {
            retry_attempts: 1,
            breaker_failures: 1,
            ..LayerSettings::default()
        });
        assert!(entry.driver().get_server("s1").await.is_err());
        assert!(entry.driver().get_server("s1").await.is_err());
        assert_eq!(fake.calls(), 1, "the second call met the open breaker");
        assert_eq!(entry.info().breaker, BreakerState::Open);
        assert!(!entry.usable());
    }
}
