//! The configured providers, each with its driver, and the one place driver calls go through:
//! capabilities are checked before the call, errors are labelled with provider and operation,
//! and the provider's health is recorded from the outcome.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::config::{DriverConfig, ProviderConfig, Secret};
use crate::driver::{Capabilities, Driver, DriverError, DriverOp, DriverResult, ErrorKind};
use crate::drivers::aws::{AwsConfig, AwsDriver};
use crate::drivers::gogrid::{GoGridConfig, GoGridDriver, GoGridSettings};
use crate::drivers::occi::{Auth as OcciAuth, OcciConfig, OcciDriver, OcciOptions, OcciSettings};
use crate::model::{Provider, ProviderHealth, Server};
use crate::sim;
use crate::sim::RunningSimulator;

/// One configured provider.
pub struct ProviderEntry {
    id: String,
    driver_name: &'static str,
    region: Option<String>,
    simulated: bool,
    driver: Arc<dyn Driver>,
    capabilities: Capabilities,
    health: AtomicU8,
    retry: RetryPolicy,
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
    /// A provider entry around an already built driver.
    pub fn new(
        id: impl Into<String>,
        driver_name: &'static str,
        region: Option<String>,
        simulated: bool,
        driver: Arc<dyn Driver>,
    ) -> ProviderEntry {
        let capabilities = driver.capabilities();
        ProviderEntry {
            id: id.into(),
            driver_name,
            region,
            simulated,
            driver,
            capabilities,
            health: AtomicU8::new(HEALTH_UNKNOWN),
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy of reads.
    pub fn with_retry(mut self, retry: RetryPolicy) -> ProviderEntry {
        self.retry = retry;
        self
    }

    /// The provider id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The driver, for building a call's future (pass it to [`ProviderEntry::call`]).
    pub fn driver(&self) -> &dyn Driver {
        self.driver.as_ref()
    }

    /// What the backend supports.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// The provider as the API shows it.
    pub fn info(&self) -> Provider {
        Provider {
            id: self.id.clone(),
            driver: self.driver_name.to_owned(),
            region: self.region.clone(),
            simulated: self.simulated,
            capabilities: self.capabilities,
            health: match self.health.load(Ordering::Relaxed) {
                HEALTH_OK => ProviderHealth::Ok,
                HEALTH_UNAVAILABLE => ProviderHealth::Unavailable,
                _ => ProviderHealth::Unknown,
            },
        }
    }

    /// Runs one driver call: answers `unsupported` without calling when the capability is
    /// false, retries reads that failed temporarily (never mutations: a create retried without
    /// the provider's own idempotency could make two servers), labels errors with this provider
    /// and `op`, and records health and metrics.
    pub async fn call<T, F, Fut>(&self, op: DriverOp, call: F) -> DriverResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = DriverResult<T>>,
    {
        if !op.allowed_by(&self.capabilities) {
            return Err(DriverError::unsupported(op.name())
                .with_provider(&self.id)
                .with_operation(op));
        }
        let started = std::time::Instant::now();
        let result = if op.is_read() {
            self.retrying(op, call).await
        } else {
            once(call).await
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.to_problem().code.as_str(),
        };
        crate::metrics::record_driver_call(
            &self.id,
            self.driver_name,
            op.name(),
            outcome,
            started.elapsed(),
        );
        let health = match &result {
            Err(e) if reaches_provider_failed(e.kind()) => HEALTH_UNAVAILABLE,
            _ => HEALTH_OK,
        };
        self.health.store(health, Ordering::Relaxed);
        result.map_err(|e| {
            let e = if e.provider().is_none() {
                e.with_provider(&self.id)
            } else {
                e
            };
            if e.operation().is_none() {
                e.with_operation(op)
            } else {
                e
            }
        })
    }

    async fn retrying<T, F, Fut>(&self, op: DriverOp, call: F) -> DriverResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = DriverResult<T>>,
    {
        let policy = self.retry;
        call.retry(
            ExponentialBuilder::default()
                .with_min_delay(policy.min_delay)
                .with_max_delay(policy.max_delay)
                .with_max_times(policy.attempts.saturating_sub(1)),
        )
        .when(DriverError::is_temporary)
        // A provider's Retry-After is honoured when it is short enough to wait for here;
        // longer ones end the retries and reach the client as 429 with Retry-After.
        .adjust(move |e, backoff| match e.retry_after() {
            Some(after) if after <= policy.max_delay => Some(after),
            Some(_) => None,
            None => backoff,
        })
        .notify(|e, pause| {
            tracing::debug!(provider = %self.id, operation = op.name(), error = %e, ?pause, "retrying a read");
        })
        .await
    }

    /// Fills what the gateway derives for every driver: the actions valid in the server's
    /// state that this provider supports.
    pub fn finish_server(&self, mut server: Server) -> Server {
        let caps = &self.capabilities;
        server.actions = server
            .state
            .valid_actions()
            .into_iter()
            .filter(|a| crate::ops::action_op(*a).allowed_by(caps))
            .collect();
        server.provider.clone_from(&self.id);
        server
    }
}

async fn once<T, F, Fut>(mut call: F) -> DriverResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = DriverResult<T>>,
{
    call().await
}

/// How reads that failed temporarily are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub attempts: usize,
    /// First pause; pauses double up to `max_delay`.
    pub min_delay: Duration,
    /// Longest pause, and the longest `Retry-After` waited for.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

const HEALTH_UNKNOWN: u8 = 0;
const HEALTH_OK: u8 = 1;
const HEALTH_UNAVAILABLE: u8 = 2;

fn reaches_provider_failed(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Unavailable | ErrorKind::BadResponse | ErrorKind::Timeout | ErrorKind::Auth
    )
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
        provision_delay: seconds(gg.simulator.provision_delay_secs),
        power_delay: seconds(gg.simulator.power_delay_secs),
        public_ips_per_datacenter: gg.simulator.public_ips_per_datacenter,
        ..sim::gogrid::SimOptions::new(key.clone(), secret.clone())
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
    use std::sync::atomic::AtomicUsize;

    use async_trait::async_trait;

    use super::*;
    use crate::driver::{ImageFilter, ListRequest, Page, ServerFilter};
    use crate::model::{
        CreateServerRequest, CreateVolumeRequest, Image, Region, ServerState, Size, Volume,
    };

    /// Fails every call with `kind` until `failures` calls have been made, then answers.
    struct Flaky {
        failures: usize,
        kind: ErrorKind,
        calls: AtomicUsize,
    }

    impl Flaky {
        fn outcome(&self) -> DriverResult<Server> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                return Err(DriverError::new(self.kind, "flaky"));
            }
            Ok(Server {
                id: "s1".into(),
                provider: String::new(),
                name: "s1".into(),
                state: ServerState::Running,
                image_id: None,
                size_id: None,
                region: None,
                zone: None,
                public_ips: vec![],
                private_ips: vec![],
                created_at: None,
                tags: Default::default(),
                actions: vec![],
                extra: Default::default(),
            })
        }
    }

    #[async_trait]
    impl Driver for Flaky {
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                get_server: true,
                start_server: true,
                ..Capabilities::default()
            }
        }
        async fn list_servers(
            &self,
            _: &ListRequest,
            _: &ServerFilter,
        ) -> DriverResult<Page<Server>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(DriverError::unsupported("list"))
        }
        async fn get_server(&self, _: &str) -> DriverResult<Server> {
            self.outcome()
        }
        async fn create_server(
            &self,
            _: &CreateServerRequest,
            _: Option<&str>,
        ) -> DriverResult<Server> {
            Err(DriverError::unsupported("create"))
        }
        async fn start_server(&self, _: &str) -> DriverResult<Server> {
            self.outcome()
        }
        async fn stop_server(&self, _: &str) -> DriverResult<Server> {
            Err(DriverError::unsupported("stop"))
        }
        async fn reboot_server(&self, _: &str) -> DriverResult<Server> {
            Err(DriverError::unsupported("reboot"))
        }
        async fn delete_server(&self, _: &str) -> DriverResult<Server> {
            Err(DriverError::unsupported("delete"))
        }
        async fn list_images(&self, _: &ListRequest, _: &ImageFilter) -> DriverResult<Page<Image>> {
            Err(DriverError::unsupported("images"))
        }
        async fn get_image(&self, _: &str) -> DriverResult<Image> {
            Err(DriverError::unsupported("image"))
        }
        async fn list_sizes(&self, _: &ListRequest) -> DriverResult<Page<Size>> {
            Err(DriverError::unsupported("sizes"))
        }
        async fn list_regions(&self, _: &ListRequest) -> DriverResult<Page<Region>> {
            Err(DriverError::unsupported("regions"))
        }
        async fn list_volumes(&self, _: &ListRequest) -> DriverResult<Page<Volume>> {
            Err(DriverError::unsupported("volumes"))
        }
        async fn get_volume(&self, _: &str) -> DriverResult<Volume> {
            Err(DriverError::unsupported("volume"))
        }
        async fn create_volume(
            &self,
            _: &CreateVolumeRequest,
            _: Option<&str>,
        ) -> DriverResult<Volume> {
            Err(DriverError::unsupported("volume"))
        }
        async fn delete_volume(&self, _: &str) -> DriverResult<Volume> {
            Err(DriverError::unsupported("volume"))
        }
        async fn attach_volume(&self, _: &str, _: &str, _: Option<&str>) -> DriverResult<Volume> {
            Err(DriverError::unsupported("volume"))
        }
        async fn detach_volume(&self, _: &str) -> DriverResult<Volume> {
            Err(DriverError::unsupported("volume"))
        }
    }

    fn entry(failures: usize, kind: ErrorKind) -> (ProviderEntry, Arc<Flaky>) {
        let flaky = Arc::new(Flaky {
            failures,
            kind,
            calls: AtomicUsize::new(0),
        });
        let quick = RetryPolicy {
            attempts: 3,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        (
            ProviderEntry::new("p", "flaky", None, false, flaky.clone()).with_retry(quick),
            flaky,
        )
    }

    #[tokio::test]
    async fn temporary_read_failures_are_retried_until_success() {
        let (entry, flaky) = entry(2, ErrorKind::Unavailable);
        let got = entry
            .call(DriverOp::GetServer, || entry.driver().get_server("s1"))
            .await;
        assert!(got.is_ok(), "{got:?}");
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
        assert_eq!(entry.info().health, ProviderHealth::Ok);
    }

    #[tokio::test]
    async fn reads_give_up_after_the_last_attempt_with_a_labelled_error() {
        let (entry, flaky) = entry(10, ErrorKind::Timeout);
        let err = entry
            .call(DriverOp::GetServer, || entry.driver().get_server("s1"))
            .await
            .err();
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
        let err = err.unwrap_or_else(|| DriverError::new(ErrorKind::NotFound, "none"));
        assert_eq!(
            (err.kind(), err.provider(), err.operation()),
            (ErrorKind::Timeout, Some("p"), Some(DriverOp::GetServer))
        );
        assert_eq!(entry.info().health, ProviderHealth::Unavailable);
    }

    #[tokio::test]
    async fn permanent_failures_and_mutations_are_not_retried() {
        let (entry, flaky) = entry(1, ErrorKind::NotFound);
        let _ = entry
            .call(DriverOp::GetServer, || entry.driver().get_server("s1"))
            .await;
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 1);
        let (entry, flaky) = entry_for_mutation();
        let got = entry
            .call(DriverOp::StartServer, || entry.driver().start_server("s1"))
            .await;
        assert!(got.is_err());
        assert_eq!(
            flaky.calls.load(Ordering::SeqCst),
            1,
            "a mutation must not be repeated"
        );
    }

    fn entry_for_mutation() -> (ProviderEntry, Arc<Flaky>) {
        entry(1, ErrorKind::Unavailable)
    }

    #[tokio::test]
    async fn unsupported_operation_is_answered_without_calling() {
        let (entry, flaky) = entry(0, ErrorKind::Unavailable);
        let (req, filter) = (
            ListRequest {
                limit: 1,
                cursor: None,
            },
            ServerFilter::default(),
        );
        let err = entry
            .call(DriverOp::ListServers, || {
                entry.driver().list_servers(&req, &filter)
            })
            .await
            .err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Unsupported));
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 0);
    }
}
