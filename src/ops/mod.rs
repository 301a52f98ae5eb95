//! Operations: a create, action or delete is accepted at once and then followed to its end by
//! polling the provider with backoff, with a deadline. The operation's record in the [`Store`]
//! is what `GET /v1/operations/{id}` and `Prefer: wait` read — on any replica.
//!
//! Each follower holds the lease `operation/<id>` while it follows, so with several replicas on
//! one database exactly one follows each operation; [`Operations::spawn_resumer`] picks up the
//! unfinished operations whose follower is gone (this process restarted, or another replica
//! died and its lease ran out).

mod follow;
mod lease;
mod resume;

pub use follow::{FollowSettings, Goal};
pub use lease::DEFAULT_LEASE;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
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
    /// How long a follower's or an idempotency claim's lease lasts unless renewed.
    lease: Duration,
    /// This process among the replicas: the holder of its leases.
    replica: Arc<str>,
    /// The operations this process follows now (so the resumer does not start a second one).
    following: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations")
            .field("settings", &self.settings)
            .field("lease", &self.lease)
            .field("replica", &self.replica)
            .finish_non_exhaustive()
    }
}

impl Operations {
    /// Operations recorded in `store`, followed with `settings`, publishing their changes on
    /// `store`'s event log.
    pub fn new(store: Arc<dyn Store>, settings: FollowSettings) -> Operations {
        Operations {
            events: Events::over(store.clone()),
            store,
            settings,
            lease: DEFAULT_LEASE,
            replica: uuid::Uuid::new_v4().to_string().into(),
            following: Arc::default(),
        }
    }

    /// Sets how long leases last unless renewed (`serve --lease-secs`): how soon another
    /// replica takes over the work of one that died.
    pub fn with_lease(mut self, lease: Duration) -> Operations {
        self.lease = lease;
        self
    }

    /// How long leases last unless renewed.
    pub fn lease(&self) -> Duration {
        self.lease
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
        // Leased before it is stored, so no resumer can see it unfollowed.
        let lease = lease::Lease::new(self, &op.id);
        lease.take().await?;
        self.store.put_operation(&op).await?;
        self.events.publish(operation_event(&op)).await;
        self.spawn_follower(entry, op.clone(), goal, lease, Duration::ZERO);
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
        self.events.publish(operation_event(&op)).await;
        Ok(op)
    }

    /// Follows `op` in the background while `lease` is held; `age` is how long ago it began.
    fn spawn_follower(
        &self,
        entry: Arc<ProviderEntry>,
        op: Operation,
        goal: Goal,
        lease: lease::Lease,
        age: Duration,
    ) {
        let following = self.following.clone();
        if let Ok(mut f) = following.lock() {
            f.insert(op.id.clone());
        }
        let follower = follow::Follower {
            store: self.store.clone(),
            settings: self.settings.clone(),
            events: self.events.clone(),
            entry,
            age,
        };
        tokio::spawn(async move {
            let id = op.id.clone();
            // Following ends when the operation does, or when the lease is lost (another
            // replica took it over after this one stalled): never two followers at once.
            tokio::select! {
                () = follow::follow(follower, op, goal) => {}
                () = lease.keep() => {
                    tracing::warn!(operation = %id, "lost the operation's lease; another replica follows it");
                }
            }
            lease.give_up().await;
            if let Ok(mut f) = following.lock() {
                f.remove(&id);
            }
        });
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
