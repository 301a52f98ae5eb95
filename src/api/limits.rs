//! The per-caller rate limit: a token bucket per caller (per token name; the anonymous caller
//! has one bucket), kept in a mutex map. A bucket holds `requests_per_minute` requests and
//! refills evenly over a minute, so a client may burst up to a minute's worth and then goes at
//! the configured pace. The answer headers follow the IETF draft
//! (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` says the policy, `RateLimit` how
//! much of it is left and when it is full again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// How many buckets are kept before idle full ones are dropped (one per configured token, so
/// this is only a bound against surprises).
const MAX_BUCKETS: usize = 10_000;

/// The buckets of every caller.
#[derive(Debug)]
pub(super) struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Decision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// Whole requests left in the bucket.
    pub remaining: u64,
    /// Until the bucket is full again (allowed) or holds one request (refused).
    pub wait: Duration,
}

impl RateLimiter {
    /// A limiter of `per_minute` requests a minute per caller.
    pub(super) fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn per_second(&self) -> f64 {
        self.per_minute / 60.0
    }

    /// Takes one request from `key`'s bucket if it has one.
    pub(super) fn take(&self, key: &str, now: Instant) -> Decision {
        let Ok(mut buckets) = self.buckets.lock() else {
            // A panic elsewhere poisoned the map: limiting is not worth failing requests for.
            return Decision {
                allowed: true,
                remaining: 0,
                wait: Duration::ZERO,
            };
        };
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            let full = self.per_minute;
            let rate = self.per_second();
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < full);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.per_minute,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * self.per_second();
        bucket.tokens = (bucket.tokens + refilled).min(self.per_minute);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let missing = if allowed {
            self.per_minute - bucket.tokens
        } else {
            1.0 - bucket.tokens
        };
        Decision {
            allowed,
            // Never negative, and a bucket holds at most `per_minute` (a u32).
            remaining: bucket.tokens.floor().max(0.0) as u64,
            wait: Duration::from_secs_f64((missing / self.per_second()).max(0.0)),
        }
    }

    /// Adds `RateLimit-Policy` and `RateLimit` for `decision` to `headers`.
    pub(super) fn annotate(&self, decision: &Decision, headers: &mut HeaderMap) {
        let policy = format!("\"per-token\";q={};w=60", self.per_minute as u64);
        let state = format!(
            "\"per-token\";r={};t={}",
            decision.remaining,
            decision.wait.as_secs_f64().ceil() as u64
        );
        for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_size_then_refuses_until_it_refills() {
        let limiter = RateLimiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.take("a", start).allowed);
        }
        let refused = limiter.take("a", start);
        assert!(!refused.allowed);
        assert_eq!(refused.wait.as_secs_f64().ceil() as u64, 1);
        assert!(limiter.take("b", start).allowed, "buckets are per caller");
        assert!(limiter.take("a", start + Duration::from_secs(1)).allowed);
    }
}
