//! `/v1/providers/{provider}/volumes…`: block storage volumes and their attachments.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::catalog::PageParams;
use super::extract::{JsonBody, Path, Query};
use super::pagination::{provider_next_cursor, provider_request};
use super::problem::ApiError;
use super::respond::{outcome_response, provider, require, require_option, settle};
use crate::driver::DriverOp;
use crate::model::{
    AttachVolumeRequest, CreateVolumeRequest, Operation, OperationKind, Problem, Volume,
    VolumeList, VolumeOperationResponse, VolumeState,
};
use crate::ops::Goal;
use crate::registry::ProviderEntry;

/// Path of one volume.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VolumePath {
    /// Provider id.
    pub provider: String,
    /// Volume id.
    pub id: String,
}

/// List a provider's volumes.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/volumes", operation_id = "list_volumes", tag = "volumes",
    params(("provider" = String, Path, description = "Provider id"), PageParams),
    responses((status = 200, description = "A page of volumes", body = VolumeList))
)]
pub async fn list_volumes(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<VolumeList>, ApiError> {
    let entry = provider(&state, &provider_id)?;
    require(&entry, DriverOp::ListVolumes)?;
    let req = provider_request(
        "volumes",
        entry.id(),
        params.limit,
        params.cursor.as_deref(),
    )?;
    let page = entry
        .call(DriverOp::ListVolumes, || entry.driver().list_volumes(&req))
        .await?;
    Ok(Json(VolumeList {
        items: page.items,
        next_cursor: provider_next_cursor("volumes", entry.id(), page.next_cursor),
    }))
}

/// Read one volume.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/volumes/{id}", operation_id = "get_volume", tag = "volumes",
    params(VolumePath),
    responses((status = 200, description = "The volume", body = Volume))
)]
pub async fn get_volume(
    State(state): State<AppState>,
    Path(path): Path<VolumePath>,
) -> Result<Json<Volume>, ApiError> {
    let entry = provider(&state, &path.provider)?;
    Ok(Json(
        entry
            .call(DriverOp::GetVolume, || entry.driver().get_volume(&path.id))
            .await?,
    ))
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
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateVolumeRequest>,
) -> Result<Response, ApiError> {
    let entry = provider(&state, &provider_id)?;
    require(&entry, DriverOp::CreateVolume)?;
    if body.name.trim().is_empty() || body.size_gib == 0 {
        return Err(Problem::unprocessable(
            "`name` must not be empty and `size_gib` must be at least 1",
        )
        .into());
    }
    if body.tags.as_ref().is_some_and(|t| !t.is_empty()) {
        require_option(&entry, entry.capabilities().create_server_with_tags, "tags")?;
    }
    let token = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let volume = entry
        .call(DriverOp::CreateVolume, || {
            entry.driver().create_volume(&body, token)
        })
        .await?;
    let op = state
        .ops
        .begin(
            entry.clone(),
            OperationKind::CreateVolume,
            &volume.id,
            Goal::Volume(VolumeState::Available),
        )
        .await?;
    answer(&state, &headers, &entry, op, volume, false).await
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
    State(state): State<AppState>,
    Path(path): Path<VolumePath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let entry = provider(&state, &path.provider)?;
    require(&entry, DriverOp::DeleteVolume)?;
    let volume = entry
        .call(DriverOp::DeleteVolume, || {
            entry.driver().delete_volume(&path.id)
        })
        .await?;
    let op = state
        .ops
        .begin(
            entry.clone(),
            OperationKind::DeleteVolume,
            &path.id,
            Goal::VolumeGone,
        )
        .await?;
    answer(&state, &headers, &entry, op, volume, true).await
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
    State(state): State<AppState>,
    Path(path): Path<VolumePath>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AttachVolumeRequest>,
) -> Result<Response, ApiError> {
    let entry = provider(&state, &path.provider)?;
    require(&entry, DriverOp::AttachVolume)?;
    if body.server_id.trim().is_empty() {
        return Err(Problem::unprocessable("`server_id` must not be empty").into());
    }
    let call = || {
        entry
            .driver()
            .attach_volume(&path.id, &body.server_id, body.device.as_deref())
    };
    let volume = entry.call(DriverOp::AttachVolume, call).await?;
    let op = state
        .ops
        .begin(
            entry.clone(),
            OperationKind::AttachVolume,
            &path.id,
            Goal::Volume(VolumeState::InUse),
        )
        .await?;
    answer(&state, &headers, &entry, op, volume, false).await
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
    State(state): State<AppState>,
    Path(path): Path<VolumePath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let entry = provider(&state, &path.provider)?;
    require(&entry, DriverOp::DetachVolume)?;
    let volume = entry
        .call(DriverOp::DetachVolume, || {
            entry.driver().detach_volume(&path.id)
        })
        .await?;
    let op = state
        .ops
        .begin(
            entry.clone(),
            OperationKind::DetachVolume,
            &path.id,
            Goal::Volume(VolumeState::Available),
        )
        .await?;
    answer(&state, &headers, &entry, op, volume, false).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    entry: &Arc<ProviderEntry>,
    op: Operation,
    volume: Volume,
    deleted: bool,
) -> Result<Response, ApiError> {
    let id = volume.id.clone();
    let outcome = settle(state, headers, op, volume, |last| async move {
        if deleted {
            Ok(Volume {
                state: VolumeState::Deleted,
                attachments: Vec::new(),
                ..last
            })
        } else {
            Ok(entry
                .call(DriverOp::GetVolume, || entry.driver().get_volume(&id))
                .await?)
        }
    })
    .await?;
    Ok(outcome_response(outcome, |operation, volume| {
        VolumeOperationResponse { operation, volume }
    }))
}
