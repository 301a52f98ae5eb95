//! One function per OCCI operation: resolves the location, reads the request rendering with the
//! protocol module, acts on the [`State`] and returns an [`Answer`] for [`super::wire`] to render.

use std::time::Instant;

use axum::http::{HeaderMap, Method, header};

use crate::occi::{self, CategoryId, Entity, MediaType, Message, ids};

use super::entities::{self, Locator};
use super::error::{ErrorKind, SimError};
use super::profile::{Collection, Profile};
use super::state::{ComputeAction, NewCompute, State, StorageAction};

/// What ooi 1.2.0 answers a `text/plain` request body with (captured as `29-…400.http`).
const OOI_MALFORMED: &str = "The server could not comply with the request since it is either malformed or otherwise incorrect.";

/// The request as the handlers need it.
#[derive(Debug)]
pub struct Request<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The path, without query.
    pub path: &'a str,
    /// The raw query string.
    pub query: Option<&'a str>,
    /// The headers (text/occi carries the rendering there).
    pub headers: &'a HeaderMap,
    /// The body as text.
    pub body: &'a str,
}

/// What a request produced, before rendering.
#[derive(Debug)]
pub enum Answer {
    /// `GET /-/`.
    QueryInterface(occi::QueryInterface),
    /// One entity.
    Entity(Entity),
    /// A collection: absolute member locations, the members for JSON, and whether its members
    /// are links (GFD.226 names an empty one `{"links":[]}` then, else `{"resources":[]}`).
    Collection(Vec<String>, Vec<Entity>, bool),
    /// A create: the new entity's absolute location and rendering.
    Created(String, Entity),
    /// An action that was accepted, with the entity as it is now.
    ActionDone(Entity),
    /// A delete.
    Deleted,
}

/// Where a path points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    QueryInterface,
    Collection(Collection),
    Member(Collection, String),
}

fn resolve(profile: Profile, path: &str) -> Option<Target> {
    if path == "/-/" || path == "/.well-known/org/ogf/occi/-/" {
        return Some(Target::QueryInterface);
    }
    Collection::ALL.into_iter().find_map(|c| {
        let base = profile.location(c);
        if path == base || path == base.trim_end_matches('/') {
            return Some(Target::Collection(c));
        }
        let rest = path.strip_prefix(base)?.trim_end_matches('/');
        (!rest.is_empty() && !rest.contains('/')).then(|| Target::Member(c, rest.to_owned()))
    })
}

/// A location in a request (absolute URL or path) as collection and id.
fn member_at(profile: Profile, location: &str) -> Option<(Collection, String)> {
    let path = match location.find("://") {
        Some(i) => {
            let after = &location[i + 3..];
            after.find('/').map_or("/", |p| &after[p..])
        }
        None => location,
    };
    match resolve(profile, path.split('?').next().unwrap_or(path))? {
        Target::Member(c, id) => Some((c, id)),
        _ => None,
    }
}

/// Serves one request.
pub fn serve(
    req: &Request<'_>,
    state: &mut State,
    loc: &Locator,
    now: Instant,
) -> Result<Answer, SimError> {
    let profile = loc.profile();
    let target = resolve(profile, req.path)
        .ok_or_else(|| SimError::not_found(format!("nothing is served at {}", req.path)))?;
    match (req.method, target) {
        (&Method::GET, Target::QueryInterface) => Ok(Answer::QueryInterface(
            entities::query_interface(loc, state.catalog()),
        )),
        (&Method::GET, Target::Collection(c)) => list(state, loc, c, None),
        (&Method::GET, Target::Member(c, id)) => get(state, loc, c, &id),
        (&Method::POST, Target::Collection(c)) => create(req, state, loc, c, now),
        (&Method::POST, Target::Member(c, id)) => match action_term(req.query) {
            Some(term) => act(req, state, loc, c, &id, &term, now),
            None => update(req, state, loc, c, &id),
        },
        (&Method::DELETE, Target::Member(c, id)) => delete(state, c, &id),
        (method, _) => Err(SimError::new(
            ErrorKind::MethodNotAllowed,
            format!("{method} is not allowed on {}", req.path),
        )),
    }
}

fn action_term(query: Option<&str>) -> Option<String> {
    let query = query?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v)
}

