//! GoGrid objects (as the API sends them) and their mapping to the unified model, including the
//! server state table and the RAM-step → cores/disk table.
//!
//! The native structs are lenient on purpose: every field the driver does not strictly need is
//! optional, because real answers, libcloud's and jclouds' fixtures differ in which fields they
//! carry (API 1.5 added `datacenter`, 1.9 added `cores`, `diskSize`, `datacenterlist`, …).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{Extra, Image, Region, Server, ServerState, Size, Tags};

/// A number or a string, as GoGrid ids appear in different clients' fixtures.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum NativeId {
    /// The usual form: a JSON number.
    Num(i64),
    /// Tolerated: a JSON string.
    Str(String),
}

impl NativeId {
    /// The id as the unified model carries ids.
    pub(crate) fn to_id_string(&self) -> String {
        match self {
            NativeId::Num(n) => n.to_string(),
            NativeId::Str(s) => s.clone(),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            NativeId::Num(n) => json!(n),
            NativeId::Str(s) => json!(s),
        }
    }
}

/// An `option` object: `{id, name, description, object:"option"}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NativeOption {
    #[serde(default)]
    pub(crate) id: Option<NativeId>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

impl NativeOption {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

fn option_name(option: &Option<NativeOption>) -> Option<&str> {
    option.as_ref().and_then(NativeOption::name)
}

/// An `ip` object.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NativeIp {
    pub(crate) ip: String,
    #[serde(default)]
    pub(crate) public: Option<bool>,
    #[serde(default)]
    pub(crate) state: Option<NativeOption>,
    #[serde(default)]
    pub(crate) datacenter: Option<NativeOption>,
    #[serde(default)]
    pub(crate) subnet: Option<String>,
}

/// A `customer` object (an image's owner; id −1 is GoGrid itself).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NativeOwner {
    #[serde(default)]
    pub(crate) id: Option<NativeId>,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

/// One `image_datacenter_state` of an image's `datacenterlist` (API 1.9).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NativeImageDatacenter {
    #[serde(default)]
    pub(crate) datacenter: Option<NativeOption>,
}

/// The `serverimage` embedded in a server: only what a server's mapping reads. The rest of it
/// (descriptions, options, billing tokens, datacenter list: most of a server's bytes) is
/// skipped unread instead of allocated for every server of a list.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NativeImageRef {
    pub(crate) id: NativeId,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

/// A `serverimage` object.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NativeImage {
    pub(crate) id: NativeId,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) friendly_name: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) os: Option<NativeOption>,
    #[serde(default)]
    pub(crate) architecture: Option<NativeOption>,
    #[serde(default, rename = "type")]
    pub(crate) image_type: Option<NativeOption>,
    #[serde(default)]
    pub(crate) state: Option<NativeOption>,
    #[serde(default)]
    pub(crate) price: Option<Value>,
    #[serde(default)]
    pub(crate) is_public: Option<bool>,
    #[serde(default)]
    pub(crate) is_active: Option<bool>,
    #[serde(default)]
    pub(crate) location: Option<String>,
    #[serde(default)]
    pub(crate) created_time: Option<i64>,
    #[serde(default)]
    pub(crate) updated_time: Option<i64>,
    #[serde(default)]
    pub(crate) owner: Option<NativeOwner>,
    #[serde(default, rename = "datacenterlist")]
    pub(crate) datacenter_list: Vec<NativeImageDatacenter>,
    #[serde(default, rename = "gsitype")]
    pub(crate) gsi_type: Option<NativeOption>,
    #[serde(default, rename = "minram")]
    pub(crate) min_ram: Option<NativeOption>,
}

/// A `server` object. `id` is absent while the server is being provisioned.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NativeServer {
    #[serde(default)]
    pub(crate) id: Option<NativeId>,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) state: Option<NativeOption>,
    #[serde(default)]
    pub(crate) ram: Option<NativeOption>,
    #[serde(default)]
    pub(crate) os: Option<NativeOption>,
    #[serde(default, rename = "type")]
    pub(crate) server_type: Option<NativeOption>,
    #[serde(default)]
    pub(crate) ip: Option<NativeIp>,
    #[serde(default)]
    pub(crate) image: Option<NativeImageRef>,
    #[serde(default)]
    pub(crate) datacenter: Option<NativeOption>,
    #[serde(default)]
    pub(crate) is_sandbox: Option<bool>,
    #[serde(default)]
    pub(crate) cores: Option<f64>,
    #[serde(default)]
    pub(crate) disk_size: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Server state table
