//! `ETag` on every successful JSON read, and `If-None-Match` answered with 304: a client (or a
//! cache) that already holds the representation gets no body again.
//!
//! The tag is strong: a SHA-256 over the exact body bytes, so equal tags mean byte-identical
//! bodies. Streams (`text/event-stream`) and other media types are passed through untouched.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub(super) async fn layer(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(req).await;
    if response.status() != StatusCode::OK || !is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // JSON answers are serialized into one buffer by the handler already: this copies nothing
    // that was streaming.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let tag = entity_tag(&bytes);
    let Ok(value) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if if_none_match.as_ref().is_some_and(|v| matches(v, &tag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().insert(header::ETAG, value);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, value);
    Response::from_parts(parts, Body::from(bytes))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

/// The strong entity tag of a body.
fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    // 128 bits of the digest are plenty to tell representations apart.
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` names `tag` (weak comparison, as RFC 9110 §13.1.2 asks), or is `*`.
fn matches(if_none_match: &HeaderValue, tag: &str) -> bool {
    let Ok(text) = if_none_match.to_str() else {
        return false;
    };
    text.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_is_strong_quoted_and_follows_the_bytes() {
        let a = entity_tag(b"{\"a\":1}");
        assert!(a.starts_with('"') && a.ends_with('"') && !a.starts_with("W/"));
        assert_eq!(a, entity_tag(b"{\"a\":1}"));
        assert_ne!(a, entity_tag(b"{\"a\":2}"));
    }

    #[test]
    fn if_none_match_lists_star_and_weak_forms_match() {
        let tag = entity_tag(b"x");
        let header = |v: &str| HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static(""));
        assert!(matches(&header(&tag), &tag));
        assert!(matches(&header(&format!("\"other\", W/{tag}")), &tag));
        assert!(matches(&header("*"), &tag));
        assert!(!matches(&header("\"other\""), &tag));
    }
}
