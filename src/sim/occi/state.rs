//! The simulated account: computes, storage, storage links and network interfaces, and how
//! computes move between states. Time is passed in (`now`) rather than read, so transitions are
//! evaluated lazily on each request and can be tested without sleeping.

use std::time::{Duration, Instant, SystemTime};

use super::error::SimError;
use super::profile::{IdStyle, Profile};
use super::seed::{self, Catalog};
use crate::sim::control::SimControl;

mod lifecycle;

pub use lifecycle::{ComputeAction, ComputeState, Pending, StorageAction, StorageState};

/// A network interface of a compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// The link's id.
    pub id: String,
    /// Index into the catalog's networks (0 public, 1 private).
    pub network: usize,
    /// `occi.networkinterface.address`.
    pub address: String,
    /// `occi.networkinterface.mac`.
    pub mac: String,
    /// `occi.networkinterface.interface`.
    pub interface: String,
}

/// A compute resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Compute {
    /// Its id (last segment of its location).
    pub id: String,
    /// `occi.core.title`.
    pub title: String,
    /// `occi.compute.hostname`.
    pub hostname: String,
    /// Term of its `os_tpl` mixin.
    pub os_tpl: Option<&'static str>,
    /// Term of its `resource_tpl` mixin.
    pub resource_tpl: Option<&'static str>,
    /// Term of its availability-zone mixin.
    pub zone: Option<&'static str>,
    /// Its contextualization mixins (indexes into the catalog's) with their values.
    pub contexts: Vec<(usize, String)>,
    /// `occi.compute.cores`.
    pub cores: u32,
    /// `occi.compute.memory` in GiB.
    pub memory_gib: f64,
    /// `occi.compute.architecture`.
    pub architecture: &'static str,
    /// The current state.
    pub state: ComputeState,
    /// A change under way.
    pub pending: Option<Pending>,
    /// Its network interfaces.
    pub nics: Vec<Nic>,
    /// When it was created.
    pub created: SystemTime,
}

/// A storage resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Storage {
    /// Its id.
    pub id: String,
    /// `occi.core.title`.
    pub title: String,
    /// `occi.storage.size` in GiB.
    pub size_gib: f64,
    /// The current state.
    pub state: StorageState,
}

/// A storage link: a storage attached to a compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageLink {
    /// Its id.
    pub id: String,
    /// The compute's id.
    pub compute: String,
    /// The storage's id.
    pub storage: String,
    /// `occi.storagelink.deviceid`.
    pub deviceid: String,
}

/// What a create asks for, already checked against the catalog by the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCompute {
    /// `occi.core.title`.
    pub title: Option<String>,
    /// `occi.compute.hostname`.
    pub hostname: Option<String>,
    /// `os_tpl` term.
    pub os_tpl: Option<&'static str>,
    /// `resource_tpl` term.
    pub resource_tpl: Option<&'static str>,
    /// Zone term.
    pub zone: Option<&'static str>,
    /// Contextualization mixins (catalog indexes) with their values.
    pub contexts: Vec<(usize, String)>,
    /// `occi.compute.cores` given explicitly.
    pub cores: Option<u32>,
    /// `occi.compute.memory` given explicitly, in GiB.
    pub memory_gib: Option<f64>,
}

/// The account.
#[derive(Debug)]
pub struct State {
    profile: Profile,
    catalog: &'static Catalog,
    provision_delay: Duration,
    power_delay: Duration,
    computes: Vec<Compute>,
    storages: Vec<Storage>,
    links: Vec<StorageLink>,
    /// Source of numeric ids (rOCCI) and of addresses and MACs.
    counter: u64,
    control: SimControl,
}

/// The first numeric id (rOCCI's recorded computes were in the 4000s).
const FIRST_NUMBER: u64 = 4096;
/// Devices handed out to storage links without a `deviceid`.
const DEVICES: [&str; 8] = [
    "/dev/vdb", "/dev/vdc", "/dev/vdd", "/dev/vde", "/dev/vdf", "/dev/vdg", "/dev/vdh", "/dev/vdi",
];

impl State {
    /// A fresh account for `profile`.
    pub fn new(profile: Profile, provision_delay: Duration, power_delay: Duration) -> State {
        State {
            profile,
            catalog: seed::catalog(profile),
            provision_delay,
            power_delay,
            computes: Vec::new(),
            storages: Vec::new(),
            links: Vec::new(),
            control: SimControl::default(),
            counter: FIRST_NUMBER,
        }
    }

    /// What the account offers.
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    /// Obeys `control` (hold, failing provisioning) from now on.
    pub fn with_control(mut self, control: SimControl) -> State {
        self.control = control;
        self
    }

