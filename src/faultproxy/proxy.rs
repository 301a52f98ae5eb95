//! The proxy itself: an HTTP/1.1 server (hyper, one task per connection) whose service decides
//! each request's fault and forwards through a pooled HTTP client.
//!
//! hyper serves the connections directly (not axum) because two faults need the connection
//! itself: `reset` returns an error from the service, which makes hyper close the connection
//! without writing an answer, and `truncate` ends a body with an error after fewer bytes than
//! its `Content-Length`, which makes hyper drop the connection mid-body.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::StreamExt;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::Bytes;
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::rules::{BODY_MATCH_LIMIT, Fault, Rules};
use super::{CONTROL_PREFIX, RuleStats, Stats};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type ProxyBody = BoxBody<Bytes, BoxError>;

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
struct CloseConnection(&'static str);

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection closed by the fault proxy ({})", self.0)
    }
}

impl std::error::Error for CloseConnection {}

/// The bytes a `garbage` fault sends: a NUL, bytes that are not UTF-8, and text that is
/// neither JSON, XML nor an OCCI rendering.
const GARBAGE: &[u8] =
    b"\x00\xff\xfe<<cloudgw fault-proxy: garbage, not JSON, not OCCI>>\xc3\x28\n";

/// How long a truncated answer waits after its kept bytes before the connection is dropped.
const TRUNCATE_FLUSH_PAUSE: Duration = Duration::from_millis(20);

/// Where requests go: scheme and authority of the upstream, and a path to put before theirs.
#[derive(Debug, Clone)]
pub(super) struct Upstream {
    base: String,
}

impl Upstream {
    /// `None` unless the URL is `http://` with a host.
    pub(super) fn new(url: &reqwest::Url) -> Option<Upstream> {
        if url.scheme() != "http" {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Some(Upstream {
            base: format!("http://{host}{port}{}", url.path().trim_end_matches('/')),
        })
    }

    fn uri(&self, incoming: &Uri) -> Result<Uri, http::uri::InvalidUri> {
        let tail = incoming.path_and_query().map_or("/", |pq| pq.as_str());
        format!("{}{tail}", self.base).parse()
    }
}

/// The current rules with their counters and random source.
#[derive(Debug)]
struct Active {
    rules: Rules,
    matched: Vec<AtomicU64>,
    fired: Vec<AtomicU64>,
    rng: Mutex<fastrand::Rng>,
}

impl Active {
    fn new(rules: Rules) -> Active {
        let n = rules.rules.len();
        Active {
            rng: Mutex::new(fastrand::Rng::with_seed(rules.seed)),
            matched: (0..n).map(|_| AtomicU64::new(0)).collect(),
            fired: (0..n).map(|_| AtomicU64::new(0)).collect(),
            rules,
        }
    }

    /// The fault of the first rule that fires for this request, if any.
    fn decide(&self, method: &str, path: &str, query: &str, body: Option<&[u8]>) -> Option<&Fault> {
        for (i, rule) in self.rules.rules.iter().enumerate() {
            if !rule.matches(method, path, query, body) {
                continue;
            }
            let n = self.matched[i].fetch_add(1, Ordering::Relaxed) + 1;
            if !rule.counts_fire(n) {
                continue;
            }
            if let Some(p) = rule.probability {
                // A poisoned lock only means another request panicked mid-draw; the generator
                // is still usable.
                let draw = self.rng.lock().unwrap_or_else(|e| e.into_inner()).f64();
                if draw >= p {
                    continue;
                }
            }
            self.fired[i].fetch_add(1, Ordering::Relaxed);
            return Some(&rule.fault);
        }
        None
    }
}

/// Everything the connections share.
#[derive(Debug)]
pub(super) struct Shared {
    upstream: Upstream,
    client: Client<HttpConnector, ProxyBody>,
    active: RwLock<Arc<Active>>,
    seen: AtomicU64,
    forwarded: AtomicU64,
    faulted: AtomicU64,
    upstream_errors: AtomicU64,
}

impl Shared {
    pub(super) fn new(upstream: Upstream, rules: Rules) -> Shared {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Shared {
            upstream,
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector),
            active: RwLock::new(Arc::new(Active::new(rules))),
            seen: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
            faulted: AtomicU64::new(0),
            upstream_errors: AtomicU64::new(0),
        }
    }

    fn active(&self) -> Arc<Active> {
        self.active
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(super) fn set_rules(&self, rules: Rules) {
        *self.active.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Active::new(rules));
    }

