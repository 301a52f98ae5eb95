//! The webhook delivery queue and the audit log, one suite against every store (memory, SQLite, PostgreSQL via
//! `CLOUDGW_TEST_DATABASE_URL`, which `scripts/with-postgres` provides; without it the
//! PostgreSQL cases fail, never skip).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use cloudgw::audit::{AuditQuery, AuditRecord};
use cloudgw::model::{CloudEvent, DeliveryStatus, EventType};
use cloudgw::store::{DeliveryFilter, Store, StoreError, Tried};
use sqlx::Executor;
use time::OffsetDateTime;

struct Opened {
    store: Arc<dyn Store>,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Opened {
    /// Another handle on the same database (another replica, or after a restart).
    async fn again(&self) -> Arc<dyn Store> {
        cloudgw::store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("reopen: {e}"))
    }
}

async fn open(kind: &str) -> Opened {
    let (url, dir) = match kind {
        "memory" => ("memory:".to_owned(), None),
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let url = format!("sqlite:{}", dir.path().join("t.db").display());
            (url, Some(dir))
        }
        _ => {
            let Ok(admin) = std::env::var("CLOUDGW_TEST_DATABASE_URL") else {
                panic!("CLOUDGW_TEST_DATABASE_URL is not set: run under scripts/with-postgres");
            };
            let name = format!("d_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            pool.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), None)
        }
    };
    let store = cloudgw::store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("open {kind}: {e}"));
    Opened {
        store,
        url,
        _dir: dir,
    }
}

fn event(n: usize) -> CloudEvent {
    CloudEvent::new(
        EventType::ServerStateChanged,
        "gogrid",
        format!("servers/{n}"),
        serde_json::json!({"n": n}),
    )
}

fn all(limit: usize) -> DeliveryFilter {
    DeliveryFilter {
        limit,
        ..DeliveryFilter::default()
    }
}

const LEASE: Duration = Duration::from_secs(60);

async fn an_event_is_queued_once_per_webhook(s: Opened) -> Result<(), StoreError> {
    let e = event(1);
    assert!(s.store.enqueue_delivery("a", &e).await?);
    assert!(
        !s.store.enqueue_delivery("a", &e).await?,
        "the same event again"
    );
    if s.url != "memory:" {
        assert!(
            !s.again().await.enqueue_delivery("a", &e).await?,
            "from another replica"
        );
    }
    assert!(s.store.enqueue_delivery("b", &e).await?, "another webhook");
    let listed = s.store.list_deliveries(&all(10)).await?;
    let webhooks: Vec<_> = listed.iter().map(|(_, d)| d.webhook.as_str()).collect();
    assert_eq!(webhooks, ["b", "a"], "newest first");
    assert!(
        listed
            .iter()
            .all(|(_, d)| d.status == DeliveryStatus::Pending && d.attempts == 0)
    );
    Ok(())
}

async fn claims_retries_and_outcomes(s: Opened) -> Result<(), StoreError> {
    let e = event(1);
    s.store.enqueue_delivery("a", &e).await?;
    let now = OffsetDateTime::now_utc();
    let claimed = s.store.claim_deliveries(now, LEASE, 10).await?;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].delivery.attempts, 1);
    assert_eq!(claimed[0].event, e, "the event comes back as queued");
    assert!(
        s.store.claim_deliveries(now, LEASE, 10).await?.is_empty(),
        "claimed"
    );
    let retry_at = now + Duration::from_secs(30);
    let tried = Tried {
        status: DeliveryStatus::Pending,
        last_status: Some(503),
        last_error: Some("answered 503".into()),
        next_attempt_at: Some(retry_at),
    };
    s.store.record_delivery("a", &e.id, tried).await?;
    assert!(
        s.store.claim_deliveries(now, LEASE, 10).await?.is_empty(),
        "not due yet"
    );
    let later = now + Duration::from_secs(31);
    let again = s.store.claim_deliveries(later, LEASE, 10).await?;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.attempts, 2);
    assert_eq!(again[0].delivery.last_status, Some(503));
    let done = Tried {
        status: DeliveryStatus::Delivered,
        last_status: Some(204),
        last_error: None,
        next_attempt_at: None,
    };
    s.store.record_delivery("a", &e.id, done).await?;
    let far = later + Duration::from_secs(3600);
    assert!(
        s.store.claim_deliveries(far, LEASE, 10).await?.is_empty(),
        "delivered"
    );
    let (_, record) = s.store.list_deliveries(&all(1)).await?.remove(0);
    assert_eq!(
        (record.status, record.attempts, record.last_status),
        (DeliveryStatus::Delivered, 2, Some(204))
    );
    Ok(())
}

