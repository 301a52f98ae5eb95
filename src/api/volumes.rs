//! `/v1/providers/{provider}/volumes…`: block storage volumes and their attachments.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Who;
use super::catalog::PageParams;
use super::extract::{JsonBody, Path, Query};
use super::operations::VolumeOperationResponse;
use super::problem::ApiError;
use super::render::{ChangeHeaders, change_response};
use crate::model::{AttachVolumeRequest, CreateVolumeRequest, Volume, VolumeList};
use crate::service::{Change, Service};

/// Path of one volume.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VolumePath {
    /// Provider id.
    pub provider: String,
    /// Volume id.
    pub id: String,
}

fn render(change: Change<Volume>) -> Response {
    change_response(change, |operation, volume| VolumeOperationResponse {
        operation,
        volume,
    })
}

/// List a provider's volumes.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/volumes", operation_id = "list_volumes", tag = "volumes",
    params(("provider" = String, Path, description = "Provider id"), PageParams),
    responses((status = 200, description = "A page of volumes", body = VolumeList))
)]
pub async fn list_volumes(
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<VolumeList>, ApiError> {
    let list = service
        .list_volumes(&caller, &provider, &params.into())
        .await?;
    Ok(Json(list))
}

/// Read one volume.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/volumes/{id}", operation_id = "get_volume", tag = "volumes",
    params(VolumePath),
    responses((status = 200, description = "The volume", body = Volume))
)]
pub async fn get_volume(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<VolumePath>,
) -> Result<Json<Volume>, ApiError> {
    let volume = service
        .get_volume(&caller, &path.provider, &path.id)
        .await?;
    Ok(Json(volume))
}

/// Create a volume.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/volumes", operation_id = "create_volume", tag = "volumes",
    params(
        ("provider" = String, Path, description = "Provider id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Repeat-safe key: the same key and body answer the first answer again"),
        ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)"),
    ),
    request_body(content = CreateVolumeRequest, description = "The new volume",
        example = json!({"name": "data-1", "size_gib": 10})),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = VolumeOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Finished within `Prefer: wait`", body = VolumeOperationResponse),
    )
)]
pub async fn create_volume(
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    ChangeHeaders(options): ChangeHeaders,
    JsonBody(body): JsonBody<CreateVolumeRequest>,
) -> Result<Response, ApiError> {
    let change = service
        .create_volume(&caller, &provider, &body, &options)
        .await?;
    Ok(render(change))
}

/// Delete a volume.
#[utoipa::path(
    delete, path = "/v1/providers/{provider}/volumes/{id}", operation_id = "delete_volume", tag = "volumes",
    params(VolumePath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = VolumeOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Finished within `Prefer: wait`", body = VolumeOperationResponse),
    )
)]
pub async fn delete_volume(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<VolumePath>,
    ChangeHeaders(options): ChangeHeaders,
) -> Result<Response, ApiError> {
    let change = service
        .delete_volume(&caller, &path.provider, &path.id, &options)
        .await?;
    Ok(render(change))
}

/// Attach a volume to a server.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/volumes/{id}/attach", operation_id = "attach_volume", tag = "volumes",
    params(VolumePath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    request_body(content = AttachVolumeRequest, description = "The server to attach to",
        example = json!({"server_id": "web-1", "device": "/dev/xvdf"})),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = VolumeOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Finished within `Prefer: wait`", body = VolumeOperationResponse),
    )
)]
pub async fn attach_volume(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<VolumePath>,
    ChangeHeaders(options): ChangeHeaders,
    JsonBody(body): JsonBody<AttachVolumeRequest>,
) -> Result<Response, ApiError> {
    let change = service
        .attach_volume(&caller, &path.provider, &path.id, &body, &options)
        .await?;
    Ok(render(change))
}

/// Detach a volume from its server.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/volumes/{id}/detach", operation_id = "detach_volume", tag = "volumes",
    params(VolumePath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = VolumeOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Finished within `Prefer: wait`", body = VolumeOperationResponse),
    )
)]
pub async fn detach_volume(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<VolumePath>,
    ChangeHeaders(options): ChangeHeaders,
) -> Result<Response, ApiError> {
    let change = service
        .detach_volume(&caller, &path.provider, &path.id, &options)
        .await?;
    Ok(render(change))
}
