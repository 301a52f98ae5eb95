//! EC2 failures → [`DriverError`]: EC2's own error code first (one row per code), then the HTTP
//! status for codes the table does not know.
//!
//! Codes follow the EC2 API reference, "Error codes for the Amazon EC2 API" (client errors and
//! server errors). Every error keeps `native_code`, `http_status` and `request_id` as context
//! pairs. Nothing here sees the request, so credentials cannot leak into an error.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ConnectorError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::RequestId;

use crate::driver::{DriverError, ErrorKind, Sent};

/// The error table: EC2 error code → kind. Codes not listed fall back to [`by_suffix`], then to
/// the HTTP status.
const CODES: &[(&str, ErrorKind)] = {
    use ErrorKind as K;
    &[
        // The instance does not exist (or is not visible yet: right after RunInstances EC2 is
        // eventually consistent; the operation follower treats an early not_found as pending).
        ("InvalidInstanceID.NotFound", K::NotFound),
        // An id that is not `i-…` hex: a bad reference in the request.
        ("InvalidInstanceID.Malformed", K::InvalidRequest),
        // The AMI does not exist (GET /images/{id}; on create a 4xx naming the image).
        ("InvalidAMIID.NotFound", K::NotFound),
        ("InvalidAMIID.Malformed", K::InvalidRequest),
        // The AMI exists but cannot be launched (deregistered, pending).
        ("InvalidAMIID.Unavailable", K::InvalidRequest),
        ("InvalidVolume.NotFound", K::NotFound),
        ("InvalidVolumeID.Malformed", K::InvalidRequest),
        // Volume and instance are in different availability zones.
        ("InvalidVolume.ZoneMismatch", K::InvalidRequest),
        // The instance's state does not allow the action (start while stopping, …).
        ("IncorrectInstanceState", K::InvalidState),
        // The resource's state does not allow the action (delete an attached volume, …).
        ("IncorrectState", K::InvalidState),
        ("VolumeInUse", K::InvalidState),
        // Detach of a volume that is not attached (there).
        ("InvalidAttachment.NotFound", K::InvalidState),
        // Bad values: an unknown instance type (with validation on), a device name in use, ….
        ("InvalidParameterValue", K::InvalidRequest),
        ("InvalidParameter", K::InvalidRequest),
        ("InvalidParameterCombination", K::InvalidRequest),
        ("MissingParameter", K::InvalidRequest),
        ("UnknownParameter", K::InvalidRequest),
        ("InvalidInstanceType", K::InvalidRequest),
        ("InvalidKeyPair.NotFound", K::InvalidRequest),
        ("InvalidZone.NotFound", K::InvalidRequest),
        ("InvalidNextToken", K::InvalidRequest),
        ("InvalidPaginationToken", K::InvalidRequest),
        ("InvalidFilter", K::InvalidRequest),
        // The same ClientToken with other parameters.
        ("IdempotentParameterMismatch", K::InvalidRequest),
        // The instance cannot do this (stop an instance-store instance, …).
        ("UnsupportedOperation", K::InvalidRequest),
        ("Unsupported", K::InvalidRequest),
        // Account quotas: permanent until the quota or the usage changes.
        ("InstanceLimitExceeded", K::InvalidState),
        ("VcpuLimitExceeded", K::InvalidState),
        ("VolumeLimitExceeded", K::InvalidState),
        // Throttling: temporary; reads are retried by the registry, clients get 429.
        ("RequestLimitExceeded", K::RateLimited),
        ("Throttling", K::RateLimited),
        ("ThrottlingException", K::RateLimited),
        // Credentials or rights.
        ("AuthFailure", K::Auth),
        ("UnauthorizedOperation", K::Auth),
        ("InvalidClientTokenId", K::Auth),
        ("SignatureDoesNotMatch", K::Auth),
        ("ExpiredToken", K::Auth),
        ("RequestExpired", K::Auth),
        ("OptInRequired", K::Auth),
        ("Blocked", K::Auth),
        ("PendingVerification", K::Auth),
        // EC2 has no capacity for the request now: may work later.
        ("InsufficientInstanceCapacity", K::Unavailable),
        ("InsufficientCapacity", K::Unavailable),
        ("InsufficientVolumeCapacity", K::Unavailable),
        // Server errors.
        ("InternalError", K::Unavailable),
        ("InternalFailure", K::Unavailable),
        ("ServiceUnavailable", K::Unavailable),
        ("Unavailable", K::Unavailable),
    ]
};

