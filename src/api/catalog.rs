//! `/v1/providers/{provider}/images|sizes|regions`: what servers are made of and where.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::extract::{Path, Query};
use super::pagination::{provider_next_cursor, provider_request};
use super::problem::ApiError;
use super::respond::{provider, require_option};
use crate::driver::{DriverOp, ImageFilter};
use crate::model::{Image, ImageList, RegionList, SizeList};

/// Query of `GET …/images`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListImagesParams {
    /// Only images of this owner (account id or alias such as `self`), where the provider knows owners.
    pub owner: Option<String>,
    /// Only images whose name contains this text.
    pub name: Option<String>,
    /// Most items on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of the lists that only page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Most items on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Path of one image.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ImagePath {
    /// Provider id.
    pub provider: String,
    /// Image id.
    pub id: String,
}

/// List a provider's images (public and own).
#[utoipa::path(
    get, path = "/v1/providers/{provider}/images", operation_id = "list_images", tag = "images",
    params(("provider" = String, Path, description = "Provider id"), ListImagesParams),
    responses((status = 200, description = "A page of images", body = ImageList))
)]
pub async fn list_images(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(params): Query<ListImagesParams>,
) -> Result<Json<ImageList>, ApiError> {
    let entry = provider(&state, &provider_id)?;
    let req = provider_request("images", entry.id(), params.limit, params.cursor.as_deref())?;
    if params.owner.is_some() {
        require_option(&entry, entry.capabilities().list_images_by_owner, "owner")?;
    }
    let filter = ImageFilter {
        owner: params.owner,
        name: params.name,
    };
    let page = entry
        .call(DriverOp::ListImages, || {
            entry.driver().list_images(&req, &filter)
        })
        .await?;
    Ok(Json(ImageList {
        items: page.items,
        next_cursor: provider_next_cursor("images", entry.id(), page.next_cursor),
    }))
}

/// Read one image.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/images/{id}", operation_id = "get_image", tag = "images",
    params(ImagePath),
    responses((status = 200, description = "The image", body = Image))
)]
pub async fn get_image(
    State(state): State<AppState>,
    Path(path): Path<ImagePath>,
) -> Result<Json<Image>, ApiError> {
    let entry = provider(&state, &path.provider)?;
    Ok(Json(
        entry
            .call(DriverOp::GetImage, || entry.driver().get_image(&path.id))
            .await?,
    ))
}

/// List a provider's sizes (hardware profiles).
#[utoipa::path(
    get, path = "/v1/providers/{provider}/sizes", operation_id = "list_sizes", tag = "sizes",
    params(("provider" = String, Path, description = "Provider id"), PageParams),
    responses((status = 200, description = "A page of sizes", body = SizeList))
)]
pub async fn list_sizes(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<SizeList>, ApiError> {
    let entry = provider(&state, &provider_id)?;
    let req = provider_request("sizes", entry.id(), params.limit, params.cursor.as_deref())?;
    let page = entry
        .call(DriverOp::ListSizes, || entry.driver().list_sizes(&req))
        .await?;
    Ok(Json(SizeList {
        items: page.items,
        next_cursor: provider_next_cursor("sizes", entry.id(), page.next_cursor),
    }))
}

/// List a provider's regions with their zones.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/regions", operation_id = "list_regions", tag = "regions",
    params(("provider" = String, Path, description = "Provider id"), PageParams),
    responses((status = 200, description = "A page of regions", body = RegionList))
)]
pub async fn list_regions(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<RegionList>, ApiError> {
    let entry = provider(&state, &provider_id)?;
    let req = provider_request(
        "regions",
        entry.id(),
        params.limit,
        params.cursor.as_deref(),
    )?;
    let page = entry
        .call(DriverOp::ListRegions, || entry.driver().list_regions(&req))
        .await?;
    Ok(Json(RegionList {
        items: page.items,
        next_cursor: provider_next_cursor("regions", entry.id(), page.next_cursor),
    }))
}
