//! Operations that do not succeed, end to end through a real driver over HTTP: one the provider
//! fails (the OCCI simulator's compute ends in `error`) and one the provider never finishes
//! (the GoGrid simulator holds it past the gateway's operation timeout). Each is seen as the
//! client sees it: the operation resource, `Prefer: wait`, and the event stream.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use cloudgw::registry::Registry;
use cloudgw::sim::RunningSimulator;
use serde_json::{Value, json};

use common::Gateway;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// An OCCI simulator (rOCCI profile) of the test's own and a gateway with provider `occi` on it.
async fn occi() -> (RunningSimulator, Gateway) {
    let mut options = cloudgw::sim::occi::SimOptions::new(cloudgw::sim::occi::Profile::Rocci);
    options.provision_delay = Duration::ZERO;
    options.power_delay = Duration::ZERO;
    let sim = cloudgw::sim::occi::spawn(options, loopback())
        .await
        .unwrap_or_else(|e| panic!("OCCI simulator: {e}"));
    let config = common::provider_config(
        "occi",
        &format!("driver = \"occi\"\nendpoint = \"{}\"\n", sim.endpoint()),
    );
    (sim, Gateway::start(vec![config]).await)
}

/// A GoGrid simulator of the test's own and a gateway that gives up on operations after
/// `timeout`.
async fn gogrid(timeout: Duration) -> (RunningSimulator, Gateway) {
    let options = cloudgw::sim::gogrid::SimOptions {
        provision_delay: Duration::ZERO,
        power_delay: Duration::ZERO,
        ..cloudgw::sim::gogrid::SimOptions::new("ops-key", "ops-secret")
    };
    let sim = cloudgw::sim::gogrid::spawn(options, loopback())
        .await
        .unwrap_or_else(|e| panic!("GoGrid simulator: {e}"));
    let config = common::provider_config(
        "gogrid",
        &format!(
            "driver = \"gogrid\"\nendpoint = \"{}\"\napi_key = \"ops-key\"\nshared_secret = \"ops-secret\"\n",
            sim.endpoint()
        ),
    );
    let registry = Registry::start(vec![config])
        .await
        .unwrap_or_else(|e| panic!("registry: {e}"));
    let follow = cloudgw::ops::FollowSettings {
        timeout,
        ..common::quick_follow()
    };
    (sim, Gateway::serve(registry, follow).await)
}

async fn first_id(gw: &Gateway, path: &str) -> String {
    let page = gw.get(&format!("{path}?limit=1")).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("nothing listed at {path}: {page:?}"))
        .to_owned()
}

async fn occi_create_body(gw: &Gateway, name: &str) -> Value {
    let image = first_id(gw, "/v1/providers/occi/images").await;
    let size = first_id(gw, "/v1/providers/occi/sizes").await;
    json!({"name": name, "image_id": image, "size_id": size})
}

/// The events published so far (the stream replays what the gateway keeps, then ends).
async fn events(gw: &Gateway) -> Vec<Value> {
    let text = gw
        .client
        .get(gw.url("/v1/events?timeout=0"))
        .header("last-event-id", "00000000-0")
        .send()
        .await
        .unwrap_or_else(|e| panic!("events: {e}"))
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_the_provider_fails_ends_failed_with_a_problem() {
    let (sim, gw) = occi().await;
    sim.control().fail_provisioning(1);
    let created = gw
        .post(
            "/v1/providers/occi/servers",
            &occi_create_body(&gw, "doomed").await,
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    let op_id = created.body["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let op = gw.wait_operation(&op_id).await;
    assert_eq!(op["status"], "failed", "{op}");
    assert_eq!(op["problem"]["code"], "invalid_state", "{op}");
    assert!(
        op["problem"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("error")),
        "{op}"
    );
    let server_id = created.body["server"]["id"].as_str().unwrap_or_default();
    let server = gw
        .get(&format!(
            "/v1/providers/occi/servers/{}",
            cloudgw::api::path_segment(server_id)
        ))
        .await;
    assert_eq!(server.body["state"], "error", "{server:?}");
    let failed = events(&gw)
        .await
        .into_iter()
        .find(|e| e["data"]["id"] == op_id.as_str() && e["data"]["status"] == "failed");
    assert!(failed.is_some(), "no failed operation event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefer_wait_answers_the_failure_as_a_problem() {
    let (sim, gw) = occi().await;
    sim.control().fail_provisioning(1);
    let body = occi_create_body(&gw, "doomed-wait").await;
    let answer = gw
        .send(
            gw.client
                .post(gw.url("/v1/providers/occi/servers"))
                .header("prefer", "wait=30")
                .json(&body),
        )
        .await;
    answer.assert_problem(409, "invalid_state");
    // The next create is not failed by the simulator: the failure was the provider's, once.
    let next = gw
        .send(
            gw.client
                .post(gw.url("/v1/providers/occi/servers"))
                .header("prefer", "wait=30")
                .json(&occi_create_body(&gw, "fine").await),
        )
        .await;
    assert_eq!(next.status, 200, "{next:?}");
    assert_eq!(next.body["server"]["state"], "running", "{next:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_the_provider_never_finishes_times_out() {
    let (sim, gw) = gogrid(Duration::from_secs(1)).await;
    // Held, the provider keeps the server provisioning for as long as the test wants.
    sim.control().hold();
    let created = gw
        .post(
            "/v1/providers/gogrid/servers",
            &json!({"name": "slow-1", "image_id": "9928", "size_id": "512MB"}),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    let op_id = created.body["operation"]["id"].as_str().unwrap_or_default();
    let op = gw.wait_operation(op_id).await;
    assert_eq!(op["status"], "failed", "{op}");
    assert_eq!(op["problem"]["code"], "provider_timeout", "{op}");
    assert_eq!(op["problem"]["status"], 504, "{op}");
    assert_eq!(op["problem"]["retryable"], true, "{op}");
    let still = gw.get("/v1/providers/gogrid/servers/slow-1").await;
    assert_eq!(still.body["state"], "pending", "{still:?}");
    // The gateway gave up; the provider did not: released, the server comes up.
    sim.control().release();
    let up = gw.get("/v1/providers/gogrid/servers/slow-1").await;
    assert_eq!(up.body["state"], "running", "{up:?}");
    let op = gw.get(&format!("/v1/operations/{op_id}")).await;
    assert_eq!(
        op.body["status"], "failed",
        "a final operation stays final: {op:?}"
    );
}
