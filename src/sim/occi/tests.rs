//! Router-level tests: requests through [`router`] without a socket.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::*;
use crate::occi::{self as protocol, MediaType, Message};

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The path of a created entity: `Location`, else the `X-OCCI-Location` body line.
    fn created_path(&self) -> String {
        let location = match self.header("location") {
            "" => self
                .body
                .trim()
                .trim_start_matches("X-OCCI-Location:")
                .trim()
                .to_owned(),
            l => l.to_owned(),
        };
        location
            .strip_prefix("http://sim.test")
            .unwrap_or_else(|| panic!("not absolute: {location}"))
            .to_owned()
    }

    fn entity(&self) -> protocol::Entity {
        let media = MediaType::from_content_type(self.header("content-type"))
            .unwrap_or(MediaType::TextPlain);
        let msg = Message {
            media_type: media,
            headers: &self.headers,
            body: &self.body,
        };
        protocol::parse_entity(&msg).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn app(profile: Profile, power: Duration) -> Router {
    router(SimOptions {
        power_delay: power,
        ..SimOptions::new(profile)
    })
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "sim.test");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &Router, uri: &str, accept: &str) -> Reply {
    call(app, "GET", uri, &[("accept", accept)], "").await
}

const COMPUTE: &str =
    r#"compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#;

/// Creates a compute with the profile's first image and size over text/occi; returns its path.
async fn create_compute(app: &Router, profile: Profile) -> String {
    let catalog = seed::catalog(profile);
    let category = format!(
        r#"{COMPUTE}, {}; scheme="{}"; class="mixin", {}; scheme="{}"; class="mixin""#,
        catalog.os_templates[0].term,
        catalog.os_scheme,
        catalog.resource_templates[0].term,
        catalog.resource_scheme
    );
    let r = call(
        app,
        "POST",
        "/compute/",
        &[
            ("content-type", "text/occi"),
            ("category", &category),
            ("x-occi-attribute", r#"occi.core.title="vm1""#),
        ],
        "",
    )
    .await;
    assert!(r.status.is_success(), "{}: {}", r.status, r.body);
    r.created_path()
}

#[tokio::test]
async fn each_profile_answers_create_in_its_own_style() {
    for (profile, status, body_starts) in [
        (Profile::Pyssf, 201, "OK"),
        (
            Profile::Ooi,
            200,
            "X-OCCI-Location: http://sim.test/compute/",
        ),
        (
            Profile::Rocci,
            201,
            "X-OCCI-Location: http://sim.test/compute/",
        ),
    ] {
        let app = app(profile, Duration::ZERO);
        let path = create_compute(&app, profile).await;
        assert!(path.starts_with("/compute/"), "{profile}: {path}");
        let r = call(
            &app,
            "POST",
            "/compute/",
            &[("content-type", "text/occi"), ("category", COMPUTE)],
            "",
        )
        .await;
        if profile == Profile::Ooi {
            assert_eq!(r.status, 400, "ooi needs an os_tpl: {}", r.body);
            continue;
        }
        assert_eq!(r.status.as_u16(), status, "{profile}: {}", r.body);
        assert!(r.body.starts_with(body_starts), "{profile}: {}", r.body);
        assert_eq!(r.header("server"), profile.server_header());
    }
}

#[tokio::test]
async fn compute_renders_state_mixins_and_links_in_every_rendering() {
    let app = app(Profile::Ooi, Duration::ZERO);
    let path = create_compute(&app, Profile::Ooi).await;
    for accept in ["text/plain", "text/occi", "application/occi+json"] {
        let r = call(&app, "GET", &path, &[("accept", accept)], "").await;
        assert_eq!(r.status, 200, "{accept}: {}", r.body);
        let e = r.entity();
        assert_eq!(e.kind.term, "compute", "{accept}");
        assert_eq!(
            e.attributes.text("occi.compute.state").as_deref(),
            Some("active"),
            "{accept}: {:?} {}",
            r.headers,
            r.body
        );
        assert_eq!(
            e.attributes.number("occi.compute.memory"),
            Some(256.0),
            "ooi renders MiB"
        );
        assert_eq!(e.mixins.len(), 2, "{accept}: {:?}", e.mixins);
        let addresses: Vec<String> = e
            .links
            .iter()
            .filter_map(|l| l.attributes.text("occi.networkinterface.address"))
            .collect();
        assert_eq!(addresses.len(), 2, "{accept}: {:?}", e.links);
        assert!(
            e.links.iter().all(|l| l.target.contains("/network/")),
            "links must resolve to their targets: {:?}",
            e.links
        );
    }
}

#[tokio::test]
async fn stop_is_timed_and_not_applicable_twice() {
    let control = SimControl::default();
    let options = SimOptions {
        power_delay: Duration::from_millis(1),
        ..SimOptions::new(Profile::Pyssf)
    };
    let app = router_with_control(options, control.clone());
    let path = create_compute(&app, Profile::Pyssf).await;
    // Held, the stop stays in progress until released, however slowly the test runs.
    control.hold();
    let stop = r#"stop; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action""#;
    let uri = format!("{path}?action=stop");
    let headers = [
        ("content-type", "text/occi"),
        ("category", stop),
        ("x-occi-attribute", r#"method="graceful""#),
    ];
    let act = || call(&app, "POST", &uri, &headers, "");
    let r = act().await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.entity().attributes.text("occi.compute.state").as_deref(),
        Some("active")
    );
    let again = act().await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body, "This action is currently no applicable.");
    let held = call(&app, "GET", &path, &[], "").await;
    assert_eq!(
        held.entity()
            .attributes
            .text("occi.compute.state")
            .as_deref(),
        Some("active")
    );
    control.release();
    let mut r = call(&app, "GET", &path, &[], "").await;
    for _ in 0..100 {
        if r.entity().attributes.text("occi.compute.state").as_deref() == Some("inactive") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        r = call(&app, "GET", &path, &[], "").await;
    }
    assert_eq!(
        r.entity().attributes.text("occi.compute.state").as_deref(),
        Some("inactive")
    );
    assert!(r.entity().offers(&protocol::ids::compute_action("start")));
}

