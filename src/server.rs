//! Serving the router over TCP, plain or TLS (rustls), with connection timeouts.
//!
//! `axum::serve` can neither do TLS nor set hyper's timeouts, so connections are served here
//! with hyper's HTTP/1 server directly:
//!
//! - **Header-read timeout**: a client must send a whole request head within
//!   `header_read_timeout` of the connection (or the previous answer), or the connection is
//!   closed. hyper starts this timer whenever it waits for a head, so it is also the idle
//!   keep-alive timeout: an idle keep-alive connection is closed after the same time.
//! - **TLS handshake** within the same time.
//! - Shutdown: stop accepting, let every connection finish its request in flight.
//!
//! Errors hyper answers itself before a request reaches the router (414 URI too long, 431
//! headers too large, 400 for a malformed request line or `Content-Length`) carry no body: hyper
//! writes them without calling any service, so they cannot be problems (README "Security").

use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How connections are served.
#[derive(Clone)]
pub struct ServeOptions {
    /// TLS, when a certificate and key are configured.
    pub tls: Option<Arc<ServerConfig>>,
    /// Time for a request head (and a TLS handshake); also the idle keep-alive timeout.
    pub header_read_timeout: Duration,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("tls", &self.tls.is_some())
            .field("header_read_timeout", &self.header_read_timeout)
            .finish()
    }
}

/// The TLS settings of a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    // The key's error never shows the key.
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|_| format!("{}: not a PEM private key", key.display()))?;
    let config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key_der)
    .map_err(|e| format!("the certificate and key do not fit together: {e}"))?;
    Ok(Arc::new(config))
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let acceptor = options.tls.clone().map(TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a moment, keep serving.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop_rx.clone();
        let timeout = options.header_read_timeout;
        match &acceptor {
            None => {
                tokio::spawn(connection(stream, router, timeout, stop));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => connection(tls, router, timeout, stop).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        }
    }
    let _ = stop_tx.send(true);
    drop(stop_rx);
    // Connections finish their request in flight; wait until every one is done.
    stop_tx.closed().await;
    Ok(())
}

/// Serves one connection until it closes or the server stops.
async fn connection<I>(io: I, router: Router, timeout: Duration, mut stop: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                if changed.is_err() {
                    // The server is gone; finish what is in flight and end.
                    let _ = conn.as_mut().await;
                    return;
                }
            }
        }
    }
}
