//! The states of computes and storage and the actions that move them (GFD.184, GFD.224), and
//! what a compute is on its way to.

use std::time::Instant;

/// OCCI compute states (GFD.184 and GFD.224; `error` is 1.2's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeState {
    /// Running.
    Active,
    /// Stopped, or not yet provisioned.
    Inactive,
    /// Suspended.
    Suspended,
    /// Failed at the provider (OCCI 1.2); the simulator's provisioning ends here when its
    /// control says so.
    Error,
}

impl ComputeState {
    /// The wire value of `occi.compute.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComputeState::Active => "active",
            ComputeState::Inactive => "inactive",
            ComputeState::Suspended => "suspended",
            ComputeState::Error => "error",
        }
    }
}

/// OCCI storage states the simulator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageState {
    /// Usable.
    Online,
    /// Taken offline by the `offline` action.
    Offline,
}

impl StorageState {
    /// The wire value of `occi.storage.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageState::Online => "online",
            StorageState::Offline => "offline",
        }
    }
}

/// The compute actions of OCCI Infrastructure the simulator implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeAction {
    /// `start`.
    Start,
    /// `stop` (method graceful, acpioff, poweroff).
    Stop,
    /// `restart` (method graceful, warm, cold).
    Restart,
    /// `suspend` (method hibernate, suspend).
    Suspend,
}

impl ComputeAction {
    /// Every compute action, in the order servers render them.
    pub const ALL: [ComputeAction; 4] = [
        ComputeAction::Start,
        ComputeAction::Stop,
        ComputeAction::Restart,
        ComputeAction::Suspend,
    ];

    /// The action's term.
    pub fn term(self) -> &'static str {
        match self {
            ComputeAction::Start => "start",
            ComputeAction::Stop => "stop",
            ComputeAction::Restart => "restart",
            ComputeAction::Suspend => "suspend",
        }
    }

    /// The action with `term`.
    pub fn from_term(term: &str) -> Option<ComputeAction> {
        ComputeAction::ALL.into_iter().find(|a| a.term() == term)
    }

    /// The values its `method` attribute may take (GFD.184 §3.4.1).
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            ComputeAction::Start => &[],
            ComputeAction::Stop => &["graceful", "acpioff", "poweroff"],
            ComputeAction::Restart => &["graceful", "warm", "cold"],
            ComputeAction::Suspend => &["hibernate", "suspend"],
        }
    }

    /// Whether it applies to a compute in `state` (GFD.184 state diagram).
    pub fn applies_in(self, state: ComputeState) -> bool {
        matches!(
            (self, state),
            (
                ComputeAction::Start,
                ComputeState::Inactive | ComputeState::Suspended
            ) | (
                ComputeAction::Stop,
                ComputeState::Active | ComputeState::Suspended
            ) | (ComputeAction::Restart, ComputeState::Active)
                | (ComputeAction::Suspend, ComputeState::Active)
        )
    }

    /// The state it ends in.
    pub fn end_state(self) -> ComputeState {
        match self {
            ComputeAction::Start | ComputeAction::Restart => ComputeState::Active,
            ComputeAction::Stop => ComputeState::Inactive,
            ComputeAction::Suspend => ComputeState::Suspended,
        }
    }
}

/// Storage actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageAction {
    /// `online`.
    Online,
    /// `offline`.
    Offline,
}

impl StorageAction {
    /// The action's term.
    pub fn term(self) -> &'static str {
        match self {
            StorageAction::Online => "online",
            StorageAction::Offline => "offline",
        }
    }

    /// The action with `term`.
    pub fn from_term(term: &str) -> Option<StorageAction> {
        match term {
            "online" => Some(StorageAction::Online),
            "offline" => Some(StorageAction::Offline),
            _ => None,
        }
    }
}

/// What a compute is on its way to, and when it gets there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// `None` while provisioning, else the action under way.
    pub action: Option<ComputeAction>,
    /// When it takes effect.
    pub due: Instant,
}

impl Pending {
    /// Words for `occi.compute.state.message` while this is under way.
    pub fn message(&self) -> &'static str {
        match self.action {
            None => "provisioning",
            Some(ComputeAction::Start) => "starting",
            Some(ComputeAction::Stop) => "stopping",
            Some(ComputeAction::Restart) => "restarting",
            Some(ComputeAction::Suspend) => "suspending",
        }
    }
}
