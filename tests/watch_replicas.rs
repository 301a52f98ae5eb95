//! The watch with replicas: two `cloudgw serve` processes on one PostgreSQL over a GoGrid
//! simulator process. A server stopped at the simulator itself (not through the gateway)
//! becomes one event — seen by the clients of either replica, made by the one replica that
//! holds the watch — and when that replica dies, the other takes the watch over.

mod served;

use std::time::{Duration, Instant};

use serde_json::Value;
use served::replicas::{Gateway, Setup, Sim};

const BASELINE: &str = "the watch took its baseline listing";

/// Waits (up to 30 s) until one of `gateways` logged its baseline; answers its index.
async fn watcher(gateways: &[&Gateway]) -> usize {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(i) = gateways
            .iter()
            .position(|g| g.log().iter().any(|l| l.contains(BASELINE)))
        {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no replica took the watch");
}

/// The `state_changed` events of server `id` in state `state` among `events`.
fn changes(events: &[(String, Value)], id: &str, state: &str) -> usize {
    events
        .iter()
        .filter(|(_, e)| {
            e["type"] == "cloudgw.server.state_changed"
                && e["data"]["id"] == id
                && e["data"]["state"] == state
        })
        .count()
}

/// Listens on `gateway` for `secs` seconds (the stream's own timeout) from now.
fn listen(gateway: &Gateway, secs: u64) -> tokio::task::JoinHandle<Vec<(String, Value)>> {
    let listener = Gateway {
        process: None,
        base: gateway.base.clone(),
        http: reqwest::Client::new(),
    };
    tokio::spawn(async move {
        listener
            .events(&format!("timeout={secs}"), None, |_| false)
            .await
    })
}

#[tokio::test]
async fn a_change_behind_the_gateways_back_is_one_event_and_the_watch_survives_its_replica() {
    let sim = Sim::start();
    let setup = Setup::with_provider(&sim, "postgres", "watch_interval_secs = 1").await;
    let mut replicas = vec![setup.gateway(), setup.gateway()];
    let (status, created) = replicas[0].create("watched", "watched-1").await;
    assert_eq!(status, 202, "{created}");
    let id = created["server"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let op = created["operation"]["id"].as_str().unwrap_or_default();
    let done = replicas[0].wait_status(op, "succeeded").await;
    assert_eq!(done["status"], "succeeded", "{done}");

    let holder = watcher(&[&replicas[0], &replicas[1]]).await;
    let other = 1 - holder;
    // The clients of the replica that does not watch see the change too.
    let heard = listen(&replicas[other], 8);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.power(&id, "stop").await;
    let heard = heard.await.unwrap_or_default();
    assert_eq!(
        changes(&heard, &id, "stopped"),
        1,
        "one event, from the one watching replica: {heard:?}"
    );
    assert_eq!(changes(&heard, &id, "running"), 0, "{heard:?}");

    // The watching replica dies; the other takes the watch over after its lease (3 intervals).
    replicas[holder].kill();
    let survivor = replicas.remove(other);
    watcher(&[&survivor]).await;
    let heard = listen(&survivor, 8);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.power(&id, "start").await;
    let heard = heard.await.unwrap_or_default();
    assert_eq!(changes(&heard, &id, "running"), 1, "{heard:?}");
}
