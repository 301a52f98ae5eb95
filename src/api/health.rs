//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::model::{Problem, ProblemCode};

/// Health answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` (a `/readyz` that is not ready answers a problem instead).
    pub status: String,
    /// How many providers are configured.
    pub providers: usize,
    /// How many of them are usable now: breaker not open, and no failure within the last
    /// breaker cool-down.
    pub usable_providers: usize,
}

impl Health {
    fn of(state: &AppState) -> Health {
        let (mut providers, mut usable) = (0, 0);
        for entry in state.registry.all() {
            providers += 1;
            usable += usize::from(entry.usable());
        }
        Health {
            status: "ok".into(),
            providers,
            usable_providers: usable,
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

/// Readiness: configuration loaded, providers set up, and at least one provider usable.
///
/// Answers a 503 problem (`provider_unavailable`, retryable) when providers are configured and
/// none is usable (each has its circuit breaker open, or failed within the last breaker
/// cool-down), so a load balancer sends requests to a replica that can serve them. A gateway
/// with no providers is ready (it serves its own routes); a provider not called yet counts as
/// usable.
#[utoipa::path(
    get, path = "/readyz", operation_id = "get_readiness", tag = "health",
    responses((status = 200, description = "The gateway is ready to serve", body = Health))
)]
pub async fn get_readiness(State(state): State<AppState>) -> Response {
    // The registry (and every in-process simulator) is built before the listener opens.
    let health = Health::of(&state);
    if health.providers > 0 && health.usable_providers == 0 {
        let problem = Problem::new(
            ProblemCode::ProviderUnavailable,
            503,
            format!(
                "none of the {} configured providers is usable: each has its circuit breaker open or failed within its breaker cool-down",
                health.providers
            ),
        )
        .with_retryable(true);
        return super::problem::problem_response(&problem, None);
    }
    Json(health).into_response()
}

/// Prometheus metrics.
///
/// HTTP requests per route (count and latency); driver calls per provider, per caller and per
/// attempt at the provider (count and latency by outcome); retries, coalesced reads, breaker
/// state, queue depth and refusals, attempts and operations in flight — in the Prometheus
/// text format. See docs/layers.md for every metric.
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
