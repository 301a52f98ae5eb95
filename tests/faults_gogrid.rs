//! Faults between the GoGrid driver and the GoGrid simulator (in-process), through the gateway:
//! the mapping cases of `tests/faults/mod.rs`, and a failing create.

mod common;
mod faults;

use faults::{Driver, TIMEOUT_SECS};

faults::mapping_cases!(GoGrid);

/// A create whose `grid/server/add` fails answers the fault's problem (today's mapping only;
/// whether it is retried is the retry layer's business).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_create_answers_the_faults_problem() {
    let rig = Driver::GoGrid.rig(TIMEOUT_SECS, "").await;
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
