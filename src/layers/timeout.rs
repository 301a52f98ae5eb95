//! Per-attempt timeout: one attempt gets `attempt_timeout_secs`, or what is left of the
//! request's deadline when that is less. An attempt cut off is `provider_timeout`, marked as
//! maybe sent (the provider may have acted on it), so the retry layer repeats it only when the
//! call is safe to repeat.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::{Labels, deadline};
use crate::driver::{DriverError, DriverResult, ErrorKind, Sent};

/// The timeout layer.
pub struct AttemptTimeout {
    limit: Duration,
    labels: Labels,
}

impl AttemptTimeout {
    /// Attempts of at most `limit`; a cut-off is recorded in `labels`' health.
    pub fn new(limit: Duration, labels: Labels) -> AttemptTimeout {
        AttemptTimeout { limit, labels }
    }
}

#[async_trait]
impl Around for AttemptTimeout {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let own = Instant::now() + self.limit;
        let until = || deadline::current().map_or(own, |d| d.min(own));
        let attempt = next.run(call);
        tokio::pin!(attempt);
        // The deadline of a shared (coalesced) call moves later when a waiter joins: when the
        // old one passes, wait on until the current one.
        let mut ends = until();
        let outcome = loop {
            match tokio::time::timeout_at(ends, &mut attempt).await {
                Ok(result) => break Ok(result),
                Err(elapsed) => {
                    let moved = until();
                    if moved <= Instant::now() {
                        break Err(elapsed);
                    }
                    ends = moved;
                }
            }
        };
        match outcome {
            Ok(result) => result,
            Err(_) => {
                let message = if ends < own {
                    "the provider did not answer before the request's deadline".to_owned()
                } else {
                    format!(
                        "the provider did not answer within {} s",
                        self.limit.as_secs_f64()
                    )
                };
                let err = DriverError::new(ErrorKind::Timeout, message).with_sent(Sent::Maybe);
                self.labels.status.record(Err(&err));
                Err(err)
            }
        }
    }
}
