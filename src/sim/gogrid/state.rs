//! The simulated account: its servers, IPs, images and passwords, and how servers move between
//! states. Time is passed in (`now`) rather than read, so transitions are evaluated lazily on each
//! request and can be tested without sleeping.

use std::time::{Duration, Instant};

use crate::sim::control::SimControl;

use super::error::SimError;
use super::seed::{self, Opt};

/// Longest server name the real API accepted.
pub const MAX_NAME_CHARS: usize = 20;

/// The first id a provisioned server gets (the recorded server had 386946); ids only grow.
const FIRST_SERVER_ID: i64 = 386_946;
/// The first password id (the recorded password had 400107).
const FIRST_PASSWORD_ID: i64 = 400_107;

/// An image's owner (`{"id","name","object":"customer"}`; id −1 is GoGrid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Customer id.
    pub id: i64,
    /// Customer name.
    pub name: &'static str,
}

/// A billing token of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingToken {
    /// Token id.
    pub id: i64,
    /// Token name.
    pub name: &'static str,
    /// Price.
    pub price: i64,
}

/// An image's state in one datacenter (`image_datacenter_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageDatacenter {
    /// The datacenter.
    pub datacenter: Opt,
    /// The image's state there.
    pub state: Opt,
    /// Epoch ms; old images had none.
    pub created_ms: Option<i64>,
    /// Epoch ms.
    pub updated_ms: i64,
}

/// A server image (`serverimage`).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Numeric id.
    pub id: i64,
    /// Unique name, e.g. `centos5.6_32_base`.
    pub name: &'static str,
    /// Display name.
    pub friendly_name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Operating system option.
    pub os: Opt,
    /// 32-bit or 64-bit.
    pub architecture: Opt,
    /// Web Server or Database Server; servers built from it get this type.
    pub image_type: Opt,
    /// Saving or Available.
    pub state: Opt,
    /// baseGSI, partnerGSI or communityGSI.
    pub gsitype: Opt,
    /// Smallest RAM option it runs with.
    pub minram: Opt,
    /// Price.
    pub price: i64,
    /// Storage location.
    pub location: &'static str,
    /// Shared with all customers.
    pub is_public: bool,
    /// Not deleted.
    pub is_active: bool,
    /// Epoch ms; old images had none.
    pub created_ms: Option<i64>,
    /// Epoch ms.
    pub updated_ms: i64,
    /// Billing tokens.
    pub billingtokens: Vec<BillingToken>,
    /// Owner.
    pub owner: Owner,
    /// Where it can be used.
    pub datacenters: Vec<ImageDatacenter>,
}

impl Image {
    /// Whether a server can be added from it in `datacenter_id`.
    fn usable_in(&self, datacenter_id: i64) -> bool {
        self.state.id == seed::IMAGE_STATES[1].id
            && self
                .datacenters
                .iter()
                .any(|d| d.datacenter.id == datacenter_id && d.state.id == self.state.id)
    }
}

/// An IP address of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ip {
    /// Numeric id.
    pub id: i64,
    /// Dotted address.
    pub ip: String,
    /// `a.b.c.d/255.255.255.240`.
    pub subnet: String,
    /// Public or private.
    pub public: bool,
    /// Where it lives; a server added on it is placed there.
    pub datacenter: Opt,
    /// Held by a server.
    pub assigned: bool,
}

/// The state a server is in at one moment, as GoGrid names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Running (id 1).
    On,
    /// Powering on (id 2, simulator's choice).
    Starting,
    /// Stopped, or still provisioning (id 3).
    Off,
    /// Powering off (id 4, simulator's choice).
    Stopping,
    /// Power cycling (id 5, simulator's choice).
    Restarting,
}

impl ServerState {
    /// The option object sent on the wire.
    pub fn option(self) -> Opt {
        match self {
            ServerState::On => seed::SERVER_ON,
            ServerState::Starting => seed::SERVER_STARTING,
            ServerState::Off => seed::SERVER_OFF,
            ServerState::Stopping => seed::SERVER_STOPPING,
            ServerState::Restarting => seed::SERVER_RESTARTING,
        }
    }
}

/// A power change in progress; each ends in On or Off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Off → On.
    Starting,
    /// On → Off.
    Stopping,
    /// On (or Off) → On.
    Restarting,
}

