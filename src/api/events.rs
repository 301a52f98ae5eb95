//! `/v1/events`: the server-sent events stream of CloudEvents.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Who;
use super::extract::Query;
use super::problem::ApiError;
use crate::events::{Events, Sequenced};
use crate::model::{CloudEvent, EventType, Problem, ServerSentEvent};
use crate::service::Service;

/// The longest stream a client may ask for; the operator's limit may be shorter.
const MAX_TIMEOUT_SECS: u64 = 3600;

/// Query of `GET /v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Only events about this provider.
    pub provider: Option<String>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<EventType>,
    /// End the stream after this many seconds (0: send the missed events, then end). Capped by
    /// the gateway's `--event-stream-max-secs`, which is also the default.
    #[param(minimum = 0, maximum = 3600)]
    pub timeout: Option<u64>,
}

/// Stream events.
///
/// A `text/event-stream` of CloudEvents 1.0 (structured JSON in each event's `data`, the
/// stream position in its `id`) for every state change the gateway causes or observes:
/// operations accepted and changing status, and the servers and volumes they follow changing
/// state. The stream ends after `timeout` seconds; reconnect with `Last-Event-ID` (EventSource
/// does) to receive the events missed in between — across restarts, and from any replica on
/// one database — for as long as the gateway keeps them (`--event-retention-secs`, 7 days by
/// default). When it no longer has all of them, or does not know the id, the stream starts
/// with a `cloudgw.events.missed` event (whatever the `type` filter), then the kept ones.
#[utoipa::path(
    get, path = "/v1/events", operation_id = "stream_events", tag = "events",
    params(
        EventParams,
        ("Last-Event-ID" = Option<String>, Header, nullable = false, pattern = "^[0-9a-f]+-[0-9]+$",
            description = "The `id` of the last event received: the events after it are sent first"),
    ),
    responses((status = 200, content_type = "text/event-stream", body = ServerSentEvent,
        description = "Server-sent events until `timeout`; each event's `data` is one `CloudEvent` as JSON"))
)]
pub async fn stream_events(
    State(service): State<Service>,
    Who(caller): Who,
    headers: HeaderMap,
    Query(params): Query<EventParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let source = match &params.provider {
        Some(p) => Some(CloudEvent::source_of(&service.get_provider(&caller, p)?.id)),
        None => None,
    };
    let last_event_id = last_event_id(&headers)?;
    let events = service.ops().events();
    let lasting = stream_length(events, params.timeout)?;
    let filter = Filter {
        source,
        event_type: params.event_type,
        service: service.clone(),
        caller,
    };
    let subscription = events
        .subscribe(last_event_id.as_deref())
        .await
        .map_err(crate::service::ServiceError::from)?;
    let deadline = tokio::time::sleep(lasting);
    let body = subscription
        .catch_up
        .chain(subscription.live.take_until(deadline))
        .filter(move |e| std::future::ready(filter.admits(&e.event)))
        .map(|e| Ok(sse_event(&e)));
    Ok(Sse::new(body).keep_alive(KeepAlive::default()))
}

struct Filter {
    source: Option<String>,
    event_type: Option<EventType>,
    /// A scoped caller sees the events of its providers only (the service decides).
    service: Service,
    caller: crate::service::Caller,
}

impl Filter {
    fn admits(&self, event: &CloudEvent) -> bool {
        // A client is always told that its history has a hole, whatever it filters on.
        event.event_type == EventType::EventsMissed
            || (self.source.as_ref().is_none_or(|s| *s == event.source)
                && self.event_type.is_none_or(|t| t == event.event_type)
                && self.service.sees_event_source(&self.caller, &event.source))
    }
}

fn last_event_id(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(id) if Events::is_stream_id(id) => Ok(Some(id.to_owned())),
        _ => Err(Problem::bad_request(
            "Last-Event-ID must be the id of an event of this stream (`<stream>-<n>`)",
        )
        .into()),
    }
}

fn stream_length(events: &Events, timeout: Option<u64>) -> Result<Duration, ApiError> {
    let cap = events.max_stream();
    match timeout {
        None => Ok(cap),
        Some(secs) if secs <= MAX_TIMEOUT_SECS => Ok(Duration::from_secs(secs).min(cap)),
        Some(_) => Err(Problem::bad_request(format!(
            "`timeout` must be between 0 and {MAX_TIMEOUT_SECS} seconds"
        ))
        .into()),
    }
}

fn sse_event(e: &Sequenced) -> Event {
    let data = serde_json::to_string(&e.event).unwrap_or_default();
    Event::default().id(e.stream_id.clone()).data(data)
}