// ---------------------------------------------------------------------------------------------

/// Native server state name → unified state. The names come from the notes (ids known only for
/// On = 1 and Off = 3); matching ignores ASCII case.
const SERVER_STATES: &[(&str, ServerState)] = &[
    ("On", ServerState::Running),
    ("Off", ServerState::Stopped),
    ("Starting", ServerState::Pending),
    ("Stopping", ServerState::Stopping),
    ("Restarting", ServerState::Rebooting),
    // The server keeps running while an image of it is saved.
    ("On/Saving", ServerState::Running),
    // Image save/restore and RAM changes (grid/server/edit): busy, not yet usable.
    ("Saving", ServerState::Pending),
    ("Restoring", ServerState::Pending),
    ("Updating", ServerState::Pending),
];

/// The unified state of a native state name; an unknown name is `unknown` and logged.
pub(crate) fn server_state(native: &str) -> ServerState {
    match SERVER_STATES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(native))
    {
        Some((_, state)) => *state,
        None => {
            tracing::warn!(native_state = native, "unknown GoGrid server state");
            ServerState::Unknown
        }
    }
}

/// The unified state of a server: one without an `id` is still being provisioned.
fn unified_server_state(server: &NativeServer) -> ServerState {
    if server.id.is_none() {
        return ServerState::Pending;
    }
    match option_name(&server.state) {
        Some(name) => server_state(name),
        None => {
            tracing::warn!(server = server.name, "GoGrid server without a state");
            ServerState::Unknown
        }
    }
}

/// Maps a GoGrid server. The unified id is the server's **name** (see the module docs).
pub(crate) fn map_server(server: NativeServer, provider: &str) -> Server {
    let state = unified_server_state(&server);
    let (public_ips, private_ips) = split_ips(server.ip.as_ref());
    let region = option_name(&server.datacenter)
        .or_else(|| {
            server
                .ip
                .as_ref()
                .and_then(|ip| option_name(&ip.datacenter))
        })
        .map(str::to_owned);
    Server {
        id: server.name.clone(),
        provider: provider.to_owned(),
        name: server.name.clone(),
        state,
        image_id: server.image.as_ref().map(|i| i.id.to_id_string()),
        size_id: option_name(&server.ram).map(str::to_owned),
        region,
        zone: None,
        public_ips,
        private_ips,
        created_at: None,
        tags: Tags::new(),
        actions: state.valid_actions(),
        extra: server_extra(&server),
    }
}

/// The server's one IP, sorted by its `public` flag (absent counts as public: the IP given on
/// `grid/server/add` is always a public one).
fn split_ips(ip: Option<&NativeIp>) -> (Vec<String>, Vec<String>) {
    match ip {
        Some(ip) if ip.public == Some(false) => (Vec::new(), vec![ip.ip.clone()]),
        Some(ip) => (vec![ip.ip.clone()], Vec::new()),
        None => (Vec::new(), Vec::new()),
    }
}

fn server_extra(server: &NativeServer) -> Extra {
    let mut extra = Extra::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            extra.insert(key.to_owned(), value);
        }
    };
    put("native_state", option_name(&server.state).map(|s| json!(s)));
    put("gogrid_id", server.id.as_ref().map(NativeId::to_value));
    put("description", server.description.as_ref().map(|d| json!(d)));
    put("os", option_name(&server.os).map(|s| json!(s)));
    put(
        "server_type",
        option_name(&server.server_type).map(|s| json!(s)),
    );
    put("is_sandbox", server.is_sandbox.map(|b| json!(b)));
    put("cores", server.cores.map(|c| json!(c)));
    put("disk_size_mb", server.disk_size.map(|d| json!(d)));
    put(
        "image_name",
        server
            .image
            .as_ref()
            .and_then(|i| i.name.as_ref())
            .map(|n| json!(n)),
    );
    put(
        "ip_subnet",
        server
            .ip
            .as_ref()
            .and_then(|i| i.subnet.as_ref())
            .map(|s| json!(s)),
    );
    extra
}

