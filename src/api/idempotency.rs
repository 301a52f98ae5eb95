//! `Idempotency-Key` on POST: the same key with the same request answers the first answer
//! again; the same key with another request is 422; a repeat while the first is still running
//! is 409. Answers that say "try again" (429, 5xx) are not kept, so a retry really retries.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::ApiError;
use crate::model::{Problem, ProblemCode};
use crate::store::{IdempotencyBegin, StoredResponse};

/// The largest body (request or answer) kept for replay.
const MAX_BODY: usize = 1024 * 1024;
/// The longest key accepted.
const MAX_KEY: usize = 255;

pub(super) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key").cloned() else {
        return next.run(req).await;
    };
    match guarded(&state, key, req, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn guarded(
    state: &AppState,
    key: HeaderValue,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let key = valid_key(&key)?;
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        Problem::new(
            ProblemCode::InvalidRequest,
            413,
            "the request body is too large",
        )
    })?;
    let print = fingerprint(parts.uri.path(), &bytes);
    let store = state.ops.store();
    match store.begin_idempotent(&key, &print).await? {
        IdempotencyBegin::Replay(stored) => Ok(replay(stored)),
        IdempotencyBegin::Mismatch => Err(Problem::unprocessable(
            "this Idempotency-Key was already used with a different request; use a new key",
        )
        .into()),
        IdempotencyBegin::InFlight => Err(Problem::new(
            ProblemCode::InvalidState,
            409,
            "the first request with this Idempotency-Key is still being handled; repeat it later",
        )
        .with_retryable(true)
        .into()),
        IdempotencyBegin::Proceed => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            keep(state, &key, response).await
        }
    }
}

fn valid_key(key: &HeaderValue) -> Result<String, ApiError> {
    key.to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY)
        .map(str::to_owned)
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "Idempotency-Key must be 1-{MAX_KEY} visible ASCII characters"
            ))
            .into()
        })
}

/// The request's identity: path and body (JSON bodies compared by value, not by spelling).
fn fingerprint(path: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    let mut hash = Sha256::new();
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(&canonical);
    hex::encode(hash.finalize())
}

async fn keep(state: &AppState, key: &str, response: Response) -> Result<Response, ApiError> {
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let store = state.ops.store();
    let status = parts.status;
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        store.release_idempotent(key).await?;
    } else {
        let header_text = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let stored = StoredResponse {
            status: status.as_u16(),
            location: header_text(header::LOCATION),
            content_type: header_text(header::CONTENT_TYPE)
                .unwrap_or_else(|| "application/json".into()),
            body: bytes.to_vec(),
        };
        store.finish_idempotent(key, stored).await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&stored.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Some(v) = stored.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_json_spelling_but_not_values_or_path() {
        let a = fingerprint("/v1/x", br#"{"a": 1, "b": 2}"#);
        assert_eq!(a, fingerprint("/v1/x", br#"{"b":2,"a":1}"#));
        assert_ne!(a, fingerprint("/v1/x", br#"{"a":1,"b":3}"#));
        assert_ne!(a, fingerprint("/v1/y", br#"{"a":1,"b":2}"#));
    }
}