#[tokio::test]
async fn storage_attaches_through_a_storagelink_and_detaches() {
    let app = app(Profile::Rocci, Duration::ZERO);
    let compute = create_compute(&app, Profile::Rocci).await;
    let r = call(
        &app,
        "POST",
        "/storage/",
        &[("content-type", "text/plain")],
        "Category: storage; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.storage.size=2\nX-OCCI-Attribute: occi.core.title=\"v\"\n",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let storage = r.created_path();
    assert!(
        r.header("location").is_empty(),
        "rOCCI's text answer has no Location"
    );
    let body = format!(
        "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{compute}\"\nX-OCCI-Attribute: occi.core.target=\"{storage}\"\n"
    );
    let r = call(
        &app,
        "POST",
        "/link/storagelink/",
        &[("content-type", "text/plain")],
        &body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let link = r.created_path();
    let vm = call(&app, "GET", &compute, &[], "").await.entity();
    assert!(
        vm.links.iter().any(|l| l.target == storage),
        "{:?}",
        vm.links
    );
    let twice = call(
        &app,
        "POST",
        "/link/storagelink/",
        &[("content-type", "text/plain")],
        &body,
    )
    .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(!twice.header("x-occi-error").is_empty());
    assert_eq!(call(&app, "DELETE", &storage, &[], "").await.status, 409);
    assert_eq!(call(&app, "DELETE", &link, &[], "").await.status, 200);
    assert_eq!(call(&app, "DELETE", &storage, &[], "").await.status, 200);
    assert_eq!(call(&app, "GET", &storage, &[], "").await.status, 404);
}

#[tokio::test]
async fn ooi_answers_empty_collections_with_204_and_errors_in_json() {
    let app = app(Profile::Ooi, Duration::ZERO);
    let r = get(&app, "/storagelink/", "text/plain").await;
    assert_eq!(r.status, 204);
    let r = get(&app, "/compute/nope", "application/occi+json").await;
    assert_eq!(r.status, 404);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["code"], 404);
    let r = get(&app, "/compute/nope", "text/plain").await;
    assert_eq!(r.body, "The resource could not be found.");
}

#[tokio::test]
async fn pyssf_refuses_json_and_unknown_media_types() {
    let app = app(Profile::Pyssf, Duration::ZERO);
    let r = get(&app, "/compute/", "application/occi+json").await;
    assert_eq!(r.status, 406);
    let r = get(&app, "/compute/", "application/xml").await;
    assert_eq!(r.status, 406);
    assert!(r.body.contains("application/xml"));
}

#[tokio::test]
async fn auth_is_checked_with_a_challenge_per_profile() {
    let basic = router(SimOptions {
        auth: SimAuth::Basic {
            username: "u".into(),
            password: "p".into(),
        },
        ..SimOptions::new(Profile::Rocci)
    });
    let r = call(&basic, "GET", "/-/", &[], "").await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").starts_with("Basic"));
    let wrong = call(&basic, "GET", "/-/", &[("authorization", "Basic dTp4")], "").await;
    assert_eq!(wrong.status, 401);
    let good = call(&basic, "GET", "/-/", &[("authorization", "Basic dTpw")], "").await;
    assert_eq!(good.status, 200);
    let token = router(SimOptions {
        auth: SimAuth::Token("t0k".into()),
        ..SimOptions::new(Profile::Ooi)
    });
    let r = call(&token, "GET", "/compute/", &[], "").await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").starts_with("Keystone"));
    for header in [("x-auth-token", "t0k"), ("authorization", "Bearer t0k")] {
        let r = call(&token, "GET", "/-/", &[header], "").await;
        assert_eq!(r.status, 200, "{header:?}");
    }
}

#[tokio::test]
async fn query_interface_lists_templates_in_json() {
    let app = app(Profile::Ooi, Duration::ZERO);
    let r = get(&app, "/-/", "application/occi+json").await;
    assert_eq!(r.status, 200);
    let msg = Message {
        media_type: MediaType::OcciJson,
        headers: &r.headers,
        body: &r.body,
    };
    let qi = protocol::parse_query_interface(&msg).unwrap();
    let sizes: Vec<_> = qi
        .mixins_related_to(&protocol::ids::infra("resource_tpl"))
        .map(|m| m.id.term.clone())
        .collect();
    assert_eq!(sizes, ["1", "2"]);
    let flavour = qi
        .get(&protocol::CategoryId::new(
            "http://schemas.openstack.org/template/resource#",
            "1",
        ))
        .unwrap();
    let memory = flavour
        .attribute("occi.compute.memory")
        .and_then(|a| a.default.clone());
    assert_eq!(memory.and_then(|m| m.as_f64()), Some(256.0));
}

/// Method, URI, headers and body of a request.
type BadRequest<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, &'a str);

#[tokio::test]
async fn bad_requests_get_4xx_and_never_5xx() {
    for profile in Profile::ALL {
        let app = app(profile, Duration::ZERO);
        let compute = create_compute(&app, profile).await;
        let cases: [BadRequest<'_>; 10] = [
            ("GET", "/nowhere".into(), vec![], ""),
            (
                "PUT",
                compute.clone(),
                vec![("content-type", "text/occi"), ("category", COMPUTE)],
                "",
            ),
            ("DELETE", "/compute/".into(), vec![], ""),
            (
                "POST",
                "/compute/".into(),
                vec![("content-type", "text/occi")],
                "",
            ),
            (
                "POST",
                "/compute/".into(),
                vec![("content-type", "application/xml")],
                "<x/>",
            ),
            (
                "POST",
                "/compute/".into(),
                vec![
                    ("content-type", "text/occi"),
                    ("category", COMPUTE),
                    ("x-occi-attribute", "occi.compute.cores=-2"),
                ],
                "",
            ),
            (
                "POST",
                "/storage/".into(),
                vec![
                    ("content-type", "text/occi"),
                    (
                        "category",
                        r#"storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#,
                    ),
                ],
                "",
            ),
            ("POST", format!("{compute}?action=fly"), vec![], ""),
            (
                "POST",
                format!("{compute}?action=stop"),
                vec![("content-type", "text/occi"), ("category", "garbage")],
                "",
            ),
            ("GET", compute.clone(), vec![("accept", "image/png")], ""),
        ];
        for (method, uri, headers, body) in cases {
            let r = call(&app, method, &uri, &headers, body).await;
            assert!(
                r.status.is_client_error(),
                "{profile} {method} {uri} {headers:?}: {} {}",
                r.status,
                r.body
            );
        }
        let r = call(&app, "GET", &compute, &[], "").await;
        assert_eq!(
            r.status, 200,
            "{profile}: the refused requests changed nothing"
        );
    }
}

#[tokio::test]
async fn contextualization_mixins_need_their_value_and_show_on_the_compute() {
    let app = app(Profile::Ooi, Duration::ZERO);
    let catalog = seed::catalog(Profile::Ooi);
    let kind_and_image = format!(
        r#"{COMPUTE}, {}; scheme="{}"; class="mixin""#,
        catalog.os_templates[0].term, catalog.os_scheme
    );
    let ssh_key = r#"ssh_key; scheme="http://schemas.ogf.org/occi/infrastructure/credentials#"; class="mixin""#;
    let category = format!("{kind_and_image}, {ssh_key}");
    let missing = call(
        &app,
        "POST",
        "/compute/",
        &[("content-type", "text/occi"), ("category", &category)],
        "",
    )
    .await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert!(
        missing.body.contains("occi.crendentials.ssh.publickey"),
        "{}",
        missing.body
    );
    let created = call(
        &app,
        "POST",
        "/compute/",
        &[
            ("content-type", "text/occi"),
            ("category", &category),
            (
                "x-occi-attribute",
                r#"occi.crendentials.ssh.publickey="ssh-ed25519 AAAA u@h""#,
            ),
        ],
        "",
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let vm = get(&app, &created.created_path(), "text/plain")
        .await
        .entity();
    assert!(
        vm.mixins.iter().any(|m| m.term == "ssh_key"),
        "{:?}",
        vm.mixins
    );
    assert!(
        vm.attributes
            .get("occi.crendentials.ssh.publickey")
            .is_none(),
        "the key is not rendered back"
    );
}
