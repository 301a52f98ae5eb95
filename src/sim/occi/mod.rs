//! OCCI simulator: a real HTTP server speaking OCCI 1.1/1.2 (query interface `/-/`, compute,
//! storage, storagelink and networkinterface, `os_tpl`/`resource_tpl` mixins, actions) over an
//! in-memory account, answering in the style of one real server ([`Profile`]). Requests are
//! read and answers rendered with the protocol module [`crate::occi`]; every per-server
//! difference lives in `profile.rs`, the templates and networks in `seed.rs`.
//!
//! Behaviour a client (or driver author) can rely on:
//! - Renderings: `text/plain`, `text/occi`, `text/uri-list` (collections) by `Accept`
//!   (q-values honoured; none, `*/*` or `text/*` give text/plain), and GFD.226
//!   `application/occi+json` for the OCCI 1.2 profiles (rocci, ooi). Anything else: `406`.
//!   Request bodies in text/plain, text/occi (headers) or JSON; `Content-Type:
//!   text/plain,text/occi` (rOCCI-api) counts as text/plain. ooi refuses text/plain request
//!   bodies with `400`, as ooi 1.2.0 did: send it text/occi or JSON.
//! - Auth per [`SimAuth`]: none, HTTP basic, or a token (`X-Auth-Token` or
//!   `Authorization: Bearer`); without valid credentials `401` with the profile's
//!   `WWW-Authenticate` (`Basic realm=…`, or `Keystone uri=…` for tokens).
//!   [`SimAuth::ProjectHeader`] wants ooi's `X-Project-Id` instead (`403` without it).
//! - Collections per profile: `/compute/`, `/storage/`, `/network/`
//!   for all; links at `/link/storagelink/`, `/link/networkinterface/` (rocci),
//!   `/storagelink/`, `/networklink/` (ooi), `/storage/link/`, `/network/interface/` (pyssf).
//!   `GET` on a template mixin location lists the computes that have it.
//! - Create (`POST` to a collection): compute with an `os_tpl` (required by ooi), a
//!   `resource_tpl` and (rocci) an availability zone, `occi.core.title`,
//!   `occi.compute.hostname/cores/memory` (memory in GiB, ooi: MiB as ooi renders it), inline
//!   `Link`s to storage to attach at create; storage with `occi.storage.size` (GB, required);
//!   storagelink with `occi.core.source` (compute) and `occi.core.target` (storage) locations,
//!   absolute or paths, and an optional `occi.storagelink.deviceid` (else `/dev/vdb`, …).
//!   Answer: pyssf `201` + `Location`, body `OK`; rocci `201`, body `X-OCCI-Location: …`
//!   (JSON: the entity + `Location`); ooi `200`, body `X-OCCI-Location: …` (JSON:
//!   `{"resources":[…]}`). Unknown kinds or mixins: `400` naming the category.
//! - A new compute is `inactive` for [`SimOptions::provision_delay`], then `active` (pyssf's
//!   backend left it inactive until started; the simulator does not). Compute actions
//!   `start`, `stop` (`method` graceful/acpioff/poweroff), `restart` (graceful/warm/cold),
//!   `suspend` (hibernate/suspend) take [`SimOptions::power_delay`]; meanwhile the old state
//!   stays and, in the OCCI 1.2 profiles, `occi.compute.state.message` says `provisioning`,
//!   `starting`, `stopping`, `restarting` or `suspending`. An action that does not apply in
//!   the current state, or while a change is under way: pyssf `400` ("This action is
//!   currently no applicable."), ooi and rocci `409`. An action `Category` that does not match
//!   `?action=`: `400` ("Schema does not match…"). Storage actions `online`/`offline`.
//!   Action answers: pyssf `200` + the entity, rocci `200` empty, ooi `204`.
//! - Contextualization: rocci offers OpenStack-style `public_key`/`user_data` mixins, ooi those
//!   and OGF `user_data`/`ssh_key` (with ooi's attribute spelling
//!   `occi.crendentials.ssh.publickey`); a create with one needs its value attribute (`400`
//!   otherwise); the mixin shows on the compute, the value is not rendered back.
//! - `POST` of a `resource_tpl` mixin to a compute resizes it (rOCCI's partial update).
//! - Delete: compute (its storage links go with it), storage (`409`/`400` while attached),
//!   storagelink (detach). Answers: pyssf `200 OK`, rocci `200` empty, ooi `204`.
//! - Every compute has a public and a private network interface (inline `networkinterface`
//!   links with `occi.networkinterface.address`), and inline `storagelink`s for attached
//!   storage. ooi writes the link's own URL in `<…>` of inline links (text renderings).
//! - Quirks kept per profile: pyssf renders numbers as quoted strings and `occi.core.id` as the
//!   path; ooi renders memory in MiB, every action whether it applies or not, and an empty
//!   collection as `204`; `Server` is `pyssf OCCI/1.1`, `ooi/1.2.0 OCCI/1.1 OCCI/1.2` or
//!   `Apache/2.2.22 (Debian) OCCI/1.2`; error bodies are plain text (pyssf), plain text plus
//!   `X-OCCI-Error` (rocci), or `{"code":…,"message":…}` for JSON clients (ooi).
//!
//! Time is evaluated lazily: every request first applies the deadlines that have passed.

