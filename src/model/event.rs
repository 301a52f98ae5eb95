use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A CloudEvents 1.0 event (structured JSON mode): a state change the gateway observed or
/// caused. Each event of `GET /v1/events` carries one as its `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "specversion": "1.0",
    "id": "6f1c1f5e-5d0c-4a43-9a43-0c9f6c3e2b1a",
    "source": "/v1/providers/gogrid",
    "type": "cloudgw.server.state_changed",
    "subject": "servers/web-1",
    "time": "2026-01-01T12:00:00Z",
    "datacontenttype": "application/json",
    "data": {"id": "web-1", "provider": "gogrid", "name": "web-1", "state": "running"}
}))]
pub struct CloudEvent {
    /// The CloudEvents specification version: always `1.0`.
    pub specversion: String,
    /// Unique id of this event (a UUID).
    pub id: String,
    /// Where the change happened: `/v1/providers/{provider}`.
    pub source: String,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The resource that changed, relative to `source`: `servers/{id}`, `volumes/{id}` or
    /// `operations/{id}` (ids percent-encoded).
    pub subject: String,
    /// When the gateway saw the change (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub time: OffsetDateTime,
    /// The media type of `data`: always `application/json`.
    pub datacontenttype: String,
    /// The resource as it was after the change: a `Server`, `Volume` or `Operation` object
    /// according to `type`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// The kinds of events the gateway emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// An operation was accepted or its status changed; `data` is the `Operation`.
    #[serde(rename = "cloudgw.operation.status_changed")]
    OperationStatusChanged,
    /// A server the gateway follows was seen in a new state; `data` is the `Server`.
    #[serde(rename = "cloudgw.server.state_changed")]
    ServerStateChanged,
    /// A volume the gateway follows was seen in a new state; `data` is the `Volume`.
    #[serde(rename = "cloudgw.volume.state_changed")]
    VolumeStateChanged,
    /// Sent first on `GET /v1/events` when the events after the client's `Last-Event-ID` are
    /// no longer all kept (`reason` `expired`: older than the retention period) or the id is
    /// not one of this gateway's (`unknown`). `data`: `{last_event_id, reason, resumes_after}`;
    /// the kept events after `resumes_after` follow. Sent whatever the `type` filter.
    #[serde(rename = "cloudgw.events.missed")]
    EventsMissed,
}

impl CloudEvent {
    /// An event of `event_type` about `subject` at `provider`, carrying `data`.
    pub fn new(
        event_type: EventType,
        provider: &str,
        subject: String,
        data: serde_json::Value,
    ) -> CloudEvent {
        CloudEvent {
            specversion: "1.0".into(),
            id: uuid::Uuid::new_v4().to_string(),
            source: CloudEvent::source_of(provider),
            event_type,
            subject,
            time: OffsetDateTime::now_utc(),
            datacontenttype: "application/json".into(),
            data,
        }
    }

    /// The `source` of the events about `provider`: the URI-reference design.md §2 gives every
    /// event (part of the CloudEvents format of the gateway, not a link a front end serves).
    pub fn source_of(provider: &str) -> String {
        format!("/v1/providers/{}", event_segment(provider))
    }

    /// The `subject` of the events about one resource: `servers/{id}`, `volumes/{id}`, the id
    /// percent-encoded so that it stays one segment.
    pub fn subject_of(kind: super::ResourceKind, id: &str) -> String {
        format!("{}/{}", kind.collection(), event_segment(id))
    }
}

/// The OpenAPI schema of one event of the `GET /v1/events` stream (`text/event-stream`):
/// its `id`, and its `data` holding one [`CloudEvent`] as JSON.
pub struct ServerSentEvent;

impl utoipa::PartialSchema for ServerSentEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{Ref, RefOr};
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
        };
        ObjectBuilder::new()
            .description(Some(
                "One server-sent event of the `GET /v1/events` stream: its `id` and its `data`, a \
                 CloudEvent as JSON.",
            ))
            .property(
                "id",
                text(
                    "The event's position in the stream (`<stream>-<n>`): send it back as \
                      `Last-Event-ID` to resume after it.",
                ),
            )
            .property(
                "event",
                text("The SSE event name: the default, `message`, for every event."),
            )
            .property(
                "data",
                text("One `CloudEvent`, as JSON.")
                    .content_media_type("application/json")
                    .content_schema(Some(RefOr::Ref(Ref::from_schema_name("CloudEvent")))),
            )
            .required("id")
            .required("data")
            .into()
    }
}

impl utoipa::ToSchema for ServerSentEvent {}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one segment of an event's `source` or `subject`.
fn event_segment(raw: &str) -> String {
    percent_encoding::utf8_percent_encode(raw, SEGMENT).to_string()
}
