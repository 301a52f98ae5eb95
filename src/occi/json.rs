//! `application/occi+json` as GFD.226 (OCCI 1.2) specifies it, read leniently (a `term` may be
//! a number, as ooi renders flavours; a `pattern` may be a string or an object). Bodies in the
//! pre-standard JSON of rOCCI 3/4 and pyssf are recognised ([`json_dialect`]) and handed to
//! [`super::legacy_json`].

use serde_json::{Map, Value, json};

use super::ParseError;
use super::legacy_json;
use super::model::{
    ActionInvocation, AttributeDef, AttributeValue, Attributes, Category, CategoryClass,
    CategoryId, Collection, Entity, Link, QueryInterface, attr,
};

/// Which JSON an `application/occi+json` body is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonDialect {
    /// GFD.226 (OCCI 1.2).
    Gfd226,
    /// The pre-standard rendering of rOCCI 3/4 and pyssf: nested attribute objects
    /// (`{"occi":{"core":{…}}}`), bare arrays, `related`, attribute flags as strings
    /// (`"muttable"`), kinds as objects inside entities.
    PreStandard,
}

/// The dialect of a JSON body; `None` when it is not JSON at all.
pub fn json_dialect(body: &str) -> Option<JsonDialect> {
    serde_json::from_str::<Value>(body)
        .ok()
        .map(|v| dialect(&v))
}

pub(crate) fn dialect(value: &Value) -> JsonDialect {
    if is_pre_standard(value) {
        JsonDialect::PreStandard
    } else {
        JsonDialect::Gfd226
    }
}

/// Markers no GFD.226 body has.
fn is_pre_standard(value: &Value) -> bool {
    match value {
        // A bare array of categories or entities (pyssf); a bare array of strings is rOCCI 2's
        // GFD.226-era list of locations.
        Value::Array(items) => items.iter().any(Value::is_object),
        Value::Object(map) => {
            if map.contains_key("related") {
                return true;
            }
            if map.get("kind").is_some_and(Value::is_object) {
                return true;
            }
            if map.get("attributes").is_some_and(has_legacy_attributes) {
                return true;
            }
            ["kinds", "mixins", "actions", "resources", "links"]
                .iter()
                .filter_map(|k| map.get(*k).and_then(Value::as_array))
                .flatten()
                .any(is_pre_standard)
        }
        _ => false,
    }
}

/// Attributes as nested namespaces (`{"occi":{…}}`) or flags as strings (`"muttable"`).
fn has_legacy_attributes(attrs: &Value) -> bool {
    let Some(map) = attrs.as_object() else {
        return false;
    };
    map.iter().any(|(name, value)| {
        let flag_string = matches!(
            value.as_str(),
            Some("muttable" | "mutable" | "immutable" | "required")
        );
        let namespace = !name.contains('.')
            && value
                .as_object()
                .is_some_and(|o| o.values().any(Value::is_object) && !is_attribute_def(o));
        flag_string || namespace
    })
}

fn is_attribute_def(map: &Map<String, Value>) -> bool {
    [
        "type",
        "mutable",
        "required",
        "default",
        "pattern",
        "description",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

fn parse_value(body: &str) -> Result<Value, ParseError> {
    serde_json::from_str(body).map_err(|e| ParseError::new(format!("not JSON: {e}")))
}

/// A JSON string or number as text (ooi renders flavour terms as numbers).
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(scalar_text)
}

fn id_list(value: Option<&Value>) -> Vec<CategoryId> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().and_then(CategoryId::parse))
            .collect(),
        Some(Value::String(s)) => CategoryId::parse(s).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn attribute_defs(value: Option<&Value>) -> Vec<AttributeDef> {
    let Some(map) = value.and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, def)| {
            let mut out = AttributeDef::named(name);
            if let Some(d) = def.as_object() {
                out.mutable = d.get("mutable").and_then(Value::as_bool).unwrap_or(false);
                out.required = d.get("required").and_then(Value::as_bool).unwrap_or(false);
                out.kind = text_of(d, "type");
                out.default = d.get("default").and_then(AttributeValue::from_json);
                out.pattern = d.get("pattern").map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                out.description = text_of(d, "description");
            }
            out
        })
        .collect()
}

fn parse_category(value: &Value, class: CategoryClass) -> Option<Category> {
    let map = value.as_object()?;
    let id = CategoryId::new(text_of(map, "scheme")?, text_of(map, "term")?);
    let mut c = Category::new(id, class);
    c.title = text_of(map, "title");
    c.parent = map
        .get("parent")
        .and_then(Value::as_str)
        .and_then(CategoryId::parse);
    c.depends = id_list(map.get("depends"));
    c.applies = id_list(map.get("applies"));
    c.location = text_of(map, "location");
    c.attributes = attribute_defs(map.get("attributes"));
    c.actions = id_list(map.get("actions"));
    Some(c)
}

