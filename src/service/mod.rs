//! The gateway's verbs, once, for every front end.
//!
//! A front end (REST in [`crate::api`]; the EC2 Query API next) parses its protocol into the
//! typed arguments of one verb here, and renders the typed outcome or the one [`ServiceError`]
//! in its protocol. Every rule lives here and nowhere else: capability and option checks
//! ([`check`]), the power-action rules, operation goals, starting and following operations and
//! waiting for them ([`changes`]), idempotency keyed by caller, operation and input
//! ([`idempotency`]), cursors and page limits ([`cursor`]), and aggregated lists with their
//! deadline ([`aggregate`]). Nothing here builds a URL or knows a wire format of a front end.
//! See `docs/service.md`.

mod aggregate;
mod changes;
mod check;
mod cursor;
mod deliveries;
mod error;
mod idempotency;
mod operations;
mod outcome;
mod reads;

pub use cursor::{CursorKey, DEFAULT_LIMIT, MAX_LIMIT, MAX_SKIP, MIN_KEY_LEN};
pub use deliveries::{DeliveryPage, DeliveryQuery};
pub use error::{ServiceError, ServiceResult};
pub use idempotency::{Caller, IdempotencyKey, MAX_KEY};
pub use operations::{OperationPage, OperationQuery};
pub use outcome::{Change, ChangeOptions, MAX_WAIT};
pub use reads::{ImageQuery, PageQuery, ServerQuery};

use std::sync::Arc;
use std::time::Duration;

use crate::driver::DriverOp;
use crate::model::Server;
use crate::ops::Operations;
use crate::registry::{ProviderEntry, Registry};
use crate::webhooks::Webhooks;

/// The service's own settings.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// How long an aggregated list waits for each provider (`serve --aggregate-timeout`).
    pub aggregate_timeout: Duration,
    /// The key cursors are authenticated with; share it between replicas.
    pub cursor_key: CursorKey,
}

/// The default aggregate timeout.
pub const DEFAULT_AGGREGATE_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for ServiceSettings {
    /// Ten seconds per provider in aggregated lists; a random cursor key for this process.
    fn default() -> Self {
        ServiceSettings {
            aggregate_timeout: DEFAULT_AGGREGATE_TIMEOUT,
            cursor_key: CursorKey::random(),
        }
    }
}

/// The verbs of the gateway over its providers, operations and store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Service {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    registry: Arc<Registry>,
    ops: Operations,
    settings: ServiceSettings,
    webhooks: Option<Webhooks>,
}

impl Service {
    /// The service over these providers and operations.
    pub fn new(registry: Arc<Registry>, ops: Operations, settings: ServiceSettings) -> Service {
        Service {
            inner: Arc::new(Inner {
                registry,
                ops,
                settings,
                webhooks: None,
            }),
        }
    }

    /// The service with these webhooks (their deliveries are listed through it).
    pub fn with_webhooks(self, webhooks: Webhooks) -> Service {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.webhooks = Some(webhooks);
        Service {
            inner: Arc::new(inner),
        }
    }

    /// The configured providers.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// Operations and their store.
    pub fn ops(&self) -> &Operations {
        &self.inner.ops
    }

    /// The service's settings.
    pub fn settings(&self) -> &ServiceSettings {
        &self.inner.settings
    }

    /// The provider with `id`, or 404.
    fn entry(&self, id: &str) -> ServiceResult<Arc<ProviderEntry>> {
        self.inner
            .registry
            .get(id)
            .cloned()
            .ok_or_else(|| ServiceError::unknown_provider(id))
    }

    /// The providers that can do `op` (aggregated lists leave the others out).
    fn able(&self, op: DriverOp) -> Vec<Arc<ProviderEntry>> {
        self.inner
            .registry
            .all()
            .filter(|p| op.allowed_by(&p.capabilities()))
            .cloned()
            .collect()
    }

    fn cursors(&self) -> &CursorKey {
        &self.inner.settings.cursor_key
    }
}

/// Fills what the gateway derives for every driver: the provider id and the actions valid in
/// the server's state that this provider supports.
pub(crate) fn finish_server(entry: &ProviderEntry, mut server: Server) -> Server {
    server.actions = entry.capabilities().server_actions(server.state);
    server.provider = entry.id().to_owned();
    server
}

#[cfg(test)]
mod tests;
