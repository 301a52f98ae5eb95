//! The read verbs: providers, lists and gets per provider, aggregated lists, operations.

use std::future::Future;
use std::sync::Arc;

use super::aggregate::{Aggregate, aggregate};
use super::check::{self, Source};
use super::cursor::page_limit;
use super::error::ServiceResult;
use super::{Caller, Role, Service, finish_server};
use crate::driver::{
    DriverError, DriverOp, DriverResult, ImageFilter, ListRequest, Page, ServerFilter,
};
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
            check::plain_text("name", name, Source::Url)?;
        }
        Ok(ServerFilter {
            state: self.state,
            name: self.name.clone(),
        })
    }
}

impl Service {
    /// Every configured provider with its capabilities and health.
    pub fn list_providers(&self, caller: &Caller) -> Vec<Provider> {
        self.registry()
            .all()
            .filter(|p| caller.sees(p.id()))
            .map(|p| p.info())
            .collect()
    }

    /// One provider.
    pub fn get_provider(&self, caller: &Caller, provider: &str) -> ServiceResult<Provider> {
        Ok(self.entry(caller, provider)?.info())
    }

    /// The one sequence of every per-provider list: provider, capability, `extra` checks, page
    /// and cursor, the driver call, the next cursor (bound to this list and provider).
    async fn page_of<T, F, Fut>(
        &self,
        caller: &Caller,
        provider: &str,
        op: DriverOp,
        page: &PageQuery,
        extra: impl FnOnce(&ProviderEntry) -> ServiceResult<()>,
        fetch: F,
    ) -> ServiceResult<(Vec<T>, Option<String>)>
    where
        F: FnOnce(Arc<ProviderEntry>, ListRequest) -> Fut,
        Fut: Future<Output = DriverResult<Page<T>>>,
    {
        caller.require(Role::Viewer, "reading")?;
        let entry = self.entry(caller, provider)?;
        check::require(&entry, op)?;
        extra(&entry)?;
        let list = op.name();
        let req = ListRequest {
            limit: page_limit(page.limit)?,
            cursor: self
                .cursors()
                .provider_cursor(list, entry.id(), page.cursor.as_deref())?,
        };
        let page = fetch(entry.clone(), req).await?;
        let next = self
            .cursors()
            .next_provider_cursor(list, entry.id(), page.next_cursor);
        Ok((page.items, next))
    }

    /// The one sequence of every get: provider, capability, id, the driver call.
    async fn one_of<T, F, Fut>(
        &self,
        caller: &Caller,
        provider: &str,
        op: DriverOp,
        id: &str,
        fetch: F,
    ) -> ServiceResult<T>
    where
        F: FnOnce(Arc<ProviderEntry>) -> Fut,
        Fut: Future<Output = DriverResult<T>>,
    {
        caller.require(Role::Viewer, "reading")?;
        let entry = self.entry(caller, provider)?;
        check::require(&entry, op)?;
        check::plain_text("id", id, Source::Url)?;
        Ok(fetch(entry).await?)
    }

    /// A page of a provider's servers.
    pub async fn list_servers(
        &self,
        caller: &Caller,
        provider: &str,
        query: &ServerQuery,
        page: &PageQuery,
    ) -> ServiceResult<ServerList> {
        let filter = query.filter()?;
        let (items, next_cursor) = self
            .page_of(
                caller,
                provider,
                DriverOp::ListServers,
                page,
                |_| Ok(()),
                |entry, req| servers_page(entry, req, filter),
            )
            .await?;
        Ok(ServerList { items, next_cursor })
    }

    /// One server.
    pub async fn get_server(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
    ) -> ServiceResult<Server> {
        self.one_of(
            caller,
            provider,
            DriverOp::GetServer,
            id,
            |entry| async move { read_server(&entry, id).await },
        )
        .await
    }

    /// A page of a provider's images (public and own).
    pub async fn list_images(
        &self,
        caller: &Caller,
        provider: &str,
        query: &ImageQuery,
        page: &PageQuery,
    ) -> ServiceResult<ImageList> {
        let filter = image_filter(query);
        let (items, next_cursor) = self
            .page_of(
                caller,
                provider,
                DriverOp::ListImages,
                page,
                |entry| check::image_filter(entry, query.owner.as_deref(), query.name.as_deref()),
                |entry, req| async move { entry.driver().list_images(&req, &filter).await },
            )
            .await?;
        Ok(ImageList { items, next_cursor })
    }

