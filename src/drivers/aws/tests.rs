//! Unit tests of the EC2 mapping and paging (the driver against moto is tested in
//! `tests/conformance_aws.rs` and `tests/aws_moto_crosscheck.rs`).

use std::sync::Mutex;

use aws_sdk_ec2::types::{
    Image as Ec2Image, Instance, InstanceState, InstanceStateChange, InstanceStateName,
    InstanceType, InstanceTypeInfo, MemoryInfo, Placement, PlatformValues, Tag, VCpuInfo,
    Volume as Ec2Volume, VolumeAttachment, VolumeAttachmentState, VolumeState as Ec2VolumeState,
};

use super::mapping::{self, SERVER_STATES, VOLUME_STATES};
use super::paging::{self, NativeLimits, NativePage};
use super::{filter_contains, with_reported_state};
use crate::driver::{ErrorKind, ListRequest, Page};
use crate::model::{ServerState, VolumeState};

#[test]
fn instance_state_table_row_by_row() {
    use ServerState as S;
    let rows = [
        ("pending", S::Pending),
        ("running", S::Running),
        ("stopping", S::Stopping),
        ("stopped", S::Stopped),
        ("shutting-down", S::Terminating),
        ("terminated", S::Terminated),
        ("hibernating", S::Unknown),
    ];
    for (native, unified) in rows {
        assert_eq!(mapping::server_state(native), unified, "{native}");
    }
    assert_eq!(SERVER_STATES.len(), 6);
}

#[test]
fn every_sdk_instance_state_has_a_row() {
    for name in InstanceStateName::values() {
        assert_ne!(mapping::server_state(name), ServerState::Unknown, "{name}");
    }
}

#[test]
fn state_filter_values_come_from_the_same_table() {
    assert_eq!(
        mapping::native_server_states(ServerState::Terminating),
        vec!["shutting-down"]
    );
    assert_eq!(
        mapping::native_server_states(ServerState::Running),
        vec!["running"]
    );
    assert!(mapping::native_server_states(ServerState::Rebooting).is_empty());
}

#[test]
fn volume_state_table_row_by_row() {
    use VolumeState as V;
    for (native, unified) in [
        ("creating", V::Creating),
        ("available", V::Available),
        ("in-use", V::InUse),
        ("deleting", V::Deleting),
        ("deleted", V::Deleted),
        ("error", V::Error),
        ("optimizing", V::Unknown),
    ] {
        assert_eq!(mapping::volume_state(native), unified, "{native}");
    }
    for name in Ec2VolumeState::values() {
        assert_ne!(mapping::volume_state(name), V::Unknown, "{name}");
    }
    assert_eq!(VOLUME_STATES.len(), 6);
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn instance(state: InstanceStateName) -> Instance {
    Instance::builder()
        .instance_id("i-0123456789abcdef0")
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::T3Micro)
        .state(InstanceState::builder().name(state).code(16).build())
        .placement(Placement::builder().availability_zone("eu-west-1b").build())
        .public_ip_address("54.1.2.3")
        .private_ip_address("10.0.0.5")
        .key_name("ops")
        .tags(tag("Name", "web-1"))
        .tags(tag("team", "ops"))
        .build()
}

#[test]
fn instance_maps_name_tag_state_and_placement() {
    let server = mapping::map_server(&instance(InstanceStateName::Running), "aws1", "eu-west-1");
    assert_eq!(server.id, "i-0123456789abcdef0");
    assert_eq!(server.name, "web-1");
    assert_eq!(server.state, ServerState::Running);
    assert_eq!(server.image_id.as_deref(), Some("ami-12c6146b"));
    assert_eq!(server.size_id.as_deref(), Some("t3.micro"));
    assert_eq!(server.region.as_deref(), Some("eu-west-1"));
    assert_eq!(server.zone.as_deref(), Some("eu-west-1b"));
    assert_eq!(server.public_ips, vec!["54.1.2.3"]);
    assert_eq!(server.private_ips, vec!["10.0.0.5"]);
    assert_eq!(server.tags.get("team").map(String::as_str), Some("ops"));
    assert!(
        !server.tags.contains_key("Name"),
        "Name is the name, not a tag"
    );
    assert_eq!(server.extra["native_state"], "running");
    assert_eq!(server.extra["key_name"], "ops");
}

#[test]
fn instance_without_name_tag_is_named_by_its_id() {
    let bare = Instance::builder().instance_id("i-0abc1234").build();
    let server = mapping::map_server(&bare, "aws1", "us-east-1");
    assert_eq!(server.name, "i-0abc1234");
    assert_eq!(server.state, ServerState::Unknown);
}

