//! The checks every request passes before a driver is called, in one place: capabilities of the
//! provider (naming provider, operation and argument), create options, and the shape of free
//! text (no control characters, nothing empty that must not be).

use crate::driver::{Capabilities, DriverError, DriverOp};
use crate::model::{
    AttachVolumeRequest, CreateServerRequest, CreateVolumeRequest, Problem, ProblemCode, Tags,
};
use crate::registry::ProviderEntry;

use super::error::{ServiceError, ServiceResult};

/// 501 `unsupported` unless the provider can do `op`.
pub(crate) fn require(entry: &ProviderEntry, op: DriverOp) -> ServiceResult<()> {
    if op.allowed_by(&entry.capabilities()) {
        Ok(())
    } else {
        Err(DriverError::unsupported(op.name())
            .with_provider(entry.id())
            .with_operation(op)
            .into())
    }
}

/// 501 `unsupported` naming the argument `field` of `op` the provider cannot honour.
fn require_option(entry: &ProviderEntry, supported: bool, field: &str) -> ServiceResult<()> {
    if supported {
        return Ok(());
    }
    // The wording is matched by the fuzz run (tests/api_fuzz.rs) to the capability it names.
    let detail = format!(
        "provider {} does not support `{field}` on this request",
        entry.id()
    );
    Err(Problem::new(ProblemCode::Unsupported, 501, detail)
        .with_provider(entry.id())
        .into())
}

/// Where a bad value came from: the body (422), or the URL — path or query (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Body,
    Url,
}

fn invalid(source: Source, detail: String) -> ServiceError {
    match source {
        Source::Body => ServiceError::unprocessable(detail),
        Source::Url => ServiceError::bad_request(detail),
    }
}

/// A name, id or other one-line text: no control characters (NUL, escape, newline, DEL, C1).
pub(crate) fn plain_text(field: &str, value: &str, source: Source) -> ServiceResult<()> {
    if value.chars().any(char::is_control) {
        return Err(invalid(
            source,
            format!("`{field}` must not contain control characters"),
        ));
    }
    Ok(())
}

fn plain_option(field: &str, value: Option<&str>, source: Source) -> ServiceResult<()> {
    value.map_or(Ok(()), |v| plain_text(field, v, source))
}

/// A required one-line text: not blank, no control characters.
fn required_text(field: &str, value: &str) -> ServiceResult<()> {
    if value.trim().is_empty() {
        return Err(ServiceError::unprocessable(format!(
            "`{field}` must not be empty"
        )));
    }
    plain_text(field, value, Source::Body)
}

/// Multi-line text (user data): line breaks and tabs are fine, other control characters not.
fn multiline_text(field: &str, value: &str) -> ServiceResult<()> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::unprocessable(format!(
            "`{field}` must not contain control characters other than line breaks and tabs"
        )));
    }
    Ok(())
}

fn tags_text(tags: &Tags) -> ServiceResult<()> {
    for (key, value) in tags {
        required_text("tags (key)", key)?;
        plain_text("tags (value)", value, Source::Body)?;
    }
    Ok(())
}

fn has_tags(tags: Option<&Tags>) -> bool {
    tags.is_some_and(|t| !t.is_empty())
}

/// Everything a server create must satisfy before the driver is asked (after the
/// `create_server` capability).
pub(crate) fn create_server(
    entry: &ProviderEntry,
    body: &CreateServerRequest,
) -> ServiceResult<()> {
    required_text("name", &body.name)?;
    required_text("image_id", &body.image_id)?;
    required_text("size_id", &body.size_id)?;
    plain_option("region", body.region.as_deref(), Source::Body)?;
    plain_option("zone", body.zone.as_deref(), Source::Body)?;
    plain_option("key_name", body.key_name.as_deref(), Source::Body)?;
    if let Some(data) = &body.user_data {
        multiline_text("user_data", data)?;
    }
    if let Some(tags) = &body.tags {
        tags_text(tags)?;
    }
    let caps: Capabilities = entry.capabilities();
    let options = [
        (
            body.region.is_some(),
            caps.create_server_in_region,
            "region",
        ),
        (body.zone.is_some(), caps.create_server_in_zone, "zone"),
        (
            body.key_name.is_some(),
            caps.create_server_with_key_name,
            "key_name",
        ),
        (
            body.user_data.is_some(),
            caps.create_server_with_user_data,
            "user_data",
        ),
        (
            has_tags(body.tags.as_ref()),
            caps.create_server_with_tags,
            "tags",
        ),
    ];
    for (given, supported, field) in options {
        if given {
            require_option(entry, supported, field)?;
        }
    }
    Ok(())
}

/// Everything a volume create must satisfy before the driver is asked (after the
/// `create_volume` capability).
pub(crate) fn create_volume(
    entry: &ProviderEntry,
    body: &CreateVolumeRequest,
) -> ServiceResult<()> {
    if body.name.trim().is_empty() || body.size_gib == 0 {
        return Err(ServiceError::unprocessable(
            "`name` must not be empty and `size_gib` must be at least 1",
        ));
    }
    plain_text("name", &body.name, Source::Body)?;
    plain_option("zone", body.zone.as_deref(), Source::Body)?;
    if let Some(tags) = &body.tags {
        tags_text(tags)?;
    }
    if has_tags(body.tags.as_ref()) {
        require_option(entry, entry.capabilities().create_volume_with_tags, "tags")?;
    }
    Ok(())
}

/// Everything an attach must satisfy before the driver is asked (after the `attach_volume`
/// capability).
pub(crate) fn attach_volume(body: &AttachVolumeRequest) -> ServiceResult<()> {
    required_text("server_id", &body.server_id)?;
    plain_option("device", body.device.as_deref(), Source::Body)
}

/// The image `owner` filter needs the capability; filters are one-line text.
pub(crate) fn image_filter(
    entry: &ProviderEntry,
    owner: Option<&str>,
    name: Option<&str>,
) -> ServiceResult<()> {
    plain_option("owner", owner, Source::Url)?;
    plain_option("name", name, Source::Url)?;
    if owner.is_some() {
        require_option(entry, entry.capabilities().list_images_by_owner, "owner")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_in_one_line_text() {
        assert!(plain_text("name", "web-1 ü", Source::Body).is_ok());
        for bad in ["a\u{0}b", "a\u{1b}[31m", "a\nb", "a\u{7f}", "a\u{85}"] {
            let err = plain_text("name", bad, Source::Body).err();
            assert_eq!(err.map(|e| e.problem.status), Some(422), "{bad:?}");
        }
        let err = plain_text("name", "a\u{0}", Source::Url).err();
        assert_eq!(err.map(|e| e.problem.status), Some(400));
    }

    #[test]
    fn user_data_keeps_line_breaks_but_not_other_controls() {
        assert!(multiline_text("user_data", "#!/bin/sh\r\n\techo hi\n").is_ok());
        assert!(multiline_text("user_data", "a\u{0}b").is_err());
    }

    #[test]
    fn blank_required_text_is_unprocessable() {
        let err = required_text("name", "  ").err();
        assert_eq!(err.map(|e| e.problem.status), Some(422));
    }
}
