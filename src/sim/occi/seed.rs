//! What a fresh simulated account offers, per profile: `resource_tpl` mixins (sizes), `os_tpl`
//! mixins (images), availability zones and networks. Names, schemes and sizes are taken from
//! the OCCI fixtures (`tests/fixtures/occi`); where a captured server had none (pyssf's example backend defines
//! no templates) the simulator offers the OCCI CRTP 1.1 sizes and rOCCI sample images.

use super::profile::Profile;

/// A `resource_tpl` mixin: a size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourceTemplate {
    /// The mixin's term.
    pub term: &'static str,
    /// The mixin's title.
    pub title: &'static str,
    /// `occi.compute.cores` of a compute created with it.
    pub cores: u32,
    /// `occi.compute.memory` in GiB (ooi renders MiB; see [`Profile`]).
    pub memory_gib: f64,
    /// Root disk size in GB, where the origin states one.
    pub disk_gb: Option<u32>,
}

/// An `os_tpl` mixin: an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsTemplate {
    /// The mixin's term.
    pub term: &'static str,
    /// The mixin's title.
    pub title: &'static str,
}

/// An availability-zone mixin (rOCCI-server's `availability_zone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// The mixin's term.
    pub term: &'static str,
    /// The mixin's title.
    pub title: &'static str,
}

/// A contextualization mixin (user data, SSH key) a compute may be created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextMixin {
    /// The mixin's scheme.
    pub scheme: &'static str,
    /// The mixin's term.
    pub term: &'static str,
    /// The mixin's title.
    pub title: &'static str,
    /// Its collection path.
    pub location: &'static str,
    /// The attribute carrying the value (required with the mixin).
    pub attribute: &'static str,
    /// Further optional attributes it defines.
    pub optional: &'static [&'static str],
}

/// A network a compute gets an interface on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// The network's id (its location's last segment).
    pub id: &'static str,
    /// `occi.core.title`.
    pub title: &'static str,
    /// Whether addresses on it are public.
    pub public: bool,
    /// The first three octets of its IPv4 addresses.
    pub prefix: &'static str,
}

/// Everything a profile's account offers.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// Scheme of the `resource_tpl` mixins.
    pub resource_scheme: &'static str,
    /// The sizes.
    pub resource_templates: &'static [ResourceTemplate],
    /// Scheme of the `os_tpl` mixins.
    pub os_scheme: &'static str,
    /// The images.
    pub os_templates: &'static [OsTemplate],
    /// Scheme of the zone mixins.
    pub zone_scheme: &'static str,
    /// The zones (none where the server has no zone mixins).
    pub zones: &'static [Zone],
    /// User-data and SSH-key mixins (none where the server has none).
    pub contexts: &'static [ContextMixin],
    /// Public network first, then private.
    pub networks: &'static [Network; 2],
}

const fn size(
    term: &'static str,
    title: &'static str,
    cores: u32,
    memory_gib: f64,
    disk_gb: Option<u32>,
) -> ResourceTemplate {
    ResourceTemplate {
        term,
        title,
        cores,
        memory_gib,
        disk_gb,
    }
}

const OPENSTACK_USER_DATA: &str = "http://schemas.openstack.org/compute/instance#";
const OPENSTACK_PUBLIC_KEY: &str = "http://schemas.openstack.org/instance/credentials#";

const fn image(term: &'static str, title: &'static str) -> OsTemplate {
    OsTemplate { term, title }
}

/// rOCCI-server templates of the rOCCI-api cassettes (`rocci-api-1.1-cassettes`: terms and
/// schemes); sizes and titles of the same terms from the same site family's model
/// (`rocci-core-1.1/occi_model_rocci_server.txt`, where the sizes are only in the titles). Zones
/// from `rocci-core-1.2/model.txt`.
const ROCCI: Catalog = Catalog {
    resource_scheme: "http://sitespecific.localhost/occi/infrastructure/resource_tpl#",
    resource_templates: &[
        size(
            "small",
            "Small Instance - 1 core and 1.7 GB of RAM",
            1,
            1.7,
            None,
        ),
        size(
            "medium",
            "Medium Instance - 2 cores and 3.75 GB of RAM",
            2,
            3.75,
            None,
        ),
        size(
            "large",
            "Large Instance - 2 cores and 7.5 GB of RAM",
            2,
            7.5,
            None,
        ),
        size(
            "extra_large",
            "Extra Large Instance - 4 cores and 15 GB of RAM",
            4,
            15.0,
            None,
        ),
    ],
    os_scheme: "http://localhost/occi/infrastructure/os_tpl#",
    os_templates: &[
        image("uuid_monitoring_4", "monitoring"),
        image("uuid_debianvm_5", "debianvm"),
        image("uuid_hubik_monitoring_dev_1281", "hubik-monitoring-dev"),
    ],
    zone_scheme: "http://occi.localhost/occi/infrastructure/availability_zone#",
    zones: &[
        Zone {
            term: "uuid_fedcloud_warg_101",
            title: "Availablity zone fedcloud-warg",
        },
        Zone {
            term: "uuid_fedcloud_cerit_sc_103",
            title: "Availablity zone fedcloud-cerit-sc",
        },
    ],
    // rOCCI-server 2's OpenStack-style contextualization (`rocci-core-1.2/model.txt`).
    contexts: &[
        ContextMixin {
            scheme: OPENSTACK_PUBLIC_KEY,
            term: "public_key",
            title: "OpenStack's contextualization extension - credentials",
            location: "/mixin/public_key/",
            attribute: "org.openstack.credentials.publickey.data",
            optional: &["org.openstack.credentials.publickey.name"],
        },
        ContextMixin {
            scheme: OPENSTACK_USER_DATA,
            term: "user_data",
            title: "OpenStack's contextualization extension - user_data",
            location: "/mixin/user_data/",
            attribute: "org.openstack.compute.user_data",
            optional: &[],
        },
    ],
    networks: &[
        Network {
            id: "24",
            title: "public",
            public: true,
            prefix: "147.251.9",
        },
        Network {
            id: "1",
            title: "private",
            public: false,
            prefix: "192.168.121",
        },
    ],
};

