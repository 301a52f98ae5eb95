//! Webhook deliveries checked by off-the-shelf receiver libraries: a receiver built on the
//! Standard Webhooks reference verifier and the CloudEvents Python SDK
//! (`tests/python/webhook_receiver.py`) fails each message twice, then accepts it; every event
//! must be accepted exactly once, verified and parsed, with its attributes and data intact.

#[path = "common/moto.rs"]
mod moto;
#[path = "common/child.rs"]
mod child;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use child::{ChildProcess, listening_on};
use moto::{project_dir, venv_python};
use serde_json::{Value, json};

use cloudgw::events::Events;
use cloudgw::model::{CloudEvent, EventType};
use cloudgw::webhooks::{MemoryDeliveries, WebhookConfig, Webhooks};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Starts the receiver, failing the first `fail` tries of each message.
fn receiver(fail: u32) -> (ChildProcess, String) {
    let script = project_dir().join("tests/python/webhook_receiver.py");
    let mut command = Command::new(venv_python());
    command
        .arg(script)
        .arg(SECRET)
        .arg(fail.to_string())
        .stdin(Stdio::piped());
    let (child, addr) =
        ChildProcess::start("webhook receiver", &mut command, Duration::from_secs(30), listening_on);
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
    panic!("the receiver accepted fewer than {count}; it said:\n{}", child.log().join("\n"));
}

fn webhook(url: &str, types: &str) -> cloudgw::webhooks::Webhook {
    let text = format!(
        "name = \"receiver\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n{types}first_retry_ms = 50\nmax_retry_secs = 1\n"
    );
    let config: WebhookConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    config.check().unwrap_or_else(|e| panic!("{e:?}"))
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
    let events = Events::new();
    let hook = webhook(&url, "types = [\"cloudgw.server.state_changed\"]\n");
    let webhooks = Webhooks::new(vec![hook], Arc::new(MemoryDeliveries::new()));
    webhooks.start(&events);
    let sent: Vec<CloudEvent> = (0..5)
        .map(|n| event(n, EventType::ServerStateChanged))
        .collect();
    for e in &sent {
        events.publish(e.clone());
    }
    // Filtered out by `types`: never delivered.
    events.publish(event(99, EventType::OperationStatusChanged));
    let all = accepted(&child, sent.len()).await;
    // Give a stray redelivery the time to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = records(&child).into_iter().chain(all).collect::<Vec<_>>();
    assert!(
        all.iter().all(|r| r.get("refused").is_none() && r.get("duplicate").is_none()),
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
        assert_eq!(got["webhook_id"], e.id.as_str(), "the webhook-id is the event id");
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
    assert_eq!(accepted_ids.len(), sent.len(), "each once, the filtered one never");
    let listed = webhooks
        .store()
        .list(&cloudgw::webhooks::DeliveryFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len(), sent.len());
    assert!(listed.iter().all(|(_, d)| d.attempts == 3));
}
