//! How the SDK's errors, from real loopback exchanges and built by hand, map to `DriverError`.
use std::time::Duration;

use super::*;

#[test]
fn error_table_row_by_row() {
    use ErrorKind as K;
    let rows: &[(&str, K)] = &[
        ("InvalidInstanceID.NotFound", K::NotFound),
        ("InvalidInstanceID.Malformed", K::InvalidRequest),
        ("InvalidAMIID.NotFound", K::NotFound),
        ("InvalidAMIID.Malformed", K::InvalidRequest),
        ("InvalidVolume.NotFound", K::NotFound),
        ("IncorrectInstanceState", K::InvalidState),
        ("IncorrectState", K::InvalidState),
        ("VolumeInUse", K::InvalidState),
        ("RequestLimitExceeded", K::RateLimited),
        ("UnauthorizedOperation", K::Auth),
        ("AuthFailure", K::Auth),
        ("InvalidParameterValue", K::InvalidRequest),
        ("IdempotentParameterMismatch", K::InvalidRequest),
        ("InstanceLimitExceeded", K::InvalidState),
        ("InsufficientInstanceCapacity", K::Unavailable),
        ("InternalError", K::Unavailable),
    ];
    for (code, kind) in rows {
        assert_eq!(classify(Some(code), Some(400)), *kind, "{code}");
    }
    for (code, _) in CODES {
        let from_table = classify(Some(code), Some(400));
        assert_ne!(from_table, K::BadResponse, "{code}");
    }
}

#[test]
fn unknown_reference_codes_are_bad_input() {
    assert_eq!(
        classify(Some("InvalidSubnetID.NotFound"), Some(400)),
        ErrorKind::InvalidRequest
    );
    assert_eq!(
        classify(Some("InvalidGroup.Malformed"), Some(400)),
        ErrorKind::InvalidRequest
    );
}

#[test]
fn unlisted_codes_fall_back_to_the_http_status() {
    use ErrorKind as K;
    for (status, kind) in [
        (Some(400), K::InvalidRequest),
        (Some(403), K::Auth),
        (Some(404), K::NotFound),
        (Some(429), K::RateLimited),
        (Some(500), K::Unavailable),
        (Some(503), K::Unavailable),
        (Some(504), K::Timeout),
        (None, K::BadResponse),
    ] {
        assert_eq!(classify(Some("SomethingNew"), status), kind, "{status:?}");
        assert_eq!(classify(None, status), kind, "{status:?}");
    }
}

#[test]
fn throttling_is_temporary_and_auth_is_not() {
    let throttled = DriverError::new(classify(Some("RequestLimitExceeded"), Some(503)), "slow");
    assert!(throttled.is_temporary());
    let denied = DriverError::new(classify(Some("UnauthorizedOperation"), Some(403)), "no");
    assert!(!denied.is_temporary());
}

/// What a loopback server does once it has read one whole request.
#[derive(Clone, Copy, Debug)]
enum Then {
    /// The head of a 200 that announces 1000 bytes, 20 of them, and a close: what the
    /// fault proxy's `truncate` does.
    Truncate,
    /// Reset the connection (RST, not FIN): the request was received, no answer.
    Reset,
    /// Hold the connection open and never answer.
    Hang,
}

/// A loopback server for one connection that reads a request and then does `then`.
async fn loopback_server(then: Then) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
        panic!("cannot bind a loopback port")
    };
    let Ok(addr) = listener.local_addr() else {
        panic!("no local address")
    };
    tokio::spawn(async move {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        // Read the whole request (head and form body) first: it has certainly been sent,
        // and closing with unread bytes would reset the connection instead of ending the
        // body early.
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request_complete(&request) {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        match then {
            Then::Truncate => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: 1000\r\n\r\n";
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(b"<DescribeRegionsResp").await;
                let _ = conn.shutdown().await;
            }
            Then::Reset => {
                // A zero linger makes the close an RST.
                let _ = conn.set_zero_linger();
                drop(conn);
            }
            Then::Hang => {
                std::future::pending::<()>().await;
                drop(conn);
            }
        }
    });
    addr
}

