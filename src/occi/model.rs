//! The OCCI Core model as it travels on the wire: categories (kinds, mixins, actions), their
//! attribute definitions, entities with attributes and inline links, collections and action
//! invocations. Every rendering parses into and renders from these types.

use std::fmt;

/// A category identifier: `scheme` (ending in `#`) + `term`, e.g.
/// `http://schemas.ogf.org/occi/infrastructure#` + `compute`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryId {
    /// The scheme, normally ending in `#`.
    pub scheme: String,
    /// The term.
    pub term: String,
}

impl CategoryId {
    /// An identifier from its two parts.
    pub fn new(scheme: impl Into<String>, term: impl Into<String>) -> CategoryId {
        CategoryId {
            scheme: scheme.into(),
            term: term.into(),
        }
    }

    /// Splits a type identifier (`scheme#term`) at its last `#`; `None` without a `#` or term.
    pub fn parse(type_id: &str) -> Option<CategoryId> {
        let type_id = type_id.trim();
        let hash = type_id.rfind('#')?;
        let (scheme, term) = type_id.split_at(hash + 1);
        (!term.is_empty()).then(|| CategoryId::new(scheme, term))
    }

    /// The type identifier: scheme and term concatenated.
    pub fn type_id(&self) -> String {
        format!("{}{}", self.scheme, self.term)
    }
}

impl fmt::Display for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.scheme, self.term)
    }
}

/// Well-known category identifiers of OCCI Core and Infrastructure.
pub mod ids {
    use super::CategoryId;

    /// `http://schemas.ogf.org/occi/core#`.
    pub const CORE: &str = "http://schemas.ogf.org/occi/core#";
    /// `http://schemas.ogf.org/occi/infrastructure#`.
    pub const INFRA: &str = "http://schemas.ogf.org/occi/infrastructure#";
    /// Scheme of compute actions.
    pub const COMPUTE_ACTION: &str = "http://schemas.ogf.org/occi/infrastructure/compute/action#";
    /// Scheme of storage actions.
    pub const STORAGE_ACTION: &str = "http://schemas.ogf.org/occi/infrastructure/storage/action#";

    /// An infrastructure category (`compute`, `storage`, `storagelink`, `os_tpl`, …).
    pub fn infra(term: &str) -> CategoryId {
        CategoryId::new(INFRA, term)
    }

    /// A compute action (`start`, `stop`, `restart`, …).
    pub fn compute_action(term: &str) -> CategoryId {
        CategoryId::new(COMPUTE_ACTION, term)
    }
}

/// Which of the three category types a category is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CategoryClass {
    /// A kind: the type of an entity, with a collection location.
    Kind,
    /// A mixin: extra capabilities (templates, credentials, …).
    Mixin,
    /// An action that can be invoked on entities.
    Action,
}

impl CategoryClass {
    /// The wire name (`kind`, `mixin`, `action`).
    pub fn as_str(self) -> &'static str {
        match self {
            CategoryClass::Kind => "kind",
            CategoryClass::Mixin => "mixin",
            CategoryClass::Action => "action",
        }
    }

    /// Parses a wire name, ignoring case and surrounding space.
    pub fn parse(name: &str) -> Option<CategoryClass> {
        match name.trim().to_ascii_lowercase().as_str() {
            "kind" => Some(CategoryClass::Kind),
            "mixin" => Some(CategoryClass::Mixin),
            "action" => Some(CategoryClass::Action),
            _ => None,
        }
    }
}

/// One attribute a category defines. Text renderings carry only the name and the
/// `{immutable}`/`{required}` flags; GFD.226 JSON adds type, default, pattern and description.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    /// The attribute name (`occi.compute.cores`).
    pub name: String,
    /// Whether a client may change it.
    pub mutable: bool,
    /// Whether it must be given at create.
    pub required: bool,
    /// The JSON type name (`string`, `number`, …), where rendered.
    pub kind: Option<String>,
    /// The default value, where rendered.
    pub default: Option<AttributeValue>,
    /// The pattern, as rendered (a regex string or a JSON Schema object's text).
    pub pattern: Option<String>,
    /// A description, where rendered.
    pub description: Option<String>,
}

