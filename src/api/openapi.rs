//! The OpenAPI 3.1 document: generated from the handlers, then completed with the problem
//! answers every operation can give (one table, below).

use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    aggregate, audit, catalog, config, events, health, operations, providers, servers, volumes,
    webhooks,
};
use crate::service::Service;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cloudgw",
        description = "One REST API for many clouds: servers, images, sizes, regions and volumes \
                       at AWS EC2, GoGrid-style and OCCI providers. Errors are RFC 9457 problems \
                       (`application/problem+json`); creates, actions and deletes answer 202 with \
                       an operation to follow.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "http://127.0.0.1:8080", description = "A gateway on its default address")),
    tags(
        (name = "providers", description = "Configured provider accounts"),
        (name = "servers", description = "Virtual machines"),
        (name = "images", description = "Machine images"),
        (name = "sizes", description = "Hardware profiles"),
        (name = "regions", description = "Regions, datacenters and zones"),
        (name = "volumes", description = "Block storage volumes"),
        (name = "operations", description = "Long-running changes"),
        (name = "events", description = "Change events and their webhook deliveries"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "audit", description = "Who changed what, what was refused, and the configuration (admin)"),
    ),
    components(schemas(crate::model::Problem, crate::model::CloudEvent, crate::model::EventType, crate::model::ServerSentEvent))
)]
struct ApiDoc;

/// The API routes with their documentation.
pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(providers::list_providers))
        .routes(routes!(providers::get_provider))
        .routes(routes!(servers::list_servers, servers::create_server))
        .routes(routes!(servers::get_server, servers::delete_server))
        .routes(routes!(servers::start_server))
        .routes(routes!(servers::stop_server))
        .routes(routes!(servers::reboot_server))
        .routes(routes!(catalog::list_images))
        .routes(routes!(catalog::get_image))
        .routes(routes!(catalog::list_sizes))
        .routes(routes!(catalog::list_regions))
        .routes(routes!(volumes::list_volumes, volumes::create_volume))
        .routes(routes!(volumes::get_volume, volumes::delete_volume))
        .routes(routes!(volumes::attach_volume))
        .routes(routes!(volumes::detach_volume))
        .routes(routes!(aggregate::list_all_servers))
        .routes(routes!(aggregate::list_all_images))
        .routes(routes!(aggregate::list_all_volumes))
        .routes(routes!(operations::list_operations))
        .routes(routes!(operations::get_operation))
        .routes(routes!(events::stream_events))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(audit::list_audit))
        .routes(routes!(config::get_config))
        .routes(routes!(health::get_health))
        .routes(routes!(health::get_readiness))
        .routes(routes!(health::get_metrics))
}

/// The complete OpenAPI document, as `/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = routes().split_for_parts();
    finish(doc)
}

/// The same document as OpenAPI 3.0.3 (for generators that read only 3.0; see
/// [`super::openapi30`]).
pub fn openapi_3_0() -> serde_json::Value {
    let text = openapi().to_json().unwrap_or_default();
    let doc = serde_json::from_str(&text).unwrap_or_default();
    super::openapi30::downgrade(doc)
}

/// The name of the bearer security scheme.
const BEARER: &str = "bearer";

/// Operations anyone may call without a token (probes, scrapers; see [`super::gate`]).
pub(super) fn is_public_operation(operation_id: &str) -> bool {
    matches!(operation_id, "get_health" | "get_readiness" | "get_metrics")
}

/// Adds the problem answers to every operation, `304` to the JSON reads, and the bearer
/// security scheme to every operation that needs a token when tokens are configured.
pub(super) fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A token from `cloudgw token new` (`cgw_…`); needed when the gateway has \
                     tokens configured",
                ))
                .build(),
        ),
    );
    for item in doc.paths.paths.values_mut() {
        if let Some(get) = &mut item.get {
            add_not_modified(get);
        }
        for op in [&mut item.get, &mut item.post, &mut item.delete]
            .into_iter()
            .flatten()
        {
            add_problems(op);
            let id = op.operation_id.clone().unwrap_or_default();
            if !is_public_operation(&id) {
                // Optional (`{}` first): a gateway without tokens configured takes none, one
                // with tokens needs the bearer token (README "Security").
                op.security = Some(vec![
                    SecurityRequirement::default(),
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                ]);
            }
        }
    }
    doc
}

