//! Concurrency limit per provider with a bounded queue: at most `max_concurrency` calls are
//! in flight to the provider; up to `max_queue` more wait for a slot (each no longer than its
//! request's deadline, which the outermost layer enforces); a call finding the queue full is
//! refused at once with `rate_limited` (429, `Retry-After: 1`, not sent), the answer that tells
//! a client to slow down without blaming the provider (the breaker does not count it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Semaphore;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::{Labels, REJECTED_BY};
use crate::driver::{DriverError, DriverResult, ErrorKind, Sent};

/// The limit layer.
pub struct Limit {
    slots: Semaphore,
    queued: AtomicUsize,
    max_queue: usize,
    labels: Labels,
}

impl Limit {
    /// At most `max_concurrency` calls in flight and `max_queue` waiting.
    pub fn new(max_concurrency: usize, max_queue: usize, labels: Labels) -> Limit {
        Limit {
            slots: Semaphore::new(max_concurrency.max(1)),
            queued: AtomicUsize::new(0),
            max_queue,
            labels,
        }
    }
}

/// Counts one waiting call for as long as it waits (also when its caller gives up).
struct Queued<'a>(&'a Limit);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        let depth = self.0.queued.fetch_sub(1, Ordering::SeqCst) - 1;
        crate::metrics::set_queue_depth(&self.0.labels.provider, self.0.labels.driver, depth);
    }
}

#[async_trait]
impl Around for Limit {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let permit = match self.slots.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                // Reserve a place in the queue, or refuse when it is full.
                let reserved = self
                    .queued
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                        (n < self.max_queue).then_some(n + 1)
                    });
                let Ok(before) = reserved else {
                    crate::metrics::record_limit_refusal(
                        &self.labels.provider,
                        self.labels.driver,
                        call.op().name(),
                    );
                    return Err(queue_full(self.max_queue));
                };
                let queued = Queued(self);
                crate::metrics::set_queue_depth(
                    &self.labels.provider,
                    self.labels.driver,
                    before + 1,
                );
                let permit = self.slots.acquire().await;
                drop(queued);
                match permit {
                    Ok(permit) => permit,
                    // The semaphore is never closed; answer rather than panic if it were.
                    Err(_) => return Err(queue_full(self.max_queue)),
                }
            }
        };
        let result = next.run(call).await;
        drop(permit);
        result
    }
}

fn queue_full(max_queue: usize) -> DriverError {
    DriverError::new(
        ErrorKind::RateLimited,
        format!(
            "too many calls to this provider at once: the gateway's queue of {max_queue} waiting calls is full"
        ),
    )
    .with_sent(Sent::No)
    .with_retry_after(Duration::from_secs(1))
    .with_context(REJECTED_BY, "concurrency_limit")
}
