use std::time::Duration;

use futures::StreamExt;

use super::*;
use crate::model::EventType;

fn event(subject: &str) -> CloudEvent {
    CloudEvent::new(
        EventType::ServerStateChanged,
        "p",
        subject.into(),
        serde_json::json!({}),
    )
}

async fn next(live: &mut (impl Stream<Item = Arc<Sequenced>> + Unpin)) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(5), live.next())
        .await
        .ok()
        .flatten()
        .map(|e| e.event.subject.clone())
}

async fn all(catch_up: impl Stream<Item = Arc<Sequenced>>) -> Vec<Arc<Sequenced>> {
    catch_up.collect().await
}

#[tokio::test]
async fn listener_receives_events_published_after_it_subscribed() -> Result<(), StoreError> {
    let events = Events::new();
    events.publish(event("servers/before")).await;
    let mut sub = events.subscribe(None).await?;
    assert!(all(sub.catch_up).await.is_empty());
    events.publish(event("servers/after")).await;
    assert_eq!(next(&mut sub.live).await.as_deref(), Some("servers/after"));
    Ok(())
}

#[tokio::test]
async fn reconnecting_listener_gets_what_it_missed_once() -> Result<(), StoreError> {
    let events = Events::new();
    events.publish(event("servers/a")).await;
    events.publish(event("servers/b")).await;
    events.publish(event("servers/c")).await;
    let unknown = all(events.subscribe(Some("00000000-0")).await?.catch_up).await;
    assert_eq!(unknown.len(), 4, "a notice, then every kept event");
    assert_eq!(unknown[0].event.event_type, EventType::EventsMissed);
    let a_id = unknown[1].stream_id.clone();
    let mut sub = events.subscribe(Some(&a_id)).await?;
    let subjects: Vec<_> = all(&mut sub.catch_up)
        .await
        .iter()
        .map(|e| e.event.subject.clone())
        .collect();
    assert_eq!(subjects, ["servers/b", "servers/c"]);
    events.publish(event("servers/d")).await;
    assert_eq!(
        next(&mut sub.live).await.as_deref(),
        Some("servers/d"),
        "live events follow, none repeated"
    );
    Ok(())
}

#[tokio::test]
async fn a_listener_behind_retention_is_told_first() -> Result<(), StoreError> {
    let store = Arc::new(MemoryStore::new());
    let events = Events::over(store.clone());
    events.publish(event("servers/old")).await;
    let old = all(events.subscribe(Some("00000000-0")).await?.catch_up).await;
    let first_id = old[1].stream_id.clone();
    events.publish(event("servers/between")).await;
    store
        .prune_events(OffsetDateTime::now_utc() + Duration::from_secs(1))
        .await?;
    events.publish(event("servers/new")).await;
    let got = all(events.subscribe(Some(&first_id)).await?.catch_up).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].event.event_type, EventType::EventsMissed);
    assert_eq!(got[0].event.data["reason"], "expired");
    assert_eq!(got[1].event.subject, "servers/new");
    Ok(())
}

#[test]
fn stream_ids_are_recognised() {
    assert!(Events::is_stream_id("0a1b2c3d-17"));
    assert!(!Events::is_stream_id("17"));
    assert!(!Events::is_stream_id("zz-1"));
    assert!(!Events::is_stream_id("0a1b-x"));
}