/// Where a server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Added, no id yet; shows as Off until `ready_at`, then becomes On with an id.
    Provisioning {
        /// When it gets its id.
        ready_at: Instant,
    },
    /// Running.
    On,
    /// Stopped.
    Off,
    /// A power change that finishes at `until`.
    Changing {
        /// Which change.
        change: Change,
        /// When it finishes.
        until: Instant,
    },
}

/// A server of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// Assigned when provisioning finishes.
    pub id: Option<i64>,
    /// Unique name.
    pub name: String,
    /// Omitted from the wire when empty, as the recorded server without one shows.
    pub description: Option<String>,
    /// The image it was built from.
    pub image: Image,
    /// RAM option.
    pub ram: Opt,
    /// Its public IP (state Assigned while the server exists).
    pub ip: Ip,
    /// Where it is.
    pub phase: Phase,
}

impl Server {
    /// The state shown on the wire.
    pub fn state(&self) -> ServerState {
        match self.phase {
            Phase::Provisioning { .. } | Phase::Off => ServerState::Off,
            Phase::On => ServerState::On,
            Phase::Changing { change, .. } => match change {
                Change::Starting => ServerState::Starting,
                Change::Stopping => ServerState::Stopping,
                Change::Restarting => ServerState::Restarting,
            },
        }
    }

    /// Still waiting for its id.
    pub fn is_provisioning(&self) -> bool {
        matches!(self.phase, Phase::Provisioning { .. })
    }

    /// Its datacenter, which is its IP's.
    pub fn datacenter(&self) -> Opt {
        self.ip.datacenter
    }

    /// Whether `key` names it. Ids only match provisioned servers; names match from the start.
    fn matches(&self, key: &ServerKey) -> bool {
        match key {
            ServerKey::Id(raw) => self.id.is_some_and(|id| raw.parse() == Ok(id)),
            ServerKey::Name(name) => self.name == *name,
            ServerKey::IdOrName(raw) => {
                self.matches(&ServerKey::Id(raw.clone())) || self.name == *raw
            }
        }
    }
}

/// How a request names a server: `id=`, `name=` or `server=` (id or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKey {
    /// `id=`; a non-numeric value matches nothing.
    Id(String),
    /// `name=`.
    Name(String),
    /// `server=`.
    IdOrName(String),
}

/// A root password the account can read once its server is provisioned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    /// Numeric id.
    pub id: i64,
    /// The server it belongs to.
    pub server_id: i64,
    /// Always `root`.
    pub username: &'static str,
    /// The secret.
    pub password: String,
}

/// What `grid/server/power` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    /// `on` / `start`.
    Start,
    /// `off` / `stop`.
    Stop,
    /// `cycle` / `restart` / `reboot`.
    Restart,
}

impl PowerAction {
    /// Parses a `power=` value (case-insensitive).
    pub fn parse(raw: &str) -> Option<PowerAction> {
        match raw.to_ascii_lowercase().as_str() {
            "on" | "start" => Some(PowerAction::Start),
            "off" | "stop" => Some(PowerAction::Stop),
            "cycle" | "restart" | "reboot" => Some(PowerAction::Restart),
            _ => None,
        }
    }
}

/// Validated-as-given parameters of `grid/server/add`; [`State::add_server`] resolves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddServer {
    /// `name`.
    pub name: String,
    /// `image`: id or name.
    pub image: String,
    /// `server.ram`: id or name.
    pub ram: String,
    /// `ip`: a free public address.
    pub ip: String,
    /// `description`.
    pub description: Option<String>,
}

/// The whole simulated account.
#[derive(Debug)]
pub struct State {
    provision_delay: Duration,
    power_delay: Duration,
    /// Images, by ascending id.
    pub images: Vec<Image>,
    /// IP pool, by ascending id.
    pub ips: Vec<Ip>,
    /// Servers in the order they were added.
    pub servers: Vec<Server>,
    /// Root passwords of provisioned servers.
    pub passwords: Vec<Password>,
    next_server_id: i64,
    next_password_id: i64,
    control: SimControl,
}

impl State {
    /// A fresh account with the seed catalogue and no servers.
    pub fn new(provision_delay: Duration, power_delay: Duration) -> State {
        State {
            provision_delay,
            power_delay,
            images: seed::images(),
            ips: seed::ip_pool(),
            servers: Vec::new(),
            passwords: Vec::new(),
            next_server_id: FIRST_SERVER_ID,
            next_password_id: FIRST_PASSWORD_ID,
            control: SimControl::default(),
        }
    }

