//! What the change handlers share: reading the change headers (`Idempotency-Key`, `Prefer`) into
//! the service's typed options, and rendering a change (202 + `Location`, or 200).

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::operations::{Operation, operation_path};
use super::prefer;
use super::problem::ApiError;
use crate::service::{Change, ChangeOptions, IdempotencyKey};

/// The change options of a request: `Idempotency-Key` (a bad one is 400, before the body is
/// read) and `Prefer: wait=N`.
pub(super) struct ChangeHeaders(pub ChangeOptions);

impl<S: Send + Sync> FromRequestParts<S> for ChangeHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let idempotency_key = match parts.headers.get("idempotency-key") {
            None => None,
            Some(raw) => {
                // Not text at all: the same answer as any other unusable key.
                let text = raw.to_str().unwrap_or("\u{0}");
                Some(IdempotencyKey::new(text)?)
            }
        };
        Ok(ChangeHeaders(ChangeOptions {
            idempotency_key,
            wait: prefer::wait(&parts.headers),
        }))
    }
}

/// Renders a change: 202 with `Location` while it goes on, 200 once done; `wrap` builds the body
/// from the operation and the resource. A replay says so in `Idempotent-Replayed`.
pub(super) fn change_response<T, B: Serialize>(
    change: Change<T>,
    wrap: impl FnOnce(Operation, T) -> B,
) -> Response {
    let location = operation_path(&change.operation);
    let status = if change.done {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let replayed = change.replayed;
    let body = wrap(change.operation.into(), change.resource);
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    if status == StatusCode::ACCEPTED
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        headers.insert(header::LOCATION, value);
    }
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}
