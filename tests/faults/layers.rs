//! The layers around a driver, seen from outside (docs/layers.md): faults injected by the fault
//! proxy between a driver and its backend, and what reaches the backend, counted at the proxy.
//! Retries stop at `retry_attempts` and a permanent error is not retried; the breaker opens
//! after `breaker_failures`, fails fast without calling the backend, shows in
//! `/v1/providers/{id}` and `/readyz`, and closes again after its cool-down; identical concurrent
//! lists share one backend call unless coalescing is off. Each case takes the driver it runs
//! on; `tests/faults_layers.rs` runs every case on every driver.

use std::time::{Duration, Instant};

use cloudgw::faultproxy::Rules;

use super::{Driver, REFUSAL_MESSAGE, Rig, list_rules};

/// The providers' per-request timeout in these cases: no case waits for it, so it is long
/// enough never to fire, even for moto behind 3 s of injected latency on a loaded machine.
const TIMEOUT_SECS: u64 = 20;

/// The breaker's cool-down: long enough that the open-state checks (a few loopback requests)
/// end well inside it on a loaded machine, short enough to wait for.
const COOL_DOWN: Duration = Duration::from_secs(5);

/// The injected latency while 64 identical lists are sent: every one of them must reach the
/// gateway while the first is still at the backend.
const LIST_LATENCY_MS: u64 = 3000;

/// The rig of `driver` with `layers` as the provider's `[layers]` table.
async fn rig(driver: Driver, layers: &str) -> Rig {
    driver
        .rig(TIMEOUT_SECS, &format!("\n[layers]\n{layers}\n"))
        .await
}

/// Backend list calls the fault fired for (so that never reached the backend).
fn fired(rig: &Rig) -> u64 {
    rig.proxy.stats().rule("list").map_or(0, |r| r.fired)
}

/// Backend list calls that reached the proxy, faulted or not.
fn matched(rig: &Rig) -> u64 {
    rig.proxy.stats().rule("list").map_or(0, |r| r.matched)
}

/// A list failing with a temporary error is tried `retry_attempts` times in all.
pub async fn a_failing_read_is_tried_retry_attempts_times_in_all(driver: Driver) {
    let rig = rig(driver, "retry_attempts = 3\nbreaker_failures = 0\n").await;
    rig.proxy.set_rules(list_rules(
        rig.list_match,
        r#"{ kind = "status", status = 503, body = "down" }"#,
    ));
    let answer = rig.gw.get(&rig.list_path()).await;
    answer.assert_problem(503, "provider_unavailable");
    assert_eq!(fired(&rig), 3, "backend calls for one list");
}

/// A 400 in the backend's own error format is the provider's permanent refusal: it reaches
/// the backend once, and the client gets the provider's words.
pub async fn a_permanent_error_reaches_the_backend_once(driver: Driver) {
    let rig = rig(driver, "retry_attempts = 3\nbreaker_failures = 0\n").await;
    rig.proxy.set_rules(list_rules(rig.list_match, rig.refusal));
    let answer = rig.gw.get(&rig.list_path()).await;
    answer.assert_problem(400, "invalid_request");
    assert_eq!(answer.body["retryable"], false, "{answer:?}");
    assert!(
        answer.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(REFUSAL_MESSAGE)),
        "the provider's own message is lost: {answer:?}"
    );
    assert_eq!(fired(&rig), 1, "a permanent error was retried");
}

/// The breaker's cycle: `breaker_failures` failures open it; open, it refuses at once without a
/// backend call and with `Retry-After`, `/v1/providers/{id}` says `open`, `/readyz` answers 503
/// and `/healthz` 200; it stays open for its cool-down even when the backend is well again,
/// then one probe closes it.
pub async fn the_breaker_opens_fails_fast_and_closes_after_its_cool_down(driver: Driver) {
    let layers = format!(
        "retry_attempts = 1\nbreaker_failures = 2\nbreaker_cooldown_secs = {}\n",
        COOL_DOWN.as_secs()
    );
    let rig = rig(driver, &layers).await;
    let provider_path = format!("/v1/providers/{}", rig.provider);
    rig.proxy.set_rules(list_rules(
        rig.list_match,
        r#"{ kind = "status", status = 503 }"#,
    ));
    rig.gw
        .get(&rig.list_path())
        .await
        .assert_problem(503, "provider_unavailable");
    // Taken before the failure that opens the breaker, so the cool-down ends after it.
    let before_opening = Instant::now();
    rig.gw
        .get(&rig.list_path())
        .await
        .assert_problem(503, "provider_unavailable");
    assert_eq!(fired(&rig), 2, "backend calls before the breaker opened");

    let refused = rig.gw.get(&rig.list_path()).await;
    refused.assert_problem(503, "provider_unavailable");
    let after: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {refused:?}"));
    assert!(
        (1..=COOL_DOWN.as_secs()).contains(&after),
        "Retry-After is not the cool-down left: {refused:?}"
    );
    assert_eq!(matched(&rig), 2, "an open breaker let a call through");
    let provider = rig.gw.get(&provider_path).await;
    assert_eq!(provider.body["breaker"], "open", "{provider:?}");
    rig.gw
        .get("/readyz")
        .await
        .assert_problem(503, "provider_unavailable");
    assert_eq!(rig.gw.get("/healthz").await.status, 200);

    // The backend is well again, but the breaker waits out its cool-down.
    rig.proxy.set_rules(Rules::none());
    let forwarded = rig.proxy.stats().forwarded;
    let still = rig.gw.get(&rig.list_path()).await;
    still.assert_problem(503, "provider_unavailable");
    assert_eq!(
        rig.proxy.stats().forwarded,
        forwarded,
        "the breaker let a call through before its cool-down"
    );

    let mut last = still;
    for _ in 0..200 {
        last = rig.gw.get(&rig.list_path()).await;
        if last.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.status, 200, "the breaker never closed: {last:?}");
    assert!(
        before_opening.elapsed() >= COOL_DOWN,
        "the breaker closed before its cool-down"
    );
    let provider = rig.gw.get(&provider_path).await;
    assert_eq!(provider.body["breaker"], "closed", "{provider:?}");
    assert_eq!(rig.gw.get("/readyz").await.status, 200);
}

/// 64 identical lists sent together while the backend takes [`LIST_LATENCY_MS`] to answer;
/// each must succeed.
async fn concurrent_lists(rig: &Rig) {
    let fault = format!("{{ kind = \"latency\", ms = {LIST_LATENCY_MS} }}");
    rig.proxy.set_rules(list_rules(rig.list_match, &fault));
    let path = rig.list_path();
    let answers = futures::future::join_all((0..64).map(|_| rig.gw.get(&path))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

/// Coalescing (on by default): 64 identical concurrent lists make one backend call.
pub async fn identical_concurrent_lists_share_one_backend_call(driver: Driver) {
    let rig = rig(driver, "").await;
    concurrent_lists(&rig).await;
    assert_eq!(matched(&rig), 1, "backend calls for 64 identical lists");
}

/// With `coalesce = false`, each of 64 concurrent lists makes its own backend call.
pub async fn without_coalescing_each_list_calls_the_backend(driver: Driver) {
    let rig = rig(driver, "coalesce = false\n").await;
    concurrent_lists(&rig).await;
    assert_eq!(matched(&rig), 64, "backend calls for 64 lists");
}
