//! `/v1/providers/{provider}/servers…`: list, read, create, power actions, delete.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Who;
use super::extract::{JsonBody, Path, Query};
use super::operations::ServerOperationResponse;
use super::problem::ApiError;
use super::render::{ChangeHeaders, change_response};
use crate::model::{CreateServerRequest, Server, ServerAction, ServerList, ServerState};
use crate::service::{Change, PageQuery, ServerQuery, Service};

/// Query of `GET …/servers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListServersParams {
    /// Only servers in this state.
    pub state: Option<ServerState>,
    /// Only servers with exactly this name.
    pub name: Option<String>,
    /// Most items on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListServersParams {
    /// The service's filter and page.
    pub(super) fn split(self) -> (ServerQuery, PageQuery) {
        let query = ServerQuery {
            state: self.state,
            name: self.name,
        };
        let page = PageQuery {
            limit: self.limit,
            cursor: self.cursor,
        };
        (query, page)
    }
}

/// Path of one server.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ServerPath {
    /// Provider id.
    pub provider: String,
    /// Server id (see the provider's driver docs for what it is).
    pub id: String,
}

/// List a provider's servers.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/servers", operation_id = "list_servers", tag = "servers",
    params(("provider" = String, Path, description = "Provider id"), ListServersParams),
    responses((status = 200, description = "A page of servers", body = ServerList))
)]
pub async fn list_servers(
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    Query(params): Query<ListServersParams>,
) -> Result<Json<ServerList>, ApiError> {
    let (query, page) = params.split();
    let list = service
        .list_servers(&caller, &provider, &query, &page)
        .await?;
    Ok(Json(list))
}

/// Read one server.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/servers/{id}", operation_id = "get_server", tag = "servers",
    params(ServerPath),
    responses((status = 200, description = "The server", body = Server))
)]
pub async fn get_server(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<ServerPath>,
) -> Result<Json<Server>, ApiError> {
    let server = service
        .get_server(&caller, &path.provider, &path.id)
        .await?;
    Ok(Json(server))
}

fn render(change: Change<Server>) -> Response {
    change_response(change, |operation, server| ServerOperationResponse {
        operation,
        server,
    })
}

/// Create a server.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/servers", operation_id = "create_server", tag = "servers",
    params(
        ("provider" = String, Path, description = "Provider id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Repeat-safe key: the same key and body answer the first answer again"),
        ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120) for the server to run"),
    ),
    request_body(content = CreateServerRequest, description = "The new server",
        example = json!({"name": "web-1", "image_id": "9928", "size_id": "512MB"})),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = ServerOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Finished within `Prefer: wait`: the server as it now is", body = ServerOperationResponse),
    )
)]
pub async fn create_server(
    State(service): State<Service>,
    Who(caller): Who,
    Path(provider): Path<String>,
    ChangeHeaders(options): ChangeHeaders,
    JsonBody(body): JsonBody<CreateServerRequest>,
) -> Result<Response, ApiError> {
    let change = service
        .create_server(&caller, &provider, &body, &options)
        .await?;
    Ok(render(change))
}

async fn act(
    service: &Service,
    caller: &crate::service::Caller,
    path: &ServerPath,
    options: &crate::service::ChangeOptions,
    action: ServerAction,
) -> Result<Response, ApiError> {
    let change = service
        .server_action(caller, &path.provider, &path.id, action, options)
        .await?;
    Ok(render(change))
}

/// Power a server on.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/servers/{id}/start", operation_id = "start_server", tag = "servers",
    params(ServerPath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = ServerOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Already running, or finished within `Prefer: wait`", body = ServerOperationResponse),
    )
)]
pub async fn start_server(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<ServerPath>,
    ChangeHeaders(options): ChangeHeaders,
) -> Result<Response, ApiError> {
    act(&service, &caller, &path, &options, ServerAction::Start).await
}

/// Power a server off.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/servers/{id}/stop", operation_id = "stop_server", tag = "servers",
    params(ServerPath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = ServerOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Already stopped, or finished within `Prefer: wait`", body = ServerOperationResponse),
    )
)]
pub async fn stop_server(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<ServerPath>,
    ChangeHeaders(options): ChangeHeaders,
) -> Result<Response, ApiError> {
    act(&service, &caller, &path, &options, ServerAction::Stop).await
}

/// Restart a server.
#[utoipa::path(
    post, path = "/v1/providers/{provider}/servers/{id}/reboot", operation_id = "reboot_server", tag = "servers",
    params(ServerPath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = ServerOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Finished within `Prefer: wait`", body = ServerOperationResponse),
    )
)]
pub async fn reboot_server(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<ServerPath>,
    ChangeHeaders(options): ChangeHeaders,
) -> Result<Response, ApiError> {
    act(&service, &caller, &path, &options, ServerAction::Reboot).await
}

/// Terminate a server.
#[utoipa::path(
    delete, path = "/v1/providers/{provider}/servers/{id}", operation_id = "delete_server", tag = "servers",
    params(ServerPath, ("Prefer" = Option<String>, Header, nullable = false, description = "`wait=N`: wait up to N seconds (max 120)")),
    responses(
        (status = 202, description = "Accepted; follow the operation at `Location`", body = ServerOperationResponse,
            headers(("Location" = String, description = "The operation"))),
        (status = 200, description = "Already terminated, or finished within `Prefer: wait`", body = ServerOperationResponse),
    )
)]
pub async fn delete_server(
    State(service): State<Service>,
    Who(caller): Who,
    Path(path): Path<ServerPath>,
    ChangeHeaders(options): ChangeHeaders,
) -> Result<Response, ApiError> {
    act(&service, &caller, &path, &options, ServerAction::Delete).await
}
