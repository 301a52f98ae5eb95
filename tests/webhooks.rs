//! Webhook deliveries checked by off-the-shelf receiver libraries: a receiver built on the
//! Standard Webhooks reference verifier and the CloudEvents Python SDK
//! (`tests/python/webhook_receiver.py`) fails each message twice, then accepts it; every event
//! must be accepted exactly once, verified and parsed, with its attributes and data intact.

mod served;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use served::child::{ChildProcess, listening_on};

use cloudgw::events::Events;
use cloudgw::model::{CloudEvent, EventType};
use cloudgw::store::MemoryStore;
use cloudgw::webhooks::{WebhookConfig, Webhooks};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Starts the receiver, failing the first `fail` tries of each message.
fn receiver(fail: u32) -> (ChildProcess, String) {
    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = project.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/python-env",
        python.display()
    );
    let script = project.join("tests/python/webhook_receiver.py");
    let mut command = Command::new(python);
    command
        .arg(script)
        .arg(SECRET)
        .arg(fail.to_string())
        .stdin(Stdio::piped());
    let (child, addr) = ChildProcess::start(
        "webhook receiver",
        &mut command,
        Duration::from_secs(30),
        listening_on,
    );
    (child, format!("http://{addr}/hooks"))
}

/// The receiver's JSON lines.
fn records(child: &ChildProcess) -> Vec<Value> {
    child
        .log()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect()
}

