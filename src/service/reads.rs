//! The read verbs: providers, lists and gets per provider, aggregated lists, operations.

use std::sync::Arc;

use super::aggregate::{Aggregate, aggregate};
use super::check::{self, Source};
use super::cursor::page_limit;
use super::error::ServiceResult;
use super::{Caller, Service, finish_server, invoke};
use crate::driver::{DriverError, DriverOp, ImageFilter, ListRequest, Page, ServerFilter};
use crate::model::{
    Image, ImageAggregateList, ImageList, Operation, Provider, RegionList, Server,
    ServerAggregateList, ServerList, ServerState, SizeList, Volume, VolumeAggregateList,
    VolumeList,
};
use crate::registry::ProviderEntry;

/// Which page of a list: at most `limit` items (default 100, 1–1000), after `cursor`.
#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    /// Most items on the page.
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Filters of a server list.
#[derive(Debug, Clone, Default)]
pub struct ServerQuery {
    /// Only servers in this state.
    pub state: Option<ServerState>,
    /// Only servers with exactly this name.
    pub name: Option<String>,
}

/// Filters of an image list.
#[derive(Debug, Clone, Default)]
pub struct ImageQuery {
    /// Only images of this owner (needs `list_images_by_owner`).
    pub owner: Option<String>,
    /// Only images whose name contains this text.
    pub name: Option<String>,
}

impl ServerQuery {
    fn filter(&self) -> ServiceResult<ServerFilter> {
        if let Some(name) = &self.name {
            check::plain_text("name", name, Source::Query)?;
        }
        Ok(ServerFilter {
            state: self.state,
            name: self.name.clone(),
        })
    }
}

/// A path id: one-line text (400 otherwise).
fn id_text(id: &str) -> ServiceResult<()> {
    check::plain_text("id", id, Source::Query)
}

impl Service {
    /// Every configured provider with its capabilities and health.
    pub fn list_providers(&self, _caller: &Caller) -> Vec<Provider> {
        self.registry().all().map(|p| p.info()).collect()
    }

    /// One provider.
    pub fn get_provider(&self, _caller: &Caller, provider: &str) -> ServiceResult<Provider> {
        Ok(self.entry(provider)?.info())
    }

    /// The driver request of a per-provider list page.
    fn list_request(
        &self,
        list: &str,
        entry: &ProviderEntry,
        page: &PageQuery,
    ) -> ServiceResult<ListRequest> {
        Ok(ListRequest {
            limit: page_limit(page.limit)?,
            cursor: self
                .cursors()
                .provider_cursor(list, entry.id(), page.cursor.as_deref())?,
        })
    }

    fn next_cursor(
        &self,
        list: &str,
        entry: &ProviderEntry,
        next: Option<String>,
    ) -> Option<String> {
        self.cursors().next_provider_cursor(list, entry.id(), next)
    }