/// The kind for an EC2 error code and HTTP status.
pub(crate) fn classify(code: Option<&str>, http_status: Option<u16>) -> ErrorKind {
    let listed = code.and_then(|code| {
        CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, kind)| *kind)
            .or_else(|| by_suffix(code))
    });
    listed.unwrap_or_else(|| by_status(http_status))
}

/// Codes of the form `Invalid<Thing>.NotFound` / `.Malformed` / `.Duplicate` name a reference in
/// the request (a key pair, a subnet, a security group) that is wrong: bad input. The resources
/// the gateway serves by id (instances, AMIs, volumes) have their own rows above.
fn by_suffix(code: &str) -> Option<ErrorKind> {
    [".NotFound", ".Malformed", ".Duplicate", ".Range"]
        .iter()
        .any(|suffix| code.ends_with(suffix))
        .then_some(ErrorKind::InvalidRequest)
}

fn by_status(http_status: Option<u16>) -> ErrorKind {
    use ErrorKind as K;
    match http_status {
        Some(401 | 403) => K::Auth,
        Some(404) => K::NotFound,
        Some(408 | 504) => K::Timeout,
        Some(429) => K::RateLimited,
        Some(400..=499) => K::InvalidRequest,
        Some(500..=599) => K::Unavailable,
        _ => K::BadResponse,
    }
}

/// The error for a failed SDK call.
pub(crate) fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> DriverError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let request_id = err.request_id().map(str::to_owned);
    let driver_error = match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().map(str::to_owned);
            let message = service
                .err()
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("EC2 answered HTTP {status}"));
            let kind = classify(code.as_deref(), Some(status));
            let e = DriverError::new(kind, message).with_context("http_status", status.to_string());
            match code {
                Some(code) => e.with_context("native_code", code),
                None => e,
            }
        }
        // The operation timeout ran out: the SDK cannot say how far the request got (it may
        // have been written and acted on), so only an idempotent call may be repeated.
        SdkError::TimeoutError(_) => DriverError::new(
            ErrorKind::Timeout,
            "EC2 did not answer within the operation timeout",
        )
        .with_sent(Sent::Maybe),
        SdkError::DispatchFailure(failure) => unanswered(failure.as_connector_error(), &err),
        // Building the request failed (serialization, an interceptor): nothing was sent.
        SdkError::ConstructionFailure(_) => DriverError::new(
            ErrorKind::Unavailable,
            format!(
                "the EC2 request could not be built: {}",
                DisplayErrorContext(&err)
            ),
        )
        .with_sent(Sent::No),
        // The SDK reads the whole body before it parses, so a body cut short (the connection
        // closed before the announced `Content-Length`, or reset mid-body) arrives here, as
        // hyper's body error over an I/O error. That is the transport breaking, as the other
        // drivers see it (`driver::transport`: unavailable, temporary; the request was
        // received). Anything else here is an answer the SDK cannot read.
        SdkError::ResponseError(response) if broke_off(&err) => {
            let status = response.raw().status().as_u16();
            DriverError::new(
                ErrorKind::Unavailable,
                format!("the answer from EC2 (HTTP {status}) broke off before its end"),
            )
            .with_context("http_status", status.to_string())
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            DriverError::new(
                ErrorKind::BadResponse,
                format!("EC2 answered HTTP {status} with a body the SDK cannot read"),
            )
            .with_context("http_status", status.to_string())
        }
        _ => DriverError::new(
            ErrorKind::BadResponse,
            DisplayErrorContext(&err).to_string(),
        ),
    };
    let driver_error = match request_id {
        Some(id) => driver_error.with_context("request_id", id),
        None => driver_error,
    };
    driver_error.with_source(err)
}