async fn a_claim_whose_lease_ran_out_is_claimed_again(s: Opened) -> Result<(), StoreError> {
    s.store.enqueue_delivery("a", &event(1)).await?;
    let now = OffsetDateTime::now_utc();
    assert_eq!(
        s.store
            .claim_deliveries(now, Duration::from_secs(5), 10)
            .await?
            .len(),
        1
    );
    let after = now + Duration::from_secs(6);
    let again = s.store.claim_deliveries(after, LEASE, 10).await?;
    assert_eq!(again.len(), 1, "its worker died: claimed again");
    assert_eq!(again[0].delivery.attempts, 2);
    Ok(())
}

async fn two_replicas_never_claim_the_same_delivery(s: Opened) -> Result<(), StoreError> {
    for n in 0..40 {
        s.store.enqueue_delivery("a", &event(n)).await?;
    }
    let other = if s.url == "memory:" {
        s.store.clone()
    } else {
        s.again().await
    };
    let now = OffsetDateTime::now_utc();
    let mut seen = HashSet::new();
    for _ in 0..10 {
        let (one, two) = tokio::join!(
            s.store.claim_deliveries(now, LEASE, 3),
            other.claim_deliveries(now, LEASE, 3)
        );
        for claimed in one?.into_iter().chain(two?) {
            assert!(seen.insert(claimed.event.id.clone()), "claimed twice");
        }
    }
    assert_eq!(seen.len(), 40);
    Ok(())
}

async fn deliveries_are_filtered_and_paged(s: Opened) -> Result<(), StoreError> {
    for n in 0..5 {
        s.store
            .enqueue_delivery(if n % 2 == 0 { "even" } else { "odd" }, &event(n))
            .await?;
    }
    let now = OffsetDateTime::now_utc();
    let claimed = s.store.claim_deliveries(now, LEASE, 1).await?;
    let failed = Tried {
        status: DeliveryStatus::Failed,
        last_status: Some(410),
        last_error: Some("answered 410".into()),
        next_attempt_at: None,
    };
    s.store
        .record_delivery("even", &claimed[0].event.id, failed)
        .await?;
    let dead = DeliveryFilter {
        status: Some(DeliveryStatus::Failed),
        ..all(10)
    };
    let dead = s.store.list_deliveries(&dead).await?;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].1.event_id, claimed[0].event.id);
    let odd = DeliveryFilter {
        webhook: Some("odd".into()),
        ..all(10)
    };
    assert_eq!(s.store.list_deliveries(&odd).await?.len(), 2);
    let first = s.store.list_deliveries(&all(2)).await?;
    let rest = DeliveryFilter {
        before: first.last().map(|(p, _)| *p),
        ..all(10)
    };
    let rest = s.store.list_deliveries(&rest).await?;
    assert_eq!(first.len() + rest.len(), 5);
    let positions: Vec<i64> = first.iter().chain(&rest).map(|(p, _)| *p).collect();
    assert!(positions.windows(2).all(|w| w[0] > w[1]), "{positions:?}");
    Ok(())
}

async fn the_feed_position_survives_reopening(s: Opened) -> Result<(), StoreError> {
    assert_eq!(s.store.feed_position().await?, None);
    s.store.set_feed_position("abc-1").await?;
    s.store.set_feed_position("abc-7").await?;
    assert_eq!(s.store.feed_position().await?.as_deref(), Some("abc-7"));
    if s.url != "memory:" {
        let reopened = s.again().await;
        assert_eq!(reopened.feed_position().await?.as_deref(), Some("abc-7"));
        s.store.enqueue_delivery("a", &event(1)).await?;
        assert_eq!(
            reopened.list_deliveries(&all(10)).await?.len(),
            1,
            "the queue too"
        );
    }
    Ok(())
}

