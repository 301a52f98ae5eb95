//! GoGrid request signatures: `sig = hex(md5(api_key + shared_secret + unix_seconds))`.

use md5::{Digest, Md5};

/// Whether `api_key` and `sig` are valid at `now` (unix seconds), allowing the client's clock to
/// be up to `skew_secs` off either way. The signature does not carry its timestamp, so every
/// second of the window may be tried; nearest first, because clients' clocks are usually right
/// and a valid request then costs one or two hashes instead of hundreds.
pub fn verify(
    expected_key: &str,
    shared_secret: &str,
    api_key: Option<&str>,
    sig: Option<&str>,
    now: i64,
    skew_secs: i64,
) -> bool {
    let (Some(api_key), Some(sig)) = (api_key, sig) else {
        return false;
    };
    if api_key != expected_key || sig.len() != 32 {
        return false;
    }
    let Ok(sig) = hex::decode(sig) else {
        return false;
    };
    let mut prefix = Md5::new();
    prefix.update(expected_key.as_bytes());
    prefix.update(shared_secret.as_bytes());
    let skew = skew_secs.max(0);
    let nearest_first = (0..=skew).flat_map(|d| [now.saturating_sub(d), now.saturating_add(d)]);
    nearest_first.into_iter().any(|t| {
        let mut md5 = prefix.clone();
        md5.update(t.to_string().as_bytes());
        md5.finalize().as_slice() == sig.as_slice()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drivers::gogrid::signature;

    const T: i64 = 1_267_243_795;

    #[test]
    fn jclouds_test_vector() {
        assert_eq!(
            signature("identity", "credential", (T) as u64),
            "e9aafd0a5d4c69bb24536be4bce8a528"
        );
    }

    #[test]
    fn accepts_signatures_inside_the_skew_window_both_ways() {
        for offset in [-600, -599, -1, 0, 1, 599, 600] {
            let sig = signature("identity", "credential", (T + offset) as u64);
            assert!(
                verify(
                    "identity",
                    "credential",
                    Some("identity"),
                    Some(&sig),
                    T,
                    600
                ),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn rejects_signatures_outside_the_window() {
        for offset in [-601, 601, -100_000] {
            let sig = signature("identity", "credential", (T + offset) as u64);
            assert!(
                !verify(
                    "identity",
                    "credential",
                    Some("identity"),
                    Some(&sig),
                    T,
                    600
                ),
                "offset {offset}"
            );
        }
        let sig = signature("identity", "credential", (T + 1) as u64);
        assert!(!verify(
            "identity",
            "credential",
            Some("identity"),
            Some(&sig),
            T,
            0
        ));
    }

    #[test]
    fn rejects_wrong_or_missing_key_secret_or_sig() {
        let good = signature("identity", "credential", (T) as u64);
        assert!(!verify(
            "identity",
            "credential",
            Some("other"),
            Some(&good),
            T,
            600
        ));
        assert!(!verify("identity", "credential", None, Some(&good), T, 600));
        assert!(!verify(
            "identity",
            "credential",
            Some("identity"),
            None,
            T,
            600
        ));
        let wrong_secret = signature("identity", "nope", (T) as u64);
        assert!(!verify(
            "identity",
            "credential",
            Some("identity"),
            Some(&wrong_secret),
            T,
            600
        ));
        assert!(!verify(
            "identity",
            "credential",
            Some("identity"),
            Some("zz"),
            T,
            600
        ));
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let sig = signature("identity", "credential", (T) as u64).to_ascii_uppercase();
        assert!(verify(
            "identity",
            "credential",
            Some("identity"),
            Some(&sig),
            T,
            600
        ));
    }
}
