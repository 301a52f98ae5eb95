//! Faults between the OCCI driver and the OCCI simulator (in-process, rOCCI profile), through
//! the gateway.

mod common;
mod faults;

use std::net::SocketAddr;

use cloudgw::sim::occi::{Profile, RunningSimulator, SimOptions, spawn};
use faults::{Rig, TIMEOUT_SECS};

async fn rig() -> (Rig, RunningSimulator) {
    let sim = spawn(
        SimOptions::new(Profile::Rocci),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let proxy = faults::proxy_for(&format!("http://{}", sim.addr())).await;
    let config = common::provider_config(
        "occi",
        &format!(
            "driver = \"occi\"\nendpoint = \"{}\"\ntimeout_secs = {TIMEOUT_SECS}\n",
            proxy.url()
        ),
    );
    let gw = common::Gateway::start(vec![config]).await;
    let rig = Rig {
        gw,
        proxy,
        provider: "occi",
        list_match: "method = \"GET\"\npath = \"/compute/\"",
    };
    rig.assert_list_ok().await;
    (rig, sim)
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
