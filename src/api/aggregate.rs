//! `/v1/servers`, `/v1/images`, `/v1/volumes`: the same lists across every provider at once
//! (the service queries them concurrently, each within the aggregate timeout); a failing or late
//! provider is listed under `errors` and never hides the rest.

use axum::Json;
use axum::extract::State;

use super::auth::Who;
use super::catalog::{ListImagesParams, PageParams};
use super::extract::Query;
use super::problem::ApiError;
use super::servers::ListServersParams;
use crate::model::{ImageAggregateList, ServerAggregateList, VolumeAggregateList};
use crate::service::Service;

/// List servers across all providers.
#[utoipa::path(
    get, path = "/v1/servers", operation_id = "list_all_servers", tag = "servers",
    params(ListServersParams),
    responses((status = 200, description = "A page of servers from every provider; failing providers under `errors`", body = ServerAggregateList))
)]
pub async fn list_all_servers(
    State(service): State<Service>,
    Who(caller): Who,
    Query(params): Query<ListServersParams>,
) -> Result<Json<ServerAggregateList>, ApiError> {
    let (query, page) = params.split();
    let list = service.list_all_servers(&caller, &query, &page).await?;
    Ok(Json(list))
}

/// List images across all providers.
#[utoipa::path(
    get, path = "/v1/images", operation_id = "list_all_images", tag = "images",
    params(ListImagesParams),
    responses((status = 200, description = "A page of images from every provider; failing providers under `errors`", body = ImageAggregateList))
)]
pub async fn list_all_images(
    State(service): State<Service>,
    Who(caller): Who,
    Query(params): Query<ListImagesParams>,
) -> Result<Json<ImageAggregateList>, ApiError> {
    let (query, page) = params.split();
    let list = service.list_all_images(&caller, &query, &page).await?;
    Ok(Json(list))
}

/// List volumes across all providers that have volumes.
#[utoipa::path(
    get, path = "/v1/volumes", operation_id = "list_all_volumes", tag = "volumes",
    params(PageParams),
    responses((status = 200, description = "A page of volumes from every provider with volumes; failing providers under `errors`", body = VolumeAggregateList))
)]
pub async fn list_all_volumes(
    State(service): State<Service>,
    Who(caller): Who,
    Query(params): Query<PageParams>,
) -> Result<Json<VolumeAggregateList>, ApiError> {
    let list = service.list_all_volumes(&caller, &params.into()).await?;
    Ok(Json(list))
}
