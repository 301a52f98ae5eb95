//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// Health answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: a gateway that answers is alive and ready.
    pub status: String,
    /// How many providers are configured.
    pub providers: usize,
}

impl Health {
    fn of(state: &AppState) -> Health {
        Health {
            status: "ok".into(),
            providers: state.registry.all().count(),
        }
    }
}

/// Liveness: the process answers.
#[utoipa::path(
    get, path = "/healthz", operation_id = "get_health", tag = "health",
    responses((status = 200, description = "The gateway is alive", body = Health))
)]
pub async fn get_health(State(state): State<AppState>) -> Json<Health> {
    Json(Health::of(&state))
}

/// Readiness: configuration loaded and providers set up (simulators started).
#[utoipa::path(
    get, path = "/readyz", operation_id = "get_readiness", tag = "health",
    responses((status = 200, description = "The gateway is ready to serve", body = Health))
)]
pub async fn get_readiness(State(state): State<AppState>) -> Json<Health> {
    // The registry (and every in-process simulator) is built before the listener opens, so a
    // gateway that answers is ready.
    Json(Health::of(&state))
}

/// Prometheus metrics.
///
/// HTTP requests per route (count and latency) and driver calls per provider (count and
/// latency by outcome), in the Prometheus text format.
#[utoipa::path(
    get, path = "/metrics", operation_id = "get_metrics", tag = "health",
    responses((status = 200, content_type = "text/plain; version=0.0.4; charset=utf-8", body = String,
        description = "The metrics in the Prometheus text format (version 0.0.4)"))
)]
pub async fn get_metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, crate::metrics::TEXT_FORMAT)],
        crate::metrics::render(),
    )
}
