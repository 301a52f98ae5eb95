//! The quirks of real servers' renderings, one by one: each read as the protocol module must
//! read it.

use super::*;

#[test]
fn rocci4_space_separated_inline_link_attributes_are_all_read() {
    let e = parse_text_entity(&read("rocci-core-1.1/occi_compute_rocci_server.txt"));
    let storage = e
        .links
        .iter()
        .find(|l| l.names(&ids::infra("storage")))
        .expect("a storage link");
    assert_eq!(
        storage.target,
        "/storage/e60aa2b8-0c86-5973-b93e-30c5c46d6eac"
    );
    assert_eq!(
        storage.self_location.as_deref(),
        Some("/storagelink/b2f7f1de-c60c-5b08-879c-81f52429c4ef")
    );
    assert_eq!(
        storage
            .attributes
            .text("occi.storagelink.deviceid")
            .as_deref(),
        Some("xvda")
    );
    assert_eq!(
        storage.attributes.text("occi.core.title").as_deref(),
        Some("monitoring")
    );
    assert_eq!(
        storage
            .attributes
            .text("org.opennebula.storagelink.driver")
            .as_deref(),
        Some("tap2:tapdisk:aio:")
    );
    assert_eq!(e.mixins.len(), 1, "the opennebula compute mixin");
}

#[test]
fn ooi_inline_link_url_is_the_link_and_the_target_comes_from_its_attribute() {
    for rel in [
        "captured/ooi-1.2.0/07-get-compute-with-links.text-plain.http",
        "captured/ooi-1.2.0/08-get-compute-with-links.text-occi.http",
        "captured/ooi-1.2.0/09-get-compute-with-links.occi-json.http",
    ] {
        let e = captured(rel, parse_entity);
        let storage: Vec<_> = e
            .links
            .iter()
            .filter(|l| l.names(&ids::infra("storagelink")))
            .collect();
        assert_eq!(storage.len(), 2, "{rel}");
        assert_eq!(
            storage[0].target, "http://127.0.0.1:18787/storage/62afb30cd2af4a9fae7d62a0f762ed00",
            "{rel}"
        );
        assert_eq!(
            storage[0].id().as_deref(),
            Some("71c68af8887a452288ac2898b966596f_62afb30cd2af4a9fae7d62a0f762ed00"),
            "{rel}"
        );
        assert_eq!(
            storage[0]
                .attributes
                .text("occi.storagelink.deviceid")
                .as_deref(),
            Some("/dev/vdb")
        );
        assert_eq!(e.actions.len(), 5, "{rel}: start stop restart suspend save");
        assert!(e.offers(&ids::compute_action("restart")), "{rel}");
        assert_eq!(
            e.attributes.number("occi.compute.memory"),
            Some(256.0),
            "{rel}: MB"
        );
        let ips: Vec<_> = e
            .links
            .iter()
            .filter_map(|l| l.attributes.text("occi.networkinterface.address"))
            .collect();
        assert_eq!(ips, ["192.168.253.1", "192.168.253.1"], "{rel}");
    }
}

#[test]
fn ooi_flavour_term_as_json_number_and_defaults_are_read() {
    let qi = captured(
        "captured/ooi-1.2.0/03-query-interface.occi-json.http",
        parse_query_interface,
    );
    let flavour = qi
        .get(&CategoryId::new(
            "http://schemas.openstack.org/template/resource#",
            "1",
        ))
        .expect("flavour 1");
    assert_eq!(flavour.title.as_deref(), Some("Flavor: foo"));
    assert!(flavour.is_related_to(&ids::infra("resource_tpl")));
    let cores = flavour
        .attribute("occi.compute.cores")
        .and_then(|a| a.default.clone());
    assert_eq!(cores.and_then(|v| v.as_f64()), Some(2.0));
    let sizes = qi.mixins_related_to(&ids::infra("resource_tpl")).count();
    let text_qi = captured(
        "captured/ooi-1.2.0/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    assert_eq!(
        text_qi
            .mixins_related_to(&ids::infra("resource_tpl"))
            .count(),
        sizes
    );
}

#[test]
fn pyssf_pre_standard_json_with_muttable_flags_is_recognised_and_read() {
    let ex = parse_transcript(&read(
        "captured/pyssf-0.4.7/03-query-interface.occi-json.http",
    ));
    assert_eq!(
        json_dialect(&ex.response.body),
        Some(JsonDialect::PreStandard)
    );
    let qi = captured(
        "captured/pyssf-0.4.7/03-query-interface.occi-json.http",
        parse_query_interface,
    );
    let compute = qi.kind(&ids::infra("compute")).expect("compute is a kind");
    let state = compute.attribute("occi.compute.state").expect("state");
    assert!(!state.mutable);
    assert!(
        compute
            .attribute("occi.compute.cores")
            .is_some_and(|a| a.mutable)
    );
    let stop = qi.get(&ids::compute_action("stop")).expect("stop");
    assert_eq!(stop.class, CategoryClass::Action);
    let e = captured(
        "captured/pyssf-0.4.7/16-get-compute-with-storagelink.occi-json.http",
        parse_entity,
    );
    assert_eq!(e.kind, ids::infra("compute"));
    assert_eq!(
        e.links[0].target,
        "/storage/1bc77c21-39f4-4415-8692-b80d0f247526"
    );
    let gfd = parse_transcript(&read(
        "captured/ooi-1.2.0/03-query-interface.occi-json.http",
    ));
    assert_eq!(json_dialect(&gfd.response.body), Some(JsonDialect::Gfd226));
}

