//! The delivery queue: one record per event and webhook, claimed by a worker under a lease, so
//! that a delivery survives a restart and two replicas never make the same try at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::model::{CloudEvent, Delivery, DeliveryStatus};
use crate::store::StoreError;

/// A delivery a worker has claimed, with the event to send.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The record as it was claimed.
    pub delivery: Delivery,
    /// The event, exactly as queued.
    pub event: CloudEvent,
}

/// What one try came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried {
    /// `delivered`, `pending` (a retry is due at `next_attempt_at`) or `failed`.
    pub status: DeliveryStatus,
    /// The receiver's status, if it answered.
    pub last_status: Option<u16>,
    /// Why the try failed.
    pub last_error: Option<String>,
    /// When to try again, for `pending`.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// Which deliveries a listing shows, newest first.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this status.
    pub status: Option<DeliveryStatus>,
    /// Only this webhook.
    pub webhook: Option<String>,
    /// Only records queued before this position (the cursor of the previous page).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: usize,
}

/// The queue of webhook deliveries.
#[async_trait]
pub trait DeliveryStore: Send + Sync + 'static {
    /// Queues `event` for `webhook`, due now. Queuing the same event for the same webhook again
    /// (from another replica that saw it too) changes nothing and answers `false`.
    async fn enqueue(&self, webhook: &str, event: &CloudEvent) -> Result<bool, StoreError>;

    /// Claims up to `limit` pending deliveries that are due at `now` and not claimed by a live
    /// worker, for `lease`; each claim counts as a try.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError>;

    /// Records how the try of a claimed delivery ended, and releases the claim.
    async fn record(&self, webhook: &str, event_id: &str, tried: Tried) -> Result<(), StoreError>;

    /// Deliveries, newest first, each with its position for the next page's `before`.
    async fn list(&self, filter: &DeliveryFilter) -> Result<Vec<(i64, Delivery)>, StoreError>;
}

/// The queue in this process's memory (the `memory:` store).
#[derive(Debug, Default)]
pub struct MemoryDeliveries {
    inner: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    next: i64,
    by_position: BTreeMap<i64, Entry>,
    /// (webhook, event id) → position.
    index: HashMap<(String, String), i64>,
}

#[derive(Debug)]
struct Entry {
    delivery: Delivery,
    event: CloudEvent,
    claimed_until: Option<OffsetDateTime>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError("a thread panicked while holding the delivery queue".into())
}

impl MemoryDeliveries {
    /// An empty queue.
    pub fn new() -> MemoryDeliveries {
        MemoryDeliveries::default()
    }
}

/// A new pending record of `event` for `webhook`.
pub fn queued(webhook: &str, event: &CloudEvent, now: OffsetDateTime) -> Delivery {
    Delivery {
        webhook: webhook.to_owned(),
        event_id: event.id.clone(),
        event_type: event.event_type,
        status: DeliveryStatus::Pending,
        attempts: 0,
        last_status: None,
        last_error: None,
        next_attempt_at: Some(now),
        created_at: now,
        updated_at: now,
    }
}

#[async_trait]
impl DeliveryStore for MemoryDeliveries {
    async fn enqueue(&self, webhook: &str, event: &CloudEvent) -> Result<bool, StoreError> {
        let mut queue = self.inner.lock().map_err(poisoned)?;
        let key = (webhook.to_owned(), event.id.clone());
        if queue.index.contains_key(&key) {
            return Ok(false);
        }
        queue.next += 1;
        let position = queue.next;
        queue.index.insert(key, position);
        let entry = Entry {
            delivery: queued(webhook, event, OffsetDateTime::now_utc()),
            event: event.clone(),
            claimed_until: None,
        };
        queue.by_position.insert(position, entry);
        Ok(true)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut queue = self.inner.lock().map_err(poisoned)?;
        let mut claimed = Vec::new();
        for entry in queue.by_position.values_mut() {
            if claimed.len() == limit {
                break;
            }
            let due = entry.delivery.status == DeliveryStatus::Pending
                && entry.delivery.next_attempt_at.is_none_or(|at| at <= now)
                && entry.claimed_until.is_none_or(|until| until <= now);
            if due {
                entry.claimed_until = Some(now + lease);
                entry.delivery.attempts += 1;
                entry.delivery.updated_at = now;
                claimed.push(Claimed {
                    delivery: entry.delivery.clone(),
                    event: entry.event.clone(),
                });
            }
        }
        Ok(claimed)
    }

    async fn record(&self, webhook: &str, event_id: &str, tried: Tried) -> Result<(), StoreError> {
        let mut queue = self.inner.lock().map_err(poisoned)?;
        let key = (webhook.to_owned(), event_id.to_owned());
        let Some(position) = queue.index.get(&key).copied() else {
            return Ok(());
        };
        if let Some(entry) = queue.by_position.get_mut(&position) {
            entry.delivery.status = tried.status;
            entry.delivery.last_status = tried.last_status;
            entry.delivery.last_error = tried.last_error;
            entry.delivery.next_attempt_at = tried.next_attempt_at;
            entry.delivery.updated_at = OffsetDateTime::now_utc();
            entry.claimed_until = None;
        }
        Ok(())
    }

    async fn list(&self, filter: &DeliveryFilter) -> Result<Vec<(i64, Delivery)>, StoreError> {
        let queue = self.inner.lock().map_err(poisoned)?;
        let upper = filter.before.unwrap_or(i64::MAX);
        Ok(queue
            .by_position
            .range(..upper)
            .rev()
            .filter(|(_, e)| filter.status.is_none_or(|s| e.delivery.status == s))
            .filter(|(_, e)| {
                filter
                    .webhook
                    .as_deref()
                    .is_none_or(|w| e.delivery.webhook == w)
            })
            .take(filter.limit)
            .map(|(position, e)| (*position, e.delivery.clone()))
            .collect())
    }
}
