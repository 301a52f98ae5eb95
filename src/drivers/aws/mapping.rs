//! EC2 objects (as the SDK gives them) → the unified model: the instance and volume state
//! tables, and the mapping of instances, AMIs, instance types, regions and EBS volumes.

use aws_sdk_ec2::primitives::DateTime;
use aws_sdk_ec2::types::{
    AvailabilityZone, Image as Ec2Image, Instance, InstanceTypeInfo, Region as Ec2Region, Tag,
    Volume as Ec2Volume,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::model::{
    Attachment, Extra, Image, Region, Server, ServerState, Size, Tags, Volume, VolumeState,
};

/// The tag that holds a resource's name in EC2 (the console's "Name" column).
pub(crate) const NAME_TAG: &str = "Name";

/// EC2 instance states (`InstanceState.Name`) → unified. EC2 has no rebooting state: a reboot
/// keeps the instance `running`.
pub(crate) const SERVER_STATES: &[(&str, ServerState)] = &[
    ("pending", ServerState::Pending),
    ("running", ServerState::Running),
    ("stopping", ServerState::Stopping),
    ("stopped", ServerState::Stopped),
    ("shutting-down", ServerState::Terminating),
    ("terminated", ServerState::Terminated),
];

/// EBS volume states (`Volume.State`) → unified. `in-use` means attached (or attaching);
/// each attachment's own state is in `extra.attachments`.
pub(crate) const VOLUME_STATES: &[(&str, VolumeState)] = &[
    ("creating", VolumeState::Creating),
    ("available", VolumeState::Available),
    ("in-use", VolumeState::InUse),
    ("deleting", VolumeState::Deleting),
    ("deleted", VolumeState::Deleted),
    ("error", VolumeState::Error),
];

/// The unified state of an EC2 instance state name; unknown names are logged.
pub(crate) fn server_state(native: &str) -> ServerState {
    lookup(SERVER_STATES, native, ServerState::Unknown, "instance")
}

/// The EC2 state names that make up a unified state, for the `instance-state-name` filter
/// (empty: no EC2 instance is ever in that state).
pub(crate) fn native_server_states(state: ServerState) -> Vec<&'static str> {
    SERVER_STATES
        .iter()
        .filter(|(_, s)| *s == state)
        .map(|(n, _)| *n)
        .collect()
}

/// The unified state of an EBS volume state name.
pub(crate) fn volume_state(native: &str) -> VolumeState {
    lookup(VOLUME_STATES, native, VolumeState::Unknown, "volume")
}

fn lookup<S: Copy>(table: &[(&str, S)], native: &str, unknown: S, what: &str) -> S {
    match table.iter().find(|(n, _)| *n == native) {
        Some((_, state)) => *state,
        None => {
            tracing::warn!(native_state = native, "unknown EC2 {what} state");
            unknown
        }
    }
}

