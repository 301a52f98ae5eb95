//! `/v1/providers/{provider}/images|sizes|regions`: what servers are made of and where.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Who;
use super::extract::{Path, Query};
use super::problem::ApiError;
use crate::model::{Image, ImageList, RegionList, SizeList};
use crate::service::{ImageQuery, PageQuery, Service};

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

impl ListImagesParams {
    /// The service's filter and page.
    pub(super) fn split(self) -> (ImageQuery, PageQuery) {
        let query = ImageQuery {
            owner: self.owner,
            name: self.name,
        };
        let page = PageQuery {
            limit: self.limit,
            cursor: self.cursor,
        };
        (query, page)
    }
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

impl From<PageParams> for PageQuery {
    fn from(p: PageParams) -> Self {
        PageQuery {
            limit: p.limit,
            cursor: p.cursor,
        }
    }
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
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    Query(params): Query<ListImagesParams>,
) -> Result<Json<ImageList>, ApiError> {
    let (query, page) = params.split();
    let list = service
        .list_images(&caller, &provider, &query, &page)
        .await?;
    Ok(Json(list))
}

/// Read one image.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/images/{id}", operation_id = "get_image", tag = "images",
    params(ImagePath),
    responses((status = 200, description = "The image", body = Image))
)]
pub async fn get_image(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<ImagePath>,
) -> Result<Json<Image>, ApiError> {
    let image = service.get_image(&caller, &path.provider, &path.id).await?;
    Ok(Json(image))
}

/// List a provider's sizes (hardware profiles).
#[utoipa::path(
    get, path = "/v1/providers/{provider}/sizes", operation_id = "list_sizes", tag = "sizes",
    params(("provider" = String, Path, description = "Provider id"), PageParams),
    responses((status = 200, description = "A page of sizes", body = SizeList))
)]
pub async fn list_sizes(
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<SizeList>, ApiError> {
    let list = service
        .list_sizes(&caller, &provider, &params.into())
        .await?;
    Ok(Json(list))
}

/// List a provider's regions with their zones.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/regions", operation_id = "list_regions", tag = "regions",
    params(("provider" = String, Path, description = "Provider id"), PageParams),
    responses((status = 200, description = "A page of regions", body = RegionList))
)]
pub async fn list_regions(
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<RegionList>, ApiError> {
    let list = service
        .list_regions(&caller, &provider, &params.into())
        .await?;
    Ok(Json(list))
}
