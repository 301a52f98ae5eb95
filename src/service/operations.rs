//! Listing operations: newest first, filtered, paged behind the gateway's signed cursors.

use super::caller::Role;
use super::cursor::page_limit;
use super::error::ServiceResult;
use super::reads::PageQuery;
use super::{Caller, Service};
use crate::model::{Operation, OperationStatus};
use crate::store::{OperationFilter, OperationPosition, unix_ms};

/// Filters of an operation list.
#[derive(Debug, Clone, Default)]
pub struct OperationQuery {
    /// Only operations at this provider.
    pub provider: Option<String>,
    /// Only operations in this status.
    pub status: Option<OperationStatus>,
    /// Only operations on the resource with this id.
    pub resource: Option<String>,
}

/// One page of operations.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationPage {
    /// Newest first.
    pub items: Vec<Operation>,
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// The cursor's list name: the filters are part of it, so a cursor is refused on a list with
/// other filters (its position would mean nothing there).
fn list_of(query: &OperationQuery) -> String {
    serde_json::json!([query.provider, query.status, query.resource]).to_string()
}

impl Service {
    /// A page of the operations the gateway recorded, from every replica.
    pub async fn list_operations(
        &self,
        caller: &Caller,
        query: &OperationQuery,
        page: &PageQuery,
    ) -> ServiceResult<OperationPage> {
        caller.require(Role::Viewer, "reading operations")?;
        let limit = page_limit(page.limit)?;
        let list = list_of(query);
        let after = self
            .cursors()
            .provider_cursor("operations", &list, page.cursor.as_deref())?
            .map(|inner| {
                // Sealed by this gateway, so well formed; a malformed one reads as the start.
                let (ms, id) = inner.split_once(':').unwrap_or(("", ""));
                OperationPosition {
                    created_ms: ms.parse().unwrap_or(i64::MAX),
                    id: id.to_owned(),
                }
            });
        let filter = OperationFilter {
            provider: query.provider.clone(),
            status: query.status,
            resource_id: query.resource.clone(),
        };
        // One more than asked: whether there is a next page, without a second query.
        let mut items = self
            .ops()
            .store()
            .list_operations(&filter, after.as_ref(), limit + 1)
            .await?;
        let more = items.len() > limit;
        items.truncate(limit);
        let next = more
            .then(|| items.last())
            .flatten()
            .map(|last| format!("{}:{}", unix_ms(last.created_at), last.id));
        // Outside the caller's scope, or another caller's (for a non-admin): left out after the
        // page is read, so a page may hold fewer than `limit`; the cursor still moves on.
        items.retain(|op| caller.sees(&op.provider) && self.may_read_operation(caller, &op.id));
        let next_cursor = self
            .cursors()
            .next_provider_cursor("operations", &list, next);
        Ok(OperationPage { items, next_cursor })
    }
}
