use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret shows instead of its value in Debug, Display and serialization.
pub const REDACTED: &str = "******";

/// A credential read from configuration. Its value never appears in `Debug`, `Display` or
/// serialized output; code that must send it calls [`Secret::expose`].
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(SecretString::from(value.into()))
    }

    /// The value, for the one place that sends it to the provider.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_display_and_serialize_never_show_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(secret.to_string(), REDACTED);
        let json = serde_json::to_string(&secret).unwrap_or_default();
        assert_eq!(json, format!("\"{REDACTED}\""));
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            key: Secret,
        }
        let holder = format!(
            "{:?}",
            Holder {
                key: secret.clone()
            }
        );
        assert!(!holder.contains("hunter2"), "{holder}");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn deserializes_from_a_string() {
        let secret: Secret = serde_json::from_str("\"abc\"").unwrap_or_else(|_| Secret::new(""));
        assert_eq!(secret.expose(), "abc");
    }
}
