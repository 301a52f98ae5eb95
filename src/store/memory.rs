use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{IdempotencyBegin, Store, StoreError, StoredOutcome};
use crate::model::Operation;

/// A [`Store`] in process memory: lost on restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    operations: Mutex<HashMap<String, Operation>>,
    idempotency: Mutex<HashMap<String, Record>>,
}

#[derive(Debug)]
struct Record {
    fingerprint: String,
    response: Option<StoredOutcome>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError("a thread panicked while holding the store lock".into())
}

#[async_trait]
impl Store for MemoryStore {
    async fn put_operation(&self, op: &Operation) -> Result<(), StoreError> {
        self.operations
            .lock()
            .map_err(poisoned)?
            .insert(op.id.clone(), op.clone());
        Ok(())
    }

    async fn get_operation(&self, id: &str) -> Result<Option<Operation>, StoreError> {
        Ok(self.operations.lock().map_err(poisoned)?.get(id).cloned())
    }

    async fn begin_idempotent(
        &self,
        key: &str,
        fingerprint: &str,
    ) -> Result<IdempotencyBegin, StoreError> {
        let mut records = self.idempotency.lock().map_err(poisoned)?;
        let Some(record) = records.get(key) else {
            let record = Record {
                fingerprint: fingerprint.to_owned(),
                response: None,
            };
            records.insert(key.to_owned(), record);
            return Ok(IdempotencyBegin::Proceed);
        };
        Ok(if record.fingerprint != fingerprint {
            IdempotencyBegin::Mismatch
        } else {
            match &record.response {
                Some(response) => IdempotencyBegin::Replay(response.clone()),
                None => IdempotencyBegin::InFlight,
            }
        })
    }

    async fn finish_idempotent(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        if let Some(record) = self.idempotency.lock().map_err(poisoned)?.get_mut(key) {
            record.response = Some(outcome);
        }
        Ok(())
    }

    async fn release_idempotent(&self, key: &str) -> Result<(), StoreError> {
        self.idempotency.lock().map_err(poisoned)?.remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> StoredOutcome {
        StoredOutcome {
            json: b"{}".to_vec(),
        }
    }

    #[tokio::test]
    async fn same_key_same_fingerprint_replays_after_finish() -> Result<(), StoreError> {
        let store = MemoryStore::new();
        assert_eq!(
            store.begin_idempotent("k", "f1").await?,
            IdempotencyBegin::Proceed
        );
        assert_eq!(
            store.begin_idempotent("k", "f1").await?,
            IdempotencyBegin::InFlight
        );
        store.finish_idempotent("k", response()).await?;
        assert_eq!(
            store.begin_idempotent("k", "f1").await?,
            IdempotencyBegin::Replay(response())
        );
        Ok(())
    }

    #[tokio::test]
    async fn same_key_other_fingerprint_is_a_mismatch() -> Result<(), StoreError> {
        let store = MemoryStore::new();
        store.begin_idempotent("k", "f1").await?;
        assert_eq!(
            store.begin_idempotent("k", "f2").await?,
            IdempotencyBegin::Mismatch
        );
        Ok(())
    }

    #[tokio::test]
    async fn released_key_can_be_used_again() -> Result<(), StoreError> {
        let store = MemoryStore::new();
        store.begin_idempotent("k", "f1").await?;
        store.release_idempotent("k").await?;
        assert_eq!(
            store.begin_idempotent("k", "f2").await?,
            IdempotencyBegin::Proceed
        );
        Ok(())
    }
}
