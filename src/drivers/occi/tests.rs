//! Driver-level tests: provider files, credentials (X.509 over a real mutual-TLS exchange),
//! honest capabilities, and the Keystone challenge, against small local servers and the OCCI
//! simulator. The full behaviour is covered by `tests/conformance_occi.rs` (simulator, every
//! profile and rendering) and `tests/occi_ooi.rs` (OpenStack ooi).

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

// --- X.509 -------------------------------------------------------------------------------------

struct Pki {
    ca_pem: String,
    server_chain: Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>>,
    server_key: tokio_rustls::rustls::pki_types::PrivateKeyDer<'static>,
    client_pem: String,
    client_key_pem: String,
    ca_der: tokio_rustls::rustls::pki_types::CertificateDer<'static>,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cloudgw test CA");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("server params")
        .signed_by(&server_key, &issuer)
        .expect("server cert");
    let client_key = KeyPair::generate().expect("client key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("client params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "grid user");
    let client = client_params
        .signed_by(&client_key, &issuer)
        .expect("client cert");
    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        server_chain: vec![server.der().clone()],
        server_key: tokio_rustls::rustls::pki_types::PrivateKeyDer::try_from(
            server_key.serialize_der(),
        )
        .expect("server key der"),
        client_pem: format!("{}{}", client.pem(), ca.pem()),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// A TLS server demanding a client certificate from the test CA, answering every request with
/// a minimal OCCI query interface. Counts the connections whose client certificate it saw.
async fn mtls_server(pki: &Pki) -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).expect("root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("verifier");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty())
                {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"; location=\"/compute/\"; actions=\"http://schemas.ogf.org/occi/infrastructure/compute/action#start\"\n";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: test OCCI/1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, seen)
}

fn options() -> OcciOptions {
    OcciOptions {
        rendering: Rendering::Auto,
        discovery_refresh: Duration::from_secs(300),
        list_concurrency: 2,
        region: None,
    }
}

#[tokio::test]
async fn x509_client_certificate_is_presented_in_a_real_mutual_tls_exchange() {
    let pki = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key, ca) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, &pki.client_pem).expect("cert");
    std::fs::write(&key, &pki.client_key_pem).expect("key");
    std::fs::write(&ca, &pki.ca_pem).expect("ca");
    let (addr, seen) = mtls_server(&pki).await;
    let text = format!(
        "driver = \"occi\"\nendpoint = \"https://localhost:{}\"\nca_bundle = \"{}\"\n[auth]\ntype = \"x509\"\ncertificate = \"{}\"\nkey = \"{}\"\n",
        addr.port(),
        ca.display(),
        cert.display(),
        key.display()
    );
    let config = parse(&text).expect("config");
    let settings = OcciSettings::from_config(&config, None).expect("settings");
    let driver = OcciDriver::new("grid".into(), &settings, options()).expect("driver");
    driver.discover().await.expect("discovery over mutual TLS");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the server saw the client certificate"
    );
    assert!(driver.capabilities().start_server && !driver.capabilities().stop_server);

    // A VOMS-proxy-style file holding certificate, chain and key together works the same.
    let proxy = dir.path().join("x509up_u1000");
    std::fs::write(&proxy, format!("{}{}", pki.client_pem, pki.client_key_pem)).expect("proxy");
    let mut one_file = config.clone();
    one_file.auth = Some(AuthConfig::X509 {
        certificate: proxy,
        key: None,
    });
    let one_file = OcciSettings::from_config(&one_file, None).expect("settings");
    let driver = OcciDriver::new("grid".into(), &one_file, options()).expect("driver");
    driver
        .discover()
        .await
        .expect("discovery with a one-file proxy");
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    // The same server refuses a client without a certificate: a transport failure.
    let mut anonymous = settings.clone();
    anonymous.auth = Auth::None;
    let driver = OcciDriver::new("grid".into(), &anonymous, options()).expect("driver");
    let err = driver.discover().await.expect_err("no client certificate");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    // And the CA bundle is what makes the server trusted.
    let mut untrusted = settings;
    untrusted.ca_bundle = None;
    let driver = OcciDriver::new("grid".into(), &untrusted, options()).expect("driver");
    assert!(driver.discover().await.is_err());
}

#[test]
fn x509_and_ca_files_that_are_not_pem_are_clear_config_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write");
    let rows = [
        format!(
            "[auth]\ntype = \"x509\"\ncertificate = \"{}\"\n",
            junk.display()
        ),
        format!("ca_bundle = \"{}\"\n", junk.display()),
    ];
    for tail in rows {
        let text = format!("driver = \"occi\"\nendpoint = \"https://h\"\n{tail}");
        let settings =
            OcciSettings::from_config(&parse(&text).expect("config"), None).expect("settings");
        let err = OcciDriver::new("p".into(), &settings, options()).expect_err(&tail);
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
    }
    let missing = "driver = \"occi\"\nendpoint = \"https://h\"\n[auth]\ntype = \"x509\"\ncertificate = \"/no/such/file.pem\"\n";
    let err =
        OcciSettings::from_config(&parse(missing).expect("config"), None).expect_err("missing");
    assert!(err.contains("/no/such/file.pem"), "{err}");
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

// --- mapping of real renderings ----------------------------------------------------------------

fn discovery(qi: crate::occi::QueryInterface, server: &str) -> Discovery {
    Discovery {
        qi,
        occi_12: server.contains("OCCI/1.2"),
        media_type: crate::occi::MediaType::TextPlain,
        server: Some(server.to_owned()),
    }
}

