//! Unit tests of the GFD.226 renderer and parser.

use super::*;
use crate::occi::ids;

#[test]
fn a_pattern_is_rendered_as_a_json_schema_object() {
    let mut def = AttributeDef::named("occi.core.title");
    def.pattern = Some("[a-z]+".into());
    assert_eq!(
        attribute_def_json(&def)["pattern"],
        json!({"type": "string", "pattern": "[a-z]+"})
    );
    // One read from GFD.226 JSON goes back as it came.
    let read = attribute_defs(Some(&json!({"a": {"pattern": {"type": "number"}}})));
    assert_eq!(
        attribute_def_json(&read[0])["pattern"],
        json!({"type": "number"})
    );
}

#[test]
fn an_entity_without_an_id_is_rendered_with_a_fresh_one() {
    let entity = Entity::new(ids::infra("compute"));
    let (a, b) = (render_entity(&entity), render_entity(&entity));
    let id = a["id"].as_str().expect("an id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_ne!(a["id"], b["id"]);
    assert!(a.get("location").is_none());
}

#[test]
fn a_link_to_create_carries_its_ends_as_objects_and_attributes() {
    let mut link = Entity::new(ids::infra("storagelink"));
    link.attributes.set(attr::SOURCE, "/compute/1");
    link.attributes.set(attr::TARGET, "/storage/2");
    link.attributes
        .set(attr::TARGET_KIND, ids::infra("storage").type_id());
    link.attributes.set("occi.storagelink.deviceid", "/dev/vdb");
    let json = render_entity(&link);
    assert_eq!(json["source"]["location"], "/compute/1");
    assert_eq!(json["target"]["location"], "/storage/2");
    assert_eq!(json["target"]["kind"], ids::infra("storage").type_id());
    // ooi's JSON parser reads the ends only from the attributes.
    assert_eq!(json["attributes"]["occi.core.source"], "/compute/1");
    assert_eq!(json["attributes"]["occi.core.target"], "/storage/2");
    assert!(json["attributes"].get(attr::TARGET_KIND).is_none());
    let back = parse_entity(&json.to_string()).expect("parse back");
    assert_eq!(back.source().as_deref(), Some("/compute/1"));
    assert_eq!(back.target().as_deref(), Some("/storage/2"));
}
