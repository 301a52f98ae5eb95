//! A fake GoGrid API (an axum server answering from a closure and recording what it saw), and
//! the driver pointed at it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::*;

/// A request as the fake GoGrid saw it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) verb: String,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) form: Vec<(String, String)>,
}

impl Seen {
    pub(super) fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(&self.form)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub(super) fn method(&self) -> &str {
        self.path.trim_start_matches("/api/")
    }
}

/// What the fake answers: status, body, extra headers, delay.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: String,
    pub(super) headers: Vec<(&'static str, &'static str)>,
    pub(super) delay: Duration,
}

pub(super) fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status,
        body: body.into(),
        headers: Vec::new(),
        delay: Duration::ZERO,
    }
}

pub(super) fn fixture_answer(status: u16, path: &str) -> Answer {
    answer(status, String::from_utf8(fixture(path)).unwrap())
}

pub(super) type Responder = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

pub(super) struct Fake {
    pub(super) endpoint: String,
    pub(super) seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub(super) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

pub(super) async fn fake(respond: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Fake {
    use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
    let respond: Responder = Arc::new(respond);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: String| {
        let (respond, log) = (respond.clone(), log.clone());
        async move {
            let parse = |s: &str| serde_urlencoded::from_str(s).unwrap_or_default();
            let request = Seen {
                verb: method.to_string(),
                path: uri.path().to_owned(),
                query: parse(uri.query().unwrap_or("")),
                form: parse(&body),
            };
            log.lock().unwrap().push(request.clone());
            let a = respond(&request);
            tokio::time::sleep(a.delay).await;
            let mut response = axum::response::Response::new(axum::body::Body::from(a.body));
            *response.status_mut() = StatusCode::from_u16(a.status).unwrap();
            let headers = response.headers_mut();
            headers.insert("content-type", HeaderValue::from_static("text/html"));
            for (k, v) in a.headers {
                headers.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fake {
        endpoint: format!("http://{addr}/api"),
        seen,
    }
}

pub(super) const KEY: &str = "key-7f3a";
pub(super) const SECRET: &str = "secret-9c1e";

pub(super) fn driver_with(endpoint: &str, version: &str, timeout: Duration) -> GoGridDriver {
    let settings = GoGridSettings {
        endpoint: endpoint.to_owned(),
        api_key: Secret::new(KEY),
        shared_secret: Secret::new(SECRET),
        api_version: version.to_owned(),
        timeout,
        default_region: None,
    };
    GoGridDriver::new("gg".into(), settings).unwrap()
}

pub(super) fn driver(fake: &Fake) -> GoGridDriver {
    driver_with(&fake.endpoint, "1.9", Duration::from_secs(5))
}

/// `driver` inside its layer stack, as the gateway calls it: errors are labelled with provider
/// and operation there, not by the driver. Retry and the breaker are off, so every answer of
/// the driver comes through once and as it was.
pub(super) fn stacked(driver: GoGridDriver) -> Arc<dyn Driver> {
    let settings = LayerSettings {
        retry_attempts: 1,
        breaker_failures: 0,
        ..LayerSettings::default()
    };
    let labels = Labels::new("gg", "gogrid", &settings);
    crate::layers::stack(Arc::new(driver), &settings, labels)
}

pub(super) fn envelope_body(method: &str, items: &[Value], total: usize) -> String {
    json!({"list": items, "method": method, "status": "success",
        "summary": {"total": total, "start": 0, "numpages": 0, "returned": items.len()}})
    .to_string()
}

/// A paging `grid/server/list` over `n` servers, every third one Off.
pub(super) fn server_list_answer(seen: &Seen, n: usize) -> Answer {
    let size: usize = seen.param("num_items").unwrap().parse().unwrap();
    let page: usize = seen.param("page").unwrap().parse().unwrap();
    let items: Vec<Value> = (0..n)
        .skip(page * size)
        .take(size)
        .map(|i| {
            let state = if i % 3 == 0 { "Off" } else { "On" };
            json!({"id": 1000 + i, "name": format!("s{i}"), "object": "server",
                "state": {"id": 1, "name": state, "object": "option"}})
        })
        .collect();
    answer(200, envelope_body("/grid/server/list", &items, n))
}

pub(super) fn assert_signed(seen: &Seen) {
    assert_eq!(seen.param("api_key"), Some(KEY));
    assert_eq!(seen.param("v"), Some("1.9"));
    assert_eq!(seen.param("format"), Some("json"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sig = seen.param("sig").unwrap();
    assert!(
        (now - 5..=now + 1).any(|t| sign(KEY, SECRET, t) == sig),
        "signature does not match"
    );
    // Auth travels in the query string, never in a form body.
    assert!(seen.form.iter().all(|(k, _)| k != "api_key" && k != "sig"));
}