#[test]
fn real_compute_renderings_map_to_servers() {
    use crate::occi::fixture_tests::{captured, parse_text_entity, parse_text_qi, read};
    use crate::occi::{parse_entity, parse_query_interface};

    // ooi: templates by rel, memory in MB, link URL in <…>, private address.
    let qi = captured(
        "captured/ooi-1.2.0/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let d = discovery(qi, "ooi/1.2.0 OCCI/1.1 OCCI/1.2");
    let entity = captured(
        "captured/ooi-1.2.0/07-get-compute-with-links.text-plain.http",
        parse_entity,
    );
    let s = mapping::map_server(
        &entity,
        "/compute/71c68af8887a452288ac2898b966596f",
        &d,
        "p",
        "r",
    );
    assert_eq!(
        (s.id.as_str(), s.name.as_str(), s.state),
        (
            "71c68af8887a452288ac2898b966596f",
            "withvolume",
            ServerState::Running
        )
    );
    let os = CategoryId::new("http://schemas.openstack.org/template/os#", "bar");
    let flavour = CategoryId::new("http://schemas.openstack.org/template/resource#", "1");
    assert_eq!(s.image_id, Some(mapping::template_id(&os)));
    assert_eq!(s.size_id, Some(mapping::template_id(&flavour)));
    assert_eq!(s.extra["memory_mib"], 256);
    assert_eq!(
        (s.private_ips, s.public_ips),
        (vec!["192.168.253.1".to_owned()], Vec::new())
    );

    // rOCCI-server 1 / OpenNebula: memory in GiB, space-separated link attributes.
    let d = discovery(
        parse_text_qi(&read("rocci-core-1.1/occi_model_rocci_server.txt")),
        "Apache OCCI/1.1",
    );
    let entity = parse_text_entity(&read("rocci-core-1.1/occi_compute_rocci_server.txt"));
    let s = mapping::map_server(
        &entity,
        "/compute/4ddbfeae-22d7-5e50-8f85-ba18589e876b",
        &d,
        "p",
        "r",
    );
    assert_eq!(
        (s.name.as_str(), s.state),
        ("MonTest1", ServerState::Running)
    );
    assert_eq!(s.extra["memory_mib"], 262);
    assert_eq!(s.private_ips, ["192.168.254.1"]);

    // nova OCCI (FZ Jülich): a network called "public", quoted numbers, no title.
    let entity = parse_text_entity(&read("rocci-core-1.1/occi_resource_w_inline_links.txt"));
    let s = mapping::map_server(
        &entity,
        "/compute/04106bce-87eb-4f8f-a665-2f624e54ba46",
        &d,
        "p",
        "r",
    );
    assert_eq!(
        s.name, "openmodeller-test-bjoernh",
        "hostname when there is no title"
    );
    assert_eq!(s.public_ips, ["134.94.32.154"]);
    assert_eq!(s.private_ips, ["192.168.16.103"]);
    assert_eq!(s.extra["cores"], 1.0);

    // occi-py: no title, no hostname: the id is the name.
    let qi = captured(
        "captured/occi-py-0.6/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let d = discovery(qi, "occi-py/0.6 OCCI/1.1");
    assert_eq!(d.core_names().title, "title", "draft attribute names");
    assert_eq!(d.core_names().source, "source");
    let entity = captured(
        "captured/occi-py-0.6/05-get-compute.text-plain.http",
        parse_entity,
    );
    let s = mapping::map_server(
        &entity,
        "/compute/3c913bb8-c2de-4158-83b9-b1bd27bba51b",
        &d,
        "p",
        "r",
    );
    assert_eq!(s.name, s.id);
    assert_eq!(
        s.state,
        ServerState::Stopped,
        "inactive before its start action"
    );
    assert_eq!(s.extra["occi_actions"], serde_json::json!(["start"]));
}

#[test]
fn real_query_interfaces_give_templates_zones_and_contextualization() {
    use crate::occi::fixture_tests::{captured, read};
    use crate::occi::parse_query_interface;

    // A real ooi site (GFD.226): images, flavours, both user_data mixins, ssh_key with ooi's
    // misspelt attribute name.
    let text = read("rocci-core-1.2/model.alt.json");
    let headers = http::HeaderMap::new();
    let msg = crate::occi::Message {
        media_type: crate::occi::MediaType::OcciJson,
        headers: &headers,
        body: &text,
    };
    let d = discovery(
        parse_query_interface(&msg).expect("model.alt"),
        "ooi OCCI/1.2",
    );
    assert!(!d.templates("os_tpl").is_empty() && !d.templates("resource_tpl").is_empty());
    let (ssh, attr) = d.ssh_key_mixin().expect("ssh_key");
    assert_eq!(
        (ssh.term.as_str(), attr.as_str()),
        ("ssh_key", "occi.crendentials.ssh.publickey")
    );
    let (user_data, attr) = d.user_data_mixin().expect("user_data");
    assert_eq!(
        user_data.scheme,
        "http://schemas.ogf.org/occi/infrastructure/compute#"
    );
    assert_eq!(attr, "occi.compute.userdata");
    let caps = capabilities_of(&d);
    assert!(caps.create_server_with_key_name && caps.create_server_with_user_data);

    // pyssf: storage links at /storage/link/.
    let qi = captured(
        "captured/pyssf-0.4.7/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let d = discovery(qi, "pyssf OCCI/1.1");
    assert!(
        d.location(&ids::infra("storagelink"))
            .is_some_and(|l| l.ends_with("/storage/link/"))
    );
    assert!(capabilities_of(&d).attach_volume);
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
