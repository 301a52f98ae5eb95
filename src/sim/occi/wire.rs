//! From [`Answer`]s and [`SimError`]s to HTTP answers, the way the profile's server writes
//! them: content negotiation, status codes, `Server`, create and action answer styles, error
//! bodies. The renderings themselves come from the protocol module.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::occi::{self, Collection as OcciCollection, MediaType, Rendered};

use super::api::Answer;
use super::error::{ErrorKind, SimError};
use super::profile::{CreateAnswer, DoneAnswer, ErrorStyle, Profile};

/// The rendering to answer in, from `Accept` (q-values honoured, ties in order). `*/*`,
/// `text/*` and no `Accept` mean text/plain. `uri_list_ok` is false where no uri-list exists
/// (text/uri-list then falls back to text/plain when nothing else is acceptable).
pub fn negotiate(headers: &HeaderMap, profile: Profile) -> Result<MediaType, SimError> {
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(MediaType::TextPlain);
    };
    let mut offers: Vec<(f32, usize, MediaType)> = Vec::new();
    for (order, item) in accept.split(',').enumerate() {
        let mut parts = item.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match essence.as_str() {
            "*/*" | "text/*" => Some(MediaType::TextPlain),
            "application/occi+json" | "application/json" if profile.speaks_occi_1_2() => {
                Some(MediaType::OcciJson)
            }
            other => MediaType::from_content_type(other).filter(|m| *m != MediaType::OcciJson),
        };
        if let Some(m) = media
            && q > 0.0
        {
            offers.push((q, order, m));
        }
    }
    offers
        .into_iter()
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, _, m)| m)
        .ok_or_else(|| {
            SimError::new(
                ErrorKind::NotAcceptable,
                format!("This service is unable to understand the  mime type: '{accept}'"),
            )
        })
}

fn content_type(profile: Profile, media: MediaType) -> HeaderValue {
    let value = format!("{}{}", media.as_str(), profile.charset_suffix());
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("text/plain"))
}

fn base_response(profile: Profile, status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::SERVER,
        HeaderValue::from_static(profile.server_header()),
    );
    response
}

fn rendered_response(profile: Profile, status: StatusCode, rendered: Rendered) -> Response {
    let media = rendered.media_type;
    let mut extra = rendered.header_map();
    extra.remove(header::CONTENT_TYPE);
    let mut response = base_response(profile, status, rendered.body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(profile, media));
    for (name, value) in &extra {
        headers.append(name, value.clone());
    }
    response
}

fn text_response(profile: Profile, status: StatusCode, text: &str) -> Response {
    let mut response = base_response(profile, status, text.to_owned());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        content_type(profile, MediaType::TextPlain),
    );
    response
}

fn collection(locations: Vec<String>, entities: Vec<occi::Entity>) -> OcciCollection {
    OcciCollection {
        locations,
        entities,
    }
}

/// ooi writes the link's own URL in the `<…>` of inline links (text renderings only; its
/// `occi.core.target` attribute stays right).
fn spelled(profile: Profile, media: MediaType, mut entity: occi::Entity) -> occi::Entity {
    // GFD.226 link entities carry their target's kind (`target.kind`; the protocol model keeps
    // it as `occi.core.target.kind`).
    if profile.speaks_occi_1_2() && media == MediaType::OcciJson {
        let target_kind = match entity.kind.term.as_str() {
            "storagelink" => Some("storage"),
            "networkinterface" => Some("network"),
            _ => None,
        };
        if let Some(term) = target_kind {
            entity
                .attributes
                .set(occi::attr::TARGET_KIND, occi::ids::infra(term).type_id());
        }
    }
    if profile.link_url_is_self() && media != MediaType::OcciJson {
        for link in &mut entity.links {
            if let Some(own) = &link.self_location {
                link.target.clone_from(own);
            }
        }
    }
    entity
}

