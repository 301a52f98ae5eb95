//! Tests of the GoGrid driver: every shared fixture parses and maps, the paging arithmetic, the
//! cursor, and the driver end to end against a small axum server serving fixture bodies.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::client::{Envelope, parse_response, sign};
use super::mapping::{self, NativeImage, NativeIp, NativeOption, NativeServer};
use super::*;
use crate::config::Secret;

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

// --- fixtures ------------------------------------------------------------------------------------

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_json_fixture_is_an_envelope_the_driver_reads() {
    let mut files = Vec::new();
    json_files(Path::new(FIXTURES), &mut files);
    assert!(files.len() >= 35, "found only {} fixtures", files.len());
    for file in files {
        let body = std::fs::read(&file).unwrap();
        let raw: Envelope<Value> =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        match parse_response::<Value>(200, None, &body) {
            Ok(env) => assert_eq!(env.list.len(), raw.list.len()),
            Err(e) => assert_eq!(raw.status, "failure", "{}: {e}", file.display()),
        }
    }
}

#[test]
fn provisioned_server_from_the_real_api_maps() {
    let [server] = servers("deltacloud-recorded/server_get_by_name.json")
        .try_into()
        .unwrap();
    assert_eq!(server.id, "test-instance");
    assert_eq!(server.name, "test-instance");
    assert_eq!(server.state, ServerState::Running);
    assert_eq!(server.public_ips, vec!["173.1.167.116"]);
    assert!(server.private_ips.is_empty());
    assert_eq!(server.size_id.as_deref(), Some("512MB"));
    assert_eq!(server.region.as_deref(), Some("US-West-1"));
    assert_eq!(server.image_id.as_deref(), Some("9928"));
    assert_eq!(server.extra["gogrid_id"], json!(386946));
    assert_eq!(server.extra["native_state"], json!("On"));
    assert_eq!(server.extra["cores"], json!(0.5));
    assert_eq!(server.extra["disk_size_mb"], json!(25600));
    assert!(server.created_at.is_none() && server.tags.is_empty() && server.zone.is_none());
}

#[test]
fn provisioning_server_from_the_real_api_is_pending_without_gogrid_id() {
    let [server] = servers("deltacloud-recorded/server_list_while_provisioning.json")
        .try_into()
        .unwrap();
    assert_eq!(server.id, "test-instance");
    assert_eq!(server.state, ServerState::Pending);
    assert_eq!(server.extra["native_state"], json!("Off"));
    assert!(!server.extra.contains_key("gogrid_id"));
    assert_eq!(server.public_ips, vec!["173.1.167.116"]);
}

#[test]
fn deleted_server_answer_maps() {
    let [server] = servers("deltacloud-recorded/server_delete_by_name.json")
        .try_into()
        .unwrap();
    assert_eq!(server.id, "test-instance");
}

#[test]
fn not_found_400s_from_the_real_api_are_not_found() {
    for path in [
        "deltacloud-recorded/server_get_while_provisioning_400.json",
        "deltacloud-recorded/image_get_not_found_400.json",
        "jclouds/test_error_handler.json",
    ] {
        let err = error_of(path, 400);
        assert_eq!(err.kind(), ErrorKind::NotFound, "{path}");
        assert_eq!(err.context("native_code"), Some("IllegalArgumentException"));
        assert_eq!(err.context("http_status"), Some("400"));
        assert_eq!(
            err.message(),
            "No object found that matches your input criteria."
        );
    }
}

#[test]
fn real_403_text_body_is_auth() {
    let err = error_of("deltacloud-recorded/auth_failure_403.txt", 403);
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_temporary());
}

#[test]
fn unexpected_exception_fixture_is_temporary_unavailable() {
    let err = error_of("libcloud/loadbalancer/unexpected_error.json", 500);
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.is_temporary());
    assert_eq!(err.context("native_code"), Some("UnexpectedException"));
}

