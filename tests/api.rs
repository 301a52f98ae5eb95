//! API behaviour outside any one driver: error answers, aggregated lists with a failing
//! provider, provider credentials, secrets.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Gateway, fake_gogrid, provider_config};
use serde_json::json;

fn simulated_gogrid() -> cloudgw::config::ProviderConfig {
    provider_config(
        "gogrid",
        "driver = \"gogrid\"\nsimulate = true\n[simulator]\npower_delay_secs = 0.1\n",
    )
}

/// A GoGrid provider whose endpoint refuses connections.
fn unreachable_gogrid(id: &str) -> cloudgw::config::ProviderConfig {
    provider_config(
        id,
        "driver = \"gogrid\"\nendpoint = \"http://127.0.0.1:9/api\"\napi_key = \"KEY-MUST-NOT-LEAK\"\nshared_secret = \"SECRET-MUST-NOT-LEAK\"\ntimeout_secs = 2\n",
    )
}

#[tokio::test]
async fn unknown_route_and_wrong_method_are_problems() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    gw.get("/v1/nothing-here")
        .await
        .assert_problem(404, "not_found");
    let put = gw.send(gw.client.put(gw.url("/v1/providers"))).await;
    put.assert_problem(405, "invalid_request");
    assert!(
        put.header("allow").is_some_and(|a| a.contains("GET")),
        "{put:?}"
    );
    assert!(put.header("x-request-id").is_some(), "{put:?}");
}

#[tokio::test]
async fn unknown_provider_and_operation_are_not_found() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    gw.get("/v1/providers/nope")
        .await
        .assert_problem(404, "not_found");
    gw.get("/v1/providers/nope/images")
        .await
        .assert_problem(404, "not_found");
    gw.post(
        "/v1/providers/nope/servers",
        &json!({"name": "a", "image_id": "1", "size_id": "1"}),
    )
    .await
    .assert_problem(404, "not_found");
    gw.get("/v1/operations/not-an-operation")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn malformed_bodies_are_4xx_problems() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let url = gw.url("/v1/providers/gogrid/servers");
    let json = |body: &'static str| {
        gw.client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
    };
    gw.send(json("{not json"))
        .await
        .assert_problem(400, "invalid_request");
    gw.send(json("[]"))
        .await
        .assert_problem(422, "invalid_request");
    gw.send(json(
        "{\"name\": 5, \"image_id\": \"1\", \"size_id\": \"1\"}",
    ))
    .await
    .assert_problem(422, "invalid_request");
    gw.send(json("{\"image_id\": \"1\", \"size_id\": \"1\"}"))
        .await
        .assert_problem(422, "invalid_request");
    gw.send(gw.client.post(&url).body("{}"))
        .await
        .assert_problem(415, "invalid_request");
    let huge = "x".repeat(3 * 1024 * 1024);
    let big = gw
        .send(
            gw.client
                .post(&url)
                .header("content-type", "application/json")
                .body(huge),
        )
        .await;
    big.assert_problem(413, "invalid_request");
}

#[tokio::test]
async fn bad_idempotency_key_is_rejected() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let long = "k".repeat(300);
    let req = gw
        .client
        .post(gw.url("/v1/providers/gogrid/servers"))
        .header("idempotency-key", long)
        .json(&json!({}));
    gw.send(req).await.assert_problem(400, "invalid_request");
}

#[tokio::test]
async fn aggregated_list_reports_a_failing_provider_and_serves_the_others() {
    let gw = Gateway::start(vec![simulated_gogrid(), unreachable_gogrid("broken")]).await;
    let page = gw.get("/v1/servers").await;
    assert_eq!(page.status, 200, "{page:?}");
    let errors = page.body["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{page:?}");
    assert_eq!(errors[0]["provider"], "broken");
    assert_eq!(errors[0]["problem"]["code"], "provider_unavailable");
    assert_eq!(errors[0]["problem"]["retryable"], true);
    let images = gw.get("/v1/images?limit=3").await;
    assert_eq!(images.status, 200);
    assert!(
        images.body["items"]
            .as_array()
            .is_some_and(|i| !i.is_empty() && i.len() <= 3),
        "{images:?}"
    );
    assert!(
        images.body["items"]
            .as_array()
            .is_some_and(|i| i.iter().all(|x| x["provider"] == "gogrid"))
    );
    let broken = gw.get("/v1/providers/broken").await;
    assert_eq!(broken.body["health"], "unavailable", "{broken:?}");
    let direct = gw.get("/v1/providers/broken/servers").await;
    direct.assert_problem(503, "provider_unavailable");
    assert_eq!(direct.body["provider"], "broken");
}

