//! Where the gateway keeps what must outlive a request: operations, idempotency records,
//! events, leases, webhook deliveries and the audit log. One trait per table family
//! ([`OperationStore`], [`IdempotencyStore`], [`EventStore`], [`LeaseStore`],
//! [`DeliveryStore`], [`crate::audit::AuditStore`]); [`Store`] is all six, what the gateway
//! holds.
//!
//! Two implementations: [`MemoryStore`] (process memory, lost on restart: tests and the
//! measurement baseline) and [`SqlStore`] (SQLite in the data directory by default, or one
//! PostgreSQL shared by several replicas). [`open`] picks one from a `--database-url`.
//! See `docs/store.md`.

mod deliveries;
mod janitor;
mod memory;
mod sql;

pub use deliveries::{Claimed, DeliveryFilter, DeliveryStore, Tried, queued};
pub use janitor::{Retention, clean, spawn_janitor};
pub use memory::MemoryStore;
pub use sql::SqlStore;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::audit::AuditStore;
use crate::model::{CloudEvent, Operation, OperationStatus};

/// The recorded outcome of a request made with an idempotency key: the service's typed outcome
/// serialized as JSON, whatever front end the request came through (so a key used over REST
/// replays the same way over any other front end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutcome {
    /// The outcome as JSON.
    pub json: Vec<u8>,
}

/// What the store says when a request with an idempotency key begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First use of the key (or its earlier holder's lease ran out): go ahead, renew the claim
    /// while working, then [`IdempotencyStore::finish_idempotent`] or
    /// [`IdempotencyStore::release_idempotent`].
    Proceed,
    /// The key was used with the same request: answer this again.
    Replay(StoredOutcome),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key has not finished yet (and its holder is alive).
    InFlight,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// Which operations a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationFilter {
    /// Only operations at this provider.
    pub provider: Option<String>,
    /// Only operations in this status.
    pub status: Option<OperationStatus>,
    /// Only operations on the resource with this id.
    pub resource_id: Option<String>,
}

/// Where a page of operations starts: after the operation created at `created_ms` with `id`
/// (lists go newest first, ties broken by id descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationPosition {
    /// Creation time of the last operation served, in Unix milliseconds.
    pub created_ms: i64,
    /// Its id.
    pub id: String,
}

/// Operations.
#[async_trait]
pub trait OperationStore: Send + Sync {
    /// Saves an operation, replacing an earlier version with the same id.
    async fn put_operation(&self, op: &Operation) -> Result<(), StoreError>;

    /// Reads an operation.
    async fn get_operation(&self, id: &str) -> Result<Option<Operation>, StoreError>;

    /// Up to `limit` operations matching `filter`, newest first, after `after`.
    async fn list_operations(
        &self,
        filter: &OperationFilter,
        after: Option<&OperationPosition>,
        limit: usize,
    ) -> Result<Vec<Operation>, StoreError>;

    /// Every operation not yet succeeded or failed (to resume their followers).
    async fn unfinished_operations(&self) -> Result<Vec<Operation>, StoreError>;
}

/// Idempotency records. A key (already scoped to its caller by the service) is claimed by one
/// request at a time: the claim is a row, inserted if absent, so with several replicas on one
/// database exactly one request wins. `holder` names the claiming request; a claim whose lease
/// ran out (its process died) may be taken over.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request whose canonical form (operation and input) hashes to
    /// `fingerprint`, for `lease` unless renewed.
    async fn begin_idempotent(
        &self,
        key: &str,
        fingerprint: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError>;

    /// Extends `holder`'s claim on `key`; false when it no longer holds it.
    async fn renew_idempotent(
        &self,
        key: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<bool, StoreError>;

    /// Records the outcome of the request that claimed `key`.
    async fn finish_idempotent(
        &self,
        key: &str,
        holder: &str,
        outcome: StoredOutcome,
    ) -> Result<(), StoreError>;

    /// Forgets `holder`'s claim (the request ended in a retryable failure, or went away), so a
    /// repeat may try again.
    async fn release_idempotent(&self, key: &str, holder: &str) -> Result<(), StoreError>;

    /// Forgets records created before `before` (finished or abandoned); says how many.
    async fn expire_idempotent(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
}

/// The first and last event positions the store knows of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventBounds {
    /// The highest position removed by retention (0: none yet). A listener that last saw an
    /// earlier position has missed events.
    pub pruned_through: u64,
    /// The highest position given so far (0: none).
    pub last: u64,
}

/// The event log: every event with an increasing position, kept for a retention period.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// The name of this log's stream (the `<stream>` of `<stream>-<n>` event ids): stable for a
    /// database, so ids stay valid across restarts and replicas.
    async fn stream_name(&self) -> Result<String, StoreError>;

    /// Appends `event`; returns its position (greater than every earlier one, and committed in
    /// that order, so a reader that saw position n never later finds a new one below n).
    async fn append_event(&self, event: &CloudEvent) -> Result<u64, StoreError>;

    /// Up to `limit` events after position `after`, oldest first.
    async fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, CloudEvent)>, StoreError>;

    /// Where the log begins and ends.
    async fn event_bounds(&self) -> Result<EventBounds, StoreError>;

    /// Removes events recorded before `before`; says how many.
    async fn prune_events(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    /// Woken (at least once) when events may have been appended, here or (PostgreSQL) by
    /// another replica.
    fn event_signal(&self) -> Arc<tokio::sync::Notify>;
}

/// Named leases: who follows an operation, who runs a janitor. Held until `ttl` passes unless
/// renewed, so the work of a replica that died is taken over.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes or renews `name` for `holder`; false when another holder's lease is still valid.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError>;

    /// Gives `name` up, if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}

/// Everything the gateway stores.
pub trait Store:
    OperationStore + IdempotencyStore + EventStore + LeaseStore + DeliveryStore + AuditStore + 'static
{
}

impl<T> Store for T where
    T: OperationStore
        + IdempotencyStore
        + EventStore
        + LeaseStore
        + DeliveryStore
        + AuditStore
        + 'static
{
}

/// Opens the store a `--database-url` names: `memory:`, `sqlite:PATH` (created if missing) or
/// `postgres://…`; migrations are run before it is returned.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    Ok(Arc::new(SqlStore::connect(url).await?))
}

/// Milliseconds since the Unix epoch.
pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// `t` + `d` in Unix milliseconds.
pub(crate) fn ms_after(t: OffsetDateTime, d: Duration) -> i64 {
    unix_ms(t).saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