#[test]
fn rocci4_nested_json_attributes_are_flattened() {
    let text = read("rocci-core-1.1/legacy-json-compute-with-links.json");
    let e = json_message(&text, parse_entity);
    assert_eq!(e.attributes.number("occi.compute.memory"), Some(256.0));
    assert_eq!(
        e.id().as_deref(),
        Some("34c88188-d31a-11e1-a11a-a4b197fffef4")
    );
    assert_eq!(
        e.links[0].target,
        "/storage/34c88188-d31a-11e1-a11a-a4b197fffef3"
    );
}

#[test]
fn numbers_rendered_as_strings_read_as_numbers() {
    let e = captured(
        "captured/pyssf-0.4.7/06-get-compute.text-plain.http",
        parse_entity,
    );
    assert!(matches!(
        e.attributes.get("occi.compute.cores"),
        Some(AttributeValue::String(_))
    ));
    assert_eq!(e.attributes.number("occi.compute.cores"), Some(2.0));
    // pyssf renders occi.core.id as a path.
    assert!(e.id().is_some_and(|id| id.starts_with("/compute/")));
}

#[test]
fn occi_py_draft_attribute_names_are_understood() {
    let link = captured_request(
        "captured/occi-py-0.6/08-create-storagelink.http",
        parse_entity,
    );
    assert_eq!(link.kind, ids::infra("storagelink"));
    assert_eq!(
        link.source().as_deref(),
        Some("/compute/3c913bb8-c2de-4158-83b9-b1bd27bba51b")
    );
    assert_eq!(
        link.target().as_deref(),
        Some("/storage/3be5bcba-705c-43ff-8fb0-7bd5775620ba")
    );
    let qi = captured(
        "captured/occi-py-0.6/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let core_link = qi
        .kind(&CategoryId::new(ids::CORE, "link"))
        .expect("link kind");
    let names: Vec<_> = core_link
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["source", "target"]);
}

#[test]
fn text_occi_comma_joined_and_any_header_casing() {
    let joined = captured(
        "captured/pyssf-0.4.7/02-query-interface.text-occi.http",
        parse_query_interface,
    );
    let lines = captured(
        "captured/pyssf-0.4.7/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    assert_eq!(
        joined, lines,
        "one comma-joined header = one line per category"
    );
    let e = captured(
        "captured/occi-py-0.6/11-get-compute-with-storagelink.text-occi.http",
        parse_entity,
    );
    assert_eq!(
        e.attributes.number("occi.compute.cores"),
        Some(2.0),
        "X-Occi-Attribute casing"
    );
    assert_eq!(e.attributes.len(), 5);
    assert_eq!(e.links.len(), 1);
    assert_eq!(e.actions, [ids::compute_action("stop")]);
    let plain = captured(
        "captured/occi-py-0.6/10-get-compute-with-storagelink.text-plain.http",
        parse_entity,
    );
    assert_eq!(e.attributes, plain.attributes);
    assert_eq!(e.links, plain.links);
}

#[test]
fn uri_list_comment_lines_are_skipped() {
    let c = captured(
        "captured/pyssf-0.4.7/20-list-compute.uri-list.http",
        parse_collection,
    );
    assert_eq!(c.locations.len(), 3);
    assert!(
        c.locations
            .iter()
            .all(|l| l.starts_with("http://127.0.0.1:18888/compute/"))
    );
    let text = captured(
        "captured/pyssf-0.4.7/18-list-compute.text-plain.http",
        parse_collection,
    );
    let occi = captured(
        "captured/pyssf-0.4.7/19-list-compute.text-occi.http",
        parse_collection,
    );
    assert_eq!(text.locations.len(), 3);
    assert_eq!(text, occi);
}

#[test]
fn empty_collection_answered_204_is_empty() {
    let c = captured(
        "captured/ooi-1.2.0/20-list-storagelink-empty.204.http",
        parse_collection,
    );
    assert!(c.locations.is_empty() && c.entities.is_empty());
}

