//! Failures the simulator answers with a GoGrid failure envelope.

use axum::http::StatusCode;

/// The message the real API gave for every lookup that matched nothing.
pub const NOT_FOUND_MESSAGE: &str = "No object found that matches your input criteria.";

/// One failure: HTTP status plus the `errorcode` and `message` of the envelope's error item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    /// 400 for bad input and not found, 500 for the simulator's own faults.
    pub status: StatusCode,
    /// GoGrid `errorcode`, e.g. `IllegalArgumentException`.
    pub code: &'static str,
    /// Human-readable `message`.
    pub message: String,
}

impl SimError {
    /// 400 `IllegalArgumentException`: the request cannot be served as asked.
    pub fn bad_input(message: impl Into<String>) -> SimError {
        SimError {
            status: StatusCode::BAD_REQUEST,
            code: "IllegalArgumentException",
            message: message.into(),
        }
    }

    /// 400 with the real service's not-found text, which jclouds keys its ResourceNotFound on.
    pub fn not_found() -> SimError {
        SimError::bad_input(NOT_FOUND_MESSAGE)
    }

    /// 500 `UnexpectedException`, worded like the real service.
    pub fn unexpected(detail: &str) -> SimError {
        SimError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "UnexpectedException",
            message: format!(
                "An unexpected server error has occured. Please email this error to \
                 apisupport@gogrid.com.  Error Message : {detail}"
            ),
        }
    }
}
