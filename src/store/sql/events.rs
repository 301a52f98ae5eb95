use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{Executor, Row};
use time::OffsetDateTime;

use super::{Backend, EVENTS_CHANNEL, SqlStore};
use crate::model::CloudEvent;
use crate::store::{EventBounds, EventStore, StoreError, unix_ms};

fn decode(seq: i64, body: &str) -> Result<(u64, CloudEvent), StoreError> {
    let event =
        serde_json::from_str(body).map_err(|e| StoreError(format!("unreadable event: {e}")))?;
    Ok((u64::try_from(seq).unwrap_or(0), event))
}

async fn pruned_through(conn: &mut sqlx::AnyConnection) -> Result<u64, StoreError> {
    let row = sqlx::query("SELECT value FROM meta WHERE name = 'pruned_through'")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<String, _>(0)?.parse().unwrap_or(0),
        None => 0,
    })
}

#[async_trait]
impl EventStore for SqlStore {
    async fn stream_name(&self) -> Result<String, StoreError> {
        Ok(self.stream.clone())
    }

    async fn append_event(&self, event: &CloudEvent) -> Result<u64, StoreError> {
        let body = serde_json::to_string(event).map_err(|e| StoreError(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        if self.backend() == Backend::Postgres {
            // Concurrent appends could commit their positions out of order (11 before 10), and
            // a reader that saw 11 would never look at 10 again. The lock makes appends take
            // positions and commit one after another; reads are not blocked by it.
            tx.execute("LOCK TABLE events IN EXCLUSIVE MODE").await?;
        }
        let row = sqlx::query("INSERT INTO events (time_ms, body) VALUES ($1, $2) RETURNING seq")
            .bind(unix_ms(event.time))
            .bind(body)
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get(0)?;
        if self.backend() == Backend::Postgres {
            // Delivered at commit, to every replica's listener (and ours).
            tx.execute(format!("NOTIFY {EVENTS_CHANNEL}").as_str())
                .await?;
        }
        tx.commit().await?;
        self.signal.notify_one();
        Ok(u64::try_from(seq).unwrap_or(0))
    }

    async fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, CloudEvent)>, StoreError> {
        let rows = sqlx::query("SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| decode(r.try_get(0)?, &r.try_get::<String, _>(1)?))
            .collect()
    }

    async fn event_bounds(&self) -> Result<EventBounds, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let pruned = pruned_through(&mut conn).await?;
        let row = sqlx::query("SELECT MAX(seq) FROM events")
            .fetch_one(&mut *conn)
            .await?;
        let last: Option<i64> = row.try_get(0)?;
        let last = last.and_then(|l| u64::try_from(l).ok()).unwrap_or(0);
        Ok(EventBounds {
            pruned_through: pruned,
            last: last.max(pruned),
        })
    }

    async fn prune_events(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The write first, so SQLite takes its write lock at once (no read-to-write upgrade).
        let rows = sqlx::query("DELETE FROM events WHERE time_ms < $1 RETURNING seq")
            .bind(unix_ms(before))
            .fetch_all(&mut *tx)
            .await?;
        let mut highest = 0u64;
        for r in &rows {
            highest = highest.max(u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0));
        }
        let through = pruned_through(&mut tx).await?.max(highest);
        sqlx::query(
            "INSERT INTO meta (name, value) VALUES ('pruned_through', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(through.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    fn event_signal(&self) -> Arc<tokio::sync::Notify> {
        self.signal.clone()
    }
}
