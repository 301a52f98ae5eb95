//! Parse-only support for the pre-standard `application/occi+json` of rOCCI 3/4 and pyssf
//! (before GFD.226): attributes nested by namespace (`{"occi":{"compute":{"cores":1}}}`),
//! categories as a bare array without `class`, `related` instead of `parent`/`depends`,
//! attribute flags as strings (`"muttable"`, `"immutable"`, `"required"`), kinds and mixins as
//! objects inside entities. Nothing renders it: the gateway writes text or GFD.226.

use serde_json::{Map, Value};

use super::ParseError;
use super::json::scalar_text;
use super::model::{
    AttributeDef, AttributeValue, Attributes, Category, CategoryClass, CategoryId, Collection,
    Entity, Link, QueryInterface, attr,
};

fn text_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    get(map, key).and_then(scalar_text)
}

/// A member by name, ignoring ASCII case (rOCCI 3 wrote `Type`, `Required`, `Mutable`).
fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A category reference: a type-id string, or an object with scheme and term.
fn category_ref(value: &Value) -> Option<CategoryId> {
    match value {
        Value::String(s) => CategoryId::parse(s),
        Value::Object(map) => Some(CategoryId::new(
            text_of(map, "scheme")?,
            text_of(map, "term")?,
        )),
        _ => None,
    }
}

