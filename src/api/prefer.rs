//! The `Prefer: wait=N` request header (RFC 7240).

use std::time::Duration;

use axum::http::HeaderMap;

/// How long the client prefers to wait for the operation to finish (the service caps it at
/// [`crate::service::MAX_WAIT`]). Other preferences are ignored, as RFC 7240 allows; an
/// unreadable `wait` is ignored too.
pub fn wait(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .filter_map(|pref| {
            let (name, value) = pref.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("wait")
                .then(|| value.trim().trim_matches('"').parse::<u64>().ok())?
        })
        .next()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            if let Ok(v) = v.parse() {
                h.append("prefer", v);
            }
        }
        h
    }

    #[test]
    fn reads_wait_among_other_preferences() {
        assert_eq!(
            wait(&headers(&["respond-async, wait=10"])),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            wait(&headers(&["handling=lenient", "wait=3"])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait(&headers(&["WAIT = \"5\""])),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn missing_or_bad_wait_is_none() {
        assert_eq!(wait(&headers(&[])), None);
        assert_eq!(wait(&headers(&["wait=soon"])), None);
        assert_eq!(
            wait(&headers(&["wait=99999"])),
            Some(Duration::from_secs(99999))
        );
    }
}