/// Whether `ip` is a free public IP (in `region` when given) that `grid/server/add` can take.
pub(crate) fn is_free_public_ip(ip: &NativeIp, region: Option<&str>) -> bool {
    let unassigned = ip.state.as_ref().is_some_and(|s| {
        s.name()
            .is_some_and(|n| n.eq_ignore_ascii_case("Unassigned"))
            || s.id == Some(NativeId::Num(1))
    });
    let in_region = region.is_none_or(|r| option_name(&ip.datacenter) == Some(r));
    ip.public == Some(true) && unassigned && in_region
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/// Maps a GoGrid server image. `name` is the friendly name (the native name such as
/// `centos5.6_32_base` or `GSI-<uuid>` is kept in `extra.native_name`).
pub(crate) fn map_image(image: NativeImage, provider: &str) -> Image {
    let os_name = image
        .os
        .as_ref()
        .and_then(|o| o.name.as_deref().or(o.description.as_deref()));
    let name = image
        .friendly_name
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| image.name.clone())
        .unwrap_or_else(|| image.id.to_id_string());
    Image {
        id: image.id.to_id_string(),
        provider: provider.to_owned(),
        name,
        description: image.description.clone().filter(|d| !d.is_empty()),
        os_family: os_name.and_then(os_family).map(str::to_owned),
        architecture: architecture(option_name(&image.architecture), os_name).map(str::to_owned),
        public: image.is_public.unwrap_or(false),
        extra: image_extra(&image),
    }
}

/// The OS family of a GoGrid OS name ("CentOS 5.6 (32-bit)", "Windows 2008 Server R2 (64-bit)").
pub(crate) fn os_family(os_name: &str) -> Option<&'static str> {
    const LINUX: &[&str] = &[
        "linux", "centos", "rhel", "red hat", "ubuntu", "debian", "fedora", "suse", "gentoo",
    ];
    let lower = os_name.to_ascii_lowercase();
    if lower.contains("windows") {
        Some("windows")
    } else if LINUX.iter().any(|k| lower.contains(k)) {
        Some("linux")
    } else if lower.contains("freebsd") {
        Some("freebsd")
    } else {
        None
    }
}

/// `architecture` option ("32-bit"/"64-bit"), else the bitness in the OS name (libcloud's
/// fixtures have no `architecture` attribute).
pub(crate) fn architecture(arch: Option<&str>, os_name: Option<&str>) -> Option<&'static str> {
    let from = |text: &str| {
        let lower = text.to_ascii_lowercase();
        if lower.contains("64-bit") || lower.contains("64 bit") || lower.contains("x86_64") {
            Some("x86_64")
        } else if lower.contains("32-bit") || lower.contains("32 bit") {
            Some("i386")
        } else {
            None
        }
    };
    arch.and_then(from).or_else(|| os_name.and_then(from))
}

fn image_extra(image: &NativeImage) -> Extra {
    let mut extra = Extra::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            extra.insert(key.to_owned(), value);
        }
    };
    put("native_name", image.name.as_ref().map(|n| json!(n)));
    put(
        "friendly_name",
        image.friendly_name.as_ref().map(|n| json!(n)),
    );
    put("price", image.price.clone());
    put(
        "owner",
        image
            .owner
            .as_ref()
            .map(|o| json!({"id": o.id.as_ref().map(NativeId::to_value), "name": o.name})),
    );
    put("state", option_name(&image.state).map(|s| json!(s)));
    put(
        "image_type",
        option_name(&image.image_type).map(|s| json!(s)),
    );
    put("os", option_name(&image.os).map(|s| json!(s)));
    put("is_active", image.is_active.map(|b| json!(b)));
    put("location", image.location.as_ref().map(|l| json!(l)));
    put("created_time_ms", image.created_time.map(|t| json!(t)));
    put("updated_time_ms", image.updated_time.map(|t| json!(t)));
    put("gsi_type", option_name(&image.gsi_type).map(|s| json!(s)));
    put("min_ram", option_name(&image.min_ram).map(|s| json!(s)));
    let datacenters: Vec<&str> = image
        .datacenter_list
        .iter()
        .filter_map(|d| option_name(&d.datacenter))
        .collect();
    if !datacenters.is_empty() {
        put("datacenters", Some(json!(datacenters)));
    }
    extra
}

