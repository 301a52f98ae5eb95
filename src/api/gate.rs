//! The gate every request passes before a handler, in this order (each step answers a problem
//! and the ones after it do not run):
//!
//! 1. **Concurrency cap** (503): more requests at once than `[limits] max_concurrent_requests`
//!    are refused at once rather than queued without bound.
//! 2. **Host** (403, only with no tokens configured): the `Host` header must be an IP address or
//!    `localhost`. A DNS-rebinding page reaches a loopback gateway under *its own* domain name;
//!    without tokens that name is all that tells such a request apart.
//! 3. **Authentication** (401): the bearer token names the caller ([`super::auth`]).
//! 4. **Rate limit** (429, per caller, [`super::limits`]).
//! 5. **Browser guard** (403 / 415) for changes: a request from a browser page of another
//!    origin (`Origin`, `Sec-Fetch-Site`) is refused unless that origin is configured for CORS,
//!    and a body must be JSON — an HTML form can send neither, so a page cannot drive the
//!    gateway behind the operator's back.
//! 6. **Request timeout** (504) around the handler.
//!
//! Health, readiness, metrics, the OpenAPI document and the docs are public and not limited
//! (probes and scrapers carry no token); they hold no secret. Afterwards every change and every
//! refusal is appended to the audit log and logged ([`super::audit`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::auth::Tokens;
use super::limits::RateLimiter;
use super::problem::ApiError;
use crate::config::gateway::LimitsConfig;
use crate::model::{Problem, ProblemCode};
use crate::service::{Caller, Service};

/// The gateway's security settings: tokens, CORS origins and limits.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// The configured tokens (none: unauthenticated, loopback only).
    pub tokens: Tokens,
    /// Origins allowed to call the API from a browser.
    pub cors_origins: Vec<String>,
    /// Request limits.
    pub limits: LimitsConfig,
}

/// The gate's state, shared by every request.
#[derive(Debug)]
pub(super) struct Gate {
    security: Security,
    rate: RateLimiter,
    slots: Arc<Semaphore>,
}

impl Gate {
    pub(super) fn new(security: Security) -> Gate {
        Gate {
            rate: RateLimiter::new(security.limits.requests_per_minute_per_token),
            slots: Arc::new(Semaphore::new(security.limits.max_concurrent_requests)),
            security,
        }
    }
}

/// Whether `path` is public: no token, no rate limit.
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json")
        || path == "/docs"
        || path.starts_with("/docs/")
}