/// The HTTP answer for a successful request.
pub fn answer(profile: Profile, media: MediaType, answer: Answer) -> Response {
    let answer = match answer {
        Answer::Entity(e) => Answer::Entity(spelled(profile, media, e)),
        Answer::ActionDone(e) => Answer::ActionDone(spelled(profile, media, e)),
        other => other,
    };
    match answer {
        Answer::QueryInterface(qi) => rendered_response(
            profile,
            StatusCode::OK,
            occi::render_query_interface(&qi, media),
        ),
        Answer::Entity(e) => {
            rendered_response(profile, StatusCode::OK, occi::render_entity(&e, media))
        }
        Answer::Collection(locations, _, _)
            if locations.is_empty() && profile.empty_collection_is_no_content() =>
        {
            rendered_response(
                profile,
                StatusCode::NO_CONTENT,
                Rendered {
                    media_type: MediaType::TextPlain,
                    headers: Vec::new(),
                    body: String::new(),
                },
            )
        }
        Answer::Collection(locations, entities, links) => {
            let c = if media == MediaType::OcciJson {
                collection(Vec::new(), entities)
            } else {
                collection(locations, Vec::new())
            };
            let rendered = if media == MediaType::OcciJson && c.entities.is_empty() {
                // GFD.226's resource and link collections require their array, empty or not.
                let key = if links { "links" } else { "resources" };
                Rendered {
                    media_type: media,
                    headers: Vec::new(),
                    body: serde_json::json!({ key: [] }).to_string(),
                }
            } else {
                occi::render_collection(&c, media)
            };
            rendered_response(profile, StatusCode::OK, rendered)
        }
        Answer::Created(location, entity) => created(profile, media, location, entity),
        Answer::ActionDone(entity) => done(profile, media, profile.action_answer(), Some(entity)),
        Answer::Deleted => done(profile, media, profile.delete_answer(), None),
    }
}

fn created(profile: Profile, media: MediaType, location: String, entity: occi::Entity) -> Response {
    let location_header = HeaderValue::from_str(&location).ok();
    let mut response = match (profile.create_answer(), media) {
        (CreateAnswer::CreatedWithOk, _) => text_response(profile, StatusCode::CREATED, "OK"),
        (CreateAnswer::CreatedWithLocationBody, MediaType::OcciJson) => rendered_response(
            profile,
            StatusCode::CREATED,
            occi::render_entity(&entity, media),
        ),
        (CreateAnswer::OkWithLocationBody, MediaType::OcciJson) => rendered_response(
            profile,
            StatusCode::OK,
            occi::render_collection(&collection(Vec::new(), vec![entity]), media),
        ),
        (style, _) => {
            let status = if style == CreateAnswer::OkWithLocationBody {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let text = if media == MediaType::UriList {
                MediaType::UriList
            } else {
                MediaType::TextPlain
            };
            // ooi and rOCCI answer text/occi requests with the location in the body too.
            let rendered =
                occi::render_collection(&collection(vec![location.clone()], Vec::new()), text);
            rendered_response(profile, status, rendered)
        }
    };
    // pyssf sends `Location`; rOCCI does for JSON answers only (its text answers carry the
    // location in the body); ooi never.
    let sends_location = match profile.create_answer() {
        CreateAnswer::CreatedWithOk => true,
        CreateAnswer::CreatedWithLocationBody => media == MediaType::OcciJson,
        CreateAnswer::OkWithLocationBody => false,
    };
    if sends_location && let Some(value) = location_header {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn done(
    profile: Profile,
    media: MediaType,
    style: DoneAnswer,
    entity: Option<occi::Entity>,
) -> Response {
    match (style, entity) {
        (DoneAnswer::OkWithEntity, Some(e)) => {
            rendered_response(profile, StatusCode::OK, occi::render_entity(&e, media))
        }
        (DoneAnswer::OkText, _) => text_response(profile, StatusCode::OK, "OK"),
        (DoneAnswer::NoContent, _) => text_response(profile, StatusCode::NO_CONTENT, ""),
        (DoneAnswer::OkEmpty, _) => {
            // rOCCI-server names the negotiated rendering even with nothing in it (the JSON
            // cassettes' deletes and actions answer `application/occi+json`).
            let mut r = base_response(profile, StatusCode::OK, String::new());
            r.headers_mut()
                .insert(header::CONTENT_TYPE, content_type(profile, media));
            r
        }
        _ => text_response(profile, StatusCode::OK, ""),
    }
}

/// The HTTP answer for a failure. `json` says whether the client speaks JSON (ooi answers its
/// faults in JSON then).
pub fn error(
    profile: Profile,
    err: &SimError,
    path: &str,
    json: bool,
    token_auth: bool,
) -> Response {
    let status = match err.kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::NotApplicable => {
            StatusCode::from_u16(profile.not_applicable_status()).unwrap_or(StatusCode::CONFLICT)
        }
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let text = profile.error_message(err, path);
    let mut response = match profile.error_style() {
        ErrorStyle::JsonOrPlain if json => {
            let body = serde_json::json!({"code": status.as_u16(), "message": text});
            let mut r = base_response(profile, status, body.to_string());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                content_type(profile, MediaType::OcciJson),
            );
            r
        }
        ErrorStyle::OcciErrorHeader => {
            let mut r = text_response(profile, status, &text);
            if let Ok(v) = HeaderValue::from_str(&text.replace(['\r', '\n'], " ")) {
                r.headers_mut().insert("x-occi-error", v);
            }
            r
        }
        _ => text_response(profile, status, &text),
    };
    if err.kind == ErrorKind::Unauthorized {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(profile.www_authenticate(token_auth)),
        );
    }
    response
}
