//! The watch: GoGrid and OCCI send no events, so the gateway lists each provider's servers and
//! volumes on an interval (the provider file's `watch_interval_secs`, default 60, 0 off) and
//! publishes every change it did not cause — a resource created, deleted, or in a new state —
//! as the same `cloudgw.*.state_changed` CloudEvent its own operations produce.
//!
//! What the gateway knows of each resource is learnt from its own event stream (so, with
//! replicas on one PostgreSQL, from every replica's): the states its followers published, the
//! resources its operations are changing (skipped until they end), the ones it deleted. A look
//! reports what differs from that. The first look after start, or after another replica held
//! the watch, is a baseline: it reports nothing, since what changed before it is unknown.
//! With several replicas, [`WatchTurn`] says which one looks (a lease in the store).

mod diff;

pub use diff::{Change, Key, Known, Seen, diff};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;

use crate::driver::{DriverError, DriverOp, ListRequest, ServerFilter};
use crate::events::Events;
use crate::model::{
    CloudEvent, EventType, Operation, OperationKind, OperationStatus, ResourceKind,
};
use crate::registry::{ProviderEntry, Registry};
use crate::store::LeaseStore;

/// The default interval between two looks at a provider.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// The most pages one look reads of one list (a bound on a provider that never ends its list).
const MAX_PAGES: usize = 1000;
/// Items asked for per page.
const PAGE: usize = 1000;

/// Says whether this replica looks at a provider now.
#[async_trait]
pub trait WatchTurn: Send + Sync + 'static {
    /// Whether this replica holds the watch of `provider` for the next `interval`.
    async fn my_turn(&self, provider: &str, interval: Duration) -> bool;
}

/// A gateway that runs alone (or on a store of its own): always its turn.
#[derive(Debug, Default)]
pub struct Alone;

#[async_trait]
impl WatchTurn for Alone {
    async fn my_turn(&self, _provider: &str, _interval: Duration) -> bool {
        true
    }
}

/// Replicas sharing one store: the replica holding the lease `watch/<provider>` looks.
pub struct Leased {
    store: Arc<dyn LeaseStore>,
    holder: String,
}

impl Leased {
    /// Turns taken through `store`'s leases, as `holder` (this replica's name).
    pub fn new(store: Arc<dyn LeaseStore>, holder: String) -> Leased {
        Leased { store, holder }
    }
}

#[async_trait]
impl WatchTurn for Leased {
    async fn my_turn(&self, provider: &str, interval: Duration) -> bool {
        // Three intervals: a holder renews at every look, so it keeps the watch through a slow
        // listing; one that died hands it over after three missed looks.
        let ttl = interval.saturating_mul(3);
        let name = format!("watch/{provider}");
        match self.store.acquire_lease(&name, &self.holder, ttl).await {
            Ok(mine) => mine,
            Err(e) => {
                tracing::warn!(provider, error = %e, "cannot take the watch lease; not looking this time");
                false
            }
        }
    }
}

/// The watch over every provider with an interval. Cheap to clone.
#[derive(Clone)]
pub struct Watch {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    events: Events,
    turn: Arc<dyn WatchTurn>,
    providers: Mutex<HashMap<String, Knowledge>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").finish_non_exhaustive()
    }
}

/// What the gateway knows of one provider's resources.
#[derive(Debug, Default)]
struct Knowledge {
    /// Whether a look has set the baseline since this replica took the watch.
    baselined: bool,
    known: HashMap<Key, Known>,
    /// Operations in flight: id → the resource they change.
    in_flight: HashMap<String, Key>,
    /// When each resource was last learnt of from an event (a count of events learnt).
    touched: HashMap<Key, u64>,
    learnt: u64,
}

impl Knowledge {
    fn touch(&mut self, key: Key) {
        self.learnt += 1;
        self.touched.insert(key, self.learnt);
    }

