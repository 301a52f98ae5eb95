//! The outermost layer: one record per caller. It labels every error with the provider and the
//! operation (so no caller labels), opens the call's tracing span (inside the request's span,
//! so every line carries the request id), enforces the request's deadline over everything
//! below (waiting in the coalescer or the queue included), and counts the call in
//! `cloudgw_driver_calls_total` / `cloudgw_driver_call_duration_seconds` (retries included).

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use tracing::Instrument;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::status::is_provider_failure;
use super::{Labels, deadline};
use crate::driver::{DriverError, DriverResult, ErrorKind, Sent};

/// The outermost layer.
pub struct Observe {
    labels: Labels,
    default_budget: Duration,
}

impl Observe {
    /// Records calls under `labels`; a call made outside any request gets a deadline of
    /// `default_budget`.
    pub fn new(labels: Labels, default_budget: Duration) -> Observe {
        Observe {
            labels,
            default_budget,
        }
    }
}

#[async_trait]
impl Around for Observe {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let op = call.op();
        let started = std::time::Instant::now();
        let span = tracing::info_span!("driver_call", provider = %self.labels.provider, operation = op.name());
        let bounded = async {
            match deadline::current() {
                Some(at) => within(at, next.run(call)).await,
                None => {
                    let at = Instant::now() + self.default_budget;
                    deadline::scope(at, within(at, next.run(call))).await
                }
            }
        };
        let result = bounded.instrument(span.clone()).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.to_problem().code.as_str(),
        };
        crate::metrics::record_driver_call(
            &self.labels.provider,
            self.labels.driver,
            op.name(),
            outcome,
            started.elapsed(),
        );
        result.map_err(|e| {
            let _entered = span.enter();
            if is_provider_failure(&e) {
                tracing::warn!(error = %e, "provider call failed");
            } else {
                tracing::debug!(error = %e, "provider call answered an error");
            }
            let e = match e.provider() {
                Some(_) => e,
                None => e.with_provider(self.labels.provider.as_ref()),
            };
            match e.operation() {
                Some(_) => e,
                None => e.with_operation(op),
            }
        })
    }
}

async fn within(
    at: Instant,
    call: impl Future<Output = DriverResult<Reply>>,
) -> DriverResult<Reply> {
    match tokio::time::timeout_at(at, call).await {
        Ok(result) => result,
        Err(_) => Err(DriverError::new(
            ErrorKind::Timeout,
            "the request's deadline passed before the provider answered",
        )
        .with_sent(Sent::Maybe)),
    }
}
