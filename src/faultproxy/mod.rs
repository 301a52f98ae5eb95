//! A reverse proxy that injects faults between a driver and its backend, so tests (and people)
//! can see what the gateway makes of a provider that is slow, hangs, fails, rate-limits, drops
//! connections or answers nonsense. Run it as `cloudgw fault-proxy` or in-process with
//! [`start`].
//!
//! - Requests no rule fires for are forwarded unchanged to the upstream (method, path, query,
//!   headers except hop-by-hop ones, `Host` included, so a backend that writes absolute URLs
//!   from `Host` keeps pointing at the proxy), and the answer streams back the same way.
//! - Rules ([`Rules`], a TOML file; see [`rules`]) match by method, path prefix, query and body
//!   substrings, fire by count and probability, and the first rule that fires decides.
//! - `latency`, `truncate` and `garbage` forward the request (the backend sees it);
//!   `hang`, `status`, `rate_limit` and `reset` do not.
//! - Paths under `/_faultproxy/` are the proxy's own and never forwarded:
//!   `GET /_faultproxy/stats` answers the [`Stats`] as JSON, `PUT /_faultproxy/rules` replaces
//!   the rules with the TOML body (400 with the error when it is not valid).
//! - Only `http://` upstreams: the proxy sits on loopback in front of simulators and moto.

mod proxy;
pub mod rules;

use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use rules::{Fault, Rule, Rules, RulesError};

/// Paths under this prefix are the proxy's control interface, never forwarded.
pub const CONTROL_PREFIX: &str = "/_faultproxy/";

/// What the proxy has done since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests received (control requests excluded).
    pub seen: u64,
    /// Requests sent on to the upstream (with or without a fault on the way back).
    pub forwarded: u64,
    /// Requests a rule fired for.
    pub faulted: u64,
    /// Forwarded requests the upstream could not be reached for (answered 502 by the proxy).
    pub upstream_errors: u64,
    /// Per rule of the current rules, in file order (reset when the rules are replaced).
    pub rules: Vec<RuleStats>,
}

/// Counters of one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleStats {
    /// The rule's name.
    pub name: String,
    /// The fault's kind.
    pub fault: String,
    /// Requests that matched its method, path, query and body.
    pub matched: u64,
    /// Requests it fired for.
    pub fired: u64,
}

impl Stats {
    /// The counters of the rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&RuleStats> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The upstream is not an `http://` URL with a host.
    #[error("upstream {0}: must be an http:// URL with a host (https is not proxied)")]
    Upstream(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A proxy serving on a loopback port; stops (closing every connection) when dropped.
#[derive(Debug)]
pub struct RunningProxy {
    addr: SocketAddr,
    shared: Arc<proxy::Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningProxy {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the URL to configure a driver with instead of the upstream's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Replaces the rules; requests already being handled keep the rule that fired for them.
    /// Per-rule counters start again from zero.
    pub fn set_rules(&self, rules: Rules) {
        self.shared.set_rules(rules);
    }
}

impl Drop for RunningProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a proxy on `listen` (port 0 picks a free one) in front of `upstream` (an `http://`
/// URL; its path, if any, is put before every request path).
pub async fn start(
    upstream: reqwest::Url,
    rules: Rules,
    listen: SocketAddr,
) -> Result<RunningProxy, StartError> {
    let target = proxy::Upstream::new(&upstream)
        .ok_or_else(|| StartError::Upstream(upstream.to_string()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: listen,
        source,
    })?;
    let shared = Arc::new(proxy::Shared::new(target, rules));
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(proxy::serve(listener, shared.clone(), rx));
    tracing::info!(%addr, %upstream, "fault proxy listening");
    Ok(RunningProxy {
        addr,
        shared,
        shutdown: Some(tx),
    })
}
