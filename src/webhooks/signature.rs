//! Standard Webhooks signatures: `v1,` and the base64 HMAC-SHA256, keyed with the secret's bytes,
//! of `{webhook-id}.{webhook-timestamp}.{body}`. Receivers verify with any Standard Webhooks
//! library (the spec's own, `standardwebhooks` on PyPI and npm, Svix's).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A webhook's signing key: the bytes its `whsec_…` secret encodes. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// The key a `whsec_<base64>` secret stands for; the error says what is wrong, without the
    /// secret.
    pub fn from_secret(secret: &str) -> Result<SigningKey, String> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or_else(|| {
            format!("must start with `{SECRET_PREFIX}` (a Standard Webhooks secret)")
        })?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| format!("must be `{SECRET_PREFIX}` followed by base64"))?;
        // The spec asks for 24 to 64 random bytes; fewer makes a guessable key.
        if !(24..=64).contains(&bytes.len()) {
            return Err(format!(
                "must encode 24 to 64 bytes after `{SECRET_PREFIX}`, this one encodes {}",
                bytes.len()
            ));
        }
        Ok(SigningKey(bytes))
    }

    /// The `webhook-signature` header value for one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length, so this cannot fail; the fallback keeps it total.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (and its reference libraries' tests).
    #[test]
    fn signs_the_specification_example() {
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = key.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_without_the_prefix_or_too_short_is_refused() {
        assert!(SigningKey::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(SigningKey::from_secret("whsec_not base64!").is_err());
        let short = SigningKey::from_secret("whsec_c2hvcnQ=").unwrap_err();
        assert!(short.contains("24 to 64 bytes"), "{short}");
    }

    #[test]
    fn debug_shows_no_key() {
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey([redacted])");
    }
}
