//! The layer stack seen through the API: a rate-limited provider ends in a bounded number of
//! calls with `rate_limited` and its `Retry-After`; `/readyz` and `/v1/providers` show a provider
//! that is down and its breaker; request ids; the `[layers]` table of a provider file.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Gateway, fake_gogrid, provider_config};

/// A provider that answers every request `429` with `Retry-After: 1`, counting the requests.
fn always_rate_limited(hits: Arc<AtomicUsize>) -> axum::Router {
    axum::Router::new().fallback(move || {
        let hits = hits.clone();
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "slow down",
            )
        }
    })
}

#[tokio::test]
async fn a_provider_answering_429_forever_costs_a_bounded_number_of_calls() {
    let hits = Arc::new(AtomicUsize::new(0));
    let (config, _server) = fake_gogrid("limited", always_rate_limited(hits.clone()), 5, "").await;
    let gw = Gateway::start(vec![config]).await;
    let answer = gw.get("/v1/providers/limited/servers").await;
    answer.assert_problem(429, "rate_limited");
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(answer.body["retryable"], true);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "retry_attempts = 3 by default, whatever Retry-After says"
    );
    let info = gw.get("/v1/providers/limited").await;
    assert_eq!(info.body["health"], "rate_limited", "{info:?}");
    assert_eq!(info.body["breaker"], "closed", "{info:?}");
}

#[tokio::test]
async fn the_retry_budget_ends_retries_before_the_attempts_run_out() {
    let hits = Arc::new(AtomicUsize::new(0));
    let layers = "[layers]\nretry_attempts = 10\nretry_budget_secs = 1.9\n";
    let (config, _server) =
        fake_gogrid("limited", always_rate_limited(hits.clone()), 5, layers).await;
    let gw = Gateway::start(vec![config]).await;
    gw.get("/v1/providers/limited/sizes")
        .await
        .assert_problem(429, "rate_limited");
    // A 1 s pause fits in 1.9 s once; a second would end past the budget.
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

/// A GoGrid provider whose endpoint refuses connections.
fn unreachable_gogrid(id: &str, extra: &str) -> cloudgw::config::ProviderConfig {
    provider_config(
        id,
        &format!(
            "driver = \"gogrid\"\nendpoint = \"http://127.0.0.1:9/api\"\napi_key = \"k\"\nshared_secret = \"s\"\ntimeout_secs = 2\n{extra}"
        ),
    )
}

#[tokio::test]
async fn readiness_fails_when_every_provider_is_down_and_the_breaker_shows() {
    let layers = "[layers]\nbreaker_failures = 2\n";
    let gw = Gateway::start(vec![unreachable_gogrid("broken", layers)]).await;
    let ready = gw.get("/readyz").await;
    assert_eq!(ready.status, 200, "not called yet: {ready:?}");
    gw.get("/v1/providers/broken/servers")
        .await
        .assert_problem(503, "provider_unavailable");
    let ready = gw.get("/readyz").await;
    ready.assert_problem(503, "provider_unavailable");
    assert_eq!(ready.body["retryable"], true);
    let info = gw.get("/v1/providers/broken").await;
    assert_eq!(info.body["health"], "unavailable", "{info:?}");
    assert_eq!(info.body["breaker"], "open", "{info:?}");
    // While open the provider is not called at all: the answer says when to come back.
    let refused = gw.get("/v1/providers/broken/images").await;
    refused.assert_problem(503, "provider_unavailable");
    assert_eq!(refused.body["retryable"], true);
    assert!(refused.header("retry-after").is_some(), "{refused:?}");
    assert_eq!(gw.get("/healthz").await.status, 200, "liveness stays up");
}

#[tokio::test]
async fn readiness_holds_while_one_provider_still_serves() {
    let simulated = provider_config("gogrid", "driver = \"gogrid\"\nsimulate = true\n");
    let gw = Gateway::start(vec![simulated, unreachable_gogrid("broken", "")]).await;
    let _ = gw.get("/v1/servers").await;
    let ready = gw.get("/readyz").await;
    assert_eq!(ready.status, 200, "{ready:?}");
    assert_eq!(
        (
            ready.body["providers"].clone(),
            ready.body["usable_providers"].clone()
        ),
        (serde_json::json!(2), serde_json::json!(1))
    );
}

#[tokio::test]
async fn the_clients_request_id_is_answered_back() {
    let simulated = provider_config("gogrid", "driver = \"gogrid\"\nsimulate = true\n");
    let gw = Gateway::start(vec![simulated]).await;
    let answer = gw
        .send(
            gw.client
                .get(gw.url("/v1/providers/gogrid/sizes"))
                .header("x-request-id", "trace-me-42"),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("x-request-id"), Some("trace-me-42"));
    let generated = gw.get("/v1/providers").await;
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| id.len() >= 32),
        "{generated:?}"
    );
}

#[test]
fn the_layers_table_is_read_and_checked_naming_the_field() {
    let path = Path::new("providers/p.toml");
    let lookup = |_: &str| None;
    let good =
        "driver = \"gogrid\"\nsimulate = true\n[layers]\nmax_concurrency = 4\ncoalesce = false\n";
    let config = cloudgw::config::parse_provider(path, good, &lookup);
    let config = config.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(config.layers.max_concurrency, 4);
    assert!(!config.layers.coalesce);
    assert_eq!(
        config.layers.retry_attempts, 3,
        "unset keys keep their defaults"
    );
    for (text, field) in [
        ("[layers]\nretries = 2\n", "layers.retries"),
        ("[layers]\nretry_attempts = 0\n", "layers.retry_attempts"),
        (
            "[layers]\nattempt_timeout_secs = \"soon\"\n",
            "layers.attempt_timeout_secs",
        ),
    ] {
        let text = format!("driver = \"gogrid\"\nsimulate = true\n{text}");
        let errors = match cloudgw::config::parse_provider(path, &text, &lookup) {
            Ok(_) => panic!("accepted: {text}"),
            Err(errors) => errors,
        };
        assert_eq!(errors[0].field.as_deref(), Some(field), "{errors:?}");
        assert!(errors[0].line.is_some(), "{errors:?}");
    }
}
