//! The watch against the GoGrid and OCCI simulators: a change made at the provider behind the
//! gateway's back (through the bare driver, as another tool would) becomes an event; the
//! gateway's own changes do not come out twice. Events are learnt and looks made one at a time
//! here, so no test waits for an interval.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{provider_config, quick_follow};
use futures::StreamExt;

use cloudgw::driver::ListRequest;
use cloudgw::events::{Events, Sequenced};
use cloudgw::model::{CloudEvent, CreateServerRequest, EventType, ServerAction, ServerState};
use cloudgw::ops::Operations;
use cloudgw::registry::{ProviderEntry, Registry};
use cloudgw::service::{Caller, ChangeOptions, Service, ServiceSettings};
use cloudgw::store::MemoryStore;
use cloudgw::watch::{Alone, Watch};

struct Rig {
    service: Service,
    watch: Watch,
    events: Events,
    entry: Arc<ProviderEntry>,
    /// Every event published, for the watch to learn from and the test to read.
    seen: std::pin::Pin<Box<dyn futures::Stream<Item = Arc<Sequenced>> + Send>>,
}

impl Rig {
    async fn start(id: &str, text: &str) -> Rig {
        let registry = Registry::start(vec![provider_config(id, text)])
            .await
            .unwrap_or_else(|e| panic!("registry: {e}"));
        let registry = Arc::new(registry);
        let events = Events::new();
        let seen = events
            .subscribe(None)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .live;
        let ops = Operations::new(Arc::new(MemoryStore::new()), quick_follow())
            .with_events(events.clone());
        let service = Service::new(registry.clone(), ops, ServiceSettings::default());
        let watch = Watch::new(registry.clone(), events.clone(), Arc::new(Alone));
        let entry = registry
            .get(id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}"));
        Rig {
            service,
            watch,
            events,
            entry,
            seen,
        }
    }

    /// Lets the watch learn every event published so far, then looks once; answers the events
    /// the look published.
    async fn look(&mut self) -> Vec<CloudEvent> {
        self.learn().await;
        let count = self
            .watch
            .look(&self.entry)
            .await
            .unwrap_or_else(|e| panic!("look: {e}"));
        let published = self.learn().await;
        assert_eq!(published.len(), count, "{published:?}");
        published
    }

    /// Learns every event published so far. Events reach listeners through the log's pump, so
    /// a marker event is published and everything before it read.
    async fn learn(&mut self) -> Vec<CloudEvent> {
        let marker = CloudEvent::new(
            EventType::EventsMissed,
            "marker",
            "marker".into(),
            serde_json::json!({}),
        );
        let marker_id = marker.id.clone();
        self.events.publish(marker).await;
        let mut got = Vec::new();
        while let Some(sequenced) = tokio::time::timeout(Duration::from_secs(10), self.seen.next())
            .await
            .unwrap_or_else(|_| panic!("the marker event never came"))
        {
            if sequenced.event.id == marker_id {
                break;
            }
            self.watch.learn_from(&sequenced.event);
            got.push(sequenced.event.clone());
        }
        got
    }

    /// The provider's first image and size.
    async fn image_and_size(&self) -> (String, String) {
        let req = ListRequest {
            limit: 1,
            cursor: None,
        };
        let driver = self.entry.driver();
        let images = driver.list_images(&req, &Default::default()).await;
        let sizes = driver.list_sizes(&req).await;
        let image = images.unwrap_or_else(|e| panic!("{e}")).items.remove(0).id;
        let size = sizes.unwrap_or_else(|e| panic!("{e}")).items.remove(0).id;
        (image, size)
    }

    /// Waits (up to 30 s) until the provider shows the server in `state`, or gone for `None`.
    async fn settle(&self, id: &str, state: Option<ServerState>) {
        for _ in 0..300 {
            let now = self
                .entry
                .driver()
                .get_server(id)
                .await
                .ok()
                .map(|s| s.state);
            let gone = matches!(now, None | Some(ServerState::Terminated));
            if now == state || (state.is_none() && gone) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server {id} never reached {state:?}");
    }
}

fn request(name: &str, image: &str, size: &str) -> CreateServerRequest {
    CreateServerRequest {
        name: name.into(),
        image_id: image.into(),
        size_id: size.into(),
        region: None,
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    }
}

fn wait() -> ChangeOptions {
    ChangeOptions {
        idempotency_key: None,
        wait: Some(Duration::from_secs(60)),
    }
}

fn one_server_event(events: &[CloudEvent], id: &str) -> serde_json::Value {
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.event_type, EventType::ServerStateChanged);
    assert!(
        event.subject.ends_with(&format!("servers/{id}")),
        "{}",
        event.subject
    );
    event.data.clone()
}

