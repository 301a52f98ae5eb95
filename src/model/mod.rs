//! The unified resource model every driver maps into and the REST API serves.
//!
//! Every resource carries `id` (the provider's native id), `provider`, `name`
//! and `extra` (provider-specific fields with no unified home). Field names
//! are snake_case on the wire.

mod image;
mod list;
mod operation;
mod problem;
mod provider;
mod region;
mod server;
mod size;
mod volume;

pub use image::Image;
pub use list::{
    AggregateError, ImageAggregateList, ImageList, ProviderList, RegionList, ServerAggregateList,
    ServerList, SizeList, VolumeAggregateList, VolumeList,
};
pub use operation::{
    Operation, OperationKind, OperationStatus, ResourceKind, ServerOperationResponse,
    VolumeOperationResponse,
};
pub use problem::{Problem, ProblemCode};
pub use provider::{Provider, ProviderHealth};
pub use region::Region;
pub use server::{ActionAdmission, CreateServerRequest, Server, ServerAction, ServerState};
pub use size::Size;
pub use volume::{AttachVolumeRequest, Attachment, CreateVolumeRequest, Volume, VolumeState};

/// Provider-specific fields that have no unified home, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Resource tags: key → value.
pub type Tags = std::collections::BTreeMap<String, String>;
