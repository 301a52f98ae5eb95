//! `/v1/webhooks/deliveries`: what the gateway queued for its webhooks, what it delivered, and
//! the dead letters (`?status=failed`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Who;
use super::extract::Query;
use super::problem::ApiError;
use crate::model::{Delivery, DeliveryStatus};
use crate::service::{DeliveryQuery, Service};

/// Query of the deliveries list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDeliveriesParams {
    /// Only deliveries in this status (`failed`: the dead letters).
    pub status: Option<DeliveryStatus>,
    /// Only deliveries to the webhook of this name.
    pub webhook: Option<String>,
    /// Most items on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of webhook deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    /// The deliveries.
    pub items: Vec<Delivery>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// List webhook deliveries.
#[utoipa::path(
    get, path = "/v1/webhooks/deliveries", operation_id = "list_webhook_deliveries", tag = "events",
    params(ListDeliveriesParams),
    responses((status = 200, description = "A page of deliveries, newest first (none when no webhook is configured)", body = DeliveryList))
)]
pub async fn list_deliveries(
    State(service): State<Service>,
    Who(caller): Who,
    Query(params): Query<ListDeliveriesParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    let query = DeliveryQuery {
        status: params.status,
        webhook: params.webhook,
        limit: params.limit,
        cursor: params.cursor,
    };
    let page = service.list_deliveries(&caller, &query).await?;
    Ok(Json(DeliveryList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
