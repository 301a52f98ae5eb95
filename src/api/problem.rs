//! Every error answer: an RFC 9457 problem as `application/problem+json`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::model::Problem;
use crate::service::ServiceError;

/// The media type of problem answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The media type a problem is sent as to a client that accepts only plain JSON.
pub const PLAIN_JSON: &str = "application/json";

/// Whether the client asked for plain JSON and not for problem documents: its `Accept` names
/// `application/json` but neither `application/problem+json` nor a wildcard. Such a client
/// (progenitor's, for one) gets the same problem body labelled `application/json`, as content
/// negotiation asks; everyone else gets `application/problem+json`.
pub fn wants_plain_json(accept: Option<&HeaderValue>) -> bool {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ranges: Vec<&str> = accept
        .split(',')
        .filter_map(|r| r.split(';').next())
        .map(str::trim)
        .collect();
    let names = |t: &str| ranges.iter().any(|r| r.eq_ignore_ascii_case(t));
    names(PLAIN_JSON) && !names(PROBLEM_JSON) && !names("*/*") && !names("application/*")
}

/// Relabels a problem answer as plain JSON when the client asked for that (see
/// [`wants_plain_json`]).
pub fn negotiate(accept: Option<&HeaderValue>, mut response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem && wants_plain_json(accept) {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PLAIN_JSON));
    }
    response
}

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The body.
    pub problem: Problem,
    /// `Retry-After`, for rate limits.
    pub retry_after: Option<Duration>,
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError {
            problem,
            retry_after: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError {
            problem: e.problem,
            retry_after: e.retry_after,
        }
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

#[cfg(test)]
mod negotiation_tests {
    use super::*;

    fn wants(accept: &str) -> bool {
        wants_plain_json(Some(
            &HeaderValue::from_str(accept).unwrap_or(HeaderValue::from_static("")),
        ))
    }

    #[test]
    fn only_clients_asking_for_plain_json_alone_get_it() {
        assert!(wants("application/json"));
        assert!(wants("application/json; charset=utf-8"));
        assert!(!wants("application/problem+json, application/json"));
        assert!(!wants("application/json, */*;q=0.5"));
        assert!(!wants("*/*"));
        assert!(!wants("text/html"));
        assert!(!wants_plain_json(None));
    }
}