fn list(
    state: &State,
    loc: &Locator,
    c: Collection,
    mixin: Option<&str>,
) -> Result<Answer, SimError> {
    let entities: Vec<Entity> = match c {
        Collection::Compute => state
            .computes()
            .iter()
            .map(|x| entities::compute(loc, state, x))
            .collect(),
        Collection::OsTpl | Collection::ResourceTpl | Collection::Zone => state
            .computes()
            .iter()
            .filter(|x| {
                let term = match c {
                    Collection::OsTpl => x.os_tpl,
                    Collection::ResourceTpl => x.resource_tpl,
                    _ => x.zone,
                };
                term.is_some() && (mixin.is_none() || term == mixin)
            })
            .map(|x| entities::compute(loc, state, x))
            .collect(),
        Collection::Storage => state
            .storages()
            .iter()
            .map(|s| entities::storage(loc, s))
            .collect(),
        Collection::StorageLink => state
            .links()
            .iter()
            .map(|l| entities::storage_link(loc, l))
            .collect(),
        Collection::NetworkInterface => state
            .computes()
            .iter()
            .flat_map(|x| {
                x.nics
                    .iter()
                    .map(move |n| entities::network_interface(loc, state.catalog(), x, n))
            })
            .collect(),
        Collection::Network => state
            .catalog()
            .networks
            .iter()
            .map(|n| entities::network(loc, n))
            .collect(),
    };
    let locations = entities
        .iter()
        .filter_map(|e| e.location.as_deref())
        .map(|l| absolute(loc, l))
        .collect();
    let links = matches!(c, Collection::StorageLink | Collection::NetworkInterface);
    Ok(Answer::Collection(locations, entities, links))
}

/// A location rendered by the profile, made absolute for `X-OCCI-Location` and uri-lists.
fn absolute(loc: &Locator, location: &str) -> String {
    if location.starts_with('/') {
        loc.absolute(location)
    } else {
        location.to_owned()
    }
}

fn get(state: &State, loc: &Locator, c: Collection, id: &str) -> Result<Answer, SimError> {
    let entity = match c {
        Collection::Compute => entities::compute(loc, state, state.compute(id)?),
        Collection::Storage => entities::storage(loc, state.storage(id)?),
        Collection::StorageLink => entities::storage_link(loc, state.link(id)?),
        Collection::NetworkInterface => {
            let (compute, nic) = state.nic(id)?;
            entities::network_interface(loc, state.catalog(), compute, nic)
        }
        Collection::Network => {
            let network = state
                .catalog()
                .network(id)
                .ok_or_else(|| SimError::not_found(format!("network {id} does not exist")))?;
            entities::network(loc, network)
        }
        Collection::OsTpl | Collection::ResourceTpl | Collection::Zone => {
            return list(state, loc, c, Some(id));
        }
    };
    Ok(Answer::Entity(entity))
}

/// The rendering of the request body: from `Content-Type` (rOCCI sends `text/plain,text/occi`),
/// else text/occi when the headers carry a `Category`, else text/plain.
fn request_media_type(req: &Request<'_>, profile: Profile) -> Result<MediaType, SimError> {
    let Some(raw) = req.headers.get(header::CONTENT_TYPE) else {
        return Ok(if req.headers.contains_key("category") {
            MediaType::TextOcci
        } else {
            MediaType::TextPlain
        });
    };
    let raw = raw.to_str().unwrap_or_default();
    let media = raw
        .split(',')
        .find_map(MediaType::from_content_type)
        .ok_or_else(|| {
            SimError::new(
                ErrorKind::UnsupportedMediaType,
                format!("the request rendering '{raw}' is not understood"),
            )
        })?;
    match media {
        MediaType::OcciJson if !profile.speaks_occi_1_2() => Err(SimError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "{} speaks OCCI 1.1: no application/occi+json",
                profile.name()
            ),
        )),
        MediaType::UriList => Err(SimError::new(
            ErrorKind::UnsupportedMediaType,
            "a request cannot be rendered as text/uri-list",
        )),
        MediaType::TextPlain
            if profile.refuses_text_plain_bodies() && !req.body.trim().is_empty() =>
        {
            Err(SimError::bad_request(OOI_MALFORMED))
        }
        m => Ok(m),
    }
}

fn message<'a>(req: &'a Request<'_>, media_type: MediaType) -> Message<'a> {
    Message {
        media_type,
        headers: req.headers,
        body: req.body,
    }
}

fn parse_entity(req: &Request<'_>, profile: Profile) -> Result<Entity, SimError> {
    let media = request_media_type(req, profile)?;
    occi::parse_entity(&message(req, media)).map_err(|e| SimError::bad_request(e.to_string()))
}

fn not_registered(id: &CategoryId) -> SimError {
    SimError::bad_request(format!(
        "The following category is not registered within this service (See Query interfaces): {}",
        id.type_id()
    ))
}

