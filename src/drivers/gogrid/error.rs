//! GoGrid failures → [`DriverError`]: the HTTP status first, then GoGrid's own `errorcode`.
//!
//! Every error keeps the native code and HTTP status as context pairs (`native_code`,
//! `http_status`) and the provider's message as its message. Nothing here ever sees the request
//! URL, so the `api_key` and `sig` query parameters cannot leak into an error.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::driver::{DriverError, ErrorKind};

/// The message GoGrid puts in a 400 when nothing matches an id or name.
const NO_OBJECT_FOUND: &str = "No object found";

/// The error table: (HTTP status, native errorcode, message) → kind.
pub(crate) fn classify(http_status: u16, native_code: Option<&str>, message: &str) -> ErrorKind {
    use ErrorKind as K;
    match http_status {
        // jclouds GoGridErrorHandler: a 400 whose message contains "No object found" is
        // ResourceNotFound (real text: "No object found that matches your input criteria.").
        400 if message.contains(NO_OBJECT_FOUND) => K::NotFound,
        // Notes §Errors: any other 400 (IllegalArgumentException) is bad input.
        400 => K::InvalidRequest,
        // Notes §Errors / libcloud: 401 = the key's role lacks permission ("insufficient rights").
        401 => K::Auth,
        // Notes §Errors / Deltacloud recording: 403 = key or signature rejected by the proxy
        // (body `<h1>403 Not Authorized</h1>`, text/xml); libcloud raises InvalidCredsError.
        403 => K::Auth,
        // jclouds: 404 → ResourceNotFound.
        404 => K::NotFound,
        // The proxy's request timeout.
        408 => K::Timeout,
        // Rate limiting (Mashery proxy); Retry-After is honoured by the caller.
        429 => K::RateLimited,
        // Notes §Errors: 500 UnexpectedException ("An unexpected server error has occured…")
        // is GoGrid failing on its side: temporary.
        500 => K::Unavailable,
        // Gateway/proxy failures in front of the API.
        502 | 503 => K::Unavailable,
        504 => K::Timeout,
        // A 2xx with `"status":"failure"` (libcloud treats it as an error): the native code decides.
        200..=299 => classify_native(native_code, message),
        // Other client errors: the request was not acceptable.
        405..=499 => K::InvalidRequest,
        // Other server errors.
        501..=599 => K::Unavailable,
        // 1xx/3xx: nothing the API documents.
        _ => K::BadResponse,
    }
}

/// The native errorcode of a failure envelope served with a 2xx status.
fn classify_native(native_code: Option<&str>, message: &str) -> ErrorKind {
    match native_code {
        // Notes §Errors: IllegalArgumentException = bad input or not found (jclouds' text test).
        Some("IllegalArgumentException") if message.contains(NO_OBJECT_FOUND) => {
            ErrorKind::NotFound
        }
        Some("IllegalArgumentException") => ErrorKind::InvalidRequest,
        // Notes §Errors: UnexpectedException is GoGrid's internal failure.
        Some("UnexpectedException") => ErrorKind::Unavailable,
        // A failure without an error item (libcloud's server_power_fail.json) says nothing usable.
        _ => ErrorKind::BadResponse,
    }
}

/// The `{"object":"error","errorcode","message"}` items of a failure envelope.
#[derive(Debug, Deserialize)]
struct FailureBody {
    #[serde(default)]
    list: Vec<Value>,
}

