//! The layers around a driver, seen from outside: faults injected by the fault proxy between the
//! GoGrid driver and the GoGrid simulator, and what reaches the backend, counted at the proxy.
//! Retries stop at `retry_attempts`; the breaker opens after `breaker_failures`, fails fast
//! without calling the backend, shows in `/v1/providers` and `/readyz`, and closes again after
//! its cool-down; identical concurrent lists share one backend call unless coalescing is off.

mod common;
mod faults;

use std::time::Duration;

use cloudgw::faultproxy::Rules;
use faults::{Driver, Rig, list_rules};

/// The GoGrid rig with `layers` as the provider's `[layers]` table.
async fn rig(layers: &str) -> Rig {
    Driver::GoGrid
        .rig(5, &format!("\n[layers]\n{layers}\n"))
        .await
}

/// The backend call of a GoGrid server list.
const LIST: &str = "path = \"/api/grid/server/list\"";

fn fired(rig: &Rig) -> u64 {
    rig.proxy.stats().rule("list").map_or(0, |r| r.fired)
}

fn matched(rig: &Rig) -> u64 {
    rig.proxy.stats().rule("list").map_or(0, |r| r.matched)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_read_is_tried_retry_attempts_times_in_all() {
    let rig = rig("retry_attempts = 3\nbreaker_failures = 0\n").await;
    rig.proxy.set_rules(list_rules(
        LIST,
        r#"{ kind = "status", status = 503, body = "down" }"#,
    ));
    let answer = rig.gw.get(&rig.list_path()).await;
    answer.assert_problem(503, "provider_unavailable");
    assert_eq!(fired(&rig), 3, "backend calls for one list");
    // A permanent refusal is not retried: a 400 reaches the backend once.
    rig.proxy.set_rules(list_rules(
        LIST,
        r#"{ kind = "status", status = 400, body = "{\"list\":[{\"object\":\"error\",\"errorcode\":\"IllegalArgumentException\",\"message\":\"bad\"}],\"method\":\"/grid/server/list\",\"status\":\"failure\",\"summary\":{\"total\":1,\"start\":0,\"numpages\":0,\"returned\":1}}" }"#,
    ));
    let answer = rig.gw.get(&rig.list_path()).await;
    assert!((400..500).contains(&answer.status), "{answer:?}");
    assert_eq!(fired(&rig), 1, "a permanent error was retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_opens_fails_fast_and_closes_after_its_cool_down() {
    let layers = "retry_attempts = 1\nbreaker_failures = 2\nbreaker_cooldown_secs = 1\n";
    let rig = rig(layers).await;
    rig.proxy
        .set_rules(list_rules(LIST, r#"{ kind = "status", status = 503 }"#));
    for _ in 0..2 {
        rig.gw
            .get(&rig.list_path())
            .await
            .assert_problem(503, "provider_unavailable");
    }
    assert_eq!(fired(&rig), 2);
    // Open: refused at once, without a backend call, with the time left as Retry-After.
    let refused = rig.gw.get(&rig.list_path()).await;
    refused.assert_problem(503, "provider_unavailable");
    assert!(refused.header("retry-after").is_some(), "{refused:?}");
    assert_eq!(matched(&rig), 2, "an open breaker let a call through");
    let provider = rig.gw.get("/v1/providers/gogrid").await;
    assert_eq!(provider.body["breaker"], "open", "{provider:?}");
    let ready = rig.gw.get("/readyz").await;
    assert_eq!(ready.status, 503, "{ready:?}");
    assert_eq!(rig.gw.get("/healthz").await.status, 200);

    // The backend recovers; after the cool-down one probe goes through and closes the breaker.
    rig.proxy.set_rules(Rules::none());
    let mut last = refused;
    for _ in 0..100 {
        last = rig.gw.get(&rig.list_path()).await;
        if last.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.status, 200, "the breaker never closed: {last:?}");
    let provider = rig.gw.get("/v1/providers/gogrid").await;
    assert_eq!(provider.body["breaker"], "closed", "{provider:?}");
    assert_eq!(rig.gw.get("/readyz").await.status, 200);
}

/// 64 identical lists sent together while the backend takes 3 s to answer.
async fn concurrent_lists(rig: &Rig) -> Vec<u16> {
    rig.proxy
        .set_rules(list_rules(LIST, r#"{ kind = "latency", ms = 3000 }"#));
    let path = rig.list_path();
    let answers = futures::future::join_all((0..64).map(|_| rig.gw.get(&path))).await;
    answers.iter().map(|a| a.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_concurrent_lists_share_one_backend_call() {
    let rig = rig("").await;
    let statuses = concurrent_lists(&rig).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(matched(&rig), 1, "backend calls for 64 identical lists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_coalescing_each_list_calls_the_backend() {
    let rig = rig("coalesce = false\n").await;
    let statuses = concurrent_lists(&rig).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(matched(&rig), 64, "backend calls for 64 lists");
}
