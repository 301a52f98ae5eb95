//! What a change answers: the operation following it and the resource as last seen, either
//! still going (`done: false`) or finished within the caller's wait (`done: true`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::idempotency::IdempotencyKey;
use crate::model::Operation;

/// The longest a caller may wait for a change to finish (`Prefer: wait` over REST).
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// How a caller asks for a change: its idempotency key, and how long it is willing to wait.
#[derive(Debug, Clone, Default)]
pub struct ChangeOptions {
    /// Repeat-safety: the same key and input return the first outcome again.
    pub idempotency_key: Option<IdempotencyKey>,
    /// Wait up to this long (capped at [`MAX_WAIT`]) for the operation to end.
    pub wait: Option<Duration>,
}

/// The outcome of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    /// The operation following the change.
    pub operation: Operation,
    /// The resource as last seen (final when `done`).
    pub resource: T,
    /// Whether the change had finished when answered (already done, or within the wait).
    pub done: bool,
    /// Whether this is the recorded outcome of an earlier request with the same key.
    #[serde(skip)]
    pub replayed: bool,
}
