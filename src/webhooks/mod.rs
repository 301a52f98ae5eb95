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
mod signature;

pub use config::{Webhook, WebhookConfig, check_all};
pub use signature::{SECRET_PREFIX, SigningKey};

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::events::Events;
use crate::model::{CloudEvent, EventType};
use crate::store::{Claimed, Store, StoreError};

/// How often a worker looks for due retries when nothing new was queued.
const POLL: Duration = Duration::from_millis(500);
/// How many deliveries one worker round claims and tries at once.
const BATCH: usize = 32;
/// The lease of the replica that feeds the queue from the event log.
const FEED_LEASE: &str = "webhooks/feed";
/// How long the feeder's lease lasts unless renewed (renewed three times as often).
const FEED_TTL: Duration = Duration::from_secs(15);
/// The feeder stores its position after this many events, or at the lease renewal, whichever
/// is first. Queuing is idempotent (one record per event and webhook), so a feeder that dies
/// between two saves only queues those events again, as no-ops.
const SAVE_EVERY: usize = 64;
/// The pause before a feeder whose live stream was cut off (it fell behind) catches up.
const RESUBSCRIBE: Duration = Duration::from_millis(50);

/// Why a feeder stopped while it was running.
enum FeedEnd {
    /// Its live stream ended (it fell behind the broadcast): it catches up from its position.
    StreamEnded,
    /// Another replica holds the lease now.
    LeaseLost,
}

/// The configured webhooks and their delivery queue. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    hooks: Vec<Webhook>,
    store: Arc<dyn Store>,
    client: reqwest::Client,
    /// Wakes the worker when something was queued.
    queued: Notify,
    /// A claim outlives the slowest try (by 5 s), so no other worker takes a delivery being
    /// made; a worker that died mid-try leaves its claim to run out that soon.
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
    pub fn new(hooks: Vec<Webhook>, store: Arc<dyn Store>) -> Webhooks {
        let slowest = hooks.iter().map(|h| h.timeout).max().unwrap_or_default();
        Webhooks {
            inner: Arc::new(Inner {
                hooks,
                store,
                client: delivery::client(),
                queued: Notify::new(),
                lease: slowest + Duration::from_secs(5),
            }),
        }
    }

    /// The configured webhooks.
    pub fn hooks(&self) -> &[Webhook] {
        &self.inner.hooks
    }

    /// The store the queue is in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Queues `event` for every webhook that wants it.
    pub async fn enqueue(&self, event: &CloudEvent) {
        let mut any = false;
        for hook in self.inner.hooks.iter().filter(|h| h.wants(event)) {
            match self.inner.store.enqueue_delivery(&hook.name, event).await {
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

    /// Starts feeding the queue from the event log and delivering what is due (including what
    /// was pending before a restart). `holder` names this replica in the feeder's lease: one
    /// replica feeds at a time, from where the last feeder stopped, so no event is skipped
    /// across a restart or a takeover. Nothing starts when no webhook is configured.
    pub fn start(&self, events: &Events, holder: String) {
        if self.inner.hooks.is_empty() {
            return;
        }
        tokio::spawn(self.clone().feed(events.clone(), holder));
        tokio::spawn(self.clone().work());
    }

    async fn feed(self, events: Events, holder: String) {
        loop {
            let store = &self.inner.store;
            match store.acquire_lease(FEED_LEASE, &holder, FEED_TTL).await {
                Ok(true) => match self.feed_while_held(&events, &holder).await {
                    // Under load the feeder falls behind the live broadcast and is cut off:
                    // it catches up from the log at once rather than after a lease period.
                    Ok(FeedEnd::StreamEnded) => {
                        tokio::time::sleep(RESUBSCRIBE).await;
                        continue;
                    }
                    Ok(FeedEnd::LeaseLost) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the webhook feed stopped; it starts again shortly");
                    }
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot take the webhook feed lease"),
            }
            tokio::time::sleep(FEED_TTL / 3).await;
        }
    }

    /// Queues every event after the stored feed position until the lease is lost or the
    /// stream ends (a listener that falls behind is cut off; the caller catches up).
    async fn feed_while_held(&self, events: &Events, holder: &str) -> Result<FeedEnd, StoreError> {
        let store = &self.inner.store;
        let from = store.feed_position().await?;
        let subscription = events.subscribe(from.as_deref()).await?;
        let mut all = subscription.catch_up.chain(subscription.live);
        let mut renew = tokio::time::interval(FEED_TTL / 3);
        // The position fed but not stored yet, and how many events it is ahead.
        let mut unsaved: Option<String> = None;
        let mut ahead = 0;
        loop {
            tokio::select! {
                next = all.next() => {
                    let Some(sequenced) = next else {
                        save_position(store, &mut unsaved).await?;
                        return Ok(FeedEnd::StreamEnded);
                    };
                    // A notice that events were missed is the stream's, not a change to deliver.
                    if sequenced.event.event_type != EventType::EventsMissed {
                        self.enqueue(&sequenced.event).await;
                    }
                    unsaved = Some(sequenced.stream_id.clone());
                    ahead += 1;
                    if ahead >= SAVE_EVERY {
                        save_position(store, &mut unsaved).await?;
                        ahead = 0;
                    }
                }
                _ = renew.tick() => {
                    save_position(store, &mut unsaved).await?;
                    ahead = 0;
                    if !store.acquire_lease(FEED_LEASE, holder, FEED_TTL).await? {
                        return Ok(FeedEnd::LeaseLost);
                    }
                }
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
        let claimed = match self
            .inner
            .store
            .claim_deliveries(now, self.inner.lease, BATCH)
            .await
        {
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
        if let Err(e) = self
            .inner
            .store
            .record_delivery(&hook.name, &event.id, tried)
            .await
        {
            tracing::error!(webhook = %hook.name, event = %event.id, error = %e, "cannot record a webhook try; it will be made again after its lease");
        }
    }
}

/// Stores the feed position `unsaved` holds, if any.
async fn save_position(
    store: &Arc<dyn Store>,
    unsaved: &mut Option<String>,
) -> Result<(), StoreError> {
    match unsaved.take() {
        Some(position) => store.set_feed_position(&position).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
