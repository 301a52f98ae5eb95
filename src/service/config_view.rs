//! What `GET /v1/config` shows an admin: the configuration the gateway runs with, every secret
//! left out. Token hashes, provider credentials, webhook secrets and receiver URLs (which may
//! carry a token of the receiver's) are never part of it; a webhook shows its name and filters.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Caller, Role, Scope};
use crate::config::ProviderConfig;
use crate::config::gateway::LimitsConfig;
use crate::layers::LayerSettings;
use crate::model::EventType;
use crate::webhooks::Webhook;

/// The gateway's configuration without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigView {
    /// Where operations, keys, events and the audit log are kept: `memory`, `sqlite` or
    /// `postgres` (never the database URL: it may hold a password).
    pub store: String,
    /// The provider files loaded (`providers/*.toml`).
    pub providers: Vec<ProviderView>,
    /// The API tokens (`[[tokens]]`): names, roles and scopes.
    pub tokens: Vec<TokenView>,
    /// The webhooks (`[[webhooks]]`): names and filters.
    pub webhooks: Vec<WebhookView>,
    /// Origins allowed to call the API from a browser (`[cors]`).
    pub cors_origins: Vec<String>,
    /// `[limits]`.
    pub limits: LimitsConfig,
}

/// One provider file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProviderView {
    /// The provider id (the file's name).
    pub id: String,
    /// The driver (`aws`, `gogrid`, `occi`).
    pub driver: String,
    /// The file it was read from.
    pub file: String,
    /// Seconds between the watch's listings; `null`: not watched.
    pub watch_interval_secs: Option<u64>,
    /// The `[layers]` table, defaults filled in.
    pub layers: LayerSettings,
}

/// One API token (never its value nor its hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    /// Its name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The providers it may see; `null`: every provider.
    pub providers: Option<Vec<String>>,
}

/// One webhook (never its secret nor its URL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    /// Its name.
    pub name: String,
    /// Only these event types; `null`: all.
    pub types: Option<Vec<EventType>>,
    /// Only events of these providers; `null`: all.
    pub providers: Option<Vec<String>>,
    /// Tries per event before it becomes a dead letter.
    pub max_attempts: u32,
}

impl ConfigView {
    /// The view of a gateway with these providers, API callers (from the token file), webhooks,
    /// CORS origins, limits and store.
    pub fn new(
        providers: &[ProviderConfig],
        tokens: &[Caller],
        webhooks: &[Webhook],
        cors_origins: &[String],
        limits: &LimitsConfig,
        store: &str,
    ) -> ConfigView {
        ConfigView {
            store: store.to_owned(),
            providers: providers.iter().map(ProviderView::of).collect(),
            tokens: tokens.iter().filter_map(TokenView::of).collect(),
            webhooks: webhooks.iter().map(Webhook::view).collect(),
            cors_origins: cors_origins.to_vec(),
            limits: limits.clone(),
        }
    }

    /// What `caller` may see of it: a scoped admin sees only its providers, and the tokens and
    /// webhooks confined to them.
    pub(super) fn seen_by(&self, caller: &Caller) -> ConfigView {
        let within = |ids: &Option<Vec<String>>| match ids {
            Some(ids) => ids.iter().all(|id| caller.sees(id)),
            None => caller.sees_all(),
        };
        ConfigView {
            providers: self
                .providers
                .iter()
                .filter(|p| caller.sees(&p.id))
                .cloned()
                .collect(),
            tokens: self
                .tokens
                .iter()
                .filter(|t| within(&t.providers))
                .cloned()
                .collect(),
            webhooks: self
                .webhooks
                .iter()
                .filter(|w| within(&w.providers))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

impl ProviderView {
    fn of(config: &ProviderConfig) -> ProviderView {
        ProviderView {
            id: config.id.clone(),
            driver: config.driver.to_owned(),
            file: config.path.display().to_string(),
            watch_interval_secs: config.watch_interval.map(|d| d.as_secs()),
            layers: config.layers.clone(),
        }
    }
}

impl TokenView {
    fn of(caller: &Caller) -> Option<TokenView> {
        match caller {
            Caller::Anonymous => None,
            Caller::Token { name, role, scope } => Some(TokenView {
                name: name.to_string(),
                role: *role,
                providers: match scope {
                    Scope::All => None,
                    Scope::Providers(ids) => Some(ids.to_vec()),
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, providers: Option<Vec<String>>) -> TokenView {
        TokenView {
            name: name.into(),
            role: Role::Operator,
            providers,
        }
    }

    #[test]
    fn a_scoped_admin_sees_only_its_providers_and_what_is_confined_to_them() {
        let provider = |id: &str| ProviderView {
            id: id.into(),
            driver: "gogrid".into(),
            file: format!("providers/{id}.toml"),
            watch_interval_secs: Some(60),
            layers: LayerSettings::default(),
        };
        let view = ConfigView {
            store: "memory".into(),
            providers: vec![provider("a"), provider("b")],
            tokens: vec![
                token("everywhere", None),
                token("on-a", Some(vec!["a".into()])),
                token("on-a-and-b", Some(vec!["a".into(), "b".into()])),
            ],
            webhooks: Vec::new(),
            cors_origins: Vec::new(),
            limits: LimitsConfig::default(),
        };
        let admin_of_a = Caller::token(
            "admin-a",
            Role::Admin,
            Scope::Providers(std::sync::Arc::from(vec!["a".to_owned()])),
        );
        let seen = view.seen_by(&admin_of_a);
        let ids: Vec<&str> = seen.providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a"]);
        let names: Vec<&str> = seen.tokens.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["on-a"]);
        // An unscoped admin sees it all.
        let all = Caller::token("root", Role::Admin, Scope::All);
        assert_eq!(view.seen_by(&all), view);
    }
}
