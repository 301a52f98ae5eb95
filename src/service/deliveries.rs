//! Webhook deliveries: the queue and its dead letters, newest first, with cursor paging.

use super::cursor::page_limit;
use super::{Caller, Role, Service, ServiceResult};
use crate::model::{Delivery, DeliveryStatus};
use crate::store::DeliveryFilter;

/// The name stored-list cursors of this list carry.
const LIST: &str = "webhook-deliveries";

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    /// Only this status (`failed`: the dead letters).
    pub status: Option<DeliveryStatus>,
    /// Only this webhook (by name).
    pub webhook: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

/// One page of deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPage {
    /// Newest first.
    pub items: Vec<Delivery>,
    /// The next page's cursor, when there may be one.
    pub next_cursor: Option<String>,
}

impl Service {
    /// Deliveries to the configured webhooks, newest first (none when no webhook is configured).
    pub async fn list_deliveries(
        &self,
        caller: &Caller,
        query: &DeliveryQuery,
    ) -> ServiceResult<DeliveryPage> {
        // Deliveries tell of every provider's events and the webhook configuration.
        caller.require(Role::Admin, "reading webhook deliveries")?;
        let limit = page_limit(query.limit)?;
        let before = query
            .cursor
            .as_deref()
            .map(|raw| self.cursors().open_stored_list_cursor(LIST, raw))
            .transpose()?;
        let Some(webhooks) = self.inner.webhooks.get() else {
            return Ok(DeliveryPage {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        let filter = DeliveryFilter {
            status: query.status,
            webhook: query.webhook.clone(),
            before,
            // One more than asked tells whether a next page exists.
            limit: limit + 1,
        };
        let mut rows = webhooks.store().list_deliveries(&filter).await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match (more, rows.last()) {
            (true, Some((position, _))) => Some(self.cursors().stored_list_cursor(LIST, *position)),
            _ => None,
        };
        Ok(DeliveryPage {
            items: rows.into_iter().map(|(_, d)| d).collect(),
            next_cursor,
        })
    }
}
