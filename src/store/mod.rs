//! Where operations and idempotency records live (keys scoped by caller, fingerprints over the
//! operation and its canonical input). The gateway talks to [`Store`]; the in-memory
//! implementation is the default for now (a durable one replaces it without touching callers).

mod memory;

pub use memory::MemoryStore;

use async_trait::async_trait;

use crate::model::Operation;

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
    /// First use of the key: go ahead, then [`Store::finish_idempotent`] or
    /// [`Store::release_idempotent`].
    Proceed,
    /// The key was used with the same request: answer this again.
    Replay(StoredOutcome),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key has not finished yet.
    InFlight,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// Operations and idempotency records.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Saves an operation, replacing an earlier version with the same id.
    async fn put_operation(&self, op: &Operation) -> Result<(), StoreError>;

    /// Reads an operation.
    async fn get_operation(&self, id: &str) -> Result<Option<Operation>, StoreError>;

    /// Claims `key` (already scoped to its caller by the service) for a request whose canonical
    /// form (operation and input) hashes to `fingerprint`.
    async fn begin_idempotent(
        &self,
        key: &str,
        fingerprint: &str,
    ) -> Result<IdempotencyBegin, StoreError>;

    /// Records the outcome of the request that claimed `key`.
    async fn finish_idempotent(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError>;

    /// Forgets a claim whose request ended in a retryable failure, so a repeat may try again.
    async fn release_idempotent(&self, key: &str) -> Result<(), StoreError>;
}
