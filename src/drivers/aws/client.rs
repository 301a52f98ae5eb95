//! The EC2 client (aws-sdk-ec2) set up from a provider file, and the wire calls the driver
//! makes, each returning SDK types or a [`DriverError`] from `error.rs`.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ec2::config::{Credentials, Region};
use aws_sdk_ec2::types::{
    AvailabilityZone, Filter, Image, Instance, InstanceStateChange, InstanceType, InstanceTypeInfo,
    Placement, Region as Ec2Region, ResourceType, Tag, TagSpecification, Volume, VolumeType,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::config::AwsConfig;
use super::error::from_sdk;
use super::paging::NativePage;
use crate::driver::{DriverError, DriverResult, ErrorKind};
use crate::model::Tags;

/// The name the provider-file credentials carry inside the SDK (shown in its debug logs instead
/// of the keys).
const STATIC_CREDENTIALS: &str = "cloudgw-provider-file";
/// The longest `ClientToken` EC2 accepts.
const MAX_CLIENT_TOKEN: usize = 64;

/// An EC2 client for one account in one region.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    ec2: aws_sdk_ec2::Client,
    region: String,
}

impl Client {
    /// Loads the SDK configuration: the provider file's region, endpoint, profile or static keys,
    /// else the standard chain (environment, shared files, SSO, container and instance metadata).
    /// The SDK's own retries are off: the registry retries reads, and mutations are never
    /// repeated blindly.
    pub(crate) async fn new(config: &AwsConfig) -> Result<Client, String> {
        let timeout = config.timeout();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(timeout)
                    .connect_timeout(timeout.min(Duration::from_secs(10)))
                    .build(),
            );
        if let Some(region) = &config.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &config.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &config.endpoint {
            loader = loader.endpoint_url(endpoint.trim_end_matches('/'));
        }
        if let (Some(key), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            loader = loader.credentials_provider(Credentials::new(
                key.expose(),
                secret.expose(),
                config.session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                STATIC_CREDENTIALS,
            ));
        }
        let sdk = loader.load().await;
        let region = sdk.region().map(|r| r.as_ref().to_owned()).ok_or_else(|| {
            "no region: set `region` in the provider file (or AWS_REGION / the profile's region)"
                .to_owned()
        })?;
        Ok(Client {
            ec2: aws_sdk_ec2::Client::new(&sdk),
            region,
        })
    }

    /// The region this client serves.
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    // --- instances -----------------------------------------------------------------------------

    /// One page of DescribeInstances, flattened from reservations to instances.
    pub(crate) async fn instances(
        &self,
        filters: Vec<Filter>,
        token: Option<String>,
        max_results: i32,
    ) -> DriverResult<NativePage<Instance>> {
        let out = self
            .ec2
            .describe_instances()
            .set_filters(Some(filters).filter(|f| !f.is_empty()))
            .set_next_token(token)
            .max_results(max_results)
            .send()
            .await
            .map_err(from_sdk)?;
        let next_token = out.next_token().map(str::to_owned);
        let items = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances().iter().cloned())
            .collect();
        Ok(NativePage { items, next_token })
    }

    /// One instance; `not_found` when EC2 does not list it.
    pub(crate) async fn instance(&self, id: &str) -> DriverResult<Instance> {
        let out = self
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(id))
            .cloned()
            .ok_or_else(|| DriverError::not_found("server", id))
    }

    /// RunInstances for one instance.
    pub(crate) async fn run_instance(&self, launch: Launch<'_>) -> DriverResult<Instance> {
        let out = self
            .ec2
            .run_instances()
            .image_id(launch.image_id)
            .instance_type(InstanceType::from(launch.instance_type))
            .min_count(1)
            .max_count(1)
            .set_key_name(launch.key_name.map(str::to_owned))
            .set_user_data(launch.user_data.map(|d| STANDARD.encode(d)))
            .set_placement(
                launch
                    .zone
                    .map(|z| Placement::builder().availability_zone(z).build()),
            )
            .tag_specifications(tag_specification(
                ResourceType::Instance,
                launch.name,
                launch.tags,
            ))
            .set_client_token(launch.client_token.map(client_token))
            .send()
            .await
            .map_err(from_sdk)?;
        out.instances().first().cloned().ok_or_else(|| {
            DriverError::new(
                ErrorKind::BadResponse,
                "RunInstances answered without an instance",
            )
        })
    }

    /// StartInstances, StopInstances or TerminateInstances: the instance's state change.
    pub(crate) async fn change_state(
        &self,
        id: &str,
        change: StateChange,
    ) -> DriverResult<Option<InstanceStateChange>> {
        let changes = match change {
            StateChange::Start => self
                .ec2
                .start_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(from_sdk)?
                .starting_instances
                .unwrap_or_default(),
            StateChange::Stop => self
                .ec2
                .stop_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(from_sdk)?
                .stopping_instances
                .unwrap_or_default(),
            StateChange::Terminate => self
                .ec2
                .terminate_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(from_sdk)?
                .terminating_instances
                .unwrap_or_default(),
        };
        Ok(changes.into_iter().find(|c| c.instance_id() == Some(id)))
    }

    /// RebootInstances (EC2 answers only whether it was accepted).
    pub(crate) async fn reboot(&self, id: &str) -> DriverResult<()> {
        self.ec2
            .reboot_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    // --- images --------------------------------------------------------------------------------

    /// One page of DescribeImages.
    pub(crate) async fn images(
        &self,
        owners: Vec<String>,
        filters: Vec<Filter>,
        token: Option<String>,
        max_results: i32,
    ) -> DriverResult<NativePage<Image>> {
        let out = self
            .ec2
            .describe_images()
            .set_owners(Some(owners).filter(|o| !o.is_empty()))
            .set_filters(Some(filters).filter(|f| !f.is_empty()))
            .set_next_token(token)
            .max_results(max_results)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(NativePage {
            next_token: out.next_token().map(str::to_owned),
            items: out.images.unwrap_or_default(),
        })
    }

    /// One AMI; `not_found` when EC2 does not list it.
    pub(crate) async fn image(&self, id: &str) -> DriverResult<Image> {
        let out = self
            .ec2
            .describe_images()
            .image_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.images()
            .iter()
            .find(|i| i.image_id() == Some(id))
            .cloned()
            .ok_or_else(|| DriverError::not_found("image", id))
    }

    // --- sizes and regions ---------------------------------------------------------------------

    /// One page of DescribeInstanceTypes.
    pub(crate) async fn instance_types(
        &self,
        filters: Vec<Filter>,
        token: Option<String>,
        max_results: i32,
    ) -> DriverResult<NativePage<InstanceTypeInfo>> {
        let out = self
            .ec2
            .describe_instance_types()
            .set_filters(Some(filters).filter(|f| !f.is_empty()))
            .set_next_token(token)
            .max_results(max_results)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(NativePage {
            next_token: out.next_token().map(str::to_owned),
            items: out.instance_types.unwrap_or_default(),
        })
    }

    /// DescribeRegions: the regions enabled for the account, sorted by name.
    pub(crate) async fn regions(&self) -> DriverResult<Vec<Ec2Region>> {
        let out = self.ec2.describe_regions().send().await.map_err(from_sdk)?;
        let mut regions = out.regions.unwrap_or_default();
        regions.sort_by(|a, b| a.region_name().cmp(&b.region_name()));
        Ok(regions)
    }

    /// DescribeAvailabilityZones in `region` (signed for that region, so a real account is asked
    /// at that region's endpoint), sorted by name.
    pub(crate) async fn zones(&self, region: &str) -> DriverResult<Vec<AvailabilityZone>> {
        let out = self
            .ec2
            .describe_availability_zones()
            .customize()
            .config_override(
                aws_sdk_ec2::config::Builder::default().region(Region::new(region.to_owned())),
            )
            .send()
            .await
            .map_err(from_sdk)?;
        let mut zones = out.availability_zones.unwrap_or_default();
        zones.sort_by(|a, b| a.zone_name().cmp(&b.zone_name()));
        Ok(zones)
    }

    // --- volumes -------------------------------------------------------------------------------

    /// One page of DescribeVolumes.
    pub(crate) async fn volumes(
        &self,
        token: Option<String>,
        max_results: i32,
    ) -> DriverResult<NativePage<Volume>> {
        let out = self
            .ec2
            .describe_volumes()
            .set_next_token(token)
            .max_results(max_results)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(NativePage {
            next_token: out.next_token().map(str::to_owned),
            items: out.volumes.unwrap_or_default(),
        })
    }

    /// One volume; `not_found` when EC2 does not list it.
    pub(crate) async fn volume(&self, id: &str) -> DriverResult<Volume> {
        let out = self
            .ec2
            .describe_volumes()
            .volume_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.volumes()
            .iter()
            .find(|v| v.volume_id() == Some(id))
            .cloned()
            .ok_or_else(|| DriverError::not_found("volume", id))
    }

    /// CreateVolume; returns the new volume's id.
    pub(crate) async fn create_volume(&self, spec: NewVolume<'_>) -> DriverResult<String> {
        let out = self
            .ec2
            .create_volume()
            .availability_zone(spec.zone)
            .size(spec.size_gib)
            .volume_type(VolumeType::from(spec.volume_type))
            .tag_specifications(tag_specification(
                ResourceType::Volume,
                spec.name,
                spec.tags,
            ))
            .set_client_token(spec.client_token.map(client_token))
            .send()
            .await
            .map_err(from_sdk)?;
        out.volume_id().map(str::to_owned).ok_or_else(|| {
            DriverError::new(
                ErrorKind::BadResponse,
                "CreateVolume answered without a volume id",
            )
        })
    }

    /// DeleteVolume.
    pub(crate) async fn delete_volume(&self, id: &str) -> DriverResult<()> {
        self.ec2
            .delete_volume()
            .volume_id(id)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    /// AttachVolume.
    pub(crate) async fn attach_volume(
        &self,
        volume_id: &str,
        instance_id: &str,
        device: &str,
    ) -> DriverResult<()> {
        self.ec2
            .attach_volume()
            .volume_id(volume_id)
            .instance_id(instance_id)
            .device(device)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    /// DetachVolume from one instance (the instance is always named: moto fails without it).
    pub(crate) async fn detach_volume(
        &self,
        volume_id: &str,
        instance_id: &str,
        device: Option<&str>,
    ) -> DriverResult<()> {
        self.ec2
            .detach_volume()
            .volume_id(volume_id)
            .instance_id(instance_id)
            .set_device(device.map(str::to_owned))
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }
}

/// A power or termination request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateChange {
    Start,
    Stop,
    Terminate,
}

/// What RunInstances is asked for.
pub(crate) struct Launch<'a> {
    pub(crate) name: &'a str,
    pub(crate) image_id: &'a str,
    pub(crate) instance_type: &'a str,
    pub(crate) zone: Option<&'a str>,
    pub(crate) key_name: Option<&'a str>,
    pub(crate) user_data: Option<&'a str>,
    pub(crate) tags: Option<&'a Tags>,
    pub(crate) client_token: Option<&'a str>,
}

