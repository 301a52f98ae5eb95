use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::DriverOp;

/// Why a driver call failed, in terms every driver shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The resource does not exist at the provider.
    NotFound,
    /// The provider rejected the request's values.
    InvalidRequest,
    /// The resource's state does not allow the request.
    InvalidState,
    /// The backend cannot do this at all.
    Unsupported,
    /// The provider asks to slow down.
    RateLimited,
    /// The provider could not be reached or failed on its side.
    Unavailable,
    /// The provider answered something the driver cannot understand.
    BadResponse,
    /// The provider did not answer in time.
    Timeout,
    /// The provider rejected the gateway's credentials or their rights.
    Auth,
}

/// Whether repeating the call can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retry {
    /// The same call will fail the same way.
    Permanent,
    /// The same call may succeed later.
    Temporary,
}

/// Whether the failed request reached the provider: what decides if a mutation may be sent
/// again (a create that was never sent cannot have made a server; one that timed out may have).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sent {
    /// The request never left the gateway (connection refused, DNS failure, TLS handshake
    /// failure, a gateway layer refused it): repeating it cannot duplicate anything.
    No,
    /// It may have reached the provider and been acted on (timed out, connection dropped after
    /// the request was written): only idempotent calls may be repeated.
    Maybe,
    /// The provider answered; the error is its answer.
    Yes,
}

