//! The `cloudgw` command: serve the gateway, print its OpenAPI document, check provider files,
//! or run a cloud simulator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use cloudgw::api;
use cloudgw::config::load_providers;
use cloudgw::events::Events;
use cloudgw::ops::{FollowSettings, Operations};
use cloudgw::registry::Registry;
use cloudgw::service::{ConfigView, CursorKey, Service, ServiceSettings};
use cloudgw::sim;

mod cli;

/// cloudgw: one REST API for many clouds (AWS EC2, GoGrid-style, OCCI).
///
/// Every flag can also be set through the environment variable named in its help
/// (CLOUDGW_…). Logging follows RUST_LOG (default: info).
#[derive(Debug, Parser)]
#[command(name = "cloudgw", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the REST API (docs at /docs, OpenAPI at /openapi.json).
    Serve(ServeArgs),
    /// Print the OpenAPI document (what openapi/openapi.json holds).
    Openapi {
        /// Write it to this file instead of standard output.
        #[arg(long, env = "CLOUDGW_OUTPUT")]
        output: Option<PathBuf>,
        /// OpenAPI version: 3.1 (the reference document) or 3.0 (the same API translated for
        /// generators that read only 3.0, such as progenitor).
        #[arg(long, env = "CLOUDGW_SPEC_VERSION", default_value = "3.1")]
        spec_version: SpecVersion,
    },
    /// Validate the provider files; exits non-zero naming file, line and field of each problem.
    Check {
        /// Directory of provider files (*.toml; the file stem is the provider id).
        #[arg(long, env = "CLOUDGW_PROVIDERS", default_value = "providers")]
        providers: PathBuf,
    },
    /// Run a cloud simulator as its own HTTP server.
    Simulate {
        #[command(subcommand)]
        cloud: SimulateCommand,
    },
    /// Run a reverse proxy in front of a backend that injects faults (latency, hangs, 5xx,
    /// 429 with Retry-After, connection resets, truncated and garbage bodies) by rules.
    ///
    /// Prints `listening on ADDR` as the first line of standard output once it listens (so
    /// --listen 127.0.0.1:0 can be read back). Requests no rule fires for are forwarded
    /// unchanged. GET /_faultproxy/stats answers the counters as JSON; PUT /_faultproxy/rules
    /// replaces the rules with a TOML body. Rules file format: docs/fault-injection.md.
    FaultProxy(FaultProxyArgs),
    /// Make API tokens (`token new`).
    Token {
        #[command(subcommand)]
        command: cli::token::TokenCommand,
    },
}

#[derive(Debug, clap::Args)]
struct FaultProxyArgs {
    /// The backend to forward to: an http:// URL (its path, if any, is put before every
    /// request path).
    #[arg(long, env = "CLOUDGW_UPSTREAM")]
    upstream: reqwest::Url,
    /// Address to listen on; loopback only. Port 0 picks a free port (printed on stdout).
    #[arg(long, env = "CLOUDGW_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Rules file (TOML, [[rule]] tables); without it every request is forwarded unchanged.
    #[arg(long, env = "CLOUDGW_RULES")]
    rules: Option<PathBuf>,
}

