use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MemoryStore, lock};
use crate::model::CloudEvent;
use crate::store::{EventBounds, EventStore, StoreError};

/// The kept events, oldest first.
#[derive(Debug, Default)]
pub(super) struct Log {
    events: VecDeque<(u64, CloudEvent)>,
    bounds: EventBounds,
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn stream_name(&self) -> Result<String, StoreError> {
        Ok(self.stream.clone())
    }

    async fn append_event(&self, event: &CloudEvent) -> Result<u64, StoreError> {
        let seq = {
            let mut log = lock(&self.events)?;
            log.bounds.last += 1;
            let seq = log.bounds.last;
            log.events.push_back((seq, event.clone()));
            seq
        };
        self.event_signal.notify_one();
        Ok(seq)
    }

    async fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, CloudEvent)>, StoreError> {
        let log = lock(&self.events)?;
        // Positions are dense here: the first one after `after` is found by arithmetic.
        let first = log.events.front().map_or(0, |(s, _)| *s);
        let skip = usize::try_from((after + 1).saturating_sub(first)).unwrap_or(usize::MAX);
        Ok(log.events.iter().skip(skip).take(limit).cloned().collect())
    }

    async fn event_bounds(&self) -> Result<EventBounds, StoreError> {
        Ok(lock(&self.events)?.bounds)
    }

    async fn prune_events(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let mut log = lock(&self.events)?;
        let mut pruned = 0;
        while let Some((seq, event)) = log.events.front() {
            if event.time >= before {
                break;
            }
            let seq = *seq;
            log.events.pop_front();
            log.bounds.pruned_through = seq;
            pruned += 1;
        }
        Ok(pruned)
    }

    fn event_signal(&self) -> Arc<tokio::sync::Notify> {
        self.event_signal.clone()
    }
}
