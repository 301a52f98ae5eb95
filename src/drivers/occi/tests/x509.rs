//! X.509 credentials: a client certificate presented in a real mutual-TLS exchange with a
//! test PKI, and certificate files that are not PEM refused as configuration errors.

use super::*;

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
