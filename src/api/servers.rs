//! `/v1/providers/{provider}/servers…`: list, read, create, power actions, delete.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::extract::{JsonBody, Path, Query};
use super::pagination::{provider_next_cursor, provider_request};
use super::problem::ApiError;
use super::respond::{Outcome, outcome_response, provider, require, require_option, settle};
use crate::driver::{DriverError, DriverOp, ListRequest, Page, ServerFilter};
use crate::model::{
    ActionAdmission, CreateServerRequest, Problem, ProblemCode, ResourceKind, Server, ServerAction,
    ServerList, ServerOperationResponse, ServerState,
};
use crate::ops::{Goal, action_kind, action_op};
use crate::registry::ProviderEntry;

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
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(params): Query<ListServersParams>,
) -> Result<Json<ServerList>, ApiError> {
    let entry = provider(&state, &provider_id)?;
    let req = provider_request(
        "servers",
        entry.id(),
        params.limit,
        params.cursor.as_deref(),
    )?;
    let page = page_of_servers(&entry, req, params.filter()).await?;
    Ok(Json(ServerList {
        items: page.items,
        next_cursor: provider_next_cursor("servers", entry.id(), page.next_cursor),
    }))
}

impl ListServersParams {
    pub(super) fn filter(&self) -> ServerFilter {
        ServerFilter {
            state: self.state,
            name: self.name.clone(),
        }
    }
}

/// One provider's page of servers, finished for the API.
pub(super) async fn page_of_servers(
    entry: &ProviderEntry,
    req: ListRequest,
    filter: ServerFilter,
) -> Result<Page<Server>, DriverError> {
    let page = entry
        .call(DriverOp::ListServers, || {
            entry.driver().list_servers(&req, &filter)
        })
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|s| entry.finish_server(s))
        .collect();
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Read one server.
#[utoipa::path(
    get, path = "/v1/providers/{provider}/servers/{id}", operation_id = "get_server", tag = "servers",
    params(ServerPath),
    responses((status = 200, description = "The server", body = Server))
)]
pub async fn get_server(
    State(state): State<AppState>,
    Path(path): Path<ServerPath>,
) -> Result<Json<Server>, ApiError> {
    let entry = provider(&state, &path.provider)?;
    Ok(Json(fetch(&entry, &path.id).await?))
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
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateServerRequest>,
) -> Result<Response, ApiError> {
    let entry = provider(&state, &provider_id)?;
    require(&entry, DriverOp::CreateServer)?;
    validate_create(&entry, &body)?;
    let token = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let created = entry
        .call(DriverOp::CreateServer, || {
            entry.driver().create_server(&body, token)
        })
        .await?;
    let server = entry.finish_server(created);
    let op = state
        .ops
        .begin(
            entry.clone(),
            crate::model::OperationKind::CreateServer,
            &server.id,
            Goal::Server(ServerState::Running),
        )
        .await?;
    answer(&state, &headers, &entry, op, server, false).await
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
    state: State<AppState>,
    path: Path<ServerPath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    act(state, path, headers, ServerAction::Start).await
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
    state: State<AppState>,
    path: Path<ServerPath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    act(state, path, headers, ServerAction::Stop).await
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
    state: State<AppState>,
    path: Path<ServerPath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    act(state, path, headers, ServerAction::Reboot).await
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
    state: State<AppState>,
    path: Path<ServerPath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    act(state, path, headers, ServerAction::Delete).await
}

async fn fetch(entry: &ProviderEntry, id: &str) -> Result<Server, ApiError> {
    let server = entry
        .call(DriverOp::GetServer, || entry.driver().get_server(id))
        .await?;
    Ok(entry.finish_server(server))
}

/// The rules of power actions for every driver: already there → 200 at once; not possible in
/// this state → 409; otherwise ask the provider and follow the operation.
async fn act(
    State(state): State<AppState>,
    Path(path): Path<ServerPath>,
    headers: HeaderMap,
    action: ServerAction,
) -> Result<Response, ApiError> {
    let entry = provider(&state, &path.provider)?;
    let op_kind = action_op(action);
    require(&entry, op_kind)?;
    let server = fetch(&entry, &path.id).await?;
    match server.state.admits(action) {
        ActionAdmission::AlreadyDone => {
            let op = state
                .ops
                .already_done(
                    entry.id(),
                    action_kind(action),
                    &server.id,
                    ResourceKind::Server,
                )
                .await?;
            let outcome = Outcome::Done(op, server);
            Ok(outcome_response(outcome, |operation, server| {
                ServerOperationResponse { operation, server }
            }))
        }
        ActionAdmission::Conflict => Err(conflict(&entry, &server, action)),
        ActionAdmission::Allowed => {
            let driver = entry.driver();
            let call = || async {
                match action {
                    ServerAction::Start => driver.start_server(&path.id).await,
                    ServerAction::Stop => driver.stop_server(&path.id).await,
                    ServerAction::Reboot => driver.reboot_server(&path.id).await,
                    ServerAction::Delete => driver.delete_server(&path.id).await,
                }
            };
            let after = entry.finish_server(entry.call(op_kind, call).await?);
            let goal = match action {
                ServerAction::Delete => Goal::ServerGone,
                other => Goal::Server(ServerState::after(other)),
            };
            let op = state
                .ops
                .begin(entry.clone(), action_kind(action), &server.id, goal)
                .await?;
            answer(
                &state,
                &headers,
                &entry,
                op,
                after,
                action == ServerAction::Delete,
            )
            .await
        }
    }
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    entry: &std::sync::Arc<ProviderEntry>,
    op: crate::model::Operation,
    server: Server,
    deleted: bool,
) -> Result<Response, ApiError> {
    let id = server.id.clone();
    let outcome = settle(state, headers, op, server, |last| async move {
        if deleted {
            let mut gone = last;
            gone.state = ServerState::Terminated;
            gone.actions.clear();
            Ok(gone)
        } else {
            fetch(entry, &id).await
        }
    })
    .await?;
    Ok(outcome_response(outcome, |operation, server| {
        ServerOperationResponse { operation, server }
    }))
}

fn conflict(entry: &ProviderEntry, server: &Server, action: ServerAction) -> ApiError {
    let detail = format!(
        "cannot {} server {} in state {}",
        action.as_str(),
        server.id,
        server.state.as_str()
    );
    Problem::new(ProblemCode::InvalidState, 409, detail)
        .with_provider(entry.id())
        .into()
}

fn validate_create(entry: &ProviderEntry, body: &CreateServerRequest) -> Result<(), ApiError> {
    for (field, value) in [
        ("name", &body.name),
        ("image_id", &body.image_id),
        ("size_id", &body.size_id),
    ] {
        if value.trim().is_empty() {
            return Err(Problem::unprocessable(format!("`{field}` must not be empty")).into());
        }
    }
    let caps = entry.capabilities();
    if body.region.is_some() {
        require_option(entry, caps.create_server_in_region, "region")?;
    }
    if body.zone.is_some() {
        require_option(entry, caps.create_server_in_zone, "zone")?;
    }
    if body.key_name.is_some() {
        require_option(entry, caps.create_server_with_key_name, "key_name")?;
    }
    if body.user_data.is_some() {
        require_option(entry, caps.create_server_with_user_data, "user_data")?;
    }
    if body.tags.as_ref().is_some_and(|t| !t.is_empty()) {
        require_option(entry, caps.create_server_with_tags, "tags")?;
    }
    Ok(())
}