/// The first error item's (errorcode, message), if the body is a failure envelope.
fn native_error(items: &[Value]) -> (Option<String>, Option<String>) {
    let item = items
        .iter()
        .find(|i| i.get("object").and_then(Value::as_str) == Some("error"));
    let text = |key: &str| {
        item.and_then(|i| i.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    (text("errorcode"), text("message"))
}

/// The error for a non-2xx answer. The body may be a failure envelope, or anything else (the
/// 403 is an HTML fragment): that is never a parse error, the status alone decides then.
pub(crate) fn from_http(status: u16, retry_after: Option<&str>, body: &[u8]) -> DriverError {
    let items = serde_json::from_slice::<FailureBody>(body)
        .map(|b| b.list)
        .unwrap_or_default();
    let err = from_items(status, &items);
    match retry_after.and_then(parse_retry_after) {
        Some(after) if matches!(err.kind(), ErrorKind::RateLimited | ErrorKind::Unavailable) => {
            err.with_retry_after(after)
        }
        _ => err,
    }
}

/// The error for a failure envelope (`status` other than "success"), whatever the HTTP status.
pub(crate) fn from_items(status: u16, items: &[Value]) -> DriverError {
    let (code, message) = native_error(items);
    let message = message.unwrap_or_else(|| default_message(status).to_owned());
    let kind = classify(status, code.as_deref(), &message);
    let err = DriverError::new(kind, message).with_context("http_status", status.to_string());
    match code {
        Some(code) => err.with_context("native_code", code),
        None => err,
    }
}

/// What to say when GoGrid gave no message.
fn default_message(status: u16) -> &'static str {
    match status {
        401 => "the GoGrid API key's role lacks permission for this call",
        403 => "GoGrid rejected the API key or the request signature",
        404 => "GoGrid has no such resource",
        429 => "GoGrid asks to slow down",
        200..=299 => "GoGrid reported a failure without an error message",
        500..=599 => "GoGrid failed on its side",
        _ => "GoGrid refused the request",
    }
}

/// A body the driver cannot understand.
pub(crate) fn bad_response(status: u16, what: &str, source: serde_json::Error) -> DriverError {
    DriverError::new(ErrorKind::BadResponse, format!("GoGrid answered {what}"))
        .with_context("http_status", status.to_string())
        .with_source(source)
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let secs = (when - OffsetDateTime::now_utc()).whole_seconds().max(0);
    Some(Duration::from_secs(secs.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_FOUND_MSG: &str = "No object found that matches your input criteria.";

    #[test]
    fn error_table_row_by_row() {
        use ErrorKind as K;
        let iae = Some("IllegalArgumentException");
        let rows: &[(u16, Option<&str>, &str, ErrorKind)] = &[
            (400, iae, NOT_FOUND_MSG, K::NotFound),
            (400, iae, "Invalid image", K::InvalidRequest),
            (400, None, "", K::InvalidRequest),
            (401, None, "", K::Auth),
            (403, None, "", K::Auth),
            (404, None, "", K::NotFound),
            (408, None, "", K::Timeout),
            (429, None, "", K::RateLimited),
            (
                500,
                Some("UnexpectedException"),
                "An unexpected server error",
                K::Unavailable,
            ),
            (502, None, "", K::Unavailable),
            (503, None, "", K::Unavailable),
            (504, None, "", K::Timeout),
            (200, iae, NOT_FOUND_MSG, K::NotFound),
            (200, iae, "bad", K::InvalidRequest),
            (200, Some("UnexpectedException"), "", K::Unavailable),
            (200, None, "", K::BadResponse),
            (409, None, "", K::InvalidRequest),
            (507, None, "", K::Unavailable),
            (302, None, "", K::BadResponse),
        ];
        for (status, code, message, kind) in rows {
            assert_eq!(
                classify(*status, *code, message),
                *kind,
                "{status} {code:?} {message}"
            );
        }
    }

    #[test]
    fn html_403_body_is_auth_not_a_parse_error() {
        let err = from_http(403, None, b"<h1>403 Not Authorized</h1>\n");
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(err.context("http_status"), Some("403"));
        assert_eq!(err.context("native_code"), None);
    }

    #[test]
    fn failure_envelope_keeps_native_code_and_message() {
        let body = br#"{"list":[{"object":"error","errorcode":"IllegalArgumentException",
            "message":"name is too long"}],"status":"failure","summary":{"total":1,"start":0,"returned":1}}"#;
        let err = from_http(400, None, body);
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert_eq!(err.message(), "name is too long");
        assert_eq!(err.context("native_code"), Some("IllegalArgumentException"));
        assert_eq!(err.context("http_status"), Some("400"));
        assert!(!err.is_temporary());
    }

    #[test]
    fn rate_limit_honours_retry_after() {
        let err = from_http(429, Some("7"), b"");
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert!(err.is_temporary());
        let err = from_http(404, Some("7"), b"");
        assert_eq!(err.retry_after(), None);
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 12 "), Some(Duration::from_secs(12)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn unexpected_exception_is_temporary_unavailable() {
        let body = br#"{"summary":{"total":1,"start":0,"returned":1},"status":"failure","list":[{"message":"An unexpected server error has occured.","object":"error","errorcode":"UnexpectedException"}]}"#;
        let err = from_http(500, None, body);
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.is_temporary());
        assert_eq!(err.context("native_code"), Some("UnexpectedException"));
    }
}