/// Whether `method` changes something (and so is guarded against browsers and audited).
pub(super) fn is_change(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The gate middleware (see the module documentation for the order).
pub(super) async fn gate(
    State((gate, service)): State<(Arc<Gate>, Service)>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = time::OffsetDateTime::now_utc();
    let public = is_public(req.uri().path());
    let _slot = if public {
        None
    } else {
        match gate.slots.clone().try_acquire_owned() {
            Ok(slot) => Some(slot),
            Err(_) => {
                let refused = ApiError::from(
                    Problem::new(
                        ProblemCode::ProviderUnavailable,
                        503,
                        "the gateway is serving as many requests as it is configured to; retry shortly",
                    )
                    .with_retryable(true),
                );
                let refused = refused.with_header(
                    header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
                let seen = super::audit::Seen::of(&req);
                return finish(&service, seen, None, started, refused.into_response()).await;
            }
        }
    };
    let checked = check(&gate, &req, public);
    let (caller, rate) = match checked {
        Ok(found) => found,
        Err((caller, e)) => {
            let response = e.into_response();
            let seen = super::audit::Seen::of(&req);
            return finish(&service, seen, caller.as_ref(), started, response).await;
        }
    };
    req.extensions_mut().insert(caller.clone());
    let seen = super::audit::Seen::of(&req);
    let timeout = Duration::from_secs(gate.security.limits.request_timeout_secs);
    let mut response = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::from(
            Problem::new(
                ProblemCode::ProviderTimeout,
                504,
                format!(
                    "the request took longer than the gateway's {} s request timeout",
                    timeout.as_secs()
                ),
            )
            .with_retryable(true),
        )
        .into_response(),
    };
    if let Some(decision) = rate {
        gate.rate.annotate(&decision, response.headers_mut());
    }
    super::audit::record(&service, &seen, Some(&caller), started, response.status()).await;
    response
}

/// Steps 2–5 of the gate: the caller and the rate decision, or the refusal (with the caller,
/// when it was known before the refusal).
#[allow(clippy::result_large_err)]
fn check(
    gate: &Gate,
    req: &Request,
    public: bool,
) -> Result<(Caller, Option<super::limits::Decision>), (Option<Caller>, ApiError)> {
    let security = &gate.security;
    let headers = req.headers();
    if security.tokens.is_empty() {
        host_is_local(headers).map_err(|e| (None, e))?;
    }
    if public {
        return Ok((Caller::Anonymous, None));
    }
    let caller = security
        .tokens
        .authenticate(headers)
        .map_err(|e| (None, e))?;
    // Without tokens there is nobody to limit: the gateway serves only its own machine.
    let decision = match caller {
        Caller::Token { .. } => Some(gate.rate.take(&caller.name(), Instant::now())),
        Caller::Anonymous => None,
    };
    if let Some(decision) = decision.filter(|d| !d.allowed) {
        let mut refused = ApiError::from(
            Problem::new(
                ProblemCode::RateLimited,
                429,
                "this token made more requests than its rate limit allows; see Retry-After",
            )
            .with_retryable(true),
        );
        refused = refused.with_retry_after(decision.wait.max(Duration::from_secs(1)));
        let mut extra = axum::http::HeaderMap::new();
        gate.rate.annotate(&decision, &mut extra);
        for (name, value) in extra.into_iter().filter_map(|(k, v)| k.map(|k| (k, v))) {
            refused = refused.with_header(name, value);
        }
        return Err((Some(caller), refused));
    }
    if is_change(req.method()) {
        browser_guard(headers, &security.cors_origins).map_err(|e| (Some(caller.clone()), e))?;
    }
    Ok((caller, decision))
}

/// Audits a refusal the gate answered itself.
async fn finish(
    service: &Service,
    seen: super::audit::Seen,
    caller: Option<&Caller>,
    started: time::OffsetDateTime,
    response: Response,
) -> Response {
    super::audit::record(service, &seen, caller, started, response.status()).await;
    response
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    Problem::new(ProblemCode::Forbidden, 403, detail).into()
}

/// Step 2: with no tokens, `Host` must be an IP literal or `localhost` (any port). A missing
/// `Host` (HTTP/1.0 tools) is not a browser and passes.
fn host_is_local(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(host) = headers.get(header::HOST) else {
        return Ok(());
    };
    let host = host.to_str().unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let local = name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok();
    if local {
        return Ok(());
    }
    Err(forbidden(
        "this gateway has no API tokens, so it answers only requests addressed to an IP address \
         or localhost (the Host header names another host: DNS rebinding?)",
    ))
}

/// Step 5 for a change: refuses other browser origins and non-JSON bodies.
fn browser_guard(headers: &HeaderMap, cors_origins: &[String]) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = origin.is_some_and(|o| cors_origins.iter().any(|c| c == o));
    if let Some(origin) = origin
        && !allowed
        && !same_origin(origin, headers)
    {
        return Err(forbidden(format!(
            "a change from the browser origin {origin:?} is refused: that origin is not configured \
             in [cors] origins"
        )));
    }
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    if matches!(site, "cross-site" | "same-site") && !allowed {
        return Err(forbidden(
            "a change sent by a page of another site is refused (Sec-Fetch-Site); configure its \
             origin in [cors] origins",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if (content_type.is_some() || has_body) && !content_type.is_some_and(is_json) {
        return Err(Problem::new(
            ProblemCode::InvalidRequest,
            415,
            "send the body as JSON with Content-Type: application/json",
        )
        .into());
    }
    Ok(())
}

/// Whether `Origin` names the host the request was sent to (the gateway's own /docs page).
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let authority = origin.split_once("://").map(|(_, a)| a);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_cross_origin_form_post_is_refused() {
        let form = headers(&[
            ("origin", "http://evil.example"),
            ("host", "evil.example:8080"),
            ("content-type", "application/x-www-form-urlencoded"),
        ]);
        assert_eq!(
            browser_guard(&form, &[]).err().map(|e| e.status()),
            Some(403)
        );
        assert_eq!(host_is_local(&form).err().map(|e| e.status()), Some(403));
        let allowed = vec!["http://evil.example".to_owned()];
        assert_eq!(
            browser_guard(&form, &allowed).err().map(|e| e.status()),
            Some(415),
            "an allowed origin still sends JSON"
        );
    }

    #[test]
    fn tools_and_the_own_docs_page_pass() {
        let curl = headers(&[
            ("host", "127.0.0.1:8080"),
            ("content-type", "application/json"),
        ]);
        assert!(browser_guard(&curl, &[]).is_ok());
        assert!(host_is_local(&curl).is_ok());
        let docs = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(browser_guard(&docs, &[]).is_ok());
        assert!(host_is_local(&headers(&[("host", "[::1]:8080")])).is_ok());
    }
}
