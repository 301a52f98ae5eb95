//! A gateway served on a loopback port for tests, with a small JSON HTTP client.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cloudgw::api::{self, AppState};
use cloudgw::config::{ProviderConfig, parse_provider};
use cloudgw::ops::{FollowSettings, Operations};
use cloudgw::registry::Registry;
use cloudgw::store::MemoryStore;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A running gateway.
pub struct Gateway {
    pub base: String,
    pub client: reqwest::Client,
    pub registry: Arc<Registry>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the answer is a problem with `status` and `code`.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            self.status, status,
            "expected {status} {code}, got {self:?}"
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["code"], code, "{self:?}");
        assert_eq!(self.body["status"], status, "{self:?}");
        assert!(
            self.body["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(code)),
            "{self:?}"
        );
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{self:?}"
        );
        assert!(self.body["retryable"].is_boolean(), "{self:?}");
    }
}

/// Parses a provider file written inline, as if it were `providers/<id>.toml`.
pub fn provider_config(id: &str, text: &str) -> ProviderConfig {
    let path = format!("providers/{id}.toml");
    match parse_provider(Path::new(&path), text, &|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(errors) => panic!("bad test provider file: {errors:?}"),
    }
}

/// A GoGrid endpoint served by `app` on a loopback port, as a provider file with the driver's
/// `timeout_secs` and `extra` lines (a `[layers]` table, …). The server runs until the handle
/// is dropped with the test's runtime.
pub async fn fake_gogrid(
    id: &str,
    app: axum::Router,
    timeout_secs: u64,
    extra: &str,
) -> (ProviderConfig, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let text = format!(
        "driver = \"gogrid\"\nendpoint = \"http://{addr}/api\"\napi_key = \"k\"\nshared_secret = \"s\"\ntimeout_secs = {timeout_secs}\n{extra}"
    );
    (provider_config(id, &text), server)
}

/// Settings that follow operations quickly, so tests finish soon.
pub fn quick_follow() -> FollowSettings {
    FollowSettings {
        timeout: Duration::from_secs(60),
        min_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(250),
        not_found_grace: Duration::from_secs(5),
    }
}

impl Gateway {
    /// Starts the gateway with these providers.
    pub async fn start(configs: Vec<ProviderConfig>) -> Gateway {
        let registry = match Registry::start(configs).await {
            Ok(r) => r,
            Err(e) => panic!("registry: {e}"),
        };
        Gateway::serve(registry, quick_follow()).await
    }

    /// Starts the gateway with these providers and security settings (tokens, limits, CORS).
    pub async fn start_secured(configs: Vec<ProviderConfig>, security: api::Security) -> Gateway {
        Gateway::start_secured_with_webhooks(configs, security, Vec::new()).await
    }

    /// [`Gateway::start_secured`] with these webhooks, fed from the gateway's events.
    pub async fn start_secured_with_webhooks(
        configs: Vec<ProviderConfig>,
        security: api::Security,
        webhooks: Vec<cloudgw::webhooks::Webhook>,
    ) -> Gateway {
        let view = cloudgw::service::ConfigView::new(
            &configs,
            &security.tokens.callers(),
            &webhooks,
            &security.cors_origins,
            &security.limits,
            "memory",
        );
        let registry = match Registry::start(configs).await {
            Ok(r) => Arc::new(r),
            Err(e) => panic!("registry: {e}"),
        };
        let store = Arc::new(MemoryStore::new());
        let ops = Operations::new(store.clone(), quick_follow())
            .with_events(cloudgw::events::Events::over(store.clone()));
        let webhooks = cloudgw::webhooks::Webhooks::new(webhooks, store);
        webhooks.start(ops.events(), "test".into());
        let service = cloudgw::service::Service::new(
            registry.clone(),
            ops,
            cloudgw::service::ServiceSettings::default(),
        )
        .with_webhooks(webhooks)
        .with_config(view);
        let app = api::router_secured(service, api::DEFAULT_REQUEST_TIMEOUT, security);
        Gateway::serve_app(registry, app).await
    }

    /// Serves an already built registry.
    pub async fn serve(registry: Registry, follow: FollowSettings) -> Gateway {
        let registry = Arc::new(registry);
        let state = AppState {
            registry: registry.clone(),
            ops: Operations::new(Arc::new(MemoryStore::new()), follow),
        };
        Gateway::serve_app(registry, api::router(state)).await
    }

    /// Serves `app` on a loopback port.
    pub async fn serve_app(registry: Arc<Registry>, app: axum::Router) -> Gateway {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Gateway {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            registry,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn post_empty(&self, path: &str) -> Answer {
        self.send(self.client.post(self.url(path))).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.client.delete(self.url(path))).await
    }

    /// Polls an operation until it ends (bounded: panics after a minute).
    pub async fn wait_operation(&self, id: &str) -> Value {
        for _ in 0..600 {
            let op = self.get(&format!("/v1/operations/{id}")).await;
            assert_eq!(op.status, 200, "{op:?}");
            let status = op.body["status"].as_str().unwrap_or_default();
            if status == "succeeded" || status == "failed" {
                return op.body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("operation {id} did not end within a minute");
    }

    /// Every item of a list, read `limit` at a time (bounded at 1000 pages).
    pub async fn collect(&self, path: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let sep = if path.contains('?') { '&' } else { '?' };
        for _ in 0..1000 {
            let mut url = format!("{path}{sep}limit={limit}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = self.get(&url).await;
            assert_eq!(page.status, 200, "{page:?}");
            let got = page.body["items"].as_array().cloned().unwrap_or_default();
            assert!(
                got.len() <= limit,
                "a page held {} items, more than limit {limit}",
                got.len()
            );
            items.extend(got);
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
        panic!("{path} did not end within 1000 pages");
    }
}
