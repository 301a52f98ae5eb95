//! Webhooks: every event a configured webhook wants is queued in the store, once per webhook,
//! and delivered by a worker in CloudEvents HTTP binary content mode, signed per the Standard
//! Webhooks specification, retried with backoff on outages, and kept as a dead letter after the
//! last try (`GET /v1/webhooks/deliveries?status=failed`). See `docs/events.md`.
//!
//! The queue is in the store, so a delivery pending at a restart is made after it; with
//! replicas on one PostgreSQL, every replica queues each event it sees (the store keeps one
//! record per event and webhook) and claims due deliveries under a lease, so each try is made
//! by one replica.

mod config;
mod delivery;
mod queue;
mod signature;

pub use config::{Webhook, WebhookConfig, check_all};
pub use queue::{Claimed, DeliveryFilter, DeliveryStore, MemoryDeliveries, Tried, queued};
pub use signature::{SECRET_PREFIX, SigningKey};

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{Notify, broadcast};

use crate::events::Events;
use crate::model::CloudEvent;

/// How often a worker looks for due retries when nothing new was queued.
const POLL: Duration = Duration::from_millis(500);
/// How many deliveries one worker round claims and tries at once.
const BATCH: usize = 32;

/// The configured webhooks and their delivery queue. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    hooks: Vec<Webhook>,
    store: Arc<dyn DeliveryStore>,
    client: reqwest::Client,
    /// Wakes the worker when something was queued.
    queued: Notify,
    /// A claim outlives the slowest try, so no other worker takes a delivery being made.
    lease: Duration,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.inner.hooks.iter().map(|h| h.name.as_str()).collect();
        f.debug_struct("Webhooks")
            .field("hooks", &names)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    /// `hooks` (checked), queued in `store`.
    pub fn new(hooks: Vec<Webhook>, store: Arc<dyn DeliveryStore>) -> Webhooks {
        let slowest = hooks.iter().map(|h| h.timeout).max().unwrap_or_default();
        Webhooks {
            inner: Arc::new(Inner {
                hooks,
                store,
                client: delivery::client(),
                queued: Notify::new(),
                lease: slowest + Duration::from_secs(30),
            }),
        }
    }

    /// The configured webhooks.
    pub fn hooks(&self) -> &[Webhook] {
        &self.inner.hooks
    }

    /// The delivery queue.
    pub fn store(&self) -> &Arc<dyn DeliveryStore> {
        &self.inner.store
    }

    /// Queues `event` for every webhook that wants it.
    pub async fn enqueue(&self, event: &CloudEvent) {
        let mut any = false;
        for hook in self.inner.hooks.iter().filter(|h| h.wants(event)) {
            match self.inner.store.enqueue(&hook.name, event).await {
                Ok(new) => any |= new,
                Err(e) => {
                    tracing::error!(webhook = %hook.name, event = %event.id, error = %e, "cannot queue a webhook delivery; it is lost");
                }
            }
        }
        if any {
            self.inner.queued.notify_one();
        }
    }

    /// Starts queuing every event of `events` and delivering what is due (including what was
    /// pending before a restart). Nothing starts when no webhook is configured.
    pub fn start(&self, events: &Events) {
        if self.inner.hooks.is_empty() {
            return;
        }
        let live = events.subscribe(None).live;
        tokio::spawn(self.clone().feed(live));
        tokio::spawn(self.clone().work());
    }

    async fn feed(self, mut live: broadcast::Receiver<Arc<crate::events::Sequenced>>) {
        loop {
            match live.recv().await {
                Ok(sequenced) => self.enqueue(&sequenced.event).await,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::error!(missed = n, "webhook feed fell behind the event stream; {n} events were not queued");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    async fn work(self) {
        loop {
            let made = self.deliver_due().await;
            if made == 0 {
                // New work wakes us at once; retries that come due are found by the poll.
                let _ = tokio::time::timeout(POLL, self.inner.queued.notified()).await;
            }
        }
    }

    /// Claims what is due and tries it, all at once; answers how many were tried.
    pub async fn deliver_due(&self) -> usize {
        let now = OffsetDateTime::now_utc();
        let claimed = match self.inner.store.claim_due(now, self.inner.lease, BATCH).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the webhook queue");
                tokio::time::sleep(POLL).await;
                return 0;
            }
        };
        let count = claimed.len();
        futures::future::join_all(claimed.into_iter().map(|c| self.try_one(c))).await;
        count
    }

    async fn try_one(&self, claimed: Claimed) {
        let Claimed { delivery, event } = claimed;
        let Some(hook) = self.inner.hooks.iter().find(|h| h.name == delivery.webhook) else {
            // Queued for a webhook since removed from the config: left as it is.
            return;
        };
        let tried = delivery::attempt(&self.inner.client, hook, &event, delivery.attempts).await;
        tracing::info!(
            webhook = %hook.name,
            event = %event.id,
            attempt = delivery.attempts,
            status = tried.status.as_str(),
            answer = tried.last_status,
            error = tried.last_error.as_deref().unwrap_or(""),
            "webhook delivery tried"
        );
        if let Err(e) = self.inner.store.record(&hook.name, &event.id, tried).await {
            tracing::error!(webhook = %hook.name, event = %event.id, error = %e, "cannot record a webhook try; it will be made again after its lease");
        }
    }
}

#[cfg(test)]
mod tests;