#[test]
fn reported_state_replaces_a_stale_read_back_only() {
    let change = |before, after| {
        InstanceStateChange::builder()
            .instance_id("i-0123456789abcdef0")
            .previous_state(InstanceState::builder().name(before).build())
            .current_state(InstanceState::builder().name(after).build())
            .build()
    };
    let stale = mapping::map_server(&instance(InstanceStateName::Running), "p", "r");
    let stop = change(InstanceStateName::Running, InstanceStateName::Stopping);
    let server = with_reported_state(stale, Some(&stop));
    assert_eq!(server.state, ServerState::Stopping);
    assert_eq!(server.extra["native_state"], "stopping");
    let fresh = mapping::map_server(&instance(InstanceStateName::Stopped), "p", "r");
    let server = with_reported_state(fresh, Some(&stop));
    assert_eq!(
        server.state,
        ServerState::Stopped,
        "a fresher read-back wins"
    );
}

#[test]
fn ec2_ids_are_recognised_by_prefix_and_shape() {
    assert!(mapping::is_ec2_id("i-0123456789abcdef0", "i-"));
    assert!(mapping::is_ec2_id("i-1a2b3c4d", "i-"));
    assert!(mapping::is_ec2_id("ami-12c6146b", "ami-"));
    assert!(!mapping::is_ec2_id("no-such-server-x", "i-"));
    assert!(mapping::is_ec2_id("ami-ekslinux", "ami-"));
    assert!(!mapping::is_ec2_id("i-", "i-"));
    assert!(!mapping::is_ec2_id("i-ABC", "i-"));
    assert!(!mapping::is_ec2_id("vol-0123456789abcdef0", "i-"));
}

#[test]
fn free_device_skips_used_letters_in_both_spellings() {
    let used = vec![
        "/dev/sda1".to_owned(),
        "/dev/sdf".to_owned(),
        "/dev/xvdg".to_owned(),
    ];
    assert_eq!(mapping::free_device(&used).as_deref(), Some("/dev/sdh"));
    let full: Vec<String> = ('f'..='p').map(|c| format!("/dev/sd{c}")).collect();
    assert_eq!(mapping::free_device(&full), None);
}

#[test]
fn os_family_from_platform_details_or_name() {
    let os = |p, d, n| mapping::os_family(p, d, n);
    assert_eq!(os(Some("windows"), None, None).as_deref(), Some("windows"));
    assert_eq!(os(None, Some("Linux/UNIX"), None).as_deref(), Some("linux"));
    assert_eq!(
        os(None, Some("Red Hat Enterprise Linux"), None).as_deref(),
        Some("linux")
    );
    assert_eq!(
        os(None, None, Some("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04")).as_deref(),
        Some("linux")
    );
    assert_eq!(
        os(None, None, Some("amzn2-ami-hvm-2.0.2023-x86_64-gp2")).as_deref(),
        Some("linux")
    );
    assert_eq!(
        os(None, None, Some("Windows_Server-2019-English-Full-Base")).as_deref(),
        Some("windows")
    );
    assert_eq!(os(None, None, Some("my-golden-image")), None);
}

#[test]
fn ami_maps_public_architecture_and_os() {
    let image = Ec2Image::builder()
        .image_id("ami-03cf127a")
        .name("Windows_Server-2016-English-Nano-Base-2017.10.13")
        .platform(PlatformValues::Windows)
        .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
        .public(true)
        .owner_id("801119661308")
        .build();
    let mapped = mapping::map_image(&image, "aws1");
    assert_eq!(mapped.os_family.as_deref(), Some("windows"));
    assert_eq!(mapped.architecture.as_deref(), Some("x86_64"));
    assert!(mapped.public);
    assert_eq!(mapped.extra["owner_id"], "801119661308");
}

#[test]
fn instance_type_maps_cores_memory_and_local_disk() {
    let info = InstanceTypeInfo::builder()
        .instance_type(InstanceType::M5dLarge)
        .v_cpu_info(VCpuInfo::builder().default_v_cpus(2).build())
        .memory_info(MemoryInfo::builder().size_in_mib(8192).build())
        .instance_storage_info(
            aws_sdk_ec2::types::InstanceStorageInfo::builder()
                .total_size_in_gb(75)
                .build(),
        )
        .build();
    let size = mapping::map_size(&info, "aws1").unwrap_or_else(|| panic!("mapped"));
    assert_eq!(
        (size.id.as_str(), size.cores, size.memory_mib),
        ("m5d.large", Some(2.0), Some(8192))
    );
    assert_eq!(size.disk_gib, Some(75));
    let no_disk = InstanceTypeInfo::builder()
        .instance_type(InstanceType::T3Micro)
        .v_cpu_info(VCpuInfo::builder().default_v_cpus(2).build())
        .memory_info(MemoryInfo::builder().size_in_mib(1024).build())
        .build();
    assert_eq!(
        mapping::map_size(&no_disk, "aws1").and_then(|s| s.disk_gib),
        None
    );
}

