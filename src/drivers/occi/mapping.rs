//! OCCI entities and categories ↔ the unified model, with the state tables.
//!
//! - compute ↔ server: id = last path segment of the location (the full location in
//!   `extra.location`), name = `occi.core.title` (else `occi.compute.hostname`, else the id),
//!   state from [`server_state`], image/size = the entity's os_tpl/resource_tpl mixins.
//! - storage ↔ volume: size = `occi.storage.size` (GiB), state from [`volume_state`],
//!   attachments from storage links.
//! - os_tpl ↔ image, resource_tpl ↔ size: ids are [`template_id`]s.
//! - networkinterface addresses ↔ public/private IPs ([`is_public_address`]).

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::discovery::Discovery;
use crate::driver::{DriverError, DriverResult, ErrorKind};
use crate::model::{
    Attachment, Extra, Image, Server, ServerState, Size, Tags, Volume, VolumeState,
};
use crate::occi::{Category, CategoryId, Entity, Link, attr, ids, last_segment};

/// `occi.compute.state` → unified state (GFD.184 §3.1 and 1.2's `error`; rOCCI-server 2 adds
/// `waiting`); matching ignores ASCII case, anything else is `unknown`. ooi reports every Nova
/// status but ACTIVE and SUSPENDED as `inactive`, so building and stopped look alike; the
/// operation follower copes with that.
pub(crate) const SERVER_STATES: &[(&str, ServerState)] = &[
    ("active", ServerState::Running),
    ("inactive", ServerState::Stopped),
    // Suspended keeps memory but does not run: stopped, with extra.suspended = true.
    ("suspended", ServerState::Stopped),
    ("error", ServerState::Error),
    ("waiting", ServerState::Pending),
];

/// `occi.storage.state` → unified state when no storage link targets the storage, and when one
/// does (1.1: online, offline, backup, snapshot, resize, degraded; 1.2: online, offline,
/// error); matching ignores ASCII case, anything else is `unknown`.
pub(crate) const VOLUME_STATES: &[(&str, VolumeState, VolumeState)] = &[
    ("online", VolumeState::Available, VolumeState::InUse),
    // Offline storage exists and can be brought online or attached.
    ("offline", VolumeState::Available, VolumeState::InUse),
    ("error", VolumeState::Error, VolumeState::Error),
    ("degraded", VolumeState::Error, VolumeState::Error),
    // 1.1's transient states of a storage action in progress.
    ("backup", VolumeState::Unknown, VolumeState::Unknown),
    ("snapshot", VolumeState::Unknown, VolumeState::Unknown),
    ("resize", VolumeState::Unknown, VolumeState::Unknown),
];

/// The unified state of `occi.compute.state` ([`SERVER_STATES`]).
pub(crate) fn server_state(native: Option<&str>) -> ServerState {
    native
        .and_then(|native| {
            SERVER_STATES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(native))
        })
        .map_or(ServerState::Unknown, |(_, state)| *state)
}

/// The unified state of `occi.storage.state` ([`VOLUME_STATES`]); `attached` = some storage
/// link targets it.
pub(crate) fn volume_state(native: Option<&str>, attached: bool) -> VolumeState {
    native
        .and_then(|native| {
            VOLUME_STATES
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(native))
        })
        .map_or(VolumeState::Unknown, |(_, alone, linked)| {
            if attached { *linked } else { *alone }
        })
}

/// The gateway id of a template mixin: base64url (no padding) of its type identifier, so it is
/// URL-safe, stable, and unique across schemes (terms collide and may be numbers).
pub(crate) fn template_id(id: &CategoryId) -> String {
    URL_SAFE_NO_PAD.encode(id.type_id())
}

/// The category of a [`template_id`]; `None` for anything that is not one.
pub(crate) fn template_category(id: &str) -> Option<CategoryId> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim()).ok()?;
    CategoryId::parse(&String::from_utf8(bytes).ok()?)
}

/// Whether an address counts as public: not private (RFC 1918), loopback, link-local, shared
/// (RFC 6598), unique-local or unspecified. Unparsable text is private (never advertised as
/// reachable).
pub(crate) fn is_public_address(address: &str) -> bool {
    let ip = address.split('/').next().unwrap_or("").trim();
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let shared = v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64;
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || shared)
        }
        Ok(IpAddr::V6(v6)) => {
            let unique_local = (v6.segments()[0] & 0xfe00) == 0xfc00;
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            !(v6.is_loopback() || v6.is_unspecified() || unique_local || link_local)
        }
        Err(_) => false,
    }
}

