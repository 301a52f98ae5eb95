//! One try of one delivery: the event in CloudEvents HTTP binary content mode (the attributes in
//! `ce-*` headers, `data` as the body), signed as Standard Webhooks says, and what the answer
//! means for the next try.

use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use time::OffsetDateTime;
use time::format_description::well_known::{Rfc2822, Rfc3339};

use super::config::Webhook;
use crate::model::{CloudEvent, DeliveryStatus};
use crate::store::Tried;

/// What the CloudEvents HTTP binding says a `ce-*` header value must percent-encode: space,
/// `"`, `%` and everything outside printable ASCII (the encoder always does the last).
const CE_HEADER: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');

/// The HTTP client deliveries are made with: redirects are not followed (a receiver that moved
/// is told by its status, and a signed event is never sent to a URL nobody configured).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "cloudgw/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The `ce-*` headers of `event`, percent-encoded for HTTP.
fn ce_headers(event: &CloudEvent) -> Vec<(&'static str, String)> {
    let time = event.time.format(&Rfc3339).unwrap_or_default();
    let event_type = serde_json::to_value(event.event_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    [
        ("ce-specversion", event.specversion.clone()),
        ("ce-id", event.id.clone()),
        ("ce-source", event.source.clone()),
        ("ce-type", event_type),
        ("ce-subject", event.subject.clone()),
        ("ce-time", time),
    ]
    .into_iter()
    .map(|(name, value)| (name, utf8_percent_encode(&value, CE_HEADER).to_string()))
    .collect()
}

/// Makes try number `attempt` (from 1) of `event` to `hook`, and says what follows from it.
pub async fn attempt(
    client: &reqwest::Client,
    hook: &Webhook,
    event: &CloudEvent,
    attempt: u32,
) -> Tried {
    let body = serde_json::to_vec(&event.data).unwrap_or_default();
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let mut request = client
        .post(hook.url.clone())
        .timeout(hook.timeout)
        .header("content-type", event.datacontenttype.as_str())
        .header("webhook-id", event.id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            hook.key.sign(&event.id, timestamp, &body),
        );
    for (name, value) in ce_headers(event) {
        request = request.header(name, value);
    }
    let answer = request.body(body).send().await;
    crate::metrics::webhook_try(&hook.name, outcome_label(&answer));
    let retry = |last_status, last_error: String, asked: Option<Duration>| {
        retry_or_give_up(hook, attempt, last_status, last_error, asked)
    };
    match answer {
        Ok(response) if response.status().is_success() => Tried {
            status: DeliveryStatus::Delivered,
            last_status: Some(response.status().as_u16()),
            last_error: None,
            next_attempt_at: None,
        },
        Ok(response) if retryable(response.status()) => {
            let status = response.status();
            let asked = retry_after(response.headers());
            retry(Some(status.as_u16()), format!("answered {status}"), asked)
        }
        Ok(response) => Tried {
            status: DeliveryStatus::Failed,
            last_status: Some(response.status().as_u16()),
            last_error: Some(format!(
                "answered {}: not retried (only 5xx, 408 and 429 are; redirects are not followed)",
                response.status()
            )),
            next_attempt_at: None,
        },
        // Without the URL: a receiver's URL may carry its own token.
        Err(e) => retry(None, e.without_url().to_string(), None),
    }
}

fn outcome_label(answer: &Result<reqwest::Response, reqwest::Error>) -> &'static str {
    match answer {
        Ok(r) if r.status().is_success() => "delivered",
        Ok(r) if retryable(r.status()) => "retryable_status",
        Ok(_) => "refused",
        Err(e) if e.is_timeout() => "timeout",
        Err(_) => "unreachable",
    }
}

/// Statuses worth another try: the receiver is down, overloaded or slow, not refusing.
fn retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// Another try after the backoff (or the receiver's `Retry-After`, up to the cap), unless this
/// was the last one: then a dead letter.
fn retry_or_give_up(
    hook: &Webhook,
    attempt: u32,
    last_status: Option<u16>,
    last_error: String,
    asked: Option<Duration>,
) -> Tried {
    if attempt >= hook.max_attempts {
        return Tried {
            status: DeliveryStatus::Failed,
            last_status,
            last_error: Some(format!("{last_error}; gave up after {attempt} tries")),
            next_attempt_at: None,
        };
    }
    let pause = asked.map_or_else(|| hook.backoff(attempt), |d| d.min(hook.max_retry));
    Tried {
        status: DeliveryStatus::Pending,
        last_status,
        last_error: Some(last_error),
        next_attempt_at: Some(OffsetDateTime::now_utc() + pause),
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3); `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap<HeaderValue>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let ahead = at - OffsetDateTime::now_utc();
    Some(Duration::try_from(ahead).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventType;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&headers),
            Some(Duration::ZERO),
            "a past date: now"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn only_outages_are_retried() {
        for code in [500, 502, 503, 504, 408, 429] {
            assert!(retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [301, 302, 400, 401, 404, 410, 422] {
            assert!(!retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn ce_headers_percent_encode_what_http_cannot_carry() {
        let mut event = CloudEvent::new(
            EventType::ServerStateChanged,
            "go grid",
            "servers/a%2Fb".into(),
            serde_json::json!({}),
        );
        event.subject = "servers/é \"x\" 100%".into();
        let headers: std::collections::HashMap<_, _> = ce_headers(&event).into_iter().collect();
        assert_eq!(headers["ce-source"], "/v1/providers/go%2520grid");
        assert_eq!(headers["ce-subject"], "servers/%C3%A9%20%22x%22%20100%25");
        assert_eq!(headers["ce-type"], "cloudgw.server.state_changed");
        assert_eq!(headers["ce-specversion"], "1.0");
    }
}
