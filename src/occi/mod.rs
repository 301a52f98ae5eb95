//! The OCCI protocol (Open Cloud Computing Interface 1.1 and 1.2): its model and its renderings,
//! for both directions — the `occi` driver parses what servers answer and renders requests; the
//! OCCI simulator parses requests and renders answers.
//!
//! Renderings ([`MediaType`]):
//! - `text/plain`: `Category:` / `Link:` / `X-OCCI-Attribute:` / `X-OCCI-Location:` lines in
//!   the body (GFD.185).
//! - `text/occi`: the same lines as HTTP headers, repeated or comma-joined, any header casing.
//! - `text/uri-list`: locations, one a line, `#` lines are comments (RFC 2483).
//! - `application/occi+json`: GFD.226. The pre-standard JSON that rOCCI 3/4 and pyssf served
//!   under the same media type (nested attribute objects, bare arrays, `"muttable"` flags) is
//!   parsed too ([`JsonDialect::PreStandard`]) but never rendered.
//!
//! Parsing is lenient, as real servers require: `;` with or without spaces, a trailing `;`,
//! quoted or bare values, numbers as strings, commas inside quotes, space-separated inline link
//! attributes (rOCCI 4), absolute or relative locations.
//!
//! Entry points: `parse_*` take a [`Message`] (media type, headers, body) and `render_*` give a
//! [`Rendered`] (content type, headers, body) for each of the model's message types.

mod json;
mod legacy_json;
mod model;
mod text;
mod uri_list;

#[cfg(test)]
pub(crate) mod fixture_tests;

pub use json::{JsonDialect, json_dialect};
pub use model::{
    ActionInvocation, AttributeDef, AttributeValue, Attributes, Category, CategoryClass,
    CategoryId, Collection, Entity, Link, QueryInterface, attr, ids, last_segment,
};

use http::HeaderMap;

/// The OCCI renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `text/plain`: OCCI lines in the body.
    TextPlain,
    /// `text/occi`: OCCI lines as HTTP headers.
    TextOcci,
    /// `text/uri-list`: locations only.
    UriList,
    /// `application/occi+json` (GFD.226; pre-standard JSON is parsed too).
    OcciJson,
}

impl MediaType {
    /// The media type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::TextPlain => "text/plain",
            MediaType::TextOcci => "text/occi",
            MediaType::UriList => "text/uri-list",
            MediaType::OcciJson => "application/occi+json",
        }
    }

    /// The rendering named by a `Content-Type` value (parameters and case ignored);
    /// `application/json` counts as OCCI JSON. `None` for anything else.
    pub fn from_content_type(value: &str) -> Option<MediaType> {
        let essence = value.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/plain" => Some(MediaType::TextPlain),
            "text/occi" => Some(MediaType::TextOcci),
            "text/uri-list" => Some(MediaType::UriList),
            "application/occi+json" | "application/json" => Some(MediaType::OcciJson),
            _ => None,
        }
    }
}

/// A rendering the parsers could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

impl ParseError {
    /// A parse error saying `message`.
    pub fn new(message: impl Into<String>) -> ParseError {
        ParseError(message.into())
    }
}

/// The parts of an HTTP message (request or answer) the parsers read.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The rendering (from `Content-Type`; callers pick `text/plain` when it is missing).
    pub media_type: MediaType,
    /// The message's headers (text/occi carries the rendering there).
    pub headers: &'a HeaderMap,
    /// The body as text.
    pub body: &'a str,
}

/// A rendering ready to send: the content type, headers to add, and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The rendering used.
    pub media_type: MediaType,
    /// Headers to add (text/occi: the OCCI lines, one header each).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl Rendered {
    /// A `HeaderMap` of [`Rendered::headers`] plus `Content-Type`; values that are not valid
    /// header values (control characters) are left out.
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(self.media_type.as_str()) {
            map.insert(http::header::CONTENT_TYPE, v);
        }
        for (name, value) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                map.append(n, v);
            }
        }
        map
    }
}

/// Parses a query interface (`GET /-/`).
pub fn parse_query_interface(msg: &Message<'_>) -> Result<QueryInterface, ParseError> {
    match msg.media_type {
        MediaType::OcciJson => json::parse_query_interface(msg.body),
        MediaType::UriList => Err(ParseError::new(
            "a query interface cannot be rendered as text/uri-list",
        )),
        _ => text::parse_query_interface(&text::lines_of(msg)),
    }
}

/// Parses one entity (resource or link).
pub fn parse_entity(msg: &Message<'_>) -> Result<Entity, ParseError> {
    match msg.media_type {
        MediaType::OcciJson => json::parse_entity(msg.body),
        MediaType::UriList => Err(ParseError::new(
            "an entity cannot be rendered as text/uri-list",
        )),
        _ => text::parse_entity(&text::lines_of(msg)),
    }
}

/// Parses a collection (`GET /compute/`) or the locations of a create answer. An empty body is
/// an empty collection.
pub fn parse_collection(msg: &Message<'_>) -> Result<Collection, ParseError> {
    match msg.media_type {
        MediaType::OcciJson => json::parse_collection(msg.body),
        MediaType::UriList => Ok(Collection {
            locations: uri_list::parse(msg.body),
            entities: Vec::new(),
        }),
        _ => Ok(text::parse_collection(&text::lines_of(msg))),
    }
}

/// Parses an action invocation (`POST …?action=`).
pub fn parse_action(msg: &Message<'_>) -> Result<ActionInvocation, ParseError> {
    match msg.media_type {
        MediaType::OcciJson => json::parse_action(msg.body),
        MediaType::UriList => Err(ParseError::new(
            "an action cannot be rendered as text/uri-list",
        )),
        _ => text::parse_action(&text::lines_of(msg)),
    }
}

/// Renders a query interface; text/uri-list falls back to text/plain.
pub fn render_query_interface(qi: &QueryInterface, media_type: MediaType) -> Rendered {
    match media_type {
        MediaType::OcciJson => json_rendered(json::render_query_interface(qi)),
        other => text::rendered(text_type(other), text::query_interface_lines(qi)),
    }
}

/// Renders an entity; text/uri-list falls back to text/plain.
pub fn render_entity(entity: &Entity, media_type: MediaType) -> Rendered {
    match media_type {
        MediaType::OcciJson => json_rendered(json::render_entity(entity)),
        other => text::rendered(text_type(other), text::entity_lines(entity)),
    }
}

/// Renders a collection: locations in text renderings, `{"resources":[…]}` (or a bare array of
/// locations when no entities are given) in JSON.
pub fn render_collection(collection: &Collection, media_type: MediaType) -> Rendered {
    match media_type {
        MediaType::OcciJson => json_rendered(json::render_collection(collection)),
        MediaType::UriList => Rendered {
            media_type,
            headers: Vec::new(),
            body: uri_list::render(&collection.locations),
        },
        other => text::rendered(other, text::location_lines(&collection.locations)),
    }
}

/// Renders an action invocation; text/uri-list falls back to text/plain.
pub fn render_action(action: &ActionInvocation, media_type: MediaType) -> Rendered {
    match media_type {
        MediaType::OcciJson => json_rendered(json::render_action(action)),
        other => text::rendered(text_type(other), text::action_lines(action)),
    }
}

fn text_type(media_type: MediaType) -> MediaType {
    match media_type {
        MediaType::TextOcci => MediaType::TextOcci,
        _ => MediaType::TextPlain,
    }
}

fn json_rendered(value: serde_json::Value) -> Rendered {
    Rendered {
        media_type: MediaType::OcciJson,
        headers: Vec::new(),
        body: value.to_string(),
    }
}