/// `image_and_size`: what to create with, or the provider's first of each.
async fn changes_behind_the_gateways_back_become_events(
    id: &str,
    text: &str,
    image_and_size: Option<(&str, &str)>,
) {
    let mut rig = Rig::start(id, text).await;
    assert!(rig.look().await.is_empty(), "the first look is a baseline");
    let (image, size) = match image_and_size {
        Some((image, size)) => (image.to_owned(), size.to_owned()),
        None => rig.image_and_size().await,
    };
    let caller = Caller::Anonymous;

    // Through the gateway: its follower reports; the watch says nothing more.
    let created = rig
        .service
        .create_server(&caller, id, &request("watched-1", &image, &size), &wait())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ours = created.resource.id.clone();
    rig.settle(&ours, Some(ServerState::Running)).await;
    assert!(rig.look().await.is_empty(), "a change the gateway made");

    // Behind its back: the bare driver stops the server, as another tool would.
    rig.entry
        .driver()
        .stop_server(&ours)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    rig.settle(&ours, Some(ServerState::Stopped)).await;
    let stopped = one_server_event(&rig.look().await, &ours);
    assert_eq!(stopped["state"], "stopped");
    assert_eq!(stopped["provider"], id);
    assert!(rig.look().await.is_empty(), "reported once");

    // Created and deleted behind its back.
    let theirs = rig
        .entry
        .driver()
        .create_server(&request("outsider", &image, &size), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .id;
    rig.settle(&theirs, Some(ServerState::Running)).await;
    let appeared = one_server_event(&rig.look().await, &theirs);
    assert_eq!(appeared["name"], "outsider");
    rig.entry
        .driver()
        .delete_server(&theirs)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    rig.settle(&theirs, None).await;
    let gone = one_server_event(&rig.look().await, &theirs);
    assert_eq!(gone["state"], "terminated");

    // Deleted through the gateway: not news.
    rig.service
        .server_action(&caller, id, &ours, ServerAction::Delete, &wait())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    rig.settle(&ours, None).await;
    assert!(rig.look().await.is_empty());
    assert!(rig.look().await.is_empty());
}

#[tokio::test]
async fn gogrid_changes_behind_the_gateways_back_become_events() {
    changes_behind_the_gateways_back_become_events(
        "gogrid",
        "driver = \"gogrid\"\nsimulate = true\n[simulator]\nprovision_delay_secs = 0\npower_delay_secs = 0.1\n",
        // An image that fits the smallest size (most of the seeded ones need more memory).
        Some(("9928", "512MB")),
    )
    .await;
}

#[tokio::test]
async fn occi_changes_behind_the_gateways_back_become_events() {
    changes_behind_the_gateways_back_become_events(
        "occi",
        "driver = \"occi\"\nsimulate = true\n[simulator]\nprofile = \"rocci\"\nprovision_delay_secs = 0\npower_delay_secs = 0.1\n",
        None,
    )
    .await;
}

#[tokio::test]
async fn a_zero_interval_turns_the_watch_off_and_a_bad_one_is_refused() {
    let off = provider_config(
        "g",
        "driver = \"gogrid\"\nsimulate = true\nwatch_interval_secs = 0\n",
    );
    assert_eq!(off.watch_interval, None);
    let default = provider_config("g", "driver = \"gogrid\"\nsimulate = true\n");
    assert_eq!(
        default.watch_interval,
        Some(cloudgw::watch::DEFAULT_INTERVAL)
    );
    let bad = cloudgw::config::parse_provider(
        std::path::Path::new("providers/g.toml"),
        "driver = \"gogrid\"\nsimulate = true\nwatch_interval_secs = -5\n",
        &|_| None,
    );
    let errors = bad.err().unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field.as_deref(), Some("watch_interval_secs"));
    assert_eq!(errors[0].line, Some(3));
}