    /// Applies every change whose time has come, unless the control holds them.
    pub fn advance(&mut self, now: Instant) {
        if self.control.is_held() {
            return;
        }
        for c in &mut self.computes {
            if let Some(p) = c.pending
                && p.due <= now
            {
                c.state = p
                    .action
                    .map_or(ComputeState::Active, ComputeAction::end_state);
                c.pending = None;
            }
        }
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        match self.profile.id_style() {
            IdStyle::Number => self.counter.to_string(),
            IdStyle::HexUuid => uuid::Uuid::new_v4().simple().to_string(),
            IdStyle::Uuid => uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The computes, oldest first.
    pub fn computes(&self) -> &[Compute] {
        &self.computes
    }

    /// One compute.
    pub fn compute(&self, id: &str) -> Result<&Compute, SimError> {
        self.computes
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| SimError::not_found(format!("compute {id} does not exist")))
    }

    /// Creates a compute, `inactive` until the provision delay has passed.
    pub fn create_compute(&mut self, new: NewCompute, now: Instant) -> &Compute {
        let id = self.next_id();
        let size = new
            .resource_tpl
            .and_then(|t| self.catalog.resource_template(t));
        let title = new.title.unwrap_or_else(|| format!("compute-{id}"));
        let nics = (0..self.catalog.networks.len())
            .map(|n| self.new_nic(&id, n))
            .collect();
        let (state, pending) = if self.control.take_provisioning_failure() {
            (ComputeState::Error, None)
        } else if self.provision_delay.is_zero() {
            (ComputeState::Active, None)
        } else {
            let pending = Pending {
                action: None,
                due: now + self.provision_delay,
            };
            (ComputeState::Inactive, Some(pending))
        };
        self.computes.push(Compute {
            hostname: new.hostname.unwrap_or_else(|| title.clone()),
            title,
            os_tpl: new.os_tpl,
            resource_tpl: new.resource_tpl,
            zone: new.zone,
            contexts: new.contexts,
            cores: new.cores.or(size.map(|s| s.cores)).unwrap_or(1),
            memory_gib: new.memory_gib.or(size.map(|s| s.memory_gib)).unwrap_or(1.0),
            architecture: "x64",
            state,
            pending,
            nics,
            created: SystemTime::now(),
            id,
        });
        let last = self.computes.len() - 1;
        &self.computes[last]
    }

    fn new_nic(&mut self, compute: &str, network: usize) -> Nic {
        self.counter += 1;
        let host = 2 + self.counter % 250;
        let address = format!("{}.{host}", self.catalog.networks[network].prefix);
        let id = match self.profile.id_style() {
            IdStyle::HexUuid => format!("{compute}_{address}"),
            IdStyle::Number => format!("compute_{compute}_nic_{network}"),
            IdStyle::Uuid => uuid::Uuid::new_v4().to_string(),
        };
        Nic {
            id,
            network,
            address,
            mac: format!("02:00:c0:a8:{:02x}:{:02x}", network, self.counter % 256),
            interface: format!("eth{network}"),
        }
    }

    /// Deletes a compute and its storage links (the storage stays).
    pub fn delete_compute(&mut self, id: &str) -> Result<(), SimError> {
        self.compute(id)?;
        self.computes.retain(|c| c.id != id);
        self.links.retain(|l| l.compute != id);
        Ok(())
    }

    /// Invokes `action`: it takes effect after the power delay. Refused while another change is
    /// under way, and where it does not apply in the current state.
    pub fn act(
        &mut self,
        id: &str,
        action: ComputeAction,
        method: Option<&str>,
        now: Instant,
    ) -> Result<(), SimError> {
        if let Some(m) = method
            && !action.methods().contains(&m)
        {
            return Err(SimError::bad_request(format!(
                "method '{m}' is not defined for action {}; use one of: {}",
                action.term(),
                action.methods().join(", ")
            )));
        }
        let delay = self.power_delay;
        let compute = self
            .computes
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| SimError::not_found(format!("compute {id} does not exist")))?;
        if let Some(p) = compute.pending {
            return Err(SimError::not_applicable(format!(
                "action {} is not applicable while the compute is {}",
                action.term(),
                p.message()
            )));
        }
        if !action.applies_in(compute.state) {
            return Err(SimError::not_applicable(format!(
                "action {} is not applicable in state {}",
                action.term(),
                compute.state.as_str()
            )));
        }
        if delay.is_zero() {
            compute.state = action.end_state();
        } else {
            compute.pending = Some(Pending {
                action: Some(action),
                due: now + delay,
            });
        }
        Ok(())
    }

    /// The actions a compute offers now.
    pub fn applicable_actions(compute: &Compute) -> Vec<ComputeAction> {
        if compute.pending.is_some() {
            return Vec::new();
        }
        ComputeAction::ALL
            .into_iter()
            .filter(|a| a.applies_in(compute.state))
            .collect()
    }

