//! Canary: recognisable fake secrets (provider credentials, API tokens) are configured, every
//! documented route is driven — including against a provider that echoes its request URL and
//! headers in its error — with logging at TRACE, and none of the secrets appears in any
//! response, log line or `/metrics`.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::response::IntoResponse;
use cloudgw::api::Security;
use cloudgw::api::auth::{Tokens, token_hash};
use cloudgw::config::gateway::{LimitsConfig, TokenConfig};
use cloudgw::service::Role;
use common::{Gateway, provider_config};
use serde_json::json;

const API_KEY: &str = "CANARY-APIKEY-7f3a9c";
const SHARED_SECRET: &str = "CANARY-SHARED-SECRET-51d2";
const TOKEN: &str = "cgw_CANARY0TOKEN0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// `whsec_` and the base64 of `CANARY-WEBHOOK-SECRET-00000000`.
const WEBHOOK_SECRET: &str = "whsec_Q0FOQVJZLVdFQkhPT0stU0VDUkVULTAwMDAwMDAw";
/// A receiver's own token in its URL: never shown either.
const RECEIVER_TOKEN: &str = "CANARY-RECEIVER-TOKEN-9e1b";
const CANARIES: [&str; 6] = [
    API_KEY,
    SHARED_SECRET,
    TOKEN,
    WEBHOOK_SECRET,
    "Q0FOQVJZLVdFQkhPT0stU0VDUkVULTAwMDAwMDAw",
    RECEIVER_TOKEN,
];

/// Log lines, as the subscriber wrote them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut lines) = self.0.lock() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A GoGrid endpoint that fails every call, echoing the request URL and headers.
async fn echo(req: Request) -> axum::response::Response {
    let headers: Vec<String> = req
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("")))
        .collect();
    let message = format!(
        "bad input for request {} headers {}",
        req.uri(),
        headers.join("; ")
    );
    let body = json!({"status": "failure", "method": "x", "summary": {"total": 1},
        "list": [{"object": "error", "errorcode": "IllegalArgumentException", "message": message}]});
    (axum::http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

#[tokio::test]
async fn no_secret_reaches_a_response_a_log_line_or_the_metrics() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .try_init();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, axum::Router::new().fallback(echo)).await;
    });
    let echoing = provider_config(
        "echo",
        &format!(
            "driver = \"gogrid\"\nendpoint = \"http://{addr}/api\"\napi_key = \"{API_KEY}\"\n\
             shared_secret = \"{SHARED_SECRET}\"\ntimeout_secs = 5\n[layers]\nretry_attempts = 1\n"
        ),
    );
    let mut answers = Vec::new();
    let security = Security {
        tokens: Tokens::from_config(&[TokenConfig {
            name: "canary".into(),
            role: Role::Admin,
            providers: None,
            hash: token_hash(TOKEN),
        }])
        .unwrap_or_else(|e| panic!("{e}")),
        cors_origins: Vec::new(),
        limits: LimitsConfig::default(),
    };
    // A webhook to the echoing endpoint: every delivery fails there, and is logged.
    let hook: cloudgw::webhooks::WebhookConfig = toml::from_str(&format!(
        "url = \"http://{addr}/hook?token={RECEIVER_TOKEN}\"\nsecret = \"{WEBHOOK_SECRET}\"\nmax_attempts = 1\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let hook = hook.check().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        !format!("{hook:?}").contains("Q0FOQVJZ"),
        "Debug of a webhook"
    );
    // A simulated provider beside it, whose creates succeed and so produce events to deliver.
    let simulated = provider_config("sim", "driver = \"gogrid\"\nsimulate = true\n");
    let gw =
        Gateway::start_secured_with_webhooks(vec![echoing, simulated], security, vec![hook]).await;
    let created = gw
        .send(
            gw.client
                .post(gw.url("/v1/providers/sim/servers"))
                .bearer_auth(TOKEN)
                .json(&json!({"name": "canary", "image_id": "9928", "size_id": "512MB"})),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    let mut dead = serde_json::Value::Null;
    for _ in 0..100 {
        let listed = gw
            .send(
                gw.client
                    .get(gw.url("/v1/webhooks/deliveries?status=failed"))
                    .bearer_auth(TOKEN),
            )
            .await;
        if listed.body["items"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            dead = listed.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        dead["items"][0]["last_status"], 400,
        "a delivery was tried: {dead}"
    );
    answers.push(dead.to_string());

    let doc = serde_json::to_value(cloudgw::api::openapi()).unwrap_or_default();
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let mut path = template
                .replace("{provider}", "echo")
                .replace("{id}", "victim");
            if op["operationId"] == "stream_events" {
                path.push_str("?timeout=0");
            }
            let url = gw.url(&path);
            let req = match method.as_str() {
                "get" => gw.client.get(url),
                "post" => gw
                    .client
                    .post(url)
                    .json(&json!({"name": "n", "image_id": "1", "size_id": "1", "size_gib": 1, "server_id": "s"})),
                _ => gw.client.delete(url),
            };
            // With the token, and once with a wrong token that holds a canary as well.
            for bearer in [TOKEN, "cgw_wrong_CANARY-APIKEY-7f3a9c"] {
                let response = req
                    .try_clone()
                    .unwrap_or_else(|| panic!("clone"))
                    .bearer_auth(bearer)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let status = response.status().as_u16();
                let headers = format!("{:?}", response.headers());
                let body = response.text().await.unwrap_or_default();
                answers.push(format!("{method} {path} {status} {headers} {body}"));
            }
        }
    }
    let servers = gw
        .send(gw.client.get(gw.url("/v1/servers")).bearer_auth(TOKEN))
        .await;
    assert!(
        servers.body["errors"]
            .to_string()
            .contains("api_key=******"),
        "the echoed URL should be there, scrubbed: {servers:?}"
    );
    let logs = String::from_utf8_lossy(&captured.0.lock().map(|l| l.clone()).unwrap_or_default())
        .into_owned();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "no logs captured"
    );
    for secret in CANARIES {
        for answer in &answers {
            assert!(!answer.contains(secret), "{secret} in an answer: {answer}");
        }
        for line in logs.lines() {
            assert!(!line.contains(secret), "{secret} in a log line: {line}");
        }
    }
    let text = gw
        .client
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(text.contains("cloudgw_"), "{text}");
    for secret in CANARIES {
        assert!(!text.contains(secret), "{secret} in /metrics");
    }
}
