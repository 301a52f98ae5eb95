//! Every difference between the simulated OCCI servers, in one place: which server the simulator
//! answers like (rOCCI-server, OpenStack ooi or pyssf), and how that server words its answers.
//! The values follow the captured exchanges and cassettes in the OCCI fixtures (`tests/fixtures/occi`).

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// The OCCI server whose answers the simulator reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// rOCCI-server (OpenNebula/EGI FedCloud sites): OCCI 1.2 with GFD.226 JSON, basic auth,
    /// links under `/link/…/` and templates under `/mixin/…/` as in the rOCCI cassettes.
    Rocci,
    /// OpenStack ooi 1.2.0: OCCI 1.1 and 1.2, Keystone tokens, `200` + `X-OCCI-Location` on
    /// create, `204` for actions, deletes and empty collections, JSON error bodies.
    Ooi,
    /// pyssf 0.4.7: OCCI 1.1 only (no GFD.226 JSON), `201` + `Location` with body `OK` on create,
    /// plain-text error bodies.
    Pyssf,
}

impl Profile {
    /// Every profile, for help texts and tests.
    pub const ALL: [Profile; 3] = [Profile::Rocci, Profile::Ooi, Profile::Pyssf];

    /// The name used in configuration and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Rocci => "rocci",
            Profile::Ooi => "ooi",
            Profile::Pyssf => "pyssf",
        }
    }

    /// Whether the server speaks OCCI 1.2, and so the GFD.226 `application/occi+json` rendering.
    pub fn speaks_occi_1_2(self) -> bool {
        !matches!(self, Profile::Pyssf)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown OCCI simulator profile '{s}'; use rocci, ooi or pyssf"))
    }
}

/// How a profile spells new ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStyle {
    /// Ascending numbers (rOCCI-server over OpenNebula: `/compute/4096`).
    Number,
    /// 32 hex digits (ooi over Nova: `/compute/71c68af8887a452288ac2898b966596f`).
    HexUuid,
    /// Hyphenated UUIDs (pyssf: `/compute/64a0ca13-d027-4c18-90d8-f647b513bf9c`).
    Uuid,
}

/// The collection a location belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    /// Compute resources.
    Compute,
    /// Storage resources.
    Storage,
    /// Storage links.
    StorageLink,
    /// Network resources.
    Network,
    /// Network interface links.
    NetworkInterface,
    /// The `os_tpl` mixin collection.
    OsTpl,
    /// The `resource_tpl` mixin collection.
    ResourceTpl,
    /// The availability-zone mixin collection (rOCCI).
    Zone,
}

impl Collection {
    /// The collections that have a location, in lookup order (longest prefixes first matter
    /// for pyssf, whose links live below `/storage/` and `/network/`).
    pub const ALL: [Collection; 8] = [
        Collection::StorageLink,
        Collection::NetworkInterface,
        Collection::Compute,
        Collection::Storage,
        Collection::Network,
        Collection::OsTpl,
        Collection::ResourceTpl,
        Collection::Zone,
    ];
}

/// What a create answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateAnswer {
    /// `201 Created`, `Location` header, body `OK` (pyssf).
    CreatedWithOk,
    /// `201 Created`, body `X-OCCI-Location: …` (rOCCI-server).
    CreatedWithLocationBody,
    /// `200 OK`, body `X-OCCI-Location: …` (ooi).
    OkWithLocationBody,
}

/// What a successful action or delete answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneAnswer {
    /// `200` with the entity's new rendering (pyssf actions).
    OkWithEntity,
    /// `200` with an empty body (rOCCI-server).
    OkEmpty,
    /// `200` with body `OK` (pyssf deletes).
    OkText,
    /// `204 No Content` (ooi).
    NoContent,
}

/// How error bodies look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// The message as `text/plain` (pyssf).
    PlainText,
    /// The message as `text/plain`, and `X-OCCI-Error` with it (rOCCI-server).
    OcciErrorHeader,
    /// `{"code":…,"message":…}` for JSON requests, the message as `text/plain` otherwise
    /// (ooi's webob faults).
    JsonOrPlain,
}

