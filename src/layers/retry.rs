//! Retry of temporary failures (backon): exponential backoff with jitter (100 ms doubling to
//! 2 s), at most `retry_attempts` attempts, within a total time budget (`retry_budget_secs`
//! from the first attempt) and the request's deadline, whichever ends first.
//!
//! - Only temporary errors are retried, and never a refusal made by a gateway layer (an open
//!   breaker, a full queue): repeating it at once would just be refused again.
//! - Reads are always retried; a mutation only when it is safe ([`Call::may_repeat_after`]).
//! - A provider's `Retry-After` is honoured: the pause is at least that long. One longer than
//!   [`MAX_RETRY_AFTER`], or a pause that would end past the budget or the deadline, ends the
//!   retries instead: the caller gets the error with its `Retry-After` (429 or 503) rather than
//!   a request held open.

use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use tokio::time::Instant;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::{Labels, REJECTED_BY, deadline};
use crate::driver::{Capabilities, DriverError, DriverResult};

/// First pause between attempts.
pub const MIN_DELAY: Duration = Duration::from_millis(100);
/// Longest pause computed by the backoff (a provider's `Retry-After` may ask for longer).
pub const MAX_DELAY: Duration = Duration::from_secs(2);

/// Longest `Retry-After` the gateway waits for itself before retrying; a provider asking for
/// longer gets its answer passed on at once (429 with that `Retry-After`).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(2);

/// The retry layer.
pub struct RetryLayer {
    attempts: u32,
    budget: Duration,
    labels: Labels,
}

impl RetryLayer {
    /// At most `attempts` attempts (the first included) within `budget`.
    pub fn new(attempts: u32, budget: Duration, labels: Labels) -> RetryLayer {
        RetryLayer {
            attempts,
            budget,
            labels,
        }
    }
}

fn retryable(call: &Call, e: &DriverError, caps: &Capabilities) -> bool {
    e.is_temporary() && e.context(REJECTED_BY).is_none() && call.may_repeat_after(e, caps)
}

#[async_trait]
impl Around for RetryLayer {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        if self.attempts <= 1 {
            return next.run(call).await;
        }
        let budget_end = Instant::now() + self.budget;
        let backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(MIN_DELAY)
            .with_max_delay(MAX_DELAY)
            .with_max_times(self.attempts as usize - 1);
        (|| next.run(call))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            // Whether the provider deduplicates creates on a client token is the driver's to
            // say; asked only when a call failed, not on every call.
            .when(|e| retryable(call, e, &next.capabilities()))
            .adjust(|e, backoff| {
                // `None` from the backoff: the attempts are used up (and stay so, whatever
                // the provider's Retry-After says).
                let pause = backoff?;
                // A provider asking for a long wait is answered at once with its Retry-After:
                // the client decides whether to wait, the gateway does not hold the request.
                let pause = match e.retry_after() {
                    Some(after) if after > MAX_RETRY_AFTER => return None,
                    Some(after) => after.max(pause),
                    None => pause,
                };
                // Re-read the deadline: a shared (coalesced) call's may have moved later.
                let end = deadline::current().map_or(budget_end, |d| d.min(budget_end));
                (Instant::now() + pause < end).then_some(pause)
            })
            .notify(|e, pause| {
                let outcome = e.to_problem().code.as_str();
                crate::metrics::record_retry(
                    &self.labels.provider,
                    self.labels.driver,
                    call.op().name(),
                    outcome,
                );
                tracing::debug!(provider = %self.labels.provider, operation = call.op().name(),
                    error = %e, ?pause, "retrying");
            })
            .await
    }
}
