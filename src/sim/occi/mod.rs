//! OCCI simulator: a real HTTP server speaking OCCI 1.1/1.2 (query interface `/-/`, compute,
//! storage, storagelink and networkinterface, `os_tpl`/`resource_tpl` mixins, actions) over an
//! in-memory account, answering in the style of one real server ([`Profile`]).
//!
//! Behaviour a client (or driver author) can rely on:
//! - Auth per [`SimAuth`]: none, HTTP basic, or a token (`X-Auth-Token` or
//!   `Authorization: Bearer`). A request without valid credentials gets `401` with the
//!   profile's `WWW-Authenticate` challenge.
//! - A new compute is `inactive` for [`SimOptions::provision_delay`], then `active`; start, stop,
//!   restart and suspend show no intermediate OCCI state (OCCI has none) for
//!   [`SimOptions::power_delay`]: the old state stays visible until the action has taken effect.
//!
//! Time is evaluated lazily: every request first applies the deadlines that have passed.

mod error;
mod profile;
mod seed;
mod state;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;

pub use profile::Profile;

/// Default of [`SimOptions::provision_delay`].
pub const DEFAULT_PROVISION_DELAY: Duration = Duration::ZERO;
/// Default of [`SimOptions::power_delay`].
pub const DEFAULT_POWER_DELAY: Duration = Duration::from_secs(1);

/// The credentials the simulator expects.
#[derive(Clone, PartialEq, Eq)]
pub enum SimAuth {
    /// Every request is served.
    None,
    /// HTTP basic auth with this username and password (rOCCI-server's usual setup).
    Basic {
        /// The one username accepted.
        username: String,
        /// Its password.
        password: String,
    },
    /// A token, sent as `X-Auth-Token` (Keystone, as ooi expects) or `Authorization: Bearer`.
    Token(String),
}

impl fmt::Debug for SimAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimAuth::None => f.write_str("None"),
            SimAuth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"******")
                .finish(),
            SimAuth::Token(_) => f.write_str("Token(******)"),
        }
    }
}

/// How a simulator instance behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Which real server's answers to reproduce.
    pub profile: Profile,
    /// The credentials requests must carry.
    pub auth: SimAuth,
    /// How long a new compute stays `inactive` before it is `active`.
    pub provision_delay: Duration,
    /// How long start, stop, restart and suspend take to take effect.
    pub power_delay: Duration,
}

impl SimOptions {
    /// Options for `profile` without auth and with the default delays.
    pub fn new(profile: Profile) -> SimOptions {
        SimOptions {
            profile,
            auth: SimAuth::None,
            provision_delay: DEFAULT_PROVISION_DELAY,
            power_delay: DEFAULT_POWER_DELAY,
        }
    }
}

/// A simulator serving on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningSimulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OCCI endpoint: the base URL the query interface `/-/` hangs off, without a trailing
    /// slash (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a simulator on `listen` (port 0 picks a free one). It serves until the returned
/// handle is dropped.
pub async fn spawn(opts: SimOptions, listen: SocketAddr) -> std::io::Result<RunningSimulator> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let profile = opts.profile;
    let app = router(opts);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "OCCI simulator stopped with an error");
        }
    });
    tracing::info!(%addr, %profile, "OCCI simulator listening");
    Ok(RunningSimulator {
        addr,
        shutdown: Some(tx),
    })
}

/// Shared by all handlers of one simulator.
struct Sim {
    #[allow(dead_code)]
    opts: SimOptions,
}

/// The simulator's routes over a fresh account, for embedding in another server.
pub fn router(opts: SimOptions) -> Router {
    let sim = Arc::new(Sim { opts });
    Router::new().fallback(any(handle)).with_state(sim)
}

async fn handle() -> Response {
    (
        StatusCode::NOT_IMPLEMENTED,
        "The cloudgw OCCI simulator is being built; nothing is served yet.",
    )
        .into_response()
}