/// (public, private) addresses of a compute's network interfaces. A link to a network whose
/// location says `public` (rOCCI, nova OCCI) counts as public whatever the address.
fn addresses(links: &[Link]) -> (Vec<String>, Vec<String>) {
    let (mut public, mut private) = (Vec::new(), Vec::new());
    for link in links {
        let Some(address) = link.attributes.text("occi.networkinterface.address") else {
            continue;
        };
        let public_net = last_segment(&link.target).is_some_and(|s| s == "public");
        let list = if public_net || is_public_address(&address) {
            &mut public
        } else {
            &mut private
        };
        if !list.contains(&address) {
            list.push(address);
        }
    }
    (public, private)
}

/// The mixin of `entity` that is a template of `base` (os_tpl/resource_tpl), by the query
/// interface, else by the category rendered with the entity.
fn template_of(entity: &Entity, discovery: &Discovery, base: &str) -> Option<CategoryId> {
    let base_id = ids::infra(base);
    entity
        .mixins
        .iter()
        .find(|m| {
            let known = discovery
                .qi
                .get(m)
                .or_else(|| entity.categories.iter().find(|c| &c.id == *m));
            known.is_some_and(|c| c.is_related_to(&base_id))
        })
        .cloned()
}

/// Memory in MiB from an OCCI value: GiB per the spec, MB where the server renders Nova's MB
/// (ooi). A value over 1024 is taken as MB whatever the server (no instance has a TiB of RAM
/// in an OCCI size, and MB values of real flavours are ≥ 512).
pub(crate) fn memory_mib(value: f64, in_mib: bool) -> u64 {
    let mib = if in_mib || value > 1024.0 {
        value
    } else {
        value * 1024.0
    };
    mib.round().max(0.0) as u64
}

/// A compute entity at `location` as a server.
pub(crate) fn map_server(
    entity: &Entity,
    location: &str,
    discovery: &Discovery,
    provider: &str,
    region: &str,
) -> Server {
    let id = last_segment(location).unwrap_or(location).to_owned();
    let attrs = &entity.attributes;
    let native_state = attrs.text("occi.compute.state");
    let state = server_state(native_state.as_deref());
    let name = entity
        .title()
        .filter(|t| !t.is_empty())
        .or_else(|| attrs.text("occi.compute.hostname"))
        .unwrap_or_else(|| id.clone());
    let (public_ips, private_ips) = addresses(&entity.links);
    let zone = entity
        .mixins
        .iter()
        .find(|m| discovery.zones().iter().any(|z| &z.id == *m))
        .map(|m| m.term.clone());
    let mut extra = Extra::new();
    extra.insert("location".into(), json!(location));
    extra.insert("native_state".into(), json!(native_state));
    if native_state.as_deref() == Some("suspended") {
        extra.insert("suspended".into(), json!(true));
    }
    for (key, name) in [
        ("state_message", "occi.compute.state.message"),
        ("occi_id", attr::ID),
        ("hostname", "occi.compute.hostname"),
        ("architecture", "occi.compute.architecture"),
    ] {
        if let Some(v) = attrs.text(name) {
            extra.insert(key.into(), json!(v));
        }
    }
    if let Some(cores) = attrs.number("occi.compute.cores") {
        extra.insert("cores".into(), json!(cores));
    }
    if let Some(memory) = attrs.number("occi.compute.memory") {
        extra.insert(
            "memory_mib".into(),
            json!(memory_mib(memory, discovery.memory_in_mib())),
        );
    }
    let offered: Vec<Value> = entity.actions.iter().map(|a| json!(a.term)).collect();
    extra.insert("occi_actions".into(), Value::Array(offered));
    Server {
        id,
        provider: provider.to_owned(),
        name,
        state,
        image_id: template_of(entity, discovery, "os_tpl").map(|c| template_id(&c)),
        size_id: template_of(entity, discovery, "resource_tpl").map(|c| template_id(&c)),
        region: Some(region.to_owned()),
        zone,
        public_ips,
        private_ips,
        created_at: None,
        tags: Tags::new(),
        actions: Vec::new(),
        extra,
    }
}

