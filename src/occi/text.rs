//! The text renderings (GFD.185): `text/plain` puts OCCI lines in the body, `text/occi` in HTTP
//! headers. Both are read here as a list of [`Line`]s, so one parser serves both.

use super::model::{
    ActionInvocation, AttributeDef, AttributeValue, Attributes, Category, CategoryClass,
    CategoryId, Collection, Entity, Link, QueryInterface, attr,
};
use super::{MediaType, Message, ParseError};

mod render;

pub(crate) use render::{
    action_lines, entity_lines, location_lines, query_interface_lines, rendered,
};

/// Which OCCI line a [`Line`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// `Category:`.
    Category,
    /// `Link:`.
    Link,
    /// `X-OCCI-Attribute:`.
    Attribute,
    /// `X-OCCI-Location:`.
    Location,
}

impl LineKind {
    fn from_name(name: &str) -> Option<LineKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "category" => Some(LineKind::Category),
            "link" => Some(LineKind::Link),
            "x-occi-attribute" => Some(LineKind::Attribute),
            "x-occi-location" => Some(LineKind::Location),
            _ => None,
        }
    }

    fn header_name(self) -> &'static str {
        match self {
            LineKind::Category => "Category",
            LineKind::Link => "Link",
            LineKind::Attribute => "X-OCCI-Attribute",
            LineKind::Location => "X-OCCI-Location",
        }
    }
}

/// One OCCI value: a header line's value split at commas outside quotes and `<…>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) kind: LineKind,
    pub(crate) value: String,
}

/// The OCCI lines of a message: for text/occi the headers (then any body lines), for text/plain
/// the body lines (or the headers when the body holds none). Other lines are ignored.
pub(crate) fn lines_of(msg: &Message<'_>) -> Vec<Line> {
    let from_headers = || {
        let pairs = msg
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)));
        split_lines(pairs)
    };
    let from_body = || {
        let lines = msg.body.lines().flat_map(split_escaped_newlines);
        split_lines(lines.filter_map(|l| l.split_once(':')))
    };
    match msg.media_type {
        MediaType::TextOcci => {
            let mut lines = from_headers();
            lines.extend(from_body());
            lines
        }
        _ => {
            let lines = from_body();
            if lines.is_empty() {
                from_headers()
            } else {
                lines
            }
        }
    }
}

/// A line holding a literal `\n` before another OCCI line name (an upstream rOCCI sample has
/// one) is read as two lines.
fn split_escaped_newlines(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = line;
    while let Some(pos) = rest.find("\\n").filter(|&p| {
        let next = &rest[p + 2..];
        ["Category:", "Link:", "X-OCCI-"].iter().any(|name| {
            next.get(..name.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
        })
    }) {
        parts.push(&rest[..pos]);
        rest = &rest[pos + 2..];
    }
    parts.push(rest);
    parts
}

fn split_lines<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Line> {
    let mut lines = Vec::new();
    for (name, value) in pairs {
        let Some(kind) = LineKind::from_name(name) else {
            continue;
        };
        for item in split_outside_quotes(value, ',') {
            let item = item.trim();
            if !item.is_empty() {
                lines.push(Line {
                    kind,
                    value: item.to_owned(),
                });
            }
        }
    }
    lines
}

/// Splits at `sep` where it is outside double quotes (with `\` escapes) and `<…>`.
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut angled, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' if !angled => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            c if c == sep && !quoted && !angled => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `key=value` pairs of one `;`-separated segment. rOCCI 4 renders several inline link
/// attributes in one segment, separated by spaces: they are all read.
fn params_of(segment: &str) -> Vec<(String, RawValue)> {
    let mut params = Vec::new();
    let mut rest = segment.trim();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().to_owned();
        let after = rest[eq + 1..].trim_start();
        let (value, remainder) = if let Some(inner) = after.strip_prefix('"') {
            let (text, end) = read_quoted(inner);
            (RawValue::Quoted(text), &inner[end..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            let (word, remainder) = after.split_at(end);
            if looks_like_param(remainder.trim_start()) || remainder.trim().is_empty() {
                (RawValue::Bare(word.to_owned()), remainder)
            } else {
                (RawValue::Bare(after.trim_end().to_owned()), "")
            }
        };
        if !key.is_empty() {
            params.push((key, value));
        }
        rest = remainder.trim_start();
        if !looks_like_param(rest) {
            break;
        }
    }
    params
}

fn looks_like_param(text: &str) -> bool {
    let key_len = text
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(text.len());
    key_len > 0 && text[key_len..].starts_with('=')
}

/// The unescaped text of a quoted string whose opening quote is already consumed, and the
/// byte offset just past its closing quote (or the end when unterminated).
fn read_quoted(inner: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => out.push(e),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '"' => return (out, i + 1),
            c => out.push(c),
        }
    }
    (out, inner.len())
}

