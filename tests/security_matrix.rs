//! Every operation of the OpenAPI document × every role, a provider-scoped token and no token:
//! the answer class the matrix (written once, below) says. The walk is driven by the document,
//! so a new route is walked as soon as it is documented; one the matrix cannot classify fails.
//! Also: the cross-origin form POST, the rate limit and the body limit.

mod common;

use cloudgw::api::Security;
use cloudgw::api::auth::{Tokens, new_token, token_hash};
use cloudgw::config::gateway::{LimitsConfig, TokenConfig};
use cloudgw::service::Role;
use common::{Answer, Gateway, provider_config};
use serde_json::{Value, json};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    Viewer,
    Operator,
    Admin,
    /// An operator scoped to provider `gg` (the walk addresses provider `other`).
    Scoped,
}

/// What an operation is, for the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Public,
    Read,
    Change,
    Admin,
}

/// What an answer must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// 2xx.
    Ok,
    /// Anything but 401 and 403 (a read of a made-up id is 404 from the provider, a GoGrid
    /// volume is 501): the gate and the role let it through.
    Through,
    /// Exactly this status.
    Status(u16),
    /// 404 as for an unconfigured provider.
    HiddenProvider,
}

/// The matrix.
fn expect(class: Class, who: Who, names_provider: bool) -> Expect {
    use Expect::*;
    match (class, who) {
        (Class::Public, _) => Ok,
        (_, Who::Nobody) => Status(401),
        (Class::Admin, Who::Admin) => Ok,
        (Class::Admin, _) => Status(403),
        (Class::Change, Who::Viewer) => Status(403),
        (_, Who::Scoped) if names_provider => HiddenProvider,
        _ => Through,
    }
}

fn classify(operation_id: &str, method: &str) -> Class {
    match operation_id {
        "get_health" | "get_readiness" | "get_metrics" => Class::Public,
        "list_audit" | "list_webhook_deliveries" | "get_config" => Class::Admin,
        _ if method == "get" => Class::Read,
        _ if method == "post" || method == "delete" => Class::Change,
        other => panic!("the matrix does not know {other} ({method}): classify it"),
    }
}

/// A valid body for each documented request body, so that no answer is a body error (a
/// viewer's create must be refused for its role, not for its JSON).
fn body_for(operation_id: &str) -> Option<Value> {
    match operation_id {
        "create_server" => Some(json!({"name": "m", "image_id": "1", "size_id": "1"})),
        "create_volume" => Some(json!({"name": "v", "size_gib": 1})),
        "attach_volume" => Some(json!({"server_id": "s"})),
        _ => None,
    }
}

fn gogrid(id: &str) -> cloudgw::config::ProviderConfig {
    provider_config(
        id,
        "driver = \"gogrid\"\nsimulate = true\n[simulator]\npower_delay_secs = 0.1\n",
    )
}

fn token(name: &str, role: Role, providers: Option<Vec<String>>, secret: &str) -> TokenConfig {
    TokenConfig {
        name: name.into(),
        role,
        providers,
        hash: token_hash(secret),
    }
}

struct Setup {
    gw: Gateway,
    secrets: Vec<(Who, String)>,
}

async fn setup(limits: LimitsConfig) -> Setup {
    let secrets: Vec<(Who, String)> = [Who::Viewer, Who::Operator, Who::Admin, Who::Scoped]
        .into_iter()
        .map(|w| (w, new_token()))
        .collect();
    let configs: Vec<TokenConfig> = secrets
        .iter()
        .map(|(who, secret)| match who {
            Who::Viewer => token("viewer", Role::Viewer, None, secret),
            Who::Operator => token("operator", Role::Operator, None, secret),
            Who::Admin => token("admin", Role::Admin, None, secret),
            _ => token("scoped", Role::Operator, Some(vec!["gg".into()]), secret),
        })
        .collect();
    let security = Security {
        tokens: Tokens::from_config(&configs).unwrap_or_else(|e| panic!("{e}")),
        cors_origins: Vec::new(),
        limits,
    };
    let gw = Gateway::start_secured(vec![gogrid("gg"), gogrid("other")], security).await;
    Setup { gw, secrets }
}

impl Setup {
    fn secret(&self, who: Who) -> Option<&str> {
        self.secrets
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, s)| s.as_str())
    }

    async fn call(&self, who: Who, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let url = self.gw.url(path);
        let mut req = match method {
            "get" => self.gw.client.get(url),
            "post" => self.gw.client.post(url),
            "delete" => self.gw.client.delete(url),
            other => panic!("method {other}"),
        };
        if let Some(secret) = self.secret(who) {
            req = req.bearer_auth(secret);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }
}

