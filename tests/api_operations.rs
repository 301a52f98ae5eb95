//! `GET /v1/operations`: newest first, filtered, paged behind signed cursors.

mod common;

use common::{Gateway, provider_config};
use serde_json::json;

fn simulated_gogrid() -> cloudgw::config::ProviderConfig {
    provider_config(
        "gogrid",
        "driver = \"gogrid\"\nsimulate = true\n[simulator]\npower_delay_secs = 0.1\n",
    )
}

async fn create(gw: &Gateway, name: &str) -> String {
    let created = gw
        .post(
            "/v1/providers/gogrid/servers",
            &json!({"name": name, "image_id": "9928", "size_id": "512MB"}),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    created.body["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn operations_are_listed_newest_first_filtered_and_paged() {
    let gw = Gateway::start(vec![simulated_gogrid()]).await;
    let first = create(&gw, "op-a").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = create(&gw, "op-b").await;
    let page = gw.get("/v1/operations?limit=1").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.body["items"][0]["id"], second.as_str(), "newest first");
    assert!(page.body["items"][0]["resource_path"].is_string());
    let cursor = page.body["next_cursor"].as_str().unwrap_or_default();
    assert!(!cursor.is_empty(), "{page:?}");
    let next = gw
        .get(&format!("/v1/operations?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(next.body["items"][0]["id"], first.as_str(), "{next:?}");
    assert!(next.body["next_cursor"].is_null(), "{next:?}");
    let by_resource = gw.get("/v1/operations?resource=op-a&provider=gogrid").await;
    let items = by_resource.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{by_resource:?}");
    assert_eq!(items[0]["id"], first.as_str());
    let other = gw.get("/v1/operations?provider=elsewhere").await;
    assert_eq!(other.body["items"], json!([]));
    // A cursor of one filter set is refused on another; junk is refused.
    gw.get(&format!(
        "/v1/operations?limit=1&provider=gogrid&cursor={cursor}"
    ))
    .await
    .assert_problem(400, "invalid_request");
    gw.get("/v1/operations?cursor=junk")
        .await
        .assert_problem(400, "invalid_request");
    gw.get("/v1/operations?status=sleeping")
        .await
        .assert_problem(400, "invalid_request");
    gw.get("/v1/operations?limit=0")
        .await
        .assert_problem(400, "invalid_request");
}
