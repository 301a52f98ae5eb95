//! GoGrid API v1.x simulator: a real HTTP server speaking `/api/<group>/<object>/<verb>` like
//! api.gogrid.com did (v1.9 behaviour as recorded), over an in-memory account.
//!
//! Behaviour a client (or driver author) can rely on:
//! - GET and POST; query and `application/x-www-form-urlencoded` body parameters are merged.
//! - Auth: `sig = hex(md5(api_key + shared_secret + unix_seconds))`, accepted within
//!   [`SimOptions::clock_skew`]. Failure → HTTP 403, body `<h1>403 Not Authorized</h1>`,
//!   `Content-Type: text/xml` (the real proxy's answer).
//! - JSON only (`format` defaults to `json`; `xml`/`csv` → 400). Responses are sent as
//!   `application/json`, not the real service's `text/html`; clients parse either.
//! - 400 `IllegalArgumentException` for bad input and not found (the latter with the real text
//!   "No object found that matches your input criteria."), 500 `UnexpectedException` for the
//!   simulator's own faults.
//! - Servers: `grid/server/add` answers without an `id` (state Off). Until
//!   [`SimOptions::provision_delay`] has passed the server is listed without an id in state Off
//!   and `grid/server/get` does not find it; afterwards it has a numeric id (ascending from
//!   386946, never reused), state On, `cores`/`diskSize`, and a root password in
//!   `support/password/list`. Delete and power by name work from the start.
//! - Server state options: 1 On, 2 Starting, 3 Off, 4 Stopping, 5 Restarting (1 and 3 are
//!   GoGrid's; 2, 4 and 5 are the simulator's choice). A power change shows the middle state for
//!   [`SimOptions::power_delay`], then its end state.
//!
//! Time is evaluated lazily: every request first applies the deadlines that have passed.

mod api;
mod auth;
mod error;
mod paging;
mod params;
mod seed;
mod state;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

/// The protocol's signature, shared with the driver.
pub use super::RunningSimulator;
pub use crate::drivers::gogrid::signature;

use super::control::{self, SimControl};
use error::SimError;
use params::Params;
use state::State;

pub use seed::{DEFAULT_PUBLIC_IPS_PER_DATACENTER, MAX_PUBLIC_IPS_PER_DATACENTER};

/// Default of [`SimOptions::clock_skew`].
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(600);
/// Default of [`SimOptions::provision_delay`]: none, so a new server is listed with an id at
/// once (libcloud sleeps 120 s whenever a new server has no id yet); the `add` answer still has
/// no id, as the real API's.
pub const DEFAULT_PROVISION_DELAY: Duration = Duration::ZERO;
/// Default of [`SimOptions::power_delay`].
pub const DEFAULT_POWER_DELAY: Duration = Duration::from_secs(1);

/// The 403 body of GoGrid's API proxy.
const NOT_AUTHORIZED_BODY: &str = "<h1>403 Not Authorized</h1>";

/// How a simulator instance behaves.
#[derive(Clone)]
pub struct SimOptions {
    /// The one API key the simulator accepts.
    pub api_key: String,
    /// The shared secret signatures are checked with.
    pub shared_secret: String,
    /// How far a signature's timestamp may be from the simulator's clock.
    pub clock_skew: Duration,
    /// How long a new server stays without an id (provisioning).
    pub provision_delay: Duration,
    /// How long a power transition takes.
    pub power_delay: Duration,
    /// Public IPs per datacenter (3 datacenters), so how many servers each can hold; at most
    /// [`MAX_PUBLIC_IPS_PER_DATACENTER`] (more are cut to it).
    pub public_ips_per_datacenter: usize,
}

impl SimOptions {
    /// Options for `api_key`/`shared_secret` with the default skew and delays.
    pub fn new(api_key: impl Into<String>, shared_secret: impl Into<String>) -> SimOptions {
        SimOptions {
            api_key: api_key.into(),
            shared_secret: shared_secret.into(),
            clock_skew: DEFAULT_CLOCK_SKEW,
            provision_delay: DEFAULT_PROVISION_DELAY,
            power_delay: DEFAULT_POWER_DELAY,
            public_ips_per_datacenter: DEFAULT_PUBLIC_IPS_PER_DATACENTER,
        }
    }
}

