//! Every error answer: an RFC 9457 problem as `application/problem+json`.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
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
    /// `Retry-After` (rate limits) and more headers (`WWW-Authenticate`, `RateLimit`, …);
    /// boxed: most errors have none, and an error stays small to return.
    pub extra: Option<Box<Extra>>,
}

/// The rarely needed parts of an [`ApiError`].
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// `Retry-After`.
    pub retry_after: Option<Duration>,
    /// More headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// The answer's HTTP status.
    pub fn status(&self) -> u16 {
        self.problem.status
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.extra
            .get_or_insert_default()
            .headers
            .push((name, value));
        self
    }

    /// Sets `Retry-After`.
    pub fn with_retry_after(mut self, after: Duration) -> ApiError {
        self.extra.get_or_insert_default().retry_after = Some(after);
        self
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError {
            problem,
            extra: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let error = ApiError::from(e.problem);
        match e.retry_after {
            Some(after) => error.with_retry_after(after),
            None => error,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let extra = self.extra.map(|e| *e).unwrap_or_default();
        let mut response = problem_response(&self.problem, extra.retry_after);
        for (name, value) in extra.headers {
            response.headers_mut().insert(name, value);
        }
        response
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
