//! The admin verbs: the audit log and the configuration.

use super::error::{ServiceError, ServiceResult};
use super::{Caller, ConfigView, Role, Service};
use crate::audit::{AuditPage, AuditQuery, AuditRecord, cursor_after, parse_cursor};
use crate::model::{CloudEvent, Problem, ProblemCode};

/// Most audit records on one page, and the default.
pub const MAX_AUDIT_LIMIT: usize = 1000;

/// Which audit records a caller asks for.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this caller (`anonymous` or `token:<name>`).
    pub caller: Option<String>,
    /// Only this provider.
    pub provider: Option<String>,
    /// Only `succeeded`, `refused` or `failed`.
    pub outcome: Option<String>,
    /// Most records on the page (1–1000, default 100).
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Service {
    /// A page of the audit log, oldest first (admin only); a scoped admin sees the records of
    /// its providers only.
    pub async fn list_audit(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
    ) -> ServiceResult<(Vec<AuditRecord>, Option<String>)> {
        caller.require(Role::Admin, "reading the audit log")?;
        let limit = match filter.limit {
            None => 100,
            Some(n) if (1..=MAX_AUDIT_LIMIT).contains(&n) => n,
            Some(_) => {
                return Err(ServiceError::bad_request(format!(
                    "limit must be 1-{MAX_AUDIT_LIMIT}"
                )));
            }
        };
        let after = match &filter.cursor {
            None => None,
            Some(c) => Some(
                parse_cursor(c)
                    .ok_or_else(|| ServiceError::bad_request("cursor is not one of this list"))?,
            ),
        };
        if let Some(p) = &filter.provider
            && !caller.sees(p)
        {
            return Err(ServiceError::unknown_provider(p));
        }
        let query = AuditQuery {
            caller: filter.caller.clone(),
            provider: filter.provider.clone(),
            outcome: filter.outcome.clone(),
            after,
            limit,
        };
        let AuditPage { items, next_after } = self.audit().list(&query).await.map_err(|e| {
            tracing::error!(error = %e, "audit log unreadable");
            ServiceError::from(Problem::new(
                ProblemCode::Internal,
                500,
                "the audit log could not be read",
            ))
        })?;
        let items = items
            .into_iter()
            .filter(|r| r.provider.as_deref().is_none_or(|p| caller.sees(p)))
            .collect();
        Ok((items, next_after.map(cursor_after)))
    }

    /// Appends to the audit log; a failure is logged, never the caller's problem.
    pub async fn audit_append(&self, record: AuditRecord) {
        if let Err(e) = self.audit().append(record).await {
            tracing::error!(error = %e, "audit record lost");
        }
    }

    /// Whether `caller` may see an event whose `source` is `/v1/providers/{p}`.
    pub fn sees_event_source(&self, caller: &Caller, source: &str) -> bool {
        match caller {
            Caller::Anonymous => true,
            Caller::Token { .. } => self
                .registry()
                .all()
                .any(|p| caller.sees(p.id()) && CloudEvent::source_of(p.id()) == source),
        }
    }
}

impl Service {
    /// The configuration the gateway runs with, secrets left out (admin only; a scoped admin
    /// sees only its providers). A service started without one answers `unsupported`.
    pub fn configuration(&self, caller: &Caller) -> ServiceResult<ConfigView> {
        caller.require(Role::Admin, "reading the configuration")?;
        match self.inner.config.get() {
            Some(view) => Ok(view.seen_by(caller)),
            None => Err(ServiceError::from(Problem::new(
                ProblemCode::Unsupported,
                501,
                "this gateway was started without a configuration to show",
            ))),
        }
    }
}