/// Whether `id` can be an EC2 id with this prefix (`i-`, `ami-`, `vol-`): the prefix and 1 to 32
/// lower-case letters and digits (EC2 uses 8 or 17 hex digits; moto also ships AMIs such as
/// `ami-ekslinux`). Anything else cannot name a resource, so the driver answers `not_found`
/// without asking EC2 (which would call it `Malformed`).
pub(crate) fn is_ec2_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        (1..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Tags as a map, without the `Name` tag (it is the resource's `name`).
pub(crate) fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .filter(|(k, _)| k != NAME_TAG)
        .collect()
}

fn name_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(NAME_TAG))
        .and_then(|t| t.value())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn time_of(dt: Option<&DateTime>) -> Option<OffsetDateTime> {
    let dt = dt?;
    let nanos = i128::from(dt.secs()) * 1_000_000_000 + i128::from(dt.subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// Puts `value` under `key` when there is one.
fn put(extra: &mut Extra, key: &str, value: Option<Value>) {
    if let Some(value) = value.filter(|v| !v.is_null()) {
        extra.insert(key.to_owned(), value);
    }
}

/// An EC2 instance as a server of `provider` in `region`.
pub(crate) fn map_server(instance: &Instance, provider: &str, region: &str) -> Server {
    let id = instance.instance_id().unwrap_or_default().to_owned();
    let native_state = instance
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    let mut extra = Extra::new();
    put(&mut extra, "native_state", Some(json!(native_state)));
    put(
        &mut extra,
        "native_state_code",
        instance.state().and_then(|s| s.code()).map(|c| json!(c)),
    );
    put(
        &mut extra,
        "key_name",
        instance.key_name().map(|v| json!(v)),
    );
    put(&mut extra, "vpc_id", instance.vpc_id().map(|v| json!(v)));
    put(
        &mut extra,
        "subnet_id",
        instance.subnet_id().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "platform",
        instance.platform().map(|p| json!(p.as_str())),
    );
    put(
        &mut extra,
        "architecture",
        instance.architecture().map(|a| json!(a.as_str())),
    );
    put(
        &mut extra,
        "private_dns_name",
        instance
            .private_dns_name()
            .filter(|v| !v.is_empty())
            .map(|v| json!(v)),
    );
    put(
        &mut extra,
        "public_dns_name",
        instance
            .public_dns_name()
            .filter(|v| !v.is_empty())
            .map(|v| json!(v)),
    );
    put(
        &mut extra,
        "state_reason",
        instance
            .state_reason()
            .and_then(|r| r.message())
            .map(|v| json!(v)),
    );
    put(
        &mut extra,
        "root_device_type",
        instance.root_device_type().map(|v| json!(v.as_str())),
    );
    let block_devices: Vec<Value> = instance
        .block_device_mappings()
        .iter()
        .map(|m| {
            json!({
                "device": m.device_name(),
                "volume_id": m.ebs().and_then(|e| e.volume_id()),
            })
        })
        .collect();
    if !block_devices.is_empty() {
        extra.insert("block_devices".into(), Value::Array(block_devices));
    }
    let state = server_state(&native_state);
    Server {
        name: name_of(instance.tags()).unwrap_or_else(|| id.clone()),
        id,
        provider: provider.to_owned(),
        state,
        image_id: instance.image_id().map(str::to_owned),
        size_id: instance.instance_type().map(|t| t.as_str().to_owned()),
        region: Some(region.to_owned()),
        zone: instance
            .placement()
            .and_then(|p| p.availability_zone())
            .map(str::to_owned),
        public_ips: instance
            .public_ip_address()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        private_ips: instance
            .private_ip_address()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        created_at: time_of(instance.launch_time()),
        tags: tags_of(instance.tags()),
        actions: state.valid_actions(),
        extra,
    }
}

/// The device names the instance already uses (its block device mappings and root device).
pub(crate) fn used_devices(instance: &Instance) -> Vec<String> {
    instance
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.device_name())
        .chain(instance.root_device_name())
        .map(str::to_owned)
        .collect()
}

/// The device for a new EBS attachment: the first of `/dev/sdf` … `/dev/sdp` (the names EC2
/// recommends for EBS volumes on Linux) that the instance does not use, counting `/dev/xvdX`
/// as the same letter.
pub(crate) fn free_device(used: &[String]) -> Option<String> {
    let letter_of = |device: &str| {
        device
            .strip_prefix("/dev/sd")
            .or_else(|| device.strip_prefix("/dev/xvd"))
            .and_then(|rest| rest.chars().next())
    };
    let taken: Vec<char> = used.iter().filter_map(|d| letter_of(d)).collect();
    ('f'..='p')
        .find(|letter| !taken.contains(letter))
        .map(|letter| format!("/dev/sd{letter}"))
}

/// An AMI as an image of `provider`.
pub(crate) fn map_image(image: &Ec2Image, provider: &str) -> Image {
    let id = image.image_id().unwrap_or_default().to_owned();
    let mut extra = Extra::new();
    put(&mut extra, "owner_id", image.owner_id().map(|v| json!(v)));
    put(
        &mut extra,
        "owner_alias",
        image.image_owner_alias().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "state",
        image.state().map(|v| json!(v.as_str())),
    );
    put(
        &mut extra,
        "platform_details",
        image.platform_details().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "root_device_type",
        image.root_device_type().map(|v| json!(v.as_str())),
    );
    put(
        &mut extra,
        "virtualization_type",
        image.virtualization_type().map(|v| json!(v.as_str())),
    );
    put(
        &mut extra,
        "creation_date",
        image.creation_date().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "image_location",
        image.image_location().map(|v| json!(v)),
    );
    let tags = tags_of(image.tags());
    if !tags.is_empty() {
        extra.insert("tags".into(), json!(tags));
    }
    Image {
        name: image
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| id.clone()),
        id,
        provider: provider.to_owned(),
        description: image.description().map(str::to_owned),
        os_family: os_family(
            image.platform().map(|p| p.as_str()),
            image.platform_details(),
            image.name(),
        ),
        architecture: image.architecture().map(|a| a.as_str().to_owned()),
        public: image.public().unwrap_or(false),
        extra,
    }
}

/// Name fragments (lower case) that identify a Linux distribution in an AMI name.
const LINUX_NAMES: &[&str] = &[
    "linux",
    "amzn",
    "al2023",
    "ubuntu",
    "debian",
    "rhel",
    "red hat",
    "suse",
    "sles",
    "centos",
    "fedora",
    "rocky",
    "alma",
    "bottlerocket",
];

