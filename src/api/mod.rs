//! The REST API v1: routes, the OpenAPI document, and the layers every request passes.
//!
//! A front end over [`crate::service`]: each handler parses its request into the typed arguments
//! of one service verb, calls it, and renders the outcome (status, `Location`, links, `ETag`).
//! No rule lives here; URLs are built here and nowhere below.

mod aggregate;
mod audit;
pub mod auth;
mod catalog;
mod config;
mod etag;
mod events;
mod extract;
mod gate;
mod health;
mod limits;
mod openapi;
mod openapi30;
mod operations;
mod prefer;
mod problem;
mod providers;
mod render;
mod servers;
mod volumes;
mod webhooks;

pub use gate::Security;
pub use openapi::{openapi, openapi_3_0};
pub use problem::{ApiError, PROBLEM_JSON};

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath, Request};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::model::{Problem, ProblemCode};
use crate::ops::Operations;
use crate::registry::Registry;
use crate::service::{Service, ServiceSettings};

/// What the gateway is built from: its providers and its operations.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The configured providers.
    pub registry: Arc<Registry>,
    /// Operations and their store.
    pub ops: Operations,
}

/// Handlers that need only the providers and operations (health, events) read them from the
/// service the router holds.
impl FromRef<Service> for AppState {
    fn from_ref(service: &Service) -> AppState {
        AppState {
            registry: service.registry().clone(),
            ops: service.ops().clone(),
        }
    }
}

/// The total deadline of a request when `serve --request-timeout` does not set one.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The whole HTTP application with the service's default settings (10 s aggregate timeout, a
/// random cursor key of this process) and the default request deadline.
pub fn router(state: AppState) -> Router {
    router_for(
        Service::new(state.registry, state.ops, ServiceSettings::default()),
        DEFAULT_REQUEST_TIMEOUT,
    )
}

/// The whole HTTP application over `service`: API routes, `/openapi.json`, `/docs`, and the
/// layers; each request has `request_timeout` as its total deadline for provider calls (see
/// [`crate::layers::deadline`]).
pub fn router_for(service: Service, request_timeout: std::time::Duration) -> Router {
    router_secured(service, request_timeout, Security::default())
}

/// [`router_for`] with the gateway's security settings: tokens, CORS origins and limits (see
/// [`gate`] for what every request passes).
pub fn router_secured(
    service: Service,
    request_timeout: std::time::Duration,
    security: Security,
) -> Router {
    let (api_routes, doc) = openapi::routes().split_for_parts();
    let doc = openapi::finish(doc);
    let cors = cors_layer(&security.cors_origins);
    let body_limit = security.limits.body_bytes;
    let gate = Arc::new(gate::Gate::new(security));
    let router = api_routes
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .layer(middleware::from_fn(etag::layer))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            (gate, service.clone()),
            gate::gate,
        ))
        .layer(middleware::from_fn(problems_only));
    // CORS answers preflights before the gate (they carry no token) and labels the answers.
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(middleware::from_fn(record_metrics))
        .layer(CatchPanicLayer::custom(|_| {
            problem::problem_response(
                &Problem::new(
                    ProblemCode::Internal,
                    500,
                    "the gateway failed; this is a bug",
                ),
                None,
            )
        }))
        .layer(middleware::from_fn(negotiate_problems))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            request_context(request_timeout, req, next)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(service)
}

/// The CORS layer for the configured origins; none configured, no CORS (browsers then refuse
/// cross-origin reads themselves, and the gate refuses cross-origin changes).
fn cors_layer(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderName, HeaderValue, Method};
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("prefer"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([
                header::LOCATION,
                header::ETAG,
                header::RETRY_AFTER,
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("ratelimit"),
                HeaderName::from_static("ratelimit-policy"),
            ]),
    )
}

const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (ids may hold spaces, slashes, …) of a URL the REST front
/// end builds.
pub fn path_segment(raw: &str) -> String {
    utf8_percent_encode(raw, SEGMENT).to_string()
}

/// The span of one request: every log line of the request carries its id.
fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
}

/// Sets the request's deadline and id for every provider call made while answering it.
async fn request_context(timeout: std::time::Duration, req: Request, next: Next) -> Response {
    let id: Option<Arc<str>> = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(Arc::from);
    let deadline = tokio::time::Instant::now() + timeout;
    let answer = crate::layers::deadline::scope(deadline, next.run(req));
    crate::layers::request_id::maybe_scope(id, answer).await
}

/// Sends problems as plain JSON to clients that accept only that (see
/// [`problem::wants_plain_json`]); outermost, so stored and replayed answers are labelled too.
async fn negotiate_problems(req: Request, next: Next) -> Response {
    let accept = req.headers().get(header::ACCEPT).cloned();
    problem::negotiate(accept.as_ref(), next.run(req).await)
}

/// Counts and times every request by its route template (`unmatched` for unknown routes).
async fn record_metrics(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    crate::metrics::record_http(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    crate::memory::note_request();
    response
}

/// Turns error answers that are not problems yet (unknown routes, wrong methods, oversized
/// bodies, …) into problems, so no client ever sees plain text.
async fn problems_only(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let problem = match status.as_u16() {
        404 => Problem::not_found(format!("no route {method} {path}; see /openapi.json")),
        405 => Problem::new(
            ProblemCode::InvalidRequest,
            405,
            format!("{method} is not allowed on {path}"),
        ),
        413 => Problem::new(
            ProblemCode::InvalidRequest,
            413,
            "the request body is too large",
        ),
        s if s < 500 => Problem::new(
            ProblemCode::InvalidRequest,
            s,
            format!("the request was rejected ({status})"),
        ),
        _ => Problem::new(
            ProblemCode::Internal,
            500,
            "the gateway failed; this is a bug",
        ),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut out = problem::problem_response(&problem, None);
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out.into_response()
}
