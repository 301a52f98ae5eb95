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
