//! Faults between the AWS driver and moto's EC2 server (from the project's `.venv`, see
//! `tests/common/moto.rs`), through the gateway: the mapping cases of `tests/faults/mod.rs`,
//! grouped into three tests so moto starts three times instead of six.

mod common;
mod faults;

use faults::{Driver, MOTO_TIMEOUT_SECS, Rig};

async fn rig() -> Rig {
    Driver::Aws.rig(MOTO_TIMEOUT_SECS, "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_resets_and_rate_limits_map_to_their_problems() {
    let rig = rig().await;
    rig.check_error_cases().await;
    rig.check_rate_limit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_garbage_bodies_are_bad_responses_and_latency_only_slows() {
    let rig = rig().await;
    rig.check_bad_bodies().await;
    rig.check_latency().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_backend_is_provider_timeout_and_aggregates_name_it() {
    let rig = rig().await;
    rig.check_hang().await;
    rig.check_aggregated().await;
}
