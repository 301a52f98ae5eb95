//! The innermost layer: one record per attempt that reaches the driver. It counts backend calls
//! in `cloudgw_backend_calls_total` / `cloudgw_backend_call_duration_seconds` and the
//! `cloudgw_backend_calls_in_flight` gauge, and records the provider's health from each
//! outcome.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use async_trait::async_trait;

use super::Labels;
use super::around::{Around, Next};
use super::call::{Call, Reply};
use crate::driver::{DriverError, DriverOp, DriverResult};

/// The innermost layer.
pub struct Backend {
    labels: Labels,
    in_flight: AtomicI64,
}

impl Backend {
    /// Records attempts under `labels`.
    pub fn new(labels: Labels) -> Backend {
        Backend {
            labels,
            in_flight: AtomicI64::new(0),
        }
    }

    fn finish(&self, op: DriverOp, result: Result<(), &DriverError>, started: Instant) {
        let outcome = match result {
            Ok(()) => "ok",
            Err(e) => e.to_problem().code.as_str(),
        };
        crate::metrics::record_backend_call(
            &self.labels.provider,
            self.labels.driver,
            op.name(),
            outcome,
            started.elapsed(),
        );
        self.labels.status.record(result);
    }

    fn gauge(&self, delta: i64) {
        let now = self.in_flight.fetch_add(delta, Ordering::SeqCst) + delta;
        crate::metrics::set_backend_in_flight(&self.labels.provider, self.labels.driver, now);
    }
}

/// Closes the record of an attempt dropped before it answered: counted with outcome
/// `cancelled` (the per-attempt timeout, the deadline, or a caller that left cut it off). The
/// health is left alone here: the timeout layer records its own cut-offs as timeouts, and a
/// caller that leaves says nothing about the provider.
struct Attempt<'a> {
    layer: &'a Backend,
    op: DriverOp,
    started: Instant,
    done: bool,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.layer.gauge(-1);
        if !self.done {
            let l = &self.layer.labels;
            let elapsed = self.started.elapsed();
            crate::metrics::record_backend_call(
                &l.provider,
                l.driver,
                self.op.name(),
                "cancelled",
                elapsed,
            );
        }
    }
}

#[async_trait]
impl Around for Backend {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        self.gauge(1);
        let mut attempt = Attempt {
            layer: self,
            op: call.op(),
            started: Instant::now(),
            done: false,
        };
        let result = next.run(call).await;
        attempt.done = true;
        self.finish(attempt.op, result.as_ref().map(|_| ()), attempt.started);
        result
    }
}
