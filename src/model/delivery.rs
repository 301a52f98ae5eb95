use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::EventType;

/// One event on its way to one webhook: queued, delivered, or given up on (a dead letter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// The webhook's name (`[[webhooks]] name`, or its URL's host).
    pub webhook: String,
    /// The event's id: also the `webhook-id` of every try, so a receiver drops duplicates.
    pub event_id: String,
    /// The event's type.
    pub event_type: EventType,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Tries made so far.
    pub attempts: u32,
    /// The HTTP status of the last answer, when there was one.
    #[serde(default)]
    pub last_status: Option<u16>,
    /// Why the last try failed (no answer, timeout, or the status), when it did.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When the next try is due, while `pending`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When the event was queued for this webhook (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When this record last changed (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Queued or waiting for a retry.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up on after the last try, or refused by the receiver for good: a dead letter.
    Failed,
}

impl DeliveryStatus {
    /// The name used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// The status of a stored name.
    pub fn parse(name: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}