/// What CreateVolume is asked for.
pub(crate) struct NewVolume<'a> {
    pub(crate) name: &'a str,
    pub(crate) size_gib: i32,
    pub(crate) zone: &'a str,
    pub(crate) volume_type: &'a str,
    pub(crate) tags: Option<&'a Tags>,
    pub(crate) client_token: Option<&'a str>,
}

/// An EC2 filter with one or more values.
pub(crate) fn ec2_filter(
    name: &str,
    values: impl IntoIterator<Item = impl Into<String>>,
) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// Tags set at creation time: `Name` plus the request's tags.
fn tag_specification(kind: ResourceType, name: &str, tags: Option<&Tags>) -> TagSpecification {
    let name_tag = Tag::builder()
        .key(super::mapping::NAME_TAG)
        .value(name)
        .build();
    let others = tags
        .into_iter()
        .flatten()
        .map(|(k, v)| Tag::builder().key(k).value(v).build());
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(std::iter::once(name_tag).chain(others).collect()))
        .build()
}

/// The `ClientToken` for an Idempotency-Key: the key itself when EC2 accepts it (≤ 64 ASCII
/// characters), else its SHA-256 in hex (64 characters), so any key deduplicates at EC2 too.
pub(crate) fn client_token(key: &str) -> String {
    use sha2::{Digest, Sha256};
    if key.len() <= MAX_CLIENT_TOKEN && key.bytes().all(|b| b.is_ascii_graphic()) {
        key.to_owned()
    } else {
        hex::encode(Sha256::digest(key.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_token_is_the_key_or_its_hash_within_ec2_limits() {
        assert_eq!(client_token("order-42"), "order-42");
        let long = "k".repeat(100);
        let hashed = client_token(&long);
        assert_eq!(hashed.len(), MAX_CLIENT_TOKEN);
        assert_ne!(hashed, long);
        assert_eq!(client_token(&long), hashed, "the same key, the same token");
        assert_eq!(client_token("with space").len(), MAX_CLIENT_TOKEN);
    }

    #[test]
    fn tags_at_create_carry_the_name_first() {
        let tags: Tags = [("team".to_owned(), "ops".to_owned())]
            .into_iter()
            .collect();
        let spec = tag_specification(ResourceType::Instance, "web-1", Some(&tags));
        let pairs: Vec<(Option<&str>, Option<&str>)> =
            spec.tags().iter().map(|t| (t.key(), t.value())).collect();
        assert_eq!(
            pairs,
            vec![(Some("Name"), Some("web-1")), (Some("team"), Some("ops"))]
        );
        assert_eq!(spec.resource_type(), Some(&ResourceType::Instance));
    }
}
