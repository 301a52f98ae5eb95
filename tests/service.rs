//! The service layer seen from outside: forged and unbounded cursors never reach a provider,
//! names with control characters are refused, reads carry an ETag and answer 304, aggregated
//! lists answer within their deadline when a provider hangs, and the verbs (with idempotency)
//! work without any front end.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Gateway, provider_config, quick_follow};
use serde_json::{Value, json};

use cloudgw::model::{CreateServerRequest, ServerAction};
use cloudgw::ops::Operations;
use cloudgw::registry::Registry;
use cloudgw::service::{Caller, ChangeOptions, IdempotencyKey, Service, ServiceSettings};
use cloudgw::store::MemoryStore;

fn simulated_gogrid() -> cloudgw::config::ProviderConfig {
    provider_config(
        "gogrid",
        "driver = \"gogrid\"\nsimulate = true\n[simulator]\npower_delay_secs = 0.1\n",
    )
}

/// A GoGrid endpoint that counts the requests it gets and never answers them.
async fn hanging_gogrid(id: &str) -> (cloudgw::config::ProviderConfig, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<&'static str>()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    // The driver's own timeout is far longer than the aggregate deadline under test.
    let text = format!(
        "driver = \"gogrid\"\nendpoint = \"http://{addr}/api\"\napi_key = \"k\"\nshared_secret = \"s\"\ntimeout_secs = 120\n"
    );
    (provider_config(id, &text), hits)
}

async fn service_of(
    configs: Vec<cloudgw::config::ProviderConfig>,
    settings: ServiceSettings,
) -> Service {
    let registry = Registry::start(configs)
        .await
        .unwrap_or_else(|e| panic!("registry: {e}"));
    let ops = Operations::new(Arc::new(MemoryStore::new()), quick_follow());
    Service::new(Arc::new(registry), ops, settings)
}

/// Serves `service` on a loopback port; returns its base URL.
async fn serve(service: Service) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let app = cloudgw::api::router_for(service, cloudgw::api::DEFAULT_REQUEST_TIMEOUT);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn unsigned_cursor(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json.as_bytes())
}

#[tokio::test]
async fn forged_aggregated_cursors_are_400_and_never_reach_the_provider() {
    let (config, hits) = hanging_gogrid("lg").await;
    let gw = Gateway::start(vec![config]).await;
    for forged in [
        r#"{"l":"servers","a":{"lg":{"c":null,"s":1000000000}}}"#,
        r#"{"l":"servers","a":{"lg":{"c":null,"s":18446744073709551615}}}"#,
    ] {
        let answer = gw
            .get(&format!("/v1/servers?cursor={}", unsigned_cursor(forged)))
            .await;
        answer.assert_problem(400, "invalid_request");
    }
    let per_provider = unsigned_cursor(r#"{"l":"servers@lg","c":"1000000000"}"#);
    gw.get(&format!("/v1/providers/lg/servers?cursor={per_provider}"))
        .await
        .assert_problem(400, "invalid_request");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a forged cursor reached the provider"
    );
}

#[tokio::test]
async fn a_name_with_a_nul_character_is_refused_and_nothing_is_created() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let images = gw.get("/v1/providers/gogrid/images?limit=1").await;
    let sizes = gw.get("/v1/providers/gogrid/sizes?limit=1").await;
    let body = json!({
        "name": "a\u{0}b",
        "image_id": images.body["items"][0]["id"],
        "size_id": sizes.body["items"][0]["id"],
    });
    let answer = gw.post("/v1/providers/gogrid/servers", &body).await;
    answer.assert_problem(422, "invalid_request");
    assert!(
        answer.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("name") && d.contains("control")),
        "{answer:?}"
    );
    let escape =
        json!({"name": "x\u{1b}[2J", "image_id": body["image_id"], "size_id": body["size_id"]});
    gw.post("/v1/providers/gogrid/servers", &escape)
        .await
        .assert_problem(422, "invalid_request");
    gw.get("/v1/providers/gogrid/servers?name=a%00b")
        .await
        .assert_problem(400, "invalid_request");
    let servers = gw.collect("/v1/providers/gogrid/servers", 100).await;
    assert!(
        servers.is_empty(),
        "a refused create left a server: {servers:?}"
    );
}

