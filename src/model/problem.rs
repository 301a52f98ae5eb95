use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An RFC 9457 problem: the body of every error answer (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:cloudgw:problem:not_found",
    "title": "Not found",
    "status": 404,
    "detail": "server web-9 does not exist",
    "code": "not_found",
    "provider": "gogrid",
    "retryable": false
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:cloudgw:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code of this answer.
    pub status: u16,
    /// What went wrong this time, including the provider's own message when there is one.
    pub detail: String,
    /// Machine-readable error code.
    pub code: ProblemCode,
    /// The provider the problem came from, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Whether repeating the same request later can succeed.
    pub retryable: bool,
}

/// Machine-readable error codes of [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The resource or route does not exist (404).
    NotFound,
    /// The request is malformed or its values are not acceptable (400, 422).
    InvalidRequest,
    /// The resource's current state does not allow the request (409).
    InvalidState,
    /// The provider does not support this operation (501).
    Unsupported,
    /// Authentication to the gateway is missing or wrong (401).
    Unauthorized,
    /// The caller may not do this (403).
    Forbidden,
    /// The provider or gateway asks to slow down (429, see `Retry-After`).
    RateLimited,
    /// The provider could not be reached, failed, or answered something unusable (502, 503).
    ProviderUnavailable,
    /// The provider did not answer in time (504).
    ProviderTimeout,
    /// A bug in the gateway (500). Never expected.
    Internal,
}

impl ProblemCode {
    /// The wire name of the code (`not_found`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::NotFound => "not_found",
            ProblemCode::InvalidRequest => "invalid_request",
            ProblemCode::InvalidState => "invalid_state",
            ProblemCode::Unsupported => "unsupported",
            ProblemCode::Unauthorized => "unauthorized",
            ProblemCode::Forbidden => "forbidden",
            ProblemCode::RateLimited => "rate_limited",
            ProblemCode::ProviderUnavailable => "provider_unavailable",
            ProblemCode::ProviderTimeout => "provider_timeout",
            ProblemCode::Internal => "internal",
        }
    }

    /// The problem's `title` for this code.
    pub fn title(self) -> &'static str {
        match self {
            ProblemCode::NotFound => "Not found",
            ProblemCode::InvalidRequest => "Invalid request",
            ProblemCode::InvalidState => "Invalid state",
            ProblemCode::Unsupported => "Not supported",
            ProblemCode::Unauthorized => "Unauthorized",
            ProblemCode::Forbidden => "Forbidden",
            ProblemCode::RateLimited => "Rate limited",
            ProblemCode::ProviderUnavailable => "Provider unavailable",
            ProblemCode::ProviderTimeout => "Provider timeout",
            ProblemCode::Internal => "Internal error",
        }
    }
}

impl Problem {
    /// A problem with the given code, HTTP status and detail.
    pub fn new(code: ProblemCode, status: u16, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("urn:cloudgw:problem:{}", code.as_str()),
            title: code.title().to_owned(),
            status,
            detail: detail.into(),
            code,
            provider: None,
            retryable: false,
        }
    }

    /// 404 not_found.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::NotFound, 404, detail)
    }

    /// 400 invalid_request.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::InvalidRequest, 400, detail)
    }

    /// 422 invalid_request: well-formed but unacceptable.
    pub fn unprocessable(detail: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::InvalidRequest, 422, detail)
    }

    /// Sets the provider the problem came from.
    pub fn with_provider(mut self, provider: impl Into<String>) -> Problem {
        self.provider = Some(provider.into());
        self
    }

    /// Marks whether repeating the request later can succeed.
    pub fn with_retryable(mut self, retryable: bool) -> Problem {
        self.retryable = retryable;
        self
    }
}
