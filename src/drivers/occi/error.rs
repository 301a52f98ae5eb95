//! OCCI failures → [`DriverError`]: one table from HTTP status to kind (OCCI has no error codes
//! of its own), and the server's words read from wherever it put them: an `X-OCCI-Error` header
//! (rOCCI-server 2), a JSON body (`{"code","message"}` ooi, `{"status","error"}` rOCCI 2), or a
//! plain-text body (pyssf, occi-py). A 401 naming a Keystone (`WWW-Authenticate: Keystone
//! uri=…`) says so. Every error keeps `http_status` as context.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::driver::{DriverError, ErrorKind};
use crate::drivers::gogrid::parse_retry_after;

/// The status table (GFD.185 §3.6.6 / GFD.223 §3.6 and what real servers do with them).
pub(crate) fn classify(status: u16) -> ErrorKind {
    use ErrorKind as K;
    match status {
        // Parse error, unknown category, or an action that does not apply now (pyssf, 1.1).
        400 => K::InvalidRequest,
        // Credentials missing or rejected (rOCCI adds a Keystone challenge).
        401 => K::Auth,
        // Forbidden, or ooi without a project.
        403 => K::Auth,
        // 410 Gone is 1.1's answer for a deleted entity.
        404 | 410 => K::NotFound,
        // The method is not allowed on this location: the server cannot do it.
        405 => K::Unsupported,
        // The server cannot render what the driver asked for: a driver/server mismatch.
        406 => K::BadResponse,
        // rOCCI-server 2: a state conflict or failed action.
        409 => K::InvalidState,
        // Request too large (text/occi header limits).
        413 => K::InvalidRequest,
        429 => K::RateLimited,
        // The server failed, or its back end is down.
        500 | 502 | 503 => K::Unavailable,
        // Not implemented (rOCCI-server 2 answers PUT with 501).
        501 => K::Unsupported,
        // rOCCI-server 2: back-end timeout.
        504 => K::Timeout,
        // Other client errors: the request was not acceptable; other server errors: its side.
        s if (400..500).contains(&s) => K::InvalidRequest,
        s if (500..600).contains(&s) => K::Unavailable,
        _ => K::BadResponse,
    }
}

/// The error for a non-2xx answer.
pub(crate) fn from_answer(status: u16, headers: &HeaderMap, body: &str) -> DriverError {
    let kind = classify(status);
    let keystone = (status == 401).then(|| keystone_uri(headers)).flatten();
    let detail = server_message(headers, body);
    let message = match (&keystone, &detail) {
        (Some(uri), _) => format!(
            "the OCCI server asks for a Keystone token (Keystone at {uri}); configure \
             [auth] type = \"token\" with a token from that Keystone"
        ),
        (None, Some(detail)) => detail.clone(),
        (None, None) => default_message(status).to_owned(),
    };
    let mut err = DriverError::new(kind, message).with_context("http_status", status.to_string());
    if let Some(uri) = keystone {
        err = err.with_context("keystone_uri", uri);
    }
    if let (Some(_), Some(detail)) = (err.context("keystone_uri"), detail) {
        err = err.with_context("server_message", detail);
    }
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    match retry_after {
        Some(after) if matches!(kind, ErrorKind::RateLimited | ErrorKind::Unavailable) => {
            err.with_retry_after(after)
        }
        _ => err,
    }
}

/// `WWW-Authenticate: Keystone uri='https://keystone:5000/'` (quotes single, double or none).
pub(crate) fn keystone_uri(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (scheme, params) = v.trim().split_once(char::is_whitespace)?;
            if !scheme.eq_ignore_ascii_case("keystone") {
                return None;
            }
            params.split(',').find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("uri")
                    .then(|| v.trim().trim_matches(['\'', '"']).to_owned())
            })
        })
}

/// The server's own words: `X-OCCI-Error`, a JSON error body, or a short text body.
fn server_message(headers: &HeaderMap, body: &str) -> Option<String> {
    if let Some(v) = headers.get("x-occi-error").and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_owned());
    }
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let found = json
            .get("message")
            .and_then(text)
            .or_else(|| json.get("error").and_then(text))
            .or_else(|| json.pointer("/error/message").and_then(text))
            .or_else(|| {
                json.as_object()?
                    .values()
                    .find_map(|v| v.get("message").and_then(text))
            });
        if found.is_some() {
            return found;
        }
    }
    let text = body.trim();
    let looks_like_html = text.starts_with('<');
    (!text.is_empty() && !looks_like_html && text != "OK").then(|| shorten(text))
}

