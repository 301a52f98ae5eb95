//! The simulator's fixed catalogue: option tables, images and the IP pool every instance starts
//! with. Values follow the real v1.9 recordings in `tests/fixtures/gogrid/deltacloud-recorded`
//! wherever those show them; the rest is marked as the simulator's choice.

use super::state::{BillingToken, Image, ImageDatacenter, Ip, Owner};

/// A GoGrid option: `{"id","name","description","object":"option"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    /// Numeric id.
    pub id: i64,
    /// Display name, also accepted as a parameter value.
    pub name: &'static str,
    /// Free text; the real service sent `null` for some options (server state Off).
    pub description: Option<&'static str>,
}

const fn opt(id: i64, name: &'static str, description: &'static str) -> Opt {
    Opt {
        id,
        name,
        description: Some(description),
    }
}

/// Datacenters, as `common/lookup/list?lookup=ip.datacenter` answered.
pub const DATACENTERS: [Opt; 3] = [
    opt(1, "US-West-1", "US West 1 Datacenter"),
    opt(2, "US-East-1", "US East 1 Datacenter"),
    opt(3, "EU-West-1", "EU-West-1 Datacenter"),
];

/// RAM sizes, exactly as `lookup_list_server_ram.json` (ids 6 and 7 are not offered).
pub const RAM: [Opt; 7] = [
    opt(1, "512MB", "Server with 512MB RAM"),
    opt(2, "1GB", "Server with 1GB RAM"),
    opt(3, "2GB", "Server with 2GB RAM"),
    opt(4, "4GB", "Server with 4GB RAM"),
    opt(5, "8GB", "Server with 8GB RAM"),
    opt(8, "16GB", "Server with 16GB RAM"),
    opt(9, "24GB", "Server with 24GB RAM"),
];

/// Cores and disk (MB) per RAM option id. 512MB → 0.5 cores / 25600 MB is recorded; the rest
/// doubles per step as jclouds documents (25…800 GB, 0.5…16 cores) and 24GB scales linearly.
pub fn ram_resources(ram_id: i64) -> (f64, i64) {
    match ram_id {
        1 => (0.5, 25_600),
        2 => (1.0, 51_200),
        3 => (2.0, 102_400),
        4 => (4.0, 204_800),
        5 => (8.0, 409_600),
        8 => (16.0, 819_200),
        _ => (24.0, 1_228_800),
    }
}

/// Server types (`lookup_list_server_type.json`); a server takes its image's type.
pub const SERVER_TYPES: [Opt; 2] = [
    opt(1, "Web Server", "Web or Application Server"),
    opt(2, "Database Server", "Database Server"),
];

/// Server state On (recorded).
pub const SERVER_ON: Opt = opt(1, "On", "Server is in active state.");
/// Server state Starting (id chosen by the simulator; the real id is unknown).
pub const SERVER_STARTING: Opt = opt(2, "Starting", "Server is starting.");
/// Server state Off (recorded, including the `null` description).
pub const SERVER_OFF: Opt = Opt {
    id: 3,
    name: "Off",
    description: None,
};
/// Server state Stopping (id chosen by the simulator).
pub const SERVER_STOPPING: Opt = opt(4, "Stopping", "Server is stopping.");
/// Server state Restarting (id chosen by the simulator).
pub const SERVER_RESTARTING: Opt = opt(5, "Restarting", "Server is restarting.");

/// IP states (recorded).
pub const IP_UNASSIGNED: Opt = opt(1, "Unassigned", "IP is available to use");
/// IP state Assigned (recorded).
pub const IP_ASSIGNED: Opt = opt(2, "Assigned", "IP is reserved or in use");

/// IP types; id 1 = Public is documented, the descriptions are the simulator's.
pub const IP_TYPES: [Opt; 2] = [
    opt(1, "Public", "Public IP address"),
    opt(2, "Private", "Private IP address"),
];

/// Image states: 1 Saving and 2 Available are documented; Trash's id 3 is a guess.
pub const IMAGE_STATES: [Opt; 3] = [
    opt(1, "Saving", "Image is being saved"),
    opt(2, "Available", "Image is available for adds"),
    opt(3, "Trash", "Image is in the trash"),
];

const ARCH_32: Opt = opt(1, "32-bit", "32 bit OS");
const ARCH_64: Opt = opt(2, "64-bit", "64 bit OS");
const GSI_BASE: Opt = opt(1, "baseGSI", "Image produced and certified by GoGrid");
const GSI_COMMUNITY: Opt = opt(
    4,
    "communityGSI",
    "Image created and shared by a GoGrid customer",
);

/// The customer id the simulated account has; images it owns are private.
pub const ACCOUNT_OWNER: Owner = Owner {
    id: 500_001,
    name: "cloudgw simulator",
};
const GOGRID_OWNER: Owner = Owner {
    id: -1,
    name: "GoGrid",
};