#[test]
fn libcloud_power_failure_without_error_item_is_bad_response_or_not_found() {
    let err = error_of("libcloud/compute/server_power_fail.json", 200);
    assert_eq!(err.kind(), ErrorKind::BadResponse);
    // libcloud's test serves it with a 404.
    let err = error_of("libcloud/compute/server_power_fail.json", 404);
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn real_image_get_maps_with_os_arch_owner_and_price() {
    let [image] = images("deltacloud-recorded/image_get_id_13834.json")
        .try_into()
        .unwrap();
    assert_eq!(image.id, "13834");
    assert_eq!(image.name, "Basho Riak 1.1.4");
    assert_eq!(image.os_family.as_deref(), Some("linux"));
    assert_eq!(image.architecture.as_deref(), Some("x86_64"));
    assert!(image.public);
    assert_eq!(
        image.extra["native_name"],
        json!("GSI-4439c0b1-d3a3-45b8-b86b-1abd542ca4ca")
    );
    assert_eq!(image.extra["owner"]["name"], json!("Basho Technologies"));
    assert_eq!(image.extra["price"], json!(0));
    assert_eq!(image.extra["state"], json!("Available"));
    assert_eq!(
        image.extra["datacenters"],
        json!(["US-West-1", "US-East-1", "EU-West-1"])
    );
}

#[test]
fn real_image_list_of_173_images_maps_every_image() {
    let list = images("deltacloud-recorded/image_list_state_available.json");
    assert_eq!(list.len(), 173);
    assert!(
        list.iter()
            .all(|i| i.architecture.is_some() && i.os_family.is_some())
    );
    let windows = list
        .iter()
        .filter(|i| i.os_family.as_deref() == Some("windows"))
        .count();
    assert_eq!(windows, 38);
    let first = &list[0];
    assert_eq!(first.id, "6");
    assert_eq!(first.architecture.as_deref(), Some("i386"));
    assert_eq!(first.extra["price"], json!(100));
}

#[test]
fn libcloud_images_take_architecture_from_the_os_name() {
    let list = images("libcloud/compute/image_list.json");
    let archs: Vec<_> = list.iter().map(|i| i.architecture.as_deref()).collect();
    assert_eq!(
        archs,
        [Some("i386"), Some("x86_64"), Some("i386"), Some("x86_64")]
    );
    let [saved] = images("libcloud/compute/image_save.json")
        .try_into()
        .unwrap();
    assert!(!saved.public);
    assert_eq!(saved.extra["state"], json!("Saving"));
    assert_eq!(saved.name, "testimage");
    assert_eq!(saved.description, None);
}

#[test]
fn real_ram_lookup_maps_to_sizes_with_the_step_table() {
    let env: Envelope<NativeOption> = envelope("deltacloud-recorded/lookup_list_server_ram.json");
    let sizes: Vec<Size> = env
        .list
        .into_iter()
        .filter_map(|o| mapping::map_size(o, "gg"))
        .collect();
    let rows: Vec<_> = sizes
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.memory_mib.unwrap_or(0),
                s.cores.unwrap_or(0.0),
                s.disk_gib,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("512MB", 512, 0.5, Some(25)),
            ("1GB", 1024, 1.0, Some(50)),
            ("2GB", 2048, 2.0, Some(100)),
            ("4GB", 4096, 4.0, Some(200)),
            ("8GB", 8192, 8.0, Some(400)),
            ("16GB", 16384, 16.0, Some(800)),
            ("24GB", 24576, 16.0, Some(1200)),
        ]
    );
    assert_eq!(sizes[6].extra["gogrid_id"], json!(9));
    assert_eq!(
        sizes[0].extra["description"],
        json!("Server with 512MB RAM")
    );
}

