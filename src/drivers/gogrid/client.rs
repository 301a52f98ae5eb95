//! Wire calls to a GoGrid API v1.x endpoint: signing, the request, and the response envelope.
//!
//! Secrets never reach a log or an error: the URL (which carries `api_key` and `sig`) is built by
//! reqwest from separate parts, only the method name is logged, and transport errors are kept
//! without their URL (see [`crate::driver::transport::from_reqwest`]).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::config::GoGridSettings;
use super::error;
use crate::config::Secret;
use crate::driver::{DriverError, DriverResult, ErrorKind, transport};

/// How a call is sent. Reads are GETs; add/delete/power are POSTs with a form body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    /// Parameters in the query string.
    Get,
    /// Auth parameters in the query string, the call's own parameters as a form body.
    Post,
}

/// The response envelope: `{status, summary, list, method}` (`method` is not needed).
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    /// "success" or "failure".
    pub(crate) status: String,
    /// Paging counters; failure bodies leave `numpages` out.
    #[serde(default)]
    pub(crate) summary: Option<Summary>,
    /// The objects.
    #[serde(default = "Vec::new")]
    pub(crate) list: Vec<T>,
}

/// `summary` of an envelope; only `total` (items in the whole list) is used: `returned` is the
/// list's length and `start` was always 0 in the recordings.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct Summary {
    /// Items in the whole list.
    #[serde(default)]
    pub(crate) total: Option<u64>,
}

impl<T> Envelope<T> {
    /// `summary.total`, when GoGrid said.
    pub(crate) fn total(&self) -> Option<usize> {
        self.summary
            .and_then(|s| s.total)
            .and_then(|t| usize::try_from(t).ok())
    }
}

/// `sig`: lowercase hex MD5 of api_key + shared_secret + unix seconds.
pub fn sign(api_key: &str, shared_secret: &str, unix_secs: u64) -> String {
    let mut md5 = Md5::new();
    md5.update(api_key.as_bytes());
    md5.update(shared_secret.as_bytes());
    md5.update(unix_secs.to_string().as_bytes());
    hex::encode(md5.finalize())
}

/// One GoGrid account's HTTP client.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    endpoint: String,
    api_key: Secret,
    shared_secret: Secret,
    api_version: String,
    timeout: Duration,
}

impl Client {
    /// A client for `settings`; fails on an endpoint that is not an http(s) URL.
    pub(crate) fn new(settings: &GoGridSettings) -> DriverResult<Client> {
        let endpoint = settings.endpoint.trim_end_matches('/').to_owned();
        let valid =
            reqwest::Url::parse(&endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !valid {
            return Err(DriverError::new(
                ErrorKind::InvalidRequest,
                format!("GoGrid endpoint {endpoint:?} is not an http(s) URL"),
            ));
        }
        let http = reqwest::Client::builder().build().map_err(|e| {
            DriverError::new(ErrorKind::Unavailable, "cannot build the HTTP client").with_source(e)
        })?;
        Ok(Client {
            http,
            endpoint,
            api_key: settings.api_key.clone(),
            shared_secret: settings.shared_secret.clone(),
            api_version: settings.api_version.clone(),
            timeout: settings.timeout,
        })
    }

    /// The API version sent as `v`.
    pub(crate) fn api_version(&self) -> &str {
        &self.api_version
    }

    fn auth_params(&self) -> [(&'static str, String); 4] {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let key = self.api_key.expose();
        [
            ("api_key", key.to_owned()),
            ("sig", sign(key, self.shared_secret.expose(), now)),
            ("v", self.api_version.clone()),
            ("format", "json".to_owned()),
        ]
    }

    /// Calls `method` (e.g. `grid/server/list`) and returns its success envelope with the list
    /// items parsed as `T`; any failure is a [`DriverError`] (without provider/operation).
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        verb: Verb,
        method: &str,
        params: &[(&str, String)],
    ) -> DriverResult<Envelope<T>> {
        let url = format!("{}/{}", self.endpoint, method);
        let request = match verb {
            Verb::Get => self.http.get(url).query(&self.auth_params()).query(params),
            Verb::Post => self.http.post(url).query(&self.auth_params()).form(params),
        };
        let started = Instant::now();
        let response = request
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| transport::from_reqwest(e, "GoGrid", self.timeout))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(|e| transport::from_reqwest(e, "GoGrid", self.timeout))?;
        tracing::debug!(
            gogrid.method = method,
            http.status = status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "GoGrid call"
        );
        parse_response(status, retry_after.as_deref(), &body)
    }
}

/// Turns an HTTP answer into a success envelope or an error. The body is parsed as JSON whatever
/// its Content-Type (GoGrid sent JSON as `text/html`).
pub(crate) fn parse_response<T: DeserializeOwned>(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> DriverResult<Envelope<T>> {
    if !(200..300).contains(&status) {
        return Err(error::from_http(status, retry_after, body));
    }
    // The common case in one pass, straight into `T`: a success envelope whose items read as
    // `T` (parsing into `Value` first cost more than half of a large list's CPU). A failure
    // envelope, or items the driver cannot read, fail this pass and are told apart below.
    if let Ok(envelope) = serde_json::from_slice::<Envelope<T>>(body)
        && envelope.status.eq_ignore_ascii_case("success")
    {
        return Ok(envelope);
    }
    let raw: Envelope<Value> = serde_json::from_slice(body)
        .map_err(|e| error::bad_response(status, "a body that is not a JSON envelope", e))?;
    if !raw.status.eq_ignore_ascii_case("success") {
        return Err(error::from_items(status, &raw.list));
    }
    let list = raw
        .list
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| error::bad_response(status, "an object the driver cannot read", e))?;
    Ok(Envelope {
        status: raw.status,
        summary: raw.summary,
        list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_jclouds_test_vector() {
        assert_eq!(
            sign("identity", "credential", 1_267_243_795),
            "e9aafd0a5d4c69bb24536be4bce8a528"
        );
    }

    #[test]
    fn non_json_success_body_is_bad_response() {
        let err = parse_response::<Value>(200, None, b"<html>oops</html>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadResponse);
        assert_eq!(err.context("http_status"), Some("200"));
    }

    #[test]
    fn item_of_the_wrong_shape_is_bad_response() {
        let body =
            br#"{"status":"success","list":[{"object":"server"}],"method":"/grid/server/list"}"#;
        let err =
            parse_response::<super::super::mapping::NativeServer>(200, None, body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadResponse);
    }

    #[test]
    fn client_debug_never_shows_secrets() {
        let settings = GoGridSettings {
            endpoint: "http://127.0.0.1:1/api".into(),
            api_key: Secret::new("key-abc-123"),
            shared_secret: Secret::new("secret-xyz-789"),
            api_version: "1.9".into(),
            timeout: Duration::from_secs(1),
            default_region: None,
        };
        let debug = format!("{:?}", Client::new(&settings).unwrap());
        assert!(!debug.contains("key-abc-123") && !debug.contains("secret-xyz-789"));
    }

    #[test]
    fn endpoint_must_be_a_url() {
        let settings = GoGridSettings {
            endpoint: "api.gogrid.com/api".into(),
            api_key: Secret::new("k"),
            shared_secret: Secret::new("s"),
            api_version: "1.9".into(),
            timeout: Duration::from_secs(1),
            default_region: None,
        };
        let err = Client::new(&settings).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }
}
