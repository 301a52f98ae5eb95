//! `/v1/providers`: the configured providers.

use axum::Json;
use axum::extract::State;

use super::auth::Who;
use super::extract::Path;
use super::problem::ApiError;
use crate::model::{Provider, ProviderList};
use crate::service::Service;

/// List the configured providers with their capabilities and health.
#[utoipa::path(
    get, path = "/v1/providers", operation_id = "list_providers", tag = "providers",
    responses((status = 200, description = "All configured providers", body = ProviderList))
)]
pub async fn list_providers(
    State(service): State<Service>,
    Who(caller): Who,
) -> Json<ProviderList> {
    Json(ProviderList {
        items: service.list_providers(&caller),
        next_cursor: None,
    })
}

/// Read one provider.
#[utoipa::path(
    get, path = "/v1/providers/{provider}", operation_id = "get_provider", tag = "providers",
    params(("provider" = String, Path, description = "Provider id")),
    responses((status = 200, description = "The provider", body = Provider))
)]
pub async fn get_provider(
    State(service): State<Service>,
    Who(caller): Who,
    Path(id): Path<String>,
) -> Result<Json<Provider>, ApiError> {
    Ok(Json(service.get_provider(&caller, &id)?))
}