#[test]
fn datacenter_lookups_map_to_regions() {
    let env: Envelope<NativeOption> =
        envelope("deltacloud-recorded/lookup_list_ip_datacenter.json");
    let regions: Vec<Region> = env
        .list
        .into_iter()
        .filter_map(|o| mapping::map_region(o, "gg"))
        .collect();
    let ids: Vec<_> = regions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["US-West-1", "US-East-1", "EU-West-1"]);
    assert!(regions[0].zones.is_empty());
    assert_eq!(regions[0].extra["gogrid_id"], json!(1));
    assert_eq!(
        regions[0].extra["description"],
        json!("US West 1 Datacenter")
    );
    let libcloud: Envelope<NativeOption> =
        envelope("libcloud/compute/lookup_list_ip_datacenter.json");
    assert_eq!(libcloud.list.len(), 2);
    let types: Envelope<NativeOption> =
        envelope("deltacloud-recorded/lookup_list_server_type.json");
    assert_eq!(types.list.len(), 2);
}

#[test]
fn password_lists_parse_and_their_servers_map() {
    for (path, count) in [
        ("deltacloud-recorded/password_list.json", 1),
        ("libcloud/compute/password_list.json", 1),
        ("jclouds/test_credentials_list.json", 6),
        ("jclouds/test_credential.json", 2),
    ] {
        let env: Envelope<Value> = envelope(path);
        assert_eq!(env.list.len(), count, "{path}");
        // jclouds' second credential has no `server`.
        for item in env.list.into_iter().filter(|i| i.get("server").is_some()) {
            let server: NativeServer = serde_json::from_value(item["server"].clone()).unwrap();
            let server = mapping::map_server(server, "gg");
            assert!(server.extra.contains_key("gogrid_id"), "{path}");
        }
    }
}

#[test]
fn third_party_server_fixtures_map() {
    let [power] = servers("jclouds/test_get_server_list.json")
        .try_into()
        .unwrap();
    assert_eq!(
        (power.id.as_str(), power.state, power.region.as_deref()),
        ("PowerServer", ServerState::Running, Some("US-West-1"))
    );
    assert_eq!(power.extra["gogrid_id"], json!(75245));
    let [listed] = servers("libcloud/compute/server_list.json")
        .try_into()
        .unwrap();
    assert_eq!(listed.public_ips, vec!["192.168.0.202"]);
    assert_eq!(listed.region, None);
    assert_eq!(listed.extra["description"], json!("test server"));
    let [added] = servers("libcloud/compute/server_add.json")
        .try_into()
        .unwrap();
    assert_eq!(added.state, ServerState::Pending);
    for path in ["server_delete", "server_edit", "server_power"] {
        let [s] = servers(&format!("libcloud/compute/{path}.json"))
            .try_into()
            .unwrap();
        assert_eq!((s.id.as_str(), s.state), ("test1", ServerState::Running));
    }
}

#[test]
fn ip_lists_parse_and_free_public_ips_are_found() {
    let env: Envelope<NativeIp> = envelope("libcloud/compute/ip_list.json");
    let free: Vec<_> = env
        .list
        .iter()
        .filter(|ip| mapping::is_free_public_ip(ip, Some("US-West-1")))
        .map(|ip| ip.ip.as_str())
        .collect();
    assert_eq!(free, ["192.168.75.66"]);
    let empty: Envelope<NativeIp> = envelope("libcloud/compute/ip_list_empty.json");
    assert!(empty.list.is_empty());
    let lb: Envelope<NativeIp> = envelope("libcloud/loadbalancer/ip_list.json");
    assert_eq!(lb.list.len(), 16);
}

#[test]
fn job_and_loadbalancer_envelopes_parse() {
    let jobs: Envelope<Value> = envelope("jclouds/test_get_job_list.json");
    assert_eq!(jobs.total(), Some(68));
    for path in [
        "jclouds/test_get_load_balancer_list.json",
        "libcloud/loadbalancer/loadbalancer_add.json",
        "libcloud/loadbalancer/loadbalancer_edit.json",
        "libcloud/loadbalancer/loadbalancer_get.json",
        "libcloud/loadbalancer/loadbalancer_list.json",
    ] {
        let env: Envelope<Value> = envelope(path);
        assert!(!env.list.is_empty(), "{path}");
    }
}

// --- cursor and paging arithmetic --------------------------------------------------------------

// The offset cursor itself is tested in `crate::driver::paging`.

