//! Faults between the AWS driver and moto's EC2 server (from the project's `.venv`, see
//! `tests/common/moto.rs`), through the gateway. EC2's Query API sends every call as
//! `POST /` with the action in the form body, so the rules match the body.

mod common;
mod faults;
#[path = "common/moto.rs"]
mod moto;

use faults::Rig;
use moto::{ACCESS_KEY, Moto, REGION, SECRET_KEY};

/// moto answers slower than the in-process simulators, and a loaded machine slower still.
const AWS_TIMEOUT_SECS: u64 = 3;

async fn rig() -> (Rig, Moto) {
    let moto = Moto::start().await;
    let proxy = faults::proxy_for(&moto.endpoint).await;
    let config = common::provider_config(
        "aws",
        &format!(
            "driver = \"aws\"\nregion = \"{REGION}\"\nendpoint = \"{}\"\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\ntimeout_secs = {AWS_TIMEOUT_SECS}\n",
            proxy.url()
        ),
    );
    let gw = common::Gateway::start(vec![config]).await;
    let rig = Rig {
        gw,
        proxy,
        provider: "aws",
        list_match: "method = \"POST\"\nbody = \"Action=DescribeInstances\"",
    };
    rig.assert_list_ok().await;
    (rig, moto)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_resets_and_rate_limits_map_to_their_problems() {
    let (rig, _moto) = rig().await;
    rig.check_error_cases().await;
    rig.check_rate_limit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_garbage_bodies_are_bad_responses_and_latency_only_slows() {
    let (rig, _moto) = rig().await;
    // A cut body is the transport failing (503), as on GoGrid and OCCI; garbage is a bad
    // response (502).
    rig.check_bad_bodies((503, "provider_unavailable"), (502, "provider_unavailable"))
        .await;
    rig.check_latency().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_backend_is_provider_timeout_and_aggregates_name_it() {
    let (rig, _moto) = rig().await;
    rig.check_hang().await;
    rig.check_aggregated().await;
}