    pub(super) fn stats(&self) -> Stats {
        let active = self.active();
        Stats {
            seen: self.seen.load(Ordering::Relaxed),
            forwarded: self.forwarded.load(Ordering::Relaxed),
            faulted: self.faulted.load(Ordering::Relaxed),
            upstream_errors: self.upstream_errors.load(Ordering::Relaxed),
            rules: active
                .rules
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| RuleStats {
                    name: r.name.clone(),
                    fault: r.fault.kind().to_owned(),
                    matched: active.matched[i].load(Ordering::Relaxed),
                    fired: active.fired[i].load(Ordering::Relaxed),
                })
                .collect(),
        }
    }
}

/// Accepts connections until `shutdown` fires (or its sender is dropped); then every open
/// connection is closed.
pub(super) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connections so the set does not grow with every one ever served.
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(error = %e, "fault proxy: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let served = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(error = %e, "fault proxy: connection ended");
            }
        });
    }
    connections.shutdown().await;
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, CloseConnection> {
    if req.uri().path().starts_with(CONTROL_PREFIX) {
        return Ok(control(&shared, req).await);
    }
    shared.seen.fetch_add(1, Ordering::Relaxed);
    let active = shared.active();
    let (parts, body) = req.into_parts();
    let (body, buffered): (ProxyBody, Option<Bytes>) = if active.rules.needs_body() {
        match Limited::new(body, BODY_MATCH_LIMIT).collect().await {
            Ok(collected) => {
                let bytes = collected.to_bytes();
                (full(bytes.clone()), Some(bytes))
            }
            Err(e) => {
                return Ok(text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("fault-proxy: cannot read the request body to match rules: {e}"),
                ));
            }
        }
    } else {
        (body.map_err(BoxError::from).boxed(), None)
    };
    let fault = active
        .decide(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query().unwrap_or(""),
            buffered.as_deref(),
        )
        .cloned();
    drop(active);
    let Some(fault) = fault else {
        return Ok(forward(&shared, parts, body).await);
    };
    shared.faulted.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(fault = fault.kind(), method = %parts.method, uri = %parts.uri, "fault proxy: fault");
    match fault {
        Fault::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(forward(&shared, parts, body).await)
        }
        Fault::Hang { max_secs } => {
            // hyper drops this future when the client closes the connection, so a client that
            // gives up ends the hang; the cap only bounds a client that never does.
            tokio::time::sleep(Duration::from_secs(max_secs)).await;
            Err(CloseConnection("hang ended"))
        }
        Fault::Status {
            status,
            body,
            content_type,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = Response::new(full(Bytes::from(body)));
            *response.status_mut() = status;
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            Ok(response)
        }
        Fault::RateLimit { retry_after, body } => {
            let mut response = text(StatusCode::TOO_MANY_REQUESTS, &body);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Ok(response)
        }
        Fault::Reset => Err(CloseConnection("reset")),
        Fault::Truncate { keep_bytes } => {
            let response = forward(&shared, parts, body).await;
            truncated(response, keep_bytes).await
        }
        Fault::Garbage => {
            let response = forward(&shared, parts, body).await;
            Ok(garbage(response).await)
        }
    }
}

/// Sends the request upstream and streams the answer back; the proxy's own 502 when the
/// upstream cannot be reached.
async fn forward(
    shared: &Shared,
    mut parts: http::request::Parts,
    body: ProxyBody,
) -> Response<ProxyBody> {
    shared.forwarded.fetch_add(1, Ordering::Relaxed);
    parts.uri = match shared.upstream.uri(&parts.uri) {
        Ok(uri) => uri,
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                &format!("fault-proxy: cannot build the upstream URL: {e}"),
            );
        }
    };
    parts.version = http::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    match shared
        .client
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.map_err(BoxError::from).boxed())
        }
        Err(e) => {
            shared.upstream_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "fault proxy: upstream request failed");
            text(
                StatusCode::BAD_GATEWAY,
                &format!("fault-proxy: the upstream could not be reached: {e}"),
            )
        }
    }
}

/// The upstream's answer with its full `Content-Length` but only part of its body, then the
/// connection is dropped.
async fn truncated(
    response: Response<ProxyBody>,
    keep_bytes: Option<usize>,
) -> Result<Response<ProxyBody>, CloseConnection> {
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return Err(CloseConnection("upstream body failed"));
    };
    let whole = collected.to_bytes();
    // Claim at least one byte more than is sent, even for an empty body.
    let claimed = whole.len().max(1);
    let keep = keep_bytes
        .unwrap_or(whole.len() / 2)
        .min(claimed - 1)
        .min(whole.len());
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(claimed));
    let part: Result<Frame<Bytes>, BoxError> = Ok(Frame::data(whole.slice(..keep)));
    // hyper drops what it has not written yet when a body fails, so the failure comes after a
    // pause in which the headers and the kept bytes are flushed to the client.
    let fail = async {
        tokio::time::sleep(TRUNCATE_FLUSH_PAUSE).await;
        Err::<Frame<Bytes>, BoxError>(Box::new(CloseConnection("truncate")))
    };
    let frames = futures::stream::iter([part]).chain(futures::stream::once(fail));
    let body = StreamBody::new(frames);
    Ok(Response::from_parts(parts, BodyExt::boxed(body)))
}

