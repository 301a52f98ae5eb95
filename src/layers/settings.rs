//! The `[layers]` table of a provider file: every layer setting, with its default.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Layer settings of one provider (`[layers]` in its file; every key optional).
///
/// ```toml
/// [layers]
/// retry_attempts = 3          # attempts in all, the first included (1 = no retry)
/// retry_budget_secs = 20      # longest one call may take, attempts and pauses included
/// attempt_timeout_secs = 15   # longest one attempt may take
/// breaker_failures = 5        # consecutive provider failures that open the breaker (0 = off)
/// breaker_cooldown_secs = 30  # how long it stays open before one probe is let through
/// max_concurrency = 32        # calls in flight to the provider at once
/// max_queue = 256             # calls waiting for a slot; more are refused (429)
/// coalesce = true             # identical concurrent reads share one backend call
/// cache_ttl_secs = 0          # keep read answers this long (0 = off)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LayerSettings {
    /// Attempts in all, the first included (1: no retry). Default 3.
    pub retry_attempts: u32,
    /// Longest time one call may take, every attempt and pause included (seconds, default
    /// 20). The request's deadline bounds it as well.
    pub retry_budget_secs: f64,
    /// Consecutive provider-side failures (unavailable, timeout, unreadable answer) that open
    /// the circuit breaker. Default 5; 0 turns the breaker off.
    pub breaker_failures: u32,
    /// Seconds the breaker stays open before it lets one probe call through. Default 30.
    pub breaker_cooldown_secs: f64,
    /// Calls in flight to the provider at once. Default 32.
    pub max_concurrency: usize,
    /// Calls waiting for one of those slots; a call finding the queue full is refused at once
    /// with `rate_limited`. Default 256.
    pub max_queue: usize,
    /// Identical concurrent reads share one backend call. Default true.
    pub coalesce: bool,
    /// Seconds a read's answer is reused for identical reads (0, the default: off).
    pub cache_ttl_secs: f64,
    /// Longest time one attempt may take (seconds, default 15); shortened to what is left of
    /// the request's deadline.
    pub attempt_timeout_secs: f64,
}

impl Default for LayerSettings {
    fn default() -> Self {
        LayerSettings {
            retry_attempts: 3,
            retry_budget_secs: 20.0,
            breaker_failures: 5,
            breaker_cooldown_secs: 30.0,
            max_concurrency: 32,
            max_queue: 256,
            coalesce: true,
            cache_ttl_secs: 0.0,
            attempt_timeout_secs: 15.0,
        }
    }
}

impl LayerSettings {
    /// Checks the values; the error names the field (without the `layers.` prefix).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let seconds = [
            ("retry_budget_secs", self.retry_budget_secs, false),
            ("breaker_cooldown_secs", self.breaker_cooldown_secs, false),
            ("cache_ttl_secs", self.cache_ttl_secs, true),
            ("attempt_timeout_secs", self.attempt_timeout_secs, false),
        ];
        for (field, value, zero_ok) in seconds {
            let valid = value.is_finite()
                && value <= 86_400.0
                && (value > 0.0 || (zero_ok && value == 0.0));
            if !valid {
                let lower = if zero_ok { "0" } else { "more than 0" };
                return Err((field, format!("must be {lower} and at most 86400 seconds")));
            }
        }
        if self.retry_attempts == 0 || self.retry_attempts > 10 {
            return Err((
                "retry_attempts",
                "must be 1 to 10 (attempts in all, the first included)".into(),
            ));
        }
        if self.max_concurrency == 0 || self.max_concurrency > 10_000 {
            return Err(("max_concurrency", "must be 1 to 10000".into()));
        }
        if self.max_queue > 1_000_000 {
            return Err(("max_queue", "must be at most 1000000".into()));
        }
        Ok(())
    }

    /// [`LayerSettings::retry_budget_secs`] as a duration.
    pub fn retry_budget(&self) -> Duration {
        secs(self.retry_budget_secs)
    }

    /// [`LayerSettings::breaker_cooldown_secs`] as a duration.
    pub fn breaker_cooldown(&self) -> Duration {
        secs(self.breaker_cooldown_secs)
    }

    /// [`LayerSettings::cache_ttl_secs`] as a duration (zero: off).
    pub fn cache_ttl(&self) -> Duration {
        secs(self.cache_ttl_secs)
    }

    /// [`LayerSettings::attempt_timeout_secs`] as a duration.
    pub fn attempt_timeout(&self) -> Duration {
        secs(self.attempt_timeout_secs)
    }
}

fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_gives_the_documented_defaults() {
        let parsed: Result<LayerSettings, _> = toml::from_str("");
        assert_eq!(parsed.ok(), Some(LayerSettings::default()));
        let d = LayerSettings::default();
        assert_eq!(
            (
                d.retry_attempts,
                d.breaker_failures,
                d.max_concurrency,
                d.max_queue
            ),
            (3, 5, 32, 256)
        );
        assert!(d.coalesce);
        assert_eq!(d.cache_ttl(), Duration::ZERO);
        assert_eq!(d.retry_budget(), Duration::from_secs(20));
        assert_eq!(d.attempt_timeout(), Duration::from_secs(15));
        assert!(d.validate().is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_naming_the_field() {
        let unknown: Result<LayerSettings, _> = toml::from_str("retries = 2");
        assert!(unknown.is_err());
        let bad = |text: &str| {
            toml::from_str::<LayerSettings>(text)
                .ok()
                .and_then(|s| s.validate().err())
                .map(|(field, _)| field)
        };
        assert_eq!(bad("retry_attempts = 0"), Some("retry_attempts"));
        assert_eq!(
            bad("attempt_timeout_secs = 0"),
            Some("attempt_timeout_secs")
        );
        assert_eq!(bad("retry_budget_secs = -1.0"), Some("retry_budget_secs"));
        assert_eq!(bad("max_concurrency = 0"), Some("max_concurrency"));
        assert_eq!(bad("cache_ttl_secs = 0"), None);
        assert_eq!(bad("cache_ttl_secs = 2.5"), None);
    }
}
