//! Router-level tests: requests through [`router`] without a socket.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use super::*;

const KEY: &str = "key";
const SECRET: &str = "secret";

fn opts(provision: Duration, power: Duration) -> SimOptions {
    SimOptions {
        provision_delay: provision,
        power_delay: power,
        ..SimOptions::new(KEY, SECRET)
    }
}

fn auth_query() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format!(
        "api_key={KEY}&sig={}&v=1.9",
        crate::drivers::gogrid::signature(KEY, SECRET, now as u64)
    )
}

async fn call(
    app: &Router,
    method: &str,
    path_and_query: &str,
    form: Option<&str>,
) -> (StatusCode, String) {
    let sep = if path_and_query.contains('?') {
        '&'
    } else {
        '?'
    };
    let uri = format!("{path_and_query}{sep}{}", auth_query());
    let mut req = Request::builder().method(method).uri(uri);
    let body = match form {
        Some(f) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(f.to_string())
        }
        None => Body::empty(),
    };
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get_json(app: &Router, path_and_query: &str) -> (StatusCode, Value) {
    let (status, body) = call(app, "GET", path_and_query, None).await;
    (status, serde_json::from_str(&body).unwrap())
}

fn first_state(body: &Value) -> String {
    body["list"][0]["state"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn add_server(app: &Router, name: &str) -> Value {
    let (status, body) = call(
        app,
        "POST",
        "/api/grid/server/add",
        Some(&format!(
            "name={name}&image=centos5.6_32_base&server.ram=512MB&ip=192.0.2.2"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Polls `grid/server/get?name=` until the state is `want`, returning the states seen.
async fn poll_state(app: &Router, name: &str, want: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..200 {
        let (_, body) = get_json(app, &format!("/api/grid/server/get?name={name}")).await;
        let state = first_state(&body);
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == want {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{name} never reached {want}; saw {seen:?}");
}

/// The states polled after a power call must be a tail of `sequence` (a slow machine may miss
/// the middle state on its first poll; the power answer itself already showed it).
fn assert_suffix(seen: &[String], sequence: &[&str]) {
    let seen: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert!(
        sequence.ends_with(&seen),
        "saw {seen:?}, expected a tail of {sequence:?}"
    );
}

#[tokio::test]
async fn bad_or_missing_signature_gets_the_proxy_403() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    for uri in [
        "/api/grid/server/list",
        "/api/grid/server/list?api_key=key&sig=00000000000000000000000000000000",
        "/api/nonsense?api_key=other&sig=x",
    ] {
        let resp = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/xml");
        let body = to_bytes(resp.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"<h1>403 Not Authorized</h1>");
    }
}

#[tokio::test]
async fn auth_params_may_come_in_a_form_body() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    let req = Request::post("/api/common/lookup/list")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("lookup=server.ram&{}", auth_query())))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
}

#[tokio::test]
async fn query_and_form_params_are_merged_for_post() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    // name and image in the query, the rest in the body.
    let (status, body) = call(
        &app,
        "POST",
        "/api/grid/server/add?name=merged&image=9928",
        Some("server.ram=1&ip=192.0.2.3"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["list"][0]["name"], "merged");
    assert_eq!(v["list"][0]["ip"]["ip"], "192.0.2.3");
}

#[tokio::test]
async fn provisioning_then_on_with_id_and_password() {
    let control = SimControl::default();
    let app = router_with_control(opts(Duration::ZERO, Duration::ZERO), control.clone());
    // Held, provisioning lasts until released, however slowly the test runs.
    control.hold();
    let added = add_server(&app, "prov").await;
    let server = &added["list"][0];
    assert!(server.get("id").is_none());
    assert_eq!(first_state(&added), "Off");
    assert_eq!(added["method"], "/grid/server/add");

    let (_, list) = get_json(&app, "/api/grid/server/list").await;
    assert!(list["list"][0].get("id").is_none());
    let (status, body) = get_json(&app, "/api/grid/server/get?name=prov").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["list"][0]["message"], error::NOT_FOUND_MESSAGE);
    let (_, still) = get_json(&app, "/api/grid/server/list").await;
    assert!(still["list"][0].get("id").is_none(), "held: {still}");

    control.release();
    let seen = poll_state(&app, "prov", "On").await;
    assert_eq!(seen.last().map(String::as_str), Some("On"));
    let (_, got) = get_json(&app, "/api/grid/server/get?name=prov").await;
    let id = got["list"][0]["id"].as_i64().unwrap();
    assert_eq!(got["list"][0]["cores"], 0.5);
    assert_eq!(got["list"][0]["diskSize"], 25600);
    let (_, pw) = get_json(&app, "/api/support/password/list").await;
    assert_eq!(pw["list"][0]["server"]["id"], id);
    let pw_id = pw["list"][0]["id"].as_i64().unwrap();
    let (status, one) = get_json(&app, &format!("/api/support/grid/password/get?id={pw_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["list"][0]["password"], pw["list"][0]["password"]);
}

#[tokio::test]
async fn stop_shows_stopping_then_off_and_start_starting_then_on() {
    let control = SimControl::default();
    let app = router_with_control(
        opts(Duration::ZERO, Duration::from_millis(1)),
        control.clone(),
    );
    add_server(&app, "pw").await;
    poll_state(&app, "pw", "On").await;
    let steps = [
        (
            "POST",
            "/api/grid/server/power?name=pw&power=stop",
            "Stopping",
            "Off",
        ),
        (
            "GET",
            "/api/grid/server/power?server=pw&power=on",
            "Starting",
            "On",
        ),
        (
            "GET",
            "/api/grid/server/power?name=pw&power=reboot",
            "Restarting",
            "On",
        ),
    ];
    for (method, path, during, after) in steps {
        // Held, the change stays in its transitional state until released.
        control.hold();
        let (status, body) = call(&app, method, path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(first_state(&v), during, "{path}");
        let (_, got) = get_json(&app, "/api/grid/server/get?name=pw").await;
        assert_eq!(first_state(&got), during, "{path}: a later look while held");
        control.release();
        assert_suffix(&poll_state(&app, "pw", after).await, &[during, after]);
    }
}

#[tokio::test]
async fn delete_returns_the_server_and_frees_its_ip() {
    let app = router(opts(Duration::from_secs(3600), Duration::ZERO));
    add_server(&app, "gone").await;
    let (_, free) = get_json(
        &app,
        "/api/grid/ip/list?ip.state=Unassigned&ip.type=Public&datacenter=1",
    )
    .await;
    assert_eq!(free["summary"]["total"], 7);
    let (status, body) = call(&app, "POST", "/api/grid/server/delete?name=gone", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["list"][0]["name"], "gone");
    let (_, free) = get_json(
        &app,
        "/api/grid/ip/list?ip.state=1&ip.type=1&datacenter=US-West-1",
    )
    .await;
    assert_eq!(free["summary"]["total"], 8);
    let (_, list) = get_json(&app, "/api/grid/server/list").await;
    assert_eq!(list["summary"]["total"], 0);
}

#[tokio::test]
async fn list_paging_summary() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    let (_, all) = get_json(&app, "/api/grid/ip/list").await;
    assert_eq!(all["summary"]["total"], 36);
    assert_eq!(all["summary"]["numpages"], 0);
    let (_, page) = get_json(&app, "/api/grid/ip/list?num_items=10&page=3").await;
    assert_eq!(
        page["summary"],
        serde_json::json!({"total":36,"start":30,"numpages":4,"returned":6})
    );
    assert_eq!(page["list"][0], all["list"][30]);
    let (status, bad) = get_json(&app, "/api/grid/image/list?num_items=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["summary"].get("numpages").is_none());
}

#[tokio::test]
async fn unknown_and_unsimulated_methods_and_formats_are_400() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    let (status, v) = get_json(&app, "/api/grid/nothing/here").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["status"], "failure");
    assert_eq!(v["list"][0]["errorcode"], "IllegalArgumentException");
    assert!(
        v["list"][0]["message"]
            .as_str()
            .unwrap()
            .contains("/grid/nothing/here")
    );
    let (status, v) = get_json(&app, "/api/grid/loadbalancer/list").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        v["list"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not supported")
    );
    let (status, v) = get_json(&app, "/api/grid/server/list?format=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        v["list"][0]["message"]
            .as_str()
            .unwrap()
            .contains("format=json")
    );
    let (status, _) = get_json(&app, "/api/grid/server/list?format=JSON").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn lookups_sort_and_reject_unknown_names() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    let (_, ram) = get_json(&app, "/api/common/lookup/list?lookup=server.ram").await;
    let ids: Vec<i64> = ram["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 8, 9]);
    let (_, desc) = get_json(
        &app,
        "/api/common/lookup/list?lookup=datacenter&sort=name&asc=false",
    )
    .await;
    let names: Vec<&str> = desc["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names, ["US-West-1", "US-East-1", "EU-West-1"]);
    let (status, _) = get_json(&app, "/api/common/lookup/list?lookup=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&app, "/api/common/lookup/list").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn garbage_input_never_panics() {
    let app = router(opts(Duration::ZERO, Duration::ZERO));
    for q in [
        "/api/grid/server/get?id=%FF%FE",
        "/api/grid/server/get?id=1&name=a",
        "/api/grid/server/get",
        "/api/grid/server/power?name=x&power=explode",
        "/api/grid/server/power?id=99999999999999999999999&power=on",
        "/api/grid/server/delete?name=a&name=b",
        "/api/grid/server/add?name=&image=&server.ram=&ip=",
        "/api/grid/server/list?datacenter=Mars",
        "/api/grid/image/list?isPublic=maybe&page=-3",
        "/api/grid/image/get?image=",
        "/api/grid/ip/list?ip.state=Sideways",
        "/api/support/password/get?id=abc",
        "/api//",
    ] {
        let (status, body) = call(&app, "GET", q, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "failure", "{q}");
    }
}
