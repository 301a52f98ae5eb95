//! The account as OCCI sees it: the query interface's categories, and each compute, storage,
//! link and network as an [`Entity`] of the protocol model, spelled the way the profile's server
//! spells it. Rendering the entities is the protocol module's job.

use crate::occi::{
    AttributeDef, AttributeValue, Category, CategoryClass, CategoryId, Entity, Link,
    QueryInterface, attr, ids,
};

use super::profile::{Collection, Profile};
use super::seed::{Catalog, Network};
use super::state::{Compute, ComputeAction, Nic, State, Storage, StorageLink};

mod query_interface;

pub use query_interface::query_interface;

/// Scheme of the IP network interface mixin.
const IPNETWORKINTERFACE: &str = "http://schemas.ogf.org/occi/infrastructure/networkinterface#";
/// Scheme of the IP network mixin.
const IPNETWORK: &str = "http://schemas.ogf.org/occi/infrastructure/network#";
/// Scheme of rOCCI's availability-zone base mixin.
const FEDCLOUD_INFRA: &str = "http://fedcloud.egi.eu/occi/infrastructure#";

/// How locations are written in one answer: absolute (`http://host/compute/1`) or as paths.
#[derive(Debug, Clone)]
pub struct Locator {
    profile: Profile,
    base: String,
}