#[tokio::test]
async fn reads_carry_a_strong_etag_and_if_none_match_answers_304() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let first = gw.get("/v1/providers/gogrid/sizes").await;
    assert_eq!(first.status, 200);
    let tag = first
        .header("etag")
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no ETag: {first:?}"));
    assert!(tag.starts_with('"') && !tag.starts_with("W/"), "{tag}");
    let again = gw
        .send(
            gw.client
                .get(gw.url("/v1/providers/gogrid/sizes"))
                .header("if-none-match", &tag),
        )
        .await;
    assert_eq!(again.status, 304, "{again:?}");
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    assert_eq!(again.body, Value::Null);
    let other = gw
        .send(
            gw.client
                .get(gw.url("/v1/providers/gogrid/sizes"))
                .header("if-none-match", "\"something-else\""),
        )
        .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body, first.body);
    // Errors and changes carry no tag.
    let missing = gw.get("/v1/providers/gogrid/servers/no-such-server").await;
    assert_eq!(missing.header("etag"), None, "{missing:?}");
}

#[tokio::test]
async fn aggregated_lists_answer_within_their_deadline_when_a_provider_hangs() {
    let (silent, hits) = hanging_gogrid("silent").await;
    let settings = ServiceSettings {
        aggregate_timeout: Duration::from_secs(1),
        ..ServiceSettings::default()
    };
    let base = serve(service_of(vec![simulated_gogrid(), silent], settings).await).await;
    let client = reqwest::Client::new();
    for list in ["/v1/images", "/v1/servers"] {
        // Bounded: without the deadline the hanging provider would hold the list for minutes.
        let answer = tokio::time::timeout(
            Duration::from_secs(30),
            client.get(format!("{base}{list}?limit=5")).send(),
        )
        .await
        .unwrap_or_else(|_| panic!("{list} was held by the hanging provider"))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status().as_u16(), 200);
        let body: Value = answer.json().await.unwrap_or_default();
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert_eq!(errors.len(), 1, "{body}");
        assert_eq!(errors[0]["provider"], "silent");
        assert_eq!(errors[0]["problem"]["code"], "provider_timeout");
        assert_eq!(errors[0]["problem"]["status"], 504);
        assert_eq!(errors[0]["problem"]["retryable"], true);
        if list == "/v1/images" {
            let items = body["items"].as_array().cloned().unwrap_or_default();
            assert!(
                !items.is_empty() && items.iter().all(|i| i["provider"] == "gogrid"),
                "{body}"
            );
        }
    }
    assert!(
        hits.load(Ordering::SeqCst) >= 2,
        "the hanging provider was never asked"
    );
}

#[tokio::test]
async fn verbs_work_without_a_front_end_and_replay_by_caller_key_and_input() {
    let service = service_of(vec![simulated_gogrid()], ServiceSettings::default()).await;
    let caller = Caller::Anonymous;
    let page = cloudgw::service::PageQuery {
        limit: Some(100),
        cursor: None,
    };
    let images = service
        .list_images(&caller, "gogrid", &Default::default(), &page)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // GoGrid images carry a minimum RAM size: take one the smallest size fits.
    let image = images
        .items
        .iter()
        .find(|i| {
            i.extra
                .get("min_ram")
                .and_then(Value::as_str)
                .is_none_or(|m| m == "512MB")
        })
        .unwrap_or_else(|| panic!("no 512MB image"));
    let request = CreateServerRequest {
        name: "svc-direct".into(),
        image_id: image.id.clone(),
        size_id: "512MB".into(),
        region: None,
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    };
    let options = ChangeOptions {
        idempotency_key: Some(IdempotencyKey::new("direct-1").unwrap_or_else(|e| panic!("{e}"))),
        wait: None,
    };
    let first = service
        .create_server(&caller, "gogrid", &request, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!first.replayed);
    let again = service
        .create_server(&caller, "gogrid", &request, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(again.replayed);
    assert_eq!(again.operation.id, first.operation.id);
    // The same key for another operation is another request: 422, whatever the front end.
    let other = service
        .server_action(
            &caller,
            "gogrid",
            &first.resource.id,
            ServerAction::Start,
            &options,
        )
        .await
        .err()
        .map(|e| e.problem.status);
    assert_eq!(other, Some(422));
    let unknown = service
        .get_server(&caller, "nope", "1")
        .await
        .err()
        .map(|e| e.problem.status);
    assert_eq!(unknown, Some(404));
}