/// A request the SDK got no answer to (`DispatchFailure`, `connector` being the SDK's
/// classification and `err` the whole error): what matters beyond the kind is whether it left
/// the gateway ([`Sent`]), which decides whether the retry layer may send a mutation again.
///
/// The SDK's `ConnectorError` alone cannot tell: a refused connection and a connection reset
/// after the request was written are both `is_io()`, and a connect timeout and a read timeout
/// are both `is_timeout()`. Below it in the source chain, hyper-util's client error says
/// whether the connection (TCP, DNS or TLS) was ever set up (`is_connect()`), the same signal
/// `driver::transport` reads from reqwest for GoGrid and OCCI.
fn unanswered(
    connector: Option<&ConnectorError>,
    err: &(dyn std::error::Error + 'static),
) -> DriverError {
    let timed_out = connector.is_some_and(ConnectorError::is_timeout);
    // The innermost error says it best ("Connection refused (os error 111)", rustls's
    // certificate complaint); the whole chain stays in the kept source for the logs.
    let context = sources(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default();
    let (kind, sent, message) = if never_connected(err) {
        // No connection, so nothing was written, whether it was refused or timed out while
        // connecting: even a create may be sent again.
        if timed_out {
            (
                ErrorKind::Timeout,
                Sent::No,
                format!("cannot connect to EC2 in time: {context}"),
            )
        } else {
            (
                ErrorKind::Unavailable,
                Sent::No,
                format!("cannot connect to EC2 (refused, unreachable or TLS failure): {context}"),
            )
        }
    } else if timed_out {
        // Connected, then no answer in time: the request may have been acted on.
        (
            ErrorKind::Timeout,
            Sent::Maybe,
            format!("EC2 did not answer in time: {context}"),
        )
    } else if connector.is_some_and(ConnectorError::is_io) || transport_failed(err) {
        // Connected, then reset or closed before an answer (hyper's IncompleteMessage is
        // `is_other()`, hence the chain): the request may have been written.
        (
            ErrorKind::Unavailable,
            Sent::Maybe,
            format!("the connection to EC2 broke before an answer: {context}"),
        )
    } else {
        // No HTTP or I/O failure at all: the orchestrator stopped before handing the request to
        // the connection (credentials that cannot be loaded, a signing failure, an interceptor).
        // That is the gateway's setup, reported with the SDK's own words.
        (
            ErrorKind::Unavailable,
            Sent::No,
            format!("the EC2 request could not be sent: {context}"),
        )
    };
    DriverError::new(kind, message).with_sent(sent)
}

/// Whether the connection to EC2 was never set up: hyper-util's client says it failed while
/// connecting, or (another connector) the OS refused the connection.
fn never_connected(err: &(dyn std::error::Error + 'static)) -> bool {
    sources(err).any(|e| {
        e.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(hyper_util::client::legacy::Error::is_connect)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    })
}

/// Whether HTTP or I/O failed somewhere in `err`'s chain (after connecting, given
/// [`never_connected`] was false).
fn transport_failed(err: &(dyn std::error::Error + 'static)) -> bool {
    sources(err).any(|e| {
        e.is::<hyper::Error>()
            || e.is::<hyper_util::client::legacy::Error>()
            || e.is::<std::io::Error>()
    })
}

/// `err` and its sources, outermost first.
fn sources<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

/// Whether `err` or one of its sources is an I/O error: the connection failed while the body
/// was read (hyper wraps the I/O error, the SDK boxes hyper's).
fn broke_off(err: &(dyn std::error::Error + 'static)) -> bool {
    sources(err).any(|e| e.is::<std::io::Error>())
}

#[cfg(test)]
mod tests {
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
}
