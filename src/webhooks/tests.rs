//! The worker against a receiver in this process (the third-party check, with the Python
//! `standardwebhooks` and `cloudevents` packages, is `tests/webhooks.rs`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use super::*;
use crate::model::{DeliveryStatus, EventType};
use crate::store::{DeliveryFilter, MemoryStore};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One scripted answer: a status and an optional `Retry-After`.
type Answer = (u16, Option<&'static str>);
/// One request received: its headers and body.
type Received = (HeaderMap, Vec<u8>);

/// A receiver answering the scripted statuses in turn (then 204), recording what it got.
#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<VecDeque<Answer>>>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: &[Answer]) -> (Receiver, String) {
        let receiver = Receiver {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Receiver::default()
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push((headers, body.to_vec()));
                    let (code, retry_after) = state
                        .script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or((204, None));
                    let mut response = StatusCode::from_u16(code).unwrap().into_response();
                    if let Some(after) = retry_after {
                        response
                            .headers_mut()
                            .insert("retry-after", after.parse().unwrap());
                    }
                    if code == 302 {
                        response
                            .headers_mut()
                            .insert("location", "/elsewhere".parse().unwrap());
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

fn hook(url: &str, max_attempts: u32) -> Webhook {
    let config: WebhookConfig = toml::from_str(&format!(
        "name = \"test\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\nmax_attempts = {max_attempts}\nfirst_retry_ms = 10\nmax_retry_secs = 1"
    ))
    .unwrap();
    config.check().unwrap()
}

fn event() -> CloudEvent {
    CloudEvent::new(
        EventType::ServerStateChanged,
        "gogrid",
        "servers/web-1".into(),
        serde_json::json!({"id": "web-1", "state": "running"}),
    )
}

/// Runs the worker until the delivery of `event` is no longer pending, and answers it.
async fn settle(webhooks: &Webhooks, event: &CloudEvent) -> crate::model::Delivery {
    for _ in 0..400 {
        webhooks.deliver_due().await;
        let all = webhooks
            .store()
            .list_deliveries(&DeliveryFilter {
                limit: 10,
                ..DeliveryFilter::default()
            })
            .await
            .unwrap();
        let (_, delivery) = all
            .into_iter()
            .find(|(_, d)| d.event_id == event.id)
            .unwrap();
        if delivery.status != DeliveryStatus::Pending {
            return delivery;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the delivery never settled");
}

#[tokio::test]
async fn two_failures_then_success_is_delivered_with_one_webhook_id_and_valid_signatures() {
    let (receiver, url) = Receiver::start(&[(500, None), (503, Some("0"))]).await;
    let webhooks = Webhooks::new(vec![hook(&url, 5)], Arc::new(MemoryStore::new()));
    let event = event();
    webhooks.enqueue(&event).await;
    webhooks.enqueue(&event).await;
    let delivery = settle(&webhooks, &event).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered);
    assert_eq!(delivery.attempts, 3);
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "queued twice, tried three times");
    let key = SigningKey::from_secret(SECRET).unwrap();
    for (headers, body) in &got {
        let header = |name: &str| headers[name].to_str().unwrap().to_owned();
        assert_eq!(header("webhook-id"), event.id);
        assert_eq!(header("ce-id"), event.id);
        assert_eq!(header("ce-type"), "cloudgw.server.state_changed");
        assert_eq!(header("content-type"), "application/json");
        let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
        assert_eq!(
            header("webhook-signature"),
            key.sign(&event.id, timestamp, body)
        );
        let data: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(data, event.data);
    }
}

#[tokio::test]
async fn the_last_failed_try_leaves_a_dead_letter() {
    let (receiver, url) = Receiver::start(&[(500, None), (502, None), (504, None)]).await;
    let webhooks = Webhooks::new(vec![hook(&url, 3)], Arc::new(MemoryStore::new()));
    let event = event();
    webhooks.enqueue(&event).await;
    let delivery = settle(&webhooks, &event).await;
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!((delivery.attempts, delivery.last_status), (3, Some(504)));
    assert!(
        delivery
            .last_error
            .unwrap()
            .contains("gave up after 3 tries")
    );
    assert_eq!(receiver.count(), 3);
}

#[tokio::test]
async fn a_refusal_or_a_redirect_is_not_retried() {
    for code in [400, 302] {
        let (receiver, url) = Receiver::start(&[(code, None)]).await;
        let webhooks = Webhooks::new(vec![hook(&url, 5)], Arc::new(MemoryStore::new()));
        let event = event();
        webhooks.enqueue(&event).await;
        let delivery = settle(&webhooks, &event).await;
        assert_eq!(delivery.status, DeliveryStatus::Failed, "{code}");
        assert_eq!(delivery.last_status, Some(code));
        assert_eq!(receiver.count(), 1, "{code}: one try, no redirect followed");
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (_receiver, url) = Receiver::start(&[(429, Some("1"))]).await;
    let webhooks = Webhooks::new(vec![hook(&url, 5)], Arc::new(MemoryStore::new()));
    let event = event();
    webhooks.enqueue(&event).await;
    let before = time::OffsetDateTime::now_utc();
    assert_eq!(webhooks.deliver_due().await, 1);
    let filter = DeliveryFilter {
        limit: 1,
        ..DeliveryFilter::default()
    };
    let (_, pending) = webhooks
        .store()
        .list_deliveries(&filter)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(pending.status, DeliveryStatus::Pending);
    let due = pending.next_attempt_at.unwrap() - before;
    assert!(due >= time::Duration::milliseconds(900), "{due}");
    assert_eq!(webhooks.deliver_due().await, 0, "not due yet");
}

#[tokio::test]
async fn an_unreachable_receiver_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let webhooks = Webhooks::new(vec![hook(&url, 2)], Arc::new(MemoryStore::new()));
    let event = event();
    webhooks.enqueue(&event).await;
    let delivery = settle(&webhooks, &event).await;
    assert_eq!(
        (delivery.status, delivery.attempts),
        (DeliveryStatus::Failed, 2)
    );
    assert_eq!(delivery.last_status, None);
    assert!(
        !delivery.last_error.unwrap().contains(&url),
        "no URL in the error"
    );
}