const fn os(id: i64, name: &'static str) -> Opt {
    opt(id, name, name)
}

fn available_in(dcs: &[Opt], created_ms: Option<i64>, updated_ms: i64) -> Vec<ImageDatacenter> {
    dcs.iter()
        .map(|dc| ImageDatacenter {
            datacenter: *dc,
            state: IMAGE_STATES[1],
            created_ms,
            updated_ms,
        })
        .collect()
}

struct ImageSeed {
    id: i64,
    name: &'static str,
    friendly: &'static str,
    os: Opt,
    arch: Opt,
    image_type: Opt,
    minram: Opt,
    created_ms: Option<i64>,
    updated_ms: i64,
    location: &'static str,
}

fn base_image(s: ImageSeed) -> Image {
    Image {
        id: s.id,
        name: s.name,
        friendly_name: s.friendly,
        description: s.friendly,
        os: s.os,
        architecture: s.arch,
        image_type: s.image_type,
        state: IMAGE_STATES[1],
        gsitype: GSI_BASE,
        minram: s.minram,
        price: 0,
        location: s.location,
        is_public: true,
        is_active: true,
        created_ms: s.created_ms,
        updated_ms: s.updated_ms,
        billingtokens: vec![BillingToken {
            id: s.os.id,
            name: s.os.name,
            price: 0,
        }],
        owner: GOGRID_OWNER,
        datacenters: available_in(&DATACENTERS, s.created_ms, s.updated_ms),
    }
}

