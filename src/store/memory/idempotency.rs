use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MemoryStore, lock};
use crate::store::{
    IdempotencyBegin, IdempotencyStore, StoreError, StoredOutcome, ms_after, unix_ms,
};

/// One key's record.
#[derive(Debug)]
pub(super) struct Record {
    fingerprint: String,
    holder: String,
    lease_until: i64,
    created_ms: i64,
    outcome: Option<StoredOutcome>,
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin_idempotent(
        &self,
        key: &str,
        fingerprint: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut records = lock(&self.idempotency)?;
        let Some(record) = records.get_mut(key) else {
            let record = Record {
                fingerprint: fingerprint.to_owned(),
                holder: holder.to_owned(),
                lease_until: ms_after(now, lease),
                created_ms: unix_ms(now),
                outcome: None,
            };
            records.insert(key.to_owned(), record);
            return Ok(IdempotencyBegin::Proceed);
        };
        if record.fingerprint != fingerprint {
            return Ok(IdempotencyBegin::Mismatch);
        }
        Ok(match &record.outcome {
            Some(outcome) => IdempotencyBegin::Replay(outcome.clone()),
            None if record.lease_until < unix_ms(now) => {
                record.holder = holder.to_owned();
                record.lease_until = ms_after(now, lease);
                IdempotencyBegin::Proceed
            }
            None => IdempotencyBegin::InFlight,
        })
    }

    async fn renew_idempotent(
        &self,
        key: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let mut records = lock(&self.idempotency)?;
        match records.get_mut(key) {
            Some(r) if r.holder == holder && r.outcome.is_none() => {
                r.lease_until = ms_after(OffsetDateTime::now_utc(), lease);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn finish_idempotent(
        &self,
        key: &str,
        holder: &str,
        outcome: StoredOutcome,
    ) -> Result<(), StoreError> {
        if let Some(record) = lock(&self.idempotency)?.get_mut(key)
            && record.holder == holder
        {
            record.outcome = Some(outcome);
        }
        Ok(())
    }

    async fn release_idempotent(&self, key: &str, holder: &str) -> Result<(), StoreError> {
        let mut records = lock(&self.idempotency)?;
        if records
            .get(key)
            .is_some_and(|r| r.holder == holder && r.outcome.is_none())
        {
            records.remove(key);
        }
        Ok(())
    }

    async fn expire_idempotent(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let mut records = lock(&self.idempotency)?;
        let was = records.len();
        records.retain(|_, r| r.created_ms >= unix_ms(before));
        Ok((was - records.len()) as u64)
    }
}