impl Profile {
    /// The `Server` header. rOCCI's is the Apache front end of the rOCCI cassettes plus the
    /// `OCCI/1.2` token GFD.223 asks of a 1.2 server (the cassettes' 1.1 server had none).
    pub fn server_header(self) -> &'static str {
        match self {
            Profile::Rocci => "Apache/2.2.22 (Debian) OCCI/1.2",
            Profile::Ooi => "ooi/1.2.0 OCCI/1.1 OCCI/1.2",
            Profile::Pyssf => "pyssf OCCI/1.1",
        }
    }

    /// How new ids look.
    pub fn id_style(self) -> IdStyle {
        match self {
            Profile::Rocci => IdStyle::Number,
            Profile::Ooi => IdStyle::HexUuid,
            Profile::Pyssf => IdStyle::Uuid,
        }
    }

    /// The path of a collection, with leading and trailing `/`.
    pub fn location(self, collection: Collection) -> &'static str {
        use Collection as C;
        match (self, collection) {
            (_, C::Compute) => "/compute/",
            (_, C::Storage) => "/storage/",
            (_, C::Network) => "/network/",
            (Profile::Rocci, C::StorageLink) => "/link/storagelink/",
            (Profile::Rocci, C::NetworkInterface) => "/link/networkinterface/",
            (Profile::Rocci, C::OsTpl) => "/mixin/os_tpl/",
            (Profile::Rocci, C::ResourceTpl) => "/mixin/resource_tpl/",
            (Profile::Rocci, C::Zone) => "/mixin/availability_zone/",
            (Profile::Ooi, C::StorageLink) => "/storagelink/",
            (Profile::Ooi, C::NetworkInterface) => "/networklink/",
            (Profile::Pyssf, C::StorageLink) => "/storage/link/",
            (Profile::Pyssf, C::NetworkInterface) => "/network/interface/",
            (_, C::OsTpl) => "/os_tpl/",
            (_, C::ResourceTpl) => "/resource_tpl/",
            (_, C::Zone) => "/availability_zone/",
        }
    }

    /// The location of one template or zone mixin in `collection`.
    pub fn mixin_location(self, collection: Collection, term: &str) -> String {
        let base = self.location(collection);
        match self {
            // ooi: `/os_tpl/foo`; rOCCI: `/mixin/os_tpl/uuid_debianvm_5/`.
            Profile::Ooi => format!("{base}{term}"),
            Profile::Rocci | Profile::Pyssf => format!("{base}{term}/"),
        }
    }

    /// Whether locations in answers are absolute URLs (`http://host/compute/1`); rOCCI
    /// renders relative paths except in `X-OCCI-Location` and uri-lists.
    pub fn absolute_locations(self) -> bool {
        !matches!(self, Profile::Rocci)
    }

    /// What a create answers.
    pub fn create_answer(self) -> CreateAnswer {
        match self {
            Profile::Rocci => CreateAnswer::CreatedWithLocationBody,
            Profile::Ooi => CreateAnswer::OkWithLocationBody,
            Profile::Pyssf => CreateAnswer::CreatedWithOk,
        }
    }

    /// What a successful action answers.
    pub fn action_answer(self) -> DoneAnswer {
        match self {
            Profile::Rocci => DoneAnswer::OkEmpty,
            Profile::Ooi => DoneAnswer::NoContent,
            Profile::Pyssf => DoneAnswer::OkWithEntity,
        }
    }

    /// What a successful delete answers.
    pub fn delete_answer(self) -> DoneAnswer {
        match self {
            Profile::Rocci => DoneAnswer::OkEmpty,
            Profile::Ooi => DoneAnswer::NoContent,
            Profile::Pyssf => DoneAnswer::OkText,
        }
    }

    /// Whether an empty collection answers `204 No Content` (ooi) rather than `200` with no
    /// locations.
    pub fn empty_collection_is_no_content(self) -> bool {
        matches!(self, Profile::Ooi)
    }

    /// The status of an action that does not apply in the current state: pyssf `400` (as
    /// captured), ooi `409` (Nova's conflict, passed through), rOCCI-server `409`.
    pub fn not_applicable_status(self) -> u16 {
        match self {
            Profile::Pyssf => 400,
            Profile::Ooi | Profile::Rocci => 409,
        }
    }

    /// How error bodies look.
    pub fn error_style(self) -> ErrorStyle {
        match self {
            Profile::Rocci => ErrorStyle::OcciErrorHeader,
            Profile::Ooi => ErrorStyle::JsonOrPlain,
            Profile::Pyssf => ErrorStyle::PlainText,
        }
    }

    /// The `WWW-Authenticate` challenge of a `401`.
    pub fn www_authenticate(self, token_auth: bool) -> &'static str {
        match (self, token_auth) {
            // keystonemiddleware's challenge.
            (_, true) => "Keystone uri=\"http://127.0.0.1:5000/v3\"",
            (Profile::Rocci, false) => "Basic realm=\"rOCCI-server\"",
            (Profile::Ooi, false) => "Basic realm=\"ooi\"",
            (Profile::Pyssf, false) => "Basic realm=\"pyssf\"",
        }
    }

    /// Whether `occi.compute.memory` is rendered in MiB (ooi passes Nova's MB through) rather
    /// than GiB as GFD.184 says.
    pub fn memory_in_mib(self) -> bool {
        matches!(self, Profile::Ooi)
    }

    /// Whether numbers are rendered as quoted strings (pyssf: `occi.compute.cores="2"`).
    pub fn numbers_as_strings(self) -> bool {
        matches!(self, Profile::Pyssf)
    }

    /// Whether `occi.core.id` holds the entity's path (pyssf) rather than its id.
    pub fn id_is_path(self) -> bool {
        matches!(self, Profile::Pyssf)
    }

    /// Whether inline links put the link's own URL in `<…>` (ooi) rather than the target's.
    pub fn link_url_is_self(self) -> bool {
        matches!(self, Profile::Ooi)
    }

    /// Whether every action is rendered on every compute and storage (ooi) rather than only
    /// those that apply now.
    pub fn renders_all_actions(self) -> bool {
        matches!(self, Profile::Ooi)
    }

    /// Whether a `text/plain` request body is refused with `400` (ooi 1.2.0 on Python 3 does not
    /// parse request bodies in text/plain; captured as `29-…400.http`).
    pub fn refuses_text_plain_bodies(self) -> bool {
        matches!(self, Profile::Ooi)
    }
}

