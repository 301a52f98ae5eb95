//! Driver-level tests: provider files, credentials (X.509 over a real mutual-TLS exchange, in
//! `tests/x509.rs`), honest capabilities, the Keystone challenge, and the mapping of real
//! renderings (`tests/renderings.rs`), against small local servers and the OCCI simulator. The
//! full behaviour is covered by `tests/conformance_occi.rs` (simulator, every profile and
//! rendering) and `tests/occi_ooi.rs` (OpenStack ooi).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;

use super::discovery::capabilities_of;
use super::paging::{decode_cursor, encode_cursor};
use super::*;
use crate::config::parse_provider;

mod renderings;
mod x509;

fn options() -> OcciOptions {
    OcciOptions {
        rendering: Rendering::Auto,
        discovery_refresh: Duration::from_secs(300),
        list_concurrency: 2,
        region: None,
    }
}

fn parse(text: &str) -> Result<OcciConfig, String> {
    let vars = |name: &str| (name == "OCCI_SECRET").then(|| "s3cr3t-value".to_owned());
    let config = parse_provider(Path::new("p/site.toml"), text, &vars).map_err(|e| {
        e.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    config
        .settings_as::<OcciConfig>()
        .cloned()
        .ok_or_else(|| format!("not occi: {}", config.driver))
}

#[test]
fn provider_files_with_each_auth_type_parse() {
    let basic = parse(
        "driver = \"occi\"\nendpoint = \"https://occi.example:11443\"\n[auth]\ntype = \"basic\"\nusername = \"u\"\npassword = \"${OCCI_SECRET}\"\n",
    )
    .expect("basic");
    assert!(
        matches!(&basic.auth, Some(AuthConfig::Basic { username, password })
        if username == "u" && password.expose() == "s3cr3t-value")
    );
    assert_eq!(basic.rendering, Rendering::Auto);
    let token = parse(
        "driver = \"occi\"\nendpoint = \"https://ooi.example/occi1.2\"\nrendering = \"json\"\n[auth]\ntype = \"token\"\ntoken = \"${OCCI_SECRET}\"\nheader = \"Authorization\"\n[headers]\nX-Project-Id = \"p1\"\n",
    )
    .expect("token");
    assert!(matches!(
        &token.auth,
        Some(AuthConfig::Token {
            header: TokenHeader::Authorization,
            ..
        })
    ));
    assert_eq!(
        token.headers.get("X-Project-Id").map(|s| s.expose()),
        Some("p1")
    );
    let x509 = parse(
        "driver = \"occi\"\nendpoint = \"https://occi.example\"\nca_bundle = \"/etc/grid-security/ca.pem\"\nrendering = \"text\"\n[auth]\ntype = \"x509\"\ncertificate = \"/tmp/x509up_u1000\"\n",
    )
    .expect("x509");
    assert!(matches!(
        &x509.auth,
        Some(AuthConfig::X509 { key: None, .. })
    ));
    assert_eq!(x509.rendering, Rendering::TextPlain);
    let debug = format!("{basic:?} {token:?}");
    assert!(
        !debug.contains("s3cr3t-value") && !debug.contains("\"p1\""),
        "{debug}"
    );
}

#[test]
fn bad_provider_files_name_the_field() {
    let rows = [
        ("driver = \"occi\"\n", "endpoint"),
        (
            "driver = \"occi\"\nendpoint = \"occi.example\"\n",
            "endpoint",
        ),
        (
            "driver = \"occi\"\nendpoint = \"http://h\"\nrendering = \"xml\"\n",
            "rendering",
        ),
        (
            "driver = \"occi\"\nendpoint = \"http://h\"\n[auth]\ntype = \"kerberos\"\n",
            "auth",
        ),
        (
            "driver = \"occi\"\nendpoint = \"http://h\"\n[auth]\ntype = \"basic\"\nusername = \"u\"\npassword = \"p\"\ncolour = 1\n",
            "colour",
        ),
        (
            "driver = \"occi\"\nsimulate = true\n[auth]\ntype = \"x509\"\ncertificate = \"/c\"\n",
            "auth.type",
        ),
        (
            "driver = \"occi\"\nendpoint = \"http://h\"\nlist_concurrency = 0\n",
            "list_concurrency",
        ),
    ];
    for (text, field) in rows {
        let err = parse(text).expect_err(text);
        assert!(err.contains(field), "{text}: {err}");
    }
}

// --- honest capabilities -----------------------------------------------------------------------

/// A server whose compute kind advertises only start and stop.
async fn start_stop_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    let app = Router::new().fallback(any(move |method: axum::http::Method| {
        let counter = counter.clone();
        async move {
            if method == axum::http::Method::POST {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            let mut headers = HeaderMap::new();
            headers.insert("content-type", "text/plain".parse().expect("ct"));
            headers.insert("server", "mini OCCI/1.1".parse().expect("server"));
            let body = concat!(
                "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"; location=\"/compute/\"; ",
                "actions=\"http://schemas.ogf.org/occi/infrastructure/compute/action#start http://schemas.ogf.org/occi/infrastructure/compute/action#stop\"\n",
                "Category: restart; scheme=\"http://schemas.ogf.org/occi/infrastructure/compute/action#\"; class=\"action\"\n",
            );
            (StatusCode::OK, headers, body)
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, posts)
}

#[tokio::test]
async fn actions_the_compute_kind_does_not_advertise_are_unsupported() {
    let (addr, posts) = start_stop_server().await;
    let settings = OcciSettings {
        endpoint: format!("http://{addr}"),
        auth: Auth::None,
        ca_bundle: None,
        headers: Vec::new(),
        timeout: Duration::from_secs(5),
    };
    let driver = OcciDriver::new("mini".into(), &settings, options()).expect("driver");
    driver.discover().await.expect("discovery");
    let caps = driver.capabilities();
    assert!(caps.start_server && caps.stop_server);
    assert!(
        !caps.reboot_server,
        "restart exists as a category but compute does not list it"
    );
    assert!(
        !caps.list_volumes && !caps.attach_volume,
        "no storage kinds"
    );
    assert!(!caps.create_server_with_key_name && !caps.create_server_with_user_data);
    let err = driver.reboot_server("1").await.expect_err("unsupported");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert_eq!(err.to_problem().status, 501);
    let err = driver
        .list_volumes(&ListRequest {
            limit: 5,
            cursor: None,
        })
        .await
        .expect_err("no storage");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert_eq!(
        posts.load(Ordering::SeqCst),
        0,
        "nothing was sent for an unsupported call"
    );
}

#[tokio::test]
async fn keystone_challenge_of_a_token_server_is_reported_with_its_uri() {
    let mut opts = crate::sim::occi::SimOptions::new(crate::sim::occi::Profile::Ooi);
    opts.auth = crate::sim::occi::SimAuth::Token("right-token".into());
    let sim = crate::sim::occi::spawn(opts, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("simulator");
    let mut settings = OcciSettings {
        endpoint: sim.endpoint(),
        auth: Auth::Token {
            token: crate::config::Secret::new("wrong-token"),
            header: TokenHeader::XAuthToken,
        },
        ca_bundle: None,
        headers: Vec::new(),
        timeout: Duration::from_secs(5),
    };
    let driver = OcciDriver::new("ooi".into(), &settings, options()).expect("driver");
    let err = driver.discover().await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.context("keystone_uri").is_some(), "{err}");
    assert!(err.to_problem().detail.contains("Keystone"), "{err}");
    assert!(!err.to_string().contains("wrong-token"));
    settings.auth = Auth::Token {
        token: crate::config::Secret::new("right-token"),
        header: TokenHeader::XAuthToken,
    };
    let driver = OcciDriver::new("ooi".into(), &settings, options()).expect("driver");
    driver
        .discover()
        .await
        .expect("the right token is accepted");
}

#[test]
fn cursors_are_member_paths_and_anything_else_is_malformed() {
    let cursor = encode_cursor("/compute/abc");
    assert_eq!(
        decode_cursor(Some(&cursor)).ok().flatten().as_deref(),
        Some("/compute/abc")
    );
    for bad in [
        "o:1",
        "!!",
        &crate::driver::paging::encode_key("compute/abc"),
    ] {
        let err = decode_cursor(Some(bad)).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }
}

// --- request id ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_gateways_request_id_is_sent_as_x_request_id() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<Option<String>>::new()));
    let record = seen.clone();
    let app = Router::new().fallback(any(move |headers: HeaderMap| {
        let record = record.clone();
        async move {
            let id = headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            record.lock().map(|mut s| s.push(id)).ok();
            (StatusCode::OK, [("content-type", "text/plain")], "")
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let settings = OcciSettings {
        endpoint: format!("http://{addr}"),
        auth: Auth::None,
        ca_bundle: None,
        headers: Vec::new(),
        timeout: Duration::from_secs(5),
    };
    let driver = OcciDriver::new("rid".into(), &settings, options()).expect("driver");
    let _ = crate::layers::request_id::scope(Arc::from("rid-77"), driver.discover()).await;
    let _ = driver.discover().await;
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.first().cloned().flatten().as_deref(), Some("rid-77"));
    assert_eq!(seen.last().cloned().flatten(), None, "no request, no id");
}
