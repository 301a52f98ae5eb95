//! Faults between the GoGrid driver and the GoGrid simulator (in-process), through the gateway.

mod common;
mod faults;

use cloudgw::sim::gogrid::RunningSimulator;
use faults::{Rig, TIMEOUT_SECS};

async fn rig() -> (Rig, RunningSimulator) {
    faults::gogrid_rig(TIMEOUT_SECS, "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_and_resets_are_provider_unavailable() {
    let (rig, _sim) = rig().await;
    rig.check_error_cases().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_429_with_retry_after() {
    let (rig, _sim) = rig().await;
    rig.check_rate_limit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_backend_is_provider_timeout() {
    let (rig, _sim) = rig().await;
    rig.check_hang().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_garbage_bodies_are_bad_responses() {
    let (rig, _sim) = rig().await;
    rig.check_bad_bodies((503, "provider_unavailable"), (502, "provider_unavailable"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_only_slows_the_list() {
    let (rig, _sim) = rig().await;
    rig.check_latency().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aggregated_list_names_the_failing_provider() {
    let (rig, _sim) = rig().await;
    rig.check_aggregated().await;
}

/// A create whose `grid/server/add` fails answers the fault's problem (today's mapping only;
/// whether it is retried is the retry layer's business).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_create_answers_the_faults_problem() {
    let (rig, _sim) = rig().await;
    let create = serde_json::json!({"name": "f-1", "image_id": "9928", "size_id": "512MB"});
    let cases = [
        (
            r#"{ kind = "status", status = 503 }"#,
            503,
            "provider_unavailable",
        ),
        (
            r#"{ kind = "rate_limit", retry_after = 1 }"#,
            429,
            "rate_limited",
        ),
    ];
    for (fault, status, code) in cases {
        rig.proxy.set_rules(faults::list_rules(
            "method = \"POST\"\npath = \"/api/grid/server/add\"",
            fault,
        ));
        let answer = rig.gw.post("/v1/providers/gogrid/servers", &create).await;
        let fired = rig.proxy.stats().rule("list").map_or(0, |r| r.fired);
        rig.proxy.set_rules(cloudgw::faultproxy::Rules::none());
        answer.assert_problem(status, code);
        assert!(fired >= 1, "{fault} never fired: {answer:?}");
        if status == 429 {
            assert!(answer.header("retry-after").is_some(), "{answer:?}");
        }
    }
    assert_eq!(rig.gw.get("/healthz").await.status, 200);
    let created = rig.gw.post("/v1/providers/gogrid/servers", &create).await;
    assert_eq!(created.status, 202, "the backend recovered: {created:?}");
}