    /// One image.
    pub async fn get_image(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
    ) -> ServiceResult<Image> {
        self.one_of(
            caller,
            provider,
            DriverOp::GetImage,
            id,
            |entry| async move { entry.driver().get_image(id).await },
        )
        .await
    }

    /// A page of a provider's sizes.
    pub async fn list_sizes(
        &self,
        caller: &Caller,
        provider: &str,
        page: &PageQuery,
    ) -> ServiceResult<SizeList> {
        let (items, next_cursor) = self
            .page_of(
                caller,
                provider,
                DriverOp::ListSizes,
                page,
                |_| Ok(()),
                |entry, req| async move { entry.driver().list_sizes(&req).await },
            )
            .await?;
        Ok(SizeList { items, next_cursor })
    }

    /// A page of a provider's regions with their zones.
    pub async fn list_regions(
        &self,
        caller: &Caller,
        provider: &str,
        page: &PageQuery,
    ) -> ServiceResult<RegionList> {
        let (items, next_cursor) = self
            .page_of(
                caller,
                provider,
                DriverOp::ListRegions,
                page,
                |_| Ok(()),
                |entry, req| async move { entry.driver().list_regions(&req).await },
            )
            .await?;
        Ok(RegionList { items, next_cursor })
    }

    /// A page of a provider's volumes.
    pub async fn list_volumes(
        &self,
        caller: &Caller,
        provider: &str,
        page: &PageQuery,
    ) -> ServiceResult<VolumeList> {
        let (items, next_cursor) = self
            .page_of(
                caller,
                provider,
                DriverOp::ListVolumes,
                page,
                |_| Ok(()),
                volumes_page,
            )
            .await?;
        Ok(VolumeList { items, next_cursor })
    }

    /// One volume.
    pub async fn get_volume(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
    ) -> ServiceResult<Volume> {
        self.one_of(
            caller,
            provider,
            DriverOp::GetVolume,
            id,
            |entry| async move { read_volume(&entry, id).await },
        )
        .await
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
        caller: &Caller,
        query: &ServerQuery,
        page: &PageQuery,
    ) -> ServiceResult<ServerAggregateList> {
        let filter = query.filter()?;
        let providers = self.able(caller, DriverOp::ListServers);
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
        caller: &Caller,
        query: &ImageQuery,
        page: &PageQuery,
    ) -> ServiceResult<ImageAggregateList> {
        check::plain_text("owner", query.owner.as_deref().unwrap_or(""), Source::Url)?;
        check::plain_text("name", query.name.as_deref().unwrap_or(""), Source::Url)?;
        let filter = image_filter(query);
        let providers = self.able(caller, DriverOp::ListImages);
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
                    entry.driver().list_images(&req, &filter).await
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
        caller: &Caller,
        page: &PageQuery,
    ) -> ServiceResult<VolumeAggregateList> {
        let providers = self.able(caller, DriverOp::ListVolumes);
        let page = aggregate(
            self.aggregate_spec("volumes", page),
            providers,
            volumes_page,
        )
        .await?;
        Ok(VolumeAggregateList {
            items: page.items,
            next_cursor: page.next_cursor,
            errors: page.errors,
        })
    }

    /// One operation.
    /// An operation of a provider outside the caller's scope, or (for a non-admin) one another
    /// caller started, is 404 as if it did not exist.
    pub async fn get_operation(&self, caller: &Caller, id: &str) -> ServiceResult<Operation> {
        caller.require(Role::Viewer, "reading operations")?;
        match self.ops().get(id).await? {
            Some(op) if caller.sees(&op.provider) && self.may_read_operation(caller, id) => Ok(op),
            _ => {
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
    let page = entry.driver().list_servers(&req, &filter).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|s| finish_server(&entry, s))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// One provider's page of volumes.
async fn volumes_page(
    entry: Arc<ProviderEntry>,
    req: ListRequest,
) -> crate::driver::DriverResult<Page<Volume>> {
    entry.driver().list_volumes(&req).await
}

/// One server, finished.
pub(crate) async fn read_server(
    entry: &ProviderEntry,
    id: &str,
) -> crate::driver::DriverResult<Server> {
    let server = entry.driver().get_server(id).await?;
    Ok(finish_server(entry, server))
}

/// One volume.
pub(crate) async fn read_volume(
    entry: &ProviderEntry,
    id: &str,
) -> crate::driver::DriverResult<Volume> {
    entry.driver().get_volume(id).await
}