/// Whether `bytes` hold a request head and as much body as its `Content-Length` says.
fn request_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    bytes.len() >= end + 4 + length
}

/// An SDK client for `addr` with the driver's own timeout settings (`client.rs`: the
/// operation timeout, connect ≤ 10 s) and the SDK's retries off, over the SDK's default
/// HTTP stack (hyper-util): the errors these tests see are the ones the driver sees.
fn sdk_client(addr: std::net::SocketAddr, timeout: Duration) -> aws_sdk_ec2::Client {
    use aws_sdk_ec2::config::timeout::TimeoutConfig;
    use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("k", "s", None, None, "test"))
        .endpoint_url(format!("http://{addr}"))
        .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .build(),
        )
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

/// The error of one DescribeRegions call to `addr`, mapped.
async fn call_failing(addr: std::net::SocketAddr, timeout: Duration) -> DriverError {
    match sdk_client(addr, timeout).describe_regions().send().await {
        Ok(out) => panic!("the call to {addr} succeeded: {out:?}"),
        Err(err) => from_sdk(err),
    }
}

/// Through the SDK's own HTTP stack: the error a body cut short really arrives as.
#[tokio::test]
async fn a_body_cut_short_is_the_transport_failing() {
    let addr = loopback_server(Then::Truncate).await;
    let client = sdk_client(addr, Duration::from_secs(5));
    let Err(err) = client.describe_regions().send().await else {
        panic!("a truncated answer was read as a whole")
    };
    assert!(
        matches!(err, SdkError::ResponseError(_)),
        "the SDK reports a cut body differently now: {err:?}"
    );
    let mapped = from_sdk(err);
    assert_eq!(mapped.kind(), ErrorKind::Unavailable, "{mapped:?}");
    assert!(mapped.is_temporary());
    assert_eq!(mapped.sent(), Sent::Yes, "the answer had begun");
    assert_eq!(mapped.context("http_status"), Some("200"));
    let problem = mapped.to_problem();
    assert_eq!(problem.status, 503, "{problem:?}");
}

/// A real refused connection (a loopback port nothing listens on) was never sent: the
/// retry layer may send even a create again.
#[tokio::test]
async fn a_refused_connection_was_never_sent() {
    // Bind, take the port, drop the listener: connecting to it is refused.
    let addr = {
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            panic!("cannot bind a loopback port")
        };
        let Ok(addr) = listener.local_addr() else {
            panic!("no local address")
        };
        addr
    };
    let client = sdk_client(addr, Duration::from_secs(5));
    let Err(err) = client.describe_regions().send().await else {
        panic!("a call to a closed port succeeded")
    };
    // DNS and TLS failures are told by the same hyper-util error, not by the refusal's
    // io::Error: if the SDK's hyper-util stops being the one this crate names (two
    // versions in Cargo.lock), the downcast fails and this says so.
    assert!(
        sources(&err).any(|e| e
            .downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(hyper_util::client::legacy::Error::is_connect)),
        "no hyper-util connect error in the chain: {err:?}"
    );
    let mapped = from_sdk(err);
    assert_eq!(mapped.sent(), Sent::No, "{mapped:?}");
    assert!(mapped.was_not_sent());
    assert_eq!(mapped.kind(), ErrorKind::Unavailable, "{mapped:?}");
    assert!(mapped.is_temporary());
    let problem = mapped.to_problem();
    assert_eq!(
        (problem.status, problem.code),
        (503, crate::model::ProblemCode::ProviderUnavailable),
        "{problem:?}"
    );
    assert!(
        mapped.message().starts_with("cannot connect to EC2"),
        "{mapped:?}"
    );
}