/// Every JSON read answers with an `ETag`; `If-None-Match` naming it answers 304 (see
/// [`super::etag`]). Streams and plain-text reads have no tag.
fn add_not_modified(op: &mut Operation) {
    let id = op.operation_id.as_deref().unwrap_or_default();
    if matches!(id, "stream_events" | "get_metrics") {
        return;
    }
    let response = ResponseBuilder::new()
        .description(
            "Not modified: `If-None-Match` names the `ETag` of the current representation (every \
             200 answer carries its strong `ETag`); no body",
        )
        .build();
    op.responses
        .responses
        .insert("304".to_owned(), RefOr::T(response));
}

fn add_problems(op: &mut Operation) {
    let id = op.operation_id.clone().unwrap_or_default();
    let mut statuses = problem_statuses(&id).to_vec();
    if !is_public_operation(&id) {
        // The gate's answers (see `super::gate`): no or a wrong token, not allowed, the rate
        // limit, the concurrency cap, the request timeout.
        statuses.extend([401, 403, 429, 503, 504]);
    }
    if op.request_body.is_some() {
        statuses.push(413);
    }
    let change = [
        "create_", "delete_", "start_", "stop_", "reboot_", "attach_", "detach_",
    ];
    if change.iter().any(|c| id.starts_with(c)) {
        // A body that is not JSON is 415 (the browser guard), even for an action without one.
        statuses.push(415);
    }
    statuses.sort_unstable();
    statuses.dedup();
    for status in &statuses {
        let content = || {
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
                .build()
        };
        // The same problem, labelled plain JSON for clients that accept only that.
        let response = ResponseBuilder::new()
            .description(problem_description(*status))
            .content(super::PROBLEM_JSON, content())
            .content(super::problem::PLAIN_JSON, content())
            .build();
        op.responses
            .responses
            .insert(status.to_string(), RefOr::T(response));
    }
}

/// Which problem statuses each operation can answer.
fn problem_statuses(operation_id: &str) -> &'static [u16] {
    match operation_id {
        "list_providers" | "get_health" => &[500],
        "get_readiness" => &[500, 503],
        "get_provider" | "get_operation" => &[404, 500],
        "list_all_servers" | "list_all_images" | "list_all_volumes" => &[400, 500],
        "list_servers" | "list_images" | "list_sizes" | "list_regions" | "list_volumes"
        | "get_server" | "get_image" | "get_volume" => &[400, 404, 429, 500, 501, 502, 503, 504],
        "create_server" | "create_volume" | "attach_volume" => {
            &[400, 404, 409, 415, 422, 429, 500, 501, 502, 503, 504]
        }
        "start_server" | "stop_server" | "reboot_server" | "detach_volume" => {
            &[400, 404, 409, 422, 429, 500, 501, 502, 503, 504]
        }
        "delete_server" | "delete_volume" => &[400, 404, 409, 429, 500, 501, 502, 503, 504],
        "stream_events" => &[400, 404, 500],
        "list_audit" => &[400, 404, 500],
        "get_metrics" => &[500],
        _ => &[400, 404, 500],
    }
}

fn problem_description(status: u16) -> &'static str {
    match status {
        400 => "Invalid request: malformed input (`invalid_request`)",
        401 => {
            "No bearer token, or one the gateway does not know (`unauthorized`; `WWW-Authenticate: Bearer`)"
        }
        403 => {
            "The token's role does not allow this, or a browser page of another origin sent it (`forbidden`)"
        }
        413 => "The body is larger than the gateway's `[limits] body_bytes` (`invalid_request`)",
        404 => "Not found: unknown provider or resource (`not_found`)",
        409 => {
            "Invalid state for this request, or a request with the same Idempotency-Key is in flight (`invalid_state`)"
        }
        415 => "The body is not JSON (`invalid_request`)",
        422 => {
            "Unacceptable values, or an Idempotency-Key reused with another body (`invalid_request`)"
        }
        429 => {
            "Rate limited by the provider or by the token's rate limit; see Retry-After and RateLimit (`rate_limited`)"
        }
        500 => "A bug in the gateway (`internal`)",
        501 => "The provider does not support this (`unsupported`)",
        502 => {
            "The provider answered something unusable or rejected the gateway's credentials (`provider_unavailable`)"
        }
        503 => {
            "The provider could not be reached, or the gateway serves its most concurrent requests (`provider_unavailable`)"
        }
        504 => {
            "The provider did not answer in time, or the request exceeded the gateway's request timeout (`provider_timeout`)"
        }
        _ => "Problem",
    }
}