fn audit_record(caller: &str, provider: Option<&str>, outcome: &str) -> AuditRecord {
    AuditRecord {
        seq: 0,
        time: OffsetDateTime::now_utc(),
        caller: caller.into(),
        role: Some("operator".into()),
        method: "POST".into(),
        action: "/v1/providers/{provider}/servers/{id}/stop".into(),
        provider: provider.map(str::to_owned),
        target: Some("web-1".into()),
        status: 202,
        outcome: outcome.into(),
        request_id: Some("r-1".into()),
    }
}

async fn the_audit_log_is_kept_filtered_and_paged(s: Opened) -> Result<(), StoreError> {
    let failed = |e: cloudgw::audit::AuditError| StoreError(e.to_string());
    for (caller, provider, outcome) in [
        ("token:a", Some("gg"), "succeeded"),
        ("token:b", Some("occi"), "refused"),
        ("token:a", None, "refused"),
        ("token:a", Some("gg"), "failed"),
    ] {
        s.store
            .append(audit_record(caller, provider, outcome))
            .await
            .map_err(failed)?;
    }
    let query = |caller: Option<&str>, provider: Option<&str>, outcome: Option<&str>| AuditQuery {
        caller: caller.map(str::to_owned),
        provider: provider.map(str::to_owned),
        outcome: outcome.map(str::to_owned),
        after: None,
        limit: 10,
    };
    let all = s
        .store
        .list(&query(None, None, None))
        .await
        .map_err(failed)?;
    assert_eq!(all.items.len(), 4);
    assert!(
        all.items.windows(2).all(|w| w[0].seq < w[1].seq),
        "oldest first"
    );
    assert_eq!(all.items[0].target.as_deref(), Some("web-1"));
    let of_a = s
        .store
        .list(&query(Some("token:a"), None, None))
        .await
        .map_err(failed)?;
    assert_eq!(of_a.items.len(), 3);
    let gg = s
        .store
        .list(&query(None, Some("gg"), None))
        .await
        .map_err(failed)?;
    assert_eq!(gg.items.len(), 2);
    let refused = s
        .store
        .list(&query(None, None, Some("refused")))
        .await
        .map_err(failed)?;
    assert_eq!(refused.items.len(), 2);
    let first = s
        .store
        .list(&AuditQuery {
            limit: 3,
            ..query(None, None, None)
        })
        .await
        .map_err(failed)?;
    assert_eq!(first.items.len(), 3);
    let rest = s
        .store
        .list(&AuditQuery {
            after: first.next_after,
            ..query(None, None, None)
        })
        .await
        .map_err(failed)?;
    assert_eq!((rest.items.len(), rest.next_after), (1, None));
    if s.url != "memory:" {
        let reopened = s.again().await;
        let kept = reopened
            .list(&query(None, None, None))
            .await
            .map_err(failed)?;
        assert_eq!(kept.items, all.items, "kept across a restart");
    }
    Ok(())
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod memory { $( #[tokio::test] async fn $case() -> Result<(), super::StoreError> { super::$case(super::open("memory").await).await } )* }
        mod sqlite { $( #[tokio::test] async fn $case() -> Result<(), super::StoreError> { super::$case(super::open("sqlite").await).await } )* }
        mod postgres { $( #[tokio::test] async fn $case() -> Result<(), super::StoreError> { super::$case(super::open("postgres").await).await } )* }
    };
}

suite!(
    an_event_is_queued_once_per_webhook,
    claims_retries_and_outcomes,
    a_claim_whose_lease_ran_out_is_claimed_again,
    two_replicas_never_claim_the_same_delivery,
    deliveries_are_filtered_and_paged,
    the_feed_position_survives_reopening,
    the_audit_log_is_kept_filtered_and_paged,
);
