//! The audit log in SQL (`audit`): shared by every replica, kept across restarts.

use async_trait::async_trait;
use sqlx::Row;

use super::SqlStore;
use crate::audit::{AuditError, AuditPage, AuditQuery, AuditRecord, AuditStore};
use crate::store::unix_ms;

fn failed(e: impl std::fmt::Display) -> AuditError {
    AuditError(e.to_string())
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append(&self, record: AuditRecord) -> Result<(), AuditError> {
        let json = serde_json::to_string(&record).map_err(failed)?;
        sqlx::query(
            "INSERT INTO audit (time_ms, caller, provider, outcome, record) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(unix_ms(record.time))
        .bind(&record.caller)
        .bind(record.provider.clone().unwrap_or_default())
        .bind(&record.outcome)
        .bind(json)
        .execute(&self.pool)
        .await
        .map_err(failed)?;
        Ok(())
    }

    async fn list(&self, query: &AuditQuery) -> Result<AuditPage, AuditError> {
        // Absent filters bind values that match everything, so the text stays fixed.
        let rows = sqlx::query(
            "SELECT seq, record FROM audit WHERE seq > $1 AND ($2 = '' OR caller = $2) \
             AND ($3 = '' OR provider = $3) AND ($4 = '' OR outcome = $4) \
             ORDER BY seq LIMIT $5",
        )
        .bind(i64::try_from(query.after.unwrap_or(0)).unwrap_or(i64::MAX))
        .bind(query.caller.clone().unwrap_or_default())
        .bind(query.provider.clone().unwrap_or_default())
        .bind(query.outcome.clone().unwrap_or_default())
        // One more than asked tells whether another page follows.
        .bind(i64::try_from(query.limit.saturating_add(1)).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(failed)?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq").map_err(failed)?;
            let text: String = row.try_get("record").map_err(failed)?;
            let mut record: AuditRecord = serde_json::from_str(&text).map_err(failed)?;
            record.seq = u64::try_from(seq).unwrap_or_default();
            items.push(record);
        }
        let more = items.len() > query.limit;
        items.truncate(query.limit);
        let next_after = if more {
            items.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(AuditPage { items, next_after })
    }
}