/// The OS family: `platform` (EC2 sets it only for Windows), then `PlatformDetails`
/// (`Linux/UNIX`, `Red Hat Enterprise Linux`, `Windows with SQL Server …`), then the AMI name.
pub(crate) fn os_family(
    platform: Option<&str>,
    platform_details: Option<&str>,
    name: Option<&str>,
) -> Option<String> {
    if platform.is_some_and(|p| p.eq_ignore_ascii_case("windows")) {
        return Some("windows".into());
    }
    let from_text = |text: &str| {
        let text = text.to_ascii_lowercase();
        if text.contains("windows") {
            Some("windows")
        } else if text.contains("freebsd") {
            Some("freebsd")
        } else if text.contains("macos") {
            Some("macos")
        } else if LINUX_NAMES.iter().any(|n| text.contains(n)) || text.contains("unix") {
            Some("linux")
        } else {
            None
        }
    };
    platform_details
        .and_then(from_text)
        .or_else(|| name.and_then(from_text))
        .map(str::to_owned)
}

/// An instance type as a size of `provider`.
pub(crate) fn map_size(info: &InstanceTypeInfo, provider: &str) -> Option<Size> {
    let id = info.instance_type()?.as_str().to_owned();
    let cores = info.v_cpu_info().and_then(|v| v.default_v_cpus());
    let memory = info.memory_info().and_then(|m| m.size_in_mib());
    let mut extra = Extra::new();
    put(
        &mut extra,
        "current_generation",
        info.current_generation().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "free_tier_eligible",
        info.free_tier_eligible().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "burstable",
        info.burstable_performance_supported().map(|v| json!(v)),
    );
    let architectures: Vec<&str> = info
        .processor_info()
        .map(|p| {
            p.supported_architectures()
                .iter()
                .map(|a| a.as_str())
                .collect()
        })
        .unwrap_or_default();
    if !architectures.is_empty() {
        extra.insert("architectures".into(), json!(architectures));
    }
    put(
        &mut extra,
        "network_performance",
        info.network_info()
            .and_then(|n| n.network_performance())
            .map(|v| json!(v)),
    );
    Some(Size {
        name: id.clone(),
        id,
        provider: provider.to_owned(),
        cores: cores.map(f64::from),
        memory_mib: memory.and_then(|m| u64::try_from(m).ok()),
        disk_gib: info
            .instance_storage_info()
            .and_then(|s| s.total_size_in_gb())
            .and_then(|gb| u64::try_from(gb).ok()),
        extra,
    })
}

/// A region with the names of its zones.
pub(crate) fn map_region(region: &Ec2Region, zones: &[AvailabilityZone], provider: &str) -> Region {
    let id = region.region_name().unwrap_or_default().to_owned();
    let mut extra = Extra::new();
    put(&mut extra, "endpoint", region.endpoint().map(|v| json!(v)));
    put(
        &mut extra,
        "opt_in_status",
        region.opt_in_status().map(|v| json!(v)),
    );
    let zone_ids: Vec<&str> = zones.iter().filter_map(|z| z.zone_id()).collect();
    if !zone_ids.is_empty() {
        extra.insert("zone_ids".into(), json!(zone_ids));
    }
    Region {
        name: id.clone(),
        id,
        provider: provider.to_owned(),
        zones: zones
            .iter()
            .filter_map(|z| z.zone_name())
            .map(str::to_owned)
            .collect(),
        extra,
    }
}

/// An EBS volume as a volume of `provider`.
pub(crate) fn map_volume(volume: &Ec2Volume, provider: &str) -> Volume {
    let id = volume.volume_id().unwrap_or_default().to_owned();
    let native_state = volume
        .state()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let mut extra = Extra::new();
    put(&mut extra, "native_state", Some(json!(native_state)));
    put(
        &mut extra,
        "volume_type",
        volume.volume_type().map(|v| json!(v.as_str())),
    );
    put(&mut extra, "iops", volume.iops().map(|v| json!(v)));
    put(
        &mut extra,
        "throughput",
        volume.throughput().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "encrypted",
        volume.encrypted().map(|v| json!(v)),
    );
    put(
        &mut extra,
        "snapshot_id",
        volume
            .snapshot_id()
            .filter(|v| !v.is_empty())
            .map(|v| json!(v)),
    );
    let attachment_states: Vec<Value> = volume
        .attachments()
        .iter()
        .map(|a| {
            json!({
                "server_id": a.instance_id(),
                "device": a.device(),
                "state": a.state().map(|s| s.as_str()),
            })
        })
        .collect();
    if !attachment_states.is_empty() {
        extra.insert("attachments".into(), Value::Array(attachment_states));
    }
    Volume {
        name: name_of(volume.tags()).unwrap_or_else(|| id.clone()),
        id,
        provider: provider.to_owned(),
        size_gib: volume
            .size()
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or_default(),
        state: volume_state(&native_state),
        zone: volume.availability_zone().map(str::to_owned),
        attachments: volume
            .attachments()
            .iter()
            .filter(|a| a.state().is_none_or(|s| s.as_str() != "detached"))
            .filter_map(|a| {
                Some(Attachment {
                    server_id: a.instance_id()?.to_owned(),
                    device: a.device().map(str::to_owned),
                })
            })
            .collect(),
        created_at: time_of(volume.create_time()),
        tags: tags_of(volume.tags()),
        extra,
    }
}