/// Pages of `data` as a paging provider serves them, recording each (page, size) asked.
fn pager(
    data: Vec<u32>,
    calls: &Mutex<Vec<(usize, usize)>>,
) -> impl FnMut(usize, usize) -> std::future::Ready<DriverResult<NativePage<u32>>> + '_ {
    move |page, size| {
        calls.lock().unwrap().push((page, size));
        let items = data.iter().skip(page * size).take(size).copied().collect();
        std::future::ready(Ok(NativePage {
            items,
            total: Some(data.len()),
        }))
    }
}

fn walk(data: &[u32], limit: usize, keep: impl Fn(&u32) -> bool + Copy) -> Vec<Vec<u32>> {
    let calls = Mutex::new(Vec::new());
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest { limit, cursor };
        let page = futures::executor::block_on(list_page(&req, pager(data.to_vec(), &calls), keep))
            .unwrap();
        assert!(page.items.len() <= limit);
        pages.push(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

#[test]
fn paging_never_skips_or_repeats_and_never_exceeds_limit() {
    let data: Vec<u32> = (0..7).collect();
    for limit in 1..=8 {
        let pages = walk(&data, limit, |_| true);
        assert_eq!(pages.concat(), data, "limit {limit}");
        let evens = walk(&data, limit, |n| n % 2 == 0);
        assert_eq!(evens.concat(), vec![0, 2, 4, 6], "limit {limit}");
    }
    assert_eq!(
        walk(&data, 2, |_| true),
        [vec![0, 1], vec![2, 3], vec![4, 5], vec![6]]
    );
    // A list whose length is a multiple of the limit ends without an empty last page.
    assert_eq!(walk(&[1, 2, 3, 4], 2, |_| true), [vec![1, 2], vec![3, 4]]);
    assert_eq!(walk(&[], 3, |_| true), [Vec::<u32>::new()]);
}

#[test]
fn paging_fetches_page_offset_div_limit_and_skips_the_remainder() {
    let calls = Mutex::new(Vec::new());
    let data: Vec<u32> = (0..10).collect();
    let req = ListRequest {
        limit: 3,
        cursor: Some("o:4".into()),
    };
    let page = futures::executor::block_on(list_page(&req, pager(data, &calls), |_| true)).unwrap();
    assert_eq!(page.items, [4, 5, 6]);
    assert_eq!(page.next_cursor.as_deref(), Some("o:7"));
    assert_eq!(*calls.lock().unwrap(), [(1, 3), (2, 3)]);
}

#[test]
fn filtered_paging_keeps_reading_until_the_page_is_full() {
    let calls = Mutex::new(Vec::new());
    let data: Vec<u32> = (0..10).collect();
    let req = ListRequest {
        limit: 2,
        cursor: None,
    };
    let page =
        futures::executor::block_on(list_page(&req, pager(data, &calls), |n| *n >= 5)).unwrap();
    assert_eq!(page.items, [5, 6]);
    assert_eq!(page.next_cursor.as_deref(), Some("o:7"));
    assert_eq!(calls.lock().unwrap().len(), 4);
}

#[test]
fn a_provider_ignoring_paging_is_indexed_from_zero() {
    let whole = |_: usize, _: usize| {
        std::future::ready(Ok(NativePage {
            items: (0..5).collect::<Vec<u32>>(),
            total: None,
        }))
    };
    let req = ListRequest {
        limit: 2,
        cursor: Some("o:2".into()),
    };
    let page = futures::executor::block_on(list_page(&req, whole, |_| true)).unwrap();
    assert_eq!(
        (page.items, page.next_cursor),
        (vec![2, 3], Some("o:4".into()))
    );
}

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
    let err = driver(&fake).get_server("nope").await.unwrap_err();
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
    let driver = driver(&fake);
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
    let driver = driver(&fake);
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
    let driver = driver_with(&format!("http://{addr}/api"), "1.9", Duration::from_secs(2));
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
    let driver = driver(&fake);
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
    let driver = driver_with("http://127.0.0.1:9/api", "1.9", Duration::from_secs(1));
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
