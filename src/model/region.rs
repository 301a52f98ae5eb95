use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Extra;

/// A region or datacenter, with its availability zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Region {
    /// The provider's region id (what `region` takes on create).
    pub id: String,
    /// The provider (configured account) this region belongs to.
    pub provider: String,
    /// Human-readable name.
    pub name: String,
    /// Availability zones inside the region; empty where the provider has none.
    pub zones: Vec<String>,
    /// Provider-specific fields.
    #[schema(value_type = Object)]
    pub extra: Extra,
}