    /// A page of a provider's servers.
    pub async fn list_servers(
        &self,
        _caller: &Caller,
        provider: &str,
        query: &ServerQuery,
        page: &PageQuery,
    ) -> ServiceResult<ServerList> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::ListServers)?;
        let filter = query.filter()?;
        let req = self.list_request("servers", &entry, page)?;
        let page = servers_page(entry.clone(), req, filter).await?;
        Ok(ServerList {
            items: page.items,
            next_cursor: self.next_cursor("servers", &entry, page.next_cursor),
        })
    }

    /// One server.
    pub async fn get_server(
        &self,
        _caller: &Caller,
        provider: &str,
        id: &str,
    ) -> ServiceResult<Server> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::GetServer)?;
        id_text(id)?;
        Ok(read_server(&entry, id).await?)
    }

    /// A page of a provider's images (public and own).
    pub async fn list_images(
        &self,
        _caller: &Caller,
        provider: &str,
        query: &ImageQuery,
        page: &PageQuery,
    ) -> ServiceResult<ImageList> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::ListImages)?;
        check::image_filter(&entry, query.owner.as_deref(), query.name.as_deref())?;
        let req = self.list_request("images", &entry, page)?;
        let filter = image_filter(query);
        let page = invoke(&entry, DriverOp::ListImages, || {
            entry.driver().list_images(&req, &filter)
        })
        .await?;
        Ok(ImageList {
            items: page.items,
            next_cursor: self.next_cursor("images", &entry, page.next_cursor),
        })
    }

    /// One image.
    pub async fn get_image(
        &self,
        _caller: &Caller,
        provider: &str,
        id: &str,
    ) -> ServiceResult<Image> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::GetImage)?;
        id_text(id)?;
        Ok(invoke(&entry, DriverOp::GetImage, || entry.driver().get_image(id)).await?)
    }

    /// A page of a provider's sizes.
    pub async fn list_sizes(
        &self,
        _caller: &Caller,
        provider: &str,
        page: &PageQuery,
    ) -> ServiceResult<SizeList> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::ListSizes)?;
        let req = self.list_request("sizes", &entry, page)?;
        let page = invoke(&entry, DriverOp::ListSizes, || {
            entry.driver().list_sizes(&req)
        })
        .await?;
        Ok(SizeList {
            items: page.items,
            next_cursor: self.next_cursor("sizes", &entry, page.next_cursor),
        })
    }

    /// A page of a provider's regions with their zones.
    pub async fn list_regions(
        &self,
        _caller: &Caller,
        provider: &str,
        page: &PageQuery,
    ) -> ServiceResult<RegionList> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::ListRegions)?;
        let req = self.list_request("regions", &entry, page)?;
        let page = invoke(&entry, DriverOp::ListRegions, || {
            entry.driver().list_regions(&req)
        })
        .await?;
        Ok(RegionList {
            items: page.items,
            next_cursor: self.next_cursor("regions", &entry, page.next_cursor),
        })
    }

    /// A page of a provider's volumes.
    pub async fn list_volumes(
        &self,
        _caller: &Caller,
        provider: &str,
        page: &PageQuery,
    ) -> ServiceResult<VolumeList> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::ListVolumes)?;
        let req = self.list_request("volumes", &entry, page)?;
        let page = invoke(&entry, DriverOp::ListVolumes, || {
            entry.driver().list_volumes(&req)
        })
        .await?;
        Ok(VolumeList {
            items: page.items,
            next_cursor: self.next_cursor("volumes", &entry, page.next_cursor),
        })
    }

    /// One volume.
    pub async fn get_volume(
        &self,
        _caller: &Caller,
        provider: &str,
        id: &str,
    ) -> ServiceResult<Volume> {
        let entry = self.entry(provider)?;
        check::require(&entry, DriverOp::GetVolume)?;
        id_text(id)?;
        Ok(read_volume(&entry, id).await?)
    }

    fn aggregate_spec<'a>(&'a self, list: &'a str, page: &'a PageQuery) -> Aggregate<'a> {
        Aggregate {
            list,
            limit: page.limit,
            cursor: page.cursor.as_deref(),
            timeout: self.settings().aggregate_timeout,
            key: self.cursors(),
        }
    }

    /// A page of servers across every provider that lists servers.
    pub async fn list_all_servers(
        &self,
        _caller: &Caller,
        query: &ServerQuery,
        page: &PageQuery,
    ) -> ServiceResult<ServerAggregateList> {
        let filter = query.filter()?;
        let providers = self.able(DriverOp::ListServers);
        let page = aggregate(
            self.aggregate_spec("servers", page),
            providers,
            |entry, req| servers_page(entry, req, filter.clone()),
        )
        .await?;
        Ok(ServerAggregateList {
            items: page.items,
            next_cursor: page.next_cursor,
            errors: page.errors,
        })
    }

    /// A page of images across every provider; a provider that cannot apply the `owner` filter is
    /// listed under `errors` as `unsupported` (never answered unfiltered, never called).
    pub async fn list_all_images(
        &self,
        _caller: &Caller,
        query: &ImageQuery,
        page: &PageQuery,
    ) -> ServiceResult<ImageAggregateList> {
        check::plain_text("owner", query.owner.as_deref().unwrap_or(""), Source::Query)?;
        check::plain_text("name", query.name.as_deref().unwrap_or(""), Source::Query)?;
        let filter = image_filter(query);
        let providers = self.able(DriverOp::ListImages);
        let page = aggregate(
            self.aggregate_spec("images", page),
            providers,
            |entry, req| {
                let filter = filter.clone();
                async move {
                    if filter.owner.is_some() && !entry.capabilities().list_images_by_owner {
                        return Err(DriverError::unsupported("the `owner` filter")
                            .with_provider(entry.id())
                            .with_operation(DriverOp::ListImages));
                    }
                    invoke(&entry, DriverOp::ListImages, || {
                        entry.driver().list_images(&req, &filter)
                    })
                    .await
                }
            },
        )
        .await?;
        Ok(ImageAggregateList {
            items: page.items,
            next_cursor: page.next_cursor,
            errors: page.errors,
        })
    }

    /// A page of volumes across every provider that has volumes.
    pub async fn list_all_volumes(
        &self,
        _caller: &Caller,
        page: &PageQuery,
    ) -> ServiceResult<VolumeAggregateList> {
        let providers = self.able(DriverOp::ListVolumes);
        let page = aggregate(
            self.aggregate_spec("volumes", page),
            providers,
            |entry, req| async move {
                invoke(&entry, DriverOp::ListVolumes, || {
                    entry.driver().list_volumes(&req)
                })
                .await
            },
        )
        .await?;
        Ok(VolumeAggregateList {
            items: page.items,
            next_cursor: page.next_cursor,
            errors: page.errors,
        })
    }

    /// One operation.
    pub async fn get_operation(&self, _caller: &Caller, id: &str) -> ServiceResult<Operation> {
        match self.ops().get(id).await? {
            Some(op) => Ok(op),
            None => {
                Err(crate::model::Problem::not_found(format!("no operation with id {id:?}")).into())
            }
        }
    }
}

fn image_filter(query: &ImageQuery) -> ImageFilter {
    ImageFilter {
        owner: query.owner.clone(),
        name: query.name.clone(),
    }
}

/// One provider's page of servers, finished.
async fn servers_page(
    entry: Arc<ProviderEntry>,
    req: ListRequest,
    filter: ServerFilter,
) -> crate::driver::DriverResult<Page<Server>> {
    let page = invoke(&entry, DriverOp::ListServers, || {
        entry.driver().list_servers(&req, &filter)
    })
    .await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|s| finish_server(&entry, s))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// One server, finished.
pub(crate) async fn read_server(
    entry: &ProviderEntry,
    id: &str,
) -> crate::driver::DriverResult<Server> {
    let server = invoke(entry, DriverOp::GetServer, || entry.driver().get_server(id)).await?;
    Ok(finish_server(entry, server))
}

/// One volume.
pub(crate) async fn read_volume(
    entry: &ProviderEntry,
    id: &str,
) -> crate::driver::DriverResult<Volume> {
    invoke(entry, DriverOp::GetVolume, || entry.driver().get_volume(id)).await
}
