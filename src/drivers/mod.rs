//! The backends, and the table of them.
//!
//! One folder per cloud, each with the same files: `mod.rs` (the `Driver` impl and the one
//! constructor), `config.rs` (the provider file's settings), `client.rs` (wire calls),
//! `mapping.rs` (native ↔ unified, with const state tables), `error.rs` (native errors →
//! [`DriverError`](crate::driver::DriverError)), `paging.rs` (the provider's paging behind a
//! cursor), `docs.md` (capabilities, credentials, quirks).
//!
//! [`DRIVERS`] lists them: a provider file's `driver = "<name>"` picks the row, the row reads
//! and validates the rest of the file once ([`DriverRow::parse`]), and the settings build the
//! driver ([`DriverSettings::build`]), starting the in-process simulator for `simulate = true`.
//! Adding a driver is one folder and one row (see `docs/drivers.md`).

pub mod aws;
pub mod gogrid;
pub mod occi;

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::config::FieldError;
use crate::driver::Driver;
use crate::sim::RunningSimulator;

/// Every driver the gateway has, by the name provider files give it.
pub const DRIVERS: &[DriverRow] = &[
    DriverRow::of::<aws::AwsConfig>("aws"),
    DriverRow::of::<gogrid::GoGridConfig>("gogrid"),
    DriverRow::of::<occi::OcciConfig>("occi"),
];

/// The row of `name`, if there is such a driver.
pub fn find(name: &str) -> Option<&'static DriverRow> {
    DRIVERS.iter().find(|row| row.name == name)
}

/// The names of every driver, for messages (`` `aws`, `gogrid`, `occi` ``).
pub fn names() -> String {
    DRIVERS
        .iter()
        .map(|row| format!("`{}`", row.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of [`DRIVERS`].
#[derive(Clone, Copy)]
pub struct DriverRow {
    /// The name in provider files (`driver = "<name>"`).
    pub name: &'static str,
    load: fn(toml::Value) -> Result<Arc<dyn DriverSettings>, FieldError>,
}

impl fmt::Debug for DriverRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriverRow")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl DriverRow {
    /// The row of the driver whose provider-file settings are `C`.
    pub const fn of<C: DriverSettings + DeserializeOwned>(name: &'static str) -> DriverRow {
        DriverRow {
            name,
            load: load::<C>,
        }
    }

    /// Reads the provider file's settings (the file without `driver`, unknown fields rejected)
    /// and validates them: the one place a provider file is checked.
    pub fn parse(&self, settings: toml::Value) -> Result<Arc<dyn DriverSettings>, FieldError> {
        (self.load)(settings)
    }
}

fn load<C: DriverSettings + DeserializeOwned>(
    value: toml::Value,
) -> Result<Arc<dyn DriverSettings>, FieldError> {
    let settings: C = crate::config::deserialize_settings(value)?;
    settings.validate().map_err(|(field, message)| FieldError {
        field: field.split('.').map(str::to_owned).collect(),
        message,
    })?;
    Ok(Arc::new(settings))
}

/// A driver's provider-file settings (its `config.rs` type), as the table uses them.
#[async_trait]
pub trait DriverSettings: Any + fmt::Debug + Send + Sync {
    /// Checks what deserialization cannot (required fields, combinations, ranges): the dotted
    /// field and what is wrong. Called once, by [`DriverRow::parse`].
    fn validate(&self) -> Result<(), (&'static str, String)>;

    /// The driver's one constructor: builds the driver for provider `provider` from settings
    /// [`DriverRow::parse`] accepted, starting the in-process simulator for `simulate = true`.
    async fn build(&self, provider: &str) -> Result<Built, BuildError>;
}

/// What a driver's constructor hands back.
pub struct Built {
    /// The driver.
    pub driver: Arc<dyn Driver>,
    /// The region the provider serves, when it has one.
    pub region: Option<String>,
    /// The in-process simulator the driver talks to (`simulate = true`); it runs for as long
    /// as this value lives.
    pub simulator: Option<RunningSimulator>,
}

impl fmt::Debug for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Built")
            .field("region", &self.region)
            .field("simulated", &self.simulator.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a driver could not be built from valid settings.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The driver could not be set up (no region found, an unreadable certificate, …).
    #[error("cannot set up the driver: {0}")]
    Setup(String),
    /// The in-process simulator could not start.
    #[error("cannot start its simulator: {0}")]
    Simulator(#[source] std::io::Error),
}

/// Checks a simulated provider's `[simulator]` delays (seconds, 0 to 3600): the field and what
/// is wrong.
pub(crate) fn check_simulator_delays(
    provision_delay_secs: f64,
    power_delay_secs: f64,
) -> Result<(), (&'static str, String)> {
    for (field, value) in [
        ("simulator.provision_delay_secs", provision_delay_secs),
        ("simulator.power_delay_secs", power_delay_secs),
    ] {
        if !(0.0..=3600.0).contains(&value) {
            return Err((field, "must be between 0 and 3600 seconds".into()));
        }
    }
    Ok(())
}

/// A simulator delay in seconds from a provider file (validated to 0–3600) as a duration.
pub(crate) fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_its_own_name_and_is_found_by_it() {
        for row in DRIVERS {
            assert_eq!(find(row.name).map(|r| r.name), Some(row.name));
        }
        let mut listed: Vec<&str> = DRIVERS.iter().map(|r| r.name).collect();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(listed.len(), DRIVERS.len(), "a name is listed twice");
        assert!(find("azure").is_none());
        assert_eq!(names(), "`aws`, `gogrid`, `occi`");
    }

    #[test]
    fn simulator_delays_outside_0_to_3600_seconds_name_their_field() {
        assert_eq!(check_simulator_delays(0.0, 3600.0), Ok(()));
        let field = |p, w| check_simulator_delays(p, w).err().map(|e| e.0);
        assert_eq!(field(-1.0, 1.0), Some("simulator.provision_delay_secs"));
        assert_eq!(field(1.0, 3600.5), Some("simulator.power_delay_secs"));
        assert_eq!(field(f64::NAN, 1.0), Some("simulator.provision_delay_secs"));
    }

    #[test]
    fn every_row_rejects_unknown_fields_naming_them() {
        // Deserialization rejects the field before validation looks at what is missing.
        for row in DRIVERS {
            let mut table = toml::Table::new();
            table.insert("colour".into(), toml::Value::String("blue".into()));
            let err = row.parse(toml::Value::Table(table)).err();
            let err = err.unwrap_or_else(|| panic!("{}: colour accepted", row.name));
            assert_eq!(err.field, ["colour"], "{}", row.name);
            assert!(err.message.contains("unknown field"), "{}", row.name);
        }
    }

    #[test]
    fn a_row_validates_what_it_reads() {
        let gogrid = find("gogrid").map(|r| r.parse(toml::Value::Table(toml::Table::new())));
        let err = gogrid.and_then(|r| r.err());
        assert_eq!(
            err.map(|e| (e.field, e.message)),
            Some((
                vec!["endpoint".to_owned()],
                "required unless simulate = true".to_owned()
            ))
        );
    }
}
