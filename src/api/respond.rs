//! What every handler shares: finding the provider, answering operations (202 + Location, or
//! 200 after `Prefer: wait`), and refusing unsupported options.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::prefer;
use super::problem::{ApiError, problem_response};
use crate::driver::{DriverError, DriverOp};
use crate::model::{Operation, OperationStatus, Problem, ProblemCode};
use crate::registry::ProviderEntry;

/// The provider with `id`, or a 404 problem.
pub fn provider(state: &AppState, id: &str) -> Result<Arc<ProviderEntry>, ApiError> {
    state
        .registry
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::unknown_provider(id))
}

/// 501 `unsupported` unless the provider can do `op`.
pub fn require(entry: &ProviderEntry, op: DriverOp) -> Result<(), ApiError> {
    if op.allowed_by(&entry.capabilities()) {
        Ok(())
    } else {
        Err(DriverError::unsupported(op.name())
            .with_provider(entry.id())
            .with_operation(op)
            .into())
    }
}

/// 501 `unsupported` naming a request field the provider cannot honour.
pub fn require_option(entry: &ProviderEntry, supported: bool, field: &str) -> Result<(), ApiError> {
    if supported {
        Ok(())
    } else {
        let detail = format!(
            "provider {} does not support `{field}` on this request",
            entry.id()
        );
        Err(Problem::new(ProblemCode::Unsupported, 501, detail)
            .with_provider(entry.id())
            .into())
    }
}

/// How an operation's answer ends up.
pub enum Outcome<T> {
    /// Still going: 202 with `Location`.
    Accepted(Operation, T),
    /// Finished as asked: 200 with the final resource.
    Done(Operation, T),
    /// Finished and failed while the client waited: the operation's problem.
    Failed(Problem),
}

/// Waits as the client prefers (`Prefer: wait=N`), then says how the operation stands.
/// `last_seen` is the resource as the action returned it; `refresh` reads the final one.
pub async fn settle<T, F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    op: Operation,
    last_seen: T,
    refresh: F,
) -> Result<Outcome<T>, ApiError>
where
    F: FnOnce(T) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let op = match prefer::wait(headers) {
        Some(max) if !op.status.is_final() => state.ops.wait(op, max).await?,
        _ => op,
    };
    Ok(match op.status {
        OperationStatus::Succeeded => {
            let resource = refresh(last_seen).await?;
            Outcome::Done(op, resource)
        }
        OperationStatus::Failed => Outcome::Failed(op.problem.unwrap_or_else(|| {
            Problem::new(
                ProblemCode::Internal,
                500,
                "the operation failed without a reason",
            )
        })),
        OperationStatus::Pending | OperationStatus::Running => Outcome::Accepted(op, last_seen),
    })
}

/// Renders an [`Outcome`] with `wrap` building the body from the operation and the resource.
pub fn outcome_response<T, B: Serialize>(
    outcome: Outcome<T>,
    wrap: impl FnOnce(Operation, T) -> B,
) -> Response {
    match outcome {
        Outcome::Accepted(op, resource) => {
            let location = format!("/v1/operations/{}", op.id);
            let mut response = (StatusCode::ACCEPTED, Json(wrap(op, resource))).into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Outcome::Done(op, resource) => (StatusCode::OK, Json(wrap(op, resource))).into_response(),
        Outcome::Failed(problem) => problem_response(&problem, None),
    }
}
