//! Third-party client check: Apache Libcloud 3.7.0's GoGrid driver (the last release with one)
//! runs its node lifecycle against an in-process simulator. Needs `.venv` (made by
//! `scripts/test` from `scripts/python-requirements.txt`); without it the test fails.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use cloudgw::sim::gogrid::{SimOptions, spawn};

const KEY: &str = "libcloud-key";
const SECRET: &str = "libcloud-secret";

#[tokio::test(flavor = "multi_thread")]
async fn libcloud_gogrid_driver_runs_its_lifecycle_against_the_simulator() {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = Path::new(root).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test (it creates .venv from \
         scripts/python-requirements.txt), or by hand: python3 -m venv .venv && \
         .venv/bin/pip install -r scripts/python-requirements.txt",
        python.display()
    );

    // libcloud sleeps 120 s while a new server has no id, so provisioning must be instant.
    let opts = SimOptions {
        provision_delay: Duration::ZERO,
        power_delay: Duration::from_millis(100),
        ..SimOptions::new(KEY, SECRET)
    };
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    let sim = spawn(opts, listen).await.expect("spawn simulator");

    let run = tokio::process::Command::new(&python)
        .arg(Path::new(root).join("tests/python/libcloud_gogrid_check.py"))
        .args(["--host", &sim.addr().ip().to_string()])
        .args(["--port", &sim.addr().port().to_string()])
        .args(["--key", KEY, "--secret", SECRET])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("libcloud check did not finish within 120 s")
        .expect("run the libcloud check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "libcloud check failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("libcloud check: ") && last.ends_with(" passed, 0 failed"),
        "unexpected summary line {last:?}:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}
