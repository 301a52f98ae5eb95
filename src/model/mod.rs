//! The unified resource model every driver maps into and the REST API serves.
//!
//! Every resource carries `id` (the provider's native id), `provider`, `name`
//! and `extra` (provider-specific fields with no unified home). Field names
//! are snake_case on the wire.

mod delivery;
mod event;
mod image;
mod list;
mod operation;
mod problem;
mod provider;
mod region;
mod server;
mod size;
mod volume;

pub use delivery::{Delivery, DeliveryStatus};
pub use event::{CloudEvent, EventType, ServerSentEvent};
pub use image::Image;
pub use list::{
    AggregateError, ImageAggregateList, ImageList, ProviderList, RegionList, ServerAggregateList,
    ServerList, SizeList, VolumeAggregateList, VolumeList,
};
pub use operation::{Operation, OperationKind, OperationStatus, ResourceKind};
pub use problem::{Problem, ProblemCode};
pub use provider::{BreakerState, Provider, ProviderHealth};
pub use region::Region;
pub use server::{ActionAdmission, CreateServerRequest, Server, ServerAction, ServerState};
pub use size::Size;
pub use volume::{AttachVolumeRequest, Attachment, CreateVolumeRequest, Volume, VolumeState};

/// Provider-specific fields that have no unified home, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Resource tags: key → value.
pub type Tags = std::collections::BTreeMap<String, String>;

/// The OpenAPI schema of [`Tags`], under the name `Tags` (a type alias has no schema of its own).
pub struct TagsSchema;

impl utoipa::PartialSchema for TagsSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .description(Some("Resource tags: key → value."))
            .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
            .into()
    }
}

impl utoipa::ToSchema for TagsSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Tags".into()
    }
}
