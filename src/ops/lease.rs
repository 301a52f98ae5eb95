//! Leases held while working: taken once, renewed in the background, given up at the end.

use std::sync::Arc;
use std::time::Duration;

use super::Operations;
use crate::store::{Store, StoreError};

/// How long a lease lasts unless renewed (`serve --lease-secs`).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);

/// One named lease of this replica.
pub(super) struct Lease {
    store: Arc<dyn Store>,
    name: String,
    holder: Arc<str>,
    ttl: Duration,
}

impl Lease {
    /// The lease on operation `id`.
    pub(super) fn new(ops: &Operations, id: &str) -> Lease {
        Lease {
            store: ops.store.clone(),
            name: format!("operation/{id}"),
            holder: ops.replica.clone(),
            ttl: ops.lease,
        }
    }

    /// Takes it (or renews it); false when another replica holds it.
    pub(super) async fn try_take(&self) -> Result<bool, StoreError> {
        self.store
            .acquire_lease(&self.name, &self.holder, self.ttl)
            .await
    }

    /// Takes it; an error when another replica holds it.
    pub(super) async fn take(&self) -> Result<(), StoreError> {
        if self.try_take().await? {
            Ok(())
        } else {
            Err(StoreError(format!(
                "{} is held by another replica",
                self.name
            )))
        }
    }

    /// Renews it every third of its life; returns when it was lost. A store error is retried
    /// (the lease lives on until it runs out).
    pub(super) async fn keep(&self) {
        loop {
            tokio::time::sleep(self.ttl / 3).await;
            match self.try_take().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(lease = %self.name, error = %e, "cannot renew a lease"),
            }
        }
    }

    /// Gives it up, so another replica need not wait for it to run out.
    pub(super) async fn give_up(&self) {
        if let Err(e) = self.store.release_lease(&self.name, &self.holder).await {
            tracing::warn!(lease = %self.name, error = %e, "cannot release a lease");
        }
    }
}