fn refs(value: Option<&Value>) -> Vec<CategoryId> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(category_ref).collect(),
        Some(other) => category_ref(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Whether an object is one attribute's definition (rather than a namespace level).
fn is_definition(map: &Map<String, Value>) -> bool {
    [
        "type",
        "mutable",
        "required",
        "default",
        "pattern",
        "description",
    ]
    .iter()
    .any(|k| map.get(*k).is_some_and(|v| !v.is_object()))
}

/// Attribute definitions: flat `{name: "muttable"}` (pyssf) or nested namespaces whose leaves
/// are definition objects (rOCCI).
fn attribute_defs(value: Option<&Value>) -> Vec<AttributeDef> {
    let mut defs = Vec::new();
    if let Some(map) = value.and_then(Value::as_object) {
        collect_defs(map, "", &mut defs);
    }
    defs
}

fn collect_defs(map: &Map<String, Value>, prefix: &str, defs: &mut Vec<AttributeDef>) {
    for (key, value) in map {
        let name = join(prefix, key);
        match value {
            Value::Object(inner) if !is_definition(inner) && !inner.is_empty() => {
                collect_defs(inner, &name, defs);
            }
            Value::Object(inner) => {
                let mut def = AttributeDef::named(name);
                def.mutable = inner
                    .get("mutable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                def.required = inner
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                def.kind = text_of(inner, "type");
                def.default = inner.get("default").and_then(AttributeValue::from_json);
                def.pattern = text_of(inner, "pattern");
                def.description = text_of(inner, "description");
                defs.push(def);
            }
            flag => {
                let mut def = AttributeDef::named(name);
                // pyssf spells the flag "muttable".
                match flag.as_str() {
                    Some("immutable") => def.mutable = false,
                    Some("required") => def.required = true,
                    _ => {}
                }
                defs.push(def);
            }
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Attribute values, flattening nested namespaces into dotted names.
fn attributes(value: Option<&Value>) -> Attributes {
    let mut attrs = Attributes::new();
    if let Some(map) = value.and_then(Value::as_object) {
        collect_values(map, "", &mut attrs);
    }
    attrs
}

fn collect_values(map: &Map<String, Value>, prefix: &str, attrs: &mut Attributes) {
    for (key, value) in map {
        let name = join(prefix, key);
        match value {
            Value::Object(inner) => collect_values(inner, &name, attrs),
            other => {
                if let Some(v) = AttributeValue::from_json(other) {
                    attrs.set(name, v);
                }
            }
        }
    }
}

/// The class of a category in a bare array, which carries none: actions by their scheme, kinds
/// by being related to an OCCI Core kind, everything else a mixin.
fn guess_class(id: &CategoryId, related: &[CategoryId]) -> CategoryClass {
    let core = |r: &CategoryId| {
        r.scheme == super::model::ids::CORE
            && matches!(r.term.as_str(), "entity" | "resource" | "link")
    };
    if id.scheme.contains("/action#") {
        CategoryClass::Action
    } else if related.iter().any(core) || (id.scheme == super::model::ids::CORE) {
        CategoryClass::Kind
    } else {
        CategoryClass::Mixin
    }
}

fn category(value: &Value, class: Option<CategoryClass>) -> Option<Category> {
    let map = value.as_object()?;
    let id = CategoryId::new(text_of(map, "scheme")?, text_of(map, "term")?);
    let mut related = refs(map.get("related"));
    if let Some(parent) = map.get("parent").and_then(category_ref) {
        related.retain(|r| *r != parent);
        related.insert(0, parent);
    }
    let class = class.unwrap_or_else(|| guess_class(&id, &related));
    let mut c = Category::new(id, class);
    c.title = text_of(map, "title");
    if class == CategoryClass::Kind {
        let mut rel = related.into_iter();
        c.parent = rel.next();
        c.depends = rel.collect();
    } else {
        c.depends = related;
    }
    c.location = text_of(map, "location");
    c.attributes = attribute_defs(map.get("attributes"));
    c.actions = refs(map.get("actions"));
    Some(c)
}

pub(crate) fn parse_query_interface(value: &Value) -> Result<QueryInterface, ParseError> {
    let mut categories = Vec::new();
    match value {
        Value::Array(items) => categories.extend(items.iter().filter_map(|i| category(i, None))),
        Value::Object(map) => {
            for (key, class) in [
                ("kinds", CategoryClass::Kind),
                ("mixins", CategoryClass::Mixin),
                ("actions", CategoryClass::Action),
            ] {
                let items = map.get(key).and_then(Value::as_array).into_iter().flatten();
                categories.extend(items.filter_map(|i| category(i, Some(class))));
            }
        }
        _ => {}
    }
    if categories.is_empty() {
        return Err(ParseError::new("the query interface lists no categories"));
    }
    Ok(QueryInterface { categories })
}

fn link(value: &Value) -> Option<Link> {
    let map = value.as_object()?;
    let attrs = attributes(map.get("attributes"));
    let target = text_of(map, "target").or_else(|| attrs.text(attr::TARGET))?;
    let mut link = Link::to(target);
    link.source = text_of(map, "source").or_else(|| attrs.text(attr::SOURCE));
    link.categories = map
        .get("kind")
        .and_then(category_ref)
        .into_iter()
        .chain(refs(map.get("mixins")))
        .collect();
    link.rel = refs(map.get("rel"));
    link.self_location = attrs
        .text(attr::ID)
        .filter(|id| id.starts_with('/'))
        .or_else(|| text_of(map, "location"));
    link.attributes = attrs;
    Some(link)
}

fn entity(map: &Map<String, Value>) -> Result<Entity, ParseError> {
    let kind = map
        .get("kind")
        .and_then(category_ref)
        .ok_or_else(|| ParseError::new("the entity has no kind"))?;
    let mut entity = Entity::new(kind);
    entity.mixins = refs(map.get("mixins"));
    entity.attributes = attributes(map.get("attributes"));
    if let Some(id) = text_of(map, "id") {
        entity.attributes.set_default(attr::ID, id);
    }
    entity.actions = refs(map.get("actions"));
    entity.links = map
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(link)
        .collect();
    entity.location = text_of(map, "location");
    Ok(entity)
}

pub(crate) fn parse_entity(value: &Value) -> Result<Entity, ParseError> {
    let map = value
        .as_object()
        .ok_or_else(|| ParseError::new("an entity is a JSON object"))?;
    if map.contains_key("kind") {
        return entity(map);
    }
    // rOCCI 4 wraps a single entity in a collection.
    let first = ["resources", "links"]
        .iter()
        .filter_map(|k| map.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(Value::as_object)
        .ok_or_else(|| ParseError::new("the body holds no entity"))?;
    entity(first)
}

pub(crate) fn parse_collection(value: &Value) -> Result<Collection, ParseError> {
    let mut collection = Collection::default();
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => ["resources", "links"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_array))
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    for item in items {
        match item {
            Value::String(location) => collection.locations.push(location.clone()),
            Value::Object(map) if map.contains_key("kind") => {
                collection.entities.push(entity(map)?);
            }
            _ => {}
        }
    }
    Ok(collection)
}