/// Waits (up to 60 s) until the receiver has accepted `count` messages; answers its records.
async fn accepted(child: &ChildProcess, count: usize) -> Vec<Value> {
    for _ in 0..600 {
        let all = records(child);
        if all.iter().filter(|r| r.get("accepted").is_some()).count() >= count {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the receiver accepted fewer than {count}; it said:\n{}",
        child.log().join("\n")
    );
}

fn webhook(url: &str, types: &str) -> cloudgw::webhooks::Webhook {
    let text = format!(
        "name = \"receiver\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n{types}first_retry_ms = 50\nmax_retry_secs = 1\n"
    );
    let config: WebhookConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    config.check().unwrap_or_else(|e| panic!("{e:?}"))
}

/// Publishes probe events (of a type the webhook filters out) until the feeder has read one:
/// it starts from the log's end once it holds its lease.
async fn wait_for_feeder(events: &Events, webhooks: &Webhooks) {
    for n in 0..100 {
        events
            .publish(event(1000 + n, EventType::OperationStatusChanged))
            .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if webhooks
            .store()
            .feed_position()
            .await
            .ok()
            .flatten()
            .is_some()
        {
            return;
        }
    }
    panic!("the webhook feeder never started");
}

fn event(n: usize, event_type: EventType) -> CloudEvent {
    CloudEvent::new(
        event_type,
        "go grid",
        format!("servers/web-{n}"),
        json!({"id": format!("web-{n}"), "provider": "go grid", "state": "running", "n": n}),
    )
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_each_event_once_verified_and_parsed() {
    let (child, url) = receiver(2);
    let store = Arc::new(MemoryStore::new());
    let events = Events::over(store.clone());
    let hook = webhook(&url, "types = [\"cloudgw.server.state_changed\"]\n");
    let webhooks = Webhooks::new(vec![hook], store);
    webhooks.start(&events, "test".into());
    // The feeder subscribes once it holds its lease: wait for the feed to begin.
    wait_for_feeder(&events, &webhooks).await;
    let sent: Vec<CloudEvent> = (0..5)
        .map(|n| event(n, EventType::ServerStateChanged))
        .collect();
    for e in &sent {
        events.publish(e.clone()).await;
    }
    // Filtered out by `types`: never delivered.
    events
        .publish(event(99, EventType::OperationStatusChanged))
        .await;
    let all = accepted(&child, sent.len()).await;
    // Give a stray redelivery the time to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = records(&child).into_iter().chain(all).collect::<Vec<_>>();
    assert!(
        all.iter()
            .all(|r| r.get("refused").is_none() && r.get("duplicate").is_none()),
        "{all:?}"
    );
    for e in &sent {
        let got: Vec<&Value> = all
            .iter()
            .filter_map(|r| r.get("accepted"))
            .filter(|a| a["id"] == e.id.as_str())
            .collect();
        assert!(!got.is_empty(), "event {} never accepted", e.id);
        let got = got[0];
        assert_eq!(
            got["webhook_id"],
            e.id.as_str(),
            "the webhook-id is the event id"
        );
        assert_eq!(got["attempt"], 3, "accepted at the third try");
        assert_eq!(got["type"], "cloudgw.server.state_changed");
        assert_eq!(got["source"], "/v1/providers/go%20grid");
        assert_eq!(got["subject"], e.subject.as_str());
        assert_eq!(got["data"], e.data);
    }
    let accepted_ids: std::collections::HashSet<_> = all
        .iter()
        .filter_map(|r| r.get("accepted"))
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(
        accepted_ids.len(),
        sent.len(),
        "each once, the filtered one never"
    );
    let listed = webhooks
        .store()
        .list_deliveries(&cloudgw::store::DeliveryFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len(), sent.len());
    assert!(listed.iter().all(|(_, d)| d.attempts == 3));
}

/// Dead letters are listed at `GET /v1/webhooks/deliveries?status=failed`, newest first, paged.
#[tokio::test]
async fn dead_letters_are_listed_and_paged() {
    let (child, url) = receiver(1000);
    let text =
        format!("name = \"down\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\nmax_attempts = 1\n");
    let config: WebhookConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let hook = config.check().unwrap_or_else(|e| panic!("{e:?}"));
    let webhooks = Webhooks::new(vec![hook], Arc::new(MemoryStore::new()));
    let sent: Vec<CloudEvent> = (0..3)
        .map(|n| event(n, EventType::ServerStateChanged))
        .collect();
    for e in &sent {
        webhooks.enqueue(e).await;
    }
    while webhooks.deliver_due().await > 0 {}
    let registry = Arc::new(cloudgw::registry::Registry::from_entries(Vec::new()));
    let ops = cloudgw::ops::Operations::new(
        Arc::new(cloudgw::store::MemoryStore::new()),
        cloudgw::ops::FollowSettings::default(),
    );
    let service =
        cloudgw::service::Service::new(registry, ops, Default::default()).with_webhooks(webhooks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let app = cloudgw::api::router_for(service, cloudgw::api::DEFAULT_REQUEST_TIMEOUT);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let answer = client
                .get(url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap_or_default())
        }
    };
    let (status, first) = get("/v1/webhooks/deliveries?status=failed&limit=2".into()).await;
    assert_eq!(status, 200, "{first}");
    let ids: Vec<&str> = first["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["event_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        ids,
        [sent[2].id.as_str(), sent[1].id.as_str()],
        "newest first"
    );
    assert_eq!(first["items"][0]["status"], "failed");
    assert_eq!(first["items"][0]["webhook"], "down");
    assert_eq!(first["items"][0]["last_status"], 500);
    let cursor = first["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"));
    let (_, second) = get(format!(
        "/v1/webhooks/deliveries?status=failed&limit=2&cursor={cursor}"
    ))
    .await;
    assert_eq!(second["items"][0]["event_id"], sent[0].id.as_str());
    assert_eq!(second["next_cursor"], Value::Null);
    let (_, delivered) = get("/v1/webhooks/deliveries?status=delivered".into()).await;
    assert_eq!(delivered["items"], json!([]));
    let (status, bad) = get("/v1/webhooks/deliveries?status=lost".into()).await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (400, Some("invalid_request")),
        "{bad}"
    );
    let (status, _) = get("/v1/webhooks/deliveries?cursor=forged".into()).await;
    assert_eq!(status, 400);
    drop(child);
}