/// The OpenAPI version `cloudgw openapi` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SpecVersion {
    /// OpenAPI 3.1.0, what /openapi.json serves.
    #[value(name = "3.1")]
    V3_1,
    /// OpenAPI 3.0.3.
    #[value(name = "3.0")]
    V3_0,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on. Without API tokens (--config [[tokens]]) only loopback addresses
    /// are allowed, unless --insecure-no-auth.
    #[arg(long, env = "CLOUDGW_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    secure: cli::secure::SecureArgs,
    /// Directory of provider files (*.toml; the file stem is the provider id).
    #[arg(long, env = "CLOUDGW_PROVIDERS", default_value = "providers")]
    providers: PathBuf,
    /// Seconds after which a followed operation is marked failed (provider_timeout).
    #[arg(long, env = "CLOUDGW_OPERATION_TIMEOUT", default_value_t = 900)]
    operation_timeout: u64,
    /// Seconds one GET /v1/events stream lasts at most (and by default); clients reconnect with
    /// Last-Event-ID.
    #[arg(long, env = "CLOUDGW_EVENT_STREAM_MAX_SECS", default_value_t = 300)]
    event_stream_max_secs: u64,
    /// Seconds an aggregated list (/v1/servers, /v1/images, /v1/volumes) waits for each
    /// provider; a provider that misses it is listed under `errors` as provider_timeout.
    #[arg(long, env = "CLOUDGW_AGGREGATE_TIMEOUT", default_value_t = 10.0)]
    aggregate_timeout: f64,
    /// Secret list cursors are signed with (at least 16 characters). Give every replica behind
    /// one load balancer the same key, or a cursor from one is refused by the others; without
    /// it each process draws a random key and cursors do not survive a restart.
    #[arg(long, env = "CLOUDGW_CURSOR_KEY", hide_env_values = true)]
    cursor_key: Option<String>,
    /// Seconds one request may spend on provider calls in all (every retry, pause and queue
    /// wait included); a provider still not done by then answers 504 provider_timeout.
    #[arg(long, env = "CLOUDGW_REQUEST_TIMEOUT", default_value_t = 30.0)]
    request_timeout: f64,
    /// Log format on standard error: text (human readable) or json (one object a line, with
    /// the request's span and its request_id on every line).
    #[arg(long, env = "CLOUDGW_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    /// Directory of the gateway's own data (the SQLite database `cloudgw.db` unless
    /// --database-url says otherwise); created if missing.
    #[arg(long, env = "CLOUDGW_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Where operations, idempotency keys and events are kept: `sqlite:PATH`,
    /// `postgres://USER:PASSWORD@HOST/DB` (share one among replicas), or `memory:` (lost on
    /// exit). Default: sqlite in --data-dir.
    #[arg(long, env = "CLOUDGW_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Seconds a replica's claim on work (following an operation, a request's idempotency key)
    /// lasts unless renewed: how soon another replica takes over from one that died.
    #[arg(long, env = "CLOUDGW_LEASE_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    lease_secs: u64,
    /// Seconds an Idempotency-Key is remembered after its first use.
    #[arg(long, env = "CLOUDGW_IDEMPOTENCY_TTL_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    idempotency_ttl_secs: u64,
    /// Seconds events are kept for clients resuming with Last-Event-ID.
    #[arg(long, env = "CLOUDGW_EVENT_RETENTION_SECS", default_value_t = 604_800, value_parser = clap::value_parser!(u64).range(1..))]
    event_retention_secs: u64,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

#[derive(Debug, Subcommand)]
enum SimulateCommand {
    /// A GoGrid API v1.x simulator serving /api/<group>/<object>/<verb>.
    Gogrid(GoGridSimArgs),
    /// An OCCI 1.1/1.2 simulator (query interface at /-/, compute, storage, links, actions)
    /// answering like rOCCI-server, OpenStack ooi or pyssf.
    ///
    /// Without --username/--password or --token every request is served. With them, requests
    /// need HTTP basic auth or the token (as X-Auth-Token or Authorization: Bearer); others get
    /// 401 with the profile's WWW-Authenticate challenge. Prefer the environment variables for
    /// secrets: command lines are visible to other users.
    Occi(OcciSimArgs),
}

