//! The audit log: one record for every change a caller asked for and every request the gateway
//! refused (401, 403, 429, …), with who, what, where, the outcome, the request id and the time.
//!
//! The store is a trait so that the durable store (SQL) can hold it next to operations; this
//! module has the in-memory implementation, bounded to the last [`MEMORY_KEEP`] records. A
//! record holds names only — the caller's configured token *name*, never a token, a credential
//! or a request body — so the log can be read by admins without leaking anything.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// One audited request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecord {
    /// Position in the log (ascending).
    pub seq: u64,
    /// When the answer was sent (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub time: OffsetDateTime,
    /// Who asked: `anonymous` or `token:<name>`.
    pub caller: String,
    /// The caller's role (`viewer`, `operator`, `admin`), none when no valid token was shown.
    pub role: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// What was asked: the route template, e.g. `/v1/providers/{provider}/servers/{id}/stop`.
    pub action: String,
    /// The provider named in the request, if any.
    pub provider: Option<String>,
    /// The resource id named in the request, if any.
    pub target: Option<String>,
    /// The HTTP status of the answer.
    pub status: u16,
    /// `succeeded` (2xx), `refused` (401, 403, 413, 415, 429, 503 by the gateway's guards) or
    /// `failed` (any other error).
    pub outcome: String,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
}

/// Which records a page holds.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this caller (`token:<name>` or `anonymous`).
    pub caller: Option<String>,
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// Only records after this position (from a cursor).
    pub after: Option<u64>,
    /// Most records on the page.
    pub limit: usize,
}

/// A page of records, oldest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The records.
    pub items: Vec<AuditRecord>,
    /// The position of the last record, when more may follow.
    pub next_after: Option<u64>,
}

/// Why the audit store failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditError(pub String);

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "audit store: {}", self.0)
    }
}

impl std::error::Error for AuditError {}

/// Where audit records are kept.
#[async_trait]
pub trait AuditStore: Send + Sync + fmt::Debug {
    /// Appends a record; its `seq` is assigned here (the one passed in is ignored).
    async fn append(&self, record: AuditRecord) -> Result<(), AuditError>;
    /// A page of records matching `query`, oldest first.
    async fn list(&self, query: &AuditQuery) -> Result<AuditPage, AuditError>;
}

/// How many records the in-memory store keeps.
pub const MEMORY_KEEP: usize = 10_000;

/// The audit log in process memory: the last [`MEMORY_KEEP`] records, lost on restart.
#[derive(Debug, Default)]
pub struct MemoryAudit {
    inner: Mutex<(u64, VecDeque<AuditRecord>)>,
}

impl MemoryAudit {
    /// An empty log.
    pub fn new() -> MemoryAudit {
        MemoryAudit::default()
    }
}

#[async_trait]
impl AuditStore for MemoryAudit {
    async fn append(&self, mut record: AuditRecord) -> Result<(), AuditError> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| AuditError("poisoned".into()))?;
        let (next, records) = &mut *guard;
        *next += 1;
        record.seq = *next;
        if records.len() >= MEMORY_KEEP {
            records.pop_front();
        }
        records.push_back(record);
        Ok(())
    }

    async fn list(&self, query: &AuditQuery) -> Result<AuditPage, AuditError> {
        let guard = self
            .inner
            .lock()
            .map_err(|_| AuditError("poisoned".into()))?;
        let after = query.after.unwrap_or(0);
        let wanted = |r: &&AuditRecord| {
            r.seq > after
                && query.caller.as_ref().is_none_or(|c| *c == r.caller)
                && query
                    .provider
                    .as_ref()
                    .is_none_or(|p| r.provider.as_ref() == Some(p))
                && query.outcome.as_ref().is_none_or(|o| *o == r.outcome)
        };
        // One more than asked tells whether another page follows.
        let mut items: Vec<AuditRecord> = guard
            .1
            .iter()
            .filter(wanted)
            .take(query.limit + 1)
            .cloned()
            .collect();
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

/// The opaque cursor of the page after position `seq`.
pub fn cursor_after(seq: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("audit:{seq}"))
}

/// The position a cursor of [`cursor_after`] names, or `None` for anything else.
pub fn parse_cursor(cursor: &str) -> Option<u64> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.strip_prefix("audit:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(caller: &str, outcome: &str) -> AuditRecord {
        AuditRecord {
            seq: 0,
            time: OffsetDateTime::UNIX_EPOCH,
            caller: caller.into(),
            role: None,
            method: "POST".into(),
            action: "/v1/x".into(),
            provider: Some("gg".into()),
            target: None,
            status: 202,
            outcome: outcome.into(),
            request_id: None,
        }
    }

    #[tokio::test]
    async fn pages_follow_each_other_and_filters_apply() {
        let log = MemoryAudit::new();
        for i in 0..5 {
            let who = if i % 2 == 0 { "token:a" } else { "token:b" };
            assert!(log.append(record(who, "succeeded")).await.is_ok());
        }
        let mut query = AuditQuery {
            caller: Some("token:a".into()),
            limit: 2,
            ..AuditQuery::default()
        };
        let first = log.list(&query).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            first.items.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [1, 3]
        );
        query.after = first.next_after;
        let second = log.list(&query).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second.items.iter().map(|r| r.seq).collect::<Vec<_>>(), [5]);
        assert_eq!(second.next_after, None);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(parse_cursor(&cursor_after(42)), Some(42));
        assert_eq!(parse_cursor("nonsense"), None);
    }
}
