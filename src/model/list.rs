use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Image, Problem, Provider, Region, Server, Size, Volume};

macro_rules! list_envelope {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            /// This page's items.
            pub items: Vec<$item>,
            /// Pass as `cursor` to read the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

macro_rules! aggregate_envelope {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            /// This page's items, from every provider that answered.
            pub items: Vec<$item>,
            /// Pass as `cursor` to read the next page; null on the last page.
            pub next_cursor: Option<String>,
            /// Providers that failed to answer; their items are missing from this page.
            pub errors: Vec<AggregateError>,
        }
    };
}

list_envelope!(
    /// A page of servers.
    ServerList,
    Server
);
list_envelope!(
    /// A page of images.
    ImageList,
    Image
);
list_envelope!(
    /// A page of sizes.
    SizeList,
    Size
);
list_envelope!(
    /// A page of regions.
    RegionList,
    Region
);
list_envelope!(
    /// A page of volumes.
    VolumeList,
    Volume
);
list_envelope!(
    /// The configured providers.
    ProviderList,
    Provider
);
aggregate_envelope!(
    /// A page of servers across all providers.
    ServerAggregateList,
    Server
);
aggregate_envelope!(
    /// A page of images across all providers.
    ImageAggregateList,
    Image
);
aggregate_envelope!(
    /// A page of volumes across all providers.
    VolumeAggregateList,
    Volume
);

/// One provider's failure inside an aggregated list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AggregateError {
    /// The provider that failed.
    pub provider: String,
    /// What went wrong.
    pub problem: Problem,
}