#[derive(Debug, clap::Args)]
struct OcciSimArgs {
    /// Address to listen on; loopback only (the simulator's credentials are not a protection).
    #[arg(long, env = "CLOUDGW_SIM_LISTEN", default_value = "127.0.0.1:8082")]
    listen: SocketAddr,
    /// Which server's answers to reproduce: rocci (OCCI 1.2, JSON), ooi (OCCI 1.1 and 1.2,
    /// JSON) or pyssf (OCCI 1.1, text only).
    #[arg(long, env = "CLOUDGW_SIM_PROFILE", default_value = "rocci",
          value_parser = clap::builder::PossibleValuesParser::new(["rocci", "ooi", "pyssf"]))]
    profile: String,
    /// Basic-auth user name the simulator accepts (with --password).
    #[arg(
        long,
        env = "CLOUDGW_SIM_USERNAME",
        requires = "password",
        conflicts_with = "token"
    )]
    username: Option<String>,
    /// Basic-auth password (with --username).
    #[arg(
        long,
        env = "CLOUDGW_SIM_PASSWORD",
        requires = "username",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Token the simulator accepts (Keystone-style X-Auth-Token, or Authorization: Bearer).
    #[arg(long, env = "CLOUDGW_SIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Seconds a new compute stays inactive before it is active (provisioning).
    #[arg(long, env = "CLOUDGW_SIM_PROVISION_DELAY", default_value_t = 0.0)]
    provision_delay: f64,
    /// Seconds start, stop, restart and suspend take to take effect.
    #[arg(long, env = "CLOUDGW_SIM_POWER_DELAY", default_value_t = 1.0)]
    power_delay: f64,
}

#[derive(Debug, clap::Args)]
struct GoGridSimArgs {
    /// Address to listen on.
    #[arg(long, env = "CLOUDGW_SIM_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// The API key the simulator accepts.
    #[arg(long, env = "CLOUDGW_SIM_API_KEY")]
    api_key: String,
    /// The shared secret signatures are checked with.
    #[arg(long, env = "CLOUDGW_SIM_SHARED_SECRET")]
    shared_secret: String,
    /// Seconds a signature's timestamp may differ from the simulator's clock.
    #[arg(long, env = "CLOUDGW_SIM_CLOCK_SKEW", default_value_t = 600)]
    clock_skew: u64,
    /// Seconds a new server stays without an id (provisioning).
    #[arg(long, env = "CLOUDGW_SIM_PROVISION_DELAY", default_value_t = 0.0)]
    provision_delay: f64,
    /// Seconds a power transition (Starting, Stopping, Restarting) takes.
    #[arg(long, env = "CLOUDGW_SIM_POWER_DELAY", default_value_t = 1.0)]
    power_delay: f64,
    /// Public IPs per datacenter (3 datacenters): each server takes one, so this is how many
    /// servers a datacenter holds. The default, 8, is the recorded account's pool.
    #[arg(long, visible_alias = "public-ips", env = "CLOUDGW_SIM_PUBLIC_IPS",
          default_value_t = sim::gogrid::DEFAULT_PUBLIC_IPS_PER_DATACENTER,
          value_parser = clap::builder::TypedValueParser::map(
              clap::value_parser!(u16).range(0..=sim::gogrid::MAX_PUBLIC_IPS_PER_DATACENTER as i64),
              usize::from))]
    public_ips_per_datacenter: usize,
}

