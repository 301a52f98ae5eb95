//! Durability and replicas, with the real `cloudgw serve` as child processes over a GoGrid
//! simulator (`cloudgw simulate gogrid`) and a SQLite file or a PostgreSQL database
//! (`CLOUDGW_TEST_DATABASE_URL`, from `scripts/with-postgres`; missing → the PostgreSQL cases
//! fail). A gateway is killed with SIGKILL, so nothing is flushed on the way out.

mod served;

use std::time::Duration;

use serde_json::Value;
use served::replicas::{Gateway, Setup, Sim};

async fn an_operation_in_flight_at_a_kill_finishes_after_the_restart(backend: &str) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    sim.post("/_sim/hold").await;
    let mut first = setup.gateway();
    let (status, created) = first.create("kept", "order-1").await;
    assert_eq!(status, 202, "{created}");
    let op = created["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    first.kill();
    sim.post("/_sim/release").await;
    let second = setup.gateway();
    let done = second.wait_status(&op, "succeeded").await;
    assert_eq!(
        done["status"], "succeeded",
        "the restarted gateway followed it on: {done}"
    );
    let (status, replay) = second.create("kept", "order-1").await;
    assert!(status == 200 || status == 202, "{status} {replay}");
    assert_eq!(
        replay["operation"]["id"],
        op.as_str(),
        "the key answers the same operation"
    );
    assert_eq!(
        second.servers_named("kept").await,
        1,
        "the simulator holds one server"
    );
    let listed = second.get("/v1/operations?provider=gg&resource=kept").await;
    assert_eq!(
        listed["items"][0]["id"],
        op.as_str(),
        "listed from the store: {listed}"
    );
}

async fn a_reconnect_with_last_event_id_across_a_restart_misses_nothing(backend: &str) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    let mut gw = setup.gateway();
    let (status, created) = gw.create("ev", "ev-1").await;
    assert_eq!(status, 202, "{created}");
    let op = created["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The first events, then the gateway dies.
    let unknown = "00000000-0";
    let head = gw
        .events("timeout=5", Some(unknown), |e| {
            e["type"] == "cloudgw.operation.status_changed"
        })
        .await;
    assert_eq!(head[0].1["type"], "cloudgw.events.missed");
    let stream = head[0]
        .0
        .split_once('-')
        .map(|(s, _)| s.to_owned())
        .unwrap_or_default();
    let head = head[1..].to_vec();
    assert!(!head.is_empty());
    gw.kill();
    let gw = setup.gateway();
    gw.wait_status(&op, "succeeded").await;
    let last = head.last().map(|(id, _)| id.clone()).unwrap_or_default();
    let tail = gw.events("timeout=0", Some(&last), |_| false).await;
    let all = gw
        .events("timeout=0", Some(&format!("{stream}-0")), |_| false)
        .await;
    let ids = |v: &[(String, Value)]| v.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>();
    let mut joined = ids(&head);
    joined.extend(ids(&tail));
    assert_eq!(
        joined,
        ids(&all),
        "the two streams together are the whole log, once"
    );
    assert!(
        all.iter().any(|(_, e)| e["data"]["status"] == "succeeded"),
        "{all:?}"
    );
}

#[tokio::test]
async fn sqlite_an_operation_in_flight_at_a_kill_finishes_after_the_restart() {
    an_operation_in_flight_at_a_kill_finishes_after_the_restart("sqlite").await;
}

#[tokio::test]
async fn postgres_an_operation_in_flight_at_a_kill_finishes_after_the_restart() {
    an_operation_in_flight_at_a_kill_finishes_after_the_restart("postgres").await;
}

#[tokio::test]
async fn sqlite_a_reconnect_with_last_event_id_across_a_restart_misses_nothing() {
    a_reconnect_with_last_event_id_across_a_restart_misses_nothing("sqlite").await;
}

#[tokio::test]
async fn postgres_a_reconnect_with_last_event_id_across_a_restart_misses_nothing() {
    a_reconnect_with_last_event_id_across_a_restart_misses_nothing("postgres").await;
}

#[tokio::test]
async fn fifty_posts_with_one_key_over_two_replicas_create_one_server() {
    fifty_posts_with_one_key_create_one_server("postgres", 2).await;
}

#[tokio::test]
async fn sqlite_fifty_posts_with_one_key_on_one_gateway_create_one_server() {
    fifty_posts_with_one_key_create_one_server("sqlite", 1).await;
}

async fn fifty_posts_with_one_key_create_one_server(backend: &str, replicas: usize) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    let a = setup.gateway();
    let second = (replicas > 1).then(|| setup.gateway());
    let b = second.as_ref().unwrap_or(&a);
    let mut posts = Vec::new();
    for i in 0..50 {
        let gw = if i % 2 == 0 { &a } else { b };
        posts.push(gw.create("once", "one-key"));
    }
    let answers = futures::future::join_all(posts).await;
    let mut ops: Vec<String> = Vec::new();
    for (status, body) in &answers {
        assert!([200, 202, 409].contains(status), "{status} {body}");
        if let Some(id) = body["operation"]["id"].as_str() {
            ops.push(id.to_owned());
        }
    }
    ops.sort();
    ops.dedup();
    assert_eq!(
        ops.len(),
        1,
        "every answer names the one operation: {ops:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        a.servers_named("once").await,
        1,
        "exactly one server at the simulator"
    );
}

#[tokio::test]
async fn an_sse_client_of_one_replica_receives_the_events_of_another() {
    let sim = Sim::start();
    let setup = Setup::new(&sim, "postgres").await;
    let (a, b) = (setup.gateway(), setup.gateway());
    let listening = tokio::spawn({
        let base = b.base.clone();
        async move {
            let b = Gateway {
                process: None,
                base,
                http: reqwest::Client::new(),
            };
            b.events("timeout=60", None, |e| e["data"]["status"] == "succeeded")
                .await
        }
    });
    // The stream's headers come once B subscribed; a short pause stands in for that.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, created) = a.create("fan", "fan-1").await;
    assert_eq!(status, 202, "{created}");
    let got = listening.await.unwrap_or_default();
    let op = created["operation"]["id"].as_str().unwrap_or_default();
    assert!(
        got.iter()
            .any(|(_, e)| e["subject"] == format!("operations/{op}")
                && e["data"]["status"] == "succeeded"),
        "B's client saw A's operation end: {got:?}"
    );
    assert!(
        got.iter()
            .any(|(_, e)| e["type"] == "cloudgw.server.state_changed"),
        "{got:?}"
    );
}