/// A storage link as an attachment: the compute is its source (last path segment).
pub(crate) fn attachment(source: &str, link_attrs: &crate::occi::Attributes) -> Attachment {
    Attachment {
        server_id: last_segment(source).unwrap_or(source).to_owned(),
        device: link_attrs
            .text("occi.storagelink.deviceid")
            .filter(|d| !d.is_empty()),
    }
}

/// A storage entity at `location` with its attachments as a volume.
pub(crate) fn map_volume(
    entity: &Entity,
    location: &str,
    attachments: Vec<Attachment>,
    provider: &str,
) -> Volume {
    let id = last_segment(location).unwrap_or(location).to_owned();
    let attrs = &entity.attributes;
    let native_state = attrs.text("occi.storage.state");
    let state = volume_state(native_state.as_deref(), !attachments.is_empty());
    let size = attrs.number("occi.storage.size");
    let mut extra = Extra::new();
    extra.insert("location".into(), json!(location));
    extra.insert("native_state".into(), json!(native_state));
    if size.is_none() {
        // rOCCI-server 1 renders no size for some storage: 0 here means "not said".
        extra.insert("size_unknown".into(), json!(true));
    }
    if let Some(message) = attrs.text("occi.storage.state.message") {
        extra.insert("state_message".into(), json!(message));
    }
    Volume {
        name: entity
            .title()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| id.clone()),
        id,
        provider: provider.to_owned(),
        size_gib: size.map_or(0, |s| s.ceil().max(0.0) as u64),
        state,
        zone: None,
        attachments,
        created_at: None,
        tags: Tags::new(),
        extra,
    }
}

/// An os_tpl mixin as an image. OCCI says nothing about OS family, architecture or
/// visibility: templates are what the site offers its users, so they count as public.
pub(crate) fn map_image(template: &Category, provider: &str) -> Image {
    let mut extra = template_extra(template);
    for def in &template.attributes {
        if let Some(default) = &def.default {
            extra.insert(def.name.clone(), default.to_json());
        }
    }
    Image {
        id: template_id(&template.id),
        provider: provider.to_owned(),
        name: template
            .title
            .clone()
            .unwrap_or_else(|| template.id.term.clone()),
        description: None,
        os_family: None,
        architecture: None,
        public: true,
        extra,
    }
}

fn template_extra(template: &Category) -> Extra {
    let mut extra = Extra::new();
    extra.insert("scheme".into(), json!(template.id.scheme));
    extra.insert("term".into(), json!(template.id.term));
    if let Some(location) = &template.location {
        extra.insert("location".into(), json!(location));
    }
    extra
}

/// A resource_tpl mixin as a size: cores, memory and disk from the GFD.226 `default`s, else
/// parsed from the title ("Small Instance - 1 core and 1.7 GB of RAM"). What is not said stays
/// `None` (null in the API).
pub(crate) fn map_size(template: &Category, memory_in_mib: bool, provider: &str) -> Size {
    let default = |name: &str| {
        template
            .attribute(name)
            .and_then(|d| d.default.as_ref())
            .and_then(|v| v.as_f64())
    };
    let title = template.title.clone().unwrap_or_default();
    let (title_cores, title_gib) = numbers_in_title(&title);
    let cores = default("occi.compute.cores").or(title_cores);
    let memory = default("occi.compute.memory")
        .map(|m| memory_mib(m, memory_in_mib))
        .or(title_gib.map(|g| memory_mib(g, false)));
    let disk = default("occi.compute.ephemeral_storage.size")
        .or_else(|| default("org.openstack.flavor.disk"))
        .map(|d| d.ceil().max(0.0) as u64);
    let extra = template_extra(template);
    Size {
        id: template_id(&template.id),
        provider: provider.to_owned(),
        name: if title.is_empty() {
            template.id.term.clone()
        } else {
            title
        },
        cores,
        memory_mib: memory,
        disk_gib: disk,
        extra,
    }
}

