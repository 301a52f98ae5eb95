//! Wire calls to one OCCI endpoint: the HTTP client with its credentials (basic, token, X.509
//! identity, extra CA certificates), location resolution, the answer as the parsers need it, and
//! the discovered collections and entities read and written.
//!
//! Locations that servers render (absolute, possibly with an internal host name or `http`
//! behind a TLS proxy, or relative) are always resolved against the configured endpoint's
//! origin, keeping only their path and query: credentials never go to another host.
//! Secrets never reach a log or an error: only method and path are logged, and transport errors
//! are kept without their URL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::config::{AuthConfig, OcciConfig, TokenHeader};
use super::discovery::Discovery;
use super::{error, mapping};
use crate::config::Secret;
use crate::driver::{DriverError, DriverResult, ErrorKind, transport};
use crate::occi::{Entity, MediaType, Message, Rendered, ids, parse_collection, parse_entity};

/// What the driver needs to reach one endpoint: a validated [`OcciConfig`] with its files read.
#[derive(Debug, Clone)]
pub struct OcciSettings {
    /// The endpoint (the query interface is `<endpoint>/-/`).
    pub endpoint: String,
    /// Credentials.
    pub auth: Auth,
    /// PEM text of extra trusted CA certificates.
    pub ca_bundle: Option<Secret>,
    /// Extra headers for every request.
    pub headers: Vec<(String, Secret)>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Credentials, read and ready.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials.
    None,
    /// HTTP basic.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// A token in a header.
    Token {
        /// The token.
        token: Secret,
        /// Where it goes.
        header: TokenHeader,
    },
    /// A client certificate: PEM with certificate chain and private key.
    X509 {
        /// The PEM text (certificate, chain and key).
        pem: Secret,
    },
}