/// Whether an image passes an [`crate::driver::ImageFilter`] (GoGrid cannot filter by owner or
/// name text, so the driver does). `owner = "self"` means the account's private images;
/// any other owner matches the owner's name (ignoring case) or numeric id (−1 is GoGrid).
pub(crate) fn image_matches(filter: &crate::driver::ImageFilter, image: &Image) -> bool {
    let text = |key: &str| image.extra.get(key).and_then(Value::as_str);
    let owner_ok = filter.owner.as_deref().is_none_or(|wanted| {
        if wanted == "self" {
            return !image.public;
        }
        let owner = image.extra.get("owner");
        let name = owner.and_then(|o| o.get("name")).and_then(Value::as_str);
        let id = owner.and_then(|o| o.get("id")).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        name.is_some_and(|n| n.eq_ignore_ascii_case(wanted)) || id.as_deref() == Some(wanted)
    });
    let name_ok = filter.name.as_deref().is_none_or(|wanted| {
        image.name.contains(wanted) || text("native_name").is_some_and(|n| n.contains(wanted))
    });
    owner_ok && name_ok
}

// ---------------------------------------------------------------------------------------------
// Sizes (server.ram options)
// ---------------------------------------------------------------------------------------------

/// Cores per GiB of RAM and the cap: jclouds' GoGrid table runs 0.5 cores (512MB) … 16 cores
/// (16GB), doubling with the RAM.
const CORES_PER_GIB: f64 = 1.0;
const MAX_CORES: f64 = 16.0;
/// Disk per GiB of RAM: jclouds' table runs 25 GB (512MB) … 800 GB (16GB).
const DISK_GIB_PER_GIB: u64 = 50;

/// Cores and disk of a RAM step, from jclouds' table (512MB → 0.5 cores / 25 GiB, doubling per
/// step up to 16GB → 16 cores / 800 GiB). Steps outside the table follow the same line: 24GB
/// gets 1200 GiB (50 GiB per GiB of RAM) and stays at the 16-core cap, since no GoGrid server had
/// more than 16 cores.
pub(crate) fn ram_step_resources(memory_mib: u64) -> (f64, u64) {
    let cores = (memory_mib as f64 / 1024.0 * CORES_PER_GIB).min(MAX_CORES);
    let disk_gib = memory_mib * DISK_GIB_PER_GIB / 1024;
    (cores, disk_gib)
}

/// MiB of a RAM name like "512MB", "1GB", "24GB" (or a phrase containing one, like the
/// description "Server with 2GB RAM").
pub(crate) fn parse_ram_mib(text: &str) -> Option<u64> {
    text.split_whitespace().find_map(|token| {
        let upper = token.to_ascii_uppercase();
        let (number, factor) = if let Some(n) = upper.strip_suffix("GB") {
            (n, 1024.0)
        } else {
            (upper.strip_suffix("MB")?, 1.0)
        };
        let value: f64 = number.parse().ok()?;
        (value > 0.0).then(|| (value * factor).round() as u64)
    })
}

/// Maps a `server.ram` option to a size whose id is the option's name ("512MB", what
/// `grid/server/add` takes as `server.ram`). `None` (logged) when no RAM amount can be read.
pub(crate) fn map_size(option: NativeOption, provider: &str) -> Option<Size> {
    let name = option.name.clone()?;
    let memory_mib =
        parse_ram_mib(&name).or_else(|| option.description.as_deref().and_then(parse_ram_mib));
    let Some(memory_mib) = memory_mib else {
        tracing::warn!(
            option = name,
            "GoGrid server.ram option without a RAM amount"
        );
        return None;
    };
    let (cores, disk_gib) = ram_step_resources(memory_mib);
    Some(Size {
        id: name.clone(),
        provider: provider.to_owned(),
        name,
        cores: Some(cores),
        memory_mib: Some(memory_mib),
        disk_gib: Some(disk_gib),
        extra: option_extra(&option),
    })
}

// ---------------------------------------------------------------------------------------------
// Regions (datacenter options)
// ---------------------------------------------------------------------------------------------

/// Maps a datacenter option: id and name are the datacenter's name ("US-West-1", what IPs and
/// servers report); no zones.
pub(crate) fn map_region(option: NativeOption, provider: &str) -> Option<Region> {
    let name = option.name.clone()?;
    Some(Region {
        id: name.clone(),
        provider: provider.to_owned(),
        name,
        zones: Vec::new(),
        extra: option_extra(&option),
    })
}

fn option_extra(option: &NativeOption) -> Extra {
    let mut extra = Extra::new();
    if let Some(id) = &option.id {
        extra.insert("gogrid_id".to_owned(), id.to_value());
    }
    if let Some(description) = &option.description {
        extra.insert("description".to_owned(), json!(description));
    }
    extra
}

#[cfg(test)]
mod tests;