    /// Resources a look that began when `learnt` was `since` must not report: being changed by
    /// an operation, or learnt of while the listing was on its way (the listing may be older).
    fn busy(&self, since: u64) -> HashSet<Key> {
        let recent = self.touched.iter().filter(|(_, at)| **at > since);
        self.in_flight
            .values()
            .cloned()
            .chain(recent.map(|(key, _)| key.clone()))
            .collect()
    }
}

impl Watch {
    /// A watch over `registry`'s providers, learning from and publishing on `events`.
    pub fn new(registry: Arc<Registry>, events: Events, turn: Arc<dyn WatchTurn>) -> Watch {
        Watch {
            inner: Arc::new(Inner {
                registry,
                events,
                turn,
                providers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Starts learning from the event stream and looking at every provider that has an interval.
    pub fn start(&self) {
        let watched: Vec<_> = self
            .inner
            .registry
            .all()
            .filter_map(|entry| entry.watch_interval().map(|i| (entry.clone(), i)))
            .collect();
        if watched.is_empty() {
            return;
        }
        tokio::spawn(self.clone().learn());
        for (entry, interval) in watched {
            tracing::info!(provider = %entry.id(), interval_secs = interval.as_secs(), "watching the provider for changes made outside the gateway");
            tokio::spawn(self.clone().run(entry, interval));
        }
    }

    /// Learns from every event, for as long as the process lives: a stream that ends (this
    /// listener fell behind) is taken up again after the last event learnt.
    async fn learn(self) {
        let mut last: Option<String> = None;
        loop {
            match self.inner.events.subscribe(last.as_deref()).await {
                Ok(subscription) => {
                    let mut all = subscription.catch_up.chain(subscription.live);
                    while let Some(sequenced) = all.next().await {
                        self.learn_from(&sequenced.event);
                        last = Some(sequenced.stream_id.clone());
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the watch cannot read the event log"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Updates what the gateway knows from one of its events.
    pub fn learn_from(&self, event: &CloudEvent) {
        let Ok(mut providers) = self.inner.providers.lock() else {
            return;
        };
        match event.event_type {
            EventType::OperationStatusChanged => {
                let Ok(op) = serde_json::from_value::<Operation>(event.data.clone()) else {
                    return;
                };
                let knowledge = providers.entry(op.provider.clone()).or_default();
                let key = (op.resource_kind, op.resource_id.clone());
                if !op.status.is_final() {
                    knowledge.in_flight.insert(op.id.clone(), key.clone());
                } else {
                    knowledge.in_flight.remove(&op.id);
                    let deleted = matches!(
                        op.kind,
                        OperationKind::DeleteServer | OperationKind::DeleteVolume
                    );
                    if deleted && op.status == OperationStatus::Succeeded {
                        knowledge.known.insert(key.clone(), Known::DeletedByGateway);
                    }
                }
                knowledge.touch(key);
            }
            EventType::EventsMissed => {}
            EventType::ServerStateChanged | EventType::VolumeStateChanged => {
                let kind = match event.event_type {
                    EventType::ServerStateChanged => ResourceKind::Server,
                    _ => ResourceKind::Volume,
                };
                let text = |field: &str| event.data.get(field).and_then(|v| v.as_str());
                let (Some(provider), Some(id), Some(state)) =
                    (text("provider"), text("id"), text("state"))
                else {
                    return;
                };
                let knowledge = providers.entry(provider.to_owned()).or_default();
                let key = (kind, id.to_owned());
                if !matches!(knowledge.known.get(&key), Some(Known::DeletedByGateway)) {
                    let seen = Seen {
                        state: state.to_owned(),
                        data: event.data.clone(),
                    };
                    knowledge.known.insert(key.clone(), Known::Seen(seen));
                }
                knowledge.touch(key);
            }
        }
    }

    async fn run(self, entry: Arc<ProviderEntry>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if self.inner.turn.my_turn(entry.id(), interval).await {
                if let Err(e) = self.look(&entry).await {
                    tracing::warn!(provider = %entry.id(), error = %e, "the watch could not list the provider; it looks again at the next interval");
                }
            } else {
                self.with_knowledge(entry.id(), |k| k.baselined = false);
            }
        }
    }

    fn with_knowledge<T>(&self, provider: &str, f: impl FnOnce(&mut Knowledge) -> T) -> Option<T> {
        let mut providers = self.inner.providers.lock().ok()?;
        Some(f(providers.entry(provider.to_owned()).or_default()))
    }

    /// Lists the provider once and publishes what changed; answers how many changes (none for a
    /// baseline look).
    pub async fn look(&self, entry: &ProviderEntry) -> Result<usize, DriverError> {
        let since = self
            .with_knowledge(entry.id(), |k| k.learnt)
            .unwrap_or_default();
        let caps = entry.capabilities();
        let servers = match DriverOp::ListServers.allowed_by(&caps) {
            true => Some(list_servers(entry).await?),
            false => None,
        };
        let volumes = match DriverOp::ListVolumes.allowed_by(&caps) {
            true => Some(list_volumes(entry).await?),
            false => None,
        };
        let changes = self
            .with_knowledge(entry.id(), |knowledge| {
                let busy = knowledge.busy(since);
                let mut changes = Vec::new();
                for (kind, listing) in [
                    (ResourceKind::Server, servers),
                    (ResourceKind::Volume, volumes),
                ] {
                    if let Some(listing) = listing {
                        changes.extend(diff(kind, &mut knowledge.known, listing, &busy));
                    }
                }
                let baseline = !knowledge.baselined;
                knowledge.baselined = true;
                if baseline { None } else { Some(changes) }
            })
            .flatten();
        let Some(changes) = changes else {
            tracing::info!(provider = %entry.id(), "the watch took its baseline listing; changes from now on become events");
            return Ok(0);
        };
        for change in &changes {
            self.publish(entry.id(), change).await;
        }
        Ok(changes.len())
    }

    async fn publish(&self, provider: &str, change: &Change) {
        let (kind, id) = &change.key;
        let event_type = match kind {
            ResourceKind::Server => EventType::ServerStateChanged,
            ResourceKind::Volume => EventType::VolumeStateChanged,
        };
        let type_name = match event_type {
            EventType::ServerStateChanged => "cloudgw.server.state_changed",
            _ => "cloudgw.volume.state_changed",
        };
        crate::metrics::watch_change(provider, type_name);
        tracing::info!(provider, resource = %id, state = %change.seen.state, "the watch saw a change made outside the gateway");
        self.inner
            .events
            .publish(CloudEvent::new(
                event_type,
                provider,
                CloudEvent::subject_of(*kind, id),
                change.seen.data.clone(),
            ))
            .await;
    }
}

/// Every server of the provider, as the API renders them.
async fn list_servers(entry: &ProviderEntry) -> Result<HashMap<String, Seen>, DriverError> {
    let mut all = HashMap::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let req = ListRequest {
            limit: PAGE,
            cursor,
        };
        let page = entry
            .driver()
            .list_servers(&req, &ServerFilter::default())
            .await?;
        for server in page.items {
            let server = crate::service::finish_server(entry, server);
            let seen = Seen {
                state: server.state.as_str().to_owned(),
                data: serde_json::to_value(&server).unwrap_or_default(),
            };
            all.insert(server.id.clone(), seen);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(all)
}

/// Every volume of the provider.
async fn list_volumes(entry: &ProviderEntry) -> Result<HashMap<String, Seen>, DriverError> {
    let mut all = HashMap::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let req = ListRequest {
            limit: PAGE,
            cursor,
        };
        let page = entry.driver().list_volumes(&req).await?;
        for volume in page.items {
            let seen = Seen {
                state: volume.state.as_str().to_owned(),
                data: serde_json::to_value(&volume).unwrap_or_default(),
            };
            all.insert(volume.id.clone(), seen);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(all)
}
