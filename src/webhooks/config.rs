//! One `[[webhooks]]` block of the gateway config file: where to deliver, how to sign, which
//! events, and how hard to try.

use std::time::Duration;

use serde::Deserialize;

use super::signature::SigningKey;
use crate::config::Secret;
use crate::model::{CloudEvent, EventType};

/// A webhook as written in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// A name for the deliveries list and the logs; the URL's host when absent (the URL itself
    /// is never shown: it may carry a token of the receiver's).
    #[serde(default)]
    pub name: Option<String>,
    /// Where events are POSTed (`http` or `https`).
    pub url: String,
    /// The Standard Webhooks secret (`whsec_…`; `${VAR}` allowed).
    pub secret: Secret,
    /// Only these event types; all when absent.
    #[serde(default)]
    pub types: Option<Vec<EventType>>,
    /// Only events of these providers; all when absent.
    #[serde(default)]
    pub providers: Option<Vec<String>>,
    /// Tries per event before it becomes a dead letter (default 8).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The pause before the first retry, doubled each time with jitter (default 1000 ms).
    #[serde(default = "default_first_retry_ms")]
    pub first_retry_ms: u64,
    /// The longest pause between tries, also the cap on a `Retry-After` (default 3600 s).
    #[serde(default = "default_max_retry_secs")]
    pub max_retry_secs: u64,
    /// How long one try waits for the receiver's answer (default 10 s).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_max_attempts() -> u32 {
    8
}
fn default_first_retry_ms() -> u64 {
    1000
}
fn default_max_retry_secs() -> u64 {
    3600
}
fn default_timeout_secs() -> u64 {
    10
}

/// A webhook checked and ready to deliver to.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Its name (see [`WebhookConfig::name`]).
    pub name: String,
    /// Where to POST.
    pub url: reqwest::Url,
    /// The signing key.
    pub key: SigningKey,
    types: Option<Vec<EventType>>,
    providers: Option<Vec<String>>,
    /// Tries before a dead letter.
    pub max_attempts: u32,
    /// The first retry pause.
    pub first_retry: Duration,
    /// The longest pause.
    pub max_retry: Duration,
    /// One try's timeout.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// Checks the block; the error names the field and says what is wrong (never the secret).
    pub fn check(&self) -> Result<Webhook, (&'static str, String)> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| ("url", format!("not a URL: {e}")))
            .and_then(|url| match url.scheme() {
                "http" | "https" if url.host_str().is_some() => Ok(url),
                _ => Err((
                    "url",
                    "must be an http:// or https:// URL with a host".into(),
                )),
            })?;
        let key = SigningKey::from_secret(self.secret.expose()).map_err(|e| ("secret", e))?;
        if self.max_attempts == 0 {
            return Err(("max_attempts", "must be at least 1".into()));
        }
        if self.timeout_secs == 0 {
            return Err(("timeout_secs", "must be at least 1".into()));
        }
        let name = match &self.name {
            Some(name) if !name.trim().is_empty() => name.clone(),
            Some(_) => return Err(("name", "must not be empty".into())),
            None => url.host_str().unwrap_or("webhook").to_owned(),
        };
        Ok(Webhook {
            name,
            url,
            key,
            types: self.types.clone(),
            providers: self.providers.clone(),
            max_attempts: self.max_attempts,
            first_retry: Duration::from_millis(self.first_retry_ms),
            max_retry: Duration::from_secs(self.max_retry_secs.max(1)),
            timeout: Duration::from_secs(self.timeout_secs),
        })
    }
}

impl Webhook {
    /// What `GET /v1/config` shows of it: name and filters, never the secret or the URL.
    pub fn view(&self) -> crate::service::WebhookView {
        crate::service::WebhookView {
            name: self.name.clone(),
            types: self.types.clone(),
            providers: self.providers.clone(),
            max_attempts: self.max_attempts,
        }
    }