pub(crate) fn parse_query_interface(body: &str) -> Result<QueryInterface, ParseError> {
    let value = parse_value(body)?;
    if dialect(&value) == JsonDialect::PreStandard {
        return legacy_json::parse_query_interface(&value);
    }
    let map = value
        .as_object()
        .ok_or_else(|| ParseError::new("a GFD.226 query interface is a JSON object"))?;
    let mut categories = Vec::new();
    for (key, class) in [
        ("kinds", CategoryClass::Kind),
        ("mixins", CategoryClass::Mixin),
        ("actions", CategoryClass::Action),
    ] {
        let items = map.get(key).and_then(Value::as_array);
        categories.extend(
            items
                .into_iter()
                .flatten()
                .filter_map(|v| parse_category(v, class)),
        );
    }
    if categories.is_empty() {
        return Err(ParseError::new("the query interface lists no categories"));
    }
    Ok(QueryInterface { categories })
}

fn attributes_of(value: Option<&Value>) -> Attributes {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), AttributeValue::from_json(v)?)))
        .collect()
}

/// A link end: `{"location": …, "kind": …}`, or a bare location string.
fn link_end(value: Option<&Value>) -> (Option<String>, Option<CategoryId>) {
    match value {
        Some(Value::String(s)) => (Some(s.clone()), None),
        Some(Value::Object(map)) => (
            text_of(map, "location"),
            map.get("kind")
                .and_then(Value::as_str)
                .and_then(CategoryId::parse),
        ),
        _ => (None, None),
    }
}

fn parse_link(value: &Value) -> Option<Link> {
    let map = value.as_object()?;
    let (source, _) = link_end(map.get("source"));
    let (target, target_kind) = link_end(map.get("target"));
    let mut attributes = attributes_of(map.get("attributes"));
    lift_core_fields(map, &mut attributes);
    let target = target.or_else(|| attributes.text(attr::TARGET))?;
    let mut link = Link::to(target);
    link.source = source.or_else(|| attributes.text(attr::SOURCE));
    link.rel = target_kind
        .into_iter()
        .chain(id_list(map.get("rel")))
        .collect();
    link.categories = id_list(map.get("kind"))
        .into_iter()
        .chain(id_list(map.get("mixins")))
        .collect();
    link.self_location = text_of(map, "location");
    link.title = text_of(map, "title");
    link.attributes = attributes;
    Some(link)
}

/// GFD.226 puts `id`, `title`, `summary` at the top level; the model keeps them as attributes.
fn lift_core_fields(map: &Map<String, Value>, attributes: &mut Attributes) {
    for (key, name) in [
        ("id", attr::ID),
        ("title", attr::TITLE),
        ("summary", attr::SUMMARY),
    ] {
        if let Some(text) = text_of(map, key) {
            attributes.set_default(name, text);
        }
    }
}

fn entity_from(map: &Map<String, Value>) -> Result<Entity, ParseError> {
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .and_then(CategoryId::parse)
        .ok_or_else(|| ParseError::new("the entity has no kind"))?;
    let mut entity = Entity::new(kind);
    entity.mixins = id_list(map.get("mixins"));
    entity.attributes = attributes_of(map.get("attributes"));
    lift_core_fields(map, &mut entity.attributes);
    let (source, _) = link_end(map.get("source"));
    let (target, target_kind) = link_end(map.get("target"));
    if let Some(source) = source {
        entity.attributes.set_default(attr::SOURCE, source);
    }
    if let Some(target) = target {
        entity.attributes.set_default(attr::TARGET, target);
    }
    if let Some(kind) = target_kind {
        entity
            .attributes
            .set_default(attr::TARGET_KIND, kind.type_id());
    }
    entity.actions = id_list(map.get("actions"));
    entity.links = map
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(parse_link)
        .collect();
    entity.location = text_of(map, "location");
    Ok(entity)
}

pub(crate) fn parse_entity(body: &str) -> Result<Entity, ParseError> {
    let value = parse_value(body)?;
    if dialect(&value) == JsonDialect::PreStandard {
        return legacy_json::parse_entity(&value);
    }
    let map = value
        .as_object()
        .ok_or_else(|| ParseError::new("a GFD.226 entity is a JSON object"))?;
    // A collection of one (ooi answers a create with `{"resources":[…]}`).
    if !map.contains_key("kind")
        && let Some(first) = ["resources", "links"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_array))
            .flatten()
            .find_map(Value::as_object)
    {
        return entity_from(first);
    }
    entity_from(map)
}

