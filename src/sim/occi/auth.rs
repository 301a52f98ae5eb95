//! Checks the credentials a request carries against [`SimAuth`].

use axum::http::{HeaderMap, header};
use base64::Engine;

use super::SimAuth;
use super::error::{ErrorKind, SimError};

/// `Ok` when the request may be served.
pub fn check(expected: &SimAuth, headers: &HeaderMap) -> Result<(), SimError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = text(header::AUTHORIZATION.as_str());
    let ok = match expected {
        SimAuth::None => true,
        SimAuth::Basic { username, password } => authorization
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b64| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
            })
            .is_some_and(|decoded| decoded == format!("{username}:{password}").as_bytes()),
        SimAuth::Token(token) => {
            let bearer = authorization.and_then(|v| v.strip_prefix("Bearer "));
            [text("x-auth-token"), bearer]
                .into_iter()
                .flatten()
                .any(|given| given.trim() == token)
        }
        SimAuth::ProjectHeader => {
            return match text("x-project-id") {
                Some(p) if !p.trim().is_empty() => Ok(()),
                _ => Err(SimError::new(
                    ErrorKind::Forbidden,
                    "Forbidden: Cannot find project ID in the token",
                )),
            };
        }
    };
    if ok {
        Ok(())
    } else {
        Err(SimError::new(
            ErrorKind::Unauthorized,
            "Authentication required: the credentials are missing or wrong",
        ))
    }
}