/// (cores, GiB of RAM) from titles like "Medium Instance - 2 cores and 3.75 GB of RAM" or
/// "Goliath Instance - 16 cores and 64 GB RAM" (rOCCI-server 1 sites); MB values are
/// converted.
pub(crate) fn numbers_in_title(title: &str) -> (Option<f64>, Option<f64>) {
    let words: Vec<&str> = title.split_whitespace().collect();
    let number_before = |unit: &dyn Fn(&str) -> bool| {
        words.windows(2).find_map(|w| {
            let value = w[0].replace(',', ".").parse::<f64>().ok()?;
            unit(&w[1].to_ascii_lowercase()).then_some(value)
        })
    };
    let cores =
        number_before(&|u| u.starts_with("core") || u.starts_with("cpu") || u.starts_with("vcpu"));
    let gib = number_before(&|u| u.starts_with("gb") || u.starts_with("gib")).or_else(|| {
        number_before(&|u| u.starts_with("mb") || u.starts_with("mib")).map(|mb| mb / 1024.0)
    });
    (cores, gib)
}

/// Characters escaped in an id placed in a path segment.
pub(crate) const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':')
    .remove(b'@');

/// An entity's location as rendered, else its id under `collection`.
pub(crate) fn entity_location(entity: Entity, collection: &str) -> Option<String> {
    let id = entity.id();
    entity
        .location
        .or_else(|| id.map(|id| member(collection, &id)))
}

fn member(collection: &str, id: &str) -> String {
    if id.starts_with('/') || id.contains("://") {
        id.to_owned()
    } else {
        format!("{collection}{id}")
    }
}

pub(crate) fn zone_mixin(d: &Discovery, zone: &str) -> DriverResult<CategoryId> {
    let zones = d.zones();
    if zones.is_empty() {
        return Err(DriverError::unsupported(
            "zone (the OCCI server has no availability zones)",
        ));
    }
    zones
        .iter()
        .find(|z| z.id.term == zone || z.title.as_deref() == Some(zone))
        .map(|z| z.id.clone())
        .ok_or_else(|| {
            let known: Vec<&str> = zones.iter().map(|z| z.id.term.as_str()).collect();
            DriverError::new(
                ErrorKind::InvalidRequest,
                format!("unknown zone {zone:?}; zones: {known:?}"),
            )
        })
}

