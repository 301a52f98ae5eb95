//! The gateway's own settings file (`serve --config FILE`, TOML, every section optional):
//! `[[tokens]]`, `[cors]`, `[limits]` — and `[[webhooks]]`, read by the webhook module.
//!
//! Strings are `${VAR}`-expanded from the environment like provider files. Each section rejects
//! unknown fields (a misspelt `requests_per_minute_per_tken` must not silently mean the
//! default); the top level lists every section it knows, so a new section is one new field.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::expand;
use crate::service::Role;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// API tokens, by hash. None configured: the gateway is unauthenticated (loopback only).
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// Browser origins allowed to call the API (CORS); none by default.
    #[serde(default)]
    pub cors: CorsConfig,
    /// Request limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Webhook subscriptions (checked by [`crate::webhooks::check_all`] at start).
    #[serde(default)]
    pub webhooks: Vec<crate::webhooks::WebhookConfig>,
}

/// One `[[tokens]]` entry, as `cloudgw token new` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The token's name: shown in logs and the audit log (the token itself never is).
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: Role,
    /// The providers the token may see; absent = all.
    #[serde(default)]
    pub providers: Option<Vec<String>>,
    /// `sha256:<64 hex digits>` of the token.
    pub hash: String,
}

impl TokenConfig {
    /// The 32 bytes of `hash`, or why it is unusable.
    pub fn digest(&self) -> Result<[u8; 32], String> {
        let hex = self
            .hash
            .strip_prefix("sha256:")
            .ok_or("hash must start with `sha256:`")?;
        let bytes = hex::decode(hex).map_err(|_| "hash must be sha256: and 64 hex digits")?;
        bytes
            .try_into()
            .map_err(|_| "hash must be sha256: and 64 hex digits".to_owned())
    }
}

/// `[cors]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Exact origins (`https://console.example.net`) allowed to call the API from a browser.
    #[serde(default)]
    pub origins: Vec<String>,
}

/// `[limits]`, with the defaults documented on each field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body in bytes (default 1 MiB); larger is 413.
    pub body_bytes: usize,
    /// Requests a minute each token may make, as a token bucket of this size refilled evenly
    /// (default 600); more is 429. Health, metrics and the OpenAPI document are exempt, and so
    /// is a gateway without tokens (it serves only its own machine).
    pub requests_per_minute_per_token: u32,
    /// Seconds a request may take before the gateway answers 504 (default 180: above the
    /// longest `Prefer: wait`, 120 s, plus a provider call). A stream counts until its headers.
    pub request_timeout_secs: u64,
    /// Requests served at once (default 512); more are 503 at once rather than queued.
    pub max_concurrent_requests: usize,
    /// Seconds a client has to send a request head (default 10), and how long an idle
    /// keep-alive connection stays open.
    pub header_read_timeout_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            body_bytes: 1024 * 1024,
            requests_per_minute_per_token: 600,
            request_timeout_secs: 180,
            max_concurrent_requests: 512,
            header_read_timeout_secs: 10,
        }
    }
}

impl GatewayConfig {
    /// Reads and checks `path`; the error names the file and the field.
    pub fn load(path: &Path) -> Result<GatewayConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        GatewayConfig::parse(&text, &|name| std::env::var(name).ok())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the file's text with `lookup` for `${VAR}`.
    pub fn parse(
        text: &str,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<GatewayConfig, String> {
        let mut value = toml::from_str::<toml::Table>(text)
            .map(toml::Value::Table)
            .map_err(|e| e.to_string())?;
        let mut errors = Vec::new();
        expand::expand_tree(&mut value, &mut Vec::new(), lookup, &mut |field, e| {
            errors.push(format!("field `{}`: {e:?}", field.join(".")));
        });
        if let Some(first) = errors.into_iter().next() {
            return Err(first);
        }
        let config: GatewayConfig = serde_path_to_error::deserialize(value)
            .map_err(|e| format!("field `{}`: {}", e.path(), e.inner()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for (i, token) in self.tokens.iter().enumerate() {
            let at = format!("field `tokens.{i}");
            if token.name.is_empty() || !names.insert(token.name.as_str()) {
                return Err(format!("{at}.name`: names must be non-empty and unique"));
            }
            token.digest().map_err(|e| format!("{at}.hash`: {e}"))?;
        }
        let l = &self.limits;
        if l.body_bytes == 0
            || l.requests_per_minute_per_token == 0
            || l.request_timeout_secs == 0
            || l.max_concurrent_requests == 0
            || l.header_read_timeout_secs == 0
        {
            return Err("field `limits`: every limit must be > 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn parse(text: &str) -> Result<GatewayConfig, String> {
        GatewayConfig::parse(text, &|name| match name {
            "ORIGIN" => Some("https://c.example".into()),
            "SECRET" => Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            _ => None,
        })
    }

    #[test]
    fn every_section_is_optional_and_defaults_are_documented_values() {
        let config = parse("").unwrap_or_else(|e| panic!("{e}"));
        assert!(config.tokens.is_empty());
        assert_eq!(config.limits.body_bytes, 1_048_576);
        assert_eq!(config.limits.requests_per_minute_per_token, 600);
    }

    #[test]
    fn tokens_cors_limits_and_webhooks_are_read() {
        let text = format!(
            "[[tokens]]\nname = \"ci\"\nrole = \"operator\"\nproviders = [\"gg\"]\nhash = \"{HASH}\"\n\
             [cors]\norigins = [\"${{ORIGIN}}\"]\n[limits]\nbody_bytes = 10\n\
             [[webhooks]]\nurl = \"https://h.example\"\nsecret = \"${{SECRET}}\"\n"
        );
        let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.tokens[0].role, Role::Operator);
        assert_eq!(config.cors.origins, ["https://c.example"]);
        assert_eq!(config.limits.body_bytes, 10);
        assert_eq!(config.webhooks.len(), 1);
        let hooks = crate::webhooks::check_all(&config.webhooks).unwrap_or_default();
        assert_eq!(hooks.len(), 1, "the expanded secret is a valid whsec_ one");
    }

    #[test]
    fn unknown_fields_bad_roles_and_bad_hashes_name_the_field() {
        let typo = parse("[limits]\nbody_byte = 1\n").err().unwrap_or_default();
        assert!(typo.contains("limits"), "{typo}");
        let role = parse(&format!(
            "[[tokens]]\nname=\"a\"\nrole=\"root\"\nhash=\"{HASH}\""
        ));
        assert!(role.is_err());
        let hash = parse("[[tokens]]\nname=\"a\"\nrole=\"viewer\"\nhash=\"md5:00\"")
            .err()
            .unwrap_or_default();
        assert!(hash.contains("tokens.0.hash"), "{hash}");
    }
}
