//! Real renderings (captured from ooi, rOCCI and pyssf) mapped to servers, templates, zones and
//! contextualization.

use super::*;

fn discovery(qi: crate::occi::QueryInterface, server: &str) -> Discovery {
    Discovery {
        qi,
        occi_12: server.contains("OCCI/1.2"),
        media_type: crate::occi::MediaType::TextPlain,
        server: Some(server.to_owned()),
    }
}

#[test]
fn real_compute_renderings_map_to_servers() {
    use crate::occi::fixture_tests::{captured, parse_text_entity, parse_text_qi, read};
    use crate::occi::{parse_entity, parse_query_interface};

    // ooi: templates by rel, memory in MB, link URL in <…>, private address.
    let qi = captured(
        "captured/ooi-1.2.0/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let d = discovery(qi, "ooi/1.2.0 OCCI/1.1 OCCI/1.2");
    let entity = captured(
        "captured/ooi-1.2.0/07-get-compute-with-links.text-plain.http",
        parse_entity,
    );
    let s = mapping::map_server(
        &entity,
        "/compute/71c68af8887a452288ac2898b966596f",
        &d,
        "p",
        "r",
    );
    assert_eq!(
        (s.id.as_str(), s.name.as_str(), s.state),
        (
            "71c68af8887a452288ac2898b966596f",
            "withvolume",
            ServerState::Running
        )
    );
    let os = CategoryId::new("http://schemas.openstack.org/template/os#", "bar");
    let flavour = CategoryId::new("http://schemas.openstack.org/template/resource#", "1");
    assert_eq!(s.image_id, Some(mapping::template_id(&os)));
    assert_eq!(s.size_id, Some(mapping::template_id(&flavour)));
    assert_eq!(s.extra["memory_mib"], 256);
    assert_eq!(
        (s.private_ips, s.public_ips),
        (vec!["192.168.253.1".to_owned()], Vec::new())
    );

    // rOCCI-server 1 / OpenNebula: memory in GiB, space-separated link attributes.
    let d = discovery(
        parse_text_qi(&read("rocci-core-1.1/occi_model_rocci_server.txt")),
        "Apache OCCI/1.1",
    );
    let entity = parse_text_entity(&read("rocci-core-1.1/occi_compute_rocci_server.txt"));
    let s = mapping::map_server(
        &entity,
        "/compute/4ddbfeae-22d7-5e50-8f85-ba18589e876b",
        &d,
        "p",
        "r",
    );
    assert_eq!(
        (s.name.as_str(), s.state),
        ("MonTest1", ServerState::Running)
    );
    assert_eq!(s.extra["memory_mib"], 262);
    assert_eq!(s.private_ips, ["192.168.254.1"]);

    // nova OCCI (FZ Jülich): a network called "public", quoted numbers, no title.
    let entity = parse_text_entity(&read("rocci-core-1.1/occi_resource_w_inline_links.txt"));
    let s = mapping::map_server(
        &entity,
        "/compute/04106bce-87eb-4f8f-a665-2f624e54ba46",
        &d,
        "p",
        "r",
    );
    assert_eq!(
        s.name, "openmodeller-test-bjoernh",
        "hostname when there is no title"
    );
    assert_eq!(s.public_ips, ["134.94.32.154"]);
    assert_eq!(s.private_ips, ["192.168.16.103"]);
    assert_eq!(s.extra["cores"], 1.0);

    // occi-py: no title, no hostname: the id is the name.
    let qi = captured(
        "captured/occi-py-0.6/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let d = discovery(qi, "occi-py/0.6 OCCI/1.1");
    assert_eq!(d.core_names().title, "title", "draft attribute names");
    assert_eq!(d.core_names().source, "source");
    let entity = captured(
        "captured/occi-py-0.6/05-get-compute.text-plain.http",
        parse_entity,
    );
    let s = mapping::map_server(
        &entity,
        "/compute/3c913bb8-c2de-4158-83b9-b1bd27bba51b",
        &d,
        "p",
        "r",
    );
    assert_eq!(s.name, s.id);
    assert_eq!(
        s.state,
        ServerState::Stopped,
        "inactive before its start action"
    );
    assert_eq!(s.extra["occi_actions"], serde_json::json!(["start"]));
}

#[test]
fn real_query_interfaces_give_templates_zones_and_contextualization() {
    use crate::occi::fixture_tests::{captured, read};
    use crate::occi::parse_query_interface;

    // A real ooi site (GFD.226): images, flavours, both user_data mixins, ssh_key with ooi's
    // misspelt attribute name.
    let text = read("rocci-core-1.2/model.alt.json");
    let headers = http::HeaderMap::new();
    let msg = crate::occi::Message {
        media_type: crate::occi::MediaType::OcciJson,
        headers: &headers,
        body: &text,
    };
    let d = discovery(
        parse_query_interface(&msg).expect("model.alt"),
        "ooi OCCI/1.2",
    );
    assert!(!d.templates("os_tpl").is_empty() && !d.templates("resource_tpl").is_empty());
    let (ssh, attr) = d.ssh_key_mixin().expect("ssh_key");
    assert_eq!(
        (ssh.term.as_str(), attr.as_str()),
        ("ssh_key", "occi.crendentials.ssh.publickey")
    );
    let (user_data, attr) = d.user_data_mixin().expect("user_data");
    assert_eq!(
        user_data.scheme,
        "http://schemas.ogf.org/occi/infrastructure/compute#"
    );
    assert_eq!(attr, "occi.compute.userdata");
    let caps = capabilities_of(&d);
    assert!(caps.create_server_with_key_name && caps.create_server_with_user_data);

    // pyssf: storage links at /storage/link/.
    let qi = captured(
        "captured/pyssf-0.4.7/01-query-interface.text-plain.http",
        parse_query_interface,
    );
    let d = discovery(qi, "pyssf OCCI/1.1");
    assert!(
        d.location(&ids::infra("storagelink"))
            .is_some_and(|l| l.ends_with("/storage/link/"))
    );
    assert!(capabilities_of(&d).attach_volume);
}