impl AttributeDef {
    /// A mutable, optional attribute with nothing else known.
    pub fn named(name: impl Into<String>) -> AttributeDef {
        AttributeDef {
            name: name.into(),
            mutable: true,
            required: false,
            kind: None,
            default: None,
            pattern: None,
            description: None,
        }
    }
}

/// A kind, mixin or action as the query interface (or an entity's rendering) describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// Scheme + term.
    pub id: CategoryId,
    /// Kind, mixin or action.
    pub class: CategoryClass,
    /// Human-readable title.
    pub title: Option<String>,
    /// A kind's parent (text: `rel=`; JSON: `parent`).
    pub parent: Option<CategoryId>,
    /// A mixin's dependencies (text: every id in `rel=`; JSON: `depends`).
    pub depends: Vec<CategoryId>,
    /// The kinds a mixin applies to (JSON: `applies`; text renders none).
    pub applies: Vec<CategoryId>,
    /// The collection location (kinds, and mixins used as tags/templates).
    pub location: Option<String>,
    /// The attributes it defines.
    pub attributes: Vec<AttributeDef>,
    /// The actions entities of this kind/mixin may offer.
    pub actions: Vec<CategoryId>,
}

impl Category {
    /// A category with only its identifier and class.
    pub fn new(id: CategoryId, class: CategoryClass) -> Category {
        Category {
            id,
            class,
            title: None,
            parent: None,
            depends: Vec::new(),
            applies: Vec::new(),
            location: None,
            attributes: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Every category this one is related to: parent, depends and applies.
    pub fn related(&self) -> impl Iterator<Item = &CategoryId> {
        self.parent
            .iter()
            .chain(self.depends.iter())
            .chain(self.applies.iter())
    }

    /// Whether this category is related to `other` (directly).
    pub fn is_related_to(&self, other: &CategoryId) -> bool {
        self.related().any(|r| r == other)
    }

    /// The definition of attribute `name`, if this category defines it.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// The query interface (`GET /-/`): every category the server knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryInterface {
    /// Kinds, mixins and actions in the order rendered.
    pub categories: Vec<Category>,
}

impl QueryInterface {
    /// The category with identifier `id`, of any class.
    pub fn get(&self, id: &CategoryId) -> Option<&Category> {
        self.categories.iter().find(|c| &c.id == id)
    }

    /// The categories of `class`.
    pub fn of_class(&self, class: CategoryClass) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(move |c| c.class == class)
    }

    /// The kind with identifier `id`.
    pub fn kind(&self, id: &CategoryId) -> Option<&Category> {
        self.get(id).filter(|c| c.class == CategoryClass::Kind)
    }

    /// Mixins related (by rel/depends/applies) to `id`, e.g. every `os_tpl` template.
    /// The base mixin itself is not included.
    pub fn mixins_related_to<'a>(
        &'a self,
        id: &'a CategoryId,
    ) -> impl Iterator<Item = &'a Category> + 'a {
        self.of_class(CategoryClass::Mixin)
            .filter(move |c| &c.id != id && c.is_related_to(id))
    }
}

/// An attribute value. Renderings disagree on types (pyssf sends numbers as strings), so the
/// accessors convert leniently.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// A string (quoted in text renderings).
    String(String),
    /// A number, kept as written (integer or float).
    Number(serde_json::Number),
    /// A boolean.
    Bool(bool),
    /// An object or array (GFD.226 JSON only).
    Json(serde_json::Value),
}

impl AttributeValue {
    /// A string value.
    pub fn string(value: impl Into<String>) -> AttributeValue {
        AttributeValue::String(value.into())
    }

    /// A number from a float; NaN and infinities become strings.
    pub fn float(value: f64) -> AttributeValue {
        match serde_json::Number::from_f64(value) {
            Some(n) => AttributeValue::Number(n),
            None => AttributeValue::String(value.to_string()),
        }
    }

    /// An integer value.
    pub fn int(value: i64) -> AttributeValue {
        AttributeValue::Number(value.into())
    }

