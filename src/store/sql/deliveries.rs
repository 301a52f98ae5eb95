//! The webhook delivery queue in SQL (`webhook_deliveries`), and the feed position in `meta`.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::SqlStore;
use crate::model::{CloudEvent, Delivery, DeliveryStatus};
use crate::store::{
    Claimed, DeliveryFilter, DeliveryStore, StoreError, Tried, ms_after, queued, unix_ms,
};

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError(e.to_string()))
}

/// A row's delivery: the stored record with the status and attempts of its columns.
fn delivery(row: &AnyRow) -> Result<Delivery, StoreError> {
    let record: String = row.try_get("record")?;
    let mut delivery: Delivery = serde_json::from_str(&record)
        .map_err(|e| StoreError(format!("unreadable delivery: {e}")))?;
    let status: String = row.try_get("status")?;
    delivery.status = DeliveryStatus::parse(&status)
        .ok_or_else(|| StoreError(format!("unknown delivery status {status:?}")))?;
    let attempts: i64 = row.try_get("attempts")?;
    delivery.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    Ok(delivery)
}

#[async_trait]
impl DeliveryStore for SqlStore {
    async fn enqueue_delivery(
        &self,
        webhook: &str,
        event: &CloudEvent,
    ) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc();
        let record = queued(webhook, event, now);
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook, event_id, status, next_ms, record, event) \
             VALUES ($1, $2, 'pending', $3, $4, $5) ON CONFLICT (webhook, event_id) DO NOTHING",
        )
        .bind(webhook)
        .bind(&event.id)
        .bind(unix_ms(now))
        .bind(json(&record)?)
        .bind(json(event)?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        // The claim's conditions stand in the outer WHERE too: on PostgreSQL a replica that
        // waited for another's claim of the same row re-checks them on the claimed row, and
        // skips it.
        let rows = sqlx::query(
            "UPDATE webhook_deliveries SET claimed_until_ms = $1, attempts = attempts + 1 \
             WHERE status = 'pending' AND next_ms <= $2 AND claimed_until_ms <= $2 \
             AND seq IN (SELECT seq FROM webhook_deliveries \
                 WHERE status = 'pending' AND next_ms <= $2 AND claimed_until_ms <= $2 \
                 ORDER BY seq LIMIT $3) \
             RETURNING seq, status, attempts, record, event",
        )
        .bind(ms_after(now, lease))
        .bind(unix_ms(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut delivery = delivery(row)?;
            delivery.updated_at = now;
            let event: String = row.try_get("event")?;
            let event = serde_json::from_str(&event)
                .map_err(|e| StoreError(format!("unreadable queued event: {e}")))?;
            claimed.push((row.try_get::<i64, _>("seq")?, Claimed { delivery, event }));
        }
        // RETURNING gives no order: the oldest first.
        claimed.sort_by_key(|(seq, _)| *seq);
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }

    async fn record_delivery(
        &self,
        webhook: &str,
        event_id: &str,
        tried: Tried,
    ) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT status, attempts, record FROM webhook_deliveries \
             WHERE webhook = $1 AND event_id = $2",
        )
        .bind(webhook)
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(()) };
        let mut record = delivery(&row)?;
        let now = OffsetDateTime::now_utc();
        record.status = tried.status;
        record.last_status = tried.last_status;
        record.last_error = tried.last_error;
        record.next_attempt_at = tried.next_attempt_at;
        record.updated_at = now;
        let next = tried.next_attempt_at.map_or(i64::MAX, unix_ms);
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_ms = $2, claimed_until_ms = 0, \
             record = $3 WHERE webhook = $4 AND event_id = $5",
        )
        .bind(tried.status.as_str())
        .bind(next)
        .bind(json(&record)?)
        .bind(webhook)
        .bind(event_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
    ) -> Result<Vec<(i64, Delivery)>, StoreError> {
        // Absent filters bind values that match everything, so the text stays fixed.
        let rows = sqlx::query(
            "SELECT seq, status, attempts, record FROM webhook_deliveries \
             WHERE seq < $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR webhook = $3) \
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(filter.before.unwrap_or(i64::MAX))
        .bind(filter.status.map_or("", DeliveryStatus::as_str))
        .bind(filter.webhook.clone().unwrap_or_default())
        .bind(i64::try_from(filter.limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get::<i64, _>("seq")?, delivery(row)?)))
            .collect()
    }

    async fn feed_position(&self) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM meta WHERE name = 'webhook_feed'")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
            .transpose()
    }

    async fn set_feed_position(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (name, value) VALUES ('webhook_feed', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
