//! The gateway's event stream: state changes it causes or observes, as CloudEvents, fanned out
//! to every `GET /v1/events` listener. A bounded history lets a listener that reconnects with
//! `Last-Event-ID` receive what it missed.
//!
//! Events live in this process only (a restart starts a new stream, with new stream ids).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::model::CloudEvent;

/// How many past events a reconnecting listener can catch up on.
const HISTORY: usize = 1024;

/// How long an event stream lasts by default and at most, unless the operator says otherwise.
pub const DEFAULT_MAX_STREAM: Duration = Duration::from_secs(300);

/// One event with its position in this process's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequenced {
    /// The stream id (`<process>-<n>`): what `Last-Event-ID` takes.
    pub stream_id: String,
    /// Position in this process's stream, from 1.
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
    /// Tells streams apart across restarts, so a `Last-Event-ID` of an earlier process is
    /// recognised as such.
    process: String,
    sender: broadcast::Sender<Arc<Sequenced>>,
    state: Mutex<History>,
}

#[derive(Default)]
struct History {
    next_seq: u64,
    recent: VecDeque<Arc<Sequenced>>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("process", &self.inner.process)
            .field("max_stream", &self.max_stream)
            .finish_non_exhaustive()
    }
}

impl Default for Events {
    fn default() -> Self {
        Events::new()
    }
}

/// Where a listener starts.
#[derive(Debug)]
pub struct Subscription {
    /// Past events after the listener's `Last-Event-ID`, oldest first.
    pub missed: Vec<Arc<Sequenced>>,
    /// Events from now on.
    pub live: broadcast::Receiver<Arc<Sequenced>>,
}

impl Events {
    /// An empty stream.
    pub fn new() -> Events {
        let (sender, _) = broadcast::channel(HISTORY);
        let process = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        Events {
            inner: Arc::new(Inner {
                process,
                sender,
                state: Mutex::new(History {
                    next_seq: 1,
                    recent: VecDeque::new(),
                }),
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

    /// Sends `event` to every listener and keeps it for reconnecting ones.
    pub fn publish(&self, event: CloudEvent) {
        let Ok(mut history) = self.inner.state.lock() else {
            tracing::error!("event history lock poisoned; event dropped");
            return;
        };
        let seq = history.next_seq;
        history.next_seq += 1;
        let sequenced = Arc::new(Sequenced {
            stream_id: format!("{}-{seq}", self.inner.process),
            seq,
            event,
        });
        if history.recent.len() == HISTORY {
            history.recent.pop_front();
        }
        history.recent.push_back(sequenced.clone());
        // Sent while holding the lock, so a subscriber sees each event exactly once: either in
        // its `missed` list or on its receiver. No receivers is not an error.
        let _ = self.inner.sender.send(sequenced);
    }

    /// Starts listening. `last_event_id` is the `Last-Event-ID` the listener sent: the events
    /// after it that are still kept are replayed. An id of an earlier process replays every kept
    /// event; no id replays nothing.
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Subscription {
        let history = match self.inner.state.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        let live = self.inner.sender.subscribe();
        let after = match last_event_id {
            None => history.next_seq,
            Some(id) => self.position_after(id),
        };
        let missed = history
            .recent
            .iter()
            .filter(|e| e.seq >= after)
            .cloned()
            .collect();
        Subscription { missed, live }
    }

    /// The first sequence number a listener that last saw `id` has not seen yet.
    fn position_after(&self, id: &str) -> u64 {
        match id.split_once('-') {
            Some((process, seq)) if process == self.inner.process => {
                seq.parse::<u64>().map_or(0, |s| s.saturating_add(1))
            }
            _ => 0,
        }
    }

    /// Whether `id` has the form of a stream id (`<process>-<n>`), of any process.
    pub fn is_stream_id(id: &str) -> bool {
        id.split_once('-').is_some_and(|(process, seq)| {
            !process.is_empty()
                && process.chars().all(|c| c.is_ascii_hexdigit())
                && seq.parse::<u64>().is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn listener_receives_events_published_after_it_subscribed() {
        let events = Events::new();
        events.publish(event("servers/before"));
        let mut sub = events.subscribe(None);
        assert!(sub.missed.is_empty());
        events.publish(event("servers/after"));
        let got = sub.live.try_recv().map(|e| e.event.subject.clone());
        assert_eq!(got.ok().as_deref(), Some("servers/after"));
    }

    #[test]
    fn reconnecting_listener_gets_what_it_missed_once() {
        let events = Events::new();
        events.publish(event("servers/a"));
        let first = events.subscribe(None);
        drop(first);
        events.publish(event("servers/b"));
        events.publish(event("servers/c"));
        let all = events.subscribe(Some("00000000-0"));
        assert_eq!(
            all.missed.len(),
            3,
            "an id of another process replays all kept"
        );
        let a_id = all.missed[0].stream_id.clone();
        let sub = events.subscribe(Some(&a_id));
        let subjects: Vec<_> = sub
            .missed
            .iter()
            .map(|e| e.event.subject.as_str())
            .collect();
        assert_eq!(subjects, ["servers/b", "servers/c"]);
    }

    #[test]
    fn history_is_bounded() {
        let events = Events::new();
        for i in 0..(HISTORY + 10) {
            events.publish(event(&format!("servers/{i}")));
        }
        let sub = events.subscribe(Some("x-0"));
        assert_eq!(sub.missed.len(), HISTORY);
        assert_eq!(sub.missed[0].event.subject, "servers/10");
    }

    #[test]
    fn stream_ids_are_recognised() {
        assert!(Events::is_stream_id("0a1b2c3d-17"));
        assert!(!Events::is_stream_id("17"));
        assert!(!Events::is_stream_id("zz-1"));
        assert!(!Events::is_stream_id("0a1b-x"));
    }
}
