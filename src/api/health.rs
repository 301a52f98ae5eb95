//! Liveness, readiness, and the parts of the design not built yet (answered honestly as 501).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::problem::ApiError;
use crate::model::{Problem, ProblemCode};

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
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

/// Server-sent CloudEvents stream: not built yet, answers 501.
#[utoipa::path(
    get,
    path = "/v1/events",
    operation_id = "stream_events",
    tag = "events",
    responses()
)]
pub async fn stream_events() -> Result<Json<()>, ApiError> {
    Err(not_built("the event stream (/v1/events)"))
}

/// Prometheus metrics: not built yet, answers 501.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "get_metrics",
    tag = "health",
    responses()
)]
pub async fn get_metrics() -> Result<Json<()>, ApiError> {
    Err(not_built("metrics (/metrics)"))
}

fn not_built(what: &str) -> ApiError {
    Problem::new(
        ProblemCode::Unsupported,
        501,
        format!("{what} is not built in this version of cloudgw"),
    )
    .into()
}
