//! OCCI storage as volumes: storage entities, with their attachments read from storage links,
//! created, deleted, attached (a new storagelink) and detached (its delete).

use std::sync::Arc;

use futures::future::join_all;

use super::discovery::Discovery;
use super::{OcciDriver, mapping, not_found_as, paging};
use crate::driver::{DriverError, DriverResult, ErrorKind, ListRequest, Page};
use crate::model::{Attachment, CreateVolumeRequest, Volume, VolumeState};
use crate::occi::{AttributeValue, Entity, attr, ids, render_entity};

/// A storage link as the driver uses it.
#[derive(Debug, Clone)]
pub(super) struct StorageLink {
    pub(super) path: String,
    #[allow(dead_code)]
    pub(super) source: String,
    pub(super) target: String,
    pub(super) attachment: Attachment,
}

impl OcciDriver {
    /// Every storage link: (link path, source path, target path, device).
    pub(super) async fn storage_links(&self, d: &Discovery) -> DriverResult<Vec<StorageLink>> {
        if d.location(&ids::infra("storagelink")).is_none() {
            return Ok(Vec::new());
        }
        let paths = self.client.member_paths(d, "storagelink").await?;
        let mut links = Vec::new();
        for chunk in paths.chunks(self.list_concurrency) {
            let read = join_all(chunk.iter().map(|p| self.client.entity(d, p))).await;
            for (path, entity) in chunk.iter().zip(read) {
                let entity = match entity {
                    Ok(e) => e,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let (Some(source), Some(target)) = (entity.source(), entity.target()) else {
                    continue;
                };
                links.push(StorageLink {
                    path: path.clone(),
                    source: self.client.path_of(&source)?,
                    target: self.client.path_of(&target)?,
                    attachment: mapping::attachment(&source, &entity.attributes),
                });
            }
        }
        Ok(links)
    }

    pub(super) async fn read_volume(
        &self,
        d: &Discovery,
        path: &str,
        links: &[StorageLink],
    ) -> DriverResult<Volume> {
        let entity = self.client.entity(d, path).await?;
        let attachments: Vec<Attachment> = links
            .iter()
            .filter(|l| l.target == path)
            .map(|l| l.attachment.clone())
            .collect();
        Ok(mapping::map_volume(
            &entity,
            path,
            attachments,
            &self.provider,
        ))
    }

    pub(super) async fn find_volume(
        &self,
        id: &str,
    ) -> DriverResult<(Arc<Discovery>, String, Volume, Vec<StorageLink>)> {
        let d = self.discovery().await?;
        let path = self.client.entity_path(&d, "storage", id)?;
        let links = self.storage_links(&d).await?;
        let volume = self
            .read_volume(&d, &path, &links)
            .await
            .map_err(|e| not_found_as(e, "volume", id))?;
        let mine = links.into_iter().filter(|l| l.target == path).collect();
        Ok((d, path, volume, mine))
    }

    pub(super) async fn volumes_page(&self, req: &ListRequest) -> DriverResult<Page<Volume>> {
        let d = self.discovery().await?;
        let paths = self.client.member_paths(&d, "storage").await?;
        let links = Arc::new(self.storage_links(&d).await?);
        paging::page(
            req,
            paths,
            true,
            self.list_concurrency,
            |p| {
                let (d, links) = (d.clone(), links.clone());
                async move { self.read_volume(&d, &p, &links).await }
            },
            |_| true,
        )
        .await
    }

    pub(super) async fn create_storage(&self, req: &CreateVolumeRequest) -> DriverResult<Volume> {
        let d = self.discovery().await?;
        if req.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(DriverError::unsupported("tags (OCCI entities have none)"));
        }
        let mut entity = Entity::new(ids::infra("storage"));
        if let Some(zone) = &req.zone {
            entity.mixins.push(mapping::zone_mixin(&d, zone)?);
        }
        entity
            .attributes
            .set(d.core_names().title, req.name.as_str());
        entity.attributes.set(
            "occi.storage.size",
            AttributeValue::int(i64::try_from(req.size_gib).unwrap_or(i64::MAX)),
        );
        let collection = self.client.collection(&d, "storage")?;
        let answer = self
            .client
            .post(&d, &collection, &render_entity(&entity, d.media_type))
            .await?;
        let path = self.client.created_path(&answer, &collection)?;
        match self.read_volume(&d, &path, &[]).await {
            Ok(volume) => Ok(volume),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let mut volume = mapping::map_volume(&entity, &path, Vec::new(), &self.provider);
                volume.state = VolumeState::Creating;
                Ok(volume)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn delete_storage(&self, id: &str) -> DriverResult<Volume> {
        let (d, path, mut volume, _) = self.find_volume(id).await?;
        self.client
            .delete(&d, &path)
            .await
            .map_err(|e| not_found_as(e, "volume", id))?;
        volume.state = VolumeState::Deleting;
        Ok(volume)
    }

    pub(super) async fn attach(
        &self,
        volume_id: &str,
        server_id: &str,
        device: Option<&str>,
    ) -> DriverResult<Volume> {
        let (d, volume_path, volume, links) = self.find_volume(volume_id).await?;
        let collection = self.client.collection(&d, "storagelink")?;
        if let Some(link) = links.first() {
            let same = link.attachment.server_id == server_id;
            let message = if same {
                format!("volume {volume_id} is already attached to server {server_id}")
            } else {
                format!(
                    "volume {volume_id} is attached to server {}",
                    link.attachment.server_id
                )
            };
            return Err(DriverError::new(ErrorKind::InvalidState, message));
        }
        let server_path = self.client.entity_path(&d, "compute", server_id)?;
        self.client
            .entity(&d, &server_path)
            .await
            .map_err(|e| not_found_as(e, "server", server_id))?;
        let names = d.core_names();
        let mut link = Entity::new(ids::infra("storagelink"));
        link.attributes.set(names.source, server_path.as_str());
        link.attributes.set(names.target, volume_path.as_str());
        if let Some(device) = device {
            link.attributes.set("occi.storagelink.deviceid", device);
        }
        if d.media_type == crate::occi::MediaType::OcciJson {
            link.attributes
                .set(attr::TARGET_KIND, ids::infra("storage").type_id());
        }
        self.client
            .post(&d, &collection, &render_entity(&link, d.media_type))
            .await?;
        let links = self.storage_links(&d).await?;
        let mut volume = self
            .read_volume(&d, &volume_path, &links)
            .await
            .unwrap_or(volume);
        if volume.attachments.is_empty() {
            // Accepted but not visible yet.
            volume.attachments.push(Attachment {
                server_id: server_id.to_owned(),
                device: device.map(str::to_owned),
            });
        }
        Ok(volume)
    }

    pub(super) async fn detach(&self, volume_id: &str) -> DriverResult<Volume> {
        let (d, volume_path, mut volume, links) = self.find_volume(volume_id).await?;
        if links.is_empty() {
            return Err(DriverError::new(
                ErrorKind::InvalidState,
                format!("volume {volume_id} is not attached"),
            ));
        }
        for link in &links {
            self.client.delete(&d, &link.path).await?;
        }
        let rest = self.storage_links(&d).await?;
        volume = self
            .read_volume(&d, &volume_path, &rest)
            .await
            .unwrap_or(volume);
        Ok(volume)
    }
}