    /// Gives a compute another size: its `resource_tpl`, cores and memory.
    pub fn resize(
        &mut self,
        id: &str,
        term: &'static str,
        cores: u32,
        memory_gib: f64,
    ) -> Result<(), SimError> {
        let compute = self
            .computes
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| SimError::not_found(format!("compute {id} does not exist")))?;
        compute.resource_tpl = Some(term);
        compute.cores = cores;
        compute.memory_gib = memory_gib;
        Ok(())
    }

    /// The storage, oldest first.
    pub fn storages(&self) -> &[Storage] {
        &self.storages
    }

    /// One storage.
    pub fn storage(&self, id: &str) -> Result<&Storage, SimError> {
        self.storages
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| SimError::not_found(format!("storage {id} does not exist")))
    }

    /// Creates a storage of `size_gib`, online (pyssf: offline).
    pub fn create_storage(&mut self, title: Option<String>, size_gib: f64) -> &Storage {
        let id = self.next_id();
        self.storages.push(Storage {
            title: title.unwrap_or_else(|| format!("storage-{id}")),
            id,
            size_gib,
            state: if self.profile.new_storage_is_offline() {
                StorageState::Offline
            } else {
                StorageState::Online
            },
        });
        let last = self.storages.len() - 1;
        &self.storages[last]
    }

    /// Deletes a storage; refused while it is linked to a compute.
    pub fn delete_storage(&mut self, id: &str) -> Result<(), SimError> {
        self.storage(id)?;
        if let Some(link) = self.links.iter().find(|l| l.storage == id) {
            return Err(SimError::not_applicable(format!(
                "storage {id} is attached to compute {}; delete the storage link first",
                link.compute
            )));
        }
        self.storages.retain(|s| s.id != id);
        Ok(())
    }

    /// Takes a storage online or offline; refused when it already is.
    pub fn act_on_storage(&mut self, id: &str, action: StorageAction) -> Result<(), SimError> {
        let storage = self
            .storages
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| SimError::not_found(format!("storage {id} does not exist")))?;
        let target = match action {
            StorageAction::Online => StorageState::Online,
            StorageAction::Offline => StorageState::Offline,
        };
        if storage.state == target {
            return Err(SimError::not_applicable(format!(
                "action {} is not applicable in state {}",
                action.term(),
                storage.state.as_str()
            )));
        }
        storage.state = target;
        Ok(())
    }

    /// The storage links, oldest first.
    pub fn links(&self) -> &[StorageLink] {
        &self.links
    }

    /// One storage link.
    pub fn link(&self, id: &str) -> Result<&StorageLink, SimError> {
        self.links
            .iter()
            .find(|l| l.id == id)
            .ok_or_else(|| SimError::not_found(format!("storage link {id} does not exist")))
    }

    /// The storage links of a compute.
    pub fn links_of(&self, compute: &str) -> impl Iterator<Item = &StorageLink> {
        self.links.iter().filter(move |l| l.compute == compute)
    }

    /// The link attaching a storage, if any.
    pub fn link_of_storage(&self, storage: &str) -> Option<&StorageLink> {
        self.links.iter().find(|l| l.storage == storage)
    }

    /// Attaches a storage to a compute. Both must exist; a storage is attached once; a
    /// `deviceid` in use on the compute is refused.
    pub fn create_link(
        &mut self,
        compute: &str,
        storage: &str,
        deviceid: Option<String>,
    ) -> Result<&StorageLink, SimError> {
        self.compute(compute)?;
        self.storage(storage)?;
        if let Some(link) = self.link_of_storage(storage) {
            return Err(SimError::not_applicable(format!(
                "storage {storage} is already attached to compute {}",
                link.compute
            )));
        }
        let used: Vec<&str> = self
            .links_of(compute)
            .map(|l| l.deviceid.as_str())
            .collect();
        let deviceid = match deviceid {
            Some(d) if used.contains(&d.as_str()) => {
                return Err(SimError::not_applicable(format!(
                    "device {d} is already in use on compute {compute}"
                )));
            }
            Some(d) => d,
            None => DEVICES
                .iter()
                .find(|d| !used.contains(d))
                .map(|d| (*d).to_owned())
                .ok_or_else(|| {
                    SimError::not_applicable(format!(
                        "compute {compute} has no free device for another storage"
                    ))
                })?,
        };
        let id = match self.profile.id_style() {
            IdStyle::HexUuid => format!("{compute}_{storage}"),
            IdStyle::Number => format!("compute_{compute}_disk_{}", used.len() + 1),
            IdStyle::Uuid => uuid::Uuid::new_v4().to_string(),
        };
        self.links.push(StorageLink {
            id,
            compute: compute.to_owned(),
            storage: storage.to_owned(),
            deviceid,
        });
        let last = self.links.len() - 1;
        Ok(&self.links[last])
    }

    /// Detaches: deletes a storage link.
    pub fn delete_link(&mut self, id: &str) -> Result<(), SimError> {
        self.link(id)?;
        self.links.retain(|l| l.id != id);
        Ok(())
    }

    /// The network interface with `id`, with its compute.
    pub fn nic(&self, id: &str) -> Result<(&Compute, &Nic), SimError> {
        self.computes
            .iter()
            .find_map(|c| c.nics.iter().find(|n| n.id == id).map(|n| (c, n)))
            .ok_or_else(|| SimError::not_found(format!("network interface {id} does not exist")))
    }
}

#[cfg(test)]
mod tests;