pub(crate) fn parse_collection(body: &str) -> Result<Collection, ParseError> {
    if body.trim().is_empty() {
        return Ok(Collection::default());
    }
    let value = parse_value(body)?;
    if dialect(&value) == JsonDialect::PreStandard {
        return legacy_json::parse_collection(&value);
    }
    match &value {
        Value::Array(items) => Ok(Collection {
            locations: items.iter().filter_map(scalar_text).collect(),
            entities: Vec::new(),
        }),
        Value::Object(map) => {
            let mut collection = Collection::default();
            for key in ["resources", "links"] {
                for item in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                    match item {
                        Value::String(location) => collection.locations.push(location.clone()),
                        Value::Object(m) => collection.entities.push(entity_from(m)?),
                        _ => {}
                    }
                }
            }
            if collection.entities.is_empty()
                && collection.locations.is_empty()
                && map.contains_key("kind")
            {
                collection.entities.push(entity_from(map)?);
            }
            Ok(collection)
        }
        _ => Err(ParseError::new("a collection is a JSON object or array")),
    }
}

pub(crate) fn parse_action(body: &str) -> Result<ActionInvocation, ParseError> {
    let value = parse_value(body)?;
    let map = value
        .as_object()
        .ok_or_else(|| ParseError::new("an action invocation is a JSON object"))?;
    let action = match map.get("action") {
        Some(Value::String(s)) => CategoryId::parse(s),
        Some(Value::Object(inner)) => inner
            .get("action")
            .and_then(Value::as_str)
            .and_then(CategoryId::parse)
            .or_else(|| {
                Some(CategoryId::new(
                    text_of(inner, "scheme")?,
                    text_of(inner, "term")?,
                ))
            }),
        _ => None,
    }
    .ok_or_else(|| ParseError::new("the action invocation names no action"))?;
    Ok(ActionInvocation {
        action,
        attributes: attributes_of(map.get("attributes")),
    })
}

// --- rendering ---------------------------------------------------------------------------------

fn ids_json(ids: &[CategoryId]) -> Value {
    Value::Array(ids.iter().map(|i| Value::String(i.type_id())).collect())
}

fn attribute_def_json(def: &AttributeDef) -> Value {
    let mut map = Map::new();
    map.insert("mutable".into(), Value::Bool(def.mutable));
    map.insert("required".into(), Value::Bool(def.required));
    map.insert(
        "type".into(),
        Value::String(def.kind.clone().unwrap_or_else(|| "string".into())),
    );
    if let Some(default) = &def.default {
        map.insert("default".into(), default.to_json());
    }
    if let Some(pattern) = &def.pattern {
        map.insert("pattern".into(), pattern_json(pattern));
    }
    if let Some(description) = &def.description {
        map.insert("description".into(), Value::String(description.clone()));
    }
    Value::Object(map)
}

/// GFD.226 renders a pattern as a JSON Schema object. One read from such a rendering is kept
/// as that object's text and given back as it was; a regular expression (rOCCI and the text
/// renderings write bare regexes) becomes `{"type":"string","pattern":…}`.
fn pattern_json(pattern: &str) -> Value {
    match serde_json::from_str::<Value>(pattern) {
        Ok(object @ Value::Object(_)) => object,
        _ => json!({ "type": "string", "pattern": pattern }),
    }
}

fn category_json(c: &Category) -> Value {
    let mut map = Map::new();
    map.insert("term".into(), Value::String(c.id.term.clone()));
    map.insert("scheme".into(), Value::String(c.id.scheme.clone()));
    if let Some(title) = &c.title {
        map.insert("title".into(), Value::String(title.clone()));
    }
    match c.class {
        CategoryClass::Kind => {
            if let Some(parent) = &c.parent {
                map.insert("parent".into(), Value::String(parent.type_id()));
            }
        }
        CategoryClass::Mixin => {
            if !c.depends.is_empty() {
                map.insert("depends".into(), ids_json(&c.depends));
            }
            if !c.applies.is_empty() {
                map.insert("applies".into(), ids_json(&c.applies));
            }
        }
        CategoryClass::Action => {}
    }
    if !c.attributes.is_empty() {
        let attrs = c
            .attributes
            .iter()
            .map(|d| (d.name.clone(), attribute_def_json(d)))
            .collect();
        map.insert("attributes".into(), Value::Object(attrs));
    }
    if c.class != CategoryClass::Action {
        if !c.actions.is_empty() {
            map.insert("actions".into(), ids_json(&c.actions));
        }
        if let Some(location) = &c.location {
            map.insert("location".into(), Value::String(location.clone()));
        }
    }
    Value::Object(map)
}

pub(crate) fn render_query_interface(qi: &QueryInterface) -> Value {
    let of = |class| -> Value { qi.of_class(class).map(category_json).collect() };
    json!({
        "kinds": of(CategoryClass::Kind),
        "mixins": of(CategoryClass::Mixin),
        "actions": of(CategoryClass::Action),
    })
}