mod api;
mod auth;
mod entities;
mod error;
mod profile;
mod seed;
mod state;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::sync::Mutex;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use axum::routing::any;

use super::control::{self, SimControl};
use entities::Locator;
use error::{ErrorKind, SimError};
use state::State;

pub use super::RunningSimulator;
pub use profile::Profile;
pub use seed::{Catalog, ContextMixin, OsTemplate, ResourceTemplate, Zone, catalog};

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
    /// No credentials, but an `X-Project-Id` header, as ooi sees requests behind
    /// keystonemiddleware (how the captured ooi exchanges were made); without it `403`.
    ProjectHeader,
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
            SimAuth::ProjectHeader => f.write_str("ProjectHeader"),
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

/// Starts a simulator on `listen` (port 0 picks a free one). It serves until the returned
/// handle is dropped; its endpoint is the bare base URL (`http://127.0.0.1:PORT`).
pub async fn spawn(opts: SimOptions, listen: SocketAddr) -> std::io::Result<RunningSimulator> {
    tracing::info!(profile = %opts.profile, "starting the OCCI simulator");
    let control = SimControl::default();
    let app = router_with_control(opts, control.clone());
    super::serve("occi", app, listen, "", control).await
}

/// Shared by all handlers of one simulator.
struct Sim {
    opts: SimOptions,
    state: Mutex<State>,
}

/// The simulator's routes over a fresh account, for embedding in another server.
pub fn router(opts: SimOptions) -> Router {
    router_with_control(opts, SimControl::default())
}

/// [`router`] obeying `control`, with the control routes (`/_sim/…`) ahead of the OCCI ones.
pub fn router_with_control(opts: SimOptions, control: SimControl) -> Router {
    let state = State::new(opts.profile, opts.provision_delay, opts.power_delay)
        .with_control(control.clone());
    let sim = Arc::new(Sim {
        opts,
        state: Mutex::new(state),
    });
    Router::new()
        .fallback(any(handle))
        .with_state(sim)
        .merge(control::routes(control))
}

async fn handle(
    AxumState(sim): AxumState<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let profile = sim.opts.profile;
    let path = uri.path();
    let json = wants_json(&headers);
    let token_auth = matches!(sim.opts.auth, SimAuth::Token(_));
    let fail = |err: SimError| wire::error(profile, &err, path, json, token_auth);
    if let Err(err) = auth::check(&sim.opts.auth, &headers) {
        return fail(err);
    }
    let media = match wire::negotiate(&headers, profile) {
        Ok(m) => m,
        Err(err) => return fail(err),
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        return fail(SimError::bad_request("the request body is not UTF-8"));
    };
    let req = api::Request {
        method: &method,
        path,
        query: uri.query(),
        headers: &headers,
        body,
    };
    let loc = Locator::new(profile, base_url(&headers));
    let result = {
        let now = Instant::now();
        match sim.state.lock() {
            Ok(mut state) => {
                state.advance(now);
                api::serve(&req, &mut state, &loc, now)
            }
            Err(_) => Err(SimError::new(ErrorKind::Internal, "state lock poisoned")),
        }
    };
    match result {
        Ok(answer) => wire::answer(profile, media, answer),
        Err(err) => {
            tracing::debug!(%method, path, kind = ?err.kind, message = %err.message,
                "OCCI simulator refused a request");
            fail(err)
        }
    }
}

/// `http://` + the `Host` the client used, so absolute locations point back at this server.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ']))
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Whether the client reads or sends JSON (ooi answers faults in JSON then).
fn wants_json(headers: &HeaderMap) -> bool {
    [header::ACCEPT, header::CONTENT_TYPE].iter().any(|h| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"))
    })
}

#[cfg(test)]
mod tests;