impl Locator {
    /// Locations for `profile`, absolute ones under `base` (`http://host:port`).
    pub fn new(profile: Profile, base: impl Into<String>) -> Locator {
        Locator {
            profile,
            base: base.into(),
        }
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// `path` as an absolute URL.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `path` as the profile writes locations inside renderings.
    pub fn local(&self, path: &str) -> String {
        if self.profile.absolute_locations() {
            self.absolute(path)
        } else {
            path.to_owned()
        }
    }

    /// The path of entity `id` in `collection`.
    pub fn path(&self, collection: Collection, id: &str) -> String {
        format!("{}{id}", self.profile.location(collection))
    }
}

/// `value` as the profile renders numbers: pyssf quotes them.
fn number(profile: Profile, value: f64) -> AttributeValue {
    let plain = if value.fract() == 0.0 && value.abs() < 1e15 {
        AttributeValue::int(value as i64)
    } else {
        AttributeValue::float(value)
    };
    if profile.numbers_as_strings() {
        AttributeValue::string(plain.as_text())
    } else {
        plain
    }
}

/// `occi.core.id` of an entity at `path` with `id`.
fn core_id(profile: Profile, path: &str, id: &str) -> String {
    if profile.id_is_path() {
        path.to_owned()
    } else {
        id.to_owned()
    }
}

fn kind(term: &str) -> CategoryId {
    ids::infra(term)
}

/// The compute's memory as the profile renders it.
pub fn rendered_memory(profile: Profile, memory_gib: f64) -> f64 {
    if profile.memory_in_mib() {
        (memory_gib * 1024.0).round()
    } else {
        memory_gib
    }
}

/// Reads a requested memory in the profile's unit back to GiB.
pub fn memory_gib_from(profile: Profile, rendered: f64) -> f64 {
    if profile.memory_in_mib() {
        rendered / 1024.0
    } else {
        rendered
    }
}

/// The identifier of a size.
pub fn resource_tpl_id(catalog: &Catalog, term: &str) -> CategoryId {
    CategoryId::new(catalog.resource_scheme, term)
}

/// The identifier of an image.
pub fn os_tpl_id(catalog: &Catalog, term: &str) -> CategoryId {
    CategoryId::new(catalog.os_scheme, term)
}

/// The identifier of a zone.
pub fn zone_id(catalog: &Catalog, term: &str) -> CategoryId {
    CategoryId::new(catalog.zone_scheme, term)
}

/// A compute as an entity, with its inline storage links and network interfaces.
pub fn compute(loc: &Locator, state: &State, c: &Compute) -> Entity {
    let profile = loc.profile();
    let catalog = state.catalog();
    let path = loc.path(Collection::Compute, &c.id);
    let mut e = Entity::new(kind("compute"));
    e.mixins.extend(c.os_tpl.map(|t| os_tpl_id(catalog, t)));
    e.mixins
        .extend(c.resource_tpl.map(|t| resource_tpl_id(catalog, t)));
    e.mixins.extend(c.zone.map(|t| zone_id(catalog, t)));
    // The mixins show; their values (user data, keys) are not rendered back, as clouds do.
    e.mixins.extend(
        c.contexts
            .iter()
            .filter_map(|(i, _)| catalog.contexts.get(*i))
            .map(|m| CategoryId::new(m.scheme, m.term)),
    );
    let a = &mut e.attributes;
    a.set(attr::ID, core_id(profile, &path, &c.id));
    a.set(attr::TITLE, c.title.as_str());
    a.set("occi.compute.cores", number(profile, f64::from(c.cores)));
    a.set(
        "occi.compute.memory",
        number(profile, rendered_memory(profile, c.memory_gib)),
    );
    a.set("occi.compute.state", c.state.as_str());
    if profile.speaks_occi_1_2()
        && let Some(p) = &c.pending
    {
        a.set("occi.compute.state.message", p.message());
    }
    if profile != Profile::Rocci {
        a.set("occi.compute.hostname", c.hostname.as_str());
    }
    if profile == Profile::Pyssf {
        a.set("occi.compute.architecture", c.architecture);
    }
    if profile != Profile::Ooi {
        a.set("occi.compute.speed", number(profile, 1.0));
    }
    e.actions = if profile.renders_all_actions() {
        ComputeAction::ALL.iter().map(|a| action_id(*a)).collect()
    } else {
        State::applicable_actions(c)
            .into_iter()
            .map(action_id)
            .collect()
    };
    e.links = state
        .links_of(&c.id)
        .map(|l| storage_link_inline(loc, l))
        .chain(c.nics.iter().map(|n| nic_inline(loc, catalog, c, n)))
        .collect();
    e.location = Some(loc.local(&path));
    e
}

fn action_id(action: ComputeAction) -> CategoryId {
    ids::compute_action(action.term())
}

fn storage_action_id(term: &str) -> CategoryId {
    CategoryId::new(ids::STORAGE_ACTION, term)
}

/// A link as rendered inside its source: `<target>`, rel the target's kind, `self`,
/// `category`, and the link's attributes.
fn inline(
    loc: &Locator,
    own_path: &str,
    target_path: &str,
    target_kind: &str,
    categories: Vec<CategoryId>,
    mut attributes: crate::occi::Attributes,
    source_path: &str,
) -> Link {
    let own = loc.local(own_path);
    let target = loc.local(target_path);
    let source = loc.local(source_path);
    attributes.set(attr::SOURCE, source.as_str());
    attributes.set(attr::TARGET, target.as_str());
    let mut link = Link::to(target);
    link.rel = vec![kind(target_kind)];
    link.self_location = Some(own);
    link.categories = categories;
    link.attributes = attributes;
    link.source = Some(source);
    link
}

fn storage_link_attributes(loc: &Locator, l: &StorageLink) -> crate::occi::Attributes {
    let profile = loc.profile();
    let path = loc.path(Collection::StorageLink, &l.id);
    let mut a = crate::occi::Attributes::new();
    a.set(attr::ID, core_id(profile, &path, &l.id));
    a.set("occi.storagelink.deviceid", l.deviceid.as_str());
    // ooi renders no link state; pyssf's backend mounts every storage at `/`.
    if profile != Profile::Ooi {
        a.set("occi.storagelink.state", "active");
    }
    if profile == Profile::Pyssf {
        a.set("occi.storagelink.mountpoint", "/");
    }
    a
}

fn storage_link_inline(loc: &Locator, l: &StorageLink) -> Link {
    inline(
        loc,
        &loc.path(Collection::StorageLink, &l.id),
        &loc.path(Collection::Storage, &l.storage),
        "storage",
        vec![kind("storagelink")],
        storage_link_attributes(loc, l),
        &loc.path(Collection::Compute, &l.compute),
    )
}

fn nic_attributes(loc: &Locator, n: &Nic) -> crate::occi::Attributes {
    let profile = loc.profile();
    let path = loc.path(Collection::NetworkInterface, &n.id);
    let mut a = crate::occi::Attributes::new();
    a.set(attr::ID, core_id(profile, &path, &n.id));
    a.set("occi.networkinterface.address", n.address.as_str());
    a.set("occi.networkinterface.allocation", "dynamic");
    a.set("occi.networkinterface.interface", n.interface.as_str());
    a.set("occi.networkinterface.mac", n.mac.as_str());
    a.set("occi.networkinterface.state", "active");
    a
}

fn nic_categories() -> Vec<CategoryId> {
    vec![
        kind("networkinterface"),
        CategoryId::new(IPNETWORKINTERFACE, "ipnetworkinterface"),
    ]
}

fn nic_inline(loc: &Locator, catalog: &Catalog, c: &Compute, n: &Nic) -> Link {
    inline(
        loc,
        &loc.path(Collection::NetworkInterface, &n.id),
        &loc.path(Collection::Network, catalog.networks[n.network].id),
        "network",
        nic_categories(),
        nic_attributes(loc, n),
        &loc.path(Collection::Compute, &c.id),
    )
}

/// A link entity of its own (`GET /storagelink/ID`).
fn link_entity(
    loc: &Locator,
    kind_term: &str,
    mixins: Vec<CategoryId>,
    mut attributes: crate::occi::Attributes,
    own_path: &str,
    source_path: &str,
    target_path: &str,
) -> Entity {
    attributes.set(attr::SOURCE, loc.local(source_path));
    attributes.set(attr::TARGET, loc.local(target_path));
    let mut e = Entity::new(kind(kind_term));
    e.mixins = mixins;
    e.attributes = attributes;
    e.location = Some(loc.local(own_path));
    e
}

/// A storage link as an entity.
pub fn storage_link(loc: &Locator, l: &StorageLink) -> Entity {
    link_entity(
        loc,
        "storagelink",
        Vec::new(),
        storage_link_attributes(loc, l),
        &loc.path(Collection::StorageLink, &l.id),
        &loc.path(Collection::Compute, &l.compute),
        &loc.path(Collection::Storage, &l.storage),
    )
}

/// A network interface as an entity.
pub fn network_interface(loc: &Locator, catalog: &Catalog, c: &Compute, n: &Nic) -> Entity {
    link_entity(
        loc,
        "networkinterface",
        nic_categories().split_off(1),
        nic_attributes(loc, n),
        &loc.path(Collection::NetworkInterface, &n.id),
        &loc.path(Collection::Compute, &c.id),
        &loc.path(Collection::Network, catalog.networks[n.network].id),
    )
}

/// A storage as an entity.
pub fn storage(loc: &Locator, s: &Storage) -> Entity {
    let profile = loc.profile();
    let path = loc.path(Collection::Storage, &s.id);
    let mut e = Entity::new(kind("storage"));
    let a = &mut e.attributes;
    a.set(attr::ID, core_id(profile, &path, &s.id));
    a.set(attr::TITLE, s.title.as_str());
    a.set("occi.storage.size", number(profile, s.size_gib));
    a.set("occi.storage.state", s.state.as_str());
    e.actions = if profile.renders_all_actions() {
        vec![storage_action_id("online"), storage_action_id("offline")]
    } else {
        let other = match s.state {
            super::state::StorageState::Online => "offline",
            super::state::StorageState::Offline => "online",
        };
        vec![storage_action_id(other)]
    };
    e.location = Some(loc.local(&path));
    e
}

/// A network as an entity.
pub fn network(loc: &Locator, n: &Network) -> Entity {
    let path = loc.path(Collection::Network, n.id);
    let mut e = Entity::new(kind("network"));
    e.mixins = vec![CategoryId::new(IPNETWORK, "ipnetwork")];
    let a = &mut e.attributes;
    a.set(attr::ID, core_id(loc.profile(), &path, n.id));
    a.set(attr::TITLE, n.title);
    a.set("occi.network.state", "active");
    if loc.profile() == Profile::Rocci {
        // OpenNebula networks have VLAN ids.
        a.set(
            "occi.network.vlan",
            number(loc.profile(), if n.public { 24.0 } else { 1.0 }),
        );
    }
    a.set("occi.network.address", format!("{}.0/24", n.prefix));
    a.set("occi.network.allocation", "dynamic");
    e.location = Some(loc.local(&path));
    e
}