    /// Obeys `control` (hold) from now on.
    pub fn with_control(mut self, control: SimControl) -> State {
        self.control = control;
        self
    }

    /// Applies every deadline that has passed by `now`: provisioning servers get an id, state On
    /// and a root password; power changes reach their end state. Servers are visited in the
    /// order they were added, so ids follow that order.
    pub fn advance(&mut self, now: Instant) {
        if self.control.is_held() {
            return;
        }
        for server in &mut self.servers {
            match server.phase {
                Phase::Provisioning { ready_at } if now >= ready_at => {
                    let id = self.next_server_id;
                    self.next_server_id += 1;
                    server.id = Some(id);
                    server.phase = Phase::On;
                    self.passwords.push(Password {
                        id: self.next_password_id,
                        server_id: id,
                        username: "root",
                        password: new_password(),
                    });
                    self.next_password_id += 1;
                }
                Phase::Changing { change, until } if now >= until => {
                    server.phase = match change {
                        Change::Stopping => Phase::Off,
                        Change::Starting | Change::Restarting => Phase::On,
                    };
                }
                _ => {}
            }
        }
    }

    /// Finds an image by id or, failing that, by name.
    pub fn find_image(&self, id_or_name: &str) -> Option<&Image> {
        let id: Option<i64> = id_or_name.parse().ok();
        self.images
            .iter()
            .find(|i| Some(i.id) == id)
            .or_else(|| self.images.iter().find(|i| i.name == id_or_name))
    }

