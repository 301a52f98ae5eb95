//! `/v1/servers`, `/v1/images`, `/v1/volumes`: the same lists across every provider at once,
//! queried concurrently; a failing provider is listed under `errors` and never hides the rest.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::catalog::{ListImagesParams, PageParams};
use super::extract::Query;
use super::pagination::aggregate;
use super::problem::ApiError;
use super::servers::{ListServersParams, page_of_servers};
use crate::driver::{DriverOp, ImageFilter};
use crate::model::{ImageAggregateList, ServerAggregateList, VolumeAggregateList};
use crate::registry::ProviderEntry;
use std::sync::Arc;

fn able(state: &AppState, op: DriverOp) -> Vec<Arc<ProviderEntry>> {
    state
        .registry
        .all()
        .filter(|p| op.allowed_by(&p.capabilities()))
        .cloned()
        .collect()
}

/// List servers across all providers.
#[utoipa::path(
    get, path = "/v1/servers", operation_id = "list_all_servers", tag = "servers",
    params(ListServersParams),
    responses((status = 200, description = "A page of servers from every provider; failing providers under `errors`", body = ServerAggregateList))
)]
pub async fn list_all_servers(
    State(state): State<AppState>,
    Query(params): Query<ListServersParams>,
) -> Result<Json<ServerAggregateList>, ApiError> {
    let filter = params.filter();
    let providers = able(&state, DriverOp::ListServers);
    let page = aggregate(
        "servers",
        providers,
        params.limit,
        params.cursor.as_deref(),
        |entry, req| {
            let filter = filter.clone();
            async move { page_of_servers(&entry, req, filter).await }
        },
    )
    .await?;
    Ok(Json(ServerAggregateList {
        items: page.items,
        next_cursor: page.next_cursor,
        errors: page.errors,
    }))
}

/// List images across all providers.
#[utoipa::path(
    get, path = "/v1/images", operation_id = "list_all_images", tag = "images",
    params(ListImagesParams),
    responses((status = 200, description = "A page of images from every provider; failing providers under `errors`", body = ImageAggregateList))
)]
pub async fn list_all_images(
    State(state): State<AppState>,
    Query(params): Query<ListImagesParams>,
) -> Result<Json<ImageAggregateList>, ApiError> {
    let filter = ImageFilter {
        owner: params.owner,
        name: params.name,
    };
    let providers = able(&state, DriverOp::ListImages);
    let page = aggregate(
        "images",
        providers,
        params.limit,
        params.cursor.as_deref(),
        |entry, req| {
            let filter = filter.clone();
            async move {
                entry
                    .call(DriverOp::ListImages, || {
                        entry.driver().list_images(&req, &filter)
                    })
                    .await
            }
        },
    )
    .await?;
    Ok(Json(ImageAggregateList {
        items: page.items,
        next_cursor: page.next_cursor,
        errors: page.errors,
    }))
}

/// List volumes across all providers that have volumes.
#[utoipa::path(
    get, path = "/v1/volumes", operation_id = "list_all_volumes", tag = "volumes",
    params(PageParams),
    responses((status = 200, description = "A page of volumes from every provider with volumes; failing providers under `errors`", body = VolumeAggregateList))
)]
pub async fn list_all_volumes(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<Json<VolumeAggregateList>, ApiError> {
    let providers = able(&state, DriverOp::ListVolumes);
    let page = aggregate(
        "volumes",
        providers,
        params.limit,
        params.cursor.as_deref(),
        |entry, req| async move {
            entry
                .call(DriverOp::ListVolumes, || entry.driver().list_volumes(&req))
                .await
        },
    )
    .await?;
    Ok(Json(VolumeAggregateList {
        items: page.items,
        next_cursor: page.next_cursor,
        errors: page.errors,
    }))
}
