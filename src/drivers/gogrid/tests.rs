//! Tests of the GoGrid driver end to end against a small axum server serving fixture bodies;
//! every shared fixture parsing and mapping is in `tests/fixtures.rs`, the paging arithmetic in
//! `paging.rs`, the mapping rows in `mapping/tests.rs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::client::{Envelope, parse_response, sign};
use super::mapping::{self, NativeImage, NativeIp, NativeOption, NativeServer};
use super::*;
use crate::config::Secret;
use crate::driver::DriverOp;
use crate::layers::{Labels, LayerSettings};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gogrid");

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{FIXTURES}/{path}");
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn envelope<T: serde::de::DeserializeOwned>(path: &str) -> Envelope<T> {
    parse_response(200, None, &fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn error_of(path: &str, status: u16) -> DriverError {
    match parse_response::<Value>(status, None, &fixture(path)) {
        Ok(_) => panic!("{path} parsed as a success"),
        Err(e) => e,
    }
}

fn servers(path: &str) -> Vec<Server> {
    let env: Envelope<NativeServer> = envelope(path);
    env.list
        .into_iter()
        .map(|s| mapping::map_server(s, "gg"))
        .collect()
}

fn images(path: &str) -> Vec<Image> {
    let env: Envelope<NativeImage> = envelope(path);
    env.list
        .into_iter()
        .map(|i| mapping::map_image(i, "gg"))
        .collect()
}

mod fixtures;

#[test]
fn api_versions_compare() {
    assert!(api_at_least("1.9", 1, 3));
    assert!(api_at_least("1.3", 1, 3));
    assert!(!api_at_least("1.2", 1, 3));
    assert!(api_at_least("2", 1, 3));
    assert!(api_at_least("x", 1, 3));
}

// --- the driver over HTTP ------------------------------------------------------------------------

/// A request as the fake GoGrid saw it.
#[derive(Debug, Clone)]
struct Seen {
    verb: String,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
}

impl Seen {
    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(&self.form)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn method(&self) -> &str {
        self.path.trim_start_matches("/api/")
    }
}

/// What the fake answers: status, body, extra headers, delay.
struct Answer {
    status: u16,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
    delay: Duration,
}

fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status,
        body: body.into(),
        headers: Vec::new(),
        delay: Duration::ZERO,
    }
}

fn fixture_answer(status: u16, path: &str) -> Answer {
    answer(status, String::from_utf8(fixture(path)).unwrap())
}

type Responder = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