#[tokio::test]
async fn every_operation_answers_every_caller_as_the_matrix_says() {
    let s = setup(LimitsConfig::default()).await;
    let doc = serde_json::to_value(cloudgw::api::openapi()).unwrap_or_default();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let mut walked = 0;
    for (template, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let id = op["operationId"].as_str().unwrap_or_default();
            let class = classify(id, method);
            let names_provider = template.contains("{provider}");
            let mut path = template
                .replace("{provider}", "other")
                .replace("{id}", "x-1");
            if id == "stream_events" {
                path.push_str("?timeout=0");
            }
            let body = body_for(id);
            if op.get("requestBody").is_some() {
                assert!(body.is_some(), "{id} takes a body: add one to body_for");
            }
            for who in [
                Who::Nobody,
                Who::Viewer,
                Who::Operator,
                Who::Admin,
                Who::Scoped,
            ] {
                let answer = s.call(who, method, &path, body.as_ref()).await;
                let what = format!("{who:?} {method} {path} ({id}): {answer:?}");
                match expect(class, who, names_provider) {
                    Expect::Ok => assert!((200..300).contains(&answer.status), "{what}"),
                    Expect::Through => assert!(![401, 403].contains(&answer.status), "{what}"),
                    Expect::Status(status) => {
                        assert_eq!(answer.status, status, "{what}");
                        if status == 401 {
                            let challenge = answer.header("www-authenticate").unwrap_or("");
                            assert!(challenge.starts_with("Bearer"), "{what}");
                        }
                    }
                    Expect::HiddenProvider => {
                        assert_eq!(answer.status, 404, "{what}");
                        let detail = answer.body["detail"].as_str().unwrap_or("");
                        assert!(detail.contains("is configured"), "{what}");
                    }
                }
                walked += 1;
            }
        }
    }
    assert!(
        walked >= 5 * 25,
        "only {walked} calls: is the document empty?"
    );
}