#[test]
fn attached_volume_is_in_use_with_its_attachment() {
    let volume = Ec2Volume::builder()
        .volume_id("vol-0123456789abcdef0")
        .size(10)
        .state(Ec2VolumeState::InUse)
        .availability_zone("us-east-1a")
        .tags(tag("Name", "data-1"))
        .attachments(
            VolumeAttachment::builder()
                .instance_id("i-0123456789abcdef0")
                .device("/dev/sdf")
                .state(VolumeAttachmentState::Attached)
                .build(),
        )
        .build();
    let mapped = mapping::map_volume(&volume, "aws1");
    assert_eq!(mapped.name, "data-1");
    assert_eq!(mapped.state, VolumeState::InUse);
    assert_eq!(mapped.size_gib, 10);
    assert_eq!(mapped.attachments.len(), 1);
    assert_eq!(mapped.attachments[0].server_id, "i-0123456789abcdef0");
    assert_eq!(mapped.attachments[0].device.as_deref(), Some("/dev/sdf"));
    assert_eq!(mapped.extra["attachments"][0]["state"], "attached");
}

#[test]
fn name_filter_escapes_wildcards() {
    let f = filter_contains("name", "a*b?c");
    assert_eq!(f.values(), ["*a\\*b\\?c*"]);
}

// --- paging -------------------------------------------------------------------------------------

/// A fake EC2 list of `total` items in native pages of `page_size` (ignoring MaxResults when
/// `ignores_max`, as moto does), recording the MaxResults it was asked for.
struct FakeList {
    total: usize,
    page_size: usize,
    ignores_max: bool,
    asked: Mutex<Vec<i32>>,
}

impl FakeList {
    fn fetch(
        &self,
        token: Option<String>,
        max: i32,
    ) -> std::future::Ready<crate::driver::DriverResult<NativePage<usize>>> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(max);
        }
        let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let size = if self.ignores_max {
            self.page_size
        } else {
            usize::try_from(max).unwrap_or(0).min(self.page_size)
        };
        let end = (start + size).min(self.total);
        std::future::ready(Ok(NativePage {
            items: (start..end).collect(),
            next_token: (end < self.total).then(|| end.to_string()),
        }))
    }
}

async fn walk(list: &FakeList, limit: usize, limits: NativeLimits) -> Vec<usize> {
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let req = ListRequest {
            limit,
            cursor: cursor.take(),
        };
        let page: Page<usize> = paging::page(&req, limits, |t, m| list.fetch(t, m))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            page.items.len() <= limit,
            "page over limit: {:?}",
            page.items
        );
        seen.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
    panic!("paging did not end");
}

#[tokio::test]
async fn pages_below_ec2_minimum_lose_and_repeat_nothing() {
    for (limit, page_size, ignores_max) in [
        (1, 5, false),
        (2, 7, false),
        (3, 100, true),
        (1, 1000, true),
        (7, 5, false),
    ] {
        let list = FakeList {
            total: 23,
            page_size,
            ignores_max,
            asked: Mutex::new(Vec::new()),
        };
        let seen = walk(&list, limit, paging::INSTANCES).await;
        assert_eq!(
            seen,
            (0..23).collect::<Vec<_>>(),
            "limit {limit} page {page_size}"
        );
        let asked = list.asked.lock().map(|a| a.clone()).unwrap_or_default();
        assert!(
            asked.iter().all(|m| (5..=1000).contains(m)),
            "MaxResults out of range: {asked:?}"
        );
    }
}

#[tokio::test]
async fn several_native_pages_fill_one_gateway_page() {
    let list = FakeList {
        total: 30,
        page_size: 5,
        ignores_max: false,
        asked: Mutex::new(Vec::new()),
    };
    let req = ListRequest {
        limit: 12,
        cursor: None,
    };
    let page = paging::page(&req, paging::INSTANCE_TYPES, |t, m| list.fetch(t, m))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.items, (0..12).collect::<Vec<_>>());
    assert_eq!(list.asked.lock().map(|a| a.len()).unwrap_or_default(), 3);
}

#[tokio::test]
async fn malformed_cursors_are_invalid_requests() {
    let list = FakeList {
        total: 3,
        page_size: 5,
        ignores_max: false,
        asked: Mutex::new(Vec::new()),
    };
    for bad in ["bogus", ":abc", "x:1", "99999999:tok", "1:with space"] {
        let req = ListRequest {
            limit: 1,
            cursor: Some(bad.into()),
        };
        let got = paging::page(&req, paging::VOLUMES, |t, m| list.fetch(t, m)).await;
        assert_eq!(
            got.err().map(|e| e.kind()),
            Some(ErrorKind::InvalidRequest),
            "{bad}"
        );
    }
}

// Lists held in memory (regions) page through `crate::driver::paging::memory_page`, tested
// there.