pub(crate) fn looks_like_public_key(key: &str) -> bool {
    let key = key.trim();
    ["ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-"]
        .iter()
        .any(|p| key.starts_with(p))
        && key.contains(' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::occi::{AttributeDef, AttributeValue, CategoryClass};

    #[test]
    fn server_state_table_row_by_row() {
        let rows = [
            (Some("active"), ServerState::Running),
            (Some("ACTIVE"), ServerState::Running),
            (Some("inactive"), ServerState::Stopped),
            (Some("suspended"), ServerState::Stopped),
            (Some("error"), ServerState::Error),
            (Some("waiting"), ServerState::Pending),
            (Some("migrating"), ServerState::Unknown),
            (None, ServerState::Unknown),
        ];
        for (native, state) in rows {
            assert_eq!(server_state(native), state, "{native:?}");
        }
        // Every row of the table, in its own spelling and upper case.
        for (native, state) in SERVER_STATES {
            assert_eq!(server_state(Some(native)), *state, "{native}");
            let upper = native.to_ascii_uppercase();
            assert_eq!(server_state(Some(&upper)), *state, "{upper}");
        }
    }

    #[test]
    fn volume_state_table_row_by_row() {
        let rows = [
            (Some("online"), false, VolumeState::Available),
            (Some("online"), true, VolumeState::InUse),
            (Some("offline"), false, VolumeState::Available),
            (Some("offline"), true, VolumeState::InUse),
            (Some("error"), false, VolumeState::Error),
            (Some("degraded"), true, VolumeState::Error),
            (Some("snapshot"), false, VolumeState::Unknown),
            (Some("backup"), false, VolumeState::Unknown),
            (Some("resize"), false, VolumeState::Unknown),
            (None, false, VolumeState::Unknown),
        ];
        for (native, attached, state) in rows {
            assert_eq!(
                volume_state(native, attached),
                state,
                "{native:?} {attached}"
            );
        }
        // Every row of the table, unattached and attached.
        for (native, alone, linked) in VOLUME_STATES {
            assert_eq!(volume_state(Some(native), false), *alone, "{native}");
            assert_eq!(volume_state(Some(native), true), *linked, "{native}");
        }
        assert_eq!(volume_state(Some("ONLINE"), true), VolumeState::InUse);
        assert_eq!(volume_state(Some("migrating"), true), VolumeState::Unknown);
    }

    #[test]
    fn template_ids_are_url_safe_and_round_trip() {
        let rows = [
            CategoryId::new("http://schemas.openstack.org/template/resource#", "1"),
            CategoryId::new(
                "https://occi.localhost/occi/infrastructure/os_tpl#",
                "uuid_debianvm_5",
            ),
            CategoryId::new(
                "http://schemas.ogf.org/occi/infrastructure/compute/template/1.1#",
                "small",
            ),
        ];
        for id in rows {
            let encoded = template_id(&id);
            assert!(
                encoded
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
            assert_eq!(template_category(&encoded), Some(id));
        }
        assert_eq!(template_category("not base64 !"), None);
        assert_eq!(template_category(&URL_SAFE_NO_PAD.encode("no-hash")), None);
    }

    #[test]
    fn public_and_private_addresses() {
        let rows = [
            ("134.94.32.154", true),
            ("192.168.16.103", false),
            ("10.0.0.1", false),
            ("172.16.0.1", false),
            ("100.64.1.1", false),
            ("169.254.1.1", false),
            ("2001:db8::1", true),
            ("fd00::1", false),
            ("fe80::1", false),
            ("not-an-ip", false),
        ];
        for (address, public) in rows {
            assert_eq!(is_public_address(address), public, "{address}");
        }
    }

    #[test]
    fn memory_is_gib_unless_the_server_renders_mb() {
        assert_eq!(memory_mib(1.7, false), 1741);
        assert_eq!(memory_mib(0.256, false), 262);
        assert_eq!(memory_mib(256.0, true), 256);
        assert_eq!(memory_mib(2048.0, false), 2048, "a value over 1024 is MB");
    }

    #[test]
    fn sizes_from_titles() {
        let rows = [
            (
                "Small Instance - 1 core and 1.7 GB of RAM",
                (Some(1.0), Some(1.7)),
            ),
            (
                "Medium Instance - 2 cores and 3.75 GB of RAM",
                (Some(2.0), Some(3.75)),
            ),
            (
                "Goliath Instance - 16 cores and 64 GB RAM",
                (Some(16.0), Some(64.0)),
            ),
            ("Flavor: m1.tiny", (None, None)),
            ("tiny 1 vcpu 512 MB", (Some(1.0), Some(0.5))),
        ];
        for (title, want) in rows {
            assert_eq!(numbers_in_title(title), want, "{title}");
        }
    }

    #[test]
    fn size_prefers_json_defaults_and_normalises_ooi_megabytes() {
        let mut flavour = Category::new(
            CategoryId::new("http://schemas.openstack.org/template/resource#", "1"),
            CategoryClass::Mixin,
        );
        flavour.title = Some("Flavor: m1.tiny".into());
        for (name, value) in [
            ("occi.compute.cores", 1),
            ("occi.compute.memory", 512),
            ("org.openstack.flavor.disk", 1),
        ] {
            let mut def = AttributeDef::named(name);
            def.default = Some(AttributeValue::int(value));
            flavour.attributes.push(def);
        }
        let size = map_size(&flavour, true, "p");
        assert_eq!(
            (size.cores, size.memory_mib, size.disk_gib),
            (Some(1.0), Some(512), Some(1))
        );
        assert_eq!(size.name, "Flavor: m1.tiny");
        let mut rocci = Category::new(
            CategoryId::new(
                "https://occi.localhost/occi/infrastructure/resource_tpl#",
                "small",
            ),
            CategoryClass::Mixin,
        );
        rocci.title = Some("Small Instance - 1 core and 1.7 GB of RAM".into());
        let size = map_size(&rocci, false, "p");
        assert_eq!(
            (size.cores, size.memory_mib, size.disk_gib),
            (Some(1.0), Some(1741), None)
        );
        let mut bare = rocci.clone();
        bare.title = None;
        let size = map_size(&bare, false, "p");
        assert_eq!((size.cores, size.memory_mib), (None, None));
    }
}
