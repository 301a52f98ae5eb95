//! Provider files: loading, `${VAR}` expansion, validation, and secrets.

mod secret;

pub use secret::{REDACTED, Secret};
