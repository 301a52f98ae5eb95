//! `/v1/config`: the configuration the gateway runs with, for admins, secrets left out.

use axum::Json;
use axum::extract::State;

use super::auth::Who;
use super::problem::ApiError;
use crate::service::{ConfigView, Service};

/// Read the configuration.
///
/// Providers (file, driver, watch interval, layers), API tokens (names, roles, scopes), webhooks
/// (names, filters), CORS origins, limits and the kind of store. Never a secret: no token or
/// hash, no provider credential, no webhook secret or URL, no database URL. A scoped admin sees
/// only its providers and the tokens and webhooks confined to them.
#[utoipa::path(
    get, path = "/v1/config", operation_id = "get_config", tag = "audit",
    responses((status = 200, description = "The configuration, secrets left out", body = ConfigView))
)]
pub async fn get_config(
    State(service): State<Service>,
    Who(caller): Who,
) -> Result<Json<ConfigView>, ApiError> {
    Ok(Json(service.configuration(&caller)?))
}