impl fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimOptions")
            .field("api_key", &self.api_key)
            .field("shared_secret", &"******")
            .field("clock_skew", &self.clock_skew)
            .field("provision_delay", &self.provision_delay)
            .field("power_delay", &self.power_delay)
            .field("public_ips_per_datacenter", &self.public_ips_per_datacenter)
            .finish()
    }
}

/// Starts a simulator on `listen` (port 0 picks a free one). It serves until the returned
/// handle is dropped; its endpoint ends in `/api`.
pub async fn spawn(opts: SimOptions, listen: SocketAddr) -> std::io::Result<RunningSimulator> {
    let control = SimControl::default();
    let app = router_with_control(opts, control.clone());
    super::serve("gogrid", app, listen, "/api", control).await
}

/// Shared by all handlers of one simulator.
struct Sim {
    opts: SimOptions,
    state: Mutex<State>,
}

/// The simulator's routes (`/api/...`) over a fresh account, for embedding in another server.
pub fn router(opts: SimOptions) -> Router {
    router_with_control(opts, SimControl::default())
}

/// [`router`] obeying `control`, with the control routes (`/_sim/…`).
pub fn router_with_control(opts: SimOptions, control: SimControl) -> Router {
    let mut state =
        State::new(opts.provision_delay, opts.power_delay).with_control(control.clone());
    state.ips = seed::ip_pool_with(opts.public_ips_per_datacenter);
    let sim = Arc::new(Sim {
        opts,
        state: Mutex::new(state),
    });
    Router::new()
        .route("/api/{*method}", any(handle))
        .with_state(sim)
        .merge(control::routes(control))
}

async fn handle(
    AxumState(sim): AxumState<Arc<Sim>>,
    http_method: axum::http::Method,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = method.trim_matches('/').to_string();
    let envelope_method = format!("/{method}");
    if http_method != axum::http::Method::GET && http_method != axum::http::Method::POST {
        let err = SimError::bad_input(format!(
            "HTTP method {http_method} is not accepted; use GET or POST"
        ));
        return json_response(err.status, &wire::failure(&envelope_method, &err));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = match Params::parse(query.as_deref(), content_type, &body) {
        Ok(p) => p,
        Err(err) => return json_response(err.status, &wire::failure(&envelope_method, &err)),
    };
    if !authorized(&sim.opts, &params) {
        return not_authorized();
    }
    let result = check_format(&params).and_then(|()| {
        let now = Instant::now();
        let mut state = sim
            .state
            .lock()
            .map_err(|_| SimError::unexpected("state lock poisoned"))?;
        state.advance(now);
        api::dispatch(&method, &params, &mut state, now)
    });
    match result {
        Ok((list, summary)) => json_response(
            StatusCode::OK,
            &wire::success(&envelope_method, list, summary),
        ),
        Err(err) => {
            tracing::debug!(method = %envelope_method, code = err.code, message = %err.message,
                "GoGrid simulator refused a request");
            json_response(err.status, &wire::failure(&envelope_method, &err))
        }
    }
}

fn authorized(opts: &SimOptions, params: &Params) -> bool {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let skew = i64::try_from(opts.clock_skew.as_secs()).unwrap_or(i64::MAX);
    auth::verify(
        &opts.api_key,
        &opts.shared_secret,
        params.get("api_key"),
        params.get("sig"),
        now,
        skew,
    )
}

fn check_format(params: &Params) -> Result<(), SimError> {
    match params.get("format").map(|f| f.trim().to_ascii_lowercase()) {
        None => Ok(()),
        Some(f) if f == "json" => Ok(()),
        Some(f) if f == "xml" || f == "csv" => Err(SimError::bad_input(format!(
            "format={f} is not supported by the cloudgw GoGrid simulator; use format=json"
        ))),
        Some(f) => Err(SimError::bad_input(format!(
            "Unknown format '{f}'; use json (xml and csv are not simulated)"
        ))),
    }
}

fn not_authorized() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))],
        NOT_AUTHORIZED_BODY,
    )
        .into_response()
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("rendering the answer: {e}"),
        ),
    };
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