/// The images every simulator starts with, ordered by id. Public GoGrid base images (copied from
/// the recorded list; old ones have no `createdTime`, as recorded), one community image (13834,
/// recorded), one database image, and two private images of the account: one Available only in
/// US-West-1 and one still Saving.
pub fn images() -> Vec<Image> {
    let mut images = vec![
        Image {
            id: 6,
            name: "w2k3r2_32_mssql2k5wg",
            friendly_name: "Windows 2003 (32-bit) w/ MSSQL 2005 Workgroup",
            description: "Windows 2003 (32-bit) w/ MSSQL 2005 Workgroup",
            os: opt(
                1,
                "Windows 2003 Standard (32 bit)",
                "Windows 2003 Standard (32-bit)",
            ),
            architecture: ARCH_32,
            image_type: SERVER_TYPES[1],
            state: IMAGE_STATES[1],
            gsitype: GSI_BASE,
            minram: RAM[2],
            price: 100,
            location: "gogrid/GSI-52ab55ea-7e2a-4e13-bf33-ff39021ab1b3.img",
            is_public: true,
            is_active: true,
            created_ms: Some(1_205_305_200_000),
            updated_ms: 1_316_119_829_098,
            billingtokens: vec![
                BillingToken {
                    id: 1,
                    name: "Windows 2003 Standard (32 bit)",
                    price: 0,
                },
                BillingToken {
                    id: 6,
                    name: "SQL Server 2005 Workgroup Edition 1 Proc (32-bit)",
                    price: 100,
                },
            ],
            owner: GOGRID_OWNER,
            datacenters: available_in(&DATACENTERS, Some(1_205_305_200_000), 1_316_119_829_098),
        },
        base_image(ImageSeed {
            id: 6679,
            name: "win2k8r2_64_base",
            friendly: "Windows 2008 Server R2 (64-bit) w/ None",
            os: os(72, "Windows 2008 Server R2 (64-bit)"),
            arch: ARCH_64,
            image_type: SERVER_TYPES[0],
            minram: RAM[2],
            created_ms: Some(1_299_013_614_000),
            updated_ms: 1_299_013_614_000,
            location: "gogrid/GSI-14f09a3c-b162-4fea-87b3-732b78fd5dfc.img",
        }),
        base_image(ImageSeed {
            id: 9928,
            name: "centos5.6_32_base",
            friendly: "CentOS 5.6 (32-bit) w/ None",
            os: os(73, "CentOS 5.6 (32-bit)"),
            arch: ARCH_32,
            image_type: SERVER_TYPES[0],
            minram: RAM[0],
            created_ms: None,
            updated_ms: 1_294_198_799_000,
            location: "gogrid/GSI-840b854e-4862-49d4-8c83-4768ae48fa3b.img",
        }),
        base_image(ImageSeed {
            id: 9935,
            name: "debian_6.0_64_base",
            friendly: "Debian 6.0 (64-bit) w/ None",
            os: os(80, "Debian 6.0 (64-bit)"),
            arch: ARCH_64,
            image_type: SERVER_TYPES[0],
            minram: RAM[0],
            created_ms: None,
            updated_ms: 1_294_198_799_000,
            location: "gogrid/GSI-2336cf43-2482-4de4-b7ae-83d86d08cd7b.img",
        }),
        base_image(ImageSeed {
            id: 12834,
            name: "centos6.2_64_base",
            friendly: "CentOS 6.2 (64-bit) w/ None",
            os: os(84, "CentOS 6.2 (64-bit)"),
            arch: ARCH_64,
            image_type: SERVER_TYPES[0],
            minram: RAM[0],
            created_ms: Some(1_334_212_595_880),
            updated_ms: 1_334_212_595_880,
            location: "gogrid/GSI-810cd8b3-5bb6-4844-ab55-bcf9b63fab19.img",
        }),
        Image {
            id: 13834,
            name: "GSI-4439c0b1-d3a3-45b8-b86b-1abd542ca4ca",
            friendly_name: "Basho Riak 1.1.4",
            description: "CentOS 6.2 (64-bit) with Riak 1.1.4 installed. IPtables configured to \
                          allow all traffic on private interface for clustering.",
            os: os(84, "CentOS 6.2 (64-bit)"),
            architecture: ARCH_64,
            image_type: SERVER_TYPES[0],
            state: IMAGE_STATES[1],
            gsitype: GSI_COMMUNITY,
            minram: RAM[3],
            price: 0,
            location: "502799/GSI-4439c0b1-d3a3-45b8-b86b-1abd542ca4ca.img",
            is_public: true,
            is_active: true,
            created_ms: Some(1_340_994_833_785),
            updated_ms: 1_340_999_783_337,
            billingtokens: vec![BillingToken {
                id: 84,
                name: "CentOS 6.2 (64-bit)",
                price: 0,
            }],
            owner: Owner {
                id: 502_799,
                name: "Basho Technologies",
            },
            datacenters: {
                let mut dcs =
                    available_in(&DATACENTERS, Some(1_340_994_833_785), 1_340_999_783_337);
                // Recorded: US-West-1 finished copying earlier than the others.
                if let Some(west) = dcs.first_mut() {
                    west.updated_ms = 1_340_995_560_911;
                }
                dcs
            },
        },
        base_image(ImageSeed {
            id: 14767,
            name: "ubuntu_12_04_LTS_64_base",
            friendly: "Ubuntu 12.04 LTS Server (64-bit) w/ None",
            os: os(104, "Ubuntu 12.04 LTS Server (64-bit)"),
            arch: ARCH_64,
            image_type: SERVER_TYPES[0],
            minram: RAM[0],
            created_ms: None,
            updated_ms: 1_294_198_799_000,
            location: "gogrid/GSI-fa815cc1-a08e-4dca-a92e-96e399b465db.img",
        }),
    ];
    let private = |id, name, friendly, state: Opt, dcs: &[Opt]| Image {
        id,
        name,
        friendly_name: friendly,
        description: friendly,
        os: os(84, "CentOS 6.2 (64-bit)"),
        architecture: ARCH_64,
        image_type: SERVER_TYPES[0],
        state,
        gsitype: GSI_COMMUNITY,
        minram: RAM[0],
        price: 0,
        location: "500001/GSI-private.img",
        is_public: false,
        is_active: true,
        created_ms: Some(1_357_000_000_000),
        updated_ms: 1_357_000_000_000,
        billingtokens: vec![BillingToken {
            id: 84,
            name: "CentOS 6.2 (64-bit)",
            price: 0,
        }],
        owner: ACCOUNT_OWNER,
        datacenters: dcs
            .iter()
            .map(|dc| ImageDatacenter {
                datacenter: *dc,
                state,
                created_ms: Some(1_357_000_000_000),
                updated_ms: 1_357_000_000_000,
            })
            .collect(),
    };
    images.push(private(
        20_001,
        "GSI-7a1c4f0e-5b7d-4c61-9d62-3f1f0c2a9b01",
        "my web base",
        IMAGE_STATES[1],
        &DATACENTERS[..1],
    ));
    images.push(private(
        20_002,
        "GSI-0c9e2d14-8f3b-4e0a-a6d5-6b2e7c1d4f02",
        "my db base (saving)",
        IMAGE_STATES[0],
        &DATACENTERS[..1],
    ));
    images
}

/// Public addresses per datacenter a fresh account has unless configured: 8, so 24 in all (the
/// recorded fixtures and the libcloud check rely on this pool).
pub const DEFAULT_PUBLIC_IPS_PER_DATACENTER: usize = 8;

/// Most public addresses per datacenter: the documentation range (RFC 5737 /24) of each
/// datacenter has 253 hosts after .1; 250 keeps round numbers (750 servers in the account).
pub const MAX_PUBLIC_IPS_PER_DATACENTER: usize = 250;