#[tokio::test]
async fn a_scoped_token_sees_only_its_providers_in_lists() {
    let s = setup(LimitsConfig::default()).await;
    let providers = s.call(Who::Scoped, "get", "/v1/providers", None).await;
    let ids: Vec<&str> = providers.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, ["gg"], "{providers:?}");
    for list in ["/v1/servers", "/v1/images"] {
        let all = s.call(Who::Scoped, "get", list, None).await;
        assert_eq!(all.status, 200, "{all:?}");
        for item in all.body["items"].as_array().into_iter().flatten() {
            assert_eq!(item["provider"], "gg", "{list}: {item}");
        }
        let errors = all.body["errors"].to_string();
        assert!(!errors.contains("other"), "{list}: {errors}");
    }
    let admin = s.call(Who::Admin, "get", "/v1/providers", None).await;
    assert_eq!(admin.body["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn refusals_and_changes_are_in_the_audit_log_for_admins_only() {
    let s = setup(LimitsConfig::default()).await;
    let stop = "/v1/providers/gg/servers/victim/stop";
    assert_eq!(s.call(Who::Viewer, "post", stop, None).await.status, 403);
    assert_eq!(s.call(Who::Nobody, "post", stop, None).await.status, 401);
    let audit = s
        .call(Who::Admin, "get", "/v1/audit?outcome=refused", None)
        .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let items = audit.body["items"].as_array().cloned().unwrap_or_default();
    let callers: Vec<&str> = items.iter().filter_map(|r| r["caller"].as_str()).collect();
    assert_eq!(callers, ["token:viewer", "unauthenticated"], "{audit:?}");
    assert_eq!(items[0]["provider"], "gg");
    assert_eq!(items[0]["target"], "victim");
    assert_eq!(items[0]["status"], 403);
    let text = audit.body.to_string();
    for (_, secret) in &s.secrets {
        assert!(!text.contains(secret.as_str()), "a token in the audit log");
    }
    let page = s.call(Who::Admin, "get", "/v1/audit?limit=1", None).await;
    let cursor = page.body["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let next = s
        .call(
            Who::Admin,
            "get",
            &format!("/v1/audit?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(next.status, 200, "{next:?}");
    assert_ne!(next.body["items"][0]["seq"], page.body["items"][0]["seq"]);
}

/// The form POST a web page can send to a gateway on the operator's machine.
async fn cross_origin_form_post(gw: &Gateway, bearer: Option<&str>) -> Answer {
    let mut req = gw
        .client
        .post(gw.url("/v1/providers/gg/servers/victim/stop"))
        .header("origin", "http://evil.example")
        .header("host", "evil.example:8080")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=b");
    if let Some(secret) = bearer {
        req = req.bearer_auth(secret);
    }
    gw.send(req).await
}

#[tokio::test]
async fn a_cross_origin_form_post_is_refused_with_and_without_tokens() {
    let open = Gateway::start_secured(vec![gogrid("gg")], Security::default()).await;
    cross_origin_form_post(&open, None)
        .await
        .assert_problem(403, "forbidden");
    let s = setup(LimitsConfig::default()).await;
    // Even with a valid operator token (a browser that holds one in a cookie jar would not
    // send it as a bearer, but an extension might).
    cross_origin_form_post(&s.gw, s.secret(Who::Operator))
        .await
        .assert_problem(403, "forbidden");
    cross_origin_form_post(&s.gw, None)
        .await
        .assert_problem(401, "unauthorized");
    // The same-site JSON call of a tool passes the guard.
    let ok = s
        .call(
            Who::Operator,
            "post",
            "/v1/providers/gg/servers/victim/stop",
            None,
        )
        .await;
    assert!(![401, 403, 415].contains(&ok.status), "{ok:?}");
}

#[tokio::test]
async fn a_form_body_is_415_and_a_large_body_is_413() {
    let limits = LimitsConfig {
        body_bytes: 1024,
        ..LimitsConfig::default()
    };
    let s = setup(limits).await;
    let url = s.gw.url("/v1/providers/gg/servers");
    let secret = s.secret(Who::Operator).unwrap_or_default().to_owned();
    let form =
        s.gw.send(
            s.gw.client
                .post(&url)
                .bearer_auth(&secret)
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    form.assert_problem(415, "invalid_request");
    let big = json!({"name": "x".repeat(4096), "image_id": "1", "size_id": "1"});
    let answer =
        s.gw.send(s.gw.client.post(&url).bearer_auth(&secret).json(&big))
            .await;
    answer.assert_problem(413, "invalid_request");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_and_ratelimit_headers() {
    let limits = LimitsConfig {
        requests_per_minute_per_token: 3,
        ..LimitsConfig::default()
    };
    let s = setup(limits).await;
    for _ in 0..3 {
        let ok = s.call(Who::Viewer, "get", "/v1/providers", None).await;
        assert_eq!(ok.status, 200, "{ok:?}");
        assert!(ok.header("ratelimit-policy").is_some(), "{ok:?}");
    }
    let limited = s.call(Who::Viewer, "get", "/v1/providers", None).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some(), "{limited:?}");
    assert!(
        limited
            .header("ratelimit")
            .is_some_and(|v| v.contains("r=0")),
        "{limited:?}"
    );
    // Per token: another token is not limited, nor are health and metrics.
    assert_eq!(
        s.call(Who::Admin, "get", "/v1/providers", None)
            .await
            .status,
        200
    );
    for _ in 0..5 {
        assert_eq!(
            s.call(Who::Viewer, "get", "/healthz", None).await.status,
            200
        );
    }
}

#[tokio::test]
async fn operations_and_events_are_per_caller_and_per_scope() {
    let s = setup(LimitsConfig::default()).await;
    // Two listeners on /v1/events while the operator creates a server on `other`.
    let events = |who: Who| {
        let req = s.gw.client.get(s.gw.url("/v1/events?timeout=2"));
        let req = req.bearer_auth(s.secret(who).unwrap_or_default());
        tokio::spawn(async move { req.send().await.ok()?.text().await.ok() })
    };
    let (all, scoped) = (events(Who::Admin), events(Who::Scoped));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body = json!({"name": "owned", "image_id": "9928", "size_id": "512MB"});
    let started = s
        .call(
            Who::Operator,
            "post",
            "/v1/providers/other/servers",
            Some(&body),
        )
        .await;
    assert!([200, 202].contains(&started.status), "{started:?}");
    let op = started.body["operation"]["id"].as_str().unwrap_or_default();
    let path = format!("/v1/operations/{op}");
    for (who, status) in [
        (Who::Operator, 200),
        (Who::Admin, 200),
        (Who::Viewer, 404),
        (Who::Scoped, 404),
    ] {
        let answer = s.call(who, "get", &path, None).await;
        assert_eq!(answer.status, status, "{who:?}: {answer:?}");
    }
    let all = all.await.ok().flatten().unwrap_or_default();
    let scoped = scoped.await.ok().flatten().unwrap_or_default();
    assert!(all.contains("/v1/providers/other"), "{all}");
    assert!(!scoped.contains("/v1/providers/other"), "{scoped}");
}

#[tokio::test]
async fn the_configuration_names_providers_tokens_and_scopes_for_admins_without_secrets() {
    let s = setup(LimitsConfig::default()).await;
    let answer = s.call(Who::Admin, "get", "/v1/config", None).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let view = &answer.body;
    let providers: Vec<&str> = view["providers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(providers, ["gg", "other"], "{view}");
    assert_eq!(view["providers"][0]["driver"], "gogrid", "{view}");
    assert_eq!(
        view["providers"][0]["layers"]["retry_attempts"], 3,
        "{view}"
    );
    assert_eq!(view["store"], "memory", "{view}");
    assert_eq!(view["limits"]["max_concurrent_requests"], 512, "{view}");
    let scoped = view["tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "scoped")
        .cloned()
        .unwrap_or_default();
    assert_eq!(scoped["role"], "operator", "{view}");
    assert_eq!(scoped["providers"], json!(["gg"]), "{view}");
    assert_eq!(view["tokens"].as_array().map(Vec::len), Some(4), "{view}");
    // Neither a token nor its hash is part of it.
    let text = view.to_string();
    for (_, secret) in &s.secrets {
        assert!(!text.contains(secret.as_str()), "a token in {text}");
        assert!(
            !text.contains(&token_hash(secret)),
            "a token hash in {text}"
        );
    }
    // Below admin it is refused, like the audit log.
    let operator = s.call(Who::Operator, "get", "/v1/config", None).await;
    operator.assert_problem(403, "forbidden");
}
