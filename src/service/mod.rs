//! The gateway's verbs, once, for every front end.
//!
//! A front end (REST in [`crate::api`]; the EC2 Query API next) parses its protocol into the
//! typed arguments of one verb here, and renders the typed outcome or the one [`ServiceError`]
//! in its protocol. Every rule lives here and nowhere else: capability and option checks
//! ([`check`]), the power-action rules, operation goals, starting and following operations and
//! waiting for them ([`changes`]), idempotency keyed by caller, operation and input
//! ([`idempotency`]), roles and provider scopes ([`caller`]), cursors and page limits ([`cursor`]), and aggregated lists with their
//! deadline ([`aggregate`]). Nothing here builds a URL or knows a wire format of a front end.
//! See `docs/service.md`.

mod admin;
mod aggregate;
mod caller;
mod changes;
mod check;
mod config_view;
mod cursor;
mod deliveries;
mod error;
mod idempotency;
mod operations;
mod outcome;
mod reads;

pub use admin::{AuditFilter, MAX_AUDIT_LIMIT};
pub use caller::{Caller, Role, Scope};
pub use config_view::{ConfigView, ProviderView, TokenView, WebhookView};
pub use cursor::{CursorKey, DEFAULT_LIMIT, MAX_LIMIT, MAX_SKIP, MIN_KEY_LEN};
pub use deliveries::{DeliveryPage, DeliveryQuery};
pub use error::{ServiceError, ServiceResult};
pub use idempotency::{IdempotencyKey, MAX_KEY};
pub use operations::{OperationPage, OperationQuery};
pub use outcome::{Change, ChangeOptions, MAX_WAIT};
pub use reads::{ImageQuery, PageQuery, ServerQuery};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audit::{AuditStore, MemoryAudit};
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

#[derive(Debug)]
struct Inner {
    registry: Arc<Registry>,
    ops: Operations,
    settings: ServiceSettings,
    /// The webhooks whose deliveries are listed (set once, at start).
    webhooks: std::sync::OnceLock<Webhooks>,
    /// The configuration admins read (set once, at start).
    config: std::sync::OnceLock<ConfigView>,
    audit: Arc<dyn AuditStore>,
    /// Who started each operation this process accepted, so a non-admin caller reads only its
    /// own. Kept in memory: after a restart, or once [`MAX_OWNERS`] are kept, older operations
    /// are readable by admins only (never by the wrong caller).
    owners: Mutex<HashMap<String, String>>,
}

/// How many operation owners are kept before the oldest are forgotten (see `Inner::owners`).
const MAX_OWNERS: usize = 100_000;

impl Service {
    /// The service over these providers and operations.
    pub fn new(registry: Arc<Registry>, ops: Operations, settings: ServiceSettings) -> Service {
        Service::with_audit(registry, ops, settings, Arc::new(MemoryAudit::new()))
    }

    /// The service with its audit log in `audit`.
    pub fn with_audit(
        registry: Arc<Registry>,
        ops: Operations,
        settings: ServiceSettings,
        audit: Arc<dyn AuditStore>,
    ) -> Service {
        Service {
            inner: Arc::new(Inner {
                registry,
                ops,
                settings,
                webhooks: std::sync::OnceLock::new(),
                config: std::sync::OnceLock::new(),
                audit,
                owners: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The service with these webhooks (their deliveries are listed through it).
    pub fn with_webhooks(self, webhooks: Webhooks) -> Service {
        // Set once, right after construction; a second call keeps the first.
        let _ = self.inner.webhooks.set(webhooks);
        self
    }

    /// The service showing `view` as its configuration (`GET /v1/config`).
    pub fn with_config(self, view: ConfigView) -> Service {
        // Set once, right after construction; a second call keeps the first.
        let _ = self.inner.config.set(view);
        self
    }

    /// The audit log (the REST front end appends every change and refusal to it).
    pub fn audit(&self) -> &Arc<dyn AuditStore> {
        &self.inner.audit
    }

    /// Notes that `caller` started operation `id`.
    fn own(&self, caller: &Caller, id: &str) {
        let Ok(mut owners) = self.inner.owners.lock() else {
            return;
        };
        if owners.len() >= MAX_OWNERS {
            owners.clear();
        }
        owners.insert(id.to_owned(), caller.name());
    }

    /// Whether `caller` may read operation `id` (besides its provider scope).
    fn may_read_operation(&self, caller: &Caller, id: &str) -> bool {
        if caller.reads_all_operations() {
            return true;
        }
        let name = caller.name();
        self.inner
            .owners
            .lock()
            .map(|owners| owners.get(id) == Some(&name))
            .unwrap_or(false)
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

    /// The provider with `id` if `caller` may see it, or 404 (the same 404 as an unconfigured
    /// provider, so a scoped token cannot tell the two apart).
    fn entry(&self, caller: &Caller, id: &str) -> ServiceResult<Arc<ProviderEntry>> {
        self.inner
            .registry
            .get(id)
            .filter(|_| caller.sees(id))
            .cloned()
            .ok_or_else(|| ServiceError::unknown_provider(id))
    }

    /// The providers `caller` sees that can do `op` (aggregated lists leave the others out).
    fn able(&self, caller: &Caller, op: DriverOp) -> Vec<Arc<ProviderEntry>> {
        self.inner
            .registry
            .all()
            .filter(|p| caller.sees(p.id()) && op.allowed_by(&p.capabilities()))
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
