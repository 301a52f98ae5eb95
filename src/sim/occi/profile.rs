//! Every difference between the simulated OCCI servers, in one place: which server the simulator
//! answers like (rOCCI-server, OpenStack ooi or pyssf), and how that server words its answers.
//! The values follow the captured exchanges and cassettes in the shared OCCI fixtures.

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
