//! Tests of the text renderings: splitting at commas and spaces outside quotes, unescaping, and
//! lines read from headers or the body.

use super::render::attribute_line;
use super::*;

#[test]
fn split_keeps_commas_inside_quotes_and_angles() {
    let parts = split_outside_quotes(r#"a="x, y", <http://h/a,b>; rel="r", c=1"#, ',');
    assert_eq!(parts.len(), 3, "{parts:?}");
}

#[test]
fn quoted_values_unescape() {
    let params = params_of(r#"title="say \"hi\" \\ now""#);
    assert_eq!(params[0].1.text(), r#"say "hi" \ now"#);
}

#[test]
fn space_separated_params_are_all_read() {
    let params = params_of(r#"occi.core.id="a" occi.core.title="b c" x.y=2"#);
    let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["occi.core.id", "occi.core.title", "x.y"]);
}

#[test]
fn attribute_flags_are_read() {
    let defs = attribute_defs("a b{immutable} c{required} d{immutable required}");
    let flags: Vec<(&str, bool, bool)> = defs
        .iter()
        .map(|d| (d.name.as_str(), d.mutable, d.required))
        .collect();
    assert_eq!(
        flags,
        [
            ("a", true, false),
            ("b", false, false),
            ("c", true, true),
            ("d", false, true)
        ]
    );
}

fn attrs_only_s(attrs: &Attributes) -> Attributes {
    attrs
        .iter()
        .filter(|(n, _)| *n == "s")
        .map(|(n, v)| (n, v.clone()))
        .collect()
}

#[test]
fn rendered_values_round_trip() {
    let mut attrs = Attributes::new();
    attrs.set("s", "a \"q\", b; c\nd");
    attrs.set("n", AttributeValue::float(1.5));
    let line = attribute_line("s", attrs.get("s").unwrap_or(&AttributeValue::Bool(false)));
    let mut back = Attributes::new();
    parse_attribute(&line.value, &mut back);
    assert_eq!(back.text("s").as_deref(), Some("a \"q\", b; c\nd"));
    assert_eq!(back, attrs_only_s(&attrs));
}