fn init_logging(format: LogFormat) {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(match &cli.command {
        Command::Serve(args) => args.log_format,
        _ => LogFormat::Text,
    });
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Openapi {
            output,
            spec_version,
        } => print_openapi(output, spec_version),
        Command::Check { providers } => check(&providers),
        Command::Simulate {
            cloud: SimulateCommand::Gogrid(args),
        } => simulate_gogrid(args).await,
        Command::Simulate {
            cloud: SimulateCommand::Occi(args),
        } => simulate_occi(args).await,
        Command::FaultProxy(args) => fault_proxy(args).await,
        Command::Token { command } => cli::token::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cloudgw: {message}");
            ExitCode::from(2)
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let prepared = cli::secure::prepare(&args.secure, args.listen)?;
    let service_settings = service_settings(&args)?;
    let configs = load_providers(&args.providers).map_err(|e| e.to_string())?;
    if configs.is_empty() {
        tracing::warn!(dir = %args.providers.display(), "no provider files (*.toml) found: every provider route will answer 404");
    }
    let (store, store_kind) = open_store(&args).await?;
    let security = &prepared.security;
    let view = ConfigView::new(
        &configs,
        &security.tokens.callers(),
        &prepared.webhooks,
        &security.cors_origins,
        &security.limits,
        &store_kind,
    );
    let registry = Registry::start(configs).await.map_err(|e| e.to_string())?;
    for p in registry.all() {
        let info = p.info();
        tracing::info!(provider = %info.id, driver = %info.driver, simulated = info.simulated, "provider ready");
    }
    let settings = FollowSettings {
        timeout: Duration::from_secs(args.operation_timeout),
        ..FollowSettings::default()
    };
    let request_timeout = Duration::try_from_secs_f64(args.request_timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or("--request-timeout must be a number of seconds > 0")?;
    cloudgw::store::spawn_janitor(
        store.clone(),
        cloudgw::store::Retention {
            idempotency_ttl: Duration::from_secs(args.idempotency_ttl_secs),
            events: Duration::from_secs(args.event_retention_secs),
        },
    );
    let ops = Operations::new(store.clone(), settings)
        .with_lease(Duration::from_secs(args.lease_secs))
        .with_events(
            Events::over(store.clone())
                .with_max_stream(Duration::from_secs(args.event_stream_max_secs)),
        );
    let registry = Arc::new(registry);
    // Operations left unfinished by an earlier run (or by a replica that died) are followed on.
    ops.spawn_resumer(registry.clone());
    // This process's name in the leases of the watch (one replica looks at each provider).
    let replica = uuid::Uuid::new_v4().to_string();
    let turns = cloudgw::watch::Leased::new(store.clone(), replica.clone());
    cloudgw::watch::Watch::new(registry.clone(), ops.events().clone(), Arc::new(turns)).start();
    let webhooks = cloudgw::webhooks::Webhooks::new(prepared.webhooks, store.clone());
    webhooks.start(ops.events(), replica);
    let service = Service::with_audit(registry, ops, service_settings, store.clone())
        .with_webhooks(webhooks)
        .with_config(view);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if prepared.options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!("serving on {scheme}://{addr} (docs: {scheme}://{addr}/docs)");
    cloudgw::memory::spawn_trimmer(cloudgw::memory::TRIM_AFTER_IDLE);
    let router = api::router_secured(service, request_timeout, prepared.security);
    cloudgw::server::serve(listener, router, prepared.options, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// The store --database-url names, or SQLite in --data-dir (created if missing), and its kind.
async fn open_store(args: &ServeArgs) -> Result<(Arc<dyn cloudgw::store::Store>, String), String> {
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&args.data_dir).map_err(|e| {
                format!(
                    "cannot create the data directory {}: {e}",
                    args.data_dir.display()
                )
            })?;
            format!("sqlite:{}", args.data_dir.join("cloudgw.db").display())
        }
    };
    let store = cloudgw::store::open(&url)
        .await
        .map_err(|e| format!("cannot open the store: {e}"))?;
    tracing::info!(store = ?store_kind(&url), "store ready");
    Ok((store, store_kind(&url).to_owned()))
}

/// The store's kind for the log (never the URL: it may hold a password).
fn store_kind(url: &str) -> &str {
    url.split(':').next().unwrap_or("")
}

