//! Who is asking, and what they may do: the one place the roles and provider scopes are decided.
//!
//! A front end authenticates (REST: a bearer token, see `crate::api::auth`) and hands the verb a
//! [`Caller`]; every verb of the service asks it ([`Caller::require`], [`Caller::sees`]) before
//! it touches anything, so a second front end enforces exactly the same rules.
//!
//! - `viewer` reads; `operator` also creates, acts and deletes; `admin` also reads the audit log,
//!   every caller's operations and the configuration.
//! - A token scoped to providers never sees another: such a provider is `404`, exactly as if it
//!   were not configured, so a scoped caller cannot even learn that it exists.
//! - With no tokens configured the caller is [`Caller::Anonymous`]: admin on every provider (the
//!   gateway then serves only on loopback, see `serve`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ServiceError, ServiceResult};
use crate::model::{Problem, ProblemCode};

/// What a token may do; each role includes the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads providers, resources, its own operations and events.
    Viewer,
    /// Also creates, acts (start, stop, reboot, attach, detach) and deletes.
    Operator,
    /// Also reads the audit log, every caller's operations and the configuration.
    Admin,
}

impl Role {
    /// The role's name as configured (`viewer`, `operator`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?} (use viewer, operator or admin)"
            )),
        }
    }
}

/// Which providers a caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every configured provider.
    All,
    /// Only these provider ids.
    Providers(Arc<[String]>),
}

impl Scope {
    /// Whether `provider` is inside the scope.
    pub fn admits(&self, provider: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Providers(ids) => ids.iter().any(|id| id == provider),
        }
    }
}

/// Who is asking. Idempotency keys, operations and scopes are per caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// No tokens are configured: every request is this caller, admin on every provider.
    Anonymous,
    /// A request that presented a configured token.
    Token {
        /// The token's configured name (never the token itself).
        name: Arc<str>,
        /// What it may do.
        role: Role,
        /// Which providers it may see.
        scope: Scope,
    },
}

impl Caller {
    /// A token caller.
    pub fn token(name: &str, role: Role, scope: Scope) -> Caller {
        Caller::Token {
            name: Arc::from(name),
            role,
            scope,
        }
    }

    /// The caller's name for logs, the audit log and the store: `anonymous` or `token:<name>`.
    pub fn name(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_owned(),
            Caller::Token { name, .. } => format!("token:{name}"),
        }
    }

    /// The caller's role.
    pub fn role(&self) -> Role {
        match self {
            Caller::Anonymous => Role::Admin,
            Caller::Token { role, .. } => *role,
        }
    }

    /// Whether the caller may see `provider` at all.
    pub fn sees(&self, provider: &str) -> bool {
        match self {
            Caller::Anonymous => true,
            Caller::Token { scope, .. } => scope.admits(provider),
        }
    }

    /// Whether the caller sees every provider (it has no provider scope).
    pub fn sees_all(&self) -> bool {
        match self {
            Caller::Anonymous => true,
            Caller::Token { scope, .. } => *scope == Scope::All,
        }
    }

    /// 403 unless the caller's role includes `needed`; `what` names the refused thing.
    pub fn require(&self, needed: Role, what: &str) -> ServiceResult<()> {
        if self.role() >= needed {
            return Ok(());
        }
        Err(ServiceError::from(Problem::new(
            ProblemCode::Forbidden,
            403,
            format!(
                "{what} needs the {} role; this token has {}",
                needed.as_str(),
                self.role().as_str()
            ),
        )))
    }

    /// Whether the caller reads every caller's operations (admin) or only its own.
    pub fn reads_all_operations(&self) -> bool {
        self.role() >= Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(role: Role) -> Caller {
        Caller::token(
            "ci",
            role,
            Scope::Providers(Arc::from(vec!["gg".to_owned()])),
        )
    }

    #[test]
    fn roles_include_the_ones_before_them() {
        let viewer = scoped(Role::Viewer);
        assert!(viewer.require(Role::Viewer, "reading").is_ok());
        let refused = viewer.require(Role::Operator, "stopping a server");
        assert_eq!(refused.map_err(|e| e.problem.status), Err(403));
        assert!(scoped(Role::Admin).require(Role::Operator, "x").is_ok());
        assert!(Caller::Anonymous.require(Role::Admin, "x").is_ok());
    }

    #[test]
    fn a_scoped_token_sees_only_its_providers() {
        let caller = scoped(Role::Admin);
        assert!(caller.sees("gg"));
        assert!(!caller.sees("aws"));
        assert!(Caller::Anonymous.sees("aws"));
    }

    #[test]
    fn names_never_hold_more_than_the_configured_name() {
        assert_eq!(scoped(Role::Viewer).name(), "token:ci");
        assert_eq!(Caller::Anonymous.name(), "anonymous");
    }
}
