//! The periodic clean-up: idempotency keys past their time to live, events past retention.
//! Every replica may run it; the deletes are the same whoever runs them.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::Store;

/// How long records are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Idempotency keys are forgotten this long after their first use
    /// (`serve --idempotency-ttl-secs`).
    pub idempotency_ttl: Duration,
    /// Events are removed from the log this long after they happened
    /// (`serve --event-retention-secs`).
    pub events: Duration,
}

impl Default for Retention {
    /// A day for idempotency keys, a week for events.
    fn default() -> Self {
        Retention {
            idempotency_ttl: Duration::from_secs(86_400),
            events: Duration::from_secs(7 * 86_400),
        }
    }
}

impl Retention {
    /// How often the janitor runs: a quarter of the shorter period, between 1 s and a minute
    /// (so a record outlives its period by at most that).
    pub fn interval(&self) -> Duration {
        (self.idempotency_ttl.min(self.events) / 4)
            .clamp(Duration::from_secs(1), Duration::from_secs(60))
    }
}

/// One clean-up pass; says how many idempotency records and events it removed.
pub async fn clean(
    store: &dyn Store,
    retention: Retention,
) -> Result<(u64, u64), super::StoreError> {
    let now = OffsetDateTime::now_utc();
    let keys = store
        .expire_idempotent(now - retention.idempotency_ttl)
        .await?;
    let events = store.prune_events(now - retention.events).await?;
    Ok((keys, events))
}

/// Runs [`clean`] now and every [`Retention::interval`], until the process ends.
pub fn spawn_janitor(store: Arc<dyn Store>, retention: Retention) {
    tokio::spawn(async move {
        loop {
            match clean(store.as_ref(), retention).await {
                Ok((0, 0)) => {}
                Ok((keys, events)) => tracing::debug!(keys, events, "expired records removed"),
                Err(e) => tracing::warn!(error = %e, "store clean-up failed; will retry"),
            }
            tokio::time::sleep(retention.interval()).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CloudEvent, EventType};
    use crate::store::{EventStore, IdempotencyStore, MemoryStore};

    #[test]
    fn the_janitor_runs_between_once_a_second_and_once_a_minute() {
        let every = |ttl, events| {
            Retention {
                idempotency_ttl: Duration::from_secs(ttl),
                events: Duration::from_secs(events),
            }
            .interval()
        };
        assert_eq!(Retention::default().interval(), Duration::from_secs(60));
        assert_eq!(every(8, 86_400), Duration::from_secs(2));
        assert_eq!(every(1, 1), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_pass_removes_what_is_past_its_period_only() -> Result<(), crate::store::StoreError> {
        let store = MemoryStore::new();
        let lease = Duration::from_secs(15);
        store.begin_idempotent("k", "f", "h", lease).await?;
        let event = CloudEvent::new(
            EventType::ServerStateChanged,
            "p",
            "servers/x".into(),
            serde_json::json!({}),
        );
        store.append_event(&event).await?;
        assert_eq!(clean(&store, Retention::default()).await?, (0, 0));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let short = Retention {
            idempotency_ttl: Duration::from_millis(10),
            events: Duration::from_millis(10),
        };
        assert_eq!(clean(&store, short).await?, (1, 1));
        Ok(())
    }
}
