use async_trait::async_trait;
use sqlx::Row;

use super::SqlStore;
use crate::model::{Operation, OperationStatus};
use crate::store::{OperationFilter, OperationPosition, OperationStore, StoreError, unix_ms};

/// The status as stored (its JSON spelling).
pub(crate) fn status_str(s: OperationStatus) -> &'static str {
    match s {
        OperationStatus::Pending => "pending",
        OperationStatus::Running => "running",
        OperationStatus::Succeeded => "succeeded",
        OperationStatus::Failed => "failed",
    }
}

fn decode(body: &str) -> Result<Operation, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError(format!("unreadable operation: {e}")))
}

#[async_trait]
impl OperationStore for SqlStore {
    async fn put_operation(&self, op: &Operation) -> Result<(), StoreError> {
        let body = serde_json::to_string(op).map_err(|e| StoreError(e.to_string()))?;
        sqlx::query(
            "INSERT INTO operations (id, provider, status, resource_id, created_ms, body) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body",
        )
        .bind(&op.id)
        .bind(&op.provider)
        .bind(status_str(op.status))
        .bind(&op.resource_id)
        .bind(unix_ms(op.created_at))
        .bind(body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_operation(&self, id: &str) -> Result<Option<Operation>, StoreError> {
        let row = sqlx::query("SELECT body FROM operations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| decode(&r.try_get::<String, _>(0)?)).transpose()
    }

    async fn list_operations(
        &self,
        filter: &OperationFilter,
        after: Option<&OperationPosition>,
        limit: usize,
    ) -> Result<Vec<Operation>, StoreError> {
        // Built from fixed fragments only; every value is a bound parameter ($1, $2, … in order).
        let mut sql = String::from("SELECT body FROM operations WHERE 1 = 1");
        let mut texts: Vec<&str> = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if let Some(p) = &filter.provider {
            sql += &format!(" AND provider = {}", next());
            texts.push(p);
        }
        if let Some(s) = filter.status {
            sql += &format!(" AND status = {}", next());
            texts.push(status_str(s));
        }
        if let Some(r) = &filter.resource_id {
            sql += &format!(" AND resource_id = {}", next());
            texts.push(r);
        }
        if after.is_some() {
            let (a, b, c) = (next(), next(), next());
            sql += &format!(" AND (created_ms < {a} OR (created_ms = {b} AND id < {c}))");
        }
        sql += &format!(" ORDER BY created_ms DESC, id DESC LIMIT {}", next());
        let mut query = sqlx::query(&sql);
        for t in texts {
            query = query.bind(t);
        }
        if let Some(a) = after {
            query = query
                .bind(a.created_ms)
                .bind(a.created_ms)
                .bind(a.id.as_str());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| decode(&r.try_get::<String, _>(0)?))
            .collect()
    }

    async fn unfinished_operations(&self) -> Result<Vec<Operation>, StoreError> {
        let rows =
            sqlx::query("SELECT body FROM operations WHERE status IN ('pending', 'running')")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| decode(&r.try_get::<String, _>(0)?))
            .collect()
    }
}
