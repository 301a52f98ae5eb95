//! Rendering the text renderings: values quoted and escaped so a line never breaks, categories,
//! attributes, links and locations as [`Line`]s, and lines as a text/plain body or text/occi
//! headers.

use super::{Line, LineKind};
use crate::occi::model::{
    ActionInvocation, AttributeDef, AttributeValue, Category, CategoryClass, CategoryId, Entity,
    Link, QueryInterface,
};
use crate::occi::{MediaType, Rendered};

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        // Line breaks would end the line (or header): render them escaped.
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render_value(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => quote(s),
        AttributeValue::Number(n) => n.to_string(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Json(v) => quote(&v.to_string()),
    }
}

fn join_ids(ids: &[CategoryId]) -> String {
    ids.iter()
        .map(CategoryId::type_id)
        .collect::<Vec<_>>()
        .join(" ")
}

fn category_value(c: &Category, full: bool) -> String {
    let mut out = format!(
        "{}; scheme={}; class={}",
        c.id.term,
        quote(&c.id.scheme),
        quote(c.class.as_str())
    );
    if !full {
        return out;
    }
    if let Some(title) = &c.title {
        out.push_str(&format!("; title={}", quote(title)));
    }
    let rel: Vec<CategoryId> = c.related().cloned().collect();
    if !rel.is_empty() {
        out.push_str(&format!("; rel={}", quote(&join_ids(&rel))));
    }
    if let Some(location) = &c.location {
        out.push_str(&format!("; location={}", quote(location)));
    }
    if !c.attributes.is_empty() {
        let defs: Vec<String> = c.attributes.iter().map(attribute_def_text).collect();
        out.push_str(&format!("; attributes={}", quote(&defs.join(" "))));
    }
    if !c.actions.is_empty() {
        out.push_str(&format!("; actions={}", quote(&join_ids(&c.actions))));
    }
    out
}

fn attribute_def_text(def: &AttributeDef) -> String {
    match (def.mutable, def.required) {
        (true, false) => def.name.clone(),
        (false, false) => format!("{}{{immutable}}", def.name),
        (true, true) => format!("{}{{required}}", def.name),
        (false, true) => format!("{}{{immutable required}}", def.name),
    }
}

pub(super) fn attribute_line(name: &str, value: &AttributeValue) -> Line {
    Line {
        kind: LineKind::Attribute,
        value: format!("{name}={}", render_value(value)),
    }
}

fn link_value(link: &Link) -> String {
    let mut out = format!("<{}>", link.target);
    if !link.rel.is_empty() {
        out.push_str(&format!("; rel={}", quote(&join_ids(&link.rel))));
    }
    if let Some(own) = &link.self_location {
        out.push_str(&format!("; self={}", quote(own)));
    }
    if !link.categories.is_empty() {
        out.push_str(&format!(
            "; category={}",
            quote(&join_ids(&link.categories))
        ));
    }
    if let Some(title) = &link.title {
        out.push_str(&format!("; title={}", quote(title)));
    }
    for (name, value) in link.attributes.iter() {
        out.push_str(&format!("; {name}={}", render_value(value)));
    }
    out
}

pub(crate) fn query_interface_lines(qi: &QueryInterface) -> Vec<Line> {
    qi.categories
        .iter()
        .map(|c| Line {
            kind: LineKind::Category,
            value: category_value(c, true),
        })
        .collect()
}

pub(crate) fn entity_lines(entity: &Entity) -> Vec<Line> {
    let short = |id: &CategoryId, class| category_value(&Category::new(id.clone(), class), false);
    let mut lines = vec![Line {
        kind: LineKind::Category,
        value: short(&entity.kind, CategoryClass::Kind),
    }];
    lines.extend(entity.mixins.iter().map(|m| Line {
        kind: LineKind::Category,
        value: short(m, CategoryClass::Mixin),
    }));
    lines.extend(
        entity
            .attributes
            .iter()
            .map(|(name, value)| attribute_line(name, value)),
    );
    let base = entity.location.as_deref().unwrap_or("");
    lines.extend(entity.actions.iter().map(|a| Line {
        kind: LineKind::Link,
        value: format!("<{base}?action={}>; rel={}", a.term, quote(&a.type_id())),
    }));
    lines.extend(entity.links.iter().map(|l| Line {
        kind: LineKind::Link,
        value: link_value(l),
    }));
    lines
}

pub(crate) fn location_lines(locations: &[String]) -> Vec<Line> {
    locations
        .iter()
        .map(|l| Line {
            kind: LineKind::Location,
            value: l.clone(),
        })
        .collect()
}

pub(crate) fn action_lines(action: &ActionInvocation) -> Vec<Line> {
    let category = Category::new(action.action.clone(), CategoryClass::Action);
    let mut lines = vec![Line {
        kind: LineKind::Category,
        value: category_value(&category, false),
    }];
    lines.extend(
        action
            .attributes
            .iter()
            .map(|(name, value)| attribute_line(name, value)),
    );
    lines
}

/// Lines as a text/plain body or text/occi headers (one header per value).
pub(crate) fn rendered(media_type: MediaType, lines: Vec<Line>) -> Rendered {
    match media_type {
        MediaType::TextOcci => Rendered {
            media_type,
            headers: lines
                .into_iter()
                .map(|l| (l.kind.header_name(), l.value))
                .collect(),
            body: String::new(),
        },
        _ => {
            let body = lines
                .iter()
                .map(|l| format!("{}: {}\n", l.kind.header_name(), l.value))
                .collect();
            Rendered {
                media_type: MediaType::TextPlain,
                headers: Vec::new(),
                body,
            }
        }
    }
}
