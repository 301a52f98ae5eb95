//! Bearer tokens: who a request is from. The REST front end only *identifies* the caller here;
//! what the caller may do is decided by the service ([`crate::service::Caller`]).
//!
//! Tokens are configured by their SHA-256. A token is 32 random bytes (256 bits) from the
//! operating system's generator, so nobody can guess one or search for one from its hash: a
//! slow password hash (argon2, bcrypt) protects *low-entropy* secrets and would only add
//! milliseconds to every request here. The presented token's hash is compared with every
//! configured hash in constant time (`subtle`), and all of them are compared, so the answer
//! time says nothing about which hash (or how much of one) matched.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::problem::ApiError;
use crate::config::gateway::TokenConfig;
use crate::model::{Problem, ProblemCode};
use crate::service::{Caller, Scope};

/// The prefix of every token, so secret scanners (and people) recognise a leaked one.
pub const TOKEN_PREFIX: &str = "cgw_";

/// The configured tokens, by hash.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Arc<[Entry]>,
}

#[derive(Debug)]
struct Entry {
    digest: [u8; 32],
    caller: Caller,
}

impl Tokens {
    /// The tokens of the config file; an unusable hash is an error naming the token.
    pub fn from_config(tokens: &[TokenConfig]) -> Result<Tokens, String> {
        let mut entries = Vec::with_capacity(tokens.len());
        for t in tokens {
            let digest = t.digest().map_err(|e| format!("token {:?}: {e}", t.name))?;
            let scope = match &t.providers {
                None => Scope::All,
                Some(ids) => Scope::Providers(Arc::from(ids.clone())),
            };
            entries.push(Entry {
                digest,
                caller: Caller::token(&t.name, t.role, scope),
            });
        }
        Ok(Tokens {
            entries: Arc::from(entries),
        })
    }

    /// The caller each configured token names, in the file's order.
    pub fn callers(&self) -> Vec<Caller> {
        self.entries.iter().map(|e| e.caller.clone()).collect()
    }

    /// Whether no tokens are configured (the gateway is then unauthenticated).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller of a request with these headers: anonymous when no tokens are configured,
    /// else the token's caller, or 401.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        if self.is_empty() {
            return Ok(Caller::Anonymous);
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(bearer)
            .ok_or_else(|| unauthorized("this gateway needs `Authorization: Bearer <token>`"))?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found: Option<&Caller> = None;
        for entry in self.entries.iter() {
            // No early exit: every configured hash is compared.
            if bool::from(entry.digest.ct_eq(&digest)) {
                found = Some(&entry.caller);
            }
        }
        found
            .cloned()
            .ok_or_else(|| unauthorized("the bearer token is not one this gateway knows"))
    }
}

/// The token of an `Authorization: Bearer …` value (the scheme is case-insensitive).
fn bearer(value: &HeaderValue) -> Option<&str> {
    let text = value.to_str().ok()?;
    let (scheme, token) = text.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// 401 with `WWW-Authenticate: Bearer`.
pub(super) fn unauthorized(detail: &str) -> ApiError {
    ApiError::from(Problem::new(ProblemCode::Unauthorized, 401, detail)).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"cloudgw\""),
    )
}

/// The SHA-256 config line of a token: `sha256:<hex>`.
pub fn token_hash(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// A fresh token: the prefix and 32 bytes from the operating system's generator (through
/// UUID v4, which draws from `getrandom`), hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The caller the gate middleware found for this request (extractor for handlers).
pub(super) struct Who(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // The gate middleware always sets it; a router built without the gate has no tokens, so
        // its only caller is the anonymous one.
        Ok(Who(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Role;

    fn tokens(token: &str) -> Tokens {
        let config = TokenConfig {
            name: "ci".into(),
            role: Role::Viewer,
            providers: None,
            hash: token_hash(token),
        };
        Tokens::from_config(&[config]).unwrap_or_default()
    }

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(auth) {
            h.insert(header::AUTHORIZATION, v);
        }
        h
    }

    #[test]
    fn the_right_token_is_its_caller_and_others_are_401() {
        let token = new_token();
        let t = tokens(&token);
        let who = t.authenticate(&headers(&format!("Bearer {token}")));
        assert_eq!(who.ok().map(|c| c.name()), Some("token:ci".to_owned()));
        for bad in ["", "Bearer ", "Basic abc", &format!("Bearer {token}x")] {
            let refused = t.authenticate(&headers(bad)).err();
            assert_eq!(refused.map(|e| e.status()), Some(401), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_prefixed_and_random() {
        let (a, b) = (new_token(), new_token());
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(a, b);
    }

    #[test]
    fn without_tokens_everyone_is_anonymous() {
        let who = Tokens::default().authenticate(&HeaderMap::new());
        assert_eq!(who.ok(), Some(Caller::Anonymous));
    }
}
