//! Every shared fixture parses and maps: real GoGrid answers, libcloud's and jclouds' recordings.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_json_fixture_is_an_envelope_the_driver_reads() {
    let mut files = Vec::new();
    json_files(Path::new(FIXTURES), &mut files);
    assert!(files.len() >= 35, "found only {} fixtures", files.len());
    for file in files {
        let body = std::fs::read(&file).unwrap();
        let raw: Envelope<Value> =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        match parse_response::<Value>(200, None, &body) {
            Ok(env) => assert_eq!(env.list.len(), raw.list.len()),
            Err(e) => assert_eq!(raw.status, "failure", "{}: {e}", file.display()),
        }
    }
}

#[test]
fn provisioned_server_from_the_real_api_maps() {
    let [server] = servers("deltacloud-recorded/server_get_by_name.json")
        .try_into()
        .unwrap();
    assert_eq!(server.id, "test-instance");
    assert_eq!(server.name, "test-instance");
    assert_eq!(server.state, ServerState::Running);
    assert_eq!(server.public_ips, vec!["173.1.167.116"]);
    assert!(server.private_ips.is_empty());
    assert_eq!(server.size_id.as_deref(), Some("512MB"));
    assert_eq!(server.region.as_deref(), Some("US-West-1"));
    assert_eq!(server.image_id.as_deref(), Some("9928"));
    assert_eq!(server.extra["gogrid_id"], json!(386946));
    assert_eq!(server.extra["native_state"], json!("On"));
    assert_eq!(server.extra["cores"], json!(0.5));
    assert_eq!(server.extra["disk_size_mb"], json!(25600));
    assert!(server.created_at.is_none() && server.tags.is_empty() && server.zone.is_none());
}

#[test]
fn provisioning_server_from_the_real_api_is_pending_without_gogrid_id() {
    let [server] = servers("deltacloud-recorded/server_list_while_provisioning.json")
        .try_into()
        .unwrap();
    assert_eq!(server.id, "test-instance");
    assert_eq!(server.state, ServerState::Pending);
    assert_eq!(server.extra["native_state"], json!("Off"));
    assert!(!server.extra.contains_key("gogrid_id"));
    assert_eq!(server.public_ips, vec!["173.1.167.116"]);
}

#[test]
fn deleted_server_answer_maps() {
    let [server] = servers("deltacloud-recorded/server_delete_by_name.json")
        .try_into()
        .unwrap();
    assert_eq!(server.id, "test-instance");
}

#[test]
fn not_found_400s_from_the_real_api_are_not_found() {
    for path in [
        "deltacloud-recorded/server_get_while_provisioning_400.json",
        "deltacloud-recorded/image_get_not_found_400.json",
        "jclouds/test_error_handler.json",
    ] {
        let err = error_of(path, 400);
        assert_eq!(err.kind(), ErrorKind::NotFound, "{path}");
        assert_eq!(err.context("native_code"), Some("IllegalArgumentException"));
        assert_eq!(err.context("http_status"), Some("400"));
        assert_eq!(
            err.message(),
            "No object found that matches your input criteria."
        );
    }
}

#[test]
fn real_403_text_body_is_auth() {
    let err = error_of("deltacloud-recorded/auth_failure_403.txt", 403);
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_temporary());
}

#[test]
fn unexpected_exception_fixture_is_temporary_unavailable() {
    let err = error_of("libcloud/loadbalancer/unexpected_error.json", 500);
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.is_temporary());
    assert_eq!(err.context("native_code"), Some("UnexpectedException"));
}

#[test]
fn libcloud_power_failure_without_error_item_is_bad_response_or_not_found() {
    let err = error_of("libcloud/compute/server_power_fail.json", 200);
    assert_eq!(err.kind(), ErrorKind::BadResponse);
    // libcloud's test serves it with a 404.
    let err = error_of("libcloud/compute/server_power_fail.json", 404);
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn real_image_get_maps_with_os_arch_owner_and_price() {
    let [image] = images("deltacloud-recorded/image_get_id_13834.json")
        .try_into()
        .unwrap();
    assert_eq!(image.id, "13834");
    assert_eq!(image.name, "Basho Riak 1.1.4");
    assert_eq!(image.os_family.as_deref(), Some("linux"));
    assert_eq!(image.architecture.as_deref(), Some("x86_64"));
    assert!(image.public);
    assert_eq!(
        image.extra["native_name"],
        json!("GSI-4439c0b1-d3a3-45b8-b86b-1abd542ca4ca")
    );
    assert_eq!(image.extra["owner"]["name"], json!("Basho Technologies"));
    assert_eq!(image.extra["price"], json!(0));
    assert_eq!(image.extra["state"], json!("Available"));
    assert_eq!(
        image.extra["datacenters"],
        json!(["US-West-1", "US-East-1", "EU-West-1"])
    );
}

#[test]
fn real_image_list_of_173_images_maps_every_image() {
    let list = images("deltacloud-recorded/image_list_state_available.json");
    assert_eq!(list.len(), 173);
    assert!(
        list.iter()
            .all(|i| i.architecture.is_some() && i.os_family.is_some())
    );
    let windows = list
        .iter()
        .filter(|i| i.os_family.as_deref() == Some("windows"))
        .count();
    assert_eq!(windows, 38);
    let first = &list[0];
    assert_eq!(first.id, "6");
    assert_eq!(first.architecture.as_deref(), Some("i386"));
    assert_eq!(first.extra["price"], json!(100));
}

#[test]
fn libcloud_images_take_architecture_from_the_os_name() {
    let list = images("libcloud/compute/image_list.json");
    let archs: Vec<_> = list.iter().map(|i| i.architecture.as_deref()).collect();
    assert_eq!(
        archs,
        [Some("i386"), Some("x86_64"), Some("i386"), Some("x86_64")]
    );
    let [saved] = images("libcloud/compute/image_save.json")
        .try_into()
        .unwrap();
    assert!(!saved.public);
    assert_eq!(saved.extra["state"], json!("Saving"));
    assert_eq!(saved.name, "testimage");
    assert_eq!(saved.description, None);
}

#[test]
fn real_ram_lookup_maps_to_sizes_with_the_step_table() {
    let env: Envelope<NativeOption> = envelope("deltacloud-recorded/lookup_list_server_ram.json");
    let sizes: Vec<Size> = env
        .list
        .into_iter()
        .filter_map(|o| mapping::map_size(o, "gg"))
        .collect();
    let rows: Vec<_> = sizes
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.memory_mib.unwrap_or(0),
                s.cores.unwrap_or(0.0),
                s.disk_gib,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("512MB", 512, 0.5, Some(25)),
            ("1GB", 1024, 1.0, Some(50)),
            ("2GB", 2048, 2.0, Some(100)),
            ("4GB", 4096, 4.0, Some(200)),
            ("8GB", 8192, 8.0, Some(400)),
            ("16GB", 16384, 16.0, Some(800)),
            ("24GB", 24576, 16.0, Some(1200)),
        ]
    );
    assert_eq!(sizes[6].extra["gogrid_id"], json!(9));
    assert_eq!(
        sizes[0].extra["description"],
        json!("Server with 512MB RAM")
    );
}

