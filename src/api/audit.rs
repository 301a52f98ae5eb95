//! The audit log in the REST front end: what the gate records after each request, and
//! `GET /v1/audit`. A record names the caller by its token's *name*, the route template (not
//! the query string, which may hold anything) and the provider and id from the path — never a
//! header value or a body, so it cannot carry a secret.

use axum::Json;
use axum::extract::{MatchedPath, State};
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Who;
use super::extract::Query;
use super::problem::ApiError;
use crate::audit::AuditRecord;
use crate::service::{AuditFilter, Caller, Service};

/// What the gate saw of a request (owned: a request body is not `Sync`, so the request itself
/// cannot be held across the store's await).
pub(super) struct Seen {
    pub method: Method,
    pub path: String,
    pub request_id: Option<String>,
    pub matched: Option<String>,
}

impl Seen {
    /// What is kept of `req`.
    pub(super) fn of(req: &axum::extract::Request) -> Seen {
        Seen {
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            request_id: req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            matched: req
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_owned()),
        }
    }
}

/// Statuses the gateway's own guards answer: a request refused before it reached the service,
/// or by the service's role and scope checks.
fn refused(status: StatusCode) -> bool {
    matches!(status.as_u16(), 401 | 403 | 413 | 415 | 429 | 503)
}

/// Records a change or a refusal (anything else, reads that went through, is not audited).
pub(super) async fn record(
    service: &Service,
    seen: &Seen,
    caller: Option<&Caller>,
    started: time::OffsetDateTime,
    status: StatusCode,
) {
    if !(super::gate::is_change(&seen.method) || refused(status)) {
        return;
    }
    let outcome = if status.is_success() || status.is_redirection() {
        "succeeded"
    } else if refused(status) {
        "refused"
    } else {
        "failed"
    };
    let path = seen.path.as_str();
    let action = seen.matched.clone().unwrap_or_else(
        // An unknown route: its path, cut short (it is the client's text, not a template).
        || path.chars().take(200).collect::<String>(),
    );
    let (provider, target) = provider_and_target(path);
    let request_id = seen.request_id.clone();
    let caller_name = caller.map_or_else(|| "unauthenticated".to_owned(), Caller::name);
    let role = caller.map(|c| c.role().as_str().to_owned());
    tracing::info!(
        target: "cloudgw::audit",
        caller = %caller_name,
        method = %seen.method,
        action = %action,
        provider = provider.as_deref().unwrap_or(""),
        target = target.as_deref().unwrap_or(""),
        status = status.as_u16(),
        outcome,
        "audit"
    );
    service
        .audit_append(AuditRecord {
            seq: 0,
            time: started,
            caller: caller_name,
            role,
            method: seen.method.as_str().to_owned(),
            action,
            provider,
            target,
            status: status.as_u16(),
            outcome: outcome.to_owned(),
            request_id,
        })
        .await;
}

/// The provider and resource id of `/v1/providers/{p}/{kind}/{id}/…` (percent-decoded).
fn provider_and_target(path: &str) -> (Option<String>, Option<String>) {
    let Some(rest) = path.strip_prefix("/v1/providers/") else {
        return (None, None);
    };
    let mut parts = rest.split('/');
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .chars()
            .take(200)
            .collect::<String>()
    };
    let provider = parts.next().filter(|p| !p.is_empty()).map(decode);
    let target = parts.nth(1).filter(|t| !t.is_empty()).map(decode);
    (provider, target)
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this caller: `anonymous`, `unauthenticated` or `token:<name>`.
    pub caller: Option<String>,
    /// Only this provider.
    pub provider: Option<String>,
    /// Only `succeeded`, `refused` or `failed`.
    pub outcome: Option<String>,
    /// Most records on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// Records, oldest first.
    pub items: Vec<AuditRecord>,
    /// The cursor of the next page, or null.
    pub next_cursor: Option<String>,
}

/// Read the audit log.
///
/// Every change and every refused request (401, 403, 413, 415, 429, 503), oldest first: who
/// (`token:<name>`), what (method and route), where (provider, resource id), the status and
/// outcome, the request id and the time. Admin only. The log is kept in the store, so it
/// survives restarts and is shared by replicas.
#[utoipa::path(
    get, path = "/v1/audit", operation_id = "list_audit", tag = "audit",
    params(AuditParams),
    responses((status = 200, description = "A page of audit records", body = AuditList))
)]
pub async fn list_audit(
    State(service): State<Service>,
    Who(caller): Who,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditList>, ApiError> {
    let filter = AuditFilter {
        caller: params.caller,
        provider: params.provider,
        outcome: params.outcome,
        limit: params.limit,
        cursor: params.cursor,
    };
    let (items, next_cursor) = service.list_audit(&caller, &filter).await?;
    Ok(Json(AuditList { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_and_target_come_from_the_path() {
        let (p, t) = provider_and_target("/v1/providers/gg/servers/a%20b/stop");
        assert_eq!((p.as_deref(), t.as_deref()), (Some("gg"), Some("a b")));
        assert_eq!(provider_and_target("/v1/servers"), (None, None));
        let (p, t) = provider_and_target("/v1/providers/gg/servers");
        assert_eq!((p.as_deref(), t), (Some("gg"), None));
    }
}
