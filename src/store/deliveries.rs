//! The webhook delivery queue: one record per event and webhook, claimed by a worker under a
//! lease, so that a delivery survives a restart and two replicas never make the same try at
//! once; and the position of the event log the queue has been fed up to.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use crate::model::{CloudEvent, Delivery, DeliveryStatus};

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
pub trait DeliveryStore: Send + Sync {
    /// Queues `event` for `webhook`, due now. Queuing the same event for the same webhook again
    /// (from another replica that saw it too) changes nothing and answers `false`.
    async fn enqueue_delivery(&self, webhook: &str, event: &CloudEvent)
    -> Result<bool, StoreError>;

    /// Claims up to `limit` pending deliveries that are due at `now` and not claimed by a live
    /// worker, for `lease`; each claim counts as a try.
    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError>;

    /// Records how the try of a claimed delivery ended, and releases the claim.
    async fn record_delivery(
        &self,
        webhook: &str,
        event_id: &str,
        tried: Tried,
    ) -> Result<(), StoreError>;

    /// Deliveries, newest first, each with its position for the next page's `before`.
    async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
    ) -> Result<Vec<(i64, Delivery)>, StoreError>;

    /// The id (`<stream>-<n>`) of the last event the queue was fed, if any.
    async fn feed_position(&self) -> Result<Option<String>, StoreError>;

    /// Records the id of the last event fed.
    async fn set_feed_position(&self, id: &str) -> Result<(), StoreError>;
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