fn shorten(text: &str) -> String {
    const MAX: usize = 500;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn default_message(status: u16) -> &'static str {
    match status {
        401 => "the OCCI server rejected the credentials (or got none)",
        403 => "the OCCI server refused access with these credentials",
        404 | 410 => "the OCCI server has no such entity",
        405 | 501 => "the OCCI server does not implement this request",
        406 => "the OCCI server cannot answer in the rendering the driver asked for",
        409 => "the OCCI server refused the request in the entity's current state",
        413 => "the request is too large for the OCCI server",
        429 => "the OCCI server asks to slow down",
        500..=599 => "the OCCI server failed on its side",
        _ => "the OCCI server refused the request",
    }
}

/// A body the driver cannot understand.
pub(crate) fn bad_response(what: impl Into<String>) -> DriverError {
    DriverError::new(ErrorKind::BadResponse, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_row_by_row() {
        use ErrorKind as K;
        let rows = [
            (400, K::InvalidRequest),
            (401, K::Auth),
            (403, K::Auth),
            (404, K::NotFound),
            (405, K::Unsupported),
            (406, K::BadResponse),
            (409, K::InvalidState),
            (410, K::NotFound),
            (413, K::InvalidRequest),
            (422, K::InvalidRequest),
            (429, K::RateLimited),
            (500, K::Unavailable),
            (501, K::Unsupported),
            (502, K::Unavailable),
            (503, K::Unavailable),
            (504, K::Timeout),
            (507, K::Unavailable),
            (302, K::BadResponse),
        ];
        for (status, kind) in rows {
            assert_eq!(classify(status), kind, "{status}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(*n, v.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn keystone_challenge_is_named_in_the_problem() {
        let h = headers(&[(
            "www-authenticate",
            "Keystone uri='https://keystone.example:5000/'",
        )]);
        let err = from_answer(401, &h, "Authentication required");
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(
            err.context("keystone_uri"),
            Some("https://keystone.example:5000/")
        );
        assert!(
            err.message().contains("https://keystone.example:5000/"),
            "{}",
            err.message()
        );
        assert!(err.to_problem().detail.contains("Keystone"));
        let h = headers(&[("www-authenticate", "Basic realm=\"occi\"")]);
        assert_eq!(from_answer(401, &h, "").context("keystone_uri"), None);
    }

    #[test]
    fn server_words_come_from_header_json_or_text() {
        let h = headers(&[("x-occi-error", "VM is in a state that prevents this")]);
        assert_eq!(
            from_answer(409, &h, "").message(),
            "VM is in a state that prevents this"
        );
        let ooi = r#"{"code": 400, "message": "Invalid action requested"}"#;
        assert_eq!(
            from_answer(400, &HeaderMap::new(), ooi).message(),
            "Invalid action requested"
        );
        let rocci = r#"{"status": 404, "error": "Instance not found"}"#;
        assert_eq!(
            from_answer(404, &HeaderMap::new(), rocci).message(),
            "Instance not found"
        );
        let pyssf = "Action is not applicable.\n";
        assert_eq!(
            from_answer(400, &HeaderMap::new(), pyssf).message(),
            "Action is not applicable."
        );
        let html = "<html><body>502 Bad Gateway</body></html>";
        let err = from_answer(502, &HeaderMap::new(), html);
        assert_eq!(err.message(), "the OCCI server failed on its side");
        assert!(err.is_temporary());
        assert_eq!(err.context("http_status"), Some("502"));
    }

    #[test]
    fn retry_after_is_kept_for_rate_limits() {
        let h = headers(&[("retry-after", "3")]);
        assert_eq!(
            from_answer(429, &h, "").retry_after(),
            Some(std::time::Duration::from_secs(3))
        );
        assert_eq!(from_answer(404, &h, "").retry_after(), None);
    }
}