#[test]
fn datacenter_lookups_map_to_regions() {
    let env: Envelope<NativeOption> =
        envelope("deltacloud-recorded/lookup_list_ip_datacenter.json");
    let regions: Vec<Region> = env
        .list
        .into_iter()
        .filter_map(|o| mapping::map_region(o, "gg"))
        .collect();
    let ids: Vec<_> = regions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["US-West-1", "US-East-1", "EU-West-1"]);
    assert!(regions[0].zones.is_empty());
    assert_eq!(regions[0].extra["gogrid_id"], json!(1));
    assert_eq!(
        regions[0].extra["description"],
        json!("US West 1 Datacenter")
    );
    let libcloud: Envelope<NativeOption> =
        envelope("libcloud/compute/lookup_list_ip_datacenter.json");
    assert_eq!(libcloud.list.len(), 2);
    let types: Envelope<NativeOption> =
        envelope("deltacloud-recorded/lookup_list_server_type.json");
    assert_eq!(types.list.len(), 2);
}

#[test]
fn password_lists_parse_and_their_servers_map() {
    for (path, count) in [
        ("deltacloud-recorded/password_list.json", 1),
        ("libcloud/compute/password_list.json", 1),
        ("jclouds/test_credentials_list.json", 6),
        ("jclouds/test_credential.json", 2),
    ] {
        let env: Envelope<Value> = envelope(path);
        assert_eq!(env.list.len(), count, "{path}");
        // jclouds' second credential has no `server`.
        for item in env.list.into_iter().filter(|i| i.get("server").is_some()) {
            let server: NativeServer = serde_json::from_value(item["server"].clone()).unwrap();
            let server = mapping::map_server(server, "gg");
            assert!(server.extra.contains_key("gogrid_id"), "{path}");
        }
    }
}

#[test]
fn third_party_server_fixtures_map() {
    let [power] = servers("jclouds/test_get_server_list.json")
        .try_into()
        .unwrap();
    assert_eq!(
        (power.id.as_str(), power.state, power.region.as_deref()),
        ("PowerServer", ServerState::Running, Some("US-West-1"))
    );
    assert_eq!(power.extra["gogrid_id"], json!(75245));
    let [listed] = servers("libcloud/compute/server_list.json")
        .try_into()
        .unwrap();
    assert_eq!(listed.public_ips, vec!["192.168.0.202"]);
    assert_eq!(listed.region, None);
    assert_eq!(listed.extra["description"], json!("test server"));
    let [added] = servers("libcloud/compute/server_add.json")
        .try_into()
        .unwrap();
    assert_eq!(added.state, ServerState::Pending);
    for path in ["server_delete", "server_edit", "server_power"] {
        let [s] = servers(&format!("libcloud/compute/{path}.json"))
            .try_into()
            .unwrap();
        assert_eq!((s.id.as_str(), s.state), ("test1", ServerState::Running));
    }
}

#[test]
fn ip_lists_parse_and_free_public_ips_are_found() {
    let env: Envelope<NativeIp> = envelope("libcloud/compute/ip_list.json");
    let free: Vec<_> = env
        .list
        .iter()
        .filter(|ip| mapping::is_free_public_ip(ip, Some("US-West-1")))
        .map(|ip| ip.ip.as_str())
        .collect();
    assert_eq!(free, ["192.168.75.66"]);
    let empty: Envelope<NativeIp> = envelope("libcloud/compute/ip_list_empty.json");
    assert!(empty.list.is_empty());
    let lb: Envelope<NativeIp> = envelope("libcloud/loadbalancer/ip_list.json");
    assert_eq!(lb.list.len(), 16);
}

#[test]
fn job_and_loadbalancer_envelopes_parse() {
    let jobs: Envelope<Value> = envelope("jclouds/test_get_job_list.json");
    assert_eq!(jobs.total(), Some(68));
    for path in [
        "jclouds/test_get_load_balancer_list.json",
        "libcloud/loadbalancer/loadbalancer_add.json",
        "libcloud/loadbalancer/loadbalancer_edit.json",
        "libcloud/loadbalancer/loadbalancer_get.json",
        "libcloud/loadbalancer/loadbalancer_list.json",
    ] {
        let env: Envelope<Value> = envelope(path);
        assert!(!env.list.is_empty(), "{path}");
    }
}
