//! Idempotency of changes, keyed by caller, operation and canonical input — not by a front end's
//! path or body spelling — so a key means the same over every front end.
//!
//! The same key with the same operation and input returns the first outcome again (marked
//! `replayed`); with another operation or input it is 422; while the first is still running it
//! is 409. Outcomes that say "try again" (429, 5xx) are not kept, so a retry really retries.
//!
//! The claim is a row in the store (see [`crate::store::IdempotencyStore`]), so concurrent
//! duplicates on one replica or several make one provider call. It is held under a lease,
//! renewed while the request works: a claim whose process died is free again once the lease
//! runs out.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::caller::Caller;
use super::error::{ServiceError, ServiceResult};
use super::outcome::Change;
use crate::model::{Problem, ProblemCode};
use crate::store::{IdempotencyBegin, Store, StoredOutcome};

/// The longest key accepted.
pub const MAX_KEY: usize = 255;

/// A client's idempotency key: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a key as the client sent it (400 when unusable).
    pub fn new(raw: &str) -> ServiceResult<IdempotencyKey> {
        let visible = raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if raw.is_empty() || raw.len() > MAX_KEY || !visible {
            return Err(ServiceError::bad_request(format!(
                "Idempotency-Key must be 1-{MAX_KEY} visible ASCII characters"
            )));
        }
        Ok(IdempotencyKey(raw.to_owned()))
    }

    /// The key as sent; drivers pass it on to providers that deduplicate creates (EC2
    /// `ClientToken`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The identity of a change: what is done, where, to what, with which input.
pub(crate) struct Identity<'a> {
    pub(crate) operation: &'static str,
    pub(crate) provider: &'a str,
    pub(crate) target: Option<&'a str>,
    /// The typed input, serialized (struct fields in declared order, maps sorted: canonical).
    pub(crate) input: serde_json::Value,
}

fn fingerprint(id: &Identity<'_>) -> String {
    let mut hash = Sha256::new();
    for part in [id.operation, id.provider, id.target.unwrap_or("")] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(id.input.to_string().as_bytes());
    hex::encode(hash.finalize())
}

/// What is kept for a key: the change, or the final problem.
#[derive(Serialize, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
enum Recorded<T> {
    Change(Change<T>),
    Problem(Problem),
}

/// Releases an unfinished claim when the request is dropped (the client went away), so the key
/// is not stuck "in flight".
struct Claim {
    store: Arc<dyn Store>,
    key: String,
    holder: String,
    settled: bool,
    /// Renews the claim's lease while the request works.
    renewal: Option<tokio::task::JoinHandle<()>>,
}

impl Claim {
    fn new(store: &Arc<dyn Store>, key: String, holder: String, lease: Duration) -> Claim {
        let renewal = {
            let (store, key, holder) = (store.clone(), key.clone(), holder.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    match store.renew_idempotent(&key, &holder, lease).await {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(e) => tracing::warn!(error = %e, "cannot renew an idempotency claim"),
                    }
                }
            })
        };
        Claim {
            store: store.clone(),
            key,
            holder,
            settled: false,
            renewal: Some(renewal),
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
        if self.settled {
            return;
        }
        let store = self.store.clone();
        let key = std::mem::take(&mut self.key);
        let holder = std::mem::take(&mut self.holder);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = store.release_idempotent(&key, &holder).await;
            });
        }
    }
}

/// Runs `change` once per (caller, key); without a key it just runs.
pub(crate) async fn once<T, F, Fut>(
    store: &Arc<dyn Store>,
    lease: Duration,
    caller: &Caller,
    key: Option<&IdempotencyKey>,
    identity: Identity<'_>,
    change: F,
) -> ServiceResult<Change<T>>
where
    T: Serialize + DeserializeOwned + Clone,
    F: FnOnce() -> Fut,
    Fut: Future<Output = ServiceResult<Change<T>>>,
{
    let Some(key) = key else {
        return change().await;
    };
    // The caller's name hex-encoded, so the first `/` ends it whatever the key holds (and no
    // NUL: a PostgreSQL text column refuses one).
    let scoped = format!("{}/{}", hex::encode(caller.name()), key.as_str());
    let holder = uuid::Uuid::new_v4().to_string();
    match store
        .begin_idempotent(&scoped, &fingerprint(&identity), &holder, lease)
        .await?
    {
        IdempotencyBegin::Replay(stored) => replay(&stored),
        IdempotencyBegin::Mismatch => Err(ServiceError::unprocessable(
            "this Idempotency-Key was already used with a different request; use a new key",
        )),
        IdempotencyBegin::InFlight => Err(Problem::new(
            ProblemCode::InvalidState,
            409,
            "the first request with this Idempotency-Key is still being handled; repeat it later",
        )
        .with_retryable(true)
        .into()),
        IdempotencyBegin::Proceed => {
            let mut claim = Claim::new(store, scoped, holder, lease);
            let result = change().await;
            let kept = match &result {
                Ok(change) => Some(Recorded::Change(change.clone())),
                Err(e) if e.problem.status == 429 || e.problem.status >= 500 => None,
                Err(e) => Some(Recorded::Problem(e.problem.clone())),
            };
            match kept {
                Some(record) => {
                    let json = serde_json::to_vec(&record).unwrap_or_default();
                    store
                        .finish_idempotent(&claim.key, &claim.holder, StoredOutcome { json })
                        .await?;
                }
                None => store.release_idempotent(&claim.key, &claim.holder).await?,
            }
            claim.settled = true;
            result
        }
    }
}