    /// Whether `event` passes this webhook's `types` and `providers` filters.
    pub fn wants(&self, event: &CloudEvent) -> bool {
        let type_ok = self
            .types
            .as_ref()
            .is_none_or(|types| types.contains(&event.event_type));
        let provider_ok = self.providers.as_ref().is_none_or(|providers| {
            providers
                .iter()
                .any(|p| CloudEvent::source_of(p) == event.source)
        });
        type_ok && provider_ok
    }

    /// The pause before try number `attempt + 1` after `attempt` failed tries: the first retry
    /// pause doubled per try, capped, with up to half of it taken off at random (jitter, so
    /// that many events failing at once do not come back at once).
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self
            .first_retry
            .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)));
        let capped = doubled.min(self.max_retry);
        capped.mul_f64(1.0 - fastrand::f64() / 2.0)
    }
}

/// Checks every block; the error names the block (1-based) and field.
pub fn check_all(configs: &[WebhookConfig]) -> Result<Vec<Webhook>, String> {
    let mut names = std::collections::HashSet::new();
    let mut hooks = Vec::with_capacity(configs.len());
    for (i, config) in configs.iter().enumerate() {
        let hook = config
            .check()
            .map_err(|(field, message)| format!("webhooks[{}].{field}: {message}", i + 1))?;
        if !names.insert(hook.name.clone()) {
            return Err(format!(
                "webhooks[{}].name: `{}` is used by another webhook; give each a distinct name",
                i + 1,
                hook.name
            ));
        }
        hooks.push(hook);
    }
    Ok(hooks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn parse(text: &str) -> WebhookConfig {
        toml::from_str(text).unwrap()
    }

    fn event(provider: &str, event_type: EventType) -> CloudEvent {
        CloudEvent::new(
            event_type,
            provider,
            "servers/a".into(),
            serde_json::json!({}),
        )
    }

    #[test]
    fn defaults_and_filters() {
        let hook = parse(&format!(
            "url = \"http://127.0.0.1:9/x\"\nsecret = \"{SECRET}\"\n\
             types = [\"cloudgw.server.state_changed\"]\nproviders = [\"gogrid\"]"
        ))
        .check()
        .unwrap();
        assert_eq!(hook.name, "127.0.0.1");
        assert_eq!(hook.max_attempts, 8);
        assert!(hook.wants(&event("gogrid", EventType::ServerStateChanged)));
        assert!(!hook.wants(&event("occi", EventType::ServerStateChanged)));
        assert!(!hook.wants(&event("gogrid", EventType::OperationStatusChanged)));
    }

    #[test]
    fn bad_blocks_name_their_field_and_never_the_secret() {
        let bad_url = parse(&format!("url = \"ftp://x/\"\nsecret = \"{SECRET}\""));
        assert_eq!(bad_url.check().unwrap_err().0, "url");
        let bad_secret = parse("url = \"http://x/\"\nsecret = \"plain-secret-value\"");
        let (field, message) = bad_secret.check().unwrap_err();
        assert_eq!(field, "secret");
        assert!(!message.contains("plain-secret-value"), "{message}");
        let unknown =
            toml::from_str::<WebhookConfig>("url = \"http://x/\"\nsecret = \"s\"\nurls = 1");
        assert!(unknown.is_err());
        let twice = [bad_url.clone(), bad_url].map(|mut c| {
            c.url = "http://same/".into();
            c
        });
        assert!(check_all(&twice).unwrap_err().contains("webhooks[2].name"));
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let mut config = parse(&format!("url = \"http://x/\"\nsecret = \"{SECRET}\""));
        config.max_retry_secs = 5;
        let hook = config.check().unwrap();
        for attempts in 1..=10u32 {
            let full = Duration::from_millis(1000 * 2u64.pow(attempts - 1)).min(hook.max_retry);
            let pause = hook.backoff(attempts);
            assert!(pause <= full && pause >= full / 2, "{attempts}: {pause:?}");
        }
    }
}
