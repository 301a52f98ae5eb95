//! `serve`'s security options: the config file (tokens, CORS, limits), TLS, and the safe
//! default (no tokens → loopback only, unless `--insecure-no-auth`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use cloudgw::api::Security;
use cloudgw::api::auth::Tokens;
use cloudgw::config::gateway::GatewayConfig;
use cloudgw::server::{ServeOptions, tls_config};

/// The security flags of `serve`.
#[derive(Debug, clap::Args)]
pub struct SecureArgs {
    /// The gateway's config file (TOML): [[tokens]], [[webhooks]], [cors], [limits]; every
    /// section optional.
    #[arg(long, env = "CLOUDGW_CONFIG")]
    pub config: Option<PathBuf>,
    /// PEM certificate chain to serve HTTPS with (with --tls-key).
    #[arg(long, env = "CLOUDGW_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "CLOUDGW_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve a non-loopback address without any API token. Anyone who can reach the address
    /// controls every configured cloud account: only for a network you fully trust.
    #[arg(long, env = "CLOUDGW_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
}

/// What `serve` needs from these flags.
pub struct Prepared {
    /// Tokens, CORS and limits for the router.
    pub security: Security,
    /// TLS and connection timeouts for the server.
    pub options: ServeOptions,
    /// The webhooks, checked.
    pub webhooks: Vec<cloudgw::webhooks::Webhook>,
}

/// Reads the config file and the TLS files and applies the safe default for `listen`.
pub fn prepare(args: &SecureArgs, listen: SocketAddr) -> Result<Prepared, String> {
    let config = match &args.config {
        Some(path) => GatewayConfig::load(path)?,
        None => GatewayConfig::default(),
    };
    let tokens = Tokens::from_config(&config.tokens)?;
    let webhooks = cloudgw::webhooks::check_all(&config.webhooks).map_err(|e| {
        let file = args
            .config
            .as_deref()
            .unwrap_or(std::path::Path::new("--config"));
        format!("{}: {e}", file.display())
    })?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    let loopback = listen.ip().is_loopback();
    if tokens.is_empty() {
        if !loopback && !args.insecure_no_auth {
            return Err(format!(
                "refusing to listen on {listen}: no API tokens are configured, so cloudgw serves \
                 only on loopback (127.0.0.1 or [::1]); configure [[tokens]] in --config (see \
                 `cloudgw token new`), or pass --insecure-no-auth"
            ));
        }
        if loopback {
            tracing::warn!(
                "no API tokens are configured: the API is unauthenticated, so it serves only on loopback"
            );
        } else {
            tracing::error!(
                "INSECURE: serving {listen} WITHOUT AUTHENTICATION (--insecure-no-auth): anyone who \
                 can reach this address controls every configured cloud account"
            );
        }
    } else {
        tracing::info!(
            tokens = config.tokens.len(),
            "API tokens configured: every request needs a bearer token"
        );
        if tls.is_none() && !loopback {
            tracing::warn!(
                "serving {listen} without TLS: tokens travel in clear text unless a TLS reverse proxy is in front (see README \"Security\")"
            );
        }
    }
    let options = ServeOptions {
        tls,
        header_read_timeout: Duration::from_secs(config.limits.header_read_timeout_secs),
    };
    let security = Security {
        tokens,
        cors_origins: config.cors.origins,
        limits: config.limits,
    };
    Ok(Prepared {
        security,
        options,
        webhooks,
    })
}
