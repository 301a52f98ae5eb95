//! `/v1/providers`: the configured providers.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::extract::Path;
use super::problem::ApiError;
use super::respond::provider;
use crate::model::{Provider, ProviderList};

/// List the configured providers with their capabilities and health.
#[utoipa::path(
    get, path = "/v1/providers", operation_id = "list_providers", tag = "providers",
    responses((status = 200, description = "All configured providers", body = ProviderList))
)]
pub async fn list_providers(State(state): State<AppState>) -> Json<ProviderList> {
    Json(ProviderList {
        items: state.registry.all().map(|p| p.info()).collect(),
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
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Provider>, ApiError> {
    Ok(Json(provider(&state, &id)?.info()))
}
