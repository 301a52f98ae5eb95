//! The gateway's event stream: state changes it causes or observes, as CloudEvents, kept in the
//! store's event log (increasing positions, a retention period) and fanned out to every
//! `GET /v1/events` listener of this process. A listener that reconnects with `Last-Event-ID`
//! gets what it missed from the log — across restarts, and from any replica on one PostgreSQL.
//! When the log no longer has what it missed (retention) or does not know the id, it is told
//! with a [`EventType::EventsMissed`] event first: never a silently partial history.
//!
//! One pump task per process reads the log in position order and broadcasts; it wakes when this
//! process appends, when another replica announces (PostgreSQL NOTIFY), and every [`POLL`]
//! (another process on the same SQLite file; a lost notification).

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::{Stream, stream};
use time::OffsetDateTime;
use tokio::sync::{OnceCell, broadcast};

use crate::model::{CloudEvent, EventType};
use crate::store::{EventStore, MemoryStore, StoreError};

/// How many events a listener may fall behind before its stream ends (it reconnects with
/// `Last-Event-ID` and catches up from the log).
const LIVE_BUFFER: usize = 1024;

/// How many events one read of the log takes.
const PAGE: usize = 500;

/// How often the pump looks at the log without being woken.
const POLL: Duration = Duration::from_secs(1);

/// How long an event stream lasts by default and at most, unless the operator says otherwise.
pub const DEFAULT_MAX_STREAM: Duration = Duration::from_secs(300);

/// One event with its position in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequenced {
    /// The stream id (`<stream>-<n>`): what `Last-Event-ID` takes.
    pub stream_id: String,
    /// Position in the log, from 1.
    pub seq: u64,
    /// The event.
    pub event: CloudEvent,
}

/// Publishes events and lets listeners subscribe. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
    max_stream: Duration,
}

struct Inner {
    store: Arc<dyn EventStore>,
    sender: broadcast::Sender<Arc<Sequenced>>,
    /// The log's stream name; read once, when first needed.
    stream: OnceCell<String>,
    /// Set once the pump runs (started by the first listener).
    pump: OnceCell<()>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("stream", &self.inner.stream.get())
            .field("max_stream", &self.max_stream)
            .finish_non_exhaustive()
    }
}

impl Default for Events {
    fn default() -> Self {
        Events::new()
    }
}