impl Profile {
    /// What follows the media type in `Content-Type` (ooi writes `charset=utf8`).
    pub fn charset_suffix(self) -> &'static str {
        match self {
            Profile::Rocci => "; charset=utf-8",
            Profile::Ooi => "; charset=utf8",
            Profile::Pyssf => "",
        }
    }

    /// The text of an error body: the profile's own wording where the captured server had a
    /// fixed one, else the simulator's message.
    pub fn error_message(self, err: &super::error::SimError, path: &str) -> String {
        use super::error::ErrorKind;
        match (self, err.kind) {
            (Profile::Pyssf, ErrorKind::NotApplicable) => {
                "This action is currently no applicable.".to_owned()
            }
            (Profile::Ooi, ErrorKind::NotFound) => "The resource could not be found.".to_owned(),
            (Profile::Pyssf, ErrorKind::NotFound) => format!("Resource not found: '{path}'"),
            _ => err.message.clone(),
        }
    }

    /// Whether the query interface lists OCCI Core's kinds (entity, resource, link); pyssf's
    /// does not.
    pub fn lists_core_kinds(self) -> bool {
        !matches!(self, Profile::Pyssf)
    }

    /// Whether new storage starts `offline` (pyssf, which then needs `online`) rather than
    /// `online`.
    pub fn new_storage_is_offline(self) -> bool {
        matches!(self, Profile::Pyssf)
    }
}
