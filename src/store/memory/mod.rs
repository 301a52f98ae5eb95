//! A [`Store`](super::Store) in process memory: lost on restart, seen by this process only.
//! For tests and as the baseline the durable stores are measured against.

mod deliveries;
mod events;
mod idempotency;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    LeaseStore, OperationFilter, OperationPosition, OperationStore, StoreError, ms_after, unix_ms,
};
use crate::model::Operation;

/// The in-memory store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    operations: Mutex<HashMap<String, Operation>>,
    idempotency: Mutex<HashMap<String, idempotency::Record>>,
    events: Mutex<events::Log>,
    event_signal: Arc<tokio::sync::Notify>,
    leases: Mutex<HashMap<String, (String, i64)>>,
    deliveries: Mutex<deliveries::Queue>,
    audit: crate::audit::MemoryAudit,
    stream: String,
}

/// The audit log in memory: [`crate::audit::MemoryAudit`]'s, kept beside the rest.
#[async_trait]
impl crate::audit::AuditStore for MemoryStore {
    async fn append(
        &self,
        record: crate::audit::AuditRecord,
    ) -> Result<(), crate::audit::AuditError> {
        self.audit.append(record).await
    }

    async fn list(
        &self,
        query: &crate::audit::AuditQuery,
    ) -> Result<crate::audit::AuditPage, crate::audit::AuditError> {
        self.audit.list(query).await
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore {
            // A new stream per process: ids of an earlier process are unknown here.
            stream: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
            ..MemoryStore::default()
        }
    }
}

/// Locks `m`; a panic while it was held is a store error, not a second panic.
fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, StoreError> {
    m.lock()
        .map_err(|_| StoreError("a thread panicked while holding the store lock".into()))
}

fn matches(op: &Operation, filter: &OperationFilter) -> bool {
    filter.provider.as_ref().is_none_or(|p| *p == op.provider)
        && filter.status.is_none_or(|s| s == op.status)
        && filter
            .resource_id
            .as_ref()
            .is_none_or(|r| *r == op.resource_id)
}

/// The list order: newest first, then id descending.
fn position(op: &Operation) -> (i64, &str) {
    (unix_ms(op.created_at), op.id.as_str())
}

#[async_trait]
impl OperationStore for MemoryStore {
    async fn put_operation(&self, op: &Operation) -> Result<(), StoreError> {
        lock(&self.operations)?.insert(op.id.clone(), op.clone());
        Ok(())
    }

    async fn get_operation(&self, id: &str) -> Result<Option<Operation>, StoreError> {
        Ok(lock(&self.operations)?.get(id).cloned())
    }

    async fn list_operations(
        &self,
        filter: &OperationFilter,
        after: Option<&OperationPosition>,
        limit: usize,
    ) -> Result<Vec<Operation>, StoreError> {
        let ops = lock(&self.operations)?;
        let mut page: Vec<&Operation> = ops
            .values()
            .filter(|op| matches(op, filter))
            .filter(|op| after.is_none_or(|a| position(op) < (a.created_ms, a.id.as_str())))
            .collect();
        page.sort_by(|a, b| position(b).cmp(&position(a)));
        Ok(page.into_iter().take(limit).cloned().collect())
    }

    async fn unfinished_operations(&self) -> Result<Vec<Operation>, StoreError> {
        Ok(lock(&self.operations)?
            .values()
            .filter(|op| !op.status.is_final())
            .cloned()
            .collect())
    }
}

#[async_trait]
impl LeaseStore for MemoryStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut leases = lock(&self.leases)?;
        let free = leases
            .get(name)
            .is_none_or(|(h, until)| h == holder || *until < unix_ms(now));
        if free {
            leases.insert(name.to_owned(), (holder.to_owned(), ms_after(now, ttl)));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let mut leases = lock(&self.leases)?;
        if leases.get(name).is_some_and(|(h, _)| h == holder) {
            leases.remove(name);
        }
        Ok(())
    }
}
