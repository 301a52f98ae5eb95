//! `/v1/operations/{id}`: long-running changes, and the operation as the REST API shows it.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::auth::Who;
use super::extract::{Path, Query};
use super::problem::ApiError;
use crate::model::{self, OperationStatus, Server, Volume};
use crate::service::{OperationQuery, PageQuery, Service};

/// An operation as the REST API shows it: the service's [`model::Operation`] and the REST path
/// of the resource it changes, which only this layer knows how to build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// The operation as the service has it, its fields at the top level.
    #[serde(flatten)]
    operation: model::Operation,
    /// The API path of the resource.
    resource_path: String,
}

/// The schema is the model's, with `resource_path` beside `resource_id` (where the document has
/// always had it) and the model's first doc paragraph only (the rest speaks of front ends).
impl utoipa::PartialSchema for Operation {
    fn schema() -> RefOr<Schema> {
        let mut schema = <model::Operation as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.description =
                Some("A long-running change the gateway follows to its end.".into());
            let path = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The API path of the resource."));
            let at = object
                .properties
                .get_index_of("resource_id")
                .map_or(object.properties.len(), |i| i + 1);
            object
                .properties
                .shift_insert(at, "resource_path".to_owned(), path.into());
            let at = object
                .required
                .iter()
                .position(|r| r == "resource_id")
                .map_or(object.required.len(), |i| i + 1);
            object.required.insert(at, "resource_path".to_owned());
        }
        schema
    }
}

impl utoipa::ToSchema for Operation {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <model::Operation as utoipa::ToSchema>::schemas(schemas);
    }
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
    fn from(operation: model::Operation) -> Self {
        Operation {
            resource_path: resource_path(&operation),
            operation,
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
    Who(caller): Who,
    Path(id): Path<String>,
) -> Result<Json<Operation>, ApiError> {
    let op = service.get_operation(&caller, &id).await?;
    Ok(Json(op.into()))
}

/// Query of `GET /v1/operations`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OperationListParams {
    /// Only operations at this provider.
    pub provider: Option<String>,
    /// Only operations in this status.
    pub status: Option<OperationStatus>,
    /// Only operations on the resource with this id.
    pub resource: Option<String>,
    /// Most items on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page (valid only with the same filters).
    pub cursor: Option<String>,
}

/// A page of operations, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperationList {
    /// The operations, newest first.
    pub items: Vec<Operation>,
    /// Cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// List operations.
///
/// The operations the gateway recorded (on any replica sharing its database), newest first,
/// for as long as the store keeps them.
#[utoipa::path(
    get, path = "/v1/operations", operation_id = "list_operations", tag = "operations",
    params(OperationListParams),
    responses((status = 200, description = "A page of operations", body = OperationList))
)]
pub async fn list_operations(
    State(service): State<Service>,
    Who(caller): Who,
    Query(params): Query<OperationListParams>,
) -> Result<Json<OperationList>, ApiError> {
    let query = OperationQuery {
        provider: params.provider,
        status: params.status,
        resource: params.resource,
    };
    let page = PageQuery {
        limit: params.limit,
        cursor: params.cursor,
    };
    let list = service.list_operations(&caller, &query, &page).await?;
    Ok(Json(OperationList {
        items: list.items.into_iter().map(Operation::from).collect(),
        next_cursor: list.next_cursor,
    }))
}
