use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret shows instead of its value in Debug, Display and serialization.
pub const REDACTED: &str = "******";

/// A credential read from configuration. Its value never appears in `Debug`, `Display` or
/// serialized output; code that must send it calls [`Secret::expose`].
#[derive(Clone)]
pub struct Secret(SecretString);

/// Every secret value this process has read, so that error scrubbing
/// ([`crate::layers::scrub`]) can redact a credential wherever a provider echoes it. Values
/// shorter than [`MIN_KNOWN`] are not kept: redacting `"1"` everywhere would garble messages.
static KNOWN: std::sync::RwLock<Vec<SecretString>> = std::sync::RwLock::new(Vec::new());

/// The shortest secret value redacted by value.
const MIN_KNOWN: usize = 8;

/// How many values are kept (a bound against a loop constructing secrets).
const MAX_KNOWN: usize = 4096;

fn remember(value: &str) {
    if value.len() < MIN_KNOWN {
        return;
    }
    if let Ok(mut known) = KNOWN.write()
        && known.len() < MAX_KNOWN
        && !known.iter().any(|k| k.expose_secret() == value)
    {
        known.push(SecretString::from(value.to_owned()));
    }
}

/// `text` with every secret value this process has read replaced by [`REDACTED`].
pub fn redact_known_secrets(text: &str) -> String {
    let mut out = text.to_owned();
    if let Ok(known) = KNOWN.read() {
        for secret in known.iter() {
            let value = secret.expose_secret();
            if out.contains(value) {
                out = out.replace(value, REDACTED);
            }
        }
    }
    out
}

impl Secret {
    /// Wraps a value (and remembers it for scrubbing, see [`redact_known_secrets`]).
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        remember(&value);
        Secret(SecretString::from(value))
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
