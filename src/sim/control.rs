//! What a test (or someone exploring the simulators) can do to a running simulator besides
//! calling its API: hold every pending transition, so a transitional state can be looked at
//! without racing a delay, and make provisioning fail, so a failed operation can be seen end to
//! end. Both simulators obey it, in-process through [`SimControl`] and out of process through
//! `POST /_sim/hold`, `POST /_sim/release` and `POST /_sim/fail-provisioning?count=N` on their
//! own listener.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;

/// A handle on one simulator's controls; clones share them.
#[derive(Debug, Clone, Default)]
pub struct SimControl(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    held: AtomicBool,
    failing_provisions: AtomicU32,
}

impl SimControl {
    /// Freezes every pending transition (provisioning, power changes) where it is: requests are
    /// still answered, but nothing reaches its end state until [`SimControl::release`].
    pub fn hold(&self) {
        self.0.held.store(true, Ordering::SeqCst);
    }

    /// Lets held transitions finish: each one whose delay has passed takes effect at the next
    /// request.
    pub fn release(&self) {
        self.0.held.store(false, Ordering::SeqCst);
    }

    /// Whether transitions are held.
    pub fn is_held(&self) -> bool {
        self.0.held.load(Ordering::SeqCst)
    }

    /// Makes the next `count` server creations fail at the provider (where the protocol has a
    /// state for that; the OCCI simulator's computes end in `error`).
    pub fn fail_provisioning(&self, count: u32) {
        self.0.failing_provisions.store(count, Ordering::SeqCst);
    }

    /// Whether this creation is one that must fail (counts it down).
    pub fn take_provisioning_failure(&self) -> bool {
        self.0
            .failing_provisions
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailQuery {
    count: Option<u32>,
}

/// The control routes (`/_sim/…`), merged into a simulator's router.
pub fn routes(control: SimControl) -> Router {
    Router::new()
        .route(
            "/_sim/hold",
            post(|State(c): State<SimControl>| async move {
                c.hold();
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/release",
            post(|State(c): State<SimControl>| async move {
                c.release();
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/fail-provisioning",
            post(
                |State(c): State<SimControl>, Query(q): Query<FailQuery>| async move {
                    c.fail_provisioning(q.count.unwrap_or(1));
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_failures_count_down_to_none() {
        let c = SimControl::default();
        assert!(!c.take_provisioning_failure());
        c.fail_provisioning(2);
        assert!(c.take_provisioning_failure());
        assert!(c.take_provisioning_failure());
        assert!(!c.take_provisioning_failure());
    }

    #[test]
    fn hold_and_release_are_seen_by_every_clone() {
        let c = SimControl::default();
        let other = c.clone();
        c.hold();
        assert!(other.is_held());
        other.release();
        assert!(!c.is_held());
    }
}
