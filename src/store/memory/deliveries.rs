//! The webhook delivery queue in memory.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MemoryStore, lock};
use crate::model::{CloudEvent, Delivery, DeliveryStatus};
use crate::store::{Claimed, DeliveryFilter, DeliveryStore, StoreError, Tried, queued};

/// The queue, by position (the order deliveries were queued in).
#[derive(Debug, Default)]
pub(super) struct Queue {
    next: i64,
    by_position: BTreeMap<i64, Entry>,
    /// (webhook, event id) → position.
    index: HashMap<(String, String), i64>,
    feed_position: Option<String>,
}

#[derive(Debug)]
struct Entry {
    delivery: Delivery,
    event: CloudEvent,
    claimed_until: Option<OffsetDateTime>,
}

#[async_trait]
impl DeliveryStore for MemoryStore {
    async fn enqueue_delivery(
        &self,
        webhook: &str,
        event: &CloudEvent,
    ) -> Result<bool, StoreError> {
        let mut queue = lock(&self.deliveries)?;
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

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut queue = lock(&self.deliveries)?;
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

    async fn record_delivery(
        &self,
        webhook: &str,
        event_id: &str,
        tried: Tried,
    ) -> Result<(), StoreError> {
        let mut queue = lock(&self.deliveries)?;
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

    async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
    ) -> Result<Vec<(i64, Delivery)>, StoreError> {
        let queue = lock(&self.deliveries)?;
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

    async fn feed_position(&self) -> Result<Option<String>, StoreError> {
        Ok(lock(&self.deliveries)?.feed_position.clone())
    }

    async fn set_feed_position(&self, id: &str) -> Result<(), StoreError> {
        lock(&self.deliveries)?.feed_position = Some(id.to_owned());
        Ok(())
    }
}
