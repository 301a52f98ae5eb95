use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Extra;

/// A machine image servers are created from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Image {
    /// The provider's native image id.
    pub id: String,
    /// The provider (configured account) this image is offered by.
    pub provider: String,
    /// Human-readable name.
    pub name: String,
    /// Longer description, when the provider has one.
    pub description: Option<String>,
    /// Operating system family, lower case (`linux`, `windows`, …), when known.
    pub os_family: Option<String>,
    /// CPU architecture (`x86_64`, `i386`, `arm64`, …), when known.
    pub architecture: Option<String>,
    /// Whether the image is public (offered to every account) rather than the account's own.
    pub public: bool,
    /// Provider-specific fields.
    #[schema(value_type = Object)]
    pub extra: Extra,
}
