//! Failures the simulator answers with; [`super::profile`] decides status and body per profile.

/// What went wrong, independent of how a profile words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be read or names something unknown (400).
    BadRequest,
    /// No entity at that location (404).
    NotFound,
    /// The action or change does not apply in the entity's current state (400 or 409 per
    /// profile).
    NotApplicable,
    /// The method is not allowed on that location (405).
    MethodNotAllowed,
    /// No rendering the client accepts (406).
    NotAcceptable,
    /// The request body's rendering is not read (415, or 400 where the profile does so).
    UnsupportedMediaType,
    /// Credentials are missing or wrong (401).
    Unauthorized,
    /// Authenticated, but the request lacks what the server needs (403).
    Forbidden,
    /// A fault of the simulator itself (500).
    Internal,
}

/// One failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    /// Its kind.
    pub kind: ErrorKind,
    /// Human-readable message, rendered in the profile's error body.
    pub message: String,
}

impl SimError {
    /// A failure of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> SimError {
        SimError {
            kind,
            message: message.into(),
        }
    }

    /// 400: the request cannot be served as asked.
    pub fn bad_request(message: impl Into<String>) -> SimError {
        SimError::new(ErrorKind::BadRequest, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> SimError {
        SimError::new(ErrorKind::NotFound, message)
    }

    /// The action does not apply now.
    pub fn not_applicable(message: impl Into<String>) -> SimError {
        SimError::new(ErrorKind::NotApplicable, message)
    }
}
