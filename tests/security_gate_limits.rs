//! The gate's two time and load limits, against a provider that holds every call until the test
//! lets it go: `[limits] request_timeout_secs` answers 504 while the provider's own timeout is
//! still far away, and `[limits] max_concurrent_requests` refuses the request beyond the cap
//! with 503 and `Retry-After`, at once, while health stays answered.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cloudgw::api::Security;
use cloudgw::config::gateway::LimitsConfig;
use common::{Gateway, fake_gogrid};
use tokio::sync::Semaphore;

/// A GoGrid endpoint whose every call waits for a permit of `release`, counting the calls that
/// arrived in `arrived` (one permit per call).
fn held_provider(release: Arc<Semaphore>, arrived: Arc<Semaphore>) -> axum::Router {
    axum::Router::new().fallback(move || {
        let release = release.clone();
        let arrived = arrived.clone();
        async move {
            arrived.add_permits(1);
            if let Ok(permit) = release.acquire().await {
                permit.forget();
            }
            r#"{"status":"success","summary":{"total":0,"start":0,"numpages":0,"returned":0},"list":[],"method":"/grid/server/list"}"#
        }
    })
}

async fn gateway(
    limits: LimitsConfig,
    app: axum::Router,
) -> (Gateway, tokio::task::JoinHandle<()>) {
    // The driver's own timeout (60 s) is far above the gate's, so a 504 here is the gate's;
    // identical lists are not coalesced, so each held request is a call of its own.
    let (config, server) = fake_gogrid(
        "held",
        app,
        60,
        "[layers]\nretry_attempts = 1\ncoalesce = false\n",
    )
    .await;
    let security = Security {
        limits,
        ..Security::default()
    };
    (Gateway::start_secured(vec![config], security).await, server)
}

#[tokio::test]
async fn a_request_beyond_the_request_timeout_is_a_504_problem() {
    let limits = LimitsConfig {
        request_timeout_secs: 1,
        ..LimitsConfig::default()
    };
    let release = Arc::new(Semaphore::new(0));
    let arrived = Arc::new(Semaphore::new(0));
    let (gw, _server) = gateway(limits, held_provider(release.clone(), arrived.clone())).await;
    let answer = gw.get("/v1/providers/held/servers").await;
    answer.assert_problem(504, "provider_timeout");
    assert_eq!(answer.body["retryable"], true, "{answer:?}");
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("1 s request timeout"), "{answer:?}");
    // The provider did get the call: the gate cut it, not a refusal before it.
    assert_eq!(arrived.available_permits(), 1);
    release.add_permits(1);
}

#[tokio::test]
async fn a_request_beyond_the_concurrency_cap_is_a_503_at_once_and_the_cap_frees_up() {
    let limits = LimitsConfig {
        max_concurrent_requests: 2,
        ..LimitsConfig::default()
    };
    let release = Arc::new(Semaphore::new(0));
    let arrived = Arc::new(Semaphore::new(0));
    let (gw, _server) = gateway(limits, held_provider(release.clone(), arrived.clone())).await;
    let gw = Arc::new(gw);
    let held: Vec<_> = (0..2)
        .map(|_| {
            let gw = gw.clone();
            tokio::spawn(async move { gw.get("/v1/providers/held/servers").await })
        })
        .collect();
    // Both held requests are at the provider, so both slots are taken.
    let both = tokio::time::timeout(Duration::from_secs(20), arrived.acquire_many(2)).await;
    assert!(
        matches!(both, Ok(Ok(_))),
        "the two requests never reached the provider"
    );

    // Refused at once: without the cap this request would wait at the provider too.
    let refused = tokio::time::timeout(
        Duration::from_secs(10),
        gw.get("/v1/providers/held/servers"),
    )
    .await
    .unwrap_or_else(|_| panic!("the request beyond the cap was not refused at once"));
    refused.assert_problem(503, "provider_unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"), "{refused:?}");
    assert_eq!(refused.body["retryable"], true, "{refused:?}");
    // The refusal did not reach the provider; probes are not counted against the cap.
    assert_eq!(arrived.available_permits(), 0);
    assert_eq!(gw.get("/healthz").await.status, 200);

    // Let every call through from now on.
    release.add_permits(1000);
    for request in held {
        match request.await {
            Ok(answer) => assert_eq!(answer.status, 200, "{answer:?}"),
            Err(e) => panic!("{e}"),
        }
    }
    // The freed slots serve again.
    let again = gw.get("/v1/providers/held/servers").await;
    assert_eq!(again.status, 200, "{again:?}");
}