fn expect_kind(entity: &Entity, term: &str) -> Result<(), SimError> {
    let known = [
        "compute",
        "storage",
        "storagelink",
        "network",
        "networkinterface",
    ];
    if entity.kind.scheme != ids::INFRA || !known.contains(&entity.kind.term.as_str()) {
        return Err(not_registered(&entity.kind));
    }
    if entity.kind.term != term {
        return Err(SimError::bad_request(format!(
            "Expecting {} kind, but found {}",
            ids::infra(term).type_id(),
            entity.kind.type_id()
        )));
    }
    Ok(())
}

fn create(
    req: &Request<'_>,
    state: &mut State,
    loc: &Locator,
    c: Collection,
    now: Instant,
) -> Result<Answer, SimError> {
    let profile = loc.profile();
    let entity = parse_entity(req, profile)?;
    let created = match c {
        Collection::Compute => create_compute(&entity, state, loc, now)?,
        Collection::Storage => {
            expect_kind(&entity, "storage")?;
            let size = entity
                .attributes
                .number("occi.storage.size")
                .filter(|s| *s > 0.0)
                .ok_or_else(|| {
                    SimError::bad_request("occi.storage.size (GB, above 0) is required")
                })?;
            let s = state.create_storage(entity.title(), size).clone();
            entities::storage(loc, &s)
        }
        Collection::StorageLink => {
            expect_kind(&entity, "storagelink")?;
            let link = link_ends(&entity, profile).and_then(|(compute, storage)| {
                let deviceid = entity.attributes.text("occi.storagelink.deviceid");
                state.create_link(&compute, &storage, deviceid).cloned()
            })?;
            entities::storage_link(loc, &link)
        }
        other => {
            return Err(SimError::bad_request(format!(
                "the cloudgw OCCI simulator does not create entities in {}",
                profile.location(other)
            )));
        }
    };
    let location = absolute(loc, created.location.as_deref().unwrap_or_default());
    Ok(Answer::Created(location, created))
}

/// The compute and storage ids a storage link joins.
fn link_ends(entity: &Entity, profile: Profile) -> Result<(String, String), SimError> {
    let end = |value: Option<String>, name: &str, want: Collection| {
        let value =
            value.ok_or_else(|| SimError::bad_request(format!("occi.core.{name} is required")))?;
        match member_at(profile, &value) {
            Some((c, id)) if c == want => Ok(id),
            _ => Err(SimError::bad_request(format!(
                "occi.core.{name} '{value}' is not a {} location",
                profile.location(want)
            ))),
        }
    };
    Ok((
        end(entity.source(), "source", Collection::Compute)?,
        end(entity.target(), "target", Collection::Storage)?,
    ))
}

fn create_compute(
    entity: &Entity,
    state: &mut State,
    loc: &Locator,
    now: Instant,
) -> Result<Entity, SimError> {
    let profile = loc.profile();
    expect_kind(entity, "compute")?;
    let catalog = state.catalog();
    let mut new = NewCompute {
        title: entity.title(),
        hostname: entity.attributes.text("occi.compute.hostname"),
        ..NewCompute::default()
    };
    for m in &entity.mixins {
        if m.scheme == catalog.os_scheme
            && let Some(t) = catalog.os_template(&m.term)
        {
            new.os_tpl = Some(t.term);
        } else if m.scheme == catalog.resource_scheme
            && let Some(t) = catalog.resource_template(&m.term)
        {
            new.resource_tpl = Some(t.term);
        } else if m.scheme == catalog.zone_scheme
            && let Some(z) = catalog.zone(&m.term)
        {
            new.zone = Some(z.term);
        } else if let Some((index, context)) = catalog.context(&m.scheme, &m.term) {
            let value = entity
                .attributes
                .text(context.attribute)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    SimError::bad_request(format!(
                        "mixin {} requires attribute {}",
                        m.type_id(),
                        context.attribute
                    ))
                })?;
            new.contexts.push((index, value));
        } else {
            return Err(not_registered(m));
        }
    }
    if profile == Profile::Ooi && new.os_tpl.is_none() {
        return Err(SimError::bad_request(
            "Found no OS template mixin (os_tpl) in the request",
        ));
    }
    if let Some(cores) = entity.attributes.number("occi.compute.cores") {
        if cores < 1.0 || cores.fract() != 0.0 || cores > 1024.0 {
            return Err(SimError::bad_request(format!(
                "occi.compute.cores must be a whole number from 1 to 1024, not {cores}"
            )));
        }
        new.cores = Some(cores as u32);
    }
    if let Some(memory) = entity.attributes.number("occi.compute.memory") {
        if memory <= 0.0 {
            return Err(SimError::bad_request("occi.compute.memory must be above 0"));
        }
        new.memory_gib = Some(entities::memory_gib_from(profile, memory));
    }
    // Inline links to existing storage are attached at create (pyssf's `17-…` exchange).
    let mut attach = Vec::new();
    for link in &entity.links {
        match member_at(profile, &link.target) {
            Some((Collection::Storage, id)) => {
                state.storage(&id)?;
                if let Some(link) = state.link_of_storage(&id) {
                    return Err(SimError::not_applicable(format!(
                        "storage {id} is already attached to compute {}",
                        link.compute
                    )));
                }
                attach.push((id, link.attributes.text("occi.storagelink.deviceid")));
            }
            _ => {
                return Err(SimError::bad_request(format!(
                    "an inline link at create must target a storage, not '{}'",
                    link.target
                )));
            }
        }
    }
    let id = state.create_compute(new, now).id.clone();
    for (storage, deviceid) in attach {
        state.create_link(&id, &storage, deviceid)?;
    }
    Ok(entities::compute(loc, state, state.compute(&id)?))
}

