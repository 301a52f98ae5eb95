//! Mapping rows: the state table, ids, IPs, RAM steps, image filters.

use super::*;
use crate::driver::ImageFilter;

#[test]
fn server_state_table_row_by_row() {
    assert_eq!(server_state("On"), ServerState::Running);
    assert_eq!(server_state("Off"), ServerState::Stopped);
    assert_eq!(server_state("Starting"), ServerState::Pending);
    assert_eq!(server_state("Stopping"), ServerState::Stopping);
    assert_eq!(server_state("Restarting"), ServerState::Rebooting);
    assert_eq!(server_state("On/Saving"), ServerState::Running);
    assert_eq!(server_state("Saving"), ServerState::Pending);
    assert_eq!(server_state("Restoring"), ServerState::Pending);
    assert_eq!(server_state("Updating"), ServerState::Pending);
    assert_eq!(server_state("on"), ServerState::Running);
    assert_eq!(server_state("Exploding"), ServerState::Unknown);
    assert_eq!(server_state(""), ServerState::Unknown);
}

fn server(value: Value) -> NativeServer {
    serde_json::from_value(value).unwrap()
}

#[test]
fn server_without_id_is_pending_whatever_its_native_state() {
    let s = server(json!({"name": "web", "state": {"id": 1, "name": "On"}}));
    let mapped = map_server(s, "gg");
    assert_eq!(mapped.state, ServerState::Pending);
    assert_eq!(mapped.extra["native_state"], json!("On"));
    assert!(!mapped.extra.contains_key("gogrid_id"));
}

#[test]
fn server_with_id_and_unknown_state_is_unknown_not_a_panic() {
    let s = server(json!({"id": 5, "name": "web", "state": {"name": "Weird"}}));
    assert_eq!(map_server(s, "gg").state, ServerState::Unknown);
    let s = server(json!({"id": 5, "name": "web"}));
    assert_eq!(map_server(s, "gg").state, ServerState::Unknown);
}

#[test]
fn private_ip_goes_to_private_ips() {
    let s = server(json!({"id": 5, "name": "db", "ip": {"ip": "10.0.0.5", "public": false}}));
    let mapped = map_server(s, "gg");
    assert!(mapped.public_ips.is_empty());
    assert_eq!(mapped.private_ips, vec!["10.0.0.5"]);
}

#[test]
fn ram_step_table_follows_jclouds_and_caps_cores_at_16() {
    let rows = [
        (512, 0.5, 25),
        (1024, 1.0, 50),
        (2048, 2.0, 100),
        (4096, 4.0, 200),
        (8192, 8.0, 400),
        (16384, 16.0, 800),
        (24576, 16.0, 1200),
    ];
    for (mib, cores, disk) in rows {
        assert_eq!(ram_step_resources(mib), (cores, disk), "{mib} MiB");
    }
}

#[test]
fn ram_names_parse_to_mib() {
    assert_eq!(parse_ram_mib("512MB"), Some(512));
    assert_eq!(parse_ram_mib("1GB"), Some(1024));
    assert_eq!(parse_ram_mib("24GB"), Some(24576));
    assert_eq!(parse_ram_mib("Server with 2GB RAM"), Some(2048));
    assert_eq!(parse_ram_mib("SandBox"), None);
    assert_eq!(parse_ram_mib("0GB"), None);
}

#[test]
fn size_from_description_when_the_name_has_no_amount() {
    let option: NativeOption = serde_json::from_value(
        json!({"id": 7, "name": "SandBox", "description": "SandBox Server with 2GB RAM"}),
    )
    .unwrap();
    let size = map_size(option, "gg").unwrap();
    assert_eq!((size.id.as_str(), size.memory_mib), ("SandBox", Some(2048)));
    let option: NativeOption = serde_json::from_value(json!({"id": 7, "name": "Mystery"})).unwrap();
    assert!(map_size(option, "gg").is_none());
}

#[test]
fn os_family_and_architecture_rows() {
    assert_eq!(os_family("Windows 2003 Standard (32 bit)"), Some("windows"));
    assert_eq!(os_family("CentOS 6.2 (64-bit)"), Some("linux"));
    assert_eq!(os_family("RHEL 5.7 (64-bit)"), Some("linux"));
    assert_eq!(os_family("Ubuntu 12.04 LTS Server (32-bit)"), Some("linux"));
    assert_eq!(os_family("Debian 6.0 (64-bit)"), Some("linux"));
    assert_eq!(os_family("F5"), None);
    assert_eq!(architecture(Some("32-bit"), None), Some("i386"));
    assert_eq!(architecture(Some("64-bit"), None), Some("x86_64"));
    assert_eq!(
        architecture(None, Some("CentOS 5.3 (64-bit)")),
        Some("x86_64")
    );
    assert_eq!(
        architecture(None, Some("Windows 2003 Standard (32 bit)")),
        Some("i386")
    );
    assert_eq!(architecture(None, None), None);
}

#[test]
fn free_ip_needs_public_unassigned_and_the_region() {
    let ip = |public: bool, state: &str, dc: &str| -> NativeIp {
        serde_json::from_value(json!({"ip": "1.2.3.4", "public": public,
            "state": {"name": state}, "datacenter": {"name": dc}}))
        .unwrap()
    };
    assert!(is_free_public_ip(
        &ip(true, "Unassigned", "US-West-1"),
        None
    ));
    assert!(is_free_public_ip(
        &ip(true, "Unassigned", "US-West-1"),
        Some("US-West-1")
    ));
    assert!(!is_free_public_ip(
        &ip(true, "Unassigned", "US-West-1"),
        Some("US-East-1")
    ));
    assert!(!is_free_public_ip(&ip(true, "Assigned", "US-West-1"), None));
    assert!(!is_free_public_ip(
        &ip(false, "Unassigned", "US-West-1"),
        None
    ));
}

#[test]
fn image_filter_by_owner_and_name() {
    let image = |public: bool| {
        let native: NativeImage = serde_json::from_value(json!({"id": 1, "name": "centos_base",
            "friendlyName": "CentOS Base", "isPublic": public,
            "owner": {"id": -1, "name": "GoGrid"}}))
        .unwrap();
        map_image(native, "gg")
    };
    let f = |owner: Option<&str>, name: Option<&str>| ImageFilter {
        owner: owner.map(str::to_owned),
        name: name.map(str::to_owned),
    };
    assert!(image_matches(&f(Some("gogrid"), None), &image(true)));
    assert!(image_matches(&f(Some("-1"), None), &image(true)));
    assert!(!image_matches(&f(Some("self"), None), &image(true)));
    assert!(image_matches(&f(Some("self"), None), &image(false)));
    assert!(image_matches(&f(None, Some("Base")), &image(true)));
    assert!(image_matches(&f(None, Some("centos_")), &image(true)));
    assert!(!image_matches(&f(None, Some("ubuntu")), &image(true)));
}