#[tokio::test]
async fn responses_never_show_provider_secrets() {
    let gw = Gateway::start(vec![unreachable_gogrid("broken")]).await;
    for path in [
        "/v1/providers",
        "/v1/providers/broken",
        "/v1/providers/broken/servers",
        "/v1/servers",
        "/openapi.json",
    ] {
        let answer = gw.send(gw.client.get(gw.url(path))).await;
        let text = answer.body.to_string();
        assert!(
            !text.contains("MUST-NOT-LEAK"),
            "{path} shows a secret: {text}"
        );
    }
}

#[tokio::test]
async fn wrong_provider_credentials_are_a_502_naming_credentials() {
    let options = cloudgw::sim::gogrid::SimOptions {
        provision_delay: Duration::ZERO,
        power_delay: Duration::ZERO,
        ..cloudgw::sim::gogrid::SimOptions::new("real-key", "real-secret")
    };
    let sim = cloudgw::sim::gogrid::spawn(options, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let sim = sim.unwrap_or_else(|e| panic!("simulator: {e}"));
    let text = format!(
        "driver = \"gogrid\"\nendpoint = \"{}\"\napi_key = \"real-key\"\nshared_secret = \"wrong-secret\"\n",
        sim.endpoint()
    );
    let gw = Gateway::start(vec![provider_config("gg", &text)]).await;
    let answer = gw.get("/v1/providers/gg/servers").await;
    answer.assert_problem(502, "provider_unavailable");
    assert!(
        answer.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("credentials")),
        "{answer:?}"
    );
    assert_eq!(answer.body["retryable"], false);
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let health = gw.get("/healthz").await;
    assert_eq!(
        (health.status, health.body["providers"].clone()),
        (200, json!(1))
    );
    assert_eq!(gw.get("/readyz").await.status, 200);
}

#[tokio::test]
async fn docs_render_offline_and_document_is_served() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let doc = gw.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let page = gw
        .client
        .get(gw.url("/docs/"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("swagger-ui"), "{html}");
    let bundle = gw
        .client
        .get(gw.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        bundle.status().as_u16(),
        200,
        "the Swagger UI bundle must be served by the gateway itself"
    );
    let config = gw
        .client
        .get(gw.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let config = config.text().await.unwrap_or_default();
    assert!(config.contains("/openapi.json"), "{config}");
}

#[tokio::test]
async fn provider_rate_limit_is_a_429_with_its_retry_after() {
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "7")],
            "slow down",
        )
    });
    let (config, _server) = fake_gogrid("limited", app, 1, "").await;
    let gw = Gateway::start(vec![config]).await;
    let answer = gw.get("/v1/providers/limited/servers").await;
    answer.assert_problem(429, "rate_limited");
    assert_eq!(answer.header("retry-after"), Some("7"));
    assert_eq!(answer.body["retryable"], true);
}

#[tokio::test]
async fn provider_that_never_answers_is_a_504() {
    let app = axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "too late"
    });
    let (config, _server) = fake_gogrid("silent", app, 1, "").await;
    let gw = Gateway::start(vec![config]).await;
    let answer = gw.get("/v1/providers/silent/sizes").await;
    answer.assert_problem(504, "provider_timeout");
    assert_eq!(answer.body["provider"], "silent");
}

#[tokio::test]
async fn provider_answering_garbage_is_a_502() {
    let app = axum::Router::new().fallback(|| async { "<html>not json</html>" });
    let (config, _server) = fake_gogrid("garbled", app, 1, "").await;
    let gw = Gateway::start(vec![config]).await;
    gw.get("/v1/providers/garbled/images")
        .await
        .assert_problem(502, "provider_unavailable");
}
