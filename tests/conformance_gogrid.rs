//! The conformance suite for the `gogrid` driver against the GoGrid simulator, over real HTTP.

mod common;
mod conformance;

use std::net::SocketAddr;
use std::time::Duration;

use cloudgw::sim::RunningSimulator;
use cloudgw::sim::gogrid::{SimOptions, spawn};
use conformance::{MissingIds, Target};

/// A GoGrid simulator of the test's own (so the test holds its controls) and a gateway whose
/// provider `gogrid` is configured with its endpoint and credentials, as a real account is.
async fn simulator_and_gateway(power_delay: Duration) -> (RunningSimulator, common::Gateway) {
    let options = SimOptions {
        provision_delay: Duration::ZERO,
        power_delay,
        ..SimOptions::new("conformance-key", "conformance-secret")
    };
    let sim = spawn(options, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap_or_else(|e| panic!("the GoGrid simulator does not start: {e}"));
    let config = common::provider_config(
        "gogrid",
        &format!(
            "driver = \"gogrid\"\nendpoint = \"{}\"\napi_key = \"conformance-key\"\nshared_secret = \"conformance-secret\"\nregion = \"US-West-1\"\n",
            sim.endpoint()
        ),
    );
    (sim, common::Gateway::start(vec![config]).await)
}

async fn gogrid_target() -> Target {
    let (sim, gw) = simulator_and_gateway(Duration::from_millis(50)).await;
    // GoGrid images carry a minimum RAM size (`minram`): create from one that fits the smallest.
    let images = gw.collect("/v1/providers/gogrid/images", 100).await;
    let fits = images
        .iter()
        .find(|i| i["extra"]["min_ram"].as_str().is_none_or(|m| m == "512MB"));
    let image = fits
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no 512MB image in {images:?}"));
    Target {
        image_and_size: Some((image.to_owned(), "512MB".to_owned())),
        gw,
        provider: "gogrid".into(),
        observable_transitions: true,
        // GoGrid servers are named by the gateway's id (the name), which the provider looks up.
        missing: MissingIds {
            server: "no-such-server-x".into(),
            volume: "no-such-volume-x".into(),
        },
        sim: Some(sim),
    }
}

conformance_suite!(gogrid_target; transitions, some_unsupported);

/// GoGrid gives a new server no id until it is provisioned, and `grid/server/get` does not find
/// it meanwhile; the gateway still follows it by name from the 202 onward.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_is_followed_from_the_202_through_provisioning() {
    let (sim, gw) = simulator_and_gateway(Duration::ZERO).await;
    // Held, provisioning lasts until released, however slowly this test runs.
    sim.control().hold();
    let body = serde_json::json!({"name": "prov-1", "image_id": "9928", "size_id": "512MB"});
    let created = gw.post("/v1/providers/gogrid/servers", &body).await;
    assert_eq!(created.status, 202, "{created:?}");
    assert_eq!(created.body["server"]["state"], "pending");
    let early = gw.get("/v1/providers/gogrid/servers/prov-1").await;
    assert_eq!(
        early.status, 200,
        "a provisioning server must be found by its name: {early:?}"
    );
    assert_eq!(early.body["state"], "pending");
    assert!(early.body["extra"]["gogrid_id"].is_null(), "{early:?}");
    sim.control().release();
    let op = gw
        .wait_operation(created.body["operation"]["id"].as_str().unwrap_or_default())
        .await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let done = gw.get("/v1/providers/gogrid/servers/prov-1").await;
    assert_eq!(done.body["state"], "running");
    assert!(done.body["extra"]["gogrid_id"].is_u64(), "{done:?}");
}
