//! Operations: a create, action or delete is accepted at once and then followed to its end by
//! polling the provider with backoff, with a deadline. The operation's record in the [`Store`]
//! is what `GET /v1/operations/{id}` and `Prefer: wait` read.

mod follow;

pub use follow::{FollowSettings, Goal};

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::events::Events;
use crate::model::{
    CloudEvent, EventType, Operation, OperationKind, OperationStatus, ResourceKind,
};
use crate::registry::ProviderEntry;
use crate::store::{Store, StoreError};

/// Starts, follows and reads operations.
#[derive(Clone)]
pub struct Operations {
    store: Arc<dyn Store>,
    settings: FollowSettings,
    events: Events,
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Operations {
    /// Operations recorded in `store`, followed with `settings`, publishing their changes on a
    /// new event stream.
    pub fn new(store: Arc<dyn Store>, settings: FollowSettings) -> Operations {
        Operations {
            store,
            settings,
            events: Events::new(),
        }
    }

    /// Publishes on `events` instead.
    pub fn with_events(mut self, events: Events) -> Operations {
        self.events = events;
        self
    }

    /// The event stream operations and the resources they follow publish on.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// The store operations live in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Records a new operation on `resource_id` and follows it in the background until `goal`
    /// is reached, fails, or the deadline passes.
    pub async fn begin(
        &self,
        entry: Arc<ProviderEntry>,
        kind: OperationKind,
        resource_id: &str,
        goal: Goal,
    ) -> Result<Operation, StoreError> {
        let op = new_operation(
            entry.id(),
            kind,
            resource_id,
            goal.resource_kind(),
            OperationStatus::Pending,
        );
        self.store.put_operation(&op).await?;
        self.events.publish(operation_event(&op));
        tokio::spawn(follow::follow(
            follow::Follower {
                store: self.store.clone(),
                settings: self.settings.clone(),
                events: self.events.clone(),
                entry,
            },
            op.clone(),
            goal,
        ));
        Ok(op)
    }

    /// Records an operation that finished the moment it was asked for (start on a running
    /// server, …).
    pub async fn already_done(
        &self,
        provider: &str,
        kind: OperationKind,
        resource_id: &str,
        resource_kind: ResourceKind,
    ) -> Result<Operation, StoreError> {
        let op = new_operation(
            provider,
            kind,
            resource_id,
            resource_kind,
            OperationStatus::Succeeded,
        );
        self.store.put_operation(&op).await?;
        self.events.publish(operation_event(&op));
        Ok(op)
    }

    /// Reads an operation.
    pub async fn get(&self, id: &str) -> Result<Option<Operation>, StoreError> {
        self.store.get_operation(id).await
    }

    /// Waits up to `max` for the operation to end and returns it as it then is.
    pub async fn wait(&self, op: Operation, max: Duration) -> Result<Operation, StoreError> {
        let deadline = tokio::time::Instant::now() + max;
        let mut current = op;
        while !current.status.is_final() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(WAIT_POLL.min(deadline - tokio::time::Instant::now())).await;
            if let Some(fresh) = self.store.get_operation(&current.id).await? {
                current = fresh;
            }
        }
        Ok(current)
    }
}

/// The event telling that `op` was accepted or changed status.
fn operation_event(op: &Operation) -> CloudEvent {
    CloudEvent::new(
        EventType::OperationStatusChanged,
        &op.provider,
        format!("operations/{}", op.id),
        serde_json::to_value(op).unwrap_or_default(),
    )
}

/// How often a waiting request looks at the operation's record.
const WAIT_POLL: Duration = Duration::from_millis(50);

fn new_operation(
    provider: &str,
    kind: OperationKind,
    resource_id: &str,
    resource_kind: ResourceKind,
    status: OperationStatus,
) -> Operation {
    let now = OffsetDateTime::now_utc();
    Operation {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        status,
        provider: provider.to_owned(),
        resource_kind,
        resource_id: resource_id.to_owned(),
        created_at: now,
        updated_at: now,
        problem: None,
    }
}