struct Fake {
    endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn fake(respond: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Fake {
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

const KEY: &str = "key-7f3a";
const SECRET: &str = "secret-9c1e";

fn driver_with(endpoint: &str, version: &str, timeout: Duration) -> GoGridDriver {
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

fn driver(fake: &Fake) -> GoGridDriver {
    driver_with(&fake.endpoint, "1.9", Duration::from_secs(5))
}

/// `driver` inside its layer stack, as the gateway calls it: errors are labelled with provider
/// and operation there, not by the driver. Retry and the breaker are off, so every answer of
/// the driver comes through once and as it was.
fn stacked(driver: GoGridDriver) -> Arc<dyn Driver> {
    let settings = LayerSettings {
        retry_attempts: 1,
        breaker_failures: 0,
        ..LayerSettings::default()
    };
    let labels = Labels::new("gg", "gogrid", &settings);
    crate::layers::stack(Arc::new(driver), &settings, labels)
}

fn envelope_body(method: &str, items: &[Value], total: usize) -> String {
    json!({"list": items, "method": method, "status": "success",
        "summary": {"total": total, "start": 0, "numpages": 0, "returned": items.len()}})
    .to_string()
}

/// A paging `grid/server/list` over `n` servers, every third one Off.
fn server_list_answer(seen: &Seen, n: usize) -> Answer {
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

fn assert_signed(seen: &Seen) {
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

#[tokio::test]
async fn list_servers_signs_pages_and_filters() {
    let fake = fake(|seen| server_list_answer(seen, 7)).await;
    let driver = driver(&fake);
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest { limit: 2, cursor };
        let page = driver
            .list_servers(&req, &ServerFilter::default())
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        names.extend(page.items.into_iter().map(|s| s.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(names, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
    let seen = fake.seen();
    assert_eq!(seen.len(), 4);
    assert_signed(&seen[0]);
    assert_eq!(
        (seen[0].verb.as_str(), seen[0].method()),
        ("GET", "grid/server/list")
    );
    assert_eq!(
        (seen[1].param("num_items"), seen[1].param("page")),
        (Some("2"), Some("1"))
    );

    let stopped = ServerFilter {
        state: Some(ServerState::Stopped),
        name: None,
    };
    let req = ListRequest {
        limit: 2,
        cursor: None,
    };
    let page = driver.list_servers(&req, &stopped).await.unwrap();
    let ids: Vec<_> = page.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s0", "s3"]);
    assert_eq!(page.next_cursor.as_deref(), Some("o:4"));
}

#[tokio::test]
async fn get_server_falls_back_to_the_list_while_provisioning() {
    let fake = fake(|seen| match seen.method() {
        "grid/server/get" => fixture_answer(
            400,
            "deltacloud-recorded/server_get_while_provisioning_400.json",
        ),
        _ => fixture_answer(
            200,
            "deltacloud-recorded/server_list_while_provisioning.json",
        ),
    })
    .await;
    let server = driver(&fake).get_server("test-instance").await.unwrap();
    assert_eq!(
        (server.id.as_str(), server.state),
        ("test-instance", ServerState::Pending)
    );
    let seen = fake.seen();
    assert_eq!(seen[0].param("name"), Some("test-instance"));
    assert_eq!(seen[1].method(), "grid/server/list");
}

#[tokio::test]
async fn get_server_missing_everywhere_is_not_found_with_provider_and_operation() {
    let fake = fake(|seen| match seen.method() {
        "grid/server/get" => fixture_answer(400, "jclouds/test_error_handler.json"),
        _ => fixture_answer(200, "libcloud/compute/server_list.json"),
    })
    .await;
    let err = stacked(driver(&fake)).get_server("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.provider(), Some("gg"));
    assert_eq!(err.operation(), Some(DriverOp::GetServer));
}

#[tokio::test]
async fn provisioned_server_is_read_with_get_by_name() {
    let fake = fake(|_| fixture_answer(200, "deltacloud-recorded/server_get_by_name.json")).await;
    let server = driver(&fake).get_server("test-instance").await.unwrap();
    assert_eq!(server.state, ServerState::Running);
    assert_eq!(fake.seen().len(), 1);
}

fn create_request(name: &str, region: Option<&str>) -> CreateServerRequest {
    CreateServerRequest {
        name: name.to_owned(),
        image_id: "1531".to_owned(),
        size_id: "512MB".to_owned(),
        region: region.map(str::to_owned),
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    }
}

fn create_fake_answer(seen: &Seen) -> Answer {
    match seen.method() {
        "grid/ip/list" => fixture_answer(200, "libcloud/compute/ip_list.json"),
        "grid/server/add" => fixture_answer(200, "libcloud/compute/server_add.json"),
        "common/lookup/list" => {
            fixture_answer(200, "deltacloud-recorded/lookup_list_ip_datacenter.json")
        }
        other => answer(404, format!("unexpected {other}")),
    }
}

#[tokio::test]
async fn create_server_picks_a_free_public_ip_and_posts_a_form() {
    let fake = fake(create_fake_answer).await;
    let server = driver(&fake)
        .create_server(&create_request("test1", Some("US-West-1")), Some("token"))
        .await
        .unwrap();
    assert_eq!(
        (server.id.as_str(), server.state),
        ("test1", ServerState::Pending)
    );
    let seen = fake.seen();
    assert_eq!(seen[0].method(), "grid/ip/list");
    assert_eq!(seen[0].param("ip.state"), Some("Unassigned"));
    assert_eq!(seen[0].param("ip.type"), Some("Public"));
    let add = &seen[1];
    assert_eq!(
        (add.verb.as_str(), add.method()),
        ("POST", "grid/server/add")
    );
    assert_signed(add);
    let form: Vec<(&str, &str)> = add
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        form,
        [
            ("name", "test1"),
            ("image", "1531"),
            ("server.ram", "512MB"),
            ("ip", "192.168.75.66")
        ]
    );
}

#[tokio::test]
async fn create_server_without_a_free_ip_says_why() {
    let fake = fake(create_fake_answer).await;
    let driver = stacked(driver(&fake));
    let err = driver
        .create_server(&create_request("a", Some("US-East-1")), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert_eq!(err.operation(), Some(DriverOp::CreateServer));
    let err = driver
        .create_server(&create_request("a", Some("Mars-1")), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(fake.seen().iter().all(|s| s.method() != "grid/server/add"));
}

#[tokio::test]
async fn create_server_rejects_what_gogrid_cannot_do_before_calling() {
    let fake = fake(create_fake_answer).await;
    let driver = stacked(driver(&fake));
    let mut with_zone = create_request("a", None);
    with_zone.zone = Some("z".into());
    let mut with_key = create_request("a", None);
    with_key.key_name = Some("k".into());
    let mut with_data = create_request("a", None);
    with_data.user_data = Some("#!".into());
    let mut with_tags = create_request("a", None);
    with_tags.tags = Some([("k".to_owned(), "v".to_owned())].into());
    for req in [with_zone, with_key, with_data, with_tags] {
        let err = driver.create_server(&req, None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{req:?}");
        assert_eq!(err.provider(), Some("gg"));
    }
    for name in ["", "  ", "a-name-longer-than-20c"] {
        let err = driver
            .create_server(&create_request(name, None), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{name:?}");
    }
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn power_and_delete_address_the_server_by_name_with_post() {
    let fake = fake(|seen| match seen.method() {
        "grid/server/power" => fixture_answer(200, "libcloud/compute/server_power.json"),
        _ => fixture_answer(200, "libcloud/compute/server_delete.json"),
    })
    .await;
    let driver = driver(&fake);
    let server = driver.reboot_server("test1").await.unwrap();
    assert_eq!(server.state, ServerState::Running);
    driver.start_server("test1").await.unwrap();
    driver.stop_server("test1").await.unwrap();
    let deleted = driver.delete_server("test1").await.unwrap();
    assert_eq!(deleted.state, ServerState::Terminating);
    assert_eq!(deleted.extra["native_state"], json!("On"));
    let seen = fake.seen();
    let powers: Vec<_> = seen
        .iter()
        .filter_map(|s| s.form.iter().find(|(k, _)| k == "power"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(powers, ["restart", "start", "stop"]);
    assert!(
        seen.iter()
            .all(|s| s.verb == "POST" && s.param("name") == Some("test1"))
    );
    assert_eq!(seen[3].method(), "grid/server/delete");
}

#[tokio::test]
async fn auth_failure_and_rate_limit_and_server_errors_map() {
    let fake = fake(|seen| match seen.param("page") {
        Some("0") => fixture_answer(403, "deltacloud-recorded/auth_failure_403.txt"),
        Some("1") => {
            let mut a = answer(429, "");
            a.headers.push(("retry-after", "3"));
            a
        }
        Some("2") => answer(502, "<html>bad gateway</html>"),
        _ => answer(504, ""),
    })
    .await;
    let driver = driver(&fake);
    let req = |n: usize| ListRequest {
        limit: 1,
        cursor: Some(crate::driver::paging::encode_offset(n)),
    };
    let filter = ServerFilter::default();
    let err = driver.list_servers(&req(0), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(KEY) && !text.contains(SECRET) && !text.contains("sig="),
        "{text}"
    );
    let err = driver.list_servers(&req(1), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    let err = driver.list_servers(&req(2), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    let err = driver.list_servers(&req(3), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn slow_answer_is_a_timeout_and_no_secret_leaks() {
    let fake = fake(|_| {
        let mut a = fixture_answer(200, "libcloud/compute/server_list.json");
        a.delay = Duration::from_secs(3);
        a
    })
    .await;
    let driver = driver_with(&fake.endpoint, "1.9", Duration::from_millis(200));
    let err = driver.get_server("test1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_temporary());
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(!text.contains(KEY) && !text.contains("sig="), "{text}");
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let driver = stacked(driver_with(
        &format!("http://{addr}/api"),
        "1.9",
        Duration::from_secs(2),
    ));
    let err = driver.get_image("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.is_temporary());
    assert_eq!(err.operation(), Some(DriverOp::GetImage));
    assert!(!format!("{err:?}").contains(KEY));
}

#[tokio::test]
async fn get_image_uses_image_get_and_lists_on_old_api_versions() {
    let fake = fake(|seen| match (seen.method(), seen.param("id")) {
        ("grid/image/get", Some("13834")) => {
            fixture_answer(200, "deltacloud-recorded/image_get_id_13834.json")
        }
        ("grid/image/get", _) => {
            fixture_answer(400, "deltacloud-recorded/image_get_not_found_400.json")
        }
        _ => fixture_answer(200, "libcloud/compute/image_list.json"),
    })
    .await;
    let image = driver(&fake).get_image("13834").await.unwrap();
    assert_eq!(image.name, "Basho Riak 1.1.4");
    let err = driver(&fake).get_image("unknown").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let old = driver_with(&fake.endpoint, "1.2", Duration::from_secs(5));
    assert_eq!(old.get_image("1533").await.unwrap().id, "1533");
    assert_eq!(
        old.get_image("9").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn list_images_filters_in_memory() {
    let fake =
        fake(|_| fixture_answer(200, "deltacloud-recorded/image_list_state_available.json")).await;
    let filter = ImageFilter {
        owner: Some("gogrid".into()),
        name: Some("Windows".into()),
    };
    let req = ListRequest {
        limit: 500,
        cursor: None,
    };
    let page = driver(&fake).list_images(&req, &filter).await.unwrap();
    assert!(!page.items.is_empty() && page.next_cursor.is_none());
    assert!(page.items.iter().all(|i| i.name.contains("Windows")));
    assert_eq!(fake.seen()[0].param("num_items"), Some("500"));
}

#[tokio::test]
async fn sizes_and_regions_page_in_memory() {
    let fake = fake(|seen| match seen.param("lookup") {
        Some("server.ram") => {
            fixture_answer(200, "deltacloud-recorded/lookup_list_server_ram.json")
        }
        _ => fixture_answer(200, "deltacloud-recorded/lookup_list_ip_datacenter.json"),
    })
    .await;
    let driver = stacked(driver(&fake));
    let req = ListRequest {
        limit: 2,
        cursor: Some("o:6".into()),
    };
    let sizes = driver.list_sizes(&req).await.unwrap();
    assert_eq!(sizes.items.len(), 1);
    assert_eq!(
        (sizes.items[0].id.as_str(), sizes.next_cursor),
        ("24GB", None)
    );
    let req = ListRequest {
        limit: 2,
        cursor: None,
    };
    let regions = driver.list_regions(&req).await.unwrap();
    let ids: Vec<_> = regions.items.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        (ids, regions.next_cursor.as_deref()),
        (vec!["US-West-1", "US-East-1"], Some("o:2"))
    );
    let bad = ListRequest {
        limit: 2,
        cursor: Some("garbage".into()),
    };
    let err = driver.list_regions(&bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.operation(), Some(DriverOp::ListRegions));
}

#[tokio::test]
async fn volumes_are_unsupported_and_capabilities_say_so() {
    let driver = stacked(driver_with(
        "http://127.0.0.1:9/api",
        "1.9",
        Duration::from_secs(1),
    ));
    let caps = driver.capabilities();
    assert!(
        caps.list_servers && caps.create_server_in_region && caps.get_image && caps.list_regions
    );
    assert!(!caps.create_server_in_zone && !caps.create_server_with_key_name);
    assert!(!caps.create_server_with_user_data && !caps.create_server_with_tags);
    assert!(!caps.list_volumes && !caps.create_volume && !caps.attach_volume);
    let req = ListRequest {
        limit: 1,
        cursor: None,
    };
    let err = driver.list_volumes(&req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.operation(), Some(DriverOp::ListVolumes));
    assert_eq!(err.provider(), Some("gg"));
    let err = driver.detach_volume("v").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