/// The default IP pool ([`ip_pool_with`] of [`DEFAULT_PUBLIC_IPS_PER_DATACENTER`]).
pub fn ip_pool() -> Vec<Ip> {
    ip_pool_with(DEFAULT_PUBLIC_IPS_PER_DATACENTER)
}

/// The account's IP pool: per datacenter, `public` public addresses (at most
/// [`MAX_PUBLIC_IPS_PER_DATACENTER`]) from the documentation ranges (RFC 5737), in a /28 as
/// recorded while they fit in one (up to 12) and a /24 beyond, then 4 private ones, all
/// Unassigned. Ids are unique and ascending.
pub fn ip_pool_with(public: usize) -> Vec<Ip> {
    const PUBLIC_NETS: [&str; 3] = ["192.0.2", "198.51.100", "203.0.113"];
    let public = public.min(MAX_PUBLIC_IPS_PER_DATACENTER);
    let mask = if public <= 12 {
        "255.255.255.240"
    } else {
        "255.255.255.0"
    };
    let mut ips = Vec::new();
    let mut id = 5_348_099;
    for (i, dc) in DATACENTERS.iter().enumerate() {
        let net = PUBLIC_NETS[i];
        for host in 2..2 + public {
            ips.push(Ip {
                id,
                ip: format!("{net}.{host}"),
                subnet: format!("{net}.0/{mask}"),
                public: true,
                datacenter: *dc,
                assigned: false,
            });
            id += 1;
        }
        for host in 2..6 {
            ips.push(Ip {
                id,
                ip: format!("10.{}.0.{host}", 100 + i),
                subnet: format!("10.{}.0.0/255.255.255.240", 100 + i),
                public: false,
                datacenter: *dc,
                assigned: false,
            });
            id += 1;
        }
    }
    ips
}

/// Names `common/lookup/list?lookup=` accepts, in the order `lookup=lookups` lists them.
pub const LOOKUP_NAMES: [&str; 13] = [
    "lookups",
    "server.ram",
    "server.type",
    "server.os",
    "server.state",
    "server.datacenter",
    "ip.state",
    "ip.type",
    "ip.datacenter",
    "image.state",
    "image.type",
    "image.architecture",
    "datacenter",
];

/// The options a lookup lists, or `None` for an unknown lookup name.
pub fn lookup(name: &str, images: &[Image]) -> Option<Vec<Opt>> {
    let list = match name {
        "lookups" => LOOKUP_NAMES
            .iter()
            .zip(1..)
            .map(|(n, id)| opt(id, n, n))
            .collect(),
        "server.ram" => RAM.to_vec(),
        "server.type" | "image.type" => SERVER_TYPES.to_vec(),
        "server.os" => {
            let mut oses: Vec<Opt> = images.iter().map(|i| i.os).collect();
            oses.sort_by_key(|o| o.id);
            oses.dedup_by_key(|o| o.id);
            oses
        }
        "server.state" => vec![
            SERVER_ON,
            SERVER_STARTING,
            SERVER_OFF,
            SERVER_STOPPING,
            SERVER_RESTARTING,
        ],
        "ip.state" => vec![IP_UNASSIGNED, IP_ASSIGNED],
        "ip.type" => IP_TYPES.to_vec(),
        "ip.datacenter" | "datacenter" | "server.datacenter" => DATACENTERS.to_vec(),
        "image.state" => IMAGE_STATES.to_vec(),
        "image.architecture" => vec![ARCH_32, ARCH_64],
        _ => return None,
    };
    Some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pool_is_the_recorded_24_public_and_12_private() {
        let pool = ip_pool();
        assert_eq!(pool.iter().filter(|i| i.public).count(), 24);
        assert_eq!(pool.iter().filter(|i| !i.public).count(), 12);
        assert_eq!(pool[0].ip, "192.0.2.2");
        assert_eq!(pool[0].subnet, "192.0.2.0/255.255.255.240");
        assert_eq!(pool[0].id, 5_348_099);
    }

    #[test]
    fn a_bigger_pool_has_unique_addresses_in_a_24_and_ascending_ids() {
        let pool = ip_pool_with(MAX_PUBLIC_IPS_PER_DATACENTER);
        let public: Vec<&Ip> = pool.iter().filter(|i| i.public).collect();
        assert_eq!(public.len(), 3 * MAX_PUBLIC_IPS_PER_DATACENTER);
        let mut addresses: Vec<&str> = pool.iter().map(|i| i.ip.as_str()).collect();
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), pool.len());
        assert!(pool.windows(2).all(|w| w[0].id < w[1].id));
        assert!(public.iter().all(|i| i.subnet.ends_with("/255.255.255.0")));
        assert_eq!(ip_pool_with(10_000).len(), pool.len(), "cut to the maximum");
        assert_eq!(ip_pool_with(0).iter().filter(|i| i.public).count(), 0);
    }
}
