//! Third-party check of the GFD.226 JSON the `occi` driver sends: real OpenStack ooi 1.2.0
//! (`tests/python/ooi_server.py`, ooi's WSGI middleware over its own fake Nova) must accept the
//! driver's JSON create bodies, which carry the `id` GFD.226 makes mandatory
//! (`tests/occi_schema.rs` checks them against the schema). Actions in JSON are checked against
//! ooi by `tests/occi_ooi.rs`. Needs `.venv-ooi` (made by `scripts/test`); a missing one fails.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cloudgw::config::Secret;
use cloudgw::driver::{Driver, ImageFilter, ListRequest};
use cloudgw::drivers::occi::{Auth, OcciDriver, OcciOptions, OcciSettings, Rendering};
use cloudgw::model::{CreateServerRequest, CreateVolumeRequest, ServerState};

/// How long ooi may take to say it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// ooi on a loopback port; killed when dropped.
struct Ooi {
    child: Child,
    port: u16,
    tenants: serde_json::Value,
}

impl Drop for Ooi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts ooi and waits, bounded, for its `LISTENING <port> <tenants>` line; on failure the
/// message carries what ooi printed on stderr.
fn start_ooi() -> Ooi {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = Path::new(root).join(".venv-ooi/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test (it creates .venv-ooi through scripts/python-env)",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(Path::new(root).join("tests/python/ooi_server.py"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ooi");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
    let mut parts = line.trim().splitn(3, ' ');
    if parts.next() != Some("LISTENING") {
        let _ = child.kill();
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        let _ = child.wait();
        panic!("ooi did not start within {START_TIMEOUT:?}: stdout {line:?}, stderr:\n{stderr}");
    }
    let port = parts.next().and_then(|p| p.parse().ok()).expect("port");
    let tenants = serde_json::from_str(parts.next().unwrap_or("{}")).expect("tenants JSON");
    Ooi {
        child,
        port,
        tenants,
    }
}

fn page() -> ListRequest {
    ListRequest {
        limit: 50,
        cursor: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_ooi_accepts_the_json_creates_the_driver_sends() {
    let ooi = start_ooi();
    let project = ooi.tenants["foo"].as_str().expect("tenant id").to_owned();
    let settings = OcciSettings {
        endpoint: format!("http://127.0.0.1:{}", ooi.port),
        auth: Auth::None,
        ca_bundle: None,
        headers: vec![("X-Project-Id".into(), Secret::new(project))],
        timeout: Duration::from_secs(10),
    };
    let options = OcciOptions {
        rendering: Rendering::Json,
        discovery_refresh: Duration::from_secs(300),
        list_concurrency: 4,
        region: None,
    };
    let d = OcciDriver::new("ooi-json".into(), &settings, options).expect("driver");
    d.discover().await.expect("JSON discovery");
    let images = d
        .list_images(&page(), &ImageFilter::default())
        .await
        .expect("images")
        .items;
    let sizes = d.list_sizes(&page()).await.expect("sizes").items;
    let request = CreateServerRequest {
        name: "json-vm".into(),
        image_id: images[0].id.clone(),
        size_id: sizes[0].id.clone(),
        region: None,
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    };
    // ooi's fake Nova names every new server `foo`, which it cannot read back: the driver
    // reports it as being provisioned.
    let server = d.create_server(&request, None).await.expect("ooi accepts");
    assert_eq!(server.id, "foo", "{server:?}");
    assert_eq!(server.name, "json-vm");
    assert_eq!(server.state, ServerState::Pending);
    let volume = d
        .create_volume(
            &CreateVolumeRequest {
                name: "json-vol".into(),
                size_gib: 1,
                zone: None,
                tags: None,
            },
            None,
        )
        .await
        .expect("ooi accepts");
    assert_eq!(volume.id, "foo", "{volume:?}");
}