impl OcciSettings {
    /// Settings from a provider's config, reading the certificate files it names. `endpoint`
    /// overrides the config's (the in-process simulator's address).
    pub fn from_config(config: &OcciConfig, endpoint: Option<String>) -> Result<Self, String> {
        let endpoint = endpoint
            .or_else(|| config.endpoint.clone())
            .ok_or("no endpoint")?;
        let read = |path: &std::path::Path| {
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let auth = match &config.auth {
            None => Auth::None,
            Some(AuthConfig::Basic { username, password }) => Auth::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            Some(AuthConfig::Token { token, header }) => Auth::Token {
                token: token.clone(),
                header: *header,
            },
            Some(AuthConfig::X509 { certificate, key }) => {
                let mut pem = read(certificate)?;
                if let Some(key) = key {
                    pem.push('\n');
                    pem.push_str(&read(key)?);
                }
                Auth::X509 {
                    pem: Secret::new(pem),
                }
            }
        };
        let ca_bundle = match &config.ca_bundle {
            Some(path) => Some(Secret::new(read(path)?)),
            None => None,
        };
        Ok(OcciSettings {
            endpoint,
            auth,
            ca_bundle,
            headers: config
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            timeout: Duration::from_secs(config.timeout_secs.max(1)),
        })
    }
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The rendering of the answer: its Content-Type, `text/plain` when missing or not OCCI.
    pub(crate) fn media_type(&self) -> MediaType {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(MediaType::from_content_type)
            .unwrap_or(MediaType::TextPlain)
    }

    /// The answer as a parser input.
    pub(crate) fn message(&self) -> Message<'_> {
        Message {
            media_type: self.media_type(),
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One endpoint's HTTP client.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    /// The endpoint with a trailing slash, so relative joins stay under its path.
    base: Url,
    auth: Auth,
    headers: HeaderMap,
    timeout: Duration,
    /// Whether the server showed OCCI/1.2 (then the driver claims 1.2 too).
    occi_12: AtomicBool,
}

impl Client {
    /// A client for `settings`; fails on a bad endpoint, certificate, key or header.
    pub(crate) fn new(settings: &OcciSettings) -> DriverResult<Client> {
        let invalid = |message: String| DriverError::new(ErrorKind::InvalidRequest, message);
        let mut base = Url::parse(&settings.endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                invalid(format!(
                    "OCCI endpoint {:?} is not an http(s) URL",
                    settings.endpoint
                ))
            })?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &settings.ca_bundle {
            let certs = reqwest::Certificate::from_pem_bundle(pem.expose().as_bytes())
                .map_err(|e| invalid(format!("ca_bundle is not a PEM certificate bundle: {e}")))?;
            if certs.is_empty() {
                return Err(invalid("ca_bundle holds no certificate".into()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        if let Auth::X509 { pem } = &settings.auth {
            let identity = reqwest::Identity::from_pem(pem.expose().as_bytes()).map_err(|e| {
                invalid(format!(
                    "auth.certificate/auth.key are not a PEM certificate chain with its private key: {e}"
                ))
            })?;
            builder = builder.identity(identity);
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("{name:?} is not a header name")))?;
            let mut value = HeaderValue::from_str(value.expose()).map_err(|_| {
                invalid(format!("the value of header {name} is not a header value"))
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let http = builder.build().map_err(|e| {
            invalid("cannot build the HTTP client with these TLS settings".into()).with_source(e)
        })?;
        Ok(Client {
            http,
            base,
            auth: settings.auth.clone(),
            headers,
            timeout: settings.timeout,
            occi_12: AtomicBool::new(false),
        })
    }

    /// Claim OCCI/1.2 from now on (the server showed it speaks 1.2).
    pub(crate) fn claim_occi_12(&self, yes: bool) {
        self.occi_12.store(yes, Ordering::Relaxed);
    }

    /// The endpoint URL plus `relative` (e.g. `-/`).
    pub(crate) fn endpoint_url(&self, relative: &str) -> DriverResult<Url> {
        self.base
            .join(relative)
            .map_err(|_| error::bad_response(format!("cannot build a URL from {relative:?}")))
    }

    /// A location as the server rendered it, resolved on the endpoint's origin: only its path
    /// and query are kept.
    pub(crate) fn resolve(&self, location: &str) -> DriverResult<Url> {
        let parsed = Url::parse(location).or_else(|_| self.base.join(location));
        let parsed = parsed.map_err(|_| {
            error::bad_response(format!(
                "the OCCI server rendered an unusable location {location:?}"
            ))
        })?;
        let mut url = self.base.clone();
        url.set_path(parsed.path());
        url.set_query(parsed.query());
        Ok(url)
    }

    /// The path (and query) of a location, the form the driver keeps and compares.
    pub(crate) fn path_of(&self, location: &str) -> DriverResult<String> {
        let url = self.resolve(location)?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    fn user_agent(&self) -> String {
        let version = if self.occi_12.load(Ordering::Relaxed) {
            "1.2"
        } else {
            "1.1"
        };
        format!("cloudgw/{} OCCI/{version}", env!("CARGO_PKG_VERSION"))
    }

    /// Sends a request and reads the whole answer; a non-2xx answer is an error.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        accept: &str,
        body: Option<&Rendered>,
    ) -> DriverResult<Answer> {
        let answer = self
            .send_raw(method.clone(), url.clone(), accept, body)
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(
                error::from_answer(answer.status, &answer.headers, &answer.body)
                    .with_context("request", format!("{method} {}", url.path())),
            )
        }
    }

    /// Sends a request and reads the whole answer, whatever its status.
    pub(crate) async fn send_raw(
        &self,
        method: Method,
        url: Url,
        accept: &str,
        body: Option<&Rendered>,
    ) -> DriverResult<Answer> {
        let path = url.path().to_owned();
        let mut request = self
            .http
            .request(method.clone(), url)
            .timeout(self.timeout)
            .headers(self.headers.clone())
            .header(ACCEPT, accept)
            .header(reqwest::header::USER_AGENT, self.user_agent());
        request = match &self.auth {
            Auth::None | Auth::X509 { .. } => request,
            Auth::Basic { username, password } => {
                request.basic_auth(username, Some(password.expose()))
            }
            Auth::Token { token, header } => {
                let (name, value) = match header {
                    TokenHeader::XAuthToken => ("x-auth-token", token.expose().to_owned()),
                    TokenHeader::Authorization => {
                        (AUTHORIZATION.as_str(), format!("Bearer {}", token.expose()))
                    }
                };
                let mut value = HeaderValue::from_str(&value).map_err(|_| {
                    DriverError::new(ErrorKind::InvalidRequest, "the token is not a header value")
                })?;
                value.set_sensitive(true);
                request.header(name, value)
            }
        };
        // OCCI over HTTP carries a request id; pass the gateway's on so both logs match.
        if let Some(id) = crate::layers::request_id::current() {
            request = request.header("x-request-id", id.as_ref());
        }
        if let Some(rendered) = body {
            request = request.headers(rendered.header_map());
            if !rendered.body.is_empty() {
                request = request.body(rendered.body.clone());
            }
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| transport::from_reqwest(e, "the OCCI server", self.timeout))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport::from_reqwest(e, "the OCCI server", self.timeout))?;
        tracing::debug!(
            occi.method = %method,
            occi.path = %path,
            http.status = status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "OCCI call"
        );
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// Locations: where the discovered collections and entities are, and reading and writing them.
impl Client {
    /// The path of `kind`'s collection, with a trailing slash.
    pub(crate) fn collection(&self, d: &Discovery, kind: &str) -> DriverResult<String> {
        let location = d.location(&ids::infra(kind)).ok_or_else(|| {
            DriverError::unsupported(format!("{kind} (the OCCI server has no {kind} collection)"))
        })?;
        let mut path = self.path_of(location)?;
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(path)
    }

    /// The path of the `kind` entity with gateway id `id`.
    pub(crate) fn entity_path(&self, d: &Discovery, kind: &str, id: &str) -> DriverResult<String> {
        let valid = !id.is_empty()
            && id.len() <= 512
            && !matches!(id, "." | "..")
            && !id.contains(['/', '?', '#', '\\'])
            && !id.chars().any(char::is_control);
        if !valid {
            return Err(DriverError::not_found(kind, id));
        }
        let encoded = percent_encoding::utf8_percent_encode(id, mapping::SEGMENT).to_string();
        Ok(format!("{}{encoded}", self.collection(d, kind)?))
    }

    pub(crate) async fn get(&self, d: &Discovery, path: &str) -> DriverResult<Answer> {
        let url = self.resolve(path)?;
        self.send(Method::GET, url, d.accept(), None).await
    }

    pub(crate) async fn entity(&self, d: &Discovery, path: &str) -> DriverResult<Entity> {
        let answer = self.get(d, path).await?;
        parse_entity(&answer.message()).map_err(|e| {
            error::bad_response(format!("the OCCI server rendered {path} unreadably: {e}"))
        })
    }

    /// The member paths of `kind`'s collection, sorted (the order cursors rely on).
    pub(crate) async fn member_paths(
        &self,
        d: &Discovery,
        kind: &str,
    ) -> DriverResult<Vec<String>> {
        let collection = self.collection(d, kind)?;
        let answer = self.get(d, &collection).await?;
        if answer.status == 204
            || answer.body.trim().is_empty() && !answer.headers.contains_key("x-occi-location")
        {
            return Ok(Vec::new());
        }
        let parsed = parse_collection(&answer.message()).map_err(|e| {
            error::bad_response(format!(
                "the OCCI server rendered {collection} unreadably: {e}"
            ))
        })?;
        let mut paths = Vec::new();
        for location in parsed.locations {
            paths.push(self.path_of(&location)?);
        }
        for entity in parsed.entities {
            // ooi's JSON list holds kind, id and title only: the location is collection + id.
            let id = entity.id();
            let location = match (entity.location, id) {
                (Some(l), _) => l,
                (None, Some(id)) if !id.contains('/') => format!("{collection}{id}"),
                (None, Some(id)) => id,
                (None, None) => continue,
            };
            paths.push(self.path_of(&location)?);
        }
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    /// Where a create answer says the new entity is: `Location`, else `X-OCCI-Location`
    /// (body or header), a uri-list, or a rendered entity's location or id.
    pub(crate) fn created_path(&self, answer: &Answer, collection: &str) -> DriverResult<String> {
        if let Some(location) = answer.header("location") {
            return self.path_of(location);
        }
        let msg = answer.message();
        if let Ok(parsed) = parse_collection(&msg) {
            if let Some(location) = parsed.locations.first() {
                return self.path_of(location);
            }
            let from_entity = parsed
                .entities
                .into_iter()
                .find_map(|e| mapping::entity_location(e, collection));
            if let Some(location) = from_entity {
                return self.path_of(&location);
            }
        }
        if let Some(location) = parse_entity(&msg)
            .ok()
            .and_then(|e| mapping::entity_location(e, collection))
        {
            return self.path_of(&location);
        }
        Err(error::bad_response(
            "the OCCI server accepted the create but did not say where the new entity is",
        ))
    }

    /// Deletes the entity at `path`.
    pub(crate) async fn delete(&self, d: &Discovery, path: &str) -> DriverResult<Answer> {
        let url = self.resolve(path)?;
        self.send(Method::DELETE, url, d.accept(), None).await
    }

    pub(crate) async fn post(
        &self,
        d: &Discovery,
        path: &str,
        body: &crate::occi::Rendered,
    ) -> DriverResult<Answer> {
        let url = self.resolve(path)?;
        self.send(Method::POST, url, d.accept(), Some(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: &str) -> OcciSettings {
        OcciSettings {
            endpoint: endpoint.into(),
            auth: Auth::Basic {
                username: "u".into(),
                password: Secret::new("pw-very-secret"),
            },
            ca_bundle: None,
            headers: vec![("X-Project-Id".into(), Secret::new("project-secret"))],
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn locations_resolve_on_the_endpoint_origin_only() {
        let client = Client::new(&settings("https://occi.example:8787/occi1.2")).expect("client");
        let rows = [
            (
                "/occi1.2/compute/1",
                "https://occi.example:8787/occi1.2/compute/1",
            ),
            (
                "http://internal:8787/occi1.2/compute/1",
                "https://occi.example:8787/occi1.2/compute/1",
            ),
            (
                "https://evil.example/steal?x=1",
                "https://occi.example:8787/steal?x=1",
            ),
            ("compute/", "https://occi.example:8787/occi1.2/compute/"),
        ];
        for (location, want) in rows {
            assert_eq!(
                client
                    .resolve(location)
                    .map(|u| u.to_string())
                    .ok()
                    .as_deref(),
                Some(want)
            );
        }
        assert_eq!(
            client
                .endpoint_url("-/")
                .map(|u| u.to_string())
                .ok()
                .as_deref(),
            Some("https://occi.example:8787/occi1.2/-/")
        );
    }

    #[test]
    fn client_debug_never_shows_secrets() {
        let debug = format!(
            "{:?}",
            Client::new(&settings("http://127.0.0.1:1")).expect("client")
        );
        assert!(
            !debug.contains("pw-very-secret") && !debug.contains("project-secret"),
            "{debug}"
        );
    }

    #[test]
    fn endpoint_must_be_an_http_url() {
        let err = Client::new(&settings("occi.example:8787")).expect_err("not a URL");
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn user_agent_claims_1_1_until_the_server_shows_1_2() {
        let client = Client::new(&settings("http://127.0.0.1:1")).expect("client");
        assert!(client.user_agent().ends_with("OCCI/1.1"));
        client.claim_occi_12(true);
        assert!(client.user_agent().ends_with("OCCI/1.2"));
    }
}