    /// The value as text: strings as they are, numbers and booleans as written.
    pub fn as_text(&self) -> String {
        match self {
            AttributeValue::String(s) => s.clone(),
            AttributeValue::Number(n) => n.to_string(),
            AttributeValue::Bool(b) => b.to_string(),
            AttributeValue::Json(v) => v.to_string(),
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttributeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a number: numbers, and strings that parse as one (`"2"`, `" 1.0 "`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttributeValue::Number(n) => n.as_f64(),
            AttributeValue::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        }
    }

    /// The value as a boolean: booleans, and the strings `true`/`false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttributeValue::Bool(b) => Some(*b),
            AttributeValue::String(s) => s.trim().parse::<bool>().ok(),
            _ => None,
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AttributeValue::String(s) => serde_json::Value::String(s.clone()),
            AttributeValue::Number(n) => serde_json::Value::Number(n.clone()),
            AttributeValue::Bool(b) => serde_json::Value::Bool(*b),
            AttributeValue::Json(v) => v.clone(),
        }
    }

    /// From JSON: scalars to their variants, `null` to `None`, anything else kept as JSON.
    pub fn from_json(value: &serde_json::Value) -> Option<AttributeValue> {
        match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(AttributeValue::String(s.clone())),
            serde_json::Value::Number(n) => Some(AttributeValue::Number(n.clone())),
            serde_json::Value::Bool(b) => Some(AttributeValue::Bool(*b)),
            other => Some(AttributeValue::Json(other.clone())),
        }
    }
}

impl From<&str> for AttributeValue {
    fn from(value: &str) -> Self {
        AttributeValue::string(value)
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> Self {
        AttributeValue::String(value)
    }
}

/// Attributes by name, in rendering order; a name appears once (a later value replaces it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes(Vec<(String, AttributeValue)>);

impl Attributes {
    /// No attributes.
    pub fn new() -> Attributes {
        Attributes(Vec::new())
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The value of `name` as text (see [`AttributeValue::as_text`]).
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(AttributeValue::as_text)
    }

    /// The value of `name` as a number (see [`AttributeValue::as_f64`]).
    pub fn number(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(AttributeValue::as_f64)
    }

    /// Sets `name`, replacing an earlier value in place.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<AttributeValue>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Sets `name` only when it has no value yet.
    pub fn set_default(&mut self, name: &str, value: impl Into<AttributeValue>) {
        if self.get(name).is_none() {
            self.set(name, value);
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<AttributeValue> {
        let pos = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(pos).1)
    }

    /// Name/value pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<K: Into<String>, V: Into<AttributeValue>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut attrs = Attributes::new();
        for (k, v) in iter {
            attrs.set(k, v);
        }
        attrs
    }
}

/// Attribute names of OCCI Core the parsers fill in from other places.
pub mod attr {
    /// `occi.core.id`.
    pub const ID: &str = "occi.core.id";
    /// `occi.core.title`.
    pub const TITLE: &str = "occi.core.title";
    /// `occi.core.summary`.
    pub const SUMMARY: &str = "occi.core.summary";
    /// `occi.core.source`.
    pub const SOURCE: &str = "occi.core.source";
    /// `occi.core.target`.
    pub const TARGET: &str = "occi.core.target";
    /// `occi.core.target.kind` (1.2).
    pub const TARGET_KIND: &str = "occi.core.target.kind";
}

/// A link rendered inline in a resource (`Link: <…>; rel=…; self=…; category=…; attrs`), or
/// one of a GFD.226 resource's `links`.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The target's location. Parsers take `occi.core.target` when present (ooi puts the link's
    /// own URL in `<…>`), else the `<…>` URL.
    pub target: String,
    /// The `rel` ids: the target's kind (`…#storage`), or the action of an action link.
    pub rel: Vec<CategoryId>,
    /// The link's own location (`self=`), when rendered.
    pub self_location: Option<String>,
    /// The link's kind and mixins (`category=`): kind first where known.
    pub categories: Vec<CategoryId>,
    /// A `title=` parameter (occi-py).
    pub title: Option<String>,
    /// The link's attributes (`occi.storagelink.deviceid`, `occi.core.id`, …).
    pub attributes: Attributes,
    /// The source's location, where rendered (`occi.core.source`, JSON `source.location`).
    pub source: Option<String>,
}

