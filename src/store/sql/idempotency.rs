use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use super::SqlStore;
use crate::store::{
    IdempotencyBegin, IdempotencyStore, StoreError, StoredOutcome, ms_after, unix_ms,
};

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn begin_idempotent(
        &self,
        key: &str,
        fingerprint: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        // A claim released between our insert and our read leaves no row: look again (a few
        // times; more would mean a storm of releases, answered as "in flight").
        for _ in 0..3 {
            let now = OffsetDateTime::now_utc();
            // The row is the claim: of concurrent inserts on any replica exactly one succeeds.
            let inserted = sqlx::query(
                "INSERT INTO idempotency (key, fingerprint, holder, lease_until, created_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(fingerprint)
            .bind(holder)
            .bind(ms_after(now, lease))
            .bind(unix_ms(now))
            .execute(&self.pool)
            .await?;
            if inserted.rows_affected() == 1 {
                return Ok(IdempotencyBegin::Proceed);
            }
            let row = sqlx::query(
                "SELECT fingerprint, outcome, lease_until FROM idempotency WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { continue };
            let (stored, outcome, lease_until): (String, Option<String>, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if stored != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            if let Some(outcome) = outcome {
                return Ok(IdempotencyBegin::Replay(StoredOutcome {
                    json: outcome.into_bytes(),
                }));
            }
            if lease_until >= unix_ms(now) {
                return Ok(IdempotencyBegin::InFlight);
            }
            // The holder died (its lease ran out): take the claim over, unless another request
            // just did.
            let taken = sqlx::query(
                "UPDATE idempotency SET holder = $1, lease_until = $2 \
                 WHERE key = $3 AND outcome IS NULL AND lease_until < $4",
            )
            .bind(holder)
            .bind(ms_after(now, lease))
            .bind(key)
            .bind(unix_ms(now))
            .execute(&self.pool)
            .await?;
            return Ok(if taken.rows_affected() == 1 {
                IdempotencyBegin::Proceed
            } else {
                IdempotencyBegin::InFlight
            });
        }
        Ok(IdempotencyBegin::InFlight)
    }

    async fn renew_idempotent(
        &self,
        key: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE idempotency SET lease_until = $1 \
             WHERE key = $2 AND holder = $3 AND outcome IS NULL",
        )
        .bind(ms_after(OffsetDateTime::now_utc(), lease))
        .bind(key)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish_idempotent(
        &self,
        key: &str,
        holder: &str,
        outcome: StoredOutcome,
    ) -> Result<(), StoreError> {
        let json = String::from_utf8(outcome.json)
            .map_err(|_| StoreError("an idempotency outcome is not UTF-8 JSON".into()))?;
        sqlx::query("UPDATE idempotency SET outcome = $1 WHERE key = $2 AND holder = $3")
            .bind(json)
            .bind(key)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release_idempotent(&self, key: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE key = $1 AND holder = $2 AND outcome IS NULL")
            .bind(key)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn expire_idempotent(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency WHERE created_ms < $1")
            .bind(unix_ms(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
