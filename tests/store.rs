//! One store suite, run against every store: memory, SQLite (a file in a temp dir) and
//! PostgreSQL (a fresh database per test on the server `CLOUDGW_TEST_DATABASE_URL` names;
//! `scripts/with-postgres` provides one — without it the PostgreSQL cases fail, never skip).

use std::sync::Arc;
use std::time::Duration;

use cloudgw::model::{
    CloudEvent, EventType, Operation, OperationKind, OperationStatus, ResourceKind,
};
use cloudgw::store::{
    IdempotencyBegin, OperationFilter, OperationPosition, Store, StoreError, StoredOutcome,
};
use sqlx::Executor;
use time::OffsetDateTime;

/// A store under test and what keeps it alive (a temp dir), reopenable when durable.
struct Opened {
    store: Arc<dyn Store>,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Opened {
    /// A second store on the same database (another replica, or the same after a restart).
    async fn again(&self) -> Arc<dyn Store> {
        match cloudgw::store::open(&self.url).await {
            Ok(s) => s,
            Err(e) => panic!("reopen: {e}"),
        }
    }
}

/// A fresh database on the test PostgreSQL server.
pub async fn fresh_postgres() -> String {
    let Ok(admin) = std::env::var("CLOUDGW_TEST_DATABASE_URL") else {
        panic!("CLOUDGW_TEST_DATABASE_URL is not set: run under scripts/with-postgres");
    };
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let pool = match sqlx::PgPool::connect(&admin).await {
        Ok(p) => p,
        Err(e) => panic!("connect {admin}: {e}"),
    };
    if let Err(e) = pool
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
    {
        panic!("create database: {e}");
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

async fn open(kind: &str) -> Opened {
    let (url, dir) = match kind {
        "memory" => ("memory:".to_owned(), None),
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let url = format!("sqlite:{}", dir.path().join("t.db").display());
            (url, Some(dir))
        }
        _ => (fresh_postgres().await, None),
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

fn operation(id: &str, provider: &str, created: OffsetDateTime) -> Operation {
    Operation {
        id: id.into(),
        kind: OperationKind::CreateServer,
        status: OperationStatus::Pending,
        provider: provider.into(),
        resource_kind: ResourceKind::Server,
        resource_id: format!("srv-{id}"),
        created_at: created,
        updated_at: created,
        problem: None,
    }
}

fn event(subject: &str) -> CloudEvent {
    CloudEvent::new(
        EventType::ServerStateChanged,
        "p",
        subject.into(),
        serde_json::json!({"n": subject}),
    )
}

const LEASE: Duration = Duration::from_secs(15);

async fn operations_are_listed_newest_first_filtered_and_paged(
    s: Opened,
) -> Result<(), StoreError> {
    let t0 = OffsetDateTime::now_utc() - Duration::from_secs(100);
    for i in 0..5u64 {
        let provider = if i % 2 == 0 { "a" } else { "b" };
        let created = t0 + Duration::from_secs(i);
        s.store
            .put_operation(&operation(&format!("op{i}"), provider, created))
            .await?;
    }
    let mut done = operation("op1", "b", t0 + Duration::from_secs(1));
    done.status = OperationStatus::Succeeded;
    s.store.put_operation(&done).await?;
    assert_eq!(
        s.store.get_operation("op1").await?.map(|o| o.status),
        Some(OperationStatus::Succeeded)
    );
    assert_eq!(s.store.get_operation("nope").await?, None);
    let all = OperationFilter::default();
    let ids = |ops: Vec<Operation>| ops.into_iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.store.list_operations(&all, None, 10).await?),
        ["op4", "op3", "op2", "op1", "op0"]
    );
    let first = s.store.list_operations(&all, None, 2).await?;
    let last = first.last().map(|o| OperationPosition {
        created_ms: (o.created_at.unix_timestamp_nanos() / 1_000_000) as i64,
        id: o.id.clone(),
    });
    assert_eq!(
        ids(s.store.list_operations(&all, last.as_ref(), 2).await?),
        ["op2", "op1"]
    );
    let only_a = OperationFilter {
        provider: Some("a".into()),
        ..OperationFilter::default()
    };
    assert_eq!(
        ids(s.store.list_operations(&only_a, None, 10).await?),
        ["op4", "op2", "op0"]
    );
    let succeeded = OperationFilter {
        status: Some(OperationStatus::Succeeded),
        ..OperationFilter::default()
    };
    assert_eq!(
        ids(s.store.list_operations(&succeeded, None, 10).await?),
        ["op1"]
    );
    let resource = OperationFilter {
        resource_id: Some("srv-op3".into()),
        ..OperationFilter::default()
    };
    assert_eq!(
        ids(s.store.list_operations(&resource, None, 10).await?),
        ["op3"]
    );
    let mut unfinished = ids(s.store.unfinished_operations().await?);
    unfinished.sort();
    assert_eq!(unfinished, ["op0", "op2", "op3", "op4"]);
    Ok(())
}

async fn idempotency_claims_replay_and_mismatch(s: Opened) -> Result<(), StoreError> {
    let st = &s.store;
    assert_eq!(
        st.begin_idempotent("k", "f1", "h1", LEASE).await?,
        IdempotencyBegin::Proceed
    );
    assert_eq!(
        st.begin_idempotent("k", "f1", "h2", LEASE).await?,
        IdempotencyBegin::InFlight
    );
    assert_eq!(
        st.begin_idempotent("k", "f2", "h2", LEASE).await?,
        IdempotencyBegin::Mismatch
    );
    assert!(st.renew_idempotent("k", "h1", LEASE).await?);
    assert!(
        !st.renew_idempotent("k", "h2", LEASE).await?,
        "not the holder"
    );
    let outcome = StoredOutcome {
        json: b"{\"a\":1}".to_vec(),
    };
    st.finish_idempotent("k", "h1", outcome.clone()).await?;
    assert_eq!(
        st.begin_idempotent("k", "f1", "h3", LEASE).await?,
        IdempotencyBegin::Replay(outcome)
    );
    // A release by the holder frees the key; a release by anyone else does nothing.
    assert_eq!(
        st.begin_idempotent("r", "f1", "h1", LEASE).await?,
        IdempotencyBegin::Proceed
    );
    st.release_idempotent("r", "h2").await?;
    assert_eq!(
        st.begin_idempotent("r", "f1", "h2", LEASE).await?,
        IdempotencyBegin::InFlight
    );
    st.release_idempotent("r", "h1").await?;
    assert_eq!(
        st.begin_idempotent("r", "f9", "h2", LEASE).await?,
        IdempotencyBegin::Proceed
    );
    Ok(())
}

async fn a_claim_whose_lease_ran_out_is_taken_over(s: Opened) -> Result<(), StoreError> {
    let st = &s.store;
    let short = Duration::from_millis(200);
    assert_eq!(
        st.begin_idempotent("k", "f", "dead", short).await?,
        IdempotencyBegin::Proceed
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        st.begin_idempotent("k", "f", "alive", LEASE).await?,
        IdempotencyBegin::Proceed
    );
    assert_eq!(
        st.begin_idempotent("k", "f", "third", LEASE).await?,
        IdempotencyBegin::InFlight
    );
    st.finish_idempotent(
        "k",
        "dead",
        StoredOutcome {
            json: b"1".to_vec(),
        },
    )
    .await?;
    assert_eq!(
        st.begin_idempotent("k", "f", "third", LEASE).await?,
        IdempotencyBegin::InFlight,
        "the dead holder's late finish is ignored"
    );
    Ok(())
}

async fn concurrent_claims_on_two_handles_have_one_winner(s: Opened) -> Result<(), StoreError> {
    let other = if s.url == "memory:" {
        s.store.clone()
    } else {
        s.again().await
    };
    let mut tasks = Vec::new();
    for i in 0..40 {
        let st = if i % 2 == 0 {
            s.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            st.begin_idempotent("same", "f", &format!("h{i}"), LEASE)
                .await
        }));
    }
    let mut winners = 0;
    for t in tasks {
        match t.await.map_err(|e| StoreError(e.to_string()))?? {
            IdempotencyBegin::Proceed => winners += 1,
            IdempotencyBegin::InFlight => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    Ok(())
}

async fn idempotency_records_expire(s: Opened) -> Result<(), StoreError> {
    s.store.begin_idempotent("old", "f", "h", LEASE).await?;
    assert_eq!(
        s.store
            .expire_idempotent(OffsetDateTime::now_utc() - Duration::from_secs(60))
            .await?,
        0
    );
    assert_eq!(
        s.store
            .expire_idempotent(OffsetDateTime::now_utc() + Duration::from_secs(1))
            .await?,
        1
    );
    assert_eq!(
        s.store.begin_idempotent("old", "g", "h", LEASE).await?,
        IdempotencyBegin::Proceed
    );
    Ok(())
}

async fn events_get_increasing_positions_and_retention_is_recorded(
    s: Opened,
) -> Result<(), StoreError> {
    let st = &s.store;
    let a = st.append_event(&event("a")).await?;
    let b = st.append_event(&event("b")).await?;
    let c = st.append_event(&event("c")).await?;
    assert!(a < b && b < c);
    let after_a: Vec<_> = st
        .events_after(a, 10)
        .await?
        .into_iter()
        .map(|(n, e)| (n, e.subject))
        .collect();
    assert_eq!(after_a, [(b, "b".to_owned()), (c, "c".to_owned())]);
    assert_eq!(st.events_after(a, 1).await?.len(), 1);
    let bounds = st.event_bounds().await?;
    assert_eq!((bounds.pruned_through, bounds.last), (0, c));
    assert_eq!(
        st.prune_events(OffsetDateTime::now_utc() + Duration::from_secs(1))
            .await?,
        3
    );
    let d = st.append_event(&event("d")).await?;
    assert!(d > c, "positions are never reused");
    let bounds = st.event_bounds().await?;
    assert_eq!((bounds.pruned_through, bounds.last), (c, d));
    assert_eq!(st.events_after(0, 10).await?.len(), 1);
    Ok(())
}

async fn leases_have_one_holder_until_they_run_out(s: Opened) -> Result<(), StoreError> {
    let st = &s.store;
    assert!(
        st.acquire_lease("x", "a", Duration::from_millis(300))
            .await?
    );
    assert!(
        st.acquire_lease("x", "a", Duration::from_millis(300))
            .await?,
        "renewal"
    );
    assert!(!st.acquire_lease("x", "b", LEASE).await?);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        st.acquire_lease("x", "b", LEASE).await?,
        "taken over after it ran out"
    );
    st.release_lease("x", "a").await?;
    assert!(
        !st.acquire_lease("x", "a", LEASE).await?,
        "a stranger's release does nothing"
    );
    st.release_lease("x", "b").await?;
    assert!(st.acquire_lease("x", "a", LEASE).await?);
    Ok(())
}

async fn everything_survives_reopening(s: Opened) -> Result<(), StoreError> {
    if s.url == "memory:" {
        return Ok(()); // the one store that does not, by design
    }
    let now = OffsetDateTime::now_utc();
    s.store.put_operation(&operation("op", "p", now)).await?;
    s.store.begin_idempotent("k", "f", "h", LEASE).await?;
    s.store
        .finish_idempotent(
            "k",
            "h",
            StoredOutcome {
                json: b"7".to_vec(),
            },
        )
        .await?;
    let seq = s.store.append_event(&event("e")).await?;
    let stream = s.store.stream_name().await?;
    let again = s.again().await;
    assert!(again.get_operation("op").await?.is_some());
    assert_eq!(
        again.begin_idempotent("k", "f", "h2", LEASE).await?,
        IdempotencyBegin::Replay(StoredOutcome {
            json: b"7".to_vec()
        })
    );
    assert_eq!(again.event_bounds().await?.last, seq);
    assert_eq!(again.stream_name().await?, stream, "event ids stay valid");
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
    operations_are_listed_newest_first_filtered_and_paged,
    idempotency_claims_replay_and_mismatch,
    a_claim_whose_lease_ran_out_is_taken_over,
    concurrent_claims_on_two_handles_have_one_winner,
    idempotency_records_expire,
    events_get_increasing_positions_and_retention_is_recorded,
    leases_have_one_holder_until_they_run_out,
    everything_survives_reopening,
);