/// Where a listener starts: first `catch_up` (a notice of missed events, then the logged events
/// after its `Last-Event-ID`), then `live`.
pub struct Subscription {
    /// What the listener missed, oldest first.
    pub catch_up: std::pin::Pin<Box<dyn Stream<Item = Arc<Sequenced>> + Send>>,
    /// Events from now on (those already in `catch_up` left out).
    pub live: std::pin::Pin<Box<dyn Stream<Item = Arc<Sequenced>> + Send>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Events {
    /// A stream over a fresh in-memory log.
    pub fn new() -> Events {
        Events::over(Arc::new(MemoryStore::new()))
    }

    /// A stream over `store`'s event log.
    pub fn over(store: Arc<dyn EventStore>) -> Events {
        let (sender, _) = broadcast::channel(LIVE_BUFFER);
        Events {
            inner: Arc::new(Inner {
                store,
                sender,
                stream: OnceCell::new(),
                pump: OnceCell::new(),
            }),
            max_stream: DEFAULT_MAX_STREAM,
        }
    }

    /// Sets how long one `GET /v1/events` stream lasts at most.
    pub fn with_max_stream(mut self, max: Duration) -> Events {
        self.max_stream = max;
        self
    }

    /// How long one stream lasts at most.
    pub fn max_stream(&self) -> Duration {
        self.max_stream
    }

    /// Appends `event` to the log; listeners of every replica receive it. A store failure is
    /// logged, not returned: the change the event tells of has happened either way.
    pub async fn publish(&self, event: CloudEvent) {
        if let Err(e) = self.inner.store.append_event(&event).await {
            tracing::error!(error = %e, event_type = ?event.event_type, "event not recorded");
        }
    }

    async fn stream_name(&self) -> Result<&str, StoreError> {
        let store = &self.inner.store;
        let name = self
            .inner
            .stream
            .get_or_try_init(|| async { store.stream_name().await })
            .await?;
        Ok(name.as_str())
    }

    /// Starts the pump once, at the log's current end (a listener reads what came before from
    /// the log itself).
    async fn start_pump(&self) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let stream = self.stream_name().await?.to_owned();
        let weak = Arc::downgrade(&self.inner);
        self.inner
            .pump
            .get_or_try_init(|| async {
                let from = store.event_bounds().await?.last;
                tokio::spawn(pump(weak, stream, from));
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(())
    }

    /// Starts listening. `last_event_id` is the `Last-Event-ID` the listener sent (checked with
    /// [`Events::is_stream_id`]): the logged events after it come first. No id: only new events.
    pub async fn subscribe(&self, last_event_id: Option<&str>) -> Result<Subscription, StoreError> {
        self.start_pump().await?;
        let stream = self.stream_name().await?.to_owned();
        // Subscribed before the log is read: whatever the pump sends from now on is either in
        // the read below or comes on `live`; nothing falls in between.
        let live = self.inner.sender.subscribe();
        let bounds = self.inner.store.event_bounds().await?;
        let upto = bounds.last;
        let (notice, after) = match last_event_id {
            None => (None, upto),
            Some(id) => {
                let seen = id
                    .split_once('-')
                    .filter(|(s, _)| *s == stream)
                    .and_then(|(_, n)| n.parse::<u64>().ok());
                match seen {
                    Some(n) if n > upto => (
                        Some(missed(&stream, id, "unknown", bounds.pruned_through)),
                        bounds.pruned_through,
                    ),
                    Some(n) if n < bounds.pruned_through => (
                        Some(missed(&stream, id, "expired", bounds.pruned_through)),
                        bounds.pruned_through,
                    ),
                    Some(n) => (None, n),
                    None => (
                        Some(missed(&stream, id, "unknown", bounds.pruned_through)),
                        bounds.pruned_through,
                    ),
                }
            }
        };
        let store = self.inner.store.clone();
        let logged = stream::unfold(Some(after), move |from| {
            let store = store.clone();
            let stream = stream.clone();
            async move {
                let from = from?;
                if from >= upto {
                    return None;
                }
                match store.events_after(from, PAGE).await {
                    Ok(page) => {
                        let next = page.last().map(|(seq, _)| *seq).filter(|s| *s < upto);
                        let page: Vec<_> = page
                            .into_iter()
                            .filter(|(seq, _)| *seq <= upto)
                            .map(|(seq, event)| sequenced(&stream, seq, event))
                            .collect();
                        if page.is_empty() {
                            return None;
                        }
                        Some((stream::iter(page), next))
                    }
                    Err(e) => {
                        // The stream ends here; the client reconnects with the last id it got.
                        tracing::error!(error = %e, "cannot read the event log");
                        None
                    }
                }
            }
        });
        use futures::StreamExt;
        let catch_up = stream::iter(notice).chain(logged.flatten());
        let live =
            stream::unfold(live, next_live).filter(move |e| std::future::ready(e.seq > upto));
        Ok(Subscription {
            catch_up: Box::pin(catch_up),
            live: Box::pin(live),
        })
    }

    /// Whether `id` has the form of a stream id (`<stream>-<n>`), of any stream.
    pub fn is_stream_id(id: &str) -> bool {
        id.split_once('-').is_some_and(|(process, seq)| {
            !process.is_empty()
                && process.chars().all(|c| c.is_ascii_hexdigit())
                && seq.parse::<u64>().is_ok()
        })
    }
}

fn sequenced(stream: &str, seq: u64, event: CloudEvent) -> Arc<Sequenced> {
    Arc::new(Sequenced {
        stream_id: format!("{stream}-{seq}"),
        seq,
        event,
    })
}

/// The notice that the events after `last_event_id` are not all in the log any more
/// (`expired`) or that the log does not know that id (`unknown`: another database, a log
/// reset). Its id is where the replay that follows starts, so a reconnect after it does not
/// repeat the notice.
fn missed(stream: &str, last_event_id: &str, reason: &str, resumes_after: u64) -> Arc<Sequenced> {
    let event = CloudEvent {
        specversion: "1.0".into(),
        id: uuid::Uuid::new_v4().to_string(),
        source: "/v1/events".into(),
        event_type: EventType::EventsMissed,
        subject: "events".into(),
        time: OffsetDateTime::now_utc(),
        datacontenttype: "application/json".into(),
        data: serde_json::json!({
            "last_event_id": last_event_id,
            "reason": reason,
            "resumes_after": format!("{stream}-{resumes_after}"),
        }),
    };
    sequenced(stream, resumes_after, event)
}

/// The next live event. A listener that fell so far behind that events were dropped ends its
/// stream, so it reconnects with `Last-Event-ID` and catches up from the log.
async fn next_live(
    mut live: broadcast::Receiver<Arc<Sequenced>>,
) -> Option<(Arc<Sequenced>, broadcast::Receiver<Arc<Sequenced>>)> {
    match live.recv().await {
        Ok(event) => Some((event, live)),
        Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => None,
    }
}

/// Broadcasts the log's events after `from`, in order, until the [`Events`] is dropped.
async fn pump(inner: Weak<Inner>, stream: String, mut from: u64) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let signal = strong.store.event_signal();
        loop {
            match strong.store.events_after(from, PAGE).await {
                Ok(page) if page.is_empty() => break,
                Ok(page) => {
                    for (seq, event) in page {
                        from = seq;
                        // No listeners is not an error.
                        let _ = strong.sender.send(sequenced(&stream, seq, event));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event pump cannot read the log; will retry");
                    break;
                }
            }
        }
        drop(strong);
        let _ = tokio::time::timeout(POLL, signal.notified()).await;
    }
}

#[cfg(test)]
mod tests;
