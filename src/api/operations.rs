//! `/v1/operations/{id}`: long-running changes.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::extract::Path;
use super::problem::ApiError;
use crate::model::{Operation, Problem};

/// Read an operation.
#[utoipa::path(
    get, path = "/v1/operations/{id}", operation_id = "get_operation", tag = "operations",
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, description = "The operation", body = Operation))
)]
pub async fn get_operation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Operation>, ApiError> {
    match state.ops.get(&id).await? {
        Some(op) => Ok(Json(op)),
        None => Err(Problem::not_found(format!("no operation with id {id:?}")).into()),
    }
}
