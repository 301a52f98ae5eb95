use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Extra;

/// A hardware profile (instance type, RAM step, resource template).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Size {
    /// The provider's native size id.
    pub id: String,
    /// The provider (configured account) this size is offered by.
    pub provider: String,
    /// Human-readable name.
    pub name: String,
    /// Virtual CPU cores; may be fractional (a GoGrid 512MB server has 0.5). `null` when the
    /// provider does not say (some OCCI templates carry only a title).
    pub cores: Option<f64>,
    /// Memory in MiB; `null` when the provider does not say.
    pub memory_mib: Option<u64>,
    /// Local disk in GiB, when the size includes one.
    pub disk_gib: Option<u64>,
    /// Provider-specific fields.
    #[schema(value_type = Object)]
    pub extra: Extra,
}
