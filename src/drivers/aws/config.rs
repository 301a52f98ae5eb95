use std::time::Duration;

use serde::Deserialize;

use crate::config::Secret;

/// `driver = "aws"` provider file: one AWS account in one region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// The region this provider serves (`us-east-1`). When absent, the standard chain's region
    /// (`AWS_REGION`, the profile's `region`) is used; the start fails when there is none.
    #[serde(default)]
    pub region: Option<String>,
    /// Endpoint override: moto, LocalStack, a VPC interface endpoint. AWS's own endpoint for the
    /// region otherwise.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// A named profile of the shared config/credentials files (`~/.aws/config`), SSO profiles
    /// included. Exclusive with `access_key_id`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Static access key id (write `${VAR}`); needs `secret_access_key`.
    #[serde(default)]
    pub access_key_id: Option<Secret>,
    /// Static secret access key (write `${VAR}`); needs `access_key_id`.
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
    /// Session token of temporary static credentials (optional, with `access_key_id`).
    #[serde(default)]
    pub session_token: Option<Secret>,
    /// Only these instance types are offered as sizes: EC2 `instance-type` filter values, `*`
    /// and `?` as wildcards (`["t3.*", "m7g.large"]`). Empty: every type the region offers.
    #[serde(default)]
    pub instance_types: Vec<String>,
    /// Availability zone of new volumes when the request names none; the region's first
    /// available zone otherwise.
    #[serde(default)]
    pub zone: Option<String>,
    /// EBS volume type of new volumes.
    #[serde(default = "default_volume_type")]
    pub volume_type: String,
    /// Timeout of one EC2 call, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_volume_type() -> String {
    "gp3".to_owned()
}

fn default_timeout_secs() -> u64 {
    30
}

/// The EBS volume types EC2 accepts for `CreateVolume`.
const VOLUME_TYPES: &[&str] = &["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];

impl AwsConfig {
    /// Checks what deserialization cannot. Returns the field and what is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if let Some(endpoint) = &self.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(("endpoint", "must be an http:// or https:// URL".into()));
        }
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(_), None) => {
                return Err(("secret_access_key", "required with access_key_id".into()));
            }
            (None, Some(_)) => {
                return Err(("access_key_id", "required with secret_access_key".into()));
            }
            _ => {}
        }
        if self.session_token.is_some() && self.access_key_id.is_none() {
            return Err((
                "session_token",
                "only meaningful with access_key_id and secret_access_key".into(),
            ));
        }
        if self.profile.is_some() && self.access_key_id.is_some() {
            return Err((
                "profile",
                "use either a profile or access_key_id/secret_access_key, not both".into(),
            ));
        }
        if let Some(region) = &self.region
            && !is_region_name(region)
        {
            return Err((
                "region",
                format!("{region:?} is not a region name such as us-east-1"),
            ));
        }
        if !VOLUME_TYPES.contains(&self.volume_type.as_str()) {
            return Err((
                "volume_type",
                format!("must be one of {}", VOLUME_TYPES.join(", ")),
            ));
        }
        if self.instance_types.iter().any(|t| t.trim().is_empty()) {
            return Err(("instance_types", "entries must not be empty".into()));
        }
        if self.timeout_secs == 0 {
            return Err(("timeout_secs", "must be at least 1".into()));
        }
        Ok(())
    }

    /// The timeout of one EC2 call.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`: lower-case words and digits
/// joined by `-`.
fn is_region_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.contains('-')
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<AwsConfig, String> {
        toml::from_str::<AwsConfig>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_file_takes_documented_defaults() {
        let c = config("region = \"eu-west-1\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.volume_type, "gp3");
        assert_eq!(c.timeout_secs, 30);
        assert!(c.instance_types.is_empty());
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn half_a_key_pair_names_the_missing_field() {
        let c = config("access_key_id = \"AKIDEXAMPLE\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.validate().map_err(|e| e.0), Err("secret_access_key"));
        let c = config("secret_access_key = \"x\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.validate().map_err(|e| e.0), Err("access_key_id"));
    }

    #[test]
    fn profile_and_static_keys_exclude_each_other() {
        let c = config("profile = \"p\"\naccess_key_id = \"a\"\nsecret_access_key = \"b\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.validate().map_err(|e| e.0), Err("profile"));
    }

    #[test]
    fn bad_values_name_their_field() {
        for (text, field) in [
            ("endpoint = \"localhost:4566\"\n", "endpoint"),
            ("region = \"US East\"\n", "region"),
            ("volume_type = \"ssd\"\n", "volume_type"),
            ("timeout_secs = 0\n", "timeout_secs"),
            ("instance_types = [\"\"]\n", "instance_types"),
        ] {
            let c = config(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.validate().map_err(|e| e.0), Err(field), "{text}");
        }
    }

    #[test]
    fn keys_never_show_in_debug() {
        let c =
            config("access_key_id = \"AKIDSECRETVALUE\"\nsecret_access_key = \"wJalrSECRET\"\n")
                .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("AKIDSECRETVALUE") && !shown.contains("wJalrSECRET"),
            "{shown}"
        );
    }
}