#[test]
fn literal_backslash_n_between_lines_splits_them() {
    let e = parse_text_entity(&read("rocci-core-1.1/occi_resource_w_attributes.txt"));
    assert_eq!(e.kind, ids::infra("compute"));
    assert!(e.mixins.contains(&CategoryId::new(
        "http://opennebula.org/occi/infrastructure#",
        "compute"
    )));
    assert_eq!(e.mixins.len(), 3);
}

#[test]
fn quoted_titles_keep_separators() {
    let qi = parse_text_qi(&read("rocci-core-1.1/occi_categories.txt"));
    let first = &qi.categories[0];
    assert_eq!(first.title.as_deref(), Some("aA1!§$%&/()=?`´ß+*#-_.:,;<>"));
    assert_eq!(first.location.as_deref(), Some("/a1-A/"));
    assert_eq!(first.actions.len(), 2);
    assert_eq!(first.attributes.len(), 2);
}

#[test]
fn create_answers_of_every_style_yield_a_location() {
    let rows = [
        (
            "captured/pyssf-0.4.7/04-create-compute.text-occi.http",
            "http://127.0.0.1:18888/compute/",
        ),
        (
            "captured/occi-py-0.6/03-create-compute.text-occi.http",
            "http://127.0.0.1:18000/compute/",
        ),
        (
            "captured/ooi-1.2.0/10-create-compute.text-occi.http",
            "http://127.0.0.1:18787/compute/",
        ),
        ("captured/ooi-1.2.0/11-create-compute.occi-json.http", ""),
        (
            "captured/ooi-1.2.0/23-create-storagelink.text-occi.http",
            "http://127.0.0.1:18787/storagelink/",
        ),
    ];
    for (rel, prefix) in rows {
        let ex = parse_transcript(&read(rel));
        let headers = ex.response.header_map();
        let mt = ex.response.media_type().expect("media type");
        let location = created_location(&ex.response, &headers, mt).expect(rel);
        assert!(
            location.starts_with(prefix) && !location.is_empty(),
            "{rel}: {location}"
        );
    }
}

/// What the simulator renders must read back the same, in every rendering.
#[test]
fn renderings_round_trip() {
    let qi = captured(
        "captured/ooi-1.2.0/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let entity = captured(
        "captured/ooi-1.2.0/07-get-compute-with-links.text-plain.http",
        parse_entity,
    );
    let action = ActionInvocation {
        action: ids::compute_action("stop"),
        attributes: [("method", "graceful")].into_iter().collect(),
    };
    let collection = Collection {
        locations: vec!["/compute/1".into(), "http://h/compute/2".into()],
        entities: Vec::new(),
    };
    for mt in [
        MediaType::TextPlain,
        MediaType::TextOcci,
        MediaType::OcciJson,
    ] {
        let parse_back = |r: &Rendered| (r.header_map(), r.body.clone());
        let r = render_query_interface(&qi, mt);
        let (h, b) = parse_back(&r);
        let back = parse_query_interface(&Message {
            media_type: mt,
            headers: &h,
            body: &b,
        })
        .expect("qi");
        assert_eq!(back.categories.len(), qi.categories.len(), "{mt:?}");
        for (a, b) in qi.categories.iter().zip(&back.categories) {
            assert_eq!(
                (&a.id, a.class, &a.location),
                (&b.id, b.class, &b.location),
                "{mt:?}"
            );
            assert_eq!(
                a.related().collect::<Vec<_>>(),
                b.related().collect::<Vec<_>>(),
                "{mt:?}"
            );
        }
        let r = render_entity(&entity, mt);
        let (h, b) = parse_back(&r);
        let back = parse_entity(&Message {
            media_type: mt,
            headers: &h,
            body: &b,
        })
        .expect("entity");
        assert_eq!(back.kind, entity.kind, "{mt:?}");
        assert_eq!(back.mixins, entity.mixins, "{mt:?}");
        assert_eq!(back.actions, entity.actions, "{mt:?}");
        assert_eq!(
            back.attributes.text("occi.core.title"),
            entity.attributes.text("occi.core.title")
        );
        assert_eq!(
            back.attributes.number("occi.compute.cores"),
            Some(2.0),
            "{mt:?}"
        );
        let targets = |e: &Entity| {
            e.links
                .iter()
                .map(|l| (l.target.clone(), l.id()))
                .collect::<Vec<_>>()
        };
        assert_eq!(targets(&back), targets(&entity), "{mt:?}");
        let r = render_action(&action, mt);
        let (h, b) = parse_back(&r);
        assert_eq!(
            parse_action(&Message {
                media_type: mt,
                headers: &h,
                body: &b
            })
            .expect("action"),
            action
        );
        let r = render_collection(&collection, mt);
        let (h, b) = parse_back(&r);
        assert_eq!(
            parse_collection(&Message {
                media_type: mt,
                headers: &h,
                body: &b
            })
            .expect("collection")
            .locations,
            collection.locations,
            "{mt:?}"
        );
    }
}
