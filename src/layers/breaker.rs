//! Circuit breaker, one per provider: after `breaker_failures` consecutive provider-side
//! failures (unavailable, timeout, unreadable answer; never `not_found`, `invalid_request` or
//! a rate limit) it opens, and for `breaker_cooldown_secs` every call fails at once with
//! `provider_unavailable` (retryable, `Retry-After` = the cool-down left) instead of waiting
//! on a provider that is down. Then it half-opens: one call goes through as a probe; its
//! success closes the breaker, its failure (or the caller giving up on it) opens it again.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::status::{ProviderStatus, is_provider_failure};
use super::{Labels, REJECTED_BY};
use crate::driver::{DriverError, DriverResult, ErrorKind, Sent};
use crate::model::BreakerState;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// The breaker's state machine (held in [`ProviderStatus`] so the API can show it).
#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    cooldown: Duration,
}

/// How a call was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Normal,
    Probe,
}

impl Breaker {
    /// A closed breaker opening after `threshold` consecutive failures (0: never) for
    /// `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold,
            cooldown,
        }
    }

    /// The cool-down.
    pub fn cooldown(&self) -> Duration {
        self.cooldown
    }

    /// The state as the API shows it.
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if until > Instant::now() => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a call through, or says how long until the breaker lets one through.
    fn admit(&self) -> Result<Pass, Duration> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(Pass::Normal),
            State::Open { until } => {
                let now = Instant::now();
                if until > now {
                    return Err(until - now);
                }
                *state = State::HalfOpen { probing: true };
                Ok(Pass::Probe)
            }
            State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                Ok(Pass::Probe)
            }
            // One probe at a time; the others wait for its verdict as if still open.
            State::HalfOpen { probing: true } => Err(Duration::from_secs(1)),
        }
    }

    /// Records the outcome of a call let through as `pass`; returns the new state when it
    /// changed.
    fn record(&self, pass: Pass, failed: bool) -> Option<BreakerState> {
        let mut state = self.lock();
        let before = *state;
        *state = match (*state, pass, failed) {
            (State::HalfOpen { .. }, Pass::Probe, false) => State::Closed { failures: 0 },
            (State::HalfOpen { .. }, Pass::Probe, true) => self.open(),
            (State::Closed { .. }, _, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, _, true) => {
                let failures = failures.saturating_add(1);
                if failures >= self.threshold {
                    self.open()
                } else {
                    State::Closed { failures }
                }
            }
            // A late answer to a call let through before the breaker opened changes nothing.
            (other, _, _) => other,
        };
        let after = *state;
        drop(state);
        let kind = |s: State| std::mem::discriminant(&s);
        let shown = match after {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        };
        (kind(before) != kind(after)).then_some(shown)
    }

    fn open(&self) -> State {
        State::Open {
            until: Instant::now() + self.cooldown,
        }
    }
}

/// The breaker layer.
pub struct BreakerLayer {
    status: Arc<ProviderStatus>,
    labels: Labels,
}

impl BreakerLayer {
    /// The breaker of `labels`' provider (its state lives in `labels.status`).
    pub fn new(labels: Labels) -> BreakerLayer {
        BreakerLayer {
            status: labels.status.clone(),
            labels,
        }
    }

    fn changed(&self, to: Option<BreakerState>) {
        if let Some(to) = to {
            crate::metrics::set_breaker_state(&self.labels.provider, self.labels.driver, to);
            tracing::warn!(provider = %self.labels.provider, breaker = ?to, "circuit breaker changed state");
        }
    }
}

/// Reopens the breaker if a probe's caller gives up before the probe answers: a provider that
/// does not answer a probe in time is not back.
struct ProbeGuard<'a> {
    layer: &'a BreakerLayer,
    pass: Pass,
    done: bool,
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if !self.done && self.pass == Pass::Probe {
            let to = self.layer.status.breaker().record(Pass::Probe, true);
            self.layer.changed(to);
        }
    }
}

#[async_trait]
impl Around for BreakerLayer {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let breaker = self.status.breaker();
        if breaker.threshold == 0 {
            return next.run(call).await;
        }
        let pass = match breaker.admit() {
            Ok(pass) => pass,
            Err(left) => return Err(rejected(left)),
        };
        let mut guard = ProbeGuard {
            layer: self,
            pass,
            done: false,
        };
        let result = next.run(call).await;
        guard.done = true;
        let failed = result.as_ref().err().is_some_and(is_provider_failure);
        self.changed(breaker.record(pass, failed));
        result
    }
}

fn rejected(left: Duration) -> DriverError {
    // Whole seconds, rounded up, as Retry-After carries.
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    DriverError::new(
        ErrorKind::Unavailable,
        format!(
            "the provider failed repeatedly, so the gateway's circuit breaker refuses calls to it for {secs} s more"
        ),
    )
    .with_sent(Sent::No)
    .with_retry_after(Duration::from_secs(secs.max(1)))
    .with_context(REJECTED_BY, "circuit_breaker")
}