/// A parameter value as written: quoted (a string) or bare (a number, boolean or token).
#[derive(Debug, Clone, PartialEq)]
enum RawValue {
    Quoted(String),
    Bare(String),
}

impl RawValue {
    fn text(&self) -> &str {
        match self {
            RawValue::Quoted(s) | RawValue::Bare(s) => s,
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            RawValue::Quoted(s) => AttributeValue::String(s),
            RawValue::Bare(s) => bare_value(&s),
        }
    }
}

fn bare_value(text: &str) -> AttributeValue {
    match text {
        "true" => AttributeValue::Bool(true),
        "false" => AttributeValue::Bool(false),
        _ => match serde_json::from_str::<serde_json::Number>(text) {
            Ok(n) => AttributeValue::Number(n),
            Err(_) => AttributeValue::String(text.to_owned()),
        },
    }
}

/// One line split at `;` (outside quotes): its head and its parameters.
struct Parsed {
    head: String,
    params: Vec<(String, RawValue)>,
}

impl Parsed {
    fn of(value: &str) -> Parsed {
        let mut segments = split_outside_quotes(value, ';').into_iter();
        let head = segments.next().unwrap_or("").trim().to_owned();
        let params = segments.flat_map(params_of).collect();
        Parsed { head, params }
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.text())
    }
}

fn ids_in(text: Option<&str>) -> Vec<CategoryId> {
    text.unwrap_or("")
        .split_whitespace()
        .filter_map(CategoryId::parse)
        .collect()
}

/// `attributes="a b{immutable} c{required}"`: names with flags.
fn attribute_defs(text: &str) -> Vec<AttributeDef> {
    let mut defs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '{')
            .unwrap_or(rest.len());
        let mut def = AttributeDef::named(&rest[..end]);
        rest = rest[end..].trim_start();
        if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}').unwrap_or(inner.len());
            for flag in inner[..close].split([' ', ',']) {
                match flag.trim() {
                    "immutable" => def.mutable = false,
                    "required" => def.required = true,
                    _ => {}
                }
            }
            rest = inner.get(close + 1..).unwrap_or("").trim_start();
        }
        if !def.name.is_empty() {
            defs.push(def);
        }
    }
    defs
}

fn parse_category(value: &str) -> Option<Category> {
    let parsed = Parsed::of(value);
    let scheme = parsed.param("scheme")?;
    let id = CategoryId::new(scheme, parsed.head.as_str());
    let class = parsed
        .param("class")
        .and_then(CategoryClass::parse)
        .unwrap_or(if scheme.contains("/action#") {
            CategoryClass::Action
        } else {
            CategoryClass::Mixin
        });
    let mut category = Category::new(id, class);
    category.title = parsed.param("title").map(str::to_owned);
    let rel = ids_in(parsed.param("rel"));
    match class {
        CategoryClass::Kind => {
            let mut rel = rel.into_iter();
            category.parent = rel.next();
            category.depends = rel.collect();
        }
        _ => category.depends = rel,
    }
    category.location = parsed.param("location").map(str::to_owned);
    category.attributes = attribute_defs(parsed.param("attributes").unwrap_or(""));
    category.actions = ids_in(parsed.param("actions"));
    Some(category)
}