impl Link {
    /// A link to `target` with nothing else known.
    pub fn to(target: impl Into<String>) -> Link {
        Link {
            target: target.into(),
            rel: Vec::new(),
            self_location: None,
            categories: Vec::new(),
            title: None,
            attributes: Attributes::new(),
            source: None,
        }
    }

    /// The link's kind: the first of `categories` (GFD.226 `kind`), if any.
    pub fn kind(&self) -> Option<&CategoryId> {
        self.categories.first()
    }

    /// Whether the link's rel or categories name `id`.
    pub fn names(&self, id: &CategoryId) -> bool {
        self.rel.contains(id) || self.categories.contains(id)
    }

    /// The link's id: `occi.core.id`, else the last segment of `self`.
    pub fn id(&self) -> Option<String> {
        self.attributes.text(attr::ID).or_else(|| {
            self.self_location
                .as_deref()
                .and_then(last_segment)
                .map(str::to_owned)
        })
    }
}

/// A resource or link entity (`GET /compute/1`), or an entity to create (`POST /compute/`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// The entity's kind.
    pub kind: CategoryId,
    /// Its mixins (os_tpl, resource_tpl, …).
    pub mixins: Vec<CategoryId>,
    /// Attributes, with `occi.core.id`/`title`/`summary`/`source`/`target` filled in from the
    /// JSON top-level fields where the rendering put them there.
    pub attributes: Attributes,
    /// The actions that apply now (text: action `Link`s; JSON: `actions`).
    pub actions: Vec<CategoryId>,
    /// Inline links (resources only); action links are in `actions`.
    pub links: Vec<Link>,
    /// The entity's location, when the rendering says (`X-OCCI-Location`, JSON `location`).
    pub location: Option<String>,
    /// Full category renderings that came with the entity (text renderings may carry a
    /// category's title, rel and location inline; ooi does).
    pub categories: Vec<Category>,
}

impl Entity {
    /// An entity of `kind` with nothing else.
    pub fn new(kind: CategoryId) -> Entity {
        Entity {
            kind,
            mixins: Vec::new(),
            attributes: Attributes::new(),
            actions: Vec::new(),
            links: Vec::new(),
            location: None,
            categories: Vec::new(),
        }
    }

    /// `occi.core.id` as text.
    pub fn id(&self) -> Option<String> {
        self.attributes.text(attr::ID)
    }

    /// `occi.core.title`, or occi-py's draft name `title`.
    pub fn title(&self) -> Option<String> {
        self.attributes
            .text(attr::TITLE)
            .or_else(|| self.attributes.text("title"))
    }

    /// `occi.core.source` (or draft `source`) of a link entity.
    pub fn source(&self) -> Option<String> {
        self.attributes
            .text(attr::SOURCE)
            .or_else(|| self.attributes.text("source"))
    }

    /// `occi.core.target` (or draft `target`) of a link entity.
    pub fn target(&self) -> Option<String> {
        self.attributes
            .text(attr::TARGET)
            .or_else(|| self.attributes.text("target"))
    }

    /// Whether the entity offers `action` now.
    pub fn offers(&self, action: &CategoryId) -> bool {
        self.actions.contains(action)
    }
}

/// A collection answer: locations (text/plain, text/occi, uri-list, JSON arrays of strings)
/// and/or rendered entities (GFD.226 `{"resources":[…]}`, which may hold only kind/id/title).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collection {
    /// Member locations, as rendered (absolute or relative).
    pub locations: Vec<String>,
    /// Member renderings, where the answer held entities.
    pub entities: Vec<Entity>,
}

/// An action invocation (`POST /compute/1?action=stop`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionInvocation {
    /// The action.
    pub action: CategoryId,
    /// Its attributes (`method`, …).
    pub attributes: Attributes,
}

/// The last non-empty path segment of a location (absolute or relative), without query or
/// fragment: `/compute/89878` → `89878`.
pub fn last_segment(location: &str) -> Option<&str> {
    let path = location.split(['?', '#']).next().unwrap_or(location);
    path.split('/').rev().find(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