    /// Adds a server. The answer is the server as `grid/server/add` shows it: no id, state Off —
    /// even with a zero provision delay, because the real API never returned an id here.
    pub fn add_server(&mut self, req: AddServer, now: Instant) -> Result<Server, SimError> {
        let name = req.name.trim();
        if name.is_empty() {
            return Err(SimError::bad_input("Missing required parameter: name"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(SimError::bad_input(format!(
                "Server name '{name}' is too long: at most {MAX_NAME_CHARS} characters"
            )));
        }
        if self.servers.iter().any(|s| s.name == name) {
            return Err(SimError::bad_input(format!(
                "A server named '{name}' already exists"
            )));
        }
        let ram = resolve_ram(&req.ram)?;
        let image = match req.image.trim() {
            "" => return Err(SimError::bad_input("Missing required parameter: image")),
            raw => self
                .find_image(raw)
                .cloned()
                .ok_or_else(|| SimError::bad_input(format!("No image matches image='{raw}'")))?,
        };
        let ip_text = req.ip.trim();
        if ip_text.is_empty() {
            return Err(SimError::bad_input(
                "Missing required parameter: ip (a free public IP; see grid/ip/list)",
            ));
        }
        let ip_idx = self
            .ips
            .iter()
            .position(|i| i.ip == ip_text)
            .ok_or_else(|| {
                SimError::bad_input(format!("IP {ip_text} is not an IP of this account"))
            })?;
        let ip = &self.ips[ip_idx];
        if !ip.public {
            return Err(SimError::bad_input(format!(
                "IP {ip_text} is private; a server needs a public IP"
            )));
        }
        if ip.assigned {
            return Err(SimError::bad_input(format!(
                "IP {ip_text} is already assigned"
            )));
        }
        let datacenter = ip.datacenter;
        if !image.usable_in(datacenter.id) {
            return Err(SimError::bad_input(format!(
                "Image {} ({}) is not available in datacenter {}",
                image.id, image.name, datacenter.name
            )));
        }
        if ram_rank(ram.id) < ram_rank(image.minram.id) {
            return Err(SimError::bad_input(format!(
                "Image {} needs at least {} RAM; server.ram={} is too small",
                image.name, image.minram.name, ram.name
            )));
        }
        self.ips[ip_idx].assigned = true;
        let server = Server {
            id: None,
            name: name.to_string(),
            description: req.description.filter(|d| !d.is_empty()),
            image,
            ram,
            ip: self.ips[ip_idx].clone(),
            phase: Phase::Provisioning {
                ready_at: now + self.provision_delay,
            },
        };
        self.servers.push(server.clone());
        Ok(server)
    }

    /// The index of the one server `key` names, or the not-found error.
    fn index_of(&self, key: &ServerKey) -> Result<usize, SimError> {
        self.servers
            .iter()
            .position(|s| s.matches(key))
            .ok_or_else(SimError::not_found)
    }

    /// Provisioned servers matching any of `keys`, in account order. Servers still provisioning
    /// are invisible here, as the real `grid/server/get` showed.
    pub fn get_servers(&self, keys: &[ServerKey]) -> Vec<&Server> {
        self.servers
            .iter()
            .filter(|s| !s.is_provisioning() && keys.iter().any(|k| s.matches(k)))
            .collect()
    }

    /// Deletes a server (also while provisioning, by name), frees its IP and forgets its
    /// password; answers the server as it was.
    pub fn delete_server(&mut self, key: &ServerKey) -> Result<Server, SimError> {
        let idx = self.index_of(key)?;
        let server = self.servers.remove(idx);
        if let Some(ip) = self.ips.iter_mut().find(|i| i.id == server.ip.id) {
            ip.assigned = false;
        }
        if let Some(id) = server.id {
            self.passwords.retain(|p| p.server_id != id);
        }
        Ok(server)
    }

    /// Starts a power change and answers the server as it is afterwards (with a zero power delay
    /// that is already the end state).
    pub fn power(
        &mut self,
        key: &ServerKey,
        action: PowerAction,
        now: Instant,
    ) -> Result<Server, SimError> {
        let idx = self.index_of(key)?;
        let until = now + self.power_delay;
        let server = &mut self.servers[idx];
        let busy = |what: &str, server: &Server| {
            SimError::bad_input(format!(
                "Server '{}' is {}; it cannot {what} until that has finished",
                server.name,
                server.state().option().name
            ))
        };
        let next = match (server.phase, action) {
            // It comes up On by itself.
            (Phase::Provisioning { .. }, PowerAction::Start) => None,
            (Phase::Provisioning { .. }, _) => {
                return Err(SimError::bad_input(format!(
                    "Server '{}' is still being provisioned; it can be stopped or restarted \
                     once it is On",
                    server.name
                )));
            }
            (Phase::On, PowerAction::Start) | (Phase::Off, PowerAction::Stop) => None,
            (Phase::Off, PowerAction::Start) => Some(Change::Starting),
            (Phase::On, PowerAction::Stop) => Some(Change::Stopping),
            (Phase::On | Phase::Off, PowerAction::Restart) => Some(Change::Restarting),
            (Phase::Changing { change, .. }, action) => match (change, action) {
                (Change::Starting | Change::Restarting, PowerAction::Start)
                | (Change::Stopping, PowerAction::Stop) => None,
                (_, PowerAction::Stop) => return Err(busy("be stopped", server)),
                (_, PowerAction::Start) => return Err(busy("be started", server)),
                (_, PowerAction::Restart) => return Err(busy("be restarted", server)),
            },
        };
        if let Some(change) = next {
            server.phase = Phase::Changing { change, until };
        }
        self.advance(now);
        Ok(self.servers[idx].clone())
    }

    /// The server a password belongs to.
    pub fn server_by_id(&self, id: i64) -> Option<&Server> {
        self.servers.iter().find(|s| s.id == Some(id))
    }
}

/// Resolves `server.ram` by id or (case-insensitive) name.
fn resolve_ram(raw: &str) -> Result<Opt, SimError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(SimError::bad_input(
            "Missing required parameter: server.ram (see common/lookup/list?lookup=server.ram)",
        ));
    }
    let id: Option<i64> = raw.parse().ok();
    seed::RAM
        .iter()
        .find(|o| Some(o.id) == id || o.name.eq_ignore_ascii_case(raw))
        .copied()
        .ok_or_else(|| {
            SimError::bad_input(format!(
                "Unknown server.ram '{raw}' (see common/lookup/list?lookup=server.ram)"
            ))
        })
}

/// Position of a RAM option in size order (ids are not contiguous).
fn ram_rank(ram_id: i64) -> usize {
    seed::RAM
        .iter()
        .position(|o| o.id == ram_id)
        .unwrap_or(usize::MAX)
}

/// Ten letters and digits, like the recorded `ppzTXRcDoT`, from a v4 UUID's random bytes.
fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(10)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests;