fn parse_attribute(value: &str, attrs: &mut Attributes) {
    for (key, raw) in params_of(value.trim().trim_end_matches(';')) {
        attrs.set(key, raw.into_value());
    }
}

/// A `Link:` value: an action link (`rel` = an action, `?action=` in the URL) gives the action's
/// id; anything else an inline link.
enum ParsedLink {
    Action(CategoryId),
    Inline(Link),
}

fn parse_link(value: &str) -> Option<ParsedLink> {
    let parsed = Parsed::of(value);
    let url = parsed
        .head
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned();
    let rel = ids_in(parsed.param("rel"));
    let is_action = url.contains("?action=") || rel.iter().any(|r| r.scheme.contains("/action#"));
    if is_action {
        return rel.into_iter().next().map(ParsedLink::Action);
    }
    let mut link = Link::to(url);
    link.rel = rel;
    for (key, raw) in parsed.params {
        match key.to_ascii_lowercase().as_str() {
            "rel" => {}
            "self" => link.self_location = Some(raw.text().to_owned()),
            "category" => link.categories = ids_in(Some(raw.text())),
            "title" => link.title = Some(raw.text().to_owned()),
            _ => link.attributes.set(key, raw.into_value()),
        }
    }
    // ooi puts the link's own URL in `<…>`: the target attribute is the truth where given.
    if let Some(target) = link.attributes.text(attr::TARGET) {
        link.target = target;
    }
    link.source = link.attributes.text(attr::SOURCE);
    Some(ParsedLink::Inline(link))
}

pub(crate) fn parse_query_interface(lines: &[Line]) -> Result<QueryInterface, ParseError> {
    let categories: Vec<Category> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Category)
        .filter_map(|l| parse_category(&l.value))
        .collect();
    if categories.is_empty() {
        return Err(ParseError::new("the query interface lists no categories"));
    }
    Ok(QueryInterface { categories })
}

pub(crate) fn parse_entity(lines: &[Line]) -> Result<Entity, ParseError> {
    let categories: Vec<Category> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Category)
        .filter_map(|l| parse_category(&l.value))
        .collect();
    let kind = categories
        .iter()
        .find(|c| c.class == CategoryClass::Kind)
        .or_else(|| categories.first())
        .map(|c| c.id.clone())
        .ok_or_else(|| ParseError::new("the rendering has no kind Category"))?;
    let mut entity = Entity::new(kind);
    entity.mixins = categories
        .iter()
        .filter(|c| c.class == CategoryClass::Mixin && c.id != entity.kind)
        .map(|c| c.id.clone())
        .collect();
    entity.categories = categories;
    for line in lines {
        match line.kind {
            LineKind::Attribute => parse_attribute(&line.value, &mut entity.attributes),
            LineKind::Link => match parse_link(&line.value) {
                Some(ParsedLink::Action(action)) => entity.actions.push(action),
                Some(ParsedLink::Inline(link)) => entity.links.push(link),
                None => {}
            },
            LineKind::Location => entity.location = Some(line.value.clone()),
            LineKind::Category => {}
        }
    }
    Ok(entity)
}

pub(crate) fn parse_collection(lines: &[Line]) -> Collection {
    Collection {
        locations: lines
            .iter()
            .filter(|l| l.kind == LineKind::Location)
            .map(|l| l.value.clone())
            .collect(),
        entities: Vec::new(),
    }
}

pub(crate) fn parse_action(lines: &[Line]) -> Result<ActionInvocation, ParseError> {
    let categories: Vec<Category> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Category)
        .filter_map(|l| parse_category(&l.value))
        .collect();
    let action = categories
        .iter()
        .find(|c| c.class == CategoryClass::Action)
        .or_else(|| categories.first())
        .map(|c| c.id.clone())
        .ok_or_else(|| ParseError::new("the action invocation has no action Category"))?;
    let mut attributes = Attributes::new();
    for line in lines.iter().filter(|l| l.kind == LineKind::Attribute) {
        parse_attribute(&line.value, &mut attributes);
    }
    Ok(ActionInvocation { action, attributes })
}

#[cfg(test)]
mod tests;
