//! Per-attempt timeout: one attempt gets `attempt_timeout_secs`, or what is left of the
//! request's deadline when that is less. An attempt cut off is `provider_timeout`, marked as
//! maybe sent (the provider may have acted on it), so the retry layer repeats it only when the
//! call is safe to repeat.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::deadline;
use crate::driver::{DriverError, DriverResult, ErrorKind, Sent};

/// The timeout layer.
pub struct AttemptTimeout {
    limit: Duration,
}

impl AttemptTimeout {
    /// Attempts of at most `limit`.
    pub fn new(limit: Duration) -> AttemptTimeout {
        AttemptTimeout { limit }
    }
}

#[async_trait]
impl Around for AttemptTimeout {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let own = Instant::now() + self.limit;
        let until = deadline::current().map_or(own, |d| d.min(own));
        match tokio::time::timeout_at(until, next.run(call)).await {
            Ok(result) => result,
            Err(_) => Err(DriverError::new(
                ErrorKind::Timeout,
                if until < own {
                    "the provider did not answer before the request's deadline".to_owned()
                } else {
                    format!(
                        "the provider did not answer within {} s",
                        self.limit.as_secs_f64()
                    )
                },
            )
            .with_sent(Sent::Maybe)),
        }
    }
}