/// A failed driver call: kind, retry status, where it came from and the provider's own words.
///
/// Cloning is cheap and keeps the source (shared), so one failed call can be handed to every
/// caller that waited on it (coalescing).
#[derive(Debug, Clone)]
pub struct DriverError {
    kind: ErrorKind,
    retry: Retry,
    sent: Sent,
    provider: Option<String>,
    operation: Option<DriverOp>,
    message: String,
    context: Vec<(&'static str, String)>,
    retry_after: Option<Duration>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl DriverError {
    /// An error of `kind` with a message (the provider's own words where it gave some).
    /// Rate limits, unavailability and timeouts are temporary; everything else permanent.
    /// Whether it was sent is [`Sent::Yes`] (the provider answered) except for timeouts,
    /// which are [`Sent::Maybe`]; transport failures set it with [`DriverError::with_sent`].
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> DriverError {
        let retry = match kind {
            ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Timeout => {
                Retry::Temporary
            }
            _ => Retry::Permanent,
        };
        let sent = match kind {
            ErrorKind::Timeout => Sent::Maybe,
            _ => Sent::Yes,
        };
        DriverError {
            kind,
            retry,
            sent,
            provider: None,
            operation: None,
            message: message.into(),
            context: Vec::new(),
            retry_after: None,
            source: None,
        }
    }

    /// `unsupported`: the backend cannot do `what`.
    pub fn unsupported(what: impl fmt::Display) -> DriverError {
        DriverError::new(
            ErrorKind::Unsupported,
            format!("{what} is not supported by this provider"),
        )
    }

    /// `not_found` for a resource of `kind` with `id`.
    pub fn not_found(kind: &str, id: &str) -> DriverError {
        DriverError::new(ErrorKind::NotFound, format!("{kind} {id} does not exist"))
    }

    /// Sets the provider id (the registry does this for every call).
    pub fn with_provider(mut self, provider: impl Into<String>) -> DriverError {
        self.provider = Some(provider.into());
        self
    }

    /// Sets the operation that failed.
    pub fn with_operation(mut self, op: DriverOp) -> DriverError {
        self.operation = Some(op);
        self
    }

    /// Adds a context pair (native error code, HTTP status, request id, …).
    pub fn with_context(mut self, key: &'static str, value: impl Into<String>) -> DriverError {
        self.context.push((key, value.into()));
        self
    }

    /// Overrides whether retrying can help.
    pub fn with_retry(mut self, retry: Retry) -> DriverError {
        self.retry = retry;
        self
    }

    /// Sets whether the request reached the provider.
    pub fn with_sent(mut self, sent: Sent) -> DriverError {
        self.sent = sent;
        self
    }

    /// Sets how long the provider asked to wait.
    pub fn with_retry_after(mut self, after: Duration) -> DriverError {
        self.retry_after = Some(after);
        self
    }

    /// Keeps the underlying error.
    pub fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> DriverError {
        self.source = Some(Arc::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether retrying can help.
    pub fn retry(&self) -> Retry {
        self.retry
    }

    /// Whether retrying can help, as a bool.
    pub fn is_temporary(&self) -> bool {
        self.retry == Retry::Temporary
    }

    /// Whether the request reached the provider.
    pub fn sent(&self) -> Sent {
        self.sent
    }

    /// Whether the request certainly never reached the provider, so even a mutation may be
    /// sent again.
    pub fn was_not_sent(&self) -> bool {
        self.sent == Sent::No
    }

    /// Whether the provider did not answer in time (the request may have been acted on).
    pub fn timed_out(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// The provider id, once set.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// The operation, once set.
    pub fn operation(&self) -> Option<DriverOp> {
        self.operation
    }

    /// The message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The value of a context pair.
    pub fn context(&self, key: &str) -> Option<&str> {
        self.context
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// How long the provider asked to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The same error with `scrub` applied to its message, its context values and its source
    /// (which becomes its scrubbed text): see [`crate::layers::scrub`].
    pub fn scrubbed(mut self, scrub: impl Fn(&str) -> String) -> DriverError {
        self.message = scrub(&self.message);
        for (_, value) in &mut self.context {
            *value = scrub(value);
        }
        if let Some(source) = self.source.take() {
            let text = scrub(&source.to_string());
            self.source = Some(Arc::new(Scrubbed(text)));
        }
        self
    }
}

/// A source error as scrubbed text.
#[derive(Debug)]
struct Scrubbed(String);

impl fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Scrubbed {}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.operation {
            write!(f, "{}: ", op.name())?;
        }
        f.write_str(&self.message)?;
        for (key, value) in &self.context {
            write!(f, " [{key}={value}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_kinds_are_temporary_and_others_permanent() {
        assert!(DriverError::new(ErrorKind::RateLimited, "slow").is_temporary());
        assert!(DriverError::new(ErrorKind::Timeout, "late").is_temporary());
        assert!(!DriverError::new(ErrorKind::NotFound, "gone").is_temporary());
        assert!(!DriverError::new(ErrorKind::Auth, "no").is_temporary());
    }

    #[test]
    fn timeouts_may_have_been_sent_and_answers_were() {
        assert_eq!(
            DriverError::new(ErrorKind::Timeout, "late").sent(),
            Sent::Maybe
        );
        assert_eq!(
            DriverError::new(ErrorKind::NotFound, "gone").sent(),
            Sent::Yes
        );
        let refused = DriverError::new(ErrorKind::Unavailable, "refused").with_sent(Sent::No);
        assert!(refused.was_not_sent());
        assert!(!DriverError::new(ErrorKind::Timeout, "late").was_not_sent());
    }

    #[test]
    fn a_clone_keeps_kind_context_and_source() {
        let err = DriverError::new(ErrorKind::Unavailable, "down")
            .with_context("http_status", "503")
            .with_source(std::io::Error::other("reset"));
        let copy = err.clone();
        assert_eq!(copy.kind(), ErrorKind::Unavailable);
        assert_eq!(copy.context("http_status"), Some("503"));
        assert!(std::error::Error::source(&copy).is_some());
    }

    #[test]
    fn display_names_operation_and_context() {
        let err = DriverError::new(ErrorKind::InvalidRequest, "bad image")
            .with_operation(DriverOp::CreateServer)
            .with_context("native_code", "IllegalArgumentException");
        assert_eq!(
            err.to_string(),
            "create_server: bad image [native_code=IllegalArgumentException]"
        );
    }
}

impl DriverError {
    /// The problem the API answers for this error: the one mapping from kinds to codes and
    /// HTTP statuses.
    pub fn to_problem(&self) -> crate::model::Problem {
        use crate::model::{Problem, ProblemCode as C};
        let (code, status) = match self.kind {
            ErrorKind::NotFound => (C::NotFound, 404),
            ErrorKind::InvalidRequest => (C::InvalidRequest, 400),
            ErrorKind::InvalidState => (C::InvalidState, 409),
            ErrorKind::Unsupported => (C::Unsupported, 501),
            ErrorKind::RateLimited => (C::RateLimited, 429),
            ErrorKind::Unavailable => (C::ProviderUnavailable, 503),
            // The provider answered, but not usefully: a bad gateway in HTTP terms.
            ErrorKind::BadResponse | ErrorKind::Auth => (C::ProviderUnavailable, 502),
            ErrorKind::Timeout => (C::ProviderTimeout, 504),
        };
        let detail = match self.kind {
            ErrorKind::Auth => {
                format!(
                    "the provider rejected the gateway's credentials: {}",
                    self.message
                )
            }
            _ => self.message.clone(),
        };
        // Scrubbed again: an error made outside a layer stack must not leak either.
        let detail = crate::layers::scrub::scrub(&detail);
        let problem = Problem::new(code, status, detail).with_retryable(self.is_temporary());
        match &self.provider {
            Some(p) => problem.with_provider(p),
            None => problem,
        }
    }
}

#[cfg(test)]
mod problem_tests {
    use super::*;
    use crate::model::ProblemCode;

    #[test]
    fn each_kind_maps_to_its_code_and_status() {
        let rows = [
            (ErrorKind::NotFound, ProblemCode::NotFound, 404),
            (ErrorKind::InvalidRequest, ProblemCode::InvalidRequest, 400),
            (ErrorKind::InvalidState, ProblemCode::InvalidState, 409),
            (ErrorKind::Unsupported, ProblemCode::Unsupported, 501),
            (ErrorKind::RateLimited, ProblemCode::RateLimited, 429),
            (
                ErrorKind::Unavailable,
                ProblemCode::ProviderUnavailable,
                503,
            ),
            (
                ErrorKind::BadResponse,
                ProblemCode::ProviderUnavailable,
                502,
            ),
            (ErrorKind::Auth, ProblemCode::ProviderUnavailable, 502),
            (ErrorKind::Timeout, ProblemCode::ProviderTimeout, 504),
        ];
        for (kind, code, status) in rows {
            let p = DriverError::new(kind, "m").with_provider("p1").to_problem();
            assert_eq!((p.code, p.status), (code, status), "{kind:?}");
            assert_eq!(p.provider.as_deref(), Some("p1"));
            assert_eq!(p.retryable, DriverError::new(kind, "m").is_temporary());
        }
    }
}