/// The upstream's status and headers with [`GARBAGE`] as the body.
async fn garbage(response: Response<ProxyBody>) -> Response<ProxyBody> {
    let (mut parts, body) = response.into_parts();
    // Drain the real body so the upstream connection goes back to the pool.
    let _ = body.collect().await;
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(GARBAGE.len()));
    Response::from_parts(parts, full(Bytes::from_static(GARBAGE)))
}

/// `GET /_faultproxy/stats` and `PUT /_faultproxy/rules`.
async fn control(shared: &Shared, req: Request<Incoming>) -> Response<ProxyBody> {
    let path = &req.uri().path()[CONTROL_PREFIX.len()..];
    match (req.method().as_str(), path) {
        ("GET", "stats") => match serde_json::to_vec(&shared.stats()) {
            Ok(json) => {
                let mut response = Response::new(full(Bytes::from(json)));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        ("PUT", "rules") => {
            let body = match Limited::new(req.into_body(), BODY_MATCH_LIMIT)
                .collect()
                .await
            {
                Ok(c) => c.to_bytes(),
                Err(e) => return text(StatusCode::BAD_REQUEST, &e.to_string()),
            };
            let parsed = std::str::from_utf8(&body)
                .map_err(|e| e.to_string())
                .and_then(|t| Rules::parse("PUT /_faultproxy/rules", t).map_err(|e| e.to_string()));
            match parsed {
                Ok(rules) => {
                    let n = rules.rules.len();
                    shared.set_rules(rules);
                    text(StatusCode::OK, &format!("{n} rule(s) active\n"))
                }
                Err(e) => text(StatusCode::BAD_REQUEST, &format!("{e}\n")),
            }
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "fault-proxy: GET /_faultproxy/stats or PUT /_faultproxy/rules\n",
        ),
    }
}

fn full(bytes: Bytes) -> ProxyBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn text(status: StatusCode, body: &str) -> Response<ProxyBody> {
    let mut response = Response::new(full(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Headers that belong to one connection (RFC 9110 §7.6.1), and those `Connection` names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_path_goes_before_the_request_path() {
        let up = |s: &str| Upstream::new(&reqwest::Url::parse(s).unwrap_or_else(|e| panic!("{e}")));
        let uri: Uri = "/grid/server/list?a=1"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let base = up("http://127.0.0.1:9/api/").unwrap_or_else(|| panic!("refused"));
        assert_eq!(
            base.uri(&uri).map(|u| u.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:9/api/grid/server/list?a=1")
        );
        assert!(up("https://example.org/").is_none());
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_removed() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        h.insert(header::HOST, HeaderValue::from_static("proxy"));
        h.insert("x-request-id", HeaderValue::from_static("r1"));
        strip_hop_by_hop(&mut h);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["host", "x-request-id"]);
    }

    #[test]
    fn probability_draws_repeat_with_the_same_seed() {
        let rules = Rules::parse(
            "t",
            "seed = 42\n[[rule]]\nprobability = 0.5\nfault = { kind = \"reset\" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let run = || {
            let active = Active::new(rules.clone());
            (0..64)
                .map(|_| active.decide("GET", "/", "", None).is_some())
                .collect::<Vec<bool>>()
        };
        let first = run();
        assert_eq!(first, run());
        let fired = first.iter().filter(|f| **f).count();
        assert!((10..54).contains(&fired), "{fired} of 64 fired at p = 0.5");
    }

    #[test]
    fn a_rule_that_matches_without_firing_lets_later_rules_decide() {
        let rules = Rules::parse(
            "t",
            "[[rule]]\nfirst = 1\nfault = { kind = \"reset\" }\n[[rule]]\nfault = { kind = \"garbage\" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let active = Active::new(rules);
        assert_eq!(active.decide("GET", "/", "", None), Some(&Fault::Reset));
        assert_eq!(active.decide("GET", "/", "", None), Some(&Fault::Garbage));
        assert_eq!(active.matched[0].load(Ordering::Relaxed), 2);
        assert_eq!(active.fired[0].load(Ordering::Relaxed), 1);
    }
}
