//! Set-up shared by the tests that drive `OcciDriver` itself rather than through the gateway:
//! a driver for an OCCI endpoint, and OpenStack ooi 1.2.0 (`tests/python/ooi_server.py`, ooi's
//! WSGI middleware over its own fake Nova) started from `.venv-ooi` on a loopback port. A
//! missing `.venv-ooi` fails the test with a message saying how to make it; nothing is skipped.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use cloudgw::config::Secret;
use cloudgw::driver::Driver;
use cloudgw::drivers::occi::{Auth, OcciDriver, OcciOptions, OcciSettings, Rendering};

#[path = "child.rs"]
mod child;

use child::ChildProcess;

/// A driver named `provider` for the OCCI server at `endpoint`, without credentials, sending
/// `headers` on every request and reading lists `list_concurrency` members at a time.
pub fn occi_driver(
    provider: &str,
    endpoint: &str,
    headers: Vec<(String, Secret)>,
    rendering: Rendering,
    list_concurrency: usize,
) -> OcciDriver {
    let settings = OcciSettings {
        endpoint: endpoint.to_owned(),
        auth: Auth::None,
        ca_bundle: None,
        headers,
        timeout: Duration::from_secs(10),
    };
    let options = OcciOptions {
        rendering,
        discovery_refresh: Duration::from_secs(300),
        list_concurrency,
        region: None,
    };
    OcciDriver::new(provider.to_owned(), &settings, options).expect("driver")
}

/// Discovers `d`'s server and asserts what the OCCI servers these tests use all offer: the
/// start, stop and restart actions, and volumes with attachments.
pub async fn discover_actions_and_volumes(d: &OcciDriver) {
    d.discover().await.expect("discovery");
    let caps = d.capabilities();
    assert!(
        caps.start_server && caps.stop_server && caps.reboot_server,
        "{caps:?}"
    );
    assert!(caps.list_volumes && caps.attach_volume, "{caps:?}");
}

/// ooi on a loopback port; killed when dropped.
pub struct Ooi {
    _process: ChildProcess,
    /// The port it listens on.
    pub port: u16,
    /// Its fake Nova's tenants: name → project id.
    pub tenants: serde_json::Value,
}

/// How long ooi may take to say it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts ooi and waits, bounded, for its `LISTENING <port> <tenants as JSON>` line; on failure
/// the message carries what ooi printed.
pub fn start_ooi() -> Ooi {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = Path::new(root).join(".venv-ooi/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test (it creates .venv-ooi from \
         scripts/python-requirements-ooi.txt through scripts/python-env)",
        python.display()
    );
    let mut command = Command::new(python);
    command.arg(Path::new(root).join("tests/python/ooi_server.py"));
    let (process, line) = ChildProcess::start("ooi", &mut command, START_TIMEOUT, |l| {
        l.starts_with("LISTENING ").then(|| l.to_owned())
    });
    let mut parts = line.trim().splitn(3, ' ');
    parts.next();
    let port = parts.next().and_then(|p| p.parse().ok()).expect("port");
    let tenants = serde_json::from_str(parts.next().unwrap_or("{}")).expect("tenants JSON");
    Ooi {
        _process: process,
        port,
        tenants,
    }
}

impl Ooi {
    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A driver named `provider` acting in ooi's tenant `tenant` (its project id sent as
    /// `X-Project-Id`), in `rendering`.
    pub fn driver(&self, provider: &str, tenant: &str, rendering: Rendering) -> OcciDriver {
        let project = self.tenants[tenant].as_str().expect("tenant id").to_owned();
        let headers = vec![("X-Project-Id".into(), Secret::new(project))];
        occi_driver(provider, &self.endpoint(), headers, rendering, 4)
    }
}