/// A server that accepts, reads the request and never answers: the operation timeout
/// ends it, and the request may have been acted on, so it is not "never sent".
#[tokio::test]
async fn a_request_without_answer_timed_out_and_may_have_been_sent() {
    let addr = loopback_server(Then::Hang).await;
    let mapped = call_failing(addr, Duration::from_millis(300)).await;
    assert_eq!(mapped.kind(), ErrorKind::Timeout, "{mapped:?}");
    assert!(mapped.timed_out());
    assert_eq!(mapped.sent(), Sent::Maybe, "{mapped:?}");
    assert!(mapped.is_temporary());
    let problem = mapped.to_problem();
    assert_eq!(
        (problem.status, problem.code),
        (504, crate::model::ProblemCode::ProviderTimeout),
        "{problem:?}"
    );
}

/// A connection reset after the whole request was read: maybe sent, unavailable (503).
#[tokio::test]
async fn a_reset_after_the_request_may_have_been_sent() {
    let addr = loopback_server(Then::Reset).await;
    let mapped = call_failing(addr, Duration::from_secs(5)).await;
    assert_eq!(mapped.sent(), Sent::Maybe, "{mapped:?}");
    assert_eq!(mapped.kind(), ErrorKind::Unavailable, "{mapped:?}");
    assert_eq!(mapped.to_problem().status, 503);
}

/// The SDK's connector classifications without a hyper-util error below them (another
/// connector, or none reached): only a refused connection or a failure with no transport
/// error at all was not sent.
#[test]
fn dispatch_failures_without_hyper_util_by_their_sources() {
    use aws_sdk_ec2::operation::describe_regions::DescribeRegionsError;
    use std::io::{Error as IoError, ErrorKind as Io};
    let cases: Vec<(&str, ConnectorError, ErrorKind, Sent)> = vec![
        (
            "refused",
            ConnectorError::io(Box::new(IoError::from(Io::ConnectionRefused))),
            ErrorKind::Unavailable,
            Sent::No,
        ),
        (
            "reset",
            ConnectorError::io(Box::new(IoError::from(Io::ConnectionReset))),
            ErrorKind::Unavailable,
            Sent::Maybe,
        ),
        (
            "read timeout",
            ConnectorError::timeout(Box::new(IoError::from(Io::TimedOut))),
            ErrorKind::Timeout,
            Sent::Maybe,
        ),
        (
            "credentials",
            ConnectorError::other("no credentials in the chain".into(), None),
            ErrorKind::Unavailable,
            Sent::No,
        ),
    ];
    for (name, connector, kind, sent) in cases {
        let err: SdkError<DescribeRegionsError, HttpResponse> =
            SdkError::dispatch_failure(connector);
        let mapped = from_sdk(err);
        assert_eq!(
            (mapped.kind(), mapped.sent()),
            (kind, sent),
            "{name}: {mapped:?}"
        );
        assert!(mapped.is_temporary(), "{name}");
    }
}

/// The operation timeout cannot say how far the request got.
#[test]
fn an_operation_timeout_may_have_been_sent() {
    use aws_sdk_ec2::operation::describe_regions::DescribeRegionsError;
    let err: SdkError<DescribeRegionsError, HttpResponse> =
        SdkError::timeout_error("operation timeout");
    let mapped = from_sdk(err);
    assert_eq!(
        (mapped.kind(), mapped.sent()),
        (ErrorKind::Timeout, Sent::Maybe)
    );
}

/// A response error that is not the connection failing stays a bad response (502).
#[test]
fn other_response_errors_are_bad_responses() {
    use aws_sdk_ec2::config::http::HttpResponse;
    use aws_sdk_ec2::operation::describe_regions::DescribeRegionsError;
    let raw = HttpResponse::new(http::StatusCode::OK.into(), "".into());
    let err: SdkError<DescribeRegionsError, HttpResponse> =
        SdkError::response_error("an interceptor refused the answer", raw);
    assert_eq!(from_sdk(err).kind(), ErrorKind::BadResponse);
    let raw = HttpResponse::new(http::StatusCode::OK.into(), "".into());
    let cut = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "cut");
    let err: SdkError<DescribeRegionsError, HttpResponse> = SdkError::response_error(cut, raw);
    assert_eq!(from_sdk(err).kind(), ErrorKind::Unavailable);
}
