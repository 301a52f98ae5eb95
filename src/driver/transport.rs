//! The one mapping from an HTTP client (reqwest) failure to a [`DriverError`], shared by every
//! driver that speaks HTTP through reqwest (GoGrid, OCCI).
//!
//! What matters beyond the kind is whether the request may have reached the provider
//! ([`Sent`]): a connection that was never made cannot have created a server, so the retry
//! layer may send even a create again; a request that timed out after it was written may have
//! been acted on, so only idempotent calls are repeated.

use std::time::Duration;

use super::{DriverError, ErrorKind, Sent};

/// Maps a reqwest failure talking to `peer` (`"GoGrid"`, `"the OCCI server"`) with a
/// per-request `timeout` to a driver error. The URL is stripped from the kept source: it may
/// carry credentials (GoGrid's `api_key` and `sig`, a user in an OCCI endpoint).
pub fn from_reqwest(err: reqwest::Error, peer: &str, timeout: Duration) -> DriverError {
    let secs = timeout.as_secs_f64();
    let (kind, sent, message) = if err.is_connect() {
        // The connection (TCP, DNS or TLS) was never set up, so nothing was written, whether
        // it was refused or timed out while connecting.
        if err.is_timeout() {
            (
                ErrorKind::Timeout,
                Sent::No,
                format!("cannot connect to {peer} within {secs} s"),
            )
        } else {
            (
                ErrorKind::Unavailable,
                Sent::No,
                format!("cannot connect to {peer} (refused, unreachable or TLS failure)"),
            )
        }
    } else if err.is_builder() {
        (
            ErrorKind::Unavailable,
            Sent::No,
            format!("the request to {peer} could not be built"),
        )
    } else if err.is_timeout() {
        (
            ErrorKind::Timeout,
            Sent::Maybe,
            format!("{peer} did not answer within {secs} s"),
        )
    } else if err.is_body() || err.is_decode() {
        // The answer started (the request was received) but could not be read to its end.
        (
            ErrorKind::Unavailable,
            Sent::Yes,
            format!("the answer from {peer} broke off or could not be read"),
        )
    } else if err.is_redirect() {
        (
            ErrorKind::BadResponse,
            Sent::Yes,
            format!("{peer} answered with too many redirects"),
        )
    } else {
        // A connection reset or closed after the request was (maybe) written.
        (
            ErrorKind::Unavailable,
            Sent::Maybe,
            format!("the request to {peer} failed"),
        )
    };
    DriverError::new(kind, message)
        .with_sent(sent)
        .with_source(err.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_refused_connection_was_not_sent() {
        // Bind then drop: the port is free, so connecting is refused.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0");
            listener
                .ok()
                .and_then(|l| l.local_addr().ok())
                .map_or(9, |a| a.port())
        };
        let err = client(Duration::from_secs(5))
            .get(format!("http://127.0.0.1:{port}/x?api_key=secret"))
            .send()
            .await
            .err();
        let Some(err) = err else {
            panic!("a request to a closed port succeeded")
        };
        let mapped = from_reqwest(err, "GoGrid", Duration::from_secs(5));
        assert_eq!(mapped.kind(), ErrorKind::Unavailable);
        assert!(mapped.was_not_sent(), "{mapped:?}");
        assert!(mapped.is_temporary());
        assert!(
            !format!("{mapped:?}").contains("secret"),
            "the URL must be stripped: {mapped:?}"
        );
    }

    #[tokio::test]
    async fn a_request_without_answer_timed_out_and_may_have_been_sent() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await;
        let Ok(listener) = listener else {
            panic!("cannot bind a loopback port")
        };
        let addr = listener.local_addr().ok();
        // Accept and hold the connection without ever answering.
        let held = tokio::spawn(async move {
            let conn = listener.accept().await;
            std::future::pending::<()>().await;
            drop(conn);
        });
        let Some(addr) = addr else {
            panic!("no local address")
        };
        let err = client(Duration::from_millis(200))
            .get(format!("http://{addr}/x"))
            .send()
            .await
            .err();
        held.abort();
        let Some(err) = err else {
            panic!("a request to a silent server succeeded")
        };
        let mapped = from_reqwest(err, "the OCCI server", Duration::from_millis(200));
        assert_eq!(mapped.kind(), ErrorKind::Timeout);
        assert_eq!(mapped.sent(), Sent::Maybe);
        assert!(mapped.timed_out());
    }
}