/// `POST` to an entity without `?action=`: a partial update. Only a compute's resource_tpl can
/// change (rOCCI's resize), which sets its cores and memory.
fn update(
    req: &Request<'_>,
    state: &mut State,
    loc: &Locator,
    c: Collection,
    id: &str,
) -> Result<Answer, SimError> {
    if c != Collection::Compute {
        return Err(SimError::bad_request(format!(
            "the cloudgw OCCI simulator does not update entities in {}",
            loc.profile().location(c)
        )));
    }
    state.compute(id)?;
    // A mixin-only body has no kind; the parser then takes the first category as the kind.
    let entity = parse_entity(req, loc.profile())?;
    let mut named = std::iter::once(&entity.kind)
        .chain(&entity.mixins)
        .filter(|m| **m != ids::infra("compute"));
    let first = named
        .next()
        .ok_or_else(|| SimError::bad_request("the update names no resource_tpl mixin"))?;
    if let Some(other) = named.next() {
        return Err(SimError::bad_request(format!(
            "only a compute's resource_tpl can change; {} cannot be added",
            other.type_id()
        )));
    }
    let catalog = state.catalog();
    let size = (first.scheme == catalog.resource_scheme)
        .then(|| catalog.resource_template(&first.term))
        .flatten()
        .ok_or_else(|| not_registered(first))?;
    state.resize(id, size.term, size.cores, size.memory_gib)?;
    Ok(Answer::Entity(entities::compute(
        loc,
        state,
        state.compute(id)?,
    )))
}

fn act(
    req: &Request<'_>,
    state: &mut State,
    loc: &Locator,
    c: Collection,
    id: &str,
    term: &str,
    now: Instant,
) -> Result<Answer, SimError> {
    let profile = loc.profile();
    let expected = match c {
        Collection::Compute => ids::compute_action(term),
        Collection::Storage => CategoryId::new(ids::STORAGE_ACTION, term),
        _ => {
            return Err(SimError::bad_request(format!(
                "no actions are defined on {}",
                profile.location(c)
            )));
        }
    };
    let has_rendering = !req.body.trim().is_empty() || req.headers.contains_key("category");
    let invocation = if has_rendering {
        let media = request_media_type(req, profile)?;
        Some(
            occi::parse_action(&message(req, media))
                .map_err(|e| SimError::bad_request(e.to_string()))?,
        )
    } else {
        None
    };
    if let Some(inv) = &invocation
        && inv.action != expected
    {
        return Err(SimError::bad_request(format!(
            "Schema does not match. Expecting '{}', but found '{}'.",
            expected.type_id(),
            inv.action.type_id()
        )));
    }
    let method = invocation
        .as_ref()
        .and_then(|i| i.attributes.text("method"));
    let entity = match c {
        Collection::Compute => {
            let action = ComputeAction::from_term(term).ok_or_else(|| not_registered(&expected))?;
            state.act(id, action, method.as_deref(), now)?;
            entities::compute(loc, state, state.compute(id)?)
        }
        _ => {
            let action = StorageAction::from_term(term).ok_or_else(|| not_registered(&expected))?;
            state.act_on_storage(id, action)?;
            entities::storage(loc, state.storage(id)?)
        }
    };
    Ok(Answer::ActionDone(entity))
}

fn delete(state: &mut State, c: Collection, id: &str) -> Result<Answer, SimError> {
    match c {
        Collection::Compute => state.delete_compute(id)?,
        Collection::Storage => state.delete_storage(id)?,
        Collection::StorageLink => state.delete_link(id)?,
        _ => {
            return Err(SimError::new(
                ErrorKind::MethodNotAllowed,
                "the simulator deletes computes, storage and storage links only",
            ));
        }
    }
    Ok(Answer::Deleted)
}