/// The service's settings from the command line.
fn service_settings(args: &ServeArgs) -> Result<ServiceSettings, String> {
    let aggregate_timeout = Duration::try_from_secs_f64(args.aggregate_timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or("--aggregate-timeout must be a number of seconds > 0")?;
    let cursor_key = match &args.cursor_key {
        Some(secret) => CursorKey::from_secret(secret).map_err(|e| format!("--cursor-key: {e}"))?,
        None => {
            tracing::info!(
                "no --cursor-key: list cursors are valid for this process only (give replicas one shared key)"
            );
            CursorKey::random()
        }
    };
    Ok(ServiceSettings {
        aggregate_timeout,
        cursor_key,
    })
}

fn print_openapi(output: Option<PathBuf>, version: SpecVersion) -> Result<(), String> {
    let text = match version {
        SpecVersion::V3_1 => api::openapi().to_pretty_json(),
        SpecVersion::V3_0 => serde_json::to_string_pretty(&api::openapi_3_0()),
    }
    .map_err(|e| e.to_string())?
        + "\n";
    match output {
        Some(path) => {
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn check(dir: &std::path::Path) -> Result<(), String> {
    let configs = load_providers(dir).map_err(|e| e.to_string())?;
    for c in &configs {
        println!(
            "{}: provider {} (driver {}) ok",
            c.path.display(),
            c.id,
            c.driver
        );
    }
    println!("{} provider file(s) ok", configs.len());
    Ok(())
}

async fn simulate_gogrid(args: GoGridSimArgs) -> Result<(), String> {
    let seconds = |v: f64, name: &str| {
        Duration::try_from_secs_f64(v)
            .map_err(|_| format!("--{name} must be a number of seconds ≥ 0"))
    };
    let options = sim::gogrid::SimOptions {
        api_key: args.api_key,
        shared_secret: args.shared_secret,
        clock_skew: Duration::from_secs(args.clock_skew),
        provision_delay: seconds(args.provision_delay, "provision-delay")?,
        power_delay: seconds(args.power_delay, "power-delay")?,
        public_ips_per_datacenter: args.public_ips_per_datacenter,
    };
    let running = sim::gogrid::spawn(options, args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!("GoGrid simulator serving on {}", running.endpoint());
    // The first line on stdout, for a script or test that started it on port 0.
    println!("listening on {}", running.addr());
    shutdown_signal().await;
    Ok(())
}

async fn simulate_occi(args: OcciSimArgs) -> Result<(), String> {
    if !args.listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {}: the OCCI simulator serves only on loopback (127.0.0.1 or [::1])",
            args.listen
        ));
    }
    let seconds = |v: f64, name: &str| {
        Duration::try_from_secs_f64(v)
            .map_err(|_| format!("--{name} must be a number of seconds ≥ 0"))
    };
    let profile: sim::occi::Profile = args.profile.parse()?;
    let auth = match (args.username, args.password, args.token) {
        (Some(username), Some(password), None) => sim::occi::SimAuth::Basic { username, password },
        (None, None, Some(token)) => sim::occi::SimAuth::Token(token),
        (None, None, None) => sim::occi::SimAuth::None,
        _ => return Err("use either --username with --password, or --token".into()),
    };
    let options = sim::occi::SimOptions {
        profile,
        auth,
        provision_delay: seconds(args.provision_delay, "provision-delay")?,
        power_delay: seconds(args.power_delay, "power-delay")?,
    };
    let running = sim::occi::spawn(options, args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!(
        "OCCI simulator ({profile}) serving on {}; query interface at {}/-/",
        running.endpoint(),
        running.endpoint()
    );
    println!("listening on {}", running.addr());
    shutdown_signal().await;
    Ok(())
}

async fn fault_proxy(args: FaultProxyArgs) -> Result<(), String> {
    use cloudgw::faultproxy::{self, Rules};
    use std::io::Write;
    if !args.listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {}: the fault proxy serves only on loopback (127.0.0.1 or [::1])",
            args.listen
        ));
    }
    let rules = match &args.rules {
        Some(path) => Rules::load(path).map_err(|e| e.to_string())?,
        None => Rules::none(),
    };
    let count = rules.rules.len();
    let running = faultproxy::start(args.upstream.clone(), rules, args.listen)
        .await
        .map_err(|e| e.to_string())?;
    // The first stdout line is the contract with scripts and tests that pass port 0.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", running.addr())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))?;
    tracing::info!(upstream = %args.upstream, rules = count, "fault proxy ready");
    shutdown_signal().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
