//! The one error every verb of the service answers with: a problem (RFC 9457 fields, front-end
//! neutral) and, for rate limits, how long to wait. Driver and store errors become one here, so a
//! front end maps exactly one type to its protocol (REST: problem+json; EC2: its error XML).

use std::time::Duration;

use crate::driver::{DriverError, ErrorKind};
use crate::model::{Problem, ProblemCode};
use crate::store::StoreError;

/// Why a verb of the service failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    /// What went wrong, with its code, status and (where known) provider.
    pub problem: Problem,
    /// How long the caller should wait before trying again (rate limits).
    pub retry_after: Option<Duration>,
}

/// The result of a verb of the service.
pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// 400: the request is malformed (a bad cursor, a bad limit, …).
    pub fn bad_request(detail: impl Into<String>) -> ServiceError {
        Problem::bad_request(detail).into()
    }

    /// 422: the request is well-formed but its values are unacceptable.
    pub fn unprocessable(detail: impl Into<String>) -> ServiceError {
        Problem::unprocessable(detail).into()
    }

    /// 404 for a provider id no file configures.
    pub fn unknown_provider(id: &str) -> ServiceError {
        Problem::not_found(format!(
            "no provider with id {id:?} is configured (see GET /v1/providers)"
        ))
        .into()
    }

    /// The problem's code.
    pub fn code(&self) -> ProblemCode {
        self.problem.code
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.problem.code.as_str(), self.problem.detail)
    }
}

impl std::error::Error for ServiceError {}

impl From<Problem> for ServiceError {
    fn from(problem: Problem) -> Self {
        ServiceError {
            problem,
            retry_after: None,
        }
    }
}

impl From<DriverError> for ServiceError {
    fn from(e: DriverError) -> Self {
        // Provider trouble is worth a warning; a client's own mistake (not found, …) is not.
        if e.is_temporary() || e.kind() == ErrorKind::BadResponse {
            tracing::warn!(error = %e, provider = e.provider(), "provider call failed");
        } else {
            tracing::debug!(error = %e, provider = e.provider(), "provider call failed");
        }
        ServiceError {
            problem: e.to_problem(),
            retry_after: e.retry_after(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        // Not the client's fault and not a bug: the database is down or overloaded. 503 says
        // "try again", like an unavailable provider.
        Problem::new(
            ProblemCode::ProviderUnavailable,
            503,
            "the gateway's store is unavailable; try again",
        )
        .with_retryable(true)
        .into()
    }
}
