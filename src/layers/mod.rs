//! Layers around `dyn Driver`: the cross-cutting behaviour of every provider call, each an
//! `impl Driver` wrapper ([`Layered`]) written once for all operations through the single
//! [`Around`] hook.
//!
//! [`stack`] builds one provider's stack, outermost first (docs/layers.md gives the reasons at
//! length):
//!
//! 1. [`observe::Observe`] — request metrics, tracing span, error labelling, the request's
//!    deadline. Outermost so there is exactly one record per caller and every error leaving the
//!    stack is labelled, and so the deadline bounds everything (queueing and waiting included).
//! 2. [`coalesce::Coalesce`] — identical concurrent reads share one call (and the optional read
//!    cache). Above retry, so one backend call *with its retries* serves every waiter; above
//!    the limit, so 256 identical callers take one slot, not 256.
//! 3. [`retry::RetryLayer`] — temporary failures, within the budget and the deadline. Above the
//!    breaker, so an open breaker stops the retries at once.
//! 4. [`breaker::BreakerLayer`] — fails fast while the provider is down. Above the limit, so
//!    calls refused by an open breaker never take or wait for a slot.
//! 5. [`limit::Limit`] — bounded concurrency and queue per provider. Above the timeout, so time
//!    spent waiting for a slot does not eat an attempt's time (the deadline bounds the wait).
//! 6. [`timeout::AttemptTimeout`] — one attempt's time.
//! 7. [`backend::Backend`] — one record per attempt that reaches the driver, and the health.
//! 8. [`scrub::Scrub`] — directly around the driver: no credential a provider echoes back
//!    (URL, query string, headers) reaches any layer above, a log line or an answer.

mod around;
mod backend;
pub mod breaker;
mod call;
mod coalesce;
pub mod deadline;
#[cfg(test)]
pub(crate) mod fake;
mod limit;
mod observe;
pub mod request_id;
mod retry;
pub mod scrub;
mod settings;
mod status;
#[cfg(test)]
mod tests;
mod timeout;

pub use around::{Around, Layered, Next};
pub use call::{Call, FromReply, Reply};
pub use settings::LayerSettings;
pub use status::ProviderStatus;

use std::sync::Arc;

use crate::driver::Driver;

/// The context key a refusal made by a gateway layer carries (`circuit_breaker`,
/// `concurrency_limit`): such errors are not provider failures and are never retried.
pub const REJECTED_BY: &str = "rejected_by";

/// Who the layers record calls for: the label values of every metric, and the shared status.
#[derive(Debug, Clone)]
pub struct Labels {
    /// The provider id.
    pub provider: Arc<str>,
    /// The driver's name (`aws`, `gogrid`, `occi`).
    pub driver: &'static str,
    /// The provider's health and breaker, which the layers update.
    pub status: Arc<ProviderStatus>,
}

impl Labels {
    /// Labels for `provider` on `driver`, with a fresh status whose breaker follows `settings`.
    pub fn new(provider: &str, driver: &'static str, settings: &LayerSettings) -> Labels {
        Labels {
            provider: Arc::from(provider),
            driver,
            status: Arc::new(ProviderStatus::new(
                settings.breaker_failures,
                settings.breaker_cooldown(),
            )),
        }
    }
}

/// Builds the layer stack of one provider around its driver, in the documented order.
pub fn stack(driver: Arc<dyn Driver>, settings: &LayerSettings, labels: Labels) -> Arc<dyn Driver> {
    let budget = settings.retry_budget();
    let layered = Layered::wrap(driver, scrub::Scrub);
    let layered = Layered::wrap(layered, backend::Backend::new(labels.clone()));
    let layered = Layered::wrap(
        layered,
        timeout::AttemptTimeout::new(settings.attempt_timeout(), labels.clone()),
    );
    let layered = Layered::wrap(
        layered,
        limit::Limit::new(settings.max_concurrency, settings.max_queue, labels.clone()),
    );
    let layered = Layered::wrap(layered, breaker::BreakerLayer::new(labels.clone()));
    let layered = Layered::wrap(
        layered,
        retry::RetryLayer::new(settings.retry_attempts, budget, labels.clone()),
    );
    let layered = Layered::wrap(
        layered,
        coalesce::Coalesce::new(
            settings.coalesce,
            settings.cache_ttl(),
            budget,
            labels.clone(),
        ),
    );
    Layered::wrap(layered, observe::Observe::new(labels, budget))
}
