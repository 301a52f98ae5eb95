//! The request's total deadline, carried task-locally from the front end to every layer.
//!
//! The REST router sets it for each request (`serve --request-timeout`, default 30 s). Every
//! driver call made while it is set ends by it: the outermost layer gives up at the deadline,
//! retry never pauses past it, and each attempt's timeout is the shorter of its own and the
//! time left. A call made outside any request (the operation follower) gets a deadline of its
//! provider's retry budget from the outermost layer.
//!
//! Times are [`tokio::time::Instant`], so tests can pause and advance the clock.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Shared;
}

/// A deadline that can move later: one shared backend call (coalescing) runs until the latest
/// deadline among the callers waiting for it.
#[derive(Debug, Clone)]
pub(crate) struct Shared(Arc<Mutex<Instant>>);

impl Shared {
    /// A deadline at `at`.
    pub(crate) fn new(at: Instant) -> Shared {
        Shared(Arc::new(Mutex::new(at)))
    }

    /// Moves the deadline to `at` if that is later.
    pub(crate) fn extend_to(&self, at: Instant) {
        let mut current = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if at > *current {
            *current = at;
        }
    }

    /// The deadline now.
    pub(crate) fn get(&self) -> Instant {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `fut` with this deadline as the current one.
    pub(crate) async fn scope<F: Future>(self, fut: F) -> F::Output {
        DEADLINE.scope(self, fut).await
    }
}

/// Runs `fut` with `deadline` as the current request's deadline.
pub async fn scope<F: Future>(deadline: Instant, fut: F) -> F::Output {
    Shared::new(deadline).scope(fut).await
}

/// The current request's deadline, when one is set.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(Shared::get).ok()
}

/// The time left until the current deadline (zero once passed), when one is set.
pub fn remaining() -> Option<Duration> {
    current().map(|at| at.saturating_duration_since(Instant::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_is_seen_inside_its_scope_only() {
        assert_eq!(current(), None);
        let at = Instant::now() + Duration::from_secs(5);
        let inside = scope(at, async { (current(), remaining()) }).await;
        assert_eq!(inside, (Some(at), Some(Duration::from_secs(5))));
        assert_eq!(current(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_shared_deadline_only_moves_later() {
        let at = Instant::now() + Duration::from_secs(5);
        let shared = Shared::new(at);
        shared.extend_to(at - Duration::from_secs(1));
        assert_eq!(shared.get(), at);
        shared.extend_to(at + Duration::from_secs(1));
        let seen = shared.clone().scope(async { current() }).await;
        assert_eq!(seen, Some(at + Duration::from_secs(1)));
    }
}
