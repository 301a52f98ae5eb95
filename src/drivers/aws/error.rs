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
#[path = "error_tests.rs"]
mod tests;
