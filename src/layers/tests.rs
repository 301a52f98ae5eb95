//! Tests of each layer and of the stack's order, against the in-process fake driver, on a
//! paused clock (time advances only when every task waits, so nothing depends on real time).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::fake::{Fake, Step};
use super::{Labels, LayerSettings, REJECTED_BY, deadline, stack};
use crate::driver::{
    Capabilities, Driver, DriverError, DriverOp, ErrorKind, ListRequest, Sent, ServerFilter,
};
use crate::model::{BreakerState, CreateServerRequest, CreateVolumeRequest, ProviderHealth};

fn settings() -> LayerSettings {
    LayerSettings::default()
}

fn build(fake: Fake, settings: &LayerSettings) -> (Arc<dyn Driver>, Arc<Fake>, Labels) {
    let fake = Arc::new(fake);
    let labels = Labels::new("p", "fake", settings);
    let driver = stack(fake.clone(), settings, labels.clone());
    (driver, fake, labels)
}

fn req(limit: usize) -> ListRequest {
    ListRequest {
        limit,
        cursor: None,
    }
}

fn error_of<T: std::fmt::Debug>(result: Result<T, DriverError>) -> DriverError {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// Runs `n` identical list calls concurrently and returns how many succeeded.
async fn identical_lists(driver: &Arc<dyn Driver>, n: usize) -> usize {
    let calls = (0..n).map(|_| {
        let driver = driver.clone();
        tokio::spawn(async move {
            driver
                .list_servers(&req(10), &ServerFilter::default())
                .await
                .is_ok()
        })
    });
    let results = futures::future::join_all(calls).await;
    results
        .into_iter()
        .filter(|r| matches!(r, Ok(true)))
        .count()
}

#[tokio::test(start_paused = true)]
async fn identical_concurrent_reads_make_one_backend_call() {
    let (driver, fake, _) = build(Fake::new(Step::Delay(Duration::from_secs(1))), &settings());
    assert_eq!(identical_lists(&driver, 256).await, 256);
    assert_eq!(fake.calls(), 1, "256 identical reads share one call");
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_limit_sits_inside_coalescing() {
    let limited = LayerSettings {
        max_concurrency: 8,
        ..settings()
    };
    let (driver, fake, _) = build(Fake::new(Step::Delay(Duration::from_secs(1))), &limited);
    assert_eq!(identical_lists(&driver, 256).await, 256);
    assert_eq!(
        fake.calls(),
        1,
        "a limit above coalescing would make 32 calls"
    );
    // Different reads are not shared, and at most 8 run at once.
    let distinct = (0..64).map(|i| {
        let driver = driver.clone();
        tokio::spawn(async move { driver.get_server(&format!("s{i}")).await.is_ok() })
    });
    let ok = futures::future::join_all(distinct).await;
    assert!(ok.iter().all(|r| matches!(r, Ok(true))));
    assert_eq!(fake.calls(), 65);
    assert_eq!(fake.max_in_flight(), 8);
}

#[tokio::test(start_paused = true)]
async fn coalescing_off_makes_a_call_per_reader() {
    let off = LayerSettings {
        coalesce: false,
        ..settings()
    };
    let (driver, fake, _) = build(Fake::new(Step::Delay(Duration::from_secs(1))), &off);
    assert_eq!(identical_lists(&driver, 16).await, 16);
    assert_eq!(fake.calls(), 16);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_that_leaves_does_not_cancel_the_shared_call() {
    let (driver, fake, _) = build(Fake::new(Step::Delay(Duration::from_secs(5))), &settings());
    let now = Instant::now();
    let impatient = {
        let driver = driver.clone();
        tokio::spawn(deadline::scope(now + Duration::from_secs(1), async move {
            driver.get_server("s1").await
        }))
    };
    let patient = {
        let driver = driver.clone();
        tokio::spawn(deadline::scope(now + Duration::from_secs(10), async move {
            driver.get_server("s1").await
        }))
    };
    let impatient = impatient.await.map_err(|e| e.to_string()).map(error_of);
    assert_eq!(impatient.map(|e| e.kind()), Ok(ErrorKind::Timeout));
    let patient = patient.await.map_err(|e| e.to_string());
    assert!(matches!(patient, Ok(Ok(_))), "{patient:?}");
    assert_eq!((fake.calls(), fake.finished()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn the_shared_call_runs_to_the_latest_waiters_deadline() {
    // The first caller would give up at 1 s; a second joins with 10 s; the call takes 5 s.
    let (driver, fake, _) = build(Fake::new(Step::Delay(Duration::from_secs(5))), &settings());
    let now = Instant::now();
    let first = {
        let driver = driver.clone();
        tokio::spawn(deadline::scope(now + Duration::from_secs(1), async move {
            driver.get_server("s1").await.is_ok()
        }))
    };
    tokio::task::yield_now().await;
    let second = deadline::scope(now + Duration::from_secs(10), driver.get_server("s1")).await;
    assert!(second.is_ok(), "{second:?}");
    assert!(matches!(first.await, Ok(false)));
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn waiters_share_the_retries_of_one_call() {
    let fake = Fake::new(Step::Delay(Duration::from_millis(10))).then([
        Step::fail(ErrorKind::Unavailable),
        Step::fail(ErrorKind::Unavailable),
    ]);
    let (driver, fake, _) = build(fake, &settings());
    assert_eq!(identical_lists(&driver, 10).await, 10);
    assert_eq!(
        fake.calls(),
        3,
        "two failures and one success, once for all"
    );
}

#[tokio::test(start_paused = true)]
async fn the_read_cache_answers_until_its_ttl() {
    let cached = LayerSettings {
        cache_ttl_secs: 5.0,
        ..settings()
    };
    let (driver, fake, _) = build(Fake::new(Step::Answer), &cached);
    for _ in 0..3 {
        assert!(driver.get_server("s1").await.is_ok());
    }
    assert_eq!(fake.calls(), 1);
    tokio::time::advance(Duration::from_secs(6)).await;
    assert!(driver.get_server("s1").await.is_ok());
    assert_eq!(fake.calls(), 2);
    // Mutations are never cached.
    assert!(driver.start_server("s1").await.is_ok());
    assert!(driver.start_server("s1").await.is_ok());
    assert_eq!(fake.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_with_retry_after_is_retried_a_bounded_number_of_times() {
    let limited = Step::Fail(
        ErrorKind::RateLimited,
        Some(Duration::from_secs(1)),
        Sent::Yes,
    );
    let (driver, fake, labels) = build(Fake::new(limited), &settings());
    let started = Instant::now();
    let err = error_of(
        driver
            .list_servers(&req(10), &ServerFilter::default())
            .await,
    );
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(fake.calls(), 3, "retry_attempts = 3, never more");
    // The provider's Retry-After was honoured between the attempts (paused clock).
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(labels.status.health(), ProviderHealth::RateLimited);
}

#[tokio::test(start_paused = true)]
async fn a_long_retry_after_is_passed_on_at_once() {
    let later = Step::Fail(
        ErrorKind::RateLimited,
        Some(Duration::from_secs(7)),
        Sent::Yes,
    );
    let (driver, fake, _) = build(Fake::new(later), &settings());
    let started = Instant::now();
    let err = error_of(driver.get_server("s1").await);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(fake.calls(), 1);
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "no wait on a paused clock"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_never_run_past_the_request_deadline() {
    let many = LayerSettings {
        retry_attempts: 10,
        retry_budget_secs: 60.0,
        breaker_failures: 0,
        ..settings()
    };
    let (driver, fake, _) = build(Fake::new(Step::fail(ErrorKind::Unavailable)), &many);
    let started = Instant::now();
    let at = started + Duration::from_millis(1500);
    let err = error_of(deadline::scope(at, driver.get_server("s1")).await);
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(Instant::now() <= at, "no pause may end past the deadline");
    assert!(
        fake.calls() < 10,
        "the deadline, not the attempts, ended it"
    );
    // A Retry-After longer than what is left ends the retries at once.
    let later = Step::Fail(
        ErrorKind::RateLimited,
        Some(Duration::from_secs(2)),
        Sent::Yes,
    );
    let (driver, fake, _) = build(Fake::new(later), &many);
    let at = Instant::now() + Duration::from_millis(1500);
    let err = error_of(deadline::scope(at, driver.get_server("s1")).await);
    assert_eq!(
        (err.kind(), err.retry_after(), fake.calls()),
        (ErrorKind::RateLimited, Some(Duration::from_secs(2)), 1)
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_provider_is_cut_off_by_the_attempt_timeout_and_the_budget() {
    let (driver, fake, _) = build(Fake::new(Step::Hang), &settings());
    let started = Instant::now();
    let err = error_of(driver.get_server("s1").await);
    assert_eq!((err.kind(), err.sent()), (ErrorKind::Timeout, Sent::Maybe));
    // 15 s attempts within a 20 s budget: two attempts, done by the budget.
    assert_eq!(fake.calls(), 2);
    assert!(started.elapsed() <= Duration::from_secs(20));
}

fn create(token: Option<&str>) -> (CreateServerRequest, Option<String>) {
    let req = CreateServerRequest {
        name: "n".into(),
        image_id: "i".into(),
        size_id: "s".into(),
        region: None,
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    };
    (req, token.map(str::to_owned))
}

/// `fake` declaring what the aws driver declares of creates: its provider deduplicates server
/// creates on a client token (EC2 `ClientToken`).
fn deduplicating_creates(fake: Fake) -> Fake {
    fake.set_capabilities(Capabilities {
        create_server_idempotent_with_client_token: true,
        ..fake.capabilities()
    });
    fake
}

fn volume() -> CreateVolumeRequest {
    CreateVolumeRequest {
        name: "v".into(),
        size_gib: 1,
        zone: None,
        tags: None,
    }
}

#[tokio::test(start_paused = true)]
async fn mutations_are_retried_only_when_safe() {
    let timeout = || Step::Fail(ErrorKind::Timeout, None, Sent::Maybe);
    // A create that may have been sent, without a client token: once.
    let (driver, fake, _) = build(Fake::new(timeout()), &settings());
    let (body, token) = create(None);
    assert!(driver.create_server(&body, token.as_deref()).await.is_err());
    assert_eq!(fake.calls(), 1);
    // With a client token the provider deduplicates (EC2): retried.
    let (driver, fake, _) = build(deduplicating_creates(Fake::new(timeout())), &settings());
    let (body, token) = create(Some("tok"));
    assert!(driver.create_server(&body, token.as_deref()).await.is_err());
    assert_eq!(fake.calls(), 3);
    // The capability is per create: it does not make a volume create safe.
    assert!(
        driver
            .create_volume(&volume(), token.as_deref())
            .await
            .is_err()
    );
    assert_eq!(fake.calls(), 4);
    // A token the provider ignores (GoGrid) does not make it safe.
    let (driver, fake, _) = build(Fake::new(timeout()), &settings());
    assert!(driver.create_server(&body, token.as_deref()).await.is_err());
    assert_eq!(fake.calls(), 1);
    // Never sent: retried even without a token.
    let refused = Step::Fail(ErrorKind::Unavailable, None, Sent::No);
    let (driver, fake, _) = build(Fake::new(timeout()).then([refused]), &settings());
    let (body, token) = create(None);
    assert!(driver.create_server(&body, token.as_deref()).await.is_err());
    assert_eq!(fake.calls(), 2, "the refused try, then the timed-out one");
    // Power actions and deletes are idempotent: retried.
    let (driver, fake, _) = build(Fake::new(timeout()), &settings());
    assert!(driver.stop_server("s1").await.is_err());
    assert_eq!(fake.calls(), 3);
    // Attach after a timeout: once.
    let (driver, fake, _) = build(Fake::new(timeout()), &settings());
    assert!(driver.attach_volume("v", "s", None).await.is_err());
    assert_eq!(fake.calls(), 1);
}

/// On aws, as the driver now classifies EC2 connection failures: a create without a client
/// token is sent again after a refused connection (never sent), not after a reset once sent.
#[tokio::test(start_paused = true)]
async fn an_aws_create_without_a_token_is_retried_only_when_never_sent() {
    let (body, token) = create(None);
    let refused = Step::Fail(ErrorKind::Unavailable, None, Sent::No);
    let (driver, fake, _) = build(
        deduplicating_creates(Fake::new(Step::Answer).then([refused])),
        &settings(),
    );
    let created = driver.create_server(&body, token.as_deref()).await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(fake.calls(), 2, "the refused try, then the one that worked");
    let reset = Step::Fail(ErrorKind::Unavailable, None, Sent::Maybe);
    let (driver, fake, _) = build(
        deduplicating_creates(Fake::new(Step::Answer).then([reset])),
        &settings(),
    );
    let err = error_of(driver.create_server(&body, token.as_deref()).await);
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Unavailable, Sent::Maybe)
    );
    assert_eq!(fake.calls(), 1, "it may have made a server: not repeated");
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried_and_come_out_labelled() {
    let (driver, fake, labels) = build(Fake::new(Step::fail(ErrorKind::NotFound)), &settings());
    let err = error_of(driver.get_server("s1").await);
    assert_eq!(fake.calls(), 1);
    assert_eq!(
        (err.kind(), err.provider(), err.operation()),
        (ErrorKind::NotFound, Some("p"), Some(DriverOp::GetServer))
    );
    assert_eq!(labels.status.health(), ProviderHealth::Ok, "it answered");
}

fn breaker_settings() -> LayerSettings {
    LayerSettings {
        retry_attempts: 1,
        breaker_failures: 3,
        breaker_cooldown_secs: 10.0,
        ..settings()
    }
}

#[tokio::test(start_paused = true)]
async fn the_breaker_opens_half_opens_and_closes() {
    let (driver, fake, labels) = build(
        Fake::new(Step::fail(ErrorKind::Unavailable)),
        &breaker_settings(),
    );
    for _ in 0..3 {
        assert!(driver.get_server("s1").await.is_err());
    }
    assert_eq!(labels.status.breaker_state(), BreakerState::Open);
    assert!(!labels.status.usable());
    // While open: refused at once, without a call, retryable, with the cool-down left.
    let err = error_of(driver.get_server("s2").await);
    assert_eq!(fake.calls(), 3);
    assert_eq!(
        (err.kind(), err.is_temporary()),
        (ErrorKind::Unavailable, true)
    );
    assert_eq!(err.context(REJECTED_BY), Some("circuit_breaker"));
    assert_eq!(err.to_problem().status, 503);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(10)));
    // After the cool-down one probe goes through; its failure reopens the breaker.
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(labels.status.breaker_state(), BreakerState::HalfOpen);
    assert!(driver.get_server("s3").await.is_err());
    assert_eq!(fake.calls(), 4);
    assert_eq!(labels.status.breaker_state(), BreakerState::Open);
    // The next probe succeeds and closes it.
    tokio::time::advance(Duration::from_secs(10)).await;
    fake.set_otherwise(Step::Answer);
    assert!(driver.get_server("s4").await.is_ok());
    assert_eq!(labels.status.breaker_state(), BreakerState::Closed);
    assert!(labels.status.usable());
}

#[tokio::test(start_paused = true)]
async fn the_breaker_lets_one_probe_through_at_a_time() {
    let (driver, fake, labels) = build(
        Fake::new(Step::fail(ErrorKind::Timeout)),
        &breaker_settings(),
    );
    for _ in 0..3 {
        assert!(driver.get_server("s1").await.is_err());
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    fake.set_otherwise(Step::Delay(Duration::from_secs(1)));
    let probe = {
        let driver = driver.clone();
        tokio::spawn(async move { driver.get_server("probe").await.is_ok() })
    };
    tokio::task::yield_now().await;
    let other = error_of(driver.get_server("other").await);
    assert_eq!(other.context(REJECTED_BY), Some("circuit_breaker"));
    assert!(matches!(probe.await, Ok(true)));
    assert_eq!(fake.calls(), 4);
    assert_eq!(labels.status.breaker_state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn answers_that_are_not_provider_failures_never_open_the_breaker() {
    let (driver, fake, labels) = build(
        Fake::new(Step::fail(ErrorKind::NotFound)),
        &breaker_settings(),
    );
    for _ in 0..5 {
        assert!(driver.get_server("s1").await.is_err());
    }
    fake.set_otherwise(Step::fail(ErrorKind::InvalidRequest));
    for _ in 0..5 {
        assert!(driver.get_server("s1").await.is_err());
    }
    assert_eq!(fake.calls(), 10);
    assert_eq!(labels.status.breaker_state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_stops_the_retries() {
    let retrying = LayerSettings {
        retry_attempts: 10,
        retry_budget_secs: 60.0,
        breaker_failures: 2,
        ..breaker_settings()
    };
    let (driver, fake, _) = build(Fake::new(Step::fail(ErrorKind::Unavailable)), &retrying);
    let err = error_of(driver.get_server("s1").await);
    assert_eq!(err.context(REJECTED_BY), Some("circuit_breaker"));
    assert_eq!(
        fake.calls(),
        2,
        "retry sits above the breaker and stops at it"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_refuses_at_once_with_rate_limited() {
    let small = LayerSettings {
        max_concurrency: 1,
        max_queue: 1,
        ..settings()
    };
    let (driver, fake, _) = build(Fake::new(Step::Delay(Duration::from_secs(1))), &small);
    let running = (0..2).map(|i| {
        let driver = driver.clone();
        tokio::spawn(async move { driver.get_server(&format!("s{i}")).await.is_ok() })
    });
    let running: Vec<_> = running.collect();
    tokio::task::yield_now().await;
    let err = error_of(driver.get_server("third").await);
    assert_eq!(
        (err.kind(), err.sent(), err.context(REJECTED_BY)),
        (ErrorKind::RateLimited, Sent::No, Some("concurrency_limit"))
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    for r in futures::future::join_all(running).await {
        assert!(matches!(r, Ok(true)));
    }
    assert_eq!(
        fake.calls(),
        2,
        "the refused call never reached the provider"
    );
}

#[tokio::test]
async fn capabilities_are_read_live_through_the_stack() {
    let (driver, fake, _) = build(Fake::new(Step::Answer), &settings());
    assert!(!driver.capabilities().start_server);
    fake.set_capabilities(Capabilities {
        start_server: true,
        ..Capabilities::default()
    });
    assert!(driver.capabilities().start_server);
}

#[tokio::test(start_paused = true)]
async fn health_follows_what_the_provider_answered() {
    let (driver, fake, labels) = build(Fake::new(Step::Answer), &breaker_settings());
    assert_eq!(labels.status.health(), ProviderHealth::Unknown);
    assert!(driver.get_server("s1").await.is_ok());
    assert_eq!(labels.status.health(), ProviderHealth::Ok);
    fake.set_otherwise(Step::fail(ErrorKind::Unavailable));
    assert!(driver.get_server("s1").await.is_err());
    assert_eq!(labels.status.health(), ProviderHealth::Unavailable);
    assert!(!labels.status.usable(), "failed within the cool-down");
    tokio::time::advance(Duration::from_secs(10)).await;
    assert!(labels.status.usable(), "an old failure no longer counts");
}