/// ooi 1.2.0 over its fake Nova (`captured/ooi-1.2.0/03-query-interface.occi-json.http`):
/// flavours `1` ("Flavor: foo", 2 cores, 256 MB, 10 GB disk) and `2` ("Flavor: bar", 4 cores,
/// 2014 MB, 20 GB), images `foo` and `bar`.
const OOI: Catalog = Catalog {
    resource_scheme: "http://schemas.openstack.org/template/resource#",
    resource_templates: &[
        size("1", "Flavor: foo", 2, 0.25, Some(10)),
        size("2", "Flavor: bar", 4, 2014.0 / 1024.0, Some(20)),
    ],
    os_scheme: "http://schemas.openstack.org/template/os#",
    os_templates: &[image("foo", "foo"), image("bar", "bar")],
    zone_scheme: "",
    zones: &[],
    // ooi's four, as captured (`03-…json`), with its spelling `occi.crendentials.ssh.publickey`.
    contexts: &[
        ContextMixin {
            scheme: OPENSTACK_USER_DATA,
            term: "user_data",
            title: "Contextualization extension - user_data",
            location: "/openstack_user_data/",
            attribute: "org.openstack.compute.user_data",
            optional: &[],
        },
        ContextMixin {
            scheme: OPENSTACK_PUBLIC_KEY,
            term: "public_key",
            title: "Contextualization extension - public_key",
            location: "/openstack_public_key/",
            attribute: "org.openstack.credentials.publickey.data",
            optional: &["org.openstack.credentials.publickey.name"],
        },
        ContextMixin {
            scheme: "http://schemas.ogf.org/occi/infrastructure/compute#",
            term: "user_data",
            title: "Contextualization mixin",
            location: "/user_data/",
            attribute: "occi.compute.userdata",
            optional: &[],
        },
        ContextMixin {
            scheme: "http://schemas.ogf.org/occi/infrastructure/credentials#",
            term: "ssh_key",
            title: "Credentials mixin",
            location: "/ssh_key/",
            attribute: "occi.crendentials.ssh.publickey",
            optional: &[],
        },
    ],
    networks: &[
        Network {
            id: "PUBLIC",
            title: "PUBLIC",
            public: true,
            prefix: "203.0.113",
        },
        Network {
            id: "e9654d3948b6445581e5cfcb0a49cbf7",
            title: "private",
            public: false,
            prefix: "192.168.253",
        },
    ],
};

/// pyssf's example backend defines no templates; the simulator offers the OCCI CRTP 1.1 sizes
/// (`crtp/occi_crtp_11.json`) and two images of the rOCCI sample model.
const PYSSF: Catalog = Catalog {
    resource_scheme: "http://schemas.ogf.org/occi/infrastructure/compute/template/1.1#",
    resource_templates: &[
        size(
            "small",
            "CRTP/1.1 Resource Template - Small",
            1,
            1.0,
            Some(10),
        ),
        size(
            "medium",
            "CRTP/1.1 Resource Template - Medium",
            2,
            2.0,
            Some(20),
        ),
        size(
            "large",
            "CRTP/1.1 Resource Template - Large",
            4,
            4.0,
            Some(40),
        ),
    ],
    os_scheme: "https://occi.localhost/occi/infrastructure/os_tpl#",
    os_templates: &[
        image("debianvm", "debianvm"),
        image("monitoring", "monitoring"),
    ],
    zone_scheme: "",
    zones: &[],
    contexts: &[],
    networks: &[
        Network {
            id: "public",
            title: "public",
            public: true,
            prefix: "198.51.100",
        },
        Network {
            id: "private",
            title: "private",
            public: false,
            prefix: "10.0.0",
        },
    ],
};

/// The catalog of `profile`.
pub fn catalog(profile: Profile) -> &'static Catalog {
    match profile {
        Profile::Rocci => &ROCCI,
        Profile::Ooi => &OOI,
        Profile::Pyssf => &PYSSF,
    }
}

impl Catalog {
    /// The size with `term`.
    pub fn resource_template(&self, term: &str) -> Option<&ResourceTemplate> {
        self.resource_templates.iter().find(|t| t.term == term)
    }

    /// The image with `term`.
    pub fn os_template(&self, term: &str) -> Option<&OsTemplate> {
        self.os_templates.iter().find(|t| t.term == term)
    }

    /// The zone with `term`.
    pub fn zone(&self, term: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.term == term)
    }

    /// The contextualization mixin with `scheme` and `term`, and its index.
    pub fn context(&self, scheme: &str, term: &str) -> Option<(usize, &ContextMixin)> {
        self.contexts
            .iter()
            .enumerate()
            .find(|(_, c)| c.scheme == scheme && c.term == term)
    }

    /// The network with `id`.
    pub fn network(&self, id: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.id == id)
    }
}
