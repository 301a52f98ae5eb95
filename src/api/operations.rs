//! `/v1/operations/{id}`: long-running changes, and the operation as the REST API shows it.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::extract::Path;
use super::problem::ApiError;
use super::render::caller;
use crate::model::{self, OperationKind, OperationStatus, Problem, ResourceKind, Server, Volume};
use crate::service::Service;

/// A long-running change the gateway follows to its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Operation {
    /// Operation id (a UUID); `GET /v1/operations/{id}` reads it.
    pub id: String,
    /// What was requested.
    pub kind: OperationKind,
    /// Where it stands.
    pub status: OperationStatus,
    /// The provider the change is made at.
    pub provider: String,
    /// The kind of resource changed.
    pub resource_kind: ResourceKind,
    /// The id of the resource changed.
    pub resource_id: String,
    /// The API path of the resource.
    pub resource_path: String,
    /// When the operation was accepted (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When the status last changed (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Why it failed, when `status` is `failed`.
    #[serde(default)]
    pub problem: Option<Problem>,
}

/// The REST path of a resource an operation changes.
fn resource_path(op: &model::Operation) -> String {
    format!(
        "/v1/providers/{}/{}/{}",
        super::path_segment(&op.provider),
        op.resource_kind.collection(),
        super::path_segment(&op.resource_id)
    )
}

/// The REST path of an operation (its `Location`).
pub(super) fn operation_path(op: &model::Operation) -> String {
    format!("/v1/operations/{}", super::path_segment(&op.id))
}

impl From<model::Operation> for Operation {
    fn from(op: model::Operation) -> Self {
        Operation {
            resource_path: resource_path(&op),
            id: op.id,
            kind: op.kind,
            status: op.status,
            provider: op.provider,
            resource_kind: op.resource_kind,
            resource_id: op.resource_id,
            created_at: op.created_at,
            updated_at: op.updated_at,
            problem: op.problem,
        }
    }
}

/// Answer to a server create, action or delete: the operation and the server as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServerOperationResponse {
    /// The operation following the change.
    pub operation: Operation,
    /// The server as last seen (final when the answer is 200).
    pub server: Server,
}

/// Answer to a volume create, attach, detach or delete: the operation and the volume as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VolumeOperationResponse {
    /// The operation following the change.
    pub operation: Operation,
    /// The volume as last seen (final when the answer is 200).
    pub volume: Volume,
}

/// Read an operation.
#[utoipa::path(
    get, path = "/v1/operations/{id}", operation_id = "get_operation", tag = "operations",
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, description = "The operation", body = Operation))
)]
pub async fn get_operation(
    State(service): State<Service>,
    Path(id): Path<String>,
) -> Result<Json<Operation>, ApiError> {
    let op = service.get_operation(&caller(), &id).await?;
    Ok(Json(op.into()))
}
