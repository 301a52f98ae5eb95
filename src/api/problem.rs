//! Every error answer: an RFC 9457 problem as `application/problem+json`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::driver::DriverError;
use crate::model::Problem;
use crate::store::StoreError;

/// The media type of problem answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The body.
    pub problem: Problem,
    /// `Retry-After`, for rate limits.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// 404 for an unknown provider id.
    pub fn unknown_provider(id: &str) -> ApiError {
        Problem::not_found(format!(
            "no provider with id {id:?} is configured (see GET /v1/providers)"
        ))
        .into()
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError {
            problem,
            retry_after: None,
        }
    }
}

impl From<DriverError> for ApiError {
    fn from(e: DriverError) -> Self {
        if e.is_temporary() || e.kind() == crate::driver::ErrorKind::BadResponse {
            tracing::warn!(error = %e, provider = e.provider(), "provider call failed");
        } else {
            tracing::debug!(error = %e, provider = e.provider(), "provider call failed");
        }
        ApiError {
            problem: e.to_problem(),
            retry_after: e.retry_after(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        Problem::new(
            crate::model::ProblemCode::Internal,
            500,
            "the gateway's store failed",
        )
        .into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.problem, self.retry_after)
    }
}

/// Renders a problem with its status, content type and `Retry-After`.
pub fn problem_response(problem: &Problem, retry_after: Option<Duration>) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let retry_after = retry_after.or((problem.status == 429).then_some(Duration::from_secs(1)));
    if let Some(after) = retry_after {
        let secs = after.as_secs().max(1);
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