fn attributes_json(attrs: &Attributes, skip: &[&str]) -> Value {
    Value::Object(
        attrs
            .iter()
            .filter(|(n, _)| !skip.contains(n))
            .map(|(n, v)| (n.to_owned(), v.to_json()))
            .collect(),
    )
}

fn link_json(link: &Link) -> Value {
    let mut map = Map::new();
    if let Some(kind) = link.kind() {
        map.insert("kind".into(), Value::String(kind.type_id()));
    }
    if link.categories.len() > 1 {
        map.insert("mixins".into(), ids_json(&link.categories[1..]));
    }
    if let Some(id) = link.attributes.text(attr::ID) {
        map.insert("id".into(), Value::String(id));
    }
    let attrs = attributes_json(&link.attributes, &[attr::ID, attr::SOURCE, attr::TARGET]);
    if attrs.as_object().is_some_and(|a| !a.is_empty()) {
        map.insert("attributes".into(), attrs);
    }
    if let Some(source) = &link.source {
        map.insert("source".into(), json!({ "location": source }));
    }
    let mut target = Map::new();
    target.insert("location".into(), Value::String(link.target.clone()));
    if let Some(kind) = link.rel.first() {
        target.insert("kind".into(), Value::String(kind.type_id()));
    }
    map.insert("target".into(), Value::Object(target));
    // GFD.226 has no `location` on links (nor on resources): the link's own location is its
    // collection's plus its `id`, and `additionalProperties: false` forbids anything more.
    Value::Object(map)
}

pub(crate) fn render_entity(entity: &Entity) -> Value {
    let mut map = Map::new();
    map.insert("kind".into(), Value::String(entity.kind.type_id()));
    if !entity.mixins.is_empty() {
        map.insert("mixins".into(), ids_json(&entity.mixins));
    }
    // GFD.226 makes `id` mandatory, and rOCCI-server 2 validates request bodies against its
    // schema: an entity not named yet (a create request) gets a fresh UUID, as rOCCI's own
    // clients send. The server may keep it or assign its own (ooi and the simulator do).
    let id = entity
        .id()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    map.insert("id".into(), Value::String(id));
    if let Some(title) = entity.attributes.text(attr::TITLE) {
        map.insert("title".into(), Value::String(title));
    }
    if let Some(summary) = entity.attributes.text(attr::SUMMARY) {
        map.insert("summary".into(), Value::String(summary));
    }
    let is_link = entity.attributes.get(attr::SOURCE).is_some();
    let mut skip = vec![attr::ID, attr::TITLE, attr::SUMMARY];
    if is_link {
        // GFD.226 puts the ends in objects; `occi.core.target.kind` (1.2) becomes the
        // target's `kind`. The ends also stay attributes: ooi reads only those.
        skip.push(attr::TARGET_KIND);
        map.insert("source".into(), json!({ "location": entity.source() }));
        let mut target = Map::new();
        target.insert("location".into(), json!(entity.target()));
        if let Some(kind) = entity.attributes.text(attr::TARGET_KIND) {
            target.insert("kind".into(), Value::String(kind));
        }
        map.insert("target".into(), Value::Object(target));
    }
    map.insert(
        "attributes".into(),
        attributes_json(&entity.attributes, &skip),
    );
    if !entity.actions.is_empty() {
        map.insert("actions".into(), ids_json(&entity.actions));
    }
    if !entity.links.is_empty() {
        map.insert(
            "links".into(),
            Value::Array(entity.links.iter().map(link_json).collect()),
        );
    }
    // No `location`: see `link_json`.
    Value::Object(map)
}

/// `{"resources":[…],"links":[…]}`. Locations alone become a bare array of strings, rOCCI 2's
/// GFD.226-era list, which the schema does not describe: nothing sends one (the simulator's
/// JSON collections always carry the entities, `tests/occi_schema.rs` checks them).
pub(crate) fn render_collection(collection: &Collection) -> Value {
    if collection.entities.is_empty() {
        return Value::Array(
            collection
                .locations
                .iter()
                .map(|l| Value::String(l.clone()))
                .collect(),
        );
    }
    let (links, resources): (Vec<&Entity>, Vec<&Entity>) = collection
        .entities
        .iter()
        .partition(|e| e.attributes.get(attr::SOURCE).is_some());
    let mut map = Map::new();
    if !resources.is_empty() {
        map.insert(
            "resources".into(),
            resources.into_iter().map(render_entity).collect(),
        );
    }
    if !links.is_empty() {
        map.insert(
            "links".into(),
            links.into_iter().map(render_entity).collect(),
        );
    }
    Value::Object(map)
}

pub(crate) fn render_action(action: &ActionInvocation) -> Value {
    json!({
        "action": action.action.type_id(),
        "attributes": attributes_json(&action.attributes, &[]),
    })
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
