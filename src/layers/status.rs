//! What the layers know about one provider, shared with the registry: its health as last seen
//! by a backend call, and its circuit breaker. `/v1/providers` and `/readyz` read it.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::breaker::Breaker;
use crate::driver::{DriverError, ErrorKind};
use crate::model::{BreakerState, ProviderHealth};

/// One provider's health and breaker.
#[derive(Debug)]
pub struct ProviderStatus {
    health: AtomicU8,
    last_failure: Mutex<Option<Instant>>,
    breaker: Breaker,
}

const UNKNOWN: u8 = 0;
const OK: u8 = 1;
const UNAVAILABLE: u8 = 2;
const RATE_LIMITED: u8 = 3;

impl ProviderStatus {
    /// A provider not called yet, whose breaker opens after `failures` consecutive failures
    /// (0: never) for `cooldown`.
    pub fn new(failures: u32, cooldown: Duration) -> ProviderStatus {
        ProviderStatus {
            health: AtomicU8::new(UNKNOWN),
            last_failure: Mutex::new(None),
            breaker: Breaker::new(failures, cooldown),
        }
    }

    /// The health the last backend call showed.
    pub fn health(&self) -> ProviderHealth {
        match self.health.load(Ordering::Relaxed) {
            OK => ProviderHealth::Ok,
            UNAVAILABLE => ProviderHealth::Unavailable,
            RATE_LIMITED => ProviderHealth::RateLimited,
            _ => ProviderHealth::Unknown,
        }
    }

    /// The breaker's state now (an open breaker whose cool-down is over shows `half_open`).
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// The breaker.
    pub(crate) fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Whether the provider can be expected to serve a call now: its breaker is not open,
    /// and it has not failed within the last breaker cool-down. A failure older than that
    /// no longer counts (a provider nobody calls would otherwise stay "down" forever).
    pub fn usable(&self) -> bool {
        if self.breaker.state() == BreakerState::Open {
            return false;
        }
        if self.health() != ProviderHealth::Unavailable {
            return true;
        }
        let last = *self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        last.is_none_or(|at| at.elapsed() >= self.breaker.cooldown())
    }

    /// Records what one backend call showed: answered (whatever it said), asked to slow
    /// down, or failed on the provider's side.
    pub(crate) fn record(&self, result: Result<(), &DriverError>) {
        let health = match result {
            Ok(()) => OK,
            Err(e) if e.kind() == ErrorKind::RateLimited => RATE_LIMITED,
            Err(e) if is_provider_failure(e) || e.kind() == ErrorKind::Auth => UNAVAILABLE,
            Err(_) => OK,
        };
        if health == UNAVAILABLE {
            *self
                .last_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
        self.health.store(health, Ordering::Relaxed);
    }
}

/// Whether an error shows the provider failing on its side (what the breaker counts): it could
/// not be reached, did not answer in time, or answered something unreadable. A refusal made by
/// a gateway layer (breaker, queue) is not one.
pub(crate) fn is_provider_failure(e: &DriverError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Unavailable | ErrorKind::Timeout | ErrorKind::BadResponse
    ) && e.context(super::REJECTED_BY).is_none()
}
