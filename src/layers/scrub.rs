//! Scrubbing: no credential leaves a provider call inside an error.
//!
//! Providers echo requests back: an upstream answering `bad input for request
//! /api/grid/server/list?api_key=…&sig=…` would otherwise put the GoGrid key into a problem's
//! `detail`, an `errors` entry of an aggregated list and every log line about the failure. The
//! [`Scrub`] layer sits directly around the driver (innermost), so every layer above it, the
//! service, the logs and the answers only ever see scrubbed errors. It redacts:
//!
//! - every configured secret value ([`crate::config::Secret`] registers each value it holds, so
//!   a credential of any driver is known without the driver listing it);
//! - the values of credential-like query parameters and `name=value` pairs (`api_key`, `sig`,
//!   `signature`, `token`, `password`, `secret`, …, and AWS's `X-Amz-Signature`,
//!   `X-Amz-Credential`, `X-Amz-Security-Token`);
//! - `Bearer …` / `Basic …` credentials and `X-Auth-Token: …` header values.
//!
//! [`DriverError::to_problem`](crate::driver::DriverError::to_problem) scrubs once more, for
//! errors made outside a stack.

use async_trait::async_trait;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use crate::config::REDACTED;
use crate::driver::DriverResult;

/// Names whose values are credentials (compared case-insensitively, `-` and `_` alike).
const SENSITIVE: &[&str] = &[
    "api_key",
    "apikey",
    "sig",
    "signature",
    "x_amz_signature",
    "x_amz_credential",
    "x_amz_security_token",
    "token",
    "access_token",
    "auth_token",
    "x_auth_token",
    "password",
    "passwd",
    "secret",
    "shared_secret",
    "client_secret",
];

/// The innermost layer: scrubs the errors of every call.
pub struct Scrub;

#[async_trait]
impl Around for Scrub {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        next.run(call).await.map_err(|e| e.scrubbed(scrub))
    }
}

/// `text` with every known secret and credential-like value replaced by `******`.
pub fn scrub(text: &str) -> String {
    let mut out = crate::config::redact_known_secrets(text);
    out = redact_pairs(&out);
    redact_schemes(&out)
}

fn is_sensitive(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase().replace('-', "_");
    SENSITIVE.contains(&name.as_str())
}

/// Redacts the value of `name=value` / `name: value` / `"name": "value"` where name is
/// sensitive; a value ends at `&`, whitespace, a quote, `,`, `;`, `)` or `#`.
fn redact_pairs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'=' || b == b':' {
            // The name before the separator (letters, digits, `_`, `-`), ignoring one quote.
            let mut end = i;
            if end > 0 && bytes[end - 1] == b'"' {
                end -= 1;
            }
            let mut start = end;
            while start > 0
                && (bytes[start - 1].is_ascii_alphanumeric()
                    || bytes[start - 1] == b'_'
                    || bytes[start - 1] == b'-')
            {
                start -= 1;
            }
            if start < end && is_sensitive(&text[start..end]) {
                // The value: skip spaces and an opening quote, then up to a terminator.
                let mut v = i + 1;
                while v < bytes.len() && (bytes[v] == b' ' || bytes[v] == b'"') {
                    v += 1;
                }
                let mut w = v;
                while w < bytes.len()
                    && !matches!(
                        bytes[w],
                        b'&' | b' '
                            | b'"'
                            | b'\''
                            | b','
                            | b';'
                            | b')'
                            | b'#'
                            | b'\n'
                            | b'\r'
                            | b'\t'
                    )
                {
                    w += 1;
                }
                if w > v && !text[v..w].starts_with(REDACTED) {
                    out.push_str(&text[copied..v]);
                    out.push_str(REDACTED);
                    copied = w;
                    i = w;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Redacts the credential after `Bearer ` and `Basic ` (any case).
fn redact_schemes(text: &str) -> String {
    let mut out = text.to_owned();
    for scheme in ["bearer ", "basic "] {
        let mut from = 0;
        loop {
            let lower = out.to_ascii_lowercase();
            let Some(pos) = lower[from..].find(scheme).map(|p| p + from) else {
                break;
            };
            let start = pos + scheme.len();
            let end = out[start..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
                .map_or(out.len(), |e| e + start);
            if end > start && !out[start..end].starts_with(REDACTED) {
                out.replace_range(start..end, REDACTED);
            }
            from = start + REDACTED.len().min(out.len() - start);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_credentials_are_redacted_and_the_rest_kept() {
        let echoed = "bad input for request /api/grid/server/list?api_key=K123&sig=abcdef&v=1.9";
        assert_eq!(
            scrub(echoed),
            "bad input for request /api/grid/server/list?api_key=******&sig=******&v=1.9"
        );
        let json = r#"{"password": "hunter2", "name": "web"}"#;
        assert_eq!(scrub(json), r#"{"password": "******", "name": "web"}"#);
        assert_eq!(
            scrub("X-Auth-Token: tok-1 and Authorization: Bearer abc.def"),
            "X-Auth-Token: ****** and Authorization: Bearer ******"
        );
        assert_eq!(scrub("state=running id=7"), "state=running id=7");
    }

    #[test]
    fn configured_secret_values_are_redacted_wherever_they_appear() {
        let secret = crate::config::Secret::new("s3cr3t-canary-value");
        assert_eq!(
            scrub("upstream said s3cr3t-canary-value/x"),
            "upstream said ******/x"
        );
        drop(secret);
    }
}