fn replay<T: DeserializeOwned>(stored: &StoredOutcome) -> ServiceResult<Change<T>> {
    match serde_json::from_slice::<Recorded<T>>(&stored.json) {
        Ok(Recorded::Change(mut change)) => {
            change.replayed = true;
            Ok(change)
        }
        Ok(Recorded::Problem(problem)) => Err(problem.into()),
        Err(e) => {
            tracing::error!(error = %e, "unreadable idempotency record");
            Err(Problem::new(
                ProblemCode::Internal,
                500,
                "the recorded outcome of this Idempotency-Key is unreadable",
            )
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::store::MemoryStore;

    fn create() -> Identity<'static> {
        Identity {
            operation: "create_server",
            provider: "p",
            target: None,
            input: serde_json::json!({"name": "a"}),
        }
    }

    /// Runs a change under key `k` that fails with `status`, counting the runs.
    async fn failing(store: &Arc<dyn Store>, runs: &AtomicUsize, status: u16) -> Option<u16> {
        let key = IdempotencyKey::new("k").ok();
        let result: ServiceResult<Change<u32>> = once(
            store,
            Duration::from_secs(15),
            &Caller::Anonymous,
            key.as_ref(),
            create(),
            || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Err(Problem::new(ProblemCode::NotFound, status, "no").into())
            },
        )
        .await;
        result.err().map(|e| e.problem.status)
    }

    #[tokio::test]
    async fn final_problems_are_replayed_and_retryable_ones_run_again() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let runs = AtomicUsize::new(0);
        assert_eq!(failing(&store, &runs, 503).await, Some(503));
        assert_eq!(failing(&store, &runs, 404).await, Some(404));
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a 503 must not be kept");
        assert_eq!(failing(&store, &runs, 500).await, Some(404));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "a kept 404 is replayed, not run"
        );
    }

    #[tokio::test]
    async fn a_request_dropped_midway_releases_its_key() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let key = IdempotencyKey::new("k").ok();
        let lease = Duration::from_secs(15);
        let stuck = once::<u32, _, _>(
            &store,
            lease,
            &Caller::Anonymous,
            key.as_ref(),
            create(),
            std::future::pending,
        );
        // Dropped (the client went away) while the change is in flight.
        assert!(
            tokio::time::timeout(Duration::from_millis(10), stuck)
                .await
                .is_err()
        );
        let runs = AtomicUsize::new(0);
        let released = tokio::time::timeout(Duration::from_secs(5), async {
            // 409 while the release is still on its way; then the key is free and runs.
            while failing(&store, &runs, 404).await == Some(409) {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(released.is_ok(), "the key stayed in flight");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    fn identity(
        op: &'static str,
        target: Option<&'static str>,
        input: serde_json::Value,
    ) -> String {
        fingerprint(&Identity {
            operation: op,
            provider: "p",
            target,
            input,
        })
    }

    #[test]
    fn fingerprint_is_the_operation_target_and_input() {
        let a = identity("create_server", None, serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(
            a,
            identity("create_server", None, serde_json::json!({"b": 2, "a": 1}))
        );
        assert_ne!(
            a,
            identity("create_volume", None, serde_json::json!({"a": 1, "b": 2}))
        );
        assert_ne!(
            identity("start_server", Some("1"), serde_json::Value::Null),
            identity("start_server", Some("2"), serde_json::Value::Null)
        );
    }

    #[test]
    fn keys_must_be_short_visible_ascii() {
        assert!(IdempotencyKey::new("order-42").is_ok());
        for bad in ["", "a\u{1}b", "ü"] {
            assert!(IdempotencyKey::new(bad).is_err(), "{bad:?}");
        }
        assert!(IdempotencyKey::new(&"k".repeat(MAX_KEY + 1)).is_err());
    }
}
