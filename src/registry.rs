//! The configured providers, each with its driver wrapped in its layer stack
//! ([`crate::layers::stack`]): errors come out labelled with provider and operation, and the
//! provider's health and breaker are recorded by the layers.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::ProviderConfig;
use crate::driver::{Capabilities, Driver};
use crate::drivers::BuildError;
use crate::layers::{self, Labels, LayerSettings};
use crate::model::Provider;
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
    watch_interval: Option<std::time::Duration>,
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
            watch_interval: Some(crate::watch::DEFAULT_INTERVAL),
        }
    }

    /// Sets how often the watch lists this provider (`None`: never).
    pub fn with_watch_interval(mut self, interval: Option<std::time::Duration>) -> ProviderEntry {
        self.watch_interval = interval;
        self
    }

    /// How often the watch lists this provider, if it does.
    pub fn watch_interval(&self) -> Option<std::time::Duration> {
        self.watch_interval
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
    /// A provider's driver could not be set up (no region found, an unreadable certificate, …).
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
    /// Builds every provider's driver through its row of [`crate::drivers::DRIVERS`], starting
    /// in-process simulators where asked. The configs were validated when they were parsed.
    pub async fn start(configs: Vec<ProviderConfig>) -> Result<Registry, RegistryError> {
        let mut registry = Registry::default();
        for config in configs {
            // The driver's one constructor, from its row of the driver table.
            let built = config
                .settings
                .build(&config.id)
                .await
                .map_err(|e| match e {
                    BuildError::Setup(_) => RegistryError::Provider {
                        path: config.path.display().to_string(),
                        message: e.to_string(),
                    },
                    BuildError::Simulator(source) => RegistryError::Simulator {
                        provider: config.id.clone(),
                        source,
                    },
                })?;
            let simulated = built.simulator.is_some();
            let entry = ProviderEntry::new(
                &config.id,
                config.driver,
                built.region,
                simulated,
                built.driver,
            );
            let entry = entry
                .with_layers(&config.layers)
                .with_watch_interval(config.watch_interval);
            registry
                .providers
                .insert(config.id.clone(), Arc::new(entry));
            registry.simulators.extend(built.simulator);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::ErrorKind;
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
